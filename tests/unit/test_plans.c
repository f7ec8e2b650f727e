/* test_plans.c - the pure plan rules (core/plan.h): a task's status from
 * its progress updates around its deadline, per occurrence for recurring
 * tasks; roadmap milestones; cycles in "implements"; coverage and roll-up;
 * and the XLSX reader's refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/plan.h"
#include "util/xlsx.h"

static dh_date D(const char *s)
{
    dh_date d;
    assert_int_equal(dh_date_parse(s, &d), 0);
    return d;
}

/* A task defined by its deadline text, in a plan running [from, to]. */
static dh_tdef def_of(const char *text, const char *from, const char *to)
{
    dh_deadline d;
    dh_err e;
    assert_int_equal(dh_deadline_parse(text, &d, &e), DH_OK);
    dh_tdef t = {0};
    t.kind = d.kind;
    t.start = d.start;
    t.due = d.due;
    t.yearly_month = d.yearly_month;
    t.yearly_day = d.yearly_day;
    t.span_from = from ? D(from) : DH_DATE_NONE;
    t.span_to = to ? D(to) : DH_DATE_NONE;
    if (t.start == DH_DATE_NONE && !dh_task_per_occurrence(&t) && t.kind != DH_DL_CONTINUOUS)
        t.start = t.span_from;
    t.report = (dh_report_rule){DH_REPORT_MONTHLY, 1, 10};
    t.risk_margin_days = DH_TASK_RISK_MARGIN;
    dh_deadline_cleanup(&d);
    return t;
}

static dh_task_state state_on(const dh_tdef *t, const dh_tupdate *u, size_t n, const char *day)
{
    dh_task_status s;
    dh_task_eval(t, u, n, D(day), &s, NULL, NULL);
    return s.state;
}

static void test_status_around_deadline(void **state)
{
    /* 1683 II.1: due tháng 12/2024, plan from 1/1/2024. */
    dh_tdef t = def_of("tháng 12/2024", "2024-01-01", "2024-12-31");
    assert_int_equal(t.due, D("2024-12-31"));
    dh_tupdate u[3] = {
        {D("2024-08-05"), DH_DATE_NONE, 40, false},
        {D("2024-11-05"), DH_DATE_NONE, 80, false},
        {D("2024-12-31"), DH_DATE_NONE, 100, false},
    };
    /* Reported every month before the 10th: in progress, then done on the day. */
    assert_int_equal(state_on(&t, u, 1, "2024-08-06"), DH_TS_IN_PROGRESS);
    /* No report for October by 10 November: the obligation is missed. */
    assert_int_equal(state_on(&t, u, 1, "2024-11-11"), DH_TS_NO_REPORT);
    /* 80% on 5/11 with 57 days left: on pace (the margin is 30 days). */
    assert_int_equal(state_on(&t, u, 2, "2024-11-06"), DH_TS_IN_PROGRESS);
    /* 80% on 5/12, 26 days left, the pace asks for 93%: at risk. */
    assert_int_equal(state_on(&t, u, 2, "2024-12-05"), DH_TS_AT_RISK);
    /* 100% on the due date is on time; the day after without it is overdue. */
    assert_int_equal(state_on(&t, u, 3, "2024-12-31"), DH_TS_DONE);
    /* The plan's term ends with the due date: not done at term end, not overdue. */
    assert_int_equal(state_on(&t, u, 2, "2025-01-01"), DH_TS_NOT_DONE);
    /* Done a day late. */
    u[2].date = D("2025-01-01");
    assert_int_equal(state_on(&t, u, 3, "2025-01-02"), DH_TS_DONE_LATE);
    /* Facts dated after the day asked about are not known yet: on 31/12
     * the last report (5/11) predates November's reporting window. */
    assert_int_equal(state_on(&t, u, 3, "2024-12-31"), DH_TS_NO_REPORT);
    /* Nothing ever reported before the plan starts asks for nothing. */
    assert_int_equal(state_on(&t, NULL, 0, "2024-01-05"), DH_TS_NOT_STARTED);
    /* done without a percent counts as 100. */
    dh_tupdate d1 = {D("2024-06-01"), DH_DATE_NONE, -1, true};
    dh_task_facts f;
    dh_task_facts_of(&t, NULL, &d1, 1, D("2024-06-01"), &f);
    assert_true(f.done);
    assert_int_equal(f.progress, 100);
}

