/* ep_reports.c - official reports:
 *   GET /api/v1/reports/ii06a?unit=&from=&to=|period=&format=json|csv|html|xlsx|pdf
 *   GET /api/v1/kpis?unit=&subtree=1&from=&to=|period=&group_by=unit|procedure|field|month
 *                    &procedure=&field=  (only the dossiers of one procedure / field)
 *   GET /api/v1/kpis/trend?unit=&subtree=1&by=month|quarter|year&from=&to=
 *                    or ?unit=&same=2026-Q3|2026-07&years=11   trends (issue 20)
 *   GET /api/v1/full-online?unit=&period=|from=&to=     fully online services (issue 19)
 *   GET /api/v1/index/766?unit=&period=|from=&to=       the Decision 766 service index
 *   PUT /api/v1/index/766/values {unit, period|from+to, indicator, value, note?}
 *   GET /api/v1/index/766/config                          every configuration version
 *   GET /api/v1/reports/late-daily?unit=&date=   the daily late-dossier report (issue 19)
 * the first two with &units=as_were|today (closed units rolled up into today's) and
 * &exact=1 (recount by replay instead of the aggregates).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/period.h"
#include "http/http.h"
#include "util/buf.h"

/* ?exact=1 and ?units=as_were|today (DH_KPI_*); replies 422 and returns
 * -1 when bad. */
static int kpi_flags(dh_req *rq, dh_resp *rs, unsigned *flags)
{
    const char *exact = dh_req_query(rq, "exact"), *units = dh_req_query(rq, "units");
    *flags = 0;
    if (exact && strcmp(exact, "0") && strcmp(exact, "1")) {
        dh_reply_error(rs, 422, "invalid_value", "exact", "exact must be 0 or 1");
        return -1;
    }
    if (exact && !strcmp(exact, "1"))
        *flags |= DH_KPI_EXACT;
    if (units && strcmp(units, "as_were") && strcmp(units, "today")) {
        dh_reply_error(rs, 422, "invalid_value", "units", "units must be as_were or today");
        return -1;
    }
    if (units && !strcmp(units, "today"))
        *flags |= DH_KPI_TODAY_UNITS;
    return 0;
}

/* ?unit= and ?period= or ?from=&to= (dates inclusive); replies 422 and
 * returns -1 when bad. */
static int period_params(dh_req *rq, dh_resp *rs, dh_period *p)
{
    if (!dh_req_query(rq, "unit")) {
        dh_reply_error(rs, 422, "missing_field", "unit", "unit is required");
        return -1;
    }
    const char *from = dh_req_query(rq, "from"), *to = dh_req_query(rq, "to"),
               *period = dh_req_query(rq, "period");
    const char *why = NULL;
    if (period) {
        if (dh_period_parse(period, p, &why)) {
            dh_reply_error(rs, 422, "invalid_period", "period", "'%s': %s", period, why);
            return -1;
        }
        return 0;
    }
    if (!from || !to || dh_date_parse(from, &p->from) || dh_date_parse(to, &p->to)) {
        dh_reply_error(rs, 422, "invalid_period", from && !to ? "to" : "from",
                       "give from=YYYY-MM-DD and to=YYYY-MM-DD, or period=");
        return -1;
    }
    if (p->to < p->from) {
        dh_reply_error(rs, 422, "invalid_range", "to", "to is before from");
        return -1;
    }
    return 0;
}

static void get_ii06a(dh_req *rq, dh_resp *rs)
{
    const char *unit = dh_req_query(rq, "unit"), *format = dh_req_query(rq, "format");
    if (!format)
        format = "json";
    if (strcmp(format, "json") && strcmp(format, "csv") && strcmp(format, "html") &&
        strcmp(format, "xlsx") && strcmp(format, "pdf")) {
        dh_reply_error(rs, 422, "invalid_format", "format",
                       "format must be json, csv, html, xlsx or pdf");
        return;
    }
    dh_period p;
    unsigned flags;
    if (period_params(rq, rs, &p) || kpi_flags(rq, rs, &flags))
        return;
    dh_err e;
    json_t *rep;
    if (dh_app_report_ii06a(rq->app, &rq->actor, unit, p.from, p.to, flags, rq->now, &rep, &e)) {
        dh_reply_err(rs, &e);
        return;
    }
    if (!strcmp(format, "json")) {
        dh_reply_json_steal(rs, 200, rep);
        return;
    }
    char *text = NULL, name[400];
    size_t len = 0;
    dh_app_unit_name(rq->app, unit, p.to, name, sizeof name);
    if (!strcmp(format, "xlsx") || !strcmp(format, "pdf"))
        dh_app_ii06a_header(rq->app, rep, rq->now);
    if (!strcmp(format, "csv")) {
        text = dh_report_ii06a_csv(rep);
        rs->content_type = "text/csv; charset=utf-8";
        snprintf(rs->disposition, sizeof rs->disposition, "attachment; filename=\"II06a.csv\"");
    } else if (!strcmp(format, "xlsx")) {
        if (dh_report_ii06a_xlsx(rep, name, &text, &len, &e)) {
            json_decref(rep);
            dh_reply_err(rs, &e);
            return;
        }
        rs->content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
        snprintf(rs->disposition, sizeof rs->disposition, "attachment; filename=\"II06a.xlsx\"");
    } else if (!strcmp(format, "pdf")) {
        if (dh_report_ii06a_pdf(rep, name, &text, &len, &e)) {
            json_decref(rep);
            dh_reply_err(rs, &e);
            return;
        }
        rs->content_type = "application/pdf";
        snprintf(rs->disposition, sizeof rs->disposition, "attachment; filename=\"II06a.pdf\"");
    } else {
        text = dh_report_ii06a_html(rep, name, true);
        rs->content_type = "text/html; charset=utf-8";
    }
    json_decref(rep);
    rs->status = 200;
    free(rs->body);
    rs->body = text;
    rs->body_len = len;
}

