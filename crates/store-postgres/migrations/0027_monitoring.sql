-- The daily monitoring jobs (test-day tasks, missed test days) run once per China date, on
-- whichever server gets there first (a person's samples by person and time: samples_person,
-- 0025). Kept in step with crates/store-sqlite/migrations/0027_monitoring.sql.

CREATE TABLE daily_sweeps (
    job     TEXT NOT NULL,
    on_day  TEXT NOT NULL,
    done_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (job, on_day)
);
