/* test_indicator.c - indicators (core/indicator.c): period types around the
 * Decree 09 cut-offs, aggregation as a ratio of sums, due rules, which units
 * an obligation expects when units are created and merged mid-year, and the
 * projection and status of targets on hand-made series. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/indicator.h"
#include "core/uom.h"

static dh_date D(const char *s)
{
    dh_date d;
    if (dh_date_parse(s, &d))
        fail_msg("bad date %s", s);
    return d;
}

static void expect_period(dh_ptype t, const char *day, const char *from, const char *to,
                          const char *label)
{
    dh_period p = dh_ind_period_of(t, D(day));
    char a[DH_DATE_TEXT_LEN], b[DH_DATE_TEXT_LEN], l[32];
    dh_date_format(p.from, a);
    dh_date_format(p.to, b);
    dh_ind_period_label(t, p, l, sizeof l);
    if (strcmp(a, from) || strcmp(b, to) || strcmp(l, label))
        fail_msg("%s %s: got %s..%s %s, want %s..%s %s", dh_ptype_name(t), day, a, b, l, from, to,
                 label);
    /* The label reads back as the same period. */
    dh_period q;
    const char *why = NULL;
    if (dh_ind_period_parse(t, l, &q, &why))
        fail_msg("%s does not parse back: %s", l, why);
    assert_int_equal(q.from, p.from);
    assert_int_equal(q.to, p.to);
}

static void test_decree09_boundaries(void **state)
{
    /* Q1 = 15/12 of the year before .. 14/3. */
    expect_period(DH_PT_CUT_QUARTER, "2024-12-14", "2024-09-15", "2024-12-14", "cutoff:2024-Q4");
    expect_period(DH_PT_CUT_QUARTER, "2024-12-15", "2024-12-15", "2025-03-14", "cutoff:2025-Q1");
    expect_period(DH_PT_CUT_QUARTER, "2025-03-14", "2024-12-15", "2025-03-14", "cutoff:2025-Q1");
    expect_period(DH_PT_CUT_QUARTER, "2025-03-15", "2025-03-15", "2025-06-14", "cutoff:2025-Q2");
    expect_period(DH_PT_CUT_MONTH, "2025-01-14", "2024-12-15", "2025-01-14", "cutoff:2025-01");
    expect_period(DH_PT_CUT_MONTH, "2025-01-15", "2025-01-15", "2025-02-14", "cutoff:2025-02");
    expect_period(DH_PT_CUT_HALF, "2024-12-15", "2024-12-15", "2025-06-14", "cutoff:2025-H1");
    expect_period(DH_PT_CUT_HALF, "2025-06-15", "2025-06-15", "2025-12-14", "cutoff:2025-H2");
    expect_period(DH_PT_CUT_YEAR, "2024-12-15", "2024-12-15", "2025-12-14", "cutoff:2025");
    expect_period(DH_PT_CUT_YEAR, "2024-12-14", "2023-12-15", "2024-12-14", "cutoff:2024");
    expect_period(DH_PT_MONTH, "2024-02-29", "2024-02-01", "2024-02-29", "2024-02");
    expect_period(DH_PT_QUARTER, "2024-12-15", "2024-10-01", "2024-12-31", "2024-Q4");
    expect_period(DH_PT_HALF, "2024-07-01", "2024-07-01", "2024-12-31", "2024-H2");
    expect_period(DH_PT_YEAR, "2024-07-01", "2024-01-01", "2024-12-31", "2024");
    expect_period(DH_PT_DAY, "2024-07-01", "2024-07-01", "2024-07-01", "2024-07-01");
    /* Consecutive periods have consecutive indices, across the year end. */
    for (dh_ptype t = 0; t < DH_PT_COUNT; t++) {
        dh_period p = dh_ind_period_of(t, D("2023-11-20"));
        for (int i = 0; i < 30; i++) {
            dh_period n = dh_ind_period_next(t, p);
            assert_int_equal(n.from, p.to + 1);
            assert_int_equal(dh_ind_period_index(t, n), dh_ind_period_index(t, p) + 1);
            p = n;
        }
    }
}

