/* ep_auth.c - POST /api/v1/login, POST /api/v1/logout, GET /api/v1/me. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"

static void post_login(dh_req *rq, dh_resp *rs)
{
    json_t *body = dh_req_json(rq, rs);
    if (!body)
        return;
    json_t *jl = json_object_get(body, "login"), *jp = json_object_get(body, "password");
    if (!json_is_string(jl) || !json_is_string(jp)) {
        const char *field = !json_is_string(jl) ? "login" : "password";
        json_decref(body);
        dh_reply_error(rs, 422, "missing_field", field, "login and password are required strings");
        return;
    }
    char *token = NULL, *csrf = NULL;
    json_t *user = NULL;
    int retry = 0;
    dh_err e;
    dh_status st = dh_app_login(rq->app, json_string_value(jl), json_string_value(jp), rq->ip,
                                rq->now, &token, &csrf, &user, &retry, &e);
    json_decref(body);
    if (st) {
        rs->retry_after = retry;
        dh_reply_err(rs, &e);
        return;
    }
    dh_reply_session_cookie(rq, rs, token);
    dh_reply_json_steal(rs, 200,
                        json_pack("{s:s,s:s,s:o}", "token", token, "csrf", csrf, "user",
                                  user ? user : json_null()));
    free(token);
    free(csrf);
}

static void post_logout(dh_req *rq, dh_resp *rs)
{
    dh_err e;
    if (dh_app_logout(rq->app, &rq->actor, rq->now, &e)) {
        dh_reply_err(rs, &e);
        return;
    }
    dh_reply_session_cookie(rq, rs, NULL);
    dh_reply_json_steal(rs, 200, json_pack("{s:b}", "ok", 1));
}

static void get_me(dh_req *rq, dh_resp *rs)
{
    json_t *me = dh_app_actor_json(&rq->actor);
    if (rq->actor.via_cookie) {
        char *csrf = dh_app_csrf_for(rq->secret);
        json_object_set_new(me, "csrf", json_string(csrf));
        free(csrf);
    }
    dh_reply_json_steal(rs, 200, me);
}

const dh_route dh_routes_auth[] = {
    {"POST", "/api/v1/login", post_login, DH_ROUTE_PUBLIC},
    {"POST", "/api/v1/logout", post_logout, 0},
    {"GET", "/api/v1/me", get_me, 0},
    {0, 0, 0, 0},
};
