-- Episodes of home quarantine, home health monitoring and central quarantine: one person under
-- one measure from a start day (day 1, China's date, YYYY-MM-DD) to a planned end, under the
-- policy version chosen at the start (its rules never rewrite an episode already started: the
-- schedule's days are kept here). Kept in step with
-- crates/store-postgres/migrations/0022_episodes.sql.

CREATE TABLE episodes (
    id             INTEGER PRIMARY KEY,
    person_id      INTEGER NOT NULL REFERENCES persons(id),
    household_id   INTEGER NOT NULL REFERENCES households(id),
    -- The household's building or unit, for lists by area.
    area_path      TEXT NOT NULL,
    measure        TEXT NOT NULL,
    reason         TEXT NOT NULL,
    policy_key     TEXT NOT NULL,
    policy_version INTEGER NOT NULL,
    starts_on      TEXT NOT NULL,
    last_day       TEXT NOT NULL,
    ends_at        TEXT NOT NULL,
    status         TEXT NOT NULL,
    created_by     TEXT NOT NULL,
    created_at     TEXT NOT NULL
);
CREATE INDEX episodes_person ON episodes(person_id, measure, last_day);
CREATE INDEX episodes_area ON episodes(area_path, status, id);
