/* test_dossier.c - the dossier clock on hand-computed cases: holidays,
 * pauses, extensions, cut-off, calendar-day limits, out-of-order events. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "app/app.h"
#include "core/dossier.h"

static time_t T(const char *s)
{
    time_t t;
    if (dh_time_parse(s, &t))
        fail_msg("bad time %s", s);
    return t;
}

static const dh_workcal *wc(void)
{
    dh_err e;
    const dh_calset *s = dh_calset_builtin(&e);
    assert_non_null(s);
    return dh_calset_find(s, "default")->wc;
}

static dh_devent ev(dh_de_type type, const char *at, const char *id)
{
    dh_devent e;
    memset(&e, 0, sizeof e);
    e.type = type;
    e.at = T(at);
    e.source = "mc";
    e.id = id;
    if (type == DH_DE_RECEIVED) {
        e.unit = "VT-P1";
        e.procedure = "1.004227";
    }
    return e;
}

static const dh_time_limit days3 = {3, DH_DUR_WORKING_DAYS, -1};
static const dh_time_limit days2 = {2, DH_DUR_WORKING_DAYS, -1};
static const dh_clock_rules rules = {1, 0};

static dh_dossier_view replay(dh_devent *e, size_t n, const dh_time_limit *tl, const char *now)
{
    dh_dossier_view v;
    dh_devents_sort(e, n);
    assert_int_equal(dh_dossier_replay(e, n, wc(), tl, &rules, T(now), &v), 0);
    return v;
}

static void fmt_is(time_t t, const char *want)
{
    char got[20];
    dh_time_format_vn(t, got);
    assert_string_equal(got, want);
}

static void test_around_tet(void **state)
{
    const char *ends[] = {"2025-02-04T10:00", "2025-02-05T08:00", "2025-02-05T09:00"};
    dh_outcome want[] = {DH_OUT_EARLY, DH_OUT_ON_TIME, DH_OUT_LATE};
    for (int i = 0; i < 3; i++) {
        dh_devent e[2] = {ev(DH_DE_RECEIVED, "2025-01-24T08:00", "1"),
                          ev(DH_DE_PROCESSED, ends[i], "2")};
        dh_dossier_view v = replay(e, 2, &days3, "2025-03-01T00:00");
        fmt_is(v.due_at, "2025-02-05T08:00");
        assert_int_equal(v.state, DH_DS_RESOLVED);
        assert_int_equal(v.outcome, want[i]);
        assert_int_equal(v.budget_minutes, 1350);
    }
    dh_devent e[2] = {ev(DH_DE_RECEIVED, "2025-01-24T08:00", "1"),
                      ev(DH_DE_PROCESSED, "2025-02-05T09:00", "2")};
    dh_dossier_view v = replay(e, 2, &days3, "2025-03-01T00:00");
    assert_int_equal(v.late_minutes, 60);
}

static void test_pause_shifts_the_deadline(void **state)
{
    dh_devent e[4] = {ev(DH_DE_RECEIVED, "2025-03-03T08:00", "1"),
                      ev(DH_DE_SUPPLEMENT_REQUESTED, "2025-03-03T10:00", "2"),
                      ev(DH_DE_SUPPLEMENT_COMPLETED, "2025-03-04T10:00", "3"),
                      ev(DH_DE_PROCESSED, "2025-03-06T07:45", "4")};
    dh_dossier_view v = replay(e, 4, &days2, "2025-04-01T00:00");
    fmt_is(v.due_at, "2025-03-05T08:00");
    fmt_is(v.due_effective, "2025-03-06T08:00");
    assert_int_equal(v.paused_minutes, 450);
    assert_int_equal(v.used_minutes, 885);
    assert_int_equal(v.outcome, DH_OUT_ON_TIME);
    /* the same events in another order give the same view */
    dh_devent r[4] = {e[3], e[1], e[0], e[2]};
    dh_dossier_view w = replay(r, 4, &days2, "2025-04-01T00:00");
    assert_int_equal(w.used_minutes, v.used_minutes);
    assert_int_equal(w.outcome, v.outcome);
    assert_int_equal(w.due_effective, v.due_effective);
}

