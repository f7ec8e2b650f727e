/* test_feedback.c - the feedback clock on hand-computed cases: the state
 * table, deadlines in working time with a needs_info pause across Tết
 * 2025 (25/1-2/2), at-risk and overdue, and replays that must be refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "app/app.h"
#include "app/demo.h"
#include "store/feedback.h"
#include "core/fbagg.h"
#include "core/feedback.h"
#include "core/index766.h"

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

static void fmt_is(time_t t, const char *want)
{
    char got[20];
    dh_time_format_vn(t, got);
    assert_string_equal(got, want);
}

static const dh_fb_limits lim = {DH_FB_DEFAULT_ACCEPT_DAYS, DH_FB_DEFAULT_ANSWER_DAYS, 0};

static dh_fb_event E(dh_fb_event_type t, const char *at)
{
    static int64_t seq;
    dh_fb_event e = {t, T(at), ++seq, NULL, 0};
    if (t == DH_FBE_RECEIVED)
        e.to_unit = "VT-P1";
    return e;
}

static dh_fb_view replay(dh_fb_event *ev, size_t n, const char *now)
{
    dh_fb_view v;
    long bad;
    const char *why = NULL;
    dh_fb_events_sort(ev, n);
    if (dh_fb_replay(ev, n, wc(), &lim, T(now), &v, &bad, &why))
        fail_msg("replay refused at %ld: %s", bad, why);
    return v;
}

static void test_names(void **state)
{
    (void)state;
    for (int i = 0; i < DH_FB_STATE_COUNT; i++) {
        dh_fb_state s;
        assert_int_equal(dh_fb_state_parse(dh_fb_state_name((dh_fb_state)i), &s), 0);
        assert_int_equal(s, i);
    }
    for (int i = 0; i < DH_FBE_COUNT; i++) {
        dh_fb_event_type t;
        assert_int_equal(dh_fb_event_parse(dh_fb_event_name((dh_fb_event_type)i), &t), 0);
        assert_int_equal(t, i);
    }
    dh_fb_state s;
    assert_int_equal(dh_fb_state_parse("done", &s), -1);
    assert_true(dh_fb_channel_valid("open311"));
    assert_true(dh_fb_channel_valid("zalo"));
    assert_false(dh_fb_channel_valid("fax"));
    assert_false(dh_fb_channel_valid(NULL));
}

static void test_transitions(void **state)
{
    (void)state;
    dh_fb_state to;
    const char *why = NULL;
    assert_int_equal(dh_fb_transition(DH_FB_RECEIVED, 0, DH_FBE_ACCEPT, &to, &why), 0);
    assert_int_equal(to, DH_FB_ACCEPTED);
    assert_int_equal(dh_fb_transition(DH_FB_RECEIVED, 0, DH_FBE_REJECT, &to, &why), 0);
    assert_int_equal(to, DH_FB_REJECTED);
    assert_int_equal(dh_fb_transition(DH_FB_ACCEPTED, 0, DH_FBE_START, &to, &why), 0);
    assert_int_equal(to, DH_FB_IN_PROGRESS);
    assert_int_equal(dh_fb_transition(DH_FB_IN_PROGRESS, 0, DH_FBE_REQUEST_INFO, &to, &why), 0);
    assert_int_equal(to, DH_FB_NEEDS_INFO);
    assert_int_equal(
        dh_fb_transition(DH_FB_NEEDS_INFO, DH_FB_IN_PROGRESS, DH_FBE_RESUME, &to, &why), 0);
    assert_int_equal(to, DH_FB_IN_PROGRESS);
    assert_int_equal(dh_fb_transition(DH_FB_IN_PROGRESS, 0, DH_FBE_ANSWER, &to, &why), 0);
    assert_int_equal(to, DH_FB_ANSWERED);
    assert_int_equal(dh_fb_transition(DH_FB_ANSWERED, 0, DH_FBE_RATE, &to, &why), 0);
    assert_int_equal(to, DH_FB_ANSWERED);
    assert_int_equal(dh_fb_transition(DH_FB_ANSWERED, 0, DH_FBE_CLOSE, &to, &why), 0);
    assert_int_equal(to, DH_FB_CLOSED);
    assert_int_equal(dh_fb_transition(DH_FB_IN_PROGRESS, 0, DH_FBE_TRANSFER, &to, &why), 0);
    assert_int_equal(to, DH_FB_IN_PROGRESS);

    /* refused, each with its reason */
    assert_int_equal(dh_fb_transition(DH_FB_CLOSED, 0, DH_FBE_ANSWER, &to, &why), -1);
    assert_string_equal(why, "the record is already answered or closed");
    assert_int_equal(dh_fb_transition(DH_FB_RECEIVED, 0, DH_FBE_ANSWER, &to, &why), -1);
    assert_string_equal(why, "only an accepted record can be answered");
    assert_int_equal(dh_fb_transition(DH_FB_ACCEPTED, 0, DH_FBE_REJECT, &to, &why), -1);
    assert_int_equal(dh_fb_transition(DH_FB_RECEIVED, 0, DH_FBE_RATE, &to, &why), -1);
    assert_int_equal(dh_fb_transition(DH_FB_CLOSED, 0, DH_FBE_TRANSFER, &to, &why), -1);
    assert_int_equal(dh_fb_transition(DH_FB_NEEDS_INFO, 0, DH_FBE_REQUEST_INFO, &to, &why), -1);
    assert_int_equal(dh_fb_transition(DH_FB_IN_PROGRESS, 0, DH_FBE_RESUME, &to, &why), -1);
    assert_int_equal(dh_fb_transition(DH_FB_IN_PROGRESS, 0, DH_FBE_CLOSE, &to, &why), -1);
    assert_int_equal(dh_fb_transition(DH_FB_RECEIVED, 0, DH_FBE_RECEIVED, &to, &why), -1);
    /* rejected while waiting for information asked before acceptance */
    assert_int_equal(dh_fb_transition(DH_FB_NEEDS_INFO, DH_FB_RECEIVED, DH_FBE_REJECT, &to, &why),
                     0);
    assert_int_equal(
        dh_fb_transition(DH_FB_NEEDS_INFO, DH_FB_IN_PROGRESS, DH_FBE_REJECT, &to, &why), -1);
}

