/* test_ics.c - the iCalendar reader and writer: round trip with escaping
 * and folding, a hand-written calendar, and errors with line numbers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/ics.h"

static dh_date D(const char *s)
{
    dh_date d;
    dh_date_parse(s, &d);
    return d;
}

static void test_round_trip(void **state)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    char longdesc[600] = "";
    for (int i = 0; i < 12; i++)
        strcat(longdesc, "Thông báo số 6150/TB-LĐTBXH; ");
    dh_ics_begin(f, "Lịch nghỉ lễ 2025");
    dh_ics_write_event(f, D("2025-01-27"), "off", 0, "Tết Nguyên đán; nghỉ bù, 2025\\x",
                       "dòng 1\ndòng 2", "off", "statutory", "true");
    dh_ics_write_event(f, D("2025-04-26"), "work", 0, "Làm bù", longdesc, "work", "", "false");
    dh_ics_write_event(f, D("2025-05-02"), "off", 0, "Nghỉ", "", NULL, NULL, NULL);
    dh_ics_end(f);
    fclose(f);
    /* every physical line at most 75 octets and ended by CRLF */
    for (char *p = out; *p;) {
        char *nl = strstr(p, "\r\n");
        assert_non_null(nl);
        assert_true(nl - p <= 75);
        p = nl + 2;
    }
    dh_ics_event *ev;
    size_t n;
    char msg[200];
    assert_int_equal(dh_ics_parse(out, len, "x.ics", &ev, &n, msg, sizeof msg), 0);
    assert_int_equal(n, 3);
    assert_int_equal(ev[0].date, D("2025-01-27"));
    assert_int_equal(ev[0].ndays, 1);
    assert_string_equal(ev[0].summary, "Tết Nguyên đán; nghỉ bù, 2025\\x");
    assert_string_equal(ev[0].description, "dòng 1\ndòng 2");
    assert_string_equal(ev[0].x_kind, "statutory");
    assert_string_equal(ev[1].description, longdesc);
    assert_string_equal(ev[1].x_confirmed, "false");
    assert_string_equal(ev[2].x_type, "");
    dh_ics_events_free(ev, n);
    free(out);
}

static void test_hand_written(void **state)
{
    const char *text = "BEGIN:VCALENDAR\n"
                       "VERSION:2.0\n"
                       "BEGIN:VTIMEZONE\n"
                       "TZID:Asia/Ho_Chi_Minh\n"
                       "BEGIN:STANDARD\n"
                       "DTSTART:19700101T000000\n"
                       "END:STANDARD\n"
                       "END:VTIMEZONE\n"
                       "BEGIN:VEVENT\n"
                       "DTSTART;VALUE=DATE:20250429\n"
                       "DTEND;VALUE=DATE:20250502\n"
                       "SUMMARY:Nghỉ lễ 30/4 \n"
                       " và 1/5\n"
                       "END:VEVENT\n"
                       "BEGIN:VEVENT\n"
                       "DTSTART;TZID=Asia/Ho_Chi_Minh:20250902T000000\n"
                       "DURATION:P2D\n"
                       "BEGIN:VALARM\n"
                       "DTSTART:20000101\n"
                       "END:VALARM\n"
                       "END:VEVENT\n"
                       "END:VCALENDAR\n";
    dh_ics_event *ev;
    size_t n;
    char msg[200];
    assert_int_equal(dh_ics_parse(text, strlen(text), "h.ics", &ev, &n, msg, sizeof msg), 0);
    assert_int_equal(n, 2);
    assert_int_equal(ev[0].date, D("2025-04-29"));
    assert_int_equal(ev[0].ndays, 3);
    assert_string_equal(ev[0].summary, "Nghỉ lễ 30/4 và 1/5");
    assert_int_equal(ev[0].line, 9);
    assert_int_equal(ev[1].date, D("2025-09-02"));
    assert_int_equal(ev[1].ndays, 2);
    dh_ics_events_free(ev, n);
}

static void error_is(const char *text, const char *want)
{
    dh_ics_event *ev;
    size_t n;
    char msg[200];
    assert_int_equal(dh_ics_parse(text, strlen(text), "x.ics", &ev, &n, msg, sizeof msg), -1);
    if (!strstr(msg, want))
        fail_msg("'%s' lacks '%s'", msg, want);
}

static void test_errors(void **state)
{
    error_is("hello\n", "x.ics:1:");
    error_is("BEGIN:VCALENDAR\nBEGIN:VEVENT\nSUMMARY:x\nEND:VEVENT\nEND:VCALENDAR\n",
             "x.ics:2: event without DTSTART");
    error_is("BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:20250230\nEND:VEVENT\n", "x.ics:3:");
    error_is("BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:20250203\nDTEND:20250203\nEND:VEVENT\n",
             "x.ics:5: DTEND");
    error_is("BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:20250203\n", "x.ics:2: BEGIN:VEVENT");
    error_is("BEGIN:VCALENDAR\nSUMMARY:ok\n\xff\n", "x.ics:3: not valid UTF-8");
    error_is("BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:20250101\nDTEND:20270101\nEND:VEVENT\n",
             "366");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_hand_written),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
