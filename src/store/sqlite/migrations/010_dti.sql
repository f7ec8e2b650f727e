-- 010: the digital-transformation index (issue 16; src/store/dti.h).
-- Frameworks are versioned by code and year, each a tree of nodes (pillars
-- and criteria) in file order; an assessment is one unit's result on one
-- framework, with its entries per node (self-assessed and appraised figures
-- side by side), and the revisions of a published result. Numbers are REAL;
-- an absent figure is NULL.

CREATE TABLE dti_frameworks (
    id         INTEGER PRIMARY KEY,
    code       TEXT NOT NULL,
    name       TEXT NOT NULL,
    level      TEXT NOT NULL CHECK (level IN ('province', 'department', 'district', 'commune')),
    year       INTEGER NOT NULL,
    note       TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    UNIQUE (code, year)
);

CREATE TABLE dti_nodes (
    framework_id INTEGER NOT NULL REFERENCES dti_frameworks(id),
    code         TEXT NOT NULL,
    ord          INTEGER NOT NULL,
    parent       TEXT NOT NULL DEFAULT '',
    name         TEXT NOT NULL,
    max_points   REAL NOT NULL,
    method       TEXT NOT NULL CHECK (method IN ('', 'manual', 'boolean', 'ratio', 'kpi')),
    threshold    REAL NOT NULL DEFAULT 0,
    source       TEXT NOT NULL DEFAULT '',
    responsible  TEXT NOT NULL DEFAULT '',
    note         TEXT NOT NULL DEFAULT '',
    line         INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (framework_id, code)
);

CREATE TABLE dti_assessments (
    id            INTEGER PRIMARY KEY,
    framework_id  INTEGER NOT NULL REFERENCES dti_frameworks(id),
    unit          TEXT NOT NULL,
    year          INTEGER NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('self_assessment', 'submitted', 'appraisal', 'published')),
    printed_total REAL,
    printed_line  INTEGER NOT NULL DEFAULT 0,
    warnings      TEXT NOT NULL DEFAULT '[]',
    source        TEXT NOT NULL DEFAULT '',
    revision      INTEGER NOT NULL DEFAULT 0,
    synthetic     INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    UNIQUE (framework_id, unit)
);
CREATE INDEX dti_assessments_unit ON dti_assessments(unit, year);

CREATE TABLE dti_entries (
    assessment_id INTEGER NOT NULL REFERENCES dti_assessments(id),
    code          TEXT NOT NULL,
    self_points   REAL,
    self_value    REAL,
    points        REAL,
    value         REAL,
    evidence      TEXT NOT NULL DEFAULT '',
    note          TEXT NOT NULL DEFAULT '',
    comment       TEXT NOT NULL DEFAULT '',
    line          INTEGER NOT NULL DEFAULT 0,
    task_id       INTEGER,                 -- the remediation task of the criterion
    PRIMARY KEY (assessment_id, code)
);

-- A correction of a published assessment keeps what it replaced.
CREATE TABLE dti_revisions (
    assessment_id INTEGER NOT NULL REFERENCES dti_assessments(id),
    revision      INTEGER NOT NULL,
    at            INTEGER NOT NULL,
    actor         TEXT NOT NULL,
    reason        TEXT NOT NULL,
    snapshot      TEXT NOT NULL,
    PRIMARY KEY (assessment_id, revision)
);
CREATE TRIGGER dti_revisions_no_update BEFORE UPDATE ON dti_revisions
BEGIN SELECT RAISE(ABORT, 'dti_revisions is append-only'); END;
CREATE TRIGGER dti_revisions_no_delete BEFORE DELETE ON dti_revisions
BEGIN SELECT RAISE(ABORT, 'dti_revisions is append-only'); END;
