/* test_calendar.c - the lunar calendar against every published vector,
 * holidays by rule and by schedule (every day off and make-up day of
 * 2024-2026), and working-time arithmetic: examples, a day-by-day reference
 * implementation, and properties (round trips, monotonicity). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "app/app.h"
#include "core/holiday.h"
#include "core/lunar.h"
#include "core/workcal.h"

#define DATA DH_SOURCE_ROOT "/tests/data/lunar/"

static dh_date D(const char *s)
{
    dh_date d;
    if (dh_date_parse(s, &d))
        fail_msg("bad date in test: %s", s);
    return d;
}

static time_t T(const char *s)
{
    time_t t;
    if (dh_time_parse(s, &t))
        fail_msg("bad time in test: %s", s);
    return t;
}

static FILE *open_data(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s%s", DATA, name);
    FILE *f = fopen(path, "r");
    if (!f)
        fail_msg("cannot open %s", path);
    char line[256];
    if (!fgets(line, sizeof line, f)) /* header */
        fail_msg("empty %s", path);
    return f;
}

static void test_lunar_sample_days(void **state)
{
    FILE *f = open_data("sample_days.csv");
    char line[256];
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        char ds[16];
        int d, m, y, l;
        assert_int_equal(sscanf(line, "%10[^,],%d,%d,%d,%d", ds, &d, &m, &y, &l), 5);
        dh_lunar x;
        assert_int_equal(dh_lunar_from_solar(D(ds), &x), 0);
        if (x.day != d || x.month != m || x.year != y || x.leap != (l != 0))
            fail_msg("%s: want %d/%d/%d%s, got %d/%d/%d%s", ds, d, m, y, l ? " leap" : "", x.day,
                     x.month, x.year, x.leap ? " leap" : "");
        dh_date back;
        assert_int_equal(dh_lunar_to_solar(&x, &back, NULL), 0);
        assert_int_equal(back, D(ds));
        n++;
    }
    fclose(f);
    assert_int_equal(n, 1500);
}

static void test_lunar_tet_and_hung_kings(void **state)
{
    FILE *f = open_data("tet_1900_2199.csv");
    char line[256];
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        int y;
        char a[16], b[16];
        assert_int_equal(sscanf(line, "%d,%10[^,],%10s", &y, a, b), 3);
        dh_lunar tet = {1, 1, y, false}, hung = {10, 3, y, false};
        dh_date t, h;
        assert_int_equal(dh_lunar_to_solar(&tet, &t, NULL), 0);
        assert_int_equal(dh_lunar_to_solar(&hung, &h, NULL), 0);
        if (t != D(a) || h != D(b))
            fail_msg("lunar year %d: Tết/Giỗ Tổ differ from %s %s", y, a, b);
        n++;
    }
    fclose(f);
    assert_int_equal(n, 300);
}

static void test_lunar_leap_months(void **state)
{
    FILE *f = open_data("leap_months_1900_2199.csv");
    char line[256];
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        int y, l;
        assert_int_equal(sscanf(line, "%d,%d", &y, &l), 2);
        if (dh_lunar_leap_month(y) != l)
            fail_msg("lunar year %d: leap month %d, want %d", y, dh_lunar_leap_month(y), l);
        /* a leap flag the year does not have is an error, never a fallback */
        dh_lunar x = {1, l ? (l % 12) + 1 : 5, y, true};
        dh_date d;
        const char *why = NULL;
        assert_int_equal(dh_lunar_to_solar(&x, &d, &why), -1);
        assert_non_null(why);
        n++;
    }
    fclose(f);
    assert_int_equal(n, 300);
}

static void test_lunar_examples_and_errors(void **state)
{
    dh_lunar x;
    assert_int_equal(dh_lunar_from_solar(D("2054-05-07"), &x), 0);
    assert_true(x.day == 30 && x.month == 3 && x.year == 2054 && !x.leap);
    assert_int_equal(dh_lunar_leap_month(2033), 11);
    dh_lunar tet85 = {1, 1, 1985, false};
    dh_date d;
    assert_int_equal(dh_lunar_to_solar(&tet85, &d, NULL), 0);
    assert_int_equal(d, D("1985-01-21")); /* 20 February in China (UTC+8) */
    const char *why;
    dh_lunar bad = {30, 1, 2025, false}; /* month 1 of 2025 has 29 days */
    if (dh_lunar_month_length(2025, 1, false) == 29) {
        assert_int_equal(dh_lunar_to_solar(&bad, &d, &why), -1);
    }
    dh_lunar m13 = {1, 13, 2025, false};
    assert_int_equal(dh_lunar_to_solar(&m13, &d, &why), -1);
    dh_lunar y1800 = {1, 1, 1800, false};
    assert_int_equal(dh_lunar_to_solar(&y1800, &d, &why), -1);
    assert_int_equal(dh_lunar_from_solar(D("1850-01-01"), &x), -1);
    assert_int_equal(dh_lunar_from_solar(D("2200-01-01"), &x), -1);
}

