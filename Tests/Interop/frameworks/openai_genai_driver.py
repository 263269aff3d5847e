"""Interop driver: a hand-written agent loop on the plain `openai` client, traced by the official
OpenTelemetry GenAI instrumentation (opentelemetry-instrumentation-openai-v2) and, for what the
app itself does, opentelemetry-util-genai's TelemetryHandler.

    python openai_genai_driver.py OTLP_HTTP_PORT RESULTS_JSON [DUMP_DIR]

What emits what (nothing here is a hand-made copy of what a library emits):
- `chat {model}` CLIENT spans: OpenAIInstrumentor, one per chat.completions.create call.
- `invoke_agent {agent}` and `execute_tool {tool}` spans: the app, through the util's documented
  context managers `handler.invoke_local_agent(...)` and `handler.tool(...)` (the util's answer
  to "instrument your own agent loop"). A failed tool span gets status ERROR (description = the
  exception message) and `error.type` = the exception's qualified type name; the util records no
  `exception` event.
- Approvals: neither library has one. The app asks a human before a guarded tool and records the
  decision as a span event on its `invoke_agent` span (`approval.granted` / `approval.denied`, with
  `approval.approver`, `gen_ai.tool.name`, `gen_ai.tool.call.id`). A rejected call is not executed,
  so it gets no `execute_tool` span; the model is told it was rejected.
- Background jobs (7, 8): the tool code opens a PRODUCER span; a worker thread opens a CONSUMER
  span as a new root, joined by a span link (7) or only by `messaging.message.id` (8).

Call ids `gen_<scenario>_<n>` come from the fake model (FakeOpenAI).

Versions: opentelemetry-instrumentation-openai-v2 2.4b0 imports
`opentelemetry.util.genai.instruments` and calls `TelemetryHandler.start_inference`, which
opentelemetry-util-genai removed in 1.2b0; it needs util-genai <= 1.1b0 (see the findings report).
"""
import json
import os
import queue
import sys
import threading
import uuid

# The instrumentation's docs ask for this opt-in to get the latest GenAI conventions. (With
# util-genai >= 1.0 the instrumentation takes the new path whatever it says; see the report.)
os.environ.setdefault("OTEL_SEMCONV_STABILITY_OPT_IN", "gen_ai_latest_experimental")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import Driver, Expect, FakeOpenAI, script  # noqa: E402

from openai import OpenAI  # noqa: E402
from opentelemetry import trace  # noqa: E402
from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor  # noqa: E402
from opentelemetry.trace import Link, SpanKind  # noqa: E402
from opentelemetry.util.genai.handler import TelemetryHandler  # noqa: E402
from opentelemetry.util.genai.types import InputMessage, OutputMessage, Text  # noqa: E402

driver = Driver("openai-genai")
OpenAIInstrumentor().instrument(tracer_provider=driver.provider)
genai = TelemetryHandler(tracer_provider=driver.provider)

MODEL = "gpt-4o-mini"


# ---- the app's tools --------------------------------------------------------------------------

class AddressNotFoundError(Exception):
    """A business error: retrying cannot fix it."""


def schedule_pickup(address: str) -> dict:
    """Schedule a courier pickup at an address."""
    raise AddressNotFoundError(f"address not found: {address}")


def make_reserve_stock(failures: int):
    calls = {"n": 0}

    def reserve_stock(sku: str) -> dict:
        """Reserve one unit of a SKU in the inventory service."""
        calls["n"] += 1
        if calls["n"] <= failures:
            raise TimeoutError("inventory service timed out")
        return {"sku": sku, "reserved": 1}
    return reserve_stock


def issue_refund(order_id: str, amount: float) -> dict:
    """Refund an order (money leaves the company: needs a human's approval)."""
    return {"order_id": order_id, "refunded": amount, "status": "refunded"}


def vendor_lookup(vendor: str) -> dict:
    """Look a vendor up in the vendor master (a cached connector)."""
    span = trace.get_current_span()   # the execute_tool span the loop opened for this call
    span.set_attribute("connector.name", "vendor-master")
    span.set_attribute("connector.data.age_ms", 7_200_000)   # the cache is 2 h old
    return {"vendor": vendor, "iban": "DE00 0000 0000 0000 0000 00", "as_of": "2 hours ago"}


