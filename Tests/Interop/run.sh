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

work=$(mktemp -d)
server_pid=""
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

"$binary" serve --config "$root/Tests/Interop/causeway.yaml" --db "$work/interop.db" --otlp-grpc 127.0.0.1:0 --otlp-http 127.0.0.1:0 --api 127.0.0.1:0 \
  >"$work/stdout" 2>"$work/stderr" &
server_pid=$!
for _ in $(seq 1 100); do
  [ "$(grep -c '^listening ' "$work/stdout" 2>/dev/null)" = 3 ] && break
  sleep 0.1
done
port() { grep "^listening $1 " "$work/stdout" | sed 's/.*://'; }
grpc=$(port otlp-grpc); http=$(port otlp-http); api=$(port api)
[ -n "$grpc" ] && [ -n "$http" ] && [ -n "$api" ] || { echo "interop: server did not start"; cat "$work/stderr"; exit 1; }

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

kill -TERM "$server_pid"
wait "$server_pid" || { echo "interop: serve did not exit 0 on SIGTERM"; status=1; }
server_pid=""
echo "interop: $runs_passed passed, $runs_failed failed"
exit $status
