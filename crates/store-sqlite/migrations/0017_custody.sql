-- The chain of custody of a round's samples: transport boxes (转运箱), tube results from the
-- lab, the persons flagged by a positive pool, and an append-only log of every custody event.
-- Kept in step with crates/store-postgres/migrations/0017_custody.sql.

CREATE TABLE boxes (
    id             INTEGER PRIMARY KEY,
    round_id       INTEGER NOT NULL REFERENCES rounds(id),
    code           TEXT NOT NULL,
    -- The area of whoever opened it (the sampling point's).
    area_path      TEXT NOT NULL,
    status         TEXT NOT NULL,
    -- Counted at sealing.
    tubes          INTEGER NOT NULL DEFAULT 0,
    persons        INTEGER NOT NULL DEFAULT 0,
    opened_by      TEXT NOT NULL,
    opened_at      TEXT NOT NULL,
    sealed_by      TEXT,
    sealed_at      TEXT,
    carrier        TEXT,
    lab            TEXT,
    handed_at      TEXT,
    received_by    TEXT,
    received_at    TEXT,
    -- The lab's own count, and the note that explains a difference from the seal's.
    received_tubes INTEGER,
    mismatch_note  TEXT,
    CONSTRAINT box_code_unique UNIQUE (code)
);
CREATE INDEX boxes_round ON boxes(round_id, status);

ALTER TABLE tubes ADD COLUMN box_id INTEGER REFERENCES boxes(id);
ALTER TABLE tubes ADD COLUMN result TEXT;
ALTER TABLE tubes ADD COLUMN result_at TEXT;
ALTER TABLE tubes ADD COLUMN result_by TEXT;
CREATE INDEX tubes_box ON tubes(box_id);

-- Persons of a positive pool: flagged at once, each re-sampled single-tube; the re-sample's
-- result closes the flag.
CREATE TABLE sample_flags (
    round_id   INTEGER NOT NULL REFERENCES rounds(id),
    person_id  INTEGER NOT NULL REFERENCES persons(id),
    tube_id    INTEGER NOT NULL REFERENCES tubes(id),
    status     TEXT NOT NULL,
    flagged_at TEXT NOT NULL,
    closed_at  TEXT,
    PRIMARY KEY (round_id, person_id)
);

-- Every event of a tube or box, never changed or removed (the triggers refuse it).
CREATE TABLE custody_events (
    id        INTEGER PRIMARY KEY,
    round_id  INTEGER NOT NULL REFERENCES rounds(id),
    tube_id   INTEGER REFERENCES tubes(id),
    box_id    INTEGER REFERENCES boxes(id),
    action    TEXT NOT NULL,
    by_user   TEXT NOT NULL,
    at        TEXT NOT NULL,
    details   TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX custody_tube ON custody_events(tube_id, id);
CREATE INDEX custody_box ON custody_events(box_id, id);
CREATE TRIGGER custody_no_update BEFORE UPDATE ON custody_events
BEGIN SELECT RAISE(ABORT, 'custody_append_only'); END;
CREATE TRIGGER custody_no_delete BEFORE DELETE ON custody_events
BEGIN SELECT RAISE(ABORT, 'custody_append_only'); END;
