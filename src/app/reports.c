/* reports.c - Biểu II.06a/VPCP/KSTT (domain.md §3): the dossiers a period
 * sees, per field of the procedures, counted by replaying every dossier as it
 * stood at the end of the period. This is the exact reference count; the
 * rules are written down in docs/KPIS.md. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "app/xlsxout.h"
#include "app/pdf.h"
#include <pango/pangocairo.h>

#include "app/internal.h"
#include "util/buf.h"
#include "util/csv.h"
#include "util/html.h"
#include "util/text.h"

enum { RECEIVED_TOTAL, RECEIVED_ONLINE, RECEIVED_COUNTER_POSTAL, CARRIED_OVER, RESOLVED_TOTAL,
       EARLY, ON_TIME, LATE, IN_PROGRESS_TOTAL, WITHIN, OVERDUE, NCOUNTS,
       /* beyond the form: what the KPI rates need */
       BY_APPLICANT = NCOUNTS, PAID, PAID_ONLINE, DIGITISED, RATED, SATISFIED, RESOLVED_MINUTES,
       RECEIVED_COUNTER, RECEIVED_POSTAL, NALL };

static const char *const extra_names[NALL - NCOUNTS] = {
    "received_by_applicant", "paid", "paid_online", "digitised", "rated", "satisfied",
    "resolved_working_minutes", "received_counter", "received_postal"};

static const char *const count_names[NCOUNTS] = {
    "received_total", "received_online", "received_counter_postal", "carried_over",
    "resolved_total", "early",           "on_time",                 "late",
    "in_progress_total", "within",       "overdue"};

static const char *const count_vi[NCOUNTS] = {
    "Tổng số hồ sơ tiếp nhận", "Trong đó: trực tuyến", "Trực tiếp và dịch vụ bưu chính",
    "Từ kỳ trước chuyển qua",  "Tổng số đã giải quyết", "Trước hạn", "Đúng hạn", "Quá hạn",
    "Tổng số đang giải quyết", "Trong hạn", "Quá hạn"};

typedef struct field_row {
    char *field; /* the group's key: a field, a unit code or a procedure code */
    long n[NALL];
} field_row;

enum { GROUP_FIELD = DH_GROUP_FIELD, GROUP_UNIT = DH_GROUP_UNIT,
       GROUP_PROCEDURE = DH_GROUP_PROCEDURE, GROUP_NONE = DH_GROUP_NONE };

/* ---- The exact recount: every dossier replayed at the end of the period.
 * The reference the aggregates are tested against (docs/KPIS.md); served
 * with exact=1. */

struct scan {
    dh_replayer *r;
    int group;
    time_t start, end;
    field_row *rows;
    size_t nrows;
    const dh_unitreg *reg; /* for rolling units up into today's, or NULL */
    dh_date today;
    const dh_agg_filter *filter; /* or NULL */
    dh_status st;
    dh_err *e;
};

static field_row *row_for(struct scan *s, const char *field)
{
    for (size_t i = 0; i < s->nrows; i++)
        if (strcmp(s->rows[i].field, field) == 0)
            return &s->rows[i];
    s->rows = dh_xrealloc(s->rows, (s->nrows + 1) * sizeof *s->rows);
    field_row *r = &s->rows[s->nrows++];
    memset(r, 0, sizeof *r);
    r->field = dh_xstrdup(field);
    return r;
}

static bool in_period(const struct scan *s, time_t t) { return t && t >= s->start && t < s->end; }

static int on_candidate(void *cl, const dh_dossier_row *row)
{
    struct scan *s = cl;
    dh_dossier_view v;
    const dh_proc *p;
    dh_err ve;
    dh_status st = dh_replayer_view(s->r, row->code, s->end - 1, &v, &p, &ve);
    if (st == DH_E_NOTFOUND)
        return 0;
    if (st) {
        *s->e = ve;
        s->st = st;
        return 1;
    }
    const dh_agg_filter *flt = s->filter;
    if (flt && ((flt->procedure && strcmp(flt->procedure, p->code)) ||
                (flt->field && strcmp(flt->field, *p->field ? p->field : "Khác"))))
        return 0;
    bool finished = v.state == DH_DS_RESOLVED || v.state == DH_DS_CLOSED;
    bool counted = !(finished && v.finished_at < s->start);
    bool paid = in_period(s, v.first_paid_at), rated = in_period(s, v.first_rated_at);
    if (!counted && !paid && !rated)
        return 0;
    const char *key = s->group == GROUP_UNIT ? (s->reg ? dh_agg_today_unit(s->reg,
                                                                           v.receiving_unit,
                                                                           s->today)
                                                       : v.receiving_unit)
                      : s->group == GROUP_PROCEDURE ? p->code
                      : s->group == GROUP_NONE      ? "*"
                                                    : (*p->field ? p->field : "Khác");
    field_row *fr = row_for(s, key);
    long *n = fr->n;
    if (paid) {
        n[PAID]++;
        n[PAID_ONLINE] += v.first_paid_online;
    }
    if (rated) {
        n[RATED]++;
        n[SATISFIED] += v.first_rating >= 4;
    }
    if (!counted)
        return 0;
    if (v.received_at < s->start) {
        n[CARRIED_OVER]++;
    } else {
        n[v.channel == DH_CH_ONLINE ? RECEIVED_ONLINE : RECEIVED_COUNTER_POSTAL]++;
        n[RECEIVED_COUNTER] += v.channel == DH_CH_COUNTER;
        n[RECEIVED_POSTAL] += v.channel == DH_CH_POSTAL;
        n[BY_APPLICANT] += v.by_applicant && v.channel == DH_CH_ONLINE;
        n[DIGITISED] += v.digitised_input_at && dh_date_of_time_vn(v.digitised_input_at) ==
                                                    dh_date_of_time_vn(v.received_at);
    }
    n[RECEIVED_TOTAL]++;
    if (finished) {
        n[RESOLVED_TOTAL]++;
        n[RESOLVED_MINUTES] += v.used_minutes;
        n[v.outcome == DH_OUT_EARLY ? EARLY : v.outcome == DH_OUT_ON_TIME ? ON_TIME : LATE]++;
    } else {
        n[IN_PROGRESS_TOTAL]++;
        n[v.outcome == DH_OUT_OVERDUE ? OVERDUE : WITHIN]++;
    }
    return 0;
}

