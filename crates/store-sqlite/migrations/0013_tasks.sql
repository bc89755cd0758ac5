-- One task model for every kind of field work, and each task's history. Kept in step with
-- crates/store-postgres/migrations/0013_tasks.sql.

CREATE TABLE tasks (
    id           INTEGER PRIMARY KEY,
    kind         TEXT NOT NULL,
    target_type  TEXT NOT NULL,
    target_id    INTEGER NOT NULL,
    -- The smallest area holding the target (a household's building or unit): what access,
    -- routing and the walking order read.
    area_id      INTEGER NOT NULL REFERENCES areas(id),
    area_path    TEXT NOT NULL,
    -- A household's room ('' for an area), for the walking order.
    room         TEXT NOT NULL DEFAULT '',
    -- What a person reads: the address, with the person's name for a person.
    label        TEXT NOT NULL,
    note         TEXT NOT NULL DEFAULT '',
    assignee_id  INTEGER REFERENCES staff(id),
    due_at       TEXT,
    priority     TEXT NOT NULL,
    status       TEXT NOT NULL,
    outcome      TEXT,
    outcome_note TEXT NOT NULL DEFAULT '',
    -- The feature that made it and its key there: the same key never makes a second task.
    source       TEXT NOT NULL DEFAULT '',
    source_key   TEXT,
    created_by   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    CONSTRAINT task_source_unique UNIQUE (source, source_key)
);
CREATE INDEX tasks_assignee ON tasks(assignee_id, status);
CREATE INDEX tasks_area ON tasks(area_path, status);

CREATE TABLE task_events (
    id       INTEGER PRIMARY KEY,
    task_id  INTEGER NOT NULL REFERENCES tasks(id),
    at       TEXT NOT NULL,
    by_user  TEXT NOT NULL,
    action   TEXT NOT NULL,
    details  TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX task_events_task ON task_events(task_id, id);
