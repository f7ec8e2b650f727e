/* test_strmap.c - the string map of the bulk paths (util/strmap.h): values
 * found by key, replaced, kept through growth, absent keys NULL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "util/strmap.h"

static void test_put_get_replace(void **state)
{
    (void)state;
    dh_strmap m = {0};
    assert_null(dh_strmap_get(&m, "a")); /* an empty map answers too */
    dh_strmap_put(&m, "src\x1f" "e1", "HS-1");
    dh_strmap_put(&m, "src\x1f" "e2", "HS-2");
    assert_string_equal(dh_strmap_get(&m, "src\x1f" "e1"), "HS-1");
    assert_null(dh_strmap_get(&m, "src\x1f" "e3"));
    assert_null(dh_strmap_get(&m, "src"));
    dh_strmap_put(&m, "src\x1f" "e1", "HS-9"); /* replaced, not added */
    assert_string_equal(dh_strmap_get(&m, "src\x1f" "e1"), "HS-9");
    assert_int_equal(m.n, 2);
    dh_strmap_put(&m, "", "empty key");
    assert_string_equal(dh_strmap_get(&m, ""), "empty key");
    dh_strmap_free(&m);
    assert_null(dh_strmap_get(&m, "src\x1f" "e2"));
}

static void test_growth(void **state)
{
    (void)state;
    dh_strmap m = {0};
    char k[32], v[32];
    for (int i = 0; i < 10000; i++) {
        snprintf(k, sizeof k, "k%d", i);
        snprintf(v, sizeof v, "v%d", i * 7);
        dh_strmap_put(&m, k, v);
    }
    assert_int_equal(m.n, 10000);
    assert_true(m.cap >= 2 * m.n);
    for (int i = 0; i < 10000; i += 37) {
        snprintf(k, sizeof k, "k%d", i);
        snprintf(v, sizeof v, "v%d", i * 7);
        assert_string_equal(dh_strmap_get(&m, k), v);
    }
    assert_null(dh_strmap_get(&m, "k10000"));
    dh_strmap_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_put_get_replace),
        cmocka_unit_test(test_growth),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
