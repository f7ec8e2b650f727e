/* plan.c - see plan.h. */
#include "core/plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/text.h"

/* ------------------------------------------------------------------ */
/* Status from progress updates.                                      */

bool dh_task_per_occurrence(const dh_tdef *t)
{
    return t->kind == DH_DL_YEARLY || t->kind == DH_DL_QUARTERLY || t->kind == DH_DL_MONTHLY;
}

static bool belongs(const dh_tupdate *u, const dh_dl_occurrence *occ)
{
    if (!occ)
        return true;
    if (u->occurrence != DH_DATE_NONE)
        return u->occurrence == occ->due;
    return u->date >= occ->start && u->date <= occ->due;
}

void dh_task_facts_of(const dh_tdef *t, const dh_dl_occurrence *occ, const dh_tupdate *u,
                      size_t n, dh_date asof, dh_task_facts *out)
{
    memset(out, 0, sizeof *out);
    out->start = occ ? occ->start : t->start != DH_DATE_NONE ? t->start : t->span_from;
    /* Only dated kinds can be late: a continuous or daily duty, free text
     * and an unresolved relative deadline are followed by their reports. */
    bool dated = t->kind != DH_DL_CONTINUOUS && t->kind != DH_DL_DAILY && t->kind != DH_DL_FREE &&
                 !dh_task_per_occurrence(t);
    out->due = occ ? occ->due : dated ? t->due : DH_DATE_NONE;
    out->progress = -1;
    out->progress_date = DH_DATE_NONE;
    out->done_date = DH_DATE_NONE;
    out->last_report = DH_DATE_NONE;
    out->report = t->report;
    out->risk_margin_days = t->risk_margin_days;
    for (size_t i = 0; i < n; i++) {
        const dh_tupdate *x = &u[i];
        if (!belongs(x, occ) || x->date > asof)
            continue;
        if (out->last_report == DH_DATE_NONE || x->date >= out->last_report)
            out->last_report = x->date;
        if (x->percent >= 0 &&
            (out->progress_date == DH_DATE_NONE || x->date >= out->progress_date)) {
            out->progress = x->percent;
            out->progress_date = x->date;
        }
        if ((x->done || x->percent == 100) &&
            (!out->done || x->date < out->done_date)) {
            out->done = true;
            out->done_date = x->date;
        }
    }
    if (out->done && out->progress < 100 &&
        (out->progress_date == DH_DATE_NONE || out->progress_date <= out->done_date)) {
        out->progress = 100;
        out->progress_date = out->done_date;
    }
}

static dh_deadline as_deadline(const dh_tdef *t)
{
    dh_deadline d = {0};
    d.kind = t->kind;
    d.start = t->start;
    d.due = t->due;
    d.yearly_month = t->yearly_month;
    d.yearly_day = t->yearly_day;
    return d;
}

/* The span over which occurrences exist. */
static void span_of(const dh_tdef *t, dh_date *from, dh_date *to)
{
    *from = t->start != DH_DATE_NONE ? t->start : t->span_from;
    *to = t->due != DH_DATE_NONE ? t->due : t->span_to;
}

size_t dh_task_occurrences(const dh_tdef *t, dh_date until, dh_dl_occurrence *out, size_t cap)
{
    if (!dh_task_per_occurrence(t) || cap == 0)
        return 0;
    dh_deadline d = as_deadline(t);
    dh_date from, to;
    span_of(t, &from, &to);
    if (from == DH_DATE_NONE) {
        int y, m, dd;
        dh_date_to_ymd(until, &y, &m, &dd);
        from = dh_date_from_ymd(y, 1, 1);
    }
    if (to == DH_DATE_NONE || to > until)
        to = until;
    size_t total = dh_deadline_occurrences(&d, from, to, NULL, 0);
    if (total == 0)
        return 0;
    dh_dl_occurrence *all = dh_xcalloc(total, sizeof *all);
    dh_deadline_occurrences(&d, from, to, all, total);
    size_t k = total < cap ? total : cap;
    memcpy(out, all + (total - k), k * sizeof *out);
    free(all);
    return k;
}

static void eval_on(const dh_tdef *t, const dh_tupdate *u, size_t n, dh_date today,
                    dh_task_status *out, dh_task_facts *facts, dh_dl_occurrence *occ);

/* dd/mm/yyyy */
static void vn_day(dh_date x, char out[11])
{
    int y, m, d;
    dh_date_to_ymd(x, &y, &m, &d);
    snprintf(out, 11, "%02d/%02d/%04d", d, m, y);
}