static void test_recurring_occurrences(void **state)
{
    /* 004 II.1: "Hàng năm" in a 2023-2025 plan: one occurrence a year. */
    dh_tdef t = def_of("Hàng năm", "2023-01-01", "2025-12-31");
    assert_true(dh_task_per_occurrence(&t));
    dh_dl_occurrence o[8];
    assert_int_equal(dh_task_occurrences(&t, D("2026-06-01"), o, 8), 3);
    assert_int_equal(o[0].due, D("2023-12-31"));
    assert_int_equal(o[2].due, D("2025-12-31"));
    /* Only those begun by the day asked about. */
    assert_int_equal(dh_task_occurrences(&t, D("2024-03-01"), o, 8), 2);
    /* The cap keeps the latest. */
    assert_int_equal(dh_task_occurrences(&t, D("2026-06-01"), o, 1), 1);
    assert_int_equal(o[0].due, D("2025-12-31"));

    dh_tupdate u[2] = {
        /* 2023 done in December (belongs to 2023 by its date) */
        {D("2023-12-20"), DH_DATE_NONE, 100, true},
        /* 2024's completion reported in January 2025, naming 2024 */
        {D("2025-01-15"), D("2024-12-31"), 100, true},
    };
    dh_dl_occurrence y[3];
    assert_int_equal(dh_task_occurrences(&t, D("2026-01-10"), y, 3), 3);
    dh_task_status s[3];
    for (int i = 0; i < 3; i++) {
        dh_task_facts f;
        dh_task_facts_of(&t, &y[i], u, 2, D("2026-01-10"), &f);
        dh_task_status_derive(&f, D("2026-01-10"), &s[i]);
    }
    assert_int_equal(s[0].state, DH_TS_DONE);
    assert_int_equal(s[1].state, DH_TS_DONE_LATE);
    assert_int_equal(s[2].state, DH_TS_OVERDUE);
    /* The task's own status is that of the current (here the last) one. */
    dh_dl_occurrence cur;
    dh_task_status st;
    dh_task_eval(&t, u, 2, D("2026-01-10"), &st, NULL, &cur);
    assert_int_equal(cur.due, D("2025-12-31"));
    /* ...and the term is over: final, not overdue. */
    assert_int_equal(st.state, DH_TS_NOT_DONE);
    /* During 2024, 2024's occurrence is judged: 2023's completion does not count. */
    dh_task_eval(&t, u, 1, D("2024-02-01"), &st, NULL, &cur);
    assert_int_equal(cur.due, D("2024-12-31"));
    assert_int_not_equal(st.state, DH_TS_DONE);
}

static void test_continuous_and_daily(void **state)
{
    /* "Thường xuyên" and "Hàng ngày" are followed by their reports, never overdue. */
    const char *texts[] = {"Thường xuyên", "Hàng ngày"};
    for (int i = 0; i < 2; i++) {
        dh_tdef t = def_of(texts[i], "2026-01-01", NULL);
        assert_false(dh_task_per_occurrence(&t));
        dh_tupdate u = {D("2026-10-15"), DH_DATE_NONE, 60, false};
        assert_int_equal(state_on(&t, &u, 1, "2026-11-26"), DH_TS_IN_PROGRESS);
        u.date = D("2026-08-15");
        assert_int_equal(state_on(&t, &u, 1, "2026-11-26"), DH_TS_NO_REPORT);
    }
    /* Free text: no deadline to be late against. */
    dh_tdef t = def_of("Vào khoảng thời gian họp HĐND thành phố trong năm", "2024-01-01",
                       "2024-12-31");
    assert_int_equal(t.kind, DH_DL_FREE);
    assert_int_not_equal(state_on(&t, NULL, 0, "2026-01-01"), DH_TS_OVERDUE);
}

