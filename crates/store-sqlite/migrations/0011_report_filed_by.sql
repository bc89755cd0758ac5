-- 代报: the user who filled a household's report in on the resident's behalf (NULL: the
-- resident filled it in through the link). Kept in step with
-- crates/store-postgres/migrations/0011_report_filed_by.sql.

ALTER TABLE reports ADD COLUMN filed_by TEXT;
