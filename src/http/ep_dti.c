/* ep_dti.c - the digital-transformation index (issue 16):
 *   GET  /api/v1/dti/frameworks                        every framework, latest year first
 *   POST /api/v1/dti/frameworks?code=&name=&level=&year=[&filename=]   a framework file
 *                                                      (CSV or XLSX body; admins)
 *   POST /api/v1/dti/results?framework=&year=[&partial=1][&filename=]  published results
 *   GET  /api/v1/dti/score?unit=&framework=&year=      a unit's scorecard
 *   GET  /api/v1/dti/rank?framework=&year=             the ranking of a framework's year
 *   POST /api/v1/dti/assessments {unit,framework,year}  start a self-assessment
 *   POST /api/v1/dti/assessments/step {unit,framework,year,action}  submit|appraise|publish
 *   PUT  /api/v1/dti/entries {unit,framework,year,criterion,points|value,evidence?,note?,
 *                             comment?,reason?}        one criterion's figures
 *   GET  /api/v1/dti/assessment?unit=&framework=&year=  entries and revisions
 *   POST /api/v1/dti/remediation {unit,framework,year,implements?}  the remediation plan
 *   POST /api/v1/dti/evidence?unit=&framework=&year=&criterion=&name=F  an evidence file of a
 *                                                      criterion as the raw body (20 MB)
 *   GET  /api/v1/dti/evidence/{id}?unit=&framework=&year=  its bytes
 * The JSON is that of the CLI's --json (src/app/app.h, dh_app_dti_*).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"

/* ?year= (2000..2100); replies 422 and returns -1 when missing or bad. */
static int year_param(dh_req *rq, dh_resp *rs, int *year)
{
    const char *s = dh_req_query(rq, "year");
    char *end;
    long y = s ? strtol(s, &end, 10) : 0;
    if (!s || !*s || *end || y < 2000 || y > 2100) {
        dh_reply_error(rs, 422, s ? "invalid_value" : "missing_field", "year",
                       "year must be a year from 2000 to 2100");
        return -1;
    }
    *year = (int)y;
    return 0;
}

/* Required query parameters; replies 422 naming the first missing one. */
static int need(dh_req *rq, dh_resp *rs, const char *const *names)
{
    for (int i = 0; names[i]; i++) {
        const char *v = dh_req_query(rq, names[i]);
        if (!v || !*v) {
            dh_reply_error(rs, 422, "missing_field", names[i], "%s is required", names[i]);
            return -1;
        }
    }
    return 0;
}

static void reply(dh_resp *rs, dh_status st, const dh_err *e, json_t *out)
{
    if (st) {
        json_decref(out);
        dh_reply_err(rs, e);
    } else {
        dh_reply_json_steal(rs, 200, out);
    }
}

static void get_frameworks(dh_req *rq, dh_resp *rs)
{
    dh_err e;
    json_t *out = NULL;
    dh_status st = dh_app_dti_frameworks(rq->app, &rq->actor, &out, &e);
    reply(rs, st, &e, out);
}

static const char *file_name(dh_req *rq)
{
    const char *name = dh_req_query(rq, "filename");
    return name && *name ? name : "upload";
}

static void post_framework(dh_req *rq, dh_resp *rs)
{
    static const char *const req[] = {"code", "name", "level", NULL};
    int year;
    if (need(rq, rs, req) || year_param(rq, rs, &year))
        return;
    dh_import_report rep;
    dh_err e;
    json_t *out = NULL;
    dh_status st = dh_app_dti_framework_import(
        rq->app, &rq->actor, rq->body, rq->body_len, file_name(rq), dh_req_query(rq, "code"),
        dh_req_query(rq, "name"), dh_req_query(rq, "level"), year, rq->now, &rep, &out, &e);
    dh_reply_import(rs, st, &e, &rep, 201, out);
    dh_import_report_free(&rep);
}

static void post_results(dh_req *rq, dh_resp *rs)
{
    static const char *const req[] = {"framework", NULL};
    int year;
    if (need(rq, rs, req) || year_param(rq, rs, &year))
        return;
    const char *partial = dh_req_query(rq, "partial");
    if (partial && strcmp(partial, "0") && strcmp(partial, "1")) {
        dh_reply_error(rs, 422, "invalid_value", "partial", "partial must be 0 or 1");
        return;
    }
    dh_import_report rep;
    dh_err e;
    json_t *out = NULL;
    dh_status st = dh_app_dti_results_import(
        rq->app, &rq->actor, rq->body, rq->body_len, file_name(rq), dh_req_query(rq, "framework"),
        year, partial && !strcmp(partial, "1"), rq->now, &rep, &out, &e);
    dh_reply_import(rs, st, &e, &rep, 201, out);
    dh_import_report_free(&rep);
}

/* A read of one unit's assessment (?unit=&framework=&year=) through fn. */
typedef dh_status (*unit_read)(dh_app *, const dh_actor *, const char *, const char *, int,
                               time_t, json_t **, dh_err *);
static void unit_get(dh_req *rq, dh_resp *rs, unit_read fn)
{
    static const char *const req[] = {"unit", "framework", NULL};
    int year;
    if (need(rq, rs, req) || year_param(rq, rs, &year))
        return;
    dh_err e;
    json_t *out = NULL;
    dh_status st = fn(rq->app, &rq->actor, dh_req_query(rq, "unit"),
                      dh_req_query(rq, "framework"), year, rq->now, &out, &e);
    reply(rs, st, &e, out);
}

static void get_score(dh_req *rq, dh_resp *rs)
{
    unit_get(rq, rs, dh_app_dti_score);
}

