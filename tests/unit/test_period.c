/* test_period.c - reporting periods, including the Decree 09 cut-offs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/period.h"

static void is(const char *s, const char *from, const char *to)
{
    dh_period p;
    const char *why = NULL;
    if (dh_period_parse(s, &p, &why))
        fail_msg("%s: %s", s, why);
    char a[DH_DATE_TEXT_LEN], b[DH_DATE_TEXT_LEN];
    dh_date_format(p.from, a);
    dh_date_format(p.to, b);
    if (strcmp(a, from) || strcmp(b, to))
        fail_msg("%s: got %s..%s, want %s..%s", s, a, b, from, to);
}

static void bad(const char *s)
{
    dh_period p;
    const char *why = NULL;
    assert_int_equal(dh_period_parse(s, &p, &why), -1);
    assert_non_null(why);
}

static void test_periods(void **state)
{
    is("2025", "2025-01-01", "2025-12-31");
    is("2025-H1", "2025-01-01", "2025-06-30");
    is("2025-H2", "2025-07-01", "2025-12-31");
    is("2025-Q1", "2025-01-01", "2025-03-31");
    is("2025-Q3", "2025-07-01", "2025-09-30");
    is("2024-02", "2024-02-01", "2024-02-29");
    is("2025-07-15", "2025-07-15", "2025-07-15");
    is("2025-01-10..2025-02-05", "2025-01-10", "2025-02-05");
    /* Decree 09/2019: the 15th of the month before to the 14th */
    is("cutoff:2025-07", "2025-06-15", "2025-07-14");
    is("cutoff:2025-01", "2024-12-15", "2025-01-14");
    is("cutoff:2025-Q1", "2024-12-15", "2025-03-14");
    is("cutoff:2025-H1", "2024-12-15", "2025-06-14");
    is("cutoff:2025", "2024-12-15", "2025-12-14");
    bad("");
    bad("2025-Q5");
    bad("2025-13");
    bad("2025-02-30");
    bad("25");
    bad("2025-03-31..2025-03-01");
    bad("cutoff:2025-07-15");
    bad("2025/07");
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_periods)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
