/* ep_pages_plans.c - the dashboard's pages for plans, tasks and directives
 * (issue 7), in the dashboard's style:
 *   GET  /ke-hoach                  plans with their progress
 *   GET  /ke-hoach/{ref}?unit=      a plan: tasks grouped as printed, statuses, coverage
 *   GET  /nhiem-vu?unit=&status=    a unit's tasks (default: the user's, with the subtree)
 *   GET  /nhiem-vu/{id}             a task: status explained, milestones, updates, the
 *                                   tasks implementing it, the update form for the lead unit
 *   POST /nhiem-vu/{id}/cap-nhat    a progress update (lead unit) or a comment (form)
 *   POST /chi-dao                   a directive from a dossier list or a unit page (form)
 * Every figure comes from the app functions behind /api/v1/plans and /api/v1/tasks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/taskstatus.h"
#include "http/pages.h"
#include "util/text.h"

static const char *state_vi(const dh_page *pg, const char *s)
{
    static const struct {
        const char *k, *vi, *en;
    } m[] = {{"not_started", "Chưa bắt đầu", "Not started"},
             {"in_progress", "Đang thực hiện", "In progress"},
             {"done", "Hoàn thành", "Done"},
             {"done_late", "Hoàn thành trễ hạn", "Done late"},
             {"overdue", "Quá hạn", "Overdue"},
             {"at_risk", "Có nguy cơ trễ", "At risk"},
             {"no_report", "Chưa báo cáo", "No report"},
             {"not_done", "Không hoàn thành (hết kỳ kế hoạch)", "Not done at term end"}};
    for (size_t i = 0; i < sizeof m / sizeof *m; i++)
        if (s && !strcmp(m[i].k, s))
            return pg->en ? m[i].en : m[i].vi;
    return s ? s : "";
}

static const char *task_state(const json_t *t)
{
    return json_string_value(json_object_get(json_object_get(t, "status"), "state"));
}

/* Units by their short names, the code on hover, long lists collapsed. */
static void codes(dh_req *rq, dh_page *pg, const json_t *arr)
{
    dh_pages_units(rq, pg, arr, DH_DATE_NONE, 3);
}

static void status_cell(dh_page *pg, const json_t *t)
{
    const char *st = task_state(t);
    dh_page_raw(pg, "<td class=\"task-");
    dh_page_attr(pg, st);
    dh_page_raw(pg, (st && (!strcmp(st, "overdue") || !strcmp(st, "no_report")))
                        ? " late\">"
                        : "\">");
    dh_page_text(pg, state_vi(pg, st));
    const char *ex = json_string_value(json_object_get(json_object_get(t, "status"), "explain"));
    if (ex && *ex) {
        dh_page_raw(pg, "<br><small>");
        dh_page_text(pg, ex);
        dh_page_raw(pg, "</small>");
    }
    dh_page_raw(pg, "</td>");
}

static void task_rows(dh_req *rq, dh_page *pg, const json_t *tasks, bool with_plan)
{
    dh_page_raw(pg, "<div class=\"scroll\"><table><thead><tr><th scope=\"col\">");
    dh_page_text(pg, with_plan ? L(pg, "Kế hoạch / STT", "Plan / No.") : "STT");
    dh_page_raw(pg, "</th><th scope=\"col\">");
    dh_page_text(pg, L(pg, "Nội dung", "Task"));
    dh_page_raw(pg, "</th><th scope=\"col\">");
    dh_page_text(pg, L(pg, "Chủ trì", "Lead"));
    dh_page_raw(pg, "</th><th scope=\"col\">");
    dh_page_text(pg, L(pg, "Thời hạn", "Deadline"));
    dh_page_raw(pg, "</th><th scope=\"col\" class=\"n\">");
    dh_page_text(pg, L(pg, "Tiến độ", "Progress"));
    dh_page_raw(pg, "</th><th scope=\"col\">");
    dh_page_text(pg, L(pg, "Tình trạng", "Status"));
    dh_page_raw(pg, "</th></tr></thead><tbody>");
    size_t i;
    json_t *t;
    const char *group = NULL;
    json_array_foreach(tasks, i, t)
    {
        const char *g = json_string_value(json_object_get(t, "group"));
        if (!with_plan && g && *g && (!group || strcmp(group, g))) {
            group = g;
            dh_page_raw(pg, "<tr><th scope=\"rowgroup\" colspan=\"6\">");
            dh_page_text(pg, g);
            dh_page_raw(pg, "</th></tr>");
        }
        dh_page_raw(pg, "<tr><td>");
        if (with_plan) {
            json_t *plan = json_object_get(t, "plan");
            const char *pn = json_string_value(json_object_get(plan, "number"));
            if (!pn || !*pn)
                pn = json_string_value(json_object_get(plan, "key"));
            dh_page_text(pg, pn ? pn : L(pg, "Chỉ đạo", "Directive"));
            dh_page_raw(pg, " ");
        }
        dh_page_text(pg, json_string_value(json_object_get(t, "ordinal")));
        dh_page_fmt(pg, "</td><td><a href=\"/nhiem-vu/%lld\">",
                    (long long)json_integer_value(json_object_get(t, "id")));
        const char *c = json_string_value(json_object_get(t, "content"));
        char shortc[400];
        snprintf(shortc, sizeof shortc, "%s", c ? c : "");
        if (c && strlen(c) >= sizeof shortc - 1) {
            /* cut on a character boundary */
            size_t n = sizeof shortc - 4;
            while (n && ((unsigned char)shortc[n] & 0xC0) == 0x80)
                n--;
            memcpy(shortc + n, "…", 4);
        }
        dh_page_text(pg, shortc);
        dh_page_raw(pg, "</a></td><td>");
        codes(rq, pg, json_object_get(t, "lead"));
        dh_page_raw(pg, "</td><td>");
        json_t *dl = json_object_get(t, "deadline");
        dh_page_text(pg, json_string_value(json_object_get(dl, "text")));
        if (json_is_true(json_object_get(dl, "needs_review"))) {
            dh_page_raw(pg, " <abbr class=\"late\" title=\"");
            dh_page_attr(pg, L(pg, "Thời hạn không đọc được, cần người xác định",
                               "Deadline not understood: a person must set it"));
            dh_page_raw(pg, "\">?</abbr>");
        }
        dh_page_raw(pg, "</td><td class=\"n\">");
        json_t *pc = json_object_get(t, "percent");
        if (json_is_integer(pc))
            dh_page_fmt(pg, "%lld%%", (long long)json_integer_value(pc));
        dh_page_raw(pg, "</td>");
        status_cell(pg, t);
        dh_page_raw(pg, "</tr>");
    }
    if (!json_array_size(tasks)) {
        dh_page_raw(pg, "<tr><td colspan=\"6\">");
        dh_page_text(pg, L(pg, "Không có nhiệm vụ nào.", "No task."));
        dh_page_raw(pg, "</td></tr>");
    }
    dh_page_raw(pg, "</tbody></table></div>");
}

