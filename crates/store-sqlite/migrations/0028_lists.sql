-- Investigation lists from above (流调摸排 / 协查). Kept in step with
-- crates/store-postgres/migrations/0028_lists.sql.

-- One list as received: its area (the community whose desk takes the rows not found), its
-- file's headers (a JSON array, in order) and their key (core::lists::header_key), the
-- mapping chosen (field code → column index, JSON; NULL while `mapping`), its status
-- (mapping → open → closed) and how many not-reached calls a row gets before a door-knock.
CREATE TABLE lists (
    id          INTEGER PRIMARY KEY,
    area_id     INTEGER NOT NULL REFERENCES areas(id),
    area_path   TEXT NOT NULL,
    name        TEXT NOT NULL,
    headers     TEXT NOT NULL,
    header_key  TEXT NOT NULL,
    mapping     TEXT,
    status      TEXT NOT NULL,
    max_calls   INTEGER NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX lists_area ON lists(area_path, id);

-- One row of a list, in the order received (`seq`), with its cells as received (a JSON array
-- of texts: what the return file writes back), the fields read through the mapping, the keys
-- it is matched by (normalised ID number, phone), how it matched, and the repeat it is (of
-- row `dup_seq` of list `dup_list_id`; such a row is never called). Its calls are tasks of
-- source `list_call` keyed `{row id}:{n}` (`calls` made so far) and, once the calls are used
-- up, one `door_knock` task of source `list_knock` keyed by the row id (`knock` = 1): its
-- state is read from the latest of them, never stored here.
CREATE TABLE list_rows (
    id           INTEGER PRIMARY KEY,
    list_id      INTEGER NOT NULL REFERENCES lists(id),
    seq          INTEGER NOT NULL,
    row_no       INTEGER NOT NULL,
    cells        TEXT NOT NULL,
    name         TEXT NOT NULL DEFAULT '',
    id_number    TEXT NOT NULL DEFAULT '',
    phone        TEXT NOT NULL DEFAULT '',
    risk_place   TEXT NOT NULL DEFAULT '',
    seen_at      TEXT NOT NULL DEFAULT '',
    source       TEXT NOT NULL DEFAULT '',
    id_key       TEXT,
    phone_key    TEXT,
    problem      TEXT,
    match_kind   TEXT,
    person_id    INTEGER REFERENCES persons(id),
    household_id INTEGER REFERENCES households(id),
    dup_list_id  INTEGER,
    dup_seq      INTEGER,
    calls        INTEGER NOT NULL DEFAULT 0,
    knock        INTEGER NOT NULL DEFAULT 0,
    CONSTRAINT list_row_seq_unique UNIQUE (list_id, seq)
);
CREATE INDEX list_rows_person ON list_rows(person_id);

-- The mapping last chosen for a set of headers (core::lists::header_key): the next file with
-- the same headers skips the mapping step. `mapping` is field code → header text (JSON).
CREATE TABLE list_mappings (
    header_key  TEXT PRIMARY KEY,
    mapping     TEXT NOT NULL,
    updated_by  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
