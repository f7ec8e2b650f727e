/* indicator.c - see indicator.h. */
#include "core/indicator.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Period types. ------------------------------------------------------ */

static const char *const ptype_names[DH_PT_COUNT] = {
    "day",          "month",          "quarter",          "half_year",  "year",
    "cutoff_month", "cutoff_quarter", "cutoff_half_year", "cutoff_year",
};

const char *dh_ptype_name(dh_ptype t)
{
    return (unsigned)t < DH_PT_COUNT ? ptype_names[t] : "?";
}

int dh_ptype_parse(const char *s, dh_ptype *t)
{
    for (int i = 0; s && i < DH_PT_COUNT; i++)
        if (strcmp(s, ptype_names[i]) == 0) {
            *t = (dh_ptype)i;
            return 0;
        }
    return -1;
}

static bool is_cutoff(dh_ptype t) { return t >= DH_PT_CUT_MONTH; }

/* The plain type a cut-off type is named after. */
static dh_ptype plain_of(dh_ptype t)
{
    switch (t) {
    case DH_PT_CUT_MONTH: return DH_PT_MONTH;
    case DH_PT_CUT_QUARTER: return DH_PT_QUARTER;
    case DH_PT_CUT_HALF: return DH_PT_HALF;
    case DH_PT_CUT_YEAR: return DH_PT_YEAR;
    default: return t;
    }
}

/* The calendar period of a plain type containing d. */
static dh_period plain_period(dh_ptype t, int y, int m, int d)
{
    dh_period p;
    switch (t) {
    case DH_PT_DAY:
        p.from = p.to = dh_date_from_ymd(y, m, d);
        break;
    case DH_PT_MONTH:
        p.from = dh_date_from_ymd(y, m, 1);
        p.to = dh_date_from_ymd(y, m, dh_date_days_in_month(y, m));
        break;
    case DH_PT_QUARTER: {
        int q = (m - 1) / 3;
        p.from = dh_date_from_ymd(y, 3 * q + 1, 1);
        p.to = dh_date_from_ymd(y, 3 * q + 3, dh_date_days_in_month(y, 3 * q + 3));
        break;
    }
    case DH_PT_HALF:
        p.from = dh_date_from_ymd(y, m <= 6 ? 1 : 7, 1);
        p.to = dh_date_from_ymd(y, m <= 6 ? 6 : 12, m <= 6 ? 30 : 31);
        break;
    default:
        p.from = dh_date_from_ymd(y, 1, 1);
        p.to = dh_date_from_ymd(y, 12, 31);
        break;
    }
    return p;
}

dh_period dh_ind_period_of(dh_ptype t, dh_date day)
{
    int y, m, d;
    dh_date_to_ymd(day, &y, &m, &d);
    if (!is_cutoff(t))
        return plain_period(t, y, m, d);
    /* A day on or after the 15th belongs to the cut-off period named after
     * the next month: 15/12/2024 is in cutoff:2025-01, cutoff:2025-Q1 and
     * cutoff:2025. */
    if (d >= 15) {
        m++;
        if (m == 13) {
            m = 1;
            y++;
        }
    }
    dh_period n = plain_period(plain_of(t), y, m, 1);
    int fy, fm, fd, ty, tm, td;
    dh_date_to_ymd(n.from, &fy, &fm, &fd);
    dh_date_to_ymd(n.to, &ty, &tm, &td);
    int py = fm == 1 ? fy - 1 : fy, pm = fm == 1 ? 12 : fm - 1;
    dh_period p = {dh_date_from_ymd(py, pm, 15), dh_date_from_ymd(ty, tm, 14)};
    return p;
}

dh_period dh_ind_period_next(dh_ptype t, dh_period p)
{
    return dh_ind_period_of(t, p.to + 1);
}

int32_t dh_ind_period_index(dh_ptype t, dh_period p)
{
    if (t == DH_PT_DAY)
        return p.from;
    /* Cut-off periods are numbered by the plain period named after them,
     * which contains their last day. */
    int y, m, d;
    dh_date_to_ymd(p.to, &y, &m, &d);
    switch (plain_of(t)) {
    case DH_PT_MONTH: return y * 12 + (m - 1);
    case DH_PT_QUARTER: return y * 4 + (m - 1) / 3;
    case DH_PT_HALF: return y * 2 + (m > 6);
    default: return y;
    }
}