/* ---- Holidays. ---------------------------------------------------------- */

static const dh_calset *builtin(void)
{
    dh_err e;
    const dh_calset *s = dh_calset_builtin(&e);
    if (!s)
        fail_msg("built-in calendars: %s", e.message);
    return s;
}

/* The weekdays off and the make-up days of a year, as "YYYY-MM-DD ..." */
static void year_is(int year, const char *want_off, const char *want_work)
{
    const dh_calset *s = builtin();
    dh_year_days yd;
    assert_int_equal(dh_holidays_year(year, s->entries, s->nentries, &yd), 0);
    char off[1024] = "", work[256] = "";
    for (size_t i = 0; i < yd.noff; i++) {
        if (dh_date_weekday(yd.off[i].date) >= 6)
            continue;
        char d[DH_DATE_TEXT_LEN];
        dh_date_format(yd.off[i].date, d);
        strcat(off, *off ? " " : "");
        strcat(off, d);
    }
    for (size_t i = 0; i < yd.nwork; i++) {
        char d[DH_DATE_TEXT_LEN];
        dh_date_format(yd.work[i].date, d);
        strcat(work, *work ? " " : "");
        strcat(work, d);
    }
    dh_year_days_free(&yd);
    assert_string_equal(off, want_off);
    assert_string_equal(work, want_work);
}

static void test_days_off_2024_2026(void **state)
{
    year_is(2024,
            "2024-01-01 2024-02-08 2024-02-09 2024-02-12 2024-02-13 2024-02-14 2024-04-18 "
            "2024-04-29 2024-04-30 2024-05-01 2024-09-02 2024-09-03",
            "2024-05-04");
    year_is(2025,
            "2025-01-01 2025-01-27 2025-01-28 2025-01-29 2025-01-30 2025-01-31 2025-04-07 "
            "2025-04-30 2025-05-01 2025-05-02 2025-09-01 2025-09-02",
            "2025-04-26");
    year_is(2026,
            "2026-01-01 2026-02-16 2026-02-17 2026-02-18 2026-02-19 2026-02-20 2026-04-27 "
            "2026-04-30 2026-05-01 2026-08-31 2026-09-01 2026-09-02 2026-11-24",
            "2026-08-22");
}

static void test_rules_by_law_and_in_lieu(void **state)
{
    /* 2022: no schedule entries; every day in lieu comes from the rule */
    year_is(2022,
            "2022-01-03 2022-01-31 2022-02-01 2022-02-02 2022-02-03 2022-02-04 2022-04-11 "
            "2022-05-02 2022-05-03 2022-09-01 2022-09-02",
            "");
    /* 2020 (Labour Code 2012): one day of Quốc khánh; Tết 23-29/1 */
    dh_year_days yd;
    assert_int_equal(dh_holidays_year(2020, NULL, 0, &yd), 0);
    int national = 0;
    for (size_t i = 0; i < yd.noff; i++)
        national += strstr(yd.off[i].name, "Quốc khánh") != NULL;
    assert_int_equal(national, 1);
    assert_non_null(strstr(dh_holiday_law(2020), "2012"));
    assert_non_null(strstr(dh_holiday_law(2021), "2019"));
    dh_year_days_free(&yd);
    assert_int_equal(dh_holidays_year(2012, NULL, 0, &yd), -1);
    assert_int_equal(dh_holidays_year(2200, NULL, 0, &yd), -1);
}

static void test_schedule_conflicts(void **state)
{
    dh_sched_entry e[2] = {{0, D("2025-03-03"), false, DH_OFF_EXTRA, "a", "", true},
                           {0, D("2025-03-03"), true, DH_OFF_EXTRA, "b", "", true}};
    char msg[200];
    assert_int_equal(dh_sched_check(e, 2, msg, sizeof msg), -1);
    assert_non_null(strstr(msg, "2025-03-03"));
    dh_week w;
    dh_week_default(&w);
    assert_null(dh_workcal_build(&w, e, 2, msg, sizeof msg));
    e[1].date = D("2025-03-04");
    assert_int_equal(dh_sched_check(e, 2, msg, sizeof msg), 0);
    /* a "work" entry cancels a day off the rules give */
    dh_sched_entry cancel = {0, D("2021-09-01"), true, DH_OFF_EXTRA, "đi làm", "", true};
    dh_year_days yd;
    dh_holidays_year(2021, &cancel, 1, &yd);
    for (size_t i = 0; i < yd.noff; i++)
        assert_int_not_equal(yd.off[i].date, D("2021-09-01"));
    assert_int_equal(yd.nwork, 0);
    dh_year_days_free(&yd);
}

