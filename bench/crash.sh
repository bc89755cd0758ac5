#!/usr/bin/env bash
# The crash suite at full strength (issue 17): crates/cli/tests/it/crash/ with the release
# `doorstep` under test. Every write path at once (scans, self-reports, task updates, staff
# saves of persons, checkpoint passages, supply requests) while the server is SIGKILLed
# KILLS times per database and restarted; then a roster import SIGKILLed KILLS/10 times per
# database (bulk loads and one-batch imports by turns), and as often a lab's results file
# (`doorstep import results`) and an investigation list (`doorstep list import`). On SQLite and
# on PostgreSQL (PG_URL; empty: SQLite only — then the PostgreSQL halves skip). Prints one summary line per
# path and database, and the whole run's time; the full output goes to bench/out/crash.log.
#
#   bench/crash.sh                     # 500 kills per database: 1,000 server kills, 100 import kills
#   KILLS=50 bench/crash.sh            # a quick look
#   SKIP_BUILD=1 bench/crash.sh        # the binaries are built already
#   PROFILE=debug bench/crash.sh       # serve with the debug build the tests link (no release build)
set -euo pipefail
cd "$(dirname "$0")/.."
KILLS=${KILLS:-500}
PROFILE=${PROFILE:-release}
THREADS=${THREADS:-1}
PG_URL=${PG_URL-postgres://postgres@127.0.0.1:5432/postgres}
OUT=bench/out
mkdir -p "$OUT"
if [ "${SKIP_BUILD:-0}" != 1 ]; then
    [ "$PROFILE" = release ] && cargo build --release -p doorstep --bin doorstep
    cargo test -p doorstep --test it --no-run
fi
if [ "$PROFILE" = release ]; then
    export DOORSTEP_CRASH_BIN=$PWD/target/release/doorstep
fi
export DOORSTEP_CRASH_KILLS=$KILLS
export DOORSTEP_TEST_PG_URL=$PG_URL
t0=$SECONDS
# One test at a time by default (THREADS): the kills' timing is the point, not the machine's.
status=0
cargo test -p doorstep --test it crash:: -- --nocapture --test-threads="$THREADS" >"$OUT/crash.log" 2>&1 || status=$?
echo "## crash suite — $KILLS kills per database, $PROFILE server, commit $(git rev-parse --short HEAD), $(date -u +%FT%RZ)"
grep -h '^crash-summary' "$OUT/crash.log" | sed 's/^crash-summary //'
grep -hE '^test result|panicked|FAILED' "$OUT/crash.log" || true
echo "whole run: $((SECONDS - t0)) s; load after: $(cut -d' ' -f1-3 /proc/loadavg)"
exit $status
