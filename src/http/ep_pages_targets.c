/* ep_pages_targets.c - the dashboard's pages for indicators, targets and
 * periodic reports (issue 8), in the dashboard's style:
 *   GET  /chi-tieu?unit=&status=          targets by status, with sparkline and projection
 *   GET  /chi-tieu/chi-so/{code}?unit=     an indicator: chart with target and milestones,
 *                                          the units' latest values, CSV export (&format=csv)
 *   GET  /bao-cao/day-du?obligation=&period=   who has (not) reported, on time or late
 *   GET  /nhap-so-lieu, POST /nhap-so-lieu     the data-entry form of a reporter
 *   GET  /nhap-so-lieu/tai-len                 upload a CSV/XLSX of values (per-line errors)
 * Every figure comes from the app functions behind /api/v1/targets,
 * /api/v1/indicator-values and /api/v1/obligations. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/pages.h"
#include "util/csv.h"

static const struct {
    const char *k, *vi, *en, *cls;
} statuses[] = {{"off_track", "Không đạt (chệch hướng)", "Off track", "bad"},
                {"at_risk", "Có nguy cơ không đạt", "At risk", "warn"},
                {"on_track", "Đúng hướng", "On track", "good"},
                {"no_data", "Chưa có số liệu", "No data", ""}};

static const char *status_label(const dh_page *pg, const char *k)
{
    for (size_t i = 0; i < sizeof statuses / sizeof *statuses; i++)
        if (k && !strcmp(statuses[i].k, k))
            return pg->en ? statuses[i].en : statuses[i].vi;
    return k ? k : "";
}

static void num(dh_page *pg, const json_t *v)
{
    double x = json_number_value(v);
    if (!json_is_number(v) || !isfinite(x)) {
        dh_page_raw(pg, "—");
        return;
    }
    char b[48];
    if (x == floor(x) && fabs(x) < 1e15)
        snprintf(b, sizeof b, "%.0f", x);
    else
        snprintf(b, sizeof b, "%.2f", x);
    if (!pg->en)
        for (char *p = b; *p; p++)
            if (*p == '.')
                *p = ',';
    dh_page_text(pg, b);
}

/* A small line of a target's series with its target value. */
static void sparkline(dh_page *pg, const json_t *series, const json_t *target, const char *label)
{
    size_t n = json_array_size(series);
    if (n < 2)
        return;
    /* Only finite values are drawn (a bounded input makes this a last
     * resort): no inf or nan is ever printed into the SVG. */
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        double v = json_number_value(json_object_get(json_array_get(series, i), "value"));
        if (!isfinite(v))
            continue;
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
    }
    double t = json_is_number(target) ? json_number_value(target) : NAN;
    if (!isfinite(t))
        t = NAN;
    if (!isnan(t)) {
        lo = t < lo ? t : lo;
        hi = t > hi ? t : hi;
    }
    if (!isfinite(lo) || !isfinite(hi) || !isfinite(hi - lo))
        return;
    if (hi <= lo)
        hi = lo + 1;
    dh_page_raw(pg, "<svg class=\"spark\" viewBox=\"0 0 120 30\" width=\"120\" height=\"30\" "
                    "role=\"img\" aria-label=\"");
    dh_page_attr(pg, label);
    dh_page_raw(pg, "\"><polyline class=\"series\" points=\"");
    for (size_t i = 0; i < n; i++) {
        double v = json_number_value(json_object_get(json_array_get(series, i), "value"));
        if (!isfinite(v))
            continue;
        dh_page_fmt(pg, "%.1f,%.1f ", 2 + 116.0 * (double)i / (double)(n - 1),
                    28 - 26 * (v - lo) / (hi - lo));
    }
    dh_page_raw(pg, "\"/>");
    if (!isnan(t))
        dh_page_fmt(pg, "<line class=\"target\" x1=\"2\" x2=\"118\" y1=\"%.1f\" y2=\"%.1f\"/>",
                    28 - 26 * (t - lo) / (hi - lo), 28 - 26 * (t - lo) / (hi - lo));
    dh_page_raw(pg, "</svg>");
}

