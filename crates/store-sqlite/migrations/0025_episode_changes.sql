-- An episode's life after its start: when and by whom it ended (transferred or released), and
-- every change kept (a new last day, a transfer, a release: what, before, after, reason, who,
-- when). Persons' samples by person, for the release checklist's test days. Kept in step with
-- crates/store-postgres/migrations/0025_episode_changes.sql.

ALTER TABLE episodes ADD COLUMN ended_at TEXT;
ALTER TABLE episodes ADD COLUMN ended_by TEXT;

CREATE TABLE episode_changes (
    id          INTEGER PRIMARY KEY,
    episode_id  INTEGER NOT NULL REFERENCES episodes(id),
    -- extend, shorten, transfer, release
    what        TEXT NOT NULL,
    before      TEXT NOT NULL,
    after       TEXT NOT NULL,
    reason      TEXT NOT NULL,
    by_user     TEXT NOT NULL,
    at          TEXT NOT NULL
);
CREATE INDEX episode_changes_episode ON episode_changes(episode_id, id);
CREATE INDEX episodes_household ON episodes(household_id, id);
CREATE INDEX samples_person ON samples(person_id, at);
