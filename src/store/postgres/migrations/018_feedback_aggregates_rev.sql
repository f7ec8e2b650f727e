-- 018: the feedback aggregates' revisions (issue 17; app/fbaggs.c).
--
-- PostgreSQL port of src/store/sqlite/migrations/018_feedback_aggregates_rev.sql.

ALTER TABLE fb_agg ADD COLUMN rev bigint NOT NULL DEFAULT 0;
CREATE INDEX fb_agg_rev ON fb_agg(rev);
DROP INDEX fb_agg_open;
