-- Volunteers, their assignments to requests, the points ledger and partner shops.

-- Reference data (the district's to set, every device pulls it): the skills a volunteer can
-- offer, what a category asks of a volunteer (skills, points for a confirmed task, how long a
-- task from acceptance holds the volunteer), and the shops where points are spent.
CREATE TABLE skills (
    key      TEXT PRIMARY KEY,
    label_zh TEXT NOT NULL,
    label_en TEXT NOT NULL,
    sort     INTEGER NOT NULL DEFAULT 0,
    active   INTEGER NOT NULL DEFAULT 1
) STRICT;

CREATE TABLE category_service (
    category     TEXT PRIMARY KEY,
    skills       TEXT NOT NULL DEFAULT '[]',
    points       INTEGER NOT NULL DEFAULT 0 CHECK (points >= 0),
    task_minutes INTEGER NOT NULL DEFAULT 60 CHECK (task_minutes > 0)
) STRICT;

CREATE TABLE shops (
    id      TEXT PRIMARY KEY,
    name    TEXT NOT NULL,
    address TEXT NOT NULL DEFAULT '',
    active  INTEGER NOT NULL DEFAULT 1
) STRICT;

CREATE TABLE volunteers (
    rid          INTEGER PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    -- The resident this volunteer also is, when the roster knows them.
    resident_id  TEXT,
    name         TEXT NOT NULL,
    phone        TEXT,
    id_number    TEXT,
    -- Home grid (or community): dispatch ranks by distance in the address tree from here.
    area_rid     INTEGER REFERENCES areas(rid),
    skills       TEXT NOT NULL DEFAULT '[]',
    -- volunteers::availability::Availability as JSON: weekly slots and dated exceptions.
    availability TEXT NOT NULL DEFAULT '{"slots":[],"exceptions":[]}',
    capacity     INTEGER NOT NULL DEFAULT 1 CHECK (capacity BETWEEN 1 AND 20),
    health       TEXT NOT NULL DEFAULT 'well'
                 CHECK (health IN ('well', 'isolating', 'quarantined', 'unwell')),
    vehicle      TEXT,
    notes        TEXT,
    active       INTEGER NOT NULL DEFAULT 1,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    created_hlc  INTEGER NOT NULL,
    created_site TEXT NOT NULL,
    deleted      INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX volunteers_by_area ON volunteers (area_rid) WHERE deleted = 0;
CREATE INDEX volunteers_by_name ON volunteers (name) WHERE deleted = 0;
CREATE INDEX volunteers_by_id_number ON volunteers (id_number)
    WHERE id_number IS NOT NULL AND deleted = 0;

-- A volunteer sent to a request. The status moves forward only (volunteers::assignment):
-- proposed → accepted → started → done, or it ends declined, no_show, released or cancelled.
-- The window is the time the assignment holds the volunteer: a planned slot, or from
-- acceptance for the category's task length until done.
CREATE TABLE assignments (
    rid          INTEGER PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    request_id   TEXT NOT NULL,
    volunteer_id TEXT NOT NULL,
    area_rid     INTEGER REFERENCES areas(rid),
    status       TEXT NOT NULL CHECK (status IN
                 ('proposed', 'accepted', 'started', 'done', 'declined', 'no_show', 'released', 'cancelled')),
    planned      INTEGER NOT NULL DEFAULT 0,
    window_from  INTEGER NOT NULL,
    window_to    INTEGER NOT NULL,
    assigned_at  TEXT NOT NULL,
    assigned_by  TEXT NOT NULL,
    -- When anything last happened (stale assignments are judged from it).
    progress_at  TEXT NOT NULL,
    accepted_at  TEXT,
    started_at   TEXT,
    done_at      TEXT,
    ended_at     TEXT,
    -- Done after the request's resolution deadline.
    late         INTEGER NOT NULL DEFAULT 0,
    -- Who confirmed the service ('official' or 'callback'); points follow only a confirmation.
    confirmed_by TEXT CHECK (confirmed_by IN ('official', 'callback')),
    confirmed_at TEXT,
    note         TEXT,
    created_hlc  INTEGER NOT NULL,
    created_site TEXT NOT NULL
) STRICT;
CREATE INDEX assignments_by_volunteer ON assignments (volunteer_id, assigned_at);
CREATE INDEX assignments_by_request ON assignments (request_id, assigned_at);
CREATE INDEX assignments_open ON assignments (progress_at)
    WHERE status IN ('proposed', 'accepted', 'started');

-- The points ledger: append-only. A correction is a new entry; an entry never changes. (The
-- server may refuse an entry made offline, a redemption the balance cannot cover: the
-- device then removes it, which is the one delete allowed.)
CREATE TABLE points_ledger (
    rid           INTEGER PRIMARY KEY,
    id            TEXT NOT NULL UNIQUE,
    volunteer_id  TEXT NOT NULL,
    area_rid      INTEGER REFERENCES areas(rid),
    kind          TEXT NOT NULL CHECK (kind IN ('earn', 'redeem', 'correct')),
    amount        INTEGER NOT NULL,
    -- The district's local date the points count against the daily cap (earn).
    day           TEXT NOT NULL,
    assignment_id TEXT,
    shop_id       TEXT,
    voucher       TEXT,
    note          TEXT NOT NULL DEFAULT '',
    at            TEXT NOT NULL,
    actor_name    TEXT NOT NULL,
    created_hlc   INTEGER NOT NULL,
    created_site  TEXT NOT NULL,
    CHECK ((kind = 'earn' AND amount > 0) OR (kind = 'redeem' AND amount < 0) OR kind = 'correct')
) STRICT;
CREATE INDEX points_by_volunteer ON points_ledger (volunteer_id, at);
CREATE UNIQUE INDEX points_one_earn_per_assignment ON points_ledger (assignment_id)
    WHERE kind = 'earn';
CREATE TRIGGER points_ledger_no_update BEFORE UPDATE ON points_ledger
BEGIN SELECT RAISE(ABORT, 'the points ledger is append-only: record a correction'); END;

-- Bumped by every change of a volunteer or an assignment: dispatch keeps its candidates in
-- memory until it moves (a request's own steps, most writes, leave them as they are).
CREATE TABLE volunteer_generation (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    n         INTEGER NOT NULL
) STRICT;
INSERT INTO volunteer_generation (singleton, n) VALUES (1, 0);
CREATE TRIGGER volunteers_gen_insert AFTER INSERT ON volunteers
BEGIN UPDATE volunteer_generation SET n = n + 1; END;
CREATE TRIGGER volunteers_gen_update AFTER UPDATE ON volunteers
BEGIN UPDATE volunteer_generation SET n = n + 1; END;
CREATE TRIGGER volunteers_gen_delete AFTER DELETE ON volunteers
BEGIN UPDATE volunteer_generation SET n = n + 1; END;
CREATE TRIGGER assignments_gen_insert AFTER INSERT ON assignments
BEGIN UPDATE volunteer_generation SET n = n + 1; END;
CREATE TRIGGER assignments_gen_update AFTER UPDATE ON assignments
BEGIN UPDATE volunteer_generation SET n = n + 1; END;
CREATE TRIGGER assignments_gen_delete AFTER DELETE ON assignments
BEGIN UPDATE volunteer_generation SET n = n + 1; END;