/* Received Wed 22/1/2025 08:00. Without a pause the 7 working days (3150
 * minutes) end Fri 7/2 08:00 (22/1 420 min, 23-24/1 and 3-6/2 450 each:
 * 3120, +30 on 7/2; Tết 25/1-2/2 is not working time). A needs_info pause
 * from Thu 23/1 08:00 to Tue 4/2 08:00 covers 420+450+450+30 = 1350
 * working minutes (3 days), so the deadline moves to Wed 12/2 08:00. */
static void test_pause_across_tet(void **state)
{
    (void)state;
    dh_fb_event ev[] = {E(DH_FBE_RECEIVED, "2025-01-22T08:00"),
                        E(DH_FBE_ACCEPT, "2025-01-22T09:00"),
                        E(DH_FBE_START, "2025-01-22T10:00"),
                        E(DH_FBE_REQUEST_INFO, "2025-01-23T08:00"),
                        E(DH_FBE_RESUME, "2025-02-04T08:00"),
                        E(DH_FBE_ANSWER, "2025-02-12T08:00"),
                        E(DH_FBE_RATE, "2025-02-20T08:00"),
                        E(DH_FBE_CLOSE, "2025-02-21T08:00")};
    ev[6].rating = 5;
    dh_fb_view v = replay(ev, 8, "2025-03-01T00:00");
    assert_int_equal(v.state, DH_FB_CLOSED);
    assert_int_equal(v.outcome, DH_FBO_ON_TIME);
    assert_int_equal(v.paused_minutes, 1350);
    assert_int_equal(v.answer_budget_minutes, 3150);
    assert_int_equal(v.used_minutes, 3150);
    fmt_is(v.answer_due, "2025-02-12T08:00");
    fmt_is(v.accept_due, "2025-01-23T08:00");
    assert_false(v.accepted_late);
    assert_int_equal(v.rating, 5);
}