def make_enqueue_refund(jobs: queue.Queue, message_id: str = None):
    def enqueue_refund(order_id: str) -> dict:
        """Queue a refund for the background refund worker."""
        attributes = {"messaging.operation.type": "send", "messaging.destination.name": "refund-jobs"}
        if message_id:
            attributes["messaging.message.id"] = message_id
        with driver.tracer.start_as_current_span("enqueue refund", kind=SpanKind.PRODUCER,
                                                 attributes=attributes) as producer:
            jobs.put({"order_id": order_id, "amount": 42.5, "message_id": message_id,
                      "producer": producer.get_span_context()})
        return {"order_id": order_id, "status": "queued"}
    return enqueue_refund


SCHEMAS = {
    "schedule_pickup": {"address": {"type": "string"}},
    "reserve_stock": {"sku": {"type": "string"}},
    "issue_refund": {"order_id": {"type": "string"}, "amount": {"type": "number"}},
    "vendor_lookup": {"vendor": {"type": "string"}},
    "enqueue_refund": {"order_id": {"type": "string"}},
}


# ---- the app's agent loop ---------------------------------------------------------------------

class HumanApproval:
    """The app's approval gate: `decide(tool, args, call_id)` returns (granted, approver)."""

    def __init__(self, tools, decide):
        self.tools, self.decide = set(tools), decide


class Agent:
    """A minimal tool-calling loop over Chat Completions, traced with util-genai's handler."""

    def __init__(self, name, fake, tools, approval=None):
        self.name, self.approval = name, approval
        self.tools = {tool.__name__: tool for tool in tools}
        self.client = OpenAI(base_url=fake.base_url, api_key="fake", max_retries=0)
        self.schemas = [{"type": "function", "function": {
            "name": tool.__name__, "description": tool.__doc__,
            "parameters": {"type": "object", "properties": SCHEMAS[tool.__name__],
                           "required": list(SCHEMAS[tool.__name__])}}} for tool in tools]

    def run(self, prompt, conversation_id):
        with genai.invoke_local_agent(agent_name=self.name, request_model=MODEL) as agent:
            agent.conversation_id = conversation_id
            if genai.should_capture_content():
                agent.input_messages = [InputMessage(role="user", parts=[Text(content=prompt)])]
            messages = [{"role": "system", "content": "You are an operations assistant."},
                        {"role": "user", "content": prompt}]
            for _ in range(8):
                response = self.client.chat.completions.create(model=MODEL, messages=messages, tools=self.schemas)
                message = response.choices[0].message
                messages.append(message.model_dump(exclude_none=True))
                if not message.tool_calls:
                    if genai.should_capture_content():
                        agent.output_messages = [OutputMessage(role="assistant", parts=[Text(content=message.content)],
                                                               finish_reason="stop")]
                    return message.content
                for call in message.tool_calls:
                    messages.append({"role": "tool", "tool_call_id": call.id, "content": self.call_tool(call)})
            raise RuntimeError("the agent did not finish in 8 turns")

    def call_tool(self, call):
        """Runs one tool call; returns what the model is told (a result or an error)."""
        name, args = call.function.name, json.loads(call.function.arguments or "{}")
        if self.approval and name in self.approval.tools:
            granted, approver = self.approval.decide(name, args, call.id)
            # Recorded on the current span: the invoke_agent span (no tool span is open yet).
            trace.get_current_span().add_event("approval.granted" if granted else "approval.denied", {
                "approval.approver": approver, "gen_ai.tool.name": name, "gen_ai.tool.call.id": call.id})
            if not granted:
                return f"Not executed: {approver} rejected {name}."
        try:
            with genai.tool(name, tool_call_id=call.id, tool_type="function",
                            tool_description=self.tools[name].__doc__) as invocation:
                if genai.should_capture_content():
                    invocation.arguments = args
                result = self.tools[name](**args)
                if genai.should_capture_content():
                    invocation.tool_result = result
            return json.dumps(result)
        except Exception as error:   # the util failed the span; the model hears about it
            return f"{type(error).__name__}: {error}"


def calls(prefix, tool, *arguments):
    """One model turn per call: [(call_id, tool, args)]."""
    return [{"tool_calls": [(f"{prefix}_{n}", tool, args)]} for n, args in enumerate(arguments, 1)]


def run_agent(turns, name, tools, prompt, conversation_id, approval=None):
    fake = FakeOpenAI(script(*turns))
    try:
        return Agent(name, fake, tools, approval).run(prompt, conversation_id)
    finally:
        fake.close()


# ---- scenarios ----------------------------------------------------------------------------------

@driver.scenario("non-transient error twice", expect=[
    Expect("repeat_failure", "high", "logistics-ops", calls={"gen_1_1", "gen_1_2"})])
