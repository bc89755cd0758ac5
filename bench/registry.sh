#!/usr/bin/env bash
# End-to-end registry benchmark: roster import into SQLite against the sqlite3 CLI's own
# `.import` of the same file and against the least sqlite3 itself needs to store the same
# persons (the SQL-only floor), peak memory at two file sizes, person lookups with the persons
# stored, and the same import on PostgreSQL. Results go to docs/performance.md.
#
# The rosters are shaped as users give them (bench/src/roster.rs): rows in no particular order,
# about 2% of persons listed twice with changes, about 8% bad rows of every kind, CRLF. The tidy
# address-ordered roster of earlier runs is imported too, as a second line (CLEAN=0 skips it).
#
#   bench/registry.sh                 # 1,000,000 and 100,000 rows
#   ROWS=200000 SMALL=20000 bench/registry.sh   # a quicker run
#
# Environment: ROWS (big file, default 1000000), SMALL (default 100000), HUGE (default twice ROWS:
# an import only, to show memory stays flat; HUGE=0 skips it), QUERIES (default 1000),
# PG_QUERIES (default 200: name searches on a freshly loaded PostgreSQL take ~0.25 s each),
# PG_URL (default postgres://postgres@127.0.0.1/doorstep_bench; set PG_URL= to skip),
# BOUND=0 to skip the SQL-only floor load,
# IMPORT_TIMEOUT seconds per import (default 1200), SKIP_BUILD=1 to use the built binaries,
# CLEAN=0 to skip the tidy roster.
# Everything it writes goes to bench/out/ (gitignored); the summary is bench/out/summary.md.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=$ROOT/bench/out
ROWS=${ROWS:-1000000}
SMALL=${SMALL:-100000}
HUGE=${HUGE:-$((2 * ROWS))}
QUERIES=${QUERIES:-1000}
PG_QUERIES=${PG_QUERIES:-200}
BOUND=${BOUND:-1}
CLEAN=${CLEAN:-1}
PG_URL=${PG_URL-postgres://postgres@127.0.0.1/doorstep_bench}
IMPORT_TIMEOUT=${IMPORT_TIMEOUT:-1200}
INTO=二七区/京广路街道/祥云社区
DOORSTEP=$ROOT/target/release/doorstep
GEN=$ROOT/target/release/gen_roster
LOOKUP=$ROOT/target/release/lookup
mkdir -p "$OUT"
SUMMARY=$OUT/summary.md
declare -A R   # results, by key

log() { printf '\n== %s\n' "$*" >&2; }

# --- tools ---------------------------------------------------------------------------------
need_apt=()
command -v sqlite3 >/dev/null || need_apt+=(sqlite3)
[ -x /usr/bin/time ] || need_apt+=(time)
if [ ${#need_apt[@]} -gt 0 ]; then
    log "installing ${need_apt[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if [ "${SKIP_BUILD:-}" != 1 ]; then
    log "cargo build --release -p doorstep -p doorstep-bench"
    cargo build --release -q -p doorstep -p doorstep-bench
fi

# --- helpers -------------------------------------------------------------------------------
# timed NAME CMD...: runs CMD under /usr/bin/time -v (report in $OUT/NAME.time, stdout in
# $OUT/NAME.out), records wall seconds (nanosecond clock), CPU seconds and peak RSS.
timed() {
    local name=$1; shift
    local t0 t1 rc=0
    t0=$(date +%s%N)
    timeout "$IMPORT_TIMEOUT" /usr/bin/time -v -o "$OUT/$name.time" "$@" >"$OUT/$name.out" 2>"$OUT/$name.err" || rc=$?
    t1=$(date +%s%N)
    R[$name.wall]=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
    R[$name.cpu]=$(awk -F': ' '/User time|System time/ { s += $2 } END { printf "%.2f", s }' "$OUT/$name.time" 2>/dev/null || echo "?")
    R[$name.rss_mb]=$(awk -F': ' '/Maximum resident/ { printf "%.0f", $2 / 1024 }' "$OUT/$name.time" 2>/dev/null || echo "?")
    R[$name.written_gb]=$(awk -F': ' '/File system outputs/ { printf "%.1f", $2 * 512 / 1e9 }' "$OUT/$name.time" 2>/dev/null || echo "?")
    R[$name.rc]=$rc
    echo "$name: rc=$rc wall=${R[$name.wall]}s cpu=${R[$name.cpu]}s rss=${R[$name.rss_mb]}MiB" >&2
    [ "$rc" = 0 ] || { echo "  (see $OUT/$name.err)" >&2; tail -3 "$OUT/$name.err" >&2 || true; }
}

rate() { awk -v n="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.0f", n / s; else print "?" }'; }

setup_areas() { # URL
    "$DOORSTEP" --db "$1" area add --kind district 二七区 >/dev/null
    "$DOORSTEP" --db "$1" area add --kind street 二七区/京广路街道 >/dev/null
    "$DOORSTEP" --db "$1" area add --kind community "$INTO" >/dev/null
}

json_field() { # FILE FIELD
    grep -o "\"$2\":[0-9]*" "$1" | head -1 | cut -d: -f2
}

check_import() { # NAME FILE: the outcome against what the file was made to need
    local f=$OUT/$1.out exp=$2.expected k want got bad=0
    for k in created updated rejected households_created; do
        got=$(json_field "$f" "$k" || true)
        R[$1.$k]=${got:-?}
        want=$(awk -v k="${k%_created}" '$1 == k { print $2 }' "$exp")
        [ "$k" = households_created ] && want=$(awk '$1 == "households" { print $2 }' "$exp")
        if [ "${got:-}" != "$want" ]; then
            echo "WARNING: $1 $k=${got:-?} (the file needs $want)" >&2
            bad=1
        fi
    done
    R[$1.ok]=$([ $bad = 0 ] && echo yes || echo NO)
}

# --- machine ---------------------------------------------------------------------------------
R[commit]=$(git rev-parse --short HEAD 2>/dev/null || echo "(not a git checkout)")
R[dirty]=$( (git status --porcelain -- crates Cargo.toml Cargo.lock 2>/dev/null || true) | wc -l | tr -d ' ')
R[cpu]=$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)
R[cores]=$(nproc)
R[mem]=$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)
R[sqlite3]=$(sqlite3 --version | cut -d' ' -f1)
R[load_start]=$(cut -d' ' -f1-3 /proc/loadavg)

# --- files -------------------------------------------------------------------------------------
BIG=$OUT/roster-$ROWS.csv
SMALLF=$OUT/roster-$SMALL.csv
log "generating $BIG and $SMALLF (messy)"
"$GEN" "$ROWS" "$BIG"
"$GEN" "$SMALL" "$SMALLF"
SIZES=("$SMALL" "$ROWS")
if [ "$HUGE" != 0 ]; then
    "$GEN" "$HUGE" "$OUT/roster-$HUGE.csv"
    SIZES+=("$HUGE")
fi
if [ "$CLEAN" = 1 ]; then
    log "generating the tidy roster of $ROWS rows"
    "$GEN" "$ROWS" "$OUT/roster-clean.csv" --clean
fi
R[big_mb]=$(du -m "$BIG" | cut -f1)

# --- SQLite import against sqlite3 .import, for each size ------------------------------------
for n in "${SIZES[@]}"; do
    f=$OUT/roster-$n.csv
    log "sqlite3 .import of $n rows"
    rm -f "$OUT/plain-$n.db"
    timed "cli_import_$n" sqlite3 "$OUT/plain-$n.db" -cmd ".mode csv" ".import $f roster"
    R[cli_import_$n.count]=$(sqlite3 "$OUT/plain-$n.db" "SELECT COUNT(*) FROM roster")

    log "doorstep import of $n rows into SQLite"
    db=$OUT/registry-$n.db
    rm -f "$db" "$db-wal" "$db-shm"
    setup_areas "sqlite://$db"
    timed "sqlite_import_$n" "$DOORSTEP" --db "sqlite://$db" import persons --into "$INTO" "$f" --json
    check_import "sqlite_import_$n" "$f"
    R[sqlite_import_$n.db_mb]=$(du -m "$db" | cut -f1)
    if [ "$n" = "$HUGE" ]; then rm -f "$db" "$db-wal" "$db-shm"; fi
done

if [ "$CLEAN" = 1 ]; then
    log "doorstep import of the tidy roster ($ROWS rows) into SQLite"
    cdb=$OUT/registry-clean.db
    rm -f "$cdb" "$cdb-wal" "$cdb-shm" "$OUT/plain-clean.db"
    timed "cli_import_clean" sqlite3 "$OUT/plain-clean.db" -cmd ".mode csv" ".import $OUT/roster-clean.csv roster"
    setup_areas "sqlite://$cdb"
    timed "sqlite_import_clean" "$DOORSTEP" --db "sqlite://$cdb" import persons --into "$INTO" "$OUT/roster-clean.csv" --json
    check_import "sqlite_import_clean" "$OUT/roster-clean.csv"
    R[sqlite_import_clean.db_mb]=$(du -m "$cdb" | cut -f1)
    rm -f "$cdb" "$cdb-wal" "$cdb-shm" "$OUT/plain-clean.db"
fi

# --- SQL-only floor: the same persons into the same schema by sqlite3 itself --------------------
# Not a product path: sqlite3 doing the storage work of the import of the messy file, with
# nothing else. From the table `.import` made: the good rows (the bad ones are listed beside the
# file), the last row of each person (a window over the document), in file order, into doorstep's
# persons table (a `doorstep migrate`d file) with one INSERT ... SELECT; the indexes a bulk load
# defers are dropped first and built after (the migrations' own statements); doorstep's pragmas;
# one transaction. No validation, no households, no history, no per-row Rust: the least SQLite
# itself needs to store these persons in this schema with its indexes, next to `.import` in the
# same run.
if [ "$BOUND" = 1 ]; then
    log "SQL-only floor: the persons of $ROWS messy rows into doorstep's schema by sqlite3"
    bdb=$OUT/bound-$ROWS.db
    rm -f "$bdb" "$bdb-wal" "$bdb-shm"
    "$DOORSTEP" --db "sqlite://$bdb" migrate >/dev/null 2>&1
    sqlite3 "$OUT/plain-$ROWS.db" "CREATE TABLE bad (r INTEGER PRIMARY KEY)" ".import $BIG.bad bad"
    ts="'2026-01-01T00:00:00.000000000Z'"
    deferred="persons_name persons_phone_rev persons_household households_room persons_document"
    cat >"$OUT/bound.sql" <<SQL
PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=OFF;
PRAGMA cache_size=-32768; PRAGMA temp_store=FILE; PRAGMA threads=2;
ATTACH '$OUT/plain-$ROWS.db' AS src;
BEGIN IMMEDIATE;
$(for ix in $deferred; do echo "DROP INDEX $ix;"; done)
INSERT INTO persons (household_id, name, id_type, id_number, id_rev, sex, birth_date, phone, phone_rev,
                     relation, residency, tags, created_at, updated_at)
  SELECT rid / 3 + 1, 姓名, 'resident_id', 证件号码, 证件号码, 性别, '1990-01-01', 联系电话, 联系电话,
         与户主关系, 居住类型, '[]', $ts, $ts
  FROM (SELECT r.*, r.rowid AS rid,
               ROW_NUMBER() OVER (PARTITION BY 证件号码 ORDER BY r.rowid DESC) AS k
        FROM src.roster r WHERE r.rowid NOT IN (SELECT r FROM src.bad))
  WHERE k = 1 ORDER BY rid;
$(for ix in $deferred; do
    grep -h "CREATE .*INDEX $ix " crates/store-sqlite/migrations/*.sql | tail -1
  done)
COMMIT;
SQL
    timed "bound_$ROWS" sqlite3 "$bdb" -init "$OUT/bound.sql" .quit
    R[bound_$ROWS.count]=$(sqlite3 "$bdb" "SELECT COUNT(*) FROM persons")
    rm -f "$bdb" "$bdb-wal" "$bdb-shm"
fi
rm -f "$OUT"/plain-*.db

# --- lookups with ROWS persons stored -----------------------------------------------------------
log "lookups on SQLite with $ROWS persons"
timed lookup_sqlite "$LOOKUP" "sqlite://$OUT/registry-$ROWS.db" "$BIG" "$QUERIES"
while read -r k v; do R[lookup_sqlite.$k]=$v; done <"$OUT/lookup_sqlite.out"

# --- PostgreSQL --------------------------------------------------------------------------------
R[pg]=skipped
if [ -n "$PG_URL" ] && command -v psql >/dev/null; then
    pg_admin=${PG_URL%/*}/postgres
    pg_db=${PG_URL##*/}
    if psql "$pg_admin" -qAtc "SELECT 1" >/dev/null 2>&1; then
        R[pg]=$(psql "$pg_admin" -qAtc "SHOW server_version")
        log "doorstep import of $ROWS rows into PostgreSQL $pg_db"
        psql "$pg_admin" -qc "DROP DATABASE IF EXISTS $pg_db" -c "CREATE DATABASE $pg_db" >/dev/null 2>&1
        setup_areas "$PG_URL" 2>/dev/null
        timed "pg_import_$ROWS" "$DOORSTEP" --db "$PG_URL" import persons --into "$INTO" "$BIG" --json
        check_import "pg_import_$ROWS" "$BIG"
        log "lookups on PostgreSQL with $ROWS persons"
        timed lookup_pg "$LOOKUP" "$PG_URL" "$BIG" "$PG_QUERIES"
        while read -r k v; do R[lookup_pg.$k]=$v; done <"$OUT/lookup_pg.out"
        if [ "$CLEAN" = 1 ]; then
            log "doorstep import of the tidy roster into PostgreSQL $pg_db"
            psql "$pg_admin" -qc "DROP DATABASE IF EXISTS $pg_db" -c "CREATE DATABASE $pg_db" >/dev/null 2>&1
            setup_areas "$PG_URL" 2>/dev/null
            timed "pg_import_clean" "$DOORSTEP" --db "$PG_URL" import persons --into "$INTO" "$OUT/roster-clean.csv" --json
            check_import "pg_import_clean" "$OUT/roster-clean.csv"
        fi
    else
        R[pg]="unreachable ($PG_URL)"
    fi
fi
R[load_end]=$(cut -d' ' -f1-3 /proc/loadavg)

# --- summary -----------------------------------------------------------------------------------
v() { echo "${R[$1]:-?}"; }
{
    echo "# Registry benchmark, $(date -u +%Y-%m-%dT%H:%MZ)"
    echo
    echo "commit $(v commit) (files changed under crates/ etc.: $(v dirty)); $(v cpu), $(v cores) cores, $(v mem);" \
        "sqlite3 $(v sqlite3); PostgreSQL $(v pg); load average at start $(v load_start), at end $(v load_end)."
    echo
    echo "## Import (SQLite), same files, same run"
    echo
    echo "Rosters as users give them: shuffled, 2% of persons twice with changes, 8% bad rows, CRLF;" \
        "the last line is the tidy address-ordered roster of $ROWS rows. \"as needed\" says whether the" \
        "import's counts are the ones the file was made to need."
    echo
    echo "| roster | rows | sqlite3 .import s | doorstep import s | rows/s | doorstep CPU s | doorstep peak RSS MiB | created | updated | rejected | households | as needed | DB MiB |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|"
    line() { # LABEL ROWS KEY
        local k=$3 dw
        dw=$(v "sqlite_import_$k.wall")
        echo "| $1 | $2 | $(v "cli_import_$k.wall") | $dw | $(rate "$2" "$dw") | $(v "sqlite_import_$k.cpu") |" \
            "$(v "sqlite_import_$k.rss_mb") | $(v "sqlite_import_$k.created") | $(v "sqlite_import_$k.updated") |" \
            "$(v "sqlite_import_$k.rejected") | $(v "sqlite_import_$k.households_created") | $(v "sqlite_import_$k.ok") |" \
            "$(v "sqlite_import_$k.db_mb") |"
    }
    for n in "${SIZES[@]}"; do line messy "$n" "$n"; done
    [ "$CLEAN" = 1 ] && line tidy "$ROWS" clean
    echo
    if [ "$BOUND" = 1 ]; then
        bw=$(v "bound_$ROWS.wall"); dw=$(v "sqlite_import_$ROWS.wall")
        echo "SQL-only floor for the messy $ROWS rows (sqlite3 itself: the good rows' last version of each person" \
            "into doorstep's persons table, the deferred indexes built after, one transaction, no validation," \
            "no households): $(v "bound_$ROWS.count") persons in $bw s ($(rate "$ROWS" "$bw") rows/s, CPU" \
            "$(v "bound_$ROWS.cpu") s). **doorstep's speed as a share of the floor's:" \
            "$(awk -v b="$bw" -v d="$dw" 'BEGIN { if (d > 0) printf "%.2f", b / d; else print "?" }')** (target at least 0.5)."
        echo
    fi
    if [ "${R[pg]}" != skipped ] && [[ "${R[pg]}" != unreachable* ]]; then
        echo "## Import (PostgreSQL $(v pg), into an empty registry)"
        echo
        echo "| roster | rows | doorstep import s | rows/s | client CPU s | client peak RSS MiB | created | updated | rejected | as needed |"
        echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"
        for k in "$ROWS" clean; do
            [ -n "${R[pg_import_$k.wall]:-}" ] || continue
            label=$([ "$k" = clean ] && echo tidy || echo messy)
            echo "| $label | $ROWS | $(v "pg_import_$k.wall") | $(rate "$ROWS" "$(v "pg_import_$k.wall")") | $(v "pg_import_$k.cpu") |" \
                "$(v "pg_import_$k.rss_mb") | $(v "pg_import_$k.created") | $(v "pg_import_$k.updated") |" \
                "$(v "pg_import_$k.rejected") | $(v "pg_import_$k.ok") |"
        done
        echo
    fi
    echo "## Lookups with $(v lookup_sqlite.max_person_id) persons stored (ms; SQLite $(v lookup_sqlite.queries) queries of each kind, PostgreSQL $(v lookup_pg.queries))"
    echo
    echo "| backend | call | p50 | p95 | p99 | max | mean |"
    echo "|---|---|---:|---:|---:|---:|---:|"
    for b in sqlite pg; do
        [ -n "${R[lookup_$b.backend]:-}" ] || continue
        for c in floor by_id by_name by_name_capped by_name_in_area; do
            case $c in
                floor) label='floor: `area_by_id(1)`' ;;
                by_id) label='`person_by_document(ResidentId, n)`' ;;
                by_name) label="\`search_persons(name)\` (mean $(v "lookup_$b.name_hits_mean") hits, max $(v "lookup_$b.name_hits_max"))" ;;
                by_name_capped) label='`search_persons(name)` with `count_cap: Some(1000)`' ;;
                by_name_in_area) label='`search_persons(name)` in the community, `count_cap: Some(1000)` (as the search page)' ;;
            esac
            echo "| $(v "lookup_$b.backend") | $label | $(v "lookup_$b.${c}_p50_ms") | $(v "lookup_$b.${c}_p95_ms") |" \
                "$(v "lookup_$b.${c}_p99_ms") | $(v "lookup_$b.${c}_max_ms") | $(v "lookup_$b.${c}_mean_ms") |"
        done
    done
} >"$SUMMARY"
echo >&2
cat "$SUMMARY"
