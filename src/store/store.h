/* store.h - the front door of the storage contract. Everything above
 * src/store/ (core, app, http, cli) sees only this header and the domain
 * headers beside it; every backend lives in its own folder below src/store/
 * and fills a dh_store_ops table: the connection and transaction operations
 * here, and one small table per domain (units.h, people.h, audit.h, meta.h,
 * calendars.h, procedures.h, dossiers.h, aggs.h, index766.h, plans.h,
 * indicators.h, targets.h, jobs.h, rows.h, dti.h, feedback.h, geo.h, backup.h), each in its
 * own backend file (sqlite/sq_*.c).
 *
 * Model (after SQLite's VFS): a backend is chosen at run time by the scheme
 * of the database URL ("sqlite:PATH", "postgres://..."). A dh_store is
 * a shared handle (safe to use from many threads); work is done on a
 * dh_conn taken from it with dh_store_acquire and given back with
 * dh_store_release. A dh_conn is used by one thread at a time.
 *
 * Row sets come back through callbacks (`cb`, `closure`) so that no cursor
 * type leaks out of a backend; a callback returns 0 to go on, non-zero to
 * stop. Strings passed to callbacks are borrowed for the duration of the
 * call. Every function returns DH_OK or fills *e.
 *
 * The SQL is written once per engine (sqlite/sq_<domain>.c,
 * postgres/pg_<domain>.c): placeholders (? and $n), upserts, JSON lists of
 * codes (json_each, json_array_elements_text) and generated ids differ in
 * nearly every statement, so sharing text would hide more than it saves.
 * What the engines share is the representation (postgres/pg.h: dates as
 * text, instants as seconds, flags 0/1) and the orders the conformance
 * suite checks, so that rows move between them unchanged.
 *
 * Every table only grows at the end. A new domain adds its own header and
 * table here, never members to another domain's table.
 */
#ifndef DH_STORE_H
#define DH_STORE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "core/kpiagg.h"
#include "util/date.h"
#include "util/err.h"

typedef struct dh_store dh_store;
typedef struct dh_conn dh_conn;

/* Callbacks shared by several domains. */
typedef int (*dh_code_cb)(void *closure, const char *code);
typedef int (*dh_id_cb)(void *closure, int64_t id);
typedef int (*dh_count_cb)(void *closure, const char *key, int64_t n);

typedef struct dh_units_ops dh_units_ops;
typedef struct dh_people_ops dh_people_ops;
typedef struct dh_audit_ops dh_audit_ops;
typedef struct dh_meta_ops dh_meta_ops;
typedef struct dh_calendars_ops dh_calendars_ops;
typedef struct dh_procedures_ops dh_procedures_ops;
typedef struct dh_dossiers_ops dh_dossiers_ops;
typedef struct dh_aggs_ops dh_aggs_ops;
typedef struct dh_i766_ops dh_i766_ops;
typedef struct dh_plans_ops dh_plans_ops;
typedef struct dh_indicators_ops dh_indicators_ops;
typedef struct dh_targets_ops dh_targets_ops;
typedef struct dh_jobs_ops dh_jobs_ops;
typedef struct dh_rows_ops dh_rows_ops;
typedef struct dh_dti_ops dh_dti_ops;
typedef struct dh_feedback_ops dh_feedback_ops;
typedef struct dh_latereports_ops dh_latereports_ops;
typedef struct dh_stations_ops dh_stations_ops;
typedef struct dh_geo_ops dh_geo_ops;
typedef struct dh_backup_ops dh_backup_ops;

/* ---- The backend table. --------------------------------------------- */

