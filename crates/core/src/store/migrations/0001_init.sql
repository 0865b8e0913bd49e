-- The first schema: the device, the address tree, residents with tags and full-text search,
-- and the three tables every command writes beside its domain rows: field clocks, the outbox
-- and the audit log.

-- One row: who this store is. A copied or restored store must take a new site_id before it
-- pushes, so its sequence numbers never collide with the original's.
CREATE TABLE device (
    singleton   INTEGER PRIMARY KEY CHECK (singleton = 1),
    site_id     TEXT NOT NULL,
    profile_id  TEXT NOT NULL,
    next_seq    INTEGER NOT NULL DEFAULT 1,
    last_hlc    INTEGER NOT NULL DEFAULT 0,
    district    TEXT NOT NULL DEFAULT '本区',
    is_demo     INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL
) STRICT;

-- The address tree: district > street > community > grid. A community may hang directly
-- under the district when a roster does not name its street.
-- `rid` is local (residents refer to it: 1-2 bytes instead of a 36-byte UUID per row); `id`
-- is the UUIDv7 every device knows the node by.
CREATE TABLE areas (
    rid          INTEGER PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    parent_id    TEXT REFERENCES areas(id),
    level        TEXT NOT NULL CHECK (level IN ('district', 'street', 'community', 'grid')),
    name         TEXT NOT NULL,
    created_hlc  INTEGER NOT NULL,
    created_site TEXT NOT NULL
) STRICT;
CREATE UNIQUE INDEX areas_by_parent ON areas (ifnull(parent_id, ''), level, name);
CREATE INDEX areas_by_level_name ON areas (level, name);

-- A batch of residents created together: an import (with its summary, for the history and
-- undo) or a bulk creation such as the demo district.
CREATE TABLE batches (
    rid        INTEGER PRIMARY KEY,
    id         TEXT NOT NULL UNIQUE,
    kind       TEXT NOT NULL CHECK (kind IN ('import', 'bulk')),
    file       TEXT NOT NULL,
    format     TEXT NOT NULL,
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,
    hlc        INTEGER NOT NULL DEFAULT 0,
    rows_read  INTEGER NOT NULL DEFAULT 0,
    created    INTEGER NOT NULL DEFAULT 0,
    updated    INTEGER NOT NULL DEFAULT 0,
    unchanged  INTEGER NOT NULL DEFAULT 0,
    rejected   INTEGER NOT NULL DEFAULT 0,
    undone_at  TEXT
) STRICT;