static void test_pause_across_tet_outcomes(void **state)
{
    (void)state;
    const char *answers[] = {"2025-02-12T08:00", "2025-02-12T09:00", "2025-02-07T09:00"};
    dh_fb_outcome want[] = {DH_FBO_ON_TIME, DH_FBO_LATE, DH_FBO_ON_TIME};
    for (int i = 0; i < 3; i++) {
        dh_fb_event ev[] = {E(DH_FBE_RECEIVED, "2025-01-22T08:00"),
                            E(DH_FBE_ACCEPT, "2025-01-22T09:00"),
                            E(DH_FBE_START, "2025-01-22T10:00"),
                            E(DH_FBE_REQUEST_INFO, "2025-01-23T08:00"),
                            E(DH_FBE_RESUME, "2025-02-04T08:00"),
                            E(DH_FBE_ANSWER, answers[i])};
        dh_fb_view v = replay(ev, 6, "2025-03-01T00:00");
        assert_int_equal(v.outcome, want[i]);
        assert_int_equal(v.paused_minutes, 1350);
        fmt_is(v.answer_due, "2025-02-12T08:00");
    }
    /* the same answer times without the pause: due 7/2 08:00 */
    dh_fb_event ev[] = {E(DH_FBE_RECEIVED, "2025-01-22T08:00"),
                        E(DH_FBE_ACCEPT, "2025-01-22T09:00"),
                        E(DH_FBE_ANSWER, "2025-02-07T09:00")};
    dh_fb_view v = replay(ev, 3, "2025-03-01T00:00");
    fmt_is(v.answer_due, "2025-02-07T08:00");
    assert_int_equal(v.outcome, DH_FBO_LATE);
    assert_int_equal(v.paused_minutes, 0);

    /* still waiting during Tết: the clock is read at the pause's start */
    dh_fb_event w[] = {E(DH_FBE_RECEIVED, "2025-01-22T08:00"),
                       E(DH_FBE_ACCEPT, "2025-01-22T09:00"),
                       E(DH_FBE_REQUEST_INFO, "2025-01-23T08:00")};
    v = replay(w, 3, "2025-03-20T08:00");
    assert_int_equal(v.state, DH_FB_NEEDS_INFO);
    assert_true(v.in_pause);
    assert_int_equal(v.used_minutes, 450);
    assert_int_equal(v.outcome, DH_FBO_WITHIN);
}

static void test_accept_clock(void **state)
{
    (void)state;
    /* accepted an hour after its one-day deadline */
    dh_fb_event ev[] = {E(DH_FBE_RECEIVED, "2025-01-22T08:00"),
                        E(DH_FBE_ACCEPT, "2025-01-23T09:00")};
    dh_fb_view v = replay(ev, 2, "2025-01-23T10:00");
    assert_true(v.accepted_late);
    fmt_is(v.accept_due, "2025-01-23T08:00");
    /* not accepted, Mon 3/3/2025 08:00: budget 450, margin 225 */
    const char *nows[] = {"2025-03-03T10:00", "2025-03-03T14:00", "2025-03-04T09:00"};
    dh_fb_outcome want[] = {DH_FBO_WITHIN, DH_FBO_AT_RISK, DH_FBO_OVERDUE};
    for (int i = 0; i < 3; i++) {
        dh_fb_event r[] = {E(DH_FBE_RECEIVED, "2025-03-03T08:00")};
        v = replay(r, 1, nows[i]);
        assert_int_equal(v.state, DH_FB_RECEIVED);
        assert_int_equal(v.outcome, want[i]);
    }
    /* accepted: the answer clock, 3150 minutes, margin one day (450) */
    const char *later[] = {"2025-03-10T08:00", "2025-03-11T10:00", "2025-03-12T09:00"};
    for (int i = 0; i < 3; i++) {
        dh_fb_event r[] = {E(DH_FBE_RECEIVED, "2025-03-03T08:00"),
                           E(DH_FBE_ACCEPT, "2025-03-03T09:00")};
        v = replay(r, 2, later[i]);
        assert_int_equal(v.outcome, want[i]);
        fmt_is(v.answer_due, "2025-03-12T08:00");
    }
    /* events after now are not yet taken into account */
    dh_fb_event r[] = {E(DH_FBE_RECEIVED, "2025-03-03T08:00"),
                       E(DH_FBE_ACCEPT, "2025-03-03T09:00")};
    v = replay(r, 2, "2025-03-03T08:30");
    assert_int_equal(v.state, DH_FB_RECEIVED);
}

