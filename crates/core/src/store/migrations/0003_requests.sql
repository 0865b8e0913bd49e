-- Requests: reference data (categories, deadline policies, the calendar, the district's
-- settings), the requests themselves and the event history every clock is computed from.

-- Reference data. Editable, synced as its own stream later; seeded by core at open time from
-- the embedded defaults when empty (so the defaults live in one place, not in SQL and Rust).
CREATE TABLE categories (
    key        TEXT PRIMARY KEY,
    label_zh   TEXT NOT NULL,
    label_en   TEXT NOT NULL,
    base       TEXT NOT NULL CHECK (base IN ('urgent', 'high', 'normal', 'low')),
    questions  TEXT NOT NULL DEFAULT '[]',
    sort       INTEGER NOT NULL DEFAULT 0,
    active     INTEGER NOT NULL DEFAULT 1
) STRICT;

-- Overrides of the default deadline policy for a category and priority in a mode. A missing
-- row means the default for the priority (sla::default_policy).
CREATE TABLE sla_policies (
    category TEXT NOT NULL,
    priority TEXT NOT NULL CHECK (priority IN ('urgent', 'high', 'normal', 'low')),
    mode     TEXT NOT NULL CHECK (mode IN ('normal', 'lockdown')),
    policy   TEXT NOT NULL,
    PRIMARY KEY (category, priority, mode)
) STRICT, WITHOUT ROWID;

-- Public holidays and make-up working days (调休).
CREATE TABLE calendar_days (
    date        TEXT PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('holiday', 'workday')),
    name        TEXT NOT NULL,
    provisional INTEGER NOT NULL DEFAULT 0
) STRICT, WITHOUT ROWID;

-- The district's settings that deadlines depend on: `sla_mode` (normal | lockdown),
-- `time_zone`, `business_hours` (JSON). Synced reference data, unlike `settings`.
CREATE TABLE district_settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE requests (
    rid           INTEGER PRIMARY KEY,
    id            TEXT NOT NULL UNIQUE,
    resident_id   TEXT,
    category      TEXT NOT NULL,
    channel       TEXT NOT NULL CHECK (channel IN ('phone', 'walk_in', 'wechat', 'hotline_12345', 'api')),
    description   TEXT NOT NULL,
    answers       TEXT NOT NULL DEFAULT '{}',
    address       TEXT,
    area_rid      INTEGER REFERENCES areas(rid),
    priority      TEXT NOT NULL CHECK (priority IN ('urgent', 'high', 'normal', 'low')),
    proposed      TEXT NOT NULL CHECK (proposed IN ('urgent', 'high', 'normal', 'low')),
    reasons       TEXT NOT NULL DEFAULT '[]',
    override_why  TEXT,
    status        TEXT NOT NULL,
    round         INTEGER NOT NULL DEFAULT 1,
    paused        INTEGER NOT NULL DEFAULT 0,
    assignee      TEXT,
    merged_into   TEXT,
    -- Likely duplicates found at intake (JSON array of ids), for the queue's flag.
    dup_hint      TEXT,
    checkin_key   TEXT UNIQUE,
    created_at    TEXT NOT NULL,
    created_hlc   INTEGER NOT NULL,
    created_site  TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    -- Derived from the events, the policy and the calendar by requests::derive, rewritten in
    -- the same transaction as every event and whenever a policy, the calendar or the mode
    -- changes. A cache for the queue's order, never a counter: recomputing gives the same.
    is_open       INTEGER NOT NULL,
    due_ms        INTEGER,
    budget_secs   INTEGER,
    left_secs     INTEGER,
    clock         TEXT,
    counting      TEXT,
    transfers     INTEGER NOT NULL DEFAULT 0,
    returns       INTEGER NOT NULL DEFAULT 0
) STRICT;
-- The queue: open work by the instant its running clock runs out. Paused work has no due.
CREATE INDEX requests_queue ON requests (due_ms) WHERE is_open = 1 AND due_ms IS NOT NULL;
CREATE INDEX requests_queue_by_area ON requests (area_rid, due_ms) WHERE is_open = 1;
CREATE INDEX requests_by_resident ON requests (resident_id, created_at) WHERE resident_id IS NOT NULL;
CREATE INDEX requests_by_created ON requests (created_at);
CREATE INDEX requests_by_status ON requests (status, updated_at);
CREATE INDEX requests_by_merged ON requests (merged_into) WHERE merged_into IS NOT NULL;
CREATE INDEX requests_by_area_created ON requests (area_rid, created_at);

-- What happened to a request, in the order it happened: the clocks, the timeline and the
-- counts of transfers and returns are all computed from these rows.
CREATE TABLE request_events (
    rid         INTEGER PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    request_id  TEXT NOT NULL,
    at          TEXT NOT NULL,
    hlc         INTEGER NOT NULL,
    site_id     TEXT NOT NULL,
    actor       TEXT NOT NULL,
    actor_name  TEXT NOT NULL,
    kind        TEXT NOT NULL,
    round       INTEGER NOT NULL,
    data        TEXT NOT NULL DEFAULT '{}'
) STRICT;
CREATE INDEX request_events_by_request ON request_events (request_id, at, id);

CREATE TABLE request_attachments (
    request_id TEXT NOT NULL,
    path       TEXT NOT NULL,
    name       TEXT NOT NULL,
    added_at   TEXT NOT NULL,
    PRIMARY KEY (request_id, path)
) STRICT, WITHOUT ROWID;

CREATE VIRTUAL TABLE requests_fts USING fts5(
    description, place, content = '', contentless_delete = 1, tokenize = 'trigram'
);