static void get_rank(dh_req *rq, dh_resp *rs)
{
    static const char *const req[] = {"framework", NULL};
    int year;
    if (need(rq, rs, req) || year_param(rq, rs, &year))
        return;
    dh_err e;
    json_t *out = NULL;
    dh_status st = dh_app_dti_rank(rq->app, &rq->actor, dh_req_query(rq, "framework"), year,
                                   rq->now, &out, &e);
    reply(rs, st, &e, out);
}

/* {unit, framework, year} of a workflow body; replies 422 when missing. */
static int body_target(dh_resp *rs, json_t *b, const char **unit, const char **fw, int *year)
{
    *unit = json_string_value(json_object_get(b, "unit"));
    *fw = json_string_value(json_object_get(b, "framework"));
    json_t *y = json_object_get(b, "year");
    const char *missing = !*unit                ? "unit"
                          : !*fw                ? "framework"
                          : !json_is_integer(y) ? "year"
                                                : NULL;
    if (missing) {
        dh_reply_error(rs, 422, "missing_field", missing, "%s is required", missing);
        return -1;
    }
    *year = (int)json_integer_value(y);
    return 0;
}

/* The workflow's writes on {unit, framework, year}: what 0 creates the
 * assessment, 1 moves it on by the body's action, 2 creates its
 * remediation plan (implementing the body's implements). */
static void workflow(dh_req *rq, dh_resp *rs, int what)
{
    json_t *b = dh_req_json(rq, rs);
    const char *unit, *fw;
    int year;
    if (!b || body_target(rs, b, &unit, &fw, &year)) {
        json_decref(b);
        return;
    }
    dh_err e;
    json_t *out = NULL;
    const char *arg = json_string_value(json_object_get(b, what == 1 ? "action" : "implements"));
    dh_status st =
        what == 0
            ? dh_app_dti_assessment_create(rq->app, &rq->actor, unit, fw, year, rq->now, &out, &e)
        : what == 1
            ? dh_app_dti_step(rq->app, &rq->actor, unit, fw, year, arg, rq->now, &out, &e)
            : dh_app_dti_remediation(rq->app, &rq->actor, unit, fw, year, arg, rq->now, &out, &e);
    if (st)
        dh_reply_err(rs, &e);
    else
        dh_reply_json_steal(rs, what == 1 ? 200 : 201, out);
    json_decref(b);
}

static void post_assessment(dh_req *rq, dh_resp *rs)
{
    workflow(rq, rs, 0);
}

static void post_step(dh_req *rq, dh_resp *rs)
{
    workflow(rq, rs, 1);
}

static void post_remediation(dh_req *rq, dh_resp *rs)
{
    workflow(rq, rs, 2);
}

static void put_entry(dh_req *rq, dh_resp *rs)
{
    json_t *b = dh_req_json(rq, rs);
    if (!b)
        return;
    dh_err e;
    json_t *out = NULL;
    dh_status st = dh_app_dti_entry_put(rq->app, &rq->actor, b, rq->now, &out, &e);
    reply(rs, st, &e, out);
    json_decref(b);
}

static void get_assessment(dh_req *rq, dh_resp *rs)
{
    unit_get(rq, rs, dh_app_dti_assessment_get);
}

static void post_evidence(dh_req *rq, dh_resp *rs)
{
    static const char *const req[] = {"unit", "framework", "criterion", "name", NULL};
    int year;
    if (need(rq, rs, req) || year_param(rq, rs, &year))
        return;
    dh_err e;
    json_t *out = NULL;
    dh_status st = dh_app_dti_evidence_put(
        rq->app, &rq->actor, dh_req_query(rq, "unit"), dh_req_query(rq, "framework"), year,
        dh_req_query(rq, "criterion"), dh_req_query(rq, "name"), rq->body, rq->body_len, rq->now,
        &out, &e);
    if (st)
        dh_reply_err(rs, &e);
    else
        dh_reply_json_steal(rs, 201, out);
}

static void get_evidence(dh_req *rq, dh_resp *rs)
{
    static const char *const req[] = {"unit", "framework", NULL};
    int year;
    char *end;
    long long id = strtoll(rq->params[0], &end, 10);
    if (*end || id <= 0) {
        dh_reply_error(rs, 404, "unknown_file", NULL, "file %s does not exist", rq->params[0]);
        return;
    }
    if (need(rq, rs, req) || year_param(rq, rs, &year))
        return;
    dh_err e;
    json_t *meta = NULL;
    char *data = NULL;
    size_t len = 0;
    if (dh_app_dti_evidence_get(rq->app, &rq->actor, dh_req_query(rq, "unit"),
                                dh_req_query(rq, "framework"), year, id, rq->now, &meta, &data,
                                &len, &e))
        dh_reply_err(rs, &e);
    else
        dh_reply_file(rs, id, meta, data, len);
}

const dh_route dh_routes_dti[] = {
    {"POST", "/api/v1/dti/evidence", post_evidence, DH_ROUTE_BULK},
    {"GET", "/api/v1/dti/evidence/{}", get_evidence, 0},
    {"POST", "/api/v1/dti/assessments", post_assessment, 0},
    {"POST", "/api/v1/dti/assessments/step", post_step, 0},
    {"PUT", "/api/v1/dti/entries", put_entry, 0},
    {"GET", "/api/v1/dti/assessment", get_assessment, 0},
    {"POST", "/api/v1/dti/remediation", post_remediation, 0},
    {"GET", "/api/v1/dti/frameworks", get_frameworks, 0},
    {"POST", "/api/v1/dti/frameworks", post_framework, DH_ROUTE_BULK},
    {"POST", "/api/v1/dti/results", post_results, DH_ROUTE_BULK},
    {"GET", "/api/v1/dti/score", get_score, 0},
    {"GET", "/api/v1/dti/rank", get_rank, 0},
    {0, 0, 0, 0},
};
