-- 011: citizen feedback, phản ánh kiến nghị (issue 17; src/store/feedback.h).
-- Categories carry their working-time limits and their provenance; routing
-- rules map category × commune to a handling unit ('' = any); a record keeps
-- the summary the app derives from its events (core/feedback.c) so that
-- queues and counts need no replay; events are append-only; attachments
-- are kept by content hash, at most 5 MB each. The contact columns are
-- personal data (Decree 13/2023/NĐ-CP).

CREATE TABLE fb_categories (
    code          TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    description   TEXT NOT NULL DEFAULT '',
    grp           TEXT NOT NULL DEFAULT '',
    keywords      TEXT NOT NULL DEFAULT '',
    accept_days   INTEGER NOT NULL CHECK (accept_days > 0),
    answer_days   INTEGER NOT NULL CHECK (answer_days > 0),
    limits_source TEXT NOT NULL DEFAULT 'default',
    active        INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE fb_routes (
    category TEXT NOT NULL DEFAULT '',
    commune  TEXT NOT NULL DEFAULT '',
    unit     TEXT NOT NULL,
    PRIMARY KEY (category, commune)
);

CREATE TABLE fb_records (
    id             INTEGER PRIMARY KEY,
    code           TEXT NOT NULL UNIQUE,
    channel        TEXT NOT NULL CHECK (channel IN ('portal', 'hotline', 'zalo', 'app', 'counter', 'letter', 'open311')),
    category       TEXT NOT NULL REFERENCES fb_categories(code),
    description    TEXT NOT NULL CHECK (description <> ''),
    lat            REAL,
    lon            REAL,
    address        TEXT NOT NULL DEFAULT '',
    commune        TEXT NOT NULL DEFAULT '',
    unit           TEXT NOT NULL,
    state          TEXT NOT NULL CHECK (state IN ('received', 'accepted', 'rejected', 'in_progress', 'needs_info', 'answered', 'closed')),
    received_at    INTEGER NOT NULL,
    accepted_at    INTEGER,
    answered_at    INTEGER,
    closed_at      INTEGER,
    updated_at     INTEGER NOT NULL,
    due_at         INTEGER,
    answer_due     INTEGER,
    outcome        TEXT NOT NULL DEFAULT '' CHECK (outcome IN ('', 'on_time', 'late')),
    answer_minutes INTEGER NOT NULL DEFAULT 0,
    answer         TEXT NOT NULL DEFAULT '',
    reason         TEXT NOT NULL DEFAULT '',
    rating         INTEGER NOT NULL DEFAULT 0 CHECK (rating BETWEEN 0 AND 5),
    contact_name   TEXT NOT NULL DEFAULT '',
    contact_email  TEXT NOT NULL DEFAULT '',
    contact_phone  TEXT NOT NULL DEFAULT '',
    submitted_by   TEXT NOT NULL DEFAULT '',
    client_addr    TEXT NOT NULL DEFAULT '',
    nevents        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX fb_records_unit_due ON fb_records(unit, due_at);
CREATE INDEX fb_records_received ON fb_records(received_at);
CREATE INDEX fb_records_answered ON fb_records(answered_at);
CREATE INDEX fb_records_addr ON fb_records(client_addr, received_at);

CREATE TABLE fb_events (
    record_id INTEGER NOT NULL REFERENCES fb_records(id),
    seq       INTEGER NOT NULL,
    type      TEXT NOT NULL CHECK (type IN ('received', 'accept', 'reject', 'start', 'request_info', 'resume', 'transfer', 'answer', 'rate', 'close')),
    at        INTEGER NOT NULL,
    actor     TEXT NOT NULL DEFAULT '',
    unit      TEXT NOT NULL DEFAULT '',
    note      TEXT NOT NULL DEFAULT '',
    rating    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (record_id, seq)
);
CREATE TRIGGER fb_events_no_update BEFORE UPDATE ON fb_events
BEGIN SELECT RAISE(ABORT, 'fb_events is append-only'); END;
CREATE TRIGGER fb_events_no_delete BEFORE DELETE ON fb_events
BEGIN SELECT RAISE(ABORT, 'fb_events is append-only'); END;

CREATE TABLE fb_attachments (
    record_id INTEGER NOT NULL REFERENCES fb_records(id),
    sha256    TEXT NOT NULL,
    mime      TEXT NOT NULL,
    name      TEXT NOT NULL DEFAULT '',
    size      INTEGER NOT NULL CHECK (size BETWEEN 0 AND 5242880),
    data      BLOB NOT NULL,
    PRIMARY KEY (record_id, sha256)
);
