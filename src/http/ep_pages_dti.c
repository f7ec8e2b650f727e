/* ep_pages_dti.c - the dashboard's pages for the digital-transformation
 * index (issue 16, point 7), in the dashboard's style:
 *   GET  /chuyen-doi-so?framework=&year=                 the ranking of a framework's year
 *   GET  /chuyen-doi-so/don-vi?unit=&framework=&year=    a unit's scorecard: pillar bars,
 *        points lost with their remediation tasks, warnings, kpi figures, evidence and
 *        appraisal comments, year over year
 *   GET  /chuyen-doi-so/danh-gia?unit=&framework=&year=  the self-assessment / appraisal form
 *   POST /chuyen-doi-so/danh-gia                         one criterion's figures, or a step
 *   POST /chuyen-doi-so/khac-phuc                        create the remediation plan
 * Every figure comes from the app functions behind /api/v1/dti/. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/pages.h"

static const char *s_of(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

/* Points with up to 4 decimals, a decimal comma in Vietnamese. */
static void pts(dh_page *pg, const json_t *v)
{
    if (!json_is_number(v)) {
        dh_page_raw(pg, "—");
        return;
    }
    char b[48];
    snprintf(b, sizeof b, "%.4f", json_number_value(v));
    char *end = b + strlen(b) - 1;
    while (end > b && *end == '0')
        *end-- = '\0';
    if (*end == '.')
        *end = '\0';
    if (!pg->en)
        for (char *p = b; *p; p++)
            if (*p == '.')
                *p = ',';
    dh_page_text(pg, b);
}

static const char *status_label(const dh_page *pg, const char *s)
{
    return !strcmp(s, "self_assessment") ? L(pg, "Đang tự đánh giá", "Self-assessment")
           : !strcmp(s, "submitted")     ? L(pg, "Đã gửi thẩm định", "Submitted")
           : !strcmp(s, "appraisal")     ? L(pg, "Đang thẩm định", "Appraisal")
           : !strcmp(s, "published")     ? L(pg, "Đã công bố", "Published")
                                         : s;
}

/* The framework and year asked for, else the latest framework. */
static int which(dh_req *rq, char *fw, size_t cap, int *year)
{
    const char *f = dh_req_query(rq, "framework"), *y = dh_req_query(rq, "year");
    if (f && *f && y && *y) {
        snprintf(fw, cap, "%s", f);
        *year = atoi(y);
        return 0;
    }
    dh_err e;
    json_t *out = NULL;
    if (dh_app_dti_frameworks(rq->app, &rq->actor, &out, &e) ||
        !json_array_size(json_object_get(out, "items"))) {
        json_decref(out);
        return -1;
    }
    json_t *first = json_array_get(json_object_get(out, "items"), 0);
    snprintf(fw, cap, "%s", s_of(first, "code"));
    *year = (int)json_integer_value(json_object_get(first, "year"));
    json_decref(out);
    return 0;
}

static void link_to(dh_page *pg, const char *path, const char *unit, const char *fw, int year)
{
    dh_page_raw(pg, path);
    dh_page_raw(pg, "?");
    if (unit) {
        dh_page_raw(pg, "unit=");
        dh_page_urlenc(pg, unit);
        dh_page_raw(pg, "&amp;");
    }
    dh_page_raw(pg, "framework=");
    dh_page_urlenc(pg, fw);
    dh_page_fmt(pg, "&amp;year=%d", year);
}

static void warnings(dh_page *pg, const json_t *ws, bool with_unit)
{
    if (!json_array_size(ws))
        return;
    dh_page_raw(pg, "<div class=\"err\" role=\"alert\"><p>");
    dh_page_text(pg, L(pg, "Số liệu công bố không khớp (giữ nguyên như công bố, không tự sửa):",
                       "The published figures disagree (kept as published, never corrected):"));
    dh_page_raw(pg, "</p><ul>");
    size_t i;
    json_t *w;
    json_array_foreach(ws, i, w)
    {
        dh_page_raw(pg, "<li>");
        if (with_unit && *s_of(w, "unit")) {
            dh_page_text(pg, s_of(w, "unit"));
            dh_page_raw(pg, ": ");
        }
        if (pg->en) {
            dh_page_text(pg, s_of(w, "message"));
        } else {
            /* The same facts in Vietnamese: the row, both numbers. */
            bool total = !strcmp(s_of(w, "code"), "TOTAL");
            dh_page_fmt(pg,
                        "Dòng %lld: ", (long long)json_integer_value(json_object_get(w, "line")));
            if (total) {
                dh_page_text(pg, "tổng điểm công bố ");
            } else {
                dh_page_text(pg, s_of(w, "code"));
                dh_page_text(pg, " công bố ");
            }
            pts(pg, json_object_get(w, "printed"));
            dh_page_text(pg, total ? " khác tổng điểm các trụ cột " : " điểm, tính lại được ");
            pts(pg, json_object_get(w, "computed"));
        }
        dh_page_raw(pg, "</li>");
    }
    dh_page_raw(pg, "</ul></div>");
}

