/* holiday.c - see holiday.h. */
#include "core/holiday.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "core/lunar.h"
#include "util/buf.h"

static const char *const kind_names[] = {"statutory", "in_lieu", "swap", "extra"};

const char *dh_off_kind_name(dh_off_kind k)
{
    return (unsigned)k < 4 ? kind_names[k] : "?";
}

int dh_off_kind_parse(const char *s, dh_off_kind *k)
{
    for (int i = 0; i < 4; i++) {
        if (s && strcmp(s, kind_names[i]) == 0) {
            *k = (dh_off_kind)i;
            return 0;
        }
    }
    return -1;
}

/* The rule table, versioned by law. */
typedef struct law {
    int from, to;     /* years */
    const char *name; /* the source given for generated days */
    int national_day_days;
} law;

static const law laws[] = {
    {2013, 2020, "Bộ luật Lao động 2012, Điều 115", 1},
    {2021, DH_HOLIDAY_YEAR_MAX, "Bộ luật Lao động 2019, Điều 112", 2},
};

static const law *law_of(int year)
{
    for (size_t i = 0; i < sizeof laws / sizeof *laws; i++)
        if (year >= laws[i].from && year <= laws[i].to)
            return &laws[i];
    return NULL;
}

const char *dh_holiday_law(int year)
{
    const law *l = law_of(year);
    return l ? l->name : NULL;
}

static int cmp_entry_date(const void *a, const void *b)
{
    const dh_sched_entry *x = *(const dh_sched_entry *const *)a;
    const dh_sched_entry *y = *(const dh_sched_entry *const *)b;
    return (x->date > y->date) - (x->date < y->date);
}

int dh_sched_check(const dh_sched_entry *e, size_t n, char *msg, size_t cap)
{
    if (n == 0)
        return 0;
    const dh_sched_entry **p = dh_xmalloc(n * sizeof *p);
    for (size_t i = 0; i < n; i++)
        p[i] = &e[i];
    qsort(p, n, sizeof *p, cmp_entry_date);
    int rc = 0;
    for (size_t i = 1; i < n && rc == 0; i++) {
        if (p[i]->date == p[i - 1]->date) {
            char d[DH_DATE_TEXT_LEN];
            dh_date_format(p[i]->date, d);
            if (p[i]->work != p[i - 1]->work)
                snprintf(msg, cap, "%s is marked both as a day off and as a working day", d);
            else
                snprintf(msg, cap, "%s appears twice in the schedule", d);
            rc = -1;
        }
    }
    free(p);
    return rc;
}

/* ---- Generation. ----------------------------------------------------- */

typedef struct daylist {
    dh_day *v;
    size_t n, cap;
} daylist;

static void push(daylist *l, dh_date d, dh_off_kind k, const char *name, const char *source,
                 bool confirmed)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 32;
        l->v = dh_xrealloc(l->v, l->cap * sizeof *l->v);
    }
    l->v[l->n++] = (dh_day){d, k, name, source, confirmed};
}

static ssize_t find(const daylist *l, dh_date d)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->v[i].date == d)
            return (ssize_t)i;
    return -1;
}

static void drop(daylist *l, size_t i)
{
    memmove(&l->v[i], &l->v[i + 1], (l->n - i - 1) * sizeof *l->v);
    l->n--;
}

static int cmp_day(const void *a, const void *b)
{
    const dh_day *x = a, *y = b;
    return (x->date > y->date) - (x->date < y->date);
}

static bool weekend(dh_date d) { return dh_date_weekday(d) >= 6; }

static dh_date lunar_day(int year, int month, int day)
{
    dh_lunar l = {day, month, year, false};
    dh_date d = 0;
    dh_lunar_to_solar(&l, &d, NULL); /* always exists for regular months 1..3 */
    return d;
}

static const char *lieu_name(const char *holiday)
{
    static const char *const map[][2] = {
        {"Tết Nguyên đán", "Nghỉ bù Tết Nguyên đán"},
        {"Tết Dương lịch", "Nghỉ bù Tết Dương lịch"},
        {"Giỗ Tổ", "Nghỉ bù Giỗ Tổ Hùng Vương"},
        {"30/4", "Nghỉ bù Ngày Chiến thắng (30/4)"},
        {"1/5", "Nghỉ bù Ngày Quốc tế Lao động (1/5)"},
        {"Quốc khánh", "Nghỉ bù Quốc khánh"},
    };
    for (size_t i = 0; i < sizeof map / sizeof *map; i++)
        if (strstr(holiday, map[i][0]))
            return map[i][1];
    return "Nghỉ bù";
}

