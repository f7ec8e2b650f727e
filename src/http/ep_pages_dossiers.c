/* ep_pages_dossiers.c - the dashboard's dossier and report pages (issue 6):
 *   GET /ho-so?unit=&state=&procedure=&from=&to=&q=&page=&cursor=&format=csv|xlsx
 *   GET /ho-so/{code}
 *   GET /bao-cao?unit=&period=      Biểu II.06a with its downloads
 *   GET /cong-khai/chi-so/{unit}?period=   the public service-index page
 * Lists come from dh_app_dossier_list (most urgent first), so an officer
 * sees and exports only their subtree. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "app/xlsxout.h"

#include "http/pages.h"
#include "util/csv.h"
#include "util/text.h"

#define PAGE_ROWS 100
#define EXPORT_MAX 50000
/* The count above a list: exact up to this, else "hơn" (more than) it. */
#define COUNT_CAP 1000

static const struct {
    const char *key, *vi, *en;
} states[] = {
    {"in_progress", "Đang giải quyết (quá hạn, sắp đến hạn trước)", "Open (overdue, due soon first)"},
    {"overdue", "Đang quá hạn", "Overdue"},
    {"at_risk", "Sắp đến hạn", "Due soon"},
    {"within", "Trong hạn", "Within the deadline"},
    {"paused", "Chờ bổ sung", "Waiting for a supplement"},
    {"resolved", "Đã giải quyết", "Resolved"},
    {"closed", "Dừng, từ chối, rút", "Stopped, refused, withdrawn"},
    {"early", "Trước hạn", "Early"},
    {"on_time", "Đúng hạn", "On time"},
    {"late", "Quá hạn (đã xong)", "Late (finished)"},
    {"all", "Tất cả", "All"},
};

static const char *state_label(const dh_page *pg, const char *key)
{
    for (size_t i = 0; i < sizeof states / sizeof *states; i++)
        if (key && !strcmp(states[i].key, key))
            return pg->en ? states[i].en : states[i].vi;
    return key ? key : "";
}

static const char *channel_label(const dh_page *pg, const char *c)
{
    if (!c)
        return "";
    if (!strcmp(c, "online"))
        return L(pg, "Trực tuyến", "Online");
    if (!strcmp(c, "postal"))
        return L(pg, "Bưu chính", "Postal");
    return L(pg, "Trực tiếp", "Counter");
}

/* "2025-02-05T08:00:00+07:00" -> "05/02/2025 08:00" */
static void vn_time(const json_t *v, char *out, size_t cap)
{
    const char *s = json_string_value(v);
    if (!s || strlen(s) < 16)
        snprintf(out, cap, "—");
    else
        snprintf(out, cap, "%.2s/%.2s/%.4s %.5s", s + 8, s + 5, s, s + 11);
}

static int parse_day(const char *s, time_t *t, bool end)
{
    dh_date d;
    if (!s || !*s) {
        *t = 0;
        return 0;
    }
    if (dh_date_parse(s, &d))
        return -1;
    *t = (time_t)((int64_t)(d + (end ? 1 : 0)) * 86400 - DH_VN_OFFSET);
    return 0;
}

/* The outcome shown for a row: the state for open dossiers. */
static const char *row_status(const json_t *r)
{
    const char *o = json_string_value(json_object_get(r, "outcome"));
    return o ? o : json_string_value(json_object_get(r, "state"));
}

static const char *const export_head[] = {"Mã hồ sơ", "Thủ tục", "Đơn vị", "Kênh",
                                          "Tiếp nhận", "Hẹn trả", "Hoàn thành", "Trạng thái",
                                          "Phút làm việc đã dùng", "Phút được phép"};
enum { NEXPORT = sizeof export_head / sizeof *export_head };

static void export_cells(const dh_page *pg, const json_t *r, char cells[NEXPORT][64],
                         const char *out[NEXPORT])
{
    out[0] = json_string_value(json_object_get(r, "code"));
    out[1] = json_string_value(json_object_get(r, "procedure"));
    out[2] = json_string_value(json_object_get(r, "unit"));
    out[3] = channel_label(pg, json_string_value(json_object_get(r, "channel")));
    vn_time(json_object_get(r, "received_at"), cells[4], 64);
    vn_time(json_object_get(r, "due_effective"), cells[5], 64);
    vn_time(json_object_get(r, "finished_at"), cells[6], 64);
    out[4] = cells[4];
    out[5] = cells[5];
    out[6] = cells[6];
    out[7] = state_label(pg, row_status(r));
    snprintf(cells[8], 64, "%lld",
             (long long)json_integer_value(json_object_get(r, "working_minutes_used")));
    snprintf(cells[9], 64, "%lld",
             (long long)json_integer_value(json_object_get(r, "working_minutes_allowed")));
    out[8] = cells[8];
    out[9] = cells[9];
}

