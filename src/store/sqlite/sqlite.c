/* sqlite.c - the SQLite backend of the storage interface.
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
#include "util/buf.h"

#define POOL_MAX 16
/* Slots of a connection's statement cache, an open-addressing table keyed
 * by the address of the statement's literal (power of two; about 120
 * statements today, so it stays under a quarter full). */
#define STMT_CACHE 512

struct dh_store {
    struct dh_store_base base;
    char *path;
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
};

extern const dh_store_ops dh_sqlite_ops;

/* ------------------------------------------------------------------ */
/* Helpers.                                                           */

static dh_status db_error(dh_conn *c, dh_err *e, const char *what)
{
    int code = sqlite3_extended_errcode(c->db);
    if ((code & 0xff) == SQLITE_CONSTRAINT)
        return dh_err_set(e, DH_E_CONFLICT, "conflict", NULL, "%s: %s", what,
                          sqlite3_errmsg(c->db));
    if ((code & 0xff) == SQLITE_BUSY)
        return dh_err_set(e, DH_E_DB, "database_busy", NULL, "%s: database is busy", what);
    return dh_err_set(e, DH_E_DB, "database_error", NULL, "%s: %s", what, sqlite3_errmsg(c->db));
}

/* Returns the cached statement for the SQL literal, reset and unbound. */
static sqlite3_stmt *stmt(dh_conn *c, const char *sql, dh_err *e)
{
    size_t h = (size_t)(((uintptr_t)sql >> 3) * 0x9E3779B97F4A7C15ull) & (STMT_CACHE - 1);
    for (size_t n = 0; n < STMT_CACHE && c->cache[h].sql; n++, h = (h + 1) & (STMT_CACHE - 1)) {
        if (c->cache[h].sql == sql) {
            sqlite3_reset(c->cache[h].st);
            sqlite3_clear_bindings(c->cache[h].st);
            return c->cache[h].st;
        }
    }
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
        db_error(c, e, "prepare");
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

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
    if (s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

static void bind_date(sqlite3_stmt *st, int i, dh_date d)
{
    if (d == DH_DATE_NONE) {
        sqlite3_bind_null(st, i);
        return;
    }
    char buf[DH_DATE_TEXT_LEN];
    dh_date_format(d, buf);
    sqlite3_bind_text(st, i, buf, -1, SQLITE_TRANSIENT);
}

static void bind_id(sqlite3_stmt *st, int i, int64_t id)
{
    if (id)
        sqlite3_bind_int64(st, i, id);
    else
        sqlite3_bind_null(st, i);
}

static dh_date col_date(sqlite3_stmt *st, int i)
{
    const char *s = (const char *)sqlite3_column_text(st, i);
    dh_date d;
    if (!s || dh_date_parse(s, &d))
        return DH_DATE_NONE;
    return d;
}

static const char *col_text(sqlite3_stmt *st, int i)
{
    const char *s = (const char *)sqlite3_column_text(st, i);
    return s ? s : "";
}

static const char *col_text_or_null(sqlite3_stmt *st, int i)
{
    return (const char *)sqlite3_column_text(st, i);
}

/* Runs a statement that returns no rows. */
static dh_status run(dh_conn *c, sqlite3_stmt *st, const char *what, dh_err *e)
{
    int rc = sqlite3_step(st);
    dh_status s = rc == SQLITE_DONE || rc == SQLITE_ROW ? DH_OK : db_error(c, e, what);
    sqlite3_reset(st);
    return s;
}

/* Runs an insert-or-update of a row with an id; *id (when asked) is the
 * given id, or the new row's when none was given. */
static dh_status run_save(dh_conn *c, sqlite3_stmt *st, const char *what, int64_t given,
                          int64_t *id, dh_err *e)
{
    dh_status s = run(c, st, what, e);
    if (s == DH_OK && id)
        *id = given ? given : sqlite3_last_insert_rowid(c->db);
    return s;
}

static dh_status exec(dh_conn *c, const char *sql, const char *what, dh_err *e)
{
    char *msg = NULL;
    if (sqlite3_exec(c->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        dh_err_set(e, DH_E_DB, "database_error", NULL, "%s: %s", what, msg ? msg : "?");
        sqlite3_free(msg);
        return DH_E_DB;
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
    sqlite3_busy_timeout(c->db, 10000);
    if (exec(c,
             "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL; "
             "PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY;",
             "configure", e)) {
        conn_close(c);
        return NULL;
    }
    return c;
}

static void sq_release(dh_conn *c)
{
    dh_store *s = c->base.store;
    if (c->in_tx) {
        sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
        c->in_tx = false;
    }
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
    sqlite3_stmt *st = stmt(c, "PRAGMA user_version", e);
    *version = 0;
    if (!st)
        return DH_E_DB;
    if (sqlite3_step(st) != SQLITE_ROW)
        return db_error(c, e, "read schema version");
    *version = sqlite3_column_int(st, 0);
    sqlite3_reset(st);
    return DH_OK;
}

static dh_status sq_migrate(dh_conn *c, int target, int *from, int *to, dh_err *e)
{
    dh_status st;
    int v;
    if ((st = exec(c, "BEGIN IMMEDIATE", "begin migration", e)))
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
        if ((st = exec(c, m->sql, m->name, e)))
            goto fail;
        char pragma[64];
        snprintf(pragma, sizeof pragma, "PRAGMA user_version=%d", m->number);
        if ((st = exec(c, pragma, "set schema version", e)))
            goto fail;
        *to = m->number;
    }
    return exec(c, "COMMIT", "commit migration", e);
fail:
    sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
    return st;
}

static dh_status sq_begin(dh_conn *c, bool write, dh_err *e)
{
    dh_status st = exec(c, write ? "BEGIN IMMEDIATE" : "BEGIN", "begin", e);
    if (st == DH_OK)
        c->in_tx = true;
    return st;
}

static dh_status sq_commit(dh_conn *c, dh_err *e)
{
    dh_status st = exec(c, "COMMIT", "commit", e);
    if (st == DH_OK)
        c->in_tx = false;
    return st;
}

static void sq_rollback(dh_conn *c)
{
    if (c->in_tx)
        sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
    c->in_tx = false;
}

/* ------------------------------------------------------------------ */
/* Units.                                                             */

static dh_status sq_units_rev(dh_conn *c, int64_t *rev, dh_err *e)
{
    sqlite3_stmt *st = stmt(c, "SELECT value FROM meta WHERE key = 'units_rev'", e);
    *rev = 0;
    if (!st)
        return DH_E_DB;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *rev = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? DH_OK : db_error(c, e, "read units_rev");
}

static dh_status sq_bump_units_rev(dh_conn *c, dh_err *e)
{
    sqlite3_stmt *st = stmt(c, "UPDATE meta SET value = value + 1 WHERE key = 'units_rev'", e);
    return st ? run(c, st, "bump units_rev", e) : DH_E_DB;
}

static dh_status sq_load_units(dh_conn *c, dh_unit_cb ucb, dh_unit_version_cb vcb,
                               dh_unit_link_cb lcb, void *closure, dh_err *e)
{
    sqlite3_stmt *st = stmt(c, "SELECT id, code, kind, valid_from, valid_to FROM units ORDER BY id",
                            e);
    int rc;
    if (!st)
        return DH_E_DB;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        dh_unit_row u = {sqlite3_column_int64(st, 0), col_text(st, 1), col_text(st, 2),
                         col_date(st, 3), col_date(st, 4)};
        if (ucb(closure, &u))
            break;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return db_error(c, e, "load units");

    st = stmt(c,
              "SELECT unit_id, valid_from, parent_id, name, short_name, name_folded "
              "FROM unit_versions ORDER BY unit_id, valid_from",
              e);
    if (!st)
        return DH_E_DB;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        dh_unit_version_row v = {sqlite3_column_int64(st, 0), col_date(st, 1),
                                 sqlite3_column_int64(st, 2), col_text(st, 3),
                                 col_text(st, 4), col_text(st, 5)};
        if (vcb(closure, &v))
            break;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return db_error(c, e, "load unit versions");

    st = stmt(c,
              "SELECT event_id, from_unit_id, to_unit_id, partial, effective FROM unit_links "
              "ORDER BY event_id, from_unit_id, to_unit_id",
              e);
    if (!st)
        return DH_E_DB;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        dh_unit_link_row l = {sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
                              sqlite3_column_int64(st, 2), sqlite3_column_int(st, 3) != 0,
                              col_date(st, 4)};
        if (lcb(closure, &l))
            break;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return db_error(c, e, "load unit links");
    return DH_OK;
}

static dh_status sq_save_unit(dh_conn *c, const dh_unit_row *u, int64_t *new_id, dh_err *e)
{
    sqlite3_stmt *st;
    if (u->id == 0) {
        st = stmt(c, "INSERT INTO units(code, kind, valid_from, valid_to) VALUES (?,?,?,?)", e);
        if (!st)
            return DH_E_DB;
        bind_text(st, 1, u->code);
        bind_text(st, 2, u->kind);
        bind_date(st, 3, u->valid_from);
        bind_date(st, 4, u->valid_to);
        dh_status s = run(c, st, "insert unit", e);
        if (s == DH_OK && new_id)
            *new_id = sqlite3_last_insert_rowid(c->db);
        return s;
    }
    st = stmt(c, "UPDATE units SET kind = ?, valid_from = ?, valid_to = ? WHERE id = ?", e);
    if (!st)
        return DH_E_DB;
    bind_text(st, 1, u->kind);
    bind_date(st, 2, u->valid_from);
    bind_date(st, 3, u->valid_to);
    sqlite3_bind_int64(st, 4, u->id);
    if (new_id)
        *new_id = u->id;
    return run(c, st, "update unit", e);
}

static dh_status sq_replace_unit_versions(dh_conn *c, int64_t unit_id,
                                          const dh_unit_version_row *v, size_t n, dh_err *e)
{
    sqlite3_stmt *st = stmt(c, "DELETE FROM unit_versions WHERE unit_id = ?", e);
    dh_status s;
    if (!st)
        return DH_E_DB;
    sqlite3_bind_int64(st, 1, unit_id);
    if ((s = run(c, st, "replace unit versions", e)))
        return s;
    for (size_t i = 0; i < n; i++) {
        st = stmt(c,
                  "INSERT INTO unit_versions(unit_id, valid_from, parent_id, name, short_name, "
                  "name_folded) VALUES (?,?,?,?,?,?)",
                  e);
        if (!st)
            return DH_E_DB;
        sqlite3_bind_int64(st, 1, unit_id);
        bind_date(st, 2, v[i].valid_from);
        bind_id(st, 3, v[i].parent_id);
        bind_text(st, 4, v[i].name);
        bind_text(st, 5, v[i].short_name ? v[i].short_name : "");
        bind_text(st, 6, v[i].name_folded);
        if ((s = run(c, st, "insert unit version", e)))
            return s;
    }
    return DH_OK;
}

static dh_status sq_insert_unit_event(dh_conn *c, const dh_unit_event_row *ev, int64_t *id,
                                      dh_err *e)
{
    sqlite3_stmt *st = stmt(c,
                            "INSERT INTO unit_events(kind, effective, source, note, body, "
                            "created_at, actor_user_id) VALUES (?,?,?,?,?,?,?)",
                            e);
    if (!st)
        return DH_E_DB;
    bind_text(st, 1, ev->kind);
    bind_date(st, 2, ev->effective);
    bind_text(st, 3, ev->source ? ev->source : "");
    bind_text(st, 4, ev->note ? ev->note : "");
    bind_text(st, 5, ev->body_json ? ev->body_json : "{}");
    sqlite3_bind_int64(st, 6, (sqlite3_int64)ev->created_at);
    bind_id(st, 7, ev->actor_user_id);
    dh_status s = run(c, st, "insert unit event", e);
    if (s == DH_OK)
        *id = sqlite3_last_insert_rowid(c->db);
    return s;
}

static dh_status sq_insert_unit_link(dh_conn *c, const dh_unit_link_row *l, dh_err *e)
{
    sqlite3_stmt *st = stmt(c,
                            "INSERT INTO unit_links(event_id, from_unit_id, to_unit_id, partial, "
                            "effective) VALUES (?,?,?,?,?)",
                            e);
    if (!st)
        return DH_E_DB;
    sqlite3_bind_int64(st, 1, l->event_id);
    sqlite3_bind_int64(st, 2, l->from_unit_id);
    sqlite3_bind_int64(st, 3, l->to_unit_id);
    sqlite3_bind_int(st, 4, l->partial);
    bind_date(st, 5, l->effective);
    return run(c, st, "insert unit link", e);
}

/* ------------------------------------------------------------------ */
/* Users and credentials.                                             */

#define USER_COLS "id, login, display_name, role, unit_id, password_hash, disabled, created_at"

static dh_user_row user_of(sqlite3_stmt *st)
{
    return (dh_user_row){sqlite3_column_int64(st, 0), col_text(st, 1), col_text(st, 2),
                         col_text(st, 3),             sqlite3_column_int64(st, 4),
                         col_text(st, 5),             sqlite3_column_int(st, 6) != 0,
                         (time_t)sqlite3_column_int64(st, 7)};
}

static dh_status sq_insert_user(dh_conn *c, const dh_user_row *u, int64_t *id, dh_err *e)
{
    sqlite3_stmt *st = stmt(c,
                            "INSERT INTO users(login, display_name, role, unit_id, password_hash, "
                            "disabled, created_at) VALUES (?,?,?,?,?,?,?)",
                            e);
    if (!st)
        return DH_E_DB;
    bind_text(st, 1, u->login);
    bind_text(st, 2, u->display_name ? u->display_name : "");
    bind_text(st, 3, u->role);
    bind_id(st, 4, u->unit_id);
    bind_text(st, 5, u->password_hash);
    sqlite3_bind_int(st, 6, u->disabled);
    sqlite3_bind_int64(st, 7, (sqlite3_int64)u->created_at);
    dh_status s = run(c, st, "insert user", e);
    if (s == DH_E_CONFLICT)
        return dh_err_set(e, DH_E_CONFLICT, "duplicate_login", "login",
                          "a user with login '%s' already exists", u->login);
    if (s == DH_OK)
        *id = sqlite3_last_insert_rowid(c->db);
    return s;
}

static dh_status each_user(dh_conn *c, sqlite3_stmt *st, dh_user_cb cb, void *closure,
                           int *count, dh_err *e)
{
    int rc;
    *count = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        dh_user_row u = user_of(st);
        (*count)++;
        if (cb(closure, &u))
            break;
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? DH_OK : db_error(c, e, "read users");
}

static dh_status sq_get_user(dh_conn *c, int64_t id, const char *login, dh_user_cb cb,
                             void *closure, dh_err *e)
{
    sqlite3_stmt *st;
    if (id) {
        st = stmt(c, "SELECT " USER_COLS " FROM users WHERE id = ?", e);
        if (st)
            sqlite3_bind_int64(st, 1, id);
    } else {
        st = stmt(c, "SELECT " USER_COLS " FROM users WHERE login = ?", e);
        if (st)
            bind_text(st, 1, login);
    }
    if (!st)
        return DH_E_DB;
    int n;
    dh_status s = each_user(c, st, cb, closure, &n, e);
    if (s == DH_OK && n == 0)
        return dh_err_set(e, DH_E_NOTFOUND, "unknown_user", "login", "no such user");
    return s;
}

static dh_status sq_list_users(dh_conn *c, int64_t after_id, int limit, dh_user_cb cb,
                               void *closure, dh_err *e)
{
    sqlite3_stmt *st = stmt(c, "SELECT " USER_COLS " FROM users WHERE id > ? ORDER BY id LIMIT ?",
                            e);
    if (!st)
        return DH_E_DB;
    sqlite3_bind_int64(st, 1, after_id);
    sqlite3_bind_int(st, 2, limit);
    int n;
    return each_user(c, st, cb, closure, &n, e);
}

static dh_status sq_set_password(dh_conn *c, int64_t user_id, const char *hash, dh_err *e)
{
    sqlite3_stmt *st = stmt(c, "UPDATE users SET password_hash = ? WHERE id = ?", e);
    if (!st)
        return DH_E_DB;
    bind_text(st, 1, hash);
    sqlite3_bind_int64(st, 2, user_id);
    return run(c, st, "set password", e);
}

#define CRED_COLS "id, kind, user_id, name, unit_id, hash, created_at, expires_at, revoked_at"

static dh_status each_cred(dh_conn *c, sqlite3_stmt *st, dh_cred_cb cb, void *closure,
                           dh_err *e)
{
    int rc, n = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        dh_cred_row r = {sqlite3_column_int64(st, 0),
                         (dh_cred_kind)sqlite3_column_int(st, 1),
                         sqlite3_column_int64(st, 2),
                         col_text(st, 3),
                         sqlite3_column_int64(st, 4),
                         col_text(st, 5),
                         (time_t)sqlite3_column_int64(st, 6),
                         (time_t)sqlite3_column_int64(st, 7),
                         (time_t)sqlite3_column_int64(st, 8)};
        n++;
        if (cb(closure, &r))
            break;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return db_error(c, e, "read credentials");
    if (n == 0)
        return dh_err_set(e, DH_E_NOTFOUND, "unknown_credential", NULL, "no such credential");
    return DH_OK;
}

static dh_status sq_insert_cred(dh_conn *c, const dh_cred_row *cr, int64_t *id, dh_err *e)
{
    sqlite3_stmt *st = stmt(c,
                            "INSERT INTO credentials(kind, user_id, name, unit_id, hash, "
                            "created_at, expires_at, revoked_at) VALUES (?,?,?,?,?,?,?,0)",
                            e);
    if (!st)
        return DH_E_DB;
    sqlite3_bind_int(st, 1, (int)cr->kind);
    sqlite3_bind_int64(st, 2, cr->user_id);
    bind_text(st, 3, cr->name ? cr->name : "");
    bind_id(st, 4, cr->unit_id);
    bind_text(st, 5, cr->hash);
    sqlite3_bind_int64(st, 6, (sqlite3_int64)cr->created_at);
    sqlite3_bind_int64(st, 7, (sqlite3_int64)cr->expires_at);
    dh_status s = run(c, st, "insert credential", e);
    if (s == DH_OK)
        *id = sqlite3_last_insert_rowid(c->db);
    return s;
}

static dh_status sq_find_cred(dh_conn *c, const char *hash, dh_cred_cb cb, void *closure,
                              dh_err *e)
{
    sqlite3_stmt *st = stmt(c, "SELECT " CRED_COLS " FROM credentials WHERE hash = ?", e);
    if (!st)
        return DH_E_DB;
    bind_text(st, 1, hash);
    return each_cred(c, st, cb, closure, e);
}

static dh_status sq_get_cred(dh_conn *c, int64_t id, dh_cred_cb cb, void *closure, dh_err *e)
{
    sqlite3_stmt *st = stmt(c, "SELECT " CRED_COLS " FROM credentials WHERE id = ?", e);
    if (!st)
        return DH_E_DB;
    sqlite3_bind_int64(st, 1, id);
    return each_cred(c, st, cb, closure, e);
}

static dh_status sq_revoke_cred(dh_conn *c, int64_t id, time_t at, dh_err *e)
{
    sqlite3_stmt *st =
        stmt(c, "UPDATE credentials SET revoked_at = ? WHERE id = ? AND revoked_at = 0", e);
    if (!st)
        return DH_E_DB;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)at);
    sqlite3_bind_int64(st, 2, id);
    return run(c, st, "revoke credential", e);
}

static dh_status sq_revoke_user_creds(dh_conn *c, int64_t user_id, dh_cred_kind kind,
                                      int64_t except_id, time_t at, int *n, dh_err *e)
{
    sqlite3_stmt *st = stmt(c,
                            "UPDATE credentials SET revoked_at = ? WHERE user_id = ? AND kind = ? "
                            "AND id <> ? AND revoked_at = 0",
                            e);
    if (n)
        *n = 0;
    if (!st)
        return DH_E_DB;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)at);
    sqlite3_bind_int64(st, 2, user_id);
    sqlite3_bind_int(st, 3, (int)kind);
    sqlite3_bind_int64(st, 4, except_id);
    dh_status s = run(c, st, "revoke credentials", e);
    if (s == DH_OK && n)
        *n = sqlite3_changes(c->db);
    return s;
}