/* ---- Working time. ------------------------------------------------------ */

static const dh_workcal *wc(void) { return dh_calset_find(builtin(), "default")->wc; }

static void add_is(const char *start, int64_t days, const char *want)
{
    time_t out;
    assert_int_equal(dh_workcal_add_days(wc(), T(start), days, -1, &out), DH_WC_OK);
    char got[20];
    dh_time_format_vn(out, got);
    if (strcmp(got, want) != 0)
        fail_msg("%s + %lld days: got %s, want %s", start, (long long)days, got, want);
}

static void test_add_examples(void **state)
{
    add_is("2025-01-24T08:00", 3, "2025-02-05T08:00"); /* Tết 2025 */
    add_is("2024-04-26T17:00", 1, "2024-05-02T17:00"); /* 29/4-1/5 off, 2/5 is Thursday */
    add_is("2024-05-03T09:00", 1, "2024-05-04T09:00"); /* Saturday 4/5 is worked */
    add_is("2025-01-24T08:00", 0, "2025-01-24T08:00");
    add_is("2025-01-24T12:00", 0, "2025-01-24T13:30"); /* lunch: next working instant */
    add_is("2025-01-24T17:00", 0, "2025-02-03T07:30");
    add_is("2025-03-03T07:30", 1, "2025-03-03T17:00"); /* the end of the day, not the next */
    assert_false(dh_workcal_is_working_day(wc(), D("2024-04-29")));
    assert_true(dh_workcal_is_working_day(wc(), D("2024-05-04")));
    assert_false(dh_workcal_is_working_day(wc(), D("2024-05-05")));
    /* hours and the cut-off */
    time_t out;
    assert_int_equal(dh_workcal_add_minutes(wc(), T("2025-03-03T16:00"), 120, -1, &out), 0);
    char got[20];
    dh_time_format_vn(out, got);
    assert_string_equal(got, "2025-03-04T08:30");
    assert_int_equal(dh_workcal_add_minutes(wc(), T("2025-03-03T16:00"), 60, 15 * 60 + 30, &out),
                     0);
    dh_time_format_vn(out, got);
    assert_string_equal(got, "2025-03-04T08:30");
    assert_int_equal(dh_workcal_add_days(wc(), T("2025-03-03T08:00"), -1, -1, &out),
                     DH_WC_INVALID);
    assert_int_equal(dh_workcal_add_days(wc(), T("2199-12-30T08:00"), 10, -1, &out),
                     DH_WC_RANGE);
    assert_int_equal(dh_workcal_add_days(wc(), T("2012-12-30T08:00"), 1, -1, &out),
                     DH_WC_RANGE);
}

static void test_between_with_pauses(void **state)
{
    int64_t m;
    assert_int_equal(dh_workcal_between(wc(), T("2025-01-24T08:00"), T("2025-02-05T08:00"), NULL,
                                        0, &m),
                     0);
    assert_int_equal(m, 3 * 450);
    /* pauses overlapping each other and the ends */
    dh_interval p[3] = {{T("2025-03-03T07:00"), T("2025-03-03T09:00")},
                        {T("2025-03-03T08:30"), T("2025-03-03T10:00")},
                        {T("2025-03-05T16:00"), T("2025-03-07T00:00")}};
    assert_int_equal(dh_workcal_between(wc(), T("2025-03-03T08:00"), T("2025-03-05T17:00"), p, 3,
                                        &m),
                     0);
    /* 08:00 Mon .. 17:00 Wed = 3*450 - 30 = 1320; minus 08:00-10:00 (120) and 16:00-17:00 (60) */
    assert_int_equal(m, 1320 - 120 - 60);
    assert_int_equal(dh_workcal_between(wc(), T("2025-03-05T17:00"), T("2025-03-03T08:00"), NULL,
                                        0, &m),
                     DH_WC_INVALID);
}

/* A straightforward reference: walk day by day, range by range. */
static time_t naive_add(const dh_workcal *c, time_t t, int64_t minutes)
{
    const dh_week *w = dh_workcal_week(c);
    int64_t lm = ((int64_t)t + 7 * 3600) / 60;
    dh_date day = (dh_date)(lm / 1440);
    int minute = (int)(lm % 1440);
    for (;; day++, minute = 0) {
        int wm = dh_workcal_day(c, day);
        if (wm <= 0)
            continue;
        int wd = dh_date_weekday(day) - 1;
        if (wd >= 5 || w->n[wd] == 0)
            wd = 0; /* a make-up day uses Monday's hours */
        for (int i = 0; i < w->n[wd]; i++) {
            int s = w->day[wd][i].start, e = w->day[wd][i].end;
            if (minute >= e)
                continue;
            if (minute > s)
                s = minute;
            if (minutes == 0)
                return (time_t)(((int64_t)day * 1440 + s) * 60 - 7 * 3600);
            if (e - s >= minutes)
                return (time_t)(((int64_t)day * 1440 + s + minutes) * 60 - 7 * 3600);
            minutes -= e - s;
        }
    }
}

