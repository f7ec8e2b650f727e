/* ep_pages_admin.c - the dashboard's administration pages (issue 6), for
 * administrators only:
 *   GET /quan-tri              units (tree today, closed units), users, calendars, procedures
 *   GET /quan-tri/nhap-lieu    upload dossier events (NDJSON) with progress and a per-line
 *                              error report (the upload itself goes to the API in batches,
 *                              from /static/app.js, with the session's CSRF token)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/pages.h"

static bool admin_only(dh_req *rq, dh_resp *rs, dh_page *pg)
{
    if (!dh_pages_signed_in(rq, rs))
        return false;
    if (rq->actor.role != DH_ROLE_ADMIN) {
        dh_err e;
        dh_err_set(&e, DH_E_FORBIDDEN, "forbidden", NULL,
                   "Trang quản trị chỉ dành cho quản trị viên.");
        dh_pages_error(rs, pg, &e);
        return false;
    }
    return true;
}

static void tree(dh_page *pg, const dh_unitreg *reg, int32_t u, dh_date d, int depth)
{
    const dh_unit_version *v = dh_unitreg_at(reg, u, d);
    dh_page_raw(pg, "<li><a href=\"/don-vi/");
    dh_page_urlenc(pg, reg->u[u].code);
    dh_page_raw(pg, "\">");
    dh_page_text(pg, v ? v->name : reg->u[u].code);
    dh_page_raw(pg, "</a> <small>");
    dh_page_text(pg, reg->u[u].code);
    dh_page_raw(pg, "</small>");
    int32_t *kids = NULL;
    size_t n = depth < 6 ? dh_unitreg_children(reg, u, d, &kids) : 0;
    if (n) {
        dh_page_raw(pg, "<ul>");
        for (size_t i = 0; i < n; i++)
            tree(pg, reg, kids[i], d, depth + 1);
        dh_page_raw(pg, "</ul>");
    }
    free(kids);
    dh_page_raw(pg, "</li>");
}

static void section(dh_page *pg, const char *id, const char *title)
{
    dh_page_raw(pg, "<section aria-labelledby=\"");
    dh_page_raw(pg, id);
    dh_page_raw(pg, "\"><h2 id=\"");
    dh_page_raw(pg, id);
    dh_page_raw(pg, "\">");
    dh_page_text(pg, title);
    dh_page_raw(pg, "</h2>");
}

static void get_admin(dh_req *rq, dh_resp *rs)
{
    dh_page pg;
    dh_pages_init(rq, &pg);
    if (!admin_only(rq, rs, &pg))
        return;
    dh_err e;
    dh_page_begin(&pg, L(&pg, "Quản trị", "Administration"), "quan-tri");
    dh_page_raw(&pg, "<p><a href=\"/quan-tri/nhap-lieu\">");
    dh_page_text(&pg, L(&pg, "Nhập dữ liệu hồ sơ (tải tệp lên)", "Import dossier events (upload)"));
    dh_page_raw(&pg, "</a></p>");
    dh_date today = dh_date_of_time_vn(rq->now);
    const dh_unitreg *reg = dh_app_units_acquire(rq->app, &e);
    if (reg) {
        section(&pg, "h-units", L(&pg, "Đơn vị hiện nay", "Units today"));
        int32_t *roots = NULL;
        size_t n = dh_unitreg_roots(reg, today, &roots);
        dh_page_raw(&pg, "<ul class=\"tree\">");
        for (size_t i = 0; i < n; i++)
            tree(&pg, reg, roots[i], today, 0);
        dh_page_raw(&pg, "</ul>");
        free(roots);
        dh_page_raw(&pg, "<details><summary>");
        dh_page_text(&pg, L(&pg, "Đơn vị đã chấm dứt (sáp nhập, chia tách, giải thể)",
                            "Closed units (merged, split, dissolved)"));
        dh_page_raw(&pg, "</summary><table><thead><tr><th scope=\"col\">");
        dh_page_text(&pg, L(&pg, "Đơn vị", "Unit"));
        dh_page_raw(&pg, "</th><th scope=\"col\">");
        dh_page_text(&pg, L(&pg, "Đến ngày", "Until"));
        dh_page_raw(&pg, "</th></tr></thead><tbody>");
        for (size_t i = 0; i < reg->n; i++) {
            if (reg->u[i].valid_to == DH_DATE_NONE || reg->u[i].valid_to >= today)
                continue;
            const dh_unit_version *v = dh_unitreg_nearest(reg, (int32_t)i, reg->u[i].valid_to);
            char d[DH_DATE_TEXT_LEN];
            dh_date_format(reg->u[i].valid_to, d);
            dh_page_raw(&pg, "<tr><td><a href=\"/don-vi/");
            dh_page_urlenc(&pg, reg->u[i].code);
            dh_page_raw(&pg, "\">");
            dh_page_text(&pg, v ? v->name : reg->u[i].code);
            dh_page_raw(&pg, "</a></td><td>");
            dh_page_text(&pg, d);
            dh_page_raw(&pg, "</td></tr>");
        }
        dh_page_raw(&pg, "</tbody></table></details>");
        /* the reorganisation events: who became whom, and when */
        dh_page_raw(&pg, "<details><summary>");
        dh_page_text(&pg, L(&pg, "Sự kiện sắp xếp đơn vị (sáp nhập, chia tách)",
                            "Reorganisation events (mergers, splits)"));
        dh_page_raw(&pg, "</summary><table><thead><tr><th scope=\"col\">");
        dh_page_text(&pg, L(&pg, "Hiệu lực", "Effective"));
        dh_page_raw(&pg, "</th><th scope=\"col\">");
        dh_page_text(&pg, L(&pg, "Đơn vị cũ", "From"));
        dh_page_raw(&pg, "</th><th scope=\"col\">");
        dh_page_text(&pg, L(&pg, "Đơn vị mới", "To"));
        dh_page_raw(&pg, "</th></tr></thead><tbody>");
        for (size_t i = 0; i < reg->nlinks; i++) {
            const dh_unit_link *lk = &reg->links[i];
            char d[DH_DATE_TEXT_LEN];
            dh_date_format(lk->effective, d);
            const dh_unit_version *a = dh_unitreg_nearest(reg, lk->from, lk->effective - 1),
                                  *b = dh_unitreg_nearest(reg, lk->to, lk->effective);
            dh_page_raw(&pg, "<tr><td>");
            dh_page_text(&pg, d);
            dh_page_raw(&pg, "</td><td>");
            dh_page_text(&pg, a ? a->name : reg->u[lk->from].code);
            dh_page_raw(&pg, "</td><td>");
            dh_page_text(&pg, b ? b->name : reg->u[lk->to].code);
            if (lk->partial) {
                dh_page_raw(&pg, " <small>(");
                dh_page_text(&pg, L(&pg, "một phần", "in part"));
                dh_page_raw(&pg, ")</small>");
            }
            dh_page_raw(&pg, "</td></tr>");
        }
        dh_page_raw(&pg, "</tbody></table></details></section>");
        dh_app_units_release(rq->app, reg);
    }
    json_t *users = NULL;
    int64_t next = 0;
    if (dh_app_user_list(rq->app, &rq->actor, rq->now, 0, 200, &users, &next, &e) == DH_OK) {
        section(&pg, "h-users", L(&pg, "Người dùng", "Users"));
        dh_page_raw(&pg, "<table><thead><tr><th scope=\"col\">");
        dh_page_text(&pg, L(&pg, "Tên đăng nhập", "Login"));
        dh_page_raw(&pg, "</th><th scope=\"col\">");
        dh_page_text(&pg, L(&pg, "Họ tên", "Name"));
        dh_page_raw(&pg, "</th><th scope=\"col\">");
        dh_page_text(&pg, L(&pg, "Vai trò", "Role"));
        dh_page_raw(&pg, "</th><th scope=\"col\">");
        dh_page_text(&pg, L(&pg, "Đơn vị", "Unit"));
        dh_page_raw(&pg, "</th></tr></thead><tbody>");
        size_t i;
        json_t *u;
        json_array_foreach(users, i, u)
        {
            static const char *const cols[] = {"login", "display_name", "role", "unit"};
            dh_page_raw(&pg, "<tr>");
            for (int k = 0; k < 4; k++) {
                dh_page_raw(&pg, "<td>");
                dh_page_text(&pg, json_string_value(json_object_get(u, cols[k])));
                dh_page_raw(&pg, "</td>");
            }
            dh_page_raw(&pg, "</tr>");
        }
        dh_page_raw(&pg, "</tbody></table><p>");
        dh_page_text(&pg, L(&pg, "Thêm người dùng, cấp mã truy cập (token): ",
                            "Add users, issue API tokens: "));
        dh_page_raw(&pg, "<code>dieuhanh user add|token</code>, <code>POST /api/v1/users</code>, "
                         "<code>POST /api/v1/tokens</code></p></section>");
        json_decref(users);
    }
    const dh_calset *cals = dh_app_calendars_acquire(rq->app, &e);
    if (cals) {
        int y, m, d;
        dh_date_to_ymd(today, &y, &m, &d);
        section(&pg, "h-cal", L(&pg, "Lịch làm việc", "Working calendars"));
        dh_page_raw(&pg, "<ul>");
        for (size_t i = 0; i < cals->ncals; i++) {
            dh_page_raw(&pg, "<li>");
            dh_page_text(&pg, cals->cals[i].label);
            dh_page_raw(&pg, " (<code>");
            dh_page_text(&pg, cals->cals[i].name);
            dh_page_fmt(&pg, "</code>) — <a href=\"/api/v1/calendars/");
            dh_page_urlenc(&pg, cals->cals[i].name);
            dh_page_fmt(&pg, "/holidays?year=%d&amp;format=ics\">", y);
            dh_page_text(&pg, L(&pg, "ngày nghỉ năm nay (iCalendar)", "this year's days off (iCalendar)"));
            dh_page_raw(&pg, "</a> · <a href=\"/api/v1/calendars/");
            dh_page_urlenc(&pg, cals->cals[i].name);
            dh_page_fmt(&pg, "/holidays?year=%d&amp;format=csv\">CSV</a></li>", y);
        }
        dh_page_raw(&pg, "</ul><table><caption>");
        dh_page_text(&pg, L(&pg, "Lịch nghỉ, làm bù năm nay", "This year's days off and make-up days"));
        dh_page_raw(&pg, "</caption><thead><tr><th scope=\"col\">");
        dh_page_text(&pg, L(&pg, "Ngày", "Date"));
        dh_page_raw(&pg, "</th><th scope=\"col\">");
        dh_page_text(&pg, L(&pg, "Loại", "Kind"));
        dh_page_raw(&pg, "</th><th scope=\"col\">");
        dh_page_text(&pg, L(&pg, "Tên", "Name"));
        dh_page_raw(&pg, "</th><th scope=\"col\">");
        dh_page_text(&pg, L(&pg, "Đã xác nhận", "Confirmed"));
        dh_page_raw(&pg, "</th></tr></thead><tbody>");
        dh_date y0 = dh_date_from_ymd(y, 1, 1), y1 = dh_date_from_ymd(y, 12, 31);
        for (size_t i = 0; i < cals->nentries; i++) {
            const dh_sched_entry *x = &cals->entries[i];
            if (x->date < y0 || x->date > y1)
                continue;
            char dd[DH_DATE_TEXT_LEN];
            dh_date_format(x->date, dd);
            dh_page_raw(&pg, "<tr><td>");
            dh_page_text(&pg, dd);
            dh_page_raw(&pg, "</td><td>");
            dh_page_text(&pg, x->work ? L(&pg, "làm bù", "make-up working day")
                                      : L(&pg, "nghỉ", "day off"));
            dh_page_raw(&pg, "</td><td>");
            dh_page_text(&pg, x->name);
            dh_page_raw(&pg, "</td><td>");
            dh_page_text(&pg, x->confirmed ? L(&pg, "có", "yes")
                                           : L(&pg, "chưa — cần kiểm tra", "no — to check"));
            dh_page_raw(&pg, "</td></tr>");
        }
        dh_page_raw(&pg, "</tbody></table><p>");
        dh_page_fmt(&pg, "%zu ", cals->nentries);
        dh_page_text(&pg, L(&pg, "mục trong lịch nghỉ, hoán đổi ngày làm việc các năm (sửa: ",
                            "entries in the yearly schedules (correct them: "));
        dh_page_raw(&pg, "<code>PATCH /api/v1/schedules/{id}</code>)</p></section>");
        dh_app_calendars_release(rq->app, cals);
    }
    const dh_procset *ps = dh_app_procedures_acquire(rq->app, &e);
    if (ps) {
        section(&pg, "h-proc", L(&pg, "Thủ tục hành chính", "Procedures"));
        size_t codes = 0;
        for (size_t i = 0; i < ps->n; i++)
            codes += i + 1 == ps->n || strcmp(ps->v[i + 1].code, ps->v[i].code);
        dh_page_raw(&pg, "<p>");
        dh_page_fmt(&pg, "%zu ", codes);
        dh_page_text(&pg, L(&pg, "thủ tục, ", "procedures, "));
        dh_page_fmt(&pg, "%zu ", ps->n);
        dh_page_text(&pg, L(&pg, "phiên bản theo ngày hiệu lực. Nhập từ CSV: ",
                            "versions by effective date. Import from CSV: "));
        dh_page_raw(&pg, "<code>dieuhanh procedure import FILE.csv</code></p><details><summary>");
        dh_page_text(&pg, L(&pg, "Danh mục (phiên bản đang hiệu lực)", "The catalogue (versions in force)"));
        dh_page_raw(&pg, "</summary><table><thead><tr><th scope=\"col\">");
        dh_page_text(&pg, L(&pg, "Mã", "Code"));
        dh_page_raw(&pg, "</th><th scope=\"col\">");
        dh_page_text(&pg, L(&pg, "Tên thủ tục", "Procedure"));
        dh_page_raw(&pg, "</th><th scope=\"col\">");
        dh_page_text(&pg, L(&pg, "Lĩnh vực", "Field"));
        dh_page_raw(&pg, "</th><th scope=\"col\">");
        dh_page_text(&pg, L(&pg, "Cấp", "Level"));
        dh_page_raw(&pg, "</th><th scope=\"col\" class=\"n\">");
        dh_page_text(&pg, L(&pg, "Thời hạn", "Time limit"));
        dh_page_raw(&pg, "</th></tr></thead><tbody>");
        for (size_t i = 0; i < ps->n; i++) {
            if (i + 1 < ps->n && !strcmp(ps->v[i + 1].code, ps->v[i].code) &&
                ps->v[i + 1].valid_from <= today)
                continue;
            const dh_proc *p = &ps->v[i];
            dh_page_raw(&pg, "<tr><td>");
            dh_page_text(&pg, p->code);
            dh_page_raw(&pg, "</td><td>");
            dh_page_text(&pg, p->name);
            dh_page_raw(&pg, "</td><td>");
            dh_page_text(&pg, p->field);
            dh_page_raw(&pg, "</td><td>");
            dh_page_text(&pg, p->level);
            dh_page_fmt(&pg, "</td><td class=\"n\">%d ", p->limit.duration);
            dh_page_text(&pg, p->limit.unit == DH_DUR_WORKING_DAYS ? L(&pg, "ngày làm việc", "working days")
                              : p->limit.unit == DH_DUR_WORKING_HOURS ? L(&pg, "giờ làm việc", "working hours")
                              : p->limit.unit == DH_DUR_DAYS ? L(&pg, "ngày", "days")
                                                             : L(&pg, "tháng", "months"));
            dh_page_raw(&pg, "</td></tr>");
        }
        dh_page_raw(&pg, "</tbody></table></details></section>");
        dh_app_procedures_release(rq->app, ps);
    }
    dh_pages_send(rs, &pg, 200);
}