void dh_ind_period_label(dh_ptype t, dh_period p, char *out, size_t cap)
{
    int y, m, d;
    dh_date_to_ymd(p.to, &y, &m, &d);
    const char *pre = is_cutoff(t) ? "cutoff:" : "";
    switch (plain_of(t)) {
    case DH_PT_DAY:
        dh_date_to_ymd(p.from, &y, &m, &d);
        snprintf(out, cap, "%04d-%02d-%02d", y, m, d);
        break;
    case DH_PT_MONTH: snprintf(out, cap, "%s%04d-%02d", pre, y, m); break;
    case DH_PT_QUARTER: snprintf(out, cap, "%s%04d-Q%d", pre, y, (m - 1) / 3 + 1); break;
    case DH_PT_HALF: snprintf(out, cap, "%s%04d-H%d", pre, y, m > 6 ? 2 : 1); break;
    default: snprintf(out, cap, "%s%04d", pre, y); break;
    }
}

int dh_ind_period_parse(dh_ptype t, const char *s, dh_period *out, const char **why)
{
    static const char *const want[DH_PT_COUNT] = {
        "a day YYYY-MM-DD",
        "a month YYYY-MM",
        "a quarter YYYY-Qn",
        "a half-year YYYY-H1 or YYYY-H2",
        "a year YYYY",
        "a Decree 09 month cutoff:YYYY-MM",
        "a Decree 09 quarter cutoff:YYYY-Qn",
        "a Decree 09 half-year cutoff:YYYY-Hn",
        "a Decree 09 year cutoff:YYYY",
    };
    const char *dummy;
    if (!why)
        why = &dummy;
    dh_period p;
    if ((unsigned)t >= DH_PT_COUNT || dh_period_parse(s, &p, why))
        return -1;
    /* It fits when it is exactly the period of its type holding its end,
     * and it is written the way that type is written (a range or a plain
     * month given for a cut-off type does not fit). */
    dh_period q = dh_ind_period_of(t, p.to);
    char label[32];
    dh_ind_period_label(t, q, label, sizeof label);
    if (q.from != p.from || q.to != p.to || strcasecmp(label, s) != 0) {
        *why = want[t];
        return -1;
    }
    *out = p;
    return 0;
}

/* ---- Aggregation. ----------------------------------------------------- */

static const char *const aggk_names[] = {"sum", "ratio", "mean", "latest", "max"};

const char *dh_aggk_name(dh_aggk k) { return (unsigned)k < 5 ? aggk_names[k] : "?"; }

int dh_aggk_parse(const char *s, dh_aggk *k)
{
    for (int i = 0; s && i < 5; i++)
        if (strcmp(s, aggk_names[i]) == 0) {
            *k = (dh_aggk)i;
            return 0;
        }
    return -1;
}

void dh_ind_acc_init(dh_ind_acc *a, dh_aggk k, double scale)
{
    memset(a, 0, sizeof *a);
    a->k = k;
    a->scale = scale > 0 ? scale : 1;
}

void dh_ind_acc_add(dh_ind_acc *a, double value, bool has_nd, double num, double den,
                    int64_t at)
{
    if (a->n == 0 || value > a->max)
        a->max = value;
    if (a->n == 0 || at >= a->latest_at) {
        a->latest = value;
        a->latest_at = at;
    }
    a->sum += value;
    a->n++;
    if (has_nd) {
        a->num += num;
        a->den += den;
        a->nratio++;
    }
}

int dh_ind_acc_value(const dh_ind_acc *a, double *out, bool *fallback)
{
    if (fallback)
        *fallback = false;
    if (a->n == 0)
        return -1;
    switch (a->k) {
    case DH_AGG_SUM: *out = a->sum; return 0;
    case DH_AGG_MAX: *out = a->max; return 0;
    case DH_AGG_LATEST: *out = a->latest; return 0;
    case DH_AGG_MEAN: *out = a->sum / a->n; return 0;
    case DH_AGG_RATIO:
        if (a->nratio == 0) {
            if (fallback)
                *fallback = true;
            *out = a->sum / a->n;
            return 0;
        }
        if (a->den <= 0)
            return -1;
        *out = a->scale * a->num / a->den;
        return 0;
    }
    return -1;
}

/* ---- Due rules. -------------------------------------------------------- */