/* A form's hidden unit, framework and year, after its CSRF field. */
/* An entry's evidence files (GET /api/v1/dti/assessment), each a link to
 * its bytes, with type, size and uploader. */
static void evidence_files(dh_page *pg, const json_t *files, const char *unit, const char *fw,
                           int year)
{
    if (!json_array_size(files))
        return;
    dh_page_raw(pg, "<br><small>");
    dh_page_text(pg, L(pg, "Tệp minh chứng:", "Evidence files:"));
    dh_page_raw(pg, "</small><ul class=\"dti-files\">");
    size_t i;
    json_t *f;
    json_array_foreach(files, i, f)
    {
        char path[64];
        snprintf(path, sizeof path, "/api/v1/dti/evidence/%lld",
                 (long long)json_integer_value(json_object_get(f, "id")));
        dh_page_raw(pg, "<li><a href=\"");
        link_to(pg, path, unit, fw, year);
        dh_page_raw(pg, "\">");
        dh_page_text(pg, s_of(f, "name"));
        dh_page_raw(pg, "</a> <small>(");
        dh_page_text(pg, s_of(f, "type"));
        dh_page_fmt(pg, ", %lld B, ", (long long)json_integer_value(json_object_get(f, "size")));
        dh_page_text(pg, s_of(f, "uploaded_by"));
        dh_page_raw(pg, ")</small></li>");
    }
    dh_page_raw(pg, "</ul>");
}

static void form_target(dh_page *pg, const char *unit, const char *fw, int year)
{
    dh_page_csrf(pg);
    dh_page_raw(pg, "<input type=\"hidden\" name=\"unit\" value=\"");
    dh_page_attr(pg, unit);
    dh_page_raw(pg, "\"><input type=\"hidden\" name=\"framework\" value=\"");
    dh_page_attr(pg, fw);
    dh_page_fmt(pg, "\"><input type=\"hidden\" name=\"year\" value=\"%d\">", year);
}

/* A table's opening and header row: id (NULL: none) and the columns as
 * {vi, en, "num" or ""}. */
static void table_head(dh_page *pg, const char *id, const char *const (*cols)[3], size_t n)
{
    dh_page_raw(pg, "<table class=\"data\"");
    if (id)
        dh_page_fmt(pg, " id=\"%s\"", id);
    dh_page_raw(pg, "><thead><tr>");
    for (size_t i = 0; i < n; i++) {
        dh_page_raw(pg, *cols[i][2] ? "<th scope=\"col\" class=\"num\">" : "<th scope=\"col\">");
        dh_page_text(pg, L(pg, cols[i][0], cols[i][1]));
        dh_page_raw(pg, "</th>");
    }
    dh_page_raw(pg, "</tr></thead><tbody>");
}

/* ------------------------------------------------------------------ */
/* The ranking.                                                       */

static void get_ranking(dh_req *rq, dh_resp *rs)
{
    if (!dh_pages_signed_in(rq, rs))
        return;
    dh_page pg;
    dh_pages_init(rq, &pg);
    char fw[80];
    int year;
    dh_err e;
    json_t *out = NULL;
    if (which(rq, fw, sizeof fw, &year)) {
        dh_page_begin(&pg, L(&pg, "Chỉ số chuyển đổi số", "Digital transformation index"), "cds");
        dh_page_raw(&pg, "<p>");
        dh_page_text(&pg, L(&pg, "Chưa có bộ chỉ số nào (dieuhanh dti framework import).",
                            "No framework yet (dieuhanh dti framework import)."));
        dh_page_raw(&pg, "</p>");
        dh_pages_send(rs, &pg, 200);
        return;
    }
    if (dh_app_dti_rank(rq->app, &rq->actor, fw, year, rq->now, &out, &e)) {
        dh_pages_error(rs, &pg, &e);
        return;
    }
    char title[200];
    snprintf(title, sizeof title, "%s %d", L(&pg, "Xếp hạng chỉ số chuyển đổi số", "DTI ranking"),
             year);
    dh_page_begin(&pg, title, "cds");
    dh_page_raw(&pg, "<p>");
    dh_page_text(&pg, s_of(out, "name"));
    dh_page_raw(&pg, " (");
    dh_page_text(&pg, fw);
    dh_page_raw(&pg, "). ");
    dh_page_text(&pg, L(&pg,
                        "Xếp hạng theo tổng điểm tính từ điểm thành phần; các đơn vị bằng "
                        "điểm cùng hạng. Tổng điểm công bố (nếu có) ghi bên cạnh.",
                        "Ranked by the total computed from the points; equal totals share a "
                        "rank. The printed total, when there is one, is shown beside it."));
    dh_page_raw(&pg, "</p>");
    static const char *const rank_cols[][3] = {{"Hạng", "Rank", ""},
                                               {"Đơn vị", "Unit", ""},
                                               {"Tổng điểm", "Total", "num"},
                                               {"Tổng công bố", "Printed total", "num"},
                                               {"Trạng thái", "Status", ""}};
    table_head(&pg, NULL, rank_cols, 5);
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(out, "items"), i, it)
    {
        dh_page_fmt(&pg, "<tr><td class=\"num\">%lld</td><td><a href=\"",
                    (long long)json_integer_value(json_object_get(it, "rank")));
        link_to(&pg, "/chuyen-doi-so/don-vi", s_of(it, "unit"), fw, year);
        dh_page_raw(&pg, "\">");
        dh_page_text(&pg, s_of(it, "name"));
        dh_page_raw(&pg, "</a>");
        if (json_is_true(json_object_get(it, "synthetic"))) {
            dh_page_raw(&pg, " <span class=\"tag\">");
            dh_page_text(&pg, L(&pg, "dữ liệu giả lập", "synthetic"));
            dh_page_raw(&pg, "</span>");
        }
        dh_page_raw(&pg, "</td><td class=\"num\">");
        pts(&pg, json_object_get(it, "total"));
        dh_page_raw(&pg, "</td><td class=\"num\">");
        pts(&pg, json_object_get(it, "printed_total"));
        if (json_integer_value(json_object_get(it, "warnings")))
            dh_page_raw(&pg, " <span class=\"late\">⚠</span>");
        dh_page_raw(&pg, "</td><td>");
        dh_page_text(&pg, status_label(&pg, s_of(it, "status")));
        dh_page_raw(&pg, "</td></tr>");
    }
    dh_page_raw(&pg, "</tbody></table>");
    json_decref(out);
    dh_pages_send(rs, &pg, 200);
}

