#!/usr/bin/env bash
# Interop test: the official OpenTelemetry Python SDK exporters (HTTP, HTTP+gzip, gRPC, gRPC+gzip)
# against the real `causeway serve`: every field of the spans, workflows, causal paths, and the
# exceptions agent workflows should (and should not) open. Makes its own venv under .build/ and its own database.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
venv="$root/.build/interop-venv"
binary="${CAUSEWAY_BINARY:-$root/.build/debug/causeway}"
[ -x "$binary" ] || { echo "interop: $binary not built (run swift build first)" >&2; exit 1; }

if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import opentelemetry.exporter.otlp.proto.grpc, opentelemetry.exporter.otlp.proto.http" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check \
    opentelemetry-sdk opentelemetry-exporter-otlp-proto-http opentelemetry-exporter-otlp-proto-grpc
fi

source "$root/Tests/Interop/serve.sh"
start_causeway interop "$root/Tests/Interop/causeway.yaml"

status=0
runs_passed=0; runs_failed=0
for mode in http http-gzip grpc grpc-gzip; do
  port=$http; case $mode in grpc*) port=$grpc ;; esac
  if "$venv/bin/python" "$root/Tests/Interop/export_and_verify.py" "$mode" "$port" "$api"; then
    runs_passed=$((runs_passed + 1))
  else
    runs_failed=$((runs_failed + 1)); status=1
  fi
done

for mode in http grpc; do
  port=$http; [ $mode = grpc ] && port=$grpc
  if "$venv/bin/python" "$root/Tests/Interop/scenarios.py" "$mode" "$port" "$api"; then
    runs_passed=$((runs_passed + 1))
  else
    runs_failed=$((runs_failed + 1)); status=1
  fi
done

stop_causeway || status=1
echo "interop: $runs_passed passed, $runs_failed failed"
exit $status