static void get_plans(dh_req *rq, dh_resp *rs)
{
    if (!dh_pages_signed_in(rq, rs))
        return;
    dh_page pg;
    dh_pages_init(rq, &pg);
    dh_err e;
    json_t *items = NULL;
    if (dh_app_plan_list(rq->app, &rq->actor, rq->now, &items, &e)) {
        dh_pages_error(rs, &pg, &e);
        return;
    }
    dh_page_begin(&pg, L(&pg, "Kế hoạch", "Plans"), "ke-hoach");
    dh_page_raw(&pg, "<p><a href=\"/nhiem-vu\">");
    dh_page_text(&pg, L(&pg, "Nhiệm vụ của đơn vị tôi", "My unit's tasks"));
    dh_page_raw(&pg, "</a></p><table><thead><tr><th scope=\"col\">");
    dh_page_text(&pg, L(&pg, "Văn bản", "Document"));
    dh_page_raw(&pg, "</th><th scope=\"col\">");
    dh_page_text(&pg, L(&pg, "Trích yếu", "Title"));
    dh_page_raw(&pg, "</th><th scope=\"col\">");
    dh_page_text(&pg, L(&pg, "Cơ quan ban hành", "Issuer"));
    dh_page_raw(&pg, "</th><th scope=\"col\" class=\"n\">");
    dh_page_text(&pg, L(&pg, "Nhiệm vụ", "Tasks"));
    dh_page_raw(&pg, "</th><th scope=\"col\" class=\"n\">");
    dh_page_text(&pg, L(&pg, "Quá hạn", "Overdue"));
    dh_page_raw(&pg, "</th><th scope=\"col\" class=\"n\">");
    dh_page_text(&pg, L(&pg, "Hoàn thành", "Done"));
    dh_page_raw(&pg, "</th><th scope=\"col\" class=\"n\">");
    dh_page_text(&pg, L(&pg, "Tiến độ chung", "Progress"));
    dh_page_raw(&pg, "</th></tr></thead><tbody>");
    size_t i;
    json_t *p;
    json_array_foreach(items, i, p)
    {
        const char *key = json_string_value(json_object_get(p, "key"));
        const char *num = json_string_value(json_object_get(p, "number"));
        json_t *bs = json_object_get(p, "by_status");
        dh_page_raw(&pg, "<tr><td><a href=\"/ke-hoach/");
        dh_page_fmt(&pg, "%lld", (long long)json_integer_value(json_object_get(p, "id")));
        dh_page_raw(&pg, "\">");
        dh_page_text(&pg, num && *num ? num : key);
        dh_page_raw(&pg, "</a><br><small>");
        dh_page_text(&pg, json_string_value(json_object_get(p, "type")));
        dh_page_raw(&pg, "</small></td><td>");
        dh_page_text(&pg, json_string_value(json_object_get(p, "title")));
        if (json_is_true(json_object_get(json_object_get(p, "term"), "ended"))) {
            dh_page_raw(&pg, "<br><small class=\"ended\">");
            dh_page_text(&pg, L(&pg, "Đã kết thúc", "Ended"));
            dh_page_raw(&pg, "</small>");
        }
        dh_page_raw(&pg, "</td><td>");
        dh_pages_unit_name(rq, &pg, json_string_value(json_object_get(p, "issuer")), DH_DATE_NONE);
        dh_page_raw(&pg, "</td><td class=\"n\">");
        dh_page_int(&pg, json_integer_value(json_object_get(p, "tasks")));
        dh_page_raw(&pg, "</td><td class=\"n late\">");
        dh_page_int(&pg, json_integer_value(json_object_get(bs, "overdue")));
        dh_page_raw(&pg, "</td><td class=\"n\">");
        dh_page_int(&pg, json_integer_value(json_object_get(bs, "done")) +
                             json_integer_value(json_object_get(bs, "done_late")));
        dh_page_raw(&pg, "</td><td class=\"n\">");
        json_t *pr = json_object_get(p, "progress");
        if (json_is_number(pr))
            dh_page_fmt(&pg, "%.0f%%", json_number_value(pr));
        dh_page_raw(&pg, "</td></tr>");
    }
    dh_page_raw(&pg, "</tbody></table>");
    json_decref(items);
    dh_pages_send(rs, &pg, 200);
}

