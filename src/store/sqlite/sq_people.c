/* sq_people.c - the SQLite backend of store/people.h: users, credentials and login throttling. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/people.h"
#include "store/sqlite/sq.h"
#include "util/buf.h"

/* ------------------------------------------------------------------ */
/* Users and credentials.                                             */

#define USER_COLS "id, login, display_name, role, unit_id, password_hash, disabled, created_at"

static dh_user_row user_of(sqlite3_stmt *st)
{
    return (dh_user_row){sqlite3_column_int64(st, 0), dh_sq_col_text(st, 1), dh_sq_col_text(st, 2),
                         dh_sq_col_text(st, 3),             sqlite3_column_int64(st, 4),
                         dh_sq_col_text(st, 5),             sqlite3_column_int(st, 6) != 0,
                         (time_t)sqlite3_column_int64(st, 7)};
}

static dh_status sq_insert_user(dh_conn *c, const dh_user_row *u, int64_t *id, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(c,
                            "INSERT INTO users(login, display_name, role, unit_id, password_hash, "
                            "disabled, created_at) VALUES (?,?,?,?,?,?,?)",
                            e);
    if (!st)
        return DH_E_DB;
    dh_sq_bind_text(st, 1, u->login);
    dh_sq_bind_text(st, 2, u->display_name ? u->display_name : "");
    dh_sq_bind_text(st, 3, u->role);
    dh_sq_bind_id(st, 4, u->unit_id);
    dh_sq_bind_text(st, 5, u->password_hash);
    sqlite3_bind_int(st, 6, u->disabled);
    sqlite3_bind_int64(st, 7, (sqlite3_int64)u->created_at);
    dh_status s = dh_sq_run(c, st, "insert user", e);
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
    while ((rc = dh_sq_step(st)) == SQLITE_ROW) {
        dh_user_row u = user_of(st);
        (*count)++;
        if (cb(closure, &u))
            break;
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? DH_OK : dh_sq_db_error(c, e, "read users");
}

static dh_status sq_get_user(dh_conn *c, int64_t id, const char *login, dh_user_cb cb,
                             void *closure, dh_err *e)
{
    sqlite3_stmt *st;
    if (id) {
        st = dh_sq_stmt(c, "SELECT " USER_COLS " FROM users WHERE id = ?", e);
        if (st)
            sqlite3_bind_int64(st, 1, id);
    } else {
        st = dh_sq_stmt(c, "SELECT " USER_COLS " FROM users WHERE login = ?", e);
        if (st)
            dh_sq_bind_text(st, 1, login);
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
    sqlite3_stmt *st = dh_sq_stmt(c, "SELECT " USER_COLS " FROM users WHERE id > ? ORDER BY id LIMIT ?",
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
    sqlite3_stmt *st = dh_sq_stmt(c, "UPDATE users SET password_hash = ? WHERE id = ?", e);
    if (!st)
        return DH_E_DB;
    dh_sq_bind_text(st, 1, hash);
    sqlite3_bind_int64(st, 2, user_id);
    return dh_sq_run(c, st, "set password", e);
}

#define CRED_COLS "id, kind, user_id, name, unit_id, hash, created_at, expires_at, revoked_at"

static dh_status each_cred(dh_conn *c, sqlite3_stmt *st, dh_cred_cb cb, void *closure,
                           dh_err *e)
{
    int rc, n = 0;
    while ((rc = dh_sq_step(st)) == SQLITE_ROW) {
        dh_cred_row r = {sqlite3_column_int64(st, 0),
                         (dh_cred_kind)sqlite3_column_int(st, 1),
                         sqlite3_column_int64(st, 2),
                         dh_sq_col_text(st, 3),
                         sqlite3_column_int64(st, 4),
                         dh_sq_col_text(st, 5),
                         (time_t)sqlite3_column_int64(st, 6),
                         (time_t)sqlite3_column_int64(st, 7),
                         (time_t)sqlite3_column_int64(st, 8)};
        n++;
        if (cb(closure, &r))
            break;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return dh_sq_db_error(c, e, "read credentials");
    if (n == 0)
        return dh_err_set(e, DH_E_NOTFOUND, "unknown_credential", NULL, "no such credential");
    return DH_OK;
}

static dh_status sq_insert_cred(dh_conn *c, const dh_cred_row *cr, int64_t *id, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(c,
                            "INSERT INTO credentials(kind, user_id, name, unit_id, hash, "
                            "created_at, expires_at, revoked_at) VALUES (?,?,?,?,?,?,?,0)",
                            e);
    if (!st)
        return DH_E_DB;
    sqlite3_bind_int(st, 1, (int)cr->kind);
    sqlite3_bind_int64(st, 2, cr->user_id);
    dh_sq_bind_text(st, 3, cr->name ? cr->name : "");
    dh_sq_bind_id(st, 4, cr->unit_id);
    dh_sq_bind_text(st, 5, cr->hash);
    sqlite3_bind_int64(st, 6, (sqlite3_int64)cr->created_at);
    sqlite3_bind_int64(st, 7, (sqlite3_int64)cr->expires_at);
    dh_status s = dh_sq_run(c, st, "insert credential", e);
    if (s == DH_OK)
        *id = sqlite3_last_insert_rowid(c->db);
    return s;
}

static dh_status sq_find_cred(dh_conn *c, const char *hash, dh_cred_cb cb, void *closure,
                              dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(c, "SELECT " CRED_COLS " FROM credentials WHERE hash = ?", e);
    if (!st)
        return DH_E_DB;
    dh_sq_bind_text(st, 1, hash);
    return each_cred(c, st, cb, closure, e);
}

static dh_status sq_get_cred(dh_conn *c, int64_t id, dh_cred_cb cb, void *closure, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(c, "SELECT " CRED_COLS " FROM credentials WHERE id = ?", e);
    if (!st)
        return DH_E_DB;
    sqlite3_bind_int64(st, 1, id);
    return each_cred(c, st, cb, closure, e);
}

static dh_status sq_revoke_cred(dh_conn *c, int64_t id, time_t at, dh_err *e)
{
    sqlite3_stmt *st =
        dh_sq_stmt(c, "UPDATE credentials SET revoked_at = ? WHERE id = ? AND revoked_at = 0", e);
    if (!st)
        return DH_E_DB;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)at);
    sqlite3_bind_int64(st, 2, id);
    return dh_sq_run(c, st, "revoke credential", e);
}

static dh_status sq_revoke_user_creds(dh_conn *c, int64_t user_id, dh_cred_kind kind,
                                      int64_t except_id, time_t at, int *n, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(c,
                                  "UPDATE credentials SET revoked_at = ? WHERE user_id = ? AND "
                                  "kind = ? AND id <> ? AND revoked_at = 0",
                                  e);
    if (n)
        *n = 0;
    if (!st)
        return DH_E_DB;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)at);
    sqlite3_bind_int64(st, 2, user_id);
    sqlite3_bind_int(st, 3, (int)kind);
    sqlite3_bind_int64(st, 4, except_id);
    dh_status s = dh_sq_run(c, st, "revoke credentials", e);
    if (s == DH_OK && n)
        *n = sqlite3_changes(c->db);
    return s;
}

