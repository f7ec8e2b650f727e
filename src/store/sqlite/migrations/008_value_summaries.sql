-- 008: the series index off the write path (issue 8, docs/benchmarks.md).
-- indicator_values_series (indicator, unit, period) cost a leaf page per
-- three units' series on every month's push (about 1,700 pages a batch of
-- 5,000 values). Two small tables kept by every value written replace it:
-- the periods each indicator has values for (a unit's series is then one
-- primary-key seek per period), and each unit's latest period and receipt
-- per indicator (the sources' freshness). Both are appended or updated on
-- a few contiguous pages a batch; values are never deleted, so maxima stay
-- exact (a replacement with an earlier end works both rows out again).

CREATE TABLE indicator_periods (
    indicator_id INTEGER NOT NULL,
    period_from  INTEGER NOT NULL,
    period_to    INTEGER NOT NULL,   -- the latest end of a value starting there
    PRIMARY KEY (indicator_id, period_from)
) WITHOUT ROWID;
INSERT INTO indicator_periods(indicator_id, period_from, period_to)
    SELECT indicator_id, period_from, max(period_to) FROM indicator_values GROUP BY 1, 2;

CREATE TABLE indicator_latest (
    indicator_id INTEGER NOT NULL,
    unit         TEXT NOT NULL,
    period_from  INTEGER NOT NULL,   -- the latest period of the unit's values
    period_to    INTEGER NOT NULL,
    received_at  INTEGER NOT NULL,   -- the latest receipt or correction, any period
    PRIMARY KEY (indicator_id, unit)
) WITHOUT ROWID;
INSERT INTO indicator_latest(indicator_id, unit, period_from, period_to, received_at)
    SELECT indicator_id, unit, max(period_from), max(period_to), max(max(received_at, updated_at))
    FROM indicator_values GROUP BY 1, 2;

-- Last, so that the summaries above are built through it (a sort of every
-- value otherwise).
DROP INDEX IF EXISTS indicator_values_series;
