/* test_conf.c - the "key = value" settings reader (util/conf.h): blanks,
 * comments and CRLF, values kept whole, and each malformed input refused
 * with file, line and key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/conf.h"

static dh_conf *parse(const char *text, size_t len, dh_err *e)
{
    return dh_conf_parse("t.conf", text, len, e);
}

static void test_good_file(void **state)
{
    (void)state;
    static const char text[] = "# comment\r\n\n   \t\n  listen\t=  127.0.0.1:8080 \r\n"
                               "smtp_password = a # b#\n  # indented comment\n"
                               "database=sqlite:/var/lib/x.db"; /* no final newline */
    dh_err e;
    dh_conf *c = parse(text, sizeof text - 1, &e);
    assert_non_null(c);
    assert_int_equal(c->n, 3);
    assert_string_equal(c->v[0].key, "listen");
    assert_string_equal(c->v[0].value, "127.0.0.1:8080");
    assert_int_equal(c->v[0].line, 4);
    assert_string_equal(dh_conf_get(c, "smtp_password")->value, "a # b#");
    assert_int_equal(dh_conf_get(c, "database")->line, 7);
    assert_string_equal(dh_conf_get(c, "database")->value, "sqlite:/var/lib/x.db");
    assert_null(dh_conf_get(c, "public_url"));
    dh_conf_free(c);
    c = parse("", 0, &e); /* an empty file sets nothing */
    assert_non_null(c);
    assert_int_equal(c->n, 0);
    dh_conf_free(c);
}

/* The file must be refused with this message, line and field. */
static void refused(const char *text, size_t len, const char *message, long line,
                    const char *field)
{
    dh_err e;
    dh_err_clear(&e);
    dh_conf *c = parse(text, len, &e);
    if (c)
        fail_msg("accepted: %s", text);
    assert_int_equal(e.status, DH_E_INVALID);
    assert_string_equal(e.message, message);
    assert_int_equal(e.line, line);
    assert_string_equal(e.field, field);
}

static void test_refusals(void **state)
{
    (void)state;
    refused("a = 1\nb = 2\na = 3\n", 18, "t.conf:3: key 'a': given twice (first on line 1)", 3,
            "a");
    refused("a =   \n", 7,
            "t.conf:1: key 'a': empty value (comment the line out with '#' to keep the default)",
            1, "a");
    refused("\n= 1\n", 5,
            "t.conf:2: expected 'key = value' (keys are lower-case letters, digits and _)", 2, "");
    refused("Key = 1\n", 8,
            "t.conf:1: expected 'key = value' (keys are lower-case letters, digits and _)", 1, "");
    refused("key 1\n", 6,
            "t.conf:1: key 'key': expected '=' after the key (keys are lower-case letters, "
            "digits and _)",
            1, "key");
    refused("key-x = 1\n", 10,
            "t.conf:1: key 'key': expected '=' after the key (keys are lower-case letters, "
            "digits and _)",
            1, "key");
    refused("a = 1\nb = \0\n", 11, "t.conf:2: a NUL byte (is this a text file?)", 2, "");
    char *big = malloc(DH_CONF_MAX_BYTES + 2);
    memset(big, '#', DH_CONF_MAX_BYTES + 1);
    big[DH_CONF_MAX_BYTES + 1] = '\0';
    refused(big, DH_CONF_MAX_BYTES + 1, "t.conf: larger than 1048576 bytes", 0, "");
    memcpy(big, "a = 1\n", 6);
    big[6 + DH_CONF_MAX_LINE + 1] = '\0';
    refused(big, 6 + DH_CONF_MAX_LINE + 1, "t.conf:2: longer than 4096 bytes", 2, "");
    free(big);
}

static void test_read_file(void **state)
{
    (void)state;
    dh_err e;
    assert_null(dh_conf_read("/nonexistent/dieuhanh.conf", &e));
    assert_string_equal(e.message,
                        "/nonexistent/dieuhanh.conf: cannot read: No such file or directory");
    char path[] = "/tmp/dh-conf-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("listen = 127.0.0.1:1\n", f);
    fclose(f);
    dh_conf *c = dh_conf_read(path, &e);
    remove(path);
    assert_non_null(c);
    assert_string_equal(c->path, path);
    assert_string_equal(dh_conf_get(c, "listen")->value, "127.0.0.1:1");
    dh_conf_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_file),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_read_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
