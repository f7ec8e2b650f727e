/* test_kpiagg.c - the service aggregates (issue 5).
 *
 * Property: for random event streams — holidays (Tết 2025), pauses, second
 * supplement requests, refusals, payments, ratings, digitisation on the day
 * or later, transfers, appointments — sent in shuffled batches (so events
 * arrive out of order across batches), the figures of random periods read
 * from the incrementally kept aggregates equal those of a brute-force
 * recount (every dossier replayed at the end of the period), and equal
 * again after `rebuild` recomputes everything from the events. Periods
 * cross the year 2024/2025 and the block boundaries (checkpoints) of the
 * sparse series (issue 20), and some span all the days.
 * Plus the pure parts: a fact's contributions, the figures' identities,
 * pack/unpack, and the overdue day of a dossier with no event after receipt.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "app/app.h"
#include "app/demo.h"
#include "core/dossier.h"
#include "core/index766.h"
#include "core/kpiagg.h"
#include "core/kseries.h"
#include "util/date.h"

/* Local (UTC+7) day and minute of the day as a POSIX time. */
static time_t dh_time_from_vn(dh_date d, int minute)
{
    return (time_t)((int64_t)d * 86400 + minute * 60 - 7 * 3600);
}

/* ---- Pure parts. ---------------------------------------------------------- */

static void test_fact_contributions_and_figures(void **state)
{
    (void)state;
    dh_date mar1 = dh_date_from_ymd(2025, 3, 1);
    /* received 26/2 online by the applicant, overdue from 28/2, finished late 3/3 */
    dh_dfact a = {.key = 1, .r_day = mar1 - 3, .f_day = mar1 + 2, .o_day = mar1 - 1,
                  .paid_day = DH_NO_DAY, .rated_day = mar1 + 5, .channel = 1,
                  .by_applicant = 1, .digitised = 1, .satisfied = 1, .fin = DH_KFIN_LATE,
                  .used_minutes = 1410};
    dh_kcontrib c[DH_DFACT_MAX];
    size_t n = dh_dfact_contribs(&a, c);
    assert_int_equal(n, 8); /* online, by applicant, digitised, late, overdue from/to, rated, satisfied */
    dh_kcell cells[40] = {0};
    dh_date d0 = mar1 - 10;
    assert_int_equal(dh_dfact_apply(&a, 1, cells, d0, 40), 0);
    assert_int_equal(dh_dfact_apply(&a, 1, cells, mar1, 3), -1); /* out of range: nothing */
    /* cumulative counts before 1/3 and before 1/4 (March) */
    dh_kcell before_mar = {0}, before_apr = {0};
    for (int i = 0; i < 40; i++) {
        if (d0 + i < mar1)
            dh_kcell_add(&before_mar, &cells[i], 1);
        if (d0 + i < mar1 + 31)
            dh_kcell_add(&before_apr, &cells[i], 1);
    }
    dh_kfigures f;
    dh_kfigures_from_cum(&before_mar, &before_apr, &f);
    assert_true(dh_kfigures_identities(&f));
    assert_int_equal(f.received_total, 1);
    assert_int_equal(f.carried_over, 1);
    assert_int_equal(f.received_online, 0);
    assert_int_equal(f.late, 1);
    assert_int_equal(f.resolved_minutes, 1410);
    assert_int_equal(f.rated, 1);
    assert_int_equal(f.satisfied, 1);
    /* February: received online by the applicant, still open and overdue at its end */
    dh_kcell before_feb = {0};
    dh_kfigures_from_cum(&before_feb, &before_mar, &f);
    assert_true(dh_kfigures_identities(&f));
    assert_int_equal(f.received_online, 1);
    assert_int_equal(f.received_by_applicant, 1);
    assert_int_equal(f.digitised, 1);
    assert_int_equal(f.in_progress_total, 1);
    assert_int_equal(f.overdue, 1);
    /* removing the fact leaves nothing */
    assert_int_equal(dh_dfact_apply(&a, -1, cells, d0, 40), 0);
    for (int i = 0; i < 40; i++)
        assert_true(dh_kcell_zero(&cells[i]));
    /* pack / unpack */
    unsigned char blob[DH_DFACT_BLOB];
    dh_dfact b;
    a.used_minutes = -5000000000LL;
    dh_dfact_pack(&a, blob);
    assert_int_equal(dh_dfact_unpack(blob, sizeof blob, &b), 0);
    assert_memory_equal(&a, &b, sizeof a);
    assert_int_equal(dh_dfact_unpack(blob, sizeof blob - 1, &b), -1);
    dh_kcell k = {{1, -2, 3}, 1LL << 40}, k2;
    unsigned char kb[DH_KCELL_BLOB];
    dh_kcell_pack(&k, kb);
    assert_int_equal(dh_kcell_unpack(kb, sizeof kb, &k2), 0);
    assert_memory_equal(&k, &k2, sizeof k);
}