static int cmp_rows(const void *a, const void *b)
{
    return dh_text_collate(((const field_row *)a)->field, ((const field_row *)b)->field);
}

/* codes (units, procedures) in byte order, as the aggregates give them */
static int cmp_rows_code(const void *a, const void *b)
{
    return strcmp(((const field_row *)a)->field, ((const field_row *)b)->field);
}

static json_t *counts_json(const long *n)
{
    json_t *o = json_object();
    for (int i = 0; i < NCOUNTS; i++)
        json_object_set_new(o, count_names[i], json_integer(n[i]));
    return o;
}

static bool identities_hold(const long *n)
{
    return n[RECEIVED_TOTAL] == n[RECEIVED_ONLINE] + n[RECEIVED_COUNTER_POSTAL] + n[CARRIED_OVER] &&
           n[RESOLVED_TOTAL] == n[EARLY] + n[ON_TIME] + n[LATE] &&
           n[IN_PROGRESS_TOTAL] == n[WITHIN] + n[OVERDUE] &&
           n[RECEIVED_TOTAL] == n[RESOLVED_TOTAL] + n[IN_PROGRESS_TOTAL];
}

static void from_figures(long *n, const dh_kfigures *f)
{
    n[RECEIVED_TOTAL] = f->received_total;
    n[RECEIVED_ONLINE] = f->received_online;
    n[RECEIVED_COUNTER_POSTAL] = f->received_counter_postal;
    n[CARRIED_OVER] = f->carried_over;
    n[RESOLVED_TOTAL] = f->resolved_total;
    n[EARLY] = f->early;
    n[ON_TIME] = f->on_time;
    n[LATE] = f->late;
    n[IN_PROGRESS_TOTAL] = f->in_progress_total;
    n[WITHIN] = f->within;
    n[OVERDUE] = f->overdue;
    n[BY_APPLICANT] = f->received_by_applicant;
    n[PAID] = f->paid;
    n[PAID_ONLINE] = f->paid_online;
    n[DIGITISED] = f->digitised;
    n[RATED] = f->rated;
    n[SATISFIED] = f->satisfied;
    n[RESOLVED_MINUTES] = f->resolved_minutes;
    n[RECEIVED_COUNTER] = f->received_counter;
    n[RECEIVED_POSTAL] = f->received_postal;
}

/* Counts the dossiers a period sees, grouped; rows sorted by key (the
 * caller frees rows[i].field and rows). From the aggregates, or by
 * replaying every dossier when flags has DH_KPI_EXACT. */
static dh_status scan_period(dh_app *app, const dh_actor *a, const char *units, int group,
                             const dh_agg_filter *filter, dh_date from, dh_date to,
                             unsigned flags, time_t now, field_row **rows, size_t *nrows,
                             dh_err *e)
{
    *rows = NULL;
    *nrows = 0;
    dh_date today = dh_date_of_time_vn(now);
    if (!(flags & DH_KPI_EXACT)) {
        dh_agg_group *g;
        size_t ng;
        dh_status st = dh_agg_query_f(app, units, group, flags & DH_KPI_TODAY_UNITS, filter,
                                      from, to, today, &g, &ng, e);
        if (st)
            return st;
        *rows = dh_xcalloc(ng ? ng : 1, sizeof **rows);
        for (size_t i = 0; i < ng; i++) {
            (*rows)[i].field = g[i].key;
            g[i].key = NULL;
            from_figures((*rows)[i].n, &g[i].f);
        }
        *nrows = ng;
        dh_agg_groups_free(g, ng);
        return DH_OK;
    }
    dh_replayer *r = dh_replayer_open(app, a, e);
    if (!r)
        return e->status;
    const dh_unitreg *reg = NULL;
    if (flags & DH_KPI_TODAY_UNITS) {
        reg = dh_app_units_acquire(app, e);
        if (!reg) {
            dh_replayer_close(r);
            return e->status;
        }
    }
    struct scan s = {r,  group, (time_t)((int64_t)from * 86400 - DH_VN_OFFSET),
                     (time_t)((int64_t)(to + 1) * 86400 - DH_VN_OFFSET), NULL, 0, reg, today,
                     filter, DH_OK, e};
    dh_conn *c = dh_replayer_conn(r);
    /* since 0: a dossier finished before the period may still have been
     * paid or rated in it */
    dh_status st = DH_DOSSIERS(c)->scan_dossiers(c, units, 0, s.end, on_candidate, &s, e);
    if (st == DH_OK)
        st = s.st;
    dh_replayer_close(r);
    if (reg)
        dh_app_units_release(app, reg);
    if (s.nrows)
        qsort(s.rows, s.nrows, sizeof *s.rows, group == GROUP_FIELD ? cmp_rows : cmp_rows_code);
    *rows = s.rows;
    *nrows = s.nrows;
    return st;
}

