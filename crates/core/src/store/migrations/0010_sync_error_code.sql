-- The last sync failure's kind (`offline`, `untrusted`, …) beside its sentence, so the status
-- bar can tell a server it cannot reach from one whose certificate it does not trust.
ALTER TABLE sync_state ADD COLUMN last_error_code TEXT;
