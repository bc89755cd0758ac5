#!/usr/bin/env bash
# A PostgreSQL failover under load (issue 17): pg_auto_failover (Debian packages
# postgresql-15-auto-failover and pg-auto-failover-cli) sets up a monitor, a primary and a hot
# standby (synchronous streaming replication) on local ports in a temporary directory, as the
# `postgres` user. A roster of ROWS persons is imported through the multi-host URL
#   postgres://postgres@127.0.0.1:P1,127.0.0.1:P2/doorstep?target_session_attrs=read-write
# then bench/src/bin/failover.rs starts `doorstep serve` on that URL, scans from CONNS
# connections for SECONDS, and KILL_AFTER seconds in kills the primary (its pg_autoctl keeper
# and its postmaster, SIGKILL). It prints the answers second by second, how long the app
# answered 503, and checks that every acknowledged scan is still there (sent again, it answers
# 200 with the same scan id) and that the round's count equals the scans acknowledged.
# Everything is torn down at the end.
#
#   bench/failover.sh
#   ROWS=20000 SECONDS_=40 KILL_AFTER=10 bench/failover.sh
#
# The monitor is tuned to decide within seconds (health checks every second, a node unhealthy
# after 3 s, the old primary given 5 s to demote): on a real network keep pg_auto_failover's
# defaults (about 30 s), which guard against declaring a slow primary dead.
# Environment: ROWS (20000), SECONDS_ (40), KILL_AFTER (10), CONNS (8), BASE_PORT (6100: the
# monitor, +1 and +2 the nodes), APP_PORT (18480), SKIP_BUILD=1, PROFILE=debug. Output: bench/out/failover.md.
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${ROWS:-20000}
SECONDS_=${SECONDS_:-40}
KILL_AFTER=${KILL_AFTER:-10}
CONNS=${CONNS:-8}
BASE_PORT=${BASE_PORT:-6100}
APP_PORT=${APP_PORT:-18480}
OUT=bench/out
mkdir -p "$OUT"
# shellcheck source=bench/lib.sh
. bench/lib.sh   # PROFILE, BIN, build, roster, import_roster
command -v pg_autoctl >/dev/null || {
    echo "pg_autoctl not found: apt-get install postgresql-15-auto-failover pg-auto-failover-cli" >&2
    exit 2
}
# pg_auto_failover's build is for PostgreSQL 15 (postgresql-15-auto-failover).
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
build failover
roster >/dev/null

DIR=$(mktemp -d)
chmod 755 "$DIR"
MON=$BASE_PORT
P1=$((BASE_PORT + 1))
P2=$((BASE_PORT + 2))
# pg_autoctl and PostgreSQL run as `postgres` (PostgreSQL will not run as root).
if [ "$(id -u)" = 0 ]; then
    chown postgres "$DIR"
    as_pg() { su postgres -s /bin/sh -c "$*"; }
else
    as_pg() { sh -c "$*"; }
fi
ENV="PATH=$PGBIN:/usr/bin:/bin XDG_CONFIG_HOME=$DIR/cfg XDG_DATA_HOME=$DIR/data"
autoctl() { as_pg "$ENV pg_autoctl $*"; }

# A process and all its descendants.
tree() {
    local p
    echo "$1"
    for p in $(ps -eo pid=,ppid= | awk -v p="$1" '$2 == p {print $1}'); do
        tree "$p"
    done
}
# The processes of a node: its pg_autoctl supervisor (found by its data directory) with every
# process under it (the keeper, the service that restarts PostgreSQL, the postmaster and its
# backends).
node_pids() {
    local top
    for top in $(pgrep -f "pg_autoctl (create postgres|create monitor|run) --pgdata $DIR/$1( |$)" || true); do
        tree "$top"
    done | xargs
}
cleanup() {
    for n in node1 node2 monitor; do
        # shellcheck disable=SC2046
        kill -9 $(node_pids "$n") 2>/dev/null || true
    done
    sleep 0.5
    rm -rf "$DIR"
}
trap cleanup EXIT