/* "Báo cáo: 6 tháng, trước ngày 15 của tháng cuối kỳ — theo văn bản: “…”" */
static void report_row(dh_page *pg, const json_t *r)
{
    static const struct {
        const char *k, *vi, *en;
    } ev[] = {{"none", "Không yêu cầu báo cáo", "No reports"},
              {"monthly", "Hằng tháng", "Monthly"},
              {"quarterly", "Hằng quý", "Quarterly"},
              {"half_yearly", "6 tháng", "Half-yearly"},
              {"yearly", "Hằng năm", "Yearly"}};
    const char *every = json_string_value(json_object_get(r, "every"));
    const char *source = json_string_value(json_object_get(r, "source"));
    const char *text = json_string_value(json_object_get(r, "text"));
    if (!every)
        return;
    dh_page_raw(pg, "<tr><th scope=\"row\">");
    dh_page_text(pg, L(pg, "Báo cáo tiến độ", "Progress reports"));
    dh_page_raw(pg, "</th><td class=\"report-rule\">");
    for (size_t i = 0; i < sizeof ev / sizeof *ev; i++)
        if (!strcmp(ev[i].k, every))
            dh_page_text(pg, pg->en ? ev[i].en : ev[i].vi);
    if (strcmp(every, "none")) {
        json_t *off = json_object_get(r, "month_offset");
        int mo = json_is_integer(off) ? (int)json_integer_value(off)
                                      : !strcmp(every, "yearly") ? 0 : 1;
        dh_page_text(pg, L(pg, ", trước ngày ", ", by day "));
        dh_page_int(pg, json_integer_value(json_object_get(r, "day")));
        if (mo == 0)
            dh_page_text(pg, L(pg, " của tháng cuối kỳ", " of the period's last month"));
        else if (mo == 1)
            dh_page_text(pg, L(pg, " tháng sau kỳ báo cáo", " of the month after the period"));
        else {
            dh_page_text(pg, L(pg, " của tháng thứ ", " of month "));
            dh_page_int(pg, mo);
            dh_page_text(pg, L(pg, " sau kỳ", " after the period"));
        }
    }
    dh_page_raw(pg, " <small class=\"rule-source\">(");
    if (source && !strcmp(source, "printed")) {
        dh_page_text(pg, L(pg, "theo văn bản: “", "as printed: “"));
        dh_page_text(pg, text ? text : "");
        dh_page_text(pg, "”");
    } else if (source && !strcmp(source, "set")) {
        dh_page_text(pg, L(pg, "do người dùng đặt", "set by a user"));
    } else {
        dh_page_text(pg, L(pg, "mặc định, văn bản không nêu", "default: the document prints none"));
    }
    dh_page_raw(pg, ")</small></td></tr>");
}

/* A YYYY-MM-DD date as dd/mm/yyyy (nothing when absent). */
static void vn_day(dh_page *pg, const char *iso)
{
    dh_date x;
    if (!iso || dh_date_parse(iso, &x) != 0)
        return;
    int y, m, d;
    dh_date_to_ymd(x, &y, &m, &d);
    dh_page_fmt(pg, "%02d/%02d/%04d", d, m, y);
}

/* "Thời hạn kế hoạch: 01/01/2024 – 31/12/2024 · Đã kết thúc" */
static void term_line(dh_page *pg, const json_t *term)
{
    const char *from = json_string_value(json_object_get(term, "from"));
    const char *to = json_string_value(json_object_get(term, "to"));
    if (!from && !to)
        return;
    dh_page_raw(pg, "<p class=\"term\">");
    dh_page_text(pg, L(pg, "Thời hạn kế hoạch: ", "Term: "));
    vn_day(pg, from);
    dh_page_raw(pg, " – ");
    vn_day(pg, to);
    json_t *hz = json_object_get(term, "horizon");
    if (json_is_integer(hz)) {
        dh_page_text(pg, L(pg, ", định hướng đến năm ", ", outlook to "));
        dh_page_int(pg, json_integer_value(hz));
    }
    if (json_is_true(json_object_get(term, "ended"))) {
        dh_page_raw(pg, " · <strong class=\"ended\">");
        dh_page_text(pg, L(pg, "Đã kết thúc", "Ended"));
        dh_page_raw(pg, "</strong>");
    }
    dh_page_raw(pg, "</p>");
}

