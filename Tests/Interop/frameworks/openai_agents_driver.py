"""Interop driver: the OpenAI Agents SDK, traced by OpenInference's OpenAIAgentsInstrumentor.

    python openai_agents_driver.py OTLP_HTTP_PORT RESULTS_JSON [DUMP_DIR]

The agents run unmodified against the harness's fake Chat Completions server (call ids
`oai_<scenario>_<n>` come from the fake model). Tracing is set up the way a user of the
instrumentor does it: `OpenAIAgentsInstrumentor().instrument(tracer_provider=...)`, which by
default replaces the SDK's own trace processors (the OpenAI backend exporter) with the
OpenInference one. SDK tracing itself stays enabled (`set_tracing_disabled(True)` would silence
the instrumentor too).

Tool errors: the SDK's default `failure_error_function` hands the model a fixed message and
REDACTS the error detail from the span ("Tool execution failed. Error details are redacted."),
so a timeout cannot be told from any other failure. The tools here use a `failure_error_function`
that tells the model what went wrong, which is what un-redacts the detail in the span's status
description (see the findings report; TOOL_ERRORS=default in the environment keeps the SDK default).

Approvals (scenarios 4, 5): `needs_approval=True`, the run returns `interruptions`, the human
calls `state.approve(item)` / `state.reject(item)`, and `Runner.run(agent, state)` resumes. The
two runs are wrapped in one `agents.trace(...)`, because with the SDK default the resumed run is
not exported at all (APPROVAL_TRACE=resume / new-trace reproduce the alternatives; see
approval_scenario and the findings report).
"""
import asyncio
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import Driver, Expect, FakeOpenAI, script  # noqa: E402

from openai import AsyncOpenAI  # noqa: E402
from opentelemetry import trace  # noqa: E402
from opentelemetry.trace import Link, SpanKind  # noqa: E402

from agents import (Agent, OpenAIChatCompletionsModel, RunConfig, Runner, function_tool,  # noqa: E402
                    gen_trace_id)
from agents import trace as agents_trace  # noqa: E402
from openinference.instrumentation.openai_agents import OpenAIAgentsInstrumentor  # noqa: E402

driver = Driver("openai-agents")
OpenAIAgentsInstrumentor().instrument(tracer_provider=driver.provider)

DEFAULT_TOOL_ERRORS = os.environ.get("TOOL_ERRORS") == "default"


def tell_the_model(ctx, error):
    """A failure_error_function that lets the model (and so the trace) see what failed."""
    return f"{type(error).__name__}: {error}"


def tool(**options):
    """`function_tool`, with the error policy described in the module docstring."""
    if not DEFAULT_TOOL_ERRORS:
        options.setdefault("failure_error_function", tell_the_model)
    return function_tool(**options)


def agent(fake, name, tools, instructions="You are an operations assistant."):
    model = OpenAIChatCompletionsModel(
        model="gpt-4o-mini", openai_client=AsyncOpenAI(base_url=fake.base_url, api_key="fake"))
    return Agent(name=name, instructions=instructions, model=model, tools=tools)


def run(agent_, input_):
    return asyncio.run(Runner.run(agent_, input_))


def call(call_id, name, **arguments):
    return {"tool_calls": [(call_id, name, arguments)]}


def say(text):
    return {"content": text}


# --- tools -------------------------------------------------------------------------------------

class AddressNotFoundError(Exception):
    pass


@tool()
def schedule_pickup(address: str) -> str:
    """Schedule a courier pickup at an address."""
    raise AddressNotFoundError(f"address not found: {address}")


def make_reserve_stock():
    attempts = {"n": 0}

    @tool()
    def reserve_stock(sku: str) -> str:
        """Reserve one unit of stock for a SKU."""
        attempts["n"] += 1
        if attempts["n"] <= 2:
            raise TimeoutError("inventory service timed out")
        return f"reserved 1 x {sku}"
    return reserve_stock


refunds_issued = []


def make_issue_refund(needs_approval):
    @tool(needs_approval=needs_approval)
    def issue_refund(order_id: str, amount: float) -> str:
        """Refund an order."""
        refunds_issued.append(order_id)
        return f"refunded {amount:.2f} on {order_id}"
    return issue_refund


@tool()
def vendor_lookup(vendor: str) -> str:
    """Look a vendor up in the vendor master (a cached connector)."""
    span = trace.get_current_span()          # the instrumentor's TOOL span
    span.set_attribute("connector.name", "vendor-master")
    span.set_attribute("connector.data.age_ms", 7_200_000)   # the cache is 2 h old
    return f'{{"vendor": "{vendor}", "status": "active", "payment_terms": "net-30"}}'


job_queue = []


@tool()
def enqueue_refund(order_id: str) -> str:
    """Queue a refund to be processed by the background worker."""
    with driver.tracer.start_as_current_span("enqueue refund", kind=SpanKind.PRODUCER) as producer:
        job_queue.append({"order_id": order_id, "context": producer.get_span_context()})
    return f"refund for {order_id} queued"


# --- scenarios ---------------------------------------------------------------------------------

@driver.scenario("non-transient error twice", expect=[
    Expect("repeat_failure", "high", "logistics-ops", calls={"oai_1_1", "oai_1_2"})])
