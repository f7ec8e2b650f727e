/* pg_people.c - the PostgreSQL backend of store/people.h: users, credentials and login throttling. */
#include <libpq-fe.h>
#include <stdlib.h>

#include "store/people.h"
#include "store/postgres/pg.h"

/* ------------------------------------------------------------------ */
/* Users.                                                             */

#define USER_COLS "id, login, display_name, role, unit_id, password_hash, disabled, created_at"

static dh_status pg_insert_user(dh_conn *c, const dh_user_row *u, int64_t *id, dh_err *e)
{
    dh_pg_params p = {0};
    int64_t new_id = 0;
    dh_pg_text(&p, u->login);
    dh_pg_text(&p, u->display_name ? u->display_name : "");
    dh_pg_text(&p, u->role);
    dh_pg_id(&p, u->unit_id);
    dh_pg_text(&p, u->password_hash);
    dh_pg_bool(&p, u->disabled);
    dh_pg_int(&p, (int64_t)u->created_at);
    dh_status s = dh_pg_exec_id(c,
                                "INSERT INTO users(login, display_name, role, unit_id, "
                                "password_hash, disabled, created_at) "
                                "VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                                &p, &new_id, "insert user", e);
    if (s == DH_E_CONFLICT)
        return dh_err_set(e, DH_E_CONFLICT, "duplicate_login", "login",
                          "a user with login '%s' already exists", u->login);
    if (s == DH_OK)
        *id = new_id;
    return s;
}

/* Hands the rows of res (USER_COLS) to cb; *count is how many there were. */
static void each_user(PGresult *res, dh_user_cb cb, void *closure, int *count)
{
    *count = PQntuples(res);
    for (int r = 0; r < *count; r++) {
        dh_user_row u = {dh_pg_col_int(res, r, 0),  dh_pg_col_text(res, r, 1),
                         dh_pg_col_text(res, r, 2), dh_pg_col_text(res, r, 3),
                         dh_pg_col_int(res, r, 4),  dh_pg_col_text(res, r, 5),
                         dh_pg_col_int(res, r, 6) != 0, dh_pg_col_time(res, r, 7)};
        if (cb(closure, &u))
            break;
    }
    PQclear(res);
}

static dh_status pg_get_user(dh_conn *c, int64_t id, const char *login, dh_user_cb cb,
                             void *closure, dh_err *e)
{
    dh_pg_params p = {0};
    PGresult *res;
    dh_status s;
    if (id) {
        dh_pg_int(&p, id);
        s = dh_pg_exec(c, "SELECT " USER_COLS " FROM users WHERE id = $1", &p, &res, "read users",
                       e);
    } else {
        dh_pg_text(&p, login);
        s = dh_pg_exec(c, "SELECT " USER_COLS " FROM users WHERE login = $1", &p, &res,
                       "read users", e);
    }
    if (s)
        return s;
    int n;
    each_user(res, cb, closure, &n);
    if (n == 0)
        return dh_err_set(e, DH_E_NOTFOUND, "unknown_user", "login", "no such user");
    return DH_OK;
}

static dh_status pg_list_users(dh_conn *c, int64_t after_id, int limit, dh_user_cb cb,
                               void *closure, dh_err *e)
{
    dh_pg_params p = {0};
    PGresult *res;
    dh_pg_int(&p, after_id);
    dh_pg_int(&p, limit);
    /* SQLite reads a negative LIMIT as none; PostgreSQL refuses it. */
    dh_status s = dh_pg_exec(c,
                             "SELECT " USER_COLS " FROM users WHERE id > $1 ORDER BY id "
                             "LIMIT CASE WHEN $2::bigint < 0 THEN NULL ELSE $2::bigint END",
                             &p, &res, "read users", e);
    if (s)
        return s;
    int n;
    each_user(res, cb, closure, &n);
    return DH_OK;
}

static dh_status pg_set_password(dh_conn *c, int64_t user_id, const char *hash, dh_err *e)
{
    dh_pg_params p = {0};
    dh_pg_text(&p, hash);
    dh_pg_int(&p, user_id);
    return dh_pg_exec(c, "UPDATE users SET password_hash = $1 WHERE id = $2", &p, NULL,
                      "set password", e);
}

/* ------------------------------------------------------------------ */
/* Credentials.                                                       */

#define CRED_COLS "id, kind, user_id, name, unit_id, hash, created_at, expires_at, revoked_at"

/* Hands the rows of res (CRED_COLS) to cb; DH_E_NOTFOUND when none. */
static dh_status each_cred(PGresult *res, dh_cred_cb cb, void *closure, dh_err *e)
{
    int n = PQntuples(res);
    for (int r = 0; r < n; r++) {
        dh_cred_row cr = {dh_pg_col_int(res, r, 0),
                          (dh_cred_kind)dh_pg_col_int(res, r, 1),
                          dh_pg_col_int(res, r, 2),
                          dh_pg_col_text(res, r, 3),
                          dh_pg_col_int(res, r, 4),
                          dh_pg_col_text(res, r, 5),
                          (time_t)dh_pg_col_int(res, r, 6),
                          (time_t)dh_pg_col_int(res, r, 7),
                          (time_t)dh_pg_col_int(res, r, 8)};
        if (cb(closure, &cr))
            break;
    }
    PQclear(res);
    if (n == 0)
        return dh_err_set(e, DH_E_NOTFOUND, "unknown_credential", NULL, "no such credential");
    return DH_OK;
}

static dh_status pg_insert_cred(dh_conn *c, const dh_cred_row *cr, int64_t *id, dh_err *e)
{
    dh_pg_params p = {0};
    int64_t new_id = 0;
    dh_pg_int(&p, (int64_t)cr->kind);
    dh_pg_int(&p, cr->user_id);
    dh_pg_text(&p, cr->name ? cr->name : "");
    dh_pg_id(&p, cr->unit_id);
    dh_pg_text(&p, cr->hash);
    dh_pg_int(&p, (int64_t)cr->created_at);
    dh_pg_int(&p, (int64_t)cr->expires_at);
    dh_status s = dh_pg_exec_id(c,
                                "INSERT INTO credentials(kind, user_id, name, unit_id, hash, "
                                "created_at, expires_at, revoked_at) "
                                "VALUES ($1, $2, $3, $4, $5, $6, $7, 0) RETURNING id",
                                &p, &new_id, "insert credential", e);
    if (s == DH_OK)
        *id = new_id;
    return s;
}

static dh_status pg_find_cred(dh_conn *c, const char *hash, dh_cred_cb cb, void *closure,
                              dh_err *e)
{
    dh_pg_params p = {0};
    PGresult *res;
    dh_pg_text(&p, hash);
    dh_status s = dh_pg_exec(c, "SELECT " CRED_COLS " FROM credentials WHERE hash = $1", &p, &res,
                             "read credentials", e);
    return s ? s : each_cred(res, cb, closure, e);
}

static dh_status pg_get_cred(dh_conn *c, int64_t id, dh_cred_cb cb, void *closure, dh_err *e)
{
    dh_pg_params p = {0};
    PGresult *res;
    dh_pg_int(&p, id);
    dh_status s = dh_pg_exec(c, "SELECT " CRED_COLS " FROM credentials WHERE id = $1", &p, &res,
                             "read credentials", e);
    return s ? s : each_cred(res, cb, closure, e);
}

static dh_status pg_revoke_cred(dh_conn *c, int64_t id, time_t at, dh_err *e)
{
    dh_pg_params p = {0};
    dh_pg_int(&p, (int64_t)at);
    dh_pg_int(&p, id);
    return dh_pg_exec(c, "UPDATE credentials SET revoked_at = $1 WHERE id = $2 AND revoked_at = 0",
                      &p, NULL, "revoke credential", e);
}

static dh_status pg_revoke_user_creds(dh_conn *c, int64_t user_id, dh_cred_kind kind,
                                      int64_t except_id, time_t at, int *n, dh_err *e)
{
    dh_pg_params p = {0};
    PGresult *res;
    if (n)
        *n = 0;
    dh_pg_int(&p, (int64_t)at);
    dh_pg_int(&p, user_id);
    dh_pg_int(&p, (int64_t)kind);
    dh_pg_int(&p, except_id);
    dh_status s = dh_pg_exec(c,
                             "UPDATE credentials SET revoked_at = $1 WHERE user_id = $2 AND "
                             "kind = $3 AND id <> $4 AND revoked_at = 0",
                             &p, &res, "revoke credentials", e);
    if (s)
        return s;
    if (n)
        *n = atoi(PQcmdTuples(res));
    PQclear(res);
    return DH_OK;
}

/* ------------------------------------------------------------------ */
/* Login throttling.                                                  */

static dh_status pg_add_login_failure(dh_conn *c, const char *key, time_t at, dh_err *e)
{
    dh_pg_params p = {0};
    dh_pg_text(&p, key);
    dh_pg_int(&p, (int64_t)at);
    return dh_pg_exec(c, "INSERT INTO login_failures(key, at) VALUES ($1, $2)", &p, NULL,
                      "record login failure", e);
}

static dh_status pg_count_login_failures(dh_conn *c, const char *key, time_t since, int *n,
                                         dh_err *e)
{
    dh_pg_params p = {0};
    int64_t count = 0;
    *n = 0;
    dh_pg_text(&p, key);
    dh_pg_int(&p, (int64_t)since);
    dh_status s = dh_pg_exec_id(c, "SELECT count(*) FROM login_failures WHERE key = $1 AND at >= $2",
                                &p, &count, "count login failures", e);
    if (s == DH_OK)
        *n = (int)count;
    return s;
}

static dh_status pg_clear_login_failures(dh_conn *c, const char *key, dh_err *e)
{
    dh_pg_params p = {0};
    dh_pg_text(&p, key);
    return dh_pg_exec(c, "DELETE FROM login_failures WHERE key = $1", &p, NULL,
                      "clear login failures", e);
}

const dh_people_ops dh_postgres_people_ops = {
    .insert_user = pg_insert_user,
    .get_user = pg_get_user,
    .list_users = pg_list_users,
    .set_password = pg_set_password,
    .insert_cred = pg_insert_cred,
    .find_cred = pg_find_cred,
    .get_cred = pg_get_cred,
    .revoke_cred = pg_revoke_cred,
    .add_login_failure = pg_add_login_failure,
    .count_login_failures = pg_count_login_failures,
    .clear_login_failures = pg_clear_login_failures,
    .revoke_user_creds = pg_revoke_user_creds,
};
