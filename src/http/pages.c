/* pages.c - what the page files (ep_pages*.c) share, declared in pages.h:
 * the page's start from a request, sign-in checks, sending a page, the
 * error page, period and unit parameters, the period and upload forms, the
 * 766 index block. No routes: every route is in an ep_pages*.c file, and
 * none of them calls another's routes' helpers back. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/period.h"
#include "http/pages.h"
#include "util/buf.h"
#include "util/text.h"

void dh_pages_init(dh_req *rq, dh_page *pg)
{
    memset(pg, 0, sizeof *pg);
    const char *lang = dh_req_cookie(rq, "dh_lang");
    pg->en = lang && !strcmp(lang, "en");
    pg->path = rq->path;
    if (rq->authed) {
        pg->a = &rq->actor;
        if (rq->actor.via_cookie) {
            char *c = dh_app_csrf_for(rq->secret);
            snprintf(pg->csrf, sizeof pg->csrf, "%s", c);
            free(c);
        }
    }
}

bool dh_pages_signed_in(dh_req *rq, dh_resp *rs)
{
    if (rq->authed)
        return true;
    /* The path goes back through the sign-in form as a query value. */
    dh_page enc = {0};
    dh_page_raw(&enc, "/dang-nhap?next=");
    dh_page_urlenc(&enc, dh_page_local_target(rq->path));
    dh_buf_append(&enc.b, "", 1);
    dh_reply_redirect(rs, enc.b.p);
    dh_buf_free(&enc.b);
    return false;
}

void dh_pages_send(dh_resp *rs, dh_page *pg, int status)
{
    free(rs->body);
    rs->body = dh_page_end(pg);
    rs->status = status;
    rs->content_type = "text/html; charset=utf-8";
}

void dh_pages_error(dh_resp *rs, dh_page *pg, const dh_err *e)
{
    int status = dh_err_http_status(e->status);
    dh_page_begin(pg, status == 403 ? L(pg, "Không có quyền", "Not allowed")
                                    : L(pg, "Không xem được", "Cannot show this"),
                  "");
    dh_page_raw(pg, "<p class=\"err\" role=\"alert\">");
    dh_page_text(pg, e->message);
    dh_page_raw(pg, "</p><p><a href=\"/tong-quan\">");
    dh_page_text(pg, L(pg, "Về trang tổng quan", "Back to the overview"));
    dh_page_raw(pg, "</a></p>");
    dh_pages_send(rs, pg, status);
}

static int period_of(dh_req *rq, dh_period *p, char *label, size_t cap, time_t now)
{
    const char *period = dh_req_query(rq, "period"), *from = dh_req_query(rq, "from"),
               *to = dh_req_query(rq, "to");
    const char *why = NULL;
    if (period && *period) {
        if (dh_period_parse(period, p, &why))
            return -1;
        snprintf(label, cap, "%s", period);
        return 0;
    }
    if (from && *from && to && *to) {
        if (dh_date_parse(from, &p->from) || dh_date_parse(to, &p->to) || p->to < p->from)
            return -1;
        snprintf(label, cap, "%s..%s", from, to);
        return 0;
    }
    /* this month to date */
    dh_date today = dh_date_of_time_vn(now);
    int y, m, d;
    dh_date_to_ymd(today, &y, &m, &d);
    p->from = dh_date_from_ymd(y, m, 1);
    p->to = today;
    snprintf(label, cap, "%04d-%02d", y, m);
    return 0;
}

int dh_pages_period(dh_req *rq, dh_resp *rs, dh_page *pg, dh_period *p, char *label, size_t cap)
{
    if (period_of(rq, p, label, cap, rq->now) == 0)
        return 0;
    dh_err e;
    dh_err_set(&e, DH_E_INVALID, "invalid_period", "period",
               "Kỳ không hợp lệ: dùng 2025, 2025-Q3, 2025-07, 2025-07-15, cutoff:2025-Q1 hoặc "
               "2025-01-01..2025-03-31");
    dh_pages_error(rs, pg, &e);
    return -1;
}

