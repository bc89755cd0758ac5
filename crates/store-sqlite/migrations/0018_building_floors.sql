-- The building map: how many trailing digits of a room number are the room on its floor, per
-- building or unit (NULL: the usual 2, so 1201 is floor 12). Set on the map's page.
-- Kept in step with crates/store-postgres/migrations/0018_building_floors.sql.
ALTER TABLE areas ADD COLUMN room_digits INTEGER;
