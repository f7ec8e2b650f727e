/* ep_dossiers.c - dossier events in, dossiers out:
 *   POST /api/v1/dossier-events        one event or {"events":[...]} (up to 10,000), all or
 *                                      nothing; idempotent on (source, id)
 *   GET  /api/v1/dossiers?unit=&subtree=1&state=&procedure=&field=&channel=&from=&to=&q=&limit=&cursor=
 *   GET  /api/v1/dossiers/{code}       the dossier with its events
 *   GET  /api/v1/procedures?q=&limit=&cursor=     the catalogue (versions in force today)
 *   POST /api/v1/procedures            (admin) one or {"procedures":[...]}
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"
#include "util/text.h"

static void post_events(dh_req *rq, dh_resp *rs)
{
    json_t *body = dh_req_json(rq, rs);
    if (!body)
        return;
    json_t *events = json_object_get(body, "events");
    json_t *arr;
    if (events) {
        if (json_object_size(body) != 1) {
            json_decref(body);
            dh_reply_error(rs, 422, "unknown_field", NULL,
                           "a batch is {\"events\":[...]} and nothing else");
            return;
        }
        arr = json_incref(events);
        if (json_is_array(arr) && json_array_size(arr) > 10000) {
            json_decref(arr);
            json_decref(body);
            dh_reply_error(rs, 413, "too_many", "events", "at most 10000 events in one request");
            return;
        }
    } else {
        arr = json_array();
        json_array_append(arr, body);
    }
    dh_ingest_report rep;
    dh_err e;
    dh_status st = dh_app_dossier_ingest(rq->app, &rq->actor, arr, false, NULL, NULL, rq->now,
                                         &rep, &e);
    if (st) {
        dh_reply_err(rs, &e);
        /* Say which events were refused. */
        json_t *err = NULL;
        if (rs->body)
            err = json_loads(rs->body, 0, NULL);
        if (err) {
            json_t *refused = json_array();
            size_t i;
            json_t *r;
            json_array_foreach(rep.results, i, r)
            {
                if (strcmp(json_string_value(json_object_get(r, "status")), "refused") == 0)
                    json_array_append(refused, r);
            }
            json_object_set_new(err, "refused", refused);
            int status = rs->status;
            dh_reply_json_steal(rs, status, err);
        }
    } else {
        dh_reply_json_steal(rs, rep.accepted ? 201 : 200,
                            json_pack("{s:i,s:i,s:i,s:O}", "accepted", rep.accepted, "duplicates",
                                      rep.duplicates, "dossiers", rep.dossiers, "results",
                                      rep.results));
    }
    json_decref(rep.results);
    json_decref(arr);
    json_decref(body);
}

static int time_param(dh_req *rq, dh_resp *rs, const char *name, time_t *t)
{
    const char *v = dh_req_query(rq, name);
    *t = 0;
    if (v && dh_time_parse(v, t)) {
        dh_reply_error(rs, 422, "invalid_time", name,
                       "%s must be YYYY-MM-DD or an RFC 3339 time", name);
        return -1;
    }
    return 0;
}

/* How far the list counts when asked (count=1): exact up to this, else
 * "more than" it. Counting reads at most this many rows of an index range. */
#define COUNT_CAP 1000

static void list_dossiers(dh_req *rq, dh_resp *rs)
{
    int limit;
    int64_t offset = 0;
    dh_dossier_query q = {0};
    /* cursor: ours (keyset, "k..."), or a number (an offset, as before) */
    const char *cur = dh_req_query(rq, "cursor");
    if (cur && *cur == 'k')
        q.cursor = cur;
    if (dh_req_limit(rq, rs, &limit) || (!q.cursor && dh_req_cursor(rq, rs, &offset)) ||
        time_param(rq, rs, "from", &q.from) || time_param(rq, rs, "to", &q.to))
        return;
    q.unit = dh_req_query(rq, "unit");
    const char *sub = dh_req_query(rq, "subtree");
    q.subtree = sub && (strcmp(sub, "1") == 0 || strcmp(sub, "true") == 0);
    q.state = dh_req_query(rq, "state");
    q.procedure = dh_req_query(rq, "procedure");
    q.q = dh_req_query(rq, "q");
    q.channel = dh_req_query(rq, "channel");
    q.field = dh_req_query(rq, "field");
    q.offset = offset;
    q.limit = limit;
    const char *cnt = dh_req_query(rq, "count");
    json_t *items;
    char *next = NULL;
    int64_t n = 0;
    dh_err e;
    bool counting = cnt && !strcmp(cnt, "1");
    if (dh_app_dossier_page(rq->app, &rq->actor, &q, rq->now, &items, &next, &e)) {
        dh_reply_err(rs, &e);
        return;
    }
    if (counting && dh_app_dossier_count(rq->app, &rq->actor, &q, rq->now, COUNT_CAP, &n, &e)) {
        json_decref(items);
        free(next);
        dh_reply_err(rs, &e);
        return;
    }
    json_t *o = json_pack("{s:o,s:o}", "items", items, "next",
                          next ? json_string(next) : json_null());
    if (counting) {
        json_object_set_new(o, "count", json_integer(n > COUNT_CAP ? COUNT_CAP : n));
        json_object_set_new(o, "count_exact", json_boolean(n <= COUNT_CAP));
    }
    free(next);
    dh_reply_json_steal(rs, 200, o);
}

