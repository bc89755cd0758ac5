-- A scan's checks made again when it commits. A scan is one statement (store-postgres/src/
-- scan.rs) whose reads see the database as it was when the statement began; under READ
-- COMMITTED two writes can overtake it before it commits:
--   * the round closed meanwhile (the close locks the round, the scan's fill read it unlocked):
--     the scan is refused `round_not_open`, as any scan of a closed round;
--   * the person excused meanwhile (the excuse locks the person, the scan's end of the excuse
--     ran before): the excuse is ended and the excused count taken back, as the scan would
--     have done had it begun later.
-- The scan waits for both locks before this runs (FOR KEY SHARE on the person, taken by its
-- first CTE, and on the round, by the sample's foreign key); deferred to the commit, the
-- function's statements read the database as those writes left it. A scan that finds
-- nothing to change costs two index lookups. Nothing on SQLite, whose one writer runs one
-- write at a time (crates/store-sqlite/migrations/0036_sample_at_commit.sql).
CREATE FUNCTION sample_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM rounds WHERE id = NEW.round_id AND status = 'open') THEN
        RAISE EXCEPTION 'round % is not open', NEW.round_id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'round_not_open';
    END IF;
    IF NOT NEW.retest THEN
        WITH ended AS (
            DELETE FROM round_exclusions WHERE round_id = NEW.round_id AND person_id = NEW.person_id
            RETURNING area_path)
        UPDATE round_counts c SET excluded = c.excluded - 1
        FROM ended JOIN areas a ON a.path = ended.area_path
        WHERE c.round_id = NEW.round_id AND c.area_id = a.id;
    END IF;
    RETURN NULL;
END;
$$;

CREATE CONSTRAINT TRIGGER sample_at_commit AFTER INSERT ON samples
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION sample_at_commit();
