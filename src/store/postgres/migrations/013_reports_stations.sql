-- 013: the daily late-dossier reports (issue 19, point 6; store/latereports.h).
-- PostgreSQL port of src/store/sqlite/migrations/013_reports_stations.sql, in the
-- representation of README.md (dates as text, bigint instants, integer flags).
CREATE TABLE late_reports (
    unit       text COLLATE "C" NOT NULL,
    day        text COLLATE "C" NOT NULL,
    parent     text COLLATE "C" NOT NULL,
    overdue    bigint NOT NULL,
    apologies  bigint NOT NULL,
    items      text COLLATE "C" NOT NULL,
    made_at    bigint NOT NULL,
    mailed     integer NOT NULL DEFAULT 0 CHECK (mailed IN (0, 1)),
    PRIMARY KEY (unit, day)
);
CREATE INDEX late_reports_parent ON late_reports(parent, day);

-- The register of 5G stations (issue 19, point 7; store/stations.h).
CREATE TABLE stations (
    site_code  text COLLATE "C" PRIMARY KEY,
    operator   text COLLATE "C" NOT NULL,
    commune    text COLLATE "C" NOT NULL,
    address    text COLLATE "C" NOT NULL DEFAULT '',
    lat        double precision NOT NULL,
    lon        double precision NOT NULL,
    technology text COLLATE "C" NOT NULL,
    source     text COLLATE "C" NOT NULL DEFAULT '',
    synthetic  integer NOT NULL DEFAULT 0 CHECK (synthetic IN (0, 1)),
    created_at bigint NOT NULL
);
CREATE TABLE station_steps (
    site_code  text COLLATE "C" NOT NULL REFERENCES stations(site_code),
    rank       integer NOT NULL CHECK (rank BETWEEN 0 AND 3),
    day        text COLLATE "C" NOT NULL,
    source     text COLLATE "C" NOT NULL DEFAULT '',
    created_at bigint NOT NULL,
    PRIMARY KEY (site_code, rank)
);