/* Decision 766 scoring (domain.md §4): full points at or above the
 * threshold, rate x max / threshold below it, rate x max without one. */
static void test_index766_points(void **state)
{
    (void)state;
    assert_true(dh_i766_points(85.0, 4, 80) == 4.0);    /* above the threshold */
    assert_true(dh_i766_points(80.0, 4, 80) == 4.0);    /* at it */
    assert_true(dh_i766_points(60.0, 4, 80) == 3.0);    /* 60 x 4 / 80 */
    assert_true(dh_i766_points(60.0, 20, 0) == 12.0);   /* no threshold: 60% of 20 */
    assert_true(dh_i766_points(3.0769, 4, 0) == 0.12);  /* rounded to 2 decimals */
    assert_true(dh_i766_points(66.6667, 6, 50) == 6.0);
    assert_true(dh_i766_points(33.335, 6, 0) == 2.0);   /* 2.0001 */
    assert_true(dh_i766_points(120, 6, 0) == 6.0);      /* clamped */
    assert_true(dh_i766_round2(12.345) == 12.35);
    assert_true(dh_i766_round2(-1.005) == -1.01);
}

/* A dossier received on Friday 24/1/2025 with 3 working days and no other
 * event: Tết (27/1–2/2 off in 2025, LC2019) pushes its due day to 5/2; it is
 * overdue from the end of 5/2 only because the working time runs out at
 * 08:00 that day — no event makes it so. */
static void test_overdue_day_without_events(void **state)
{
    (void)state;
    dh_err e;
    char dir[] = "/tmp/dh-kpi-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char url[128];
    snprintf(url, sizeof url, "sqlite:%s/t.db", dir);
    dh_app *app = dh_app_open(url, true, &e);
    assert_non_null(app);
    const dh_calset *cals = dh_app_calendars_acquire(app, &e);
    assert_non_null(cals);
    const dh_calendar *cal = dh_calset_find(cals, "default");
    assert_non_null(cal);
    time_t rec = dh_time_from_vn(dh_date_from_ymd(2025, 1, 24), 8 * 60);
    dh_devent ev[1] = {{.type = DH_DE_RECEIVED, .at = rec, .source = "s", .id = "1",
                        .unit = "U", .procedure = "P"}};
    dh_time_limit tl = {3, DH_DUR_WORKING_DAYS, -1};
    dh_clock_rules rules = {1, 0};
    dh_dfact f;
    assert_int_equal(dh_dossier_fact(ev, 1, cal->wc, &tl, &rules, &f), 0);
    assert_int_equal(f.r_day, dh_date_from_ymd(2025, 1, 24));
    assert_int_equal(f.f_day, DH_NO_DAY);
    /* due 5/2 08:00 (24/1, 3/2, 4/2 are the three days): the first minute
     * over is on 5/2, so the end of 5/2 is the first overdue day-end */
    assert_int_equal(f.o_day, dh_date_from_ymd(2025, 2, 5));
    dh_dossier_view v;
    time_t end4 = dh_time_from_vn(dh_date_from_ymd(2025, 2, 4), 23 * 60 + 59);
    time_t end5 = dh_time_from_vn(dh_date_from_ymd(2025, 2, 5), 23 * 60 + 59);
    assert_int_equal(dh_dossier_replay(ev, 1, cal->wc, &tl, &rules, end4, &v), 0);
    assert_int_not_equal(v.outcome, DH_OUT_OVERDUE);
    assert_int_equal(dh_dossier_replay(ev, 1, cal->wc, &tl, &rules, end5, &v), 0);
    assert_int_equal(v.outcome, DH_OUT_OVERDUE);
    dh_app_calendars_release(app, cals);
    dh_app_close(app);
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

/* ---- The property over random streams. ------------------------------------ */

static uint64_t rng = 88172645463325252ULL;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}
static int below(int n) { return (int)(next() % (uint64_t)n); }

typedef struct gen {
    json_t *events;
    int seq;
} gen;

static void iso(time_t t, char *out)
{
    time_t l = t + 7 * 3600;
    struct tm tm;
    gmtime_r(&l, &tm);
    strftime(out, 40, "%Y-%m-%dT%H:%M:%S+07:00", &tm);
}

static json_t *event(gen *g, const char *dossier, const char *type, time_t at)
{
    char id[32], ts[40];
    snprintf(id, sizeof id, "p%d", ++g->seq);
    iso(at, ts);
    json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s}", "id", id, "source", "prop", "dossier", dossier,
                          "type", type, "at", ts);
    json_array_append_new(g->events, o);
    return o;
}

static const char *const UNITS[] = {"VT-P1", "VT-P2", "VT-P3", "VT-VP"};
static const char *const PROCS[] = {"1.001297", "1.001587", "1.001542"};

