-- Login throttling by growing waits instead of locks: each key (a user name from one address,
-- a user name, an address) counts its attempts and says when the next one is allowed.
-- The old table's counts are dropped: that only forgives. Kept in step with
-- crates/store-sqlite/migrations/0009_login_delays.sql.

DROP TABLE login_throttle;

CREATE TABLE login_delays (
    key        TEXT PRIMARY KEY,
    -- Attempts counted (claimed before the password is checked, taken back on success).
    attempts   BIGINT NOT NULL,
    last_at    TIMESTAMPTZ NOT NULL,
    not_before TIMESTAMPTZ NOT NULL
);
-- Quiet keys are pruned by age.
CREATE INDEX login_delays_last_at ON login_delays(last_at);
