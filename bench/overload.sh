#!/usr/bin/env bash
# Overload through the shipped binary (issue 17, "Load and overload"), on the registry
# bench/load.sh imports (made here if missing): bench/src/bin/mix.rs finds the saturation rate
# S of the day's mix (open loop, rates x1.25 from START for STEP seconds each until a step is
# not served), then drives
#
#   base     0.5 S                                     30 s
#   3x       3 S    (writes x3.6, reads at their share of S: 0.23 S + 0.77 S x 3.6 = 3 S)    60 s
#   10x      10 S   (writes x12.7: 0.23 S + 0.77 S x 12.7 = 10 S)                           60 s
#   recover  0.5 S                                     60 s
#
# and checks that /healthz and the logged-in pages kept answering, writes beyond capacity were
# shed with 429/503 and Retry-After, memory stayed bounded, the server recovered by itself, and
# every acknowledged write is in the database. Every second to bench/out/overload.csv, the plot
# to docs/overload.svg, the summary to bench/out/overload.md. Not in CI.
#
#   bench/overload.sh
#   START=50 STEP=10 ROWS=100000 bench/overload.sh     # a quick look
#
# Environment: ROWS (default 1000000), START (default 150), STEP (default 15), SKIP_BUILD=1,
# SERVE_ARGS (more `doorstep serve` flags, e.g. "--write-max-in-flight 32"), PLOT (default
# docs/overload.svg), PG_URL (e.g. postgres://postgres@127.0.0.1:5432: the run on a fresh
# PostgreSQL database doorstep_overload with the roster imported; a search there starts
# higher, e.g. START=400 STEP=10).
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${ROWS:-1000000}
START=${START:-150}
STEP=${STEP:-15}
OUT=bench/out
mkdir -p "$OUT"
# shellcheck source=bench/lib.sh
. bench/lib.sh
build mix
roster >/dev/null
db=$(mix_db overload)
serve=()
for a in ${SERVE_ARGS:-}; do serve+=(--serve-arg "$a"); done
{
    echo "# Overload through the binary, $(date -u +%FT%TZ), commit $(git rev-parse --short HEAD)"
    echo "$(nproc) cores; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(engine "$db"), $ROWS-row roster"
    echo
    "$BIN/mix" --db "$db" --doorstep "$BIN/doorstep" \
        --out "$OUT/overload" --find-saturation "$START:$STEP" "${serve[@]}" \
        --phase base:0.5S:30 --phase 3x:1S:60:3.6 --phase 10x:1S:60:12.7 --phase recover:0.5S:60
    echo
    echo "load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$OUT/overload.md"
python3 bench/plot.py "$OUT/overload.csv" "${PLOT:-docs/overload.svg}" \
    "Doorstep overload: saturation search, then 3x and 10x the saturation rate, then recovery ($(engine "$db"), $ROWS-row roster)"
echo "plot: ${PLOT:-docs/overload.svg}"
