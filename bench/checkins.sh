#!/usr/bin/env bash
# Daily check-ins through the shipped binary (issue 15): a messy roster of ROWS persons
# (bench/src/roster.rs) imported into a fresh database, EPISODES home-quarantine episodes
# started for whole households at random, then bench/src/bin/checkins.rs drives household
# check-ins from CONNS kept-alive connections for SECONDS against the same server's /healthz,
# times the worker's day and the overview, and runs the missed-window sweep over every
# episode. On SQLite, and on PostgreSQL unless PG_URL is empty. Results go to
# docs/performance.md by hand; the output to bench/out/checkins.md.
#
#   bench/checkins.sh                                          # 1,000,000 rows, 50,000 episodes, 60 s
#   ROWS=100000 EPISODES=5000 SECONDS_=10 PG_URL= bench/checkins.sh   # a quick look, SQLite only
#   SQLITE=0 bench/checkins.sh                                 # PostgreSQL only
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${ROWS:-1000000}
SECONDS_=${SECONDS_:-60}
CONNS=${CONNS:-64}
EPISODES=${EPISODES:-50000}
PG_URL=${PG_URL-postgres://postgres@127.0.0.1:5432}
SQLITE=${SQLITE:-1}
OUT=bench/out
mkdir -p "$OUT"
# shellcheck source=bench/lib.sh
. bench/lib.sh
build checkins
roster >/dev/null
run() {
    local db=$1 label=$2
    import_roster "$db" "$label"
    target/release/checkins "$db" target/release/doorstep "$SECONDS_" "$CONNS" "$EPISODES"
    echo
}
{
    echo "# Check-ins through the binary, $(date -u +%FT%TZ), commit $(git rev-parse --short HEAD)"
    if [ "$SQLITE" != 0 ]; then
        rm -f "$OUT/checkins.db" "$OUT/checkins.db-wal" "$OUT/checkins.db-shm"
        run "sqlite://$OUT/checkins.db" SQLite
    fi
    if [ -n "$PG_URL" ]; then
        fresh_pg doorstep_checkins
        run "$PG_URL/doorstep_checkins" PostgreSQL
    fi
} | tee "$OUT/checkins.md"
