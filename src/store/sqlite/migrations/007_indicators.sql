-- 007: indicators, their values (the data hub), targets and report
-- obligations (issue 8; docs/INDICATORS.md). Dates of periods are day
-- numbers since 1970-01-01 (dh_date) in the values table, which is the big
-- one (tens of millions of rows), and YYYY-MM-DD text elsewhere.

CREATE TABLE indicators (
    id          INTEGER PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    uom         TEXT NOT NULL DEFAULT '',
    direction   TEXT NOT NULL CHECK (direction IN ('higher', 'lower')),
    aggregation TEXT NOT NULL CHECK (aggregation IN ('sum', 'ratio', 'mean', 'latest', 'max')),
    source      TEXT NOT NULL CHECK (source IN ('reported', 'computed', 'pushed')),
    period_type TEXT NOT NULL,
    freshness   TEXT NOT NULL DEFAULT '',   -- e.g. 'daily:17:00', 'monthly:10'
    formula     TEXT NOT NULL DEFAULT '',   -- computed: e.g. 'kpi:online_by_applicant'
    note        TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

-- One value per indicator, unit and period; a correction replaces it and
-- the value it replaced goes to indicator_value_history. Clustered by
-- indicator then period, so that a period's values for every unit (how
-- they arrive: a month's push) land on a few contiguous pages at the end of
-- each indicator's range rather than on a page per unit; a unit's series is
-- read through indicator_values_series (docs/benchmarks.md, issue 8).
CREATE TABLE indicator_values (
    indicator_id INTEGER NOT NULL REFERENCES indicators(id),
    unit         TEXT NOT NULL,
    period_from  INTEGER NOT NULL,
    period_to    INTEGER NOT NULL,
    value        REAL NOT NULL,
    numerator    REAL,
    denominator  REAL,
    source       TEXT NOT NULL,
    ext_id       TEXT NOT NULL,
    at           INTEGER,                -- the instant given instead of a period
    received_at  INTEGER NOT NULL,       -- first received (timeliness)
    updated_at   INTEGER NOT NULL,
    entered_by   TEXT NOT NULL,
    PRIMARY KEY (indicator_id, period_from, unit)
) WITHOUT ROWID;
CREATE INDEX indicator_values_series ON indicator_values(indicator_id, unit, period_from);

-- Every (source, id) ever accepted, with its content, so that a resend is
-- recognised as a duplicate and a changed resend as a conflict even after
-- a correction replaced the value.
CREATE TABLE indicator_receipts (
    source  TEXT NOT NULL,
    ext_id  TEXT NOT NULL,
    content TEXT NOT NULL,
    PRIMARY KEY (source, ext_id)
) WITHOUT ROWID;

CREATE TABLE indicator_value_history (
    id           INTEGER PRIMARY KEY,
    indicator_id INTEGER NOT NULL,
    unit         TEXT NOT NULL,
    period_from  INTEGER NOT NULL,
    period_to    INTEGER NOT NULL,
    value        REAL NOT NULL,
    numerator    REAL,
    denominator  REAL,
    source       TEXT NOT NULL,
    ext_id       TEXT NOT NULL,
    received_at  INTEGER NOT NULL,
    replaced_at  INTEGER NOT NULL,
    replaced_by  TEXT NOT NULL
);
CREATE TRIGGER indicator_value_history_no_update BEFORE UPDATE ON indicator_value_history
BEGIN SELECT RAISE(ABORT, 'the value history is append-only'); END;
CREATE TRIGGER indicator_value_history_no_delete BEFORE DELETE ON indicator_value_history
BEGIN SELECT RAISE(ABORT, 'the value history is append-only'); END;

CREATE TABLE targets (
    id           INTEGER PRIMARY KEY,
    indicator_id INTEGER NOT NULL REFERENCES indicators(id),
    unit         TEXT NOT NULL,
    value        REAL NOT NULL,
    due          TEXT,                        -- YYYY-MM-DD or NULL
    milestones   TEXT NOT NULL DEFAULT '[]',  -- [{"date","value"}] by date
    split_of     INTEGER REFERENCES targets(id),
    plan         TEXT NOT NULL DEFAULT '',
    task_id      INTEGER,                     -- a task of issue 7, or NULL
    task_ref     TEXT NOT NULL DEFAULT '',    -- the task's STT in the plan
    name         TEXT NOT NULL DEFAULT '',
    note         TEXT NOT NULL DEFAULT '',
    ext_key      TEXT UNIQUE,                 -- for idempotent loads (demo, import)
    series       TEXT NOT NULL DEFAULT '[]',  -- derived: [[from,to,value],...] (day numbers)
    dirty        INTEGER NOT NULL DEFAULT 1,  -- the series must be recomputed
    status       TEXT NOT NULL DEFAULT 'no_data', -- derived on eval_day (core/indicator.h)
    since        TEXT,                        -- YYYY-MM-DD: the status holds since
    eval         TEXT NOT NULL DEFAULT '{}',  -- derived: actual, gap, projection, method, ...
    eval_day     INTEGER,                     -- the day (dh_date) status and eval were derived
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX targets_by_indicator ON targets(indicator_id, unit);
CREATE INDEX targets_dirty ON targets(dirty) WHERE dirty = 1;
-- The (indicator, unit) pairs whose values changed since their targets'
-- series were derived: ingestion adds a small row here instead of updating
-- the wide target rows (two a page), the targets read it as "dirty" and
-- saving a series clears it.
CREATE TABLE target_marks (
    indicator_id INTEGER NOT NULL,
    unit         TEXT NOT NULL,
    PRIMARY KEY (indicator_id, unit)
) WITHOUT ROWID;
CREATE INDEX targets_by_unit ON targets(unit, status);

CREATE TABLE obligations (
    id            INTEGER PRIMARY KEY,
    code          TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    period_type   TEXT NOT NULL,
    due_rule      TEXT NOT NULL,
    window_days   INTEGER,                   -- entries close this many days after the due date; NULL: never
    approval      INTEGER NOT NULL DEFAULT 0, -- the parent unit approves (and so locks) the values
    indicators    TEXT NOT NULL,             -- JSON array of indicator codes
    units         TEXT NOT NULL,             -- JSON array of unit codes
    unit_rule     TEXT NOT NULL DEFAULT '',  -- 'parent=CODE kind=K1|K2': the units under CODE of those kinds
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);

CREATE TABLE obligation_approvals (
    obligation_id INTEGER NOT NULL REFERENCES obligations(id),
    unit          TEXT NOT NULL,
    period_from   INTEGER NOT NULL,
    period_to     INTEGER NOT NULL,
    approved_by   TEXT NOT NULL,
    approved_at   INTEGER NOT NULL,
    PRIMARY KEY (obligation_id, unit, period_from)
) WITHOUT ROWID;