static void get_targets(dh_req *rq, dh_resp *rs)
{
    if (!dh_pages_signed_in(rq, rs))
        return;
    dh_page pg;
    dh_pages_init(rq, &pg);
    const char *unit = dh_req_query(rq, "unit"), *status = dh_req_query(rq, "status");
    dh_target_query q = {unit && *unit ? unit : NULL, true, status && *status ? status : NULL,
                         NULL, DH_DATE_NONE, 0, 500, true};
    dh_err e;
    json_t *out = NULL;
    if (dh_app_target_status(rq->app, &rq->actor, &q, rq->now, &out, &e)) {
        dh_pages_error(rs, &pg, &e);
        return;
    }
    dh_page_begin(&pg, L(&pg, "Chỉ tiêu: đạt hay không đạt", "Targets: will they be met"),
                  "chi-tieu");
    dh_page_raw(&pg, "<p>");
    dh_page_text(&pg, L(&pg, "Tính đến ngày ", "As of "));
    dh_page_text(&pg, json_string_value(json_object_get(out, "as_of")));
    dh_page_text(&pg, L(&pg, ". Dự báo tuyến tính theo các kỳ gần nhất (xem docs/INDICATORS.md).",
                        ". Linear projection over the recent periods (docs/INDICATORS.md)."));
    dh_page_raw(&pg, "</p><div class=\"cards\">");
    json_t *counts = json_object_get(out, "counts");
    for (size_t i = 0; i < sizeof statuses / sizeof *statuses; i++) {
        dh_page_raw(&pg, "<div class=\"card ");
        dh_page_raw(&pg, statuses[i].cls);
        dh_page_raw(&pg, "\"><div class=\"v\"><a href=\"/chi-tieu?status=");
        dh_page_raw(&pg, statuses[i].k);
        if (unit && *unit) {
            dh_page_raw(&pg, "&amp;unit=");
            dh_page_urlenc(&pg, unit);
        }
        dh_page_raw(&pg, "\">");
        dh_page_int(&pg, json_integer_value(json_object_get(counts, statuses[i].k)));
        dh_page_raw(&pg, "</a></div><div class=\"k\">");
        dh_page_text(&pg, pg.en ? statuses[i].en : statuses[i].vi);
        dh_page_raw(&pg, "</div></div>");
    }
    dh_page_raw(&pg, "</div>");
    if (json_is_true(json_object_get(out, "refreshing"))) {
        dh_page_raw(&pg, "<p role=\"status\">");
        dh_page_text(&pg, L(&pg, "Đang cập nhật tình trạng theo số liệu mới nhận; tải lại trang "
                                 "sau ít phút để xem kết quả mới.",
                            "Statuses are being updated from newly received values; reload "
                            "in a few minutes for the new results."));
        dh_page_raw(&pg, "</p>");
    }
    size_t i;
    json_t *w;
    json_array_foreach(json_object_get(out, "split_warnings"), i, w)
    {
        dh_page_raw(&pg, "<p class=\"err\" role=\"alert\">");
        dh_page_text(&pg, json_string_value(json_object_get(w, "message")));
        dh_page_raw(&pg, "</p>");
    }
    dh_page_raw(&pg, "<table><thead><tr>");
    static const char *const hv[] = {"Chỉ tiêu", "Đơn vị", "Mục tiêu", "Thực hiện", "Dự báo",
                                     "Xu hướng", "Tình trạng"};
    static const char *const he[] = {"Target", "Unit", "Goal", "Actual", "Projection", "Trend",
                                     "Status"};
    for (int k = 0; k < 7; k++) {
        dh_page_raw(&pg, "<th scope=\"col\">");
        dh_page_text(&pg, pg.en ? he[k] : hv[k]);
        dh_page_raw(&pg, "</th>");
    }
    dh_page_raw(&pg, "</tr></thead><tbody>");
    json_t *t;
    json_array_foreach(json_object_get(out, "items"), i, t)
    {
        const char *st = json_string_value(json_object_get(t, "status"));
        const char *ind = json_string_value(json_object_get(t, "indicator"));
        const char *name = json_string_value(json_object_get(t, "name"));
        dh_page_raw(&pg, "<tr><td><a href=\"/chi-tieu/chi-so/");
        dh_page_urlenc(&pg, ind);
        dh_page_raw(&pg, "?unit=");
        dh_page_urlenc(&pg, json_string_value(json_object_get(t, "unit")));
        dh_page_raw(&pg, "\">");
        dh_page_text(&pg, name && *name ? name : ind);
        dh_page_raw(&pg, "</a></td><td>");
        dh_pages_unit_name(rq, &pg, json_string_value(json_object_get(t, "unit")), DH_DATE_NONE);
        dh_page_raw(&pg, "</td><td class=\"n\">");
        num(&pg, json_object_get(t, "value"));
        const char *due = json_string_value(json_object_get(t, "due"));
        if (due) {
            dh_page_raw(&pg, "<br><small>");
            dh_page_text(&pg, due);
            dh_page_raw(&pg, "</small>");
        }
        dh_page_raw(&pg, "</td><td class=\"n\">");
        num(&pg, json_object_get(t, "actual"));
        const char *ap = json_string_value(json_object_get(t, "actual_period"));
        if (ap) {
            dh_page_raw(&pg, "<br><small>");
            dh_page_text(&pg, ap);
            dh_page_raw(&pg, "</small>");
        }
        dh_page_raw(&pg, "</td><td class=\"n\">");
        num(&pg, json_object_get(t, "projection"));
        dh_page_raw(&pg, "</td><td>");
        sparkline(&pg, json_object_get(t, "series"), json_object_get(t, "value"),
                  name && *name ? name : (ind ? ind : ""));
        dh_page_raw(&pg, "</td><td class=\"target-");
        dh_page_attr(&pg, st);
        dh_page_raw(&pg, st && !strcmp(st, "off_track") ? " late\">" : "\">");
        dh_page_text(&pg, status_label(&pg, st));
        const char *since = json_string_value(json_object_get(t, "since"));
        if (since) {
            dh_page_raw(&pg, "<br><small>");
            dh_page_text(&pg, L(&pg, "từ ", "since "));
            dh_page_text(&pg, since);
            dh_page_raw(&pg, "</small>");
        }
        dh_page_raw(&pg, "</td></tr>");
    }
    dh_page_raw(&pg, "</tbody></table>");
    json_decref(out);
    dh_pages_send(rs, &pg, 200);
}

