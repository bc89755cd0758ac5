-- The SHA-256 of a report's canonical request body, stored with its idempotency key: a replay
-- of the key gets the first report back only with the same body. Reports stored before this
-- have NULL, which no replay matches. Kept in step with the other backend's
-- 0009_report_body_hash.sql.

ALTER TABLE reports ADD COLUMN body_hash TEXT;
