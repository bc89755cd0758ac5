#!/usr/bin/env bash
# Household reports through the shipped binary (`doorstep serve`, release build): the demo
# community reporting over loopback HTTP from many client addresses, 60 s sustained, on SQLite
# and on PostgreSQL, with keep-alive on (X-Forwarded-For through a trusted proxy) and off (a
# loopback source address per connection). Each run also measures the floor (GET /healthz
# through the same client) and checks afterwards that every acknowledged report is stored once.
# See bench/src/bin/selfreport.rs; results go to docs/performance.md.
#
#   bench/selfreport.sh                       # four runs of 60 s
#   RUN_SECONDS=10 PG_URL= bench/selfreport.sh  # a quick look, SQLite only
#
# Environment: RUN_SECONDS (default 60), FLOOR_SECONDS (default 10), CONNS (default 64),
# CLIENTS (client addresses, default 2000), PG_URL (server URL without a database, default
# postgres://postgres@127.0.0.1:5432; empty skips PostgreSQL; the database
# doorstep_selfreport is dropped and created), SKIP_BUILD=1 to use the built binaries.
# The output is bench/out/selfreport.md (gitignored).
set -euo pipefail

cd "$(dirname "$0")/.."
RUN_SECONDS=${RUN_SECONDS:-60}
FLOOR_SECONDS=${FLOOR_SECONDS:-10}
CONNS=${CONNS:-64}
CLIENTS=${CLIENTS:-2000}
PG_URL=${PG_URL-postgres://postgres@127.0.0.1:5432}
OUT=bench/out/selfreport.md
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT

if [ "${SKIP_BUILD:-0}" != 1 ]; then
    cargo build --release -p doorstep -p doorstep-bench --bin doorstep --bin selfreport
fi
mkdir -p bench/out
{
    echo "# Self-report through the binary, $(date -u +%FT%TZ), commit $(git rev-parse --short HEAD)"
    echo "$(nproc) cores; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
    echo
} > "$OUT"

run() {
    target/release/selfreport --db "$1" --label "$2" --keepalive "$3" --seconds "$RUN_SECONDS" \
        --floor-seconds "$FLOOR_SECONDS" --conns "$CONNS" --clients "$CLIENTS" | tee -a "$OUT"
    echo "top CPU users at the end: $(ps -eo pcpu,comm --sort=-pcpu --no-headers | head -5 | xargs)" | tee -a "$OUT"
    echo | tee -a "$OUT"
}

for keepalive in on off; do
    rm -f "$DIR"/selfreport.db*
    run "sqlite://$DIR/selfreport.db" SQLite "$keepalive"
    if [ -n "$PG_URL" ]; then
        psql "$PG_URL/postgres" -qc "DROP DATABASE IF EXISTS doorstep_selfreport" 2>/dev/null
        run "$PG_URL/doorstep_selfreport" PostgreSQL "$keepalive"
    fi
done
echo "written to $OUT"
