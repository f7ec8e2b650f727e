/* test_unit.c - the unit registry: as-of queries, changes, merges, splits,
 * partial transfers, closing, cycles and validity checks, lineage, search,
 * and the access rules built on the tree. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/access.h"
#include "core/unit.h"

static dh_date D(const char *s)
{
    dh_date d;
    assert_int_equal(dh_date_parse(s, &d), 0);
    return d;
}

static int32_t mk(dh_unitreg *r, const char *code, const char *name, dh_unit_kind kind,
                  const char *parent, const char *from)
{
    dh_unit_spec s = {code, name, NULL, kind, parent, D(from), DH_DATE_NONE};
    int32_t u = -1;
    dh_err e;
    dh_status st = dh_unitreg_create(r, &s, &u, &e);
    if (st)
        fail_msg("create %s: %s", code, e.message);
    return u;
}

/* A small province: P > {DEPT, CITY > {W1, W2, W3}}. */
static dh_unitreg *province(void)
{
    dh_unitreg *r = dh_unitreg_new();
    mk(r, "P", "Tỉnh Bà Rịa – Vũng Tàu", DH_UNIT_PROVINCE, NULL, "1991-08-12");
    mk(r, "DEPT", "Sở Thông tin và Truyền thông", DH_UNIT_DEPARTMENT, "P", "2000-01-01");
    mk(r, "CITY", "Thành phố Vũng Tàu", DH_UNIT_DISTRICT, "P", "2000-01-01");
    mk(r, "W1", "Phường 1", DH_UNIT_COMMUNE, "CITY", "2000-01-01");
    mk(r, "W2", "Phường 2", DH_UNIT_COMMUNE, "CITY", "2000-01-01");
    mk(r, "W3", "Phường Thắng Nhì", DH_UNIT_COMMUNE, "CITY", "2000-01-01");
    return r;
}

static void expect_codes(const dh_unitreg *r, int32_t *v, size_t n, const char *const *codes)
{
    size_t k = 0;
    while (codes[k])
        k++;
    if (n != k) {
        for (size_t i = 0; i < n; i++)
            print_message("got %s\n", r->u[v[i]].code);
    }
    assert_int_equal(n, k);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(r->u[v[i]].code, codes[i]);
    free(v);
}

static void test_create_and_children(void **state)
{
    dh_unitreg *r = province();
    int32_t *v;
    size_t n = dh_unitreg_children(r, dh_unitreg_find(r, "CITY"), D("2024-12-31"), &v);
    expect_codes(r, v, n, (const char *const[]){"W1", "W2", "W3", NULL});
    /* Before the wards existed there are none. */
    n = dh_unitreg_children(r, dh_unitreg_find(r, "CITY"), D("1999-12-31"), &v);
    expect_codes(r, v, n, (const char *const[]){NULL});
    n = dh_unitreg_roots(r, D("2024-01-01"), &v);
    expect_codes(r, v, n, (const char *const[]){"P", NULL});
    dh_unitreg_free(r);
}

static void test_refusals(void **state)
{
    dh_unitreg *r = province();
    dh_err e;
    int32_t u;
    dh_unit_spec dup = {"W1", "Again", NULL, DH_UNIT_COMMUNE, "CITY", D("2001-01-01"),
                        DH_DATE_NONE};
    assert_int_equal(dh_unitreg_create(r, &dup, &u, &e), DH_E_CONFLICT);
    assert_string_equal(e.code, "duplicate_code");
    dh_unit_spec orphan = {"X", "X", NULL, DH_UNIT_COMMUNE, "NOPE", D("2001-01-01"), DH_DATE_NONE};
    assert_int_equal(dh_unitreg_create(r, &orphan, &u, &e), DH_E_CONFLICT);
    assert_string_equal(e.code, "unknown_parent");
    /* A parent that does not exist yet on the child's first day. */
    dh_unit_spec early = {"Y", "Y", NULL, DH_UNIT_COMMUNE, "CITY", D("1995-01-01"), DH_DATE_NONE};
    assert_int_equal(dh_unitreg_create(r, &early, &u, &e), DH_E_CONFLICT);
    assert_string_equal(e.code, "parent_not_valid");
    dh_unit_spec backwards = {"Z", "Z", NULL, DH_UNIT_COMMUNE, "CITY", D("2010-01-01"),
                              D("2009-01-01")};
    assert_int_equal(dh_unitreg_create(r, &backwards, &u, &e), DH_E_INVALID);
    dh_unit_spec badcode = {"A B", "Z", NULL, DH_UNIT_COMMUNE, "CITY", D("2010-01-01"),
                            DH_DATE_NONE};
    assert_int_equal(dh_unitreg_create(r, &badcode, &u, &e), DH_E_INVALID);
    assert_string_equal(e.field, "code");
    /* A refused create leaves nothing behind. */
    assert_int_equal(r->n, 6);
    assert_int_equal(dh_unitreg_find(r, "Y"), -1);
    assert_int_equal(dh_unitreg_check(r, &e), DH_OK);
    dh_unitreg_free(r);
}