static void get_indicator(dh_req *rq, dh_resp *rs)
{
    if (!dh_pages_signed_in(rq, rs))
        return;
    dh_page pg;
    dh_pages_init(rq, &pg);
    const char *code = rq->params[0], *unit = dh_req_query(rq, "unit"),
               *format = dh_req_query(rq, "format");
    dh_value_query vq = {code, unit && *unit ? unit : NULL, true, DH_DATE_NONE, DH_DATE_NONE,
                         0, 5000};
    dh_err e;
    json_t *vals = NULL;
    bool more = false;
    if (dh_app_values_list(rq->app, &rq->actor, &vq, rq->now, &vals, &more, &e)) {
        dh_pages_error(rs, &pg, &e);
        return;
    }
    if (format && !strcmp(format, "csv")) {
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        fputs("\xEF\xBB\xBF", f);
        const char *head[] = {"indicator", "unit", "period", "value", "numerator", "denominator",
                              "source", "id"};
        dh_csv_write_row(f, head, 8);
        size_t i;
        json_t *v;
        json_array_foreach(vals, i, v)
        {
            char cells[8][64];
            const char *row[8];
            for (int k = 0; k < 8; k++) {
                json_t *x = json_object_get(v, head[k]);
                if (json_is_string(x))
                    row[k] = json_string_value(x);
                else if (json_is_number(x) && isfinite(json_number_value(x))) {
                    snprintf(cells[k], sizeof cells[k], "%g", json_number_value(x));
                    row[k] = cells[k];
                } else {
                    row[k] = "";
                }
            }
            dh_csv_write_row(f, row, 8);
        }
        fclose(f);
        json_decref(vals);
        rs->status = 200;
        rs->body = text;
        rs->body_len = len;
        rs->content_type = "text/csv; charset=utf-8";
        snprintf(rs->disposition, sizeof rs->disposition, "attachment; filename=\"chi-so.csv\"");
        return;
    }
    dh_target_query tq = {unit && *unit ? unit : NULL, false, NULL, code, DH_DATE_NONE, 0, 50,
                          true};
    json_t *targets = NULL;
    dh_app_target_status(rq->app, &rq->actor, &tq, rq->now, &targets, &e);
    char title[300];
    snprintf(title, sizeof title, "%s %s", L(&pg, "Chỉ số", "Indicator"), code);
    dh_page_begin(&pg, title, "chi-tieu");
    /* the chart: the chosen unit's series (or the first unit's) with its target */
    const char *u0 = unit && *unit ? unit : json_string_value(json_object_get(json_array_get(vals, 0), "unit"));
    size_t n = json_array_size(vals), m = 0;
    const char **labels = dh_xcalloc(n ? n : 1, sizeof *labels);
    double *ys = dh_xcalloc(n ? n : 1, sizeof *ys);
    size_t i;
    json_t *v;
    json_array_foreach(vals, i, v)
    {
        if (u0 && strcmp(json_string_value(json_object_get(v, "unit")), u0))
            continue;
        labels[m] = json_string_value(json_object_get(v, "period"));
        if (!labels[m])
            labels[m] = "";
        ys[m++] = json_number_value(json_object_get(v, "value"));
    }
    json_t *t0 = json_array_get(json_object_get(targets, "items"), 0);
    double target = json_is_number(json_object_get(t0, "value"))
                        ? json_number_value(json_object_get(t0, "value"))
                        : NAN;
    if (m) {
        char ct[400];
        snprintf(ct, sizeof ct, "%s — %s%s", code, u0 ? u0 : "",
                 isnan(target) ? "" : L(&pg, " (đường đứt: mục tiêu)", " (dashed: the target)"));
        dh_svg_line(&pg, ct, labels, ys, m, target, "");
    }
    free(labels);
    free(ys);
    json_t *ms = json_object_get(t0, "milestones");
    if (json_array_size(ms)) {
        dh_page_raw(&pg, "<h2>");
        dh_page_text(&pg, L(&pg, "Các mốc", "Milestones"));
        dh_page_raw(&pg, "</h2><ul>");
        json_t *x;
        json_array_foreach(ms, i, x)
        {
            dh_page_raw(&pg, "<li>");
            dh_page_text(&pg, json_string_value(json_object_get(x, "date")));
            dh_page_raw(&pg, ": ");
            num(&pg, json_object_get(x, "value"));
            dh_page_raw(&pg, "</li>");
        }
        dh_page_raw(&pg, "</ul>");
    }
    /* every value, newest first per unit as the API gives them */
    dh_page_raw(&pg, "<p><a href=\"/chi-tieu/chi-so/");
    dh_page_urlenc(&pg, code);
    dh_page_raw(&pg, "?format=csv");
    if (unit && *unit) {
        dh_page_raw(&pg, "&amp;unit=");
        dh_page_urlenc(&pg, unit);
    }
    dh_page_raw(&pg, "\">");
    dh_page_text(&pg, L(&pg, "Tải CSV", "Download CSV"));
    dh_page_raw(&pg, "</a></p><table><thead><tr><th scope=\"col\">");
    dh_page_text(&pg, L(&pg, "Đơn vị", "Unit"));
    dh_page_raw(&pg, "</th><th scope=\"col\">");
    dh_page_text(&pg, L(&pg, "Kỳ", "Period"));
    dh_page_raw(&pg, "</th><th scope=\"col\" class=\"n\">");
    dh_page_text(&pg, L(&pg, "Giá trị", "Value"));
    dh_page_raw(&pg, "</th><th scope=\"col\">");
    dh_page_text(&pg, L(&pg, "Nguồn", "Source"));
    dh_page_raw(&pg, "</th></tr></thead><tbody>");
    json_array_foreach(vals, i, v)
    {
        if (i >= 500)
            break;
        dh_page_raw(&pg, "<tr><td>");
        dh_pages_unit_name(rq, &pg, json_string_value(json_object_get(v, "unit")), DH_DATE_NONE);
        dh_page_raw(&pg, "</td><td>");
        dh_page_text(&pg, json_string_value(json_object_get(v, "period")));
        dh_page_raw(&pg, "</td><td class=\"n\">");
        num(&pg, json_object_get(v, "value"));
        dh_page_raw(&pg, "</td><td>");
        dh_page_text(&pg, json_string_value(json_object_get(v, "source")));
        dh_page_raw(&pg, "</td></tr>");
    }
    dh_page_raw(&pg, "</tbody></table>");
    json_decref(vals);
    json_decref(targets);
    dh_pages_send(rs, &pg, 200);
}

