/* ep_feedback.c - citizen feedback (issue 17):
 *   GET  /api/v1/feedback/categories[?routes=1]    categories (and routing rules); public
 *   PUT  /api/v1/feedback/categories {code,name,...}   a category (admins)
 *   PUT  /api/v1/feedback/routes {category,commune,unit}  a routing rule (admins)
 *   GET  /api/v1/feedback/kpis?from=&to=           KPIs per unit and in total
 *   GET  /api/v1/feedback/reminders?unit=&limit=&cursor=  the at-risk / overdue reminders
 *   POST /api/v1/feedback/job/run[?force=1&days=N] the feedback job now (admins): auto-close,
 *                                                  then the reminders
 *   POST /api/v1/feedback {category,description,...,channel}  feedback taken by an officer
 *   GET  /api/v1/feedback[?unit=&category=&commune=&state=open|closed&from=&to=&queue=1&limit=]
 *   GET  /api/v1/feedback/{code}                   a record with its events
 *   POST /api/v1/feedback/{code}/attachments[?name=]  an image (the body; <= 5 MB)
 *   GET  /api/v1/feedback/{code}/attachments/{sha256}  the image, its type by content, for
 *                                           the handling unit's officers and admins only
 *   POST /api/v1/feedback/{code}/{action}          accept, reject, start, request_info,
 *                                                  resume, transfer, answer, close, rate
 *   POST /api/v1/public/feedback {...}             anonymous submission (5 an hour per address)
 *   GET  /api/v1/public/feedback/{code}            the public view (no personal data)
 *   POST /api/v1/public/feedback/{code}/rate {rating}  the citizen's rating
 * The JSON is that of the CLI's --json (src/app/app.h, dh_app_fb_*). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"
#include "store/feedback.h"

/* Retry-After of a refused flood of submissions (seconds). */
#define FB_RETRY_AFTER 600

static void reply(dh_resp *rs, dh_status st, const dh_err *e, json_t *out, int ok)
{
    if (st) {
        json_decref(out);
        if (st == DH_E_THROTTLED)
            rs->retry_after = FB_RETRY_AFTER;
        dh_reply_err(rs, e);
    } else {
        dh_reply_json_steal(rs, ok, out);
    }
}

static void get_categories(dh_req *rq, dh_resp *rs)
{
    const char *r = dh_req_query(rq, "routes");
    dh_err e;
    json_t *out = NULL;
    dh_status st = dh_app_fb_categories(rq->app, NULL, r && !strcmp(r, "1"), &out, &e);
    reply(rs, st, &e, out, 200);
}

static void put_config(dh_req *rq, dh_resp *rs, bool route)
{
    json_t *b = dh_req_json(rq, rs);
    if (!b)
        return;
    dh_err e;
    dh_status st = dh_app_fb_category_put(rq->app, &rq->actor, b, route, rq->now, &e);
    json_decref(b);
    reply(rs, st, &e, st ? NULL : json_pack("{s:b}", "ok", 1), 200);
}

static void put_category(dh_req *rq, dh_resp *rs) { put_config(rq, rs, false); }
static void put_route(dh_req *rq, dh_resp *rs) { put_config(rq, rs, true); }

/* ?name= as a date; replies 422 and returns -1 when missing or bad. */
static int date_param(dh_req *rq, dh_resp *rs, const char *name, dh_date *out)
{
    const char *s = dh_req_query(rq, name);
    if (!s || dh_date_parse(s, out)) {
        dh_reply_error(rs, 422, s ? "invalid_value" : "missing_field", name,
                       "%s is a date YYYY-MM-DD", name);
        return -1;
    }
    return 0;
}

static void get_kpis(dh_req *rq, dh_resp *rs)
{
    dh_date from, to;
    if (date_param(rq, rs, "from", &from) || date_param(rq, rs, "to", &to))
        return;
    dh_err e;
    json_t *out = NULL;
    dh_status st = dh_app_fb_kpis(rq->app, &rq->actor, from, to, rq->now, &out, &e);
    reply(rs, st, &e, out, 200);
}