static void get_kpis(dh_req *rq, dh_resp *rs)
{
    const char *unit = dh_req_query(rq, "unit"), *sub = dh_req_query(rq, "subtree");
    dh_period p;
    unsigned flags;
    if (period_params(rq, rs, &p) || kpi_flags(rq, rs, &flags))
        return;
    dh_err e;
    bool subtree = sub && (!strcmp(sub, "1") || !strcmp(sub, "true"));
    /* written straight into the reply (dh_app_kpis_text) */
    dh_buf b = DH_BUF_INIT;
    if (dh_app_kpis_text(rq->app, &rq->actor, unit, subtree, dh_req_query(rq, "procedure"),
                         dh_req_query(rq, "field"), p.from, p.to, dh_req_query(rq, "group_by"),
                         flags, rq->now, &b, &e)) {
        dh_buf_free(&b);
        dh_reply_err(rs, &e);
        return;
    }
    /* The feedback group (issue 17): the same unit scope and period, as the
     * document's last member. */
    json_t *fb = NULL;
    if (dh_app_fb_kpis_scope(rq->app, &rq->actor, unit, subtree, p.from, p.to, rq->now, &fb,
                             &e) == DH_OK) {
        char *x = json_dumps(fb, JSON_COMPACT);
        b.len--; /* the closing brace */
        dh_buf_puts(&b, ",\"feedback\":");
        dh_buf_puts(&b, x);
        dh_buf_putc(&b, '}');
        free(x);
        json_decref(fb);
    }
    rs->status = 200;
    free(rs->body);
    rs->body_len = b.len;
    rs->body = dh_buf_steal(&b);
    rs->content_type = "application/json; charset=utf-8";
}

/* Trends from the aggregates: the buckets of a range, or the same quarter
 * or month over the years (issue 20, point 4). */
static void get_kpi_trend(dh_req *rq, dh_resp *rs)
{
    const char *sub = dh_req_query(rq, "subtree"), *from = dh_req_query(rq, "from"),
               *to = dh_req_query(rq, "to"), *years = dh_req_query(rq, "years");
    dh_trend_query q = {dh_req_query(rq, "unit"),
                        sub && (!strcmp(sub, "1") || !strcmp(sub, "true")),
                        dh_req_query(rq, "procedure"),
                        dh_req_query(rq, "field"),
                        dh_req_query(rq, "by"),
                        0,
                        0,
                        dh_req_query(rq, "same"),
                        0};
    if ((from || to) && (!from || !to || dh_date_parse(from, &q.from) || dh_date_parse(to, &q.to))) {
        dh_reply_error(rs, 422, "invalid_period", from && !to ? "to" : "from",
                       "give both from=YYYY-MM-DD and to=YYYY-MM-DD, or neither");
        return;
    }
    if (years) {
        char *end;
        long n = strtol(years, &end, 10);
        if (!*years || *end || n < 1 || n > 20) {
            dh_reply_error(rs, 422, "invalid_value", "years", "years must be 1 to 20");
            return;
        }
        q.years = (int)n;
    }
    dh_err e;
    json_t *out;
    if (dh_app_kpi_trend(rq->app, &rq->actor, &q, rq->now, &out, &e))
        dh_reply_err(rs, &e);
    else
        dh_reply_json_steal(rs, 200, out);
}

/* Fully online services of a unit over a period (issue 19, point 8). */
static void get_full_online(dh_req *rq, dh_resp *rs)
{
    dh_period p;
    if (period_params(rq, rs, &p))
        return;
    dh_err e;
    json_t *out;
    if (dh_app_full_online(rq->app, &rq->actor, dh_req_query(rq, "unit"), p.from, p.to, rq->now,
                           &out, &e))
        dh_reply_err(rs, &e);
    else
        dh_reply_json_steal(rs, 200, out);
}

