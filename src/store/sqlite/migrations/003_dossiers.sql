-- 003: the procedure catalogue (effective-dated versions), dossier events
-- (the input, idempotent on (source, id)) and the derived dossier rows.

CREATE TABLE procedures (
    id            INTEGER PRIMARY KEY,
    code          TEXT NOT NULL,
    valid_from    TEXT NOT NULL,
    name          TEXT NOT NULL,
    field         TEXT NOT NULL DEFAULT '',
    level         TEXT NOT NULL CHECK (level IN ('province', 'district', 'commune')),
    duration      INTEGER NOT NULL CHECK (duration >= 0),
    duration_unit TEXT NOT NULL CHECK (duration_unit IN ('working_days', 'working_hours', 'days', 'months')),
    online_level  TEXT NOT NULL CHECK (online_level IN ('full', 'partial', 'none')),
    fee_bearing   INTEGER NOT NULL DEFAULT 0,
    paper_result  INTEGER NOT NULL DEFAULT 0,
    cutoff_time   TEXT NOT NULL DEFAULT '',
    UNIQUE (code, valid_from)
);

CREATE TABLE dossier_events (
    seq         INTEGER PRIMARY KEY,
    source      TEXT NOT NULL,
    id          TEXT NOT NULL,
    dossier     TEXT NOT NULL,
    type        TEXT NOT NULL,
    at          INTEGER NOT NULL,
    body        TEXT NOT NULL,
    stored_at   INTEGER NOT NULL,
    UNIQUE (source, id)
);
CREATE INDEX dossier_events_dossier ON dossier_events(dossier);

CREATE TABLE dossiers (
    code            TEXT PRIMARY KEY,
    unit            TEXT NOT NULL DEFAULT '',
    receiving_unit  TEXT NOT NULL DEFAULT '',
    procedure       TEXT NOT NULL DEFAULT '',
    channel         TEXT NOT NULL DEFAULT '',
    by_applicant    INTEGER NOT NULL DEFAULT 0,
    received_at     INTEGER,
    counting_from   INTEGER,
    due_at          INTEGER,
    due_effective   INTEGER,
    at_risk_from    INTEGER,
    extended_to     INTEGER,
    finished_at     INTEGER,
    state           TEXT NOT NULL,
    outcome         TEXT,
    used_minutes    INTEGER NOT NULL DEFAULT 0,
    budget_minutes  INTEGER NOT NULL DEFAULT 0,
    late_minutes    INTEGER NOT NULL DEFAULT 0,
    nsupplements    INTEGER NOT NULL DEFAULT 0,
    paid            INTEGER NOT NULL DEFAULT 0,
    paid_online     INTEGER NOT NULL DEFAULT 0,
    rating          INTEGER NOT NULL DEFAULT 0,
    digitised_input INTEGER NOT NULL DEFAULT 0,
    digitised_result INTEGER NOT NULL DEFAULT 0,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX dossiers_unit_state ON dossiers(unit, state, due_effective);
CREATE INDEX dossiers_state_due ON dossiers(state, due_effective);

INSERT INTO meta(key, value) VALUES ('procedures_rev', 0);
