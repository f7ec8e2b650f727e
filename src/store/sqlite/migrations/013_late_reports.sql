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
