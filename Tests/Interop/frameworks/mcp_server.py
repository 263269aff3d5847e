"""The MCP server side of the `mcp` interop driver (mcp_driver.py launches it over stdio).

A plain `MCPServer` (mcp 2.3.0) exposing the standard tools. The SDK's own OpenTelemetry middleware
(on by default) makes one SERVER span per inbound request and parents it on the client's span via
the W3C `traceparent` the client put in `params._meta`. This process exports its own spans to the
same OTLP endpoint as the driver (service.name fw-mcp-server); environment:

  CAUSEWAY_OTLP_PORT       OTLP/HTTP port on 127.0.0.1
  MCP_SERVER_DUMP          optional file: every span this process ended, as JSON, written at exit
  MCP_REFUND_APPROVAL      "elicit": issue_refund asks the human (MCP elicitation) before refunding
"""
import json
import os
import sys

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanProcessor
from opentelemetry.propagate import inject
from pydantic import BaseModel

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import span_as_json  # noqa: E402  (the same readable dump format as the driver's)


class _Keep(SpanProcessor):
    def __init__(self):
        self.spans = []

    def on_end(self, span):
        self.spans.append(span)


# Tracing first: the SDK's tracer ("mcp-python-sdk") is a proxy that resolves to the global provider.
_keep = _Keep()
provider = TracerProvider(resource=Resource.create({"service.name": "fw-mcp-server"}))
provider.add_span_processor(_keep)
provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(
    endpoint=f"http://127.0.0.1:{os.environ.get('CAUSEWAY_OTLP_PORT', '9')}/v1/traces", timeout=2)))
trace.set_tracer_provider(provider)
tracer = provider.get_tracer("fw-mcp-server.tools")

from mcp.server.mcpserver import Context, MCPServer  # noqa: E402

mcp = MCPServer("causeway-interop-tools")


class AddressNotFoundError(Exception):
    """A business error: retrying the same address cannot help."""


@mcp.tool()
def schedule_pickup(address: str) -> str:
    """Schedule a courier pickup at an address."""
    raise AddressNotFoundError(f"address not found: {address}")


_stock_attempts = {}


@mcp.tool()
def reserve_stock(sku: str) -> str:
    """Reserve one unit of a SKU (the inventory service times out twice, then answers)."""
    _stock_attempts[sku] = _stock_attempts.get(sku, 0) + 1
    if _stock_attempts[sku] <= 2:
        raise TimeoutError("inventory service timed out")
    return f"reserved 1 x {sku}"


class RefundApproval(BaseModel):
    approve: bool
    approver: str = ""


@mcp.tool()
async def issue_refund(order_id: str, amount: float, ctx: Context) -> str:
    """Refund an order. With MCP_REFUND_APPROVAL=elicit the human confirms first (MCP elicitation)."""
    if os.environ.get("MCP_REFUND_APPROVAL") == "elicit":
        answer = await ctx.elicit(f"Approve a refund of {amount:.2f} on order {order_id}?", RefundApproval)
        if answer.action != "accept" or not answer.data.approve:
            return f"refund of {amount:.2f} on order {order_id} NOT issued: {answer.action}"
    return f"refunded {amount:.2f} on order {order_id}"


@mcp.tool()
def vendor_lookup(vendor: str) -> dict:
    """Read a vendor record from the vendor master (a cache two hours old)."""
    span = trace.get_current_span()          # the SDK's SERVER span "tools/call vendor_lookup"
    span.set_attribute("connector.name", "vendor-master")
    span.set_attribute("connector.data.age_ms", 7_200_000)
    return {"vendor": vendor, "status": "active", "payment_terms": "net 30"}


@mcp.tool()
def enqueue_refund(order_id: str) -> dict:
    """Put a refund job on the queue; the message carries the producer's trace context."""
    with tracer.start_as_current_span("enqueue refund", kind=trace.SpanKind.PRODUCER,
                                      attributes={"messaging.operation.type": "send",
                                                  "messaging.destination.name": "refund-jobs"}):
        headers = {}
        inject(headers)                      # traceparent of the PRODUCER span
    return {"queued": True, "job": {"order_id": order_id, "headers": headers}}


if __name__ == "__main__":
    try:
        mcp.run()                            # stdio; returns when the client closes stdin
    finally:                                 # the client allows 2 s before SIGTERM: dump, then export
        dump = os.environ.get("MCP_SERVER_DUMP")
        if dump:
            with open(dump, "w") as out:
                json.dump([span_as_json(s) for s in _keep.spans], out, indent=1, default=str)
        provider.shutdown()