static void get_dossier(dh_req *rq, dh_resp *rs)
{
    json_t *out;
    dh_err e;
    if (dh_app_dossier_get(rq->app, &rq->actor, rq->params[0], false, rq->now, &out, &e))
        dh_reply_err(rs, &e);
    else
        dh_reply_json_steal(rs, 200, out);
}

static void get_apology(dh_req *rq, dh_resp *rs, bool pdf)
{
    json_t *l;
    dh_err e;
    if (dh_app_letter(rq->app, &rq->actor, rq->params[0], rq->now, &l, &e)) {
        dh_reply_err(rs, &e);
        return;
    }
    char *body;
    size_t len = 0;
    if (pdf) {
        if (dh_letter_pdf(l, &body, &len, &e)) {
            json_decref(l);
            dh_reply_err(rs, &e);
            return;
        }
    } else {
        body = dh_letter_html(l, true);
    }
    json_decref(l);
    rs->status = 200;
    free(rs->body);
    rs->body = body;
    rs->body_len = len;
    rs->content_type = pdf ? "application/pdf" : "text/html; charset=utf-8";
    /* the code is restricted to visible characters; keep it out of the header anyway */
    snprintf(rs->disposition, sizeof rs->disposition, "%s; filename=\"xin-loi.%s\"",
             pdf ? "attachment" : "inline", pdf ? "pdf" : "html");
}

static void get_apology_pdf(dh_req *rq, dh_resp *rs) { get_apology(rq, rs, true); }
static void get_apology_html(dh_req *rq, dh_resp *rs) { get_apology(rq, rs, false); }

static void list_procedures(dh_req *rq, dh_resp *rs)
{
    int limit;
    int64_t cursor;
    if (dh_req_limit(rq, rs, &limit) || dh_req_cursor(rq, rs, &cursor))
        return;
    dh_err e;
    const dh_procset *s = dh_app_procedures_acquire(rq->app, &e);
    if (!s) {
        dh_reply_err(rs, &e);
        return;
    }
    const char *q = dh_req_query(rq, "q");
    char *fq = q ? dh_text_fold(q) : NULL;
    dh_date today = dh_date_of_time_vn(rq->now);
    json_t *items = json_array();
    int64_t seen = 0;
    bool more = false;
    for (size_t i = 0; i < s->n; i++) {
        if (i + 1 < s->n && strcmp(s->v[i + 1].code, s->v[i].code) == 0 &&
            s->v[i + 1].valid_from <= today)
            continue; /* a later version is in force */
        const dh_proc *p = &s->v[i];
        if (fq && *fq) {
            char *fn = dh_text_fold(p->name);
            bool hit = strstr(fn, fq) || strcmp(p->code, q) == 0;
            free(fn);
            if (!hit)
                continue;
        }
        if (seen++ < cursor)
            continue;
        if ((int)json_array_size(items) == limit) {
            more = true;
            break;
        }
        json_array_append_new(items, dh_proc_json(p));
    }
    free(fq);
    dh_app_procedures_release(rq->app, s);
    char next[32];
    snprintf(next, sizeof next, "%lld", (long long)(cursor + limit));
    dh_reply_list_steal(rs, items, more ? next : NULL);
}

static void post_procedures(dh_req *rq, dh_resp *rs)
{
    json_t *body = dh_req_json(rq, rs), *out = NULL;
    if (!body)
        return;
    dh_err e;
    if (dh_app_procedure_create(rq->app, &rq->actor, body, rq->now, &out, &e))
        dh_reply_err(rs, &e);
    else
        dh_reply_json_steal(rs, 201, out);
    json_decref(body);
}

const dh_route dh_routes_dossiers[] = {
    {"POST", "/api/v1/dossier-events", post_events, DH_ROUTE_BULK},
    {"GET", "/api/v1/dossiers", list_dossiers, 0},
    {"GET", "/api/v1/dossiers/{}", get_dossier, 0},
    {"GET", "/api/v1/dossiers/{}/apology.pdf", get_apology_pdf, 0},
    {"GET", "/api/v1/dossiers/{}/apology.html", get_apology_html, 0},
    {"GET", "/api/v1/procedures", list_procedures, 0},
    {"POST", "/api/v1/procedures", post_procedures, DH_ROUTE_BULK},
    {0, 0, 0, 0},
};