static void get_upload(dh_req *rq, dh_resp *rs)
{
    dh_page pg;
    dh_pages_init(rq, &pg);
    if (!admin_only(rq, rs, &pg))
        return;
    dh_page_begin(&pg, L(&pg, "Nhập dữ liệu hồ sơ", "Import dossier events"), "quan-tri");
    dh_page_raw(&pg, "<p>");
    dh_page_text(&pg, L(&pg, "Chọn tệp NDJSON (mỗi dòng một sự kiện hồ sơ, như dieuhanh import "
                             "events). Tệp được gửi từng lô 1.000 dòng; mỗi lô được nhận toàn bộ "
                             "hoặc không nhận dòng nào, và báo lỗi theo từng dòng.",
                        "Choose an NDJSON file (one dossier event per line, as for dieuhanh "
                        "import events). It is sent in batches of 1,000 lines; each batch is "
                        "taken whole or not at all, with the errors line by line."));
    dh_page_raw(&pg, "</p>");
    dh_pages_upload_form(&pg, "upload", ".ndjson,.jsonl,.json");
    dh_pages_send(rs, &pg, 200);
}

const dh_route dh_routes_pages_admin[] = {
    {"GET", "/quan-tri", get_admin, DH_ROUTE_PAGE},
    {"GET", "/quan-tri/nhap-lieu", get_upload, DH_ROUTE_PAGE},
    {0, 0, 0, 0},
};