/* ------------------------------------------------------------------ */
/* A unit's scorecard.                                                */

static void scorecard_page(dh_req *rq, dh_resp *rs, const char *unit, const char *fw, int year,
                           const char *message, bool error, int status)
{
    dh_page pg;
    dh_pages_init(rq, &pg);
    dh_err e;
    json_t *o = NULL;
    if (dh_app_dti_score(rq->app, &rq->actor, unit, fw, year, rq->now, &o, &e)) {
        dh_pages_error(rs, &pg, &e);
        return;
    }
    char title[300];
    snprintf(title, sizeof title, "%s %d: %s", L(&pg, "Chỉ số chuyển đổi số", "DTI"), year,
             s_of(o, "name"));
    dh_page_begin(&pg, title, "cds");
    if (message) {
        dh_page_raw(&pg, error ? "<p class=\"err\" role=\"alert\">" : "<p role=\"status\">");
        dh_page_text(&pg, message);
        dh_page_raw(&pg, "</p>");
    }
    dh_page_raw(&pg, "<div class=\"cards\"><div class=\"card\"><div class=\"v\" id=\"dti-total\">");
    pts(&pg, json_object_get(o, "total"));
    dh_page_raw(&pg, " / ");
    pts(&pg, json_object_get(o, "max"));
    dh_page_raw(&pg, "</div><div class=\"k\">");
    dh_page_text(&pg, L(&pg, "Tổng điểm", "Total"));
    dh_page_raw(&pg, "</div></div><div class=\"card\"><div class=\"v\" id=\"dti-rank\">");
    dh_page_fmt(&pg, "%lld/%lld", (long long)json_integer_value(json_object_get(o, "rank")),
                (long long)json_integer_value(json_object_get(o, "of")));
    dh_page_raw(&pg, "</div><div class=\"k\">");
    dh_page_text(&pg, L(&pg, "Xếp hạng", "Rank"));
    dh_page_raw(&pg, "</div></div><div class=\"card\"><div class=\"v\">");
    pts(&pg, json_object_get(o, "printed_total"));
    dh_page_raw(&pg, "</div><div class=\"k\">");
    dh_page_text(&pg, L(&pg, "Tổng công bố", "Printed total"));
    dh_page_raw(&pg, "</div></div><div class=\"card\"><div class=\"v\">");
    dh_page_text(&pg, status_label(&pg, s_of(o, "status")));
    dh_page_raw(&pg, "</div><div class=\"k\">");
    dh_page_text(&pg, L(&pg, "Trạng thái", "Status"));
    dh_page_raw(&pg, "</div></div></div><p><a href=\"");
    link_to(&pg, "/chuyen-doi-so", NULL, fw, year);
    dh_page_raw(&pg, "\">");
    dh_page_text(&pg, L(&pg, "Bảng xếp hạng", "Ranking"));
    dh_page_raw(&pg, "</a> · <a href=\"");
    link_to(&pg, "/chuyen-doi-so/danh-gia", unit, fw, year);
    dh_page_raw(&pg, "\">");
    dh_page_text(&pg, L(&pg, "Tự đánh giá, thẩm định", "Self-assessment, appraisal"));
    dh_page_raw(&pg, "</a></p>");
    warnings(&pg, json_object_get(o, "warnings"), false);

    /* Pillar bars: the share of each pillar's maximum. */
    json_t *pillars = json_object_get(o, "pillars");
    size_t np = json_array_size(pillars), i;
    const char **labels = calloc(np ? np : 1, sizeof *labels);
    char(*lb)[200] = calloc(np ? np : 1, sizeof *lb);
    double *share = calloc(np ? np : 1, sizeof *share);
    json_t *p;
    json_array_foreach(pillars, i, p)
    {
        snprintf(lb[i], sizeof lb[i], "%s (%g/%g)", s_of(p, "name"),
                 json_number_value(json_object_get(p, "points")),
                 json_number_value(json_object_get(p, "max")));
        labels[i] = lb[i];
        share[i] = json_is_number(json_object_get(p, "share"))
                       ? json_number_value(json_object_get(p, "share"))
                       : NAN;
    }
    dh_page_raw(&pg, "<h2>");
    dh_page_text(&pg, L(&pg, "Điểm theo trụ cột (% điểm tối đa)", "Points by pillar (% of max)"));
    dh_page_raw(&pg, "</h2>");
    dh_svg_bars(&pg, L(&pg, "Điểm đạt theo trụ cột", "Points by pillar"), labels, share, np, 100,
                "%");
    free(labels);
    free(lb);
    free(share);

    /* Points lost, largest first, with their remediation tasks. */
    dh_page_raw(&pg, "<h2>");
    dh_page_text(&pg, L(&pg, "Điểm bị trừ", "Points lost"));
    dh_page_raw(&pg, "</h2>");
    static const char *const lost_cols[][3] = {{"Tiêu chí", "Criterion", ""},
                                               {"Bị trừ", "Lost", "num"},
                                               {"Đơn vị chủ trì", "Lead", ""},
                                               {"Nhiệm vụ khắc phục", "Remediation task", ""}};
    table_head(&pg, "dti-lost", lost_cols, 4);
    json_t *l;
    bool any_task = false;
    json_array_foreach(json_object_get(o, "lost"), i, l)
    {
        dh_page_raw(&pg, "<tr><td>");
        dh_page_text(&pg, s_of(l, "code"));
        dh_page_raw(&pg, " ");
        dh_page_text(&pg, s_of(l, "name"));
        dh_page_raw(&pg, "</td><td class=\"num\">");
        pts(&pg, json_object_get(l, "lost"));
        dh_page_raw(&pg, "</td><td>");
        dh_page_text(&pg, s_of(l, "responsible"));
        dh_page_raw(&pg, "</td><td>");
        json_t *t = json_object_get(l, "task");
        if (t) {
            any_task = true;
            dh_page_raw(&pg, "<a href=\"/ke-hoach/");
            dh_page_urlenc(&pg, s_of(t, "plan"));
            dh_page_raw(&pg, "\">");
            dh_page_text(&pg, s_of(t, "ordinal"));
            dh_page_raw(&pg, "</a> ");
            dh_page_text(&pg, s_of(t, "state"));
        }
        dh_page_raw(&pg, "</td></tr>");
    }
    dh_page_raw(&pg, "</tbody></table>");
    json_t *tasks = json_object_get(o, "tasks");
    if (json_array_size(tasks)) {
        dh_page_raw(&pg, "<h2>");
        dh_page_text(&pg, L(&pg, "Kế hoạch khắc phục", "Remediation plan"));
        dh_page_raw(&pg, "</h2><ul id=\"dti-tasks\">");
        json_array_foreach(tasks, i, l)
        {
            json_t *t = json_object_get(l, "task");
            dh_page_raw(&pg, "<li>");
            dh_page_text(&pg, s_of(l, "code"));
            dh_page_raw(&pg, ": <a href=\"/ke-hoach/");
            dh_page_urlenc(&pg, s_of(t, "plan"));
            dh_page_raw(&pg, "\">");
            dh_page_text(&pg, s_of(t, "plan"));
            dh_page_raw(&pg, " ");
            dh_page_text(&pg, s_of(t, "ordinal"));
            dh_page_raw(&pg, "</a> (");
            dh_page_text(&pg, s_of(t, "state"));
            dh_page_raw(&pg, ")</li>");
        }
        dh_page_raw(&pg, "</ul>");
    }
    if (!any_task && !json_array_size(tasks) && json_array_size(json_object_get(o, "lost"))) {
        dh_page_raw(&pg, "<form method=\"post\" action=\"/chuyen-doi-so/khac-phuc\">");
        form_target(&pg, unit, fw, year);
        dh_page_raw(&pg, "<button type=\"submit\">");
        dh_page_text(&pg, L(&pg, "Lập kế hoạch khắc phục", "Create the remediation plan"));
        dh_page_raw(&pg, "</button></form>");
    }

    /* Criteria computed from our own data, with their figures. */
    json_t *kpis = json_object_get(o, "kpis");
    if (json_array_size(kpis)) {
        dh_page_raw(&pg, "<h2>");
        dh_page_text(&pg,
                     L(&pg, "Tiêu chí tính từ dữ liệu hồ sơ", "Criteria computed from dossiers"));
        dh_page_raw(&pg, "</h2><table class=\"data\"><tbody>");
        json_array_foreach(kpis, i, l)
        {
            dh_page_raw(&pg, "<tr><td>");
            dh_page_text(&pg, s_of(l, "code"));
            dh_page_raw(&pg, "</td><td>");
            dh_page_text(&pg, s_of(l, "source"));
            dh_page_fmt(&pg, "</td><td class=\"num\">%lld / %lld</td><td class=\"num\">",
                        (long long)json_integer_value(json_object_get(l, "numerator")),
                        (long long)json_integer_value(json_object_get(l, "denominator")));
            if (json_is_number(json_object_get(l, "value"))) {
                pts(&pg, json_object_get(l, "value"));
                dh_page_raw(&pg, "% → ");
                pts(&pg, json_object_get(l, "points"));
            } else {
                dh_page_text(&pg, s_of(l, "na_reason"));
            }
            dh_page_raw(&pg, "</td></tr>");
        }
        dh_page_raw(&pg, "</tbody></table>");
    }
    /* Evidence, notes and appraisal comments. */
    json_t *notes = json_object_get(o, "notes");
    if (json_object_size(notes)) {
        dh_page_raw(&pg, "<h2>");
        dh_page_text(&pg, L(&pg, "Minh chứng, ghi chú, ý kiến thẩm định",
                            "Evidence, notes, appraisal comments"));
        dh_page_raw(&pg, "</h2><table class=\"data\"><tbody>");
        const char *k;
        json_t *v;
        json_object_foreach(notes, k, v)
        {
            dh_page_raw(&pg, "<tr><td>");
            dh_page_text(&pg, k);
            dh_page_raw(&pg, "</td><td>");
            dh_page_text(&pg, s_of(v, "evidence"));
            evidence_files(&pg, json_object_get(v, "evidence_files"), unit, fw, year);
            dh_page_raw(&pg, "</td><td>");
            dh_page_text(&pg, s_of(v, "note"));
            dh_page_raw(&pg, "</td><td>");
            dh_page_text(&pg, s_of(v, "comment"));
            dh_page_raw(&pg, "</td></tr>");
        }
        dh_page_raw(&pg, "</tbody></table>");
    }
    /* Year over year: the totals of the same framework code, up to five years. */
    double tot[5];
    char ylab[5][8];
    const char *ylabels[5];
    size_t ny = 0;
    for (int y = year - 4; y <= year; y++) {
        json_t *h = NULL;
        dh_err he;
        if (y == year)
            h = json_incref(o);
        else if (dh_app_dti_score(rq->app, &rq->actor, unit, fw, y, rq->now, &h, &he))
            continue;
        snprintf(ylab[ny], sizeof ylab[ny], "%d", y);
        ylabels[ny] = ylab[ny];
        tot[ny++] = json_number_value(json_object_get(h, "total"));
        json_decref(h);
    }
    dh_page_raw(&pg, "<h2>");
    dh_page_text(&pg, L(&pg, "Qua các năm", "Year over year"));
    dh_page_raw(&pg, "</h2>");
    if (ny >= 2) {
        dh_svg_line(&pg, L(&pg, "Tổng điểm qua các năm", "Total by year"), ylabels, tot, ny, NAN,
                    "");
    } else {
        dh_page_raw(&pg, "<p>");
        dh_page_text(&pg, L(&pg, "Chưa có kết quả năm trước của cùng bộ chỉ số.",
                            "No earlier year of the same framework yet."));
        dh_page_raw(&pg, "</p>");
    }
    json_t *rem = json_object_get(o, "remediation");
    if (json_array_size(rem)) {
        static const char *const rec_cols[][3] = {
            {"Tiêu chí bị trừ năm trước", "Lost last year", ""},
            {"Nhiệm vụ", "Task", ""},
            {"Điểm đã lấy lại", "Points back", ""}};
        table_head(&pg, "dti-recovery", rec_cols, 3);
        json_array_foreach(rem, i, l)
        {
            json_t *t = json_object_get(l, "task");
            dh_page_raw(&pg, "<tr><td>");
            dh_page_text(&pg, s_of(l, "code"));
            dh_page_raw(&pg, " ");
            dh_page_text(&pg, s_of(l, "name"));
            dh_page_raw(&pg, "</td><td>");
            dh_page_text(&pg, json_is_true(json_object_get(t, "done"))
                                  ? L(&pg, "Đã hoàn thành", "Done")
                                  : L(&pg, "Chưa hoàn thành", "Not done"));
            dh_page_raw(&pg, "</td><td>");
            pts(&pg, json_object_get(l, "points_back"));
            dh_page_raw(&pg, " / ");
            pts(&pg, json_object_get(l, "lost_before"));
            dh_page_raw(&pg, "</td></tr>");
        }
        dh_page_raw(&pg, "</tbody></table>");
    }
    json_decref(o);
    dh_pages_send(rs, &pg, status);
}

