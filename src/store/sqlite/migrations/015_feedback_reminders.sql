-- 015: feedback reminders and Open311 media (issue 17; src/store/feedback.h).
-- The reminders job writes one row per (unit, day, kind, record) for the
-- open feedback at risk or overdue, as the task inbox does for tasks (whose
-- rows must name a task, hence a table of their own); a record keeps the
-- media_url an Open311 client gave with it (an http(s) URL, stored as given).

ALTER TABLE fb_records ADD COLUMN media_url TEXT NOT NULL DEFAULT '';

CREATE TABLE fb_reminders (
    id         INTEGER PRIMARY KEY,
    unit       TEXT NOT NULL,
    day        TEXT NOT NULL,         -- the day of the run that wrote it
    kind       TEXT NOT NULL CHECK (kind IN ('at_risk', 'overdue')),
    record_id  INTEGER NOT NULL REFERENCES fb_records(id),
    message    TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (unit, day, kind, record_id)
);
CREATE INDEX fb_reminders_unit ON fb_reminders(unit, id);
CREATE INDEX fb_records_state_answered ON fb_records(state, answered_at);
-- the officers' queue: a unit's open records by deadline
CREATE INDEX fb_records_open_queue ON fb_records(unit, due_at)
    WHERE state IN ('received', 'accepted', 'in_progress', 'needs_info');
