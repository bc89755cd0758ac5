-- Nothing changes here: on SQLite this migration turns the one-person-per-document constraint
-- into a named unique index that a bulk load can drop and rebuild. PostgreSQL keeps its
-- constraint person_document_unique. Kept so both backends list the same migrations.
SELECT 1;
