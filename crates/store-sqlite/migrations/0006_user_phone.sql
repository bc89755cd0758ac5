-- A phone on user accounts: the upper-level export lists each address's grid worker and their phone.
-- Kept in step with the other backend's 0006_user_phone.sql.

ALTER TABLE users ADD COLUMN phone TEXT;
