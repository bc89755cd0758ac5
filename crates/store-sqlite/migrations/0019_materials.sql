-- Sampling points (采样点) of a round as data, and the materials each receives before dawn:
-- tube-code and box-code batches (a range or a list of pre-printed codes) and swabs (a count),
-- with what was returned and spoiled per point, day and kind. What was used is counted from
-- the tubes and boxes themselves (codes of a point's batches in use), never typed.
-- Kept in step with crates/store-postgres/migrations/0019_materials.sql.

CREATE TABLE sampling_points (
    id         INTEGER PRIMARY KEY,
    round_id   INTEGER NOT NULL REFERENCES rounds(id),
    name       TEXT NOT NULL,
    -- Where it stands: an area inside the round's areas (a compound, usually).
    area_path  TEXT NOT NULL,
    -- The user names working there, a JSON array.
    staff      TEXT NOT NULL DEFAULT '[]',
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CONSTRAINT point_name_unique UNIQUE (round_id, name)
);

-- One hand-out to a point on a day (China's date, YYYY-MM-DD): a range of codes
-- (prefix, first_no, last_no, width), a list (codes, a JSON array), or a count (swabs).
CREATE TABLE material_batches (
    id        INTEGER PRIMARY KEY,
    point_id  INTEGER NOT NULL REFERENCES sampling_points(id),
    day       TEXT NOT NULL,
    kind      TEXT NOT NULL,
    prefix    TEXT,
    first_no  INTEGER,
    last_no   INTEGER,
    width     INTEGER,
    codes     TEXT,
    quantity  INTEGER NOT NULL,
    by_user   TEXT NOT NULL,
    at        TEXT NOT NULL
);
CREATE INDEX material_batches_point ON material_batches(point_id, day);

-- What a point gave back and what spoiled, per day and kind (the latest count wins).
CREATE TABLE material_counts (
    point_id  INTEGER NOT NULL REFERENCES sampling_points(id),
    day       TEXT NOT NULL,
    kind      TEXT NOT NULL,
    returned  INTEGER NOT NULL DEFAULT 0,
    spoiled   INTEGER NOT NULL DEFAULT 0,
    by_user   TEXT NOT NULL,
    at        TEXT NOT NULL,
    PRIMARY KEY (point_id, day, kind)
);
