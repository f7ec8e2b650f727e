/* pg_jobs.c - the PostgreSQL backend of store/jobs.h: the jobs' leases. */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/jobs.h"
#include "store/postgres/pg.h"

/* One upsert, as SQLite's: a new job's row is created claimed; an existing
 * one is taken only when due and free. Two claims at once: the runner's
 * SERIALIZABLE transaction makes the later one wait for the row and then
 * fail (40001) and run again, to find the job taken. */
static dh_status pg_job_claim(dh_conn *c, const char *name, const char *holder, time_t now,
                              int interval, int ttl, bool *claimed, dh_err *e)
{
    *claimed = false;
    dh_pg_params p = {0};
    dh_pg_text(&p, name);
    dh_pg_text(&p, holder);
    dh_pg_int(&p, (int64_t)now + ttl);
    dh_pg_int(&p, (int64_t)now + interval);
    dh_pg_int(&p, (int64_t)now);
    PGresult *res;
    dh_status s = dh_pg_exec(c,
                             "INSERT INTO job_leases(name, holder, lease_until, due_at, claims) "
                             "VALUES ($1, $2, $3, $4, 1) "
                             "ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, "
                             "lease_until = excluded.lease_until, due_at = excluded.due_at, "
                             "claims = job_leases.claims + 1 "
                             "WHERE job_leases.due_at <= $5 AND (job_leases.holder IS NULL OR "
                             "job_leases.lease_until <= $5)",
                             &p, &res, "claim job", e);
    if (s)
        return s;
    *claimed = atoll(PQcmdTuples(res)) > 0;
    PQclear(res);
    return DH_OK;
}

static dh_status pg_job_done(dh_conn *c, const char *name, const char *holder, time_t now,
                             bool *held, dh_err *e)
{
    *held = false;
    dh_pg_params p = {0};
    dh_pg_text(&p, name);
    dh_pg_text(&p, holder);
    dh_pg_int(&p, (int64_t)now);
    PGresult *res;
    dh_status s = dh_pg_exec(c,
                             "UPDATE job_leases SET holder = NULL, lease_until = 0, "
                             "runs = runs + 1, done_at = $3, done_by = $2 "
                             "WHERE name = $1 AND holder = $2",
                             &p, &res, "end job run", e);
    if (s)
        return s;
    *held = atoll(PQcmdTuples(res)) > 0;
    PQclear(res);
    return DH_OK;
}

static dh_status pg_job_get(dh_conn *c, const char *name, dh_job_lease_row *out, bool *found,
                            dh_err *e)
{
    memset(out, 0, sizeof *out);
    *found = false;
    dh_pg_params p = {0};
    dh_pg_text(&p, name);
    PGresult *res;
    dh_status s = dh_pg_exec(c,
                             "SELECT holder, lease_until, due_at, claims, runs, done_at, "
                             "done_by FROM job_leases WHERE name = $1",
                             &p, &res, "read job lease", e);
    if (s)
        return s;
    if (PQntuples(res) > 0) {
        *found = true;
        snprintf(out->holder, sizeof out->holder, "%s", dh_pg_col_text(res, 0, 0));
        out->lease_until = dh_pg_col_time(res, 0, 1);
        out->due_at = dh_pg_col_time(res, 0, 2);
        out->claims = dh_pg_col_int(res, 0, 3);
        out->runs = dh_pg_col_int(res, 0, 4);
        out->done_at = dh_pg_col_time(res, 0, 5);
        snprintf(out->done_by, sizeof out->done_by, "%s", dh_pg_col_text(res, 0, 6));
    }
    PQclear(res);
    return DH_OK;
}

const dh_jobs_ops dh_postgres_jobs_ops = {
    .job_claim = pg_job_claim,
    .job_done = pg_job_done,
    .job_get = pg_job_get,
};
