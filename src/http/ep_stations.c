/* ep_stations.c - the register of 5G stations (issue 19, point 7):
 *   POST /api/v1/stations?partial=1   {"stations":[{site_code, operator, commune, address,
 *                                      lat, long, technology, status, status_date, source}]}
 *   GET  /api/v1/stations/count?operator=&unit=&as_of=
 *   GET  /api/v1/stations?operator=&unit=&as_of=      each station at its latest step
 *   GET  /tram-5g?unit=&as_of=                         the page: by status and commune
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"
#include "http/pages.h"

static void post_stations(dh_req *rq, dh_resp *rs)
{
    json_t *body = dh_req_json(rq, rs);
    if (!body)
        return;
    const char *partial = dh_req_query(rq, "partial");
    dh_err e;
    json_t *out = NULL;
    dh_status st = dh_app_station_push(rq->app, &rq->actor, body,
                                       partial && !strcmp(partial, "1"), rq->now, &out, &e);
    json_decref(body);
    dh_import_report rep = {0};
    size_t i;
    json_t *x;
    json_t *errs = json_object_get(out, "errors");
    rep.messages = calloc(json_array_size(errs) + 1, sizeof *rep.messages);
    json_array_foreach(errs, i, x)
        rep.messages[rep.nmessages++] = strdup(json_string_value(json_object_get(x, "message")));
    rep.refused = (int)json_integer_value(json_object_get(out, "refused"));
    dh_reply_import(rs, st, &e, &rep, st == DH_OK && json_integer_value(json_object_get(
                                                          out, "accepted")) ? 201 : 200,
                    st == DH_OK ? out : NULL);
    if (st)
        json_decref(out);
    dh_import_report_free(&rep);
}

static int query(dh_req *rq, dh_resp *rs, const char **op, const char **unit, dh_date *as_of)
{
    *op = dh_req_query(rq, "operator");
    *unit = dh_req_query(rq, "unit");
    if (*op && !**op)
        *op = NULL;
    if (*unit && !**unit)
        *unit = NULL;
    return dh_req_as_of(rq, rs, as_of);
}

/* The counts, with the stations themselves when list. */
static void reply_stations(dh_req *rq, dh_resp *rs, bool list)
{
    const char *op, *unit;
    dh_date d;
    if (query(rq, rs, &op, &unit, &d))
        return;
    dh_err e;
    json_t *out;
    if (dh_app_station_count(rq->app, &rq->actor, op, unit, d, list, rq->now, &out, &e))
        dh_reply_err(rs, &e);
    else
        dh_reply_json_steal(rs, 200, out);
}

static void get_count(dh_req *rq, dh_resp *rs) { reply_stations(rq, rs, false); }
static void get_list(dh_req *rq, dh_resp *rs) { reply_stations(rq, rs, true); }

/* The page: counts by status, then a table of communes by status, then
 * the stations. */
