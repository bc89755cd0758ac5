-- Peacetime ↔ emergency (平急转换): a community in emergency mode from `started_on` until
-- `ended_on` (China's days), with why, who and the task forces' members; at most one running
-- emergency per community, every one kept as history. `retention_days` is how long the
-- personal data collected during it is kept after it ends. Kept in step with
-- crates/store-postgres/migrations/0035_emergency_retention.sql.
CREATE TABLE emergencies (
    id             INTEGER PRIMARY KEY,
    area_id        INTEGER NOT NULL REFERENCES areas(id),
    area_path      TEXT NOT NULL,
    started_on     TEXT NOT NULL,
    reason         TEXT NOT NULL,
    started_by     TEXT NOT NULL,
    started_at     TEXT NOT NULL,
    ended_on       TEXT,
    end_note       TEXT NOT NULL DEFAULT '',
    ended_by       TEXT,
    ended_at       TEXT,
    retention_days INTEGER NOT NULL DEFAULT 30
);
CREATE UNIQUE INDEX emergency_running ON emergencies(area_id) WHERE ended_on IS NULL;
CREATE INDEX emergencies_path ON emergencies(area_path, id);

-- The staff of each task force (信息核查 info_check, 防控值守 duty, 消毒消杀 disinfection,
-- 服务保障 service) of an emergency.
CREATE TABLE emergency_members (
    emergency_id INTEGER NOT NULL REFERENCES emergencies(id),
    task_force   TEXT NOT NULL,
    staff_id     INTEGER NOT NULL REFERENCES staff(id),
    PRIMARY KEY (emergency_id, task_force, staff_id)
);

-- When retention anonymised a row (NULL: never): a second run finds nothing left to do.
ALTER TABLE reports ADD COLUMN anonymised_at TEXT;
ALTER TABLE checkins ADD COLUMN anonymised_at TEXT;
ALTER TABLE list_rows ADD COLUMN anonymised_at TEXT;
ALTER TABLE checkpoint_passages ADD COLUMN anonymised_at TEXT;