static void export_list(dh_resp *rs, const dh_page *pg, const json_t *items, bool xlsx)
{
    size_t i;
    json_t *r;
    char cells[NEXPORT][64];
    const char *row[NEXPORT];
    if (!xlsx) {
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        fputs("\xEF\xBB\xBF", f); /* a BOM so that Excel reads UTF-8 */
        dh_csv_write_row(f, export_head, NEXPORT);
        json_array_foreach(items, i, r)
        {
            export_cells(pg, r, cells, row);
            dh_csv_write_row(f, row, NEXPORT);
        }
        fclose(f);
        rs->status = 200;
        rs->body = text;
        rs->body_len = len;
        rs->content_type = "text/csv; charset=utf-8";
        snprintf(rs->disposition, sizeof rs->disposition, "attachment; filename=\"ho-so.csv\"");
        return;
    }
    dh_xlsx x;
    lxw_workbook *wb = dh_xlsx_begin(&x);
    lxw_worksheet *ws = wb ? workbook_add_worksheet(wb, "Hồ sơ") : NULL;
    if (ws) {
        lxw_format *bold = workbook_add_format(wb);
        format_set_bold(bold);
        for (int k = 0; k < NEXPORT; k++)
            worksheet_write_string(ws, 0, (lxw_col_t)k, export_head[k], bold);
        worksheet_set_column(ws, 0, 0, 22, NULL);
        worksheet_set_column(ws, 1, 7, 16, NULL);
        lxw_row_t rr = 1;
        json_array_foreach(items, i, r)
        {
            export_cells(pg, r, cells, row);
            for (int k = 0; k < NEXPORT; k++) {
                if (k >= 8)
                    worksheet_write_number(ws, rr, (lxw_col_t)k, atof(row[k]), NULL);
                else
                    worksheet_write_string(ws, rr, (lxw_col_t)k, row[k] ? row[k] : "", NULL);
            }
            rr++;
        }
        worksheet_autofilter(ws, 0, 0, rr - 1, NEXPORT - 1);
        worksheet_freeze_panes(ws, 1, 0);
    }
    char *data = NULL;
    size_t len = 0;
    dh_err e;
    if (!wb || dh_xlsx_end(&x, &data, &len, &e)) {
        dh_reply_error(rs, 500, "xlsx_failed", NULL, "cannot write the workbook");
        return;
    }
    rs->status = 200;
    rs->body = data;
    rs->body_len = len;
    rs->content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    snprintf(rs->disposition, sizeof rs->disposition, "attachment; filename=\"ho-so.xlsx\"");
}

/* Procedures whose name contains the folded query (diacritics ignored). */
static void procedure_matches(dh_req *rq, dh_page *pg, const char *q)
{
    dh_err e;
    const dh_procset *ps = dh_app_procedures_acquire(rq->app, &e);
    if (!ps)
        return;
    char *fq = dh_text_fold(q);
    int shown = 0;
    for (size_t i = 0; i < ps->n && shown < 20; i++) {
        if (i + 1 < ps->n && !strcmp(ps->v[i + 1].code, ps->v[i].code))
            continue; /* the latest version names it */
        char *fn = dh_text_fold(ps->v[i].name);
        if (fq && fn && *fq && strstr(fn, fq)) {
            if (!shown++) {
                dh_page_raw(pg, "<p>");
                dh_page_text(pg, L(pg, "Thủ tục khớp với từ tìm kiếm: ", "Procedures matching the search: "));
            } else {
                dh_page_raw(pg, " · ");
            }
            dh_page_raw(pg, "<a href=\"/ho-so?procedure=");
            dh_page_urlenc(pg, ps->v[i].code);
            dh_page_raw(pg, "\">");
            dh_page_text(pg, ps->v[i].name);
            dh_page_raw(pg, "</a>");
        }
        free(fn);
    }
    if (shown)
        dh_page_raw(pg, "</p>");
    free(fq);
    dh_app_procedures_release(rq->app, ps);
}

static void filter_input(dh_page *pg, const char *name, const char *label, const char *value,
                         const char *type)
{
    dh_page_raw(pg, "<label>");
    dh_page_text(pg, label);
    dh_page_raw(pg, "<input name=\"");
    dh_page_raw(pg, name);
    dh_page_raw(pg, "\" type=\"");
    dh_page_raw(pg, type);
    dh_page_raw(pg, "\" value=\"");
    dh_page_attr(pg, value ? value : "");
    dh_page_raw(pg, "\"></label>");
}