static dh_status sq_add_login_failure(dh_conn *c, const char *key, time_t at, dh_err *e)
{
    sqlite3_stmt *st = stmt(c, "INSERT INTO login_failures(key, at) VALUES (?,?)", e);
    if (!st)
        return DH_E_DB;
    bind_text(st, 1, key);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)at);
    return run(c, st, "record login failure", e);
}

static dh_status sq_count_login_failures(dh_conn *c, const char *key, time_t since, int *n,
                                         dh_err *e)
{
    sqlite3_stmt *st = stmt(c, "SELECT count(*) FROM login_failures WHERE key = ? AND at >= ?", e);
    *n = 0;
    if (!st)
        return DH_E_DB;
    bind_text(st, 1, key);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)since);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *n = sqlite3_column_int(st, 0);
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? DH_OK : db_error(c, e, "count login failures");
}

static dh_status sq_clear_login_failures(dh_conn *c, const char *key, dh_err *e)
{
    sqlite3_stmt *st = stmt(c, "DELETE FROM login_failures WHERE key = ?", e);
    if (!st)
        return DH_E_DB;
    bind_text(st, 1, key);
    return run(c, st, "clear login failures", e);
}

/* ------------------------------------------------------------------ */
/* Audit.                                                             */

static dh_status sq_append_audit(dh_conn *c, const dh_audit_row *a, dh_err *e)
{
    sqlite3_stmt *st = stmt(c,
                            "INSERT INTO audit_log(at, actor_user_id, actor, token_id, action, "
                            "entity, entity_key, unit_code, outcome, before_json, after_json, ip) "
                            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                            e);
    if (!st)
        return DH_E_DB;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)a->at);
    bind_id(st, 2, a->actor_user_id);
    bind_text(st, 3, a->actor ? a->actor : "");
    bind_id(st, 4, a->token_id);
    bind_text(st, 5, a->action);
    bind_text(st, 6, a->entity);
    bind_text(st, 7, a->entity_key ? a->entity_key : "");
    bind_text(st, 8, a->unit_code ? a->unit_code : "");
    bind_text(st, 9, a->outcome ? a->outcome : "ok");
    bind_text(st, 10, a->before_json);
    bind_text(st, 11, a->after_json);
    bind_text(st, 12, a->ip ? a->ip : "");
    return run(c, st, "append audit", e);
}

static dh_status sq_list_audit(dh_conn *c, const dh_audit_filter *f, dh_audit_cb cb,
                               void *closure, dh_err *e)
{
    /* One statement with optional filters: a NULL parameter disables its
     * condition, so no SQL text is ever assembled from input. */
    sqlite3_stmt *st = stmt(c,
                            "SELECT id, at, actor_user_id, actor, token_id, action, entity, "
                            "entity_key, unit_code, outcome, before_json, after_json, ip "
                            "FROM audit_log WHERE id > ?1 "
                            "AND (?2 IS NULL OR entity = ?2) "
                            "AND (?3 IS NULL OR unit_code = ?3) "
                            "AND (?4 IS NULL OR at >= ?4) "
                            "ORDER BY id LIMIT ?5",
                            e);
    int rc;
    if (!st)
        return DH_E_DB;
    sqlite3_bind_int64(st, 1, f->after_id);
    bind_text(st, 2, f->entity);
    bind_text(st, 3, f->unit_code);
    if (f->since)
        sqlite3_bind_int64(st, 4, (sqlite3_int64)f->since);
    sqlite3_bind_int(st, 5, f->limit);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        dh_audit_row a = {sqlite3_column_int64(st, 0),
                          (time_t)sqlite3_column_int64(st, 1),
                          sqlite3_column_int64(st, 2),
                          col_text(st, 3),
                          sqlite3_column_int64(st, 4),
                          col_text(st, 5),
                          col_text(st, 6),
                          col_text(st, 7),
                          col_text(st, 8),
                          col_text(st, 9),
                          col_text_or_null(st, 10),
                          col_text_or_null(st, 11),
                          col_text(st, 12)};
        if (cb(closure, &a))
            break;
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? DH_OK : db_error(c, e, "read audit log");
}


/* ------------------------------------------------------------------ */
/* Meta counters, calendars and schedules.                            */

static dh_status sq_meta_get(dh_conn *c, const char *key, int64_t *value, dh_err *e)
{
    sqlite3_stmt *st = stmt(c, "SELECT value FROM meta WHERE key = ?", e);
    *value = 0;
    if (!st)
        return DH_E_DB;
    bind_text(st, 1, key);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *value = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? DH_OK : db_error(c, e, "read meta");
}

static dh_status sq_meta_bump(dh_conn *c, const char *key, dh_err *e)
{
    sqlite3_stmt *st = stmt(c,
                            "INSERT INTO meta(key, value) VALUES (?, 1) "
                            "ON CONFLICT(key) DO UPDATE SET value = value + 1",
                            e);
    if (!st)
        return DH_E_DB;
    bind_text(st, 1, key);
    return run(c, st, "bump meta", e);
}

static dh_status sq_load_calendars(dh_conn *c, dh_calendar_cb ccb, dh_sched_cb scb,
                                   dh_unit_calendar_cb ucb, void *closure, dh_err *e)
{
    int rc;
    sqlite3_stmt *st = stmt(c, "SELECT name, label, hours, created_at FROM calendars ORDER BY name",
                            e);
    if (!st)
        return DH_E_DB;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        dh_calendar_row r = {col_text(st, 0), col_text(st, 1), col_text(st, 2),
                             (time_t)sqlite3_column_int64(st, 3)};
        if (ccb(closure, &r))
            break;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return db_error(c, e, "load calendars");
    st = stmt(c,
              "SELECT id, date, type, kind, name, source, confirmed FROM schedule_entries "
              "ORDER BY date",
              e);
    if (!st)
        return DH_E_DB;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        dh_sched_row r = {sqlite3_column_int64(st, 0), col_date(st, 1), col_text(st, 2),
                          col_text(st, 3), col_text(st, 4), col_text(st, 5),
                          sqlite3_column_int(st, 6) != 0};
        if (scb(closure, &r))
            break;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return db_error(c, e, "load schedules");
    st = stmt(c,
              "SELECT unit_id, valid_from, calendar FROM unit_calendars "
              "ORDER BY unit_id, valid_from",
              e);
    if (!st)
        return DH_E_DB;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        dh_unit_calendar_row r = {sqlite3_column_int64(st, 0), col_date(st, 1), col_text(st, 2)};
        if (ucb(closure, &r))
            break;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return db_error(c, e, "load unit calendars");
    return DH_OK;
}

