-- 012: a task's reporting rule as the plan prints it (issue 19). The
-- period (report_every) and day (report_day) are joined by the months after
-- the period's end that the report is due in (NULL: by the period, 0 for
-- yearly and 1 otherwise, as before), where the rule came from ('default'
-- where nothing is printed, 'printed', or 'set' by a person) and the
-- printed phrase.
ALTER TABLE tasks ADD COLUMN report_offset INTEGER
    CHECK (report_offset IS NULL OR (report_offset >= 0 AND report_offset <= 12));
ALTER TABLE tasks ADD COLUMN report_source TEXT NOT NULL DEFAULT 'default'
    CHECK (report_source IN ('default','printed','set'));
ALTER TABLE tasks ADD COLUMN report_text TEXT NOT NULL DEFAULT '';
