"""Interop: the official OpenTelemetry Python SDK exporters talk to a running Causeway.

Exports a small agent workflow (a producer trace, and a consumer trace linked to it, with an
exception event and attributes of every type) through one exporter, then reads it back from
Causeway's API: every field of every span as the SDK recorded it, both traces as one workflow,
and the causal path of the failing tool call running from the request across the link.

usage: export_and_verify.py {http|http-gzip|grpc|grpc-gzip} OTLP_PORT API_PORT
"""
import json
import sys
import time
import urllib.request

from checks import Checks

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Link, SpanKind, Status, StatusCode

mode, otlp_port, api_port = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])

if mode.startswith("grpc"):
    from grpc import Compression as GRPCCompression
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
    exporter = OTLPSpanExporter(
        endpoint=f"127.0.0.1:{otlp_port}", insecure=True,
        compression=GRPCCompression.Gzip if mode == "grpc-gzip" else GRPCCompression.NoCompression,
    )
else:
    from opentelemetry.exporter.otlp.proto.http import Compression
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    exporter = OTLPSpanExporter(
        endpoint=f"http://127.0.0.1:{otlp_port}/v1/traces",
        compression=Compression.Gzip if mode == "http-gzip" else Compression.NoCompression,
    )

memory = InMemorySpanExporter()
provider = TracerProvider(resource=Resource.create({"service.name": f"interop-{mode}", "deployment.environment": "ci"}))
provider.add_span_processor(SimpleSpanProcessor(exporter))
provider.add_span_processor(SimpleSpanProcessor(memory))
tracer = provider.get_tracer("causeway.interop", "1.2.3")

# Producer trace: a request that enqueues a background job.
with tracer.start_as_current_span("POST /refunds", kind=SpanKind.SERVER, attributes={"http.request.method": "POST"}):
    with tracer.start_as_current_span("enqueue refund", kind=SpanKind.PRODUCER) as producer:
        producer_context = producer.get_span_context()

# Consumer trace: the background job, linked to the producer, with a failing tool call.
with tracer.start_as_current_span(
    "process refund",
    context=trace.set_span_in_context(trace.INVALID_SPAN),
    kind=SpanKind.CONSUMER,
    links=[Link(producer_context, {"messaging.operation.type": "process"})],
) as consumer:
    consumer.add_event("job.started", {"queue": "refunds", "attempt": 1})
    with tracer.start_as_current_span(
        "execute_tool payments.issue_refund",
        kind=SpanKind.CLIENT,
        attributes={
            "gen_ai.operation.name": "execute_tool",
            "gen_ai.tool.name": "payments.issue_refund",
            "amount": 1250,
            "ratio": 0.25,
            "approved": False,
            "tags": ["refund", "eu"],
            "unicode": "naïve ✓ \"quoted\" <b>",
        },
    ) as tool:
        try:
            raise TimeoutError("payments API timed out")
        except TimeoutError as error:
            tool.record_exception(error)
            tool.set_status(Status(StatusCode.ERROR, "payments API timed out"))

provider.force_flush()
provider.shutdown()

sent = memory.get_finished_spans()
checks = Checks(mode)
check = checks.check


def plain(value):
    return list(value) if isinstance(value, tuple) else value


def fetch(trace_id):
    url = f"http://127.0.0.1:{api_port}/api/v1/traces/{trace_id}"
    for _ in range(50):
        try:
            with urllib.request.urlopen(url) as response:
                return json.load(response)
        except urllib.error.HTTPError as error:
            if error.code != 404:
                raise
        time.sleep(0.1)
    raise SystemExit(f"trace {trace_id} never appeared")


kind_names = {SpanKind.INTERNAL: "internal", SpanKind.SERVER: "server", SpanKind.CLIENT: "client",
              SpanKind.PRODUCER: "producer", SpanKind.CONSUMER: "consumer"}
status_names = {StatusCode.UNSET: "unset", StatusCode.OK: "ok", StatusCode.ERROR: "error"}

by_trace = {}
for span in sent:
    by_trace.setdefault(format(span.context.trace_id, "032x"), []).append(span)
check("traces exported", len(by_trace), 2)

