-- 001: units with effective-dated versions and reorganisation events,
-- users, credentials (sessions and API tokens), login throttling, audit log.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
INSERT INTO meta(key, value) VALUES ('units_rev', 0);

CREATE TABLE units (
    id          INTEGER PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,
    kind        TEXT NOT NULL CHECK (kind IN ('province','department','district','commune',
                                              'enterprise','centre','office')),
    valid_from  TEXT NOT NULL,
    valid_to    TEXT,
    CHECK (valid_to IS NULL OR valid_to >= valid_from)
);

CREATE TABLE unit_versions (
    unit_id     INTEGER NOT NULL REFERENCES units(id),
    valid_from  TEXT NOT NULL,
    parent_id   INTEGER REFERENCES units(id),
    name        TEXT NOT NULL,
    short_name  TEXT NOT NULL DEFAULT '',
    name_folded TEXT NOT NULL,
    PRIMARY KEY (unit_id, valid_from)
);
CREATE INDEX unit_versions_parent ON unit_versions(parent_id);

CREATE TABLE unit_events (
    id            INTEGER PRIMARY KEY,
    kind          TEXT NOT NULL,
    effective     TEXT NOT NULL,
    source        TEXT NOT NULL DEFAULT '',
    note          TEXT NOT NULL DEFAULT '',
    body          TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    actor_user_id INTEGER
);

CREATE TABLE unit_links (
    event_id      INTEGER NOT NULL REFERENCES unit_events(id),
    from_unit_id  INTEGER NOT NULL REFERENCES units(id),
    to_unit_id    INTEGER NOT NULL REFERENCES units(id),
    partial       INTEGER NOT NULL DEFAULT 0,
    effective     TEXT NOT NULL,
    PRIMARY KEY (event_id, from_unit_id, to_unit_id)
);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    login         TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL DEFAULT '',
    role          TEXT NOT NULL CHECK (role IN ('admin','leader','officer','reporter','viewer')),
    unit_id       INTEGER REFERENCES units(id),
    password_hash TEXT NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL
);

CREATE TABLE credentials (
    id         INTEGER PRIMARY KEY,
    kind       INTEGER NOT NULL,           -- 1 session, 2 API token
    user_id    INTEGER NOT NULL REFERENCES users(id),
    name       TEXT NOT NULL DEFAULT '',
    unit_id    INTEGER REFERENCES units(id),
    hash       TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL DEFAULT 0,
    revoked_at INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE login_failures (
    key TEXT NOT NULL,
    at  INTEGER NOT NULL
);
CREATE INDEX login_failures_key ON login_failures(key, at);

CREATE TABLE audit_log (
    id            INTEGER PRIMARY KEY,
    at            INTEGER NOT NULL,
    actor_user_id INTEGER,
    actor         TEXT NOT NULL,
    token_id      INTEGER,
    action        TEXT NOT NULL,
    entity        TEXT NOT NULL,
    entity_key    TEXT NOT NULL DEFAULT '',
    unit_code     TEXT NOT NULL DEFAULT '',
    outcome       TEXT NOT NULL,
    before_json   TEXT,
    after_json    TEXT,
    ip            TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_entity ON audit_log(entity, id);
CREATE INDEX audit_log_unit ON audit_log(unit_code, id);
CREATE INDEX audit_log_at ON audit_log(at);

-- The audit log is append-only: no API has an update or delete, and the
-- database refuses them too.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