static void get_completeness(dh_req *rq, dh_resp *rs)
{
    if (!dh_pages_signed_in(rq, rs))
        return;
    dh_page pg;
    dh_pages_init(rq, &pg);
    dh_err e;
    json_t *obls = NULL;
    if (dh_app_obligation_list(rq->app, &rq->actor, &obls, &e)) {
        dh_pages_error(rs, &pg, &e);
        return;
    }
    const char *ob = dh_req_query(rq, "obligation"), *period = dh_req_query(rq, "period");
    if ((!ob || !*ob) && json_array_size(obls))
        ob = json_string_value(json_object_get(json_array_get(obls, 0), "code"));
    json_t *c = NULL;
    dh_status st = ob && period && *period
                       ? dh_app_completeness(rq->app, &rq->actor, ob, period, rq->now, &c, &e)
                       : DH_OK;
    dh_page_begin(&pg, L(&pg, "Tình hình báo cáo định kỳ", "Periodic reporting"), "bao-cao");
    dh_page_raw(&pg, "<form class=\"filters\" method=\"get\"><label>");
    dh_page_text(&pg, L(&pg, "Chế độ báo cáo", "Report obligation"));
    dh_page_raw(&pg, "<select name=\"obligation\">");
    size_t i;
    json_t *o;
    json_array_foreach(obls, i, o)
    {
        const char *code = json_string_value(json_object_get(o, "code"));
        dh_page_raw(&pg, "<option value=\"");
        dh_page_attr(&pg, code);
        dh_page_raw(&pg, ob && code && !strcmp(ob, code) ? "\" selected>" : "\">");
        dh_page_text(&pg, json_string_value(json_object_get(o, "name")));
        dh_page_raw(&pg, "</option>");
    }
    dh_page_raw(&pg, "</select></label><label>");
    dh_page_text(&pg, L(&pg, "Kỳ (2024-09, 2024-Q3, …)", "Period (2024-09, 2024-Q3, …)"));
    dh_page_raw(&pg, "<input name=\"period\" required value=\"");
    dh_page_attr(&pg, period ? period : "");
    dh_page_raw(&pg, "\"></label><button type=\"submit\">");
    dh_page_text(&pg, L(&pg, "Xem", "Show"));
    dh_page_raw(&pg, "</button></form>");
    if (st) {
        dh_page_raw(&pg, "<p class=\"err\" role=\"alert\">");
        dh_page_text(&pg, e.message);
        dh_page_raw(&pg, "</p>");
    } else if (c) {
        dh_page_raw(&pg, "<div class=\"cards\">");
        static const char *const keys[] = {"expected", "received", "on_time", "late", "missing"};
        static const char *const kv[] = {"Phải báo cáo", "Đã báo cáo", "Đúng hạn", "Trễ hạn",
                                         "Chưa báo cáo"};
        static const char *const ke[] = {"Expected", "Received", "On time", "Late", "Missing"};
        for (int k = 0; k < 5; k++) {
            dh_page_raw(&pg, k == 4 ? "<div class=\"card bad\">" : "<div class=\"card\">");
            dh_page_raw(&pg, "<div class=\"v\">");
            dh_page_int(&pg, json_integer_value(json_object_get(c, keys[k])));
            dh_page_raw(&pg, "</div><div class=\"k\">");
            dh_page_text(&pg, pg.en ? ke[k] : kv[k]);
            dh_page_raw(&pg, "</div></div>");
        }
        dh_page_raw(&pg, "</div><p>");
        dh_page_text(&pg, L(&pg, "Hạn báo cáo: ", "Due: "));
        dh_page_text(&pg, json_string_value(json_object_get(c, "due")));
        dh_page_raw(&pg, " · ");
        dh_page_text(&pg, L(&pg, "Tỷ lệ đầy đủ: ", "Completeness: "));
        dh_page_pct(&pg, json_object_get(c, "completeness_rate"));
        dh_page_raw(&pg, " · ");
        dh_page_text(&pg, L(&pg, "Đúng hạn: ", "On time: "));
        dh_page_pct(&pg, json_object_get(c, "on_time_rate"));
        dh_page_raw(&pg, "</p><table><thead><tr><th scope=\"col\">");
        dh_page_text(&pg, L(&pg, "Đơn vị", "Unit"));
        dh_page_raw(&pg, "</th><th scope=\"col\">");
        dh_page_text(&pg, L(&pg, "Tình trạng", "State"));
        dh_page_raw(&pg, "</th><th scope=\"col\">");
        dh_page_text(&pg, L(&pg, "Nhận lúc", "Received"));
        dh_page_raw(&pg, "</th></tr></thead><tbody>");
        json_t *u;
        json_array_foreach(json_object_get(c, "units"), i, u)
        {
            const char *s = json_string_value(json_object_get(u, "state"));
            dh_page_raw(&pg, "<tr><td>");
            dh_page_text(&pg, json_string_value(json_object_get(u, "name")));
            dh_page_raw(&pg, "</td><td class=\"report-");
            dh_page_attr(&pg, s);
            dh_page_raw(&pg, s && !strcmp(s, "missing") ? " late\">" : "\">");
            dh_page_text(&pg, !s                          ? ""
                              : !strcmp(s, "on_time")   ? L(&pg, "Đúng hạn", "On time")
                              : !strcmp(s, "late")      ? L(&pg, "Trễ hạn", "Late")
                              : !strcmp(s, "partial")   ? L(&pg, "Thiếu chỉ số", "Partial")
                                                        : L(&pg, "Chưa báo cáo", "Missing"));
            dh_page_raw(&pg, "</td><td>");
            dh_page_text(&pg, json_string_value(json_object_get(u, "received_at")));
            dh_page_raw(&pg, "</td></tr>");
        }
        dh_page_raw(&pg, "</tbody></table>");
        json_decref(c);
    }
    json_decref(obls);
    dh_pages_send(rs, &pg, 200);
}