static void test_rename_keeps_history(void **state)
{
    dh_unitreg *r = province();
    dh_err e;
    int32_t w3 = dh_unitreg_find(r, "W3");
    assert_int_equal(dh_unitreg_change(r, w3, D("2020-05-01"), "Phường Thắng Nhì mới", NULL, NULL,
                                       &e),
                     DH_OK);
    assert_string_equal(dh_unitreg_at(r, w3, D("2020-04-30"))->name, "Phường Thắng Nhì");
    assert_string_equal(dh_unitreg_at(r, w3, D("2020-05-01"))->name, "Phường Thắng Nhì mới");
    assert_true(r->u[w3].dirty);
    /* A correction without a date edits the latest version only. */
    assert_int_equal(dh_unitreg_change(r, w3, DH_DATE_NONE, NULL, "TN", NULL, &e), DH_OK);
    assert_string_equal(dh_unitreg_at(r, w3, D("2024-01-01"))->short_name, "TN");
    assert_string_equal(dh_unitreg_at(r, w3, D("2019-01-01"))->short_name, "");
    assert_int_equal(r->u[w3].nv, 2);
    dh_unitreg_free(r);
}

static void test_move_and_cycle(void **state)
{
    dh_unitreg *r = province();
    dh_err e;
    int32_t city = dh_unitreg_find(r, "CITY"), w1 = dh_unitreg_find(r, "W1");
    /* Moving the city under its own ward would make a cycle. */
    assert_int_equal(dh_unitreg_change(r, city, D("2021-01-01"), NULL, NULL, "W1", &e),
                     DH_E_CONFLICT);
    assert_string_equal(e.code, "cycle");
    dh_unitreg_free(r);

    r = province();
    city = dh_unitreg_find(r, "CITY");
    w1 = dh_unitreg_find(r, "W1");
    assert_int_equal(dh_unitreg_change(r, w1, D("2021-01-01"), NULL, NULL, "DEPT", &e), DH_OK);
    int32_t *v;
    size_t n = dh_unitreg_children(r, city, D("2020-12-31"), &v);
    expect_codes(r, v, n, (const char *const[]){"W1", "W2", "W3", NULL});
    n = dh_unitreg_children(r, city, D("2021-01-01"), &v);
    expect_codes(r, v, n, (const char *const[]){"W2", "W3", NULL});
    n = dh_unitreg_ancestors(r, w1, D("2021-06-01"), &v);
    expect_codes(r, v, n, (const char *const[]){"DEPT", "P", NULL});
    n = dh_unitreg_descendants(r, dh_unitreg_find(r, "P"), D("2021-06-01"), &v);
    /* Pre-order, children in Vietnamese name order: Sở... < Thành phố... */
    expect_codes(r, v, n, (const char *const[]){"DEPT", "W1", "CITY", "W2", "W3", NULL});
    assert_true(dh_unitreg_in_subtree(r, w1, city, D("2020-01-01")));
    assert_false(dh_unitreg_in_subtree(r, w1, city, D("2022-01-01")));
    dh_unitreg_free(r);
}

/* Evaluated with dates: a cycle that only exists later is still found. */
static void test_cycle_in_future(void **state)
{
    dh_unitreg *r = province();
    dh_err e;
    int32_t city = dh_unitreg_find(r, "CITY"), w1 = dh_unitreg_find(r, "W1");
    assert_int_equal(dh_unitreg_change(r, w1, D("2030-01-01"), NULL, NULL, "P", &e), DH_OK);
    /* From 2031 the city hangs under W1: fine, W1 is under P by then. */
    assert_int_equal(dh_unitreg_change(r, city, D("2031-01-01"), NULL, NULL, "W1", &e), DH_OK);
    dh_unitreg_free(r);
    r = province();
    city = dh_unitreg_find(r, "CITY");
    /* But from 2029 it would be a cycle (W1 still under the city). */
    assert_int_equal(dh_unitreg_change(r, city, D("2029-01-01"), NULL, NULL, "W1", &e),
                     DH_E_CONFLICT);
    dh_unitreg_free(r);
}

