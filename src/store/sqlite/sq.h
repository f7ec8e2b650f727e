/* sq.h - what the files of the SQLite backend share and nobody else sees:
 * the pool and connection types, the statement cache, binding and column
 * helpers, and each domain's ops table (one sq_<domain>.c per header of
 * src/store/).
 *
 * Ownership: strings from dh_sq_col_text are SQLite's, valid until the next
 * step or reset of the statement; statements from dh_sq_stmt belong to the
 * connection's cache (reset, never finalize, them). */
#ifndef DH_STORE_SQ_H
#define DH_STORE_SQ_H

#include <pthread.h>
#include <sqlite3.h>

#include "store/store.h"

#define POOL_MAX 16
/* Slots of a connection's statement cache, an open-addressing table keyed
 * by the address of the statement's literal (power of two; about 120
 * statements today, so it stays under a quarter full). */
#define STMT_CACHE 512

struct dh_store {
    struct dh_store_base base;
    char *path;
    int busy_ms; /* sqlite3_busy_timeout of each connection */
    bool sync_normal; /* PRAGMA synchronous=NORMAL instead of FULL (sq_open) */
    int cache_kib; /* PRAGMA cache_size of each connection, in KiB */
    long mmap_mib; /* PRAGMA mmap_size of each connection, in MiB (0: none) */
    pthread_mutex_t lock;
    dh_conn *idle[POOL_MAX];
    int nidle;
};

struct stmt_slot {
    const char *sql; /* the literal's address is the key */
    sqlite3_stmt *st;
};

struct dh_conn {
    struct dh_conn_base base;
    sqlite3 *db;
    struct stmt_slot cache[STMT_CACHE];
    int ncache;
    bool in_tx;
    /* begin_bulk switched the file to the rollback journal: the end of the
     * transaction switches it back to WAL (sq_base.c, sq_begin_bulk). */
    bool bulk_journal;
    /* The bulk insert in progress (sq_rows.c), or NULL. */
    sqlite3_stmt *bulk;
    int bulk_cols;
};


/* Helpers (sq_base.c). */
/* Runs sql (no parameters) on db and copies its first row's first column
 * to out ("" when none); the answer is the step's SQLite result code
 * (SQLITE_ROW, SQLITE_DONE) or the prepare's error. */
int dh_sq_text_of(sqlite3 *db, const char *sql, char *out, size_t size);
dh_status dh_sq_db_error(dh_conn *c, dh_err *e, const char *what);
sqlite3_stmt *dh_sq_stmt(dh_conn *c, const char *sql, dh_err *e);
void dh_sq_bind_text(sqlite3_stmt *st, int i, const char *s);
void dh_sq_bind_date(sqlite3_stmt *st, int i, dh_date d);
void dh_sq_bind_id(sqlite3_stmt *st, int i, int64_t id);
dh_date dh_sq_col_date(sqlite3_stmt *st, int i);
const char *dh_sq_col_text(sqlite3_stmt *st, int i);
const char *dh_sq_col_text_or_null(sqlite3_stmt *st, int i);
/* Notes a bind's result (rc from sqlite3_bind_*): when it failed, the
 * statement's next dh_sq_step answers with that code without running it
 * (the dh_sq_bind_* helpers do this themselves). Every step of the backend
 * goes through dh_sq_step. */
void dh_sq_bound(sqlite3_stmt *st, int rc);
int dh_sq_step(sqlite3_stmt *st);
dh_status dh_sq_run(dh_conn *c, sqlite3_stmt *st, const char *what, dh_err *e);
dh_status dh_sq_run_save(dh_conn *c, sqlite3_stmt *st, const char *what, int64_t given,
                          int64_t *id, dh_err *e);
dh_status dh_sq_exec(dh_conn *c, const char *sql, const char *what, dh_err *e);
void dh_sq_bind_time(sqlite3_stmt *st, int i, time_t t);
time_t dh_sq_col_time(sqlite3_stmt *st, int i);

extern const dh_store_ops dh_sqlite_ops;
extern const dh_units_ops dh_sqlite_units_ops;
extern const dh_people_ops dh_sqlite_people_ops;
extern const dh_audit_ops dh_sqlite_audit_ops;
extern const dh_meta_ops dh_sqlite_meta_ops;
extern const dh_calendars_ops dh_sqlite_calendars_ops;
extern const dh_procedures_ops dh_sqlite_procedures_ops;
extern const dh_dossiers_ops dh_sqlite_dossiers_ops;
extern const dh_aggs_ops dh_sqlite_aggs_ops;
extern const dh_i766_ops dh_sqlite_i766_ops;
extern const dh_plans_ops dh_sqlite_plans_ops;
extern const dh_indicators_ops dh_sqlite_indicators_ops;
extern const dh_targets_ops dh_sqlite_targets_ops;
extern const dh_jobs_ops dh_sqlite_jobs_ops;
extern const dh_rows_ops dh_sqlite_rows_ops;
extern const dh_dti_ops dh_sqlite_dti_ops;
extern const struct dh_backup_ops dh_sqlite_backup_ops;
extern const dh_feedback_ops dh_sqlite_feedback_ops;
extern const dh_latereports_ops dh_sqlite_latereports_ops;
extern const dh_stations_ops dh_sqlite_stations_ops;
extern const dh_geo_ops dh_sqlite_geo_ops;

#endif
