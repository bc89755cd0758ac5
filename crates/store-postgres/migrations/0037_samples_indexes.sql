-- Two of the five indexes a scan wrote are gone, and one is turned round. Scans come in the
-- order samplers meet persons, so a scan's entry in an index led by the person or by their
-- building lands on a page of its own: these two cost a random page written per scan each,
-- about a fifth of a scan's time on SQLite (bench/scans.sh: 8,733–8,780 scans/s with them,
-- 10,444–10,848 without; docs/performance.md).
--   * samples_area (round, building, person) served no search: every query of samples by area
--     asks for a subtree without a round (the daily report, retention, the results export),
--     which no index led by the round serves; they read the table.
--   * samples_person (person, time) is replaced by sample_once led by the person: a person's
--     first sample of each round is found there, and their retests, few, by samples_retest.
--     Queries of a person's samples ask for each part (`retest = FALSE` / `retest = TRUE`).
-- Kept in step with the other database's 0037_samples_indexes.sql.
DROP INDEX samples_area;
DROP INDEX samples_person;
DROP INDEX sample_once;
CREATE UNIQUE INDEX sample_once ON samples(person_id, round_id) WHERE retest = FALSE;
CREATE INDEX samples_retest ON samples(person_id, at) WHERE retest = TRUE;
