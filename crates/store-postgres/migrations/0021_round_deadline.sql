-- A round's own lab deadline: minutes from a box's first sample to lab receipt before the box
-- is late (the published rule's 4 hours unless the round says otherwise).
-- Kept in step with crates/store-sqlite/migrations/0021_round_deadline.sql.

ALTER TABLE rounds ADD COLUMN lab_deadline_minutes BIGINT NOT NULL DEFAULT 240;
