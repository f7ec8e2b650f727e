/* ep_reports.c - official reports:
 *   GET /api/v1/reports/ii06a?unit=&from=&to=|period=&format=json|csv|html
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/period.h"
#include "http/http.h"

static void get_ii06a(dh_req *rq, dh_resp *rs)
{
    const char *unit = dh_req_query(rq, "unit"), *from = dh_req_query(rq, "from"),
               *to = dh_req_query(rq, "to"), *period = dh_req_query(rq, "period"),
               *format = dh_req_query(rq, "format");
    if (!format)
        format = "json";
    if (strcmp(format, "json") && strcmp(format, "csv") && strcmp(format, "html") &&
        strcmp(format, "xlsx")) {
        dh_reply_error(rs, 422, "invalid_format", "format",
                       "format must be json, csv, html or xlsx");
        return;
    }
    dh_period p;
    const char *why = NULL;
    if (period) {
        if (dh_period_parse(period, &p, &why)) {
            dh_reply_error(rs, 422, "invalid_period", "period", "'%s': %s", period, why);
            return;
        }
    } else if (!from || !to || dh_date_parse(from, &p.from) || dh_date_parse(to, &p.to)) {
        dh_reply_error(rs, 422, "invalid_period", from && !to ? "to" : "from",
                       "give from=YYYY-MM-DD and to=YYYY-MM-DD, or period=");
        return;
    } else if (p.to < p.from) {
        dh_reply_error(rs, 422, "invalid_range", "to", "to is before from");
        return;
    }
    if (!unit) {
        dh_reply_error(rs, 422, "missing_field", "unit", "unit is required");
        return;
    }
    dh_err e;
    json_t *rep;
    if (dh_app_report_ii06a(rq->app, &rq->actor, unit, p.from, p.to, rq->now, &rep, &e)) {
        if (e.status == DH_E_INVALID && !strcmp(e.code, "unknown_unit"))
            e.status = DH_E_INVALID;
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
    } else {
        text = dh_report_ii06a_html(rep, name);
        rs->content_type = "text/html; charset=utf-8";
    }
    json_decref(rep);
    rs->status = 200;
    free(rs->body);
    rs->body = text;
    rs->body_len = len;
}

const dh_route dh_routes_reports[] = {
    {"GET", "/api/v1/reports/ii06a", get_ii06a, 0},
    {0, 0, 0, 0},
};
