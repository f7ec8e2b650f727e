/* test_dti.c - the digital-transformation index core (issue 16): methods,
 * the framework's checks (parent sums naming the numbers), scoring and its
 * warnings (seed 002's printed 87.381 against the pillars' 88.3812), the
 * points lost and ranking with ties. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/dti.h"

#define NEAR(a, b) assert_true(fabs((a) - (b)) < 1e-9)
#include <math.h>

/* Seed 002's eight pillars (district level, 2023), each a single manual
 * leaf except Chính quyền số, which has a ratio, a kpi and the rest. */
static const dh_dti_node seed[] = {
    {"P1", "", "Nhận thức số", 6, DH_DTI_GROUP, 0, NULL, 2},
    {"P1.1", "P1", "Các tiêu chí khác", 6, DH_DTI_MANUAL, 0, NULL, 3},
    {"P2", "", "Thể chế số", 10, DH_DTI_GROUP, 0, NULL, 4},
    {"P2.1", "P2", "Chính sách khuyến khích DVCTT", 2.5, DH_DTI_BOOLEAN, 0, NULL, 5},
    {"P2.2", "P2", "Các tiêu chí khác", 7.5, DH_DTI_MANUAL, 0, NULL, 6},
    {"P3", "", "Hạ tầng số", 3, DH_DTI_MANUAL, 0, NULL, 7},
    {"P4", "", "Nhân lực số", 8, DH_DTI_MANUAL, 0, NULL, 8},
    {"P5", "", "An toàn thông tin mạng", 7, DH_DTI_MANUAL, 0, NULL, 9},
    {"P6", "", "Chính quyền số", 50, DH_DTI_GROUP, 0, NULL, 10},
    {"P6.1", "P6", "Tỷ lệ hồ sơ giải quyết đúng hạn", 4, DH_DTI_KPI, 98, "on_time_rate", 11},
    {"P6.2", "P6", "Tỷ lệ thanh toán trực tuyến", 2, DH_DTI_RATIO, 0, NULL, 12},
    {"P6.3", "P6", "Các tiêu chí khác", 44, DH_DTI_MANUAL, 0, NULL, 13},
    {"P7", "", "Kinh tế số", 4, DH_DTI_MANUAL, 0, NULL, 14},
    {"P8", "", "Xã hội số", 12, DH_DTI_MANUAL, 0, NULL, 15},
};
#define NSEED (sizeof seed / sizeof *seed)

static void test_methods_and_rounding(void **state)
{
    dh_dti_method m;
    char buf[32];
    assert_true(dh_dti_method_parse("", &m) && m == DH_DTI_GROUP);
    assert_true(dh_dti_method_parse("ratio", &m) && m == DH_DTI_RATIO);
    assert_true(dh_dti_method_parse("kpi", &m) && m == DH_DTI_KPI);
    assert_false(dh_dti_method_parse("Ratio", &m));
    assert_false(dh_dti_method_parse("formula", &m));
    assert_string_equal(dh_dti_method_name(DH_DTI_BOOLEAN), "boolean");
    assert_true(dh_dti_source_known("on_time_rate"));
    assert_true(dh_dti_source_known("plan_coverage"));
    assert_false(dh_dti_source_known("ontime_rate"));
    assert_false(dh_dti_source_known(NULL));
    /* ratio: max × min(1, value / threshold), threshold 100 when empty */
    NEAR(dh_dti_ratio_points(4, 98, 49), 2);
    NEAR(dh_dti_ratio_points(4, 98, 99.5), 4);
    NEAR(dh_dti_ratio_points(2, 0, 35), 0.7);
    NEAR(dh_dti_ratio_points(3, 0, 33.33), 0.9999);
    NEAR(dh_dti_ratio_points(3, 0, 33.3333), 1);
    NEAR(dh_dti_ratio_points(3, 70, -5), 0);
    assert_string_equal(dh_dti_fmt(87.381, buf), "87.381");
    assert_string_equal(dh_dti_fmt(88.38120000001, buf), "88.3812");
    assert_string_equal(dh_dti_fmt(6, buf), "6");
    assert_string_equal(dh_dti_fmt(-0.00001, buf), "0");
    NEAR(dh_dti_round4(1.23455), 1.2346);
}