static void get_list(dh_req *rq, dh_resp *rs)
{
    if (!dh_pages_signed_in(rq, rs))
        return;
    dh_page pg;
    dh_pages_init(rq, &pg);
    const char *unit = dh_req_query(rq, "unit"), *state = dh_req_query(rq, "state"),
               *proc = dh_req_query(rq, "procedure"), *from = dh_req_query(rq, "from"),
               *to = dh_req_query(rq, "to"), *q = dh_req_query(rq, "q"),
               *format = dh_req_query(rq, "format"), *pages = dh_req_query(rq, "page"),
               *channel = dh_req_query(rq, "channel"), *field = dh_req_query(rq, "field"),
               *cursor = dh_req_query(rq, "cursor");
    dh_err e;
    /* open dossiers by default: the urgent ones first, from an index; and a
     * unit always (the actor's, or for an administrator the first root open
     * today), so that the index on units is used */
    if (!state || !*state)
        state = "in_progress";
    unit = dh_pages_unit_or_root(rq, unit);
    dh_dossier_query dq = {unit && *unit ? unit : NULL, true, strcmp(state, "all") ? state : NULL,
                           proc && *proc ? proc : NULL, NULL, 0, 0, 0, PAGE_ROWS,
                           channel && *channel ? channel : NULL, field && *field ? field : NULL,
                           NULL};
    long page = pages ? atol(pages) : 1;
    if (page < 1 || page > 100000)
        page = 1;
    bool exporting = format && (!strcmp(format, "csv") || !strcmp(format, "xlsx"));
    if (parse_day(from, &dq.from, false) || parse_day(to, &dq.to, true)) {
        dh_err_set(&e, DH_E_INVALID, "invalid_date", "from", "Ngày phải viết YYYY-MM-DD");
        dh_pages_error(rs, &pg, &e);
        return;
    }
    /* a search: a dossier code prefix, else procedure names (diacritics ignored) */
    if (q && *q) {
        bool code_like = true;
        for (const char *p = q; *p; p++)
            if (*p == ' ' || (unsigned char)*p >= 0x80)
                code_like = false;
        if (code_like)
            dq.q = q;
    }
    if (exporting) {
        dq.limit = 500;
        json_t *all = json_array();
        char *next = NULL;
        do { /* page after page by cursor: each an index range */
            json_t *items = NULL;
            char *after = next;
            dq.cursor = after;
            dh_status st = dh_app_dossier_page(rq->app, &rq->actor, &dq, rq->now, &items,
                                               &next, &e);
            free(after);
            if (st) {
                json_decref(all);
                dh_pages_error(rs, &pg, &e);
                return;
            }
            json_array_extend(all, items);
            json_decref(items);
        } while (next && json_array_size(all) < EXPORT_MAX);
        free(next);
        export_list(rs, &pg, all, !strcmp(format, "xlsx"));
        json_decref(all);
        return;
    }
    /* a later page: by the cursor of the page before (an index range from
     * there, however deep); without one, by page number as before */
    if (cursor && *cursor)
        dq.cursor = cursor;
    else
        dq.offset = (page - 1) * PAGE_ROWS;
    json_t *items = NULL;
    char *next = NULL;
    int64_t count = 0;
    if (dh_app_dossier_page(rq->app, &rq->actor, &dq, rq->now, &items, &next, &e)) {
        dh_pages_error(rs, &pg, &e);
        return;
    }
    bool more = next != NULL;
    if (dh_app_dossier_count(rq->app, &rq->actor, &dq, rq->now, COUNT_CAP, &count, &e)) {
        json_decref(items);
        free(next);
        dh_pages_error(rs, &pg, &e);
        return;
    }
    dh_page_begin(&pg, L(&pg, "Hồ sơ", "Dossiers"), "ho-so");
    dh_page_raw(&pg, "<form class=\"filters\" method=\"get\" action=\"/ho-so\">");
    filter_input(&pg, "unit", L(&pg, "Đơn vị (mã)", "Unit (code)"), unit, "text");
    dh_page_raw(&pg, "<label>");
    dh_page_text(&pg, L(&pg, "Tình trạng", "State"));
    dh_page_raw(&pg, "<select name=\"state\">");
    for (size_t i = 0; i < sizeof states / sizeof *states; i++) {
        dh_page_raw(&pg, "<option value=\"");
        dh_page_raw(&pg, states[i].key);
        dh_page_raw(&pg, (state && !strcmp(state, states[i].key)) ? "\" selected>" : "\">");
        dh_page_text(&pg, pg.en ? states[i].en : states[i].vi);
        dh_page_raw(&pg, "</option>");
    }
    dh_page_raw(&pg, "</select></label>");
    filter_input(&pg, "procedure", L(&pg, "Mã thủ tục", "Procedure code"), proc, "text");
    dh_page_raw(&pg, "<label>");
    dh_page_text(&pg, L(&pg, "Kênh", "Channel"));
    dh_page_raw(&pg, "<select name=\"channel\">");
    static const char *const chans[] = {"", "online", "counter", "postal"};
    for (int k = 0; k < 4; k++) {
        dh_page_raw(&pg, "<option value=\"");
        dh_page_raw(&pg, chans[k]);
        dh_page_raw(&pg, channel && !strcmp(channel, chans[k]) ? "\" selected>" : "\">");
        dh_page_text(&pg, k ? channel_label(&pg, chans[k]) : L(&pg, "Tất cả", "All"));
        dh_page_raw(&pg, "</option>");
    }
    dh_page_raw(&pg, "</select></label><label>");
    dh_page_text(&pg, L(&pg, "Lĩnh vực", "Field"));
    dh_page_raw(&pg, "<select name=\"field\"><option value=\"\">");
    dh_page_text(&pg, L(&pg, "Tất cả", "All"));
    dh_page_raw(&pg, "</option>");
    {
        const dh_procset *ps = dh_app_procedures_acquire(rq->app, &e);
        for (size_t i = 0; ps && i < ps->n; i++) {
            bool seen = false; /* each field once (the catalogue is sorted by code) */
            for (size_t j = 0; j < i && !seen; j++)
                seen = !strcmp(ps->v[j].field, ps->v[i].field);
            if (seen || !*ps->v[i].field)
                continue;
            dh_page_raw(&pg, "<option value=\"");
            dh_page_attr(&pg, ps->v[i].field);
            dh_page_raw(&pg, field && !strcmp(field, ps->v[i].field) ? "\" selected>" : "\">");
            dh_page_text(&pg, ps->v[i].field);
            dh_page_raw(&pg, "</option>");
        }
        if (ps)
            dh_app_procedures_release(rq->app, ps);
    }
    dh_page_raw(&pg, "</select></label>");
    filter_input(&pg, "from", L(&pg, "Tiếp nhận từ ngày", "Received from"), from, "date");
    filter_input(&pg, "to", L(&pg, "đến ngày", "to"), to, "date");
    filter_input(&pg, "q", L(&pg, "Tìm (mã hồ sơ, tên thủ tục)", "Search (code, procedure)"), q,
                 "search");
    dh_page_raw(&pg, "<button type=\"submit\">");
    dh_page_text(&pg, L(&pg, "Lọc", "Filter"));
    dh_page_raw(&pg, "</button></form>");
    if (q && *q && !dq.q)
        procedure_matches(rq, &pg, q);
    /* the same query as export links */
    const char *keys[] = {"unit", "state", "procedure", "from", "to", "q", "channel", "field"};
    const char *vals[] = {unit, state, proc, from, to, q, channel, field};
    dh_page_raw(&pg, "<p>");
    for (int fmt = 0; fmt < 2; fmt++) {
        dh_page_raw(&pg, fmt ? " · <a href=\"/ho-so?format=xlsx" : "<a href=\"/ho-so?format=csv");
        for (int k = 0; k < 8; k++)
            if (vals[k] && *vals[k]) {
                dh_page_raw(&pg, "&amp;");
                dh_page_raw(&pg, keys[k]);
                dh_page_raw(&pg, "=");
                dh_page_urlenc(&pg, vals[k]);
            }
        dh_page_raw(&pg, fmt ? "\">" : "\">");
        dh_page_text(&pg, fmt ? L(&pg, "Tải Excel (XLSX)", "Download Excel (XLSX)")
                              : L(&pg, "Tải CSV", "Download CSV"));
        dh_page_raw(&pg, "</a>");
    }
    dh_page_raw(&pg, "</p><p class=\"count\">");
    if (count > COUNT_CAP)
        dh_page_fmt(&pg, pg.en ? "More than %d dossiers" : "Hơn %d hồ sơ", COUNT_CAP);
    else
        dh_page_fmt(&pg, pg.en ? "%lld dossiers" : "%lld hồ sơ", (long long)count);
    dh_page_raw(&pg, "</p>");
    dh_page_raw(&pg, "<table><caption>");
    dh_page_text(&pg, L(&pg, "Quá hạn và sắp đến hạn ở trên cùng", "Overdue and due soon first"));
    dh_page_raw(&pg, "</caption><thead><tr>");
    static const char *const head_vi[] = {"Mã hồ sơ", "Thủ tục", "Đơn vị", "Kênh", "Tiếp nhận",
                                          "Hẹn trả", "Tình trạng"};
    static const char *const head_en[] = {"Code", "Procedure", "Unit", "Channel", "Received",
                                          "Due", "State"};
    for (int k = 0; k < 7; k++) {
        dh_page_raw(&pg, "<th scope=\"col\">");
        dh_page_text(&pg, pg.en ? head_en[k] : head_vi[k]);
        dh_page_raw(&pg, "</th>");
    }
    dh_page_raw(&pg, "</tr></thead><tbody>");
    size_t i;
    json_t *r;
    char t1[32], t2[32];
    json_array_foreach(items, i, r)
    {
        const char *st = row_status(r);
        dh_page_raw(&pg, "<tr><td><a href=\"/ho-so/");
        dh_page_urlenc(&pg, json_string_value(json_object_get(r, "code")));
        dh_page_raw(&pg, "\">");
        dh_page_text(&pg, json_string_value(json_object_get(r, "code")));
        dh_page_raw(&pg, "</a></td><td>");
        dh_page_text(&pg, json_string_value(json_object_get(r, "procedure")));
        dh_page_raw(&pg, "</td><td>");
        dh_pages_unit_name(rq, &pg, json_string_value(json_object_get(r, "unit")), DH_DATE_NONE);
        dh_page_raw(&pg, "</td><td>");
        dh_page_text(&pg, channel_label(&pg, json_string_value(json_object_get(r, "channel"))));
        vn_time(json_object_get(r, "received_at"), t1, sizeof t1);
        vn_time(json_object_get(r, "due_effective"), t2, sizeof t2);
        dh_page_raw(&pg, "</td><td>");
        dh_page_text(&pg, t1);
        dh_page_raw(&pg, "</td><td>");
        dh_page_text(&pg, t2);
        dh_page_raw(&pg, "</td><td class=\"state-");
        dh_page_attr(&pg, st);
        dh_page_raw(&pg, "\">");
        dh_page_text(&pg, state_label(&pg, st));
        dh_page_raw(&pg, "</td></tr>");
    }
    if (!json_array_size(items)) {
        dh_page_raw(&pg, "<tr><td colspan=\"7\">");
        dh_page_text(&pg, L(&pg, "Không có hồ sơ nào.", "No dossier."));
        dh_page_raw(&pg, "</td></tr>");
    }
    dh_page_raw(&pg, "</tbody></table>");
    if (!strcmp(state, "overdue") || !strcmp(state, "at_risk"))
        dh_pages_directive_form(&pg, "dossiers", unit, state);
    if (page > 1 || more) {
        dh_page_raw(&pg, "<nav aria-label=\"pages\"><p>");
        for (int dir = -1; dir <= 1; dir += 2) {
            if ((dir < 0 && page <= 1) || (dir > 0 && !more))
                continue;
            /* forward by cursor; back by page number (offset) */
            dh_page_fmt(&pg, "<a href=\"/ho-so?page=%ld", page + dir);
            if (dir > 0) {
                dh_page_raw(&pg, "&amp;cursor=");
                dh_page_urlenc(&pg, next);
            }
            for (int k = 0; k < 8; k++)
                if (vals[k] && *vals[k]) {
                    dh_page_raw(&pg, "&amp;");
                    dh_page_raw(&pg, keys[k]);
                    dh_page_raw(&pg, "=");
                    dh_page_urlenc(&pg, vals[k]);
                }
            dh_page_raw(&pg, dir < 0 ? "\" rel=\"prev\">← " : "\" rel=\"next\">");
            dh_page_text(&pg, dir < 0 ? L(&pg, "Trang trước", "Previous")
                                      : L(&pg, "Trang sau", "Next"));
            dh_page_raw(&pg, dir < 0 ? "</a> " : " →</a>");
        }
        dh_page_raw(&pg, "</p></nav>");
    }
    free(next);
    json_decref(items);
    dh_pages_send(rs, &pg, 200);
}