state() { autoctl show state --pgdata "$DIR/monitor" 2>/dev/null; }
wait_for() { # wait_for SECONDS PATTERN: until the monitor's state table matches
    local deadline=$((SECONDS + $1))
    until state | grep -qE "$2"; do
        [ $SECONDS -lt $deadline ] || { state; echo "timed out waiting for: $2" >&2; return 1; }
        sleep 1
    done
}

{
    echo "# Failover under load, $(date -u +%FT%TZ), commit $(git rev-parse --short HEAD)"
    echo "$(nproc) cores; pg_auto_failover $(pg_autoctl --version | head -1 | awk '{print $3}'), PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}')"
    t0=$SECONDS
    autoctl create monitor --pgdata "$DIR/monitor" --pgport "$MON" --hostname 127.0.0.1 \
        --auth trust --no-ssl >"$DIR/monitor-create.log" 2>&1 ||
        { tail -20 "$DIR/monitor-create.log"; exit 1; }
    as_pg "$ENV nohup pg_autoctl run --pgdata $DIR/monitor >$DIR/monitor.log 2>&1 &"
    for _ in $(seq 60); do
        psql -h 127.0.0.1 -p "$MON" -U postgres pg_auto_failover -Atqc 'SELECT 1' >/dev/null 2>&1 && break
        sleep 0.5
    done
    psql -h 127.0.0.1 -p "$MON" -U postgres pg_auto_failover -q \
        -c "ALTER SYSTEM SET pgautofailover.health_check_period = 1000" \
        -c "ALTER SYSTEM SET pgautofailover.health_check_timeout = 1000" \
        -c "ALTER SYSTEM SET pgautofailover.health_check_max_retries = 1" \
        -c "ALTER SYSTEM SET pgautofailover.health_check_retry_delay = 500" \
        -c "ALTER SYSTEM SET pgautofailover.node_considered_unhealthy_timeout = 3000" \
        -c "ALTER SYSTEM SET pgautofailover.primary_demote_timeout = 5000" \
        -c "SELECT pg_reload_conf()" >/dev/null
    MONITOR="postgres://autoctl_node@127.0.0.1:$MON/pg_auto_failover?sslmode=disable"
    for n in 1 2; do
        port=$((BASE_PORT + n))
        as_pg "$ENV nohup pg_autoctl create postgres --pgdata $DIR/node$n --pgport $port \
            --hostname 127.0.0.1 --name node$n --auth trust --no-ssl --dbname doorstep \
            --monitor '$MONITOR' --run >$DIR/node$n.log 2>&1 &"
        if [ "$n" = 1 ]; then
            wait_for 120 "node1 .*\| +(single|wait_primary|primary) +\|"
        else
            # The standby's base backup waits for a checkpoint: ask for one now.
            sleep 3
            psql -h 127.0.0.1 -p "$P1" -U postgres doorstep -qc CHECKPOINT
            wait_for 180 "node2 .*\| +secondary +\| +secondary"
            wait_for 60 "node1 .*\| +primary +\| +primary"
        fi
    done
    echo "monitor, primary and hot standby up in $((SECONDS - t0)) s:"
    state
    echo "synchronous_standby_names on the primary: $(psql -h 127.0.0.1 -p "$P1" -U postgres doorstep -Atc 'SHOW synchronous_standby_names')"
    URL="postgres://postgres@127.0.0.1:$P1,127.0.0.1:$P2/doorstep?target_session_attrs=read-write"
    echo
    import_roster "$URL" "PostgreSQL (multi-host URL)"
    echo
    # The primary now: node1 (checked above). Kill its keeper first, so it does not restart
    # PostgreSQL, then the postmaster.
    KILL="kill -9 $(node_pids node1)"
    echo "load: $CONNS connections, $SECONDS_ s; at $KILL_AFTER s: $KILL"
    $BIN/failover "$URL" $BIN/doorstep "$APP_PORT" "$SECONDS_" "$CONNS" \
        "$KILL_AFTER" "$KILL"
    echo
    echo "after the run:"
    state
} 2>&1 | tee "$OUT/failover.md"
