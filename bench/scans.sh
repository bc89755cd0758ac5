#!/usr/bin/env bash
# Sample scans through the shipped binary (issue 14): a messy roster of ROWS persons
# (bench/src/roster.rs: no order, persons listed twice with changes, bad rows, CRLF) imported
# into a fresh database, then bench/src/bin/scans.rs opens a 10-in-1 round, starts
# `doorstep serve` and drives one scan per request from CONNS kept-alive connections for
# SECONDS against the same server's /healthz. On SQLite, and on PostgreSQL unless PG_URL is
# empty. Results go to docs/performance.md by hand; the output to bench/out/scans.md.
#
#   bench/scans.sh                                      # 1,000,000 rows, 60 s, 64 connections
#   ROWS=100000 SECONDS_=10 PG_URL= bench/scans.sh      # a quick look, SQLite only
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${ROWS:-1000000}
SECONDS_=${SECONDS_:-60}
CONNS=${CONNS:-64}
PG_URL=${PG_URL-postgres://postgres@127.0.0.1:5432}
OUT=bench/out
mkdir -p "$OUT"
# shellcheck source=bench/lib.sh
. bench/lib.sh
build scans
roster >/dev/null
run() {
    local db=$1 label=$2
    import_roster "$db" "$label"
    target/release/scans "$db" target/release/doorstep "$SECONDS_" "$CONNS"
    echo
}
{
    echo "# Scans through the binary, $(date -u +%FT%TZ), commit $(git rev-parse --short HEAD)"
    rm -f "$OUT/scans.db" "$OUT/scans.db-wal" "$OUT/scans.db-shm"
    run "sqlite://$OUT/scans.db" SQLite
    if [ -n "$PG_URL" ]; then
        fresh_pg doorstep_scans
        run "$PG_URL/doorstep_scans" PostgreSQL
    fi
} | tee "$OUT/scans.md"
