/* auth.c - people and access: users, passwords (Argon2id), sessions, API
 * tokens, login throttling and CSRF tokens.
 *
 * Secrets (session and token) are 32 random bytes written as 43 base64url
 * characters with a readable prefix ("dhs_" session, "dht_" token). Only a
 * BLAKE2b hash of a secret is stored: the secrets are random, so an
 * unsalted fast hash is enough to make a stolen table useless.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "app/internal.h"
#include "util/buf.h"
#include "util/text.h"

#define SESSION_TTL (12 * 3600)
#define THROTTLE_WINDOW (15 * 60)
#define THROTTLE_MAX_LOGIN 5  /* failures per login per window */
#define THROTTLE_MAX_IP 20    /* failures per address per window */
#define PASSWORD_MIN 8
#define PASSWORD_MAX 1024
#define LOGIN_MAX 64

static void init_sodium(void)
{
    /* sodium_init is idempotent and thread-safe. */
    if (sodium_init() < 0)
        abort();
}

static char *hash_secret(const char *secret)
{
    unsigned char h[32];
    char hex[65];
    init_sodium();
    crypto_generichash(h, sizeof h, (const unsigned char *)secret, strlen(secret), NULL, 0);
    sodium_bin2hex(hex, sizeof hex, h, sizeof h);
    return dh_xstrdup(hex);
}