static dh_status sq_add_login_failure(dh_conn *c, const char *key, time_t at, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(c, "INSERT INTO login_failures(key, at) VALUES (?,?)", e);
    if (!st)
        return DH_E_DB;
    dh_sq_bind_text(st, 1, key);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)at);
    return dh_sq_run(c, st, "record login failure", e);
}

static dh_status sq_count_login_failures(dh_conn *c, const char *key, time_t since, int *n,
                                         dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(c, "SELECT count(*) FROM login_failures WHERE key = ? AND at >= ?", e);
    *n = 0;
    if (!st)
        return DH_E_DB;
    dh_sq_bind_text(st, 1, key);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)since);
    int rc = dh_sq_step(st);
    if (rc == SQLITE_ROW)
        *n = sqlite3_column_int(st, 0);
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? DH_OK : dh_sq_db_error(c, e, "count login failures");
}

static dh_status sq_clear_login_failures(dh_conn *c, const char *key, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(c, "DELETE FROM login_failures WHERE key = ?", e);
    if (!st)
        return DH_E_DB;
    dh_sq_bind_text(st, 1, key);
    return dh_sq_run(c, st, "clear login failures", e);
}

const dh_people_ops dh_sqlite_people_ops = {
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
    .revoke_user_creds = sq_revoke_user_creds,
};
