/* ep_pages_feedback.c - the officers' pages of citizen feedback (issue 17):
 *   GET  /xu-ly-phan-anh[?unit=]        the queue: open records of the units the officer may
 *                                       read, overdue first, then at risk, then by deadline
 *   GET  /xu-ly-phan-anh/{code}         a record: details, timeline, contact (only for those
 *                                       who may handle it) and the action forms
 *   POST /xu-ly-phan-anh/{code}         one action (form field `action`, with `answer`,
 *                                       `reason`, `note`, `unit`), then back to the record
 * Everything through src/app (dh_app_fb_*); every value escaped by web/page.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/feedback.h"
#include "http/pages.h"
#include "store/feedback.h"

static const char *s_of(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

static int urgency(const json_t *r)
{
    const char *o = s_of(r, "outcome");
    return !strcmp(o, "overdue") ? 0 : !strcmp(o, "at_risk") ? 1 : !strcmp(o, "within") ? 2 : 3;
}

static int by_urgency(const void *a, const void *b)
{
    const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    int d = urgency(x) - urgency(y);
    return d ? d : strcmp(s_of(x, "due_at"), s_of(y, "due_at"));
}

static const char *outcome_label(dh_page *pg, const char *o)
{
    static const char *const map[][3] = {
        {"overdue", "Quá hạn", "Overdue"},  {"at_risk", "Sắp đến hạn", "At risk"},
        {"within", "Trong hạn", "Within"},  {"paused", "Tạm dừng", "Paused"},
        {"on_time", "Đúng hạn", "On time"}, {"late", "Trễ hạn", "Late"}};
    for (size_t i = 0; i < sizeof map / sizeof *map; i++)
        if (!strcmp(map[i][0], o))
            return L(pg, map[i][1], map[i][2]);
    return o;
}

static void queue(dh_req *rq, dh_resp *rs)
{
    if (!dh_pages_signed_in(rq, rs))
        return;
    dh_page pg;
    dh_pages_init(rq, &pg);
    dh_fb_filter f = {0};
    const char *unit = dh_req_query(rq, "unit");
    f.unit = unit && *unit ? unit : NULL;
    f.open = 1;
    f.order = 1;
    f.limit = 500;
    json_t *items = NULL;
    dh_err e;
    if (dh_app_fb_list(rq->app, &rq->actor, &f, rq->now, &items, &e)) {
        dh_pages_error(rs, &pg, &e);
        return;
    }
    size_t n = json_array_size(items);
    json_t **v = calloc(n ? n : 1, sizeof *v);
    for (size_t i = 0; i < n; i++)
        v[i] = json_array_get(items, i);
    qsort(v, n, sizeof *v, by_urgency);
    dh_page_begin(&pg, L(&pg, "Phản ánh, kiến nghị cần xử lý", "Feedback to handle"), "pakn");
    dh_page_fmt(&pg, "<p>%zu ", n);
    dh_page_text(&pg, L(&pg, "phản ánh đang mở (quá hạn và sắp đến hạn lên đầu).",
                        "open records (overdue and at risk first)."));
    dh_page_raw(&pg, "</p><table class=\"data\" id=\"queue\"><thead><tr>");
    static const char *const cols[][2] = {{"Mã", "Code"},           {"Lĩnh vực", "Category"},
                                          {"Nội dung", "Description"}, {"Đơn vị xử lý", "Unit"},
                                          {"Hạn", "Deadline"},       {"Tình trạng", "Status"}};
    for (size_t i = 0; i < 6; i++) {
        dh_page_raw(&pg, "<th scope=\"col\">");
        dh_page_text(&pg, L(&pg, cols[i][0], cols[i][1]));
        dh_page_raw(&pg, "</th>");
    }
    dh_page_raw(&pg, "</tr></thead><tbody>");
    for (size_t i = 0; i < n; i++) {
        const char *o = s_of(v[i], "outcome");
        dh_page_raw(&pg, "<tr><td><a href=\"/xu-ly-phan-anh/");
        dh_page_urlenc(&pg, s_of(v[i], "code"));
        dh_page_raw(&pg, "\">");
        dh_page_text(&pg, s_of(v[i], "code"));
        dh_page_raw(&pg, "</a></td><td>");
        dh_page_text(&pg, s_of(v[i], "category"));
        dh_page_raw(&pg, "</td><td>");
        dh_page_text(&pg, s_of(v[i], "description"));
        dh_page_raw(&pg, "</td><td>");
        dh_page_text(&pg, s_of(v[i], "unit_name"));
        dh_page_raw(&pg, "</td><td>");
        dh_page_text(&pg, s_of(v[i], "due_at"));
        dh_page_raw(&pg, !strcmp(o, "overdue") ? "</td><td class=\"late\">" : "</td><td>");
        dh_page_text(&pg, outcome_label(&pg, o));
        dh_page_raw(&pg, "</td></tr>");
    }
    dh_page_raw(&pg, "</tbody></table>");
    /* a directive from the overdue list (leaders, admins) */
    const char *du = f.unit ? f.unit : rq->actor.unit_code[0] ? rq->actor.unit_code : NULL;
    if (du)
        dh_pages_directive_form(&pg, "feedback", du, NULL);
    free(v);
    json_decref(items);
    dh_pages_send(rs, &pg, 200);
}

