#!/usr/bin/env bash
# Scans on a fresh copy of an imported SQLite database, for A/B runs of one change at a time:
# copies BASE (a database `bench/scans.sh` or `doorstep import persons` made: the messy roster
# in 二七区/京广路街道/祥云社区) to bench/out/run.db, runs SQL on the copy if given (an
# experiment on the schema, e.g. an index dropped), then bench/src/bin/scans.rs for SECONDS
# from CONNS connections against BINARY (default target/release/doorstep), with a 5 s
# /healthz floor. Build first: `cargo build --release --bins`.
#
#   bench/scans_copy.sh bench/out/base.db 60 192
#   bench/scans_copy.sh bench/out/base.db 25 192 target/release/doorstep "DROP INDEX samples_tube"
set -euo pipefail
cd "$(dirname "$0")/.."
BASE=$1 SECONDS_=$2 CONNS=$3
BINARY=${4:-target/release/doorstep}
SQL=${5:-}
rm -f bench/out/run.db bench/out/run.db-wal bench/out/run.db-shm
cp "$BASE" bench/out/run.db
if [ -n "$SQL" ]; then
    python3 -c "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.executescript(sys.argv[2]); c.close()" \
        bench/out/run.db "$SQL"
fi
echo "== $(date -u +%FT%TZ) $BINARY, $SECONDS_ s, $CONNS connections${SQL:+, after: $SQL}"
target/release/scans sqlite://bench/out/run.db "$BINARY" "$SECONDS_" "$CONNS" 5
