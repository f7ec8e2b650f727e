/* sq_base.c - the SQLite backend: the pool, connections, the statement
 * cache, schema migrations and transactions; the domains are in sq_<domain>.c.
 *
 * A dh_store here is a pool of connections to one database file; each
 * connection keeps its prepared statements (every statement is prepared
 * with bound parameters, never built from input). WAL mode lets readers
 * run beside one writer; write transactions start with BEGIN IMMEDIATE so
 * that two writers queue on the busy timeout instead of failing half-way.
 */
#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/migrations.h"
#include "store/store.h"
#include "store/sqlite/sq.h"
#include "util/buf.h"
#include "util/conf.h"
#include "util/fault.h"

/* ------------------------------------------------------------------ */
/* Helpers.                                                           */

dh_status dh_sq_db_error(dh_conn *c, dh_err *e, const char *what)
{
    int code = sqlite3_extended_errcode(c->db);
    if ((code & 0xff) == SQLITE_CONSTRAINT)
        return dh_err_set(e, DH_E_CONFLICT, "conflict", NULL, "%s: %s", what,
                          sqlite3_errmsg(c->db));
    /* BUSY and LOCKED are worth trying again: the transaction runner rolls
     * back and reruns the transaction (app.c, dh_tx_run). */
    if ((code & 0xff) == SQLITE_BUSY || (code & 0xff) == SQLITE_LOCKED)
        return dh_err_set(e, DH_E_BUSY, "busy", NULL, "%s: the database is busy", what);
    return dh_err_set(e, DH_E_DB, "database_error", NULL, "%s: %s", what, sqlite3_errmsg(c->db));
}

/* A bind that failed (no memory for SQLite's copy of the value, or too
 * big; found by tests/unit/test_faults.c: the audit row of a unit merge
 * was stored with a NULL after-image and the merge reported success), kept until the statement's next step, which then fails with its
 * code instead of running with NULL in the value's place. Per thread: a
 * connection is used by one thread at a time, and a statement is bound
 * and stepped by the same one. */
static _Thread_local struct {
    sqlite3_stmt *st;
    int rc;
} bad_bind;

void dh_sq_bound(sqlite3_stmt *st, int rc)
{
    /* SQLITE_RANGE is a parameter the statement does not have, which some
     * statements sharing one list of binds leave out on purpose (sq_dti.c). */
    if (rc != SQLITE_OK && rc != SQLITE_RANGE) {
        bad_bind.st = st;
        bad_bind.rc = rc;
    }
}

int dh_sq_step(sqlite3_stmt *st)
{
    if (bad_bind.st == st) {
        bad_bind.st = NULL;
        return bad_bind.rc;
    }
    return sqlite3_step(st);
}

/* Returns the cached statement for the SQL literal, reset and unbound. */
sqlite3_stmt *dh_sq_stmt(dh_conn *c, const char *sql, dh_err *e)
{
    if (dh_fault_hit(DH_FAULT_STORE)) {
        dh_err_set(e, DH_E_DB, "database_error", NULL, "prepare: injected fault (store call %ld)",
                   dh_fault_count(DH_FAULT_STORE));
        return NULL;
    }
    size_t h = (size_t)(((uintptr_t)sql >> 3) * 0x9E3779B97F4A7C15ull) & (STMT_CACHE - 1);
    for (size_t n = 0; n < STMT_CACHE && c->cache[h].sql; n++, h = (h + 1) & (STMT_CACHE - 1)) {
        if (c->cache[h].sql == sql) {
            if (bad_bind.st == c->cache[h].st)
                bad_bind.st = NULL;
            sqlite3_reset(c->cache[h].st);
            sqlite3_clear_bindings(c->cache[h].st);
            return c->cache[h].st;
        }
    }
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
        dh_sq_db_error(c, e, "prepare");
        return NULL;
    }
    if (c->ncache < STMT_CACHE / 2 && !c->cache[h].sql) {
        c->cache[h] = (struct stmt_slot){sql, st};
        c->ncache++;
    }
    /* A half-full table is a programming error (far more distinct
     * statements than the program has); the statement then leaks until
     * close, which is harmless. */
    return st;
}

void dh_sq_bind_text(sqlite3_stmt *st, int i, const char *s)
{
    if (s)
        dh_sq_bound(st, sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT));
    else
        sqlite3_bind_null(st, i);
}