static void test_merge_whole_and_partial(void **state)
{
    dh_unitreg *r = province();
    dh_err e;
    dh_unit_spec newspec = {NULL, "Phường Vũng Tàu", "Vũng Tàu", DH_UNIT_COMMUNE, "P",
                            DH_DATE_NONE, DH_DATE_NONE};
    dh_event_part from[] = {{"W1", false, NULL}, {"W2", false, NULL}, {"W3", true, NULL}};
    dh_event_part to[] = {{"NEW", false, &newspec}};
    dh_unit_event ev = {DH_EV_MERGE, D("2025-07-01"), from, 3, to, 1, NULL, NULL, NULL, NULL};
    assert_int_equal(dh_unitreg_apply_event(r, &ev, &e), DH_OK);
    int32_t nu = dh_unitreg_find(r, "NEW"), w1 = dh_unitreg_find(r, "W1"),
            w3 = dh_unitreg_find(r, "W3");
    assert_true(nu >= 0);
    assert_false(dh_unitreg_valid_at(r, nu, D("2025-06-30")));
    assert_true(dh_unitreg_valid_at(r, nu, D("2025-07-01")));
    /* Whole predecessors close the day before; a partial one goes on. */
    assert_int_equal(r->u[w1].valid_to, D("2025-06-30"));
    assert_true(dh_unitreg_valid_at(r, w1, D("2025-06-30")));
    assert_false(dh_unitreg_valid_at(r, w1, D("2025-07-01")));
    assert_true(dh_unitreg_valid_at(r, w3, D("2025-07-01")));
    int32_t *v;
    size_t n = dh_unitreg_lineage(r, nu, false, &v);
    expect_codes(r, v, n, (const char *const[]){"W1", "W2", "W3", NULL});
    n = dh_unitreg_lineage(r, w3, true, &v);
    expect_codes(r, v, n, (const char *const[]){"NEW", NULL});
    assert_true(r->links[r->nlinks - 1].partial);
    /* An event on a closed unit is refused. */
    dh_unit_event close = {DH_EV_CLOSE, D("2026-01-01"), NULL, 0, NULL, 0, "W1", NULL, NULL, NULL};
    assert_int_equal(dh_unitreg_apply_event(r, &close, &e), DH_E_CONFLICT);
    assert_string_equal(e.code, "unit_closed");
    dh_unitreg_free(r);
}

static void test_merge_moves_children_and_transitive_lineage(void **state)
{
    dh_unitreg *r = province();
    dh_err e;
    mk(r, "CITY2", "Thành phố Bà Rịa", DH_UNIT_DISTRICT, "P", "2000-01-01");
    mk(r, "V1", "Phường Phước Hiệp", DH_UNIT_COMMUNE, "CITY2", "2000-01-01");
    /* CITY2 merges into CITY: its ward moves along. */
    dh_event_part from[] = {{"CITY2", false, NULL}};
    dh_event_part to[] = {{"CITY", false, NULL}};
    dh_unit_event ev = {DH_EV_MERGE, D("2020-01-01"), from, 1, to, 1, NULL, NULL, NULL, NULL};
    assert_int_equal(dh_unitreg_apply_event(r, &ev, &e), DH_OK);
    int32_t v1 = dh_unitreg_find(r, "V1");
    assert_string_equal(r->u[dh_unitreg_at(r, v1, D("2020-01-01"))->parent].code, "CITY");
    assert_string_equal(r->u[dh_unitreg_at(r, v1, D("2019-12-31"))->parent].code, "CITY2");
    /* Then CITY splits in two: lineage of the parts reaches CITY2. */
    dh_unit_spec a = {NULL, "Khu A", NULL, DH_UNIT_DISTRICT, "P", 0, DH_DATE_NONE};
    dh_unit_spec b = {NULL, "Khu B", NULL, DH_UNIT_DISTRICT, "P", 0, DH_DATE_NONE};
    /* The city still has wards: a split of a whole unit with children and no
     * single successor must be refused until they are moved. */
    dh_event_part sf[] = {{"CITY", false, NULL}};
    dh_event_part st[] = {{"A", false, &a}, {"B", false, &b}};
    dh_unit_event split = {DH_EV_SPLIT, D("2024-01-01"), sf, 1, st, 2, NULL, NULL, NULL, NULL};
    assert_int_equal(dh_unitreg_apply_event(r, &split, &e), DH_E_CONFLICT);
    assert_string_equal(e.code, "has_children");
    dh_unitreg_free(r);

    r = province();
    mk(r, "CITY2", "Thành phố Bà Rịa", DH_UNIT_DISTRICT, "P", "2000-01-01");
    assert_int_equal(dh_unitreg_apply_event(r, &ev, &e), DH_OK);
    /* A partial split keeps CITY and its wards. */
    dh_event_part sfp[] = {{"CITY", true, NULL}};
    dh_unit_event split2 = {DH_EV_SPLIT, D("2024-01-01"), sfp, 1, st, 2, NULL, NULL, NULL, NULL};
    assert_int_equal(dh_unitreg_apply_event(r, &split2, &e), DH_OK);
    int32_t *v;
    size_t n = dh_unitreg_lineage(r, dh_unitreg_find(r, "A"), false, &v);
    expect_codes(r, v, n, (const char *const[]){"CITY", "CITY2", NULL});
    n = dh_unitreg_lineage(r, dh_unitreg_find(r, "CITY2"), true, &v);
    expect_codes(r, v, n, (const char *const[]){"A", "B", "CITY", NULL});
    dh_unitreg_free(r);
}

