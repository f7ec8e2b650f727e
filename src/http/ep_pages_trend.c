/* ep_pages_trend.c - the long trends on the overview and the unit page
 * (issue 20, point 4): the ten-year monthly trend as line charts and the
 * same quarter over the years as a table, both from GET /api/v1/kpis/trend's
 * figures (dh_app_kpi_trend, read from the aggregates). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/trend.h"
#include "http/pages.h"

double dh_pages_num(const json_t *o, const char *k)
{
    const json_t *v = json_object_get(o, k);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

const char *dh_pages_month_label(const json_t *item, char out[8])
{
    const char *key = json_string_value(json_object_get(item, "key"));
    snprintf(out, 8, "%.2s/%.2s", key && strlen(key) >= 7 ? key + 5 : "",
             key && strlen(key) >= 7 ? key + 2 : "");
    return out;
}

static void rate_cell(dh_page *pg, const json_t *v)
{
    dh_page_raw(pg, "<td class=\"num\">");
    if (json_is_number(v))
        dh_page_fmt(pg, "%.2f%%", json_number_value(v));
    else
        dh_page_raw(pg, "—");
    dh_page_raw(pg, "</td>");
}

/* The ten years of months ending with the month of `to`: two charts. */
static void ten_years(dh_req *rq, dh_page *pg, const char *unit, dh_date to)
{
    dh_trend_query q = {unit, true, NULL, NULL, "month", 0, 0, NULL, 0};
    dh_trend_default_range(to, DH_TREND_MONTH, &q.from, &q.to);
    dh_err e;
    json_t *t = NULL;
    if (dh_app_kpi_trend(rq->app, &rq->actor, &q, rq->now, &t, &e))
        return;
    json_t *items = json_object_get(t, "items");
    size_t n = json_array_size(items);
    const char **labels = dh_xcalloc(n ? n : 1, sizeof *labels);
    char (*lb)[8] = dh_xcalloc(n ? n : 1, sizeof *lb);
    double *recv = dh_xcalloc(n ? n : 1, sizeof *recv), *ot = dh_xcalloc(n ? n : 1, sizeof *ot);
    for (size_t i = 0; i < n; i++) {
        json_t *it = json_array_get(items, i);
        labels[i] = dh_pages_month_label(it, lb[i]);
        recv[i] = dh_pages_num(it, "received");
        ot[i] = dh_pages_num(it, "on_time_rate");
    }
    dh_page_raw(pg, "<section aria-labelledby=\"h-trend10\" id=\"trend-10y\"><h2 id=\"h-trend10\">");
    dh_page_text(pg, L(pg, "Xu hướng 10 năm theo tháng", "Ten-year monthly trend"));
    dh_page_raw(pg, "</h2><div class=\"two\">");
    dh_svg_line(pg, L(pg, "Hồ sơ tiếp nhận mới mỗi tháng", "New dossiers received per month"),
                labels, recv, n, NAN, "");
    dh_svg_line(pg, L(pg, "Tỷ lệ giải quyết đúng hạn mỗi tháng (%)", "On-time rate per month (%)"),
                labels, ot, n, 98, "%");
    dh_page_raw(pg, "</div></section>");
    free(labels);
    free(lb);
    free(recv);
    free(ot);
    json_decref(t);
}

/* The quarter of `to` in each of the last eleven years: a table. */
static void same_quarter(dh_req *rq, dh_page *pg, const char *unit, dh_date to)
{
    int y, m, d;
    dh_date_to_ymd(to, &y, &m, &d);
    char same[12];
    snprintf(same, sizeof same, "%04d-Q%d", y, (m - 1) / 3 + 1);
    dh_trend_query q = {unit, true, NULL, NULL, NULL, 0, 0, same, 11};
    dh_err e;
    json_t *t = NULL;
    if (dh_app_kpi_trend(rq->app, &rq->actor, &q, rq->now, &t, &e))
        return;
    dh_page_raw(pg, "<section aria-labelledby=\"h-same\" id=\"trend-same\"><h2 id=\"h-same\">");
    dh_page_fmt(pg, "%s %d", L(pg, "Cùng kỳ các năm: quý", "The same quarter over the years: Q"),
                (m - 1) / 3 + 1);
    dh_page_raw(pg, "</h2><div class=\"scroll\"><table class=\"data\"><thead><tr>");
    const char *head[] = {L(pg, "Năm", "Year"), L(pg, "Tiếp nhận", "Received"),
                          L(pg, "Giải quyết", "Resolved"), L(pg, "Đúng hạn", "On time"),
                          L(pg, "Trực tuyến", "Online")};
    for (size_t i = 0; i < sizeof head / sizeof *head; i++) {
        dh_page_raw(pg, "<th scope=\"col\">");
        dh_page_text(pg, head[i]);
        dh_page_raw(pg, "</th>");
    }
    dh_page_raw(pg, "</tr></thead><tbody>");
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(t, "items"), i, it) {
        const char *key = json_string_value(json_object_get(it, "key"));
        dh_page_raw(pg, "<tr><th scope=\"row\">");
        dh_page_fmt(pg, "%.4s", key ? key : "");
        dh_page_fmt(pg, "</th><td class=\"num\">%lld</td><td class=\"num\">%lld</td>",
                    (long long)json_integer_value(json_object_get(it, "received")),
                    (long long)json_integer_value(json_object_get(it, "resolved")));
        rate_cell(pg, json_object_get(it, "on_time_rate"));
        rate_cell(pg, json_object_get(it, "online_rate"));
        dh_page_raw(pg, "</tr>");
    }
    dh_page_raw(pg, "</tbody></table></div></section>");
    json_decref(t);
}

void dh_pages_trends(dh_req *rq, dh_page *pg, const char *unit, dh_date to)
{
    same_quarter(rq, pg, unit, to);
    ten_years(rq, pg, unit, to);
}
