-- 014: units' boundaries (issue 17, `dieuhanh unit geo import`). One GeoJSON
-- Polygon or MultiPolygon per unit (by code, as feedback records name their
-- commune) and first date: boundaries are versioned with the units, a
-- boundary applies from valid_from until the unit's next one while the unit
-- exists (core/geo.h). The bounding box finds the few boundaries that may
-- contain a point.
--
-- PostgreSQL port of src/store/sqlite/migrations/014_unit_boundaries.sql:
-- the same table in the representation of README.md.
CREATE TABLE unit_boundaries (
    unit        text COLLATE "C" NOT NULL,
    valid_from  text COLLATE "C" NOT NULL,    -- YYYY-MM-DD
    geometry    text NOT NULL,                -- GeoJSON geometry
    min_lon     double precision NOT NULL,
    min_lat     double precision NOT NULL,
    max_lon     double precision NOT NULL,
    max_lat     double precision NOT NULL,
    CHECK (min_lon <= max_lon AND min_lat <= max_lat),
    PRIMARY KEY (unit, valid_from)
);
CREATE INDEX unit_boundaries_box ON unit_boundaries(min_lon, max_lon);
