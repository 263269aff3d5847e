#!/usr/bin/env bash
# Sourced by the PostgreSQL test scripts: starts a throwaway PostgreSQL server — a new cluster
# (initdb) in a temporary directory, on a free loopback port, with TLS — exports
# CAUSEWAY_TEST_POSTGRES_URL for it (and CAUSEWAY_TEST_POSTGRES_CA, its certificate), and
# removes it all on exit. As root, the server runs as the `postgres` system user (PostgreSQL
# refuses to run as root). A run killed with SIGKILL leaves the server running (no
# trap runs); it is in /tmp/causeway-pg.*, and `pg_ctl -D DIR/data stop` ends it.
pg_bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
[ -x "$pg_bin/initdb" ] || { echo "PostgreSQL's server programs are missing (scripts/setup installs postgresql)" >&2; exit 1; }
pg_dir="$(mktemp -d /tmp/causeway-pg.XXXXXX)"
as_owner() { "$@"; }
pg_stop() {
  [ -f "$pg_dir/data/postmaster.pid" ] && as_owner "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$pg_dir"
}
trap pg_stop EXIT
if [ "$(id -u)" = 0 ]; then
  chown postgres "$pg_dir"
  as_owner() { runuser -u postgres -- "$@"; }
fi
as_owner "$pg_bin/initdb" -D "$pg_dir/data" -U causeway --auth=trust -E UTF8 --no-locale >"$pg_dir/initdb.log" 2>&1 \
  || { cat "$pg_dir/initdb.log" >&2; exit 1; }
# TLS with a self-signed certificate for 127.0.0.1, made here (the tests connect with
# sslmode=verify-full and this certificate as sslrootcert).
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" \
  -keyout "$pg_dir/server.key" -out "$pg_dir/server.crt" >"$pg_dir/openssl.log" 2>&1 \
  || { echo "cannot make the test server's certificate:" >&2; cat "$pg_dir/openssl.log" >&2; exit 1; }
chmod 600 "$pg_dir/server.key"
chmod 644 "$pg_dir/server.crt"
[ "$(id -u)" = 0 ] && chown postgres "$pg_dir/server.key" "$pg_dir/server.crt"
# A free port: bind port 0 and read it back; if another process takes it first, try again.
for attempt in 1 2 3 4 5; do
  pg_port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  if as_owner "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w -t 60 \
       -o "-c listen_addresses=127.0.0.1 -p $pg_port -k $pg_dir -c max_connections=200 -c ssl=on -c ssl_cert_file=$pg_dir/server.crt -c ssl_key_file=$pg_dir/server.key" start >/dev/null; then
    break
  fi
  # A server that half started (and holds its lock file) is stopped before the next port is tried.
  [ -f "$pg_dir/data/postmaster.pid" ] && as_owner "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1 || true
  [ "$attempt" = 5 ] && { cat "$pg_dir/server.log" >&2; exit 1; }
done
export CAUSEWAY_TEST_POSTGRES_URL="postgres://causeway@127.0.0.1:$pg_port/postgres"
export CAUSEWAY_TEST_POSTGRES_CA="$pg_dir/server.crt"
echo "PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$pg_port (throwaway cluster in $pg_dir)"
