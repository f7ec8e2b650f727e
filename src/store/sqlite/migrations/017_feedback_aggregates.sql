-- 017: the feedback aggregates (issue 17; core/fbagg.h, store/feedback.h).
-- One row of counters per (handling unit, local day: days since 1970-01-01
-- in UTC+7) so that the KPIs of a period are sums of cells, not a scan of
-- the records; save_record keeps them, dieuhanh rebuild recomputes them (the
-- same statement as below). open and due are only non-zero for open
-- records: a partial index serves the open figures. A second partial index
-- serves the count of the open records due on the current day, a third the
-- officers' queue.

CREATE TABLE fb_agg (
    unit      TEXT NOT NULL,
    day       INTEGER NOT NULL,
    received  INTEGER NOT NULL DEFAULT 0,
    answered  INTEGER NOT NULL DEFAULT 0,
    on_time   INTEGER NOT NULL DEFAULT 0,
    late      INTEGER NOT NULL DEFAULT 0,
    rated     INTEGER NOT NULL DEFAULT 0,
    satisfied INTEGER NOT NULL DEFAULT 0,
    minutes   INTEGER NOT NULL DEFAULT 0,
    open      INTEGER NOT NULL DEFAULT 0,
    due       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (day, unit)
) WITHOUT ROWID;
CREATE INDEX fb_agg_open ON fb_agg(day, unit, open, due) WHERE open <> 0 OR due <> 0;
CREATE INDEX fb_records_open_due ON fb_records(due_at)
    WHERE state IN ('received', 'accepted', 'in_progress', 'needs_info');
-- the officers' queue in its order (deadline, none last, id): read in the
-- index's order, without sorting every open record of the unit
CREATE INDEX fb_records_open_order ON fb_records(unit, due_at IS NULL, due_at, id)
    WHERE state IN ('received', 'accepted', 'in_progress', 'needs_info');

INSERT INTO fb_agg(unit, day, received, answered, on_time, late, rated, satisfied, minutes, open, due)
SELECT unit, day, SUM(received), SUM(answered), SUM(on_time), SUM(late), SUM(rated),
       SUM(satisfied), SUM(minutes), SUM(open), SUM(due)
FROM (SELECT unit, (received_at + 25200) / 86400 AS day, 1 AS received, 0 AS answered,
             0 AS on_time, 0 AS late, 0 AS rated, 0 AS satisfied, 0 AS minutes,
             CASE WHEN state IN ('received', 'accepted', 'in_progress', 'needs_info') THEN 1 ELSE 0 END AS open,
             0 AS due
      FROM fb_records
      UNION ALL
      SELECT unit, (answered_at + 25200) / 86400, 0, 1,
             CASE WHEN outcome = 'on_time' THEN 1 ELSE 0 END, CASE WHEN outcome = 'late' THEN 1 ELSE 0 END,
             CASE WHEN rating > 0 THEN 1 ELSE 0 END, CASE WHEN rating >= 4 THEN 1 ELSE 0 END,
             answer_minutes, 0, 0
      FROM fb_records WHERE answered_at IS NOT NULL
      UNION ALL
      SELECT unit, (due_at + 25200) / 86400, 0, 0, 0, 0, 0, 0, 0, 0, 1
      FROM fb_records
      WHERE state IN ('received', 'accepted', 'in_progress', 'needs_info') AND due_at IS NOT NULL) x
GROUP BY unit, day;
