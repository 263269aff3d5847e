"""Notifications to a real HTTP receiver on 127.0.0.1 (DESIGN.md §9): signed POSTs whose signature
verifies; a receiver that is down for a while and then up gets every event, once per
Causeway-Delivery id; a kill -9 after the commit and before the delivery still delivers after the
restart; delivery figures in /api/v1/stats and /metrics.

Usage: webhooks.py CAUSEWAY_BINARY WORKDIR"""
import hashlib
import hmac
import http.server
import json
import os
import socket
import sys
import threading
import time
import urllib.request

from causeway_process import Causeway

binary, workdir = sys.argv[1], sys.argv[2]
SECRET = "whsec-loop-test"
failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
        print("FAIL", message)


class Receiver:
    """An HTTP receiver that can be taken down and brought back on the same port."""

    def __init__(self):
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self.received = []          # (path, headers, body)
        self.lock = threading.Lock()
        self.server = None

    def up(self):
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.lock:
                    receiver.received.append((self.path, dict(self.headers), body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        http.server.ThreadingHTTPServer.allow_reuse_address = True
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def down(self):
        self.server.shutdown()
        self.server.server_close()

    def hooks(self):
        with self.lock:
            return [(headers, json.loads(body)) for path, headers, body in self.received if path == "/hook"]

    def slack(self):
        with self.lock:
            return [json.loads(body) for path, headers, body in self.received if path == "/slack"]


receiver = Receiver()
receiver.up()
config = os.path.join(workdir, "hooks.yaml")
with open(config, "w") as f:
    f.write("""
detect:
  approval: { required_tools: ["payments.*"] }
owners:
  - { match: { class: approval_required }, owner: finance-approvals, sla: 15m }
notify:
  - { name: hooks, url: "http://127.0.0.1:%d/hook", secret_env: LOOP_HOOK_SECRET, events: [opened, decided] }
  - { name: chat, url: "http://127.0.0.1:%d/slack", events: [opened], match: { severity: critical }, format: slack }
""" % (receiver.port, receiver.port))
server = Causeway(binary, config, os.path.join(workdir, "hooks.db"), os.path.join(workdir, "hooks"))
server.start(env={"LOOP_HOOK_SECRET": SECRET})


def refund_ran_unapproved(n):
    """Exports one workflow whose refund ran without an approval (a critical approval_required)."""
    trace_id = "%032x" % (0x5EED0000 + n)
    now = time.time_ns()
    span = {"traceId": trace_id, "spanId": "%016x" % (0x100 + n), "name": "execute_tool payments.issue_refund", "kind": 3,
            "startTimeUnixNano": str(now), "endTimeUnixNano": str(now + 1000),
            "attributes": [{"key": "gen_ai.operation.name", "value": {"stringValue": "execute_tool"}},
                           {"key": "gen_ai.tool.name", "value": {"stringValue": "payments.issue_refund"}},
                           {"key": "gen_ai.tool.call.id", "value": {"stringValue": "call_%d" % n}}],
            "status": {"code": 1}}
    body = {"resourceSpans": [{"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "refund-agent"}}]},
                               "scopeSpans": [{"spans": [span]}]}]}
    request = urllib.request.Request(server.otlp_http, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request, timeout=10).read()
    return server.wait_for(lambda: server.get("/api/v1/exceptions?status=open&class=approval_required&limit=500")["exceptions"] and
                           next((e for e in server.get("/api/v1/exceptions?limit=500")["exceptions"] if e["trace_id"] == trace_id), None),
                           "the exception of workflow %d" % n)


def verify(headers, body_bytes):
    signature = dict(part.split("=", 1) for part in headers.get("Causeway-Signature", "").split(","))
    expected = hmac.new(SECRET.encode(), signature.get("t", "").encode() + b"." + body_bytes, hashlib.sha256).hexdigest()
    fresh = abs(int(signature.get("t", "0")) - time.time()) < 300
    return hmac.compare_digest(expected, signature.get("v1", "")) and fresh


started = time.monotonic()
# 1. Receiver up: the opened event arrives signed, and the critical one reaches chat as Slack text.
first = refund_ran_unapproved(1)
server.wait_for(lambda: receiver.hooks() and receiver.slack(), "the first deliveries")
with receiver.lock:
    path, headers, raw = next(r for r in receiver.received if r[0] == "/hook")
body = json.loads(raw)
check(verify(headers, raw), "the signature verifies: %s" % headers.get("Causeway-Signature"))
check(body["event"] == "opened" and body["exception"]["id"] == first["id"], "the body names the event and exception: %s" % body)
check(headers.get("Causeway-Delivery") == body["delivery_id"], "Causeway-Delivery is the body's delivery_id")
check("causal_path" not in body["exception"] and body["exception"]["next_decision"], "the exception without its causal path")
text = receiver.slack()[0]["text"]
check("/exceptions/%s|" % first["id"] in text and "payments.issue_refund" in text, "the Slack text links the dashboard page: %s" % text)
tampered = raw.replace(b"opened", b"closed", 1)
check(not verify(headers, tampered), "a changed body does not verify")

print("webhooks: first delivery after %.1f s" % (time.monotonic() - started))
# 2. Receiver down: deliveries fail and are retried; back up, every event arrives, once per id.
receiver.down()
server.act(first["id"], "approve", actor="maria")
second = refund_ran_unapproved(2)
third = refund_ran_unapproved(3)
server.wait_for(lambda: server.get("/api/v1/stats")["notifications"].get("hooks", {}).get("failed_attempts", 0) >= 2,
                "failed attempts while the receiver is down")
receiver.up()
expected = {("opened", first["id"]), ("decided", first["id"]), ("opened", second["id"]), ("opened", third["id"])}


def events():
    by_id = {}
    for headers, body in receiver.hooks():
        by_id.setdefault(body["delivery_id"], set()).add((body["event"], body["exception"]["id"]))
    return by_id


server.wait_for(lambda: expected <= set().union(*events().values()), "every event after the receiver came back", timeout=30)
by_id = events()
check(all(len(pairs) == 1 for pairs in by_id.values()), "one event per delivery id")
check(sorted(p for pairs in by_id.values() for p in pairs) == sorted(expected), "each event under exactly one delivery id: %s" % by_id)
decided = next(b for h, b in receiver.hooks() if b["event"] == "decided")
check(decided["exception"]["decision"] == "approve" and decided["exception"]["decided_by"] == "maria", "decided carries the decision")

print("webhooks: receiver back, all delivered after %.1f s" % (time.monotonic() - started))
# 3. kill -9 after the commit, before the delivery: delivered after the restart.
receiver.down()
fourth = refund_ran_unapproved(4)
server.kill9()
receiver.up()
server.start(env={"LOOP_HOOK_SECRET": SECRET})
server.wait_for(lambda: ("opened", fourth["id"]) in set().union(*events().values()), "the delivery after kill -9", timeout=30)
print("webhooks: after kill -9, delivered at %.1f s" % (time.monotonic() - started))
stats = server.get("/api/v1/stats")["notifications"]
check(stats["hooks"]["delivered"] >= 5 and stats["hooks"]["pending"] == 0, "stats count deliveries: %s" % stats)
check(stats["hooks"]["failed_attempts"] >= 2 and stats["hooks"]["abandoned"] == 0, "stats count failed attempts: %s" % stats)
metrics = urllib.request.urlopen(server.api + "/metrics", timeout=10).read().decode()
check('causeway_notifications_delivered_total{target="hooks"}' in metrics, "/metrics has delivery counters")
server.stop()
receiver.down()
print("webhooks: %d checks failed" % len(failures) if failures else "webhooks: all checks passed")
sys.exit(1 if failures else 0)