void dh_pages_upload_form(dh_page *pg, const char *form_id, const char *accept)
{
    dh_page_raw(pg, "<form id=\"");
    dh_page_raw(pg, form_id);
    dh_page_raw(pg, "\" data-csrf=\"");
    dh_page_attr(pg, pg->csrf);
    dh_page_raw(pg, "\"><label>");
    dh_page_text(pg, L(pg, "Tệp", "File"));
    dh_page_raw(pg, " <input type=\"file\" name=\"file\" accept=\"");
    dh_page_raw(pg, accept);
    dh_page_raw(pg, "\" required></label> <button type=\"submit\">");
    dh_page_text(pg, L(pg, "Tải lên", "Upload"));
    dh_page_raw(pg, "</button></form><p><progress id=\"upload-progress\" value=\"0\" max=\"1\">"
                    "</progress> <span id=\"upload-status\" role=\"status\" aria-live=\"polite\">"
                    "</span></p><ol id=\"upload-errors\" class=\"err\"></ol>");
}

const char *dh_pages_unit(dh_req *rq, const char *given)
{
    if (given && *given)
        return given;
    if (rq->actor.unit_code[0])
        return rq->actor.unit_code;
    return NULL;
}

const char *dh_pages_unit_or_root(dh_req *rq, const char *given)
{
    const char *unit = dh_pages_unit(rq, given);
    if (unit)
        return unit;
    static _Thread_local char root[64];
    dh_err e;
    const dh_unitreg *reg = dh_app_units_acquire(rq->app, &e);
    int32_t *roots = NULL;
    size_t n = reg ? dh_unitreg_roots(reg, dh_date_of_time_vn(rq->now), &roots) : 0;
    snprintf(root, sizeof root, "%s", n ? reg->u[roots[0]].code : "");
    free(roots);
    if (reg)
        dh_app_units_release(rq->app, reg);
    return root;
}

typedef struct unit_label {
    const char *code, *name;
    dh_text_key key; /* of name, made once (a task may name every commune) */
} unit_label;

static int cmp_label(const void *a, const void *b)
{
    const unit_label *x = a, *y = b;
    int c = dh_text_key_cmp(&x->key, &y->key);
    return c ? c : strcmp(x->code, y->code);
}

static void unit_abbr(dh_page *pg, const unit_label *l)
{
    dh_page_raw(pg, "<abbr class=\"unit\" title=\"");
    dh_page_attr(pg, l->code);
    dh_page_raw(pg, "\">");
    dh_page_text(pg, l->name);
    dh_page_raw(pg, "</abbr>");
}

void dh_pages_units(dh_req *rq, dh_page *pg, const json_t *codes, dh_date d, size_t show)
{
    size_t n = json_array_size(codes);
    if (!n)
        return;
    dh_err e;
    const dh_unitreg *reg = dh_app_units_acquire(rq->app, &e);
    if (d == DH_DATE_NONE)
        d = dh_date_of_time_vn(rq->now);
    unit_label *l = dh_xcalloc(n, sizeof *l);
    for (size_t i = 0; i < n; i++) {
        const char *code = json_string_value(json_array_get(codes, i));
        l[i].code = l[i].name = code ? code : "";
        int32_t u = reg && code ? dh_unitreg_find(reg, code) : -1;
        const dh_unit_version *v = u >= 0 ? dh_unitreg_nearest(reg, u, d) : NULL;
        if (v)
            l[i].name = v->short_name && *v->short_name ? v->short_name : v->name;
        dh_text_key_make(l[i].name, &l[i].key);
    }
    qsort(l, n, sizeof *l, cmp_label);
    if (n <= show) {
        for (size_t i = 0; i < n; i++) {
            if (i)
                dh_page_raw(pg, ", ");
            unit_abbr(pg, &l[i]);
        }
    } else {
        dh_page_raw(pg, "<details class=\"units\"><summary>");
        unit_abbr(pg, &l[0]);
        dh_page_text(pg, L(pg, " và ", " and "));
        dh_page_int(pg, (long long)(n - 1));
        dh_page_text(pg, L(pg, " đơn vị khác", " other units"));
        dh_page_raw(pg, "</summary><ul>");
        for (size_t i = 0; i < n; i++) {
            dh_page_raw(pg, "<li>");
            unit_abbr(pg, &l[i]);
            dh_page_raw(pg, "</li>");
        }
        dh_page_raw(pg, "</ul></details>");
    }
    for (size_t i = 0; i < n; i++)
        dh_text_key_free(&l[i].key);
    free(l);
    if (reg)
        dh_app_units_release(rq->app, reg);
}