static void test_framework_valid(void **state)
{
    dh_dti_problem p;
    assert_true(dh_dti_framework_check(seed, NSEED, &p));
    assert_int_equal(dh_dti_pillar_of(seed, NSEED, 10), 8);
    assert_int_equal(dh_dti_parent_of(seed, NSEED, 0), -1);
    assert_true(dh_dti_has_children(seed, NSEED, 8));
    assert_false(dh_dti_has_children(seed, NSEED, 9));
}

/* Each bad framework is the seed with one row changed; the problem names
 * the line, the field and the numbers. */
static void check_bad(size_t row, dh_dti_node changed, long line, const char *field,
                      const char *needle)
{
    dh_dti_node f[NSEED];
    dh_dti_problem p;
    memcpy(f, seed, sizeof f);
    f[row] = changed;
    assert_false(dh_dti_framework_check(f, NSEED, &p));
    assert_int_equal(p.line, line);
    assert_string_equal(p.field, field);
    if (!strstr(p.message, needle))
        fail_msg("'%s' not in '%s'", needle, p.message);
}

static void test_framework_bad(void **state)
{
    /* the maxima do not add up: 2.5 + 7 = 9.5, not 10 */
    check_bad(4, (dh_dti_node){"P2.2", "P2", "x", 7, DH_DTI_MANUAL, 0, NULL, 6}, 4,
              "max_points", "max_points of 'P2' is 10 but its children add up to 9.5");
    check_bad(4, (dh_dti_node){"P2.1", "P2", "x", 7.5, DH_DTI_MANUAL, 0, NULL, 6}, 6, "code",
              "duplicate code 'P2.1' (first on line 5)");
    check_bad(4, (dh_dti_node){"P2.2", "P9", "x", 7.5, DH_DTI_MANUAL, 0, NULL, 6}, 6, "parent",
              "the parent 'P9' of 'P2.2' is unknown");
    /* a parent named only later is unknown too (no cycles) */
    check_bad(1, (dh_dti_node){"P1.1", "P8", "x", 6, DH_DTI_MANUAL, 0, NULL, 3}, 3, "parent",
              "the parent 'P8'");
    check_bad(9, (dh_dti_node){"P6.1", "P6", "x", 4, DH_DTI_KPI, 98, "speed", 11}, 11, "source",
              "unknown kpi source 'speed'");
    check_bad(10, (dh_dti_node){"P6.2", "P6", "x", 2, DH_DTI_MANUAL, 0, "on_time_rate", 12}, 12,
              "source", "only a kpi criterion has a source");
    check_bad(10, (dh_dti_node){"P6.2", "P6", "x", 2, DH_DTI_RATIO, 120, NULL, 12}, 12,
              "threshold", "the threshold of 'P6.2' is 120");
    check_bad(10, (dh_dti_node){"P6.2", "P6", "x", 2, DH_DTI_GROUP, 0, NULL, 12}, 12, "method",
              "needs a method");
    check_bad(8, (dh_dti_node){"P6", "", "x", 50, DH_DTI_MANUAL, 0, NULL, 10}, 10, "method",
              "has children");
    check_bad(7, (dh_dti_node){"TOTAL", "", "x", 7, DH_DTI_MANUAL, 0, NULL, 9}, 9, "code",
              "reserved");
    check_bad(7, (dh_dti_node){"P5", "", "x", -1, DH_DTI_MANUAL, 0, NULL, 9}, 9, "max_points",
              ">= 0");
}

