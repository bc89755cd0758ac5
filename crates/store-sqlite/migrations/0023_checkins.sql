-- Daily check-ins of persons in an episode (日常监测) and the household links they come through.
-- Kept in step with crates/store-postgres/migrations/0023_checkins.sql.

-- A household's check-in link: the token behind its QR code (opaque, random, never an ID
-- number). It opens the page while the household has an active at-home episode whose planned
-- end is ahead; a household starting episodes again after its last ended gets a new token.
CREATE TABLE checkin_links (
    household_id INTEGER PRIMARY KEY REFERENCES households(id),
    token        TEXT NOT NULL UNIQUE,
    created_at   TEXT NOT NULL
);

-- One person's check-in. `on_day` (China's date) and `window_n` name the window it fills
-- (0: none, an extra check-in); a window with no check-in once closed is missed.
-- `client_key` makes a resent form store nothing new (one key per submission, each member's
-- row under their own episode).
CREATE TABLE checkins (
    id           INTEGER PRIMARY KEY,
    episode_id   INTEGER NOT NULL REFERENCES episodes(id),
    household_id INTEGER NOT NULL,
    day          INTEGER NOT NULL,
    on_day       TEXT NOT NULL,
    window_n     INTEGER NOT NULL,
    timing       TEXT NOT NULL,
    at           TEXT NOT NULL,
    temperature  INTEGER NOT NULL,
    symptoms     TEXT NOT NULL,
    antigen      TEXT NOT NULL,
    note         TEXT NOT NULL,
    abnormal     INTEGER NOT NULL,
    method       TEXT NOT NULL,
    recorded_by  TEXT,
    client_key   TEXT NOT NULL
);
CREATE UNIQUE INDEX checkins_key ON checkins(episode_id, client_key);
CREATE INDEX checkins_window ON checkins(episode_id, on_day, window_n);
CREATE INDEX checkins_household ON checkins(household_id, at);

-- The windows the missed-check-in sweep has looked at, per policy version and measure: each
-- closed window is swept once (any server may run the sweep; the tasks it makes are keyed).
CREATE TABLE checkin_sweeps (
    policy_key     TEXT NOT NULL,
    policy_version INTEGER NOT NULL,
    measure        TEXT NOT NULL,
    on_day         TEXT NOT NULL,
    window_n       INTEGER NOT NULL,
    missed         INTEGER NOT NULL,
    swept_at       TEXT NOT NULL,
    PRIMARY KEY (policy_key, policy_version, measure, on_day, window_n)
);

-- The sweep reads active episodes by status and days (a household's: episodes_household, 0025).
CREATE INDEX episodes_active ON episodes(status, measure, policy_key, policy_version, starts_on);