static dh_status sq_put_calendar(dh_conn *c, const dh_calendar_row *r, dh_err *e)
{
    sqlite3_stmt *st = stmt(c,
                            "INSERT INTO calendars(name, label, hours, created_at) VALUES (?,?,?,?) "
                            "ON CONFLICT(name) DO UPDATE SET label = excluded.label, "
                            "hours = excluded.hours",
                            e);
    if (!st)
        return DH_E_DB;
    bind_text(st, 1, r->name);
    bind_text(st, 2, r->label);
    bind_text(st, 3, r->hours_json);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)r->created_at);
    return run(c, st, "save calendar", e);
}

static void bind_sched(sqlite3_stmt *st, const dh_sched_row *r)
{
    bind_date(st, 1, r->date);
    bind_text(st, 2, r->type);
    bind_text(st, 3, r->kind);
    bind_text(st, 4, r->name);
    bind_text(st, 5, r->source);
    sqlite3_bind_int(st, 6, r->confirmed);
}

static dh_status sq_insert_sched(dh_conn *c, const dh_sched_row *r, int64_t *id, dh_err *e)
{
    sqlite3_stmt *st = stmt(c,
                            "INSERT INTO schedule_entries(date, type, kind, name, source, "
                            "confirmed) VALUES (?,?,?,?,?,?)",
                            e);
    if (!st)
        return DH_E_DB;
    bind_sched(st, r);
    dh_status s = run(c, st, "insert schedule entry", e);
    if (s == DH_OK)
        *id = sqlite3_last_insert_rowid(c->db);
    return s;
}

static dh_status sq_update_sched(dh_conn *c, const dh_sched_row *r, dh_err *e)
{
    sqlite3_stmt *st = stmt(c,
                            "UPDATE schedule_entries SET date = ?, type = ?, kind = ?, name = ?, "
                            "source = ?, confirmed = ? WHERE id = ?",
                            e);
    if (!st)
        return DH_E_DB;
    bind_sched(st, r);
    sqlite3_bind_int64(st, 7, r->id);
    return run(c, st, "update schedule entry", e);
}

static dh_status sq_delete_sched(dh_conn *c, int64_t id, dh_err *e)
{
    sqlite3_stmt *st = stmt(c, "DELETE FROM schedule_entries WHERE id = ?", e);
    if (!st)
        return DH_E_DB;
    sqlite3_bind_int64(st, 1, id);
    return run(c, st, "delete schedule entry", e);
}

static dh_status sq_put_unit_calendar(dh_conn *c, const dh_unit_calendar_row *r, dh_err *e)
{
    sqlite3_stmt *st = stmt(c,
                            "INSERT INTO unit_calendars(unit_id, valid_from, calendar) "
                            "VALUES (?,?,?) ON CONFLICT(unit_id, valid_from) "
                            "DO UPDATE SET calendar = excluded.calendar",
                            e);
    if (!st)
        return DH_E_DB;
    sqlite3_bind_int64(st, 1, r->unit_id);
    bind_date(st, 2, r->valid_from);
    bind_text(st, 3, r->calendar);
    return run(c, st, "save unit calendar", e);
}


/* ------------------------------------------------------------------ */
/* Procedures, dossier events, dossiers.                              */

static void bind_time(sqlite3_stmt *st, int i, time_t t)
{
    if (t)
        sqlite3_bind_int64(st, i, (sqlite3_int64)t);
    else
        sqlite3_bind_null(st, i);
}

static time_t col_time(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? 0 : (time_t)sqlite3_column_int64(st, i);
}

static dh_status sq_put_procedure(dh_conn *c, const dh_procedure_row *r, int64_t *id, dh_err *e)
{
    sqlite3_stmt *st = stmt(c,
                            "INSERT INTO procedures(code, valid_from, name, field, level, duration, "
                            "duration_unit, online_level, fee_bearing, paper_result, cutoff_time) "
                            "VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                            e);
    if (!st)
        return DH_E_DB;
    bind_text(st, 1, r->code);
    bind_date(st, 2, r->valid_from);
    bind_text(st, 3, r->name);
    bind_text(st, 4, r->field);
    bind_text(st, 5, r->level);
    sqlite3_bind_int(st, 6, r->duration);
    bind_text(st, 7, r->duration_unit);
    bind_text(st, 8, r->online_level);
    sqlite3_bind_int(st, 9, r->fee_bearing);
    sqlite3_bind_int(st, 10, r->paper_result);
    bind_text(st, 11, r->cutoff_time);
    dh_status s = run(c, st, "insert procedure", e);
    if (s == DH_OK)
        *id = sqlite3_last_insert_rowid(c->db);
    return s;
}

static dh_status sq_load_procedures(dh_conn *c, dh_procedure_cb cb, void *closure, dh_err *e)
{
    sqlite3_stmt *st = stmt(c,
                            "SELECT id, code, valid_from, name, field, level, duration, "
                            "duration_unit, online_level, fee_bearing, paper_result, cutoff_time "
                            "FROM procedures ORDER BY code, valid_from",
                            e);
    if (!st)
        return DH_E_DB;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        dh_procedure_row r = {sqlite3_column_int64(st, 0), col_text(st, 1), col_date(st, 2),
                              col_text(st, 3), col_text(st, 4), col_text(st, 5),
                              sqlite3_column_int(st, 6), col_text(st, 7), col_text(st, 8),
                              sqlite3_column_int(st, 9) != 0, sqlite3_column_int(st, 10) != 0,
                              col_text(st, 11)};
        if (cb(closure, &r))
            break;
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? DH_OK : db_error(c, e, "load procedures");
}

#define DEVENT_COLS "seq, source, id, dossier, type, at, body, stored_at"

static dh_status devent_rows(dh_conn *c, sqlite3_stmt *st, dh_devent_cb cb, void *closure,
                             bool *any, dh_err *e)
{
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        dh_devent_row r = {sqlite3_column_int64(st, 0), col_text(st, 1), col_text(st, 2),
                           col_text(st, 3), col_text(st, 4), col_time(st, 5), col_text(st, 6),
                           col_time(st, 7)};
        *any = true;
        if (cb(closure, &r))
            break;
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? DH_OK : db_error(c, e, "read dossier events");
}

static dh_status sq_find_devent(dh_conn *c, const char *source, const char *id, dh_devent_cb cb,
                                void *closure, dh_err *e)
{
    sqlite3_stmt *st = stmt(c,
                            "SELECT " DEVENT_COLS " FROM dossier_events WHERE source = ? AND id = ?",
                            e);
    if (!st)
        return DH_E_DB;
    bind_text(st, 1, source);
    bind_text(st, 2, id);
    bool any = false;
    dh_status s = devent_rows(c, st, cb, closure, &any, e);
    if (s == DH_OK && !any)
        return dh_err_set(e, DH_E_NOTFOUND, "not_found", NULL, "no such event");
    return s;
}

static dh_status sq_insert_devent(dh_conn *c, const dh_devent_row *r, int64_t *seq, dh_err *e)
{
    sqlite3_stmt *st = stmt(c,
                            "INSERT INTO dossier_events(source, id, dossier, type, at, body, "
                            "stored_at) VALUES (?,?,?,?,?,?,?)",
                            e);
    if (!st)
        return DH_E_DB;
    bind_text(st, 1, r->source);
    bind_text(st, 2, r->id);
    bind_text(st, 3, r->dossier);
    bind_text(st, 4, r->type);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)r->at);
    bind_text(st, 6, r->body);
    sqlite3_bind_int64(st, 7, (sqlite3_int64)r->stored_at);
    dh_status s = run(c, st, "insert dossier event", e);
    if (s == DH_OK)
        *seq = sqlite3_last_insert_rowid(c->db);
    return s;
}

static dh_status sq_load_devents(dh_conn *c, const char *dossier, dh_devent_cb cb, void *closure,
                                 dh_err *e)
{
    sqlite3_stmt *st = stmt(c,
                            "SELECT " DEVENT_COLS " FROM dossier_events WHERE dossier = ? "
                            "ORDER BY at, seq",
                            e);
    if (!st)
        return DH_E_DB;
    bind_text(st, 1, dossier);
    bool any = false;
    return devent_rows(c, st, cb, closure, &any, e);
}