static void entry_form(dh_req *rq, dh_resp *rs, const char *message, bool error, int status)
{
    dh_page pg;
    dh_pages_init(rq, &pg);
    dh_err e;
    json_t *inds = NULL;
    if (dh_app_indicator_list(rq->app, &rq->actor, &inds, &e)) {
        dh_pages_error(rs, &pg, &e);
        return;
    }
    dh_page_begin(&pg, L(&pg, "Nhập số liệu chỉ số", "Enter indicator values"), "chi-tieu");
    if (message) {
        dh_page_raw(&pg, error ? "<p class=\"err\" role=\"alert\">" : "<p role=\"status\">");
        dh_page_text(&pg, message);
        dh_page_raw(&pg, "</p>");
    }
    dh_page_raw(&pg, "<p><a href=\"/nhap-so-lieu/tai-len\">");
    dh_page_text(&pg, L(&pg, "Hoặc tải lên tệp CSV/XLSX", "Or upload a CSV/XLSX file"));
    dh_page_raw(&pg, "</a></p><form class=\"filters\" method=\"post\" action=\"/nhap-so-lieu\">");
    dh_page_csrf(&pg);
    dh_page_raw(&pg, "<label>");
    dh_page_text(&pg, L(&pg, "Chỉ số", "Indicator"));
    dh_page_raw(&pg, "<select name=\"indicator\" required>");
    size_t i;
    json_t *x;
    json_array_foreach(inds, i, x)
    {
        const char *src = json_string_value(json_object_get(x, "source"));
        if (src && !strcmp(src, "computed"))
            continue;
        dh_page_raw(&pg, "<option value=\"");
        dh_page_attr(&pg, json_string_value(json_object_get(x, "code")));
        dh_page_raw(&pg, "\">");
        dh_page_text(&pg, json_string_value(json_object_get(x, "name")));
        dh_page_raw(&pg, " (");
        dh_page_text(&pg, json_string_value(json_object_get(x, "period_type")));
        dh_page_raw(&pg, ")</option>");
    }
    dh_page_raw(&pg, "</select></label><label>");
    dh_page_text(&pg, L(&pg, "Đơn vị (mã)", "Unit (code)"));
    dh_page_raw(&pg, "<input name=\"unit\" required value=\"");
    dh_page_attr(&pg, rq->actor.unit_code);
    dh_page_raw(&pg, "\"></label><label>");
    dh_page_text(&pg, L(&pg, "Kỳ (2024-09, 2024-Q3, 2024)", "Period (2024-09, 2024-Q3, 2024)"));
    dh_page_raw(&pg, "<input name=\"period\" required></label><label>");
    dh_page_text(&pg, L(&pg, "Giá trị", "Value"));
    dh_page_raw(&pg, "<input name=\"value\" required inputmode=\"decimal\"></label>"
                     "<button type=\"submit\">");
    dh_page_text(&pg, L(&pg, "Gửi", "Submit"));
    dh_page_raw(&pg, "</button></form>");
    json_decref(inds);
    dh_pages_send(rs, &pg, status);
}