/* Every duty ends with the plan's term: a 2024 plan asks nothing in 2026. */
static void test_term_ends_duties(void **state)
{
    dh_task_status s;
    /* A continuous duty reported every month of 2024: done when the term ends. */
    dh_tdef t = def_of("Thường xuyên", "2024-01-01", "2024-12-31");
    dh_tupdate mon[12];
    for (int m = 0; m < 12; m++)
        mon[m] = (dh_tupdate){dh_date_from_ymd(2024, m + 1, 5), DH_DATE_NONE, 50, false};
    assert_int_equal(state_on(&t, mon, 12, "2024-12-20"), DH_TS_IN_PROGRESS);
    dh_task_eval(&t, mon, 12, D("2026-10-15"), &s, NULL, NULL);
    assert_int_equal(s.state, DH_TS_DONE);
    assert_string_equal(s.reason, "duty_ended");
    /* Its reporting lapsed in the autumn: not done at term end, never "no report" in 2026. */
    dh_task_eval(&t, mon, 8, D("2026-10-15"), &s, NULL, NULL);
    assert_int_equal(s.state, DH_TS_NOT_DONE);
    assert_string_equal(s.reason, "term_ended");
    assert_non_null(strstr(s.explain, "31/12/2024"));
    assert_int_equal(s.report_due, DH_DATE_NONE);
    /* An undated (free text) duty never reported. */
    dh_tdef fr = def_of("Vào khoảng thời gian họp HĐND thành phố trong năm", "2024-01-01",
                        "2024-12-31");
    assert_int_equal(state_on(&fr, NULL, 0, "2026-01-01"), DH_TS_NOT_DONE);
    /* A dated task: done, done late (even after the term) or not done. */
    dh_tdef d = def_of("tháng 10/2024", "2024-01-01", "2024-12-31");
    dh_tupdate u = {D("2024-10-20"), DH_DATE_NONE, 100, true};
    assert_int_equal(state_on(&d, &u, 1, "2026-06-01"), DH_TS_DONE);
    u.date = D("2024-11-20");
    assert_int_equal(state_on(&d, &u, 1, "2026-06-01"), DH_TS_DONE_LATE);
    u.date = D("2025-02-01");
    assert_int_equal(state_on(&d, &u, 1, "2026-06-01"), DH_TS_DONE_LATE);
    u = (dh_tupdate){D("2024-12-01"), DH_DATE_NONE, 65, false};
    dh_task_eval(&d, &u, 1, D("2026-06-01"), &s, NULL, NULL);
    assert_int_equal(s.state, DH_TS_NOT_DONE);
    assert_non_null(strstr(s.explain, "tiến độ 65%"));
    /* Inside the term it is simply overdue. */
    assert_int_equal(state_on(&d, &u, 1, "2024-12-15"), DH_TS_OVERDUE);
    /* A monthly duty: its last occurrence (December 2024) decides. */
    dh_tdef mo = def_of("Hàng tháng", "2024-01-01", "2024-12-31");
    dh_tupdate dec = {D("2024-12-28"), DH_DATE_NONE, 100, true};
    assert_int_equal(state_on(&mo, &dec, 1, "2026-10-15"), DH_TS_DONE);
    assert_int_equal(state_on(&mo, NULL, 0, "2026-10-15"), DH_TS_NOT_DONE);
}

static void term_is(const char *title, const char *issued, const char *from, const char *to,
                    int horizon)
{
    dh_date f, t;
    int hz;
    const char *why = NULL;
    assert_int_equal(dh_plan_term_parse(title, issued ? D(issued) : DH_DATE_NONE, &f, &t, &hz,
                                        &why),
                     0);
    assert_int_equal(f, from ? D(from) : DH_DATE_NONE);
    assert_int_equal(t, D(to));
    assert_int_equal(hz, horizon);
}

