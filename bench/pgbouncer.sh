#!/usr/bin/env bash
# Doorstep behind PgBouncer in transaction mode (issue 17): a fresh database with a roster of
# ROWS persons (imported directly), then the scans load (bench/src/bin/scans.rs: a round opened
# through the store, `doorstep serve` started, SECONDS of scans from CONNS connections after a
# /healthz floor, every acknowledged scan checked stored once) run twice on the same database:
# straight to PostgreSQL, then through PgBouncer (pool_mode = transaction, 8 server connections
# for the server's 16 and the generator's own). Any unexpected answer fails the run. PgBouncer's
# SHOW POOLS at the end says how many server connections it used. Everything is torn down.
#
#   bench/pgbouncer.sh                                  # 100,000 rows, 30 s each
#   PGBOUNCER=/opt/pgbouncer/bin/pgbouncer bench/pgbouncer.sh
#
# Then a server on the PgBouncer URL answers 80 person searches from 8 clients at once (the
# search reads with a generated IN list, an unnamed statement). Any answer other than 200 fails
# the run, and the server's database errors are counted. Last, bench/src/bin/lookup.rs times
# LOOKUPS person lookups (by ID number, by name, by name within the community) straight to
# PostgreSQL and through PgBouncer, one call at a time; a failed lookup fails the run.
#
# sqlx prepares named statements, which transaction pooling hands to the wrong server
# connection unless PgBouncer tracks them: PgBouncer >= 1.21 with max_prepared_statements (set
# here). Debian 12's pgbouncer is 1.18; with it the run stops and says so, unless ALLOW_OLD=1.
# Build 1.21+ from its source with PGBOUNCER_SRC=DIR (a checkout of pgbouncer/pgbouncer; needs
# autoconf, automake, libtool, libevent-dev): the binary is made in DIR when missing and used.
# Unnamed statements are another matter: sqlx 0.9.0 as published sends their Parse and Bind in
# two round trips, which PgBouncer may route to two server connections; the vendored
# sqlx-postgres sends them in one (ARCHITECTURE.md, "sqlx-postgres is patched"), and the
# searches and lookups here are its test.
#
# Environment: ROWS (100000), SECONDS_ (30), CONNS (32), PORT (6432), PGBOUNCER (pgbouncer),
# PG_URL (postgres://postgres@127.0.0.1:5432; the database doorstep_pgbouncer is dropped and
# created), LOOKUPS (300), PGBOUNCER_SRC, SKIP_BUILD=1, PROFILE=debug. Output: bench/out/pgbouncer.md.
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${ROWS:-100000}
SECONDS_=${SECONDS_:-30}
CONNS=${CONNS:-32}
PORT=${PORT:-6432}
LOOKUPS=${LOOKUPS:-300}
PGBOUNCER=${PGBOUNCER:-pgbouncer}
if [ -n "${PGBOUNCER_SRC:-}" ]; then
    if [ ! -x "$PGBOUNCER_SRC/pgbouncer" ]; then
        (cd "$PGBOUNCER_SRC" && ./autogen.sh && ./configure --without-cares && make pgbouncer) >&2
    fi
    PGBOUNCER=$PGBOUNCER_SRC/pgbouncer
fi
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432}
DB=doorstep_pgbouncer
OUT=bench/out
mkdir -p "$OUT"
# shellcheck source=bench/lib.sh
. bench/lib.sh   # PROFILE, BIN, build, roster, import_roster

version=$("$PGBOUNCER" --version | head -1 | awk '{print $2}')
IFS=. read -r major minor _ <<<"$version"
if [ "$major" -lt 1 ] || { [ "$major" -eq 1 ] && [ "$minor" -lt 21 ]; }; then
    if [ "${ALLOW_OLD:-0}" != 1 ]; then
        echo "PgBouncer $version has no max_prepared_statements (1.21 and later): transaction" >&2
        echo "pooling would hand sqlx's prepared statements to the wrong server connection." >&2
        echo "Set PGBOUNCER to a 1.21+ binary, or ALLOW_OLD=1 to see it fail." >&2
        exit 2
    fi
    PREPARED=""
else
    PREPARED="max_prepared_statements = 200"
fi

build scans lookup
roster >/dev/null
DIR=$(mktemp -d)
chmod 755 "$DIR"
cleanup() {
    if [ -f "$DIR/pgbouncer.pid" ]; then
        kill "$(cat "$DIR/pgbouncer.pid")" 2>/dev/null || true
        sleep 0.5
    fi
    psql "$PG_URL/postgres" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" 2>/dev/null || true
    rm -rf "$DIR"
}
trap cleanup EXIT