static void field(dh_page *pg, const char *label, const char *value)
{
    dh_page_raw(pg, "<tr><th scope=\"row\">");
    dh_page_text(pg, label);
    dh_page_raw(pg, "</th><td>");
    dh_page_text(pg, value);
    dh_page_raw(pg, "</td></tr>");
}

/* One action form: a button, and a text field when the action takes one. */
static void action_form(dh_page *pg, const char *code, const char *action, const char *label,
                        const char *input, const char *input_label)
{
    dh_page_raw(pg, "<form method=\"post\" action=\"/xu-ly-phan-anh/");
    dh_page_urlenc(pg, code);
    dh_page_raw(pg, "\">");
    dh_page_csrf(pg);
    dh_page_raw(pg, "<input type=\"hidden\" name=\"action\" value=\"");
    dh_page_attr(pg, action);
    dh_page_raw(pg, "\">");
    if (input) {
        dh_page_fmt(pg, "<label for=\"%s-%s\">", action, input);
        dh_page_text(pg, input_label);
        dh_page_fmt(pg, "</label> <textarea id=\"%s-%s\" name=\"%s\" rows=\"2\" cols=\"50\" "
                        "required></textarea> ",
                    action, input, input);
    }
    dh_page_raw(pg, "<button type=\"submit\">");
    dh_page_text(pg, label);
    dh_page_raw(pg, "</button></form>");
}