static void get_plan(dh_req *rq, dh_resp *rs)
{
    if (!dh_pages_signed_in(rq, rs))
        return;
    dh_page pg;
    dh_pages_init(rq, &pg);
    dh_err e;
    json_t *p = NULL;
    if (dh_app_plan_get(rq->app, &rq->actor, rq->params[0], rq->now, &p, &e)) {
        dh_pages_error(rs, &pg, &e);
        return;
    }
    const char *num = json_string_value(json_object_get(p, "number"));
    char title[600];
    snprintf(title, sizeof title, "%s %s",
             json_string_value(json_object_get(p, "type")) ? json_string_value(json_object_get(p, "type")) : "",
             num && *num ? num : json_string_value(json_object_get(p, "key")));
    dh_page_begin(&pg, title, "ke-hoach");
    dh_page_raw(&pg, "<p>");
    dh_page_text(&pg, json_string_value(json_object_get(p, "title")));
    dh_page_raw(&pg, "</p>");
    term_line(&pg, json_object_get(p, "term"));
    json_t *impl = json_object_get(p, "implements");
    if (json_array_size(impl)) {
        dh_page_raw(&pg, "<p>");
        dh_page_text(&pg, L(&pg, "Thực hiện: ", "Implements: "));
        size_t i;
        json_t *x;
        json_array_foreach(impl, i, x)
        {
            dh_page_fmt(&pg, "%s<a href=\"/ke-hoach/%lld\">", i ? ", " : "",
                        (long long)json_integer_value(json_object_get(x, "id")));
            const char *n = json_string_value(json_object_get(x, "number"));
            dh_page_text(&pg, n && *n ? n : json_string_value(json_object_get(x, "key")));
            dh_page_raw(&pg, "</a>");
        }
        dh_page_raw(&pg, "</p>");
    }
    json_int_t owners = json_integer_value(json_object_get(p, "needs_owner"));
    if (owners) {
        dh_page_raw(&pg, "<p class=\"needs-owner late\"><a href=\"/ke-hoach/");
        dh_page_fmt(&pg, "%lld", (long long)json_integer_value(json_object_get(p, "id")));
        dh_page_raw(&pg, "/chu-tri\">");
        dh_page_int(&pg, owners);
        dh_page_text(&pg, L(&pg, " nhiệm vụ chưa xác định được đơn vị chủ trì",
                            " tasks without a resolved lead unit"));
        dh_page_raw(&pg, "</a></p>");
    }
    dh_page_raw(&pg, "<h2>");
    dh_page_text(&pg, L(&pg, "Nhiệm vụ", "Tasks"));
    dh_page_raw(&pg, "</h2>");
    task_rows(rq, &pg, json_object_get(p, "task_list"), false);
    /* coverage: the tasks of this plan led by a unit, implemented or not by
     * a plan of that unit */
    const char *unit = dh_req_query(rq, "unit");
    if (!unit || !*unit)
        unit = rq->actor.unit_code[0] ? rq->actor.unit_code : NULL;
    dh_page_raw(&pg, "<h2 id=\"h-cov\">");
    dh_page_text(&pg, L(&pg, "Độ bao phủ: nhiệm vụ được giao đã có kế hoạch thực hiện chưa",
                        "Coverage: are the tasks given to a unit implemented by its own plans"));
    dh_page_raw(&pg, "</h2><form class=\"filters\" method=\"get\"><label>");
    dh_page_text(&pg, L(&pg, "Đơn vị (mã)", "Unit (code)"));
    dh_page_raw(&pg, "<input name=\"unit\" value=\"");
    dh_page_attr(&pg, unit ? unit : "");
    dh_page_raw(&pg, "\"></label><button type=\"submit\">");
    dh_page_text(&pg, L(&pg, "Xem", "Show"));
    dh_page_raw(&pg, "</button></form>");
    json_t *cov = NULL;
    if (unit && dh_app_plan_coverage(rq->app, &rq->actor, rq->params[0], unit, rq->now, &cov,
                                     &e) == DH_OK) {
        dh_page_raw(&pg, "<p>");
        dh_page_int(&pg, json_integer_value(json_object_get(cov, "covered_count")));
        dh_page_raw(&pg, " / ");
        dh_page_int(&pg, json_integer_value(json_object_get(cov, "assigned")));
        dh_page_text(&pg, L(&pg, " nhiệm vụ giao cho đơn vị đã có nhiệm vụ thực hiện trong kế "
                                 "hoạch của đơn vị.",
                            " tasks given to the unit are implemented by a task of its own plans."));
        dh_page_raw(&pg, "</p>");
        json_t *unc = json_object_get(cov, "uncovered");
        if (json_array_size(unc)) {
            dh_page_raw(&pg, "<h3>");
            dh_page_text(&pg, L(&pg, "Chưa có kế hoạch thực hiện", "Not yet in a plan of the unit"));
            dh_page_raw(&pg, "</h3>");
            task_rows(rq, &pg, unc, false);
        }
        json_decref(cov);
    } else if (unit) {
        dh_page_raw(&pg, "<p class=\"err\">");
        dh_page_text(&pg, e.message);
        dh_page_raw(&pg, "</p>");
    }
    json_decref(p);
    dh_pages_send(rs, &pg, 200);
}

/* The review page of a plan's ownerless tasks, for its issuer: each with
 * the lead as printed, to be given a unit (PATCH /api/v1/tasks/{id}). */
