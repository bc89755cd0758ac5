-- no-transaction
-- The one-person-per-document rule becomes a named unique index instead of a table
-- constraint: SQLite cannot drop a constraint's own index, and a bulk load into an empty
-- registry builds this one once at its end instead of inserting a million random keys into it.
-- SQLite cannot drop a constraint either, so the table is rebuilt (its documented 12 steps:
-- foreign keys off around one transaction). Kept in step with the other backend's
-- 0008_document_index.sql.
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;
CREATE TABLE persons_new (
    id           INTEGER PRIMARY KEY,
    household_id INTEGER NOT NULL REFERENCES households(id),
    name         TEXT NOT NULL,
    id_type      TEXT NOT NULL,
    id_number    TEXT NOT NULL,
    -- The number reversed: exact lookups and "last digits" searches are both prefix ranges on it,
    -- and it carries the one-person-per-document rule (persons_document).
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
    version      INTEGER NOT NULL DEFAULT 1
);
INSERT INTO persons_new (id, household_id, name, id_type, id_number, id_rev, sex, birth_date, phone,
                         phone_rev, relation, residency, tags, created_at, updated_at, version)
SELECT id, household_id, name, id_type, id_number, id_rev, sex, birth_date, phone,
       phone_rev, relation, residency, tags, created_at, updated_at, version
FROM persons;
DROP TABLE persons;
ALTER TABLE persons_new RENAME TO persons;
CREATE UNIQUE INDEX persons_document ON persons(id_rev, id_type);
CREATE INDEX persons_household ON persons(household_id);
CREATE INDEX persons_name ON persons(name, household_id);
CREATE INDEX persons_phone_rev ON persons(phone_rev);
COMMIT;
PRAGMA foreign_keys = ON;