static void get_page(dh_req *rq, dh_resp *rs)
{
    if (!dh_pages_signed_in(rq, rs))
        return;
    dh_page pg;
    dh_pages_init(rq, &pg);
    const char *op, *unit;
    dh_date d;
    if (query(rq, rs, &op, &unit, &d))
        return;
    dh_err e;
    json_t *out;
    if (dh_app_station_count(rq->app, &rq->actor, op, unit, d, true, rq->now, &out, &e)) {
        dh_pages_error(rs, &pg, &e);
        return;
    }
    static const char *const st[] = {"planned", "permitted", "installed", "on_air"};
    const char *vi[] = {L(&pg, "Quy hoạch", "Planned"), L(&pg, "Đã cấp phép", "Permitted"),
                        L(&pg, "Đã lắp đặt", "Installed"), L(&pg, "Đã phát sóng", "On air")};
    dh_page_begin(&pg, L(&pg, "Trạm 5G theo trạng thái và xã, phường", "5G stations"),
                  "chi-tieu");
    char ds[DH_DATE_TEXT_LEN];
    dh_date_format(d, ds);
    dh_page_raw(&pg, "<form method=\"get\" action=\"/tram-5g\"><label>");
    dh_page_text(&pg, L(&pg, "Đơn vị", "Unit"));
    dh_page_raw(&pg, " <input name=\"unit\" value=\"");
    dh_page_attr(&pg, unit ? unit : "");
    dh_page_raw(&pg, "\"></label> <label>");
    dh_page_text(&pg, L(&pg, "Đến ngày", "As of"));
    dh_page_raw(&pg, " <input type=\"date\" name=\"as_of\" value=\"");
    dh_page_attr(&pg, ds);
    dh_page_raw(&pg, "\"></label> <button>");
    dh_page_text(&pg, L(&pg, "Xem", "Show"));
    dh_page_raw(&pg, "</button></form><div class=\"cards\">");
    for (int k = 0; k < 4; k++) {
        dh_page_raw(&pg, "<div class=\"card\"><div class=\"label\">");
        dh_page_text(&pg, vi[k]);
        dh_page_raw(&pg, "</div><div class=\"value\">");
        dh_page_int(&pg, (long long)json_integer_value(json_object_get(out, st[k])));
        dh_page_raw(&pg, "</div></div>");
    }
    dh_page_raw(&pg, "</div>");
    /* by commune */
    json_t *stations = json_object_get(out, "stations"), *by = json_object();
    size_t i;
    json_t *s;
    json_array_foreach(stations, i, s)
    {
        const char *c = json_string_value(json_object_get(s, "commune"));
        json_t *row = json_object_get(by, c);
        if (!row) {
            row = json_pack("[iiii]", 0, 0, 0, 0);
            json_object_set_new(by, c, row);
        }
        int r = dh_station_status_rank(json_string_value(json_object_get(s, "status")));
        if (r >= 0)
            json_array_set_new(row, (size_t)r,
                               json_integer(json_integer_value(json_array_get(row, (size_t)r)) +
                                            1));
    }
    dh_page_raw(&pg, "<h2>");
    dh_page_text(&pg, L(&pg, "Theo xã, phường", "By commune"));
    dh_page_raw(&pg, "</h2><div class=\"table-scroll\"><table><thead><tr><th>");
    dh_page_text(&pg, L(&pg, "Xã, phường", "Commune"));
    for (int k = 0; k < 4; k++) {
        dh_page_raw(&pg, "</th><th>");
        dh_page_text(&pg, vi[k]);
    }
    dh_page_raw(&pg, "</th></tr></thead><tbody>");
    const char *key;
    json_t *row;
    json_object_foreach(by, key, row)
    {
        char name[400];
        dh_app_unit_name(rq->app, key, d, name, sizeof name);
        dh_page_raw(&pg, "<tr><td title=\"");
        dh_page_attr(&pg, key);
        dh_page_raw(&pg, "\">");
        dh_page_text(&pg, name);
        for (size_t k = 0; k < 4; k++) {
            dh_page_raw(&pg, "</td><td class=\"num\">");
            dh_page_int(&pg, (long long)json_integer_value(json_array_get(row, k)));
        }
        dh_page_raw(&pg, "</td></tr>");
    }
    dh_page_raw(&pg, "</tbody></table></div><h2>");
    dh_page_text(&pg, L(&pg, "Danh sách trạm", "Stations"));
    dh_page_raw(&pg, "</h2><div class=\"table-scroll\"><table><thead><tr><th>");
    dh_page_text(&pg, L(&pg, "Mã trạm", "Site"));
    dh_page_raw(&pg, "</th><th>");
    dh_page_text(&pg, L(&pg, "Doanh nghiệp", "Operator"));
    dh_page_raw(&pg, "</th><th>");
    dh_page_text(&pg, L(&pg, "Xã, phường", "Commune"));
    dh_page_raw(&pg, "</th><th>");
    dh_page_text(&pg, L(&pg, "Địa chỉ", "Address"));
    dh_page_raw(&pg, "</th><th>");
    dh_page_text(&pg, L(&pg, "Trạng thái", "Status"));
    dh_page_raw(&pg, "</th></tr></thead><tbody>");
    json_array_foreach(stations, i, s)
    {
        char opn[400], cn[400];
        const char *o = json_string_value(json_object_get(s, "operator"));
        const char *c = json_string_value(json_object_get(s, "commune"));
        dh_app_unit_name(rq->app, o, d, opn, sizeof opn);
        dh_app_unit_name(rq->app, c, d, cn, sizeof cn);
        int r = dh_station_status_rank(json_string_value(json_object_get(s, "status")));
        dh_page_raw(&pg, "<tr><td>");
        dh_page_text(&pg, json_string_value(json_object_get(s, "site_code")));
        if (json_is_true(json_object_get(s, "synthetic")))
            dh_page_text(&pg, L(&pg, " (dữ liệu mẫu)", " (synthetic)"));
        dh_page_raw(&pg, "</td><td title=\"");
        dh_page_attr(&pg, o);
        dh_page_raw(&pg, "\">");
        dh_page_text(&pg, opn);
        dh_page_raw(&pg, "</td><td title=\"");
        dh_page_attr(&pg, c);
        dh_page_raw(&pg, "\">");
        dh_page_text(&pg, cn);
        dh_page_raw(&pg, "</td><td>");
        dh_page_text(&pg, json_string_value(json_object_get(s, "address")));
        dh_page_raw(&pg, "</td><td>");
        dh_page_text(&pg, r >= 0 ? vi[r] : "");
        dh_page_raw(&pg, "</td></tr>");
    }
    dh_page_raw(&pg, "</tbody></table></div>");
    json_decref(by);
    json_decref(out);
    dh_pages_send(rs, &pg, 200);
}

const dh_route dh_routes_stations[] = {
    {"POST", "/api/v1/stations", post_stations, 0},
    {"GET", "/api/v1/stations", get_list, 0},
    {"GET", "/api/v1/stations/count", get_count, 0},
    {"GET", "/tram-5g", get_page, DH_ROUTE_PAGE},
    {0, 0, 0, 0},
};