static dh_status sq_put_dossier(dh_conn *c, const dh_dossier_row *r, dh_err *e)
{
    sqlite3_stmt *st = stmt(
        c,
        "INSERT OR REPLACE INTO dossiers(code, unit, receiving_unit, procedure, channel, "
        "by_applicant, received_at, counting_from, due_at, due_effective, at_risk_from, "
        "extended_to, finished_at, state, outcome, used_minutes, budget_minutes, late_minutes, "
        "nsupplements, paid, paid_online, rating, digitised_input, digitised_result, updated_at, "
        "fact) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        e);
    if (!st)
        return DH_E_DB;
    bind_text(st, 1, r->code);
    bind_text(st, 2, r->unit);
    bind_text(st, 3, r->receiving_unit);
    bind_text(st, 4, r->procedure);
    bind_text(st, 5, r->channel);
    sqlite3_bind_int(st, 6, r->by_applicant);
    bind_time(st, 7, r->received_at);
    bind_time(st, 8, r->counting_from);
    bind_time(st, 9, r->due_at);
    bind_time(st, 10, r->due_effective);
    bind_time(st, 11, r->at_risk_from);
    bind_time(st, 12, r->extended_to);
    bind_time(st, 13, r->finished_at);
    bind_text(st, 14, r->state);
    if (r->outcome)
        bind_text(st, 15, r->outcome);
    else
        sqlite3_bind_null(st, 15);
    sqlite3_bind_int64(st, 16, r->used_minutes);
    sqlite3_bind_int64(st, 17, r->budget_minutes);
    sqlite3_bind_int64(st, 18, r->late_minutes);
    sqlite3_bind_int(st, 19, r->nsupplements);
    sqlite3_bind_int(st, 20, r->paid);
    sqlite3_bind_int(st, 21, r->paid_online);
    sqlite3_bind_int(st, 22, r->rating);
    sqlite3_bind_int(st, 23, r->digitised_input);
    sqlite3_bind_int(st, 24, r->digitised_result);
    sqlite3_bind_int64(st, 25, (sqlite3_int64)r->updated_at);
    unsigned char blob[DH_DFACT_BLOB];
    if (r->fact) {
        dh_dfact_pack(r->fact, blob);
        sqlite3_bind_blob(st, 26, blob, sizeof blob, SQLITE_TRANSIENT);
    } else {
        sqlite3_bind_null(st, 26);
    }
    return run(c, st, "save dossier", e);
}

#define DOSSIER_COLS                                                                           \
    "code, unit, receiving_unit, procedure, channel, by_applicant, received_at, counting_from, " \
    "due_at, due_effective, at_risk_from, extended_to, finished_at, state, outcome, "           \
    "used_minutes, budget_minutes, late_minutes, nsupplements, paid, paid_online, rating, "     \
    "digitised_input, digitised_result, updated_at"

static dh_status dossier_rows(dh_conn *c, sqlite3_stmt *st, dh_dossier_cb cb, void *closure,
                              bool *any, dh_err *e)
{
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        dh_dossier_row r = {
            col_text(st, 0),  col_text(st, 1),  col_text(st, 2),  col_text(st, 3),
            col_text(st, 4),  sqlite3_column_int(st, 5) != 0,     col_time(st, 6),
            col_time(st, 7),  col_time(st, 8),  col_time(st, 9),  col_time(st, 10),
            col_time(st, 11), col_time(st, 12), col_text(st, 13), col_text_or_null(st, 14),
            sqlite3_column_int64(st, 15),       sqlite3_column_int64(st, 16),
            sqlite3_column_int64(st, 17),       sqlite3_column_int(st, 18),
            sqlite3_column_int(st, 19) != 0,    sqlite3_column_int(st, 20) != 0,
            sqlite3_column_int(st, 21),         sqlite3_column_int(st, 22) != 0,
            sqlite3_column_int(st, 23) != 0,    col_time(st, 24), NULL};
        *any = true;
        if (cb(closure, &r))
            break;
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? DH_OK : db_error(c, e, "read dossiers");
}

static dh_status sq_get_dossier(dh_conn *c, const char *code, dh_dossier_cb cb, void *closure,
                                dh_err *e)
{
    sqlite3_stmt *st = stmt(c, "SELECT " DOSSIER_COLS " FROM dossiers WHERE code = ?", e);
    if (!st)
        return DH_E_DB;
    bind_text(st, 1, code);
    bool any = false;
    dh_status s = dossier_rows(c, st, cb, closure, &any, e);
    if (s == DH_OK && !any)
        return dh_err_set(e, DH_E_NOTFOUND, "not_found", NULL, "no dossier '%s'", code);
    return s;
}

/* The open states are read through the (unit, state, due_effective) index:
 * one range per unit of the scope, already in deadline order. */
/* The plain overdue (or open) list: the page is chosen from the index alone
 * (unit, state, due_effective and the rowid are all in it), then only the
 * page's rows are read. */
static dh_status list_open_page(dh_conn *c, const dh_dossier_filter *f, const char *state,
                                int64_t lo, int64_t hi, dh_dossier_cb cb, void *closure,
                                dh_err *e)
{
    sqlite3_stmt *st = stmt(
        c,
        "SELECT " DOSSIER_COLS " FROM dossiers WHERE rowid IN ("
        "  SELECT rowid FROM dossiers INDEXED BY dossiers_unit_state "
        "  WHERE unit IN (SELECT value FROM json_each(?1)) AND state = ?2 "
        "  AND due_effective >= ?3 AND due_effective < ?4 "
        "  ORDER BY due_effective, rowid LIMIT ?5 OFFSET ?6) "
        "ORDER BY due_effective, rowid",
        e);
    if (!st)
        return DH_E_DB;
    bind_text(st, 1, f->units_json);
    bind_text(st, 2, state);
    sqlite3_bind_int64(st, 3, lo);
    sqlite3_bind_int64(st, 4, hi);
    sqlite3_bind_int(st, 5, f->limit);
    sqlite3_bind_int64(st, 6, f->offset);
    bool any = false;
    return dossier_rows(c, st, cb, closure, &any, e);
}

static dh_status list_open_dossiers(dh_conn *c, const dh_dossier_filter *f, dh_dossier_cb cb,
                                    void *closure, dh_err *e)
{
    bool plain = !f->procedure && !f->from && !f->to && !f->q && !f->channel &&
                 !f->procedures_json;
    if (plain && !strcmp(f->state, "overdue"))
        return list_open_page(c, f, "in_progress", INT64_MIN, f->now, cb, closure, e);
    if (plain && (!strcmp(f->state, "in_progress") || !strcmp(f->state, "paused")))
        return list_open_page(c, f, f->state, INT64_MIN, INT64_MAX, cb, closure, e);
    sqlite3_stmt *st = stmt(
        c,
        "SELECT " DOSSIER_COLS " FROM dossiers INDEXED BY dossiers_unit_state "
        "WHERE unit IN (SELECT value FROM json_each(?1)) "
        "AND state = ?2 AND due_effective >= ?3 AND due_effective < ?4 "
        "AND (?5 IS NULL OR at_risk_from <= ?5) AND (?6 IS NULL OR at_risk_from > ?6) "
        "AND (?7 IS NULL OR procedure = ?7) "
        "AND (?8 IS NULL OR received_at >= ?8) AND (?9 IS NULL OR received_at < ?9) "
        "AND (?10 IS NULL OR substr(code, 1, length(?10)) = ?10) "
        "AND (?13 IS NULL OR channel = ?13) "
        "AND (?14 IS NULL OR procedure IN (SELECT value FROM json_each(?14))) "
        "ORDER BY due_effective, code LIMIT ?11 OFFSET ?12",
        e);
    if (!st)
        return DH_E_DB;
    const char *state = f->state;
    int64_t lo = INT64_MIN, hi = INT64_MAX;
    time_t risk_le = 0, risk_gt = 0;
    if (!strcmp(state, "overdue")) {
        hi = f->now;
        state = "in_progress";
    } else if (!strcmp(state, "at_risk")) {
        lo = f->now;
        risk_le = f->now;
        state = "in_progress";
    } else if (!strcmp(state, "within")) {
        risk_gt = f->now;
        state = "in_progress";
    }
    bind_text(st, 1, f->units_json);
    bind_text(st, 2, state);
    sqlite3_bind_int64(st, 3, lo);
    sqlite3_bind_int64(st, 4, hi);
    bind_time(st, 5, risk_le);
    bind_time(st, 6, risk_gt);
    if (f->procedure)
        bind_text(st, 7, f->procedure);
    bind_time(st, 8, f->from);
    bind_time(st, 9, f->to);
    if (f->q)
        bind_text(st, 10, f->q);
    sqlite3_bind_int(st, 11, f->limit);
    if (f->channel)
        bind_text(st, 13, f->channel);
    if (f->procedures_json)
        bind_text(st, 14, f->procedures_json);
    sqlite3_bind_int64(st, 12, f->offset);
    bool any = false;
    return dossier_rows(c, st, cb, closure, &any, e);
}

static dh_status sq_list_dossiers(dh_conn *c, const dh_dossier_filter *f, dh_dossier_cb cb,
                                  void *closure, dh_err *e)
{
    static const char *const open_states[] = {"overdue", "at_risk", "within", "in_progress",
                                              "paused", NULL};
    for (const char *const *o = open_states; f->units_json && f->state && *o; o++)
        if (strcmp(*o, f->state) == 0)
            return list_open_dossiers(c, f, cb, closure, e);
    sqlite3_stmt *st = stmt(
        c,
        "SELECT " DOSSIER_COLS " FROM dossiers WHERE state <> 'incomplete' "
        "AND (?1 IS NULL OR unit IN (SELECT value FROM json_each(?1))) "
        "AND (?2 IS NULL OR procedure = ?2) "
        "AND (?3 IS NULL OR received_at >= ?3) AND (?4 IS NULL OR received_at < ?4) "
        "AND (?5 IS NULL OR substr(code, 1, length(?5)) = ?5) "
        "AND (CASE ?6 WHEN 'any' THEN 1 "
        "  WHEN 'overdue' THEN state = 'in_progress' AND due_effective < ?7 "
        "  WHEN 'at_risk' THEN state = 'in_progress' AND at_risk_from <= ?7 AND due_effective >= ?7 "
        "  WHEN 'within' THEN state = 'in_progress' AND at_risk_from > ?7 "
        "  WHEN 'early' THEN outcome = 'early' WHEN 'on_time' THEN outcome = 'on_time' "
        "  WHEN 'late' THEN outcome = 'late' ELSE state = ?6 END) "
        "AND (?10 IS NULL OR channel = ?10) "
        "AND (?11 IS NULL OR procedure IN (SELECT value FROM json_each(?11))) "
        "ORDER BY CASE WHEN state = 'in_progress' AND due_effective < ?7 THEN 0 "
        "  WHEN state = 'in_progress' AND at_risk_from <= ?7 THEN 1 "
        "  WHEN state IN ('in_progress', 'paused') THEN 2 ELSE 3 END, due_effective, code "
        "LIMIT ?8 OFFSET ?9",
        e);
    if (!st)
        return DH_E_DB;
    if (f->units_json)
        bind_text(st, 1, f->units_json);
    if (f->procedure)
        bind_text(st, 2, f->procedure);
    bind_time(st, 3, f->from);
    bind_time(st, 4, f->to);
    if (f->q)
        bind_text(st, 5, f->q);
    bind_text(st, 6, f->state ? f->state : "any");
    sqlite3_bind_int64(st, 7, (sqlite3_int64)f->now);
    sqlite3_bind_int(st, 8, f->limit);
    sqlite3_bind_int64(st, 9, f->offset);
    if (f->channel)
        bind_text(st, 10, f->channel);
    if (f->procedures_json)
        bind_text(st, 11, f->procedures_json);
    bool any = false;
    return dossier_rows(c, st, cb, closure, &any, e);
}

static dh_status sq_scan_dossiers(dh_conn *c, const char *units_json, time_t since,
                                  time_t before, dh_dossier_cb cb, void *closure, dh_err *e)
{
    sqlite3_stmt *st = stmt(c,
                            "SELECT " DOSSIER_COLS " FROM dossiers "
                            "WHERE receiving_unit IN (SELECT value FROM json_each(?1)) "
                            "AND state <> 'incomplete' AND received_at < ?2 "
                            "AND (finished_at IS NULL OR finished_at >= ?3) ORDER BY code",
                            e);
    if (!st)
        return DH_E_DB;
    bind_text(st, 1, units_json);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)before);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)since);
    bool any = false;
    return dossier_rows(c, st, cb, closure, &any, e);
}

/* ---- Indicators, values, targets, obligations (issue 8). ------------------ */

static dh_status sq_put_indicator(dh_conn *c, const dh_indicator_row *r, int64_t *id, dh_err *e)
{
    sqlite3_stmt *st = stmt(
        c,
        "INSERT INTO indicators(id, code, name, uom, direction, aggregation, source, period_type, "
        "freshness, formula, note, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) "
        "ON CONFLICT(id) DO UPDATE SET name=excluded.name, uom=excluded.uom, "
        "direction=excluded.direction, aggregation=excluded.aggregation, source=excluded.source, "
        "period_type=excluded.period_type, freshness=excluded.freshness, "
        "formula=excluded.formula, note=excluded.note, updated_at=excluded.updated_at",
        e);
    if (!st)
        return DH_E_DB;
    bind_id(st, 1, r->id);
    bind_text(st, 2, r->code);
    bind_text(st, 3, r->name);
    bind_text(st, 4, r->uom);
    bind_text(st, 5, r->direction);
    bind_text(st, 6, r->aggregation);
    bind_text(st, 7, r->source);
    bind_text(st, 8, r->period_type);
    bind_text(st, 9, r->freshness);
    bind_text(st, 10, r->formula);
    bind_text(st, 11, r->note);
    sqlite3_bind_int64(st, 12, (sqlite3_int64)r->created_at);
    sqlite3_bind_int64(st, 13, (sqlite3_int64)r->updated_at);
    return run_save(c, st, "save indicator", r->id, id, e);
}

static dh_status sq_load_indicators(dh_conn *c, dh_indicator_cb cb, void *closure, dh_err *e)
{
    sqlite3_stmt *st = stmt(c,
                            "SELECT id, code, name, uom, direction, aggregation, source, "
                            "period_type, freshness, formula, note, created_at, updated_at "
                            "FROM indicators ORDER BY code",
                            e);
    if (!st)
        return DH_E_DB;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        dh_indicator_row r = {sqlite3_column_int64(st, 0), col_text(st, 1), col_text(st, 2),
                              col_text(st, 3), col_text(st, 4), col_text(st, 5),
                              col_text(st, 6), col_text(st, 7), col_text(st, 8),
                              col_text(st, 9), col_text(st, 10), col_time(st, 11),
                              col_time(st, 12)};
        if (cb(closure, &r))
            break;
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? DH_OK : db_error(c, e, "read indicators");
}

static dh_status sq_find_ireceipt(dh_conn *c, const char *source, const char *ext_id,
                                  dh_code_cb cb, void *closure, dh_err *e)
{
    sqlite3_stmt *st =
        stmt(c, "SELECT content FROM indicator_receipts WHERE source = ? AND ext_id = ?", e);
    if (!st)
        return DH_E_DB;
    bind_text(st, 1, source);
    bind_text(st, 2, ext_id);
    int rc = sqlite3_step(st);
    dh_status s = DH_OK;
    if (rc == SQLITE_ROW)
        cb(closure, col_text(st, 0));
    else if (rc == SQLITE_DONE)
        s = DH_E_NOTFOUND;
    else
        s = db_error(c, e, "find receipt");
    sqlite3_reset(st);
    return s;
}

#define IVALUE_COLS                                                                              \
    "indicator_id, unit, period_from, period_to, value, numerator, denominator, source, "     \
    "ext_id, at, received_at, updated_at, entered_by"

static dh_ivalue_row ivalue_of(sqlite3_stmt *st)
{
    dh_ivalue_row r = {sqlite3_column_int64(st, 0), col_text(st, 1),
                       (dh_date)sqlite3_column_int(st, 2), (dh_date)sqlite3_column_int(st, 3),
                       sqlite3_column_double(st, 4), sqlite3_column_type(st, 5) != SQLITE_NULL,
                       sqlite3_column_double(st, 5), sqlite3_column_double(st, 6),
                       col_text(st, 7), col_text(st, 8), col_time(st, 9), col_time(st, 10),
                       col_time(st, 11), col_text(st, 12)};
    return r;
}

static dh_status ivalue_rows(dh_conn *c, sqlite3_stmt *st, dh_ivalue_cb cb, void *closure,
                             bool *any, dh_err *e)
{
    int rc;
    *any = false;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        dh_ivalue_row r = ivalue_of(st);
        *any = true;
        if (cb(closure, &r))
            break;
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? DH_OK : db_error(c, e, "read values");
}

static dh_status sq_add_ireceipt(dh_conn *c, const char *source, const char *ext_id,
                                 const char *content, dh_code_cb cb, void *closure, dh_err *e)
{
    sqlite3_stmt *st = stmt(c,
                            "INSERT INTO indicator_receipts(source, ext_id, content) VALUES "
                            "(?,?,?) ON CONFLICT DO NOTHING",
                            e);
    if (!st)
        return DH_E_DB;
    bind_text(st, 1, source);
    bind_text(st, 2, ext_id);
    bind_text(st, 3, content);
    dh_status s = run(c, st, "save receipt", e);
    if (s || sqlite3_changes(c->db) > 0)
        return s;
    s = sq_find_ireceipt(c, source, ext_id, cb, closure, e);
    return s ? s : DH_E_CONFLICT;
}

/* The two small tables that stand in for a series index (migration 008):
 * the indicator's periods and the unit's latest period and receipt. */
static dh_status keep_ivalue_summaries(dh_conn *c, const dh_ivalue_row *r, dh_err *e)
{
    sqlite3_stmt *st = stmt(c,
                            "INSERT INTO indicator_periods(indicator_id, period_from, period_to) "
                            "VALUES (?1,?2,?3) ON CONFLICT DO UPDATE SET period_to = "
                            "excluded.period_to WHERE excluded.period_to > period_to",
                            e);
    if (!st)
        return DH_E_DB;
    sqlite3_bind_int64(st, 1, r->indicator_id);
    sqlite3_bind_int(st, 2, r->period_from);
    sqlite3_bind_int(st, 3, r->period_to);
    dh_status s = run(c, st, "save value period", e);
    if (s)
        return s;
    st = stmt(c,
              "INSERT INTO indicator_latest(indicator_id, unit, period_from, period_to, "
              "received_at) VALUES (?1,?2,?3,?4,?5) ON CONFLICT DO UPDATE SET period_from = "
              "max(period_from, excluded.period_from), period_to = max(period_to, "
              "excluded.period_to), received_at = max(received_at, excluded.received_at)",
              e);
    if (!st)
        return DH_E_DB;
    sqlite3_bind_int64(st, 1, r->indicator_id);
    bind_text(st, 2, r->unit);
    sqlite3_bind_int(st, 3, r->period_from);
    sqlite3_bind_int(st, 4, r->period_to);
    sqlite3_bind_int64(st, 5,
                       (sqlite3_int64)(r->updated_at > r->received_at ? r->updated_at
                                                                      : r->received_at));
    return run(c, st, "save latest value", e);
}