static void test_transfer_and_reject(void **state)
{
    (void)state;
    dh_fb_event ev[] = {E(DH_FBE_RECEIVED, "2025-03-03T08:00"),
                        E(DH_FBE_TRANSFER, "2025-03-03T09:00"),
                        E(DH_FBE_ACCEPT, "2025-03-03T10:00")};
    ev[1].to_unit = "VT-P2";
    dh_fb_view v = replay(ev, 3, "2025-03-04T10:00");
    assert_string_equal(v.unit, "VT-P2");
    assert_int_equal(v.ntransfers, 1);
    fmt_is(v.answer_due, "2025-03-12T08:00"); /* the transfer does not restart the clock */

    dh_fb_event r[] = {E(DH_FBE_RECEIVED, "2025-03-03T08:00"),
                       E(DH_FBE_REQUEST_INFO, "2025-03-03T09:00"),
                       E(DH_FBE_REJECT, "2025-03-10T09:00"),
                       E(DH_FBE_CLOSE, "2025-03-11T09:00")};
    v = replay(r, 4, "2025-04-01T00:00");
    assert_int_equal(v.state, DH_FB_CLOSED);
    assert_int_equal(v.outcome, DH_FBO_NONE);
    assert_int_equal(v.used_minutes, 60);
}

static void test_refused_replays(void **state)
{
    (void)state;
    dh_fb_view v;
    long bad;
    const char *why;
    dh_fb_event a[] = {E(DH_FBE_RECEIVED, "2025-03-03T08:00"), E(DH_FBE_ACCEPT, "2025-03-03T09:00"),
                       E(DH_FBE_ANSWER, "2025-03-04T09:00"), E(DH_FBE_CLOSE, "2025-03-05T09:00"),
                       E(DH_FBE_ANSWER, "2025-03-06T09:00")};
    assert_int_equal(dh_fb_replay(a, 5, wc(), &lim, T("2025-04-01T00:00"), &v, &bad, &why), -1);
    assert_int_equal(bad, 4);
    assert_string_equal(why, "the record is already answered or closed");
    a[4].type = DH_FBE_RATE;
    a[4].rating = 6;
    assert_int_equal(dh_fb_replay(a, 5, wc(), &lim, T("2025-04-01T00:00"), &v, &bad, &why), -1);
    assert_string_equal(why, "a rating is 1 to 5");
    a[4].rating = 4;
    assert_int_equal(dh_fb_replay(a, 5, wc(), &lim, T("2025-04-01T00:00"), &v, &bad, &why), 0);
    assert_int_equal(v.rating, 4);
    assert_int_equal(v.state, DH_FB_CLOSED);
    assert_int_equal(v.outcome, DH_FBO_ON_TIME);
    assert_int_equal(dh_fb_replay(a + 1, 4, wc(), &lim, T("2025-04-01T00:00"), &v, &bad, &why),
                     -1);
    assert_int_equal(bad, 0);
}

/* Routing by commune validity: Phường 1 (VT-P1) of Vũng Tàu was merged into
 * Phường Vũng Tàu (HCM-VUNGTAU) on 1/7/2025. */
/* The at-risk rule of open records, in one place (core): a margin of one
 * working day, at most half the budget, or the category's own. */
static void test_open_outcome(void **state)
{
    (void)state;
    assert_int_equal(dh_fb_open_outcome(3150, -1, 450, 0), DH_FBO_OVERDUE);
    assert_int_equal(dh_fb_open_outcome(3150, 0, 450, 0), DH_FBO_AT_RISK);
    assert_int_equal(dh_fb_open_outcome(3150, 450, 450, 0), DH_FBO_AT_RISK);
    assert_int_equal(dh_fb_open_outcome(3150, 451, 450, 0), DH_FBO_WITHIN);
    /* a one-day budget: half of it */
    assert_int_equal(dh_fb_open_outcome(450, 225, 450, 0), DH_FBO_AT_RISK);
    assert_int_equal(dh_fb_open_outcome(450, 226, 450, 0), DH_FBO_WITHIN);
    /* the category's margin, not halved */
    assert_int_equal(dh_fb_open_outcome(450, 400, 450, 900), DH_FBO_AT_RISK);
}

/* The two 766 feedback indicators from replayed records: answered on time
 * ÷ (answered + open over their deadline), ratings >= 4 ÷ ratings, and
 * their points (6 each, no threshold: rate × 6 ÷ 100). Received Mon
 * 3/3/2025 08:00, the answer due Wed 12/3 08:00; read at 20/3. */