static void test_entry_check(void **state)
{
    dh_dti_problem p;
    const dh_dti_node *bool_leaf = &seed[3], *manual = &seed[4], *ratio = &seed[10];
    assert_true(dh_dti_entry_check(bool_leaf, true, &(dh_dti_entry){true, 2.5, false, 0, 5}, &p));
    assert_true(dh_dti_entry_check(bool_leaf, true, &(dh_dti_entry){true, 0, false, 0, 5}, &p));
    assert_false(dh_dti_entry_check(bool_leaf, true, &(dh_dti_entry){true, 1, false, 0, 5}, &p));
    assert_string_equal(p.field, "points");
    assert_non_null(strstr(p.message, "points are 0 or 2.5, not 1"));
    assert_false(dh_dti_entry_check(manual, true, &(dh_dti_entry){true, 8, false, 0, 7}, &p));
    assert_int_equal(p.line, 7);
    assert_non_null(strstr(p.message, "points of 'P2.2' are 8, above its maximum 7.5"));
    assert_false(dh_dti_entry_check(manual, true, &(dh_dti_entry){true, -1, false, 0, 7}, &p));
    assert_non_null(strstr(p.message, "must be >= 0"));
    assert_false(dh_dti_entry_check(manual, true, &(dh_dti_entry){false, 0, true, 50, 7}, &p));
    assert_string_equal(p.field, "value");
    assert_non_null(strstr(p.message, "'P2.2' is manual: it takes points, not a value"));
    assert_true(dh_dti_entry_check(ratio, true, &(dh_dti_entry){false, 0, true, 150, 7}, &p));
    assert_false(dh_dti_entry_check(&seed[8], false, &(dh_dti_entry){false, 0, true, 50, 7}, &p));
}

/* Seed 002 as printed: pillars only, and the total 87.381. */
static void seed002_entries(dh_dti_entry *en, dh_dti_entry *total)
{
    static const struct {
        const char *code;
        double points;
    } printed[] = {{"P1", 6}, {"P2", 7.5}, {"P3", 3},       {"P4", 6},
                   {"P5", 5}, {"P6", 46.3812}, {"P7", 3}, {"P8", 11.5}};
    memset(en, 0, NSEED * sizeof *en);
    for (size_t k = 0; k < 8; k++) {
        long i = dh_dti_find(seed, NSEED, printed[k].code);
        assert_true(i >= 0);
        en[i] = (dh_dti_entry){true, printed[k].points, false, 0, (long)k + 2};
    }
    *total = (dh_dti_entry){true, 87.381, false, 0, 10};
}

static void test_seed002_total_warning(void **state)
{
    dh_dti_entry en[NSEED], total;
    dh_dti_result r;
    dh_dti_lost lost[NSEED];
    seed002_entries(en, &total);
    assert_int_equal(dh_dti_score(seed, NSEED, en, &total, &r), 0);
    NEAR(r.total, 88.3812);
    NEAR(r.max, 100);
    assert_true(r.has_printed);
    NEAR(r.printed_total, 87.381);
    assert_int_equal(r.nwarnings, 1);
    assert_string_equal(r.warnings[0].code, "TOTAL");
    assert_int_equal(r.warnings[0].line, 10);
    NEAR(r.warnings[0].printed, 87.381);
    NEAR(r.warnings[0].computed, 88.3812);
    assert_string_equal(r.warnings[0].message,
                        "line 10: the printed total 87.381 differs from the sum of the pillars "
                        "88.3812");
    NEAR(r.points[8], 46.3812);
    assert_true(r.given[8]);
    assert_false(r.known[9]); /* the criteria are not given */
    /* points lost at the finest level known: the pillars, largest first */
    size_t k = dh_dti_lost_points(seed, NSEED, &r, lost);
    assert_int_equal(k, 6);
    const char *order[] = {"P6", "P2", "P4", "P5", "P7", "P8"};
    const double amount[] = {3.6188, 2.5, 2, 2, 1, 0.5};
    for (size_t i = 0; i < k; i++) {
        assert_string_equal(seed[lost[i].node].code, order[i]);
        NEAR(lost[i].lost, amount[i]);
        assert_int_equal(lost[i].pillar, lost[i].node);
    }
    dh_dti_result_free(&r);
    /* printed total equal to the sum: no warning */
    total.points = 88.3812;
    assert_int_equal(dh_dti_score(seed, NSEED, en, &total, &r), 0);
    assert_int_equal(r.nwarnings, 0);
    dh_dti_result_free(&r);
}

