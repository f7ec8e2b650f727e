-- 018: the feedback aggregates' revisions (issue 17; app/fbaggs.c).
-- Each cell keeps the value of the meta counter fb_agg_rev of the last
-- write that changed it, so that the readers' in-memory copy loads only the
-- cells changed since its last load (as dossier_aggs' rev does for the
-- service aggregates). Cells left all zero are now kept (their change must
-- reach the copy). The KPIs no longer read the open and due counters
-- through SQL: the partial index that served them goes.

ALTER TABLE fb_agg ADD COLUMN rev INTEGER NOT NULL DEFAULT 0;
CREATE INDEX fb_agg_rev ON fb_agg(rev);
DROP INDEX fb_agg_open;