static const char *event_label(const dh_page *pg, const char *t)
{
    static const struct {
        const char *k, *vi, *en;
    } m[] = {{"received", "Tiếp nhận", "Received"},
             {"supplement_requested", "Yêu cầu bổ sung (dừng tính giờ)", "Supplement requested (clock paused)"},
             {"supplement_completed", "Đã bổ sung (tính giờ tiếp)", "Supplement completed (clock resumed)"},
             {"transferred", "Chuyển xử lý", "Transferred"},
             {"extended", "Gia hạn", "Extended"},
             {"processed", "Đã xử lý xong", "Processed"},
             {"result_returned", "Đã trả kết quả", "Result returned"},
             {"refused", "Từ chối", "Refused"},
             {"stopped", "Dừng xử lý", "Stopped"},
             {"withdrawn", "Công dân rút hồ sơ", "Withdrawn"},
             {"paid", "Thanh toán phí, lệ phí", "Paid"},
             {"rated", "Đánh giá", "Rated"},
             {"digitised", "Số hóa", "Digitised"}};
    for (size_t i = 0; i < sizeof m / sizeof *m; i++)
        if (t && !strcmp(m[i].k, t))
            return pg->en ? m[i].en : m[i].vi;
    return t ? t : "";
}

static void get_dossier_page(dh_req *rq, dh_resp *rs)
{
    if (!dh_pages_signed_in(rq, rs))
        return;
    dh_page pg;
    dh_pages_init(rq, &pg);
    dh_err e;
    json_t *d = NULL;
    const char *code = rq->params[0];
    if (dh_app_dossier_get(rq->app, &rq->actor, code, false, rq->now, &d, &e)) {
        dh_pages_error(rs, &pg, &e);
        return;
    }
    char title[300];
    snprintf(title, sizeof title, "%s %s", L(&pg, "Hồ sơ", "Dossier"), code);
    dh_page_begin(&pg, title, "ho-so");
    const char *st = row_status(d);
    char t[32];
    dh_page_raw(&pg, "<table><tbody>");
    struct {
        const char *vi, *en, *key;
    } rows[] = {{"Thủ tục", "Procedure", "procedure"},
                {"Đơn vị giải quyết", "Handling unit", "unit"},
                {"Đơn vị tiếp nhận", "Receiving unit", "receiving_unit"},
                {"Tiếp nhận lúc", "Received", "received_at"},
                {"Hạn giải quyết", "Due", "due_at"},
                {"Hạn sau khi trừ thời gian chờ bổ sung", "Due, pauses excluded", "due_effective"},
                {"Gia hạn đến", "Extended to", "extended_to"},
                {"Hoàn thành lúc", "Finished", "finished_at"}};
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        json_t *v = json_object_get(d, rows[i].key);
        if (json_is_null(v) || !v)
            continue;
        dh_page_raw(&pg, "<tr><th scope=\"row\">");
        dh_page_text(&pg, pg.en ? rows[i].en : rows[i].vi);
        dh_page_raw(&pg, "</th><td>");
        if (strstr(rows[i].key, "_at") || strstr(rows[i].key, "due") || strstr(rows[i].key, "_to")) {
            vn_time(v, t, sizeof t);
            dh_page_text(&pg, t);
        } else {
            dh_page_text(&pg, json_string_value(v));
        }
        dh_page_raw(&pg, "</td></tr>");
    }
    dh_page_raw(&pg, "<tr><th scope=\"row\">");
    dh_page_text(&pg, L(&pg, "Tình trạng", "State"));
    dh_page_raw(&pg, "</th><td class=\"state-");
    dh_page_attr(&pg, st);
    dh_page_raw(&pg, "\">");
    dh_page_text(&pg, state_label(&pg, st));
    dh_page_raw(&pg, "</td></tr><tr><th scope=\"row\">");
    dh_page_text(&pg, L(&pg, "Thời gian làm việc đã dùng / được phép",
                        "Working time used / allowed"));
    long long used = json_integer_value(json_object_get(d, "working_minutes_used")),
              allowed = json_integer_value(json_object_get(d, "working_minutes_allowed"));
    dh_page_fmt(&pg, "</th><td>%lld giờ %02lld phút / %lld giờ %02lld phút</td></tr>", used / 60,
                used % 60, allowed / 60, allowed % 60);
    dh_page_raw(&pg, "<tr><th scope=\"row\">");
    dh_page_text(&pg, L(&pg, "Số lần yêu cầu bổ sung", "Supplement requests"));
    dh_page_fmt(&pg, "</th><td>%lld</td></tr></tbody></table>",
                (long long)json_integer_value(json_object_get(d, "supplement_requests")));
    const char *out = json_string_value(json_object_get(d, "outcome"));
    if (out && (!strcmp(out, "late") || !strcmp(out, "overdue"))) {
        dh_page_raw(&pg, "<p><a href=\"/api/v1/dossiers/");
        dh_page_urlenc(&pg, code);
        dh_page_raw(&pg, "/apology.pdf\">");
        dh_page_text(&pg, L(&pg, "Văn bản xin lỗi (PDF)", "Apology letter (PDF)"));
        dh_page_raw(&pg, "</a> · <a href=\"/api/v1/dossiers/");
        dh_page_urlenc(&pg, code);
        dh_page_raw(&pg, "/apology.html\">HTML</a></p>");
    }
    dh_page_raw(&pg, "<h2>");
    dh_page_text(&pg, L(&pg, "Diễn biến", "Timeline"));
    dh_page_raw(&pg, "</h2><ol class=\"timeline\">");
    size_t i;
    json_t *ev;
    json_array_foreach(json_object_get(d, "events"), i, ev)
    {
        vn_time(json_object_get(ev, "at"), t, sizeof t);
        dh_page_raw(&pg, "<li><time>");
        dh_page_text(&pg, t);
        dh_page_raw(&pg, "</time> — ");
        dh_page_text(&pg, event_label(&pg, json_string_value(json_object_get(ev, "type"))));
        const char *reason = json_string_value(json_object_get(ev, "reason"));
        if (reason) {
            dh_page_raw(&pg, ": ");
            dh_page_text(&pg, reason);
        }
        dh_page_raw(&pg, "</li>");
    }
    dh_page_raw(&pg, "</ol>");
    json_decref(d);
    dh_pages_send(rs, &pg, 200);
}

