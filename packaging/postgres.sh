#!/usr/bin/env bash
# A throw-away PostgreSQL cluster for GateScan's tests and benchmarks.
#
#   eval "$(packaging/postgres.sh start)"   # init if needed, start, create the database,
#                                           # print: export GATESCAN_TEST_PG_URL=...
#   packaging/postgres.sh url               # print the export line again (cluster running)
#   packaging/postgres.sh stop              # stop the cluster (its files stay for next time)
#   packaging/postgres.sh destroy           # stop and delete the cluster
#
# Idempotent. The cluster lives in $GATESCAN_PG_DIR (default: /tmp/gatescan-pg-$UID),
# listens only on a unix socket in that directory (no TCP port to collide with),
# trusts local connections, and runs as the `postgres` OS user when started as
# root (initdb refuses root). Only the export line goes to stdout; logs go to stderr.
set -euo pipefail

STATE="${GATESCAN_PG_DIR:-${TMPDIR:-/tmp}/gatescan-pg-$(id -u)}"
DATA="$STATE/data"
SOCK="$STATE/run"
PORT="${GATESCAN_PG_PORT:-5432}"   # only names the socket file: nothing listens on TCP
DB="${GATESCAN_PG_DB:-gatescan_test}"
SUPERUSER="gatescan"

log() { printf '[postgres.sh] %s\n' "$*" >&2; }

find_bindir() {
    if [[ -n "${PG_BINDIR:-}" ]]; then echo "$PG_BINDIR"; return; fi
    local dir
    dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
    if [[ -n "$dir" && -x "$dir/initdb" ]]; then echo "$dir"; return; fi
    if command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then
        dirname "$(command -v initdb)"; return
    fi
    log "PostgreSQL server binaries not found (apt-get install postgresql, or set PG_BINDIR)"
    exit 1
}

BIN="$(find_bindir)"

# Run a server binary as the cluster's owner: `postgres` when we are root.
as_owner() {
    if [[ $(id -u) -eq 0 ]]; then
        if ! id postgres >/dev/null 2>&1; then
            log "running as root but there is no 'postgres' user to own the cluster"
            exit 1
        fi
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

url() {
    printf 'postgresql+psycopg://%s@/%s?host=%s&port=%s' "$SUPERUSER" "$DB" "$SOCK" "$PORT"
}

# Tests run without waiting for the disk; benchmarks that compare with SQLite's
# synchronous=FULL need a durable cluster: GATESCAN_PG_DURABLE=1 (with its own
# GATESCAN_PG_DIR, since the setting is fixed when the cluster starts).
durability() {
    if [[ "${GATESCAN_PG_DURABLE:-0}" == 1 ]]; then
        echo "-c fsync=on -c synchronous_commit=on -c full_page_writes=on"
    else
        echo "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    fi
}

running() { as_owner "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; }

psql_() { "$BIN/psql" -X -q -h "$SOCK" -p "$PORT" -U "$SUPERUSER" -d postgres "$@"; }

start() {
    mkdir -p "$STATE"
    chmod 0755 "$STATE"
    if [[ $(id -u) -eq 0 ]]; then chown postgres: "$STATE"; fi
    if [[ ! -s "$DATA/PG_VERSION" ]]; then
        log "initialising a cluster in $DATA"
        as_owner mkdir -p "$DATA" "$SOCK"
        as_owner "$BIN/initdb" -D "$DATA" -U "$SUPERUSER" --auth=trust -E UTF8 \
            --no-locale >"$STATE/initdb.log" 2>&1 || { cat "$STATE/initdb.log" >&2; exit 1; }
    fi
    as_owner mkdir -p "$SOCK"
    if ! running; then
        log "starting PostgreSQL ($("$BIN/postgres" --version)) on socket $SOCK"
        as_owner "$BIN/pg_ctl" -D "$DATA" -l "$STATE/server.log" -w -t 60 start -o \
            "-c listen_addresses='' -k $SOCK -p $PORT $(durability) -c max_connections=200" \
            >/dev/null \
            || { tail -n 20 "$STATE/server.log" >&2; exit 1; }
    fi
    if [[ "$(psql_ -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'")" != "1" ]]; then
        log "creating database $DB"
        psql_ -c "CREATE DATABASE $DB" >/dev/null
    fi
    echo "export GATESCAN_TEST_PG_URL='$(url)'"
}

stop() {
    if [[ -s "$DATA/PG_VERSION" ]] && running; then
        log "stopping PostgreSQL in $DATA"
        as_owner "$BIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null
    fi
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    url) running || { log "not running: use start"; exit 1; }; echo "export GATESCAN_TEST_PG_URL='$(url)'" ;;
    destroy) stop; rm -rf "$STATE" ;;
    *) echo "usage: $0 start|stop|url|destroy" >&2; exit 2 ;;
esac
