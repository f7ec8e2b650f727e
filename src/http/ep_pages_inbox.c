/* ep_pages_inbox.c - the reminders inbox page (issue 17, point 3):
 *   GET /nhac-viec[?unit=][&limit=N][&tasks_after=ID][&feedback_after=ID]
 * A unit's daily reminders as officers read them: the tasks due soon,
 * overdue or without their report (dh_app_inbox, the reminders job of
 * app/reminders.c) and the feedback at risk or overdue (dh_app_fb_reminders,
 * the feedback job of app/fbjob.c), each list by cursor like its API
 * (GET /api/v1/inbox, GET /api/v1/feedback/reminders). Same scope as the
 * APIs: the actor's unit by default, a unit of the actor's subtree on
 * request (another: 403), every unit for an administrator without a unit.
 * Within a page the newest day comes first and, within a day, the overdue
 * before the rest, then by deadline. Every value escaped by web/page.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/access.h"
#include "core/feedback.h"
#include "http/pages.h"

#define PAGE_ROWS 50 /* rows of each list, unless ?limit= (at most MAX_ROWS) */
#define MAX_ROWS 500
#define MAX_OPTIONS 400 /* more units than this: a code field instead of a list */

static const char *s_of(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

/* Overdue first, then a missing report, then what is only near its deadline. */
static int urgency(const char *kind)
{
    return !strcmp(kind, "overdue") ? 0 : !strcmp(kind, "no_report") ? 1 : 2;
}

/* The JSON key of the deadline sorted on (qsort has no closure; per thread). */
static _Thread_local const char *deadline_key;

static int by_day_urgency(const void *a, const void *b)
{
    const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    int d = strcmp(s_of(y, "day"), s_of(x, "day"));
    if (!d)
        d = urgency(s_of(x, "kind")) - urgency(s_of(y, "kind"));
    if (!d) {
        /* no deadline (paused, or none known) after those with one */
        const char *dx = s_of(x, deadline_key), *dy = s_of(y, deadline_key);
        d = !*dx != !*dy ? (!*dx) - (!*dy) : strcmp(dx, dy);
    }
    if (!d) {
        json_int_t ix = json_integer_value(json_object_get(x, "id")),
                   iy = json_integer_value(json_object_get(y, "id"));
        d = (iy > ix) - (iy < ix);
    }
    return d;
}

/* The items of a list in display order (an array of borrowed pointers). */
static json_t **sorted(const json_t *items, const char *key, size_t *n)
{
    *n = json_array_size(items);
    json_t **v = calloc(*n ? *n : 1, sizeof *v);
    for (size_t i = 0; i < *n; i++)
        v[i] = json_array_get(items, i);
    deadline_key = key;
    qsort(v, *n, sizeof *v, by_day_urgency);
    return v;
}

static const char *kind_label(dh_page *pg, const char *kind)
{
    static const char *const map[][3] = {{"overdue", "Quá hạn", "Overdue"},
                                         {"no_report", "Chưa báo cáo", "No report"},
                                         {"due_soon", "Sắp đến hạn", "Due soon"},
                                         {"at_risk", "Sắp đến hạn", "At risk"}};
    for (size_t i = 0; i < sizeof map / sizeof *map; i++)
        if (!strcmp(map[i][0], kind))
            return L(pg, map[i][1], map[i][2]);
    return kind;
}

/* "YYYY-MM-DD" as "DD/MM/YYYY"; anything else as it is (escaped), "—" when empty. */
static void date_vn(dh_page *pg, const char *s)
{
    bool iso = strlen(s) == 10;
    for (int i = 0; i < 10 && iso; i++)
        iso = i == 4 || i == 7 ? s[i] == '-' : s[i] >= '0' && s[i] <= '9';
    if (iso)
        dh_page_fmt(pg, "%.2s/%.2s/%.4s", s + 8, s + 5, s);
    else
        dh_page_text(pg, *s ? s : "—");
}

/* A positive integer of ?name= (at most max), 0 when absent; -1 (and the
 * error page) when bad. */
static int64_t positive_of(dh_req *rq, dh_resp *rs, dh_page *pg, const char *name, int64_t max)
{
    const char *v = dh_req_query(rq, name);
    if (!v || !*v)
        return 0;
    char *end;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (*end || errno || n <= 0 || n > max) {
        dh_err e;
        dh_err_set(&e, DH_E_INVALID, "invalid_parameter", name,
                   "%s must be a whole number from 1 to %lld", name, (long long)max);
        dh_pages_error(rs, pg, &e);
        return -1;
    }
    return n;
}

static void th(dh_page *pg, const char *vi, const char *en)
{
    dh_page_raw(pg, "<th scope=\"col\">");
    dh_page_text(pg, L(pg, vi, en));
    dh_page_raw(pg, "</th>");
}

static void head(dh_page *pg, const char *id, const char *title, bool all_units,
                 const char *what_vi, const char *what_en, bool with_state)
{
    dh_page_fmt(pg, "<section aria-labelledby=\"h-%s\"><h2 id=\"h-%s\">", id, id);
    dh_page_text(pg, title);
    dh_page_fmt(pg, "</h2><div class=\"scroll\"><table class=\"data\" id=\"%s\"><thead><tr>", id);
    th(pg, "Ngày nhắc", "Reminded on");
    th(pg, "Lý do", "Why");
    th(pg, what_vi, what_en);
    th(pg, "Hạn", "Deadline");
    if (with_state)
        th(pg, "Trạng thái hiện tại", "State now");
    if (all_units)
        th(pg, "Đơn vị", "Unit");
    th(pg, "Nội dung nhắc", "Reminder");
    dh_page_raw(pg, "</tr></thead><tbody>");
}

/* The first cells of a row: the day and time reminded, and why. */
static void row_start(dh_page *pg, const json_t *r, const char *created_vn)
{
    const char *kind = s_of(r, "kind");
    dh_page_raw(pg, "<tr><td>");
    date_vn(pg, s_of(r, "day"));
    if (*created_vn) {
        dh_page_raw(pg, "<br><small>");
        dh_page_text(pg, created_vn);
        dh_page_raw(pg, "</small>");
    }
    dh_page_raw(pg, urgency(kind) < 2 ? "</td><td class=\"state-overdue\">"
                                      : "</td><td class=\"state-at_risk\">");
    dh_page_text(pg, kind_label(pg, kind));
    dh_page_raw(pg, "</td>");
}

static void row_end(dh_req *rq, dh_page *pg, const json_t *r, bool all_units)
{
    if (all_units) {
        dh_page_raw(pg, "<td>");
        dh_pages_unit_name(rq, pg, s_of(r, "unit"), DH_DATE_NONE);
        dh_page_raw(pg, "</td>");
    }
    dh_page_raw(pg, "<td>");
    dh_page_text(pg, s_of(r, "message"));
    dh_page_raw(pg, "</td></tr>");
}

/* The link to the next page of one list, keeping the unit and the other's cursor. */
static void more_link(dh_page *pg, const char *unit, int limit, const char *name, int64_t next,
                      const char *other, int64_t other_after, const char *anchor)
{
    dh_page_raw(pg, "<p><a rel=\"next\" href=\"/nhac-viec?");
    if (unit) {
        dh_page_raw(pg, "unit=");
        dh_page_urlenc(pg, unit);
        dh_page_raw(pg, "&amp;");
    }
    if (limit != PAGE_ROWS)
        dh_page_fmt(pg, "limit=%d&amp;", limit);
    dh_page_fmt(pg, "%s=%lld", name, (long long)next);
    if (other_after)
        dh_page_fmt(pg, "&amp;%s=%lld", other, (long long)other_after);
    dh_page_fmt(pg, "#%s\">", anchor);
    dh_page_text(pg, L(pg, "Nhắc việc cũ hơn →", "Older reminders →"));
    dh_page_raw(pg, "</a></p>");
}

/* The end of a list's table, with its empty state when it has no row. */
static void table_end(dh_page *pg, size_t rows, int cols, const char *vi, const char *en)
{
    if (!rows) {
        dh_page_fmt(pg, "<tr><td colspan=\"%d\" class=\"empty\">", cols);
        dh_page_text(pg, L(pg, vi, en));
        dh_page_raw(pg, "</td></tr>");
    }
    dh_page_raw(pg, "</tbody></table></div>");
}

/* The unit's tasks by id (their content and deadline as they stand now): a
 * JSON object borrowed from `all` (NULL when they cannot be read). */
static json_t *tasks_by_id(dh_req *rq, const char *unit, json_t **all)
{
    dh_task_query q = {unit, false, false, NULL, DH_DATE_NONE, NULL, NULL, false, false};
    dh_err e;
    *all = NULL;
    if (dh_app_task_list(rq->app, &rq->actor, &q, rq->now, all, &e))
        return NULL;
    json_t *by = json_object();
    size_t i;
    json_t *t;
    json_array_foreach(*all, i, t)
    {
        char k[24];
        snprintf(k, sizeof k, "%lld", (long long)json_integer_value(json_object_get(t, "id")));
        json_object_set(by, k, t);
    }
    return by;
}

static void tasks_section(dh_req *rq, dh_page *pg, const json_t *items, const char *unit,
                          bool all_units)
{
    head(pg, "tasks", L(pg, "Nhiệm vụ", "Tasks"), all_units, "Nhiệm vụ", "Task", false);
    json_t *all = NULL, *by = json_array_size(items) ? tasks_by_id(rq, unit, &all) : NULL;
    size_t n;
    json_t **v = sorted(items, "occurrence", &n);
    for (size_t i = 0; i < n; i++) {
        char created[24] = "";
        json_int_t at = json_integer_value(json_object_get(v[i], "created_at"));
        if (at > 0) {
            char t[20];
            dh_time_format_vn((time_t)at, t);
            snprintf(created, sizeof created, "%.5s", t + 11);
        }
        row_start(pg, v[i], created);
        json_int_t id = json_integer_value(json_object_get(v[i], "task"));
        char k[24];
        snprintf(k, sizeof k, "%lld", (long long)id);
        const json_t *task = json_object_get(by, k);
        const char *content = s_of(task, "content");
        dh_page_fmt(pg, "<td><a href=\"/nhiem-vu/%lld\">", (long long)id);
        if (*content)
            dh_page_text(pg, content);
        else
            dh_page_fmt(pg, "%s #%lld", L(pg, "Nhiệm vụ", "Task"), (long long)id);
        dh_page_raw(pg, "</a></td><td>");
        /* the occurrence reminded (a recurring task), else the task's deadline */
        const char *due = s_of(v[i], "occurrence");
        date_vn(pg, *due ? due : s_of(json_object_get(task, "deadline"), "due"));
        dh_page_raw(pg, "</td>");
        row_end(rq, pg, v[i], all_units);
    }
    table_end(pg, n, all_units ? 6 : 5, "Không có nhắc việc nào về nhiệm vụ.",
              "No reminders about tasks.");
    free(v);
    json_decref(by);
    json_decref(all);
}

static void feedback_section(dh_req *rq, dh_page *pg, const json_t *items, bool all_units)
{
    head(pg, "feedback", L(pg, "Phản ánh, kiến nghị", "Citizen feedback"), all_units,
         "Phản ánh", "Feedback", true);
    size_t n;
    json_t **v = sorted(items, "due_at", &n);
    for (size_t i = 0; i < n; i++) {
        /* "2026-12-02T08:00:00+07:00": the time of day */
        const char *at = s_of(v[i], "created_at");
        char created[8] = "";
        if (strlen(at) >= 16)
            snprintf(created, sizeof created, "%.5s", at + 11);
        row_start(pg, v[i], created);
        const char *code = s_of(v[i], "code"), *state = s_of(v[i], "state");
        dh_page_raw(pg, "<td><a href=\"/xu-ly-phan-anh/");
        dh_page_urlenc(pg, code);
        dh_page_raw(pg, "\">");
        dh_page_text(pg, code);
        dh_page_raw(pg, "</a></td><td>");
        char due[40];
        dh_public_vn_time(json_object_get(v[i], "due_at"), due, sizeof due);
        bool paused = !strcmp(state, "needs_info");
        dh_page_text(pg, paused ? L(pg, "Tạm dừng", "Paused") : due);
        dh_page_raw(pg, "</td><td>");
        dh_page_text(pg, pg->en ? state : dh_fb_state_label(state));
        dh_page_raw(pg, "</td>");
        row_end(rq, pg, v[i], all_units);
    }
    table_end(pg, n, all_units ? 7 : 6, "Không có nhắc việc nào về phản ánh, kiến nghị.",
              "No reminders about citizen feedback.");
    free(v);
}

static void option(dh_page *pg, const char *code, const char *name, const char *selected)
{
    dh_page_raw(pg, "<option value=\"");
    dh_page_attr(pg, code);
    dh_page_raw(pg, selected && !strcmp(selected, code) ? "\" selected>" : "\">");
    dh_page_text(pg, name);
    if (*code) {
        dh_page_raw(pg, " (");
        dh_page_text(pg, code);
        dh_page_raw(pg, ")");
    }
    dh_page_raw(pg, "</option>");
}

/* The units the actor may read, open today, in tree order: a list to choose
 * from (an administrator without a unit also has "every unit"); a code field
 * when there are too many. */
static void unit_form(dh_req *rq, dh_page *pg, const char *unit)
{
    dh_page_raw(pg, "<form class=\"filters\" method=\"get\" action=\"/nhac-viec\"><label>");
    dh_page_text(pg, L(pg, "Đơn vị", "Unit"));
    dh_err e;
    const dh_unitreg *reg = dh_app_units_acquire(rq->app, &e);
    dh_date today = dh_date_of_time_vn(rq->now);
    int32_t *list = NULL;
    size_t n = 0;
    bool admin = rq->actor.role == DH_ROLE_ADMIN;
    int32_t scope = reg && rq->actor.unit_code[0] ? dh_unitreg_find(reg, rq->actor.unit_code) : -1;
    if (reg && scope >= 0) {
        int32_t *d = NULL;
        size_t nd = dh_unitreg_descendants(reg, scope, today, &d);
        list = malloc((nd + 1) * sizeof *list);
        list[n++] = scope;
        for (size_t i = 0; i < nd; i++)
            list[n++] = d[i];
        free(d);
    } else if (reg && admin) {
        int32_t *roots = NULL;
        size_t nr = dh_unitreg_roots(reg, today, &roots);
        for (size_t k = 0; k < nr && n <= MAX_OPTIONS; k++) {
            int32_t *d = NULL;
            size_t nd = dh_unitreg_descendants(reg, roots[k], today, &d);
            list = realloc(list, (n + nd + 1) * sizeof *list);
            list[n++] = roots[k];
            for (size_t i = 0; i < nd; i++)
                list[n++] = d[i];
            free(d);
        }
        free(roots);
    }
    if (!reg || n > MAX_OPTIONS) {
        dh_page_raw(pg, "<input name=\"unit\" value=\"");
        dh_page_attr(pg, unit ? unit : "");
        dh_page_raw(pg, "\" placeholder=\"");
        dh_page_attr(pg, L(pg, "Mã đơn vị", "Unit code"));
        dh_page_raw(pg, "\">");
    } else {
        dh_page_raw(pg, "<select name=\"unit\">");
        bool listed = !unit;
        for (size_t i = 0; i < n && !listed; i++)
            listed = !strcmp(reg->u[list[i]].code, unit);
        if (!rq->actor.unit_code[0] && admin)
            option(pg, "", L(pg, "Tất cả đơn vị", "Every unit"), unit ? unit : "");
        if (!listed) /* a unit given by its code that is not open today */
            option(pg, unit, unit, unit);
        for (size_t i = 0; i < n; i++) {
            int32_t u = list[i];
            if (!dh_access_allows(reg, rq->actor.role, scope, DH_ACT_READ, u, today))
                continue;
            const dh_unit_version *ver = dh_unitreg_at(reg, u, today);
            option(pg, reg->u[u].code, ver ? ver->name : reg->u[u].code, unit);
        }
        dh_page_raw(pg, "</select>");
    }
    free(list);
    if (reg)
        dh_app_units_release(rq->app, reg);
    dh_page_raw(pg, "</label><button type=\"submit\">");
    dh_page_text(pg, L(pg, "Xem", "Show"));
    dh_page_raw(pg, "</button></form>");
}

static void get_inbox_page(dh_req *rq, dh_resp *rs)
{
    if (!dh_pages_signed_in(rq, rs))
        return;
    dh_page pg;
    dh_pages_init(rq, &pg);
    const char *unit = dh_pages_unit(rq, dh_req_query(rq, "unit"));
    int64_t lim = positive_of(rq, rs, &pg, "limit", MAX_ROWS);
    if (lim < 0)
        return;
    int limit = lim ? (int)lim : PAGE_ROWS;
    int64_t t_after = positive_of(rq, rs, &pg, "tasks_after", INT64_MAX);
    if (t_after < 0)
        return;
    int64_t f_after = positive_of(rq, rs, &pg, "feedback_after", INT64_MAX);
    if (f_after < 0)
        return;
    json_t *tasks = NULL, *fb = NULL;
    int64_t t_next = 0, f_next = 0;
    dh_err e;
    if (dh_app_inbox(rq->app, &rq->actor, unit, t_after, limit, rq->now, &tasks, &t_next,
                     &e) ||
        dh_app_fb_reminders(rq->app, &rq->actor, unit, f_after, limit, rq->now, &fb, &f_next,
                            &e)) {
        json_decref(tasks);
        dh_pages_error(rs, &pg, &e);
        return;
    }
    bool all_units = !unit;
    dh_page_begin(&pg, L(&pg, "Hộp thư nhắc việc", "Reminders inbox"), "nhac-viec");
    unit_form(rq, &pg, unit);
    dh_page_raw(&pg, "<p>");
    if (unit) {
        dh_page_text(&pg, L(&pg, "Nhắc việc hằng ngày của ", "The daily reminders of "));
        dh_pages_unit_name(rq, &pg, unit, DH_DATE_NONE);
        dh_page_raw(&pg, ": ");
    } else {
        dh_page_text(&pg, L(&pg, "Nhắc việc hằng ngày của mọi đơn vị: ",
                            "The daily reminders of every unit: "));
    }
    dh_page_text(&pg, L(&pg, "nhiệm vụ sắp đến hạn, quá hạn hoặc chưa báo cáo; phản ánh, kiến "
                             "nghị sắp đến hạn hoặc quá hạn. Ngày mới nhất lên đầu, trong cùng "
                             "một ngày việc quá hạn lên đầu. Đơn vị đã đăng ký địa chỉ thư điện "
                             "tử nhận thêm các nhắc việc này qua e-mail.",
                        "tasks due soon, overdue or without their report; citizen feedback at "
                        "risk or overdue. Newest day first and, within a day, overdue first. "
                        "Units with a registered e-mail address also receive them by e-mail."));
    dh_page_raw(&pg, "</p>");
    tasks_section(rq, &pg, tasks, unit, all_units);
    if (t_next)
        more_link(&pg, unit, limit, "tasks_after", t_next, "feedback_after", f_after, "h-tasks");
    dh_page_raw(&pg, "</section>");
    feedback_section(rq, &pg, fb, all_units);
    if (f_next)
        more_link(&pg, unit, limit, "feedback_after", f_next, "tasks_after", t_after, "h-feedback");
    dh_page_raw(&pg, "</section>");
    json_decref(tasks);
    json_decref(fb);
    dh_pages_send(rs, &pg, 200);
}

const dh_route dh_routes_pages_inbox[] = {
    {"GET", "/nhac-viec", get_inbox_page, DH_ROUTE_PAGE},
    {0, 0, 0, 0},
};
