"""The agent's side of the loop (DESIGN.md §9), with the OpenTelemetry SDK against the real server:
an agent that asks `decisions` before each retry stops once its failure is a repeat_failure; an
approval-required call holds it until a reviewer approves (the long poll answers within a second)
and the next call opens nothing; a deny tells it to stop; the CLI exits 0/3/4.

Usage: agent_loop.py CAUSEWAY_BINARY WORKDIR"""
import json
import os
import subprocess
import sys
import threading
import time
import urllib.request

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import Link, Status, StatusCode

from causeway_process import Causeway

binary, workdir = sys.argv[1], sys.argv[2]
config = os.path.join(workdir, "loop.yaml")
with open(config, "w") as f:
    f.write("""
detect:
  approval: { required_tools: ["payments.*"] }
owners:
  - { match: { class: approval_required }, owner: finance-approvals, sla: 15m }
  - { owner: ap-team, sla: 4h }
""")
server = Causeway(binary, config, os.path.join(workdir, "loop.db"), os.path.join(workdir, "loop")).start()

provider = TracerProvider(resource=Resource.create({"service.name": "refund-agent"}))
# Simple processor: a span is exported (and durable: acknowledged after commit) when it ends.
provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(endpoint=server.otlp_http)))
tracer = provider.get_tracer("agent-loop")
failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
        print("FAIL", message)


def decisions(trace_id, wait=None):
    return server.get("/api/v1/decisions?trace_id=%032x" % trace_id + ("&wait=" + wait if wait else ""))


def step(name, tool, *, error=None, links=(), call_id=None):
    """One agent step as its own trace (linked to the run's first step): a root span and the tool
    call under it, both ended, so Causeway has the step whole when the agent asks."""
    with tracer.start_as_current_span(name, links=list(links)) as root:
        with tracer.start_as_current_span("execute_tool " + tool) as call:
            call.set_attribute("gen_ai.operation.name", "execute_tool")
            call.set_attribute("gen_ai.tool.name", tool)
            call.set_attribute("gen_ai.tool.call.id", call_id or "call_%x" % call.get_span_context().span_id)
            if error:
                call.set_attribute("error.type", error)
                call.set_status(Status(StatusCode.ERROR, error))
        return root.get_span_context()


# 1. A retry loop that asks before each retry stops once a retry cannot help.
first = None
attempts = 0
answer = None
for attempt in range(6):
    if first is not None:
        answer = decisions(first.trace_id)
        if answer["decision"] != "proceed":
            break
    context = step("agent step lookup %d" % attempt, "vendor.lookup", error="VendorNotFound",
                   links=[Link(first)] if first else [])
    first = first or context
    attempts += 1
check(attempts == 2, "the agent stops after the second non-transient failure, made %d attempts" % attempts)
check(answer and answer["decision"] == "hold", "decisions answers hold once the failure repeats: %s" % answer)
check(answer and [b["class"] for b in answer["blocking"]] == ["repeat_failure"], "the repeat_failure blocks: %s" % answer)

# 2. An approval-required call that did not run holds the agent; a reviewer approves; the long
#    poll the agent is waiting on answers proceed within a second; the next call opens nothing.
refused = step("agent step refund", "payments.issue_refund", error="ApprovalRequired", call_id="call_refund_1")
held = decisions(refused.trace_id)
check(held["decision"] == "hold", "an unapproved refund holds the agent: %s" % held)
blocking = held["blocking"][0] if held["blocking"] else {}
check(blocking.get("class") == "approval_required" and "call_refund_1" in blocking.get("next_decision", ""),
      "the refund's approval blocks, naming the call: %s" % blocking)
approved_at = []


def reviewer():
    time.sleep(0.5)
    approved_at.append(time.monotonic())
    server.act(blocking["id"], "approve", actor="maria", note="customer verified")


thread = threading.Thread(target=reviewer)
thread.start()
asked = time.monotonic()
waited = decisions(refused.trace_id, wait="30s")
answered = time.monotonic()
thread.join()
check(waited["decision"] == "proceed", "the long poll answers proceed after the approve: %s" % waited)
latency = answered - approved_at[0] if approved_at else 99
check(answered - asked >= 0.4 and latency < 1.0, "the long poll waited and answered %.3f s after the approve" % latency)
check([(d["decision"], d["by"], d["call_id"]) for d in waited["decisions"]] == [("approve", "maria", "call_refund_1")],
      "the decision is listed: %s" % waited["decisions"])
step("agent step refund again", "payments.issue_refund", links=[Link(refused)], call_id="call_refund_2")
step("agent step another refund", "payments.issue_refund", links=[Link(refused)], call_id="call_refund_3")
opened = server.get("/api/v1/exceptions?class=approval_required&status=open")["exceptions"]
check(opened == [], "the approved tool's next calls open nothing: %s" % opened)
check(decisions(refused.trace_id)["decision"] == "proceed", "the agent may proceed")


def cli(trace_id, *extra):
    return subprocess.run([binary, "decisions", "%032x" % trace_id, "--server", server.api, *extra],
                          capture_output=True, text=True, timeout=60)


# 3. A deny tells the agent to stop; the CLI says so by its exit status.
denied = step("agent step big refund", "payments.issue_refund", error="ApprovalRequired", call_id="call_refund_9")
result = cli(denied.trace_id)
check(result.returncode == 3 and result.stdout.startswith("hold"), "CLI: hold exits 3: %d %r" % (result.returncode, result.stdout))
exception_id = decisions(denied.trace_id)["blocking"][0]["id"]
threading.Timer(0.3, lambda: server.act(exception_id, "deny", actor="maria", note="over the limit")).start()
result = cli(denied.trace_id, "--wait", "20s")
check(result.returncode == 4 and result.stdout.startswith("stop"), "CLI: --wait ends with stop, exit 4: %d %r" % (result.returncode, result.stdout))
check(cli(refused.trace_id).returncode == 0, "CLI: proceed exits 0")
stopped = decisions(denied.trace_id)
check(stopped["decision"] == "stop" and stopped["decisions"][0]["decision"] == "deny", "decisions answers stop after a deny: %s" % stopped)

provider.shutdown()
server.stop()
print("agent loop: %d checks failed" % len(failures) if failures else "agent loop: all checks passed")
sys.exit(1 if failures else 0)