static void test_two_supplements_make_it_late(void **state)
{
    dh_devent e[6] = {ev(DH_DE_RECEIVED, "2025-03-03T08:00", "1"),
                      ev(DH_DE_SUPPLEMENT_REQUESTED, "2025-03-03T09:00", "2"),
                      ev(DH_DE_SUPPLEMENT_COMPLETED, "2025-03-03T10:00", "3"),
                      ev(DH_DE_SUPPLEMENT_REQUESTED, "2025-03-03T10:30", "4"),
                      ev(DH_DE_SUPPLEMENT_COMPLETED, "2025-03-03T11:00", "5"),
                      ev(DH_DE_PROCESSED, "2025-03-03T14:00", "6")};
    dh_dossier_view v = replay(e, 6, &days2, "2025-04-01T00:00");
    assert_int_equal(v.nsupplements, 2);
    assert_int_equal(v.outcome, DH_OUT_LATE);
    dh_clock_rules lenient = {2, 0};
    dh_dossier_view w;
    assert_int_equal(dh_dossier_replay(e, 6, wc(), &days2, &lenient, T("2025-04-01T00:00"), &w),
                     0);
    assert_int_equal(w.outcome, DH_OUT_EARLY);
}

static void test_in_progress_at_risk_overdue_paused(void **state)
{
    dh_devent e[1] = {ev(DH_DE_RECEIVED, "2025-03-03T08:00", "1")};
    assert_int_equal(replay(e, 1, &days2, "2025-03-03T09:00").outcome, DH_OUT_WITHIN);
    dh_dossier_view v = replay(e, 1, &days2, "2025-03-04T09:00");
    assert_int_equal(v.used_minutes, 510);
    assert_int_equal(v.outcome, DH_OUT_AT_RISK);
    assert_int_equal(replay(e, 1, &days2, "2025-03-05T09:00").outcome, DH_OUT_OVERDUE);
    assert_int_equal(replay(e, 1, &days2, "2025-03-05T09:00").state, DH_DS_IN_PROGRESS);
    dh_devent p[2] = {ev(DH_DE_RECEIVED, "2025-03-03T08:00", "1"),
                      ev(DH_DE_SUPPLEMENT_REQUESTED, "2025-03-03T10:00", "2")};
    v = replay(p, 2, &days2, "2025-03-14T09:00");
    assert_int_equal(v.state, DH_DS_PAUSED);
    assert_int_equal(v.used_minutes, 120); /* measured at the request */
    assert_int_equal(v.outcome, DH_OUT_WITHIN);
    /* a late event corrects the state: the completion was before now */
    dh_devent q[3] = {p[0], p[1], ev(DH_DE_PROCESSED, "2025-03-04T08:00", "3")};
    v = replay(q, 3, &days2, "2025-03-14T09:00");
    assert_int_equal(v.state, DH_DS_RESOLVED);
}

static void test_appointment_extension_cutoff_and_units(void **state)
{
    dh_devent e[3] = {ev(DH_DE_RECEIVED, "2025-03-03T08:00", "1"),
                      ev(DH_DE_EXTENDED, "2025-03-04T08:00", "2"),
                      ev(DH_DE_PROCESSED, "2025-03-07T08:00", "3")};
    e[0].appointment = T("2025-03-06T17:00");
    e[1].new_appointment = T("2025-03-10T17:00");
    dh_dossier_view v = replay(e, 3, &days2, "2025-04-01T00:00");
    fmt_is(v.due_at, "2025-03-06T17:00");
    fmt_is(v.extended_to, "2025-03-10T17:00");
    assert_int_equal(v.outcome, DH_OUT_LATE); /* judged against the original appointment */
    dh_time_limit cut = {1, DH_DUR_WORKING_DAYS, 15 * 60 + 30};
    dh_devent c[1] = {ev(DH_DE_RECEIVED, "2025-03-03T16:00", "1")};
    v = replay(c, 1, &cut, "2025-03-03T16:30");
    fmt_is(v.counting_from, "2025-03-04T07:30");
    fmt_is(v.due_at, "2025-03-04T17:00");
    dh_time_limit cal5 = {5, DH_DUR_DAYS, -1};
    dh_devent d[1] = {ev(DH_DE_RECEIVED, "2025-01-24T10:00", "1")};
    fmt_is(replay(d, 1, &cal5, "2025-01-24T11:00").due_at, "2025-02-03T07:30");
    dh_time_limit month = {1, DH_DUR_MONTHS, -1};
    dh_devent m[1] = {ev(DH_DE_RECEIVED, "2025-01-31T10:00", "1")};
    fmt_is(replay(m, 1, &month, "2025-01-31T11:00").due_at, "2025-02-28T10:00");
    dh_time_limit hours8 = {8, DH_DUR_WORKING_HOURS, -1};
    dh_devent h[1] = {ev(DH_DE_RECEIVED, "2025-03-03T16:00", "1")};
    fmt_is(replay(h, 1, &hours8, "2025-03-03T16:30").due_at, "2025-03-04T16:30");
}

