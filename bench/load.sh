#!/usr/bin/env bash
# A district's testing day through the shipped binary (issue 17, "Load and overload"): the
# messy roster of ROWS persons (bench/src/roster.rs) imported into a fresh SQLite database
# through `doorstep import`, then bench/src/bin/mix.rs starts `doorstep serve` and drives the
# day's mix (scans, page views, searches, self-reports, check-ins, task updates; shares in its
# header and docs/performance.md) open loop at RATE requests a second for SECONDS, with
# /healthz beside it and its floor first; every second to bench/out/load.csv, the plot to
# docs/load.svg, the summary to bench/out/load.md. Afterwards every acknowledged write must be
# in the database. Not in CI.
#
#   bench/load.sh                            # 1,000,000 rows, 600 s at 150/s
#   ROWS=100000 SECONDS_=30 bench/load.sh    # a quick look
#
# Environment: ROWS (default 1000000), RATE (default 150), SECONDS_ (default 600),
# SKIP_BUILD=1 to use the built binaries, PLOT (default docs/load.svg), PG_URL (e.g.
# postgres://postgres@127.0.0.1:5432: the run on a fresh PostgreSQL database doorstep_load,
# the roster imported into it). The imported SQLite database is kept as
# bench/out/base-ROWS.db (gitignored) for the next run and bench/overload.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${ROWS:-1000000}
RATE=${RATE:-150}
SECONDS_=${SECONDS_:-600}
OUT=bench/out
mkdir -p "$OUT"
# shellcheck source=bench/lib.sh
. bench/lib.sh
build mix
roster >/dev/null

db=$(mix_db load)
{
    echo "# The day's mix through the binary, $(date -u +%FT%TZ), commit $(git rev-parse --short HEAD)"
    echo "$(nproc) cores; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(engine "$db"), $ROWS-row roster"
    echo
    "$BIN/mix" --db "$db" --doorstep "$BIN/doorstep" \
        --out "$OUT/load" --phase "mix@$RATE:$RATE:$SECONDS_"
    echo
    echo "load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$OUT/load.md"
python3 bench/plot.py "$OUT/load.csv" "${PLOT:-docs/load.svg}" \
    "Doorstep: the testing day's mix at $RATE/s for $SECONDS_ s ($(engine "$db"), $ROWS-row roster)"
echo "plot: ${PLOT:-docs/load.svg}"
