/* ep_plans.c - plans, tasks, progress, directives and reminders over HTTP
 * (docs/PLANS.md):
 *   GET   /api/v1/plans                       every plan with task counts by status
 *   POST  /api/v1/plans                       a plan (implements: cycle refused)
 *   GET   /api/v1/plans/{id}                  id or key (?number= for numbers with '/')
 *   PATCH /api/v1/plans/{id}
 *   GET   /api/v1/plans/{id}/coverage?unit=
 *   POST  /api/v1/plans/{id}/import?name=F    a CSV or XLSX appendix as the raw body
 *   POST  /api/v1/files?name=F                a document or evidence as the raw body (20 MB)
 *   GET   /api/v1/files/{id}                  its bytes
 *   GET   /api/v1/tasks?unit=&subtree=1&coordinating=1&status=&due_before=&plan=&kind=&review=1&needs_owner=1
 *   POST  /api/v1/tasks
 *   GET   /api/v1/tasks/{id}
 *   PATCH /api/v1/tasks/{id}
 *   POST  /api/v1/tasks/{id}/updates          progress (lead unit) or {"kind":"comment"}
 *   POST  /api/v1/tasks/{id}/comments         a comment (lead or coordinating unit)
 *   POST  /api/v1/directives
 *   GET   /api/v1/inbox?unit=&limit=&cursor=
 *   POST  /api/v1/reminders/run?force=1       (admin) the daily job now
 *   PUT   /api/v1/contacts/{unit}             (admin) {"email": "..."} for reminders
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

static int id_param(dh_req *rq, dh_resp *rs, int64_t *id)
{
    char *end;
    long long v = strtoll(rq->params[0], &end, 10);
    if (*end || v <= 0) {
        dh_reply_error(rs, 404, "not_found", NULL, "no such resource: %s", rq->path);
        return -1;
    }
    *id = v;
    return 0;
}

/* The plan named by the path, or by ?number= when the number holds '/'. */
static const char *plan_ref(dh_req *rq)
{
    const char *n = dh_req_query(rq, "number");
    return n && *n ? n : rq->params[0];
}

/* POST of a JSON body to an app function that creates something (201). */
typedef dh_status (*create_fn)(dh_app *app, const dh_actor *a, json_t *body, time_t now,
                               json_t **out, dh_err *e);

static void post_body(dh_req *rq, dh_resp *rs, create_fn create)
{
    json_t *body = dh_req_json(rq, rs), *out = NULL;
    if (!body)
        return;
    dh_err e;
    dh_status st = create(rq->app, &rq->actor, body, rq->now, &out, &e);
    json_decref(body);
    reply(rs, st, &e, 201, out);
}

static void list_plans(dh_req *rq, dh_resp *rs)
{
    json_t *items;
    dh_err e;
    if (dh_app_plan_list(rq->app, &rq->actor, rq->now, &items, &e))
        dh_reply_err(rs, &e);
    else
        dh_reply_list_steal(rs, items, NULL);
}

static void post_plan(dh_req *rq, dh_resp *rs) { post_body(rq, rs, dh_app_plan_create); }

static void get_plan(dh_req *rq, dh_resp *rs)
{
    json_t *out = NULL;
    dh_err e;
    dh_status st = dh_app_plan_get(rq->app, &rq->actor, plan_ref(rq), rq->now, &out, &e);
    reply(rs, st, &e, 200, out);
}

static void patch_plan(dh_req *rq, dh_resp *rs)
{
    json_t *body = dh_req_json(rq, rs), *out = NULL;
    if (!body)
        return;
    dh_err e;
    dh_status st =
        dh_app_plan_patch(rq->app, &rq->actor, plan_ref(rq), body, rq->now, &out, &e);
    json_decref(body);
    reply(rs, st, &e, 200, out);
}

static void get_coverage(dh_req *rq, dh_resp *rs)
{
    json_t *out = NULL;
    dh_err e;
    const char *unit = dh_req_query(rq, "unit");
    if (!unit || !*unit) {
        dh_reply_error(rs, 422, "missing_field", "unit", "unit (a unit code) is required");
        return;
    }
    dh_status st =
        dh_app_plan_coverage(rq->app, &rq->actor, plan_ref(rq), unit, rq->now, &out, &e);
    reply(rs, st, &e, 200, out);
}