-- `rid` is a local row number (full-text search keys on it); `id` is the UUIDv7 every
-- device and the server know the person by. A created row carries one creation stamp
-- (created_hlc, created_site) instead of a clock per field, until a field is edited.
CREATE TABLE residents (
    rid          INTEGER PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    sex          TEXT CHECK (sex IN ('M', 'F')),
    birth_date   TEXT,
    id_number    TEXT,
    phone        TEXT,
    area_rid     INTEGER REFERENCES areas(rid),
    building     TEXT,
    unit         TEXT,
    room         TEXT,
    address      TEXT,
    notes        TEXT,
    attributes   TEXT,
    created_hlc  INTEGER NOT NULL,
    created_site TEXT NOT NULL,
    batch_rid    INTEGER REFERENCES batches(rid),
    deleted      INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE UNIQUE INDEX residents_by_id_number ON residents (id_number)
    WHERE id_number IS NOT NULL AND deleted = 0;
CREATE INDEX residents_by_name_phone ON residents (name, phone) WHERE deleted = 0;
CREATE INDEX residents_by_area ON residents (area_rid);

-- Tags are normalised: the roster's words ("独居老人", "空巢独居", "elderly living alone")
-- resolve through aliases to one tag, so filters and welfare rules see one thing.
CREATE TABLE tags (
    id            INTEGER PRIMARY KEY,
    key           TEXT NOT NULL UNIQUE,
    label_zh      TEXT NOT NULL,
    label_en      TEXT NOT NULL,
    vulnerability INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE TABLE tag_aliases (
    alias  TEXT PRIMARY KEY,
    tag_id INTEGER NOT NULL REFERENCES tags(id)
) STRICT, WITHOUT ROWID;
CREATE TABLE resident_tags (
    resident_rid INTEGER NOT NULL REFERENCES residents(rid),
    tag_id       INTEGER NOT NULL REFERENCES tags(id),
    PRIMARY KEY (resident_rid, tag_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX resident_tags_by_tag ON resident_tags (tag_id, resident_rid);

-- Trigram tokens find a partial Chinese name, part of an address (building, unit, room, free
-- address) or the last digits of a phone. Names of areas are searched in `areas` instead of
-- being repeated for every resident, and identity numbers through their unique index, which
-- keeps this index a third of the size. Contentless (the text lives in `residents`), with
-- deletes allowed for edits.
CREATE VIRTUAL TABLE residents_fts USING fts5(
    name, place, phone, content = '', contentless_delete = 1, tokenize = 'trigram'
);

-- The write path's companions.
CREATE TABLE field_clocks (
    entity    TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    field     TEXT NOT NULL,
    hlc       INTEGER NOT NULL,
    site_id   TEXT NOT NULL,
    PRIMARY KEY (entity, entity_id, field)
) STRICT, WITHOUT ROWID;

CREATE TABLE outbox (
    seq     INTEGER PRIMARY KEY,
    op_id   TEXT NOT NULL UNIQUE,
    site_id TEXT NOT NULL,
    kind    TEXT NOT NULL,
    hlc     INTEGER NOT NULL,
    actor   TEXT NOT NULL,
    at      TEXT NOT NULL,
    payload TEXT NOT NULL
) STRICT;

CREATE TABLE audit_log (
    seq        INTEGER PRIMARY KEY,
    id         TEXT NOT NULL UNIQUE,
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    entity     TEXT NOT NULL,
    entity_ids TEXT NOT NULL,
    before     TEXT,
    after      TEXT,
    op_id      TEXT,
    batch_id   TEXT,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL
) STRICT;
CREATE INDEX audit_by_batch ON audit_log (batch_id) WHERE batch_id IS NOT NULL;
-- Which entities an entry touched, for a person's history. Bulk creations are found through
-- residents.batch_id instead, so a million-row import does not write a million rows here.
CREATE TABLE audit_subjects (
    entity_id TEXT NOT NULL,
    audit_seq INTEGER NOT NULL REFERENCES audit_log(seq),
    PRIMARY KEY (entity_id, audit_seq)
) STRICT, WITHOUT ROWID;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;


-- Local preferences (saved column mappings): not domain data, never synced.
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

INSERT INTO tags (key, label_zh, label_en, vulnerability) VALUES
    ('elderly_alone', '独居老人', 'elderly living alone', 1),
    ('disabled', '残疾人', 'disabled', 1),
    ('chronic_illness', '慢性病', 'chronic illness', 1),
    ('pregnant', '孕产妇', 'pregnant', 1),
    ('low_income', '低保户', 'low income', 1),
    ('home_quarantine', '居家隔离', 'home quarantine', 1);
INSERT INTO tag_aliases (alias, tag_id) SELECT alias, (SELECT id FROM tags WHERE key = k) FROM (
    SELECT 'elderly_alone' AS k, '独居老人' AS alias UNION ALL
    SELECT 'elderly_alone', '独居' UNION ALL
    SELECT 'elderly_alone', '空巢独居' UNION ALL
    SELECT 'elderly_alone', '独居老年人' UNION ALL
    SELECT 'elderly_alone', 'elderly living alone' UNION ALL
    SELECT 'elderly_alone', 'elderly alone' UNION ALL
    SELECT 'elderly_alone', 'lives alone' UNION ALL
    SELECT 'disabled', '残疾人' UNION ALL
    SELECT 'disabled', '残疾' UNION ALL
    SELECT 'disabled', '残障人士' UNION ALL
    SELECT 'disabled', 'disabled' UNION ALL
    SELECT 'disabled', 'disability' UNION ALL
    SELECT 'chronic_illness', '慢性病' UNION ALL
    SELECT 'chronic_illness', '慢病' UNION ALL
    SELECT 'chronic_illness', '慢性病患者' UNION ALL
    SELECT 'chronic_illness', 'chronic illness' UNION ALL
    SELECT 'chronic_illness', 'chronic disease' UNION ALL
    SELECT 'pregnant', '孕产妇' UNION ALL
    SELECT 'pregnant', '孕妇' UNION ALL
    SELECT 'pregnant', 'pregnant' UNION ALL
    SELECT 'low_income', '低保户' UNION ALL
    SELECT 'low_income', '低保' UNION ALL
    SELECT 'low_income', '低收入' UNION ALL
    SELECT 'low_income', 'low income' UNION ALL
    SELECT 'home_quarantine', '居家隔离' UNION ALL
    SELECT 'home_quarantine', '居家观察' UNION ALL
    SELECT 'home_quarantine', 'home quarantine' UNION ALL
    SELECT 'home_quarantine', 'quarantine'
);