static void get_scorecard(dh_req *rq, dh_resp *rs)
{
    if (!dh_pages_signed_in(rq, rs))
        return;
    char fw[80];
    int year;
    const char *unit = dh_pages_unit_or_root(rq, dh_req_query(rq, "unit"));
    if (which(rq, fw, sizeof fw, &year)) {
        dh_err e;
        dh_page pg;
        dh_pages_init(rq, &pg);
        dh_err_set(&e, DH_E_NOTFOUND, "unknown_framework", "framework", "no framework yet");
        dh_pages_error(rs, &pg, &e);
        return;
    }
    scorecard_page(rq, rs, unit, fw, year, NULL, false, 200);
}

/* ------------------------------------------------------------------ */
/* The self-assessment and appraisal form.                            */

static void form_page(dh_req *rq, dh_resp *rs, const char *unit, const char *fw, int year,
                      const char *message, bool error, int status)
{
    dh_page pg;
    dh_pages_init(rq, &pg);
    dh_err e;
    json_t *a = NULL, *card = NULL;
    if (dh_app_dti_assessment_get(rq->app, &rq->actor, unit, fw, year, rq->now, &a, &e) ||
        dh_app_dti_score(rq->app, &rq->actor, unit, fw, year, rq->now, &card, &e)) {
        json_decref(a);
        dh_pages_error(rs, &pg, &e);
        return;
    }
    const char *st = s_of(a, "status");
    bool own = !strcmp(st, "self_assessment"), published = !strcmp(st, "published");
    char title[300];
    snprintf(title, sizeof title, "%s %d: %s",
             own ? L(&pg, "Tự đánh giá chỉ số chuyển đổi số", "DTI self-assessment")
                 : L(&pg, "Thẩm định chỉ số chuyển đổi số", "DTI appraisal"),
             year, s_of(card, "name"));
    dh_page_begin(&pg, title, "cds");
    if (message) {
        dh_page_raw(&pg, error ? "<p class=\"err\" role=\"alert\">" : "<p role=\"status\">");
        dh_page_text(&pg, message);
        dh_page_raw(&pg, "</p>");
    }
    dh_page_raw(&pg, "<p id=\"dti-status\">");
    dh_page_text(&pg, status_label(&pg, st));
    dh_page_fmt(&pg, " · %s %lld · <a href=\"", L(&pg, "lần sửa", "revision"),
                (long long)json_integer_value(json_object_get(a, "revision")));
    link_to(&pg, "/chuyen-doi-so/don-vi", unit, fw, year);
    dh_page_raw(&pg, "\">");
    dh_page_text(&pg, L(&pg, "Xem kết quả", "See the scorecard"));
    dh_page_raw(&pg, "</a></p>");
    /* The next step. */
    const char *action = own                        ? "submit"
                         : !strcmp(st, "submitted") ? "appraise"
                         : !strcmp(st, "appraisal") ? "publish"
                                                    : NULL;
    if (action) {
        dh_page_raw(&pg, "<form method=\"post\" action=\"/chuyen-doi-so/danh-gia\">");
        form_target(&pg, unit, fw, year);
        dh_page_fmt(&pg, "<input type=\"hidden\" name=\"action\" value=\"%s\">", action);
        dh_page_raw(&pg, "<button type=\"submit\" id=\"dti-step\">");
        dh_page_text(&pg, !strcmp(action, "submit") ? L(&pg, "Gửi thẩm định", "Submit")
                          : !strcmp(action, "appraise")
                              ? L(&pg, "Bắt đầu thẩm định", "Start the appraisal")
                              : L(&pg, "Công bố", "Publish"));
        dh_page_raw(&pg, "</button></form>");
    }
    /* One form per criterion (leaves only). */
    json_t *ents = json_object_get(a, "entries");
    static const char *const form_cols[][3] = {{"Tiêu chí", "Criterion", ""},
                                               {"Tự đánh giá", "Self-assessed", ""},
                                               {"Thẩm định", "Appraised", ""},
                                               {"Nhập", "Enter", ""}};
    table_head(&pg, NULL, form_cols, 4);
    size_t i, j;
    json_t *l, *en;
    /* Every leaf criterion of the framework, in its order; a kpi criterion
     * shows the value computed from the dossiers (pre-filled). */
    json_t *kpis = json_object_get(card, "kpis");
    json_array_foreach(json_object_get(a, "criteria"), i, l)
    {
        if (!json_is_true(json_object_get(l, "leaf")))
            continue;
        const char *code = s_of(l, "code");
        json_t *cur = NULL, *kp = NULL;
        json_array_foreach(ents, j, en) if (!strcmp(s_of(en, "criterion"), code)) cur = en;
        json_array_foreach(kpis, j, en) if (!strcmp(s_of(en, "code"), code)) kp = en;
        dh_page_raw(&pg, "<tr><td>");
        dh_page_text(&pg, code);
        dh_page_raw(&pg, "<br><small>");
        dh_page_text(&pg, s_of(l, "name"));
        dh_page_raw(&pg, " (");
        pts(&pg, json_object_get(l, "max"));
        dh_page_raw(&pg, ", ");
        dh_page_text(&pg, s_of(l, "method"));
        dh_page_raw(&pg, ")</small>");
        if (kp && json_is_number(json_object_get(kp, "value"))) {
            dh_page_raw(&pg, "<br><small class=\"kpi\">");
            dh_page_text(&pg, L(&pg, "Tính từ hồ sơ: ", "From dossiers: "));
            dh_page_fmt(&pg, "%lld/%lld = ",
                        (long long)json_integer_value(json_object_get(kp, "numerator")),
                        (long long)json_integer_value(json_object_get(kp, "denominator")));
            pts(&pg, json_object_get(kp, "value"));
            dh_page_raw(&pg, "%</small>");
        }
        if (cur && (*s_of(cur, "evidence") || *s_of(cur, "note"))) {
            dh_page_raw(&pg, "<br><small>");
            dh_page_text(&pg, L(&pg, "Minh chứng: ", "Evidence: "));
            dh_page_text(&pg, s_of(cur, "evidence"));
            dh_page_raw(&pg, " ");
            dh_page_text(&pg, s_of(cur, "note"));
            dh_page_raw(&pg, "</small>");
        }
        if (cur)
            evidence_files(&pg, json_object_get(cur, "evidence_files"), unit, fw, year);
        dh_page_raw(&pg, "</td><td class=\"num\">");
        pts(&pg, cur ? json_object_get(cur, "self_points") : NULL);
        dh_page_raw(&pg, " / ");
        pts(&pg, cur ? json_object_get(cur, "self_value") : NULL);
        dh_page_raw(&pg, "</td><td class=\"num\">");
        pts(&pg, cur ? json_object_get(cur, "points") : NULL);
        dh_page_raw(&pg, " / ");
        pts(&pg, cur ? json_object_get(cur, "value") : NULL);
        if (cur && *s_of(cur, "comment")) {
            dh_page_raw(&pg, "<br>");
            dh_page_text(&pg, s_of(cur, "comment"));
        }
        dh_page_raw(&pg, "</td><td>");
        if (strcmp(st, "submitted")) {
            dh_page_raw(&pg, "<form class=\"filters\" method=\"post\" "
                             "action=\"/chuyen-doi-so/danh-gia\">");
            form_target(&pg, unit, fw, year);
            dh_page_raw(&pg, "<input type=\"hidden\" name=\"criterion\" value=\"");
            dh_page_attr(&pg, code);
            dh_page_raw(&pg, "\"><label>");
            dh_page_text(&pg, L(&pg, "Điểm", "Points"));
            dh_page_raw(&pg, "<input name=\"points\" inputmode=\"decimal\" size=\"6\"></label>"
                             "<label>");
            dh_page_text(&pg, L(&pg, "Giá trị %", "Value %"));
            dh_page_raw(&pg, "<input name=\"value\" inputmode=\"decimal\" size=\"6\"></label>");
            const char *extra = own ? "evidence" : published ? "reason" : "comment";
            dh_page_raw(&pg, "<label>");
            dh_page_text(&pg, own         ? L(&pg, "Minh chứng", "Evidence")
                              : published ? L(&pg, "Lý do sửa", "Reason")
                                          : L(&pg, "Ý kiến thẩm định", "Comment"));
            dh_page_fmt(&pg, "<input name=\"%s\"%s></label>", extra, published ? " required" : "");
            dh_page_raw(&pg, "<button type=\"submit\">");
            dh_page_text(&pg, L(&pg, "Lưu", "Save"));
            dh_page_raw(&pg, "</button></form>");
        }
        if (own || !strcmp(st, "appraisal")) {
            /* An evidence file of this criterion: sent by /static/app.js as
             * the raw body of POST /api/v1/dti/evidence, then the page again. */
            dh_page_raw(&pg, "<form class=\"dti-upload\" data-csrf=\"");
            dh_page_attr(&pg, pg.csrf);
            dh_page_raw(&pg, "\" data-url=\"");
            link_to(&pg, "/api/v1/dti/evidence", unit, fw, year);
            dh_page_raw(&pg, "&amp;criterion=");
            dh_page_urlenc(&pg, code);
            dh_page_raw(&pg, "\"><label><small>");
            dh_page_text(&pg, L(&pg, "Tệp minh chứng", "Evidence file"));
            dh_page_raw(&pg, "</small> <input type=\"file\" name=\"file\" "
                             "accept=\".pdf,.docx,.doc,.xlsx,.odt,.txt\" required></label> "
                             "<button type=\"submit\">");
            dh_page_text(&pg, L(&pg, "Tải lên", "Upload"));
            dh_page_raw(&pg, "</button> <span role=\"status\"></span></form>");
        }
        dh_page_raw(&pg, "</td></tr>");
    }
    dh_page_raw(&pg, "</tbody></table>");
    json_decref(a);
    json_decref(card);
    dh_pages_send(rs, &pg, status);
}