static void get_plan_owners(dh_req *rq, dh_resp *rs)
{
    if (!dh_pages_signed_in(rq, rs))
        return;
    dh_page pg;
    dh_pages_init(rq, &pg);
    dh_err e;
    json_t *p = NULL, *items = NULL;
    if (dh_app_plan_get(rq->app, &rq->actor, rq->params[0], rq->now, &p, &e)) {
        dh_pages_error(rs, &pg, &e);
        return;
    }
    char ref[32];
    snprintf(ref, sizeof ref, "%lld", (long long)json_integer_value(json_object_get(p, "id")));
    dh_task_query q = {NULL, false, false, NULL, DH_DATE_NONE, ref, NULL, false, true};
    if (dh_app_task_list(rq->app, &rq->actor, &q, rq->now, &items, &e)) {
        json_decref(p);
        dh_pages_error(rs, &pg, &e);
        return;
    }
    dh_page_begin(&pg, L(&pg, "Nhiệm vụ cần xác định đơn vị chủ trì", "Tasks needing a lead unit"),
                  "ke-hoach");
    dh_page_raw(&pg, "<p><a href=\"/ke-hoach/");
    dh_page_raw(&pg, ref);
    dh_page_raw(&pg, "\">");
    dh_page_text(&pg, json_string_value(json_object_get(p, "title")));
    dh_page_raw(&pg, "</a></p><p>");
    dh_page_text(&pg, L(&pg, "Đơn vị ban hành (", "Issuer ("));
    dh_pages_unit_name(rq, &pg, json_string_value(json_object_get(p, "issuer")), DH_DATE_NONE);
    dh_page_text(&pg, L(&pg, ") cần giao đơn vị chủ trì cho các nhiệm vụ dưới đây: văn bản không ghi "
                             "đơn vị, hoặc ghi một tổ chức chưa có trong danh mục đơn vị.",
                        ") must give these tasks a lead unit: the document names none, or names "
                        "a body that is not in the unit registry."));
    dh_page_raw(&pg, "</p><div class=\"scroll\"><table><thead><tr><th scope=\"col\">");
    dh_page_text(&pg, L(&pg, "STT", "No."));
    dh_page_raw(&pg, "</th><th scope=\"col\">");
    dh_page_text(&pg, L(&pg, "Nội dung", "Content"));
    dh_page_raw(&pg, "</th><th scope=\"col\">");
    dh_page_text(&pg, L(&pg, "Chủ trì (như văn bản ghi)", "Lead (as printed)"));
    dh_page_raw(&pg, "</th></tr></thead><tbody>");
    size_t i;
    json_t *t;
    json_array_foreach(items, i, t)
    {
        char clip[600];
        dh_page_raw(&pg, "<tr><td><a href=\"/nhiem-vu/");
        dh_page_fmt(&pg, "%lld", (long long)json_integer_value(json_object_get(t, "id")));
        dh_page_raw(&pg, "\">");
        dh_page_text(&pg, json_string_value(json_object_get(t, "ordinal")));
        dh_page_raw(&pg, "</a></td><td>");
        dh_page_text(&pg, dh_text_clip(json_string_value(json_object_get(t, "content")), 160, clip,
                                       sizeof clip));
        dh_page_raw(&pg, "</td><td>");
        const char *lt = json_string_value(json_object_get(t, "lead_text"));
        dh_page_text(&pg, lt && *lt ? lt : L(&pg, "(không ghi)", "(none printed)"));
        dh_page_raw(&pg, "</td></tr>");
    }
    if (!json_array_size(items)) {
        dh_page_raw(&pg, "<tr><td colspan=\"3\">");
        dh_page_text(&pg, L(&pg, "Mọi nhiệm vụ đã có đơn vị chủ trì.", "Every task has a lead."));
        dh_page_raw(&pg, "</td></tr>");
    }
    dh_page_raw(&pg, "</tbody></table></div>");
    json_decref(items);
    json_decref(p);
    dh_pages_send(rs, &pg, 200);
}

static void get_tasks(dh_req *rq, dh_resp *rs)
{
    if (!dh_pages_signed_in(rq, rs))
        return;
    dh_page pg;
    dh_pages_init(rq, &pg);
    dh_err e;
    const char *unit = dh_pages_unit(rq, dh_req_query(rq, "unit"));
    const char *status = dh_req_query(rq, "status");
    dh_task_query q = {unit, true, true, status && *status ? status : NULL, DH_DATE_NONE, NULL,
                       NULL, false, false};
    json_t *items = NULL;
    if (dh_app_task_list(rq->app, &rq->actor, &q, rq->now, &items, &e)) {
        dh_pages_error(rs, &pg, &e);
        return;
    }
    dh_page_begin(&pg, L(&pg, "Nhiệm vụ", "Tasks"), "ke-hoach");
    dh_page_raw(&pg, "<form class=\"filters\" method=\"get\" action=\"/nhiem-vu\"><label>");
    dh_page_text(&pg, L(&pg, "Đơn vị (mã)", "Unit (code)"));
    dh_page_raw(&pg, "<input name=\"unit\" value=\"");
    dh_page_attr(&pg, unit ? unit : "");
    dh_page_raw(&pg, "\"></label><label>");
    dh_page_text(&pg, L(&pg, "Tình trạng", "Status"));
    dh_page_raw(&pg, "<select name=\"status\"><option value=\"\">");
    dh_page_text(&pg, L(&pg, "Tất cả", "All"));
    dh_page_raw(&pg, "</option>");
    static const char *const sts[] = {"overdue", "no_report", "at_risk", "in_progress",
                                      "not_started", "done", "done_late", "not_done"};
    for (size_t i = 0; i < sizeof sts / sizeof *sts; i++) {
        dh_page_raw(&pg, "<option value=\"");
        dh_page_raw(&pg, sts[i]);
        dh_page_raw(&pg, status && !strcmp(status, sts[i]) ? "\" selected>" : "\">");
        dh_page_text(&pg, state_vi(&pg, sts[i]));
        dh_page_raw(&pg, "</option>");
    }
    dh_page_raw(&pg, "</select></label><button type=\"submit\">");
    dh_page_text(&pg, L(&pg, "Lọc", "Filter"));
    dh_page_raw(&pg, "</button></form>");
    task_rows(rq, &pg, items, true);
    json_decref(items);
    dh_pages_send(rs, &pg, 200);
}

static bool listed(const dh_req *rq, const json_t *t, const char *key)
{
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(t, key), i, v)
    {
        if (!strcmp(json_string_value(v), rq->actor.unit_code))
            return true;
    }
    return false;
}