dh_status dh_app_report_ii06a(dh_app *app, const dh_actor *a, const char *unit, dh_date from,
                              dh_date to, unsigned flags, time_t now, json_t **out, dh_err *e)
{
    if (!unit || !*unit)
        return dh_err_set(e, DH_E_INVALID, "missing_field", "unit", "unit is required");
    if (to < from)
        return dh_err_set(e, DH_E_INVALID, "invalid_range", "to", "to is before from");
    char *units = NULL;
    dh_status st = dh_app_scope_units(app, a, unit, true, now, &units, e);
    if (st)
        return st;
    field_row *fr;
    size_t nfr;
    st = scan_period(app, a, units, GROUP_FIELD, NULL, from, to, flags, now, &fr, &nfr, e);
    free(units);
    long total[NCOUNTS] = {0};
    json_t *rows = json_array();
    for (size_t i = 0; i < nfr; i++) {
        for (int k = 0; k < NCOUNTS; k++)
            total[k] += fr[i].n[k];
        if (st == DH_OK && !identities_hold(fr[i].n))
            st = dh_err_set(e, DH_E_INTERNAL, "identity_failed", NULL,
                            "II.06a identities do not hold for field %s", fr[i].field);
        json_t *o = counts_json(fr[i].n);
        json_object_set_new(o, "field", json_string(fr[i].field));
        json_array_append_new(rows, o);
        free(fr[i].field);
    }
    free(fr);
    if (st == DH_OK && !identities_hold(total))
        st = dh_err_set(e, DH_E_INTERNAL, "identity_failed", NULL,
                        "II.06a identities do not hold for the total");
    if (st) {
        json_decref(rows);
        return st;
    }
    char f[DH_DATE_TEXT_LEN], t[DH_DATE_TEXT_LEN];
    dh_date_format(from, f);
    dh_date_format(to, t);
    *out = json_pack("{s:s,s:s,s:s,s:o,s:o}", "unit", unit, "from", f, "to", t, "rows", rows,
                     "total", counts_json(total));
    return DH_OK;
}

void dh_app_ii06a_header(dh_app *app, json_t *rep, time_t now)
{
    const char *unit = json_string_value(json_object_get(rep, "unit"));
    dh_date today = dh_date_of_time_vn(now), at = today;
    /* the units as they were at the period's end; the date is today's */
    const char *to = json_string_value(json_object_get(rep, "to"));
    if (to && dh_date_parse(to, &at) == 0 && at > today)
        at = today;
    char name[400], recv[400] = "Văn phòng Chính phủ", place[400] = "";
    dh_app_unit_name(app, unit, at, name, sizeof name);
    dh_err e;
    const dh_unitreg *reg = dh_app_units_acquire(app, &e);
    int32_t u = reg ? dh_unitreg_find(reg, unit) : -1;
    const dh_unit_version *v = u >= 0 ? dh_unitreg_nearest(reg, u, at) : NULL;
    if (v && v->parent >= 0)
        dh_app_unit_name_in(reg, reg->u[v->parent].code, at, recv, sizeof recv);
    /* the place: the province the unit belongs to, by its short name */
    const dh_unit_version *top = v;
    for (int guard = 0; top && top->parent >= 0 && guard < 64; guard++)
        top = dh_unitreg_nearest(reg, top->parent, at);
    if (top)
        snprintf(place, sizeof place, "%s", *top->short_name ? top->short_name : top->name);
    if (reg)
        dh_app_units_release(app, reg);
    int y, m, d;
    dh_date_to_ymd(today, &y, &m, &d);
    char date[64];
    snprintf(date, sizeof date, "ngày %02d tháng %02d năm %d", d, m, y);
    json_object_set_new(rep, "header",
                        json_pack("{s:s,s:s,s:s,s:s}", "reporting_unit", name, "receiving_unit",
                                  recv, "place", place, "date", date));
}

static const char *head_of(const json_t *rep, const char *key)
{
    const char *s = json_string_value(json_object_get(json_object_get((json_t *)rep, "header"),
                                                      key));
    return s ? s : "";
}

/* "2025-03-01" -> "01/03/2025" (the way dates are written on forms) */
static const char *vn_date(const json_t *rep, const char *key, char *buf)
{
    const char *s = json_string_value(json_object_get((json_t *)rep, key));
    if (!s || strlen(s) != 10)
        return s ? s : "";
    snprintf(buf, 11, "%.2s/%.2s/%.4s", s + 8, s + 5, s);
    return buf;
}

static long count_of(json_t *o, int k) { return (long)json_integer_value(json_object_get(o, count_names[k])); }

char *dh_report_ii06a_csv(const json_t *rep)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    const char *head[NCOUNTS + 2] = {"STT", "Lĩnh vực"};
    for (int k = 0; k < NCOUNTS; k++)
        head[k + 2] = count_vi[k];
    dh_csv_write_row(f, head, NCOUNTS + 2);
    size_t i;
    json_t *r;
    char cells[NCOUNTS + 2][32];
    const char *row[NCOUNTS + 2];
    json_array_foreach(json_object_get(rep, "rows"), i, r)
    {
        snprintf(cells[0], sizeof cells[0], "%zu", i + 1);
        row[0] = cells[0];
        row[1] = json_string_value(json_object_get(r, "field"));
        for (int k = 0; k < NCOUNTS; k++) {
            snprintf(cells[k + 2], sizeof cells[k + 2], "%ld", count_of(r, k));
            row[k + 2] = cells[k + 2];
        }
        dh_csv_write_row(f, row, NCOUNTS + 2);
    }
    json_t *t = json_object_get(rep, "total");
    row[0] = "";
    row[1] = "Tổng cộng";
    for (int k = 0; k < NCOUNTS; k++) {
        snprintf(cells[k + 2], sizeof cells[k + 2], "%ld", count_of(t, k));
        row[k + 2] = cells[k + 2];
    }
    dh_csv_write_row(f, row, NCOUNTS + 2);
    fclose(f);
    return text;
}


