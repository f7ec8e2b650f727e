/* bench/calendar.c - add-working-days: the table-driven dh_workcal_add_days
 * against a straightforward day-by-day implementation over the same
 * calendar, measured in the same run on one core.
 *
 * usage: build/bench/calendar [CALLS]   (default 20,000,000 for the fast path)
 * Prints calls per second of each and the ratio. Inputs: random starts in
 * 2015-2035 (minute precision) and N in 0..29 working days, the same
 * sequence for both. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "app/app.h"
#include "core/workcal.h"

#define BENCH_NAME "calendar"
#include "bench.h"

/* The baseline: walk day by day (the day's status from the same calendar),
 * range by range, until the minutes are used up. */
static time_t day_by_day(const dh_workcal *c, time_t t, int64_t minutes)
{
    const dh_week *w = dh_workcal_week(c);
    int64_t lm = ((int64_t)t + DH_VN_OFFSET) / 60;
    dh_date day = (dh_date)(lm / 1440);
    int minute = (int)(lm % 1440);
    for (;; day++, minute = 0) {
        if (dh_workcal_day(c, day) <= 0)
            continue;
        int wd = dh_date_weekday(day) - 1;
        if (w->n[wd] == 0)
            wd = 0;
        for (int i = 0; i < w->n[wd]; i++) {
            int s = w->day[wd][i].start, e = w->day[wd][i].end;
            if (minute >= e)
                continue;
            if (minute > s)
                s = minute;
            if (minutes == 0 || e - s >= minutes)
                return (time_t)(((int64_t)day * 1440 + s + minutes) * 60 - DH_VN_OFFSET);
            minutes -= e - s;
        }
    }
}

static uint64_t rng = 88172645463325252ULL;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

int main(int argc, char **argv)
{
    long calls = argc > 1 ? atol(argv[1]) : 20000000L;
    if (calls < 1000)
        calls = 1000;
    dh_err e;
    const dh_calset *s = dh_calset_builtin(&e);
    if (!s) {
        fprintf(stderr, "calendar: %s\n", e.message);
        return 1;
    }
    const dh_workcal *c = dh_calset_find(s, "default")->wc;
    enum { NIN = 1 << 16 };
    static time_t starts[NIN];
    static int ns[NIN];
    time_t lo, hi;
    dh_time_parse("2015-01-01", &lo);
    dh_time_parse("2035-01-01", &hi);
    for (int i = 0; i < NIN; i++) {
        starts[i] = lo + (time_t)(next() % (uint64_t)(hi - lo)) / 60 * 60;
        ns[i] = (int)(next() % 30);
    }
    /* Both must agree before we time them. */
    int dm = dh_workcal_day_minutes(c);
    for (int i = 0; i < NIN; i++) {
        time_t a;
        dh_workcal_add_days(c, starts[i], ns[i], -1, &a);
        if (a != day_by_day(c, starts[i], (int64_t)ns[i] * dm)) {
            fprintf(stderr, "calendar: the two implementations disagree at input %d\n", i);
            return 1;
        }
    }
    uint64_t sink = 0;
    double t0 = now_s();
    for (long i = 0; i < calls; i++) {
        time_t a;
        dh_workcal_add_days(c, starts[i & (NIN - 1)], ns[i & (NIN - 1)], -1, &a);
        sink += (uint64_t)a;
    }
    double fast = calls / (now_s() - t0);
    long base_calls = calls / 50;
    t0 = now_s();
    for (long i = 0; i < base_calls; i++)
        sink += (uint64_t)day_by_day(c, starts[i & (NIN - 1)], (int64_t)ns[i & (NIN - 1)] * dm);
    double slow = base_calls / (now_s() - t0);
    printf("add_working_days  tables: %.1f M calls/s   day-by-day: %.2f M calls/s   "
           "ratio: %.1fx   (%ld + %ld calls, checksum %llu)\n",
           fast / 1e6, slow / 1e6, fast / slow, calls, base_calls,
           (unsigned long long)(sink & 0xffff));
    return 0;
}