static void test_766_points_from_feedback(void **state)
{
    (void)state;
    const char *now = "2025-03-20T08:00";
    struct {
        const char *answered; /* NULL: still open */
        int rating;
    } recs[] = {
        {"2025-03-07T10:00", 5}, /* on time, satisfied */
        {"2025-03-11T16:00", 4}, /* on time, satisfied */
        {"2025-03-14T09:00", 2}, /* late, not satisfied */
        {"2025-03-13T09:00", 0}, /* late, not rated */
        {NULL, 0},               /* open over its deadline */
    };
    int64_t answered = 0, on_time = 0, open_overdue = 0, rated = 0, satisfied = 0;
    for (size_t i = 0; i < sizeof recs / sizeof *recs; i++) {
        dh_fb_event ev[4];
        size_t n = 0;
        ev[n++] = E(DH_FBE_RECEIVED, "2025-03-03T08:00");
        ev[n++] = E(DH_FBE_ACCEPT, "2025-03-03T09:00");
        if (recs[i].answered)
            ev[n++] = E(DH_FBE_ANSWER, recs[i].answered);
        if (recs[i].rating) {
            ev[n] = E(DH_FBE_RATE, "2025-03-17T08:00");
            ev[n++].rating = recs[i].rating;
        }
        dh_fb_view v = replay(ev, n, now);
        answered += v.answered_at != 0;
        on_time += v.outcome == DH_FBO_ON_TIME;
        open_overdue += v.outcome == DH_FBO_OVERDUE;
        rated += v.rating > 0;
        satisfied += v.rating >= 4;
    }
    assert_int_equal(answered, 4);
    assert_int_equal(on_time, 2);
    assert_int_equal(open_overdue, 1);
    /* two units' counts summed: the second has one answer on time, rated 3 */
    dh_i766_fb f = {0};
    dh_i766_fb_add(&f, answered, on_time, open_overdue, rated, satisfied);
    dh_i766_fb_add(&f, 1, 1, 0, 1, 0);
    int64_t num, den;
    assert_true(dh_i766_fb_fraction(&f, "feedback_on_time", &num, &den));
    assert_int_equal(num, 3);
    assert_int_equal(den, 6);
    double pts = dh_i766_points(100.0 * (double)num / (double)den, 6, 0);
    assert_true(pts > 2.999 && pts < 3.001);
    assert_true(dh_i766_fb_fraction(&f, "feedback_satisfaction", &num, &den));
    assert_int_equal(num, 2);
    assert_int_equal(den, 4);
    pts = dh_i766_points(100.0 * (double)num / (double)den, 6, 0);
    assert_true(pts > 2.999 && pts < 3.001);
    /* other indicators, and no data: the manual value stays */
    assert_false(dh_i766_fb_fraction(&f, "on_time", &num, &den));
    dh_i766_fb none = {0};
    dh_i766_fb_add(&none, 0, 0, 0, 0, 0);
    assert_false(dh_i766_fb_fraction(&none, "feedback_on_time", &num, &den));
    assert_false(dh_i766_fb_fraction(&none, "feedback_satisfaction", &num, &den));
    /* a threshold of 80 %: 5 of 6 on time is full points */
    dh_i766_fb g = {0};
    dh_i766_fb_add(&g, 6, 5, 0, 0, 0);
    assert_true(dh_i766_fb_fraction(&g, "feedback_on_time", &num, &den));
    pts = dh_i766_points(100.0 * (double)num / (double)den, 6, 80);
    assert_true(pts > 5.999 && pts < 6.001);
}

