/* test_page.c - the page helpers that guard security (issue 13): which
 * redirect targets given by a user are kept. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "web/page.h"

static void test_local_target(void **state)
{
    static const char *const kept[] = {"/", "/tong-quan", "/ho-so?x=1&y=%2F%2Fz", "/a/b#c",
                                       "/ho-so?q=Hộ tịch", "/https://x"};
    for (size_t i = 0; i < sizeof kept / sizeof *kept; i++)
        assert_string_equal(dh_page_local_target(kept[i]), kept[i]);
    /* A browser reads each of these as another origin (it drops tabs and
     * line breaks and reads a backslash as a slash), or they are no path. */
    static const char *const refused[] = {"//evil.example/", "/\t/evil.example/",
                                          "/\\evil.example", "/\\\\evil.example",
                                          "\\/evil.example", "https://evil.example/",
                                          "evil.example", "", "/\r\nX-Evil: 1",
                                          "/a\nb", "/a\x7f", "/a\\b"};
    for (size_t i = 0; i < sizeof refused / sizeof *refused; i++)
        assert_string_equal(dh_page_local_target(refused[i]), "/");
    assert_string_equal(dh_page_local_target(NULL), "/");
    char long_path[DH_PAGE_TARGET_MAX + 1];
    memset(long_path, 'a', sizeof long_path - 1);
    long_path[0] = '/';
    long_path[DH_PAGE_TARGET_MAX] = '\0';
    assert_string_equal(dh_page_local_target(long_path), "/");
    long_path[DH_PAGE_TARGET_MAX - 1] = '\0';
    assert_string_equal(dh_page_local_target(long_path), long_path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_local_target),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
