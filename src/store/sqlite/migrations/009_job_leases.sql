-- 009: the background jobs' leases (issue 15, several nodes). Each server
-- node runs the jobs (reminders, targets' statuses) on a timer; before a run
-- it claims the job's row (store/jobs.h), so that the nodes on one database
-- run each job once per interval between them. A node that dies mid-run
-- leaves its claim, which lapses at lease_until; every job's work is in its
-- own transactions, so nothing is half done.
CREATE TABLE job_leases (
    name        TEXT PRIMARY KEY,
    holder      TEXT,                        -- the node running it; NULL: free
    lease_until INTEGER NOT NULL DEFAULT 0,  -- the holder's claim lapses then
    due_at      INTEGER NOT NULL DEFAULT 0,  -- the next run may start then
    claims      INTEGER NOT NULL DEFAULT 0,  -- runs started
    runs        INTEGER NOT NULL DEFAULT 0,  -- runs finished
    done_at     INTEGER NOT NULL DEFAULT 0,  -- the last finished run's end
    done_by     TEXT                         -- and its node
) WITHOUT ROWID;
