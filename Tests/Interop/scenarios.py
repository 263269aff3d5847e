"""Interop: agent workflows exported by the official OpenTelemetry Python SDK open exactly the
exceptions they should in a running Causeway (configured by Tests/Interop/causeway.yaml).

usage: scenarios.py {http|grpc} OTLP_PORT API_PORT
"""
import json
import sys
import time
import urllib.request

from checks import Checks

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import Link, SpanKind, Status, StatusCode

mode, otlp_port, api_port = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
if mode == "grpc":
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
    make_exporter = lambda: OTLPSpanExporter(endpoint=f"127.0.0.1:{otlp_port}", insecure=True)
else:
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    make_exporter = lambda: OTLPSpanExporter(endpoint=f"http://127.0.0.1:{otlp_port}/v1/traces")

providers = []


def tracer_for(service):
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(BatchSpanProcessor(make_exporter()))
    providers.append(provider)
    return provider.get_tracer("causeway.interop.scenarios")


def tool_span(tracer, tool, call_id, error=None, attributes=None, **kwargs):
    span = tracer.start_span(f"execute_tool {tool}", kind=SpanKind.CLIENT, attributes={
        "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": tool, "gen_ai.tool.call.id": call_id, **(attributes or {})}, **kwargs)
    if error:
        span.set_attribute("error.type", error)
        span.set_status(Status(StatusCode.ERROR, error))
    span.end()
    return span


def new_root(tracer, name, kind=SpanKind.SERVER, **kwargs):
    return tracer.start_span(name, kind=kind, context=trace.set_span_in_context(trace.INVALID_SPAN), **kwargs)


scenarios = {}   # name -> (trace ids, expected [(class, owner, severity)])


def hex_trace(span):
    return format(span.get_span_context().trace_id, "032x")


# 1. A vendor lookup returns stale data twice.
procurement = tracer_for(f"procurement-{mode}")
root = new_root(procurement, "reconcile invoice")
with trace.use_span(root, end_on_exit=True):
    for call in ("call_v1", "call_v2"):
        tool_span(procurement, "vendor.lookup", call, attributes={"connector.name": "vendor-master", "connector.data.age_ms": 7_200_000})
scenarios["stale vendor data twice"] = ([hex_trace(root)], [("stale_connector_data", "procurement-data", "high")])

# 1b. Fresh vendor data opens nothing.
root = new_root(procurement, "reconcile invoice (fresh)")
with trace.use_span(root, end_on_exit=True):
    for call in ("call_f1", "call_f2"):
        tool_span(procurement, "vendor.lookup", call, attributes={"connector.name": "vendor-master", "connector.data.age_ms": 300_000})
scenarios["fresh vendor data"] = ([hex_trace(root)], [])

# 2. A refund tool runs in a background job without approval.
api = tracer_for(f"refund-api-{mode}")
worker = tracer_for(f"refund-worker-{mode}")
request = new_root(api, "POST /refunds")
with trace.use_span(request, end_on_exit=True):
    enqueue = api.start_span("enqueue refund", kind=SpanKind.PRODUCER)
    enqueue.end()
job = new_root(worker, "refund job", kind=SpanKind.CONSUMER, links=[Link(enqueue.get_span_context())])
with trace.use_span(job, end_on_exit=True):
    tool_span(worker, "payments.issue_refund", "call_r1")
scenarios["refund without approval"] = ([hex_trace(request), hex_trace(job)], [("approval_required", "finance-approvals", "critical")])

# 2b. The same with an approval granted on the request first opens nothing.
request = new_root(api, "POST /refunds (approved)")
with trace.use_span(request, end_on_exit=True):
    request.add_event("approval.granted", {"approval.approver": "maria"})
    enqueue = api.start_span("enqueue refund", kind=SpanKind.PRODUCER)
    enqueue.end()
job = new_root(worker, "refund job", kind=SpanKind.CONSUMER, links=[Link(enqueue.get_span_context())])
with trace.use_span(job, end_on_exit=True):
    tool_span(worker, "payments.issue_refund", "call_r2")
scenarios["approved refund"] = ([hex_trace(request), hex_trace(job)], [])

# 3. A courier pickup fails twice for the same non-transient reason, the second time in a retry trace.
dispatch = tracer_for(f"dispatch-{mode}")
first = new_root(dispatch, "schedule pickup")
with trace.use_span(first, end_on_exit=True):
    failed = tool_span(dispatch, "courier.pickup", "call_c1", error="address_not_found")
retry = new_root(dispatch, "retry pickup", kind=SpanKind.CONSUMER, links=[Link(failed.get_span_context())])
with trace.use_span(retry, end_on_exit=True):
    tool_span(dispatch, "courier.pickup", "call_c2", error="address_not_found")
scenarios["courier pickup fails twice"] = ([hex_trace(first), hex_trace(retry)], [("repeat_failure", "logistics-ops", "high")])

# 3b. Two timeouts, then success: recovered within bounds, nothing opens.
root = new_root(dispatch, "reserve stock")
with trace.use_span(root, end_on_exit=True):
    tool_span(dispatch, "inventory.reserve", "call_i1", error="timeout")
    tool_span(dispatch, "inventory.reserve", "call_i2", error="timeout")
    tool_span(dispatch, "inventory.reserve", "call_i3")
scenarios["recovered timeouts"] = ([hex_trace(root)], [])

for provider in providers:
    provider.force_flush()
    provider.shutdown()

checks = Checks(mode)
check = checks.check


def exceptions():
    with urllib.request.urlopen(f"http://127.0.0.1:{api_port}/api/v1/exceptions?limit=500") as response:
        return json.load(response)["exceptions"]


# Spans are committed before the exporter's request is answered, and detection runs in the same
# transaction: every exception is there once the exports returned.
found = exceptions()
for name, (traces, expected) in scenarios.items():
    mine = [e for e in found if e["trace_id"] in traces]
    check(f"{name}: exceptions", sorted((e["class"], e["owner"], e["severity"]) for e in mine), sorted(expected))
    for exception in mine:
        with urllib.request.urlopen(f"http://127.0.0.1:{api_port}/api/v1/exceptions/{exception['id']}") as response:
            detail = json.load(response)
        path = detail["causal_path"]
        check(f"{name}: causal path starts at the workflow's origin", path[0]["relation"], "origin")
        check(f"{name}: causal path origin is in the first trace", path[0]["trace_id"], traces[0])
        check(f"{name}: causal path ends at the trigger", (path[-1]["trace_id"], path[-1]["span_id"]),
              (detail["trace_id"], detail["span_id"]))
        check(f"{name}: history", [h["action"] for h in detail["history"]], ["opened"])

sys.exit(checks.finish("scenarios"))
