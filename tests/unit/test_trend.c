/* test_trend.c - trend buckets (months, quarters, years, the same quarter
 * over the years) and the trend's rates with zero denominators. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/trend.h"

static void bucket_is(const dh_tbucket *b, const char *label, const char *from, const char *to)
{
    char a[DH_DATE_TEXT_LEN], c[DH_DATE_TEXT_LEN];
    dh_date_format(b->from, a);
    dh_date_format(b->to, c);
    if (strcmp(b->label, label) || strcmp(a, from) || strcmp(c, to))
        fail_msg("got %s %s..%s, want %s %s..%s", b->label, a, c, label, from, to);
}

static dh_date D(const char *s)
{
    dh_date d;
    assert_int_equal(dh_date_parse(s, &d), 0);
    return d;
}

static void test_months(void **st)
{
    (void)st;
    dh_tbucket b[DH_TREND_MAX];
    /* clipped at both ends, across a year and a leap February */
    int n = dh_trend_buckets(D("2023-11-15"), D("2024-03-10"), DH_TREND_MONTH, b, DH_TREND_MAX);
    assert_int_equal(n, 5);
    bucket_is(&b[0], "2023-11", "2023-11-15", "2023-11-30");
    bucket_is(&b[1], "2023-12", "2023-12-01", "2023-12-31");
    bucket_is(&b[3], "2024-02", "2024-02-01", "2024-02-29");
    bucket_is(&b[4], "2024-03", "2024-03-01", "2024-03-10");
    /* ten years of months: 120 buckets, contiguous, covering every day */
    n = dh_trend_buckets(D("2016-12-01"), D("2026-11-30"), DH_TREND_MONTH, b, DH_TREND_MAX);
    assert_int_equal(n, 120);
    for (int i = 1; i < n; i++)
        assert_int_equal(b[i].from, b[i - 1].to + 1);
    bucket_is(&b[119], "2026-11", "2026-11-01", "2026-11-30");
    /* a single day; too many; reversed */
    assert_int_equal(dh_trend_buckets(D("2025-07-15"), D("2025-07-15"), DH_TREND_MONTH, b, 1), 1);
    bucket_is(&b[0], "2025-07", "2025-07-15", "2025-07-15");
    assert_int_equal(dh_trend_buckets(D("2000-01-01"), D("2025-12-31"), DH_TREND_MONTH, b,
                                      DH_TREND_MAX),
                     -1);
    assert_int_equal(dh_trend_buckets(D("2025-02-01"), D("2025-01-01"), DH_TREND_MONTH, b, 9),
                     -1);
}

static void test_quarters_years(void **st)
{
    (void)st;
    dh_tbucket b[DH_TREND_MAX];
    int n = dh_trend_buckets(D("2024-02-10"), D("2025-01-31"), DH_TREND_QUARTER, b, DH_TREND_MAX);
    assert_int_equal(n, 5);
    bucket_is(&b[0], "2024-Q1", "2024-02-10", "2024-03-31");
    bucket_is(&b[1], "2024-Q2", "2024-04-01", "2024-06-30");
    bucket_is(&b[3], "2024-Q4", "2024-10-01", "2024-12-31");
    bucket_is(&b[4], "2025-Q1", "2025-01-01", "2025-01-31");
    n = dh_trend_buckets(D("2016-01-01"), D("2026-11-30"), DH_TREND_YEAR, b, DH_TREND_MAX);
    assert_int_equal(n, 11);
    bucket_is(&b[0], "2016", "2016-01-01", "2016-12-31");
    bucket_is(&b[10], "2026", "2026-01-01", "2026-11-30");
}