static void get_index766(dh_req *rq, dh_resp *rs)
{
    dh_period p;
    if (period_params(rq, rs, &p))
        return;
    dh_err e;
    json_t *out;
    if (dh_app_index766(rq->app, &rq->actor, dh_req_query(rq, "unit"), p.from, p.to,
                        dh_req_query(rq, "period"), rq->now, &out, &e))
        dh_reply_err(rs, &e);
    else
        dh_reply_json_steal(rs, 200, out);
}

static void put_index766_value(dh_req *rq, dh_resp *rs)
{
    json_t *body = dh_req_json(rq, rs);
    if (!body)
        return;
    static const char *const allowed[] = {"unit", "period", "from", "to", "indicator", "value",
                                          "note", NULL};
    dh_err e;
    dh_period p;
    const char *why = NULL;
    json_t *v = json_object_get(body, "value");
    const char *unit = json_string_value(json_object_get(body, "unit")),
               *period = json_string_value(json_object_get(body, "period")),
               *from = json_string_value(json_object_get(body, "from")),
               *to = json_string_value(json_object_get(body, "to")),
               *code = json_string_value(json_object_get(body, "indicator")),
               *note = json_string_value(json_object_get(body, "note"));
    const char *key;
    json_t *member;
    json_object_foreach(body, key, member)
    {
        bool ok = false;
        for (int i = 0; allowed[i]; i++)
            ok = ok || !strcmp(allowed[i], key);
        if (!ok) {
            dh_reply_error(rs, 422, "unknown_field", key, "unknown member '%s'", key);
            json_decref(body);
            return;
        }
    }
    if (!unit || !code || !json_is_number(v)) {
        dh_reply_error(rs, 422, "missing_field", !unit ? "unit" : !code ? "indicator" : "value",
                       "unit and indicator (strings) and value (a number) are required");
    } else if (period ? dh_period_parse(period, &p, &why) != 0
                      : (!from || !to || dh_date_parse(from, &p.from) || dh_date_parse(to, &p.to))) {
        dh_reply_error(rs, 422, "invalid_period", period ? "period" : "from", "%s",
                       why ? why : "give period, or from and to as YYYY-MM-DD");
    } else if (dh_app_index766_set(rq->app, &rq->actor, unit, p.from, p.to, code,
                                   json_number_value(v), note, rq->now, &e)) {
        dh_reply_err(rs, &e);
    } else {
        json_t *out = json_pack("{s:s,s:s,s:f}", "unit", unit, "indicator", code, "value",
                                json_number_value(v));
        dh_reply_json_steal(rs, 200, out);
    }
    json_decref(body);
}

static void get_index766_config(dh_req *rq, dh_resp *rs)
{
    dh_err e;
    json_t *items;
    if (dh_app_index766_config(rq->app, &items, &e)) {
        json_decref(items);
        dh_reply_err(rs, &e);
    } else {
        dh_reply_list_steal(rs, items, NULL);
    }
}

static void get_late_daily(dh_req *rq, dh_resp *rs)
{
    const char *unit = dh_req_query(rq, "unit"), *date = dh_req_query(rq, "date");
    dh_date d = dh_date_of_time_vn(rq->now);
    if (!unit || !*unit) {
        if (!rq->actor.unit_code[0]) {
            dh_reply_error(rs, 422, "missing_field", "unit", "unit is required");
            return;
        }
        unit = rq->actor.unit_code;
    }
    if (date && dh_date_parse(date, &d)) {
        dh_reply_error(rs, 422, "invalid_date", "date", "date must be YYYY-MM-DD");
        return;
    }
    dh_err e;
    json_t *out;
    if (dh_app_late_daily(rq->app, &rq->actor, unit, d, rq->now, &out, &e))
        dh_reply_err(rs, &e);
    else
        dh_reply_json_steal(rs, 200, out);
}

const dh_route dh_routes_reports[] = {
    {"GET", "/api/v1/index/766", get_index766, 0},
    {"PUT", "/api/v1/index/766/values", put_index766_value, 0},
    {"GET", "/api/v1/index/766/config", get_index766_config, 0},
    {"GET", "/api/v1/kpis", get_kpis, 0},
    {"GET", "/api/v1/kpis/trend", get_kpi_trend, 0},
    {"GET", "/api/v1/full-online", get_full_online, 0},
    {"GET", "/api/v1/reports/ii06a", get_ii06a, 0},
    {"GET", "/api/v1/reports/late-daily", get_late_daily, 0},
    {0, 0, 0, 0},
};