void dh_pages_unit_name(dh_req *rq, dh_page *pg, const char *code, dh_date d)
{
    json_t *one = json_pack("[s]", code ? code : "");
    dh_pages_units(rq, pg, one, d, 1);
    json_decref(one);
}

/* The period selector and the unit field (GET form). */
void dh_pages_period_form(dh_page *pg, const char *action, const char *unit, const char *label)
{
    dh_page_raw(pg, "<form class=\"filters\" method=\"get\" action=\"");
    dh_page_attr(pg, action);
    dh_page_raw(pg, "\">");
    if (unit) {
        dh_page_raw(pg, "<label>");
        dh_page_text(pg, L(pg, "Đơn vị (mã)", "Unit (code)"));
        dh_page_raw(pg, "<input name=\"unit\" value=\"");
        dh_page_attr(pg, unit);
        dh_page_raw(pg, "\" size=\"14\"></label>");
    }
    dh_page_raw(pg, "<label>");
    dh_page_text(pg, L(pg, "Kỳ (tháng 2025-07, quý 2025-Q3, năm 2025, …)",
                       "Period (month 2025-07, quarter 2025-Q3, year 2025, …)"));
    dh_page_raw(pg, "<input name=\"period\" list=\"periods\" value=\"");
    dh_page_attr(pg, label);
    dh_page_raw(pg, "\" size=\"16\"></label><datalist id=\"periods\">");
    static const char *const ex[] = {"2026", "2026-Q3", "2026-10", "2026-11", "2025",
                                     "2025-Q4", "cutoff:2026-Q3"};
    for (size_t i = 0; i < sizeof ex / sizeof *ex; i++) {
        dh_page_raw(pg, "<option value=\"");
        dh_page_raw(pg, ex[i]);
        dh_page_raw(pg, "\">");
    }
    dh_page_raw(pg, "</datalist><button type=\"submit\">");
    dh_page_text(pg, L(pg, "Xem", "Show"));
    dh_page_raw(pg, "</button></form>");
}