static void test_period_fits_type(void **state)
{
    dh_period p;
    const char *why = NULL;
    assert_int_equal(dh_ind_period_parse(DH_PT_MONTH, "2024-07", &p, &why), 0);
    assert_int_equal(dh_ind_period_parse(DH_PT_MONTH, "2024-Q3", &p, &why), -1);
    assert_string_equal(why, "a month YYYY-MM");
    assert_int_equal(dh_ind_period_parse(DH_PT_MONTH, "2024-07-01", &p, &why), -1);
    assert_int_equal(dh_ind_period_parse(DH_PT_MONTH, "2024-07-01..2024-07-31", &p, &why), -1);
    assert_int_equal(dh_ind_period_parse(DH_PT_MONTH, "cutoff:2024-07", &p, &why), -1);
    assert_int_equal(dh_ind_period_parse(DH_PT_CUT_QUARTER, "cutoff:2025-Q1", &p, &why), 0);
    assert_int_equal(p.from, D("2024-12-15"));
    assert_int_equal(p.to, D("2025-03-14"));
    assert_int_equal(dh_ind_period_parse(DH_PT_CUT_QUARTER, "2025-Q1", &p, &why), -1);
    assert_int_equal(dh_ind_period_parse(DH_PT_YEAR, "2024", &p, &why), 0);
    assert_int_equal(dh_ind_period_parse(DH_PT_YEAR, "2024-13", &p, &why), -1);
    dh_ptype t;
    assert_int_equal(dh_ptype_parse("cutoff_quarter", &t), 0);
    assert_int_equal(t, DH_PT_CUT_QUARTER);
    assert_int_equal(dh_ptype_parse("weekly", &t), -1);
}

static void test_ratio_of_sums(void **state)
{
    /* A small commune with 1 of 1 dossiers online (100%) and a big one
     * with 10 of 100 (10%): the province has 11 of 101 (10.89%), not the
     * mean of the rates (55%). */
    dh_ind_acc a;
    double v;
    bool fb;
    dh_ind_acc_init(&a, DH_AGG_RATIO, 100);
    dh_ind_acc_add(&a, 100, true, 1, 1, 1);
    dh_ind_acc_add(&a, 10, true, 10, 100, 2);
    assert_int_equal(dh_ind_acc_value(&a, &v, &fb), 0);
    assert_false(fb);
    assert_true(v > 10.89 && v < 10.90);
    dh_ind_acc_init(&a, DH_AGG_MEAN, 1);
    dh_ind_acc_add(&a, 100, true, 1, 1, 1);
    dh_ind_acc_add(&a, 10, true, 10, 100, 2);
    assert_int_equal(dh_ind_acc_value(&a, &v, NULL), 0);
    assert_true(v == 55);
    /* Sum, max, latest (by time received, not by order added). */
    dh_ind_acc_init(&a, DH_AGG_SUM, 1);
    dh_ind_acc_add(&a, 140, false, 0, 0, 5);
    dh_ind_acc_add(&a, 60, false, 0, 0, 3);
    assert_int_equal(dh_ind_acc_value(&a, &v, NULL), 0);
    assert_true(v == 200);
    a.k = DH_AGG_MAX;
    assert_int_equal(dh_ind_acc_value(&a, &v, NULL), 0);
    assert_true(v == 140);
    a.k = DH_AGG_LATEST;
    assert_int_equal(dh_ind_acc_value(&a, &v, NULL), 0);
    assert_true(v == 140);
    /* Nothing, and a zero denominator, give no value. */
    dh_ind_acc_init(&a, DH_AGG_RATIO, 100);
    assert_int_equal(dh_ind_acc_value(&a, &v, NULL), -1);
    dh_ind_acc_add(&a, 0, true, 0, 0, 1);
    assert_int_equal(dh_ind_acc_value(&a, &v, NULL), -1);
    /* Rates given without counts fall back to their mean, and say so. */
    dh_ind_acc_init(&a, DH_AGG_RATIO, 100);
    dh_ind_acc_add(&a, 60, false, 0, 0, 1);
    dh_ind_acc_add(&a, 70, false, 0, 0, 1);
    assert_int_equal(dh_ind_acc_value(&a, &v, &fb), 0);
    assert_true(fb);
    assert_true(v == 65);
}

