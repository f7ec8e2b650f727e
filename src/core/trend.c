/* trend.c - see trend.h. */
#include "core/trend.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

int dh_trend_parse_by(const char *s, dh_trend_by *out)
{
    static const char *const names[] = {"month", "quarter", "year"};
    for (int i = 0; s && i < 3; i++)
        if (!strcmp(s, names[i])) {
            *out = (dh_trend_by)i;
            return 0;
        }
    return -1;
}

const char *dh_trend_by_name(dh_trend_by by)
{
    return by == DH_TREND_YEAR ? "year" : by == DH_TREND_QUARTER ? "quarter" : "month";
}

/* The bucket of `by` holding day d. */
static void bucket_of(dh_date d, dh_trend_by by, dh_tbucket *b)
{
    int y, m, dd;
    dh_date_to_ymd(d, &y, &m, &dd);
    int m0 = by == DH_TREND_YEAR ? 1 : by == DH_TREND_QUARTER ? (m - 1) / 3 * 3 + 1 : m;
    int m1 = by == DH_TREND_YEAR ? 12 : by == DH_TREND_QUARTER ? m0 + 2 : m;
    b->from = dh_date_from_ymd(y, m0, 1);
    b->to = dh_date_from_ymd(y, m1, dh_date_days_in_month(y, m1));
    if (by == DH_TREND_YEAR)
        snprintf(b->label, sizeof b->label, "%04d", y);
    else if (by == DH_TREND_QUARTER)
        snprintf(b->label, sizeof b->label, "%04d-Q%d", y, (m0 - 1) / 3 + 1);
    else
        snprintf(b->label, sizeof b->label, "%04d-%02d", y, m);
}

int dh_trend_buckets(dh_date from, dh_date to, dh_trend_by by, dh_tbucket *out, size_t cap)
{
    if (from > to)
        return -1;
    size_t n = 0;
    for (dh_date d = from; d <= to; n++) {
        if (n == cap)
            return -1;
        bucket_of(d, by, &out[n]);
        out[n].from = d;
        if (out[n].to > to)
            out[n].to = to;
        d = out[n].to + 1;
    }
    return (int)n;
}

void dh_trend_default_range(dh_date today, dh_trend_by by, dh_date *from, dh_date *to)
{
    int y, m, d;
    dh_date_to_ymd(today, &y, &m, &d);
    *to = dh_date_from_ymd(y, m, dh_date_days_in_month(y, m));
    dh_tbucket b;
    bucket_of(m == 12 ? dh_date_from_ymd(y - 9, 1, 1) : dh_date_from_ymd(y - 10, m + 1, 1), by,
              &b);
    *from = b.from;
}

int dh_trend_same(const char *same, int years, dh_tbucket *out, size_t cap, const char **why)
{
    int y = 0, k = 0;
    char q = 0, tail = 0;
    dh_trend_by by;
    if (same && sscanf(same, "%4d-%c%d%c", &y, &q, &k, &tail) == 3 && q == 'Q' && k >= 1 &&
        k <= 4 && strlen(same) == 7)
        by = DH_TREND_QUARTER;
    else if (same && strlen(same) == 7 && same[4] == '-' &&
             sscanf(same, "%4d-%2d%c", &y, &k, &tail) == 2 && k >= 1 && k <= 12 &&
             same[5] >= '0' && same[5] <= '9')
        by = DH_TREND_MONTH;
    else {
        *why = "same must be a quarter (2026-Q3) or a month (2026-07)";
        return -1;
    }
    if (y < 1900 || y > 9999) {
        *why = "the year must be between 1900 and 9999";
        return -1;
    }
    if (years < 1 || (size_t)years > cap || y - years + 1 < 1900) {
        *why = "years is out of range";
        return -1;
    }
    int m = by == DH_TREND_QUARTER ? (k - 1) * 3 + 1 : k;
    for (int i = 0; i < years; i++)
        bucket_of(dh_date_from_ymd(y - years + 1 + i, m, 1), by, &out[i]);
    return years;
}

double dh_trend_rate(int64_t num, int64_t den)
{
    if (den <= 0)
        return NAN;
    return (double)(long long)(10000.0 * (double)num / (double)den + 0.5) / 100.0;
}

void dh_tpoint_of(const dh_kfigures *f, dh_tpoint *p)
{
    p->received = f->received_online + f->received_counter_postal;
    p->received_online = f->received_online;
    p->resolved = f->resolved_total;
    p->resolved_in_time = f->early + f->on_time;
    p->late = f->late;
    p->on_time_rate = dh_trend_rate(p->resolved_in_time, p->resolved);
    p->online_rate = dh_trend_rate(p->received_online, p->received);
}