/* A replacement ended earlier than the value it replaced (the indicator's
 * period type changed): the maxima kept may have been the old end, so
 * both rows are worked out again from the values. */
static dh_status shrink_ivalue_summaries(dh_conn *c, const dh_ivalue_row *r, dh_err *e)
{
    sqlite3_stmt *st = stmt(c,
                            "UPDATE indicator_periods SET period_to = (SELECT max(period_to) FROM "
                            "indicator_values WHERE indicator_id = ?1 AND period_from = ?2) "
                            "WHERE indicator_id = ?1 AND period_from = ?2",
                            e);
    if (!st)
        return DH_E_DB;
    sqlite3_bind_int64(st, 1, r->indicator_id);
    sqlite3_bind_int(st, 2, r->period_from);
    dh_status s = run(c, st, "correct value period", e);
    if (s)
        return s;
    st = stmt(c,
              "UPDATE indicator_latest SET (period_from, period_to) = (SELECT max(v.period_from), "
              "max(v.period_to) FROM indicator_periods p CROSS JOIN indicator_values v WHERE "
              "p.indicator_id = ?1 AND v.indicator_id = ?1 AND v.period_from = p.period_from AND "
              "v.unit = ?2) WHERE indicator_id = ?1 AND unit = ?2",
              e);
    if (!st)
        return DH_E_DB;
    sqlite3_bind_int64(st, 1, r->indicator_id);
    bind_text(st, 2, r->unit);
    return run(c, st, "correct latest value", e);
}

/* One statement for a new value; a value already there for the key is
 * read, kept in the history and replaced (its received_at stays). */
static dh_status sq_put_ivalue(dh_conn *c, const dh_ivalue_row *r, dh_ivalue_cb replaced,
                               void *closure, dh_err *e)
{
    sqlite3_stmt *st = stmt(c,
                            "INSERT INTO indicator_values(" IVALUE_COLS
                            ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING",
                            e);
    if (!st)
        return DH_E_DB;
    sqlite3_bind_int64(st, 1, r->indicator_id);
    bind_text(st, 2, r->unit);
    sqlite3_bind_int(st, 3, r->period_from);
    sqlite3_bind_int(st, 4, r->period_to);
    sqlite3_bind_double(st, 5, r->value);
    if (r->has_nd) {
        sqlite3_bind_double(st, 6, r->numerator);
        sqlite3_bind_double(st, 7, r->denominator);
    }
    bind_text(st, 8, r->source);
    bind_text(st, 9, r->ext_id);
    bind_time(st, 10, r->at);
    sqlite3_bind_int64(st, 11, (sqlite3_int64)r->received_at);
    sqlite3_bind_int64(st, 12, (sqlite3_int64)r->updated_at);
    bind_text(st, 13, r->entered_by);
    dh_status s = run(c, st, "save value", e);
    if (s)
        return s;
    if (sqlite3_changes(c->db) > 0)
        return keep_ivalue_summaries(c, r, e);
    sqlite3_stmt *q = stmt(c,
                           "SELECT " IVALUE_COLS " FROM indicator_values WHERE indicator_id = ? "
                           "AND unit = ? AND period_from = ?",
                           e);
    if (!q)
        return DH_E_DB;
    sqlite3_bind_int64(q, 1, r->indicator_id);
    bind_text(q, 2, r->unit);
    sqlite3_bind_int(q, 3, r->period_from);
    if (sqlite3_step(q) != SQLITE_ROW) {
        s = db_error(c, e, "read replaced value");
        sqlite3_reset(q);
        return s;
    }
    dh_ivalue_row old = ivalue_of(q);
    if (replaced)
        replaced(closure, &old);
    st = stmt(c,
              "INSERT INTO indicator_value_history(indicator_id, unit, period_from, "
              "period_to, value, numerator, denominator, source, ext_id, received_at, "
              "replaced_at, replaced_by) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
              e);
    if (!st) {
        sqlite3_reset(q);
        return DH_E_DB;
    }
    sqlite3_bind_int64(st, 1, old.indicator_id);
    bind_text(st, 2, old.unit);
    sqlite3_bind_int(st, 3, old.period_from);
    sqlite3_bind_int(st, 4, old.period_to);
    sqlite3_bind_double(st, 5, old.value);
    if (old.has_nd) {
        sqlite3_bind_double(st, 6, old.numerator);
        sqlite3_bind_double(st, 7, old.denominator);
    }
    bind_text(st, 8, old.source);
    bind_text(st, 9, old.ext_id);
    sqlite3_bind_int64(st, 10, (sqlite3_int64)old.received_at);
    sqlite3_bind_int64(st, 11, (sqlite3_int64)r->updated_at);
    bind_text(st, 12, r->entered_by);
    s = run(c, st, "keep value history", e);
    sqlite3_reset(q);
    if (s)
        return s;
    st = stmt(c,
              "UPDATE indicator_values SET period_to = ?4, value = ?5, numerator = ?6, "
              "denominator = ?7, source = ?8, ext_id = ?9, at = ?10, updated_at = ?12, "
              "entered_by = ?13 WHERE indicator_id = ?1 AND unit = ?2 AND period_from = ?3",
              e);
    if (!st)
        return DH_E_DB;
    sqlite3_bind_int64(st, 1, r->indicator_id);
    bind_text(st, 2, r->unit);
    sqlite3_bind_int(st, 3, r->period_from);
    sqlite3_bind_int(st, 4, r->period_to);
    sqlite3_bind_double(st, 5, r->value);
    if (r->has_nd) {
        sqlite3_bind_double(st, 6, r->numerator);
        sqlite3_bind_double(st, 7, r->denominator);
    }
    bind_text(st, 8, r->source);
    bind_text(st, 9, r->ext_id);
    bind_time(st, 10, r->at);
    sqlite3_bind_int64(st, 12, (sqlite3_int64)r->updated_at);
    bind_text(st, 13, r->entered_by);
    s = run(c, st, "replace value", e);
    if (s == DH_OK)
        s = keep_ivalue_summaries(c, r, e);
    if (s == DH_OK && old.period_to > r->period_to)
        s = shrink_ivalue_summaries(c, r, e);
    return s;
}

static dh_status sq_list_ivalues(dh_conn *c, const dh_ivalue_filter *f, dh_ivalue_cb cb,
                                 void *closure, dh_err *e)
{
    /* One text per combination of the filters given: "?1 = 0 OR ..." would
     * keep the planner from the keys (a scan of every value). Given units,
     * the indicator's periods (indicator_periods, a few rows) are walked and
     * each unit is a primary-key seek (indicator, period, unit) in each: a
     * unit's series costs a seek per period, with no index to keep on the
     * write path (migration 008). */
#define IV_PERIODS " AND (?3 IS NULL OR period_to >= ?3) AND (?4 IS NULL OR period_from <= ?4)"
#define IV_ALL(ind, order)                                                                       \
    "SELECT " IVALUE_COLS " FROM indicator_values WHERE " ind IV_PERIODS " ORDER BY " order     \
    " LIMIT ?5 OFFSET ?6"
#define IV_UNITS(ind, order)                                                                     \
    "SELECT v.indicator_id, v.unit, v.period_from, v.period_to, v.value, v.numerator, "         \
    "v.denominator, v.source, v.ext_id, v.at, v.received_at, v.updated_at, v.entered_by "       \
    "FROM indicator_periods p CROSS JOIN indicator_values v WHERE " ind                          \
    " AND (?3 IS NULL OR p.period_to >= ?3) AND (?4 IS NULL OR p.period_from <= ?4) AND "        \
    "v.indicator_id = p.indicator_id AND v.period_from = p.period_from AND v.unit IN (SELECT "  \
    "value FROM json_each(?2)) AND (?3 IS NULL OR v.period_to >= ?3) ORDER BY " order           \
    " LIMIT ?5 OFFSET ?6"
#define IV_BY_KEY "indicator_id, unit, period_from"
#define IV_BY_PERIOD "period_from, unit"
#define IV_V_BY_KEY "v.indicator_id, v.unit, v.period_from"
#define IV_V_BY_PERIOD "v.period_from, v.unit"
    static const char *const texts[2][4] = {
        {IV_ALL("(?1 = 0 OR indicator_id = ?1)", IV_BY_KEY), IV_ALL("indicator_id = ?1", IV_BY_KEY),
         IV_UNITS("(?1 = 0 OR p.indicator_id = ?1)", IV_V_BY_KEY),
         IV_UNITS("p.indicator_id = ?1", IV_V_BY_KEY)},
        {IV_ALL("(?1 = 0 OR indicator_id = ?1)", IV_BY_PERIOD),
         IV_ALL("indicator_id = ?1", IV_BY_PERIOD),
         IV_UNITS("(?1 = 0 OR p.indicator_id = ?1)", IV_V_BY_PERIOD),
         IV_UNITS("p.indicator_id = ?1", IV_V_BY_PERIOD)}};
#undef IV_PERIODS
#undef IV_ALL
#undef IV_UNITS
    int variant = (f->units_json ? 2 : 0) + (f->indicator_id ? 1 : 0);
    sqlite3_stmt *st = stmt(c, texts[f->by_period][variant], e);
    if (!st)
        return DH_E_DB;
    sqlite3_bind_int64(st, 1, f->indicator_id);
    bind_text(st, 2, f->units_json);
    if (f->from != DH_DATE_NONE)
        sqlite3_bind_int(st, 3, f->from);
    if (f->to != DH_DATE_NONE)
        sqlite3_bind_int(st, 4, f->to);
    sqlite3_bind_int64(st, 5, f->limit > 0 ? f->limit : -1);
    sqlite3_bind_int64(st, 6, f->offset);
    bool any;
    return ivalue_rows(c, st, cb, closure, &any, e);
}

static dh_status sq_put_target(dh_conn *c, const dh_target_row *r, int64_t *id, dh_err *e)
{
    sqlite3_stmt *st = stmt(
        c,
        "INSERT INTO targets(id, indicator_id, unit, value, due, milestones, split_of, plan, "
        "task_id, task_ref, name, note, ext_key, series, dirty, created_at, updated_at) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,1,?,?) ON CONFLICT(id) DO UPDATE SET "
        "indicator_id=excluded.indicator_id, unit=excluded.unit, value=excluded.value, "
        "due=excluded.due, milestones=excluded.milestones, split_of=excluded.split_of, "
        "plan=excluded.plan, task_id=excluded.task_id, task_ref=excluded.task_ref, "
        "name=excluded.name, note=excluded.note, dirty=1, updated_at=excluded.updated_at",
        e);
    if (!st)
        return DH_E_DB;
    bind_id(st, 1, r->id);
    sqlite3_bind_int64(st, 2, r->indicator_id);
    bind_text(st, 3, r->unit);
    sqlite3_bind_double(st, 4, r->value);
    bind_date(st, 5, r->due);
    bind_text(st, 6, r->milestones_json ? r->milestones_json : "[]");
    bind_id(st, 7, r->split_of);
    bind_text(st, 8, r->plan ? r->plan : "");
    bind_id(st, 9, r->task_id);
    bind_text(st, 10, r->task_ref ? r->task_ref : "");
    bind_text(st, 11, r->name ? r->name : "");
    bind_text(st, 12, r->note ? r->note : "");
    bind_text(st, 13, r->ext_key);
    bind_text(st, 14, r->series_json ? r->series_json : "[]");
    sqlite3_bind_int64(st, 15, (sqlite3_int64)r->created_at);
    sqlite3_bind_int64(st, 16, (sqlite3_int64)r->updated_at);
    return run_save(c, st, "save target", r->id, id, e);
}

#define TARGET_COLS                                                                              \
    "id, indicator_id, unit, value, due, milestones, split_of, plan, task_id, task_ref, name, " \
    "note, ext_key, series, dirty OR EXISTS (SELECT 1 FROM target_marks m WHERE "            \
    "m.indicator_id = targets.indicator_id AND m.unit = targets.unit), status, eval, since, "   \
    "eval_day, created_at, updated_at"

static dh_status target_rows(dh_conn *c, sqlite3_stmt *st, dh_target_cb cb, void *closure,
                             dh_err *e)
{
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        dh_target_row r = {sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
                           col_text(st, 2), sqlite3_column_double(st, 3), col_date(st, 4),
                           col_text(st, 5), sqlite3_column_int64(st, 6), col_text(st, 7),
                           sqlite3_column_int64(st, 8), col_text(st, 9), col_text(st, 10),
                           col_text(st, 11), col_text_or_null(st, 12), col_text(st, 13),
                           sqlite3_column_int(st, 14) != 0, col_text(st, 15), col_text(st, 16),
                           col_date(st, 17),
                           sqlite3_column_type(st, 18) == SQLITE_NULL
                               ? DH_DATE_NONE
                               : (dh_date)sqlite3_column_int(st, 18),
                           col_time(st, 19), col_time(st, 20)};
        if (cb(closure, &r))
            break;
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? DH_OK : db_error(c, e, "read targets");
}