void dh_pages_index766(dh_page *pg, const json_t *idx, bool with_ranking)
{
    size_t i, j;
    json_t *g, *ind;
    dh_page_raw(pg, "<p>");
    dh_page_text(pg, L(pg, "Tổng điểm: ", "Total: "));
    dh_page_raw(pg, "<strong class=\"score\">");
    dh_page_fmt(pg, "%.2f", json_number_value(json_object_get(idx, "total")));
    dh_page_raw(pg, "</strong> / 100 · ");
    dh_page_text(pg, L(pg, "quy về thang 100 trên số điểm tính được: ",
                       "scaled to 100 over the computable points: "));
    dh_page_fmt(pg, "%.2f", json_number_value(json_object_get(idx, "score_100")));
    dh_page_raw(pg, " · ");
    dh_page_text(pg, L(pg, "cấu hình ", "configuration "));
    dh_page_text(pg, json_string_value(json_object_get(json_object_get(idx, "config"), "version")));
    dh_page_raw(pg, "</p><table><thead><tr><th scope=\"col\">");
    dh_page_text(pg, L(pg, "Chỉ số", "Indicator"));
    dh_page_raw(pg, "</th><th scope=\"col\" class=\"n\">");
    dh_page_text(pg, L(pg, "Tử số / mẫu số", "Numerator / denominator"));
    dh_page_raw(pg, "</th><th scope=\"col\" class=\"n\">");
    dh_page_text(pg, L(pg, "Tỷ lệ", "Rate"));
    dh_page_raw(pg, "</th><th scope=\"col\" class=\"n\">");
    dh_page_text(pg, L(pg, "Ngưỡng", "Threshold"));
    dh_page_raw(pg, "</th><th scope=\"col\" class=\"n\">");
    dh_page_text(pg, L(pg, "Điểm", "Points"));
    dh_page_raw(pg, "</th></tr></thead><tbody>");
    json_array_foreach(json_object_get(idx, "groups"), i, g)
    {
        dh_page_raw(pg, "<tr><th scope=\"rowgroup\" colspan=\"4\">");
        dh_page_text(pg, json_string_value(json_object_get(g, "name")));
        dh_page_raw(pg, "</th><th class=\"n\">");
        dh_page_fmt(pg, "%.2f / %.0f", json_number_value(json_object_get(g, "points")),
                    json_number_value(json_object_get(g, "max_points")));
        dh_page_raw(pg, "</th></tr>");
        json_array_foreach(json_object_get(g, "indicators"), j, ind)
        {
            dh_page_raw(pg, "<tr><td>");
            dh_page_text(pg, json_string_value(json_object_get(ind, "name")));
            json_t *reason = json_object_get(ind, "na_reason");
            if (reason) {
                dh_page_raw(pg, "<br><small>");
                dh_page_text(pg, json_string_value(reason));
                dh_page_raw(pg, "</small>");
            }
            dh_page_raw(pg, "</td><td class=\"n\">");
            json_t *num = json_object_get(ind, "numerator");
            if (num) {
                dh_page_int(pg, json_integer_value(num));
                dh_page_raw(pg, " / ");
                dh_page_int(pg, json_integer_value(json_object_get(ind, "denominator")));
            } else {
                dh_page_text(pg, L(pg, "nhập tay", "entered by hand"));
            }
            dh_page_raw(pg, "</td><td class=\"n\">");
            dh_page_pct(pg, json_object_get(ind, "rate"));
            dh_page_raw(pg, "</td><td class=\"n\">");
            json_t *th = json_object_get(ind, "threshold");
            if (json_is_number(th))
                dh_page_fmt(pg, "%.0f%%", json_number_value(th));
            dh_page_raw(pg, "</td><td class=\"n\">");
            json_t *pts = json_object_get(ind, "points");
            if (json_is_number(pts))
                dh_page_fmt(pg, "%.2f", json_number_value(pts));
            else
                dh_page_raw(pg, "N/A");
            dh_page_fmt(pg, " / %.0f</td></tr>", json_number_value(json_object_get(ind, "max_points")));
        }
    }
    dh_page_raw(pg, "</tbody></table>");
    json_t *rk = json_object_get(idx, "ranking");
    if (!with_ranking || !rk)
        return;
    dh_page_raw(pg, "<h2>");
    dh_page_text(pg, L(pg, "Xếp hạng các đơn vị cùng cấp", "Ranking among sibling units"));
    dh_page_raw(pg, "</h2><table><thead><tr><th scope=\"col\">#</th><th scope=\"col\">");
    dh_page_text(pg, L(pg, "Đơn vị", "Unit"));
    dh_page_raw(pg, "</th><th scope=\"col\" class=\"n\">");
    dh_page_text(pg, L(pg, "Điểm (thang 100)", "Score (of 100)"));
    dh_page_raw(pg, "</th><th scope=\"col\" class=\"n\">");
    dh_page_text(pg, L(pg, "Hồ sơ đã xử lý", "Dossiers handled"));
    dh_page_raw(pg, "</th></tr></thead><tbody>");
    json_array_foreach(json_object_get(rk, "units"), i, g)
    {
        json_t *rank = json_object_get(g, "rank");
        dh_page_raw(pg, "<tr><td class=\"n\">");
        if (json_is_integer(rank))
            dh_page_fmt(pg, "%lld", (long long)json_integer_value(rank));
        else
            dh_page_raw(pg, "<abbr title=\"dưới mức tối thiểu\">—</abbr>");
        dh_page_raw(pg, "</td><td>");
        dh_page_text(pg, json_string_value(json_object_get(g, "name")));
        dh_page_raw(pg, "</td><td class=\"n\">");
        dh_page_fmt(pg, "%.2f", json_number_value(json_object_get(g, "score_100")));
        dh_page_raw(pg, "</td><td class=\"n\">");
        dh_page_int(pg, json_integer_value(json_object_get(g, "handled")));
        dh_page_raw(pg, "</td></tr>");
    }
    dh_page_raw(pg, "</tbody></table>");
}

