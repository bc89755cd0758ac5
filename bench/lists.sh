#!/usr/bin/env bash
# Matching an investigation list through the shipped binary (issue 16): a messy roster of ROWS
# persons (bench/src/roster.rs) imported into a fresh database as the registry, then a list of
# LIST rows (bench/src/bin/gen_list.rs: GBK, CRLF, unordered, repeats, rows not found, bad
# rows, headers of its own) imported with `doorstep list import --json`, which reports where
# the time went (read, match, store, calls). The floor, measured in the same run: the same
# command on a one-row list (start, migrations, one match, one task). Then the return file.
# On SQLite, and on PostgreSQL unless PG_URL is empty. Output to bench/out/lists.md.
#
#   bench/lists.sh                             # 200,000 persons, a 100,000-row list
#   ROWS=20000 LIST=10000 PG_URL= bench/lists.sh
#   SKIP_SQLITE=1 bench/lists.sh                # PostgreSQL only
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${ROWS:-200000}
LIST=${LIST:-100000}
PG_URL=${PG_URL-postgres://postgres@127.0.0.1:5432}
OUT=bench/out
AREA=二七区/京广路街道/祥云社区
mkdir -p "$OUT"
# shellcheck source=bench/lib.sh
. bench/lib.sh
build gen_list
roster=$(roster)
list=$OUT/list-$LIST.csv
[ -f "$list" ] || target/release/gen_list "$roster" "$LIST" "$list"
one=$OUT/list-1.csv
head -2 "$list" > "$one"
ms() { date +%s%3N; }
run() {
    local db=$1 label=$2 t0 t1
    import_roster "$db" "$label"
    t0=$(ms)
    target/release/doorstep --db "$db" list import "$one" --area "$AREA" --json >/dev/null
    t1=$(ms)
    echo "floor: a one-row list through the binary: $((t1 - t0)) ms"
    t0=$(ms)
    target/release/doorstep --db "$db" list import "$list" --area "$AREA" --json > "$OUT/list-import.json"
    t1=$(ms)
    echo "$LIST-row list through the binary: $((t1 - t0)) ms wall; load $(cut -d' ' -f1-3 /proc/loadavg)"
    echo '```'
    cat "$OUT/list-import.json"
    echo
    echo '```'
    local id
    id=$(sed -E 's/.*"id":([0-9]+).*/\1/' "$OUT/list-import.json")
    t0=$(ms)
    target/release/doorstep --db "$db" list return "$id" -o "$OUT/list-return.xlsx" >/dev/null
    t1=$(ms)
    echo "return file (XLSX, $LIST rows): $((t1 - t0)) ms"
    echo
}
{
    echo "# Investigation list matching through the binary, $(date -u +%FT%TZ), commit $(git rev-parse --short HEAD)"
    if [ "${SKIP_SQLITE:-0}" != 1 ]; then
        rm -f "$OUT/lists.db" "$OUT/lists.db-wal" "$OUT/lists.db-shm"
        run "sqlite://$OUT/lists.db" SQLite
    fi
    if [ -n "$PG_URL" ]; then
        fresh_pg "${PG_PREFIX:-doorstep}_lists"
        run "$PG_URL/${PG_PREFIX:-doorstep}_lists" PostgreSQL
    fi
} | tee "$OUT/lists.md"