workflows = {trace_id: fetch(trace_id) for trace_id in by_trace}
for trace_id, spans in by_trace.items():
    workflow = workflows[trace_id]
    check(f"workflow of {trace_id} holds both traces", sorted(t["trace_id"] for t in workflow["traces"]), sorted(by_trace))
    got = {s["span_id"]: s for s in workflow["spans"] if s["trace_id"] == trace_id}
    check(f"span count of {trace_id}", len(got), len(spans))
    for span in spans:
        span_id = format(span.context.span_id, "016x")
        stored = got.get(span_id)
        if stored is None:
            check(f"span {span.name} stored", False, True)
            continue
        name = span.name
        check(f"{name}.trace_id", stored["trace_id"], trace_id)
        check(f"{name}.parent_span_id", stored["parent_span_id"], format(span.parent.span_id, "016x") if span.parent else None)
        check(f"{name}.name", stored["name"], span.name)
        check(f"{name}.kind", stored["kind"], kind_names[span.kind])
        check(f"{name}.status", stored["status"], status_names[span.status.status_code])
        check(f"{name}.status_message", stored["status_message"], span.status.description or "")
        check(f"{name}.start_time_unix_nano", stored["start_time_unix_nano"], str(span.start_time))
        check(f"{name}.end_time_unix_nano", stored["end_time_unix_nano"], str(span.end_time))
        check(f"{name}.trace_state", stored["trace_state"], span.context.trace_state.to_header())
        check(f"{name}.attributes", stored["attributes"], {k: plain(v) for k, v in span.attributes.items()})
        check(f"{name}.service", stored["service"], f"interop-{mode}")
        check(f"{name}.resource", stored["resource"]["attributes"], {k: plain(v) for k, v in span.resource.attributes.items()})
        check(f"{name}.scope", (stored["scope"]["name"], stored["scope"]["version"]),
              (span.instrumentation_scope.name, span.instrumentation_scope.version))
        check(f"{name}.events", [(e["name"], e["time_unix_nano"], e["attributes"]) for e in stored["events"]],
              [(e.name, str(e.timestamp), {k: plain(v) for k, v in e.attributes.items()}) for e in span.events])
        check(f"{name}.links", [(l["trace_id"], l["span_id"], l["attributes"]) for l in stored["links"]],
              [(format(l.context.trace_id, "032x"), format(l.context.span_id, "016x"),
                {k: plain(v) for k, v in l.attributes.items()}) for l in span.links])
        check(f"{name}.dropped counts",
              (stored["dropped_attributes_count"], stored["dropped_events_count"], stored["dropped_links_count"]),
              (span.dropped_attributes, span.dropped_events, span.dropped_links))

# One workflow, whichever trace is asked for.
check("one workflow id", len({w["workflow_id"] for w in workflows.values()}), 1)


def span_named(name):
    return next(s for s in sent if s.name == name)


def hex_ids(span):
    return format(span.context.trace_id, "032x"), format(span.context.span_id, "016x")


tool_trace, tool_span = hex_ids(span_named("execute_tool payments.issue_refund"))
with urllib.request.urlopen(f"http://127.0.0.1:{api_port}/api/v1/spans/{tool_trace}/{tool_span}/path") as response:
    path = json.load(response)
check("causal path of the tool call",
      [(hop["name"], hop["relation"], hop["service"]) for hop in path["causal_path"]],
      [("POST /refunds", "origin", f"interop-{mode}"), ("enqueue refund", "child_of", f"interop-{mode}"),
       ("process refund", "linked_from", f"interop-{mode}"), ("execute_tool payments.issue_refund", "child_of", f"interop-{mode}")])
check("causal path ids", [(hop["trace_id"], hop["span_id"]) for hop in path["causal_path"]],
      [hex_ids(span_named(n)) for n in ("POST /refunds", "enqueue refund", "process refund", "execute_tool payments.issue_refund")])
producer_trace, producer_span = hex_ids(span_named("enqueue refund"))
with urllib.request.urlopen(f"http://127.0.0.1:{api_port}/api/v1/spans/{producer_trace}/{producer_span}/path") as response:
    producer_path = json.load(response)
consumer_trace, consumer_span = hex_ids(span_named("process refund"))
check("backlinks of the producer", producer_path["linked_by"], [{"trace_id": consumer_trace, "span_id": consumer_span}])

sys.exit(checks.finish("interop"))
