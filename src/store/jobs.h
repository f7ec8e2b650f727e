/* jobs.h - the storage contract for the background jobs' leases: which node
 * runs a job now and when it is next due, so that several server nodes on
 * one database run each job once per interval between them
 * (docs/ARCHITECTURE.md, "Several nodes").
 *
 * One small table of operations, filled by each backend (src/store/sqlite/
 * sq_jobs.c, src/store/postgres/pg_jobs.c) and reached from a connection
 * with DH_JOBS(c). The conventions of store.h hold. Instants are seconds
 * since the epoch given by the caller (the edge reads the clock). Claims
 * and releases are writes: they run inside the transaction runner, whose
 * write transactions make two claims of one job at once take turns (SQLite's
 * write lock; PostgreSQL's SERIALIZABLE with a retry). */
#ifndef DH_STORE_JOBS_H
#define DH_STORE_JOBS_H

#include "store/store.h"

#define DH_JOB_HOLDER_MAX 128 /* a holder's name, bytes with the NUL */

typedef struct dh_job_lease_row {
    char holder[DH_JOB_HOLDER_MAX]; /* the node running it now; "" when free */
    time_t lease_until;    /* the holder's claim lapses then (0: free) */
    time_t due_at;         /* the next run may start then */
    int64_t claims;        /* runs started, on every node together */
    int64_t runs;          /* runs finished (job_done by their holder) */
    time_t done_at;        /* the last finished run's end (0: none yet) */
    char done_by[DH_JOB_HOLDER_MAX]; /* and its node; "": none yet */
} dh_job_lease_row;

typedef struct dh_jobs_ops {
    /* Claims job `name` for `holder` (a node's name) when it is due and
     * free: *claimed is true when the job had no row yet, or its due_at is
     * at or before `now` and nobody holds it (no holder, or the holder's
     * lease lapsed: a node that died mid-run). A claim sets holder,
     * lease_until = now + ttl, due_at = now + interval and counts a claim;
     * otherwise nothing changes and *claimed is false. */
    dh_status (*job_claim)(dh_conn *c, const char *name, const char *holder, time_t now,
                           int interval, int ttl, bool *claimed, dh_err *e);
    /* Ends `holder`'s run of job `name`: frees the lease and counts the run
     * (runs, done_at = now, done_by = holder). *held is false, and nothing
     * changes, when holder does not hold the job (its lease lapsed and
     * another node claimed it, or it never did). */
    dh_status (*job_done)(dh_conn *c, const char *name, const char *holder, time_t now,
                          bool *held, dh_err *e);
    /* The lease row of job `name`; *found false (and *out zeroed) when the
     * job was never claimed. */
    dh_status (*job_get)(dh_conn *c, const char *name, dh_job_lease_row *out, bool *found,
                         dh_err *e);
} dh_jobs_ops;

#define DH_JOBS(c) (dh_conn_ops(c)->jobs)

#endif
