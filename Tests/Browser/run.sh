#!/usr/bin/env bash
# Browser suite: the dashboard in a real headless Chromium (Debian's /usr/bin/chromium, driven by
# Playwright for Python), against a real `causeway serve` with reviewers configured, seeded over
# real OTLP/HTTP. Screenshots go to .build/screenshots/. Makes its own venv under .build/.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
venv="$root/.build/browser-venv"
binary="${CAUSEWAY_BINARY:-$root/.build/debug/causeway}"
[ -x "$binary" ] || { echo "browser: $binary not built (run swift build first)" >&2; exit 1; }
[ -x /usr/bin/chromium ] || { echo "browser: /usr/bin/chromium missing (scripts/setup installs it)" >&2; exit 1; }

source "$root/Tests/Interop/serve.sh"
pinned_venv "$venv" "$here/requirements.txt"
start_causeway browser "$here/causeway.yaml"

status=0
"$venv/bin/python" "$here/seed.py" "$http" >"$work/seed.json" || { echo "browser: seeding failed"; status=1; }
[ $status = 0 ] && { "$venv/bin/python" "$here/browser_test.py" "$api" "$work/seed.json" "$root/.build/screenshots" || status=1; }
stop_causeway || status=1
exit $status
