"""Writes the fuzzing seed corpus (Fuzz/corpus): OTLP export requests shaped like real agent
runtimes' (GenAI spans, tool calls, exceptions, links, nested attributes), in protobuf and JSON.
Run with the hardening venv: .build/hardening-venv/bin/python Fuzz/make_corpus.py"""
import json
import os

from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
from opentelemetry.proto.common.v1 import common_pb2
from opentelemetry.proto.trace.v1 import trace_pb2

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
T0 = 1_763_750_000_000_000_000


def any_value(value):
    if isinstance(value, bool):
        return common_pb2.AnyValue(bool_value=value)
    if isinstance(value, int):
        return common_pb2.AnyValue(int_value=value)
    if isinstance(value, float):
        return common_pb2.AnyValue(double_value=value)
    if isinstance(value, bytes):
        return common_pb2.AnyValue(bytes_value=value)
    if isinstance(value, list):
        return common_pb2.AnyValue(array_value=common_pb2.ArrayValue(values=[any_value(v) for v in value]))
    if isinstance(value, dict):
        return common_pb2.AnyValue(kvlist_value=common_pb2.KeyValueList(values=[kv(k, v) for k, v in value.items()]))
    return common_pb2.AnyValue(string_value=value)


def kv(key, value):
    return common_pb2.KeyValue(key=key, value=any_value(value))


def json_value(value):
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        return {"intValue": str(value)}
    if isinstance(value, float):
        return {"doubleValue": value}
    if isinstance(value, list):
        return {"arrayValue": {"values": [json_value(v) for v in value]}}
    if isinstance(value, dict):
        return {"kvlistValue": {"values": [{"key": k, "value": json_value(v)} for k, v in value.items()]}}
    return {"stringValue": value}


def agent_run(seed):
    """(service, spans): an agent run with model calls, a failing tool, a retry, an approval and a link."""
    trace = "%032x" % (0x5EED0000 + seed)
    spans = [
        dict(span="%016x" % 1, parent="", name="invoke_agent refunds", kind=1, attributes={"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "refunds"}),
        dict(span="%016x" % 2, parent="%016x" % 1, name="chat gpt-4o", kind=3, attributes={
            "gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o", "gen_ai.usage.input_tokens": 812,
            "gen_ai.output.messages": json.dumps([{"role": "assistant", "tool_calls": [{"id": "call_1", "name": "payments.issue_refund", "arguments": {"order": "A-1", "amount": 12.5}}]}])}),
        dict(span="%016x" % 3, parent="%016x" % 1, name="execute_tool crm.lookup", kind=1, status=(2, "CustomerNotFound: no such customer"),
             attributes={"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "crm.lookup", "gen_ai.tool.call.id": "call_0", "error.type": "CustomerNotFound"},
             events=[("exception", {"exception.type": "CustomerNotFound", "exception.message": "no such customer", "exception.stacktrace": "Traceback…\n  File \"tool.py\", line 3"})]),
        dict(span="%016x" % 4, parent="%016x" % 1, name="execute_tool payments.issue_refund", kind=3,
             attributes={"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "payments.issue_refund", "gen_ai.tool.call.id": "call_1",
                         "input.value": json.dumps({"order": "A-1", "amount": 12.5}), "nested": {"list": [1, 2.5, True, "x", {"deep": "é✓"}]}}),
        dict(span="%016x" % 5, parent="", name="process refund job", kind=5, links=[("%032x" % (0x5EED0000 + seed), "%016x" % 4)],
             attributes={"messaging.message.id": "msg-%d" % seed, "connector.name": "vendor-master", "connector.data.age_ms": 7_200_000}),
    ]
    return "refund-agent-%d" % seed, trace, spans


def protobuf_body(runs):
    request = trace_service_pb2.ExportTraceServiceRequest()
    for service, trace, spans in runs:
        resource_spans = request.resource_spans.add()
        resource_spans.resource.attributes.extend([kv("service.name", service), kv("telemetry.sdk.language", "python")])
        scope = resource_spans.scope_spans.add()
        scope.scope.name = "opentelemetry.instrumentation.agents"
        scope.scope.version = "0.1.0"
        for index, s in enumerate(spans):
            span = scope.spans.add()
            span.trace_id = bytes.fromhex(trace)
            span.span_id = bytes.fromhex(s["span"])
            if s["parent"]:
                span.parent_span_id = bytes.fromhex(s["parent"])
            span.name = s["name"]
            span.kind = s["kind"]
            span.start_time_unix_nano = T0 + index * 1_000_000
            span.end_time_unix_nano = T0 + index * 1_000_000 + 500_000
            span.attributes.extend([kv(k, v) for k, v in s["attributes"].items()])
            for name, attributes in s.get("events", []):
                span.events.add(name=name, time_unix_nano=T0 + 1, attributes=[kv(k, v) for k, v in attributes.items()])
            for link_trace, link_span in s.get("links", []):
                span.links.add(trace_id=bytes.fromhex(link_trace), span_id=bytes.fromhex(link_span), attributes=[kv("link.kind", "job")])
            if "status" in s:
                span.status.code, span.status.message = s["status"]
    return request.SerializeToString()


def json_body(runs):
    resource_spans = []
    for service, trace, spans in runs:
        out = []
        for index, s in enumerate(spans):
            span = {"traceId": trace, "spanId": s["span"], "parentSpanId": s["parent"], "name": s["name"], "kind": s["kind"],
                    "startTimeUnixNano": str(T0 + index * 1_000_000), "endTimeUnixNano": str(T0 + index * 1_000_000 + 500_000),
                    "attributes": [{"key": k, "value": json_value(v)} for k, v in s["attributes"].items()]}
            if s.get("events"):
                span["events"] = [{"name": n, "timeUnixNano": str(T0 + 1), "attributes": [{"key": k, "value": json_value(v)} for k, v in a.items()]}
                                  for n, a in s["events"]]
            if s.get("links"):
                span["links"] = [{"traceId": t, "spanId": l} for t, l in s["links"]]
            if "status" in s:
                span["status"] = {"code": s["status"][0], "message": s["status"][1]}
            out.append(span)
        resource_spans.append({"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": service}}]},
                               "scopeSpans": [{"scope": {"name": "agents", "version": "0.1.0"}, "spans": out}]})
    return json.dumps({"resourceSpans": resource_spans}).encode()


def main():
    os.makedirs(HERE, exist_ok=True)
    bodies = {
        "agent-run.pb": protobuf_body([agent_run(1)]),
        "two-services.pb": protobuf_body([agent_run(2), agent_run(3)]),
        "agent-run.json": json_body([agent_run(4)]),
        "two-services.json": json_body([agent_run(5), agent_run(6)]),
        "empty.pb": b"",
        "empty.json": b"{}",
    }
    for name, body in bodies.items():
        with open(os.path.join(HERE, name), "wb") as file:
            file.write(body)
    print("wrote %d seed bodies to %s" % (len(bodies), HERE))


if __name__ == "__main__":
    main()
