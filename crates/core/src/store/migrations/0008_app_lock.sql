-- The official's password as an argon2id hash (PHC string), kept at login so the app lock can
-- be opened offline; cleared at logout.
ALTER TABLE sync_state ADD COLUMN password_hash TEXT;