void dh_sq_bind_date(sqlite3_stmt *st, int i, dh_date d)
{
    if (d == DH_DATE_NONE) {
        sqlite3_bind_null(st, i);
        return;
    }
    char buf[DH_DATE_TEXT_LEN];
    dh_date_format(d, buf);
    dh_sq_bound(st, sqlite3_bind_text(st, i, buf, -1, SQLITE_TRANSIENT));
}

void dh_sq_bind_id(sqlite3_stmt *st, int i, int64_t id)
{
    if (id)
        sqlite3_bind_int64(st, i, id);
    else
        sqlite3_bind_null(st, i);
}

dh_date dh_sq_col_date(sqlite3_stmt *st, int i)
{
    const char *s = (const char *)sqlite3_column_text(st, i);
    dh_date d;
    if (!s || dh_date_parse(s, &d))
        return DH_DATE_NONE;
    return d;
}

const char *dh_sq_col_text(sqlite3_stmt *st, int i)
{
    const char *s = (const char *)sqlite3_column_text(st, i);
    return s ? s : "";
}

const char *dh_sq_col_text_or_null(sqlite3_stmt *st, int i)
{
    return (const char *)sqlite3_column_text(st, i);
}

/* Runs a statement that returns no rows. */
dh_status dh_sq_run(dh_conn *c, sqlite3_stmt *st, const char *what, dh_err *e)
{
    int rc = dh_sq_step(st);
    dh_status s = rc == SQLITE_DONE || rc == SQLITE_ROW ? DH_OK : dh_sq_db_error(c, e, what);
    sqlite3_reset(st);
    return s;
}

/* Runs an insert-or-update of a row with an id; *id (when asked) is the
 * given id, or the new row's when none was given. */
dh_status dh_sq_run_save(dh_conn *c, sqlite3_stmt *st, const char *what, int64_t given,
                          int64_t *id, dh_err *e)
{
    dh_status s = dh_sq_run(c, st, what, e);
    if (s == DH_OK && id)
        *id = given ? given : sqlite3_last_insert_rowid(c->db);
    return s;
}

