-- The sync server's first schema (PostgreSQL). Rows keep the wire Row as JSON text: the
-- server merges in Rust (core's rules) and never queries inside a body, so jsonb's parsing
-- on every write would buy nothing.

CREATE TABLE districts (
    name     TEXT PRIMARY KEY,
    version  BIGINT NOT NULL DEFAULT 0,
    -- Cursors below this are too old: tombstones before it were purged.
    horizon  BIGINT NOT NULL DEFAULT 0,
    -- The latest HLC the district accepted.
    clock    BIGINT NOT NULL DEFAULT 0,
    -- The op log chain's last hash.
    chain    TEXT NOT NULL DEFAULT ''
);

CREATE TABLE rows (
    district TEXT NOT NULL,
    entity   TEXT NOT NULL,
    id       TEXT NOT NULL,
    body     TEXT NOT NULL,
    scope    TEXT NOT NULL,
    key      TEXT,
    version  BIGINT NOT NULL,
    PRIMARY KEY (district, entity, id)
);
CREATE INDEX rows_by_version ON rows (district, version);
CREATE INDEX rows_by_key ON rows (district, entity, key) WHERE key IS NOT NULL;

CREATE TABLE op_log (
    n           BIGSERIAL PRIMARY KEY,
    district    TEXT NOT NULL,
    site_id     TEXT NOT NULL,
    seq         BIGINT NOT NULL,
    op_id       TEXT NOT NULL,
    kind        TEXT NOT NULL,
    actor       TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    device_id   TEXT NOT NULL,
    hlc         BIGINT NOT NULL,
    at          TEXT NOT NULL,
    received_ms BIGINT NOT NULL,
    outcome     TEXT NOT NULL,
    reason      TEXT,
    overwritten TEXT NOT NULL,
    op          TEXT NOT NULL,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL,
    UNIQUE (district, site_id, seq),
    UNIQUE (district, op_id)
);
CREATE FUNCTION op_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'the op log is append-only'; END $$;
CREATE TRIGGER op_log_no_change BEFORE UPDATE OR DELETE ON op_log
FOR EACH ROW EXECUTE FUNCTION op_log_append_only();

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL,
    district      TEXT NOT NULL,
    scope_path    TEXT NOT NULL,
    scope_area    TEXT,
    disabled      BOOLEAN NOT NULL DEFAULT FALSE,
    created_ms    BIGINT NOT NULL
);

CREATE TABLE devices (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id),
    name         TEXT NOT NULL,
    site_id      TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    secret       TEXT NOT NULL,
    created_ms   BIGINT NOT NULL,
    last_seen_ms BIGINT,
    revoked_ms   BIGINT
);
CREATE INDEX devices_by_user ON devices (user_id);
CREATE INDEX devices_by_site ON devices (site_id);

CREATE TABLE access_tokens (
    token_hash TEXT PRIMARY KEY,
    device_id  TEXT NOT NULL REFERENCES devices (id),
    expires_ms BIGINT NOT NULL
);
CREATE INDEX access_by_device ON access_tokens (device_id);

CREATE TABLE login_attempts (
    n         BIGSERIAL PRIMARY KEY,
    user_name TEXT NOT NULL,
    ip        TEXT NOT NULL,
    ok        BOOLEAN NOT NULL,
    at_ms     BIGINT NOT NULL
);
CREATE INDEX login_attempts_by_name ON login_attempts (user_name, at_ms);
CREATE INDEX login_attempts_by_ip ON login_attempts (ip, at_ms);