static void test_against_reference_and_properties(void **state)
{
    const dh_workcal *c = wc();
    srand(20251122);
    time_t lo = T("2013-01-01"), hi = T("2195-01-01");
    for (int i = 0; i < 20000; i++) {
        time_t t = lo + (time_t)(((double)rand() / RAND_MAX) * (double)(hi - lo));
        t -= t % 60;
        int64_t n = rand() % 60;
        time_t a, b, s;
        assert_int_equal(dh_workcal_add_days(c, t, n, -1, &a), 0);
        time_t ref = naive_add(c, t, n * dh_workcal_day_minutes(c));
        if (a != ref) {
            char x[20], y[20], z[20];
            dh_time_format_vn(t, x);
            dh_time_format_vn(a, y);
            dh_time_format_vn(ref, z);
            fail_msg("%s + %lld days: %s, reference %s", x, (long long)n, y, z);
        }
        /* add then between round-trips from the next working instant */
        assert_int_equal(dh_workcal_next(c, t, &s), 0);
        int64_t m;
        assert_int_equal(dh_workcal_between(c, s, a, NULL, 0, &m), 0);
        assert_int_equal(m, n * dh_workcal_day_minutes(c));
        /* monotonic in N and in the start */
        assert_int_equal(dh_workcal_add_days(c, t, n + 1, -1, &b), 0);
        assert_true(b > a);
        assert_int_equal(dh_workcal_add_days(c, t + 60 * (rand() % 5000), n, -1, &b), 0);
        assert_true(b >= a);
        /* hours: between(add(t, h hours)) == h*60 */
        int64_t h = rand() % 200;
        assert_int_equal(dh_workcal_add_minutes(c, t, h * 60, -1, &b), 0);
        assert_int_equal(dh_workcal_between(c, s, b, NULL, 0, &m), 0);
        assert_int_equal(m, h * 60);
    }
}

static void test_week_parsing(void **state)
{
    dh_week w;
    memset(&w, 0, sizeof w);
    char msg[200];
    assert_int_equal(dh_week_parse_day(&w, 0, "07:00-11:30,13:00-17:00", msg, sizeof msg), 0);
    assert_int_equal(dh_week_parse_day(&w, 5, "07:30-11:30", msg, sizeof msg), 0);
    assert_int_equal(dh_week_check(&w, msg, sizeof msg), 0);
    char out[64];
    dh_week_format_day(&w, 0, out, sizeof out);
    assert_string_equal(out, "07:00-11:30,13:00-17:00");
    assert_int_equal(dh_week_parse_day(&w, 1, "7:30-11:30", msg, sizeof msg), -1);
    assert_int_equal(dh_week_parse_day(&w, 1, "11:30-07:30", msg, sizeof msg), 0);
    assert_int_equal(dh_week_check(&w, msg, sizeof msg), -1);
    assert_int_equal(dh_week_parse_day(&w, 1, "07:30-11:30,11:00-12:00", msg, sizeof msg), 0);
    assert_int_equal(dh_week_check(&w, msg, sizeof msg), -1);
    assert_int_equal(dh_week_parse_day(&w, 1, "25:00-26:00", msg, sizeof msg), -1);
    /* Saturday mornings count: a calendar with them works on Saturdays */
    assert_int_equal(dh_week_parse_day(&w, 1, "", msg, sizeof msg), 0);
    dh_workcal *c = dh_workcal_build(&w, NULL, 0, msg, sizeof msg);
    assert_non_null(c);
    assert_int_equal(dh_workcal_day(c, D("2025-03-08")), 240);
    assert_int_equal(dh_workcal_day(c, D("2025-03-04")), 0); /* Tuesday left empty */
    assert_int_equal(dh_workcal_day_minutes(c), 510);
    dh_workcal_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lunar_sample_days),
        cmocka_unit_test(test_lunar_tet_and_hung_kings),
        cmocka_unit_test(test_lunar_leap_months),
        cmocka_unit_test(test_lunar_examples_and_errors),
        cmocka_unit_test(test_days_off_2024_2026),
        cmocka_unit_test(test_rules_by_law_and_in_lieu),
        cmocka_unit_test(test_schedule_conflicts),
        cmocka_unit_test(test_add_examples),
        cmocka_unit_test(test_between_with_pauses),
        cmocka_unit_test(test_against_reference_and_properties),
        cmocka_unit_test(test_week_parsing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