static void test_routing_by_commune_validity(void **state)
{
    (void)state;
    dh_unitreg *r = dh_unitreg_new();
    int32_t vt = dh_unitreg_add_unit(r, 1, "BRVT-VT", DH_UNIT_DISTRICT,
                                     dh_date_from_ymd(2020, 1, 1), dh_date_from_ymd(2025, 6, 30));
    int32_t hcm = dh_unitreg_add_unit(r, 2, "HCM", DH_UNIT_PROVINCE, dh_date_from_ymd(1976, 7, 2),
                                      DH_DATE_NONE);
    int32_t p1 = dh_unitreg_add_unit(r, 3, "VT-P1", DH_UNIT_COMMUNE, dh_date_from_ymd(2020, 1, 1),
                                     dh_date_from_ymd(2025, 6, 30));
    int32_t pvt = dh_unitreg_add_unit(r, 4, "HCM-VUNGTAU", DH_UNIT_COMMUNE,
                                      dh_date_from_ymd(2025, 7, 1), DH_DATE_NONE);
    dh_unitreg_add_version(r, vt, dh_date_from_ymd(2020, 1, 1), -1, "Thành phố Vũng Tàu", "");
    dh_unitreg_add_version(r, hcm, dh_date_from_ymd(1976, 7, 2), -1, "TP. Hồ Chí Minh", "");
    dh_unitreg_add_version(r, p1, dh_date_from_ymd(2020, 1, 1), vt, "Phường 1", "");
    dh_unitreg_add_version(r, pvt, dh_date_from_ymd(2025, 7, 1), hcm, "Phường Vũng Tàu", "");
    dh_unitreg_finish(r);
    dh_fb_rule rules[] = {{"roads", "VT-P1", "VT-PQLDT"},
                          {"roads", "HCM-VUNGTAU", "HCM-VUNGTAU-KT"},
                          {"", "", "HCM-TIEPDAN"}};
    dh_date before = dh_date_from_ymd(2025, 6, 30), after = dh_date_from_ymd(2025, 7, 1);
    /* before the merger: the rule of Phường 1, else its own unit */
    assert_string_equal(dh_fb_route(rules, 3, r, "roads", "VT-P1", before), "VT-PQLDT");
    assert_string_equal(dh_fb_route(rules, 3, r, "light", "VT-P1", before), "VT-P1");
    /* after: Phường 1 no longer exists, its rule does not apply: the catch-all */
    assert_string_equal(dh_fb_route(rules, 3, r, "roads", "VT-P1", after), "HCM-TIEPDAN");
    assert_string_equal(dh_fb_route(rules, 3, r, "roads", "HCM-VUNGTAU", after),
                        "HCM-VUNGTAU-KT");
    assert_string_equal(dh_fb_route(rules, 3, r, "light", "HCM-VUNGTAU", after), "HCM-VUNGTAU");
    /* the new ward did not exist yet on 30/6 */
    assert_string_equal(dh_fb_route(rules, 3, r, "light", "HCM-VUNGTAU", before), "HCM-TIEPDAN");
    /* no commune: the category's rule, else the catch-all, else none */
    assert_string_equal(dh_fb_route(rules, 3, r, "light", "", after), "HCM-TIEPDAN");
    assert_null(dh_fb_route(rules, 2, r, "light", "", after));
    assert_null(dh_fb_route(rules, 2, r, "roads", "UNKNOWN", after));
    dh_unitreg_free(r);
}

/* The aggregates' view of a record (core/fbagg.h): an open record counts
 * on its day of receipt and, with a running deadline, on the deadline's
 * day; an answered one on the answer's day; one cell per distinct day; the
 * figures of a period from sums of cells. */
