/* workcal.c - see workcal.h.
 *
 * Tables: for every day i of the range, pat[i] says which hours apply (the
 * weekday's, Monday's for a make-up day, none for a day off) and cum[i] the
 * working minutes before that day. The working-time position of an instant,
 * W(t), is cum[day] + the minutes worked that day before t: O(1). Its
 * inverse (the first instant at which W reaches a value) is a binary search
 * over cum: O(log n).
 */
#include "core/workcal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

#define TZ_SECONDS DH_VN_OFFSET
#define PAT_NONE 7

struct dh_workcal {
    dh_week week;
    dh_date first;
    int32_t ndays;
    int32_t *cum; /* ndays + 1 */
    uint8_t *pat; /* ndays */
    int pat_minutes[8];
    int day_minutes;
    /* The inverse in O(1): the working days in order (their day index and
     * cum), and for every bucket of `bucket` minutes of working time the
     * working day that holds its first minute. bucket is the shortest
     * working day, so a bucket meets at most two working days. */
    int32_t *wday, *wcum, nwdays;
    int32_t *bucket_of, nbuckets, bucket;
};

void dh_week_default(dh_week *w)
{
    memset(w, 0, sizeof *w);
    for (int d = 0; d < 5; d++) {
        w->day[d][0] = (dh_range){7 * 60 + 30, 11 * 60 + 30};
        w->day[d][1] = (dh_range){13 * 60 + 30, 17 * 60};
        w->n[d] = 2;
    }
}

static const char *const day_names[7] = {"Monday", "Tuesday", "Wednesday", "Thursday",
                                         "Friday", "Saturday", "Sunday"};

int dh_week_check(const dh_week *w, char *msg, size_t cap)
{
    for (int d = 0; d < 7; d++) {
        if (w->n[d] < 0 || w->n[d] > DH_RANGES_MAX) {
            snprintf(msg, cap, "%s: at most %d time ranges", day_names[d], DH_RANGES_MAX);
            return -1;
        }
        for (int i = 0; i < w->n[d]; i++) {
            const dh_range *r = &w->day[d][i];
            if (r->start < 0 || r->end > 1440 || r->start >= r->end) {
                snprintf(msg, cap, "%s: a time range must start before it ends, within the day",
                         day_names[d]);
                return -1;
            }
            if (i > 0 && r->start < w->day[d][i - 1].end) {
                snprintf(msg, cap, "%s: time ranges must be in order and not overlap",
                         day_names[d]);
                return -1;
            }
        }
    }
    if (w->n[0] == 0) {
        snprintf(msg, cap, "Monday must have working hours (they define a working day)");
        return -1;
    }
    return 0;
}

void dh_week_format_day(const dh_week *w, int wd, char *out, size_t cap)
{
    size_t len = 0;
    out[0] = '\0';
    for (int i = 0; i < w->n[wd] && len < cap; i++) {
        const dh_range *r = &w->day[wd][i];
        len += (size_t)snprintf(out + len, cap - len, "%s%02d:%02d-%02d:%02d", i ? "," : "",
                                r->start / 60, r->start % 60, r->end / 60, r->end % 60);
    }
}

static int parse_hhmm(const char *s, int *min)
{
    if (!(s[0] >= '0' && s[0] <= '9' && s[1] >= '0' && s[1] <= '9' && s[2] == ':' &&
          s[3] >= '0' && s[3] <= '9' && s[4] >= '0' && s[4] <= '9'))
        return -1;
    int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
    if (m > 59 || h > 24 || (h == 24 && m != 0))
        return -1;
    *min = h * 60 + m;
    return 0;
}

int dh_week_parse_day(dh_week *w, int wd, const char *s, char *msg, size_t cap)
{
    w->n[wd] = 0;
    const char *p = s;
    while (*p) {
        int a, b;
        if (w->n[wd] == DH_RANGES_MAX) {
            snprintf(msg, cap, "at most %d time ranges a day", DH_RANGES_MAX);
            return -1;
        }
        if (parse_hhmm(p, &a) || p[5] != '-' || parse_hhmm(p + 6, &b) ||
            (p[11] != '\0' && p[11] != ',')) {
            snprintf(msg, cap, "'%s' is not a list of HH:MM-HH:MM ranges separated by commas",
                     s);
            return -1;
        }
        w->day[wd][w->n[wd]++] = (dh_range){(int16_t)a, (int16_t)b};
        p += 11;
        if (*p == ',')
            p++;
    }
    return 0;
}

/* ---- Building. ------------------------------------------------------- */

static int pattern_minutes(const dh_week *w, int p)
{
    if (p == PAT_NONE)
        return 0;
    int m = 0;
    for (int i = 0; i < w->n[p]; i++)
        m += w->day[p][i].end - w->day[p][i].start;
    return m;
}

