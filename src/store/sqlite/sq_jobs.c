/* sq_jobs.c - the SQLite backend of store/jobs.h: the jobs' leases. */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "store/jobs.h"
#include "store/sqlite/sq.h"

/* One upsert: a new job's row is created claimed; an existing one is taken
 * only when due and free (the WHERE of the DO UPDATE arm), and changes()
 * says which happened. */
static dh_status sq_job_claim(dh_conn *c, const char *name, const char *holder, time_t now,
                              int interval, int ttl, bool *claimed, dh_err *e)
{
    *claimed = false;
    sqlite3_stmt *st = dh_sq_stmt(c,
                                  "INSERT INTO job_leases(name, holder, lease_until, due_at, claims) "
                                  "VALUES (?1, ?2, ?3, ?4, 1) "
                                  "ON CONFLICT(name) DO UPDATE SET holder = excluded.holder, "
                                  "lease_until = excluded.lease_until, due_at = excluded.due_at, "
                                  "claims = claims + 1 "
                                  "WHERE due_at <= ?5 AND (holder IS NULL OR lease_until <= ?5)",
                                  e);
    if (!st)
        return DH_E_DB;
    dh_sq_bind_text(st, 1, name);
    dh_sq_bind_text(st, 2, holder);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)now + ttl);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)now + interval);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)now);
    dh_status s = dh_sq_run(c, st, "claim job", e);
    if (s == DH_OK)
        *claimed = sqlite3_changes(c->db) > 0;
    return s;
}

static dh_status sq_job_done(dh_conn *c, const char *name, const char *holder, time_t now,
                             bool *held, dh_err *e)
{
    *held = false;
    sqlite3_stmt *st = dh_sq_stmt(c,
                                  "UPDATE job_leases SET holder = NULL, lease_until = 0, "
                                  "runs = runs + 1, done_at = ?3, done_by = ?2 "
                                  "WHERE name = ?1 AND holder = ?2",
                                  e);
    if (!st)
        return DH_E_DB;
    dh_sq_bind_text(st, 1, name);
    dh_sq_bind_text(st, 2, holder);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)now);
    dh_status s = dh_sq_run(c, st, "end job run", e);
    if (s == DH_OK)
        *held = sqlite3_changes(c->db) > 0;
    return s;
}

static dh_status sq_job_get(dh_conn *c, const char *name, dh_job_lease_row *out, bool *found,
                            dh_err *e)
{
    memset(out, 0, sizeof *out);
    *found = false;
    sqlite3_stmt *st = dh_sq_stmt(c,
                                  "SELECT holder, lease_until, due_at, claims, runs, done_at, "
                                  "done_by FROM job_leases WHERE name = ?",
                                  e);
    if (!st)
        return DH_E_DB;
    dh_sq_bind_text(st, 1, name);
    int rc = dh_sq_step(st);
    if (rc == SQLITE_ROW) {
        *found = true;
        snprintf(out->holder, sizeof out->holder, "%s", dh_sq_col_text(st, 0));
        out->lease_until = dh_sq_col_time(st, 1);
        out->due_at = dh_sq_col_time(st, 2);
        out->claims = sqlite3_column_int64(st, 3);
        out->runs = sqlite3_column_int64(st, 4);
        out->done_at = dh_sq_col_time(st, 5);
        snprintf(out->done_by, sizeof out->done_by, "%s", dh_sq_col_text(st, 6));
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? DH_OK : dh_sq_db_error(c, e, "read job lease");
}

const dh_jobs_ops dh_sqlite_jobs_ops = {
    .job_claim = sq_job_claim,
    .job_done = sq_job_done,
    .job_get = sq_job_get,
};