static void get_task(dh_req *rq, dh_resp *rs)
{
    if (!dh_pages_signed_in(rq, rs))
        return;
    dh_page pg;
    dh_pages_init(rq, &pg);
    dh_err e;
    json_t *t = NULL;
    long long id = atoll(rq->params[0]);
    if (id <= 0 || dh_app_task_get(rq->app, &rq->actor, id, rq->now, &t, &e)) {
        if (id <= 0)
            dh_err_set(&e, DH_E_NOTFOUND, "not_found", NULL, "Không có nhiệm vụ này.");
        dh_pages_error(rs, &pg, &e);
        return;
    }
    char title[200];
    snprintf(title, sizeof title, "%s %s", L(&pg, "Nhiệm vụ", "Task"),
             json_string_value(json_object_get(t, "ordinal")) ? json_string_value(json_object_get(t, "ordinal")) : "");
    dh_page_begin(&pg, title, "ke-hoach");
    dh_page_raw(&pg, "<p>");
    dh_page_text(&pg, json_string_value(json_object_get(t, "content")));
    dh_page_raw(&pg, "</p><table><tbody><tr><th scope=\"row\">");
    dh_page_text(&pg, L(&pg, "Kế hoạch", "Plan"));
    dh_page_raw(&pg, "</th><td>");
    json_t *plan = json_object_get(t, "plan");
    if (json_is_object(plan)) {
        dh_page_fmt(&pg, "<a href=\"/ke-hoach/%lld\">",
                    (long long)json_integer_value(json_object_get(plan, "id")));
        const char *n = json_string_value(json_object_get(plan, "number"));
        dh_page_text(&pg, n && *n ? n : json_string_value(json_object_get(plan, "key")));
        dh_page_raw(&pg, "</a>");
    } else {
        dh_page_text(&pg, L(&pg, "Chỉ đạo (không thuộc kế hoạch)", "Directive (no plan)"));
    }
    dh_page_raw(&pg, "</td></tr><tr><th scope=\"row\">");
    dh_page_text(&pg, L(&pg, "Đơn vị chủ trì", "Lead"));
    dh_page_raw(&pg, "</th><td>");
    codes(rq, &pg, json_object_get(t, "lead"));
    dh_page_raw(&pg, "</td></tr><tr><th scope=\"row\">");
    dh_page_text(&pg, L(&pg, "Đơn vị phối hợp", "Coordinating"));
    dh_page_raw(&pg, "</th><td>");
    codes(rq, &pg, json_object_get(t, "coordinating"));
    const char *ct = json_string_value(json_object_get(t, "coordinating_text"));
    if (ct && *ct) {
        dh_page_raw(&pg, " <small>(");
        dh_page_text(&pg, ct);
        dh_page_raw(&pg, ")</small>");
    }
    dh_page_raw(&pg, "</td></tr><tr><th scope=\"row\">");
    dh_page_text(&pg, L(&pg, "Thời hạn (như văn bản ghi)", "Deadline (as written)"));
    dh_page_raw(&pg, "</th><td>");
    json_t *dl = json_object_get(t, "deadline");
    dh_page_text(&pg, json_string_value(json_object_get(dl, "text")));
    const char *due = json_string_value(json_object_get(dl, "due"));
    if (due) {
        dh_page_raw(&pg, " → ");
        dh_page_text(&pg, due);
    }
    dh_page_raw(&pg, "</td></tr><tr><th scope=\"row\">");
    dh_page_text(&pg, L(&pg, "Tình trạng", "Status"));
    dh_page_raw(&pg, "</th>");
    status_cell(&pg, t);
    dh_page_raw(&pg, "</tr>");
    report_row(&pg, json_object_get(t, "report"));
    const char *er = json_string_value(json_object_get(t, "expected_result"));
    if (er && *er) {
        dh_page_raw(&pg, "<tr><th scope=\"row\">");
        dh_page_text(&pg, L(&pg, "Sản phẩm", "Expected result"));
        dh_page_raw(&pg, "</th><td>");
        dh_page_text(&pg, er);
        dh_page_raw(&pg, "</td></tr>");
    }
    dh_page_raw(&pg, "</tbody></table>");
    json_t *ms = json_object_get(t, "milestones");
    if (json_array_size(ms)) {
        dh_page_raw(&pg, "<h2>");
        dh_page_text(&pg, L(&pg, "Lộ trình", "Roadmap"));
        dh_page_raw(&pg, "</h2><ol>");
        size_t i;
        json_t *m;
        json_array_foreach(ms, i, m)
        {
            dh_page_raw(&pg, "<li>");
            const char *d = json_string_value(json_object_get(m, "due"));
            if (d) {
                dh_page_text(&pg, d);
                dh_page_raw(&pg, ": ");
            }
            dh_page_text(&pg, json_string_value(json_object_get(m, "text")));
            dh_page_raw(&pg, "</li>");
        }
        dh_page_raw(&pg, "</ol>");
    }
    json_t *by = json_object_get(t, "implemented_by");
    if (json_array_size(by)) {
        dh_page_raw(&pg, "<h2>");
        dh_page_text(&pg, L(&pg, "Nhiệm vụ thực hiện ở cấp dưới", "Implemented below by"));
        dh_page_raw(&pg, "</h2>");
        task_rows(rq, &pg, by, true);
    }
    dh_page_raw(&pg, "<h2>");
    dh_page_text(&pg, L(&pg, "Cập nhật tiến độ và ý kiến", "Progress updates and comments"));
    dh_page_raw(&pg, "</h2><ol class=\"timeline\">");
    size_t i;
    json_t *u;
    json_array_foreach(json_object_get(t, "updates"), i, u)
    {
        dh_page_raw(&pg, "<li><time>");
        dh_page_text(&pg, json_string_value(json_object_get(u, "date")));
        dh_page_raw(&pg, "</time> — ");
        dh_pages_unit_name(rq, &pg, json_string_value(json_object_get(u, "unit")), DH_DATE_NONE);
        dh_page_raw(&pg, " (");
        dh_page_text(&pg, json_string_value(json_object_get(u, "author")));
        dh_page_raw(&pg, ")");
        json_t *pc = json_object_get(u, "percent");
        if (json_is_integer(pc))
            dh_page_fmt(&pg, " · %lld%%", (long long)json_integer_value(pc));
        if (!strcmp(json_string_value(json_object_get(u, "kind")) ? json_string_value(json_object_get(u, "kind")) : "", "comment")) {
            dh_page_raw(&pg, " · ");
            dh_page_text(&pg, L(&pg, "ý kiến", "comment"));
        }
        dh_page_raw(&pg, ": ");
        dh_page_text(&pg, json_string_value(json_object_get(u, "text")));
        size_t j;
        json_t *ev;
        json_array_foreach(json_object_get(u, "evidence"), j, ev)
        {
            long long fid = json_is_integer(ev) ? (long long)json_integer_value(ev)
                                                : (long long)json_integer_value(json_object_get(ev, "id"));
            dh_page_fmt(&pg, " <a href=\"/api/v1/files/%lld\">", fid);
            dh_page_text(&pg, L(&pg, "minh chứng", "evidence"));
            dh_page_raw(&pg, "</a>");
        }
        dh_page_raw(&pg, "</li>");
    }
    dh_page_raw(&pg, "</ol>");
    /* the form: progress for the lead unit, a comment for a coordinating
     * one; nothing for others (the API would refuse them) */
    bool lead = listed(rq, t, "lead") || rq->actor.role == DH_ROLE_ADMIN;
    if (!lead && !listed(rq, t, "coordinating")) {
        dh_page_raw(&pg, "<p>");
        dh_page_text(&pg, L(&pg, "Chỉ đơn vị chủ trì cập nhật tiến độ; đơn vị phối hợp cho ý kiến.",
                            "Only the lead unit updates progress; coordinating units comment."));
        dh_page_raw(&pg, "</p>");
        json_decref(t);
        dh_pages_send(rs, &pg, 200);
        return;
    }
    dh_page_fmt(&pg, "<form class=\"filters\" method=\"post\" action=\"/nhiem-vu/%lld/cap-nhat\">",
                id);
    dh_page_csrf(&pg);
    dh_page_raw(&pg, "<input type=\"hidden\" name=\"kind\" value=\"");
    dh_page_raw(&pg, lead ? "progress" : "comment");
    dh_page_raw(&pg, "\"><label>");
    dh_page_text(&pg, lead ? L(&pg, "Nội dung cập nhật", "Update") : L(&pg, "Ý kiến", "Comment"));
    dh_page_raw(&pg, "<textarea name=\"text\" rows=\"3\" cols=\"50\" required></textarea></label>");
    if (lead) {
        dh_page_raw(&pg, "<label>");
        dh_page_text(&pg, L(&pg, "Tiến độ (%)", "Progress (%)"));
        dh_page_raw(&pg, "<input name=\"percent\" type=\"number\" min=\"0\" max=\"100\" "
                         "required></label><label><input name=\"done\" type=\"checkbox\" "
                         "value=\"1\"> ");
        dh_page_text(&pg, L(&pg, "Đã hoàn thành", "Done"));
        dh_page_raw(&pg, "</label>");
    }
    dh_page_raw(&pg, "<button type=\"submit\">");
    dh_page_text(&pg, L(&pg, "Gửi", "Send"));
    dh_page_raw(&pg, "</button></form>");
    json_decref(t);
    dh_pages_send(rs, &pg, 200);
}