static void record_page(dh_req *rq, dh_resp *rs, const char *code, const char *message,
                        int status)
{
    dh_page pg;
    dh_pages_init(rq, &pg);
    json_t *d = NULL;
    dh_err e;
    if (dh_app_fb_get(rq->app, &rq->actor, code, rq->now, &d, &e)) {
        dh_pages_error(rs, &pg, &e);
        return;
    }
    char title[200];
    snprintf(title, sizeof title, "%s %s", L(&pg, "Phản ánh", "Feedback"), code);
    dh_page_begin(&pg, title, "pakn");
    if (message) {
        dh_page_raw(&pg, "<p class=\"err\" role=\"alert\">");
        dh_page_text(&pg, message);
        dh_page_raw(&pg, "</p>");
    }
    dh_date today = dh_date_of_time_vn(rq->now);
    json_t *cat = NULL;
    dh_err ce;
    dh_app_fb_categories(rq->app, s_of(d, "category"), false, &cat, &ce);
    const char *cat_name = s_of(json_array_get(cat, 0), "name");
    dh_page_raw(&pg, "<table class=\"data\">");
    field(&pg, L(&pg, "Nội dung", "Description"), s_of(d, "description"));
    field(&pg, L(&pg, "Lĩnh vực", "Category"), *cat_name ? cat_name : s_of(d, "category"));
    field(&pg, L(&pg, "Địa chỉ", "Address"), s_of(d, "address"));
    field(&pg, L(&pg, "Đơn vị xử lý", "Handling unit"), s_of(d, "unit_name"));
    field(&pg, L(&pg, "Trạng thái", "State"),
          pg.en ? s_of(d, "state") : dh_fb_state_label(s_of(d, "state")));
    if (*s_of(d, "commune")) {
        dh_page_raw(&pg, "<tr><th scope=\"row\">");
        dh_page_text(&pg, L(&pg, "Phường, xã", "Commune"));
        dh_page_raw(&pg, "</th><td>");
        dh_pages_unit_name(rq, &pg, s_of(d, "commune"), today);
        dh_page_raw(&pg, "</td></tr>");
    }
    char due[40];
    dh_public_vn_time(json_object_get(d, "answer_due"), due, sizeof due);
    field(&pg, L(&pg, "Hạn trả lời", "Answer due"), due);
    field(&pg, L(&pg, "Đánh giá thời hạn", "Deadline"), outcome_label(&pg, s_of(d, "outcome")));
    field(&pg, L(&pg, "Trả lời", "Answer"), s_of(d, "answer"));
    json_t *c = json_object_get(d, "contact");
    bool handler = c != NULL;
    if (handler) {
        field(&pg, L(&pg, "Người phản ánh (dữ liệu cá nhân)", "Submitter (personal data)"),
              s_of(c, "name"));
        field(&pg, L(&pg, "Điện thoại", "Phone"), s_of(c, "phone"));
        field(&pg, L(&pg, "Thư điện tử", "E-mail"), s_of(c, "email"));
    }
    dh_page_raw(&pg, "</table><h2>");
    dh_page_text(&pg, L(&pg, "Diễn biến", "Timeline"));
    dh_page_raw(&pg, "</h2><ol>");
    size_t i;
    json_t *ev;
    json_array_foreach(json_object_get(d, "events"), i, ev)
    {
        dh_page_raw(&pg, "<li>");
        char at[40];
        dh_public_vn_time(json_object_get(ev, "at"), at, sizeof at);
        dh_page_text(&pg, at);
        dh_page_raw(&pg, " ");
        dh_page_text(&pg, pg.en ? s_of(ev, "type") : dh_fb_event_label(s_of(ev, "type")));
        if (*s_of(ev, "unit")) {
            dh_page_raw(&pg, " → ");
            dh_pages_unit_name(rq, &pg, s_of(ev, "unit"), today);
        }
        if (*s_of(ev, "actor")) {
            dh_page_raw(&pg, " (");
            dh_page_text(&pg, s_of(ev, "actor"));
            dh_page_raw(&pg, ")");
        }
        if (*s_of(ev, "note")) {
            dh_page_raw(&pg, ": ");
            dh_page_text(&pg, s_of(ev, "note"));
        }
        dh_page_raw(&pg, "</li>");
    }
    dh_page_raw(&pg, "</ol>");
    /* the images, never public: only for those who see the contact */
    json_t *atts = json_object_get(d, "attachments");
    if (handler && json_array_size(atts)) {
        dh_page_raw(&pg, "<h2>");
        dh_page_text(&pg, L(&pg, "Hình ảnh (không công khai)", "Images (not public)"));
        dh_page_raw(&pg, "</h2><p class=\"images\">");
        json_t *at;
        json_array_foreach(atts, i, at)
        {
            char src[400];
            snprintf(src, sizeof src, "/api/v1/feedback/%s/attachments/%s", code,
                     s_of(at, "sha256"));
            dh_page_raw(&pg, "<a href=\"");
            dh_page_attr(&pg, src);
            dh_page_raw(&pg, "\"><img width=\"300\" src=\"");
            dh_page_attr(&pg, src);
            dh_page_raw(&pg, "\" alt=\"");
            dh_page_attr(&pg, s_of(at, "name"));
            dh_page_raw(&pg, "\"></a> ");
        }
        dh_page_raw(&pg, "</p>");
    }
    if (handler) {
        const char *st = s_of(d, "state");
        dh_page_raw(&pg, "<h2>");
        dh_page_text(&pg, L(&pg, "Xử lý", "Handle"));
        dh_page_raw(&pg, "</h2>");
        if (!strcmp(st, "received")) {
            action_form(&pg, code, "accept", L(&pg, "Thụ lý", "Accept"), NULL, NULL);
            action_form(&pg, code, "reject", L(&pg, "Không thụ lý", "Reject"), "reason",
                        L(&pg, "Lý do", "Reason"));
        }
        if (!strcmp(st, "accepted"))
            action_form(&pg, code, "start", L(&pg, "Bắt đầu xử lý", "Start"), NULL, NULL);
        if (!strcmp(st, "accepted") || !strcmp(st, "in_progress"))
            action_form(&pg, code, "answer", L(&pg, "Trả lời (công khai)", "Answer (public)"),
                        "answer", L(&pg, "Nội dung trả lời", "Answer"));
        if (!strcmp(st, "received") || !strcmp(st, "accepted") || !strcmp(st, "in_progress"))
            action_form(&pg, code, "request_info",
                        L(&pg, "Yêu cầu bổ sung (tạm dừng)", "Ask for information (pause)"),
                        "note", L(&pg, "Thông tin cần bổ sung", "What is needed"));
        if (!strcmp(st, "needs_info"))
            action_form(&pg, code, "resume", L(&pg, "Tiếp tục", "Resume"), NULL, NULL);
        if (!strcmp(st, "answered") || !strcmp(st, "rejected"))
            action_form(&pg, code, "close", L(&pg, "Kết thúc", "Close"), NULL, NULL);
        if (!strcmp(st, "received") || !strcmp(st, "accepted") || !strcmp(st, "in_progress") ||
            !strcmp(st, "needs_info"))
            action_form(&pg, code, "transfer", L(&pg, "Chuyển đơn vị", "Transfer"), "unit",
                        L(&pg, "Mã đơn vị nhận", "Receiving unit code"));
    }
    json_decref(cat);
    json_decref(d);
    dh_pages_send(rs, &pg, status);
}

