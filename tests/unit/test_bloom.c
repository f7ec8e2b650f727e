/* test_bloom.c - the growing Bloom filter of the bulk import (util/bloom.h): never "no"
 * for a string added (also across its layers), few false "maybe"s, empty after clear. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "util/bloom.h"

static void test_added_always_maybe(void **state)
{
    (void)state;
    dh_bloom b = DH_BLOOM_INIT;
    assert_false(dh_bloom_maybe(&b, "HS-1")); /* an empty filter answers too */
    char s[64];
    enum { N = 200000 }; /* past the first layer (65,536) and the second */
    for (int i = 0; i < N; i++) {
        snprintf(s, sizeof s, "HS1-%08d", i);
        dh_bloom_add(&b, s);
    }
    assert_true(b.nlayers >= 2);
    for (int i = 0; i < N; i++) {
        snprintf(s, sizeof s, "HS1-%08d", i);
        assert_true(dh_bloom_maybe(&b, s));
    }
    int false_maybe = 0;
    for (int i = 0; i < N; i++) {
        snprintf(s, sizeof s, "HS2-%08d", i);
        false_maybe += dh_bloom_maybe(&b, s);
    }
    /* about 1% per layer, and there are at most three */
    assert_true(false_maybe < N * 4 / 100);
    dh_bloom_clear(&b);
    assert_false(dh_bloom_maybe(&b, "HS1-00000001"));
    dh_bloom_add(&b, ""); /* usable again, the empty string too */
    assert_true(dh_bloom_maybe(&b, ""));
    dh_bloom_clear(&b);
}

/* dh_bloom_add_max: strings are added while the layers fit the budget; the
 * first that needs a layer past it is not, and the answer says so. */
static void test_add_within_a_budget(void **state)
{
    (void)state;
    dh_bloom b = DH_BLOOM_INIT;
    char s[64];
    assert_false(dh_bloom_add_max(&b, "x", 0)); /* not even the first layer */
    assert_int_equal(dh_bloom_bytes(&b), 0);
    assert_false(dh_bloom_maybe(&b, "x"));
    /* the first layer: 65,536 strings in 2^20 bits (128 KiB) */
    size_t first = (size_t)1 << 17;
    int added = 0;
    for (int i = 0; i < 200000; i++) {
        snprintf(s, sizeof s, "K-%d", i);
        if (!dh_bloom_add_max(&b, s, first + first)) /* room for one layer, not two */
            break;
        added++;
    }
    assert_int_equal(added, 65536);
    assert_int_equal(b.nlayers, 1);
    assert_int_equal(dh_bloom_bytes(&b), first);
    for (int i = 0; i < added; i++) {
        snprintf(s, sizeof s, "K-%d", i);
        assert_true(dh_bloom_maybe(&b, s));
    }
    /* with room for the second layer (256 KiB) the next one goes in */
    assert_true(dh_bloom_add_max(&b, "K-65536", first * 3));
    assert_int_equal(dh_bloom_bytes(&b), first * 3);
    assert_true(dh_bloom_maybe(&b, "K-65536"));
    dh_bloom_clear(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_added_always_maybe),
        cmocka_unit_test(test_add_within_a_budget),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
