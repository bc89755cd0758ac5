-- Notices to residents (温馨提示) and files from above (上级文件). Kept in step with
-- crates/store-postgres/migrations/0030_notices.sql.

-- A notice published for an area: it shows on that area's public pages (and those of every
-- area below it) from `valid_from` to `valid_to` (China's days, `YYYY-MM-DD`), unless
-- withdrawn. `token` (16 random bytes as hex) opens its own public page, which the printed
-- slip's QR code carries. Who published and withdrew it, and when, are on the row (and in the
-- audit log).
CREATE TABLE notices (
    id              INTEGER PRIMARY KEY,
    area_id         INTEGER NOT NULL REFERENCES areas(id),
    area_path       TEXT NOT NULL,
    title           TEXT NOT NULL,
    body            TEXT NOT NULL,
    english         TEXT NOT NULL,
    valid_from      TEXT NOT NULL,
    valid_to        TEXT NOT NULL,
    token           TEXT NOT NULL,
    published_by    TEXT NOT NULL,
    published_at    TEXT NOT NULL,
    withdrawn_by    TEXT,
    withdrawn_at    TEXT,
    withdraw_reason TEXT,
    CONSTRAINT notice_token_unique UNIQUE (token)
);
CREATE INDEX notices_area ON notices(area_path, valid_to);

-- A file received from above (a PDF, an image, a Word or Excel file), kept in the database
-- with the day it belongs to, so the daily report of that day can link it.
CREATE TABLE notice_files (
    id           INTEGER PRIMARY KEY,
    area_id      INTEGER NOT NULL REFERENCES areas(id),
    area_path    TEXT NOT NULL,
    day          TEXT NOT NULL,
    title        TEXT NOT NULL,
    file_name    TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         INTEGER NOT NULL,
    content      BLOB NOT NULL,
    uploaded_by  TEXT NOT NULL,
    uploaded_at  TEXT NOT NULL
);
CREATE INDEX notice_files_area ON notice_files(area_path, day);