def _():
    fake = FakeOpenAI(script(
        call("oai_1_1", "schedule_pickup", address="12 Nowhere St"),
        call("oai_1_2", "schedule_pickup", address="12 Nowhere St"),
        say("I could not schedule the pickup: the address was not found.")))
    try:
        run(agent(fake, "Logistics agent", [schedule_pickup]), "Schedule a pickup at 12 Nowhere St.")
    finally:
        fake.close()


@driver.scenario("two timeouts then success", expect=[])
def _():
    fake = FakeOpenAI(script(
        call("oai_2_1", "reserve_stock", sku="SKU-42"),
        call("oai_2_2", "reserve_stock", sku="SKU-42"),
        call("oai_2_3", "reserve_stock", sku="SKU-42"),
        say("Reserved one unit of SKU-42.")))
    try:
        run(agent(fake, "Inventory agent", [make_reserve_stock()]), "Reserve one SKU-42.")
    finally:
        fake.close()


@driver.scenario("approval-required tool without approval", expect=[
    Expect("approval_required", "critical", "finance-approvals", calls={"oai_3_1"})])
def _():
    fake = FakeOpenAI(script(
        call("oai_3_1", "issue_refund", order_id="A-1003", amount=25.0),
        say("Refunded 25.00 on A-1003.")))
    try:
        run(agent(fake, "Refund agent", [make_issue_refund(False)]), "Refund 25 on order A-1003.")
    finally:
        fake.close()


def approval_scenario(number, approve):
    """issue_refund with needs_approval=True: the run pauses with an interruption, a human
    decides on the RunState, and the run resumes from that state (a second Runner.run).

    APPROVAL_TRACE chooses how the two runs are traced (see the findings report):
      "workflow" (default) both runs inside one `agents.trace(...)`, as the SDK docs suggest for
                 a workflow of several runs: one trace, the resumed run included;
      "resume"   the SDK default: the resumed run reattaches to the first run's (ended) SDK trace
                 without a trace-start event, and the OpenInference processor drops ALL its spans;
      "new-trace" the resume gets its own SDK trace (RunConfig(trace_id=gen_trace_id())), which
                 is also what a resume in another process looks like: a new, unrelated OTel trace.
    """
    mode = os.environ.get("APPROVAL_TRACE", "workflow")
    fake = FakeOpenAI(script(
        call(f"oai_{number}_1", "issue_refund", order_id=f"A-100{number}", amount=40.0),
        say("Refunded 40.00." if approve else "The refund was not approved.")))
    try:
        refund_agent = agent(fake, "Refund agent", [make_issue_refund(True)])
        before = len(refunds_issued)

        async def flow():
            first = await Runner.run(refund_agent, f"Refund 40 on order A-100{number}.")
            assert first.interruptions, "expected the run to pause for approval"
            state = first.to_state()
            for item in first.interruptions:        # the human decides
                if approve:
                    state.approve(item)
                else:
                    state.reject(item)
            run_config = RunConfig(trace_id=gen_trace_id()) if mode == "new-trace" else None
            return await Runner.run(refund_agent, state, run_config=run_config)

        async def traced():
            if mode == "workflow":
                with agents_trace("Refund approval", group_id=f"conversation-{number}"):
                    return await flow()
            return await flow()

        asyncio.run(traced())
        ran = len(refunds_issued) > before
        assert ran == approve, f"tool ran={ran}, approved={approve}"
    finally:
        fake.close()


@driver.scenario("approved the framework's way", expect=[])
def _():
    approval_scenario(4, approve=True)


@driver.scenario("rejected the framework's way", expect=[])
def _():
    approval_scenario(5, approve=False)


@driver.scenario("stale connector read twice", expect=[
    Expect("stale_connector_data", "high", "procurement-data", calls={"oai_6_1", "oai_6_2"})])
def _():
    fake = FakeOpenAI(script(
        call("oai_6_1", "vendor_lookup", vendor="Acme Corp"),
        call("oai_6_2", "vendor_lookup", vendor="Acme Corp"),
        say("Acme Corp is active, net-30.")))
    try:
        run(agent(fake, "Procurement agent", [vendor_lookup]), "Check vendor Acme Corp twice.")
    finally:
        fake.close()


@driver.scenario("background job linked to its request", expect=[
    Expect("approval_required", "critical", "finance-approvals", calls={"oai_7_2"}, crosses_link=True)])
def _():
    fake = FakeOpenAI(script(
        call("oai_7_1", "enqueue_refund", order_id="A-1007"),
        say("Your refund is queued."),
        call("oai_7_2", "issue_refund", order_id="A-1007", amount=15.0),
        say("Refund done.")))
    try:
        job_queue.clear()
        run(agent(fake, "Front desk agent", [enqueue_refund]), "Please refund order A-1007.")
        assert len(job_queue) == 1
        job = job_queue.pop()
        # The worker: a new root, linked to the producer span that queued the job.
        with driver.tracer.start_as_current_span(
                "refund job", kind=SpanKind.CONSUMER,
                context=trace.set_span_in_context(trace.INVALID_SPAN),
                links=[Link(job["context"])]):
            run(agent(fake, "Refund worker", [make_issue_refund(False)]),
                f"Process the queued refund for {job['order_id']}.")
    finally:
        fake.close()


if __name__ == "__main__":
    driver.run()