dh_workcal *dh_workcal_build(const dh_week *w, const dh_sched_entry *sched, size_t n,
                             char *msg, size_t cap)
{
    if (dh_week_check(w, msg, cap) || dh_sched_check(sched, n, msg, cap))
        return NULL;
    dh_workcal *c = dh_xcalloc(1, sizeof *c);
    c->week = *w;
    c->first = dh_date_from_ymd(DH_HOLIDAY_YEAR_MIN, 1, 1);
    c->ndays = dh_date_from_ymd(DH_HOLIDAY_YEAR_MAX, 12, 31) - c->first + 1;
    c->cum = dh_xmalloc(((size_t)c->ndays + 1) * sizeof *c->cum);
    c->pat = dh_xmalloc((size_t)c->ndays);
    for (int p = 0; p < 8; p++)
        c->pat_minutes[p] = pattern_minutes(w, p);
    c->day_minutes = c->pat_minutes[0];
    for (int32_t i = 0; i < c->ndays; i++)
        c->pat[i] = (uint8_t)(dh_date_weekday(c->first + i) - 1);
    for (int y = DH_HOLIDAY_YEAR_MIN; y <= DH_HOLIDAY_YEAR_MAX; y++) {
        dh_year_days yd;
        dh_holidays_year(y, sched, n, &yd);
        for (size_t k = 0; k < yd.noff; k++)
            c->pat[yd.off[k].date - c->first] = PAT_NONE;
        for (size_t k = 0; k < yd.nwork; k++)
            c->pat[yd.work[k].date - c->first] = 0; /* Monday's hours */
        dh_year_days_free(&yd);
    }
    int32_t acc = 0;
    for (int32_t i = 0; i < c->ndays; i++) {
        c->cum[i] = acc;
        acc += c->pat_minutes[c->pat[i]];
    }
    c->cum[c->ndays] = acc;
    int mmin = 0;
    for (int p = 0; p < 7; p++)
        if (c->pat_minutes[p] > 0 && (mmin == 0 || c->pat_minutes[p] < mmin))
            mmin = c->pat_minutes[p];
    c->bucket = mmin > 0 ? mmin : 1;
    c->wday = dh_xmalloc(((size_t)c->ndays + 1) * sizeof *c->wday);
    c->wcum = dh_xmalloc(((size_t)c->ndays + 1) * sizeof *c->wcum);
    for (int32_t i = 0; i < c->ndays; i++) {
        if (c->pat_minutes[c->pat[i]] > 0) {
            c->wday[c->nwdays] = i;
            c->wcum[c->nwdays++] = c->cum[i];
        }
    }
    c->nbuckets = acc / c->bucket + 1;
    c->bucket_of = dh_xmalloc((size_t)c->nbuckets * sizeof *c->bucket_of);
    int32_t k = 0;
    for (int32_t b = 0; b < c->nbuckets; b++) {
        int64_t first_minute = (int64_t)b * c->bucket + 1;
        while (k + 1 < c->nwdays && c->wcum[k + 1] < first_minute)
            k++;
        c->bucket_of[b] = k;
    }
    return c;
}

void dh_workcal_free(dh_workcal *c)
{
    if (!c)
        return;
    free(c->cum);
    free(c->pat);
    free(c->wday);
    free(c->wcum);
    free(c->bucket_of);
    free(c);
}

static time_t local_minute_to_time(int64_t lm) { return (time_t)(lm * 60 - TZ_SECONDS); }

time_t dh_workcal_min(const dh_workcal *c) { return local_minute_to_time((int64_t)c->first * 1440); }

time_t dh_workcal_max(const dh_workcal *c)
{
    return local_minute_to_time(((int64_t)c->first + c->ndays) * 1440);
}

int dh_workcal_day_minutes(const dh_workcal *c) { return c->day_minutes; }
const dh_week *dh_workcal_week(const dh_workcal *c) { return &c->week; }

int dh_workcal_day(const dh_workcal *c, dh_date d)
{
    int64_t i = (int64_t)d - c->first;
    if (i < 0 || i >= c->ndays)
        return -1;
    return c->pat_minutes[c->pat[i]];
}

bool dh_workcal_is_working_day(const dh_workcal *c, dh_date d) { return dh_workcal_day(c, d) > 0; }

/* ---- Positions on the working-time axis. ----------------------------- */

static int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

/* Splits t into a day index (relative to first) and a minute of that day.
 * The end of the range (day == ndays, minute 0) is allowed. */
static int locate(const dh_workcal *c, time_t t, int64_t *day, int *minute)
{
    int64_t lm = floor_div((int64_t)t + TZ_SECONDS, 60);
    int64_t d = floor_div(lm, 1440);
    *minute = (int)(lm - d * 1440);
    *day = d - c->first;
    if (*day < 0 || *day > c->ndays || (*day == c->ndays && *minute != 0))
        return -1;
    return 0;
}

static int worked_before(const dh_workcal *c, int p, int minute)
{
    if (p == PAT_NONE)
        return 0;
    int m = 0;
    const dh_week *w = &c->week;
    for (int i = 0; i < w->n[p]; i++) {
        const dh_range *r = &w->day[p][i];
        if (minute <= r->start)
            break;
        m += (minute < r->end ? minute : r->end) - r->start;
    }
    return m;
}