static dh_status sq_set_target_eval(dh_conn *c, int64_t id, const char *status, dh_date since,
                                    const char *eval_json, dh_date day, dh_err *e)
{
    sqlite3_stmt *st = stmt(
        c, "UPDATE targets SET status = ?, since = ?, eval = ?, eval_day = ? WHERE id = ?", e);
    if (!st)
        return DH_E_DB;
    bind_text(st, 1, status);
    bind_date(st, 2, since);
    bind_text(st, 3, eval_json);
    sqlite3_bind_int(st, 4, day);
    sqlite3_bind_int64(st, 5, id);
    return run(c, st, "save target status", e);
}

static dh_status sq_list_targets(dh_conn *c, const dh_target_filter *f, dh_target_cb cb,
                                 void *closure, dh_err *e)
{
    sqlite3_stmt *st = stmt(
        c,
        "SELECT " TARGET_COLS " FROM targets WHERE (?1 IS NULL OR unit IN (SELECT value FROM "
        "json_each(?1))) AND (?2 = 0 OR indicator_id = ?2) AND (?3 IS NULL OR status = ?3) "
        "ORDER BY CASE status WHEN 'off_track' THEN 0 WHEN 'at_risk' THEN 1 WHEN 'on_track' "
        "THEN 2 ELSE 3 END, id LIMIT ?4 OFFSET ?5",
        e);
    if (!st)
        return DH_E_DB;
    bind_text(st, 1, f->units_json);
    sqlite3_bind_int64(st, 2, f->indicator_id);
    bind_text(st, 3, f->status);
    sqlite3_bind_int64(st, 4, f->limit > 0 ? f->limit : -1);
    sqlite3_bind_int64(st, 5, f->offset);
    return target_rows(c, st, cb, closure, e);
}

static dh_status sq_count_targets(dh_conn *c, const dh_target_filter *f, dh_count_cb cb,
                                  void *closure, dh_err *e)
{
    sqlite3_stmt *st = stmt(c,
                            "SELECT status, count(*) FROM targets WHERE (?1 IS NULL OR unit IN "
                            "(SELECT value FROM json_each(?1))) AND (?2 = 0 OR indicator_id = ?2) "
                            "GROUP BY status",
                            e);
    if (!st)
        return DH_E_DB;
    bind_text(st, 1, f->units_json);
    sqlite3_bind_int64(st, 2, f->indicator_id);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        if (cb(closure, col_text(st, 0), sqlite3_column_int64(st, 1)))
            break;
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? DH_OK : db_error(c, e, "count targets");
}

static dh_status sq_set_target_series(dh_conn *c, int64_t id, const char *series_json, dh_err *e)
{
    /* The series is current: the mark of ingestion goes too (another
     * target of the same key was loaded with it, so it is recomputed). */
    sqlite3_stmt *st = stmt(c,
                            "DELETE FROM target_marks WHERE (indicator_id, unit) = (SELECT "
                            "indicator_id, unit FROM targets WHERE id = ?)",
                            e);
    if (!st)
        return DH_E_DB;
    sqlite3_bind_int64(st, 1, id);
    dh_status s = run(c, st, "clear target mark", e);
    if (s)
        return s;
    st = stmt(c, "UPDATE targets SET series = ?, dirty = 0 WHERE id = ?", e);
    if (!st)
        return DH_E_DB;
    bind_text(st, 1, series_json);
    sqlite3_bind_int64(st, 2, id);
    return run(c, st, "save target series", e);
}

static dh_status sq_list_target_keys(dh_conn *c, dh_target_cb cb, void *closure, dh_err *e)
{
    sqlite3_stmt *st =
        stmt(c, "SELECT id, indicator_id, unit, value, split_of, status FROM targets", e);
    if (!st)
        return DH_E_DB;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        dh_target_row r = {0};
        r.id = sqlite3_column_int64(st, 0);
        r.indicator_id = sqlite3_column_int64(st, 1);
        r.unit = col_text(st, 2);
        r.value = sqlite3_column_double(st, 3);
        r.split_of = sqlite3_column_int64(st, 4);
        r.status = col_text(st, 5);
        r.due = r.since = r.eval_day = DH_DATE_NONE;
        if (cb(closure, &r))
            break;
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? DH_OK : db_error(c, e, "read targets");
}

static dh_status sq_dirty_target_indicators(dh_conn *c, dh_id_cb cb, void *closure, dh_err *e)
{
    sqlite3_stmt *st = stmt(c,
                            "SELECT indicator_id FROM targets WHERE dirty = 1 UNION SELECT "
                            "indicator_id FROM target_marks ORDER BY 1",
                            e);
    if (!st)
        return DH_E_DB;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        if (cb(closure, sqlite3_column_int64(st, 0)))
            break;
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? DH_OK : db_error(c, e, "read dirty targets");
}

static dh_status sq_load_targets_of(dh_conn *c, int64_t indicator_id, const char *key,
                                    dh_target_cb cb, void *closure, dh_err *e)
{
    sqlite3_stmt *st = stmt(c,
                            "SELECT " TARGET_COLS " FROM targets WHERE indicator_id = ?1 OR "
                            "ext_key = ?2 ORDER BY id",
                            e);
    if (!st)
        return DH_E_DB;
    sqlite3_bind_int64(st, 1, indicator_id);
    bind_text(st, 2, key);
    return target_rows(c, st, cb, closure, e);
}

static dh_status sq_get_targets(dh_conn *c, const char *ids_json, dh_target_cb cb, void *closure,
                                dh_err *e)
{
    sqlite3_stmt *st = stmt(c,
                            "SELECT " TARGET_COLS " FROM targets WHERE id IN (SELECT value FROM "
                            "json_each(?1))",
                            e);
    if (!st)
        return DH_E_DB;
    bind_text(st, 1, ids_json);
    return target_rows(c, st, cb, closure, e);
}

static dh_status sq_ivalues_latest(dh_conn *c, int64_t indicator_id, const char *units_json,
                                   dh_date *from, dh_date *to, time_t *received, dh_err *e)
{
    /* indicator_latest: a row per indicator and unit (migration 008) */
#define IV_LATEST "SELECT max(period_from), max(period_to), max(received_at) " \
                  "FROM indicator_latest WHERE indicator_id = ?1"
    sqlite3_stmt *st = stmt(c,
                            units_json ? IV_LATEST " AND unit IN (SELECT value FROM json_each(?2))"
                                       : IV_LATEST,
                            e);
#undef IV_LATEST
    if (!st)
        return DH_E_DB;
    sqlite3_bind_int64(st, 1, indicator_id);
    if (units_json)
        bind_text(st, 2, units_json);
    int rc = sqlite3_step(st);
    dh_status s = DH_OK;
    if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
        *from = (dh_date)sqlite3_column_int(st, 0);
        *to = (dh_date)sqlite3_column_int(st, 1);
        *received = (time_t)sqlite3_column_int64(st, 2);
    } else if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
        s = DH_E_NOTFOUND;
    } else {
        s = db_error(c, e, "read latest values");
    }
    sqlite3_reset(st);
    return s;
}

static dh_status sq_mark_targets_dirty(dh_conn *c, int64_t indicator_id, const char *unit,
                                       dh_err *e)
{
    /* A small row in its own table rather than an UPDATE of the wide target
     * rows (two a page): read with the targets (TARGET_COLS), cleared when
     * the series is saved. */
    sqlite3_stmt *st = stmt(c,
                            "INSERT INTO target_marks(indicator_id, unit) SELECT ?1, ?2 WHERE "
                            "EXISTS (SELECT 1 FROM targets WHERE indicator_id = ?1 AND unit = ?2) "
                            "ON CONFLICT DO NOTHING",
                            e);
    if (!st)
        return DH_E_DB;
    sqlite3_bind_int64(st, 1, indicator_id);
    bind_text(st, 2, unit);
    return run(c, st, "flag targets", e);
}

static dh_status sq_put_obligation(dh_conn *c, const dh_obligation_row *r, int64_t *id,
                                   dh_err *e)
{
    sqlite3_stmt *st = stmt(
        c,
        "INSERT INTO obligations(id, code, name, period_type, due_rule, window_days, approval, "
        "indicators, units, unit_rule, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?) "
        "ON CONFLICT(id) DO UPDATE SET name=excluded.name, period_type=excluded.period_type, "
        "due_rule=excluded.due_rule, window_days=excluded.window_days, "
        "approval=excluded.approval, indicators=excluded.indicators, units=excluded.units, "
        "unit_rule=excluded.unit_rule, updated_at=excluded.updated_at",
        e);
    if (!st)
        return DH_E_DB;
    bind_id(st, 1, r->id);
    bind_text(st, 2, r->code);
    bind_text(st, 3, r->name);
    bind_text(st, 4, r->period_type);
    bind_text(st, 5, r->due_rule);
    if (r->window_days >= 0)
        sqlite3_bind_int(st, 6, r->window_days);
    sqlite3_bind_int(st, 7, r->approval);
    bind_text(st, 8, r->indicators_json);
    bind_text(st, 9, r->units_json);
    bind_text(st, 10, r->unit_rule ? r->unit_rule : "");
    sqlite3_bind_int64(st, 11, (sqlite3_int64)r->created_at);
    sqlite3_bind_int64(st, 12, (sqlite3_int64)r->updated_at);
    return run_save(c, st, "save obligation", r->id, id, e);
}

static dh_status sq_load_obligations(dh_conn *c, dh_obligation_cb cb, void *closure, dh_err *e)
{
    sqlite3_stmt *st = stmt(c,
                            "SELECT id, code, name, period_type, due_rule, window_days, approval, "
                            "indicators, units, unit_rule, created_at, updated_at "
                            "FROM obligations ORDER BY id",
                            e);
    if (!st)
        return DH_E_DB;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        dh_obligation_row r = {sqlite3_column_int64(st, 0),
                               col_text(st, 1),
                               col_text(st, 2),
                               col_text(st, 3),
                               col_text(st, 4),
                               sqlite3_column_type(st, 5) == SQLITE_NULL
                                   ? -1
                                   : sqlite3_column_int(st, 5),
                               sqlite3_column_int(st, 6) != 0,
                               col_text(st, 7),
                               col_text(st, 8),
                               col_text(st, 9),
                               col_time(st, 10),
                               col_time(st, 11)};
        if (cb(closure, &r))
            break;
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? DH_OK : db_error(c, e, "read obligations");
}

static dh_status sq_put_approval(dh_conn *c, const dh_approval_row *r, dh_err *e)
{
    sqlite3_stmt *st = stmt(c,
                            "INSERT INTO obligation_approvals(obligation_id, unit, period_from, "
                            "period_to, approved_by, approved_at) VALUES (?,?,?,?,?,?)",
                            e);
    if (!st)
        return DH_E_DB;
    sqlite3_bind_int64(st, 1, r->obligation_id);
    bind_text(st, 2, r->unit);
    sqlite3_bind_int(st, 3, r->period_from);
    sqlite3_bind_int(st, 4, r->period_to);
    bind_text(st, 5, r->approved_by);
    sqlite3_bind_int64(st, 6, (sqlite3_int64)r->approved_at);
    return run(c, st, "save approval", e);
}

static dh_status sq_load_approvals(dh_conn *c, dh_approval_cb cb, void *closure, dh_err *e)
{
    sqlite3_stmt *st = stmt(c,
                            "SELECT obligation_id, unit, period_from, period_to, approved_by, "
                            "approved_at FROM obligation_approvals",
                            e);
    if (!st)
        return DH_E_DB;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        dh_approval_row r = {sqlite3_column_int64(st, 0), col_text(st, 1),
                             (dh_date)sqlite3_column_int(st, 2),
                             (dh_date)sqlite3_column_int(st, 3), col_text(st, 4),
                             col_time(st, 5)};
        if (cb(closure, &r))
            break;
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? DH_OK : db_error(c, e, "read approvals");
}

/* ---- Aggregates. ---------------------------------------------------------- */

static dh_status sq_agg_key(dh_conn *c, const char *unit, const char *procedure, const char *field,
                            int32_t *id, dh_err *e)
{
    sqlite3_stmt *st = stmt(c,
                            "SELECT id FROM agg_keys WHERE unit = ? AND procedure = ? AND field = ?",
                            e);
    if (!st)
        return DH_E_DB;
    bind_text(st, 1, unit);
    bind_text(st, 2, procedure);
    bind_text(st, 3, field);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *id = (int32_t)sqlite3_column_int64(st, 0);
        sqlite3_reset(st);
        return DH_OK;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return db_error(c, e, "read aggregate keys");
    st = stmt(c, "INSERT INTO agg_keys(unit, procedure, field) VALUES (?, ?, ?)", e);
    if (!st)
        return DH_E_DB;
    bind_text(st, 1, unit);
    bind_text(st, 2, procedure);
    bind_text(st, 3, field);
    dh_status s = run(c, st, "save aggregate key", e);
    if (s == DH_OK)
        *id = (int32_t)sqlite3_last_insert_rowid(c->db);
    return s;
}

static dh_status sq_load_agg_keys(dh_conn *c, int32_t after_id, dh_agg_key_cb cb, void *closure,
                                  dh_err *e)
{
    sqlite3_stmt *st = stmt(
        c, "SELECT id, unit, procedure, field FROM agg_keys WHERE id > ? ORDER BY id", e);
    if (!st)
        return DH_E_DB;
    sqlite3_bind_int64(st, 1, after_id);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        if (cb(closure, (int32_t)sqlite3_column_int64(st, 0), col_text(st, 1), col_text(st, 2),
               col_text(st, 3)))
            break;
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? DH_OK : db_error(c, e, "read aggregate keys");
}