static void test_due_rules(void **state)
{
    dh_period jul = dh_ind_period_of(DH_PT_MONTH, D("2024-07-05"));
    dh_period dec = dh_ind_period_of(DH_PT_MONTH, D("2024-12-05"));
    assert_int_equal(dh_due_date("next_month_day:10", jul), D("2024-08-10"));
    assert_int_equal(dh_due_date("next_month_day:10", dec), D("2025-01-10"));
    assert_int_equal(dh_due_date("days_after_end:5", jul), D("2024-08-05"));
    dh_period y = dh_ind_period_of(DH_PT_CUT_YEAR, D("2025-01-01"));
    assert_int_equal(dh_due_date("yearly:12-15", y), D("2025-12-15"));
    dh_period cy = dh_ind_period_of(DH_PT_YEAR, D("2025-01-01"));
    /* A calendar year ends after 15/12: due the next year's 15/12. */
    assert_int_equal(dh_due_date("yearly:12-15", cy), D("2026-12-15"));
    assert_int_equal(dh_due_rule_check("next_month_day:10", NULL), 0);
    assert_int_equal(dh_due_rule_check("next_month_day:31", NULL), -1);
    assert_int_equal(dh_due_rule_check("yearly:02-30", NULL), -1);
    assert_int_equal(dh_due_rule_check("monthly", NULL), -1);
}

static int32_t mk(dh_unitreg *r, const char *code, dh_unit_kind kind, const char *parent,
                  const char *from, const char *to)
{
    dh_unit_spec s = {code, code, NULL, kind, parent, D(from), to ? D(to) : DH_DATE_NONE};
    int32_t u = -1;
    dh_err e;
    if (dh_unitreg_create(r, &s, &u, &e))
        fail_msg("create %s: %s", code, e.message);
    return u;
}

static void test_expected_units(void **state)
{
    /* W1 merged into W3 on 2024-07-01 (W1 valid to 30/6); W2 created on
     * 2024-03-20. */
    dh_unitreg *r = dh_unitreg_new();
    mk(r, "P", DH_UNIT_PROVINCE, NULL, "2000-01-01", NULL);
    int32_t w1 = mk(r, "W1", DH_UNIT_COMMUNE, "P", "2000-01-01", "2024-06-30");
    int32_t w2 = mk(r, "W2", DH_UNIT_COMMUNE, "P", "2024-03-20", NULL);
    int32_t w3 = mk(r, "W3", DH_UNIT_COMMUNE, "P", "2000-01-01", NULL);
    int expected_months[3] = {0, 0, 0};
    int32_t us[3] = {w1, w2, w3};
    dh_period p = dh_ind_period_of(DH_PT_MONTH, D("2024-01-01"));
    for (int m = 0; m < 12; m++, p = dh_ind_period_next(DH_PT_MONTH, p))
        for (int i = 0; i < 3; i++)
            expected_months[i] += dh_obl_expected(r, us[i], p);
    assert_int_equal(expected_months[0], 6);  /* January to June */
    assert_int_equal(expected_months[1], 10); /* March (exists on 31/3) to December */
    assert_int_equal(expected_months[2], 12);
    /* The year: only the units that exist on its last day. */
    dh_period y = dh_ind_period_of(DH_PT_YEAR, D("2024-05-05"));
    assert_false(dh_obl_expected(r, w1, y));
    assert_true(dh_obl_expected(r, w2, y));
    /* June is W1's last month; a quarter ending in September is not. */
    assert_true(dh_obl_expected(r, w1, dh_ind_period_of(DH_PT_QUARTER, D("2024-06-01"))));
    assert_false(dh_obl_expected(r, w1, dh_ind_period_of(DH_PT_QUARTER, D("2024-07-01"))));
    dh_unitreg_free(r);
}

/* Monthly points from July 2024. */
static size_t months(dh_ind_point *pts, const double *v, size_t n)
{
    dh_period p = dh_ind_period_of(DH_PT_MONTH, D("2024-07-01"));
    for (size_t i = 0; i < n; i++, p = dh_ind_period_next(DH_PT_MONTH, p))
        pts[i] = (dh_ind_point){p, v[i]};
    return n;
}