char *dh_report_ii06a_html(const json_t *rep, const char *unit_name, bool link_css)
{
    dh_buf b = {0};
    dh_buf_puts(&b, "<!doctype html><html lang=\"vi\"><head><meta charset=\"utf-8\"><title>Biểu "
                    "II.06a</title>");
    dh_html_doc_style(&b, link_css);
    dh_buf_puts(&b, "</head><body class=\"form\"><table><caption>Biểu số II.06a/VPCP/KSTT — "
                    "Tình hình, kết quả giải quyết thủ tục hành chính tại ");
    dh_html_escape(&b, unit_name, false);
    char d1[11], d2[11];
    dh_buf_puts(&b, " (từ ngày ");
    dh_html_escape(&b, vn_date(rep, "from", d1), false);
    dh_buf_puts(&b, " đến ngày ");
    dh_html_escape(&b, vn_date(rep, "to", d2), false);
    dh_buf_puts(&b, "; đơn vị tính: hồ sơ)</caption><thead><tr><th scope=\"col\">STT</th>"
                    "<th scope=\"col\">Lĩnh vực</th>");
    for (int k = 0; k < NCOUNTS; k++) {
        dh_buf_puts(&b, "<th scope=\"col\">");
        dh_html_escape(&b, count_vi[k], false);
        dh_buf_puts(&b, "</th>");
    }
    dh_buf_puts(&b, "</tr></thead><tbody>");
    size_t i;
    json_t *r;
    char num[32];
    json_array_foreach(json_object_get(rep, "rows"), i, r)
    {
        snprintf(num, sizeof num, "%zu", i + 1);
        dh_buf_puts(&b, "<tr><td class=\"n\">");
        dh_buf_puts(&b, num);
        dh_buf_puts(&b, "</td><th scope=\"row\">");
        dh_html_escape(&b, json_string_value(json_object_get(r, "field")), false);
        dh_buf_puts(&b, "</th>");
        for (int k = 0; k < NCOUNTS; k++) {
            snprintf(num, sizeof num, "<td class=\"n\">%ld</td>", count_of(r, k));
            dh_buf_puts(&b, num);
        }
        dh_buf_puts(&b, "</tr>");
    }
    dh_buf_puts(&b, "</tbody><tfoot><tr><td></td><th scope=\"row\">Tổng cộng</th>");
    json_t *t = json_object_get(rep, "total");
    for (int k = 0; k < NCOUNTS; k++) {
        snprintf(num, sizeof num, "<td class=\"n\">%ld</td>", count_of(t, k));
        dh_buf_puts(&b, num);
    }
    dh_buf_puts(&b, "</tr></tfoot></table></body></html>");
    dh_buf_append(&b, "", 1);
    return b.p;
}

/* ---- XLSX (libxlsxwriter) ------------------------------------------------ */

static lxw_format *head_plain(lxw_workbook *wb)
{
    lxw_format *f = workbook_add_format(wb);
    format_set_bold(f);
    return f;
}

dh_status dh_report_ii06a_xlsx(const json_t *rep, const char *unit_name, char **out, size_t *len,
                               dh_err *e)
{
    dh_xlsx x;
    lxw_workbook *wb = dh_xlsx_begin(&x);
    if (!wb)
        return dh_err_set(e, DH_E_INTERNAL, "xlsx_failed", NULL, "cannot start the workbook");
    lxw_worksheet *ws = workbook_add_worksheet(wb, "II.06a");
    if (!ws)
        return dh_xlsx_end(&x, out, len, e);
    lxw_format *title = workbook_add_format(wb);
    format_set_bold(title);
    format_set_font_size(title, 13);
    format_set_align(title, LXW_ALIGN_CENTER);
    lxw_format *head = workbook_add_format(wb);
    format_set_bold(head);
    format_set_text_wrap(head);
    format_set_align(head, LXW_ALIGN_CENTER);
    format_set_align(head, LXW_ALIGN_VERTICAL_CENTER);
    format_set_border(head, LXW_BORDER_THIN);
    lxw_format *cell = workbook_add_format(wb);
    format_set_border(cell, LXW_BORDER_THIN);
    lxw_format *total = workbook_add_format(wb);
    format_set_bold(total);
    format_set_border(total, LXW_BORDER_THIN);
    char line[600];
    /* the form's corner: who reports to whom (Circular 01/2020/TT-VPCP) */
    snprintf(line, sizeof line, "Đơn vị báo cáo: %s", head_of(rep, "reporting_unit"));
    worksheet_write_string(ws, 0, NCOUNTS - 3, line, NULL);
    snprintf(line, sizeof line, "Đơn vị nhận báo cáo: %s", head_of(rep, "receiving_unit"));
    worksheet_write_string(ws, 1, NCOUNTS - 3, line, NULL);
    worksheet_merge_range(ws, 2, 0, 2, NCOUNTS + 1, "Biểu số II.06a/VPCP/KSTT", title);
    char d1[11], d2[11];
    snprintf(line, sizeof line,
             "Tình hình, kết quả giải quyết thủ tục hành chính tại %s (từ ngày %s đến ngày %s)",
             unit_name, vn_date(rep, "from", d1), vn_date(rep, "to", d2));
    worksheet_merge_range(ws, 3, 0, 3, NCOUNTS + 1, line, NULL);
    worksheet_write_string(ws, 4, 0, "Đơn vị tính: hồ sơ", NULL);
    worksheet_set_row(ws, 5, 48, NULL);
    worksheet_write_string(ws, 5, 0, "STT", head);
    worksheet_write_string(ws, 5, 1, "Lĩnh vực", head);
    for (int k = 0; k < NCOUNTS; k++)
        worksheet_write_string(ws, 5, (lxw_col_t)(k + 2), count_vi[k], head);
    for (int k = 0; k < NCOUNTS + 2; k++)
        worksheet_write_number(ws, 6, (lxw_col_t)k, k + 1, head); /* the column numbers (1)..(13) */
    worksheet_set_column(ws, 0, 0, 5, NULL);
    worksheet_set_column(ws, 1, 1, 34, NULL);
    worksheet_set_column(ws, 2, NCOUNTS + 1, 13, NULL);
    lxw_row_t r = 7;
    size_t i;
    json_t *row;
    json_array_foreach(json_object_get(rep, "rows"), i, row)
    {
        worksheet_write_number(ws, r, 0, (double)(i + 1), cell);
        worksheet_write_string(ws, r, 1, json_string_value(json_object_get(row, "field")), cell);
        for (int k = 0; k < NCOUNTS; k++)
            worksheet_write_number(ws, r, (lxw_col_t)(k + 2), (double)count_of(row, k), cell);
        r++;
    }
    json_t *t = json_object_get(rep, "total");
    worksheet_write_blank(ws, r, 0, total);
    worksheet_write_string(ws, r, 1, "Tổng cộng", total);
    for (int k = 0; k < NCOUNTS; k++)
        worksheet_write_number(ws, r, (lxw_col_t)(k + 2), (double)count_of(t, k), total);
    /* place and date, and the signatures */
    snprintf(line, sizeof line, "%s, %s", head_of(rep, "place"), head_of(rep, "date"));
    worksheet_write_string(ws, r + 2, NCOUNTS - 3, line, NULL);
    worksheet_write_string(ws, r + 3, 1, "NGƯỜI LẬP BIỂU", head_plain(wb));
    worksheet_write_string(ws, r + 3, NCOUNTS - 3, "THỦ TRƯỞNG ĐƠN VỊ", head_plain(wb));
    worksheet_write_string(ws, r + 4, 1, "(Ký, ghi rõ họ tên)", NULL);
    worksheet_write_string(ws, r + 4, NCOUNTS - 3, "(Ký, đóng dấu, ghi rõ họ tên)", NULL);
    return dh_xlsx_end(&x, out, len, e);
}

