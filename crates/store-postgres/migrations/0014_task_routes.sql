-- The routing table of tasks, as admins change it: for a kind, the duties its new tasks go to,
-- in order. A kind with no rows here uses the built-in default (core::task::TaskKind::
-- default_route). Kept in step with crates/store-sqlite/migrations/0014_task_routes.sql.

CREATE TABLE task_routes (
    kind     TEXT NOT NULL,
    position INTEGER NOT NULL,
    duty     TEXT NOT NULL,
    PRIMARY KEY (kind, position)
);
