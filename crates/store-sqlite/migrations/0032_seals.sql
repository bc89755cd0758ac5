-- Sealed areas (封控): a building, unit or compound closed by the command, from when, why and by
-- whom, until lifted. At most one active seal per area. Whoever lives under an active seal
-- may not leave (checkpoints) and is served at home (supplies through a worker). Kept in step
-- with crates/store-postgres/migrations/0032_seals.sql.
CREATE TABLE area_seals (
    id         INTEGER PRIMARY KEY,
    area_id    INTEGER NOT NULL REFERENCES areas(id),
    area_path  TEXT NOT NULL,
    reason     TEXT NOT NULL,
    sealed_by  TEXT NOT NULL,
    sealed_at  TEXT NOT NULL,
    lifted_by  TEXT,
    lifted_at  TEXT
);
CREATE UNIQUE INDEX area_sealed ON area_seals(area_id) WHERE lifted_at IS NULL;
CREATE INDEX area_seals_path ON area_seals(area_path, id);