static void test_event_validation(void **state)
{
    dh_unitreg *r = province();
    dh_err e;
    dh_event_part from[] = {{"W1", false, NULL}, {"NOPE", false, NULL}};
    dh_event_part to[] = {{"W2", false, NULL}};
    dh_unit_event ev = {DH_EV_MERGE, D("2025-07-01"), from, 2, to, 1, NULL, NULL, NULL, NULL};
    assert_int_equal(dh_unitreg_apply_event(r, &ev, &e), DH_E_NOTFOUND);
    assert_string_equal(e.field, "from");
    dh_unitreg_free(r);
    r = province();
    dh_unit_event split = {DH_EV_SPLIT, D("2025-07-01"), from, 1, to, 1, NULL, NULL, NULL, NULL};
    assert_int_equal(dh_unitreg_apply_event(r, &split, &e), DH_E_INVALID);
    /* The same unit as a whole predecessor and successor makes no sense. */
    dh_event_part self[] = {{"W2", false, NULL}};
    dh_unit_event merge_self = {DH_EV_MERGE, D("2025-07-01"), self, 1, to, 1,
                                NULL,        NULL,            NULL, NULL};
    assert_int_equal(dh_unitreg_apply_event(r, &merge_self, &e), DH_E_INVALID);
    /* Closing a unit that still has wards is refused. */
    dh_unit_event close = {DH_EV_CLOSE, D("2025-07-01"), NULL, 0, NULL, 0, "CITY", NULL, NULL,
                           NULL};
    assert_int_equal(dh_unitreg_apply_event(r, &close, &e), DH_E_CONFLICT);
    assert_string_equal(e.code, "has_children");
    dh_unitreg_free(r);
}

static void test_rename_event_and_search(void **state)
{
    dh_unitreg *r = province();
    dh_err e;
    dh_unit_event ren = {DH_EV_RENAME, D("2022-01-01"), NULL, 0,    NULL, 0,
                         "DEPT",      "Sở Khoa học và Công nghệ", "SKHCN", NULL};
    assert_int_equal(dh_unitreg_apply_event(r, &ren, &e), DH_OK);
    int32_t *v;
    size_t n = dh_unitreg_search(r, "vung tau", DH_DATE_NONE, &v);
    expect_codes(r, v, n, (const char *const[]){"CITY", "P", NULL});
    n = dh_unitreg_search(r, "VŨNG TÀU", D("2024-01-01"), &v);
    expect_codes(r, v, n, (const char *const[]){"CITY", "P", NULL});
    /* Old names are found without a date, not with one after the rename. */
    n = dh_unitreg_search(r, "thong tin", DH_DATE_NONE, &v);
    expect_codes(r, v, n, (const char *const[]){"DEPT", NULL});
    n = dh_unitreg_search(r, "thong tin", D("2023-01-01"), &v);
    expect_codes(r, v, n, (const char *const[]){NULL});
    n = dh_unitreg_search(r, "skhcn", D("2023-01-01"), &v);
    expect_codes(r, v, n, (const char *const[]){"DEPT", NULL});
    /* đ folds to d; the code matches exactly. */
    mk(r, "DD", "Huyện Đất Đỏ", DH_UNIT_DISTRICT, "P", "2000-01-01");
    n = dh_unitreg_search(r, "dat do", DH_DATE_NONE, &v);
    expect_codes(r, v, n, (const char *const[]){"DD", NULL});
    n = dh_unitreg_search(r, "w3", DH_DATE_NONE, &v);
    expect_codes(r, v, n, (const char *const[]){"W3", NULL});
    dh_unitreg_free(r);
}

