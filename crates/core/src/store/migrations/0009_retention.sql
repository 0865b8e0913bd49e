-- Retention: what the district's purges removed, counted, so reports still add up. Reference
-- data the server writes (`request_tally` rows); a device never edits it. One row per month,
-- category, priority, outcome and area; `area` is the area's id (a grid official's device may
-- not hold another grid's area row).
CREATE TABLE request_tallies (
    id       TEXT PRIMARY KEY,
    month    TEXT NOT NULL,
    category TEXT NOT NULL,
    priority TEXT NOT NULL,
    outcome  TEXT NOT NULL,
    area     TEXT,
    requests INTEGER NOT NULL DEFAULT 0,
    on_time  INTEGER NOT NULL DEFAULT 0
) STRICT;
