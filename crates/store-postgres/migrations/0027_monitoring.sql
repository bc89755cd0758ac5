-- The daily monitoring jobs (test-day tasks, missed test days) run once per China date, on
-- whichever server gets there first; and a person's samples read by person and time (did they
-- test on their test day). Kept in step with crates/store-sqlite/migrations/0027_monitoring.sql.

CREATE TABLE daily_sweeps (
    job     TEXT NOT NULL,
    on_day  TEXT NOT NULL,
    done_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (job, on_day)
);

CREATE INDEX IF NOT EXISTS samples_person_at ON samples(person_id, at);
