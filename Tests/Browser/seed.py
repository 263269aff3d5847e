"""Seeds a running Causeway with real OTLP/HTTP from the OpenTelemetry Python SDK: a refund job
linked to its request (approval_required, critical, with hostile attribute text), a lookup that
fails the same way twice (repeat_failure), a stale vendor read twice (stale_connector_data), and
a billing failure whose 1 s SLA breaches. Prints the trace ids as JSON.

usage: seed.py OTLP_HTTP_PORT
"""
import json
import sys

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import Link, SpanKind, Status, StatusCode

port = int(sys.argv[1])
HOSTILE_VALUE = "<img src=x onerror=window.__xss=1>"
HOSTILE_KEY = "<script>window.__xss=2</script>"
providers = []


def tracer_for(service):
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(endpoint=f"http://127.0.0.1:{port}/v1/traces")))
    providers.append(provider)
    return provider.get_tracer("causeway.browser.seed")


def root(tracer, name, **kwargs):
    return tracer.start_as_current_span(name, context=trace.set_span_in_context(trace.INVALID_SPAN), **kwargs)


def tool(tracer, name, call_id, error=None, attributes=None):
    with tracer.start_as_current_span(f"execute_tool {name}", kind=SpanKind.CLIENT, attributes={
            "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": name, "gen_ai.tool.call.id": call_id,
            **(attributes or {})}) as span:
        if error:
            span.set_attribute("error.type", error)
            span.set_status(Status(StatusCode.ERROR, f"{error}: the record does not exist"))
    return span


ids = {}
# 1. A checkout request queues a refund job (its own trace, linked); the job issues the refund
#    with no approval: approval_required, critical, owner finance-approvals.
storefront, worker = tracer_for("storefront"), tracer_for("refund-worker")
with root(storefront, "POST /checkout/refund", kind=SpanKind.SERVER) as request:
    with storefront.start_as_current_span("enqueue refund", kind=SpanKind.PRODUCER) as enqueue:
        pass
ids["request"] = format(request.get_span_context().trace_id, "032x")
with root(worker, "refund job", kind=SpanKind.CONSUMER, links=[Link(enqueue.get_span_context())]) as job:
    with worker.start_as_current_span("invoke_agent refunds"):
        tool(worker, "payments.issue_refund", "call_refund_1",
             attributes={"customer.note": HOSTILE_VALUE, HOSTILE_KEY: "attribute key from span data", "refund.amount": 120})
ids["job"] = format(job.get_span_context().trace_id, "032x")

# 2. The same lookup fails twice with a non-transient error: repeat_failure, owner ops-triage.
crm = tracer_for("crm-agent")
with root(crm, "invoke_agent account-merge") as run:
    tool(crm, "crm.lookup", "call_lookup_1", error="CustomerNotFound")
    tool(crm, "crm.lookup", "call_lookup_2", error="CustomerNotFound")
ids["crm"] = format(run.get_span_context().trace_id, "032x")

# 3. A vendor read twice, two hours old each time: stale_connector_data, owner data-stewards.
procurement = tracer_for("procurement")
with root(procurement, "reconcile invoice") as reconcile:
    for call in ("call_vendor_1", "call_vendor_2"):
        tool(procurement, "vendor.lookup", call, attributes={"connector.name": "vendor-master", "connector.data.age_ms": 7_200_000})
ids["procurement"] = format(reconcile.get_span_context().trace_id, "032x")

# 4. Billing fails twice; its owner's SLA is 1 s, so it is breached almost at once.
billing = tracer_for("legacy-billing")
with root(billing, "invoke_agent invoice-fix") as fix:
    tool(billing, "billing.post_invoice", "call_invoice_1", error="LedgerLocked")
    tool(billing, "billing.post_invoice", "call_invoice_2", error="LedgerLocked")
ids["billing"] = format(fix.get_span_context().trace_id, "032x")

for provider in providers:
    provider.shutdown()
print(json.dumps(ids))
