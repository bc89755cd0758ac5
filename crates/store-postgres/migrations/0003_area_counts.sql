-- Counts kept on the area tree, so a community's totals and tag counts are read from a few
-- hundred area rows instead of counted over every person on each page view.
-- Kept in step with crates/store-sqlite/migrations/0003_area_counts.sql.

ALTER TABLE areas ADD COLUMN households_here BIGINT NOT NULL DEFAULT 0;
ALTER TABLE areas ADD COLUMN persons_here BIGINT NOT NULL DEFAULT 0;

UPDATE areas SET
    households_here = (SELECT COUNT(*) FROM households h WHERE h.area_id = areas.id),
    persons_here = (SELECT COUNT(*) FROM persons p JOIN households h ON h.id = p.household_id WHERE h.area_id = areas.id);

-- Persons carrying each tag, per building or unit (the area of their household).
CREATE TABLE area_tag_counts (
    area_id BIGINT NOT NULL REFERENCES areas(id),
    tag     TEXT NOT NULL,
    persons BIGINT NOT NULL,
    PRIMARY KEY (area_id, tag)
);

INSERT INTO area_tag_counts (area_id, tag, persons)
SELECT h.area_id, t.tag, COUNT(*)
FROM persons p JOIN households h ON h.id = p.household_id
CROSS JOIN LATERAL jsonb_array_elements_text(p.tags::jsonb) AS t(tag)
GROUP BY h.area_id, t.tag;