static void test_default_range(void **st)
{
    (void)st;
    dh_date f, t;
    dh_tbucket b[DH_TREND_MAX];
    dh_trend_default_range(D("2026-11-20"), DH_TREND_MONTH, &f, &t);
    assert_int_equal(dh_trend_buckets(f, t, DH_TREND_MONTH, b, DH_TREND_MAX), 120);
    bucket_is(&b[0], "2016-12", "2016-12-01", "2016-12-31");
    bucket_is(&b[119], "2026-11", "2026-11-01", "2026-11-30");
    dh_trend_default_range(D("2026-12-31"), DH_TREND_MONTH, &f, &t);
    assert_int_equal(dh_trend_buckets(f, t, DH_TREND_MONTH, b, DH_TREND_MAX), 120);
    bucket_is(&b[0], "2017-01", "2017-01-01", "2017-01-31");
    /* whole quarters: the first one is not clipped */
    dh_trend_default_range(D("2026-11-20"), DH_TREND_QUARTER, &f, &t);
    assert_int_equal(dh_trend_buckets(f, t, DH_TREND_QUARTER, b, DH_TREND_MAX), 41);
    bucket_is(&b[0], "2016-Q4", "2016-10-01", "2016-12-31");
    bucket_is(&b[40], "2026-Q4", "2026-10-01", "2026-11-30");
}

static void test_same(void **st)
{
    (void)st;
    dh_tbucket b[DH_TREND_MAX];
    const char *why = NULL;
    assert_int_equal(dh_trend_same("2026-Q3", 11, b, DH_TREND_MAX, &why), 11);
    bucket_is(&b[0], "2016-Q3", "2016-07-01", "2016-09-30");
    bucket_is(&b[10], "2026-Q3", "2026-07-01", "2026-09-30");
    assert_int_equal(dh_trend_same("2024-02", 3, b, DH_TREND_MAX, &why), 3);
    bucket_is(&b[0], "2022-02", "2022-02-01", "2022-02-28");
    bucket_is(&b[2], "2024-02", "2024-02-01", "2024-02-29");
    const char *bad[] = {"2026-Q5", "2026-Q0", "2026-13", "2026-00", "2026", "2026-Q3x",
                         "Q3", "", "2026-7", "2026-3Q"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        why = NULL;
        if (dh_trend_same(bad[i], 5, b, DH_TREND_MAX, &why) != -1 || !why)
            fail_msg("accepted '%s'", bad[i]);
    }
    assert_int_equal(dh_trend_same(NULL, 5, b, DH_TREND_MAX, &why), -1);
    assert_int_equal(dh_trend_same("2026-Q3", 0, b, DH_TREND_MAX, &why), -1);
    assert_int_equal(dh_trend_same("2026-Q3", 21, b, 20, &why), -1);
}

static void test_rates(void **st)
{
    (void)st;
    assert_true(isnan(dh_trend_rate(0, 0)));
    assert_true(isnan(dh_trend_rate(3, 0)));
    assert_true(dh_trend_rate(0, 5) == 0.0);
    assert_true(dh_trend_rate(2, 3) == 66.67);
    assert_true(dh_trend_rate(1, 3) == 33.33);
    assert_true(dh_trend_rate(7, 7) == 100.0);
    /* a missing month: everything zero, both rates N/A */
    dh_kfigures f = {0};
    dh_tpoint p;
    dh_tpoint_of(&f, &p);
    assert_int_equal(p.received, 0);
    assert_int_equal(p.resolved, 0);
    assert_true(isnan(p.on_time_rate) && isnan(p.online_rate));
    /* carried-over dossiers are not new; closed ones count as resolved */
    f.received_online = 3;
    f.received_counter_postal = 1;
    f.carried_over = 10;
    f.early = 1;
    f.on_time = 2;
    f.late = 1;
    f.resolved_total = 4;
    dh_tpoint_of(&f, &p);
    assert_int_equal(p.received, 4);
    assert_int_equal(p.received_online, 3);
    assert_int_equal(p.resolved, 4);
    assert_int_equal(p.resolved_in_time, 3);
    assert_int_equal(p.late, 1);
    assert_true(p.on_time_rate == 75.0);
    assert_true(p.online_rate == 75.0);
    /* resolved but nothing new: on-time rate defined, online rate N/A */
    f.received_online = f.received_counter_postal = 0;
    dh_tpoint_of(&f, &p);
    assert_true(isnan(p.online_rate) && p.on_time_rate == 75.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_months),
                                       cmocka_unit_test(test_quarters_years),
                                       cmocka_unit_test(test_same),
                                       cmocka_unit_test(test_default_range), cmocka_unit_test(test_rates)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