dh_status dh_sq_exec(dh_conn *c, const char *sql, const char *what, dh_err *e)
{
    if (dh_fault_hit(DH_FAULT_STORE))
        return dh_err_set(e, DH_E_DB, "database_error", NULL, "%s: injected fault (store call %ld)",
                          what, dh_fault_count(DH_FAULT_STORE));
    char *msg = NULL;
    int rc = sqlite3_exec(c->db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        bool busy = (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED;
        dh_status s = busy ? DH_E_BUSY : DH_E_DB;
        dh_err_set(e, s, busy ? "busy" : "database_error", NULL, "%s: %s", what, msg ? msg : "?");
        sqlite3_free(msg);
        return s;
    }
    return DH_OK;
}

/* ------------------------------------------------------------------ */
/* Store and connections.                                             */

static dh_store *sq_open(const char *location, bool create, dh_err *e)
{
    if (!location || !*location) {
        dh_err_set(e, DH_E_INVALID, "invalid_db_url", "db", "sqlite: needs a file path");
        return NULL;
    }
    if (!create && access(location, F_OK) != 0) {
        dh_err_set(e, DH_E_VERSION, "database_missing", "db",
                   "there is no database at %s: run 'dieuhanh init --db sqlite:%s' first",
                   location, location);
        return NULL;
    }
    /* Create the file's folder when it is missing (one level), so that
     * `--db sqlite:demo/dieuhanh.db` works in a fresh checkout. */
    char *dir = dh_xstrdup(location);
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = '\0';
        if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
            dh_err_set(e, DH_E_DB, "database_error", "db", "cannot create folder %s: %s", dir,
                       strerror(errno));
            free(dir);
            return NULL;
        }
    }
    free(dir);
    dh_store *s = dh_xcalloc(1, sizeof *s);
    s->base.ops = &dh_sqlite_ops;
    s->path = dh_xstrdup(location);
    /* How long a statement waits for another writer before it reports
     * busy (and the transaction runner tries again): 10 s unless
     * DIEUHANH_BUSY_TIMEOUT_MS says otherwise (tests use a short one). */
    const char *bt = getenv("DIEUHANH_BUSY_TIMEOUT_MS");
    long ms = bt && *bt ? strtol(bt, NULL, 10) : 10000;
    s->busy_ms = ms >= 0 && ms <= 600000 ? (int)ms : 10000;
    /* Durability (docs/ARCHITECTURE.md, "Acknowledged means durable"): a
     * commit returns once the WAL is synced (synchronous=FULL). NORMAL,
     * which syncs at checkpoints only and may lose the last commits on a
     * power failure, is kept for benchmarks (bench/durability.py) and for
     * those who choose it knowingly: DIEUHANH_SQLITE_SYNCHRONOUS=normal. */
    const char *sy = getenv("DIEUHANH_SQLITE_SYNCHRONOUS");
    if (sy && *sy && strcmp(sy, "full") != 0 && strcmp(sy, "normal") != 0) {
        dh_err_set(e, DH_E_INVALID, "invalid_setting", "DIEUHANH_SQLITE_SYNCHRONOUS",
                   "DIEUHANH_SQLITE_SYNCHRONOUS must be full or normal, not '%s'", sy);
        free(s->path);
        free(s);
        return NULL;
    }
    s->sync_normal = sy && strcmp(sy, "normal") == 0;
    /* Each pooled connection keeps a page cache of up to this many MiB
     * (4 unless DIEUHANH_SQLITE_CACHE_MIB, 1 to 4096, says otherwise; SQLite's
     * own default is 2): with up to POOL_MAX (16) connections, SQLite holds at
     * most 64 MiB of pages by default (docs/DEPLOY.md, "Memory"). A
     * connection drops its whole cache whenever another one has committed,
     * but a long read fills it up to the bound, more as the database grows,
     * and the freed pages stay in the heap: with 16 or 64 MiB the soak's RSS
     * rose with the database (docs/benchmarks.md, "Soak"). A larger cache
     * helps read-only spells only; the operating system caches the file. */
    long mib, mmib;
    if (dh_env_mib("DIEUHANH_SQLITE_CACHE_MIB", 4, 1, 4096, &mib, e) ||
        dh_env_mib("DIEUHANH_SQLITE_MMAP_MIB", 0, 0, 65536, &mmib, e)) {
        free(s->path);
        free(s);
        return NULL;
    }
    s->cache_kib = (int)mib * 1024;
    /* Reads through a memory map of up to this many MiB of the file
     * (DIEUHANH_SQLITE_MMAP_MIB, 0 to 65536; 0 reads with pread): the pages
     * are the operating system's cache, shared by every connection and not
     * part of the heap; a list that reads rows scattered over a large file
     * no longer copies each page (docs/benchmarks.md, "Citizen feedback"). */
    s->mmap_mib = mmib;
    pthread_mutex_init(&s->lock, NULL);
    /* Open one connection now so that a bad path fails here, clearly. */
    dh_conn *c = dh_sqlite_ops.acquire(s, e);
    if (!c) {
        pthread_mutex_destroy(&s->lock);
        free(s->path);
        free(s);
        return NULL;
    }
    dh_sqlite_ops.release(c);
    return s;
}

static void conn_close(dh_conn *c)
{
    sqlite3_finalize(c->bulk);
    for (int i = 0; i < STMT_CACHE; i++)
        if (c->cache[i].sql)
            sqlite3_finalize(c->cache[i].st);
    sqlite3_close(c->db);
    free(c);
}

static void sq_close(dh_store *s)
{
    for (int i = 0; i < s->nidle; i++)
        conn_close(s->idle[i]);
    pthread_mutex_destroy(&s->lock);
    free(s->path);
    free(s);
}

