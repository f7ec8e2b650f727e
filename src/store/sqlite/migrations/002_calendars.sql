-- 002: working-time calendars, the official yearly schedules (days off and
-- make-up working days) and the calendar of each unit, effective-dated.
-- The built-in schedules are copied in by the application after migrating.

CREATE TABLE calendars (
    name       TEXT PRIMARY KEY,
    label      TEXT NOT NULL,
    hours      TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
INSERT INTO calendars(name, label, hours, created_at) VALUES (
    'default', 'Lịch làm việc của cơ quan hành chính nhà nước',
    '{"mon":"07:30-11:30,13:30-17:00","tue":"07:30-11:30,13:30-17:00","wed":"07:30-11:30,13:30-17:00","thu":"07:30-11:30,13:30-17:00","fri":"07:30-11:30,13:30-17:00","sat":"","sun":""}',
    0);

CREATE TABLE schedule_entries (
    id        INTEGER PRIMARY KEY,
    date      TEXT NOT NULL UNIQUE,
    type      TEXT NOT NULL CHECK (type IN ('off', 'work')),
    kind      TEXT NOT NULL DEFAULT '' CHECK (kind IN ('', 'statutory', 'in_lieu', 'swap', 'extra')),
    name      TEXT NOT NULL,
    source    TEXT NOT NULL DEFAULT '',
    confirmed INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE unit_calendars (
    unit_id    INTEGER NOT NULL REFERENCES units(id),
    valid_from TEXT NOT NULL,
    calendar   TEXT NOT NULL REFERENCES calendars(name),
    PRIMARY KEY (unit_id, valid_from)
);

INSERT INTO meta(key, value) VALUES ('calendar_rev', 0);
