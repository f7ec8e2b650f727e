-- 008: the series index off the write path (issue 8, docs/benchmarks.md).
-- indicator_values_series (indicator, unit, period) cost a leaf page per
-- three units' series on every month's push (about 1,700 pages a batch of
-- 5,000 values). Two small tables kept by every value written replace it:
-- the periods each indicator has values for (a unit's series is then one
-- primary-key seek per period), and each unit's latest period and receipt
-- per indicator (the sources' freshness). Both are appended or updated on
-- a few contiguous pages a batch; values are never deleted, so maxima stay
-- exact (a replacement with an earlier end works both rows out again).
--
-- PostgreSQL port of src/store/sqlite/migrations/008_value_summaries.sql:
-- the same tables, built from the existing values the same way, and the
-- same index dropped. What differs from SQLite and why: SQLite's scalar
-- max(received_at, updated_at) is GREATEST (both columns are NOT NULL, so
-- SQLite's NULL-if-any and GREATEST's NULL-ignoring agree); the WITHOUT
-- ROWID tables are ordinary tables with the same primary keys; the
-- representation of README.md.

CREATE TABLE indicator_periods (
    indicator_id bigint NOT NULL,
    period_from  bigint NOT NULL,
    period_to    bigint NOT NULL,   -- the latest end of a value starting there
    PRIMARY KEY (indicator_id, period_from)
);
INSERT INTO indicator_periods(indicator_id, period_from, period_to)
    SELECT indicator_id, period_from, max(period_to) FROM indicator_values GROUP BY 1, 2;

CREATE TABLE indicator_latest (
    indicator_id bigint NOT NULL,
    unit         text COLLATE "C" NOT NULL,
    period_from  bigint NOT NULL,   -- the latest period of the unit's values
    period_to    bigint NOT NULL,
    received_at  bigint NOT NULL,   -- the latest receipt or correction, any period
    PRIMARY KEY (indicator_id, unit)
);
INSERT INTO indicator_latest(indicator_id, unit, period_from, period_to, received_at)
    SELECT indicator_id, unit, max(period_from), max(period_to), max(GREATEST(received_at, updated_at))
    FROM indicator_values GROUP BY 1, 2;

-- Last, so that the summaries above are built through it (a sort of every
-- value otherwise).
DROP INDEX IF EXISTS indicator_values_series;