static void ii06a_table(dh_page *pg, const json_t *rep)
{
    static const char *const keys[] = {"received_total", "received_online",
                                       "received_counter_postal", "carried_over",
                                       "resolved_total", "early", "on_time", "late",
                                       "in_progress_total", "within", "overdue"};
    static const char *const vi[] = {"Tổng số tiếp nhận", "Trực tuyến", "Trực tiếp, bưu chính",
                                     "Kỳ trước chuyển qua", "Tổng số đã giải quyết", "Trước hạn",
                                     "Đúng hạn", "Quá hạn", "Tổng số đang giải quyết",
                                     "Trong hạn", "Quá hạn"};
    dh_page_raw(pg, "<table><thead><tr><th scope=\"col\">STT</th><th scope=\"col\">");
    dh_page_text(pg, L(pg, "Lĩnh vực", "Field"));
    dh_page_raw(pg, "</th>");
    for (int k = 0; k < 11; k++) {
        dh_page_raw(pg, "<th scope=\"col\" class=\"n\">");
        dh_page_text(pg, pg->en ? keys[k] : vi[k]);
        dh_page_raw(pg, "</th>");
    }
    dh_page_raw(pg, "</tr></thead><tbody>");
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(rep, "rows"), i, r)
    {
        dh_page_fmt(pg, "<tr><td class=\"n\">%zu</td><th scope=\"row\">", i + 1);
        dh_page_text(pg, json_string_value(json_object_get(r, "field")));
        dh_page_raw(pg, "</th>");
        for (int k = 0; k < 11; k++) {
            dh_page_raw(pg, "<td class=\"n\">");
            dh_page_int(pg, json_integer_value(json_object_get(r, keys[k])));
            dh_page_raw(pg, "</td>");
        }
        dh_page_raw(pg, "</tr>");
    }
    dh_page_raw(pg, "</tbody><tfoot><tr><td></td><th scope=\"row\">");
    dh_page_text(pg, L(pg, "Tổng cộng", "Total"));
    dh_page_raw(pg, "</th>");
    json_t *tot = json_object_get(rep, "total");
    for (int k = 0; k < 11; k++) {
        dh_page_raw(pg, "<td class=\"n\" data-key=\"");
        dh_page_raw(pg, keys[k]);
        dh_page_raw(pg, "\">");
        dh_page_int(pg, json_integer_value(json_object_get(tot, keys[k])));
        dh_page_raw(pg, "</td>");
    }
    dh_page_raw(pg, "</tr></tfoot></table>");
}

