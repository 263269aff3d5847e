# Sourced by the interop scripts. `start_causeway NAME CONFIG` starts `$binary serve` with CONFIG on
# ephemeral loopback ports and a database in a temp dir ($work), waits until every listener is
# bound and sets $grpc, $http and $api; `stop_causeway` sends SIGTERM and fails unless serve exits 0.
# The server and the temp dir go away when the script exits. `pinned_venv VENV REQUIREMENTS` makes (or
# remakes, when the requirements changed) a venv with exactly those pins.
work=$(mktemp -d)
server_pid=""
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

start_causeway() {
  local name=$1 config=$2
  "$binary" serve --config "$config" --db "$work/$name.db" --otlp-grpc 127.0.0.1:0 --otlp-http 127.0.0.1:0 --api 127.0.0.1:0 \
    >"$work/stdout" 2>"$work/stderr" &
  server_pid=$!
  for _ in $(seq 1 100); do
    [ "$(grep -c '^listening ' "$work/stdout" 2>/dev/null)" = 3 ] && break
    sleep 0.1
  done
  port() { grep "^listening $1 " "$work/stdout" | sed 's/.*://'; }
  grpc=$(port otlp-grpc); http=$(port otlp-http); api=$(port api)
  [ -n "$grpc" ] && [ -n "$http" ] && [ -n "$api" ] || { echo "$name: server did not start"; cat "$work/stderr"; exit 1; }
}

stop_causeway() {
  kill -TERM "$server_pid"
  local status=0
  wait "$server_pid" || status=$?
  server_pid=""
  [ $status = 0 ] || { echo "serve did not exit 0 on SIGTERM"; return 1; }
}

pinned_venv() {
  local venv=$1 requirements=$2
  if [ ! -x "$venv/bin/python" ] || ! cmp -s "$requirements" "$venv/.requirements"; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
    cp "$requirements" "$venv/.requirements"
  fi
}
