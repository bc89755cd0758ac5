-- Self-report (报备): links behind QR codes, the reports residents submit, review, and what the
-- direct-report export has sent up. Kept in step with crates/store-postgres/migrations/0004_reports.sql.

CREATE TABLE report_links (
    id          INTEGER PRIMARY KEY,
    token       TEXT NOT NULL,
    area_id     INTEGER NOT NULL REFERENCES areas(id),
    purpose     TEXT NOT NULL,
    risk_places TEXT NOT NULL DEFAULT '[]',
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT,
    revoked_at  TEXT,
    CONSTRAINT report_link_token_unique UNIQUE (token)
);
CREATE INDEX report_links_area ON report_links(area_id);

CREATE TABLE reports (
    id            INTEGER PRIMARY KEY,
    link_id       INTEGER NOT NULL REFERENCES report_links(id),
    -- A retry carries the same key: the unique rule makes it find the first report.
    idem_key      TEXT NOT NULL,
    receipt       TEXT NOT NULL,
    purpose       TEXT NOT NULL,
    area_id       INTEGER NOT NULL REFERENCES areas(id),
    -- The building's or unit's path, copied (areas are never renamed): queues scan it by range.
    area_path     TEXT NOT NULL,
    room          TEXT NOT NULL,
    address       TEXT NOT NULL,
    room_new      BOOLEAN NOT NULL DEFAULT FALSE,
    members       TEXT NOT NULL,
    answers       TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'pending',
    submitted_at  TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    edit_until    TEXT NOT NULL,
    reviewed_by   TEXT,
    reviewed_at   TEXT,
    reject_reason TEXT,
    person_ids    TEXT NOT NULL DEFAULT '[]',
    CONSTRAINT report_idem_unique UNIQUE (link_id, idem_key),
    CONSTRAINT report_receipt_unique UNIQUE (receipt)
);
CREATE INDEX reports_area ON reports(area_path);
CREATE INDEX reports_status ON reports(status, id);

-- What an export of an area has sent up: "only what is new" leaves these out.
CREATE TABLE report_exported (
    area_path   TEXT NOT NULL,
    report_id   INTEGER NOT NULL REFERENCES reports(id),
    exported_by TEXT NOT NULL,
    exported_at TEXT NOT NULL,
    PRIMARY KEY (area_path, report_id)
);