/* The statutory days of `year` under law l, with the days off in lieu for
 * those that fall on the weekly rest days (Saturday, Sunday). */
static void statutory(int year, const law *l, daylist *out)
{
    const char *src = l->name;
    push(out, dh_date_from_ymd(year, 1, 1), DH_OFF_STATUTORY, "Tết Dương lịch", src, true);
    /* Tết: the last two days of the old lunar year and the first three of
     * the new (the placement the yearly notices have used since 2021). */
    dh_date tet = lunar_day(year, 1, 1);
    static const char *const tet_names[] = {"Tết Nguyên đán (trước giao thừa)",
                                            "Tết Nguyên đán (giao thừa)",
                                            "Tết Nguyên đán (mùng 1)", "Tết Nguyên đán (mùng 2)",
                                            "Tết Nguyên đán (mùng 3)"};
    for (int i = -2; i <= 2; i++)
        push(out, tet + i, DH_OFF_STATUTORY, tet_names[i + 2], src, true);
    push(out, lunar_day(year, 3, 10), DH_OFF_STATUTORY, "Giỗ Tổ Hùng Vương (10/3 âm lịch)", src,
         true);
    push(out, dh_date_from_ymd(year, 4, 30), DH_OFF_STATUTORY,
         "Ngày Chiến thắng (30/4)", src, true);
    push(out, dh_date_from_ymd(year, 5, 1), DH_OFF_STATUTORY, "Ngày Quốc tế Lao động (1/5)", src,
         true);
    dh_date nd = dh_date_from_ymd(year, 9, 2);
    push(out, nd, DH_OFF_STATUTORY, "Quốc khánh (2/9)", src, true);
    if (l->national_day_days == 2) {
        /* 1/9, or 3/9 when 1/9 is a Sunday, so the two days touch the weekend. */
        dh_date second = dh_date_weekday(nd) == 1 ? nd + 1 : nd - 1;
        push(out, second, DH_OFF_STATUTORY, "Quốc khánh (ngày liền kề)", src, true);
    }
    qsort(out->v, out->n, sizeof *out->v, cmp_day);
    size_t nstat = out->n;
    for (size_t i = 0; i < nstat; i++) {
        if (!weekend(out->v[i].date))
            continue;
        dh_date d = out->v[i].date + 1;
        while (weekend(d) || find(out, d) >= 0)
            d++;
        push(out, d, DH_OFF_IN_LIEU, lieu_name(out->v[i].name), src, true);
    }
}

int dh_holidays_year(int year, const dh_sched_entry *sched, size_t n, dh_year_days *out)
{
    memset(out, 0, sizeof *out);
    const law *l = law_of(year);
    if (!l)
        return -1;
    daylist off = {0}, work = {0};
    statutory(year, l, &off);
    dh_date first = dh_date_from_ymd(year, 1, 1), last = dh_date_from_ymd(year, 12, 31);
    for (size_t i = 0; i < n; i++) {
        const dh_sched_entry *e = &sched[i];
        if (e->date < first || e->date > last)
            continue;
        ssize_t at = find(&off, e->date);
        if (e->work) {
            if (at >= 0)
                drop(&off, (size_t)at); /* a notice moved that day off */
            if (weekend(e->date))
                push(&work, e->date, DH_OFF_EXTRA, e->name, e->source, e->confirmed);
        } else if (at >= 0) {
            /* The notice confirms (and may relabel) a day the rules give. */
            off.v[at] = (dh_day){e->date, e->kind, e->name, e->source, e->confirmed};
        } else {
            push(&off, e->date, e->kind, e->name, e->source, e->confirmed);
        }
    }
    qsort(off.v, off.n, sizeof *off.v, cmp_day);
    if (work.n)
        qsort(work.v, work.n, sizeof *work.v, cmp_day);
    out->year = year;
    out->off = off.v;
    out->noff = off.n;
    out->work = work.v;
    out->nwork = work.n;
    return 0;
}

void dh_year_days_free(dh_year_days *y)
{
    free(y->off);
    free(y->work);
    memset(y, 0, sizeof *y);
}