static dh_status sq_agg_add(dh_conn *c, int32_t key, int32_t day, const dh_kcell *delta,
                            int64_t rev, dh_err *e)
{
    sqlite3_stmt *st = stmt(c, "SELECT cell FROM agg_days WHERE key = ? AND day = ?", e);
    if (!st)
        return DH_E_DB;
    sqlite3_bind_int64(st, 1, key);
    sqlite3_bind_int64(st, 2, day);
    dh_kcell cell = {0};
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW &&
        dh_kcell_unpack(sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0), &cell)) {
        sqlite3_reset(st);
        return dh_err_set(e, DH_E_INTERNAL, "corrupt_cell", NULL, "aggregate cell %d/%d", key,
                          day);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return db_error(c, e, "read aggregate cell");
    dh_kcell_add(&cell, delta, 1);
    unsigned char blob[DH_KCELL_BLOB];
    dh_kcell_pack(&cell, blob);
    st = stmt(c, "INSERT OR REPLACE INTO agg_days(key, day, cell, rev) VALUES (?, ?, ?, ?)", e);
    if (!st)
        return DH_E_DB;
    sqlite3_bind_int64(st, 1, key);
    sqlite3_bind_int64(st, 2, day);
    sqlite3_bind_blob(st, 3, blob, sizeof blob, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 4, rev);
    return run(c, st, "save aggregate cell", e);
}

static dh_status sq_load_agg_cells(dh_conn *c, int64_t after_rev, dh_agg_cell_cb cb,
                                   void *closure, dh_err *e)
{
    sqlite3_stmt *st = stmt(
        c, "SELECT key, day, cell, rev FROM agg_days WHERE rev > ? ORDER BY rev, key, day", e);
    if (!st)
        return DH_E_DB;
    sqlite3_bind_int64(st, 1, after_rev);
    int rc;
    dh_status s = DH_OK;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        dh_kcell cell;
        if (dh_kcell_unpack(sqlite3_column_blob(st, 2), (size_t)sqlite3_column_bytes(st, 2),
                            &cell)) {
            s = dh_err_set(e, DH_E_INTERNAL, "corrupt_cell", NULL, "aggregate cell");
            break;
        }
        if (cb(closure, (int32_t)sqlite3_column_int64(st, 0), (int32_t)sqlite3_column_int64(st, 1),
               &cell, sqlite3_column_int64(st, 3)))
            break;
    }
    sqlite3_reset(st);
    if (s)
        return s;
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? DH_OK : db_error(c, e, "read aggregate cells");
}

static dh_status sq_agg_reset(dh_conn *c, dh_err *e)
{
    sqlite3_stmt *st = stmt(c, "DELETE FROM agg_days", e);
    if (!st || run(c, st, "clear aggregates", e))
        return DH_E_DB;
    st = stmt(c, "UPDATE dossiers SET fact = NULL WHERE fact IS NOT NULL", e);
    if (!st)
        return DH_E_DB;
    return run(c, st, "clear facts", e);
}

static dh_status sq_get_fact(dh_conn *c, const char *code, dh_dfact *f, bool *found, dh_err *e)
{
    sqlite3_stmt *st = stmt(c, "SELECT fact FROM dossiers WHERE code = ?", e);
    if (!st)
        return DH_E_DB;
    bind_text(st, 1, code);
    *found = false;
    int rc = sqlite3_step(st);
    dh_status s = DH_OK;
    if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_BLOB) {
        if (dh_dfact_unpack(sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0), f))
            s = dh_err_set(e, DH_E_INTERNAL, "corrupt_fact", NULL, "dossier %s", code);
        else
            *found = true;
    }
    sqlite3_reset(st);
    if (s)
        return s;
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? DH_OK : db_error(c, e, "read dossier fact");
}

static dh_status sq_list_dossier_codes(dh_conn *c, dh_code_cb cb, void *closure, dh_err *e)
{
    sqlite3_stmt *st = stmt(c, "SELECT code FROM dossiers ORDER BY code", e);
    if (!st)
        return DH_E_DB;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        if (cb(closure, col_text(st, 0)))
            break;
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? DH_OK : db_error(c, e, "read dossier codes");
}

/* ---- The Decision 766 index. ---------------------------------------------- */

static dh_status sq_load_i766_config(dh_conn *c, dh_date d, dh_i766_cb cb, void *closure,
                                     dh_err *e)
{
    sqlite3_stmt *st = stmt(
        c,
        "SELECT version, valid_from, ord, group_code, group_name, code, name, max_points, "
        "threshold, formula FROM index766_config WHERE ?1 IS NULL OR valid_from = "
        "(SELECT MAX(valid_from) FROM index766_config WHERE valid_from <= ?1) "
        "ORDER BY valid_from, ord",
        e);
    if (!st)
        return DH_E_DB;
    if (d == DH_DATE_NONE)
        sqlite3_bind_null(st, 1);
    else
        bind_date(st, 1, d);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        dh_i766_row r = {col_text(st, 0),
                         col_date(st, 1),
                         sqlite3_column_int(st, 2),
                         col_text(st, 3),
                         col_text(st, 4),
                         col_text(st, 5),
                         col_text(st, 6),
                         sqlite3_column_double(st, 7),
                         sqlite3_column_type(st, 8) == SQLITE_NULL ? 0 : sqlite3_column_double(st, 8),
                         col_text(st, 9)};
        if (cb(closure, &r))
            break;
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? DH_OK : db_error(c, e, "read index config");
}

static dh_status sq_put_i766_config(dh_conn *c, const dh_i766_row *r, dh_err *e)
{
    sqlite3_stmt *st = stmt(c,
                            "INSERT INTO index766_config(version, valid_from, ord, group_code, "
                            "group_name, code, name, max_points, threshold, formula) "
                            "VALUES (?,?,?,?,?,?,?,?,?,?)",
                            e);
    if (!st)
        return DH_E_DB;
    bind_text(st, 1, r->version);
    bind_date(st, 2, r->valid_from);
    sqlite3_bind_int(st, 3, r->ord);
    bind_text(st, 4, r->group_code);
    bind_text(st, 5, r->group_name);
    bind_text(st, 6, r->code);
    bind_text(st, 7, r->name);
    sqlite3_bind_double(st, 8, r->max_points);
    if (r->threshold > 0)
        sqlite3_bind_double(st, 9, r->threshold);
    else
        sqlite3_bind_null(st, 9);
    bind_text(st, 10, r->formula);
    return run(c, st, "save index config", e);
}

static dh_status sq_load_i766_manual(dh_conn *c, const char *unit, dh_date from, dh_date to,
                                     dh_i766_manual_cb cb, void *closure, dh_err *e)
{
    sqlite3_stmt *st = stmt(c,
                            "SELECT code, value, note, entered_by FROM index766_manual "
                            "WHERE unit = ? AND date_from = ? AND date_to = ? ORDER BY code",
                            e);
    if (!st)
        return DH_E_DB;
    bind_text(st, 1, unit);
    bind_date(st, 2, from);
    bind_date(st, 3, to);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        if (cb(closure, col_text(st, 0), sqlite3_column_double(st, 1), col_text(st, 2),
               col_text(st, 3)))
            break;
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? DH_OK : db_error(c, e, "read index values");
}

static dh_status sq_put_i766_manual(dh_conn *c, const char *unit, dh_date from, dh_date to,
                                    const char *code, double value, const char *note,
                                    const char *entered_by, time_t at, dh_err *e)
{
    sqlite3_stmt *st = stmt(c,
                            "INSERT OR REPLACE INTO index766_manual(unit, date_from, date_to, "
                            "code, value, note, entered_by, entered_at) VALUES (?,?,?,?,?,?,?,?)",
                            e);
    if (!st)
        return DH_E_DB;
    bind_text(st, 1, unit);
    bind_date(st, 2, from);
    bind_date(st, 3, to);
    bind_text(st, 4, code);
    sqlite3_bind_double(st, 5, value);
    bind_text(st, 6, note ? note : "");
    bind_text(st, 7, entered_by);
    sqlite3_bind_int64(st, 8, (sqlite3_int64)at);
    return run(c, st, "save index value", e);
}

/* ---- Plans, tasks, progress, inbox (issue 7). ------------------------------ */

static dh_status sq_put_file(dh_conn *c, const dh_file_row *r, int64_t *id, dh_err *e)
{
    sqlite3_stmt *st = stmt(c,
                            "INSERT INTO files(name, type, size, sha256, data, unit, uploaded_by, "
                            "created_at, id) VALUES (?,?,?,?,?,?,?,?,NULLIF(?9, 0))",
                            e);
    if (!st)
        return DH_E_DB;
    bind_text(st, 1, r->name);
    bind_text(st, 2, r->type);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)r->size);
    bind_text(st, 4, r->sha256);
    sqlite3_bind_blob64(st, 5, r->data, (sqlite3_uint64)r->size, SQLITE_STATIC);
    bind_text(st, 6, r->unit);
    bind_text(st, 7, r->uploaded_by);
    sqlite3_bind_int64(st, 8, (sqlite3_int64)r->created_at);
    sqlite3_bind_int64(st, 9, r->id);
    dh_status s = run(c, st, "save file", e);
    sqlite3_bind_null(st, 5); /* the bytes are the caller's */
    if (s == DH_OK)
        *id = r->id ? r->id : sqlite3_last_insert_rowid(c->db);
    return s;
}

static dh_status sq_get_file(dh_conn *c, int64_t id, bool with_data, dh_file_cb cb,
                             void *closure, dh_err *e)
{
    sqlite3_stmt *st = stmt(c,
                            "SELECT id, name, type, sha256, unit, uploaded_by, size, created_at, "
                            "CASE WHEN ?2 THEN data END FROM files WHERE id = ?1",
                            e);
    if (!st)
        return DH_E_DB;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int(st, 2, with_data);
    int rc = sqlite3_step(st);
    dh_status s = DH_OK;
    if (rc == SQLITE_ROW) {
        dh_file_row r = {sqlite3_column_int64(st, 0), col_text(st, 1), col_text(st, 2),
                         col_text(st, 3), col_text(st, 4), col_text(st, 5),
                         with_data ? sqlite3_column_blob(st, 8) : NULL,
                         (size_t)sqlite3_column_int64(st, 6), col_time(st, 7)};
        cb(closure, &r);
    } else if (rc == SQLITE_DONE) {
        s = dh_err_set(e, DH_E_NOTFOUND, "unknown_file", NULL, "file %lld does not exist",
                       (long long)id);
    } else {
        s = db_error(c, e, "read file");
    }
    sqlite3_reset(st);
    return s;
}

static dh_status sq_put_plan(dh_conn *c, const dh_plan_row *r, int64_t *id, dh_err *e)
{
    sqlite3_stmt *st = stmt(
        c,
        "INSERT INTO plans(id, key, number, type, date, issuer, title, period_from, period_to, "
        "status, parents, cites, document_id, note, created_at, updated_at) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET "
        "key=excluded.key, number=excluded.number, type=excluded.type, date=excluded.date, "
        "issuer=excluded.issuer, title=excluded.title, period_from=excluded.period_from, "
        "period_to=excluded.period_to, status=excluded.status, parents=excluded.parents, "
        "cites=excluded.cites, document_id=excluded.document_id, note=excluded.note, "
        "updated_at=excluded.updated_at",
        e);
    if (!st)
        return DH_E_DB;
    bind_id(st, 1, r->id);
    bind_text(st, 2, r->key);
    bind_text(st, 3, r->number);
    bind_text(st, 4, r->type);
    bind_date(st, 5, r->date);
    bind_text(st, 6, r->issuer);
    bind_text(st, 7, r->title);
    bind_date(st, 8, r->period_from);
    bind_date(st, 9, r->period_to);
    bind_text(st, 10, r->status);
    bind_text(st, 11, r->parents_json);
    bind_text(st, 12, r->cites_json);
    bind_id(st, 13, r->document_id);
    bind_text(st, 14, r->note);
    sqlite3_bind_int64(st, 15, (sqlite3_int64)r->created_at);
    sqlite3_bind_int64(st, 16, (sqlite3_int64)r->updated_at);
    return run_save(c, st, "save plan", r->id, id, e);
}

static dh_status sq_load_plans(dh_conn *c, dh_plan_cb cb, void *closure, dh_err *e)
{
    sqlite3_stmt *st = stmt(c,
                            "SELECT id, key, number, type, date, issuer, title, period_from, "
                            "period_to, status, parents, cites, document_id, note, created_at, "
                            "updated_at FROM plans ORDER BY id",
                            e);
    if (!st)
        return DH_E_DB;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        dh_plan_row r = {sqlite3_column_int64(st, 0), col_text(st, 1), col_text(st, 2),
                         col_text(st, 3), col_date(st, 4), col_text(st, 5), col_text(st, 6),
                         col_date(st, 7), col_date(st, 8), col_text(st, 9), col_text(st, 10),
                         col_text(st, 11), sqlite3_column_int64(st, 12), col_text(st, 13),
                         col_time(st, 14), col_time(st, 15)};
        if (cb(closure, &r))
            break;
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? DH_OK : db_error(c, e, "read plans");
}

