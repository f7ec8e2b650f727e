-- 014: units' boundaries (issue 17, `dieuhanh unit geo import`). One GeoJSON
-- Polygon or MultiPolygon per unit (by code, as feedback records name their
-- commune) and first date: boundaries are versioned with the units, a
-- boundary applies from valid_from until the unit's next one while the unit
-- exists (core/geo.h). The bounding box finds the few boundaries that may
-- contain a point.
CREATE TABLE unit_boundaries (
    unit        TEXT NOT NULL,
    valid_from  TEXT NOT NULL,                -- YYYY-MM-DD
    geometry    TEXT NOT NULL,                -- GeoJSON geometry
    min_lon     REAL NOT NULL,
    min_lat     REAL NOT NULL,
    max_lon     REAL NOT NULL,
    max_lat     REAL NOT NULL,
    CHECK (min_lon <= max_lon AND min_lat <= max_lat),
    PRIMARY KEY (unit, valid_from)
) WITHOUT ROWID;
CREATE INDEX unit_boundaries_box ON unit_boundaries(min_lon, max_lon);