static int parse_rule(const char *rule, int *kind, int *a, int *b)
{
    int n = 0;
    if (!rule)
        return -1;
    if (sscanf(rule, "next_month_day:%d%n", a, &n) == 1 && !rule[n] && *a >= 1 && *a <= 28) {
        *kind = 1;
        return 0;
    }
    if (sscanf(rule, "days_after_end:%d%n", a, &n) == 1 && !rule[n] && *a >= 0 && *a <= 40000) {
        *kind = 2;
        return 0;
    }
    if (sscanf(rule, "yearly:%2d-%2d%n", a, b, &n) == 2 && !rule[n] && *a >= 1 && *a <= 12 &&
        *b >= 1 && *b <= dh_date_days_in_month(2001, *a)) {
        *kind = 3;
        return 0;
    }
    return -1;
}

int dh_due_rule_check(const char *rule, const char **why)
{
    int k, a, b;
    if (parse_rule(rule, &k, &a, &b)) {
        if (why)
            *why = "a due rule is next_month_day:N (1-28), days_after_end:N or yearly:MM-DD";
        return -1;
    }
    return 0;
}

dh_date dh_due_date(const char *rule, dh_period p)
{
    int k = 0, a = 0, b = 0, y, m, d;
    if (parse_rule(rule, &k, &a, &b))
        return p.to;
    dh_date_to_ymd(p.to, &y, &m, &d);
    switch (k) {
    case 1:
        m++;
        if (m == 13) {
            m = 1;
            y++;
        }
        return dh_date_from_ymd(y, m, a);
    case 2: return p.to + a;
    default: {
        dh_date due = dh_date_from_ymd(y, a, b);
        /* A period ending after that day of its year is due a year later. */
        return due >= p.to ? due : dh_date_from_ymd(y + 1, a, b);
    }
    }
}

bool dh_obl_expected(const dh_unitreg *r, int32_t u, dh_period p)
{
    return u >= 0 && (size_t)u < r->n && dh_unitreg_valid_at(r, u, p.to);
}

/* ---- Targets. ---------------------------------------------------------- */

static const char *const ts_names[] = {"no_data", "on_track", "at_risk", "off_track"};
static const char *const ts_vi[] = {"Chưa có số liệu", "Đúng tiến độ", "Có nguy cơ chậm",
                                    "Chậm tiến độ"};

const char *dh_tstatus_name(dh_tstatus s) { return (unsigned)s < 4 ? ts_names[s] : "?"; }
const char *dh_tstatus_label_vi(dh_tstatus s) { return (unsigned)s < 4 ? ts_vi[s] : "?"; }

int dh_tstatus_parse(const char *s, dh_tstatus *out)
{
    for (int i = 0; s && i < 4; i++)
        if (strcmp(s, ts_names[i]) == 0) {
            *out = (dh_tstatus)i;
            return 0;
        }
    return -1;
}

int dh_linear_fit(const double *x, const double *y, size_t n, double *slope, double *icept)
{
    if (n < 2)
        return -1;
    double mx = 0, my = 0;
    for (size_t i = 0; i < n; i++) {
        mx += x[i];
        my += y[i];
    }
    mx /= (double)n;
    my /= (double)n;
    double sxx = 0, sxy = 0;
    for (size_t i = 0; i < n; i++) {
        sxx += (x[i] - mx) * (x[i] - mx);
        sxy += (x[i] - mx) * (y[i] - my);
    }
    if (sxx == 0)
        return -1;
    *slope = sxy / sxx;
    *icept = my - *slope * mx;
    return 0;
}

static bool satisfies(const dh_tgt *t, double v, double target)
{
    /* A hundredth of slack absorbs the rounding of reported percentages. */
    return t->lower ? v <= target + 1e-9 : v >= target - 1e-9;
}