static void get_form(dh_req *rq, dh_resp *rs)
{
    if (!dh_pages_signed_in(rq, rs))
        return;
    char fw[80];
    int year = 0;
    const char *unit = dh_pages_unit_or_root(rq, dh_req_query(rq, "unit"));
    if (which(rq, fw, sizeof fw, &year))
        fw[0] = '\0';
    form_page(rq, rs, unit, fw, year, NULL, false, 200);
}

/* A number field of the form: NULL when empty; "bad" set when not a number. */
static json_t *form_num(const char *s, bool *bad)
{
    if (!s || !*s)
        return NULL;
    char b[64], *end;
    snprintf(b, sizeof b, "%s", s);
    for (char *p = b; *p; p++)
        if (*p == ',')
            *p = '.';
    double v = strtod(b, &end);
    if (*end || !isfinite(v)) {
        *bad = true;
        return NULL;
    }
    return json_real(v);
}

static void post_form(dh_req *rq, dh_resp *rs)
{
    if (!dh_pages_signed_in(rq, rs))
        return;
    char ub[64], fb[80], yb[16], ab[16], cb[80], pb[64], vb[64], eb[2000], rb[2000], mb[2000];
    const char *unit = dh_req_form(rq, "unit", ub, sizeof ub),
               *fw = dh_req_form(rq, "framework", fb, sizeof fb),
               *ys = dh_req_form(rq, "year", yb, sizeof yb),
               *action = dh_req_form(rq, "action", ab, sizeof ab),
               *crit = dh_req_form(rq, "criterion", cb, sizeof cb),
               *ps = dh_req_form(rq, "points", pb, sizeof pb),
               *vs = dh_req_form(rq, "value", vb, sizeof vb),
               *evidence = dh_req_form(rq, "evidence", eb, sizeof eb),
               *reason = dh_req_form(rq, "reason", rb, sizeof rb),
               *comment = dh_req_form(rq, "comment", mb, sizeof mb);
    int year = ys ? atoi(ys) : 0;
    if (!unit || !fw || !year) {
        dh_page pg;
        dh_pages_init(rq, &pg);
        dh_err e;
        dh_err_set(&e, DH_E_INVALID, "missing_field", "unit", "unit, framework, year required");
        dh_pages_error(rs, &pg, &e);
        return;
    }
    dh_err e;
    json_t *out = NULL;
    dh_status st;
    const char *ok;
    if (action && *action) {
        st = dh_app_dti_step(rq->app, &rq->actor, unit, fw, year, action, rq->now, &out, &e);
        ok = "Đã chuyển bước.";
    } else {
        bool bad = false;
        json_t *b = json_pack("{s:s,s:s,s:i,s:s}", "unit", unit, "framework", fw, "year", year,
                              "criterion", crit ? crit : "");
        json_t *p = form_num(ps, &bad), *v = form_num(vs, &bad);
        if (p)
            json_object_set_new(b, "points", p);
        if (v)
            json_object_set_new(b, "value", v);
        const char *const texts[][2] = {
            {"evidence", evidence}, {"reason", reason}, {"comment", comment}};
        for (size_t i = 0; i < 3; i++)
            if (texts[i][1] && *texts[i][1])
                json_object_set_new(b, texts[i][0], json_string(texts[i][1]));
        if (bad)
            st = dh_err_set(&e, DH_E_INVALID, "invalid_type", "points",
                            "Điểm và giá trị phải là số.");
        else
            st = dh_app_dti_entry_put(rq->app, &rq->actor, b, rq->now, &out, &e);
        json_decref(b);
        ok = "Đã lưu.";
    }
    json_decref(out);
    if (st)
        form_page(rq, rs, unit, fw, year, e.message, true, dh_err_http_status(e.status));
    else
        form_page(rq, rs, unit, fw, year, ok, false, 200);
}