/* ---- PDF (cairo + pango) ---------------------------------------------------- */

/* Draws text in the box (x, y, w) and returns its height. */
static int pdf_text(cairo_t *cr, PangoLayout *l, const char *font, const char *text, double x,
                    double y, double w, PangoAlignment align)
{
    PangoFontDescription *fd = pango_font_description_from_string(font);
    pango_layout_set_font_description(l, fd);
    pango_font_description_free(fd);
    pango_layout_set_width(l, (int)(w * PANGO_SCALE));
    pango_layout_set_alignment(l, align);
    pango_layout_set_text(l, text, -1);
    int pw, ph;
    pango_layout_get_pixel_size(l, &pw, &ph);
    cairo_move_to(cr, x, y);
    pango_cairo_show_layout(cr, l);
    return ph;
}

dh_status dh_report_ii06a_pdf(const json_t *rep, const char *unit_name, char **out, size_t *len,
                              dh_err *e)
{
    const double W = 842.0, H = 595.0, m = 36.0; /* A4 landscape, points */
    dh_pdf doc;
    cairo_t *cr = dh_pdf_begin(&doc, W, H);
    PangoLayout *l = pango_cairo_create_layout(cr);
    pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
    const char *serif = "Liberation Serif, DejaVu Serif 9", *bold = "Liberation Serif, DejaVu Serif Bold 9";
    double y = m;
    char corner[900];
    snprintf(corner, sizeof corner, "Đơn vị báo cáo: %s\nĐơn vị nhận báo cáo: %s",
             head_of(rep, "reporting_unit"), head_of(rep, "receiving_unit"));
    y += pdf_text(cr, l, serif, corner, W / 2, y, W / 2 - m, PANGO_ALIGN_RIGHT) + 6;
    y += pdf_text(cr, l, "Liberation Serif, DejaVu Serif Bold 13", "Biểu số II.06a/VPCP/KSTT", m,
                  y, W - 2 * m, PANGO_ALIGN_CENTER) + 4;
    char line[700], d1[11], d2[11];
    snprintf(line, sizeof line,
             "Tình hình, kết quả giải quyết thủ tục hành chính tại %s (từ ngày %s đến ngày %s)",
             unit_name, vn_date(rep, "from", d1), vn_date(rep, "to", d2));
    y += pdf_text(cr, l, "Liberation Serif, DejaVu Serif 11", line, m, y, W - 2 * m,
                  PANGO_ALIGN_CENTER) + 4;
    y += pdf_text(cr, l, serif, "Đơn vị tính: hồ sơ", m, y, W - 2 * m, PANGO_ALIGN_RIGHT) + 4;
    /* columns: STT, field, then the 11 counts */
    double cw[NCOUNTS + 2], x0 = m;
    cw[0] = 30;
    cw[1] = 150;
    for (int k = 0; k < NCOUNTS; k++)
        cw[k + 2] = (W - 2 * m - cw[0] - cw[1]) / NCOUNTS;
    cairo_set_line_width(cr, 0.6);
    /* the header row and the column numbers (1)..(13) */
    const char *head[NCOUNTS + 2] = {"STT", "Lĩnh vực"};
    for (int k = 0; k < NCOUNTS; k++)
        head[k + 2] = count_vi[k];
    for (int pass = 0; pass < 2; pass++) {
        double x = x0, hh = 0;
        for (int k = 0; k < NCOUNTS + 2; k++) {
            char num[8];
            snprintf(num, sizeof num, "(%d)", k + 1);
            int h = pdf_text(cr, l, bold, pass ? num : head[k], x + 2, y + 2, cw[k] - 4,
                             PANGO_ALIGN_CENTER);
            if (h + 4 > hh)
                hh = h + 4;
            x += cw[k];
        }
        x = x0;
        for (int k = 0; k < NCOUNTS + 2; k++) {
            cairo_rectangle(cr, x, y, cw[k], hh);
            x += cw[k];
        }
        cairo_stroke(cr);
        y += hh;
    }
    size_t i;
    json_t *r;
    json_t *rows = json_object_get(rep, "rows");
    for (i = 0; i <= json_array_size(rows); i++) {
        bool total = i == json_array_size(rows);
        r = total ? json_object_get(rep, "total") : json_array_get(rows, i);
        if (y > H - m - 20) {
            cairo_show_page(cr);
            y = m;
        }
        char cells[NCOUNTS + 2][48];
        const char *text[NCOUNTS + 2];
        snprintf(cells[0], sizeof cells[0], "%zu", i + 1);
        text[0] = total ? "" : cells[0];
        text[1] = total ? "Tổng cộng" : json_string_value(json_object_get(r, "field"));
        for (int k = 0; k < NCOUNTS; k++) {
            snprintf(cells[k + 2], sizeof cells[k + 2], "%ld", count_of(r, k));
            text[k + 2] = cells[k + 2];
        }
        double x = x0, hh = 0;
        for (int k = 0; k < NCOUNTS + 2; k++) {
            int h = pdf_text(cr, l, total ? bold : serif, text[k] ? text[k] : "", x + 3, y + 2,
                             cw[k] - 6, k == 1 ? PANGO_ALIGN_LEFT : PANGO_ALIGN_RIGHT);
            if (h + 4 > hh)
                hh = h + 4;
            x += cw[k];
        }
        x = x0;
        for (int k = 0; k < NCOUNTS + 2; k++) {
            cairo_rectangle(cr, x, y, cw[k], hh);
            x += cw[k];
        }
        cairo_stroke(cr);
        y += hh;
    }
    /* place and date, and the signatures (người lập biểu, thủ trưởng đơn vị) */
    if (y > H - m - 90) {
        cairo_show_page(cr);
        y = m;
    }
    y += 14;
    char when[500];
    snprintf(when, sizeof when, "%s, %s", head_of(rep, "place"), head_of(rep, "date"));
    y += pdf_text(cr, l, "Liberation Serif, DejaVu Serif Italic 10", when, W / 2, y, W / 2 - m,
                  PANGO_ALIGN_CENTER) + 4;
    pdf_text(cr, l, bold, "NGƯỜI LẬP BIỂU\n(Ký, ghi rõ họ tên)", m, y, W / 2 - m,
             PANGO_ALIGN_CENTER);
    pdf_text(cr, l, bold, "THỦ TRƯỞNG ĐƠN VỊ\n(Ký, đóng dấu, ghi rõ họ tên)", W / 2, y, W / 2 - m,
             PANGO_ALIGN_CENTER);
    g_object_unref(l);
    return dh_pdf_end(&doc, out, len, e);
}

