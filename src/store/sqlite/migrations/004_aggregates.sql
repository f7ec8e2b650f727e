-- 004: the service aggregates (issue 5). Each dossier keeps its fact (what
-- the aggregates counted for it, core/kpiagg.h) so that a change replaces
-- exactly its old contribution; cells hold per-day counters per key
-- (receiving unit, procedure, field). rev: the batch that last changed a
-- cell, so that readers reload only what moved.

ALTER TABLE dossiers ADD COLUMN fact BLOB;

CREATE TABLE agg_keys (
    id        INTEGER PRIMARY KEY,
    unit      TEXT NOT NULL,
    procedure TEXT NOT NULL,
    field     TEXT NOT NULL,
    UNIQUE (unit, procedure, field)
);

CREATE TABLE agg_days (
    key  INTEGER NOT NULL,
    day  INTEGER NOT NULL,
    cell BLOB NOT NULL,
    rev  INTEGER NOT NULL,
    PRIMARY KEY (key, day)
) WITHOUT ROWID;
CREATE INDEX agg_days_rev ON agg_days(rev);

INSERT INTO meta(key, value) VALUES ('agg_rev', 0);
INSERT INTO meta(key, value) VALUES ('agg_epoch', 0);
-- 0 until every dossier's fact has been computed (dieuhanh rebuild does it,
-- and the first open after this migration)
INSERT INTO meta(key, value) VALUES ('agg_built', 0);