static void post_remediation(dh_req *rq, dh_resp *rs)
{
    if (!dh_pages_signed_in(rq, rs))
        return;
    char ub[64], fb[80], yb[16];
    const char *unit = dh_req_form(rq, "unit", ub, sizeof ub),
               *fw = dh_req_form(rq, "framework", fb, sizeof fb),
               *ys = dh_req_form(rq, "year", yb, sizeof yb);
    int year = ys ? atoi(ys) : 0;
    dh_err e;
    json_t *out = NULL;
    dh_status st = dh_app_dti_remediation(rq->app, &rq->actor, unit ? unit : "", fw ? fw : "", year,
                                          NULL, rq->now, &out, &e);
    json_decref(out);
    if (st)
        scorecard_page(rq, rs, unit ? unit : "", fw ? fw : "", year, e.message, true,
                       dh_err_http_status(e.status));
    else
        scorecard_page(rq, rs, unit, fw, year, "Đã lập kế hoạch khắc phục.", false, 200);
}

const dh_route dh_routes_pages_dti[] = {
    {"GET", "/chuyen-doi-so", get_ranking, DH_ROUTE_PAGE},
    {"GET", "/chuyen-doi-so/don-vi", get_scorecard, DH_ROUTE_PAGE},
    {"GET", "/chuyen-doi-so/danh-gia", get_form, DH_ROUTE_PAGE},
    {"POST", "/chuyen-doi-so/danh-gia", post_form, DH_ROUTE_PAGE},
    {"POST", "/chuyen-doi-so/khac-phuc", post_remediation, DH_ROUTE_PAGE},
    {0, 0, 0, 0},
};
