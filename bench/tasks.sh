#!/usr/bin/env bash
# Staff and tasks at district scale through the shipped binary (issue 13): a messy roster of
# ROWS persons (bench/src/roster.rs: no order, persons listed twice with changes, bad rows,
# CRLF) imported into a fresh database, then bench/src/bin/tasks.rs adds STAFF staff with their
# duties and TASKS open tasks, starts `doorstep serve` and times my tasks, the board and a
# routed bulk of BULK tasks over HTTP against /healthz. On SQLite, and on PostgreSQL unless
# PG_URL is empty. Results go to docs/performance.md by hand; the output to bench/out/tasks.md.
#
#   bench/tasks.sh                                   # 1,000,000 persons, 5,000 staff, 200,000 tasks
#   ROWS=100000 TASKS=20000 PG_URL= bench/tasks.sh   # a quick look, SQLite only
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${ROWS:-1000000}
STAFF=${STAFF:-5000}
TASKS=${TASKS:-200000}
BULK=${BULK:-10000}
PG_URL=${PG_URL-postgres://postgres@127.0.0.1:5432}
OUT=bench/out
mkdir -p "$OUT"
# shellcheck source=bench/lib.sh
. bench/lib.sh
build tasks
roster >/dev/null
run() {
    local db=$1 label=$2
    import_roster "$db" "$label"
    target/release/tasks "$db" target/release/doorstep "$STAFF" "$TASKS" "$BULK"
    echo
}
{
    echo "# Staff and tasks through the binary, $(date -u +%FT%TZ), commit $(git rev-parse --short HEAD)"
    rm -f "$OUT/tasks.db" "$OUT/tasks.db-wal" "$OUT/tasks.db-shm"
    run "sqlite://$OUT/tasks.db" SQLite
    if [ -n "$PG_URL" ]; then
        fresh_pg doorstep_tasks
        run "$PG_URL/doorstep_tasks" PostgreSQL
    fi
} | tee "$OUT/tasks.md"