static void test_projection_and_status(void **state)
{
    dh_ind_point pts[12];
    dh_tgt_eval ev;
    /* Viettel: 140 stations by December; July-November 60, 80, 95, 110,
     * 125: the fitted line gains 16 a month and reaches 142 in December. */
    dh_tgt viettel = {140, D("2024-12-31"), false, NULL, 0};
    size_t n = months(pts, (const double[]){60, 80, 95, 110, 125}, 5);
    dh_target_eval(&viettel, DH_PT_MONTH, pts, n, D("2024-11-30"), &ev);
    assert_int_equal(ev.status, DH_TS_ON_TRACK);
    assert_string_equal(ev.method, "linear_least_squares");
    assert_int_equal(ev.fit_points, 5);
    assert_true(ev.slope > 15.999 && ev.slope < 16.001);
    assert_true(ev.projection > 141.999 && ev.projection < 142.001);
    assert_true(ev.actual == 125 && ev.gap == 15 && !ev.met);
    /* Only points ending by as_of count: on 15 October it has three. */
    dh_target_eval(&viettel, DH_PT_MONTH, pts, n, D("2024-10-15"), &ev);
    assert_true(ev.actual == 95);
    assert_int_equal(ev.fit_points, 3);
    /* VNPT: 60 by December; 10, 14, 18, 22, 26 projects 30: off track. */
    dh_tgt vnpt = {60, D("2024-12-31"), false, NULL, 0};
    n = months(pts, (const double[]){10, 14, 18, 22, 26}, 5);
    dh_target_eval(&vnpt, DH_PT_MONTH, pts, n, D("2024-11-30"), &ev);
    assert_int_equal(ev.status, DH_TS_OFF_TRACK);
    assert_true(ev.projection > 29.999 && ev.projection < 30.001);
    assert_int_equal(ev.since, D("2024-07-31"));
    /* Within 10% short: at risk (190 of 200). */
    dh_tgt total = {200, D("2024-12-31"), false, NULL, 0};
    n = months(pts, (const double[]){150, 160, 170, 180}, 4);
    dh_target_eval(&total, DH_PT_MONTH, pts, n, D("2024-10-31"), &ev);
    assert_true(ev.projection > 199.999 && ev.projection < 200.001);
    assert_int_equal(ev.status, DH_TS_ON_TRACK);
    n = months(pts, (const double[]){150, 155, 160, 165}, 4);
    dh_target_eval(&total, DH_PT_MONTH, pts, n, D("2024-10-31"), &ev);
    assert_true(ev.projection > 174.999 && ev.projection < 175.001);
    assert_int_equal(ev.status, DH_TS_OFF_TRACK);
    n = months(pts, (const double[]){170, 175, 180, 185}, 4);
    dh_target_eval(&total, DH_PT_MONTH, pts, n, D("2024-10-31"), &ev);
    assert_int_equal(ev.status, DH_TS_AT_RISK); /* projects 195 */
    /* Online by the applicant: 70% by December with milestones 65% by
     * 30/9 and 70% by 31/10. July 55: one point, projected flat, 21% short
     * (off track); August 60: the line reaches 80 (on track); September 64
     * misses 65 (at risk), October 67 misses 70, November 68: the line
     * reaches 72.7 but the October milestone was missed: at risk since
     * 30/9. */
    dh_milestone ms[] = {{D("2024-09-30"), 65}, {D("2024-10-31"), 70}};
    dh_tgt online = {70, D("2024-12-31"), false, ms, 2};
    n = months(pts, (const double[]){55, 60, 64, 67, 68, 71}, 6);
    dh_target_eval(&online, DH_PT_MONTH, pts, n, D("2024-07-31"), &ev);
    assert_int_equal(ev.status, DH_TS_OFF_TRACK);
    assert_string_equal(ev.method, "last_value");
    dh_target_eval(&online, DH_PT_MONTH, pts, n, D("2024-08-31"), &ev);
    assert_int_equal(ev.status, DH_TS_ON_TRACK);
    assert_int_equal(ev.since, D("2024-08-31"));
    dh_target_eval(&online, DH_PT_MONTH, pts, n, D("2024-11-30"), &ev);
    assert_int_equal(ev.status, DH_TS_AT_RISK);
    assert_int_equal(ev.missed_ms, 1);
    assert_true(ev.projection > 72.69 && ev.projection < 72.71);
    assert_int_equal(ev.since, D("2024-09-30"));
    /* December 71 meets it; judged after the date it stays on track. */
    dh_target_eval(&online, DH_PT_MONTH, pts, n, D("2025-03-01"), &ev);
    assert_int_equal(ev.status, DH_TS_ON_TRACK);
    assert_true(ev.met);
    /* VNPT after the date, never met: off track. */
    n = months(pts, (const double[]){10, 14, 18, 22, 26, 30}, 6);
    dh_target_eval(&vnpt, DH_PT_MONTH, pts, n, D("2025-02-01"), &ev);
    assert_int_equal(ev.status, DH_TS_OFF_TRACK);
    /* Time alone: on track in November (projects 60 exactly), the date
     * passes without December's value: off track from 1 January. */
    n = months(pts, (const double[]){35, 40, 45, 50, 55}, 5);
    dh_target_eval(&vnpt, DH_PT_MONTH, pts, n, D("2024-12-20"), &ev);
    assert_int_equal(ev.status, DH_TS_ON_TRACK);
    dh_target_eval(&vnpt, DH_PT_MONTH, pts, n, D("2025-01-20"), &ev);
    assert_int_equal(ev.status, DH_TS_OFF_TRACK);
    assert_int_equal(ev.since, D("2025-01-01"));
    /* Lower is better: a DTI rank of 10 or better; 18, 15, 12 projects 9. */
    dh_tgt rank = {10, D("2024-12-31"), true, NULL, 0};
    dh_period q = dh_ind_period_of(DH_PT_QUARTER, D("2024-01-01"));
    dh_ind_point qp[3];
    for (int i = 0; i < 3; i++, q = dh_ind_period_next(DH_PT_QUARTER, q))
        qp[i] = (dh_ind_point){q, 18.0 - 3 * i};
    dh_target_eval(&rank, DH_PT_QUARTER, qp, 3, D("2024-10-01"), &ev);
    assert_int_equal(ev.status, DH_TS_ON_TRACK);
    assert_true(ev.projection > 8.999 && ev.projection < 9.001);
    assert_true(ev.gap == 2);
    /* No data. */
    dh_target_eval(&rank, DH_PT_QUARTER, qp, 0, D("2024-10-01"), &ev);
    assert_int_equal(ev.status, DH_TS_NO_DATA);
    assert_int_equal(ev.since, DH_DATE_NONE);
}

