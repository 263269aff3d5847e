"""pydantic-ai (pydantic-ai-slim 2.68.0) driven for real, with its own OpenTelemetry instrumentation.

    .build/fw-venv/bin/python Tests/Interop/frameworks/pydantic_ai_driver.py OTLP_HTTP_PORT RESULTS_JSON [DUMP_DIR]

The model is pydantic-ai's own `FunctionModel`, scripted turn by turn, so the tool call ids are ours
(`pyd_<scenario>_<n>`). Everything else is stock pydantic-ai: `Agent`, `@agent.tool_plain` / `@agent.tool`,
`ModelRetry` / `ToolFailed` for tool errors, deferred tools (`requires_approval=True`, `ApprovalRequired`,
`DeferredToolRequests` / `DeferredToolResults`) for human approval, and `Agent.instrument_all()` with the
newest instrumentation format this version offers (6) on the global tracer provider the harness installs.

How pydantic-ai users report tool errors (and why the tools below convert exceptions):
a tool that lets an arbitrary exception escape (a raw `TimeoutError`, `AddressNotFoundError`) ends the
whole run on the first call: the model never sees the error and never calls again. The documented ways
to let the model see a failure are `ModelRetry` (retryable, counts against the tool's `retries`) and
`ToolFailed` (terminal: "a missing resource ... a definitive upstream error"). So scenario 1 converts
the non-transient `AddressNotFoundError` into `ToolFailed`, scenario 2 converts the transient
`TimeoutError` into `ModelRetry`, each `from` the original error.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from opentelemetry import trace  # noqa: E402
from opentelemetry.trace import Link, SpanKind  # noqa: E402

from harness import Driver, Expect  # noqa: E402

# The Driver installs the global TracerProvider; the instrumentation settings read it when built.
driver = Driver("pydantic-ai")

from pydantic_ai import (  # noqa: E402
    Agent,
    ApprovalRequired,
    DeferredToolRequests,
    DeferredToolResults,
    ModelRetry,
    RunContext,
    ToolDenied,
    ToolFailed,
)
from pydantic_ai.messages import ModelResponse, TextPart, ToolCallPart  # noqa: E402
from pydantic_ai.models.function import FunctionModel  # noqa: E402
from pydantic_ai.models.instrumented import InstrumentationSettings  # noqa: E402

Agent.instrument_all(InstrumentationSettings(version=6))


def scripted(*turns):
    """A FunctionModel answering each model request with the next scripted turn: a list of
    (tool_name, args, call_id) tool calls, or a string of final text."""
    queue = list(turns)

    def respond(_messages, _info):
        turn = queue.pop(0)
        if isinstance(turn, str):
            return ModelResponse(parts=[TextPart(turn)])
        return ModelResponse(parts=[ToolCallPart(name, args, tool_call_id=call_id) for name, args, call_id in turn])

    return FunctionModel(respond, model_name="scripted")


# --- stand-ins for the services the tools talk to -------------------------------------------------

class AddressNotFoundError(Exception):
    """The pickup service does not know the address: retrying cannot fix it."""


class FlakyInventory:
    """The inventory service times out `failures` times, then answers."""

    def __init__(self, failures):
        self.failures = failures

    def reserve(self, sku):
        if self.failures > 0:
            self.failures -= 1
            raise TimeoutError("inventory service timed out")
        return {"sku": sku, "reserved": 1}


# --- 1 ----------------------------------------------------------------------------------------------

@driver.scenario("non-transient error twice", expect=[
    Expect("repeat_failure", "high", "logistics-ops", calls={"pyd_1_1", "pyd_1_2"})])
def _():
    agent = Agent(scripted(
        [("schedule_pickup", {"address": "12 Nowhere St"}, "pyd_1_1")],
        [("schedule_pickup", {"address": "12 Nowhere St"}, "pyd_1_2")],
        "I could not schedule the pickup: the address is unknown to the carrier.",
    ), name="logistics_agent")

    @agent.tool_plain
    def schedule_pickup(address: str) -> str:
        try:
            raise AddressNotFoundError(f"address not found: {address}")  # what the carrier API answers
        except AddressNotFoundError as error:
            raise ToolFailed(str(error)) from error   # terminal: tell the model, don't ask it to retry

    agent.run_sync("Schedule a pickup at 12 Nowhere St.")


# --- 2 ----------------------------------------------------------------------------------------------

@driver.scenario("two timeouts then success", expect=[])
def _():
    inventory = FlakyInventory(failures=2)
    agent = Agent(scripted(
        [("reserve_stock", {"sku": "SKU-42"}, "pyd_2_1")],
        [("reserve_stock", {"sku": "SKU-42"}, "pyd_2_2")],
        [("reserve_stock", {"sku": "SKU-42"}, "pyd_2_3")],
        "Reserved one SKU-42.",
    ), name="inventory_agent")

    @agent.tool_plain(retries=3)
    def reserve_stock(sku: str) -> dict:
        try:
            return inventory.reserve(sku)
        except TimeoutError as error:
            raise ModelRetry(str(error)) from error   # transient: let the model call again

    result = agent.run_sync("Reserve one SKU-42.")
    assert result.output == "Reserved one SKU-42."


# --- 3 ----------------------------------------------------------------------------------------------

@driver.scenario("approval-required tool without approval", expect=[
    Expect("approval_required", "critical", "finance-approvals", calls={"pyd_3_1"})])
def _():
    agent = Agent(scripted(
        [("issue_refund", {"order_id": "ORD-3", "amount": 120.0}, "pyd_3_1")],
        "Refunded 120.00 on ORD-3.",
    ), name="refund_agent")

    @agent.tool_plain
    def issue_refund(order_id: str, amount: float) -> str:
        return f"refunded {amount:.2f} on {order_id}"

    agent.run_sync("Refund 120 on ORD-3.")


# --- 4 ----------------------------------------------------------------------------------------------
# Declarative approval: `requires_approval=True`. Run 1 stops with DeferredToolRequests (the tool does
# not run and gets no span); the human approves; run 2 (a new trace, same conversation) runs the call.

@driver.scenario("approved the framework's way", expect=[])
def _():
    ran = []
    agent = Agent(scripted(
        [("issue_refund", {"order_id": "ORD-4", "amount": 80.0}, "pyd_4_1")],
        "Refunded 80.00 on ORD-4 after approval.",
    ), name="refund_agent", output_type=[str, DeferredToolRequests])

    @agent.tool_plain(requires_approval=True)
    def issue_refund(order_id: str, amount: float) -> str:
        ran.append(order_id)
        return f"refunded {amount:.2f} on {order_id}"

    first = agent.run_sync("Refund 80 on ORD-4.")
    assert isinstance(first.output, DeferredToolRequests)
    assert [call.tool_call_id for call in first.output.approvals] == ["pyd_4_1"] and not ran
    decisions = DeferredToolResults(approvals={call.tool_call_id: True for call in first.output.approvals})
    second = agent.run_sync(message_history=first.all_messages(), deferred_tool_results=decisions)
    assert ran == ["ORD-4"] and isinstance(second.output, str)


# --- 5 ----------------------------------------------------------------------------------------------
# Conditional approval: the tool itself raises ApprovalRequired until the call is approved (the other
# documented form; its deferral shows on the tool span). The human rejects; the tool never runs.

@driver.scenario("rejected the framework's way", expect=[])
def _():
    ran = []
    agent = Agent(scripted(
        [("issue_refund", {"order_id": "ORD-5", "amount": 950.0}, "pyd_5_1")],
        "The refund on ORD-5 was rejected by finance; nothing was refunded.",
    ), name="refund_agent", output_type=[str, DeferredToolRequests])

    @agent.tool
    def issue_refund(ctx: RunContext, order_id: str, amount: float) -> str:
        if not ctx.tool_call_approved:
            raise ApprovalRequired(metadata={"reason": "refunds need finance sign-off"})
        ran.append(order_id)
        return f"refunded {amount:.2f} on {order_id}"

    first = agent.run_sync("Refund 950 on ORD-5.")
    assert isinstance(first.output, DeferredToolRequests)
    assert [call.tool_call_id for call in first.output.approvals] == ["pyd_5_1"]
    decisions = DeferredToolResults(approvals={
        call.tool_call_id: ToolDenied("Refund rejected by finance: amount over the 500 limit.")
        for call in first.output.approvals})
    second = agent.run_sync(message_history=first.all_messages(), deferred_tool_results=decisions)
    assert not ran and isinstance(second.output, str)


# --- 6 ----------------------------------------------------------------------------------------------

@driver.scenario("stale connector read twice", expect=[
    Expect("stale_connector_data", "high", "procurement-data", calls={"pyd_6_1", "pyd_6_2"})])
def _():
    agent = Agent(scripted(
        [("vendor_lookup", {"vendor": "ACME"}, "pyd_6_1")],
        [("vendor_lookup", {"vendor": "Globex"}, "pyd_6_2")],
        "ACME and Globex are both active vendors.",
    ), name="procurement_agent")

    @agent.tool_plain
    def vendor_lookup(vendor: str) -> dict:
        span = trace.get_current_span()             # pydantic-ai's `execute_tool vendor_lookup` span
        span.set_attribute("connector.name", "vendor-master")
        span.set_attribute("connector.data.age_ms", 7_200_000)   # the cache is 2 h old
        return {"vendor": vendor, "status": "active"}

    agent.run_sync("Are ACME and Globex active vendors?")


# --- 7 ----------------------------------------------------------------------------------------------

@driver.scenario("background job linked to its request", expect=[
    Expect("approval_required", "critical", "finance-approvals", calls={"pyd_7_2"}, crosses_link=True)])
def _():
    queue = []
    front = Agent(scripted(
        [("enqueue_refund", {"order_id": "ORD-7"}, "pyd_7_1")],
        "Your refund for ORD-7 is queued.",
    ), name="support_agent")

    @front.tool_plain
    def enqueue_refund(order_id: str) -> str:
        with driver.tracer.start_as_current_span("enqueue refund", kind=SpanKind.PRODUCER) as producer:
            queue.append({"order_id": order_id, "producer": producer.get_span_context()})
        return f"refund for {order_id} queued"

    front.run_sync("Please refund ORD-7.")

    worker = Agent(scripted(
        [("issue_refund", {"order_id": "ORD-7", "amount": 45.0}, "pyd_7_2")],
        "Refunded 45.00 on ORD-7.",
    ), name="refund_worker")

    @worker.tool_plain
    def issue_refund(order_id: str, amount: float) -> str:
        return f"refunded {amount:.2f} on {order_id}"

    for job in queue:   # the worker: a new root trace, linked to the request that enqueued it
        with driver.tracer.start_as_current_span(
                "refund job", kind=SpanKind.CONSUMER,
                context=trace.set_span_in_context(trace.INVALID_SPAN),
                links=[Link(job["producer"])]):
            worker.run_sync(f"Process the queued refund for {job['order_id']}.")


driver.run()