static void post_update(dh_req *rq, dh_resp *rs)
{
    if (!dh_pages_signed_in(rq, rs))
        return;
    dh_page pg;
    dh_pages_init(rq, &pg);
    char kb[32], tb[8192], pb[16], db[8];
    const char *kind = dh_req_form(rq, "kind", kb, sizeof kb),
               *text = dh_req_form(rq, "text", tb, sizeof tb),
               *percent = dh_req_form(rq, "percent", pb, sizeof pb),
               *done = dh_req_form(rq, "done", db, sizeof db);
    long long id = atoll(rq->params[0]);
    json_t *body = json_pack("{s:s,s:s}", "kind", kind && !strcmp(kind, "comment") ? "comment" : "progress",
                             "text", text ? text : "");
    if (percent && *percent) {
        char *end;
        long v = strtol(percent, &end, 10);
        json_object_set_new(body, "percent", *end ? json_string(percent) : json_integer(v));
    }
    if (done)
        json_object_set_new(body, "done", json_true());
    dh_err e;
    json_t *out = NULL;
    dh_status st = dh_app_task_update(rq->app, &rq->actor, id, body, rq->now, &out, &e);
    json_decref(body);
    json_decref(out);
    if (st) {
        dh_pages_error(rs, &pg, &e);
        return;
    }
    char to[64];
    snprintf(to, sizeof to, "/nhiem-vu/%lld", id);
    dh_reply_redirect(rs, to);
}