/* One dossier's events, consistent in time, starting between day0 and day0+span. */
static void one_dossier(gen *g, int i, dh_date day0, int span)
{
    char code[32];
    snprintf(code, sizeof code, "PROP-%04d", i);
    time_t t = dh_time_from_vn(day0 + below(span), 6 * 60 + below(14 * 60));
    json_t *r = event(g, code, "received", t);
    json_object_set_new(r, "unit", json_string(UNITS[below(4)]));
    json_object_set_new(r, "procedure", json_string(PROCS[below(3)]));
    const char *ch[] = {"counter", "online", "postal"};
    int c = below(3);
    json_object_set_new(r, "channel", json_string(ch[c]));
    if (c == 1 && below(2))
        json_object_set_new(r, "by_applicant", json_true());
    if (below(5) == 0) {
        char ts[40];
        iso(t + 86400 * (2 + below(10)), ts);
        json_object_set_new(r, "appointment", json_string(ts));
    }
    if (below(3) == 0) {
        json_t *d = event(g, code, "digitised", t + (below(2) ? 600 : 86400 * (1 + below(3))));
        json_object_set_new(d, "input", json_true());
    }
    int nsup = below(10) < 2 ? 1 + below(2) : 0;
    for (int k = 0; k < nsup; k++) {
        t += 3600 * (1 + below(40));
        json_t *q = event(g, code, "supplement_requested", t);
        json_object_set_new(q, "reason", json_string("Thiếu giấy tờ"));
        if (below(4) == 0)
            goto paid; /* still waiting */
        t += 3600 * (1 + below(100));
        event(g, code, "supplement_completed", t);
    }
    if (below(10) == 0) {
        t += 3600 * below(24);
        json_t *x = event(g, code, "transferred", t);
        json_object_set_new(x, "to_unit", json_string(UNITS[below(4)]));
    }
    int end = below(10);
    if (end < 7) {
        t += 3600 * (1 + below(24 * 12));
        event(g, code, end < 5 ? "processed" : end == 5 ? "refused" : "withdrawn", t);
        if (end < 5 && below(2))
            event(g, code, "result_returned", t + 3600 * below(48));
        if (end < 5 && below(3) == 0) {
            json_t *rt = event(g, code, "rated", t + 86400 * below(20));
            json_object_set_new(rt, "rating", json_integer(1 + below(5)));
        }
    }
paid:
    if (below(3) == 0) {
        json_t *p = event(g, code, "paid", t + 3600 * below(72));
        json_object_set_new(p, "amount", json_integer(50000));
        json_object_set_new(p, "method", json_string(below(2) ? "online" : "offline"));
    }
}

static void shuffle(json_t *a)
{
    size_t n = json_array_size(a);
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)below((int)i);
        json_t *x = json_incref(json_array_get(a, i - 1));
        json_t *y = json_incref(json_array_get(a, j));
        json_array_set_new(a, i - 1, y);
        json_array_set_new(a, j, x);
    }
}

static int compare(dh_app *app, const dh_actor *a, const char *unit, bool subtree, dh_date from,
                   dh_date to, const char *group, unsigned extra, const char *proc,
                   const char *field, time_t now)
{
    dh_err e;
    json_t *fast = NULL, *exact = NULL;
    assert_int_equal(dh_app_kpis_filtered(app, a, unit, subtree, proc, field, from, to, group,
                                          extra, now, &fast, &e),
                     DH_OK);
    assert_int_equal(dh_app_kpis_filtered(app, a, unit, subtree, proc, field, from, to, group,
                                          extra | DH_KPI_EXACT, now, &exact, &e),
                     DH_OK);
    int same = json_equal(fast, exact);
    if (!same) {
        char *x = json_dumps(fast, JSON_SORT_KEYS), *y = json_dumps(exact, JSON_SORT_KEYS);
        char f1[11], t1[11];
        dh_date_format(from, f1);
        dh_date_format(to, t1);
        fprintf(stderr, "differ %s %s..%s group %s\n aggregates: %s\n recount:    %s\n", unit, f1,
                t1, group ? group : "-", x, y);
        free(x);
        free(y);
    }
    json_decref(fast);
    json_decref(exact);
    return same;
}

