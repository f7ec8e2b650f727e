/* test_fullonline.c - fully online public services (issue 19, point 8):
 * the levels of procedures each kind of unit offers, the shares of
 * procedures and of dossiers, and no rate (not 0 %) with nothing to divide. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/fullonline.h"

static dh_date D(const char *s)
{
    dh_date d;
    assert_int_equal(dh_date_parse(s, &d), 0);
    return d;
}

static int32_t mk(dh_unitreg *r, const char *code, dh_unit_kind kind, const char *parent)
{
    dh_unit_spec s = {code, code, NULL, kind, parent, D("2000-01-01"), DH_DATE_NONE};
    int32_t u = -1;
    dh_err e;
    if (dh_unitreg_create(r, &s, &u, &e))
        fail_msg("create %s: %s", code, e.message);
    return u;
}

static void expect_levels(const dh_unitreg *r, const char *code, bool p, bool d, bool c)
{
    bool lv[3];
    dh_proc_unit_levels(r, dh_unitreg_find(r, code), D("2024-12-31"), lv);
    assert_int_equal(lv[0], p);
    assert_int_equal(lv[1], d);
    assert_int_equal(lv[2], c);
}

static void test_levels_by_kind(void **state)
{
    (void)state;
    dh_unitreg *r = dh_unitreg_new();
    mk(r, "P", DH_UNIT_PROVINCE, NULL);
    mk(r, "DEPT", DH_UNIT_DEPARTMENT, "P");
    mk(r, "CITY", DH_UNIT_DISTRICT, "P");
    mk(r, "CITY-OFFICE", DH_UNIT_OFFICE, "CITY");
    mk(r, "W1", DH_UNIT_COMMUNE, "CITY");
    expect_levels(r, "P", true, true, true);
    expect_levels(r, "DEPT", true, false, false);      /* the province's level */
    expect_levels(r, "CITY", false, true, true);
    expect_levels(r, "CITY-OFFICE", false, true, false); /* its district's */
    expect_levels(r, "W1", false, false, true);
    bool lv[3];
    dh_proc_unit_levels(r, -1, D("2024-12-31"), lv); /* unknown: nothing */
    assert_false(lv[0] || lv[1] || lv[2]);
    bool commune[3] = {false, false, true};
    assert_true(dh_proc_level_in("commune", commune));
    assert_false(dh_proc_level_in("district", commune));
    assert_false(dh_proc_level_in(NULL, commune));
    dh_unitreg_free(r);
}

static void test_shares(void **state)
{
    (void)state;
    dh_fo_figures f = {0};
    /* three procedures offered: two fully online */
    dh_fo_add_procedure(&f, "full");
    dh_fo_add_procedure(&f, "partial");
    dh_fo_add_procedure(&f, "full");
    /* dossiers: 5 of a full procedure, 2 partial, 1 offline, 2 of a
     * procedure not in the catalogue, nothing from a negative count */
    dh_fo_add_dossiers(&f, "full", 5);
    dh_fo_add_dossiers(&f, "partial", 2);
    dh_fo_add_dossiers(&f, "none", 1);
    dh_fo_add_dossiers(&f, NULL, 2);
    dh_fo_add_dossiers(&f, "full", -3);
    assert_int_equal(f.procedures, 3);
    assert_int_equal(f.full_procedures, 2);
    assert_int_equal(f.dossiers, 10);
    assert_int_equal(f.full_dossiers, 5);
    double pct;
    assert_true(dh_fo_rate(f.full_procedures, f.procedures, &pct));
    assert_true(pct == 66.67);
    assert_true(dh_fo_rate(f.full_dossiers, f.dossiers, &pct));
    assert_true(pct == 50.0);
    assert_true(dh_fo_rate(1, 3, &pct) && pct == 33.33);
    /* nothing to divide by: no rate */
    assert_false(dh_fo_rate(0, 0, &pct));
    assert_true(pct == 0);
    assert_false(dh_fo_rate(5, -1, &pct));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_levels_by_kind),
        cmocka_unit_test(test_shares),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
