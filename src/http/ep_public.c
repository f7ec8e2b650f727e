/* ep_public.c - pages anyone may open, without signing in:
 *   GET /tra-cuu?ma=CODE   dossier lookup (state, appointment, late or not; no
 *                          personal data), rate-limited per client address
 * Every interpolated value is HTML-escaped. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"
#include "util/buf.h"
#include "util/html.h"

static void row(dh_buf *b, const char *label, const char *value)
{
    dh_buf_puts(b, "<tr><th scope=\"row\">");
    dh_html_escape(b, label, false);
    dh_buf_puts(b, "</th><td>");
    dh_html_escape(b, value, false);
    dh_buf_puts(b, "</td></tr>");
}

static const char *state_vi(const char *state)
{
    if (!state)
        return "—";
    if (strcmp(state, "in_progress") == 0)
        return "Đang giải quyết";
    if (strcmp(state, "paused") == 0)
        return "Tạm dừng, chờ bổ sung hồ sơ";
    if (strcmp(state, "resolved") == 0)
        return "Đã giải quyết";
    if (strcmp(state, "closed") == 0)
        return "Đã kết thúc (từ chối, dừng hoặc rút hồ sơ)";
    return state;
}

static const char *outcome_vi(const char *o)
{
    if (!o)
        return "—";
    static const char *const map[][2] = {
        {"early", "Giải quyết trước hạn"}, {"on_time", "Giải quyết đúng hạn"},
        {"late", "Giải quyết trễ hạn"},    {"within", "Trong hạn"},
        {"at_risk", "Sắp đến hạn"},        {"overdue", "Quá hạn"}};
    for (size_t i = 0; i < sizeof map / sizeof *map; i++)
        if (strcmp(map[i][0], o) == 0)
            return map[i][1];
    return o;
}

static void lookup(dh_req *rq, dh_resp *rs)
{
    dh_buf b = {0};
    dh_buf_puts(&b, "<!doctype html><html lang=\"vi\"><head><meta charset=\"utf-8\">"
                    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                    "<title>Tra cứu hồ sơ — dieuhanh</title>");
    dh_html_doc_style(&b, true);
    dh_buf_puts(&b, "</head><body class=\"lookup\"><main>"
                    "<h1>Tra cứu hồ sơ thủ tục hành chính</h1>"
                    "<form method=\"get\" action=\"/tra-cuu\"><label for=\"ma\">Mã hồ sơ</label> "
                    "<input id=\"ma\" name=\"ma\" maxlength=\"64\" required value=\"");
    const char *code = dh_req_query(rq, "ma");
    dh_html_escape(&b, code ? code : "", false);
    dh_buf_puts(&b, "\"> <button type=\"submit\">Tra cứu</button></form>");
    int status = 200;
    if (!dh_public_lookup_allow(rs, rq->ip, rq->now)) {
        status = 429;
        dh_buf_puts(&b, "<p role=\"alert\">Bạn tra cứu quá nhiều lần trong một phút. Vui lòng "
                        "thử lại sau.</p>");
    } else if (code && *code) {
        json_t *d;
        dh_err e;
        dh_actor anon = {0};
        anon.role = DH_ROLE_VIEWER;
        if (strlen(code) > 64 ||
            dh_app_dossier_get(rq->app, &anon, code, true, rq->now, &d, &e) != DH_OK) {
            status = 404;
            dh_buf_puts(&b, "<p role=\"alert\">Không tìm thấy hồ sơ có mã <strong>");
            dh_html_escape(&b, code, false);
            dh_buf_puts(&b, "</strong>. Vui lòng kiểm tra lại mã trên giấy tiếp nhận.</p>");
        } else {
            char t1[40], t2[40], t3[40];
            const char *proc = json_string_value(json_object_get(d, "procedure"));
            const dh_procset *ps = dh_app_procedures_acquire(rq->app, &e);
            const dh_proc *p = ps ? dh_procset_at(ps, proc, dh_date_of_time_vn(rq->now)) : NULL;
            dh_public_vn_time(json_object_get(d, "received_at"), t1, sizeof t1);
            dh_public_vn_time(json_object_get(d, "due_at"), t2, sizeof t2);
            dh_public_vn_time(json_object_get(d, "finished_at"), t3, sizeof t3);
            const char *out = json_string_value(json_object_get(d, "outcome"));
            bool late = out && (strcmp(out, "late") == 0 || strcmp(out, "overdue") == 0);
            dh_buf_puts(&b, "<table>");
            row(&b, "Mã hồ sơ", code);
            row(&b, "Thủ tục", p ? p->name : proc);
            row(&b, "Ngày tiếp nhận", t1);
            row(&b, "Ngày hẹn trả kết quả", t2);
            if (json_is_string(json_object_get(d, "extended_to"))) {
                char t4[40];
                dh_public_vn_time(json_object_get(d, "extended_to"), t4, sizeof t4);
                row(&b, "Ngày hẹn trả mới (gia hạn)", t4);
            }
            row(&b, "Tình trạng", state_vi(json_string_value(json_object_get(d, "state"))));
            if (json_is_string(json_object_get(d, "finished_at")))
                row(&b, "Ngày giải quyết xong", t3);
            dh_buf_puts(&b, "<tr><th scope=\"row\">Đánh giá thời hạn</th><td");
            dh_buf_puts(&b, late ? " class=\"late\">" : ">");
            dh_html_escape(&b, outcome_vi(out), false);
            dh_buf_puts(&b, "</td></tr></table>");
            dh_app_procedures_release(rq->app, ps);
            json_decref(d);
        }
    }
    dh_buf_puts(&b, "</main></body></html>");
    dh_buf_append(&b, "", 1);
    rs->status = status;
    free(rs->body);
    rs->body = b.p;
    rs->content_type = "text/html; charset=utf-8";
}

const dh_route dh_routes_public[] = {
    {"GET", "/tra-cuu", lookup, DH_ROUTE_PUBLIC},
    {0, 0, 0, 0},
};