static int64_t position(const dh_workcal *c, int64_t day, int minute)
{
    if (day == c->ndays)
        return c->cum[c->ndays];
    return c->cum[day] + worked_before(c, c->pat[day], minute);
}

/* The first instant at which the position reaches target (0 < target <= total):
 * the bucket gives the working day, at most a step or two forward. */
static time_t instant_of(const dh_workcal *c, int64_t target)
{
    int32_t k = c->bucket_of[(target - 1) / c->bucket];
    while (k + 1 < c->nwdays && c->wcum[k + 1] < target)
        k++;
    int32_t day = c->wday[k];
    int64_t rem = target - c->wcum[k];
    const dh_week *w = &c->week;
    int p = c->pat[day], minute = 0;
    for (int i = 0; i < w->n[p]; i++) {
        const dh_range *r = &w->day[p][i];
        int len = r->end - r->start;
        if (rem <= len) {
            minute = r->start + (int)rem;
            break;
        }
        rem -= len;
    }
    return local_minute_to_time(((int64_t)c->first + day) * 1440 + minute);
}

static bool in_range(const dh_workcal *c, int64_t day, int minute)
{
    if (day >= c->ndays)
        return false;
    int p = c->pat[day];
    if (p == PAT_NONE)
        return false;
    for (int i = 0; i < c->week.n[p]; i++)
        if (minute >= c->week.day[p][i].start && minute < c->week.day[p][i].end)
            return true;
    return false;
}

dh_wc_status dh_workcal_next(const dh_workcal *c, time_t t, time_t *out)
{
    int64_t day;
    int minute;
    if (locate(c, t, &day, &minute))
        return DH_WC_RANGE;
    if (in_range(c, day, minute)) {
        *out = t;
        return DH_WC_OK;
    }
    int64_t w = position(c, day, minute);
    if (w >= c->cum[c->ndays])
        return DH_WC_RANGE;
    *out = instant_of(c, w + 1) - 60;
    return DH_WC_OK;
}

dh_wc_status dh_workcal_add_minutes(const dh_workcal *c, time_t t, int64_t minutes,
                                    int cutoff_min, time_t *out)
{
    if (minutes < 0 || cutoff_min > 1440)
        return DH_WC_INVALID;
    int64_t day;
    int minute;
    if (locate(c, t, &day, &minute))
        return DH_WC_RANGE;
    if (cutoff_min >= 0 && day < c->ndays && c->pat[day] != PAT_NONE && minute >= cutoff_min) {
        t = local_minute_to_time(((int64_t)c->first + day + 1) * 1440);
        day++;
        minute = 0;
    }
    if (minutes == 0)
        return dh_workcal_next(c, t, out);
    /* The next working instant has the same position as t: no working time
     * lies between them. */
    int64_t target = position(c, day, minute) + minutes;
    if (target > c->cum[c->ndays])
        return DH_WC_RANGE;
    *out = instant_of(c, target);
    return DH_WC_OK;
}

dh_wc_status dh_workcal_add_days(const dh_workcal *c, time_t t, int64_t days, int cutoff_min,
                                 time_t *out)
{
    if (days < 0 || days > INT32_MAX / 1440)
        return DH_WC_INVALID;
    return dh_workcal_add_minutes(c, t, days * c->day_minutes, cutoff_min, out);
}

static int cmp_interval(const void *a, const void *b)
{
    const dh_interval *x = a, *y = b;
    return (x->from > y->from) - (x->from < y->from);
}

static int64_t pos_of(const dh_workcal *c, time_t t)
{
    int64_t day;
    int minute;
    locate(c, t, &day, &minute);
    return position(c, day, minute);
}

dh_wc_status dh_workcal_between(const dh_workcal *c, time_t a, time_t b,
                                const dh_interval *excl, size_t nexcl, int64_t *out)
{
    int64_t day;
    int minute;
    if (b < a)
        return DH_WC_INVALID;
    if (locate(c, a, &day, &minute) || locate(c, b, &day, &minute))
        return DH_WC_RANGE;
    int64_t total = pos_of(c, b) - pos_of(c, a);
    if (nexcl) {
        dh_interval *v = dh_xmalloc(nexcl * sizeof *v);
        size_t m = 0;
        for (size_t i = 0; i < nexcl; i++) {
            time_t f = excl[i].from < a ? a : excl[i].from;
            time_t t = excl[i].to > b ? b : excl[i].to;
            if (f < t)
                v[m++] = (dh_interval){f, t};
        }
        qsort(v, m, sizeof *v, cmp_interval);
        time_t cur_f = 0, cur_t = 0;
        bool open = false;
        for (size_t i = 0; i <= m; i++) {
            if (i < m && open && v[i].from <= cur_t) {
                if (v[i].to > cur_t)
                    cur_t = v[i].to;
                continue;
            }
            if (open)
                total -= pos_of(c, cur_t) - pos_of(c, cur_f);
            if (i < m) {
                cur_f = v[i].from;
                cur_t = v[i].to;
                open = true;
            }
        }
        free(v);
    }
    *out = total;
    return DH_WC_OK;
}