void dh_task_eval(const dh_tdef *t, const dh_tupdate *u, size_t n, dh_date today,
                  dh_task_status *out, dh_task_facts *facts, dh_dl_occurrence *occ)
{
    eval_on(t, u, n, today, out, facts, occ);
    if (t->span_to == DH_DATE_NONE || today <= t->span_to || out->state == DH_TS_DONE ||
        out->state == DH_TS_DONE_LATE)
        return;
    /* The term is over: the final status, from what was known on its last day. */
    dh_task_status end;
    dh_task_facts fe;
    eval_on(t, u, n, t->span_to, &end, &fe, NULL);
    char day[11], prog[48];
    vn_day(t->span_to, day);
    int pct = fe.progress < 0 ? -1 : fe.progress;
    memset(out, 0, sizeof *out);
    out->expected_progress = -1;
    out->report_due = DH_DATE_NONE;
    out->days = (int)(today - t->span_to);
    if (fe.due == DH_DATE_NONE && end.state == DH_TS_IN_PROGRESS) {
        out->state = DH_TS_DONE;
        out->reason = "duty_ended";
        snprintf(out->explain, sizeof out->explain,
                 "Nhiệm vụ kết thúc cùng kỳ kế hoạch (%s), đã báo cáo đầy đủ.", day);
        return;
    }
    if (pct < 0)
        snprintf(prog, sizeof prog, "chưa có báo cáo tiến độ");
    else
        snprintf(prog, sizeof prog, "tiến độ %d%%", pct);
    out->state = DH_TS_NOT_DONE;
    out->reason = "term_ended";
    snprintf(out->explain, sizeof out->explain,
             "Không hoàn thành khi kế hoạch kết thúc (%s), %s.", day, prog);
}

static void eval_on(const dh_tdef *t, const dh_tupdate *u, size_t n, dh_date today,
                    dh_task_status *out, dh_task_facts *facts, dh_dl_occurrence *occ)
{
    dh_task_facts f;
    dh_dl_occurrence o = {DH_DATE_NONE, DH_DATE_NONE};
    if (dh_task_per_occurrence(t)) {
        if (dh_task_occurrences(t, today, &o, 1) == 0) {
            /* Not begun yet: the first occurrence of the span. */
            dh_deadline d = as_deadline(t);
            dh_date from, to;
            span_of(t, &from, &to);
            if (from == DH_DATE_NONE || dh_deadline_occurrences(&d, from, to == DH_DATE_NONE
                                                                          ? from + 400 : to,
                                                                &o, 1) == 0)
                o = (dh_dl_occurrence){DH_DATE_NONE, DH_DATE_NONE};
        }
    }
    dh_task_facts_of(t, o.due != DH_DATE_NONE ? &o : NULL, u, n, today, &f);
    dh_task_status_derive(&f, today, out);
    if (facts)
        *facts = f;
    if (occ)
        *occ = o;
}

/* ------------------------------------------------------------------ */
/* Plan terms.                                                        */

/* A 4-digit year at s (not part of a longer number), or 0. */
static int year_at(const char *s)
{
    if (s[0] < '0' || s[0] > '9')
        return 0;
    int y = 0, k = 0;
    while (s[k] >= '0' && s[k] <= '9' && k < 5)
        y = y * 10 + (s[k++] - '0');
    return k == 4 && y >= 1900 && y <= 2200 ? y : 0;
}

/* Skips spaces and one dash (ASCII or en/em dash) between two years. */
static const char *year_dash(const char *s)
{
    while (*s == ' ')
        s++;
    if (*s == '-')
        s++;
    else if ((unsigned char)s[0] == 0xE2 && (unsigned char)s[1] == 0x80 &&
             ((unsigned char)s[2] == 0x93 || (unsigned char)s[2] == 0x94))
        s += 3;
    else
        return NULL;
    while (*s == ' ')
        s++;
    return s;
}

/* True when the folded text f ends (at position at) with word w. */
static bool ends_with(const char *f, const char *at, const char *w)
{
    size_t n = strlen(w);
    return (size_t)(at - f) >= n && memcmp(at - n, w, n) == 0 &&
           (at - n == f || at[-(long)n - 1] == ' ');
}