static void get_reports(dh_req *rq, dh_resp *rs)
{
    if (!dh_pages_signed_in(rq, rs))
        return;
    dh_page pg;
    dh_pages_init(rq, &pg);
    dh_period p;
    char label[64];
    dh_err e;
    const char *unit = dh_pages_unit(rq, dh_req_query(rq, "unit"));
    if (dh_pages_period(rq, rs, &pg, &p, label, sizeof label))
        return;
    json_t *rep = NULL;
    if (unit && dh_app_report_ii06a(rq->app, &rq->actor, unit, p.from, p.to, 0, rq->now, &rep,
                                    &e)) {
        dh_pages_error(rs, &pg, &e);
        return;
    }
    dh_page_begin(&pg, L(&pg, "Báo cáo: Biểu số II.06a/VPCP/KSTT", "Reports: form II.06a"),
                  "bao-cao");
    dh_pages_period_form(&pg, "/bao-cao", unit ? unit : "", label);
    dh_page_raw(&pg, "<p><a href=\"/bao-cao/qua-han-trong-ngay\">");
    dh_page_text(&pg, L(&pg, "Báo cáo hồ sơ quá hạn trong ngày", "Daily overdue dossier report"));
    dh_page_raw(&pg, "</a> · <a href=\"/tram-5g\">");
    dh_page_text(&pg, L(&pg, "Trạm 5G", "5G stations"));
    dh_page_raw(&pg, "</a></p>");
    if (rep) {
        char name[400];
        dh_app_unit_name(rq->app, unit, p.to, name, sizeof name);
        dh_page_raw(&pg, "<p>");
        dh_page_text(&pg, L(&pg, "Tình hình, kết quả giải quyết TTHC tại ",
                            "Administrative procedures handled at "));
        dh_page_text(&pg, name);
        dh_page_raw(&pg, " (");
        dh_page_text(&pg, json_string_value(json_object_get(rep, "from")));
        dh_page_raw(&pg, " – ");
        dh_page_text(&pg, json_string_value(json_object_get(rep, "to")));
        dh_page_raw(&pg, ")</p><p>");
        static const char *const fmts[] = {"xlsx", "pdf", "csv", "html"};
        static const char *const names[] = {"Excel (XLSX)", "PDF", "CSV", "HTML"};
        for (int k = 0; k < 4; k++) {
            dh_page_raw(&pg, k ? " · <a href=\"/api/v1/reports/ii06a?unit="
                               : "<a href=\"/api/v1/reports/ii06a?unit=");
            dh_page_urlenc(&pg, unit);
            dh_page_raw(&pg, "&amp;period=");
            dh_page_urlenc(&pg, label);
            dh_page_raw(&pg, "&amp;format=");
            dh_page_raw(&pg, fmts[k]);
            dh_page_raw(&pg, "\">");
            dh_page_text(&pg, L(&pg, "Tải ", "Download "));
            dh_page_text(&pg, names[k]);
            dh_page_raw(&pg, "</a>");
        }
        dh_page_raw(&pg, "</p>");
        ii06a_table(&pg, rep);
        json_decref(rep);
    }
    dh_pages_send(rs, &pg, 200);
}