void dh_app_unit_name_in(const dh_unitreg *r, const char *code, dh_date d, char *out, size_t cap)
{
    int32_t u = r ? dh_unitreg_find(r, code) : -1;
    const dh_unit_version *v = u >= 0 ? dh_unitreg_nearest(r, u, d) : NULL;
    snprintf(out, cap, "%s", v ? v->name : code);
}

void dh_app_unit_name(dh_app *app, const char *code, dh_date d, char *out, size_t cap)
{
    dh_err e;
    const dh_unitreg *r = dh_app_units_acquire(app, &e);
    dh_app_unit_name_in(r, code, d, out, cap);
    dh_app_units_release(app, r);
}

/* ---- KPIs ---------------------------------------------------------------- */

/* A row's rates, in the order of rate_names, as hundredths of a percent
 * rounded, or -1 when there is nothing to divide by (N/A, not 0%). */
enum { NRATES = 6 };
static const char *const rate_names[NRATES] = {
    "on_time_rate",      "online_rate",       "online_by_applicant_rate",
    "online_payment_rate", "digitisation_rate", "satisfaction_rate"};

static void rates_of(const long *n, long long h[NRATES])
{
    long fresh = n[RECEIVED_ONLINE] + n[RECEIVED_COUNTER_POSTAL];
    const long num[NRATES] = {n[EARLY] + n[ON_TIME], n[RECEIVED_ONLINE], n[BY_APPLICANT],
                              n[PAID_ONLINE],        n[DIGITISED],       n[SATISFIED]};
    const long den[NRATES] = {n[RESOLVED_TOTAL], fresh, fresh, n[PAID], fresh, n[RATED]};
    for (int i = 0; i < NRATES; i++)
        h[i] = den[i] > 0 ? (long long)(10000.0 * num[i] / den[i] + 0.5) : -1;
}

static json_t *kpi_json(const long *n)
{
    json_t *o = counts_json(n);
    for (int k = NCOUNTS; k < NALL; k++)
        json_object_set_new(o, extra_names[k - NCOUNTS], json_integer(n[k]));
    long long h[NRATES];
    rates_of(n, h);
    for (int i = 0; i < NRATES; i++)
        json_object_set_new(o, rate_names[i], h[i] < 0 ? json_null() : json_real((double)h[i] / 100.0));
    json_object_set_new(o, "average_working_minutes_to_resolve",
                        n[RESOLVED_TOTAL] ? json_integer(n[RESOLVED_MINUTES] / n[RESOLVED_TOTAL])
                                          : json_null());
    return o;
}

/* kpi_json(n) with "key" and "name" (when not NULL) first, written as JSON
 * text: the same members and values, no tree (a mega-province's overview
 * has over a thousand rows). */