int dh_plan_term_parse(const char *text, dh_date issued, dh_date *from, dh_date *to,
                       int *horizon, const char **why)
{
    *from = *to = DH_DATE_NONE;
    *horizon = 0;
    char *f = dh_text_fold(text ? text : "");
    int y1 = 0, y2 = 0, hz = 0;
    bool until = false, range = false;
    for (const char *p = f; *p; p++) {
        if (p != f && p[-1] != ' ')
            continue;
        if (strncmp(p, "giai doan ", 10) == 0) {
            const char *q = p + 10;
            int a = year_at(q);
            const char *d = a ? year_dash(q + 4) : NULL;
            int b = d ? year_at(d) : 0;
            if (a && b && !hz) {
                y1 = a, y2 = b, range = true, until = false;
            }
            continue;
        }
        if (strncmp(p, "nam ", 4) != 0)
            continue;
        int y = year_at(p + 4);
        if (!y)
            continue;
        /* "tháng 6 năm 2020": part of a date. */
        if (p - f >= 2 && p[-2] >= '0' && p[-2] <= '9')
            continue;
        bool den = ends_with(f, p - 1, "den");
        const char *before = den ? p - 5 : p - 1;
        if (den && p - f >= 5 && (ends_with(f, before, "dinh huong") ||
                                  ends_with(f, before, "tam nhin"))) {
            hz = y;
            continue;
        }
        if (range)
            continue; /* "giai đoạn ..." wins over a later "năm" */
        y1 = den ? 0 : y, y2 = y, until = den;
    }
    free(f);
    *horizon = hz;
    if (!y2) {
        *why = "tiêu đề không nêu thời hạn kế hoạch (năm YYYY, giai đoạn YYYY-YYYY, đến năm YYYY)";
        return -1;
    }
    if (y1 > y2) {
        *why = "thời hạn kế hoạch kết thúc trước khi bắt đầu";
        return -1;
    }
    *from = until ? (issued != DH_DATE_NONE && issued <= dh_date_from_ymd(y2, 12, 31) ? issued
                                                                                   : DH_DATE_NONE)
                  : dh_date_from_ymd(y1, 1, 1);
    *to = dh_date_from_ymd(y2, 12, 31);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Roadmaps.                                                          */

static const char *skip_ws(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

/* Reads "M/YYYY" into its first and last day; NULL when s has none. */
static const char *read_month(const char *s, dh_date *first, dh_date *last)
{
    char *end;
    long m = strtol(s, &end, 10);
    if (end == s || end - s > 2 || *end != '/' || m < 1 || m > 12)
        return NULL;
    const char *ys = end + 1;
    long y = strtol(ys, &end, 10);
    if (end - ys != 4 || y < 1900 || y > 2200)
        return NULL;
    *first = dh_date_from_ymd((int)y, (int)m, 1);
    *last = dh_date_from_ymd((int)y, (int)m, dh_date_days_in_month((int)y, (int)m));
    return end;
}

static const char *read_dash(const char *s)
{
    s = skip_ws(s);
    if (*s == '-')
        return skip_ws(s + 1);
    /* en dash U+2013 and em dash U+2014 */
    if ((unsigned char)s[0] == 0xE2 && (unsigned char)s[1] == 0x80 &&
        ((unsigned char)s[2] == 0x93 || (unsigned char)s[2] == 0x94))
        return skip_ws(s + 3);
    return NULL;
}

static char *trim(char *s)
{
    s = (char *)skip_ws(s);
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
    return s;
}

size_t dh_milestones_parse(char *buf, dh_milestone *out, size_t cap)
{
    size_t n = 0;
    char *p = buf;
    while (p && n < cap) {
        char *semi = strchr(p, ';');
        if (semi)
            *semi = '\0';
        char *part = trim(p);
        p = semi ? semi + 1 : NULL;
        if (!*part)
            continue;
        dh_milestone m = {DH_DATE_NONE, DH_DATE_NONE, part};
        dh_date f1, l1, f2, l2;
        const char *s = read_month(part, &f1, &l1);
        if (s) {
            const char *d = read_dash(s);
            const char *s2 = d ? read_month(d, &f2, &l2) : NULL;
            if (s2) {
                s = s2;
                l1 = l2;
            }
            s = skip_ws(s);
            if (*s == ':') {
                m.from = f1;
                m.due = l1;
                m.text = trim((char *)s + 1);
            }
        }
        out[n++] = m;
    }
    return n;
}

/* ------------------------------------------------------------------ */
/* Implementation graph and coverage.                                 */

bool dh_plan_would_cycle(size_t n, size_t p, const size_t *parents, size_t nparents,
                         dh_parents_fn parents_of, void *closure)
{
    bool *seen = dh_xcalloc(n ? n : 1, sizeof *seen);
    size_t cap = n + nparents + 1, top = 0;
    size_t *stack = dh_xmalloc(cap * sizeof *stack);
    bool cycle = false;
    for (size_t i = 0; i < nparents; i++)
        stack[top++] = parents[i];
    while (top && !cycle) {
        size_t q = stack[--top];
        if (q == p) {
            cycle = true;
            break;
        }
        if (q >= n || seen[q])
            continue;
        seen[q] = true;
        const size_t *up;
        size_t k = parents_of(closure, q, &up);
        for (size_t i = 0; i < k; i++) {
            if (top == cap) {
                /* A node is pushed once per edge into it: grow for dense graphs. */
                cap *= 2;
                stack = dh_xrealloc(stack, cap * sizeof *stack);
            }
            stack[top++] = up[i];
        }
    }
    free(seen);
    free(stack);
    return cycle;
}

int dh_plan_rollup(int64_t task_id, const dh_cov_impl *im, size_t ni)
{
    long sum = 0;
    int k = 0;
    for (size_t i = 0; i < ni; i++) {
        if (im[i].parent_task_id != task_id)
            continue;
        sum += im[i].done ? 100 : im[i].percent < 0 ? 0 : im[i].percent;
        k++;
    }
    return k ? (int)((sum + k / 2) / k) : -1;
}

size_t dh_plan_coverage(const dh_cov_task *t, size_t nt, const dh_cov_impl *im, size_t ni,
                        dh_cov_result *out)
{
    size_t n = 0;
    for (size_t i = 0; i < nt; i++) {
        if (!t[i].assigned)
            continue;
        int k = 0;
        for (size_t j = 0; j < ni; j++)
            k += im[j].parent_task_id == t[i].id && im[j].by_unit;
        out[n++] = (dh_cov_result){i, k, k > 0, dh_plan_rollup(t[i].id, im, ni)};
    }
    return n;
}
