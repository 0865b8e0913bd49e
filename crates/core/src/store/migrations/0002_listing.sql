-- The residents table lists people grouped by grid in roster order and pages through a
-- million of them by position: a partial index on (area_rid, rid) of the living rows serves
-- that order, counts and area filters from the index alone. It replaces the plain area index.
DROP INDEX residents_by_area;
CREATE INDEX residents_listed ON residents (area_rid) WHERE deleted = 0;

-- The search row's place runs building, unit, room and address together (3幢2单元301), as
-- people type an address; rebuild the rows written with spaces between them.
INSERT INTO residents_fts (residents_fts) VALUES ('delete-all');
INSERT INTO residents_fts (rowid, name, place, phone)
    SELECT rid, name, concat(building, unit, room, address), phone FROM residents WHERE deleted = 0;
