-- 017: the feedback aggregates (issue 17; core/fbagg.h, store/feedback.h).
--
-- PostgreSQL port of src/store/sqlite/migrations/017_feedback_aggregates.sql:
-- the same table, indexes and first fill.

CREATE TABLE fb_agg (
    unit      text COLLATE "C" NOT NULL,
    day       integer NOT NULL,
    received  bigint NOT NULL DEFAULT 0,
    answered  bigint NOT NULL DEFAULT 0,
    on_time   bigint NOT NULL DEFAULT 0,
    late      bigint NOT NULL DEFAULT 0,
    rated     bigint NOT NULL DEFAULT 0,
    satisfied bigint NOT NULL DEFAULT 0,
    minutes   bigint NOT NULL DEFAULT 0,
    open      bigint NOT NULL DEFAULT 0,
    due       bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (day, unit)
);
CREATE INDEX fb_agg_open ON fb_agg(day, unit, open, due) WHERE open <> 0 OR due <> 0;
CREATE INDEX fb_records_open_due ON fb_records(due_at)
    WHERE state IN ('received', 'accepted', 'in_progress', 'needs_info');
-- the officers' queue in its order (deadline, none last, id): read in the
-- index's order, without sorting every open record of the unit
CREATE INDEX fb_records_open_order ON fb_records(unit, (due_at IS NULL), due_at, id)
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
