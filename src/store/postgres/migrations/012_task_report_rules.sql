-- 012: a task's reporting rule as the plan prints it (issue 19); see the
-- SQLite form.
ALTER TABLE tasks ADD COLUMN report_offset integer
    CHECK (report_offset IS NULL OR (report_offset >= 0 AND report_offset <= 12));
ALTER TABLE tasks ADD COLUMN report_source text COLLATE "C" NOT NULL DEFAULT 'default'
    CHECK (report_source IN ('default','printed','set'));
ALTER TABLE tasks ADD COLUMN report_text text COLLATE "C" NOT NULL DEFAULT '';