def _():
    address = {"address": "12 Nowhere St"}
    run_agent(calls("gen_1", "schedule_pickup", address, address) + [{"content": "I could not schedule the pickup."}],
              "logistics-agent", [schedule_pickup], "Schedule a pickup at 12 Nowhere St.", "conv-gen-1")


@driver.scenario("two timeouts then success", expect=[])
def _():
    sku = {"sku": "SKU-42"}
    run_agent(calls("gen_2", "reserve_stock", sku, sku, sku) + [{"content": "Reserved one SKU-42."}],
              "inventory-agent", [make_reserve_stock(failures=2)], "Reserve one SKU-42.", "conv-gen-2")


REFUND = {"order_id": "A-1001", "amount": 42.5}


@driver.scenario("approval-required tool without approval", expect=[
    Expect("approval_required", "critical", "finance-approvals", calls={"gen_3_1"})])
def _():
    run_agent(calls("gen_3", "issue_refund", REFUND) + [{"content": "Refunded 42.50 on A-1001."}],
              "refund-agent", [issue_refund], "Refund order A-1001 (42.50).", "conv-gen-3")


@driver.scenario("approved the framework's way", expect=[])
def _():
    gate = HumanApproval(["issue_refund"], lambda tool, args, call_id: (True, "alice@example.com"))
    run_agent(calls("gen_4", "issue_refund", REFUND) + [{"content": "Refunded 42.50 on A-1001."}],
              "refund-agent", [issue_refund], "Refund order A-1001 (42.50).", "conv-gen-4", approval=gate)


@driver.scenario("rejected the framework's way", expect=[])
def _():
    gate = HumanApproval(["issue_refund"], lambda tool, args, call_id: (False, "alice@example.com"))
    run_agent(calls("gen_5", "issue_refund", REFUND) + [{"content": "The refund was rejected by a reviewer."}],
              "refund-agent", [issue_refund], "Refund order A-1001 (42.50).", "conv-gen-5", approval=gate)


@driver.scenario("stale connector read twice", expect=[
    Expect("stale_connector_data", "high", "procurement-data", calls={"gen_6_1", "gen_6_2"})])
def _():
    run_agent(calls("gen_6", "vendor_lookup", {"vendor": "ACME GmbH"}, {"vendor": "Globex Ltd"})
              + [{"content": "Both vendors found."}],
              "procurement-agent", [vendor_lookup], "Look up ACME GmbH and Globex Ltd.", "conv-gen-6")


def background_refund(prefix, link):
    """An intake agent queues a refund; a worker thread processes the job in a NEW trace (its root
    is the CONSUMER span) with a second agent that issues the refund without approval. The job is
    tied to its request by a span link (link=True) or only by messaging.message.id."""
    jobs = queue.Queue()
    message_id = None if link else f"msg-{uuid.uuid4().hex[:16]}"
    run_agent(calls(prefix, "enqueue_refund", {"order_id": "A-2002"}) + [{"content": "Your refund is queued."}],
              "refund-intake-agent", [make_enqueue_refund(jobs, message_id)], "Refund order A-2002.",
              f"conv-{prefix.replace('_', '-')}")

    failures = []

    def worker():
        try:
            process(jobs.get(timeout=5))
        except Exception as error:  # re-raised in the scenario's thread below
            failures.append(error)

    def process(job):
        attributes = {"messaging.operation.type": "process", "messaging.destination.name": "refund-jobs"}
        if job["message_id"]:
            attributes["messaging.message.id"] = job["message_id"]
        with driver.tracer.start_as_current_span(
                "refund job", kind=SpanKind.CONSUMER, context=trace.set_span_in_context(trace.INVALID_SPAN),
                links=[Link(job["producer"])] if link else [], attributes=attributes):
            turn = {"tool_calls": [(f"{prefix}_2", "issue_refund", {"order_id": job["order_id"], "amount": job["amount"]})]}
            run_agent([turn, {"content": "Refund issued."}], "refund-worker", [issue_refund],
                      f"Process the refund job for order {job['order_id']}.", f"job-{prefix.replace('_', '-')}")

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    if failures:
        raise failures[0]


@driver.scenario("background job linked to its request", expect=[
    Expect("approval_required", "critical", "finance-approvals", calls={"gen_7_2"}, crosses_link=True)])
def _():
    background_refund("gen_7", link=True)


@driver.scenario("background job without links, joined by message id", expect=[
    Expect("approval_required", "critical", "finance-approvals", calls={"gen_8_2"}, crosses_link=False)])
def _():
    background_refund("gen_8", link=False)


driver.run()