static char *new_secret(const char *prefix)
{
    unsigned char raw[32];
    char b64[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
    init_sodium();
    randombytes_buf(raw, sizeof raw);
    sodium_bin2base64(b64, sizeof b64, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    dh_buf b = DH_BUF_INIT;
    dh_buf_puts(&b, prefix);
    dh_buf_puts(&b, b64);
    return dh_buf_steal(&b);
}

char *dh_app_csrf_for(const char *secret)
{
    /* Derived, not stored: a keyed hash of the session secret under a fixed
     * context, so that the CSRF token proves knowledge of the session. */
    static const unsigned char ctx[] = "dieuhanh csrf v1";
    unsigned char h[16];
    char hex[33];
    init_sodium();
    crypto_generichash(h, sizeof h, (const unsigned char *)secret, strlen(secret), ctx,
                       sizeof ctx - 1);
    sodium_bin2hex(hex, sizeof hex, h, sizeof h);
    return dh_xstrdup(hex);
}

static dh_status hash_password(const char *pw, char **out, dh_err *e)
{
    char h[crypto_pwhash_STRBYTES];
    init_sodium();
    if (crypto_pwhash_str(h, pw, strlen(pw), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        return dh_err_set(e, DH_E_INTERNAL, "hash_failed", NULL,
                          "cannot hash the password (out of memory)");
    *out = dh_xstrdup(h);
    return DH_OK;
}

static dh_status check_password_rules(const char *pw, dh_err *e)
{
    size_t n = pw ? strlen(pw) : 0;
    if (n < PASSWORD_MIN)
        return dh_err_set(e, DH_E_INVALID, "weak_password", "password",
                          "the password must have at least %d characters", PASSWORD_MIN);
    if (n > PASSWORD_MAX)
        return dh_err_set(e, DH_E_INVALID, "too_long", "password",
                          "the password is longer than %d bytes", PASSWORD_MAX);
    if (dh_utf8_invalid_offset(pw, n) >= 0)
        return dh_err_set(e, DH_E_MALFORMED, "invalid_utf8", "password",
                          "the password is not valid UTF-8");
    return DH_OK;
}

static dh_status check_login(const char *login, dh_err *e)
{
    size_t n = login ? strlen(login) : 0;
    if (n == 0 || n > LOGIN_MAX)
        return dh_err_set(e, DH_E_INVALID, "invalid_login", "login",
                          "a login has 1 to %d characters", LOGIN_MAX);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)login[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '-' || c == '@'))
            return dh_err_set(e, DH_E_INVALID, "invalid_login", "login",
                              "a login uses lower-case letters a-z, digits and . _ - @ only");
    }
    return DH_OK;
}

/* ------------------------------------------------------------------ */
/* Users.                                                             */

typedef struct user_copy {
    int64_t id;
    char login[LOGIN_MAX + 1];
    char display_name[256];
    char role[16];
    int64_t unit_id;
    char hash[crypto_pwhash_STRBYTES];
    bool disabled;
    time_t created_at;
    bool found;
} user_copy;

static int copy_user(void *closure, const dh_user_row *u)
{
    user_copy *c = closure;
    c->id = u->id;
    snprintf(c->login, sizeof c->login, "%s", u->login);
    snprintf(c->display_name, sizeof c->display_name, "%s", u->display_name);
    snprintf(c->role, sizeof c->role, "%s", u->role);
    c->unit_id = u->unit_id;
    snprintf(c->hash, sizeof c->hash, "%s", u->password_hash);
    c->disabled = u->disabled;
    c->created_at = u->created_at;
    c->found = true;
    return 1;
}

static const char *unit_code_of_id(const dh_unitreg *r, int64_t id)
{
    if (!id)
        return NULL;
    int32_t u = dh_unitreg_by_id(r, id);
    return u >= 0 ? r->u[u].code : NULL;
}

static json_t *user_json(const dh_unitreg *r, int64_t id, const char *login, const char *display,
                         const char *role, int64_t unit_id, bool disabled)
{
    const char *code = unit_code_of_id(r, unit_id);
    return json_pack("{s:I,s:s,s:s,s:s,s:o,s:b}", "id", (json_int_t)id, "login", login,
                     "display_name", display ? display : "", "role", role, "unit",
                     code ? json_string(code) : json_null(), "disabled", disabled);
}

typedef struct user_create_cl {
    const dh_actor *a;
    const dh_user_spec *s;
    const char *display, *hash, *role;
    bool has_unit;
    time_t now;
    json_t *out;
} user_create_cl;

/* Concurrency: reads the unit registry (DH_TX_UNITS: the user's unit must
 * exist) inside the write transaction and inserts the user in it; a unit
 * closed or renamed meanwhile is either seen (the other writer committed
 * first under the write lock on SQLite) or makes one of the two rerun
 * (units_rev on PostgreSQL). The login is not read first: the unique
 * login of users is the guard, a second account with that login fails
 * DH_E_CONFLICT. */
static dh_status user_create_tx(dh_tx *tx, void *closure, dh_err *e)
{
    user_create_cl *cl = closure;
    const dh_user_spec *s = cl->s;
    json_decref(cl->out);
    cl->out = NULL;
    int64_t unit_id = 0;
    if (cl->has_unit) {
        int32_t u = dh_unitreg_find(tx->reg, s->unit);
        if (u < 0)
            return dh_err_set(e, DH_E_INVALID, "unknown_unit", "unit", "unit '%s' does not exist",
                              s->unit);
        unit_id = tx->reg->u[u].id;
    }
    dh_user_row row = {0, s->login, cl->display, cl->role, unit_id, cl->hash, false, cl->now};
    int64_t id;
    dh_status st = DH_PEOPLE(tx->c)->insert_user(tx->c, &row, &id, e);
    if (st)
        return st;
    cl->out = user_json(tx->reg, id, s->login, cl->display, cl->role, unit_id, false);
    return dh_app_audit(tx->c, cl->a, "create", "user", s->login, cl->has_unit ? s->unit : "",
                        "ok", NULL, cl->out, cl->now, e);
}

dh_status dh_app_user_create(dh_app *app, const dh_actor *a, const dh_user_spec *s, time_t now,
                             json_t **out, dh_err *e)
{
    dh_role role;
    dh_status st;
    char *hash = NULL, *display = NULL;
    *out = NULL;
    if ((st = check_login(s->login, e)))
        return st;
    if (dh_role_parse(s->role, &role))
        return dh_err_set(e, DH_E_INVALID, "invalid_role", "role",
                          "role '%s' is not one of admin, leader, officer, reporter, viewer",
                          s->role ? s->role : "");
    bool has_unit = s->unit && *s->unit;
    if (role != DH_ROLE_ADMIN && !has_unit)
        return dh_err_set(e, DH_E_INVALID, "missing_field", "unit",
                          "every user but an admin belongs to a unit");
    if ((st = check_password_rules(s->password, e)))
        return st;
    if ((st = dh_text_clean_field(s->display_name, "display_name", &display, e)))
        return st;
    /* Managing people is an admin's job. */
    if (a->role != DH_ROLE_ADMIN) {
        st = dh_app_deny(app, a, "create", "user", s->login, has_unit ? s->unit : "", now, e,
                         "create users");
        goto done;
    }
    /* Hashed once, before the write lock: a rerun uses the same hash. */
    if ((st = hash_password(s->password, &hash, e)))
        goto done;
    user_create_cl cl = {a, s, display, hash, dh_role_name(role), has_unit, now, NULL};
    st = dh_tx_run(app, DH_TX_UNITS, user_create_tx, &cl, e);
    if (st)
        json_decref(cl.out);
    else
        *out = cl.out;
done:
    free(hash);
    free(display);
    return st;
}

struct list_ctx {
    const dh_unitreg *r;
    json_t *items;
    int64_t last;
    int n;
};

static int on_list_user(void *closure, const dh_user_row *u)
{
    struct list_ctx *l = closure;
    json_array_append_new(l->items, user_json(l->r, u->id, u->login, u->display_name, u->role,
                                              u->unit_id, u->disabled));
    l->last = u->id;
    l->n++;
    return 0;
}

dh_status dh_app_user_list(dh_app *app, const dh_actor *a, time_t now, int64_t after_id,
                           int limit, json_t **items, int64_t *next, dh_err *e)
{
    *items = NULL;
    *next = 0;
    if (a->role != DH_ROLE_ADMIN)
        return dh_app_deny(app, a, "read", "user", "", "", now, e, "list users");
    const dh_unitreg *r = dh_app_units_acquire(app, e);
    if (!r)
        return e->status;
    dh_conn *c = dh_store_acquire(app->store, e);
    if (!c) {
        dh_app_units_release(app, r);
        return e->status;
    }
    struct list_ctx l = {r, json_array(), 0, 0};
    dh_status st = DH_PEOPLE(c)->list_users(c, after_id, limit, on_list_user, &l, e);
    dh_store_release(c);
    dh_app_units_release(app, r);
    if (st) {
        json_decref(l.items);
        return st;
    }
    *items = l.items;
    *next = l.n == limit ? l.last : 0;
    return DH_OK;
}

typedef struct user_password_cl {
    const dh_actor *a;
    const char *login, *hash;
    bool revoke_tokens;
    time_t now;
    json_t *after;
} user_password_cl;

/* Concurrency: reads the user's row inside the write transaction and
 * rewrites its hash and its credentials (sessions, tokens on request) in
 * the same one. Two changes of one password are serialised by the write
 * lock (SQLite) or conflict on the users row (PostgreSQL: one reruns); a
 * sign-in running at the same time read that users row to check the old
 * password, so its new session either commits first and is revoked here,
 * or waits (SQLite) or reruns (PostgreSQL) and checks the new hash. */
static dh_status user_password_tx(dh_tx *tx, void *closure, dh_err *e)
{
    user_password_cl *cl = closure;
    const dh_actor *a = cl->a;
    user_copy u = {0};
    int nsessions = 0, ntokens = 0;
    dh_status st;
    json_decref(cl->after);
    cl->after = NULL;
    if ((st = DH_PEOPLE(tx->c)->get_user(tx->c, 0, cl->login, copy_user, &u, e)) ||
        (st = DH_PEOPLE(tx->c)->set_password(tx->c, u.id, cl->hash, e)))
        return st;
    /* Every session of the user ends, but the one making the change to its
     * own password. Tokens are separate credentials: revoked only on request. */
    int64_t keep = u.id == a->user_id ? a->cred_id : 0;
    if ((st = DH_PEOPLE(tx->c)->revoke_user_creds(tx->c, u.id, DH_CRED_SESSION, keep, cl->now,
                                                  &nsessions, e)) ||
        (cl->revoke_tokens &&
         (st = DH_PEOPLE(tx->c)->revoke_user_creds(tx->c, u.id, DH_CRED_TOKEN, 0, cl->now,
                                                   &ntokens, e))))
        return st;
    cl->after = json_pack("{s:s,s:i,s:i}", "login", u.login, "sessions_revoked", nsessions,
                          "tokens_revoked", ntokens);
    return dh_app_audit(tx->c, a, "password", "user", cl->login, "", "ok", NULL, cl->after,
                        cl->now, e);
}

dh_status dh_app_user_password(dh_app *app, const dh_actor *a, const char *login,
                               const char *password, bool revoke_tokens, time_t now,
                               json_t **out, dh_err *e)
{
    char *hash = NULL;
    dh_status st;
    if (out)
        *out = NULL;
    if ((st = check_password_rules(password, e)))
        return st;
    /* A token that could set the password could open a full session. */
    if (a->is_token)
        return dh_app_deny(app, a, "password", "user", login, "", now, e,
                           "change a password with an API token");
    if (a->role != DH_ROLE_ADMIN && strcmp(a->login, login) != 0)
        return dh_app_deny(app, a, "password", "user", login, "", now, e,
                           "change another user's password");
    /* Hashed once, before the write lock: a rerun uses the same hash. */
    if ((st = hash_password(password, &hash, e)))
        return st;
    user_password_cl cl = {a, login, hash, revoke_tokens, now, NULL};
    st = dh_tx_run(app, DH_TX_WRITE, user_password_tx, &cl, e);
    if (st == DH_OK && out)
        *out = cl.after;
    else
        json_decref(cl.after);
    free(hash);
    return st;
}

typedef struct user_unlock_cl {
    const dh_actor *a;
    const char *login, *key;
    time_t now;
} user_unlock_cl;

/* Concurrency: counts the login's recent failures and deletes them in one
 * write transaction; a failure recorded meanwhile is counted and cleared
 * (it committed first under the write lock on SQLite) or makes one of the
 * two rerun (PostgreSQL, serializable), so the count audited is what was
 * cleared. */
static dh_status user_unlock_tx(dh_tx *tx, void *closure, dh_err *e)
{
    user_unlock_cl *cl = closure;
    user_copy u = {0};
    int n = 0;
    dh_status st;
    if ((st = DH_PEOPLE(tx->c)->get_user(tx->c, 0, cl->login, copy_user, &u, e)) ||
        (st = DH_PEOPLE(tx->c)->count_login_failures(tx->c, cl->key, cl->now - THROTTLE_WINDOW,
                                                     &n, e)) ||
        (st = DH_PEOPLE(tx->c)->clear_login_failures(tx->c, cl->key, e)))
        return st;
    json_t *after = json_pack("{s:s,s:i}", "login", u.login, "failures_cleared", n);
    st = dh_app_audit(tx->c, cl->a, "unlock", "user", cl->login, "", "ok", NULL, after, cl->now,
                      e);
    json_decref(after);
    return st;
}

dh_status dh_app_user_unlock(dh_app *app, const dh_actor *a, const char *login, time_t now,
                             dh_err *e)
{
    dh_status st;
    char key[128];
    if ((st = check_login(login, e)))
        return st;
    /* Only an unscoped admin: a scoped admin token acts as an officer. */
    if (a->role != DH_ROLE_ADMIN)
        return dh_app_deny(app, a, "unlock", "user", login, "", now, e, "unlock sign-ins");
    snprintf(key, sizeof key, "login:%s", login);
    user_unlock_cl cl = {a, login, key, now};
    return dh_tx_run(app, DH_TX_WRITE, user_unlock_tx, &cl, e);
}

/* ------------------------------------------------------------------ */
/* Sessions and tokens.                                               */

static dh_status throttled(dh_conn *c, const char *key, int max, time_t now, int *retry,
                           dh_err *e)
{
    int n = 0;
    dh_status st = DH_PEOPLE(c)->count_login_failures(c, key, now - THROTTLE_WINDOW, &n, e);
    if (st)
        return st;
    if (n >= max) {
        *retry = THROTTLE_WINDOW;
        return dh_err_set(e, DH_E_THROTTLED, "too_many_attempts", NULL,
                          "too many failed sign-ins; try again in %d minutes",
                          THROTTLE_WINDOW / 60);
    }
    return DH_OK;
}

typedef struct login_cl {
    const char *login, *password, *ip, *key_login, *key_ip;
    time_t now;
    int retry_after;
    bool failed;  /* wrong password: the failure rows are committed */
    char *token;  /* the new session's secret */
} login_cl;

/* Concurrency: reads the recent failures of the login and of the address
 * (throttling) and the user's row, then writes either the failure rows
 * or the new session (clearing the login's failures), all in one write
 * transaction. Two sign-ins at once are serialised by the write lock
 * (SQLite), so the second counts the first's failure; on PostgreSQL the
 * count and the other's insert conflict and one reruns (serializable), so
 * no burst of attempts gets past the limit. A password change committed
 * meanwhile is seen by the rerun (see user_password_tx). A wrong password
 * is not an error for the runner: fn returns DH_OK so that the failure
 * rows are committed, and the caller answers 401 from `failed`. */
static dh_status login_tx(dh_tx *tx, void *closure, dh_err *e)
{
    login_cl *cl = closure;
    user_copy u = {0};
    dh_status st;
    free(cl->token);
    cl->token = NULL;
    cl->retry_after = 0;
    cl->failed = false;
    if ((st = throttled(tx->c, cl->key_login, THROTTLE_MAX_LOGIN, cl->now, &cl->retry_after, e)) ||
        (st = throttled(tx->c, cl->key_ip, THROTTLE_MAX_IP, cl->now, &cl->retry_after, e)))
        return st;
    dh_err ue;
    dh_status found = DH_PEOPLE(tx->c)->get_user(tx->c, 0, cl->login, copy_user, &u, &ue);
    if (found != DH_OK && found != DH_E_NOTFOUND) {
        *e = ue;
        return found;
    }
    init_sodium();
    bool ok = found == DH_OK && !u.disabled &&
              crypto_pwhash_str_verify(u.hash, cl->password, strlen(cl->password)) == 0;
    dh_actor who = {0};
    snprintf(who.login, sizeof who.login, "%s", cl->login);
    snprintf(who.ip, sizeof who.ip, "%s", cl->ip ? cl->ip : "");
    who.user_id = found == DH_OK ? u.id : 0;
    if (!ok) {
        /* Record the failure and commit it; the caller answers 401. */
        if ((st = DH_PEOPLE(tx->c)->add_login_failure(tx->c, cl->key_login, cl->now, e)) ||
            (st = DH_PEOPLE(tx->c)->add_login_failure(tx->c, cl->key_ip, cl->now, e)) ||
            (st = dh_app_audit(tx->c, &who, "login", "session", cl->login, "", "denied", NULL,
                               NULL, cl->now, e)))
            return st;
        cl->failed = true;
        return DH_OK;
    }
    cl->token = new_secret("dhs_");
    char *h = hash_secret(cl->token);
    dh_cred_row cr = {0, DH_CRED_SESSION, u.id, "", 0, h, cl->now, cl->now + SESSION_TTL, 0};
    int64_t id;
    st = DH_PEOPLE(tx->c)->insert_cred(tx->c, &cr, &id, e);
    free(h);
    if (st == DH_OK)
        st = DH_PEOPLE(tx->c)->clear_login_failures(tx->c, cl->key_login, e);
    if (st == DH_OK)
        st = dh_app_audit(tx->c, &who, "login", "session", cl->login, "", "ok", NULL, NULL,
                          cl->now, e);
    return st;
}

dh_status dh_app_login(dh_app *app, const char *login, const char *password, const char *ip,
                       time_t now, char **token, char **csrf, json_t **user, int *retry_after,
                       dh_err *e)
{
    char key_login[128], key_ip[128];
    *token = *csrf = NULL;
    *user = NULL;
    *retry_after = 0;
    if (!login || !password || strlen(login) > LOGIN_MAX || strlen(password) > PASSWORD_MAX)
        return dh_err_set(e, DH_E_AUTH, "bad_credentials", NULL, "wrong login or password");
    snprintf(key_login, sizeof key_login, "login:%s", login);
    snprintf(key_ip, sizeof key_ip, "ip:%s", ip ? ip : "");
    login_cl cl = {login, password, ip, key_login, key_ip, now, 0, false, NULL};
    dh_status st = dh_tx_run(app, DH_TX_WRITE, login_tx, &cl, e);
    *retry_after = cl.retry_after;
    if (st == DH_OK && cl.failed)
        st = dh_err_set(e, DH_E_AUTH, "bad_credentials", NULL, "wrong login or password");
    if (st) {
        free(cl.token);
        return st;
    }
    *token = cl.token;
    *csrf = dh_app_csrf_for(*token);
    dh_actor me;
    dh_err e2;
    if (dh_app_authenticate(app, *token, now, &me, &e2) == DH_OK)
        *user = dh_app_actor_json(&me);
    return DH_OK;
}

typedef struct cred_copy {
    dh_cred_row row;
    char name[128];
    bool found;
} cred_copy;

static int copy_cred(void *closure, const dh_cred_row *r)
{
    cred_copy *c = closure;
    c->row = *r;
    snprintf(c->name, sizeof c->name, "%s", r->name);
    c->row.name = NULL;
    c->row.hash = NULL;
    c->found = true;
    return 1;
}

dh_status dh_app_authenticate(dh_app *app, const char *secret, time_t now, dh_actor *out,
                              dh_err *e)
{
    memset(out, 0, sizeof *out);
    if (!secret || strlen(secret) < 10 || strlen(secret) > 200)
        return dh_err_set(e, DH_E_AUTH, "unauthenticated", NULL, "sign in first");
    dh_conn *c = dh_store_acquire(app->store, e);
    if (!c)
        return e->status;
    char *h = hash_secret(secret);
    cred_copy cc = {0};
    user_copy u = {0};
    dh_err e2;
    dh_status st = DH_PEOPLE(c)->find_cred(c, h, copy_cred, &cc, &e2);
    free(h);
    if (st == DH_OK)
        st = DH_PEOPLE(c)->get_user(c, cc.row.user_id, NULL, copy_user, &u, &e2);
    dh_store_release(c);
    if (dh_err_storage(st)) {
        *e = e2;
        return st;
    }
    if (st || cc.row.revoked_at || (cc.row.expires_at && cc.row.expires_at <= now) || u.disabled)
        return dh_err_set(e, DH_E_AUTH, "unauthenticated", NULL,
                          "the session or token is unknown, expired or revoked: sign in again");
    if (dh_role_parse(u.role, &out->role))
        return dh_err_set(e, DH_E_AUTH, "unauthenticated", NULL,
                          "the account has no valid role: ask an administrator");
    out->user_id = u.id;
    snprintf(out->login, sizeof out->login, "%s", u.login);
    out->cred_id = cc.row.id;
    out->is_token = cc.row.kind == DH_CRED_TOKEN;
    /* A unit scope narrows every role. An admin's token scoped to a unit
     * acts as an officer of that unit: it reads and writes the subtree and
     * administers nothing (users, tokens, calendars and catalogues are the
     * acts of an unscoped admin for the whole province). */
    if (out->is_token && cc.row.unit_id && out->role == DH_ROLE_ADMIN) {
        out->role = DH_ROLE_OFFICER;
        out->scoped_admin = true;
    }
    snprintf(out->token_name, sizeof out->token_name, "%s", cc.name);
    out->unit_id = cc.row.unit_id ? cc.row.unit_id : u.unit_id;
    if (out->unit_id) {
        const dh_unitreg *r = dh_app_units_acquire(app, e);
        if (!r)
            return e->status;
        const char *code = unit_code_of_id(r, out->unit_id);
        snprintf(out->unit_code, sizeof out->unit_code, "%s", code ? code : "");
        dh_app_units_release(app, r);
    }
    return DH_OK;
}

json_t *dh_app_actor_json(const dh_actor *a)
{
    return json_pack("{s:I,s:s,s:s,s:o,s:o,s:b}", "id", (json_int_t)a->user_id, "login",
                     a->login, "role", dh_role_name(a->role), "unit",
                     a->unit_code[0] ? json_string(a->unit_code) : json_null(), "token",
                     a->is_token ? json_string(a->token_name) : json_null(), "scoped_admin",
                     a->scoped_admin);
}

typedef struct logout_cl {
    const dh_actor *a;
    time_t now;
} logout_cl;

/* Concurrency: writes only (revokes the session's own credential, which
 * stays revoked whatever else commits) and reads nothing to decide. */
static dh_status logout_tx(dh_tx *tx, void *closure, dh_err *e)
{
    logout_cl *cl = closure;
    dh_status st = DH_PEOPLE(tx->c)->revoke_cred(tx->c, cl->a->cred_id, cl->now, e);
    if (st == DH_OK)
        st = dh_app_audit(tx->c, cl->a, "logout", "session", cl->a->login, "", "ok", NULL, NULL,
                          cl->now, e);
    return st;
}

dh_status dh_app_logout(dh_app *app, const dh_actor *a, time_t now, dh_err *e)
{
    if (!a->cred_id || a->is_token)
        return dh_err_set(e, DH_E_INVALID, "not_a_session", NULL,
                          "logout ends a session; revoke a token with DELETE /api/v1/tokens");
    logout_cl cl = {a, now};
    return dh_tx_run(app, DH_TX_WRITE, logout_tx, &cl, e);
}

typedef struct token_create_cl {
    const dh_actor *a;
    const char *who, *name, *unit;
    time_t now;
    char *secret;
    json_t *out;
} token_create_cl;

/* Concurrency: reads the user's row (its role and unit) and the unit
 * registry (DH_TX_UNITS: the token's unit must exist and lie in the
 * user's subtree) inside the write transaction, and inserts the token in
 * it. A change of the user's unit or of the tree committed meanwhile is
 * seen (SQLite: it committed before the write lock was taken) or makes
 * one of the two rerun (PostgreSQL: the users row or units_rev it read
 * was written). The token's hash is unique: the last guard. */
static dh_status token_create_tx(dh_tx *tx, void *closure, dh_err *e)
{
    token_create_cl *cl = closure;
    const dh_actor *a = cl->a;
    user_copy u = {0};
    dh_status st;
    free(cl->secret);
    cl->secret = NULL;
    json_decref(cl->out);
    cl->out = NULL;
    if ((st = DH_PEOPLE(tx->c)->get_user(tx->c, 0, cl->who, copy_user, &u, e)))
        return st;
    if (a->role != DH_ROLE_ADMIN && u.id != a->user_id)
        return dh_tx_deny(tx, a, "create", "token", cl->who, "", cl->now, e,
                          "create tokens for another user");
    int64_t unit_id = 0;
    const char *unit_code = unit_code_of_id(tx->reg, u.unit_id);
    if (cl->unit && *cl->unit) {
        int32_t t = dh_unitreg_find(tx->reg, cl->unit);
        if (t < 0)
            return dh_err_set(e, DH_E_INVALID, "unknown_unit", "unit",
                              "unit '%s' does not exist", cl->unit);
        dh_role role = DH_ROLE_VIEWER;
        dh_role_parse(u.role, &role);
        int32_t scope = u.unit_id ? dh_unitreg_by_id(tx->reg, u.unit_id) : -1;
        /* A token narrows its user's scope, never widens it. */
        if (role != DH_ROLE_ADMIN && !dh_access_allows(tx->reg, DH_ROLE_VIEWER, scope,
                                                       DH_ACT_READ, t,
                                                       dh_date_of_time_vn(cl->now)))
            return dh_tx_deny(tx, a, "create", "token", cl->who, cl->unit, cl->now, e,
                              "scope a token outside the user's subtree");
        unit_id = tx->reg->u[t].id;
        unit_code = tx->reg->u[t].code;
    }
    cl->secret = new_secret("dht_");
    char *h = hash_secret(cl->secret);
    dh_cred_row cr = {0, DH_CRED_TOKEN, u.id, cl->name, unit_id, h, cl->now, 0, 0};
    int64_t id;
    st = DH_PEOPLE(tx->c)->insert_cred(tx->c, &cr, &id, e);
    free(h);
    if (st)
        return st;
    cl->out = json_pack("{s:I,s:s,s:s,s:o}", "id", (json_int_t)id, "name", cl->name, "user",
                        u.login, "unit", unit_code ? json_string(unit_code) : json_null());
    char key[32];
    snprintf(key, sizeof key, "%lld", (long long)id);
    return dh_app_audit(tx->c, a, "create", "token", key, unit_code ? unit_code : "", "ok", NULL,
                        cl->out, cl->now, e);
}

dh_status dh_app_token_create(dh_app *app, const dh_actor *a, const char *login,
                              const char *name, const char *unit, time_t now, char **secret,
                              json_t **out, dh_err *e)
{
    dh_status st;
    char *clean = NULL;
    *secret = NULL;
    *out = NULL;
    const char *who = login && *login ? login : a->login;
    /* A token minting tokens would outlive its own revocation and could
     * widen its scope: only a password session or the command line may. */
    if (a->is_token)
        return dh_app_deny(app, a, "create", "token", who, "", now, e,
                           "create tokens with an API token (sign in with a password)");
    if ((st = dh_text_clean_field(name, "name", &clean, e)))
        return st;
    if (!*clean || strlen(clean) > 100) {
        free(clean);
        return dh_err_set(e, DH_E_INVALID, "invalid_name", "name",
                          "a token needs a name of 1 to 100 bytes of UTF-8 text");
    }
    token_create_cl cl = {a, who, clean, unit, now, NULL, NULL};
    st = dh_tx_run(app, DH_TX_UNITS, token_create_tx, &cl, e);
    if (st) {
        free(cl.secret);
        json_decref(cl.out);
    } else {
        *secret = cl.secret;
        *out = cl.out;
    }
    free(clean);
    return st;
}

typedef struct token_revoke_cl {
    const dh_actor *a;
    int64_t id;
    const char *key;
    time_t now;
} token_revoke_cl;

/* Concurrency: reads the token's row (its owner) and revokes it in the
 * same write transaction; the owner of a credential never changes and a
 * revocation stays, so two revocations at once both succeed and the
 * first time is kept (revoke_cred changes an unrevoked row only). */
static dh_status token_revoke_tx(dh_tx *tx, void *closure, dh_err *e)
{
    token_revoke_cl *cl = closure;
    cred_copy cc = {0};
    dh_status st = DH_PEOPLE(tx->c)->get_cred(tx->c, cl->id, copy_cred, &cc, e);
    if (st == DH_OK && cc.row.kind != DH_CRED_TOKEN)
        st = dh_err_set(e, DH_E_NOTFOUND, "unknown_token", "id", "no token %lld",
                        (long long)cl->id);
    if (st == DH_E_NOTFOUND)
        dh_err_set(e, DH_E_NOTFOUND, "unknown_token", "id", "no token %lld", (long long)cl->id);
    if (st)
        return st;
    if (cl->a->role != DH_ROLE_ADMIN && cc.row.user_id != cl->a->user_id)
        return dh_tx_deny(tx, cl->a, "revoke", "token", cl->key, "", cl->now, e,
                          "revoke another user's token");
    if ((st = DH_PEOPLE(tx->c)->revoke_cred(tx->c, cl->id, cl->now, e)))
        return st;
    return dh_app_audit(tx->c, cl->a, "revoke", "token", cl->key, "", "ok", NULL, NULL, cl->now,
                        e);
}

dh_status dh_app_token_revoke(dh_app *app, const dh_actor *a, int64_t id, time_t now, dh_err *e)
{
    char key[32];
    snprintf(key, sizeof key, "%lld", (long long)id);
    /* A token revokes itself only (asked before the lookup: no oracle). */
    if (a->is_token && id != a->cred_id)
        return dh_app_deny(app, a, "revoke", "token", key, "", now, e,
                           "revoke a token other than itself");
    token_revoke_cl cl = {a, id, key, now};
    return dh_tx_run(app, DH_TX_WRITE, token_revoke_tx, &cl, e);
}
