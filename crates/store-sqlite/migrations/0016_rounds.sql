-- Mass-testing rounds (全员核酸): the round and the areas it covers, who is excused, the tubes
-- and the samples that bind persons to them, and each person's opaque personal code (个人码).
-- Kept in step with crates/store-postgres/migrations/0016_rounds.sql.

CREATE TABLE rounds (
    id          INTEGER PRIMARY KEY,
    -- The area that runs the round (a community or street): who may manage it.
    area_id     INTEGER NOT NULL REFERENCES areas(id),
    area_path   TEXT NOT NULL,
    name        TEXT NOT NULL,
    pool_size   INTEGER NOT NULL CHECK (pool_size IN (1, 5, 10, 20)),
    status      TEXT NOT NULL,
    starts_at   TEXT,
    ends_at     TEXT,
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX rounds_area ON rounds(area_path);

-- The areas a round samples (the running area itself, or a list of compounds in it).
CREATE TABLE round_areas (
    round_id  INTEGER NOT NULL REFERENCES rounds(id),
    area_id   INTEGER NOT NULL REFERENCES areas(id),
    area_path TEXT NOT NULL,
    PRIMARY KEY (round_id, area_id)
);

-- Groups sampled apart from the pool: persons under an area or carrying a tag, one tube
-- each (single) or one per household.
CREATE TABLE round_groups (
    id        INTEGER PRIMARY KEY,
    round_id  INTEGER NOT NULL REFERENCES rounds(id),
    area_path TEXT,
    tag       TEXT,
    mode      TEXT NOT NULL
);
CREATE INDEX round_groups_round ON round_groups(round_id);

-- Persons not expected at a sampling point, with the reason.
CREATE TABLE round_exclusions (
    round_id   INTEGER NOT NULL REFERENCES rounds(id),
    person_id  INTEGER NOT NULL REFERENCES persons(id),
    area_path  TEXT NOT NULL,
    reason     TEXT NOT NULL,
    note       TEXT NOT NULL DEFAULT '',
    by_user    TEXT NOT NULL,
    at         TEXT NOT NULL,
    PRIMARY KEY (round_id, person_id)
);
CREATE INDEX round_exclusions_area ON round_exclusions(round_id, area_path);

-- A tube code is used once, ever: in one round (UNIQUE across rounds).
CREATE TABLE tubes (
    id          INTEGER PRIMARY KEY,
    round_id    INTEGER NOT NULL REFERENCES rounds(id),
    code        TEXT NOT NULL,
    -- The area of whoever opened it (the sampling point's): who else may close and box it.
    area_path   TEXT NOT NULL,
    mode        TEXT NOT NULL,
    -- How many it holds when full: the pool size, 1, or the household's members.
    capacity    INTEGER NOT NULL,
    count       INTEGER NOT NULL DEFAULT 0,
    status      TEXT NOT NULL,
    opened_by   TEXT NOT NULL,
    opened_at   TEXT NOT NULL,
    closed_by   TEXT,
    closed_at   TEXT,
    CONSTRAINT tube_code_unique UNIQUE (code)
);
CREATE INDEX tubes_round ON tubes(round_id, status);

-- A person bound to a tube. `client_id` is the scanning device's id for the scan: a resend
-- answers the stored scan. A person is sampled once per round unless marked as a retest.
CREATE TABLE samples (
    id           INTEGER PRIMARY KEY,
    round_id     INTEGER NOT NULL REFERENCES rounds(id),
    tube_id      INTEGER NOT NULL REFERENCES tubes(id),
    person_id    INTEGER NOT NULL REFERENCES persons(id),
    -- The person's building or unit, for coverage and the door-knock list.
    area_path    TEXT NOT NULL,
    client_id    TEXT NOT NULL,
    retest       BOOLEAN NOT NULL DEFAULT FALSE,
    -- The tube's count after this scan, and whether this scan filled it.
    position     INTEGER NOT NULL,
    closed_tube  BOOLEAN NOT NULL DEFAULT FALSE,
    by_user      TEXT NOT NULL,
    at           TEXT NOT NULL,
    CONSTRAINT sample_client_unique UNIQUE (round_id, client_id)
);
CREATE UNIQUE INDEX sample_once ON samples(round_id, person_id) WHERE retest = FALSE;
CREATE INDEX samples_tube ON samples(tube_id, id);
CREATE INDEX samples_area ON samples(round_id, area_path, person_id);

-- The opaque token a person's QR code carries (个人码); never derived from the ID number.
CREATE TABLE person_codes (
    person_id  INTEGER PRIMARY KEY REFERENCES persons(id),
    code       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    CONSTRAINT person_code_unique UNIQUE (code)
);

-- Per round and building (or unit): persons sampled (once each; retests not again) and
-- excused, kept by the scan and exclusion writes, so a district's coverage is summed from a
-- few thousand rows instead of counted over every sample.
CREATE TABLE round_counts (
    round_id  INTEGER NOT NULL REFERENCES rounds(id),
    area_id   INTEGER NOT NULL REFERENCES areas(id),
    sampled   INTEGER NOT NULL DEFAULT 0,
    excluded  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (round_id, area_id)
);
