#!/usr/bin/env bash
# Framework interop suite: real agent frameworks (pydantic-ai, the OpenAI Agents SDK with
# OpenInference, LangChain/LangGraph with OpenInference, the openai client with the official OTel
# GenAI instrumentation, the MCP SDK over stdio), unmodified, with fake models on 127.0.0.1,
# export to a real `causeway serve`; verify.py checks the exact exceptions per scenario and
# prints precision and recall per framework. Makes its own venv under .build/.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
venv="$root/.build/fw-venv"
binary="${CAUSEWAY_BINARY:-$root/.build/debug/causeway}"
[ -x "$binary" ] || { echo "frameworks: $binary not built (run swift build first)" >&2; exit 1; }

source "$root/Tests/Interop/serve.sh"
pinned_venv "$venv" "$here/requirements.txt"
start_causeway frameworks "$here/causeway.yaml"

dumps="$root/.build/fw-dumps"
results=()
status=0
for driver in pydantic_ai openai_agents langchain openai_genai mcp; do
  out="$work/$driver.json"
  if ! (cd "$here" && "$venv/bin/python" "${driver}_driver.py" "$http" "$out" "$dumps"); then
    echo "frameworks: the $driver driver failed"; status=1
  fi
  [ -f "$out" ] && results+=("$out")
done
"$venv/bin/python" "$here/verify.py" "$api" "${results[@]}" || status=1

stop_causeway || status=1
exit $status