static dh_status sq_put_task(dh_conn *c, const dh_task_row *r, int64_t *id, dh_err *e)
{
    sqlite3_stmt *st = stmt(
        c,
        "INSERT INTO tasks(id, plan_id, kind, ordinal, grp, content, lead, coord, lead_text, "
        "coord_text, result, deadline, start, due, needs_review, roadmap, milestones, "
        "parent_task_id, target_value, target_uom, note, source, report_every, report_day, "
        "created_by, created_at, updated_at) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) "
        "ON CONFLICT(id) DO UPDATE SET plan_id=excluded.plan_id, kind=excluded.kind, "
        "ordinal=excluded.ordinal, grp=excluded.grp, content=excluded.content, "
        "lead=excluded.lead, coord=excluded.coord, lead_text=excluded.lead_text, "
        "coord_text=excluded.coord_text, result=excluded.result, deadline=excluded.deadline, "
        "start=excluded.start, due=excluded.due, needs_review=excluded.needs_review, "
        "roadmap=excluded.roadmap, milestones=excluded.milestones, "
        "parent_task_id=excluded.parent_task_id, target_value=excluded.target_value, "
        "target_uom=excluded.target_uom, note=excluded.note, source=excluded.source, "
        "report_every=excluded.report_every, report_day=excluded.report_day, "
        "updated_at=excluded.updated_at",
        e);
    if (!st)
        return DH_E_DB;
    bind_id(st, 1, r->id);
    bind_id(st, 2, r->plan_id);
    const char *texts[] = {r->kind,    r->ordinal,  r->grp,        r->content,
                           r->lead_json, r->coord_json, r->lead_text, r->coord_text,
                           r->result,  r->deadline};
    for (int i = 0; i < 10; i++)
        bind_text(st, 3 + i, texts[i] ? texts[i] : "");
    bind_date(st, 13, r->start);
    bind_date(st, 14, r->due);
    sqlite3_bind_int(st, 15, r->needs_review);
    bind_text(st, 16, r->roadmap ? r->roadmap : "");
    bind_text(st, 17, r->milestones_json ? r->milestones_json : "[]");
    bind_id(st, 18, r->parent_task_id);
    if (r->has_target)
        sqlite3_bind_double(st, 19, r->target_value);
    else
        sqlite3_bind_null(st, 19);
    bind_text(st, 20, r->target_uom ? r->target_uom : "");
    bind_text(st, 21, r->note ? r->note : "");
    bind_text(st, 22, r->source_json ? r->source_json : "");
    bind_text(st, 23, r->report_every ? r->report_every : "monthly");
    sqlite3_bind_int(st, 24, r->report_day);
    bind_text(st, 25, r->created_by ? r->created_by : "");
    sqlite3_bind_int64(st, 26, (sqlite3_int64)r->created_at);
    sqlite3_bind_int64(st, 27, (sqlite3_int64)r->updated_at);
    return run_save(c, st, "save task", r->id, id, e);
}

static dh_status sq_load_tasks(dh_conn *c, dh_task_cb cb, void *closure, dh_err *e)
{
    sqlite3_stmt *st = stmt(
        c,
        "SELECT id, plan_id, kind, ordinal, grp, content, lead, coord, lead_text, coord_text, "
        "result, deadline, start, due, needs_review, roadmap, milestones, parent_task_id, "
        "target_value, target_uom, note, source, report_every, report_day, created_by, "
        "created_at, updated_at FROM tasks ORDER BY id",
        e);
    if (!st)
        return DH_E_DB;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        dh_task_row r = {0};
        r.id = sqlite3_column_int64(st, 0);
        r.plan_id = sqlite3_column_int64(st, 1);
        const char **texts[] = {&r.kind,      &r.ordinal,    &r.grp,       &r.content,
                                &r.lead_json, &r.coord_json, &r.lead_text, &r.coord_text,
                                &r.result,    &r.deadline};
        for (int i = 0; i < 10; i++)
            *texts[i] = col_text(st, 2 + i);
        r.start = col_date(st, 12);
        r.due = col_date(st, 13);
        r.needs_review = sqlite3_column_int(st, 14) != 0;
        r.roadmap = col_text(st, 15);
        r.milestones_json = col_text(st, 16);
        r.parent_task_id = sqlite3_column_int64(st, 17);
        r.has_target = sqlite3_column_type(st, 18) != SQLITE_NULL;
        r.target_value = sqlite3_column_double(st, 18);
        r.target_uom = col_text(st, 19);
        r.note = col_text(st, 20);
        r.source_json = col_text(st, 21);
        r.report_every = col_text(st, 22);
        r.report_day = sqlite3_column_int(st, 23);
        r.created_by = col_text(st, 24);
        r.created_at = col_time(st, 25);
        r.updated_at = col_time(st, 26);
        if (cb(closure, &r))
            break;
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? DH_OK : db_error(c, e, "read tasks");
}

static dh_status sq_insert_task_update(dh_conn *c, const dh_task_update_row *r, int64_t *id,
                                       dh_err *e)
{
    sqlite3_stmt *st = stmt(c,
                            "INSERT INTO task_updates(task_id, kind, unit, author, date, "
                            "occurrence, percent, done, text, files, created_at) "
                            "VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                            e);
    if (!st)
        return DH_E_DB;
    sqlite3_bind_int64(st, 1, r->task_id);
    bind_text(st, 2, r->kind);
    bind_text(st, 3, r->unit);
    bind_text(st, 4, r->author);
    bind_date(st, 5, r->date);
    bind_date(st, 6, r->occurrence);
    if (r->percent >= 0)
        sqlite3_bind_int(st, 7, r->percent);
    else
        sqlite3_bind_null(st, 7);
    sqlite3_bind_int(st, 8, r->done);
    bind_text(st, 9, r->text ? r->text : "");
    bind_text(st, 10, r->files_json ? r->files_json : "[]");
    sqlite3_bind_int64(st, 11, (sqlite3_int64)r->created_at);
    dh_status s = run(c, st, "save task update", e);
    if (s == DH_OK)
        *id = sqlite3_last_insert_rowid(c->db);
    return s;
}

static dh_status sq_load_task_updates(dh_conn *c, dh_task_update_cb cb, void *closure, dh_err *e)
{
    sqlite3_stmt *st = stmt(c,
                            "SELECT id, task_id, kind, unit, author, date, occurrence, percent, "
                            "done, text, files, created_at FROM task_updates ORDER BY id",
                            e);
    if (!st)
        return DH_E_DB;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        dh_task_update_row r = {
            sqlite3_column_int64(st, 0),
            sqlite3_column_int64(st, 1),
            col_text(st, 2),
            col_text(st, 3),
            col_text(st, 4),
            col_date(st, 5),
            col_date(st, 6),
            sqlite3_column_type(st, 7) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 7),
            sqlite3_column_int(st, 8) != 0,
            col_text(st, 9),
            col_text(st, 10),
            col_time(st, 11)};
        if (cb(closure, &r))
            break;
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? DH_OK : db_error(c, e, "read task updates");
}

static dh_status sq_insert_inbox(dh_conn *c, const dh_inbox_row *r, bool *inserted, dh_err *e)
{
    sqlite3_stmt *st = stmt(c,
                            "INSERT OR IGNORE INTO inbox(unit, day, kind, task_id, occurrence, "
                            "message, created_at) VALUES (?,?,?,?,?,?,?)",
                            e);
    if (!st)
        return DH_E_DB;
    bind_text(st, 1, r->unit);
    bind_date(st, 2, r->day);
    bind_text(st, 3, r->kind);
    sqlite3_bind_int64(st, 4, r->task_id);
    bind_text(st, 5, r->occurrence ? r->occurrence : "");
    bind_text(st, 6, r->message);
    sqlite3_bind_int64(st, 7, (sqlite3_int64)r->created_at);
    dh_status s = run(c, st, "save inbox row", e);
    if (s == DH_OK)
        *inserted = sqlite3_changes(c->db) > 0;
    return s;
}

static dh_status sq_list_inbox(dh_conn *c, const char *unit, int64_t before_id, int limit,
                               dh_inbox_cb cb, void *closure, dh_err *e)
{
    sqlite3_stmt *st = stmt(c,
                            "SELECT id, unit, day, kind, task_id, occurrence, message, created_at "
                            "FROM inbox WHERE (?1 IS NULL OR unit = ?1) AND (?2 = 0 OR id < ?2) "
                            "ORDER BY id DESC LIMIT ?3",
                            e);
    if (!st)
        return DH_E_DB;
    bind_text(st, 1, unit);
    sqlite3_bind_int64(st, 2, before_id);
    sqlite3_bind_int(st, 3, limit);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        dh_inbox_row r = {sqlite3_column_int64(st, 0), col_text(st, 1), col_date(st, 2),
                          col_text(st, 3),             sqlite3_column_int64(st, 4),
                          col_text(st, 5),             col_text(st, 6),
                          col_time(st, 7)};
        if (cb(closure, &r))
            break;
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? DH_OK : db_error(c, e, "read inbox");
}

static dh_status sq_meta_set(dh_conn *c, const char *key, int64_t value, dh_err *e)
{
    sqlite3_stmt *st = stmt(c,
                            "INSERT INTO meta(key, value) VALUES (?, ?) "
                            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                            e);
    if (!st)
        return DH_E_DB;
    bind_text(st, 1, key);
    sqlite3_bind_int64(st, 2, value);
    return run(c, st, "set meta", e);
}

static dh_status sq_put_contact(dh_conn *c, const char *unit, const char *email, dh_err *e)
{
    sqlite3_stmt *st =
        email ? stmt(c,
                     "INSERT INTO unit_contacts(unit, email) VALUES (?1, ?2) "
                     "ON CONFLICT(unit) DO UPDATE SET email = excluded.email",
                     e)
              : stmt(c, "DELETE FROM unit_contacts WHERE unit = ?1", e);
    if (!st)
        return DH_E_DB;
    bind_text(st, 1, unit);
    if (email)
        bind_text(st, 2, email);
    return run(c, st, "save contact", e);
}

static dh_status sq_load_contacts(dh_conn *c, dh_contact_cb cb, void *closure, dh_err *e)
{
    sqlite3_stmt *st = stmt(c, "SELECT unit, email FROM unit_contacts ORDER BY unit", e);
    if (!st)
        return DH_E_DB;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        if (cb(closure, col_text(st, 0), col_text(st, 1)))
            break;
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? DH_OK : db_error(c, e, "read contacts");
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
    .units_rev = sq_units_rev,
    .bump_units_rev = sq_bump_units_rev,
    .load_units = sq_load_units,
    .save_unit = sq_save_unit,
    .replace_unit_versions = sq_replace_unit_versions,
    .insert_unit_event = sq_insert_unit_event,
    .insert_unit_link = sq_insert_unit_link,
    .insert_user = sq_insert_user,
    .get_user = sq_get_user,
    .list_users = sq_list_users,
    .set_password = sq_set_password,
    .insert_cred = sq_insert_cred,
    .find_cred = sq_find_cred,
    .get_cred = sq_get_cred,
    .revoke_cred = sq_revoke_cred,
    .add_login_failure = sq_add_login_failure,
    .count_login_failures = sq_count_login_failures,
    .clear_login_failures = sq_clear_login_failures,
    .append_audit = sq_append_audit,
    .list_audit = sq_list_audit,
    .meta_get = sq_meta_get,
    .meta_bump = sq_meta_bump,
    .load_calendars = sq_load_calendars,
    .put_calendar = sq_put_calendar,
    .insert_sched = sq_insert_sched,
    .update_sched = sq_update_sched,
    .delete_sched = sq_delete_sched,
    .put_unit_calendar = sq_put_unit_calendar,
    .put_procedure = sq_put_procedure,
    .load_procedures = sq_load_procedures,
    .find_devent = sq_find_devent,
    .insert_devent = sq_insert_devent,
    .load_devents = sq_load_devents,
    .put_dossier = sq_put_dossier,
    .get_dossier = sq_get_dossier,
    .list_dossiers = sq_list_dossiers,
    .scan_dossiers = sq_scan_dossiers,
    .put_indicator = sq_put_indicator,
    .load_indicators = sq_load_indicators,
    .find_ireceipt = sq_find_ireceipt,
    .add_ireceipt = sq_add_ireceipt,
    .put_ivalue = sq_put_ivalue,
    .list_ivalues = sq_list_ivalues,
    .put_target = sq_put_target,
    .load_targets_of = sq_load_targets_of,
    .dirty_target_indicators = sq_dirty_target_indicators,
    .set_target_series = sq_set_target_series,
    .set_target_eval = sq_set_target_eval,
    .list_targets = sq_list_targets,
    .count_targets = sq_count_targets,
    .mark_targets_dirty = sq_mark_targets_dirty,
    .put_obligation = sq_put_obligation,
    .load_obligations = sq_load_obligations,
    .put_approval = sq_put_approval,
    .load_approvals = sq_load_approvals,
    .agg_key = sq_agg_key,
    .load_agg_keys = sq_load_agg_keys,
    .agg_add = sq_agg_add,
    .load_agg_cells = sq_load_agg_cells,
    .agg_reset = sq_agg_reset,
    .get_fact = sq_get_fact,
    .list_dossier_codes = sq_list_dossier_codes,
    .load_i766_config = sq_load_i766_config,
    .put_i766_config = sq_put_i766_config,
    .load_i766_manual = sq_load_i766_manual,
    .put_i766_manual = sq_put_i766_manual,
    .put_file = sq_put_file,
    .get_file = sq_get_file,
    .put_plan = sq_put_plan,
    .load_plans = sq_load_plans,
    .put_task = sq_put_task,
    .load_tasks = sq_load_tasks,
    .insert_task_update = sq_insert_task_update,
    .load_task_updates = sq_load_task_updates,
    .insert_inbox = sq_insert_inbox,
    .list_inbox = sq_list_inbox,
    .meta_set = sq_meta_set,
    .put_contact = sq_put_contact,
    .load_contacts = sq_load_contacts,
    .list_target_keys = sq_list_target_keys,
    .get_targets = sq_get_targets,
    .ivalues_latest = sq_ivalues_latest,
    .revoke_user_creds = sq_revoke_user_creds,
};
