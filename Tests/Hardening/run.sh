#!/usr/bin/env bash
# Hostile clients against the real `causeway serve` (DESIGN.md §1, §8): the in-flight byte budget
# under many large bodies, 150 gRPC streams on one connection, oversize messages and gzip bombs,
# idle and slow connections, 100 Continue, ingest tokens, Host and Content-Type checks, paging.
# Makes its own venv under .build/.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
venv="$root/.build/hardening-venv"
binary="${CAUSEWAY_BINARY:-$root/.build/debug/causeway}"
[ -x "$binary" ] || { echo "hardening: $binary not built (run swift build first)" >&2; exit 1; }

source "$root/Tests/Interop/serve.sh"
pinned_venv "$venv" "$here/requirements.txt"

cd "$here" && "$venv/bin/python" hardening.py "$binary" "$work"
