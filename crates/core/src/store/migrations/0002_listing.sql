-- The residents table lists people grouped by grid in roster order and pages through a
-- million of them by position: a partial index on (area_rid, rid) of the living rows serves
-- that order, counts and area filters from the index alone. It replaces the plain area index.
DROP INDEX residents_by_area;
CREATE INDEX residents_listed ON residents (area_rid) WHERE deleted = 0;
