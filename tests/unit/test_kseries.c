/* test_kseries.c - the sparse day series of the aggregates (issue 20).
 *
 * Property: after random sets and adds — appended days, days rewritten in
 * the middle, cells set back to zero (emptying blocks, the last one
 * included), negative days, values that need long varints — the cumulative
 * count before any day, hence the figures of any period (a day to years,
 * across block and year boundaries), equals a dense reference array's; the
 * rollup of several series (sparse, or a dense cumulative array) equals
 * their sum, and stays so under adds; reads between writes (lazy
 * checkpoints made, then invalidated) change nothing. A series and a
 * rollup saved and loaded again (the readers' copy's snapshot) answer the
 * same and go on taking changes; a cut or altered save is refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/kseries.h"
#include "util/buf.h"
#include "util/date.h"

static uint64_t rng = 42;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}
static int below(int n) { return (int)(next() % (uint64_t)n); }

enum { SPAN = 3 * 366 + 100 }; /* more than three years */

/* big: values past the one-byte encoding and negative ones, bounded so that
 * the sums of a run stay far from overflow (UBSan runs this test). */
static void random_cell(dh_kcell *c, bool big)
{
    memset(c, 0, sizeof *c);
    int k = below(4);
    for (int i = 0; i < k; i++)
        c->n[below(DH_KC_N)] = big ? (int32_t)(next() % (2u << 20)) - (1 << 20) : 1 + below(3);
    if (below(3) == 0)
        c->minutes = big ? (int64_t)(next() >> 23) - (INT64_C(1) << 40) : below(5000);
}

static void check_all(dh_kseries *s, const dh_kcell *ref, int32_t d0, int rounds)
{
    for (int r = 0; r < rounds; r++) {
        /* before any day, including outside the span */
        int32_t x = d0 - 70 + below(SPAN + 140);
        dh_kcell want = {0}, got;
        for (int32_t d = d0; d < x && d < d0 + SPAN; d++)
            dh_kcell_add(&want, &ref[d - d0], 1);
        dh_kseries_before(s, x, &got);
        assert_memory_equal(&want, &got, sizeof want);
        if (x >= d0 && x < d0 + SPAN) {
            dh_kseries_get(s, x, &got);
            assert_memory_equal(&ref[x - d0], &got, sizeof got);
        }
    }
}

