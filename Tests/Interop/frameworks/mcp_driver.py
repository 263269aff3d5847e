"""Interop driver: the MCP Python SDK (mcp 2.3.0), client and server over stdio.

    python mcp_driver.py OTLP_HTTP_PORT RESULTS_JSON [DUMP_DIR]

Each agent run launches mcp_server.py as a subprocess with `stdio_client`, opens a
`ClientSession` and calls tools. Both sides use only the SDK's built-in OpenTelemetry:
the client's JSON-RPC dispatcher makes a CLIENT span "MCP send <method> [<tool>]" per request
and injects `traceparent` into `params._meta`; the server's `OpenTelemetryMiddleware` makes a
SERVER span "<method> [<tool>]" parented on it. The server process exports its own spans to the
same OTLP endpoint (service.name fw-mcp-server) and dumps them to DUMP_DIR/mcp-server__*.json.

There is no LLM: the "agent" is this code choosing the tools. As a user of a bare MCP client
would, each agent run is wrapped in our own `invoke_agent` span; without it every request would
be a separate trace and the calls of one run would not form one workflow.

MCP has no tool-call id of its own: the call id is the JSON-RPC request id (a per-session
counter, so "3", "4", …), read back from the client span's `jsonrpc.request.id`.
Approvals (scenarios 4/5) are MCP elicitation: the server's issue_refund calls `ctx.elicit`,
the client's elicitation callback (the human) accepts or declines.
"""
import asyncio
import glob
import json
import os
import sys
from contextlib import asynccontextmanager

from opentelemetry import trace
from opentelemetry.propagate import extract
from opentelemetry.trace import Link, SpanKind

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Driver, Expect  # noqa: E402

from mcp import ClientSession, StdioServerParameters, stdio_client  # noqa: E402
from mcp.client.stdio import get_default_environment  # noqa: E402
import mcp.types as types  # noqa: E402

SERVER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "mcp_server.py")
driver = Driver("mcp")
_servers = 0   # server processes launched (names their dump files)


def human(decision):
    """An elicitation callback: the human approves or rejects what the server asks."""
    async def callback(context, params: types.ElicitRequestParams):
        print(f"  [human] {params.message} -> {decision}", file=sys.stderr)
        if decision == "approve":
            return types.ElicitResult(action="accept", content={"approve": True, "approver": "dana@finance"})
        return types.ElicitResult(action="decline")
    return callback


@asynccontextmanager
async def mcp_session(refund_approval=None, decision=None):
    """Launch mcp_server.py over stdio and open an initialized ClientSession on it."""
    global _servers
    _servers += 1
    env = dict(get_default_environment(), CAUSEWAY_OTLP_PORT=str(driver.otlp_port))
    if driver.dump_dir:
        os.makedirs(driver.dump_dir, exist_ok=True)
        env["MCP_SERVER_DUMP"] = os.path.join(driver.dump_dir, f".mcp-server-{_servers}.part")
    if refund_approval:
        env["MCP_REFUND_APPROVAL"] = refund_approval
    params = StdioServerParameters(command=sys.executable, args=[SERVER], env=env)
    # The server logs each tool crash with a traceback on stderr; keep that out of the run's output.
    with open(os.devnull, "w") as errlog:
        async with stdio_client(params, errlog=errlog) as (read, write):
            async with ClientSession(read, write,
                                     elicitation_callback=human(decision) if decision else None) as session:
                await session.initialize()
                await session.list_tools()      # an agent lists the tools before choosing
                yield session


def agent_run(name="refund-desk"):
    """Our own root span for one agent run (the MCP SDK has none)."""
    return driver.tracer.start_as_current_span(
        f"invoke_agent {name}", kind=SpanKind.INTERNAL,
        attributes={"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": name})


async def call(session, tool, arguments, ids):
    """One tools/call; records its JSON-RPC request id (the call id) from the client span."""
    before = len(driver.recorder.spans)
    result = await session.call_tool(tool, arguments)
    for span in driver.recorder.spans[before:]:
        if span.name == f"MCP send tools/call {tool}":
            ids.append(span.attributes["jsonrpc.request.id"])
    text = " ".join(c.text for c in result.content if getattr(c, "text", None))
    print(f"  {tool}({arguments}) -> isError={result.is_error}: {text}", file=sys.stderr)
    return result