host=${PG_URL#*@}
pg_host=${host%:*}
pg_port=${host##*:}
pg_user=${PG_URL#*://}
pg_user=${pg_user%@*}
cat >"$DIR/pgbouncer.ini" <<EOF
[databases]
$DB = host=$pg_host port=$pg_port dbname=$DB user=$pg_user

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $PORT
unix_socket_dir =
auth_type = trust
auth_file = $DIR/userlist.txt
admin_users = $pg_user
pool_mode = transaction
$PREPARED
default_pool_size = 8
max_client_conn = 500
ignore_startup_parameters = extra_float_digits
logfile = $DIR/pgbouncer.log
pidfile = $DIR/pgbouncer.pid
EOF
echo "\"$pg_user\" \"\"" >"$DIR/userlist.txt"
# PgBouncer will not run as root.
if [ "$(id -u)" = 0 ]; then
    chown -R postgres "$DIR"
    as_user=(-u postgres)
else
    as_user=()
fi

DIRECT="$PG_URL/$DB"
POOLED="postgres://$pg_user@127.0.0.1:$PORT/$DB"
{
    echo "# Through PgBouncer, $(date -u +%FT%TZ), commit $(git rev-parse --short HEAD)"
    echo "PgBouncer $version, pool_mode = transaction, default_pool_size = 8, ${PREPARED:-no max_prepared_statements}"
    echo
    psql "$PG_URL/postgres" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" 2>/dev/null || true
    psql "$PG_URL/postgres" -qc "CREATE DATABASE $DB"
    # Migrations straight to PostgreSQL (their advisory lock is a session's: docs/deployment.md).
    $BIN/doorstep --db "$DIRECT" migrate >/dev/null
    import_roster "$DIRECT" "PostgreSQL"
    "$PGBOUNCER" -d "${as_user[@]}" "$DIR/pgbouncer.ini"
    for _ in $(seq 50); do
        psql "$POOLED" -Atqc 'SELECT 1' >/dev/null 2>&1 && break
        sleep 0.1
    done
    echo
    echo "## straight to PostgreSQL ($DIRECT)"
    $BIN/scans "$DIRECT" $BIN/doorstep "$SECONDS_" "$CONNS"
    echo
    echo "## through PgBouncer ($POOLED)"
    status=0
    $BIN/scans "$POOLED" $BIN/doorstep "$SECONDS_" "$CONNS" || status=$?
    echo
    echo "## searches through PgBouncer (statements built with generated IN lists, unnamed)"
    printf 'bench-admin-pw-1\n' | $BIN/doorstep --db "$DIRECT" user add --username bench-admin \
        --role community_admin --area 二七区/京广路街道/祥云社区 --password-stdin >/dev/null
    $BIN/doorstep --db "$POOLED" serve --addr "127.0.0.1:$((PORT + 1))" 2>"$DIR/serve.log" &
    server=$!
    for _ in $(seq 100); do curl -sf "http://127.0.0.1:$((PORT + 1))/healthz" >/dev/null && break; sleep 0.2; done
    token=$(curl -s -XPOST -H 'content-type: application/json' \
        -d '{"username":"bench-admin","password":"bench-admin-pw-1"}' \
        "http://127.0.0.1:$((PORT + 1))/api/v1/auth/login" | sed 's/.*"token":"\([^"]*\)".*/\1/')
    loops=()
    for w in 1 2 3 4 5 6 7 8; do
        for q in 王 李 张 刘 陈 杨 赵 黄 周 吴; do
            curl -s -o /dev/null -w '%{http_code}\n' -H "authorization: Bearer $token" \
                "http://127.0.0.1:$((PORT + 1))/api/v1/persons?q=$q&limit=20"
        done >"$DIR/codes-$w" &
        loops+=($!)
    done
    wait "${loops[@]}"
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    searched=$(cat "$DIR"/codes-* | wc -l)
    failed=$(cat "$DIR"/codes-* | grep -vc '^200$' || true)
    echo "searches: $searched, answered other than 200: $failed"
    grep -o 'error returned from database: [^:]*' "$DIR/serve.log" | sed 's/ at line [0-9]*//' | sort | uniq -c | sort -rn | head -5 || true
    [ "$failed" = 0 ] || status=${status/#0/9}
    echo
    echo "## person lookups, one at a time ($LOOKUPS of each kind; ms, p50 / p99)"
    echo "| | floor (an area by id) | by ID number | by name | by name, count capped | by name in the community |"
    echo "|---|---:|---:|---:|---:|---:|"
    for via in "straight to PostgreSQL:$DIRECT" "through PgBouncer:$POOLED"; do
        if $BIN/lookup "${via#*:}" "$(roster)" "$LOOKUPS" >"$DIR/lookup.out" 2>&1; then
            row="| ${via%%:*} |"
            for k in floor by_id by_name by_name_capped by_name_in_area; do
                row+=" $(awk -v k="$k" '$1 == k"_p50_ms" {a=$2} $1 == k"_p99_ms" {b=$2} END {print a " / " b}' "$DIR/lookup.out") |"
            done
            echo "$row"
        else
            echo "| ${via%%:*} | **failed**: $(grep -m1 '^Error' "$DIR/lookup.out" | cut -c1-160) |"
            status=${status/#0/10}
        fi
    done
    echo
    echo "PgBouncer's pools at the end (cl_: the app's connections, sv_: PostgreSQL's):"
    psql "postgres://$pg_user@127.0.0.1:$PORT/pgbouncer" -c 'SHOW POOLS' | grep -E "database|$DB"
    echo "PgBouncer's totals:"
    psql "postgres://$pg_user@127.0.0.1:$PORT/pgbouncer" -c 'SHOW STATS' | grep -E "database|$DB" | cut -c1-140
    echo "errors in PgBouncer's log: $(grep -ciE 'error|fatal' "$DIR/pgbouncer.log" || true)"
    grep -iE 'error|fatal' "$DIR/pgbouncer.log" | head -5 || true
    if [ "$status" != 0 ]; then
        echo "FAILED through PgBouncer (status $status)"
        exit "$status"
    fi
    echo "ok: every scan, search and lookup through PgBouncer answered as expected; every scan is stored once"
} 2>&1 | tee "$OUT/pgbouncer.md"
exit "${PIPESTATUS[0]}"
