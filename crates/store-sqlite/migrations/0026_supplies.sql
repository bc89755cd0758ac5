-- Supplies and services for households at home (后勤供给). Kept in step with
-- crates/store-postgres/migrations/0026_supplies.sql.

-- One request of a household: what, the detail, how urgently, who asked (the household through
-- its check-in link: `asked_by` NULL; else the worker's user name). Its status is not kept
-- here: it is read from its delivery task (`task_id`; source `supply`, key the request's id),
-- so the request and the task cannot drift apart. `due_at` is when it becomes overdue
-- (the task's due time too). `client_key` with `body_hash` makes a resent form store nothing
-- new (core::idempotency).
CREATE TABLE supply_requests (
    id           INTEGER PRIMARY KEY,
    household_id INTEGER NOT NULL REFERENCES households(id),
    area_path    TEXT NOT NULL,
    kind         TEXT NOT NULL,
    detail       TEXT NOT NULL,
    urgency      TEXT NOT NULL,
    asked_by     TEXT,
    client_key   TEXT NOT NULL,
    body_hash    TEXT NOT NULL,
    task_id      INTEGER REFERENCES tasks(id),
    due_at       TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    CONSTRAINT supply_request_key UNIQUE (household_id, client_key)
);
CREATE INDEX supply_requests_area ON supply_requests(area_path, id);
CREATE INDEX supply_requests_household ON supply_requests(household_id, id);
