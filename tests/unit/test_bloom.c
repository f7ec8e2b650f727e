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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_added_always_maybe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