static void post_import(dh_req *rq, dh_resp *rs)
{
    const char *name = dh_req_query(rq, "name");
    dh_import_report rep;
    dh_err e;
    dh_status st = dh_app_plan_import(rq->app, &rq->actor, plan_ref(rq), rq->body, rq->body_len,
                                      name && *name ? name : "upload", rq->now, &rep, &e);
    dh_reply_import(rs, st, &e, &rep, 201,
                    st ? NULL : json_pack("{s:i}", "imported", rep.taken));
    dh_import_report_free(&rep);
}

static void post_file(dh_req *rq, dh_resp *rs)
{
    const char *name = dh_req_query(rq, "name");
    json_t *out = NULL;
    dh_err e;
    dh_status st = dh_app_file_put(rq->app, &rq->actor, name, rq->body, rq->body_len, rq->now,
                                   &out, &e);
    reply(rs, st, &e, 201, out);
}

static void get_file(dh_req *rq, dh_resp *rs)
{
    int64_t id;
    if (id_param(rq, rs, &id))
        return;
    json_t *meta = NULL;
    char *data = NULL;
    size_t len = 0;
    dh_err e;
    if (dh_app_file_get(rq->app, &rq->actor, id, true, rq->now, &meta, &data, &len, &e)) {
        dh_reply_err(rs, &e);
        return;
    }
    dh_reply_file(rs, id, meta, data, len);
}