static void post_directive(dh_req *rq, dh_resp *rs)
{
    if (!dh_pages_signed_in(rq, rs))
        return;
    dh_page pg;
    dh_pages_init(rq, &pg);
    char sk[32], su[64], ss[32], as[64], dl[16], ct[4096];
    const char *kind = dh_req_form(rq, "source", sk, sizeof sk),
               *unit = dh_req_form(rq, "unit", su, sizeof su),
               *state = dh_req_form(rq, "state", ss, sizeof ss),
               *assignee = dh_req_form(rq, "assignee", as, sizeof as),
               *deadline = dh_req_form(rq, "deadline", dl, sizeof dl),
               *content = dh_req_form(rq, "content", ct, sizeof ct);
    json_t *source = kind && !strcmp(kind, "dossiers")
                         ? json_pack("{s:s,s:s,s:{s:s}}", "kind", "dossiers", "unit",
                                     unit ? unit : "", "filter", "state",
                                     state && *state ? state : "overdue")
                         : json_pack("{s:s,s:s}", "kind",
                                     kind && !strcmp(kind, "feedback") ? "feedback" : "unit",
                                     "unit", unit ? unit : "");
    json_t *body = json_pack("{s:o,s:s,s:s,s:s}", "source", source, "assignee",
                             assignee && *assignee ? assignee : (unit ? unit : ""), "deadline",
                             deadline ? deadline : "", "content", content ? content : "");
    dh_err e;
    json_t *out = NULL;
    dh_status st = dh_app_directive_create(rq->app, &rq->actor, body, rq->now, &out, &e);
    json_decref(body);
    if (st) {
        dh_pages_error(rs, &pg, &e);
        return;
    }
    char to[64];
    snprintf(to, sizeof to, "/nhiem-vu/%lld", (long long)json_integer_value(json_object_get(out, "id")));
    json_decref(out);
    dh_reply_redirect(rs, to);
}

/* The directive form shown on dossier lists and unit pages (leaders, admins). */
void dh_pages_directive_form(dh_page *pg, const char *source, const char *unit,
                             const char *state)
{
    if (!pg->a || (pg->a->role != DH_ROLE_ADMIN && pg->a->role != DH_ROLE_LEADER))
        return;
    dh_page_raw(pg, "<details class=\"directive\"><summary>");
    dh_page_text(pg, L(pg, "Giao chỉ đạo", "Issue a directive"));
    dh_page_raw(pg, "</summary><form class=\"filters\" method=\"post\" action=\"/chi-dao\">");
    dh_page_csrf(pg);
    dh_page_raw(pg, "<input type=\"hidden\" name=\"source\" value=\"");
    dh_page_attr(pg, source);
    dh_page_raw(pg, "\"><input type=\"hidden\" name=\"unit\" value=\"");
    dh_page_attr(pg, unit);
    dh_page_raw(pg, "\"><input type=\"hidden\" name=\"state\" value=\"");
    dh_page_attr(pg, state ? state : "");
    dh_page_raw(pg, "\"><label>");
    dh_page_text(pg, L(pg, "Đơn vị thực hiện (mã)", "Assignee unit (code)"));
    dh_page_raw(pg, "<input name=\"assignee\" required value=\"");
    dh_page_attr(pg, unit);
    dh_page_raw(pg, "\"></label><label>");
    dh_page_text(pg, L(pg, "Hạn", "Deadline"));
    dh_page_raw(pg, "<input name=\"deadline\" type=\"date\" required></label><label>");
    dh_page_text(pg, L(pg, "Nội dung chỉ đạo", "Directive"));
    dh_page_raw(pg, "<textarea name=\"content\" rows=\"2\" cols=\"50\" required></textarea>"
                    "</label><button type=\"submit\">");
    dh_page_text(pg, L(pg, "Giao", "Issue"));
    dh_page_raw(pg, "</button></form></details>");
}

/* Overdue tasks and missing reports of a unit's subtree (the overview). */
void dh_pages_task_alerts(dh_req *rq, dh_page *pg, const char *unit)
{
    dh_err e;
    dh_task_query q = {unit, true, false, "overdue,no_report", DH_DATE_NONE, NULL, NULL, false, false};
    json_t *items = NULL;
    size_t counts[DH_TS_COUNT];
    /* the ten first as rows, the others only counted */
    if (dh_app_task_list_top(rq->app, &rq->actor, &q, rq->now, 10, counts, &items, &e))
        return;
    size_t over = counts[DH_TS_OVERDUE], n = over + counts[DH_TS_NO_REPORT];
    dh_page_raw(pg, "<section aria-labelledby=\"h-tasks\"><h2 id=\"h-tasks\">");
    dh_page_text(pg, L(pg, "Nhiệm vụ quá hạn và chưa báo cáo", "Overdue tasks and missing reports"));
    dh_page_raw(pg, "</h2><p><a href=\"/nhiem-vu?status=overdue&amp;unit=");
    dh_page_urlenc(pg, unit);
    dh_page_raw(pg, "\">");
    dh_page_int(pg, (long long)over);
    dh_page_text(pg, L(pg, " nhiệm vụ quá hạn", " overdue tasks"));
    dh_page_raw(pg, "</a> · <a href=\"/nhiem-vu?status=no_report&amp;unit=");
    dh_page_urlenc(pg, unit);
    dh_page_raw(pg, "\">");
    dh_page_int(pg, (long long)(n - over));
    dh_page_text(pg, L(pg, " nhiệm vụ chưa báo cáo đúng hạn", " tasks with a missed report"));
    dh_page_raw(pg, "</a></p>");
    if (json_array_size(items))
        task_rows(rq, pg, items, true);
    dh_page_raw(pg, "</section>");
    json_decref(items);
}

const dh_route dh_routes_pages_plans[] = {
    {"GET", "/ke-hoach", get_plans, DH_ROUTE_PAGE},
    {"GET", "/ke-hoach/{}", get_plan, DH_ROUTE_PAGE},
    {"GET", "/ke-hoach/{}/chu-tri", get_plan_owners, DH_ROUTE_PAGE},
    {"GET", "/nhiem-vu", get_tasks, DH_ROUTE_PAGE},
    {"GET", "/nhiem-vu/{}", get_task, DH_ROUTE_PAGE},
    {"POST", "/nhiem-vu/{}/cap-nhat", post_update, DH_ROUTE_PAGE},
    {"POST", "/chi-dao", post_directive, DH_ROUTE_PAGE},
    {0, 0, 0, 0},
};