static void submit(dh_req *rq, dh_resp *rs, bool public_form)
{
    json_t *b = dh_req_json(rq, rs);
    if (!b)
        return;
    dh_err e;
    json_t *out = NULL;
    dh_actor anon;
    dh_public_actor(rq, &anon);
    dh_status st = dh_app_fb_submit(rq->app, public_form ? &anon : &rq->actor, b,
                                    public_form ? "portal" : NULL, public_form, rq->ip, rq->now,
                                    &out, &e);
    json_decref(b);
    reply(rs, st, &e, out, 201);
}

static void post_feedback(dh_req *rq, dh_resp *rs) { submit(rq, rs, false); }
static void post_public(dh_req *rq, dh_resp *rs) { submit(rq, rs, true); }

static void get_list(dh_req *rq, dh_resp *rs)
{
    dh_fb_filter f = {0};
    f.unit = dh_req_query(rq, "unit");
    f.category = dh_req_query(rq, "category");
    f.commune = dh_req_query(rq, "commune");
    const char *state = dh_req_query(rq, "state"), *queue = dh_req_query(rq, "queue");
    if (state && strcmp(state, "open") && strcmp(state, "closed")) {
        dh_reply_error(rs, 422, "invalid_value", "state", "state is open or closed");
        return;
    }
    f.open = !state ? 0 : !strcmp(state, "open") ? 1 : -1;
    if (queue && !strcmp(queue, "1")) {
        f.open = 1;
        f.order = 1;
    }
    dh_date d;
    if (dh_req_query(rq, "from")) {
        if (date_param(rq, rs, "from", &d))
            return;
        f.from = dh_date_start_vn(d);
    }
    if (dh_req_query(rq, "to")) {
        if (date_param(rq, rs, "to", &d))
            return;
        f.to = dh_date_start_vn(d + 1);
    }
    if (dh_req_limit(rq, rs, &f.limit))
        return;
    dh_err e;
    json_t *items = NULL;
    dh_status st = dh_app_fb_list(rq->app, &rq->actor, &f, rq->now, &items, &e);
    if (st)
        reply(rs, st, &e, NULL, 200);
    else
        dh_reply_list_steal(rs, items, NULL);
}

static void get_one(dh_req *rq, dh_resp *rs)
{
    dh_err e;
    json_t *out = NULL;
    dh_status st = dh_app_fb_get(rq->app, &rq->actor, rq->params[0], rq->now, &out, &e);
    reply(rs, st, &e, out, 200);
}

static void get_public(dh_req *rq, dh_resp *rs)
{
    if (!dh_public_lookup_allow(rs, rq->ip, rq->now)) {
        dh_reply_error(rs, 429, "too_many_lookups", NULL,
                       "at most 30 lookups a minute from one address; try again later");
        return;
    }
    dh_err e;
    json_t *out = NULL;
    dh_status st = dh_app_fb_get(rq->app, NULL, rq->params[0], rq->now, &out, &e);
    reply(rs, st, &e, out, 200);
}

static void act(dh_req *rq, dh_resp *rs, const dh_actor *a, const char *code, const char *action)
{
    json_t *b = NULL;
    if (rq->body_len && !(b = dh_req_json(rq, rs)))
        return;
    dh_err e;
    json_t *out = NULL;
    dh_status st = dh_app_fb_act(rq->app, a, code, action, b, rq->now, &out, &e);
    json_decref(b);
    reply(rs, st, &e, out, 200);
}

static void post_attachment(dh_req *rq, dh_resp *rs)
{
    dh_err e;
    json_t *out = NULL;
    dh_status st = dh_app_fb_attach(rq->app, &rq->actor, rq->params[0], rq->body, rq->body_len,
                                    dh_req_query(rq, "name"), rq->now, &out, &e);
    reply(rs, st, &e, out, 201);
}

static void post_action(dh_req *rq, dh_resp *rs)
{
    act(rq, rs, &rq->actor, rq->params[0], rq->params[1]);
}

