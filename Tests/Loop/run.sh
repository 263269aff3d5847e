#!/usr/bin/env bash
# The loop back to the agent (DESIGN.md §9) against the real `causeway serve`: an agent written
# with the OpenTelemetry SDK asking `decisions`, reviewers acting over the API, and notifications
# to a real HTTP receiver on 127.0.0.1 (signatures, retries, kill -9). Makes its own venv under .build/.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
venv="$root/.build/loop-venv"
binary="${CAUSEWAY_BINARY:-$root/.build/debug/causeway}"
[ -x "$binary" ] || { echo "loop: $binary not built (run swift build first)" >&2; exit 1; }

source "$root/Tests/Interop/serve.sh"
pinned_venv "$venv" "$here/requirements.txt"

status=0
(cd "$here" && "$venv/bin/python" agent_loop.py "$binary" "$work") || status=1
(cd "$here" && "$venv/bin/python" webhooks.py "$binary" "$work") || status=1
exit $status