static void get_entry(dh_req *rq, dh_resp *rs)
{
    if (!dh_pages_signed_in(rq, rs))
        return;
    entry_form(rq, rs, NULL, false, 200);
}

static void post_entry(dh_req *rq, dh_resp *rs)
{
    if (!dh_pages_signed_in(rq, rs))
        return;
    char ib[64], ub[64], pb[32], vb[64];
    const char *ind = dh_req_form(rq, "indicator", ib, sizeof ib),
               *unit = dh_req_form(rq, "unit", ub, sizeof ub),
               *period = dh_req_form(rq, "period", pb, sizeof pb),
               *value = dh_req_form(rq, "value", vb, sizeof vb);
    char *end = NULL;
    double v = value ? strtod(value, &end) : 0;
    if (!ind || !unit || !period || !value || !*value || *end) {
        entry_form(rq, rs, "Điền đủ chỉ số, đơn vị, kỳ và một giá trị số.", true, 422);
        return;
    }
    char id[300];
    snprintf(id, sizeof id, "web:%s:%s:%s:%s:%lld", rq->actor.login, ind, unit, period,
             (long long)rq->now);
    json_t *vals = json_pack("[{s:s,s:s,s:s,s:f,s:s,s:s}]", "indicator", ind, "unit", unit,
                             "period", period, "value", v, "source", "web", "id", id);
    dh_err e;
    json_t *out = NULL;
    dh_status st = dh_app_values_put(rq->app, &rq->actor, vals, rq->now, &out, &e);
    json_decref(vals);
    json_decref(out);
    if (st) {
        entry_form(rq, rs, e.message, true, dh_err_http_status(e.status));
        return;
    }
    entry_form(rq, rs, "Đã nhận số liệu.", false, 200);
}