/* The status from the first n points, judged on day d. */
static void eval_n(const dh_tgt *t, dh_ptype pt, const dh_ind_point *pts, size_t n, dh_date d,
                   dh_tgt_eval *o)
{
    memset(o, 0, sizeof *o);
    o->method = "none";
    o->missed_ms = -1;
    o->since = DH_DATE_NONE;
    if (n == 0) {
        o->status = DH_TS_NO_DATA;
        return;
    }
    const dh_ind_point *last = &pts[n - 1];
    o->has_actual = true;
    o->actual = last->v;
    o->actual_p = last->p;
    o->met = satisfies(t, o->actual, t->value);
    o->gap = t->lower ? o->actual - t->value : t->value - o->actual;
    if (t->due != DH_DATE_NONE && d > t->due) {
        /* Past the date: the value of the last period ending by the date. */
        size_t k = n;
        while (k > 0 && pts[k - 1].p.to > t->due)
            k--;
        bool ok = k > 0 && satisfies(t, pts[k - 1].v, t->value);
        o->status = ok ? DH_TS_ON_TRACK : DH_TS_OFF_TRACK;
        return;
    }
    /* The latest milestone already passed, judged on the last period that
     * ended by its date. */
    for (size_t i = t->nms; i-- > 0;) {
        if (t->ms[i].date > d)
            continue;
        size_t k = n;
        while (k > 0 && pts[k - 1].p.to > t->ms[i].date)
            k--;
        if (k == 0 || !satisfies(t, pts[k - 1].v, t->ms[i].value))
            o->missed_ms = (int)i;
        break;
    }
    double proj = o->actual;
    if (t->due != DH_DATE_NONE) {
        size_t m = n < DH_TGT_FIT_POINTS ? n : DH_TGT_FIT_POINTS;
        double x[DH_TGT_FIT_POINTS], y[DH_TGT_FIT_POINTS], slope, icept;
        for (size_t i = 0; i < m; i++) {
            x[i] = dh_ind_period_index(pt, pts[n - m + i].p);
            y[i] = pts[n - m + i].v;
        }
        double xd = dh_ind_period_index(pt, dh_ind_period_of(pt, t->due));
        o->has_projection = true;
        if (dh_linear_fit(x, y, m, &slope, &icept) == 0) {
            proj = icept + slope * xd;
            o->method = "linear_least_squares";
            o->fit_points = (int)m;
            o->slope = slope;
        } else {
            o->method = "last_value";
            o->fit_points = 1;
        }
        o->projection = proj;
    }
    bool reaches = o->met || satisfies(t, proj, t->value);
    if (reaches) {
        o->status = o->missed_ms >= 0 ? DH_TS_AT_RISK : DH_TS_ON_TRACK;
        return;
    }
    double shortfall = t->lower ? proj - t->value : t->value - proj;
    double scale = fabs(t->value) > 1e-9 ? fabs(t->value) : 1;
    o->status = shortfall / scale <= DH_TGT_TOLERANCE ? DH_TS_AT_RISK : DH_TS_OFF_TRACK;
}

void dh_target_eval(const dh_tgt *t, dh_ptype pt, const dh_ind_point *pts, size_t n,
                    dh_date as_of, dh_tgt_eval *out)
{
    size_t m = 0;
    while (m < n && pts[m].p.to <= as_of)
        m++;
    eval_n(t, pt, pts, m, as_of, out);
    if (m == 0)
        return;
    /* The status on each period end, oldest first; `since` is the start of
     * the run that ends in the current status. */
    dh_tgt_eval prev;
    dh_tstatus run = DH_TS_NO_DATA;
    dh_date since = DH_DATE_NONE;
    for (size_t k = 1; k <= m; k++) {
        dh_date at = pts[k - 1].p.to;
        eval_n(t, pt, pts, k, at, &prev);
        if (k == 1 || prev.status != run) {
            run = prev.status;
            since = at;
        }
    }
    if (out->status != run) {
        /* Time alone moved it: the due date or a milestone passed. */
        dh_date when = as_of;
        if (t->due != DH_DATE_NONE && as_of > t->due)
            when = t->due + 1;
        else if (out->missed_ms >= 0)
            when = t->ms[out->missed_ms].date + 1;
        since = when;
    }
    out->since = since;
}

/* ---- Source freshness. ---------------------------------------------------- */

int dh_fresh_parse(const char *s, dh_fresh *out, const char **why)
{
    static const char bad[] =
        "freshness must be daily:HH:MM, monthly:N, quarterly:N, half_yearly:N or yearly:N "
        "(N a day 1-31)";
    memset(out, 0, sizeof *out);
    int a = 0, b = 0, n = 0;
    if (!s)
        s = "";
    if (sscanf(s, "daily:%2d:%2d%n", &a, &b, &n) == 2 && !s[n] && a >= 0 && a < 24 && b >= 0 &&
        b < 60 && n == 11) {
        out->kind = DH_FR_DAILY;
        out->minute = a * 60 + b;
        return 0;
    }
    n = 0;
    if (sscanf(s, "monthly:%2d%n", &a, &n) == 1 && !s[n] && a >= 1 && a <= 31) {
        out->kind = DH_FR_MONTHLY;
        out->day = a;
        return 0;
    }
    static const struct {
        const char *prefix;
        dh_frkind kind;
    } per[] = {{"quarterly:", DH_FR_QUARTERLY},
               {"half_yearly:", DH_FR_HALF_YEARLY},
               {"yearly:", DH_FR_YEARLY}};
    for (size_t i = 0; i < sizeof per / sizeof *per; i++) {
        size_t k = strlen(per[i].prefix);
        n = 0;
        if (strncmp(s, per[i].prefix, k) == 0 && sscanf(s + k, "%2d%n", &a, &n) == 1 &&
            !s[k + (size_t)n] && a >= 1 && a <= 31) {
            out->kind = per[i].kind;
            out->day = a;
            return 0;
        }
    }
    if (why)
        *why = bad;
    return -1;
}