static void check_periods(dh_app *app, const dh_actor *a, dh_date day0, int span, time_t now,
                          int rounds)
{
    const char *groups[] = {NULL, "unit", "field", "procedure", "month"};
    for (int k = 0; k < rounds; k++) {
        dh_date from = day0 - 10 + below(span + 40);
        dh_date to = from + below(k % 3 == 0 ? 3 : 60);
        /* the boundaries of the sparse series' blocks (their checkpoints)
         * and of the year 2025: periods starting or ending on either side
         * of one, and periods over the whole span crossing them all */
        dh_date edge = below(2) ? dh_date_from_ymd(2025, 1, 1)
                                : (day0 / DH_KS_DAYS + 1 + below(2)) * DH_KS_DAYS;
        if (k % 5 == 1)
            from = edge - 1 + below(3), to = from + below(200);
        else if (k % 5 == 2)
            to = edge - 2 + below(3), from = to - below(100);
        else if (k % 5 == 4)
            from = day0 - 10 + below(20), to = from + span + below(40);
        const char *unit = below(3) ? "BRVT-VT" : UNITS[below(4)];
        /* sometimes only one procedure, or one field */
        int f = below(5);
        const char *proc = f == 0 ? PROCS[below(3)] : NULL;
        const char *field = f == 1 ? (below(2) ? "Hộ tịch" : "Giao thông vận tải") : NULL;
        assert_true(compare(app, a, unit, true, from, to, groups[below(5)],
                            below(3) == 0 ? DH_KPI_TODAY_UNITS : 0u, proc, field, now));
    }
}

static void test_incremental_equals_rebuild_equals_recount(void **state)
{
    (void)state;
    char dir[] = "/tmp/dh-kpi-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char url[128];
    snprintf(url, sizeof url, "sqlite:%s/t.db", dir);
    dh_err e;
    dh_app *app = dh_app_open(url, true, &e);
    assert_non_null(app);
    dh_actor a;
    dh_actor_cli(&a);
    time_t now = dh_time_from_vn(dh_date_from_ymd(2025, 8, 1), 9 * 60);
    dh_demo_summary sum;
    assert_int_equal(dh_demo_load(app, &a, now, &sum, &e), DH_OK);

    /* December 2024 to April 2025: Tết 2025 and its make-up rules inside */
    dh_date day0 = dh_date_from_ymd(2024, 12, 10);
    int span = 130;
    gen g = {json_array(), 0};
    int ndossiers = 260;
    for (int i = 0; i < ndossiers; i++)
        one_dossier(&g, i, day0, span);
    shuffle(g.events);
    size_t n = json_array_size(g.events), at = 0;
    int batches = 0;
    while (at < n) {
        size_t len = 1 + (size_t)below(150);
        if (at + len > n)
            len = n - at;
        json_t *batch = json_array();
        for (size_t i = 0; i < len; i++)
            json_array_append(batch, json_array_get(g.events, at + i));
        dh_ingest_report rep;
        dh_status st = dh_app_dossier_ingest(app, &a, batch, false, NULL, NULL, now, &rep, &e);
        if (st)
            fprintf(stderr, "batch %d refused: %s\n", batches, e.message);
        assert_int_equal(st, DH_OK);
        assert_int_equal(rep.accepted, (int)len);
        json_decref(rep.results);
        json_decref(batch);
        at += len;
        if (++batches % 8 == 0)
            check_periods(app, &a, day0, span, now, 3); /* part-way: some receipts missing */
    }
    check_periods(app, &a, day0, span, now, 40);

    /* the aggregates kept so far, then rebuilt from nothing */
    json_t *before = NULL, *after = NULL;
    assert_int_equal(dh_app_kpis(app, &a, "BRVT-VT", true, day0, day0 + span + 30, "unit", 0, now,
                                 &before, &e),
                     DH_OK);
    long rebuilt;
    assert_int_equal(dh_app_rebuild(app, &a, now, NULL, NULL, &rebuilt, &e), DH_OK);
    assert_int_equal(rebuilt, ndossiers);
    assert_int_equal(dh_app_kpis(app, &a, "BRVT-VT", true, day0, day0 + span + 30, "unit", 0, now,
                                 &after, &e),
                     DH_OK);
    assert_true(json_equal(before, after));
    json_decref(before);
    json_decref(after);
    check_periods(app, &a, day0, span, now, 40);

    /* a second app on the same file (another process or node) reads the same */
    dh_app *other = dh_app_open(url, false, &e);
    assert_non_null(other);
    check_periods(other, &a, day0, span, now, 5);
    /* more events through the first app show in the second */
    g.events = (json_decref(g.events), json_array());
    for (int i = ndossiers; i < ndossiers + 20; i++)
        one_dossier(&g, i, day0, span);
    dh_ingest_report rep;
    assert_int_equal(dh_app_dossier_ingest(app, &a, g.events, false, NULL, NULL, now, &rep, &e),
                     DH_OK);
    json_decref(rep.results);
    check_periods(other, &a, day0, span, now, 10);
    dh_app_close(other);

    json_decref(g.events);
    dh_app_close(app);
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fact_contributions_and_figures),
        cmocka_unit_test(test_overdue_day_without_events),
        cmocka_unit_test(test_index766_points),
        cmocka_unit_test(test_incremental_equals_rebuild_equals_recount),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
