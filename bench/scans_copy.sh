#!/usr/bin/env bash
# Scans on a fresh copy of an imported database, for A/B runs of one change at a time: copies
# BASE (a database `bench/scans.sh` or `doorstep import persons` made: the messy roster in
# 二七区/京广路街道/祥云社区) to a run database, runs SQL on the copy if given (an experiment
# on the schema, e.g. an index dropped), then bench/src/bin/scans.rs for SECONDS from CONNS
# connections against BINARY (default target/release/doorstep), with a 5 s /healthz floor.
# BASE is a SQLite file (copied to bench/out/run.db) or a PostgreSQL database URL (copied, as
# a template, file by file so the copy writes no WAL, to `<base>_run` on the same server,
# then a CHECKPOINT: every run starts from one, and none falls inside it by the copy's WAL).
# Build first: `cargo build --release --bins`.
#
#   bench/scans_copy.sh bench/out/base.db 60 192
#   bench/scans_copy.sh bench/out/base.db 25 192 target/release/doorstep "DROP INDEX samples_tube"
#   bench/scans_copy.sh postgres://postgres@127.0.0.1:5432/scans_base 25 64
set -euo pipefail
cd "$(dirname "$0")/.."
BASE=$1 SECONDS_=$2 CONNS=$3
BINARY=${4:-target/release/doorstep}
SQL=${5:-}
echo "== $(date -u +%FT%TZ) $BINARY, $SECONDS_ s, $CONNS connections${SQL:+, after: $SQL}"
case $BASE in
postgres://* | postgresql://*)
    server=${BASE%/*} base=${BASE##*/}
    run=${base}_run
    psql "$server/postgres" -qc "DROP DATABASE IF EXISTS $run" \
        -c "CREATE DATABASE $run TEMPLATE $base STRATEGY FILE_COPY"
    if [ -n "$SQL" ]; then
        psql "$server/$run" -q -v ON_ERROR_STOP=1 -c "$SQL"
    fi
    psql "$server/postgres" -qc CHECKPOINT
    target/release/scans "$server/$run" "$BINARY" "$SECONDS_" "$CONNS" 5
    psql "$server/postgres" -qc "DROP DATABASE $run"
    ;;
*)
    rm -f bench/out/run.db bench/out/run.db-wal bench/out/run.db-shm
    cp "$BASE" bench/out/run.db
    if [ -n "$SQL" ]; then
        python3 -c "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.executescript(sys.argv[2]); c.close()" \
            bench/out/run.db "$SQL"
    fi
    target/release/scans sqlite://bench/out/run.db "$BINARY" "$SECONDS_" "$CONNS" 5
    ;;
esac