/* The member names as written, `,"received":`, made once: a province's
 * reply by unit is 1,200 rows of 24 members. */
typedef struct member {
    char s[64];
    size_t n;
} member;
static member members[NALL + NRATES];
static pthread_once_t members_once = PTHREAD_ONCE_INIT;

static void members_init(void)
{
    for (int i = 0; i < NALL + NRATES; i++) {
        const char *nm = i < NCOUNTS ? count_names[i]
                         : i < NALL  ? extra_names[i - NCOUNTS]
                                     : rate_names[i - NALL];
        int k = snprintf(members[i].s, sizeof members[i].s, ",\"%s\":", nm);
        members[i].n = k > 0 && (size_t)k < sizeof members[i].s ? (size_t)k : 0;
    }
}

static void kpi_text(dh_buf *b, const long *n, const char *key, const char *name)
{
    pthread_once(&members_once, members_init);
    dh_buf_putc(b, '{');
    size_t skip = 1; /* the first member's comma */
    if (key) {
        dh_buf_puts(b, "\"key\":");
        dh_buf_json_str(b, key);
        skip = 0;
    }
    if (name) {
        dh_buf_puts(b, skip ? "\"name\":" : ",\"name\":");
        dh_buf_json_str(b, name);
        skip = 0;
    }
    for (int i = 0; i < NALL; i++) {
        dh_buf_append(b, members[i].s + skip, members[i].n - skip);
        skip = 0;
        dh_buf_int(b, n[i]);
    }
    long long h[NRATES];
    rates_of(n, h);
    for (int i = 0; i < NRATES; i++) {
        dh_buf_append(b, members[NALL + i].s, members[NALL + i].n);
        if (h[i] < 0) {
            dh_buf_append(b, "null", 4);
            continue;
        }
        /* jansson's form of h / 100: 97.53, 97.5, 100.0 */
        dh_buf_int(b, h[i] / 100);
        char d[3] = {'.', (char)('0' + h[i] % 100 / 10), (char)('0' + h[i] % 10)};
        dh_buf_append(b, d, d[2] == '0' ? 2 : 3);
    }
    dh_buf_puts(b, ",\"average_working_minutes_to_resolve\":");
    if (n[RESOLVED_TOTAL])
        dh_buf_int(b, n[RESOLVED_MINUTES] / n[RESOLVED_TOTAL]);
    else
        dh_buf_append(b, "null", 4);
    dh_buf_putc(b, '}');
}

/* One period's groups, appended to items (key, name, counts, rates), or
 * written into text (items NULL: comma-separated objects). */
static dh_status kpi_period(dh_app *app, const dh_actor *a, const char *units, int group,
                            const dh_agg_filter *filter, dh_date from, dh_date to,
                            unsigned flags, time_t now, const char *label, json_t *items,
                            dh_buf *text, long *total, dh_err *e)
{
    field_row *fr;
    size_t nfr;
    dh_status st = scan_period(app, a, units, group, filter, from, to, flags, now, &fr, &nfr, e);
    /* one registry for every row's name: each acquire checks the units' revision in the
     * database, a round trip on PostgreSQL */
    dh_err ue;
    const dh_unitreg *reg = group == GROUP_UNIT ? dh_app_units_acquire(app, &ue) : NULL;
    for (size_t i = 0; i < nfr; i++) {
        for (int k = 0; k < NALL; k++)
            total[k] += fr[i].n[k];
        if (st == DH_OK && text) {
            char name[400];
            if (group == GROUP_UNIT)
                dh_app_unit_name_in(reg, fr[i].field, to, name, sizeof name);
            if (i)
                dh_buf_putc(text, ',');
            kpi_text(text, fr[i].n, label ? label : group != GROUP_NONE ? fr[i].field : NULL,
                     group == GROUP_UNIT ? name : NULL);
        } else if (st == DH_OK) {
            json_t *o = kpi_json(fr[i].n);
            if (label)
                json_object_set_new(o, "key", json_string(label));
            else if (group != GROUP_NONE)
                json_object_set_new(o, "key", json_string(fr[i].field));
            if (group == GROUP_UNIT) {
                char name[400];
                dh_app_unit_name_in(reg, fr[i].field, to, name, sizeof name);
                json_object_set_new(o, "name", json_string(name));
            }
            json_array_append_new(items, o);
        }
        free(fr[i].field);
    }
    if (reg)
        dh_app_units_release(app, reg);
    free(fr);
    return st;
}

dh_status dh_app_kpis(dh_app *app, const dh_actor *a, const char *unit, bool subtree,
                      dh_date from, dh_date to, const char *group_by, unsigned flags, time_t now,
                      json_t **out, dh_err *e)
{
    return dh_app_kpis_filtered(app, a, unit, subtree, NULL, NULL, from, to, group_by, flags, now,
                                out, e);
}

dh_status dh_app_kpi_filter(dh_app *app, const char *procedure, const char *field,
                            dh_agg_filter *f, dh_err *e)
{
    f->procedure = procedure && *procedure ? procedure : NULL;
    f->field = field && *field ? field : NULL;
    if (!f->procedure && !f->field)
        return DH_OK;
    const dh_procset *ps = dh_app_procedures_acquire(app, e);
    if (!ps)
        return e->status;
    bool proc_ok = !f->procedure, field_ok = !f->field || !strcmp(f->field, "Khác");
    for (size_t i = 0; i < ps->n; i++) {
        proc_ok = proc_ok || !strcmp(ps->v[i].code, f->procedure);
        field_ok = field_ok || !strcmp(ps->v[i].field, f->field);
    }
    dh_app_procedures_release(app, ps);
    if (!proc_ok)
        return dh_err_set(e, DH_E_INVALID, "unknown_procedure", "procedure",
                          "no procedure '%s' in the catalogue", f->procedure);
    if (!field_ok)
        return dh_err_set(e, DH_E_INVALID, "unknown_field", "field",
                          "no procedure of the catalogue has the field '%s'", f->field);
    return DH_OK;
}

