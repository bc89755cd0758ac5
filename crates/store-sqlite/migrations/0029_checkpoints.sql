-- Checkpoints at compound gates (卡口值守). Kept in step with
-- crates/store-postgres/migrations/0029_checkpoints.sql.

-- A staffed gate of a compound (or any area: the path is what access is checked against).
CREATE TABLE checkpoints (
    id         INTEGER PRIMARY KEY,
    area_id    INTEGER NOT NULL REFERENCES areas(id),
    area_path  TEXT NOT NULL,
    name       TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    CONSTRAINT checkpoint_name_unique UNIQUE (area_id, name)
);
CREATE INDEX checkpoints_area ON checkpoints(area_path, id);

-- A duty shift at a gate is a task (kind `checkpoint_shift`, source `checkpoint`, on the
-- checkpoint's area, due at the shift's end); this row adds what a task lacks: the gate and
-- the start.
CREATE TABLE checkpoint_shifts (
    task_id       INTEGER PRIMARY KEY REFERENCES tasks(id),
    checkpoint_id INTEGER NOT NULL REFERENCES checkpoints(id),
    starts_at     TEXT NOT NULL,
    ends_at       TEXT NOT NULL
);
CREATE INDEX checkpoint_shifts_gate ON checkpoint_shifts(checkpoint_id, starts_at);

-- One passage through a gate (or one refusal): a resident on file (`person_id`), a visitor
-- (`visitor_name`) or a vehicle (`plate`); the direction, reason and temperature (tenths of a
-- degree); the verdict (passed, warned, refused, allowed) with the holds it heeded (codes,
-- comma-separated) and, for an exception, who allowed it and why. `china_hour` is
-- `YYYY-MM-DD HH` in China's time, what the counts group by. `client_id` with `body_hash`
-- makes a resent scan store nothing new (core::idempotency).
CREATE TABLE checkpoint_passages (
    id               INTEGER PRIMARY KEY,
    checkpoint_id    INTEGER NOT NULL REFERENCES checkpoints(id),
    area_path        TEXT NOT NULL,
    client_id        TEXT NOT NULL,
    body_hash        TEXT NOT NULL,
    subject          TEXT NOT NULL,
    person_id        INTEGER REFERENCES persons(id),
    visitor_name     TEXT,
    plate            TEXT,
    direction        TEXT NOT NULL,
    reason           TEXT NOT NULL,
    temperature      INTEGER,
    verdict          TEXT NOT NULL,
    holds            TEXT NOT NULL,
    allowed_by       TEXT,
    exception_reason TEXT,
    recorded_by      TEXT NOT NULL,
    china_hour       TEXT NOT NULL,
    at               TEXT NOT NULL,
    CONSTRAINT checkpoint_passage_key UNIQUE (checkpoint_id, client_id)
);
CREATE INDEX checkpoint_passages_gate ON checkpoint_passages(checkpoint_id, id);
CREATE INDEX checkpoint_passages_hour ON checkpoint_passages(area_path, china_hour);