/* The five seed plans' titles (data/plans/plans.csv) and the phrases of issue 19. */
static void test_term_parse(void **state)
{
    term_is("Triển khai thực hiện Quyết định số 1683/QĐ-UBND ngày 28/6/2024 của Chủ tịch UBND "
            "tỉnh Bà Rịa – Vũng Tàu về việc thực hiện khâu đột phá về chuyển đổi số năm 2024",
            NULL, "2024-01-01", "2024-12-31", 0);
    term_is("Ban hành kế hoạch thực hiện khâu đột phá về chuyển đổi số tại tỉnh Bà Rịa – Vũng Tàu "
            "năm 2024",
            "2024-06-28", "2024-01-01", "2024-12-31", 0);
    term_is("Khắc phục những tồn tại, hạn chế về chuyển đổi số năm 2023 và giải pháp thực hiện "
            "năm 2024 trên địa bàn thành phố Vũng Tàu",
            NULL, "2024-01-01", "2024-12-31", 0);
    term_is("Phê quyệt Kế hoạch thực hiện Chiến lược phát triển Chính quyền điện tử hướng tới "
            "Chính quyền số giai đoạn 2023-2025, định hướng đến năm 2030",
            NULL, "2023-01-01", "2025-12-31", 2030);
    term_is("Chương trình chuyển đổi số quốc gia đến năm 2025, định hướng đến năm 2030",
            "2020-06-03", "2020-06-03", "2025-12-31", 2030);
    term_is("Đề án giai đoạn 2020 – 2022, định hướng đến năm 2025, tầm nhìn đến năm 2030", NULL,
            "2020-01-01", "2022-12-31", 2030);
    term_is("KẾ HOẠCH CHUYỂN ĐỔI SỐ NĂM 2025", NULL, "2025-01-01", "2025-12-31", 0);
    term_is("Kế hoạch đến năm 2025", NULL, NULL, "2025-12-31", 0);
    /* A date's year is not a term. */
    dh_date f, t;
    int hz;
    const char *why = NULL;
    assert_int_equal(dh_plan_term_parse("Triển khai Chương trình hành động của Ban thường vụ Thành "
                                        "ủy về triển khai thực hiện Nghị quyết 02-NQ/TU ngày "
                                        "28/5/2021 của Ban Chấp hành Đảng bộ tỉnh",
                                        DH_DATE_NONE, &f, &t, &hz, &why),
                     -1);
    assert_non_null(why);
    assert_int_equal(dh_plan_term_parse("Quyết định ngày 03 tháng 6 năm 2020", DH_DATE_NONE, &f,
                                        &t, &hz, &why),
                     -1);
    /* Ends before it starts. */
    assert_int_equal(dh_plan_term_parse("giai đoạn 2025-2023", DH_DATE_NONE, &f, &t, &hz, &why),
                     -1);
    assert_non_null(strstr(why, "kết thúc trước"));
}

static void test_milestones(void **state)
{
    char buf[] = "7/2024–10/2024: cập nhật, vận hành App “Điều hành công việc”; 7/2024-11/2024: "
                 "kết nối IOC; 12/2024: đánh giá kết quả thực hiện; ghi chú không có ngày";
    dh_milestone m[8];
    size_t n = dh_milestones_parse(buf, m, 8);
    assert_int_equal(n, 4);
    assert_int_equal(m[0].from, D("2024-07-01"));
    assert_int_equal(m[0].due, D("2024-10-31"));
    assert_string_equal(m[0].text, "cập nhật, vận hành App “Điều hành công việc”");
    assert_int_equal(m[1].due, D("2024-11-30"));
    assert_int_equal(m[2].from, D("2024-12-01"));
    assert_int_equal(m[2].due, D("2024-12-31"));
    assert_string_equal(m[2].text, "đánh giá kết quả thực hiện");
    assert_int_equal(m[3].from, DH_DATE_NONE);
    assert_string_equal(m[3].text, "ghi chú không có ngày");
    char empty[] = " ; ";
    assert_int_equal(dh_milestones_parse(empty, m, 8), 0);
    char bad[] = "13/2024: not a month";
    assert_int_equal(dh_milestones_parse(bad, m, 8), 1);
    assert_int_equal(m[0].due, DH_DATE_NONE);
}