static void post_rate(dh_req *rq, dh_resp *rs)
{
    dh_actor anon;
    dh_public_actor(rq, &anon);
    act(rq, rs, rq->authed ? &rq->actor : &anon, rq->params[0], "rate");
}

static void get_attachment(dh_req *rq, dh_resp *rs)
{
    dh_err e;
    const char *mime;
    void *data;
    size_t len;
    if (dh_app_fb_attachment(rq->app, &rq->actor, rq->params[0], rq->params[1], rq->now, &mime,
                             &data, &len, &e)) {
        dh_reply_err(rs, &e);
        return;
    }
    rs->status = 200;
    free(rs->body);
    rs->body = data;
    rs->body_len = len;
    rs->content_type = mime;
    snprintf(rs->disposition, sizeof rs->disposition, "inline");
    rs->cache = "private, max-age=3600";
}

static void get_reminders(dh_req *rq, dh_resp *rs)
{
    dh_reply_inbox(rq, rs, dh_app_fb_reminders);
}

/* The feedback job by hand (admins): ?force=1 mails today's reminders
 * again; ?days=N closes with N instead of the configured days. */
static void post_job(dh_req *rq, dh_resp *rs)
{
    if (rq->actor.role != DH_ROLE_ADMIN || rq->actor.scoped_admin) {
        dh_app_audit_denied(rq->app, &rq->actor, "run", "feedback_job", "", "", rq->now);
        dh_reply_error(rs, 403, "forbidden", NULL, "only an admin may run the feedback job by hand");
        return;
    }
    const char *force = dh_req_query(rq, "force"), *days_s = dh_req_query(rq, "days");
    int days = dh_fb_close_days();
    if (days_s) {
        char *end;
        long d = strtol(days_s, &end, 10);
        if (!*days_s || *end || d < 0 || d > 3650) {
            dh_reply_error(rs, 422, "invalid_value", "days", "days is a whole number, 0 to 3650");
            return;
        }
        days = (int)d;
    }
    json_t *closed = NULL, *reminders = NULL;
    dh_err e;
    dh_status st = dh_app_fb_autoclose(rq->app, rq->now, days, &closed, &e);
    if (st == DH_OK)
        st = dh_app_fb_reminders_run(rq->app, rq->now, force && !strcmp(force, "1"), &reminders,
                                     &e);
    if (st) {
        json_decref(closed);
        dh_reply_err(rs, &e);
        return;
    }
    dh_reply_json_steal(rs, 200, json_pack("{s:o, s:o}", "autoclose", closed, "reminders",
                                           reminders));
}

const dh_route dh_routes_feedback[] = {
    {"GET", "/api/v1/feedback/reminders", get_reminders, 0},
    {"POST", "/api/v1/feedback/job/run", post_job, 0},
    {"GET", "/api/v1/feedback/categories", get_categories, DH_ROUTE_PUBLIC},
    {"PUT", "/api/v1/feedback/categories", put_category, 0},
    {"PUT", "/api/v1/feedback/routes", put_route, 0},
    {"GET", "/api/v1/feedback/kpis", get_kpis, 0},
    {"POST", "/api/v1/feedback", post_feedback, 0},
    {"GET", "/api/v1/feedback", get_list, 0},
    {"GET", "/api/v1/feedback/{}", get_one, 0},
    {"POST", "/api/v1/feedback/{}/attachments", post_attachment, DH_ROUTE_BULK},
    {"GET", "/api/v1/feedback/{}/attachments/{}", get_attachment, 0},
    {"POST", "/api/v1/feedback/{}/{}", post_action, 0},
    {"POST", "/api/v1/public/feedback", post_public, DH_ROUTE_PUBLIC},
    {"GET", "/api/v1/public/feedback/{}", get_public, DH_ROUTE_PUBLIC},
    {"POST", "/api/v1/public/feedback/{}/rate", post_rate, DH_ROUTE_PUBLIC},
    {0, 0, 0, 0},
};
