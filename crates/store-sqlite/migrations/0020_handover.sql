-- Handover slips (交接单), the seal notifications' outbox, and what the pickup list reads.
-- Kept in step with crates/store-postgres/migrations/0020_handover.sql.

-- One slip: sealed boxes from a sampling point to a lab, signed by the sender at handover
-- and by the lab's receiver at receipt.
CREATE TABLE handovers (
    id                 INTEGER PRIMARY KEY,
    round_id           INTEGER NOT NULL REFERENCES rounds(id),
    -- The sampling point (from): the area of whoever handed the boxes over.
    area_path          TEXT NOT NULL,
    lab                TEXT NOT NULL,
    carrier            TEXT NOT NULL,
    packaging_intact   INTEGER NOT NULL,
    disinfected        INTEGER NOT NULL,
    -- Tenths of a degree Celsius; required at receipt after a transport of 2 hours or more.
    temperature_tenths INTEGER,
    -- The sender's signature.
    sent_by            TEXT NOT NULL,
    handed_at          TEXT NOT NULL,
    -- The receiver's signature (the lab), once every box is received.
    received_by        TEXT,
    received_at        TEXT
);
CREATE INDEX handovers_round ON handovers(round_id, id);

ALTER TABLE boxes ADD COLUMN handover_id INTEGER REFERENCES handovers(id);
CREATE INDEX boxes_handover ON boxes(handover_id);
-- The transport group's pickup list: sealed boxes under an area.
CREATE INDEX boxes_waiting ON boxes(status, area_path);

-- A seal's notification to the webhook, written in the seal's transaction and delivered at
-- least once by a background task; `claimed_until` is a lease, so two servers on one
-- database never send one row at the same time.
CREATE TABLE seal_outbox (
    id            INTEGER PRIMARY KEY,
    box_id        INTEGER NOT NULL REFERENCES boxes(id),
    idem_key      TEXT NOT NULL,
    payload       TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    next_at       TEXT NOT NULL,
    claimed_until TEXT,
    delivered_at  TEXT,
    last_error    TEXT,
    CONSTRAINT seal_outbox_key UNIQUE (idem_key)
);
CREATE INDEX seal_outbox_due ON seal_outbox(next_at) WHERE delivered_at IS NULL;