static dh_conn *sq_acquire(dh_store *s, dh_err *e)
{
    pthread_mutex_lock(&s->lock);
    dh_conn *c = s->nidle ? s->idle[--s->nidle] : NULL;
    pthread_mutex_unlock(&s->lock);
    if (c)
        return c;
    c = dh_xcalloc(1, sizeof *c);
    c->base.ops = &dh_sqlite_ops;
    c->base.store = s;
    int rc = sqlite3_open_v2(s->path, &c->db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                             NULL);
    if (rc != SQLITE_OK) {
        dh_err_set(e, DH_E_DB, "database_error", "db", "cannot open %s: %s", s->path,
                   c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
        sqlite3_close(c->db);
        free(c);
        return NULL;
    }
    sqlite3_busy_timeout(c->db, s->busy_ms);
    char cfg[256];
    snprintf(cfg, sizeof cfg,
             "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; PRAGMA synchronous=%s; "
             "PRAGMA cache_size=-%d; PRAGMA temp_store=MEMORY; PRAGMA mmap_size=%lld;",
             s->sync_normal ? "NORMAL" : "FULL", s->cache_kib, (long long)s->mmap_mib << 20);
    if (dh_sq_exec(c,
                   cfg,
                   "configure", e)) {
        conn_close(c);
        return NULL;
    }
    return c;
}

static void bulk_end(dh_conn *c);

static void sq_release(dh_conn *c)
{
    dh_store *s = c->base.store;
    if (c->in_tx) {
        sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
        c->in_tx = false;
    }
    bulk_end(c);
    pthread_mutex_lock(&s->lock);
    if (s->nidle < POOL_MAX) {
        s->idle[s->nidle++] = c;
        c = NULL;
    }
    pthread_mutex_unlock(&s->lock);
    if (c)
        conn_close(c);
}

/* ------------------------------------------------------------------ */
/* Schema.                                                            */

static dh_status sq_schema_version(dh_conn *c, int *version, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(c, "PRAGMA user_version", e);
    *version = 0;
    if (!st)
        return DH_E_DB;
    if (dh_sq_step(st) != SQLITE_ROW)
        return dh_sq_db_error(c, e, "read schema version");
    *version = sqlite3_column_int(st, 0);
    sqlite3_reset(st);
    return DH_OK;
}

static dh_status sq_migrate(dh_conn *c, int target, int *from, int *to, dh_err *e)
{
    dh_status st;
    int v;
    if ((st = dh_sq_exec(c, "BEGIN IMMEDIATE", "begin migration", e)))
        return st;
    if ((st = sq_schema_version(c, &v, e)))
        goto fail;
    *from = *to = v;
    if (v > target) {
        st = dh_err_set(e, DH_E_VERSION, "database_too_new", "db",
                        "the database has schema version %d but this dieuhanh knows only up to "
                        "%d: use a newer dieuhanh (refusing to touch it)",
                        v, target);
        goto fail;
    }
    for (const struct dh_migration *m = dh_migrations; m->backend; m++) {
        if (strcmp(m->backend, "sqlite") != 0 || m->number <= v || m->number > target)
            continue;
        if ((st = dh_sq_exec(c, m->sql, m->name, e)))
            goto fail;
        char pragma[64];
        snprintf(pragma, sizeof pragma, "PRAGMA user_version=%d", m->number);
        if ((st = dh_sq_exec(c, pragma, "set schema version", e)))
            goto fail;
        *to = m->number;
    }
    return dh_sq_exec(c, "COMMIT", "commit migration", e);
fail:
    sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
    return st;
}

static dh_status sq_begin(dh_conn *c, bool write, dh_err *e)
{
    dh_status st = dh_sq_exec(c, write ? "BEGIN IMMEDIATE" : "BEGIN", "begin", e);
    if (st == DH_OK)
        c->in_tx = true;
    return st;
}

/* One writer at a time is SQLite's own rule: a domain's writers need
 * nothing more than BEGIN IMMEDIATE. */
static dh_status sq_begin_domain(dh_conn *c, const char *domain, dh_err *e)
{
    (void)domain;
    return sq_begin(c, true, e);
}

int dh_sq_text_of(sqlite3 *db, const char *sql, char *out, size_t size)
{
    sqlite3_stmt *st = NULL;
    out[0] = '\0';
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(st, 0);
        snprintf(out, size, "%s", t ? t : "");
    }
    sqlite3_finalize(st);
    return rc;
}

/* The journal mode PRAGMA's answer ("wal", "delete"), lower case. */
static dh_status journal_mode(dh_conn *c, const char *pragma, char *mode, size_t size, dh_err *e)
{
    return dh_sq_text_of(c->db, pragma, mode, size) == SQLITE_ROW
               ? DH_OK
               : dh_sq_db_error(c, e, "journal mode");
}

/* The end of a bulk transaction: back to WAL. A failure here loses nothing
 * (the transaction has ended; every connection asks for WAL when it opens),
 * so it is only told. */
static void bulk_end(dh_conn *c)
{
    if (!c->bulk_journal)
        return;
    c->bulk_journal = false;
    char mode[16];
    dh_err e = {0};
    if (journal_mode(c, "PRAGMA journal_mode=WAL", mode, sizeof mode, &e) || strcmp(mode, "wal"))
        fprintf(stderr, "dieuhanh: %s: the journal stays '%s' until the next connection: %s\n",
                c->base.store->path, mode, e.message);
}