/* The public page of a unit's service index: no sign-in; no ranking of
 * others, no dossier. */
static void get_public_index(dh_req *rq, dh_resp *rs)
{
    dh_page pg;
    dh_pages_init(rq, &pg);
    pg.a = NULL;
    dh_period p;
    char label[64];
    dh_err e;
    if (dh_pages_period(rq, rs, &pg, &p, label, sizeof label))
        return;
    dh_actor sys;
    dh_actor_cli(&sys); /* the index is published */
    json_t *idx = NULL;
    if (dh_app_index766(rq->app, &sys, rq->params[0], p.from, p.to, label, rq->now, &idx, &e)) {
        dh_pages_error(rs, &pg, &e);
        return;
    }
    char title[600];
    snprintf(title, sizeof title, "%s — %s",
             L(&pg, "Chỉ số phục vụ người dân, doanh nghiệp", "Service index"),
             json_string_value(json_object_get(idx, "name")));
    dh_page_begin(&pg, title, "");
    dh_pages_period_form(&pg, rq->path, NULL, label);
    dh_pages_index766(&pg, idx, false);
    json_decref(idx);
    dh_pages_send(rs, &pg, 200);
}

/* Báo cáo hồ sơ quá hạn trong ngày (issue 19): what the unit's units
 * reported to it on a day, each dossier with its days overdue and apology
 * state, and the days before (the history). */
static void late_items(dh_page *pg, const json_t *items)
{
    dh_page_raw(pg, "<div class=\"table-scroll\"><table><thead><tr><th>");
    dh_page_text(pg, L(pg, "Hồ sơ", "Dossier"));
    dh_page_raw(pg, "</th><th>");
    dh_page_text(pg, L(pg, "Thủ tục", "Procedure"));
    dh_page_raw(pg, "</th><th>");
    dh_page_text(pg, L(pg, "Hạn", "Due"));
    dh_page_raw(pg, "</th><th>");
    dh_page_text(pg, L(pg, "Số ngày quá hạn", "Working days overdue"));
    dh_page_raw(pg, "</th><th>");
    dh_page_text(pg, L(pg, "Phiếu xin lỗi", "Apology letter"));
    dh_page_raw(pg, "</th></tr></thead><tbody>");
    size_t i;
    json_t *d;
    json_array_foreach(items, i, d)
    {
        const char *code = json_string_value(json_object_get(d, "code"));
        char due[64];
        vn_time(json_object_get(d, "due_at"), due, sizeof due);
        dh_page_raw(pg, "<tr><td><a href=\"/ho-so/");
        dh_page_urlenc(pg, code);
        dh_page_raw(pg, "\">");
        dh_page_text(pg, code);
        dh_page_raw(pg, "</a></td><td>");
        dh_page_text(pg, json_string_value(json_object_get(d, "procedure")));
        dh_page_raw(pg, "</td><td>");
        dh_page_text(pg, due);
        dh_page_raw(pg, "</td><td class=\"num\">");
        dh_page_int(pg, (long long)json_integer_value(json_object_get(d, "days_overdue")));
        dh_page_raw(pg, "</td><td>");
        dh_page_text(pg, json_is_true(json_object_get(d, "apology_issued"))
                             ? L(pg, "Đã có phiếu xin lỗi", "Issued")
                             : L(pg, "Chưa có", "Not issued"));
        dh_page_raw(pg, "</td></tr>");
    }
    dh_page_raw(pg, "</tbody></table></div>");
}

