"""LangChain 1.x (`create_agent` on LangGraph), traced by openinference-instrumentation-langchain.

The agent's model is `ChatOpenAI` pointed at the harness's scripted fake OpenAI server, so every
tool call id is ours (`lc_<scenario>_<n>`). Nothing here makes spans for what LangChain does: the
OpenInference tracer does (LangGraph root, `model`/`tools` node chains, ChatOpenAI LLM spans, TOOL
spans). Our tool code only does what a user would: set attributes on the current tool span, and
open a producer/consumer pair for a background job.

Two things a LangChain user has to know, both visible below:
- `create_agent`'s ToolNode does NOT hand tool exceptions to the model by default (it re-raises
  everything but argument errors, ending the run). A tool that wants the model to see its failure
  raises a `ToolException` with `handle_tool_error=True` (scenario 1: the TOOL span ends OK and its
  `output.value` is a ToolMessage with `"status": "error"`), or the agent uses the built-in
  `ToolErrorMiddleware` (scenario 2: the TOOL span ends ERROR with the exception event, and the
  model still gets an error ToolMessage).
- The OpenInference tracer does not make its spans current in the OTel context, so
  `opentelemetry.trace.get_current_span()` inside a tool is not the tool's span. The instrumentation's
  own `openinference.instrumentation.langchain.get_current_span()` is.

Run: python langchain_driver.py OTLP_HTTP_PORT RESULTS_JSON [DUMP_DIR]
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import Driver, Expect, FakeOpenAI, script  # noqa: E402

from langchain.agents import create_agent  # noqa: E402
from langchain.agents.middleware import HumanInTheLoopMiddleware, ToolErrorMiddleware  # noqa: E402
from langchain_core.tools import ToolException, tool  # noqa: E402
from langchain_openai import ChatOpenAI  # noqa: E402
from langgraph.checkpoint.memory import InMemorySaver  # noqa: E402
from langgraph.types import Command  # noqa: E402
from openinference.instrumentation.langchain import LangChainInstrumentor, get_current_span  # noqa: E402
from opentelemetry import trace  # noqa: E402
from opentelemetry.trace import Link, SpanKind  # noqa: E402

driver = Driver("langchain")
LangChainInstrumentor().instrument(tracer_provider=driver.provider)


def run_agent(turns, tools, ask, middleware=(), thread_id=None, resume=None):
    """One agent conversation against a fresh fake server scripted with `turns`.

    With `resume`, the first invoke must pause on an interrupt, and the conversation is resumed
    with `Command(resume=resume)` on the same thread (a second invoke: a new trace).
    Returns (invocation results, the fake server's requests)."""
    fake = FakeOpenAI(script(*turns))
    try:
        model = ChatOpenAI(base_url=fake.base_url, api_key="fake", model="gpt-fake", max_retries=0)
        agent = create_agent(model, tools=tools, middleware=list(middleware),
                             checkpointer=InMemorySaver() if thread_id else None)
        config = {"configurable": {"thread_id": thread_id}} if thread_id else None
        results = [agent.invoke({"messages": [{"role": "user", "content": ask}]}, config)]
        if resume is not None:
            assert "__interrupt__" in results[0], "the approval gate did not pause the run"
            results.append(agent.invoke(Command(resume=resume), config))
        return results, fake.requests
    finally:
        fake.close()


def tool_messages(result):
    return [m for m in result["messages"] if m.type == "tool"]


def call(call_id, name, **arguments):
    return {"tool_calls": [(call_id, name, arguments)]}


# ---- tools -------------------------------------------------------------------------------------

class AddressNotFoundError(ToolException):
    """A non-transient failure. A ToolException, so that `handle_tool_error` hands it to the model."""


@tool
def schedule_pickup(address: str) -> str:
    """Schedule a courier pickup at an address."""
    raise AddressNotFoundError(f"address not found: {address}")


schedule_pickup.handle_tool_error = True   # the tool itself turns its ToolException into an error ToolMessage

stock_attempts = []


@tool
def reserve_stock(sku: str) -> str:
    """Reserve one unit of a SKU."""
    stock_attempts.append(sku)
    if len(stock_attempts) < 3:
        raise TimeoutError("inventory service timed out")
    return f"reserved 1 x {sku}"


refunds = []


@tool
def issue_refund(order_id: str, amount: float) -> str:
    """Refund an order."""
    refunds.append((order_id, amount))
    return f"refunded {amount} on {order_id}"


@tool
def vendor_lookup(vendor: str) -> str:
    """Look a vendor up in the vendor master."""
    span = get_current_span()   # OpenInference's: the TOOL span of this run
    span.set_attribute("connector.name", "vendor-master")
    span.set_attribute("connector.data.age_ms", 7_200_000)   # 2 h old; vendor-master allows 1 h
    return f"{vendor}: net-30, EUR"


job_queue = []


@tool
def enqueue_refund(order_id: str) -> str:
    """Queue a refund for the background worker."""
    # Parent the producer span on the tool span explicitly: the OpenInference tracer does not
    # make its spans current, so a plain start_as_current_span would open a new, unrelated trace.
    parent = trace.set_span_in_context(get_current_span())
    with driver.tracer.start_as_current_span("enqueue refund", context=parent, kind=SpanKind.PRODUCER) as producer:
        producer.set_attribute("messaging.operation.type", "send")
        job_queue.append((order_id, producer.get_span_context()))
    return f"refund for {order_id} queued"


def handle_as_error(exc, request):
    """ToolErrorMiddleware's handler: show the model every tool exception as an error ToolMessage."""
    return f"{type(exc).__name__}: {exc}"


# ---- scenarios -----------------------------------------------------------------------------------

@driver.scenario("non-transient error twice", expect=[
    Expect("repeat_failure", "high", "logistics-ops", calls={"lc_1_1", "lc_1_2"})])
def _():
    (result,), _ = run_agent(
        [call("lc_1_1", "schedule_pickup", address="12 Nowhere St"),
         call("lc_1_2", "schedule_pickup", address="12 Nowhere St"),
         {"content": "I could not schedule the pickup: the address was not found."}],
        [schedule_pickup], "Schedule a pickup at 12 Nowhere St.")
    assert [m.status for m in tool_messages(result)] == ["error", "error"]


@driver.scenario("two timeouts then success", expect=[])
def _():
    stock_attempts.clear()
    (result,), _ = run_agent(
        [call("lc_2_1", "reserve_stock", sku="SKU-42"),
         call("lc_2_2", "reserve_stock", sku="SKU-42"),
         call("lc_2_3", "reserve_stock", sku="SKU-42"),
         {"content": "Reserved one SKU-42."}],
        [reserve_stock], "Reserve one SKU-42.", middleware=[ToolErrorMiddleware(handle_as_error)])
    assert [m.status for m in tool_messages(result)] == ["error", "error", "success"]


@driver.scenario("approval-required tool without approval", expect=[
    Expect("approval_required", "critical", "finance-approvals", calls={"lc_3_1"})])
def _():
    refunds.clear()
    run_agent([call("lc_3_1", "issue_refund", order_id="A-1003", amount=42.5),
               {"content": "Refunded 42.50 on A-1003."}],
              [issue_refund], "Refund 42.50 on order A-1003.")
    assert refunds == [("A-1003", 42.5)]


@driver.scenario("approved the framework's way", expect=[])
def _():
    refunds.clear()
    run_agent([call("lc_4_1", "issue_refund", order_id="A-1004", amount=42.5),
               {"content": "Refunded 42.50 on A-1004."}],
              [issue_refund], "Refund 42.50 on order A-1004.",
              middleware=[HumanInTheLoopMiddleware(interrupt_on={"issue_refund": True})],
              thread_id="lc-4-refund-thread", resume={"decisions": [{"type": "approve"}]})
    assert refunds == [("A-1004", 42.5)]


@driver.scenario("rejected the framework's way", expect=[])
def _():
    refunds.clear()
    (_, resumed), _ = run_agent(
        [call("lc_5_1", "issue_refund", order_id="A-1005", amount=42.5),
         {"content": "The refund on A-1005 was not approved."}],
        [issue_refund], "Refund 42.50 on order A-1005.",
        middleware=[HumanInTheLoopMiddleware(interrupt_on={"issue_refund": True})],
        thread_id="lc-5-refund-thread",
        resume={"decisions": [{"type": "reject", "message": "Refund not authorised for this order."}]})
    assert refunds == []
    assert [m.status for m in tool_messages(resumed)] == ["error"]


@driver.scenario("stale connector read twice", expect=[
    Expect("stale_connector_data", "high", "procurement-data", calls={"lc_6_1", "lc_6_2"})])
def _():
    run_agent([call("lc_6_1", "vendor_lookup", vendor="Acme GmbH"),
               call("lc_6_2", "vendor_lookup", vendor="Acme GmbH"),
               {"content": "Acme GmbH: net-30, EUR."}],
              [vendor_lookup], "What are Acme GmbH's payment terms?")


@driver.scenario("background job linked to its request", expect=[
    Expect("approval_required", "critical", "finance-approvals", calls={"lc_7_2"}, crosses_link=True)])
def _():
    job_queue.clear()
    refunds.clear()
    run_agent([call("lc_7_1", "enqueue_refund", order_id="A-1007"),
               {"content": "Your refund is queued."}],
              [enqueue_refund], "Please refund order A-1007.")
    (order_id, producer_context), = job_queue
    # The worker: a new root span linked to the request's producer span, and inside it a second
    # agent run that refunds without any approval.
    with driver.tracer.start_as_current_span(
            "refund job", context=trace.set_span_in_context(trace.INVALID_SPAN),
            kind=SpanKind.CONSUMER, links=[Link(producer_context)]) as job:
        job.set_attribute("messaging.operation.type", "process")
        run_agent([call("lc_7_2", "issue_refund", order_id=order_id, amount=42.5),
                   {"content": f"Refunded 42.50 on {order_id}."}],
                  [issue_refund], f"Process the queued refund for {order_id} (42.50).")
    assert refunds == [("A-1007", 42.5)]


if __name__ == "__main__":
    driver.run()