static void test_criteria_against_pillar(void **state)
{
    dh_dti_entry en[NSEED], total;
    dh_dti_result r;
    dh_dti_lost lost[NSEED];
    seed002_entries(en, &total);
    /* Chính quyền số's criteria given: 49% on time of a 98% threshold = 2,
     * 35% online payment = 0.7, the rest 43; 45.7 against the printed 46.3812 */
    en[9] = (dh_dti_entry){false, 0, true, 49, 20};
    en[10] = (dh_dti_entry){true, 0.7, true, 35, 21};
    en[11] = (dh_dti_entry){true, 43, false, 0, 22};
    assert_int_equal(dh_dti_score(seed, NSEED, en, NULL, &r), 0);
    NEAR(r.points[9], 2);
    NEAR(r.points[10], 0.7);
    NEAR(r.points[8], 45.7);
    assert_false(r.given[8]);
    NEAR(r.total, 87.7);
    assert_int_equal(r.nwarnings, 1);
    assert_string_equal(r.warnings[0].code, "P6");
    assert_int_equal(r.warnings[0].line, 7);
    assert_string_equal(r.warnings[0].message,
                        "line 7: 'P6' is printed as 46.3812 points but its criteria add up to 45.7");
    size_t k = dh_dti_lost_points(seed, NSEED, &r, lost);
    /* P2 2.5, P6.1 2, P4 2, P5 2, P6.2 1.3, P6.3 1, P7 1, P8 0.5 */
    assert_int_equal(k, 8);
    assert_string_equal(seed[lost[0].node].code, "P2");
    assert_string_equal(seed[lost[1].node].code, "P4");
    assert_string_equal(seed[lost[3].node].code, "P6.1");
    assert_int_equal(lost[3].pillar, 8);
    assert_string_equal(seed[lost[4].node].code, "P6.2");
    NEAR(lost[4].lost, 1.3);
    dh_dti_result_free(&r);
    /* a ratio's points that disagree with its value are kept as computed, with a warning */
    en[10] = (dh_dti_entry){true, 1.5, true, 35, 21};
    assert_int_equal(dh_dti_score(seed, NSEED, en, NULL, &r), 0);
    NEAR(r.points[10], 0.7);
    assert_int_equal(r.nwarnings, 2);
    assert_string_equal(r.warnings[0].message,
                        "line 21: 'P6.2' gives 1.5 points but its value 35% gives 0.7");
    dh_dti_result_free(&r);
}

static void test_partial_self_assessment(void **state)
{
    dh_dti_entry en[NSEED];
    dh_dti_result r;
    memset(en, 0, sizeof en);
    en[3] = (dh_dti_entry){true, 2.5, false, 0, 0};
    en[6] = (dh_dti_entry){true, 8, false, 0, 0};
    assert_int_equal(dh_dti_score(seed, NSEED, en, NULL, &r), 0);
    NEAR(r.total, 10.5);
    assert_true(r.known[2]); /* partly known from its criteria */
    assert_false(r.known[4]);
    assert_false(r.known[0]);
    assert_int_equal(r.nwarnings, 0);
    /* what is not scored yet lost its maximum: P6.3 44 first, P2.2 7.5 ... */
    dh_dti_lost lost[NSEED];
    size_t k = dh_dti_lost_points(seed, NSEED, &r, lost);
    assert_int_equal(k, 9); /* every leaf but P2.1 and P4 */
    assert_string_equal(seed[lost[0].node].code, "P6.3");
    assert_true(lost[0].unscored);
    NEAR(lost[0].lost, 44);
    dh_dti_result_free(&r);
}

static void test_rank_ties(void **state)
{
    dh_dti_rank_item it[] = {
        {"huyen-a", 80.5, 0, NULL},    {"vung-tau", 88.3812, 0, NULL},
        {"ba-ria", 90, 0, NULL},       {"huyen-c", 88.38120000001, 0, NULL},
        {"con-dao", 70, 0, NULL},
    };
    dh_dti_rank(it, 5);
    const char *units[] = {"ba-ria", "huyen-c", "vung-tau", "huyen-a", "con-dao"};
    const int ranks[] = {1, 2, 2, 4, 5};
    for (int i = 0; i < 5; i++) {
        assert_string_equal(it[i].unit, units[i]);
        assert_int_equal(it[i].rank, ranks[i]);
    }
    dh_dti_rank(it, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_methods_and_rounding),
        cmocka_unit_test(test_framework_valid),
        cmocka_unit_test(test_framework_bad),
        cmocka_unit_test(test_entry_check),
        cmocka_unit_test(test_seed002_total_warning),
        cmocka_unit_test(test_criteria_against_pillar),
        cmocka_unit_test(test_partial_self_assessment),
        cmocka_unit_test(test_rank_ties),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