/* Month index (year * 12 + month - 1) of a day, and the first day of one. */
static int month_index(dh_date d)
{
    int y, m, dd;
    dh_date_to_ymd(d, &y, &m, &dd);
    return y * 12 + m - 1;
}

static dh_date month_first(int mi) { return dh_date_from_ymd(mi / 12, mi % 12 + 1, 1); }

/* The deadline of the period of `step` months numbered p: day N of the
 * month after it (at most that month's last day). */
static dh_date fresh_deadline(int step, int day, int p)
{
    int mi = (p + 1) * step;
    dh_date last = month_first(mi + 1) - 1;
    dh_date d = month_first(mi) + day - 1;
    return d < last ? d : last;
}

int dh_ptype_months(dh_ptype t)
{
    switch (t) {
    case DH_PT_DAY: return 0;
    case DH_PT_QUARTER:
    case DH_PT_CUT_QUARTER: return 3;
    case DH_PT_HALF:
    case DH_PT_CUT_HALF: return 6;
    case DH_PT_YEAR:
    case DH_PT_CUT_YEAR: return 12;
    default: return 1;
    }
}

static int fresh_step(dh_frkind k)
{
    return k == DH_FR_QUARTERLY ? 3 : k == DH_FR_HALF_YEARLY ? 6 : k == DH_FR_YEARLY ? 12 : 1;
}

void dh_fresh_for_period(dh_fresh *f, dh_ptype pt)
{
    if (f->kind == DH_FR_DAILY)
        return;
    int want = dh_ptype_months(pt);
    if (want <= fresh_step(f->kind))
        return;
    f->kind = want == 3 ? DH_FR_QUARTERLY : want == 6 ? DH_FR_HALF_YEARLY : DH_FR_YEARLY;
}

dh_ptype dh_fresh_ptype(const dh_fresh *f)
{
    switch (f->kind) {
    case DH_FR_QUARTERLY: return DH_PT_QUARTER;
    case DH_FR_HALF_YEARLY: return DH_PT_HALF;
    case DH_FR_YEARLY: return DH_PT_YEAR;
    default: return DH_PT_MONTH;
    }
}

void dh_fresh_judge(const dh_fresh *f, int64_t now_min, bool have, int64_t last_recv_min,
                    dh_date last_to, dh_fresh_eval *out)
{
    memset(out, 0, sizeof *out);
    out->late_by_days = -1;
    out->due_day = DH_DATE_NONE;
    out->expected = (dh_period){DH_DATE_NONE, DH_DATE_NONE};
    int64_t today = now_min >= 0 ? now_min / 1440 : (now_min - 1439) / 1440;
    if (f->kind == DH_FR_DAILY) {
        int64_t due = today * 1440 + f->minute;
        if (due > now_min)
            due -= 1440;
        out->due_min = due;
        /* the delivery for a deadline is anything in the 24 hours before it */
        out->late = !have || last_recv_min <= due - 1440;
        if (out->late && have) {
            /* the deadline the last receipt served, then the next one */
            int64_t served = (last_recv_min / 1440) * 1440 + f->minute;
            if (served < last_recv_min)
                served += 1440;
            out->late_by_days = (int)((now_min - (served + 1440)) / 1440);
        }
        return;
    }
    int step = fresh_step(f->kind);
    int p = month_index((dh_date)today) / step;
    while (fresh_deadline(step, f->day, p) >= (dh_date)today)
        p--;
    out->due_day = fresh_deadline(step, f->day, p);
    out->expected = (dh_period){month_first(p * step), month_first((p + 1) * step) - 1};
    out->late = !have || last_to < out->expected.to;
    if (out->late && have) {
        int q = month_index(last_to) / step;
        if (last_to >= month_first((q + 1) * step) - 1)
            q++; /* it covers its period: the next one was missed */
        out->late_by_days = (int)((dh_date)today - fresh_deadline(step, f->day, q));
    }
}