static void get_record(dh_req *rq, dh_resp *rs)
{
    if (!dh_pages_signed_in(rq, rs))
        return;
    record_page(rq, rs, rq->params[0], NULL, 200);
}

static void post_record(dh_req *rq, dh_resp *rs)
{
    if (!dh_pages_signed_in(rq, rs))
        return;
    static _Thread_local char v[5][4096];
    static const char *const names[] = {"action", "answer", "reason", "note", "unit"};
    const char *p[5];
    for (int i = 0; i < 5; i++)
        p[i] = dh_req_form(rq, names[i], v[i], sizeof v[i]);
    json_t *b = json_object();
    for (int i = 1; i < 5; i++)
        if (p[i] && *p[i])
            json_object_set_new(b, names[i], json_string(p[i]));
    char code[256];
    snprintf(code, sizeof code, "%s", rq->params[0]);
    dh_err e;
    json_t *out = NULL;
    dh_status st = dh_app_fb_act(rq->app, &rq->actor, code, p[0] ? p[0] : "", b, rq->now, &out,
                                 &e);
    json_decref(b);
    json_decref(out);
    if (st) {
        record_page(rq, rs, code, e.message, dh_err_http_status(e.status));
        return;
    }
    /* After a transfer the record may be outside the officer's units: back to
     * the queue rather than to a page they may no longer read. */
    char to[320];
    if (p[0] && !strcmp(p[0], "transfer"))
        snprintf(to, sizeof to, "/xu-ly-phan-anh");
    else
        snprintf(to, sizeof to, "/xu-ly-phan-anh/%s", code);
    dh_reply_redirect(rs, to);
}

/* One row of the province's view: the unit's name, the category's name
 * (NULL: none) and the figures. */
static void summary_row(dh_req *rq, dh_page *pg, const json_t *it, const json_t *cats,
                        dh_date d)
{
    dh_page_raw(pg, "<tr><td>");
    dh_pages_unit_name(rq, pg, s_of(it, "unit"), d);
    if (cats) {
        const char *code = s_of(it, "category"), *name = code;
        size_t i;
        json_t *c;
        json_array_foreach(cats, i, c) if (!strcmp(s_of(c, "code"), code)) name = s_of(c, "name");
        dh_page_raw(pg, "</td><td>");
        dh_page_text(pg, name);
    }
    static const char *const keys[] = {"received", "answered_on_time", "answered_late",
                                       "open_over_deadline"};
    for (size_t k = 0; k < 4; k++) {
        dh_page_raw(pg, "</td><td class=\"n\">");
        dh_page_int(pg, (long long)json_integer_value(json_object_get(it, keys[k])));
    }
    dh_page_raw(pg, "</td><td class=\"n\">");
    dh_page_pct(pg, json_object_get(it, "on_time_rate"));
    dh_page_raw(pg, "</td><td class=\"n\">");
    dh_page_pct(pg, json_object_get(it, "satisfaction_rate"));
    dh_page_raw(pg, "</td></tr>");
}