/* A stored file's bytes (data taken, meta released) with its type. */
void dh_reply_file(dh_resp *rs, int64_t id, json_t *meta, char *data, size_t len)
{
    static const struct {
        const char *type, *mime;
    } mimes[] = {
        {"pdf", "application/pdf"},
        {"doc", "application/msword"},
        {"docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
        {"xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
        {"odt", "application/vnd.oasis.opendocument.text"},
        {"txt", "text/plain; charset=utf-8"},
    };
    const char *type = json_string_value(json_object_get(meta, "type"));
    rs->content_type = "application/octet-stream";
    for (size_t i = 0; i < sizeof mimes / sizeof *mimes; i++)
        if (type && strcmp(type, mimes[i].type) == 0)
            rs->content_type = mimes[i].mime;
    /* The stored name may hold any character: give an ASCII fallback. */
    snprintf(rs->disposition, sizeof rs->disposition, "attachment; filename=\"file-%lld.%s\"",
             (long long)id, type ? type : "bin");
    rs->status = 200;
    rs->body = data;
    rs->body_len = len;
    json_decref(meta);
}

static void list_tasks(dh_req *rq, dh_resp *rs)
{
    dh_task_query q = {0};
    q.unit = dh_req_query(rq, "unit");
    const char *sub = dh_req_query(rq, "subtree"), *co = dh_req_query(rq, "coordinating");
    const char *rv = dh_req_query(rq, "review");
    q.subtree = sub && strcmp(sub, "1") == 0;
    q.coordinating = co && strcmp(co, "1") == 0;
    q.needs_review = rv && strcmp(rv, "1") == 0;
    const char *no = dh_req_query(rq, "needs_owner");
    q.needs_owner = no && strcmp(no, "1") == 0;
    q.status = dh_req_query(rq, "status");
    q.plan = dh_req_query(rq, "plan");
    q.kind = dh_req_query(rq, "kind");
    q.due_before = DH_DATE_NONE;
    const char *db = dh_req_query(rq, "due_before");
    if (db && dh_date_parse(db, &q.due_before)) {
        dh_reply_error(rs, 422, "invalid_date", "due_before",
                       "due_before must be a real date YYYY-MM-DD");
        return;
    }
    if (q.unit && !*q.unit)
        q.unit = NULL;
    json_t *items;
    dh_err e;
    if (dh_app_task_list(rq->app, &rq->actor, &q, rq->now, &items, &e))
        dh_reply_err(rs, &e);
    else
        dh_reply_list_steal(rs, items, NULL);
}

static void post_task(dh_req *rq, dh_resp *rs) { post_body(rq, rs, dh_app_task_create); }

static void get_task(dh_req *rq, dh_resp *rs)
{
    int64_t id;
    if (id_param(rq, rs, &id))
        return;
    json_t *out = NULL;
    dh_err e;
    dh_status st = dh_app_task_get(rq->app, &rq->actor, id, rq->now, &out, &e);
    reply(rs, st, &e, 200, out);
}

static void patch_task(dh_req *rq, dh_resp *rs)
{
    int64_t id;
    if (id_param(rq, rs, &id))
        return;
    json_t *body = dh_req_json(rq, rs), *out = NULL;
    if (!body)
        return;
    dh_err e;
    dh_status st = dh_app_task_patch(rq->app, &rq->actor, id, body, rq->now, &out, &e);
    json_decref(body);
    reply(rs, st, &e, 200, out);
}

static void post_update_kind(dh_req *rq, dh_resp *rs, bool comment)
{
    int64_t id;
    if (id_param(rq, rs, &id))
        return;
    json_t *body = dh_req_json(rq, rs), *out = NULL;
    if (!body)
        return;
    if (comment && !json_object_get(body, "kind"))
        json_object_set_new(body, "kind", json_string("comment"));
    dh_err e;
    dh_status st = dh_app_task_update(rq->app, &rq->actor, id, body, rq->now, &out, &e);
    json_decref(body);
    reply(rs, st, &e, 201, out);
}

static void post_update(dh_req *rq, dh_resp *rs) { post_update_kind(rq, rs, false); }
static void post_comment(dh_req *rq, dh_resp *rs) { post_update_kind(rq, rs, true); }

static void post_directive(dh_req *rq, dh_resp *rs) { post_body(rq, rs, dh_app_directive_create); }

static void get_inbox(dh_req *rq, dh_resp *rs) { dh_reply_inbox(rq, rs, dh_app_inbox); }

static void post_reminders(dh_req *rq, dh_resp *rs)
{
    if (rq->actor.role != DH_ROLE_ADMIN) {
        dh_app_audit_denied(rq->app, &rq->actor, "run", "reminders", "", "", rq->now);
        dh_reply_error(rs, 403, "forbidden", NULL, "only an admin may run the reminders by hand");
        return;
    }
    const char *force = dh_req_query(rq, "force");
    json_t *out = NULL;
    dh_err e;
    dh_status st = dh_app_reminders_run(rq->app, rq->now, force && strcmp(force, "1") == 0, &out,
                                        &e);
    reply(rs, st, &e, 200, out);
}

static void put_contact(dh_req *rq, dh_resp *rs)
{
    json_t *body = dh_req_json(rq, rs);
    if (!body)
        return;
    const char *email = json_string_value(json_object_get(body, "email"));
    dh_err e;
    dh_status st = email ? dh_app_contact_set(rq->app, &rq->actor, rq->params[0], email, rq->now, &e)
                         : dh_err_set(&e, DH_E_INVALID, "missing_field", "email",
                                      "email is required ('' removes the address)");
    reply(rs, st, &e, 200,
          st ? NULL : json_pack("{s:s,s:s}", "unit", rq->params[0], "email", email));
    json_decref(body);
}

const dh_route dh_routes_plans[] = {
    {"GET", "/api/v1/plans", list_plans, 0},
    {"POST", "/api/v1/plans", post_plan, 0},
    {"GET", "/api/v1/plans/{}", get_plan, 0},
    {"PATCH", "/api/v1/plans/{}", patch_plan, 0},
    {"GET", "/api/v1/plans/{}/coverage", get_coverage, 0},
    {"POST", "/api/v1/plans/{}/import", post_import, DH_ROUTE_BULK},
    {"POST", "/api/v1/files", post_file, DH_ROUTE_BULK},
    {"GET", "/api/v1/files/{}", get_file, 0},
    {"GET", "/api/v1/tasks", list_tasks, 0},
    {"POST", "/api/v1/tasks", post_task, 0},
    {"GET", "/api/v1/tasks/{}", get_task, 0},
    {"PATCH", "/api/v1/tasks/{}", patch_task, 0},
    {"POST", "/api/v1/tasks/{}/updates", post_update, 0},
    {"POST", "/api/v1/tasks/{}/comments", post_comment, 0},
    {"POST", "/api/v1/directives", post_directive, 0},
    {"GET", "/api/v1/inbox", get_inbox, 0},
    {"POST", "/api/v1/reminders/run", post_reminders, 0},
    {"PUT", "/api/v1/contacts/{}", put_contact, 0},
    {NULL, NULL, NULL, 0},
};
