-- The time the server told a revoked device, at its next contact, to wipe its store.
ALTER TABLE devices ADD COLUMN wiped_ms INTEGER;
