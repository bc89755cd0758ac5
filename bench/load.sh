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
# SKIP_BUILD=1 to use the built binaries. The imported database is kept as
# bench/out/base-ROWS.db (gitignored) for bench/overload.sh.
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

# The imported registry, made once and copied for each run.
base_db() {
    local base=$OUT/base-$ROWS.db
    if [ ! -f "$base" ]; then
        rm -f "$base.tmp" "$base.tmp-wal" "$base.tmp-shm"
        import_roster "sqlite://$base.tmp" SQLite >&2
        mv "$base.tmp" "$base"
    fi
    echo "$base"
}

base=$(base_db)
rm -f "$OUT"/load.db "$OUT"/load.db-wal "$OUT"/load.db-shm
cp "$base" "$OUT/load.db"
{
    echo "# The day's mix through the binary, $(date -u +%FT%TZ), commit $(git rev-parse --short HEAD)"
    echo "$(nproc) cores; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $ROWS-row roster"
    echo
    target/release/mix --db "sqlite://$OUT/load.db" --doorstep target/release/doorstep \
        --out "$OUT/load" --phase "mix@$RATE:$RATE:$SECONDS_"
    echo
    echo "load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$OUT/load.md"
python3 bench/plot.py "$OUT/load.csv" docs/load.svg \
    "Doorstep: the testing day's mix at $RATE/s for $SECONDS_ s (SQLite, $ROWS-row roster)"
echo "plot: docs/load.svg"