static void summary_table(dh_req *rq, dh_page *pg, const char *id, const json_t *items,
                          const json_t *cats, dh_date d)
{
    dh_page_fmt(pg, "<div class=\"scroll\"><table class=\"data\" id=\"%s\"><thead><tr>", id);
    static const char *const cols[][2] = {
        {"Đơn vị xử lý", "Handling unit"},  {"Lĩnh vực", "Category"},
        {"Tiếp nhận", "Received"},           {"Trả lời đúng hạn", "Answered on time"},
        {"Trả lời trễ hạn", "Answered late"}, {"Đang mở quá hạn", "Open over deadline"},
        {"Tỷ lệ đúng hạn", "On-time rate"},   {"Hài lòng", "Satisfied"}};
    for (size_t i = 0; i < 8; i++) {
        if (i == 1 && !cats)
            continue;
        dh_page_raw(pg, "<th scope=\"col\">");
        dh_page_text(pg, L(pg, cols[i][0], cols[i][1]));
        dh_page_raw(pg, "</th>");
    }
    dh_page_raw(pg, "</tr></thead><tbody>");
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it) summary_row(rq, pg, it, cats, d);
    dh_page_raw(pg, "</tbody></table></div>");
}

/* The province's view: feedback by handling unit, then by unit and category,
 * for the period (the units the reader may see). */
static void summary(dh_req *rq, dh_resp *rs)
{
    if (!dh_pages_signed_in(rq, rs))
        return;
    dh_page pg;
    dh_pages_init(rq, &pg);
    dh_period p;
    char label[64];
    if (dh_pages_period(rq, rs, &pg, &p, label, sizeof label))
        return;
    dh_err e;
    json_t *by_unit = NULL, *by_cat = NULL, *cats = NULL;
    if (dh_app_fb_kpis(rq->app, &rq->actor, p.from, p.to, rq->now, &by_unit, &e) ||
        dh_app_fb_kpis_by_category(rq->app, &rq->actor, p.from, p.to, rq->now, &by_cat, &e)) {
        json_decref(by_unit);
        dh_pages_error(rs, &pg, &e);
        return;
    }
    dh_app_fb_categories(rq->app, NULL, false, &cats, &e);
    dh_page_begin(&pg, L(&pg, "Tổng hợp phản ánh, kiến nghị", "Feedback summary"), "pakn-th");
    dh_pages_period_form(&pg, rq->path, NULL, label);
    dh_page_raw(&pg, "<h2>");
    dh_page_text(&pg, L(&pg, "Theo đơn vị xử lý", "By handling unit"));
    dh_page_raw(&pg, "</h2>");
    summary_table(rq, &pg, "by-unit", json_object_get(by_unit, "units"), NULL, p.to);
    dh_page_raw(&pg, "<h2>");
    dh_page_text(&pg, L(&pg, "Theo đơn vị và lĩnh vực", "By unit and category"));
    dh_page_raw(&pg, "</h2>");
    summary_table(rq, &pg, "by-category", json_object_get(by_cat, "units"),
                  cats ? cats : json_array(), p.to);
    json_decref(by_unit);
    json_decref(by_cat);
    json_decref(cats);
    dh_pages_send(rs, &pg, 200);
}

const dh_route dh_routes_pages_feedback[] = {
    {"GET", "/phan-anh-tong-hop", summary, DH_ROUTE_PAGE},
    {"GET", "/xu-ly-phan-anh", queue, DH_ROUTE_PAGE},
    {"GET", "/xu-ly-phan-anh/{}", get_record, DH_ROUTE_PAGE},
    {"POST", "/xu-ly-phan-anh/{}", post_record, DH_ROUTE_PAGE},
    {0, 0, 0, 0},
};
