#!/usr/bin/env bash
# A lab's results for 100,000 tubes (issue 14), through the shipped binary: the messy roster of
# bench/registry.sh (900,000 persons) imported, every person sampled into tubes of nine in random
# order (written with SQL, as a testing day leaves them: this measures the results, not the
# scans), then a lab file of one result per tube — random order, CRLF, 试管码/检测结果/检测时间,
# 99.9% 阴性, 50 阳性 pools, 50 无效, 20 unknown codes, 10 rows with a result no one can read —
# recorded by `doorstep import results FILE --json`, then the same file again (nothing new).
# The floor, in the same run: sqlite3 itself writing the same 100,000 results into the tubes
# from a table. SQLite only. Not in CI; results by hand in docs/performance.md.
#
#   bench/results.sh
#   SKIP_BUILD=1 bench/results.sh     # binaries already built
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${ROWS:-1000000}
OUT=bench/out
mkdir -p "$OUT"
# shellcheck source=bench/lib.sh
. bench/lib.sh
build
roster >/dev/null
DB=$OUT/results.db
D=target/release/doorstep
rm -f "$DB" "$DB-wal" "$DB-shm"
import_roster "sqlite://$DB" SQLite
rid=$($D --db "sqlite://$DB" round create --area 二七区/京广路街道/祥云社区 --name 结果基准 --pool-size 10 --json | jq .id)
$D --db "sqlite://$DB" round open "$rid" >/dev/null
sqlite3 "$DB" <<SQL
CREATE TEMP TABLE pick AS
  SELECT p.id AS person_id, a.path AS path, (row_number() OVER (ORDER BY random()) - 1) / 9 AS n
  FROM persons p JOIN households h ON h.id = p.household_id JOIN areas a ON a.id = h.area_id;
INSERT INTO tubes (round_id, code, area_path, mode, capacity, count, status, opened_by, opened_at, closed_by, closed_at)
  SELECT $rid, printf('R%d-%07d', $rid, n), '二七区/京广路街道/祥云社区', 'pooled', 10, COUNT(*), 'closed',
         'bench', '2026-12-01T01:00:00Z', 'bench', '2026-12-01T01:10:00Z'
  FROM pick GROUP BY n;
INSERT INTO samples (round_id, tube_id, person_id, area_path, client_id, retest, position, closed_tube, by_user, at)
  SELECT $rid, t.id, p.person_id, p.path, 'bench-' || p.person_id, 0, 1, 0, 'bench', '2026-12-01T01:00:00Z'
  FROM pick p JOIN tubes t ON t.code = printf('R%d-%07d', $rid, p.n);
SQL
tubes=$(sqlite3 "$DB" "SELECT COUNT(*) FROM tubes WHERE round_id = $rid")
file=$OUT/results-$rid.csv
python3 - "$rid" "$tubes" "$file" <<'PY'
import random, sys
rid, tubes, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
random.seed(14)
rows = [[f"R{rid}-{n:07d}", "阴性"] for n in range(tubes)]
for r in random.sample(rows, 100)[:50]:
    r[1] = "阳性"
for r in random.sample([r for r in rows if r[1] == "阴性"], 50):
    r[1] = "无效"
rows += [[f"R{rid}-X{n:06d}", "阴性"] for n in range(20)]
rows += [[f"R{rid}-{n:07d}", "待定"] for n in range(10)]
random.shuffle(rows)
with open(path, "w", encoding="utf-8", newline="") as f:
    f.write("试管码,检测结果,检测时间\r\n")
    for code, result in rows:
        f.write(f"{code},{result},2026-12-01 0{random.randint(3, 9)}:{random.randint(10, 59)}\r\n")
PY
# The floor: the same results into a copy of the tubes by sqlite3 alone.
floor_ms=$(python3 - "$DB" "$file" "$rid" <<'PY'
import csv, sqlite3, sys, time
db, path, rid = sys.argv[1], sys.argv[2], int(sys.argv[3])
rows = list(csv.reader(open(path, encoding="utf-8", newline="")))[1:]
c = sqlite3.connect(db)
c.execute("CREATE TEMP TABLE t AS SELECT id, code, result, result_at FROM tubes WHERE round_id = ?", (rid,))
c.execute("CREATE UNIQUE INDEX temp.t_code ON t(code)")
t0 = time.perf_counter()
c.execute("CREATE TEMP TABLE r (code TEXT, result TEXT, at TEXT)")
c.executemany("INSERT INTO r VALUES (?, ?, ?)", rows)
c.execute("UPDATE t SET result = r.result, result_at = r.at FROM r WHERE t.code = r.code")
c.commit()
print(round((time.perf_counter() - t0) * 1000))
PY
)
time_it() {
    local t0 t1
    t0=$(date +%s%N)
    $D --db "sqlite://$DB" import results "$file" --json >"$OUT/results-$1.json" || {
        echo "import results failed" >&2
        exit 1
    }
    t1=$(date +%s%N)
    echo $(((t1 - t0) / 1000000))
}
first=$(time_it first)
again=$(time_it again)
{
    echo "# Lab results through the binary, $(date -u +%FT%TZ), commit $(git rev-parse --short HEAD), load $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "tubes in the round: $tubes; rows in the file: $(($(wc -l <"$file") - 1))"
    echo "| what | ms |"
    echo "|---|---:|"
    echo "| floor: sqlite3 writing the same results from a table | $floor_ms |"
    echo "| \`doorstep import results\`, first time | $first |"
    echo "| the same file again | $again |"
    echo
    echo "first: $(jq -c '{recorded, unchanged, different: (.different|length), unknown: (.unknown|length), flagged, tasks, rejected}' "$OUT/results-first.json")"
    echo "again: $(jq -c '{recorded, unchanged, different: (.different|length), unknown: (.unknown|length), flagged, tasks, rejected}' "$OUT/results-again.json")"
    echo "stored: $(sqlite3 "$DB" "SELECT COUNT(*) FROM tubes WHERE round_id = $rid AND result IS NOT NULL") tubes with a result, $(sqlite3 "$DB" "SELECT COUNT(*) FROM sample_flags WHERE round_id = $rid") persons flagged"
} | tee "$OUT/results.md"