static void test_fbagg_contributions(void **state)
{
    (void)state;
    dh_fbfact f;
    dh_fbcontrib out[DH_FBFACT_MAX];
    time_t r = T("2025-01-24T16:00:00+07:00"), due = T("2025-02-05T09:00:00+07:00");
    dh_fbfact_of("needs_info", "", r, 0, due, 0, 0, &f);
    assert_int_equal(dh_fbfact_contribs(&f, out), 2);
    assert_int_equal(out[0].day, dh_date_from_ymd(2025, 1, 24));
    assert_int_equal(out[0].d.n[DH_FBC_RECEIVED], 1);
    assert_int_equal(out[0].d.n[DH_FBC_OPEN], 1);
    assert_int_equal(out[1].day, dh_date_from_ymd(2025, 2, 5));
    assert_int_equal(out[1].d.n[DH_FBC_DUE], 1);
    assert_int_equal(out[1].d.n[DH_FBC_RECEIVED], 0);
    /* paused (no running deadline): no due cell */
    dh_fbfact_of("needs_info", "", r, 0, 0, 0, 0, &f);
    assert_int_equal(dh_fbfact_contribs(&f, out), 1);
    /* answered late the same day, rated 4: one cell; closed ones are not open */
    dh_fbfact_of("closed", "late", r, r + 3600, due, 900, 4, &f);
    assert_int_equal(dh_fbfact_contribs(&f, out), 1);
    dh_fbcell c = out[0].d;
    assert_int_equal(c.n[DH_FBC_RECEIVED] + c.n[DH_FBC_ANSWERED] + c.n[DH_FBC_LATE], 3);
    assert_int_equal(c.n[DH_FBC_ON_TIME] + c.n[DH_FBC_OPEN] + c.n[DH_FBC_DUE], 0);
    assert_int_equal(c.n[DH_FBC_RATED] + c.n[DH_FBC_SATISFIED], 2);
    assert_int_equal(c.n[DH_FBC_MINUTES], 900);
    /* removing what was added leaves a zero cell */
    dh_fbcell_add(&c, &out[0].d, -1);
    assert_true(dh_fbcell_zero(&c));
    /* figures: 5 open received up to today, 2 due before today, 1 due today before now */
    dh_fbcell period = {{0}}, upto = {{0}}, before = {{0}};
    period.n[DH_FBC_RECEIVED] = 7;
    period.n[DH_FBC_ANSWERED] = 3;
    upto.n[DH_FBC_OPEN] = 5;
    before.n[DH_FBC_DUE] = 2;
    dh_fbfigures g;
    dh_fbfigures_of(&period, &upto, &before, 1, &g);
    assert_int_equal(g.received, 7);
    assert_int_equal(g.answered, 3);
    assert_int_equal(g.open_overdue, 3);
    assert_int_equal(g.open_within, 2);
}

/* The feedback KPIs read from the aggregates (dh_app_fb_kpis) equal a
 * count of the records (dh_app_fb_kpis_by_category, summed per unit) after
 * the app's own transitions: a generated month of feedback (submissions,
 * accepts, answers, ratings, closes) and random transfers, pauses, resumes,
 * answers and closes of open records, half of them by a second app on the
 * same file (another process or node: the first one's in-memory copy,
 * fbaggs.c, must follow), compared every ten records; again after
 * dieuhanh rebuild. */
static json_t *units_of(json_t *k, bool by_category)
{
    static const char *const keys[] = {"received",           "answered",
                                       "answered_on_time",   "answered_late",
                                       "open_within_deadline", "open_over_deadline",
                                       "rated",              "satisfied"};
    json_t *m = json_object(), *u;
    size_t i;
    json_array_foreach(json_object_get(k, "units"), i, u)
    {
        const char *unit = json_string_value(json_object_get(u, "unit"));
        json_t *acc = json_object_get(m, unit);
        if (!acc) {
            acc = json_object();
            json_object_set_new(m, unit, acc);
        }
        for (size_t j = 0; j < sizeof keys / sizeof *keys; j++) {
            json_int_t v = json_integer_value(json_object_get(acc, keys[j])) +
                           json_integer_value(json_object_get(u, keys[j]));
            json_object_set_new(acc, keys[j], json_integer(v));
        }
    }
    (void)by_category;
    /* units with nothing to count are left out on both sides */
    const char *key;
    json_t *v, *tmp;
    json_object_foreach_safe(m, tmp, key, v)
    {
        bool any = false;
        json_t *x;
        const char *kk;
        json_object_foreach(v, kk, x) any |= json_integer_value(x) != 0;
        if (!any)
            json_object_del(m, key);
    }
    return m;
}

static void kpis_agree(dh_app *app, const dh_actor *a, dh_date from, dh_date to, time_t now)
{
    dh_err e;
    json_t *agg, *cnt;
    assert_int_equal(dh_app_fb_kpis(app, a, from, to, now, &agg, &e), DH_OK);
    assert_int_equal(dh_app_fb_kpis_by_category(app, a, from, to, now, &cnt, &e), DH_OK);
    json_t *x = units_of(agg, false), *y = units_of(cnt, true);
    char *sx = json_dumps(x, JSON_SORT_KEYS), *sy = json_dumps(y, JSON_SORT_KEYS);
    assert_string_equal(sx, sy);
    assert_true(json_object_size(y) > 0);
    free(sx);
    free(sy);
    json_decref(x);
    json_decref(y);
    json_decref(agg);
    json_decref(cnt);
}

