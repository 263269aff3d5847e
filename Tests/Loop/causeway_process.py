"""Starts the real `causeway serve` on ephemeral loopback ports and reads the ports it bound."""
import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request


class Causeway:
    def __init__(self, binary, config, db, log):
        self.binary, self.config, self.db, self.log = binary, config, db, log
        self.process = None
        self.ports = {}

    def start(self, env=None):
        out = open(self.log + ".out", "w")
        err = open(self.log + ".err", "a")
        self.process = subprocess.Popen(
            [self.binary, "serve", "--config", self.config, "--db", self.db,
             "--otlp-grpc", "127.0.0.1:0", "--otlp-http", "127.0.0.1:0", "--api", "127.0.0.1:0"],
            stdout=out, stderr=err, env={**os.environ, **(env or {})})
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            lines = [l for l in open(self.log + ".out").read().splitlines() if l.startswith("listening ")]
            if len(lines) == 3:
                self.ports = {l.split()[1]: int(l.rsplit(":", 1)[1]) for l in lines}
                return self
            if self.process.poll() is not None:
                raise RuntimeError("serve exited: " + open(self.log + ".err").read())
            time.sleep(0.05)
        raise RuntimeError("serve did not bind its listeners")

    @property
    def api(self):
        return "http://127.0.0.1:%d" % self.ports["api"]

    @property
    def otlp_http(self):
        return "http://127.0.0.1:%d/v1/traces" % self.ports["otlp-http"]

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=30)
        assert code == 0, "serve exited %s on SIGTERM" % code

    def kill9(self):
        self.process.kill()
        self.process.wait()

    def get(self, path):
        with urllib.request.urlopen(self.api + path, timeout=70) as response:
            return json.loads(response.read())

    def act(self, exception_id, action, actor="reviewer", note=""):
        body = json.dumps({"action": action, "actor": actor, "note": note}).encode()
        request = urllib.request.Request(self.api + "/api/v1/exceptions/%s/actions" % exception_id, data=body,
                                         headers={"Content-Type": "application/json"}, method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def wait_for(self, predicate, what, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(0.05)
        raise AssertionError("timed out waiting for " + what)
