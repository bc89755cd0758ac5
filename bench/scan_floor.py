#!/usr/bin/env python3
# usage: python3 bench/scan_floor.py DB N GROUP   (DB: a copy of bench/out/run.db after a scans run: its round open)
# The floor of a scan in SQLite itself: the statements one scan runs (the person's read, then in
# the writer: resend check, tube fill, sample insert, count bump, exclusion delete, each scan in
# a savepoint), GROUP scans per BEGIN IMMEDIATE ... COMMIT, synchronous=FULL, WAL, on a copy of the
# imported database after a scans run (its round open). Python's sqlite3 keeps prepared statements.
import sqlite3, random, sys, time, os, resource
db, n, group = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
c = sqlite3.connect(db, isolation_level=None, cached_statements=64)
c.execute("PRAGMA journal_mode=WAL"); c.execute("PRAGMA synchronous=FULL"); c.execute("PRAGMA cache_size=-32768")
c.execute("PRAGMA wal_autocheckpoint=20000")
r = sqlite3.connect(db, isolation_level=None, cached_statements=64)
r.execute("PRAGMA cache_size=-32768"); r.execute("PRAGMA mmap_size=1073741824")
rid = c.execute("SELECT id FROM rounds WHERE status='open' ORDER BY id DESC LIMIT 1").fetchone()[0]
ids = [x[0] for x in c.execute("SELECT id_rev FROM persons WHERE id_type='resident_id'")]
random.seed(7); random.shuffle(ids)
PERSON = ("SELECT p.id, p.household_id, h.address, ha.path AS area_path, p.name, p.id_type, p.id_number, p.sex, p.birth_date, p.phone, p.relation, p.residency, p.tags, p.created_at, p.updated_at, "
  "h.area_id, h.room, h.notes, (SELECT COUNT(*) FROM persons m WHERE m.household_id = h.id) AS h_members, "
  "EXISTS (SELECT 1 FROM episodes e WHERE e.person_id = p.id AND e.measure IN ('home_quarantine','home_health_monitoring') AND e.status='active' AND e.starts_on <= ?1) AS at_home "
  "FROM persons p JOIN households h ON h.id = p.household_id JOIN areas ha ON ha.id = h.area_id WHERE p.id_rev = ?2 AND p.id_type = ?3")
STORED = "SELECT s.id, s.person_id, t.code, s.position, t.capacity, s.closed_tube, s.retest, s.at FROM samples s JOIN tubes t ON t.id = s.tube_id WHERE s.round_id = ?1 AND s.client_id = ?2"
FILL = ("INSERT INTO tubes (round_id, code, area_path, mode, capacity, count, status, opened_by, opened_at, closed_by, closed_at) "
  "SELECT r.id, ?2, ?3, ?4, ?5, 1, CASE WHEN ?5 <= 1 THEN 'closed' ELSE 'open' END, ?6, ?7, CASE WHEN ?5 <= 1 THEN ?6 END, CASE WHEN ?5 <= 1 THEN ?7 END "
  "FROM rounds r WHERE r.id = ?1 AND r.status = 'open' ON CONFLICT (code) DO UPDATE SET count = tubes.count + 1, "
  "status = CASE WHEN tubes.count + 1 >= tubes.capacity THEN 'closed' ELSE tubes.status END, "
  "closed_by = CASE WHEN tubes.count + 1 >= tubes.capacity THEN excluded.opened_by ELSE tubes.closed_by END, "
  "closed_at = CASE WHEN tubes.count + 1 >= tubes.capacity THEN excluded.opened_at ELSE tubes.closed_at END "
  "WHERE tubes.round_id = excluded.round_id AND tubes.status = 'open' AND tubes.count < tubes.capacity AND tubes.mode = excluded.mode "
  "AND (tubes.mode <> 'household' OR NOT EXISTS (SELECT 1 FROM samples o JOIN persons op ON op.id = o.person_id WHERE o.tube_id = tubes.id AND op.household_id <> ?8)) "
  "RETURNING id, count, capacity")
INS = ("INSERT INTO samples (round_id, tube_id, person_id, area_path, client_id, retest, position, closed_tube, by_user, at) "
  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) RETURNING id")
BUMP = ("INSERT INTO round_counts (round_id, area_id, sampled, excluded) VALUES (?1, ?2, ?3, ?4) "
  "ON CONFLICT (round_id, area_id) DO UPDATE SET sampled = round_counts.sampled + ?3, excluded = round_counts.excluded + ?4")
EXC = "DELETE FROM round_exclusions WHERE round_id = ?1 AND person_id = ?2 RETURNING area_path"
t0 = time.perf_counter(); ru0 = resource.getrusage(resource.RUSAGE_SELF)
done = refused = 0; tube = None; k = 0; i = 0
at = "2026-12-07T07:00:00Z"
while i < n:
    targets = []
    for _ in range(min(group, n - i)):
        row = r.execute(PERSON, ("2026-12-07", ids[i], "resident_id")).fetchone()
        i += 1
        if row: targets.append(row)
    c.execute("BEGIN IMMEDIATE")
    for p in targets:
        c.execute("SAVEPOINT job")
        cid = "floor-%d" % i + "-%d" % done
        c.execute(STORED, (rid, cid)).fetchone()
        if tube is None:
            k += 1; tube = "FLOOR%08d" % k
        f = c.execute(FILL, (rid, tube, p[3], "pooled", 10, "bench", at, p[1])).fetchone()
        try:
            sid = c.execute(INS, (rid, f[0], p[0], p[3], cid, 0, f[1], f[1] >= f[2], "bench", at)).fetchone()
            c.execute(BUMP, (rid, p[15], 1, 0)); c.execute(EXC, (rid, p[0])).fetchone()
            c.execute("RELEASE job"); done += 1
            if f[1] >= f[2]: tube = None
        except sqlite3.IntegrityError:
            c.execute("ROLLBACK TO job"); c.execute("RELEASE job"); refused += 1
    c.execute("COMMIT")
dt = time.perf_counter() - t0; ru = resource.getrusage(resource.RUSAGE_SELF)
cpu = (ru.ru_utime - ru0.ru_utime) + (ru.ru_stime - ru0.ru_stime)
print(f"sqlite3 {sqlite3.sqlite_version}: {done} scans stored, {refused} refused, group {group}: {done/dt:.0f}/s wall, CPU {1e6*cpu/max(done,1):.0f} µs a scan (Python's own calls included)")
