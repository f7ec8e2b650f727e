/* test_devbody.c - the stored form of a dossier event's body (app/devbody.h):
 * the members its row holds in columns are left out only when the column
 * gives them back exactly, reading puts them back, a body stored whole (before
 * this form) reads the same, and the event object given is left as it was. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "app/devbody.h"
#include "util/date.h"

static const char full[] = "{\"at\":\"2026-01-05T09:30:00+07:00\",\"channel\":\"online\","
                           "\"dossier\":\"HS-1\",\"id\":\"e1\",\"source\":\"portal\","
                           "\"type\":\"received\",\"unit\":\"X\\u0110\"}";

static char *canon(json_t *o) { return json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS); }

static time_t at_of(const char *s)
{
    time_t t;
    assert_int_equal(dh_time_parse(s, &t), 0);
    return t;
}

static void test_columns_left_out_and_put_back(void **state)
{
    (void)state;
    json_t *o = json_loads(full, 0, NULL);
    char *before = canon(o);
    time_t at = at_of("2026-01-05T09:30:00+07:00");
    char *stored = dh_devent_body_stored(o, "portal", "e1", "HS-1", "received", at);
    assert_string_equal(stored, "{\"channel\":\"online\",\"unit\":\"XĐ\"}");
    char *after = canon(o); /* o is as it was */
    assert_string_equal(after, before);
    dh_devent_row r = {7, "portal", "e1", "HS-1", "received", at, stored, 99};
    json_t *back = dh_devent_body_read(&r);
    char *read = canon(back);
    assert_string_equal(read, before);
    free(before);
    free(after);
    free(stored);
    free(read);
    json_decref(back);
    json_decref(o);
}

static void test_other_writing_stays(void **state)
{
    (void)state;
    /* the same instant written in UTC, and a type the column spells
     * otherwise: kept, so the event reads back exactly as it came */
    json_t *o = json_loads("{\"at\":\"2026-01-05T02:30:00Z\",\"dossier\":\"HS-1\",\"id\":\"e1\","
                           "\"source\":\"portal\",\"type\":\"Received\"}",
                           0, NULL);
    time_t at = at_of("2026-01-05T02:30:00Z");
    char *stored = dh_devent_body_stored(o, "portal", "e1", "HS-1", "received", at);
    assert_string_equal(stored, "{\"at\":\"2026-01-05T02:30:00Z\",\"type\":\"Received\"}");
    dh_devent_row r = {1, "portal", "e1", "HS-1", "received", at, stored, 99};
    json_t *back = dh_devent_body_read(&r);
    char *a = canon(o), *b = canon(back);
    assert_string_equal(a, b);
    free(a);
    free(b);
    free(stored);
    json_decref(back);
    json_decref(o);
}

static void test_whole_body_reads_the_same(void **state)
{
    (void)state;
    /* a row stored before this form: every member in the body */
    time_t at = at_of("2026-01-05T09:30:00+07:00");
    dh_devent_row r = {3, "portal", "e1", "HS-1", "received", at, full, 99};
    json_t *back = dh_devent_body_read(&r), *o = json_loads(full, 0, NULL);
    char *a = canon(o), *b = canon(back);
    assert_string_equal(a, b);
    free(a);
    free(b);
    json_decref(back);
    json_decref(o);
    /* a body that is not an object: none */
    dh_devent_row bad = {4, "portal", "e2", "HS-1", "received", at, "[1]", 99};
    assert_null(dh_devent_body_read(&bad));
    bad.body = "{";
    assert_null(dh_devent_body_read(&bad));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_columns_left_out_and_put_back),
        cmocka_unit_test(test_other_writing_stays),
        cmocka_unit_test(test_whole_body_reads_the_same),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