static void test_linear_fit(void **state)
{
    double x[] = {1, 2, 3, 4}, y[] = {3, 5, 7, 9}, s, i;
    assert_int_equal(dh_linear_fit(x, y, 4, &s, &i), 0);
    assert_true(s == 2 && i == 1);
    assert_int_equal(dh_linear_fit(x, y, 1, &s, &i), -1);
    double same[] = {2, 2};
    assert_int_equal(dh_linear_fit(same, y, 2, &s, &i), -1);
}

/* Local minutes of "YYYY-MM-DD" at h:m. */
static int64_t M(const char *day, int h, int m) { return (int64_t)D(day) * 1440 + h * 60 + m; }

static void test_freshness_rules(void **state)
{
    dh_fresh f;
    const char *why = NULL;
    assert_int_equal(dh_fresh_parse("daily:17:00", &f, &why), 0);
    assert_true(f.kind == DH_FR_DAILY && f.minute == 17 * 60);
    assert_int_equal(dh_fresh_parse("monthly:10", &f, &why), 0);
    assert_true(f.kind == DH_FR_MONTHLY && f.day == 10);
    assert_int_equal(dh_fresh_parse("quarterly:20", &f, &why), 0);
    assert_true(f.kind == DH_FR_QUARTERLY && f.day == 20);
    const char *bad[] = {"", "daily", "daily:25:00", "daily:17:0", "daily:17:00x", "monthly:0",
                         "monthly:32", "monthly:10x", "weekly:1", "Monthly:10"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        why = NULL;
        if (dh_fresh_parse(bad[i], &f, &why) == 0 || !why)
            fail_msg("'%s' was read as a freshness rule", bad[i]);
    }
}