/* A graph of plans: parents[i] lists the plans plan i implements. */
static const size_t g_par[4][2] = {{0, 0}, {0, 0}, {1, 0}, {2, 0}};
static const size_t g_n[4] = {0, 1, 1, 1};

static size_t parents_of(void *closure, size_t plan, const size_t **parents)
{
    *parents = g_par[plan];
    return g_n[plan];
}

static void test_cycles(void **state)
{
    /* 3 -> 2 -> 1 -> 0. Plan 0 implementing 3 would close a loop. */
    size_t p3 = 3, p0 = 0, p1 = 1;
    assert_true(dh_plan_would_cycle(4, 0, &p3, 1, parents_of, NULL));
    assert_true(dh_plan_would_cycle(4, 1, &p3, 1, parents_of, NULL));
    assert_true(dh_plan_would_cycle(4, 2, &p1 + 0, 0, parents_of, NULL) == false);
    /* Itself. */
    assert_true(dh_plan_would_cycle(4, 2, &(size_t){2}, 1, parents_of, NULL));
    /* Going up is fine. */
    assert_false(dh_plan_would_cycle(4, 3, &p0, 1, parents_of, NULL));
    assert_false(dh_plan_would_cycle(4, 3, &p1, 1, parents_of, NULL));
}

static void test_coverage(void **state)
{
    /* 1683 assigns II.3, IV.1-1, IV.1-2 to the city (among others); the
     * city's plan implements II.1, II.2, II.3; another unit implements
     * IV.1-1 (which does not cover it for the city). */
    dh_cov_task t[5] = {{1, false}, {2, false}, {3, true}, {4, true}, {5, true}};
    dh_cov_impl im[5] = {
        {1, true, 100, true}, {2, true, 40, false}, {3, true, 50, false},
        {3, false, -1, false}, {4, false, 80, false},
    };
    dh_cov_result r[5];
    size_t n = dh_plan_coverage(t, 5, im, 5, r);
    assert_int_equal(n, 3);
    assert_int_equal(r[0].task, 2);
    assert_true(r[0].covered);
    assert_int_equal(r[0].implementing, 1);
    /* The roll-up is the mean of every implementing task: (50 + 0) / 2. */
    assert_int_equal(r[0].rollup, 25);
    assert_false(r[1].covered);
    assert_int_equal(r[1].rollup, 80);
    assert_false(r[2].covered);
    assert_int_equal(r[2].rollup, -1);
    assert_int_equal(dh_plan_rollup(1, im, 5), 100);
}

static void test_xlsx_refusals(void **state)
{
    dh_err e;
    dh_sheet s;
    assert_int_equal(dh_xlsx_read("not a zip", 9, "a.xlsx", NULL, &s, &e), DH_E_INVALID);
    assert_non_null(strstr(e.message, "zip"));
    /* An end-of-central-directory record pointing past the end. */
    unsigned char z[64] = {0};
    memcpy(z + 40, "PK\x05\x06", 4);
    z[40 + 10] = 1;
    z[40 + 16] = 0xF0;
    assert_int_equal(dh_xlsx_read(z, sizeof z, "a.xlsx", NULL, &s, &e), DH_E_INVALID);
    assert_null(s.rows);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_around_deadline),
        cmocka_unit_test(test_recurring_occurrences),
        cmocka_unit_test(test_continuous_and_daily),
        cmocka_unit_test(test_term_ends_duties),
        cmocka_unit_test(test_term_parse),
        cmocka_unit_test(test_milestones),
        cmocka_unit_test(test_cycles),
        cmocka_unit_test(test_coverage),
        cmocka_unit_test(test_xlsx_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
