-- The working force (工作力量) and its responsibility areas (分包). Kept in step with
-- crates/store-postgres/migrations/0012_staff.sql.

CREATE TABLE staff (
    id           INTEGER PRIMARY KEY,
    -- The area that manages the staff member (a community or street).
    area_id      INTEGER NOT NULL REFERENCES areas(id),
    name         TEXT NOT NULL,
    -- One record per mobile number: the key of imports and of `duty assign --staff`.
    phone        TEXT NOT NULL,
    kind         TEXT NOT NULL,
    skills       TEXT NOT NULL DEFAULT '[]',
    availability TEXT NOT NULL DEFAULT '',
    notes        TEXT NOT NULL DEFAULT '',
    active       BOOLEAN NOT NULL DEFAULT TRUE,
    -- The user account of this person, if any (one account, one staff record).
    user_id      INTEGER REFERENCES users(id),
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    CONSTRAINT staff_phone_unique UNIQUE (phone),
    CONSTRAINT staff_user_unique UNIQUE (user_id)
);
CREATE INDEX staff_area ON staff(area_id);

-- A duty ties a staff member to an area (grid, compound, building, unit); areas below without
-- an owner of their own inherit it.
CREATE TABLE duties (
    id         INTEGER PRIMARY KEY,
    staff_id   INTEGER NOT NULL REFERENCES staff(id),
    area_id    INTEGER NOT NULL REFERENCES areas(id),
    duty       TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    CONSTRAINT duty_unique UNIQUE (staff_id, area_id, duty)
);
CREATE INDEX duties_area ON duties(area_id, duty);