static void test_freshness_judge(void **state)
{
    dh_fresh daily = {DH_FR_DAILY, 17 * 60, 0}, monthly = {DH_FR_MONTHLY, 0, 10},
             quarterly = {DH_FR_QUARTERLY, 0, 20}, end = {DH_FR_MONTHLY, 0, 31};
    dh_fresh_eval ev;
    int64_t now = M("2026-11-26", 10, 0);
    /* daily by 17:00: at 10:00 the deadline passed is yesterday's 17:00 */
    dh_fresh_judge(&daily, now, true, M("2026-11-25", 16, 0), DH_DATE_NONE, &ev);
    assert_false(ev.late);
    assert_true(ev.due_min == M("2026-11-25", 17, 0));
    dh_fresh_judge(&daily, now, true, M("2026-11-24", 17, 0), DH_DATE_NONE, &ev);
    assert_true(ev.late); /* served the 24th's deadline, missed the 25th's by 17 hours */
    assert_int_equal(ev.late_by_days, 0);
    dh_fresh_judge(&daily, now, true, M("2026-11-20", 18, 0), DH_DATE_NONE, &ev);
    assert_true(ev.late);
    assert_int_equal(ev.late_by_days, 3); /* missed 22/11 17:00 first */
    dh_fresh_judge(&daily, M("2026-11-26", 17, 0), true, M("2026-11-26", 9, 0), DH_DATE_NONE,
                   &ev);
    assert_false(ev.late); /* 17:00 sharp: today's deadline, met */
    dh_fresh_judge(&daily, now, false, 0, DH_DATE_NONE, &ev);
    assert_true(ev.late);
    assert_int_equal(ev.late_by_days, -1);
    /* monthly by the 10th: on 26/11 October is due (10/11) */
    dh_fresh_judge(&monthly, now, true, 0, D("2026-10-31"), &ev);
    assert_false(ev.late);
    assert_int_equal(ev.due_day, D("2026-11-10"));
    assert_int_equal(ev.expected.from, D("2026-10-01"));
    dh_fresh_judge(&monthly, now, true, 0, D("2026-09-30"), &ev);
    assert_true(ev.late);
    assert_int_equal(ev.late_by_days, 16);
    dh_fresh_judge(&monthly, now, true, 0, D("2026-10-15"), &ev);
    assert_true(ev.late); /* a value for half of October does not cover it */
    assert_int_equal(ev.late_by_days, 16);
    /* on the 10th itself October is not yet due: September is */
    dh_fresh_judge(&monthly, M("2026-11-10", 23, 59), true, 0, D("2026-09-30"), &ev);
    assert_false(ev.late);
    assert_int_equal(ev.due_day, D("2026-10-10"));
    /* quarterly by the 20th: on 26/11 the third quarter (due 20/10) */
    dh_fresh_judge(&quarterly, now, true, 0, D("2026-06-30"), &ev);
    assert_true(ev.late);
    assert_int_equal(ev.due_day, D("2026-10-20"));
    assert_int_equal(ev.expected.from, D("2026-07-01"));
    assert_int_equal(ev.expected.to, D("2026-09-30"));
    assert_int_equal(ev.late_by_days, 37);
    /* day 31 means the month's last day: January is due 28/02 */
    dh_fresh_judge(&end, M("2026-03-01", 0, 0), true, 0, D("2025-12-31"), &ev);
    assert_int_equal(ev.due_day, D("2026-02-28"));
    assert_true(ev.late);
    assert_int_equal(ev.late_by_days, 1);
}