static void test_closed_transfer_and_extras(void **state)
{
    dh_devent e[5] = {ev(DH_DE_RECEIVED, "2025-03-03T08:00", "1"),
                      ev(DH_DE_TRANSFERRED, "2025-03-03T09:00", "2"),
                      ev(DH_DE_REFUSED, "2025-03-03T10:00", "3"),
                      ev(DH_DE_RATED, "2025-03-04T10:00", "4"), ev(DH_DE_PAID, "2025-03-03T08:05", "5")};
    e[0].channel = DH_CH_ONLINE;
    e[0].by_applicant = true;
    e[1].to_unit = "VT-P2";
    e[3].rating = 5;
    e[4].paid_online = true;
    dh_dossier_view v = replay(e, 5, &days2, "2025-04-01T00:00");
    assert_int_equal(v.state, DH_DS_CLOSED);
    assert_int_equal(v.outcome, DH_OUT_EARLY);
    assert_string_equal(v.unit, "VT-P2");
    assert_string_equal(v.receiving_unit, "VT-P1");
    assert_true(v.by_applicant && v.paid_online && v.rating == 5);
    const char *why;
    assert_int_equal(dh_devents_check(e, 5, &why), -1); /* a rating after the end is fine */
    /* no receipt yet: incomplete, no clock */
    dh_devent only[1] = {ev(DH_DE_PROCESSED, "2025-03-03T08:00", "9")};
    assert_int_equal(replay(only, 1, &days2, "2025-04-01T00:00").state, DH_DS_INCOMPLETE);
}

static void test_order_checks(void **state)
{
    const char *why = NULL;
    dh_devent a[2] = {ev(DH_DE_PROCESSED, "2025-03-03T07:00", "2"),
                      ev(DH_DE_RECEIVED, "2025-03-03T08:00", "1")};
    dh_devents_sort(a, 2);
    assert_int_equal(dh_devents_check(a, 2, &why), 0);
    assert_non_null(strstr(why, "before the receipt"));
    dh_devent b[3] = {ev(DH_DE_RECEIVED, "2025-03-03T08:00", "1"),
                      ev(DH_DE_RESULT_RETURNED, "2025-03-04T08:00", "2"),
                      ev(DH_DE_SUPPLEMENT_REQUESTED, "2025-03-05T08:00", "3")};
    assert_int_equal(dh_devents_check(b, 3, &why), 2);
    assert_non_null(strstr(why, "terminal"));
    dh_devent c[2] = {ev(DH_DE_RECEIVED, "2025-03-03T08:00", "1"),
                      ev(DH_DE_RECEIVED, "2025-03-03T09:00", "2")};
    assert_int_equal(dh_devents_check(c, 2, &why), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_around_tet),
        cmocka_unit_test(test_pause_shifts_the_deadline),
        cmocka_unit_test(test_two_supplements_make_it_late),
        cmocka_unit_test(test_in_progress_at_risk_overdue_paused),
        cmocka_unit_test(test_appointment_extension_cutoff_and_units),
        cmocka_unit_test(test_closed_transfer_and_extras),
        cmocka_unit_test(test_order_checks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
