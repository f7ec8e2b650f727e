-- 006: plans, their tasks, progress updates and directives, stored files
-- (source documents and evidence), the reminders inbox (issue 7).
--
-- Unit references are unit codes (text), like the dossiers and the index:
-- a task outlives reorganisations of the units it names. Lists of units,
-- milestones and file ids are JSON arrays; the application loads a plan's
-- tasks whole (plans hold tens to hundreds of tasks).

CREATE TABLE files (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    type        TEXT NOT NULL CHECK (type IN ('pdf','docx','doc','xlsx','odt','txt')),
    size        INTEGER NOT NULL CHECK (size > 0 AND size <= 20971520),
    sha256      TEXT NOT NULL,
    data        BLOB NOT NULL,
    unit        TEXT NOT NULL DEFAULT '',   -- the uploader's unit
    uploaded_by TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE plans (
    id          INTEGER PRIMARY KEY,
    key         TEXT NOT NULL UNIQUE,  -- the number, or a placeholder when none is printed
    number      TEXT NOT NULL DEFAULT '',
    type        TEXT NOT NULL DEFAULT '',
    date        TEXT,                  -- YYYY-MM-DD, NULL when the document prints none
    issuer      TEXT NOT NULL,         -- unit code
    title       TEXT NOT NULL,
    period_from TEXT,
    period_to   TEXT,
    status      TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('draft','active','closed')),
    parents     TEXT NOT NULL DEFAULT '[]',  -- JSON array of plan ids it implements
    cites       TEXT NOT NULL DEFAULT '[]',  -- JSON array of documents it implements not held here
    document_id INTEGER REFERENCES files(id),
    note        TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE tasks (
    id             INTEGER PRIMARY KEY,
    plan_id        INTEGER REFERENCES plans(id),   -- NULL for a directive
    kind           TEXT NOT NULL DEFAULT 'task' CHECK (kind IN ('task','directive')),
    ordinal        TEXT NOT NULL DEFAULT '',       -- as printed: II.3, V.14
    grp            TEXT NOT NULL DEFAULT '',       -- the printed headings, joined by ' > '
    content        TEXT NOT NULL,
    lead           TEXT NOT NULL DEFAULT '[]',     -- JSON array of unit codes
    coord          TEXT NOT NULL DEFAULT '[]',
    lead_text      TEXT NOT NULL DEFAULT '',       -- the names as printed
    coord_text     TEXT NOT NULL DEFAULT '',
    result         TEXT NOT NULL DEFAULT '',       -- expected result (Sản phẩm)
    deadline       TEXT NOT NULL DEFAULT '',       -- as written
    start          TEXT,                           -- resolved from the deadline
    due            TEXT,
    needs_review   INTEGER NOT NULL DEFAULT 0,
    roadmap        TEXT NOT NULL DEFAULT '',       -- as written
    milestones     TEXT NOT NULL DEFAULT '[]',     -- JSON [{from,due,text}]
    parent_task_id INTEGER REFERENCES tasks(id),   -- the higher-plan task it implements
    target_value   REAL,
    target_uom     TEXT NOT NULL DEFAULT '',
    note           TEXT NOT NULL DEFAULT '',
    source         TEXT NOT NULL DEFAULT '',       -- directives: JSON of what it came from
    report_every   TEXT NOT NULL DEFAULT 'monthly'
                   CHECK (report_every IN ('none','monthly','quarterly','half_yearly','yearly')),
    report_day     INTEGER NOT NULL DEFAULT 10 CHECK (report_day BETWEEN 1 AND 31),
    created_by     TEXT NOT NULL DEFAULT '',
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);
CREATE UNIQUE INDEX tasks_ordinal ON tasks(plan_id, ordinal) WHERE plan_id IS NOT NULL;
CREATE INDEX tasks_parent ON tasks(parent_task_id);

CREATE TABLE task_updates (
    id         INTEGER PRIMARY KEY,
    task_id    INTEGER NOT NULL REFERENCES tasks(id),
    kind       TEXT NOT NULL CHECK (kind IN ('progress','comment')),
    unit       TEXT NOT NULL,         -- the author's unit
    author     TEXT NOT NULL,
    date       TEXT NOT NULL,         -- the day it reports on
    occurrence TEXT,                  -- recurring tasks: due date of the period reported on
    percent    INTEGER CHECK (percent IS NULL OR (percent >= 0 AND percent <= 100)),
    done       INTEGER NOT NULL DEFAULT 0,
    text       TEXT NOT NULL DEFAULT '',
    files      TEXT NOT NULL DEFAULT '[]',  -- JSON array of file ids (evidence)
    created_at INTEGER NOT NULL
);
CREATE INDEX task_updates_task ON task_updates(task_id, date);

CREATE TABLE inbox (
    id         INTEGER PRIMARY KEY,
    unit       TEXT NOT NULL,
    day        TEXT NOT NULL,         -- the day of the run that wrote it
    kind       TEXT NOT NULL CHECK (kind IN ('due_soon','overdue','no_report')),
    task_id    INTEGER NOT NULL REFERENCES tasks(id),
    occurrence TEXT NOT NULL DEFAULT '',
    message    TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (unit, day, kind, task_id, occurrence)
);
CREATE INDEX inbox_unit ON inbox(unit, id);

-- Where a unit's reminders are mailed when SMTP is configured.
CREATE TABLE unit_contacts (
    unit  TEXT PRIMARY KEY,
    email TEXT NOT NULL
);

INSERT INTO meta(key, value) VALUES ('plans_rev', 0);
INSERT INTO meta(key, value) VALUES ('reminders_day', 0);
