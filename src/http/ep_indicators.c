/* ep_indicators.c - indicators, the data hub, targets and report
 * obligations over HTTP (docs/INDICATORS.md):
 *   GET  /api/v1/indicators
 *   POST /api/v1/indicators                       create or update by code
 *   POST /api/v1/indicator-values                 {"values":[...]} all or nothing, idempotent
 *   GET  /api/v1/indicator-values?indicator=&unit=&subtree=1&from=&to=&limit=&cursor=
 *   POST /api/v1/indicator-values/import?name=F   a CSV or XLSX file as the raw body
 *   GET  /api/v1/targets?unit=&subtree=1&status=&indicator=&as_of=&detailed=1&limit=&cursor=
 *   POST /api/v1/targets                          (warnings for splits that do not add up)
 *   GET  /api/v1/obligations
 *   POST /api/v1/obligations
 *   POST /api/v1/obligations/{id}/approvals       {"unit","period"}: approve and lock
 *   GET  /api/v1/obligations/{id}/completeness?period=
 *   GET  /api/v1/sources/freshness?unit=          late sources first
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"

static void reply(dh_resp *rs, dh_status st, const dh_err *e, int ok_status, json_t *out)
{
    if (st)
        dh_reply_err(rs, e);
    else
        dh_reply_json_steal(rs, ok_status, out);
}

static int date_param(dh_req *rq, dh_resp *rs, const char *name, dh_date *out)
{
    const char *s = dh_req_query(rq, name);
    *out = DH_DATE_NONE;
    if (s && *s && dh_date_parse(s, out)) {
        dh_reply_error(rs, 422, "invalid_date", name, "%s must be YYYY-MM-DD", name);
        return -1;
    }
    return 0;
}

static bool flag(dh_req *rq, const char *name)
{
    const char *s = dh_req_query(rq, name);
    return s && (!strcmp(s, "1") || !strcmp(s, "true"));
}

static void list_indicators(dh_req *rq, dh_resp *rs)
{
    json_t *items;
    dh_err e;
    if (dh_app_indicator_list(rq->app, &rq->actor, &items, &e))
        dh_reply_err(rs, &e);
    else
        dh_reply_list_steal(rs, items, NULL);
}

static void post_indicator(dh_req *rq, dh_resp *rs)
{
    json_t *body = dh_req_json(rq, rs), *out = NULL;
    if (!body)
        return;
    dh_err e;
    dh_status st = dh_app_indicator_put(rq->app, &rq->actor, body, rq->now, &out, &e);
    json_decref(body);
    reply(rs, st, &e, 201, out);
}

static void post_values(dh_req *rq, dh_resp *rs)
{
    json_t *body = dh_req_json(rq, rs), *out = NULL;
    if (!body)
        return;
    dh_err e;
    dh_status st;
    json_t *values = json_object_get(body, "values");
    if (json_object_size(body) != 1 || !values)
        st = dh_err_set(&e, DH_E_INVALID, "invalid_body", "values",
                        "the body is {\"values\": [...]}");
    else
        st = dh_app_values_put(rq->app, &rq->actor, values, rq->now, &out, &e);
    json_decref(body);
    reply(rs, st, &e, 200, out);
}

static void list_values(dh_req *rq, dh_resp *rs)
{
    dh_value_query q = {dh_req_query(rq, "indicator"), dh_req_query(rq, "unit"),
                        flag(rq, "subtree"), DH_DATE_NONE, DH_DATE_NONE, 0, 0};
    if (date_param(rq, rs, "from", &q.from) || date_param(rq, rs, "to", &q.to) ||
        dh_req_limit(rq, rs, &q.limit) || dh_req_cursor(rq, rs, &q.offset))
        return;
    json_t *items;
    bool more;
    dh_err e;
    if (dh_app_values_list(rq->app, &rq->actor, &q, rq->now, &items, &more, &e)) {
        dh_reply_err(rs, &e);
        return;
    }
    char next[32];
    snprintf(next, sizeof next, "%lld", (long long)(q.offset + q.limit));
    dh_reply_list_steal(rs, items, more ? next : NULL);
}

static void post_values_import(dh_req *rq, dh_resp *rs)
{
    const char *name = dh_req_query(rq, "name");
    dh_import_report rep;
    dh_err e;
    json_t *out = NULL;
    dh_status st = dh_app_values_import(rq->app, &rq->actor, rq->body, rq->body_len,
                                        name && *name ? name : "upload", rq->now, &rep, &out, &e);
    dh_reply_import(rs, st, &e, &rep, 200, out);
    dh_import_report_free(&rep);
}

static void list_targets(dh_req *rq, dh_resp *rs)
{
    dh_target_query q = {dh_req_query(rq, "unit"), flag(rq, "subtree"), dh_req_query(rq, "status"),
                         dh_req_query(rq, "indicator"), DH_DATE_NONE, 0, 0, flag(rq, "detailed")};
    if (date_param(rq, rs, "as_of", &q.as_of) || dh_req_cursor(rq, rs, &q.offset))
        return;
    if (dh_req_query(rq, "limit") && dh_req_limit(rq, rs, &q.limit))
        return;
    json_t *out;
    dh_err e;
    dh_status st = dh_app_target_status(rq->app, &rq->actor, &q, rq->now, &out, &e);
    reply(rs, st, &e, 200, out);
}

static void post_target(dh_req *rq, dh_resp *rs)
{
    json_t *body = dh_req_json(rq, rs), *out = NULL;
    if (!body)
        return;
    dh_err e;
    dh_status st = dh_app_target_put(rq->app, &rq->actor, body, rq->now, &out, &e);
    json_decref(body);
    reply(rs, st, &e, 201, out);
}

static void list_obligations(dh_req *rq, dh_resp *rs)
{
    json_t *items;
    dh_err e;
    if (dh_app_obligation_list(rq->app, &rq->actor, &items, &e))
        dh_reply_err(rs, &e);
    else
        dh_reply_list_steal(rs, items, NULL);
}

static void post_obligation(dh_req *rq, dh_resp *rs)
{
    json_t *body = dh_req_json(rq, rs), *out = NULL;
    if (!body)
        return;
    dh_err e;
    dh_status st = dh_app_obligation_put(rq->app, &rq->actor, body, rq->now, &out, &e);
    json_decref(body);
    reply(rs, st, &e, 201, out);
}

static void post_approval(dh_req *rq, dh_resp *rs)
{
    json_t *body = dh_req_json(rq, rs), *out = NULL;
    if (!body)
        return;
    dh_err e;
    dh_status st = dh_app_obligation_approve(
        rq->app, &rq->actor, rq->params[0], json_string_value(json_object_get(body, "unit")),
        json_string_value(json_object_get(body, "period")), rq->now, &out, &e);
    json_decref(body);
    reply(rs, st, &e, 201, out);
}

static void get_completeness(dh_req *rq, dh_resp *rs)
{
    json_t *out;
    dh_err e;
    dh_status st = dh_app_completeness(rq->app, &rq->actor, rq->params[0],
                                       dh_req_query(rq, "period"), rq->now, &out, &e);
    reply(rs, st, &e, 200, out);
}

static void get_freshness(dh_req *rq, dh_resp *rs)
{
    json_t *out;
    dh_err e;
    const char *unit = dh_req_query(rq, "unit");
    dh_status st = dh_app_sources_freshness(rq->app, &rq->actor, unit && *unit ? unit : NULL,
                                            rq->now, &out, &e);
    reply(rs, st, &e, 200, out);
}

const dh_route dh_routes_indicators[] = {
    {"GET", "/api/v1/indicators", list_indicators, 0},
    {"POST", "/api/v1/indicators", post_indicator, 0},
    {"POST", "/api/v1/indicator-values", post_values, DH_ROUTE_BULK},
    {"GET", "/api/v1/indicator-values", list_values, 0},
    {"POST", "/api/v1/indicator-values/import", post_values_import, DH_ROUTE_BULK},
    {"GET", "/api/v1/targets", list_targets, 0},
    {"POST", "/api/v1/targets", post_target, 0},
    {"GET", "/api/v1/obligations", list_obligations, 0},
    {"POST", "/api/v1/obligations", post_obligation, 0},
    {"POST", "/api/v1/obligations/{}/approvals", post_approval, 0},
    {"GET", "/api/v1/obligations/{}/completeness", get_completeness, 0},
    {"GET", "/api/v1/sources/freshness", get_freshness, 0},
    {NULL, NULL, NULL, 0},
};