/* dh_app_kpis_filtered, as a tree (*out) or written as JSON text into text. */
static dh_status kpis_run(dh_app *app, const dh_actor *a, const char *unit, bool subtree,
                          const char *procedure, const char *field, dh_date from, dh_date to,
                          const char *group_by, unsigned flags, time_t now, json_t **out,
                          dh_buf *text, dh_err *e)
{
    dh_agg_filter filter;
    if (dh_app_kpi_filter(app, procedure, field, &filter, e))
        return e->status;
    int group;
    if (!group_by || !*group_by)
        group = GROUP_NONE;
    else if (!strcmp(group_by, "unit"))
        group = GROUP_UNIT;
    else if (!strcmp(group_by, "procedure"))
        group = GROUP_PROCEDURE;
    else if (!strcmp(group_by, "field"))
        group = GROUP_FIELD;
    else if (!strcmp(group_by, "month"))
        group = -1;
    else
        return dh_err_set(e, DH_E_INVALID, "invalid_group_by", "group_by",
                          "group_by must be unit, procedure, field or month");
    if (to < from)
        return dh_err_set(e, DH_E_INVALID, "invalid_range", "to", "to is before from");
    if (to - from > 3660)
        return dh_err_set(e, DH_E_INVALID, "invalid_range", "to", "at most ten years at once");
    if (!unit || !*unit)
        return dh_err_set(e, DH_E_INVALID, "missing_field", "unit", "unit is required");
    char *units = NULL;
    dh_status st = dh_app_scope_units(app, a, unit, subtree, now, &units, e);
    if (st)
        return st;
    char f[DH_DATE_TEXT_LEN], t[DH_DATE_TEXT_LEN];
    dh_date_format(from, f);
    dh_date_format(to, t);
    long total[NALL] = {0};
    if (text && group >= 0) { /* the API's reply, written directly */
        json_t *o = json_pack("{s:s,s:b,s:s,s:s,s:s?}", "unit", unit, "subtree", subtree, "from",
                              f, "to", t, "group_by",
                              group_by && *group_by ? group_by : NULL);
        char *h = json_dumps(o, JSON_COMPACT);
        json_decref(o);
        dh_buf_append(text, h, strlen(h) - 1); /* without its closing brace */
        free(h);
        dh_buf_puts(text, ",\"items\":[");
        st = kpi_period(app, a, units, group, &filter, from, to, flags, now, NULL, NULL, text,
                        total, e);
        free(units);
        if (st)
            return st;
        dh_buf_puts(text, "],\"total\":");
        kpi_text(text, total, NULL, NULL);
        dh_buf_putc(text, '}');
        return DH_OK;
    }
    json_t *items = json_array();
    if (group >= 0) {
        st = kpi_period(app, a, units, group, &filter, from, to, flags, now, NULL, items, NULL,
                        total, e);
    } else {
        /* each month of the range (clipped to it) as its own period */
        for (dh_date s0 = from; st == DH_OK && s0 <= to;) {
            int y, m, d;
            dh_date_to_ymd(s0, &y, &m, &d);
            dh_date e0 = dh_date_from_ymd(y, m, dh_date_days_in_month(y, m));
            if (e0 > to)
                e0 = to;
            char label[8];
            snprintf(label, sizeof label, "%04d-%02d", y, m);
            long month_total[NALL] = {0};
            json_t *one = json_array();
            st = kpi_period(app, a, units, GROUP_NONE, &filter, s0, e0, flags, now, label, one,
                            NULL, month_total, e);
            if (st == DH_OK && json_array_size(one) == 0) {
                json_t *o = kpi_json(month_total);
                json_object_set_new(o, "key", json_string(label));
                json_array_append_new(one, o);
            }
            json_array_extend(items, one);
            json_decref(one);
            s0 = e0 + 1;
        }
    }
    free(units);
    if (st) {
        json_decref(items);
        return st;
    }
    json_t *o = json_pack("{s:s,s:b,s:s,s:s,s:s?,s:o}", "unit", unit, "subtree", subtree, "from", f,
                          "to", t, "group_by", group_by && *group_by ? group_by : NULL, "items",
                          items);
    /* the total of a month split would count carried-over dossiers once per
     * month; it is given for the other groupings only */
    if (group >= 0)
        json_object_set_new(o, "total", kpi_json(total));
    if (text) { /* by month: written from the tree */
        char *x = json_dumps(o, JSON_COMPACT);
        dh_buf_puts(text, x);
        free(x);
        json_decref(o);
        return DH_OK;
    }
    *out = o;
    return DH_OK;
}

dh_status dh_app_kpis_filtered(dh_app *app, const dh_actor *a, const char *unit, bool subtree,
                               const char *procedure, const char *field, dh_date from,
                               dh_date to, const char *group_by, unsigned flags, time_t now,
                               json_t **out, dh_err *e)
{
    *out = NULL;
    return kpis_run(app, a, unit, subtree, procedure, field, from, to, group_by, flags, now, out,
                    NULL, e);
}

dh_status dh_app_kpis_text(dh_app *app, const dh_actor *a, const char *unit, bool subtree,
                           const char *procedure, const char *field, dh_date from, dh_date to,
                           const char *group_by, unsigned flags, time_t now, dh_buf *text,
                           dh_err *e)
{
    return kpis_run(app, a, unit, subtree, procedure, field, from, to, group_by, flags, now,
                    NULL, text, e);
}