/* A transaction that writes a large part of the database (a file import, a
 * rebuild: docs/ARCHITECTURE.md, "Bulk transactions on SQLite"). In WAL mode
 * every page it writes goes to the write-ahead log first, and each page read
 * looks the page up in the log's index, whose cost grows with the log: one
 * transaction never lets the log be checkpointed, so at millions of
 * dossiers the lookups took a third of the import and more as it grew (and
 * the commit then copied the whole log into the file). Under the rollback
 * journal the new pages are written to the file once and only the pages
 * that existed before are journaled. The switch needs the file to itself:
 * the pool's idle connections are closed first (each keeps the file open in
 * WAL mode); when another connection or process has it open, SQLite keeps
 * WAL (it answers at once, without waiting) and so does the transaction, as
 * before. While the transaction runs
 * under the rollback journal, other processes cannot open the file (they
 * wait up to the busy timeout). */
static dh_status sq_begin_bulk(dh_conn *c, const char *domain, dh_err *e)
{
    dh_store *s = c->base.store;
    dh_conn *idle[POOL_MAX];
    pthread_mutex_lock(&s->lock);
    int n = s->nidle;
    memcpy(idle, s->idle, (size_t)n * sizeof *idle);
    s->nidle = 0;
    pthread_mutex_unlock(&s->lock);
    for (int i = 0; i < n; i++)
        conn_close(idle[i]);
    /* Asked without waiting: a file open elsewhere answers "busy" (or
     * "wal"), and the transaction then runs in WAL. */
    char mode[16] = "";
    dh_err ignored = {0};
    sqlite3_busy_timeout(c->db, 0);
    if (journal_mode(c, "PRAGMA journal_mode=DELETE", mode, sizeof mode, &ignored) == DH_OK)
        c->bulk_journal = strcmp(mode, "delete") == 0;
    sqlite3_busy_timeout(c->db, s->busy_ms);
    dh_status st = sq_begin_domain(c, domain, e);
    if (st)
        bulk_end(c);
    return st;
}

static dh_status sq_commit(dh_conn *c, dh_err *e)
{
    dh_status st = dh_sq_exec(c, "COMMIT", "commit", e);
    if (st == DH_OK) {
        c->in_tx = false;
        bulk_end(c);
    }
    return st;
}

static void sq_rollback(dh_conn *c)
{
    if (c->in_tx)
        sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
    c->in_tx = false;
    bulk_end(c);
}

void dh_sq_bind_time(sqlite3_stmt *st, int i, time_t t)
{
    if (t)
        sqlite3_bind_int64(st, i, (sqlite3_int64)t);
    else
        sqlite3_bind_null(st, i);
}

time_t dh_sq_col_time(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? 0 : (time_t)sqlite3_column_int64(st, i);
}

static int64_t sq_client_memory(void)
{
    return (int64_t)sqlite3_memory_used();
}

const dh_store_ops dh_sqlite_ops = {
    .scheme = "sqlite",
    .open = sq_open,
    .close = sq_close,
    .acquire = sq_acquire,
    .release = sq_release,
    .schema_version = sq_schema_version,
    .migrate = sq_migrate,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .units = &dh_sqlite_units_ops,
    .people = &dh_sqlite_people_ops,
    .audit = &dh_sqlite_audit_ops,
    .meta = &dh_sqlite_meta_ops,
    .calendars = &dh_sqlite_calendars_ops,
    .procedures = &dh_sqlite_procedures_ops,
    .dossiers = &dh_sqlite_dossiers_ops,
    .aggs = &dh_sqlite_aggs_ops,
    .i766 = &dh_sqlite_i766_ops,
    .plans = &dh_sqlite_plans_ops,
    .indicators = &dh_sqlite_indicators_ops,
    .targets = &dh_sqlite_targets_ops,
    .jobs = &dh_sqlite_jobs_ops,
    .rows = &dh_sqlite_rows_ops,
    .dti = &dh_sqlite_dti_ops,
    .begin_domain = sq_begin_domain,
    .begin_bulk = sq_begin_bulk,
    .feedback = &dh_sqlite_feedback_ops,
    .latereports = &dh_sqlite_latereports_ops,
    .stations = &dh_sqlite_stations_ops,
    .geo = &dh_sqlite_geo_ops,
    .backup = &dh_sqlite_backup_ops,
    .client_memory = sq_client_memory,
};
