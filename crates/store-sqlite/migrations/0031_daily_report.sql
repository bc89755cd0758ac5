-- The daily report (日报): its figures are counted from the rows each time, never stored,
-- except as a community signed them. Kept in step with
-- crates/store-postgres/migrations/0031_daily_report.sql.

-- A community's sign-off of its report for a China day (`on_day`, YYYY-MM-DD): the figures
-- as they were when signed (a JSON object, key → value), who and when. Signing again
-- replaces the row (the audit log keeps every signing), so the report compares the current
-- figures with the last signed ones.
CREATE TABLE daily_signoffs (
    area_id    INTEGER NOT NULL REFERENCES areas(id),
    area_path  TEXT NOT NULL,
    on_day     TEXT NOT NULL,
    figures    TEXT NOT NULL,
    signed_by  TEXT NOT NULL,
    signed_at  TEXT NOT NULL,
    PRIMARY KEY (area_id, on_day)
);
CREATE INDEX daily_signoffs_day ON daily_signoffs(on_day, area_path);