static void test_tone_placement_search(void **state)
{
    dh_unitreg *r = dh_unitreg_new();
    mk(r, "TH", "Tỉnh Thanh Hoá", DH_UNIT_PROVINCE, NULL, "2000-01-01");
    mk(r, "TT", "Huyện Thủy Nguyên", DH_UNIT_DISTRICT, "TH", "2000-01-01");
    int32_t *v;
    size_t n = dh_unitreg_search(r, "Thanh Hóa", DH_DATE_NONE, &v);
    expect_codes(r, v, n, (const char *const[]){"TH", NULL});
    n = dh_unitreg_search(r, "thuỷ", DH_DATE_NONE, &v);
    expect_codes(r, v, n, (const char *const[]){"TT", NULL});
    dh_unitreg_free(r);
}

static void test_access(void **state)
{
    dh_unitreg *r = province();
    dh_date d = D("2024-06-01");
    int32_t city = dh_unitreg_find(r, "CITY"), w1 = dh_unitreg_find(r, "W1"),
            dept = dh_unitreg_find(r, "DEPT");
    assert_true(dh_access_allows(r, DH_ROLE_ADMIN, -1, DH_ACT_MANAGE, w1, d));
    assert_true(dh_access_allows(r, DH_ROLE_OFFICER, city, DH_ACT_WRITE, w1, d));
    assert_true(dh_access_allows(r, DH_ROLE_OFFICER, city, DH_ACT_WRITE, city, d));
    assert_false(dh_access_allows(r, DH_ROLE_OFFICER, city, DH_ACT_WRITE, dept, d));
    assert_false(dh_access_allows(r, DH_ROLE_OFFICER, city, DH_ACT_MANAGE, w1, d));
    assert_true(dh_access_allows(r, DH_ROLE_LEADER, city, DH_ACT_READ, w1, d));
    assert_false(dh_access_allows(r, DH_ROLE_LEADER, city, DH_ACT_WRITE, w1, d));
    assert_false(dh_access_allows(r, DH_ROLE_LEADER, city, DH_ACT_READ, dept, d));
    assert_true(dh_access_allows(r, DH_ROLE_REPORTER, w1, DH_ACT_SUBMIT, w1, d));
    assert_false(dh_access_allows(r, DH_ROLE_REPORTER, city, DH_ACT_SUBMIT, w1, d));
    assert_false(dh_access_allows(r, DH_ROLE_VIEWER, city, DH_ACT_WRITE, w1, d));
    assert_true(dh_access_allows(r, DH_ROLE_VIEWER, city, DH_ACT_READ, w1, d));
    dh_role role;
    assert_int_equal(dh_role_parse("officer", &role), 0);
    assert_int_equal(role, DH_ROLE_OFFICER);
    assert_int_equal(dh_role_parse("root", &role), -1);
    dh_unitreg_free(r);
}

static void test_kind_names(void **state)
{
    dh_unit_kind k;
    for (int i = 0; i < DH_UNIT_KIND_COUNT; i++) {
        assert_int_equal(dh_unit_kind_parse(dh_unit_kind_name((dh_unit_kind)i), &k), 0);
        assert_int_equal(k, i);
    }
    assert_int_equal(dh_unit_kind_parse("ward", &k), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_and_children),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_rename_keeps_history),
        cmocka_unit_test(test_move_and_cycle),
        cmocka_unit_test(test_cycle_in_future),
        cmocka_unit_test(test_merge_whole_and_partial),
        cmocka_unit_test(test_merge_moves_children_and_transitive_lineage),
        cmocka_unit_test(test_event_validation),
        cmocka_unit_test(test_rename_event_and_search),
        cmocka_unit_test(test_tone_placement_search),
        cmocka_unit_test(test_access),
        cmocka_unit_test(test_kind_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