def collect_server_dumps(scenario):
    """Gather this scenario's server-process dumps into DUMP_DIR/mcp-server__<scenario>.json."""
    if not driver.dump_dir:
        return
    spans = []
    for part in sorted(glob.glob(os.path.join(driver.dump_dir, ".mcp-server-*.part"))):
        with open(part) as f:
            spans.extend(json.load(f))
        os.remove(part)
    safe = "".join(c if c.isalnum() else "_" for c in scenario)
    with open(os.path.join(driver.dump_dir, f"mcp-server__{safe}.json"), "w") as out:
        json.dump(spans, out, indent=1)


def scenario(name, expect):
    """Register an async scenario; it runs in its own event loop, then its server dumps are kept."""
    def register(coroutine_function):
        def run():
            try:
                asyncio.run(coroutine_function())
            finally:
                collect_server_dumps(name)
        return driver.scenario(name, expect)(run)
    return register


calls1 = set()
@scenario("non-transient error twice", expect=[
    Expect("repeat_failure", "high", "logistics-ops", calls=calls1)])
async def _():
    ids = []
    with agent_run("logistics-agent"):
        async with mcp_session() as session:
            for _attempt in range(2):
                await call(session, "schedule_pickup", {"address": "12 Nowhere St"}, ids)
            # the "model" gives up with text: nothing more is sent
    calls1.update(ids)


@scenario("two timeouts then success", expect=[])
async def _():
    ids = []
    with agent_run("inventory-agent"):
        async with mcp_session() as session:
            for _attempt in range(3):
                result = await call(session, "reserve_stock", {"sku": "SKU-1042"}, ids)
                if not result.is_error:
                    break


calls3 = set()
@scenario("approval-required tool without approval", expect=[
    Expect("approval_required", "critical", "finance-approvals", calls=calls3)])
async def _():
    ids = []
    with agent_run():
        async with mcp_session() as session:           # this server has no approval step
            await call(session, "issue_refund", {"order_id": "A-1001", "amount": 120.0}, ids)
    calls3.update(ids)


@scenario("approved the framework's way", expect=[])
async def _():
    ids = []
    with agent_run():
        async with mcp_session(refund_approval="elicit", decision="approve") as session:
            result = await call(session, "issue_refund", {"order_id": "A-1002", "amount": 80.0}, ids)
    assert "refunded" in result.content[0].text


@scenario("rejected the framework's way", expect=[])
async def _():
    ids = []
    with agent_run():
        async with mcp_session(refund_approval="elicit", decision="reject") as session:
            result = await call(session, "issue_refund", {"order_id": "A-1003", "amount": 95.0}, ids)
    assert "NOT issued" in result.content[0].text


calls6 = set()
@scenario("stale connector read twice", expect=[
    Expect("stale_connector_data", "high", "procurement-data", calls=calls6)])
async def _():
    ids = []
    with agent_run("procurement-agent"):
        async with mcp_session() as session:
            await call(session, "vendor_lookup", {"vendor": "Acme Supplies"}, ids)
            await call(session, "vendor_lookup", {"vendor": "Acme Supplies"}, ids)
    calls6.update(ids)


calls7 = set()
@scenario("background job linked to its request", expect=[
    Expect("approval_required", "critical", "finance-approvals", calls=calls7, crosses_link=True)])
async def _():
    ids = []
    with agent_run():
        async with mcp_session() as session:
            result = await call(session, "enqueue_refund", {"order_id": "A-1007"}, ids)
    job = json.loads(result.content[0].text)["job"]   # a dict return arrives as JSON text
    # The worker: a new root, linked to the server's PRODUCER span through the message headers.
    producer = trace.get_current_span(extract(job["headers"])).get_span_context()
    job_ids = []
    with driver.tracer.start_as_current_span(
            "refund job", kind=SpanKind.CONSUMER, context=trace.set_span_in_context(trace.INVALID_SPAN),
            links=[Link(producer)], attributes={"messaging.operation.type": "process",
                                                "messaging.destination.name": "refund-jobs"}):
        with agent_run("refund-worker"):
            async with mcp_session() as session:       # no approval step in the worker's server
                await call(session, "issue_refund", {"order_id": job["order_id"], "amount": 60.0}, job_ids)
    calls7.update(job_ids)


if __name__ == "__main__":
    driver.run()
