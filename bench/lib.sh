# Shared by the benchmark scripts (source it): the messy roster of ROWS persons made once, and a
# fresh database of its community, imported through the shipped binary.

# The binaries: release builds unless PROFILE=debug (a quicker build, slower figures).
PROFILE=${PROFILE:-release}
BIN=target/$PROFILE

# Builds what the script runs, unless SKIP_BUILD=1: `build BIN...`.
build() {
    if [ "${SKIP_BUILD:-0}" != 1 ]; then
        local flag=--release
        [ "$PROFILE" = release ] || flag=
        cargo build $flag -p doorstep -p doorstep-bench --bin doorstep --bin gen_roster "${@/#/--bin=}"
    fi
}

# The roster of ROWS rows (bench/src/roster.rs: no order, persons listed twice with changes, bad
# rows, CRLF), made when missing; prints its path.
roster() {
    local roster=bench/out/roster-$ROWS.csv
    [ -f "$roster" ] || "$BIN/gen_roster" "$ROWS" "$roster" >&2
    echo "$roster"
}

# The district, street and community, then the roster imported into it: `import_roster DB LABEL`.
import_roster() {
    local db=$1 label=$2 roster
    roster=$(roster)
    "$BIN/doorstep" --db "$db" area add --kind district 二七区 >/dev/null
    "$BIN/doorstep" --db "$db" area add --kind street 二七区/京广路街道 >/dev/null
    "$BIN/doorstep" --db "$db" area add --kind community 二七区/京广路街道/祥云社区 >/dev/null
    local t0=$SECONDS
    "$BIN/doorstep" --db "$db" import persons --into 二七区/京广路街道/祥云社区 "$roster" --json >/dev/null
    echo "## $label — $ROWS-row roster imported in $((SECONDS - t0)) s; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
}

# A fresh PostgreSQL database NAME on PG_URL: `fresh_pg NAME` (the scripts name theirs
# `${PG_PREFIX:-doorstep}_…`, so runs side by side keep apart).
fresh_pg() {
    psql "$PG_URL/postgres" -qc "DROP DATABASE IF EXISTS $1" 2>/dev/null
    psql "$PG_URL/postgres" -qc "CREATE DATABASE $1" 2>/dev/null
}

# The database a mix run drives, fresh, its URL printed: `mix_db NAME`. With PG_URL set (e.g.
# postgres://postgres@127.0.0.1:5432), a new PostgreSQL database `${PG_PREFIX:-doorstep}_NAME`
# with the roster imported, then VACUUM ANALYZE (the generator quarantines households and
# samples persons: a database serves one run). Else bench/out/NAME.db, a copy of the SQLite
# registry imported once and kept as bench/out/base-ROWS.db.
mix_db() {
    local name=$1
    if [ -n "${PG_URL:-}" ]; then
        local db=${PG_PREFIX:-doorstep}_$name
        psql "$PG_URL/postgres" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1
        psql "$PG_URL/postgres" -qc "CREATE DATABASE $db" >/dev/null
        import_roster "$PG_URL/$db" PostgreSQL >&2
        psql "$PG_URL/$db" -qc "VACUUM ANALYZE" >/dev/null
        echo "$PG_URL/$db"
        return
    fi
    local base=bench/out/base-$ROWS.db
    if [ ! -f "$base" ]; then
        rm -f "$base.tmp" "$base.tmp-wal" "$base.tmp-shm"
        import_roster "sqlite://$base.tmp" SQLite >&2
        mv "$base.tmp" "$base"
    fi
    rm -f "bench/out/$name.db" "bench/out/$name.db-wal" "bench/out/$name.db-shm"
    cp "$base" "bench/out/$name.db"
    echo "sqlite://bench/out/$name.db"
}

# The database's name for a title: `engine URL`.
engine() {
    case $1 in postgres*) echo PostgreSQL ;; *) echo SQLite ;; esac
}