/* Issue 19: a rule follows its indicator's period type. */
static void test_freshness_follows_period(void **state)
{
    dh_fresh f;
    const char *why = NULL;
    assert_int_equal(dh_fresh_parse("yearly:15", &f, &why), 0);
    assert_true(f.kind == DH_FR_YEARLY && f.day == 15);
    assert_int_equal(dh_fresh_parse("half_yearly:10", &f, &why), 0);
    assert_true(f.kind == DH_FR_HALF_YEARLY);
    assert_int_equal(dh_fresh_parse("yearly:0", &f, &why), -1);
    /* A yearly indicator (DTI rank) whose rule says monthly:10: 2025's value
     * is due 10/01/2026 and nothing more is asked in 2026. */
    assert_int_equal(dh_fresh_parse("monthly:10", &f, &why), 0);
    dh_fresh_for_period(&f, DH_PT_YEAR);
    assert_int_equal(f.kind, DH_FR_YEARLY);
    assert_int_equal(f.day, 10);
    assert_int_equal(dh_fresh_ptype(&f), DH_PT_YEAR);
    dh_fresh_eval ev;
    dh_fresh_judge(&f, M("2026-11-26", 10, 0), true, 0, D("2025-12-31"), &ev);
    assert_false(ev.late);
    assert_int_equal(ev.due_day, D("2026-01-10"));
    assert_int_equal(ev.expected.from, D("2025-01-01"));
    assert_int_equal(ev.expected.to, D("2025-12-31"));
    /* Late only after the year's due date: 2024's value alone is late from 11/01/2026. */
    dh_fresh_judge(&f, M("2026-01-10", 12, 0), true, 0, D("2024-12-31"), &ev);
    assert_false(ev.late);
    dh_fresh_judge(&f, M("2026-01-11", 0, 0), true, 0, D("2024-12-31"), &ev);
    assert_true(ev.late);
    assert_int_equal(ev.late_by_days, 1);
    /* A half-yearly rule for a half-yearly period; never finer than the rule. */
    dh_fresh q = {DH_FR_QUARTERLY, 0, 20};
    dh_fresh_for_period(&q, DH_PT_CUT_HALF);
    assert_int_equal(q.kind, DH_FR_HALF_YEARLY);
    dh_fresh y = {DH_FR_YEARLY, 0, 20};
    dh_fresh_for_period(&y, DH_PT_MONTH);
    assert_int_equal(y.kind, DH_FR_YEARLY);
    dh_fresh d = {DH_FR_DAILY, 17 * 60, 0};
    dh_fresh_for_period(&d, DH_PT_YEAR);
    assert_int_equal(d.kind, DH_FR_DAILY);
    dh_fresh_judge(&q, M("2026-11-26", 10, 0), true, 0, D("2026-06-30"), &ev);
    assert_false(ev.late); /* H2 is not due before 20/01/2027 */
    assert_int_equal(ev.due_day, D("2026-07-20"));
}

/* Units of measure (issue 19): a rate per 100 inhabitants may pass 100. */
static void test_uom_per_100(void **state)
{
    (void)state;
    double lo, hi;
    assert_string_equal(dh_ind_value_range("%", &lo, &hi), "a percentage");
    assert_true(lo == 0 && hi == 100);
    static const char *const per100[] = {"máy/100 dân", "tài khoản/100 dân", "/100 dân",
                                         "thuê bao/100 người dân", "per 100 inhabitants", NULL};
    for (int i = 0; per100[i]; i++) {
        assert_true(dh_uom_per_100(per100[i]));
        assert_string_equal(dh_ind_value_range(per100[i], &lo, &hi),
                            "a rate per 100 inhabitants");
        assert_true(lo == 0 && hi == DH_IND_VALUE_MAX && hi > 100);
    }
    /* not per 100: a percentage, a count of people, a count per 1000 */
    static const char *const other[] = {"%", "người", "trạm", "máy/1000 dân", "100 dân", "",
                                        NULL};
    for (int i = 0; other[i]; i++)
        assert_false(dh_uom_per_100(other[i]));
    assert_false(dh_uom_per_100(NULL));
    assert_string_equal(dh_ind_value_range("người", &lo, &hi), "a count");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_uom_per_100),
        cmocka_unit_test(test_decree09_boundaries), cmocka_unit_test(test_period_fits_type),
        cmocka_unit_test(test_ratio_of_sums),       cmocka_unit_test(test_due_rules),
        cmocka_unit_test(test_expected_units),      cmocka_unit_test(test_projection_and_status),
        cmocka_unit_test(test_linear_fit),          cmocka_unit_test(test_freshness_rules),
        cmocka_unit_test(test_freshness_judge),
        cmocka_unit_test(test_freshness_follows_period),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