static void test_kpis_from_aggregates_equal_a_count(void **state)
{
    (void)state;
    char dir[64] = "/tmp/dh-test-fbagg-XXXXXX", url[160];
    assert_non_null(mkdtemp(dir));
    snprintf(url, sizeof url, "sqlite:%s/t.db", dir);
    dh_err e;
    dh_app *app = dh_app_open(url, true, &e);
    assert_non_null(app);
    dh_actor cli;
    dh_actor_cli(&cli);
    time_t now = T("2025-03-20T10:00:00+07:00");
    dh_demo_summary sum;
    assert_int_equal(dh_demo_load(app, &cli, now, &sum, &e), DH_OK);
    dh_date today = dh_date_of_time_vn(now);
    json_t *s = NULL;
    assert_int_equal(dh_app_fb_demo(app, &cli, 150, 7, today - 40, today - 1, &s, &e), DH_OK);
    json_decref(s);
    kpis_agree(app, &cli, today - 40, today, now);

    /* random transitions of open records (refused ones change nothing) */
    dh_app *other = dh_app_open(url, false, &e);
    assert_non_null(other);
    json_t *open;
    dh_fb_filter q = {.open = 1, .limit = 60};
    assert_int_equal(dh_app_fb_list(app, &cli, &q, now, &open, &e), DH_OK);
    static const char *const to_units[] = {"VT-P1", "VT-P2", "HCM-VUNGTAU"};
    unsigned long long r = 12345;
    size_t i;
    json_t *rec;
    time_t t = now - 3600;
    json_array_foreach(open, i, rec)
    {
        const char *code = json_string_value(json_object_get(rec, "code"));
        for (int k = 0; k < 3; k++) {
            r = r * 6364136223846793005ULL + 1442695040888963407ULL;
            int which = (int)((r >> 33) % 6);
            static const char *const acts[] = {"transfer", "request_info", "resume",
                                               "answer",   "close",        "accept"};
            json_t *body = which == 0   ? json_pack("{s:s}", "unit", to_units[(r >> 40) % 3])
                           : which == 3 ? json_pack("{s:s}", "answer", "Đã xử lý.")
                                        : json_pack("{s:s}", "note", "Bổ sung ảnh.");
            json_t *out = NULL;
            dh_err e2;
            t += 60;
            if (dh_app_fb_act(i % 2 ? other : app, &cli, code, acts[which], body, t, &out,
                              &e2) == DH_OK)
                json_decref(out);
            json_decref(body);
        }
        if (i % 10 == 9)
            kpis_agree(app, &cli, today - 40, today, now);
    }
    dh_app_close(other);
    json_decref(open);
    kpis_agree(app, &cli, today - 40, today, now);
    kpis_agree(app, &cli, today - 10, today - 3, now);
    kpis_agree(app, &cli, today, today, now + 86400 * 5);
    long nd = 0;
    assert_int_equal(dh_app_rebuild(app, &cli, now, NULL, NULL, &nd, &e), DH_OK);
    kpis_agree(app, &cli, today - 40, today, now);
    /* records changed straight in the file (as a bulk load does), then a
     * rebuild: the copy is loaded anew, not patched */
    sqlite3 *db;
    char path[96];
    snprintf(path, sizeof path, "%s/t.db", dir);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "UPDATE fb_records SET unit = 'VT-P2' WHERE id % 3 = 0",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(dh_app_rebuild(app, &cli, now, NULL, NULL, &nd, &e), DH_OK);
    kpis_agree(app, &cli, today - 40, today, now);
    dh_app_close(app);
    char cmd[120];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_transitions),
        cmocka_unit_test(test_pause_across_tet),
        cmocka_unit_test(test_pause_across_tet_outcomes),
        cmocka_unit_test(test_accept_clock),
        cmocka_unit_test(test_transfer_and_reject),
        cmocka_unit_test(test_refused_replays),
        cmocka_unit_test(test_routing_by_commune_validity),
        cmocka_unit_test(test_open_outcome),
        cmocka_unit_test(test_766_points_from_feedback),
        cmocka_unit_test(test_fbagg_contributions),
        cmocka_unit_test(test_kpis_from_aggregates_equal_a_count),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
