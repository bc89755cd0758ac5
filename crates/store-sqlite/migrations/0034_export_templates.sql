-- Export templates (报表模板): which fields of a kind of rows, in which order, under which headers,
-- with which value mappings; kept for an area, whose subtree uses it. The built-in upward
-- direct report (上级直报) is code, not a row. Kept in step with
-- crates/store-postgres/migrations/0034_export_templates.sql.
CREATE TABLE export_templates (
    id          INTEGER PRIMARY KEY,
    area_path   TEXT NOT NULL,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    columns     TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_by  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    CONSTRAINT template_name_unique UNIQUE (area_path, name)
);
