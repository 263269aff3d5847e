"""What every framework driver shares: tracing pointed at Causeway, a trace-id recorder, the
scenario registry, and a scripted fake OpenAI-compatible server on 127.0.0.1.

A driver (`<framework>.py`) is run as `python <framework>.py OTLP_HTTP_PORT RESULTS_FILE [DUMP_DIR]`:

    driver = Driver("pydantic-ai")                      # service.name "fw-pydantic-ai"
    @driver.scenario("non-transient error twice", expect=[
        Expect("repeat_failure", "high", "logistics-ops", calls={"pyd_pickup_1", "pyd_pickup_2"})])
    def _():
        ...run the framework for real...
    driver.run()

Each scenario runs with a fresh recorder: every trace id of a span that ended while it ran is
the scenario's. `run()` writes {framework, scenarios: [{name, traces, expect}]} to RESULTS_FILE
(verify.py judges it against the server) and, with DUMP_DIR, every span of every scenario as JSON.
"""
import json
import os
import sys
import threading
import traceback
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanProcessor


@dataclass
class Expect:
    """One exception a scenario must open: class, severity, owner and the tool call ids its
    receipts must name (None: not checked)."""
    cls: str
    severity: str
    owner: str
    calls: set = None
    crosses_link: bool = False   # the causal path must cross a link (relation linked_from)

    def as_json(self):
        return {"class": self.cls, "severity": self.severity, "owner": self.owner,
                "calls": sorted(self.calls) if self.calls is not None else None, "crosses_link": self.crosses_link}


class _Recorder(SpanProcessor):
    """Remembers the trace ids (and, for dumps, the spans) that ended since the last reset."""

    def __init__(self):
        self.lock = threading.Lock()
        self.traces = []
        self.spans = []

    def reset(self):
        with self.lock:
            self.traces, self.spans = [], []

    def on_end(self, span):
        with self.lock:
            trace_id = format(span.context.trace_id, "032x")
            if trace_id not in self.traces:
                self.traces.append(trace_id)
            self.spans.append(span)


def span_as_json(span):
    """A readable dump of one SDK span (for people reading what a framework emits)."""
    return {
        "name": span.name,
        "trace_id": format(span.context.trace_id, "032x"),
        "span_id": format(span.context.span_id, "016x"),
        "parent_span_id": format(span.parent.span_id, "016x") if span.parent else None,
        "kind": span.kind.name,
        "status": span.status.status_code.name, "status_description": span.status.description,
        "attributes": {k: (list(v) if isinstance(v, tuple) else v) for k, v in (span.attributes or {}).items()},
        "events": [{"name": e.name, "attributes": {k: (list(v) if isinstance(v, tuple) else v) for k, v in (e.attributes or {}).items()}}
                   for e in span.events],
        "links": [{"trace_id": format(l.context.trace_id, "032x"), "span_id": format(l.context.span_id, "016x"),
                   "attributes": dict(l.attributes or {})} for l in span.links],
        "resource": dict(span.resource.attributes),
        "scope": span.instrumentation_scope.name if span.instrumentation_scope else None,
    }


class Driver:
    """Runs one framework's scenarios against Causeway and records what each sent."""

    def __init__(self, framework):
        self.framework = framework
        self.otlp_port = int(sys.argv[1])
        self.results_file = sys.argv[2]
        self.dump_dir = sys.argv[3] if len(sys.argv) > 3 else None
        self.scenarios = []
        self.recorder = _Recorder()
        self.provider = TracerProvider(resource=Resource.create({"service.name": f"fw-{framework}"}))
        self.provider.add_span_processor(self.recorder)
        self.provider.add_span_processor(BatchSpanProcessor(
            OTLPSpanExporter(endpoint=f"http://127.0.0.1:{self.otlp_port}/v1/traces")))
        trace.set_tracer_provider(self.provider)
        self.tracer = self.provider.get_tracer("causeway.interop.frameworks")

    def scenario(self, name, expect):
        def register(function):
            self.scenarios.append((name, expect, function))
            return function
        return register

    def run(self):
        results, failed = [], False
        for name, expect, function in self.scenarios:
            self.provider.force_flush()
            self.recorder.reset()
            error = None
            try:
                function()
            except Exception:  # a scenario that crashes is reported, and the others still run
                error = traceback.format_exc()
                failed = True
                print(f"{self.framework}: scenario {name!r} raised:\n{error}", file=sys.stderr)
            self.provider.force_flush()
            results.append({"name": name, "traces": list(self.recorder.traces),
                            "expect": [e.as_json() for e in expect], "error": error})
            if self.dump_dir:
                os.makedirs(self.dump_dir, exist_ok=True)
                safe = "".join(c if c.isalnum() else "_" for c in name)
                with open(os.path.join(self.dump_dir, f"{self.framework}__{safe}.json"), "w") as out:
                    json.dump([span_as_json(s) for s in self.recorder.spans], out, indent=1, default=str)
        self.provider.shutdown()
        with open(self.results_file, "w") as out:
            json.dump({"framework": self.framework, "scenarios": results}, out, indent=1)
        sys.exit(1 if failed else 0)


class FakeOpenAI:
    """A scripted OpenAI-compatible server on 127.0.0.1 (Chat Completions, non-streaming).

    `reply` is called with each request's JSON body and returns the assistant message: either
    {"content": "text"} or {"tool_calls": [(call_id, tool_name, arguments_dict), …]}.
    """

    def __init__(self, reply):
        self.reply = reply
        self.requests = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                fake.requests.append((self.path, body))
                if not self.path.endswith("/chat/completions"):
                    self.send_response(404)
                    self.end_headers()
                    return
                message = fake.reply(body)
                response = fake.completion(body.get("model", "fake"), message)
                data = json.dumps(response).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    @staticmethod
    def completion(model, message):
        content = message.get("content")
        tool_calls = [{"id": call_id, "type": "function", "function": {"name": name, "arguments": json.dumps(arguments)}}
                      for call_id, name, arguments in message.get("tool_calls", [])]
        choice_message = {"role": "assistant", "content": content}
        if tool_calls:
            choice_message["tool_calls"] = tool_calls
        return {
            "id": "chatcmpl-fake", "object": "chat.completion", "created": 1700000000, "model": model,
            "choices": [{"index": 0, "message": choice_message, "finish_reason": "tool_calls" if tool_calls else "stop"}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
        }

    def close(self):
        self.server.shutdown()


def script(*turns):
    """A `reply` for FakeOpenAI that answers the turns in order (then repeats the last)."""
    queue = list(turns)

    def reply(_body):
        return queue.pop(0) if len(queue) > 1 else queue[0]
    return reply