static void run(int32_t d0, bool big)
{
    dh_kcell *ref = calloc(SPAN, sizeof *ref);
    dh_kseries s = {0};
    for (int step = 0; step < 4000; step++) {
        int32_t day;
        int how = below(10);
        if (how < 5) /* mostly forward, like ingestion */
            day = d0 + (step * SPAN / 4000) + below(5);
        else /* anywhere */
            day = d0 + below(SPAN);
        if (day >= d0 + SPAN)
            day = d0 + SPAN - 1;
        dh_kcell c;
        random_cell(&c, big && below(4) == 0);
        if (below(6) == 0)
            memset(&c, 0, sizeof c); /* a cell set back to zero */
        if (below(2)) {
            dh_kcell old;
            dh_kseries_set(&s, day, &c, &old);
            assert_memory_equal(&old, &ref[day - d0], sizeof old);
            ref[day - d0] = c;
        } else {
            dh_kseries_add(&s, day, &c);
            dh_kcell_add(&ref[day - d0], &c, 1);
        }
        if (step % 97 == 0)
            check_all(&s, ref, d0, 20);
    }
    check_all(&s, ref, d0, 400);
    /* clear the latter half: the trailing blocks go, appends go on */
    for (int32_t d = d0 + SPAN / 2; d < d0 + SPAN; d++) {
        dh_kcell z = {0};
        dh_kseries_set(&s, d, &z, NULL);
        ref[d - d0] = z;
    }
    check_all(&s, ref, d0, 200);
    for (int32_t d = d0 + SPAN / 2; d < d0 + SPAN; d += 1 + below(4)) {
        random_cell(&ref[d - d0], false);
        dh_kseries_set(&s, d, &ref[d - d0], NULL);
    }
    check_all(&s, ref, d0, 200);
    assert_true(dh_kseries_bytes(&s) > 0);
    /* saved and loaded: the same answers, and changes go on */
    dh_buf b = DH_BUF_INIT;
    dh_kseries_save(&s, &b);
    dh_kseries_free(&s);
    const unsigned char *p = (const unsigned char *)b.p, *end = p + b.len;
    assert_true(dh_kseries_load(&s, &p, end));
    assert_ptr_equal(p, end);
    check_all(&s, ref, d0, 200);
    for (int k = 0; k < 300; k++) {
        int32_t day = d0 + below(SPAN);
        dh_kcell c;
        random_cell(&c, false);
        dh_kseries_add(&s, day, &c);
        dh_kcell_add(&ref[day - d0], &c, 1);
    }
    check_all(&s, ref, d0, 200);
    /* a cut save is refused, never read past its end */
    for (size_t cut = 0; cut < b.len; cut += 1 + b.len / 300) {
        dh_kseries t = {0};
        const unsigned char *q = (const unsigned char *)b.p;
        assert_false(dh_kseries_load(&t, &q, q + cut));
        assert_int_equal(t.nblk, 0);
        dh_kseries_free(&t);
    }
    /* altered bytes: refused, or read within the save's bounds (ASan) */
    for (int k = 0; k < 300; k++) {
        unsigned char *x = malloc(b.len);
        memcpy(x, b.p, b.len);
        for (int j = 0; j < 1 + below(4); j++)
            x[below((int)b.len)] = (unsigned char)next();
        dh_kseries t = {0};
        const unsigned char *q = x;
        if (!dh_kseries_load(&t, &q, x + b.len))
            assert_int_equal(t.nblk, 0);
        assert_true(q <= x + b.len);
        dh_kseries_free(&t);
        free(x);
    }
    /* a mask bit no counter has: refused */
    {
        unsigned char *x = malloc(b.len);
        memcpy(x, b.p, b.len);
        /* the first block's first cell: after nblk, last, total, bno, present, len */
        size_t first = 4 + 4 + DH_KCELL_BLOB + 4 + 8 + 4;
        x[first + 1] |= 0x80;
        dh_kseries t = {0};
        const unsigned char *q = x;
        assert_false(dh_kseries_load(&t, &q, x + b.len));
        free(x);
    }
    dh_buf_free(&b);
    dh_kseries_free(&s);
    free(ref);
}

static void test_matches_dense(void **state)
{
    (void)state;
    run(dh_date_from_ymd(2016, 12, 20), false);
    run(dh_date_from_ymd(2024, 2, 27), true);
    run(-700, false); /* before 1970: floor division of days into blocks */
}

