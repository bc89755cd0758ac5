#!/usr/bin/env bash
# The daily report (日报) of a 1,000,000-person district through the shipped binary (issue 16):
# the messy roster of ROWS persons imported (bench/lib.sh), EPISODES home-quarantine episodes
# with check-ins and the missed-window sweep made by bench/src/bin/checkins.rs (a short run),
# then `doorstep serve` and, from curl over kept-alive connections, N calls each of /healthz
# (the floor) and GET /api/v1/daily-report?area=二七区 (rolled up: district, street, community)
# as a district admin. Times are curl's total per request; median and max printed. On SQLite,
# and on PostgreSQL unless PG_URL is empty. Output to bench/out/daily.md.
#
#   bench/daily.sh                                            # 1,000,000 rows, 50,000 episodes
#   ROWS=100000 EPISODES=5000 PG_URL= bench/daily.sh          # a quick look, SQLite only
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${ROWS:-1000000}
EPISODES=${EPISODES:-50000}
N=${N:-20}
PORT=${PORT:-18093}
PG_URL=${PG_URL-postgres://postgres@127.0.0.1:5432}
OUT=bench/out
mkdir -p "$OUT"
# shellcheck source=bench/lib.sh
. bench/lib.sh
build checkins
roster >/dev/null

# Median and max of numbers on stdin (seconds), in ms.
stats() { sort -n | awk '{a[NR]=$1} END {printf "median %.1f ms, max %.1f ms (%d calls)", a[int((NR+1)/2)]*1000, a[NR]*1000, NR}'; }

# N calls of URL over one kept-alive curl, each request's total time on its own line.
times() {
    local url=$1 auth=$2 args=()
    for _ in $(seq 1 "$N"); do args+=(-o /dev/null -w '%{time_total}\n' -H "$auth" "$url"); done
    curl -s "${args[@]}"
}

run() {
    local db=$1 label=$2
    import_roster "$db" "$label"
    target/release/checkins "$db" target/release/doorstep 2 4 "$EPISODES" >/dev/null
    echo 'bench-password-1' | target/release/doorstep --db "$db" user add --username bench-da \
        --role district_admin --area 二七区 --password-stdin >/dev/null
    target/release/doorstep --db "$db" serve --addr "127.0.0.1:$PORT" >/dev/null 2>&1 &
    local pid=$!
    for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
    local token
    token=$(curl -s -H 'content-type: application/json' \
        -d '{"username":"bench-da","password":"bench-password-1"}' \
        "http://127.0.0.1:$PORT/api/v1/auth/login" | sed -E 's/.*"token":"([^"]+)".*/\1/')
    local auth="authorization: Bearer $token"
    local url="http://127.0.0.1:$PORT/api/v1/daily-report?area=%E4%BA%8C%E4%B8%83%E5%8C%BA"
    curl -s -H "$auth" "$url" -o "$OUT/daily-$label.json"
    echo "- rows: $(grep -o '"area_id"' "$OUT/daily-$label.json" | wc -l), persons: $(grep -o '"total":{[^}]*' "$OUT/daily-$label.json" | grep -o '"persons":[0-9]*')"
    echo "- /healthz: $(times "http://127.0.0.1:$PORT/healthz" "$auth" | stats)"
    echo "- daily report, district rolled up: $(times "$url" "$auth" | stats)"
    kill "$pid"
    wait "$pid" 2>/dev/null || true
}
{
    echo "# The daily report through the binary, $(date -u +%FT%TZ), commit $(git rev-parse --short HEAD)"
    rm -f "$OUT/daily.db" "$OUT/daily.db-wal" "$OUT/daily.db-shm"
    run "sqlite://$OUT/daily.db" SQLite
    if [ -n "$PG_URL" ]; then
        fresh_pg "${PG_PREFIX:-doorstep}_daily"
        run "$PG_URL/${PG_PREFIX:-doorstep}_daily" PostgreSQL
    fi
} | tee "$OUT/daily.md"
