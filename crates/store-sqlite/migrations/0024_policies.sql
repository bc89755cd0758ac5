-- Quarantine policies as versioned data: one row per version of a policy, never updated or
-- deleted (an episode names the key and version it follows). The rules are the version's JSON
-- form (`doorstep_core::policy::PolicyDoc`'s `rules`: an object keyed by measure code), kept as
-- text: they are read whole and checked in Rust, never queried by column. The shipped defaults
-- are inserted from Rust at migrate time (the numbers live in one place,
-- `doorstep_core::quarantine::Policy::defaults`). Kept in step with
-- crates/store-postgres/migrations/0024_policies.sql.

CREATE TABLE policy_versions (
    key        TEXT NOT NULL,
    version    INTEGER NOT NULL,
    name       TEXT NOT NULL,
    rules      TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (key, version)
);
