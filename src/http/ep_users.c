/* ep_users.c - people and machine credentials:
 *   GET  /api/v1/users?limit=&cursor=      (admin)
 *   POST /api/v1/users                     (admin) {"login","password","role","unit","display_name"}
 *   POST /api/v1/users/{login}/password    (admin, or oneself by session)
 *                                          {"password","revoke_tokens"?}
 *   POST /api/v1/users/{login}/unlock      (admin) clears the sign-in lockout
 *   POST /api/v1/tokens                    {"name","unit"?,"login"?} -> the secret, once
 *   DELETE /api/v1/tokens/{id}             revoke
 */
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

#include "http/http.h"

static const char *str(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Refuses members that are present but not strings. */
static int strings_only(json_t *o, const char *const *keys, dh_resp *rs)
{
    for (const char *const *k = keys; *k; k++) {
        json_t *v = json_object_get(o, *k);
        if (v && !json_is_string(v) && !json_is_null(v)) {
            dh_reply_error(rs, 422, "invalid_type", *k, "%s must be a string", *k);
            return -1;
        }
    }
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v)
    {
        int known = 0;
        for (const char *const *k = keys; *k; k++)
            known |= strcmp(*k, key) == 0;
        if (!known) {
            dh_reply_error(rs, 422, "unknown_field", key, "unknown field '%s'", key);
            return -1;
        }
    }
    return 0;
}

static void list_users(dh_req *rq, dh_resp *rs)
{
    int limit;
    int64_t cursor, next;
    json_t *items;
    dh_err e;
    if (dh_req_limit(rq, rs, &limit) || dh_req_cursor(rq, rs, &cursor))
        return;
    if (dh_app_user_list(rq->app, &rq->actor, rq->now, cursor, limit, &items, &next, &e)) {
        dh_reply_err(rs, &e);
        return;
    }
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", (long long)next);
    dh_reply_list_steal(rs, items, next ? buf : NULL);
}

static void create_user(dh_req *rq, dh_resp *rs)
{
    static const char *const keys[] = {"login", "password", "role", "unit", "display_name", NULL};
    json_t *body = dh_req_json(rq, rs), *out = NULL;
    dh_err e;
    if (!body)
        return;
    if (strings_only(body, keys, rs) == 0) {
        dh_user_spec s = {str(body, "login"), str(body, "password"), str(body, "role"),
                          str(body, "unit"), str(body, "display_name")};
        if (dh_app_user_create(rq->app, &rq->actor, &s, rq->now, &out, &e))
            dh_reply_err(rs, &e);
        else
            dh_reply_json_steal(rs, 201, out);
    }
    json_decref(body);
}

static void set_password(dh_req *rq, dh_resp *rs)
{
    json_t *body = dh_req_json(rq, rs), *out = NULL;
    dh_err e;
    if (!body)
        return;
    json_t *rt = json_object_get(body, "revoke_tokens");
    json_t *copy = json_copy(body);
    json_object_del(copy, "revoke_tokens");
    static const char *const keys[] = {"password", NULL};
    if (rt && !json_is_boolean(rt)) {
        dh_reply_error(rs, 422, "invalid_type", "revoke_tokens", "revoke_tokens must be true or false");
    } else if (strings_only(copy, keys, rs) == 0) {
        if (dh_app_user_password(rq->app, &rq->actor, rq->params[0], str(body, "password"),
                                 json_is_true(rt), rq->now, &out, &e))
            dh_reply_err(rs, &e);
        else
            dh_reply_json_steal(rs, 200, out);
    }
    json_decref(copy);
    json_decref(body);
}

static void unlock_user(dh_req *rq, dh_resp *rs)
{
    dh_err e;
    if (dh_app_user_unlock(rq->app, &rq->actor, rq->params[0], rq->now, &e))
        dh_reply_err(rs, &e);
    else
        dh_reply_json_steal(rs, 200,
                            json_pack("{s:s,s:b}", "login", rq->params[0], "unlocked", 1));
}

static void create_token(dh_req *rq, dh_resp *rs)
{
    static const char *const keys[] = {"name", "unit", "login", NULL};
    json_t *body = dh_req_json(rq, rs), *out = NULL;
    char *secret = NULL;
    dh_err e;
    if (!body)
        return;
    if (strings_only(body, keys, rs) == 0) {
        if (dh_app_token_create(rq->app, &rq->actor, str(body, "login"), str(body, "name"),
                                str(body, "unit"), rq->now, &secret, &out, &e)) {
            dh_reply_err(rs, &e);
        } else {
            json_object_set_new(out, "token", json_string(secret));
            dh_reply_json_steal(rs, 201, out);
        }
    }
    free(secret);
    json_decref(body);
}

static void delete_token(dh_req *rq, dh_resp *rs)
{
    char *end;
    long long id = strtoll(rq->params[0], &end, 10);
    dh_err e;
    if (*end || id <= 0) {
        dh_reply_error(rs, 404, "unknown_token", "id", "no token %s", rq->params[0]);
        return;
    }
    if (dh_app_token_revoke(rq->app, &rq->actor, id, rq->now, &e))
        dh_reply_err(rs, &e);
    else
        dh_reply_json_steal(rs, 200, json_pack("{s:I,s:b}", "id", (json_int_t)id, "revoked", 1));
}

const dh_route dh_routes_users[] = {
    {"GET", "/api/v1/users", list_users, 0},
    {"POST", "/api/v1/users", create_user, 0},
    {"POST", "/api/v1/users/{}/password", set_password, 0},
    {"POST", "/api/v1/users/{}/unlock", unlock_user, 0},
    {"POST", "/api/v1/tokens", create_token, 0},
    {"DELETE", "/api/v1/tokens/{}", delete_token, 0},
    {0, 0, 0, 0},
};
