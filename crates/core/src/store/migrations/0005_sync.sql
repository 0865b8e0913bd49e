-- Sync: the device's login and cursor, what the server said about each op, and the edits
-- another device's replaced (the conflicts page).

-- Measured against the server at each sync: how far this laptop's clock is off. The write
-- path stamps and dates by the corrected time.
ALTER TABLE device ADD COLUMN clock_offset_ms INTEGER NOT NULL DEFAULT 0;

-- One row. The device token is revocable on the server; the secret signs this device's ops.
CREATE TABLE sync_state (
    singleton         INTEGER PRIMARY KEY CHECK (singleton = 1),
    server_url        TEXT,
    user_id           TEXT,
    user_name         TEXT,
    display_name      TEXT,
    role              TEXT,
    scope_path        TEXT,
    scope_area        TEXT,
    device_id         TEXT,
    device_token      TEXT,
    device_secret     TEXT,
    access_token      TEXT,
    access_expires_ms INTEGER NOT NULL DEFAULT 0,
    cursor            INTEGER NOT NULL DEFAULT 0,
    head              INTEGER NOT NULL DEFAULT 0,
    last_sync_at      TEXT,
    last_attempt_at   TEXT,
    last_error        TEXT,
    revoked           INTEGER NOT NULL DEFAULT 0
) STRICT;
INSERT INTO sync_state (singleton) VALUES (1);

-- What the server decided for each pushed op (a rejection is shown until looked at).
CREATE TABLE sync_outcomes (
    op_id    TEXT PRIMARY KEY,
    seq      INTEGER NOT NULL,
    kind     TEXT NOT NULL,
    at       TEXT NOT NULL,
    outcome  TEXT NOT NULL CHECK (outcome IN ('applied', 'rejected')),
    reason   TEXT,
    acked_at TEXT NOT NULL,
    -- The request or resident the op was about, so a refusal can name it.
    subject  TEXT,
    seen     INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX sync_outcomes_rejected ON sync_outcomes (seen) WHERE outcome = 'rejected';

-- Pulled from the server: an edit that lost to another (or replaced one the other device
-- had not seen). `lost` and `won` are JSON values.
CREATE TABLE sync_conflicts (
    id        TEXT PRIMARY KEY,
    entity    TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    field     TEXT NOT NULL,
    lost      TEXT,
    lost_by   TEXT NOT NULL,
    lost_hlc  INTEGER NOT NULL,
    lost_site TEXT NOT NULL,
    won       TEXT,
    won_by    TEXT NOT NULL,
    won_hlc   INTEGER NOT NULL,
    won_site  TEXT NOT NULL,
    op_id     TEXT NOT NULL,
    resolved  INTEGER NOT NULL DEFAULT 0
) STRICT;

-- Pulled changes are recorded as received, not chained into this device's own audit log.
CREATE TABLE sync_received (
    seq         INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
    from_cursor INTEGER NOT NULL,
    to_cursor   INTEGER NOT NULL,
    rows        INTEGER NOT NULL
) STRICT;

-- Two devices may hold the same person under two ids until the server's alias arrives; the
-- create and import commands still refuse a second one made here.
DROP INDEX residents_by_id_number;
CREATE INDEX residents_by_id_number ON residents (id_number)
    WHERE id_number IS NOT NULL AND deleted = 0;
