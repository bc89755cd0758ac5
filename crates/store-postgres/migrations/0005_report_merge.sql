-- Merging a report member into an existing person file: which file each member was merged into,
-- a JSON array in member order (null while undecided). Kept in step across both backends.
ALTER TABLE reports ADD COLUMN merged TEXT NOT NULL DEFAULT '[]';
