-- 013: the daily late-dossier reports (issue 19, point 6; store/latereports.h).
-- Every working day each unit reports its overdue dossiers (days overdue,
-- apology letter issued or not) to its parent unit; one row per (unit, day),
-- kept as history, written once (the job's day in meta and this key).
CREATE TABLE late_reports (
    unit       TEXT NOT NULL,
    day        TEXT NOT NULL,                -- YYYY-MM-DD, the unit's local day
    parent     TEXT NOT NULL,                -- the receiving unit on that day
    overdue    INTEGER NOT NULL,
    apologies  INTEGER NOT NULL,
    items      TEXT NOT NULL,                -- JSON array of the dossiers
    made_at    INTEGER NOT NULL,
    mailed     INTEGER NOT NULL DEFAULT 0 CHECK (mailed IN (0, 1)),
    PRIMARY KEY (unit, day)
) WITHOUT ROWID;
CREATE INDEX late_reports_parent ON late_reports(parent, day);

-- The register of 5G stations (issue 19, point 7; store/stations.h): one row
-- per station, one per status step (planned 0, permitted 1, installed 2,
-- on_air 3) with its date; operator and commune are unit codes.
CREATE TABLE stations (
    site_code  TEXT PRIMARY KEY,
    operator   TEXT NOT NULL,
    commune    TEXT NOT NULL,
    address    TEXT NOT NULL DEFAULT '',
    lat        REAL NOT NULL,
    lon        REAL NOT NULL,
    technology TEXT NOT NULL,
    source     TEXT NOT NULL DEFAULT '',
    synthetic  INTEGER NOT NULL DEFAULT 0 CHECK (synthetic IN (0, 1)),
    created_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE station_steps (
    site_code  TEXT NOT NULL REFERENCES stations(site_code),
    rank       INTEGER NOT NULL CHECK (rank BETWEEN 0 AND 3),
    day        TEXT NOT NULL,
    source     TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    PRIMARY KEY (site_code, rank)
) WITHOUT ROWID;
