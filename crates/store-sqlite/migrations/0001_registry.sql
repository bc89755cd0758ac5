-- Registry: the area tree, households (一户一账) and persons (一人一档).
-- Kept in step with crates/store-postgres/migrations/0001_registry.sql.

CREATE TABLE areas (
    id         INTEGER PRIMARY KEY,
    parent_id  INTEGER REFERENCES areas(id),
    kind       TEXT NOT NULL,
    name       TEXT NOT NULL,
    -- Names from the root joined with '/': subtrees are index range scans on it.
    path       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    CONSTRAINT area_path_unique UNIQUE (path)
);
CREATE INDEX areas_parent ON areas(parent_id);

CREATE TABLE households (
    id         INTEGER PRIMARY KEY,
    area_id    INTEGER NOT NULL REFERENCES areas(id),
    room       TEXT NOT NULL,
    address    TEXT NOT NULL,
    notes      TEXT,
    created_at TEXT NOT NULL,
    CONSTRAINT household_room_unique UNIQUE (area_id, room)
);
CREATE INDEX households_room ON households(room);

CREATE TABLE persons (
    id           INTEGER PRIMARY KEY,
    household_id INTEGER NOT NULL REFERENCES households(id),
    name         TEXT NOT NULL,
    id_type      TEXT NOT NULL,
    id_number    TEXT NOT NULL,
    -- The number reversed: exact lookups and "last digits" searches are both prefix ranges on it,
    -- and it carries the one-person-per-document rule.
    id_rev       TEXT NOT NULL,
    sex          TEXT,
    birth_date   TEXT,
    phone        TEXT,
    phone_rev    TEXT,
    relation     TEXT,
    residency    TEXT,
    tags         TEXT NOT NULL DEFAULT '[]',
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    version      INTEGER NOT NULL DEFAULT 1,
    CONSTRAINT person_document_unique UNIQUE (id_rev, id_type)
);
CREATE INDEX persons_household ON persons(household_id);
CREATE INDEX persons_name ON persons(name);
CREATE INDEX persons_phone_rev ON persons(phone_rev);

CREATE TABLE person_history (
    id        INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES persons(id),
    at        TEXT NOT NULL,
    actor     TEXT NOT NULL,
    source    TEXT NOT NULL,
    changes   TEXT NOT NULL
);
CREATE INDEX person_history_person ON person_history(person_id);