static void get_upload(dh_req *rq, dh_resp *rs)
{
    if (!dh_pages_signed_in(rq, rs))
        return;
    dh_page pg;
    dh_pages_init(rq, &pg);
    dh_page_begin(&pg, L(&pg, "Tải lên số liệu chỉ số", "Upload indicator values"), "chi-tieu");
    dh_page_raw(&pg, "<p>");
    dh_page_text(&pg, L(&pg, "Tệp CSV hoặc XLSX với các cột indicator, unit, period, value "
                             "(numerator, denominator, source, id tùy chọn). Cả tệp được nhận "
                             "hoặc không dòng nào; lỗi được báo theo từng dòng.",
                        "A CSV or XLSX file with the columns indicator, unit, period, value "
                        "(numerator, denominator, source, id optional). The whole file is taken "
                        "or nothing; errors are reported line by line."));
    dh_page_raw(&pg, "</p>");
    dh_pages_upload_form(&pg, "upload-values", ".csv,.xlsx");
    dh_pages_send(rs, &pg, 200);
}

const dh_route dh_routes_pages_targets[] = {
    {"GET", "/chi-tieu", get_targets, DH_ROUTE_PAGE},
    {"GET", "/chi-tieu/chi-so/{}", get_indicator, DH_ROUTE_PAGE},
    {"GET", "/bao-cao/day-du", get_completeness, DH_ROUTE_PAGE},
    {"GET", "/nhap-so-lieu", get_entry, DH_ROUTE_PAGE},
    {"POST", "/nhap-so-lieu", post_entry, DH_ROUTE_PAGE},
    {"GET", "/nhap-so-lieu/tai-len", get_upload, DH_ROUTE_PAGE},
    {0, 0, 0, 0},
};