static void test_rollup_is_the_sum(void **state)
{
    (void)state;
    int32_t d0 = dh_date_from_ymd(2019, 11, 3);
    dh_kseries parts[5] = {{0}}, sum = {0};
    dh_kcell *ref = calloc(SPAN, sizeof *ref);
    for (int i = 0; i < 5; i++) {
        int32_t lo = d0 + below(SPAN / 2), hi = lo + below(SPAN - (lo - d0));
        for (int32_t d = lo; d < hi; d += 1 + below(9)) {
            dh_kcell c;
            random_cell(&c, false);
            dh_kseries_add(&parts[i], d, &c);
            dh_kcell_add(&ref[d - d0], &c, 1);
        }
    }
    dh_kseries *p[5] = {&parts[0], &parts[1], &parts[2], &parts[3], &parts[4]};
    dh_kseries_sum_of(&sum, p, 5);
    check_all(&sum, ref, d0, 500);
    /* a unit's rollup as a dense cumulative array: the same sums, kept
     * by adds inside its span, refusing days outside it */
    dh_kcum cum = {0};
    dh_kcell z0;
    assert_false(dh_kcum_add(&cum, d0, &ref[0]));
    dh_kcum_before(&cum, d0 + 5, &z0);
    assert_true(dh_kcell_zero(&z0));
    dh_kcum_sum_of(&cum, p, 5);
    dh_kcell *cref = calloc(SPAN, sizeof *cref);
    memcpy(cref, ref, SPAN * sizeof *cref);
    for (int k = 0; k < 300; k++) {
        int32_t d = d0 - 100 + below(SPAN + 200);
        dh_kcell c;
        random_cell(&c, false);
        bool inside = d >= cum.d0 && d < cum.d0 + cum.len;
        if (inside && (d < d0 || d >= d0 + SPAN))
            continue; /* the span starts at a block's first day */
        assert_int_equal(dh_kcum_add(&cum, d, &c), inside);
        if (inside)
            dh_kcell_add(&cref[d - d0], &c, 1);
    }
    for (int r = 0; r < 500; r++) {
        int32_t x = d0 - 70 + below(SPAN + 140);
        dh_kcell want = {0}, got;
        for (int32_t d = d0; d < x && d < d0 + SPAN; d++)
            dh_kcell_add(&want, &cref[d - d0], 1);
        dh_kcum_before(&cum, x, &got);
        assert_memory_equal(&want, &got, sizeof want);
    }
    /* saved and loaded: the same sums; a cut save refused */
    dh_buf b = DH_BUF_INIT;
    dh_kcum_save(&cum, &b);
    dh_kcum back = {0};
    const unsigned char *q = (const unsigned char *)b.p;
    assert_true(dh_kcum_load(&back, &q, q + b.len));
    assert_int_equal(back.d0, cum.d0);
    assert_int_equal(back.len, cum.len);
    assert_memory_equal(back.cum, cum.cum, ((size_t)cum.len + 1) * sizeof *cum.cum);
    dh_kcum_free(&back);
    for (size_t cut = 0; cut < b.len; cut += 1 + b.len / 100) {
        q = (const unsigned char *)b.p;
        assert_false(dh_kcum_load(&back, &q, q + cut));
        assert_null(back.cum);
    }
    dh_buf_free(&b);
    dh_kcum_free(&cum);
    free(cref);
    /* and kept incrementally afterwards, as the readers' copy does */
    for (int k = 0; k < 300; k++) {
        int32_t d = d0 + below(SPAN);
        dh_kcell c;
        random_cell(&c, false);
        dh_kseries_add(&sum, d, &c);
        dh_kcell_add(&ref[d - d0], &c, 1);
    }
    check_all(&sum, ref, d0, 500);
    dh_kseries_sum_of(&sum, p, 0);
    dh_kcell z;
    dh_kseries_before(&sum, d0 + SPAN, &z);
    assert_true(dh_kcell_zero(&z));
    for (int i = 0; i < 5; i++)
        dh_kseries_free(&parts[i]);
    dh_kseries_free(&sum);
    free(ref);
}

/* The sum of units' rollups (a province's total, src/app/aggs.c) reads as
 * the rollup of every unit's series together, at every day: before all the
 * spans, inside them, between and after them. */
static void test_sum_of_rollups(void **state)
{
    (void)state;
    int32_t d0 = dh_date_from_ymd(2016, 1, 1);
    enum { NU = 6 };
    dh_kseries parts[NU] = {{0}};
    dh_kcum units[NU] = {{0}}, total = {0}, every = {0};
    const dh_kcum *up[NU];
    dh_kseries *all[NU];
    for (int i = 0; i < NU; i++) {
        /* spans apart, overlapping, one inside another, one empty */
        int32_t lo = d0 + below(SPAN / 2), hi = i == 3 ? lo : lo + 1 + below(SPAN / 2);
        for (int32_t d = lo; d < hi; d += 1 + below(5)) {
            dh_kcell c;
            random_cell(&c, false);
            dh_kseries_add(&parts[i], d, &c);
        }
        dh_kseries *one = &parts[i];
        dh_kcum_sum_of(&units[i], &one, 1);
        up[i] = &units[i];
        all[i] = &parts[i];
    }
    dh_kcum_sum_cums(&total, up, NU);
    dh_kcum_sum_of(&every, all, NU);
    for (int32_t x = d0 - 40; x < d0 + SPAN + 40; x++) {
        dh_kcell want, got;
        dh_kcum_before(&every, x, &want);
        dh_kcum_before(&total, x, &got);
        assert_memory_equal(&want, &got, sizeof want);
    }
    for (int i = 0; i < NU; i++) {
        dh_kcum_free(&units[i]);
        dh_kseries_free(&parts[i]);
    }
    dh_kcum_sum_cums(&total, up, 0); /* nothing: empty */
    assert_null(total.cum);
    dh_kcum_free(&every);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matches_dense),
        cmocka_unit_test(test_rollup_is_the_sum),
        cmocka_unit_test(test_sum_of_rollups),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
