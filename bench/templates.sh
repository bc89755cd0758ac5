#!/usr/bin/env bash
# Exporting persons with a template through the shipped binary (issue 16: "a template export of
# 1,000,000 persons: under 15 s with flat memory"): the messy roster of ROWS persons
# (bench/src/roster.rs) imported into a fresh database, a street template with a value mapping
# and a date format imported from a file (`doorstep template import`), then
# `doorstep export TEMPLATE --area … --format xlsx|csv -o FILE` timed, each under
# /usr/bin/time -v for its peak RSS. For comparison, the roster export without a template
# (`doorstep export persons`). On SQLite, and on PostgreSQL unless PG_URL is empty. Output to
# bench/out/templates.md.
#
#   bench/templates.sh                             # 1,000,000 persons
#   ROWS=20000 PG_URL= bench/templates.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${ROWS:-1000000}
PG_URL=${PG_URL-postgres://postgres@127.0.0.1:5432}
OUT=bench/out
AREA=二七区/京广路街道/祥云社区
mkdir -p "$OUT"
# shellcheck source=bench/lib.sh
. bench/lib.sh
build
template=$OUT/template-bench.json
cat > "$template" <<'JSON'
{"format": "doorstep-template", "name": "卫健委", "kind": "persons", "columns": [
  {"header": "XM", "field": "name"},
  {"header": "XB", "field": "sex", "map": "男=1; 女=2"},
  {"header": "SFZH", "field": "id_number"},
  {"header": "CSRQ", "field": "birth_date", "map": "YYYYMMDD"},
  {"header": "LXDH", "field": "phone"},
  {"header": "ZZ", "field": "address"},
  {"header": "SQ", "field": "community"}
]}
JSON
# `timed LABEL CMD...`: wall time and peak RSS of one command, and the peak of its anonymous
# memory (heap and stacks; RSS also counts the pages of the database file SQLite maps, which
# grow with the file, not with the export), sampled every 0.1 s from /proc.
timed() {
    local label=$1 log anon=0 pid a
    shift
    log=$(mktemp)
    /usr/bin/time -v "$@" 2> "$log" >/dev/null &
    local tpid=$!
    while kill -0 "$tpid" 2>/dev/null; do
        pid=$(pgrep -P "$tpid" | head -1 || true)
        a=$( [ -n "$pid" ] && awk '/^RssAnon/{print $2}' "/proc/$pid/status" 2>/dev/null || true)
        if [ -n "$a" ] && [ "$a" -gt "$anon" ]; then anon=$a; fi
        sleep 0.1
    done
    wait "$tpid" || { cat "$log" >&2; return 1; }
    local wall rss
    wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$log")
    rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$log")
    echo "- $label: $wall wall, peak RSS $((rss / 1024)) MiB, of it anonymous at most $((anon / 1024)) MiB"
    rm -f "$log"
}
run() {
    local db=$1 label=$2
    import_roster "$db" "$label"
    target/release/doorstep --db "$db" template import "$template" --area 二七区/京广路街道 >/dev/null
    timed "template export, XLSX" target/release/doorstep --db "$db" export 卫健委 --area "$AREA" --format xlsx -o "$OUT/template.xlsx"
    timed "template export, CSV" target/release/doorstep --db "$db" export 卫健委 --area "$AREA" --format csv -o "$OUT/template.csv"
    echo "- rows written: $(($(wc -l < "$OUT/template.csv") - 1)); XLSX $(du -h "$OUT/template.xlsx" | cut -f1)"
    timed "roster export without a template, XLSX" target/release/doorstep --db "$db" export persons --area "$AREA" --format xlsx -o "$OUT/persons.xlsx"
    echo
}
{
    echo "# Template export through the binary, $(date -u +%FT%TZ), commit $(git rev-parse --short HEAD)"
    rm -f "$OUT/templates.db" "$OUT/templates.db-wal" "$OUT/templates.db-shm"
    run "sqlite://$OUT/templates.db" SQLite
    if [ -n "$PG_URL" ]; then
        fresh_pg "${PG_PREFIX:-doorstep}_templates"
        run "$PG_URL/${PG_PREFIX:-doorstep}_templates" PostgreSQL
    fi
} | tee "$OUT/templates.md"
