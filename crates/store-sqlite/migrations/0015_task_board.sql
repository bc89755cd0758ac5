-- The board of an area (its open tasks, soonest due first) reads one page from this index
-- alone: every column the board filters and sorts on, so the ids of a page of 200,000 open
-- tasks are found without touching the table, and only that page's rows are read. It replaces
-- tasks_area, its prefix. Kept in step with crates/store-postgres/migrations/0015_task_board.sql.

DROP INDEX tasks_area;
CREATE INDEX tasks_board ON tasks(area_path, status, due_at, kind, assignee_id, id);
