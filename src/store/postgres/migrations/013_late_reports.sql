-- 013: the daily late-dossier reports (issue 19, point 6; store/latereports.h).
-- PostgreSQL port of src/store/sqlite/migrations/013_late_reports.sql, in the
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