static void get_late_daily_page(dh_req *rq, dh_resp *rs)
{
    if (!dh_pages_signed_in(rq, rs))
        return;
    dh_page pg;
    dh_pages_init(rq, &pg);
    dh_err e;
    const char *unit = dh_pages_unit_or_root(rq, dh_req_query(rq, "unit"));
    const char *date = dh_req_query(rq, "date");
    dh_date d = dh_date_of_time_vn(rq->now);
    if (date && *date && dh_date_parse(date, &d)) {
        dh_err_set(&e, DH_E_INVALID, "invalid_date", "date", "'%s' is not a date YYYY-MM-DD",
                   date);
        dh_pages_error(rs, &pg, &e);
        return;
    }
    json_t *out = NULL;
    if (!unit) {
        dh_err_set(&e, DH_E_INVALID, "missing_field", "unit", "no unit to show");
        dh_pages_error(rs, &pg, &e);
        return;
    }
    if (dh_app_late_daily(rq->app, &rq->actor, unit, d, rq->now, &out, &e)) {
        dh_pages_error(rs, &pg, &e);
        return;
    }
    char ds[DH_DATE_TEXT_LEN], name[400];
    dh_date_format(d, ds);
    dh_app_unit_name(rq->app, unit, d, name, sizeof name);
    dh_page_begin(&pg, L(&pg, "Báo cáo hồ sơ quá hạn trong ngày", "Daily overdue dossier report"),
                  "bao-cao");
    dh_page_raw(&pg, "<form method=\"get\" action=\"/bao-cao/qua-han-trong-ngay\"><label>");
    dh_page_text(&pg, L(&pg, "Đơn vị", "Unit"));
    dh_page_raw(&pg, " <input name=\"unit\" value=\"");
    dh_page_attr(&pg, unit);
    dh_page_raw(&pg, "\"></label> <label>");
    dh_page_text(&pg, L(&pg, "Ngày", "Date"));
    dh_page_raw(&pg, " <input type=\"date\" name=\"date\" value=\"");
    dh_page_attr(&pg, ds);
    dh_page_raw(&pg, "\"></label> <button>");
    dh_page_text(&pg, L(&pg, "Xem", "Show"));
    dh_page_raw(&pg, "</button></form><h2>");
    dh_page_text(&pg, name);
    dh_page_text(&pg, L(&pg, " — ngày ", " — "));
    dh_page_text(&pg, ds);
    dh_page_raw(&pg, "</h2>");
    json_t *recv = json_object_get(out, "received");
    if (!json_array_size(recv)) {
        dh_page_raw(&pg, "<p>");
        dh_page_text(&pg, L(&pg, "Không có đơn vị nào báo cáo hồ sơ quá hạn trong ngày này.",
                            "No unit reported overdue dossiers on this day."));
        dh_page_raw(&pg, "</p>");
    }
    size_t i;
    json_t *r;
    json_array_foreach(recv, i, r)
    {
        char uname[400];
        const char *code = json_string_value(json_object_get(r, "unit"));
        dh_app_unit_name(rq->app, code, d, uname, sizeof uname);
        dh_page_raw(&pg, "<section><h3 title=\"");
        dh_page_attr(&pg, code);
        dh_page_raw(&pg, "\">");
        dh_page_text(&pg, uname);
        dh_page_raw(&pg, "</h3><p>");
        dh_page_int(&pg, (long long)json_integer_value(json_object_get(r, "overdue")));
        dh_page_text(&pg, L(&pg, " hồ sơ quá hạn, ", " overdue, "));
        dh_page_int(&pg, (long long)json_integer_value(json_object_get(r, "apologies")));
        dh_page_text(&pg, L(&pg, " đã có phiếu xin lỗi; báo cáo lúc ", " apologised; reported "));
        dh_page_text(&pg, json_string_value(json_object_get(r, "made_at")));
        dh_page_raw(&pg, "</p>");
        late_items(&pg, json_object_get(r, "items"));
        dh_page_raw(&pg, "</section>");
    }
    json_t *own = json_object_get(out, "report");
    if (json_is_object(own)) {
        dh_page_raw(&pg, "<h3>");
        dh_page_text(&pg, L(&pg, "Báo cáo của đơn vị gửi cấp trên", "This unit's own report"));
        dh_page_raw(&pg, "</h3>");
        late_items(&pg, json_object_get(own, "items"));
    }
    dh_page_raw(&pg, "<h3>");
    dh_page_text(&pg, L(&pg, "Các ngày đã báo cáo", "Earlier reports"));
    dh_page_raw(&pg, "</h3><div class=\"table-scroll\"><table><thead><tr><th>");
    dh_page_text(&pg, L(&pg, "Ngày", "Date"));
    dh_page_raw(&pg, "</th><th>");
    dh_page_text(&pg, L(&pg, "Đơn vị", "Unit"));
    dh_page_raw(&pg, "</th><th>");
    dh_page_text(&pg, L(&pg, "Quá hạn", "Overdue"));
    dh_page_raw(&pg, "</th><th>");
    dh_page_text(&pg, L(&pg, "Đã có phiếu xin lỗi", "Apologised"));
    dh_page_raw(&pg, "</th></tr></thead><tbody>");
    json_array_foreach(json_object_get(out, "history"), i, r)
    {
        const char *day = json_string_value(json_object_get(r, "date"));
        const char *code = json_string_value(json_object_get(r, "unit"));
        char uname[400];
        dh_app_unit_name(rq->app, code, d, uname, sizeof uname);
        dh_page_raw(&pg, "<tr><td><a href=\"/bao-cao/qua-han-trong-ngay?unit=");
        dh_page_urlenc(&pg, unit);
        dh_page_raw(&pg, "&amp;date=");
        dh_page_urlenc(&pg, day);
        dh_page_raw(&pg, "\">");
        dh_page_text(&pg, day);
        dh_page_raw(&pg, "</a></td><td title=\"");
        dh_page_attr(&pg, code);
        dh_page_raw(&pg, "\">");
        dh_page_text(&pg, uname);
        dh_page_raw(&pg, "</td><td class=\"num\">");
        dh_page_int(&pg, (long long)json_integer_value(json_object_get(r, "overdue")));
        dh_page_raw(&pg, "</td><td class=\"num\">");
        dh_page_int(&pg, (long long)json_integer_value(json_object_get(r, "apologies")));
        dh_page_raw(&pg, "</td></tr>");
    }
    dh_page_raw(&pg, "</tbody></table></div>");
    json_decref(out);
    dh_pages_send(rs, &pg, 200);
}

const dh_route dh_routes_pages_dossiers[] = {
    {"GET", "/ho-so", get_list, DH_ROUTE_PAGE},
    {"GET", "/ho-so/{}", get_dossier_page, DH_ROUTE_PAGE},
    {"GET", "/bao-cao", get_reports, DH_ROUTE_PAGE},
    {"GET", "/bao-cao/qua-han-trong-ngay", get_late_daily_page, DH_ROUTE_PAGE},
    {"GET", "/cong-khai/chi-so/{}", get_public_index, DH_ROUTE_PUBLIC},
    {0, 0, 0, 0},
};
