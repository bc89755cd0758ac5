-- Accounts, sessions, login throttling and the append-only audit log.
-- Kept in step with crates/store-postgres/migrations/0002_accounts.sql.

ALTER TABLE households ADD COLUMN updated_at TEXT;

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL,
    role          TEXT NOT NULL,
    area_id       INTEGER NOT NULL REFERENCES areas(id),
    password_hash TEXT NOT NULL,
    disabled      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    TEXT NOT NULL,
    CONSTRAINT user_username_unique UNIQUE (username)
);

CREATE TABLE sessions (
    id           INTEGER PRIMARY KEY,
    -- Only the SHA-256 of the token: a copy of the database does not log anyone in.
    token_hash   TEXT NOT NULL,
    user_id      INTEGER NOT NULL REFERENCES users(id),
    kind         TEXT NOT NULL,
    csrf         TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    CONSTRAINT session_token_unique UNIQUE (token_hash)
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE login_throttle (
    key          TEXT PRIMARY KEY,
    failures     INTEGER NOT NULL,
    window_start TEXT NOT NULL,
    locked_until TEXT
);

CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
    user_id     INTEGER,
    username    TEXT NOT NULL,
    ip          TEXT,
    request_id  TEXT,
    action      TEXT NOT NULL,
    object_type TEXT,
    object_id   INTEGER,
    area_path   TEXT,
    details     TEXT NOT NULL
);
CREATE INDEX audit_log_area ON audit_log(area_path);
CREATE INDEX audit_log_user ON audit_log(username);
-- Append-only: the database itself refuses to change or remove an entry.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
