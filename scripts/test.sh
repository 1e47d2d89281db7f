#!/usr/bin/env bash
# The whole suite, first on the embedded SQLite database, then on PostgreSQL.
# Each run creates its own databases and drops them afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
export PGHOST="${PGHOST:-127.0.0.1}" PGPORT="${PGPORT:-5432}" PGUSER="${PGUSER:-postgres}"

postgres_answers() {
  .venv/bin/python -c "import psycopg; psycopg.connect(host='$PGHOST', port='$PGPORT', user='$PGUSER', dbname='postgres', connect_timeout=3).close()" 2>/dev/null
}

ensure_postgres() {
  if postgres_answers; then return 0; fi
  echo "PostgreSQL is not answering on $PGHOST:$PGPORT; trying to start the local cluster"
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  fi
  for _ in $(seq 1 30); do
    postgres_answers && return 0
    sleep 1
  done
  echo "PostgreSQL is still not answering on $PGHOST:$PGPORT: start it and run make test again" >&2
  return 1
}

ensure_system_packages() {
  # Debian's Chromium drives the browser tests (Playwright never downloads a browser), and
  # Debian's Go with golang.org/x/mod builds the independent log verifier (tools/tlog-verify).
  local missing=()
  [ -x /usr/bin/chromium ] || missing+=(chromium fonts-liberation)
  command -v go >/dev/null || missing+=(golang-go)
  [ -d /usr/share/gocode/src/golang.org/x/mod/sumdb/tlog ] || missing+=(golang-golang-x-mod-dev)
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "Installing Debian packages the tests need: ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
}

ensure_system_packages
echo "== SQLite =="
SHAREWELL_TEST_DATABASE=sqlite .venv/bin/python -m pytest "$@"
ensure_postgres
echo "== PostgreSQL ($PGHOST:$PGPORT) =="
SHAREWELL_TEST_DATABASE=postgresql .venv/bin/python -m pytest "$@"