typedef struct dh_store_ops {
    const char *scheme; /* "sqlite" */
    /* create: make the database when it does not exist (init, serve, demo);
     * otherwise a missing database is an error. */
    dh_store *(*open)(const char *location, bool create, dh_err *e);
    void (*close)(dh_store *s);
    dh_conn *(*acquire)(dh_store *s, dh_err *e);
    void (*release)(dh_conn *c);
    /* Schema: the version the database has, and applying migrations up to
     * `target`; a database newer than `target` is DH_E_VERSION. */
    dh_status (*schema_version)(dh_conn *c, int *version, dh_err *e);
    dh_status (*migrate)(dh_conn *c, int target, int *from, int *to, dh_err *e);
    /* Transactions: `write` takes the write lock up front. */
    dh_status (*begin)(dh_conn *c, bool write, dh_err *e);
    dh_status (*commit)(dh_conn *c, dh_err *e);
    void (*rollback)(dh_conn *c);

    /* The domains' tables (store/<domain>.h). */
    const dh_units_ops *units;
    const dh_people_ops *people;
    const dh_audit_ops *audit;
    const dh_meta_ops *meta;
    const dh_calendars_ops *calendars;
    const dh_procedures_ops *procedures;
    const dh_dossiers_ops *dossiers;
    const dh_aggs_ops *aggs;
    const dh_i766_ops *i766;
    const dh_plans_ops *plans;
    const dh_indicators_ops *indicators;
    const dh_targets_ops *targets;
    const dh_jobs_ops *jobs;
    /* Every table as rows of typed values (rows.h: dieuhanh copy). */
    const dh_rows_ops *rows;
    const dh_dti_ops *dti; /* dti.h (issue 16) */

    /* A write transaction for the writers of one domain's tables (today
     * "dossiers": dossier events, derived dossiers, their facts and the
     * aggregate cells), which may write very many rows. Every writer of
     * those tables begins this way, and such writers run one at a time: what
     * the transaction reads of those tables stays true until its commit.
     * A writer that waits past the busy timeout gets DH_E_BUSY. SQLite:
     * begin(c, true) (one writer at a time already); PostgreSQL: a lower
     * isolation level under a lock named after the domain (pg_base.c). */
    dh_status (*begin_domain)(dh_conn *c, const char *domain, dh_err *e);
    /* begin_domain for a transaction that writes a large part of the
     * database (a file import, a rebuild). SQLite: under the rollback
     * journal instead of WAL while it runs, when no other connection has the
     * file open (then other processes cannot open it until it ends); the
     * file is back in WAL when it has ended, committed or not. PostgreSQL:
     * begin_domain. */
    dh_status (*begin_bulk)(dh_conn *c, const char *domain, dh_err *e);
    const dh_feedback_ops *feedback; /* feedback.h (issue 17) */
    const dh_latereports_ops *latereports; /* latereports.h (issue 19) */
    const dh_stations_ops *stations;       /* stations.h (issue 19) */
    const dh_geo_ops *geo;           /* geo.h: units' boundaries (issue 17) */
    const dh_backup_ops *backup;     /* backup.h: backups and restores (issue 18) */
    /* Bytes the engine's client library holds in this process, for all of
     * its connections (GET /metrics, docs/DEPLOY.md "Memory"): SQLite,
     * sqlite3_memory_used (page caches, statements, schemas); -1 when the
     * library does not count them (PostgreSQL: libpq keeps only result sets,
     * freed after each statement; the page cache is the server's). */
    int64_t (*client_memory)(void);
} dh_store_ops;

/* ---- Front door. ------------------------------------------------------ */

/* Opens the database named by url ("sqlite:PATH", "postgres://..."). */
dh_store *dh_store_open(const char *url, bool create, dh_err *e);
/* The backend that url names, without opening anything; *location (when
 * asked) points into url after the scheme. NULL with *e set for an invalid
 * or unknown URL. */
const dh_store_ops *dh_store_backend(const char *url, const char **location, dh_err *e);
void dh_store_close(dh_store *s);
const dh_store_ops *dh_store_ops_of(const dh_store *s);
dh_conn *dh_store_acquire(dh_store *s, dh_err *e);
void dh_store_release(dh_conn *c);
const dh_store_ops *dh_conn_ops(const dh_conn *c);

/* The schema version this binary's migrations produce for the backend. */
int dh_store_latest_version(const char *backend);

/* Every backend's dh_store / dh_conn begins with this header. */
struct dh_store_base {
    const dh_store_ops *ops;
};
struct dh_conn_base {
    const dh_store_ops *ops;
    dh_store *store;
};

#endif
