/* test_ics.c - the iCalendar reader and writer: a round trip with escaping
 * and folding of Vietnamese text, the exact output of the writer, folding at
 * every UTF-8 boundary, a hand-written calendar (LF, folds, VTIMEZONE,
 * VALARM, multi-day and DATE-TIME events), and every error with its line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/buf.h"
#include "util/date.h"
#include "util/ics.h"
#include "util/text.h"

/* 2025-01-01T02:03:04Z */
#define STAMP ((time_t)1735696984)

static dh_date D(const char *s)
{
    dh_date d;
    assert_int_equal(dh_date_parse(s, &d), 0);
    return d;
}

/* Runs a writer callback into *out, a malloc'd string of *len bytes. */
typedef void (*writer_fn)(FILE *f);

static void capture(writer_fn fn, char **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    FILE *f = open_memstream(out, len);
    assert_non_null(f);
    fn(f);
    assert_int_equal(fclose(f), 0);
}

/* Every physical line ends with CRLF, holds at most 75 octets, no bare CR or
 * LF, and is valid UTF-8 on its own (no sequence split by a fold). Returns
 * the number of continuation lines. */
static int check_physical_lines(const char *out, size_t len)
{
    int folds = 0;
    assert_true(len >= 2);
    assert_memory_equal(out + len - 2, "\r\n", 2);
    for (const char *p = out; p < out + len;) {
        const char *crlf = strstr(p, "\r\n");
        assert_non_null(crlf);
        size_t n = (size_t)(crlf - p);
        if (n > 75)
            fail_msg("line of %zu octets: %.*s", n, (int)n, p);
        assert_null(memchr(p, '\n', n));
        assert_null(memchr(p, '\r', n));
        assert_int_equal(dh_utf8_invalid_offset(p, n), -1);
        folds += *p == ' ';
        p = crlf + 2;
    }
    return folds;
}

/* Whether out holds the physical line want (between line ends). */
static int has_line(const char *out, const char *want)
{
    char *pat = malloc(strlen(want) + 5);
    sprintf(pat, "\r\n%s\r\n", want);
    int found = strstr(out, pat) != NULL || strncmp(out, pat + 2, strlen(pat + 2)) == 0;
    free(pat);
    return found;
}

static int count(const char *hay, const char *needle)
{
    int c = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        c++;
    return c;
}

/* The 1-based physical line k of out, copied into buf. */
static const char *line_at(const char *out, long k, char *buf, size_t cap)
{
    const char *p = out;
    for (long i = 1; i < k; i++) {
        p = strchr(p, '\n');
        assert_non_null(p);
        p++;
    }
    size_t n = strcspn(p, "\r\n");
    snprintf(buf, cap, "%.*s", (int)n, p);
    return buf;
}

static const char *SUMMARY0 = "Tết Nguyên đán; nghỉ bù, 2025 \\ C:\\lịch\nDòng hai";
static const char *DESC0 = "Theo Thông báo 6150/TB-LĐTBXH";
static char long_desc[1024];

static void make_long_desc(void)
{
    long_desc[0] = '\0';
    for (int i = 0; i < 6; i++)
        strcat(long_desc, "Thông báo số 6150/TB-LĐTBXH về lịch nghỉ Tết Âm lịch; ");
    strcat(long_desc, "cán bộ, công chức được nghỉ 9 ngày liên tục.");
}

static void write_three(FILE *f)
{
    dh_ics_begin(f, "Lịch nghỉ lễ, 2025");
    dh_ics_write_event(f, D("2025-01-27"), "off", STAMP, SUMMARY0, DESC0, "off", "statutory",
                       "true");
    dh_ics_write_event(f, D("2025-04-26"), "work", STAMP, "Làm bù cho ngày 2/5", long_desc,
                       "work", "", "false");
    dh_ics_write_event(f, D("2025-05-02"), "off", STAMP, "", "", NULL, NULL, NULL);
    dh_ics_end(f);
}

static void test_round_trip(void **state)
{
    make_long_desc();
    assert_true(strlen(long_desc) > 200);
    size_t len;
    char *out;
    capture(write_three, &out, &len);
    assert_int_equal(strlen(out), len);

    /* The physical form: short CRLF lines, folded, escaped. */
    assert_true(check_physical_lines(out, len) >= 3);
    assert_int_equal(strncmp(out, "BEGIN:VCALENDAR\r\n", 17), 0);
    assert_true(has_line(out, "PRODID:-//dieuhanh//calendar//VI"));
    assert_true(has_line(out, "VERSION:2.0"));
    assert_true(has_line(out, "CALSCALE:GREGORIAN"));
    assert_true(has_line(out, "X-WR-CALNAME:Lịch nghỉ lễ\\, 2025"));
    assert_true(has_line(out, "UID:20250127-off@dieuhanh"));
    assert_true(has_line(out, "UID:20250426-work@dieuhanh"));
    assert_true(has_line(out, "DTSTART;VALUE=DATE:20250127"));
    assert_true(has_line(out, "DTEND;VALUE=DATE:20250128"));
    assert_true(has_line(out, "DTEND;VALUE=DATE:20250503"));
    assert_true(has_line(out, "X-DIEUHANH-KIND:"));
    assert_int_equal(count(out, "DTSTAMP:20250101T020304Z\r\n"), 3);
    assert_int_equal(count(out, "\r\nDESCRIPTION:"), 2); /* not for the empty one */
    assert_int_equal(count(out, "\r\nX-DIEUHANH-TYPE:"), 2);
    assert_int_equal(count(out, "\r\nX-DIEUHANH-CONFIRMED:"), 2);
    assert_non_null(
        strstr(out, "SUMMARY:Tết Nguyên đán\\; nghỉ bù\\, 2025 \\\\ C:\\\\lịch\\nDòng"));
    assert_int_equal(strcmp(out + len - 15, "END:VCALENDAR\r\n"), 0);

    /* Parsed back: every field. */
    dh_ics_event *ev = NULL;
    size_t n = 0;
    char msg[200];
    if (dh_ics_parse(out, len, "x.ics", &ev, &n, msg, sizeof msg))
        fail_msg("%s", msg);
    assert_int_equal(n, 3);
    dh_date dates[3] = {D("2025-01-27"), D("2025-04-26"), D("2025-05-02")};
    const char *summaries[3] = {SUMMARY0, "Làm bù cho ngày 2/5", ""};
    const char *descs[3] = {DESC0, long_desc, ""};
    const char *types[3] = {"off", "work", ""};
    const char *kinds[3] = {"statutory", "", ""};
    const char *confs[3] = {"true", "false", ""};
    char buf[128];
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(ev[i].date, dates[i]);
        assert_int_equal(ev[i].ndays, 1);
        assert_string_equal(ev[i].summary, summaries[i]);
        assert_string_equal(ev[i].description, descs[i]);
        assert_string_equal(ev[i].categories, "");
        assert_string_equal(ev[i].x_type, types[i]);
        assert_string_equal(ev[i].x_kind, kinds[i]);
        assert_string_equal(ev[i].x_confirmed, confs[i]);
        assert_string_equal(line_at(out, ev[i].line, buf, sizeof buf), "BEGIN:VEVENT");
    }
    assert_int_equal(ev[0].line, 6); /* after the five header lines */
    assert_true(ev[0].line < ev[1].line && ev[1].line < ev[2].line);
    dh_ics_events_free(ev, n);
    free(out);
}

static void write_one(FILE *f)
{
    dh_ics_begin(f, NULL);
    dh_ics_write_event(f, D("2025-12-31"), "a,b", 0, "Giao thừa", "", "off", NULL, "true");
    dh_ics_end(f);
}

static void test_exact_output(void **state)
{
    size_t len;
    char *out;
    capture(write_one, &out, &len);
    assert_string_equal(out, "BEGIN:VCALENDAR\r\n"
                             "PRODID:-//dieuhanh//calendar//VI\r\n"
                             "VERSION:2.0\r\n"
                             "CALSCALE:GREGORIAN\r\n"
                             "X-WR-CALNAME:\r\n"
                             "BEGIN:VEVENT\r\n"
                             "UID:20251231-a\\,b@dieuhanh\r\n"
                             "DTSTAMP:19700101T000000Z\r\n"
                             "DTSTART;VALUE=DATE:20251231\r\n"
                             "DTEND;VALUE=DATE:20260101\r\n"
                             "SUMMARY:Giao thừa\r\n"
                             "X-DIEUHANH-TYPE:off\r\n"
                             "X-DIEUHANH-CONFIRMED:true\r\n"
                             "END:VEVENT\r\n"
                             "END:VCALENDAR\r\n");
    free(out);
}

/* Summaries of every length around the fold points, made of 1-, 2-, 3- and
 * 4-byte sequences, fold to <= 75 octets without splitting one and come back
 * unchanged; CR and control characters are dropped, CRLF becomes \n. */
static char fold_summary[1200];

static void write_fold(FILE *f)
{
    dh_ics_begin(f, "x");
    dh_ics_write_event(f, D("2025-09-02"), "off", STAMP, fold_summary, "a\r\nb\rc\x01", NULL,
                       NULL, NULL);
    dh_ics_end(f);
}

static void test_folding_boundaries(void **state)
{
    static const char *pieces[] = {"đ", "ệ", "😀", "ạ;"};
    for (int pre = 0; pre < 80; pre++) {
        for (size_t k = 0; k < sizeof pieces / sizeof *pieces; k++) {
            memset(fold_summary, 'x', (size_t)pre);
            fold_summary[pre] = '\0';
            for (int i = 0; i < 60; i++)
                strcat(fold_summary, pieces[k]);
            size_t len;
            char *out;
    capture(write_fold, &out, &len);
            assert_true(check_physical_lines(out, len) >= 1);
            dh_ics_event *ev;
            size_t n;
            char msg[200];
            if (dh_ics_parse(out, len, "f.ics", &ev, &n, msg, sizeof msg))
                fail_msg("%s", msg);
            assert_int_equal(n, 1);
            assert_string_equal(ev[0].summary, fold_summary);
            assert_string_equal(ev[0].description, "a\nb\nc");
            dh_ics_events_free(ev, n);
            free(out);
        }
    }
    /* Bytes that are not UTF-8 still end (cut anywhere) and keep the width. */
    memset(fold_summary, 0x80, 300);
    fold_summary[300] = '\0';
    size_t len;
    char *out;
    capture(write_fold, &out, &len);
    for (const char *p = out; *p;) {
        const char *crlf = strstr(p, "\r\n");
        assert_non_null(crlf);
        assert_true(crlf - p <= 75);
        p = crlf + 2;
    }
    free(out);
}

static dh_ics_event *parse_ok(const char *text, size_t len, size_t want_n)
{
    dh_ics_event *ev = NULL;
    size_t n = 0;
    char msg[300];
    if (dh_ics_parse(text, len, "h.ics", &ev, &n, msg, sizeof msg))
        fail_msg("%s", msg);
    assert_int_equal(n, want_n);
    return ev;
}

static void test_hand_written(void **state)
{
    const char *text =
        "BEGIN:VCALENDAR\n"                                     /* 1 */
        "VERSION:2.0\n"                                         /* 2 */
        "PRODID:-//Example//Lich//VI\n"                         /* 3 */
        "BEGIN:VTIMEZONE\n"                                     /* 4 */
        "TZID:Asia/Ho_Chi_Minh\n"                               /* 5 */
        "BEGIN:STANDARD\n"                                      /* 6 */
        "DTSTART:19700101T000000\n"                             /* 7 */
        "TZOFFSETFROM:+0700\n"                                  /* 8 */
        "TZOFFSETTO:+0700\n"                                    /* 9 */
        "END:STANDARD\n"                                        /* 10 */
        "END:VTIMEZONE\n"                                       /* 11 */
        "BEGIN:VEVENT\n"                                        /* 12 */
        "UID:1@example\n"                                       /* 13 */
        "DTSTART;VALUE=DATE:20250429\n"                         /* 14 */
        "DTEND;VALUE=DATE:20250502\n"                           /* 15 */
        "SUMMARY;LANGUAGE=vi:Nghỉ lễ Ngày Chiến thắng 30/4 và \n" /* 16 */
        " Ngày Quốc tế \n"                                      /* 17 */
        "\tLao động 1/5\n"                                      /* 18 */
        "CATEGORIES:Lễ\\,Tết,Nghỉ\n"                            /* 19 */
        "RRULE:FREQ=YEARLY\n"                                   /* 20 */
        "X-FOO;X-P=\"a:b;c\":bar\n"                             /* 21 */
        "BEGIN:VALARM\n"                                        /* 22 */
        "ACTION:DISPLAY\n"                                      /* 23 */
        "SUMMARY:not this one\n"                                /* 24 */
        "DTSTART:20000101\n"                                    /* 25 */
        "END:VALARM\n"                                          /* 26 */
        "END:VEVENT\n"                                          /* 27 */
        "BEGIN:VTODO\n"                                         /* 28 */
        "DTSTART:20250101\n"                                    /* 29 */
        "SUMMARY:a task\n"                                      /* 30 */
        "END:VTODO\n"                                           /* 31 */
        "\n"                                                    /* 32 */
        "begin:vevent\n"                                        /* 33 */
        "dtstart;tzid=\"Asia/Ho_Chi_Minh\":20250902T000000\n"   /* 34 */
        "summary:Quốc khánh\\N2/9\\:\\x\n"                      /* 35 */
        "DESCRIPTION:Mô tả\\; có\\, dấu \\\\ gạch\n"            /* 36 */
        "X-DIEUHANH-TYPE:off\n"                                 /* 37 */
        "X-DIEUHANH-KIND:statutory\n"                           /* 38 */
        "X-DIEUHANH-CONFIRMED:true\n"                           /* 39 */
        "DURATION:P2D\n"                                        /* 40 */
        "end:vevent\n"                                          /* 41 */
        "BEGIN:VEVENT\n"                                        /* 42 */
        "DTSTART:20250101T090000Z\n"                            /* 43 */
        "DTEND:20250101T170000Z\n"                              /* 44 */
        "END:VEVENT\n"                                          /* 45 */
        "BEGIN:VEVENT\n"                                        /* 46 */
        "DTSTART;VALUE=DATE-TIME:20251231T220000\n"             /* 47 */
        "DTEND:20260101T020000\n"                               /* 48 */
        "END:VEVENT\n"                                          /* 49 */
        "BEGIN:VEVENT\n"                                        /* 50 */
        "DTSTART:20240101\n"                                    /* 51 */
        "DURATION:P1W\n"                                        /* 52 */
        "END:VEVENT\n"                                          /* 53 */
        "BEGIN:VEVENT\n"                                        /* 54 */
        "DTSTART:20240101\n"                                    /* 55 */
        "DTEND:20250101\n"                                      /* 56 */
        "END:VEVENT\n"                                          /* 57 */
        "END:VCALENDAR\n";                                      /* 58 */
    dh_ics_event *ev = parse_ok(text, strlen(text), 6);

    assert_int_equal(ev[0].line, 12);
    assert_int_equal(ev[0].date, D("2025-04-29"));
    assert_int_equal(ev[0].ndays, 3);
    assert_string_equal(ev[0].summary,
                        "Nghỉ lễ Ngày Chiến thắng 30/4 và Ngày Quốc tế Lao động 1/5");
    assert_string_equal(ev[0].description, "");
    assert_string_equal(ev[0].categories, "Lễ\\,Tết,Nghỉ"); /* raw */
    assert_string_equal(ev[0].x_type, "");
    assert_string_equal(ev[0].x_kind, "");
    assert_string_equal(ev[0].x_confirmed, "");

    assert_int_equal(ev[1].line, 33);
    assert_int_equal(ev[1].date, D("2025-09-02")); /* the date part of a DATE-TIME */
    assert_int_equal(ev[1].ndays, 2);
    assert_string_equal(ev[1].summary, "Quốc khánh\n2/9:x");
    assert_string_equal(ev[1].description, "Mô tả; có, dấu \\ gạch");
    assert_string_equal(ev[1].categories, "");
    assert_string_equal(ev[1].x_type, "off");
    assert_string_equal(ev[1].x_kind, "statutory");
    assert_string_equal(ev[1].x_confirmed, "true");

    /* a timed event within one day is one day */
    assert_int_equal(ev[2].line, 42);
    assert_int_equal(ev[2].date, D("2025-01-01"));
    assert_int_equal(ev[2].ndays, 1);
    /* ... and one past midnight touches two */
    assert_int_equal(ev[3].date, D("2025-12-31"));
    assert_int_equal(ev[3].ndays, 2);
    assert_int_equal(ev[4].date, D("2024-01-01"));
    assert_int_equal(ev[4].ndays, 7);
    /* a leap year: 366 days is the most */
    assert_int_equal(ev[5].line, 54);
    assert_int_equal(ev[5].ndays, 366);
    dh_ics_events_free(ev, 6);
}

static void test_crlf_bom_and_split_fold(void **state)
{
    /* A UTF-8 BOM, CRLF, and a fold that splits "ế" (E1 BA BF) like some
     * writers do; an empty calendar, and one without END:VCALENDAR. */
    const char text[] = "\xEF\xBB\xBF"
                        "BEGIN:VCALENDAR\r\n"
                        "BEGIN:VEVENT\r\n"
                        "DTSTART:20250127\r\n"
                        "SUMMARY:T\xE1\xBA\r\n"
                        " \xBFt\r\n"
                        "END:VEVENT\r\n"
                        "END:VCALENDAR\r\n";
    dh_ics_event *ev = parse_ok(text, sizeof text - 1, 1);
    assert_string_equal(ev[0].summary, "Tết");
    assert_int_equal(ev[0].line, 2);
    assert_int_equal(ev[0].ndays, 1);
    dh_ics_events_free(ev, 1);

    const char *empty = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n\r\n";
    ev = parse_ok(empty, strlen(empty), 0);
    assert_null(ev);

    const char *open = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:20270505\nEND:VEVENT";
    ev = parse_ok(open, strlen(open), 1);
    assert_int_equal(ev[0].date, D("2027-05-05"));
    dh_ics_events_free(ev, 1);

    /* the length counts, not a NUL: parsing stops at len */
    const char *cut = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:20270505\nEND:VEVENT\nGARBAGE";
    ev = parse_ok(cut, strlen(cut) - strlen("GARBAGE"), 1);
    dh_ics_events_free(ev, 1);
    dh_ics_events_free(NULL, 0);
}

/* Parsing len bytes of text fails with a message that starts with want. */
static void error_len(const char *text, size_t len, const char *want)
{
    dh_ics_event *ev = (dh_ics_event *)1;
    size_t n = 99;
    char msg[300];
    assert_int_equal(dh_ics_parse(text, len, "x.ics", &ev, &n, msg, sizeof msg), -1);
    assert_null(ev);
    assert_int_equal(n, 0);
    if (strncmp(msg, want, strlen(want)) != 0)
        fail_msg("'%s' does not start with '%s'", msg, want);
}

static void error_is(const char *text, const char *want) { error_len(text, strlen(text), want); }

#define HEAD "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:x\n" /* lines 1-3 */

static void test_error_utf8(void **state)
{
    error_is(HEAD "BEGIN:VEVENT\nDTSTART:20250101\nUID:1\nSUMMARY:T\xE1\xBB\nEND:VEVENT\n",
             "x.ics:7: not valid UTF-8");
    /* in a continuation line: the physical line of the bad byte */
    error_is(HEAD "BEGIN:VEVENT\nDTSTART:20250101\nUID:1\nSUMMARY:T\n ok\n \xFF\nEND:VEVENT\n",
             "x.ics:9: not valid UTF-8");
    error_is("\xC0\xAF" "BEGIN:VCALENDAR\n", "x.ics:1: not valid UTF-8");
    /* a NUL byte */
    error_len(HEAD "X-A:a\0b\n", sizeof(HEAD "X-A:a\0b\n") - 1, "x.ics:4: not valid UTF-8");
    /* a surrogate in an ignored component still counts */
    error_is(HEAD "BEGIN:VTIMEZONE\nTZID:\xED\xA0\x80\nEND:VTIMEZONE\n",
             "x.ics:5: not valid UTF-8");
}

static void test_error_structure(void **state)
{
    /* no BEGIN:VCALENDAR */
    error_is("", "x.ics:1: not an iCalendar file");
    error_is("\n\n", "x.ics:1: not an iCalendar file");
    error_is("hello\n", "x.ics:1: not an iCalendar file");
    error_is("\n\nBEGIN:VEVENT\nDTSTART:20250101\nEND:VEVENT\n", "x.ics:3: not an iCalendar");
    error_is("date,type\n2025-01-01,off\n", "x.ics:1: not an iCalendar file");
    error_is(HEAD "END:VCALENDAR\nBEGIN:VEVENT\n", "x.ics:5: not an iCalendar file");
    /* an unterminated VEVENT */
    error_is(HEAD "BEGIN:VEVENT\nDTSTART:20250101\nSUMMARY:x\n",
             "x.ics:4: BEGIN:VEVENT without END:VEVENT");
    error_is(HEAD "BEGIN:VEVENT\nDTSTART:20250101\nBEGIN:VALARM\nEND:VALARM\n",
             "x.ics:4: BEGIN:VEVENT without END:VEVENT");
    error_is(HEAD "BEGIN:VEVENT\nDTSTART:20250101\nEND:VCALENDAR\n",
             "x.ics:6: END:VCALENDAR does not close BEGIN:VEVENT of line 4");
    /* other components out of order */
    error_is(HEAD "BEGIN:VTIMEZONE\nTZID:x\n", "x.ics:4: BEGIN:VTIMEZONE without END:VTIMEZONE");
    error_is(HEAD "BEGIN:VEVENT\nDTSTART:20250101\nBEGIN:VALARM\nEND:VEVENT\n",
             "x.ics:7: END:VEVENT does not close BEGIN:VALARM of line 6");
    error_is(HEAD "BEGIN:\n", "x.ics:4: BEGIN without a component name");
    dh_buf deep = DH_BUF_INIT;
    dh_buf_puts(&deep, "BEGIN:VCALENDAR\n");
    for (int i = 0; i < 40; i++)
        dh_buf_puts(&deep, "BEGIN:X-DEEP\n");
    error_is(deep.p, "x.ics:33: components nested more than 32 deep");
    dh_buf_free(&deep);
    /* a VEVENT without DTSTART (the one in its VALARM does not count) */
    error_is(HEAD "BEGIN:VEVENT\nUID:1\nSUMMARY:x\nEND:VEVENT\nEND:VCALENDAR\n",
             "x.ics:4: VEVENT without DTSTART");
    error_is(HEAD "BEGIN:VEVENT\nDTSTART:20250101\nEND:VEVENT\n"
                  "BEGIN:VEVENT\nBEGIN:VALARM\nDTSTART:20250101\nEND:VALARM\nEND:VEVENT\n",
             "x.ics:7: VEVENT without DTSTART");
    /* the e2e case: no END:VCALENDAR, CRLF */
    error_is("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:x\r\nEND:VEVENT\r\n",
             "x.ics:2: VEVENT without DTSTART");
}

#define EV "BEGIN:VEVENT\nUID:1\n" /* lines 4-5 */

static void test_error_dates(void **state)
{
    /* malformed dates */
    error_is(HEAD EV "DTSTART:20250230\nEND:VEVENT\n", "x.ics:6: DTSTART: '20250230' is not");
    error_is(HEAD EV "DTSTART:2025-01-01\nEND:VEVENT\n", "x.ics:6: DTSTART: '2025-01-01'");
    error_is(HEAD EV "DTSTART:2025011\nEND:VEVENT\n", "x.ics:6: DTSTART: '2025011'");
    error_is(HEAD EV "DTSTART:\nEND:VEVENT\n", "x.ics:6: DTSTART: '' is not");
    error_is(HEAD EV "DTSTART:09990101\nEND:VEVENT\n", "x.ics:6: DTSTART:");
    error_is(HEAD EV "DTSTART:20250101T250000\nEND:VEVENT\n", "x.ics:6: DTSTART:");
    error_is(HEAD EV "DTSTART:20250101T1200\nEND:VEVENT\n", "x.ics:6: DTSTART:");
    error_is(HEAD EV "DTSTART:20250101T120000+07\nEND:VEVENT\n", "x.ics:6: DTSTART:");
    error_is(HEAD EV "DTSTART;VALUE=DATE:20250101T000000\nEND:VEVENT\n",
             "x.ics:6: DTSTART: '20250101T000000' is not a DATE (YYYYMMDD)");
    error_is(HEAD EV "DTSTART;VALUE=DATE-TIME:20250101\nEND:VEVENT\n",
             "x.ics:6: DTSTART: '20250101' is not a DATE-TIME");
    error_is(HEAD EV "DTSTART;VALUE=PERIOD:20250101/P1D\nEND:VEVENT\n",
             "x.ics:6: DTSTART: VALUE=PERIOD is not supported");
    error_is(HEAD EV "DTSTART:20250101\nSUMMARY:a\nDTEND:20251301\nEND:VEVENT\n",
             "x.ics:8: DTEND: '20251301' is not");
    /* DTEND not after DTSTART: the line of the DTEND */
    error_is(HEAD EV "DTSTART:20250203\nDTEND:20250203\nEND:VEVENT\n",
             "x.ics:7: DTEND (2025-02-03) is not after DTSTART (2025-02-03)");
    error_is(HEAD EV "DTEND;VALUE=DATE:20250201\nSUMMARY:a\nDTSTART;VALUE=DATE:20250203\n"
                     "END:VEVENT\n",
             "x.ics:6: DTEND (2025-02-01) is not after DTSTART (2025-02-03)");
    error_is(HEAD EV "DTSTART:20250203T100000\nDTEND:20250203T100000\nEND:VEVENT\n",
             "x.ics:7: DTEND (2025-02-03) is not after DTSTART");
    /* DURATION */
    error_is(HEAD EV "DTSTART:20250203\nDURATION:PT1H\nEND:VEVENT\n",
             "x.ics:7: DURATION: 'PT1H' is not a whole number of days");
    error_is(HEAD EV "DTSTART:20250203\nDURATION:P\nEND:VEVENT\n", "x.ics:7: DURATION:");
    error_is(HEAD EV "DTSTART:20250203\nDURATION:P3\nEND:VEVENT\n", "x.ics:7: DURATION:");
    error_is(HEAD EV "DTSTART:20250203\nDURATION:P0D\nEND:VEVENT\n",
             "x.ics:7: DURATION: 'P0D' is not at least one day");
    error_is(HEAD EV "DTSTART:20250203\nDTEND:20250204\nDURATION:P1D\nEND:VEVENT\n",
             "x.ics:8: a VEVENT cannot have both DTEND and DURATION");
}

static void test_error_limits(void **state)
{
    /* a span of more than 366 days */
    error_is(HEAD EV "DTSTART:20250101\nDTEND:20260103\nEND:VEVENT\n",
             "x.ics:7: the event spans 367 days (at most 366)");
    error_is(HEAD EV "DTSTART:20250101\nDTEND:20270101\nEND:VEVENT\n", "x.ics:7: the event spans");
    error_is(HEAD EV "DTSTART:20250101\nDURATION:P367D\nEND:VEVENT\n",
             "x.ics:7: the event spans 367 days");
    error_is(HEAD EV "DTSTART:20250101\nDURATION:P53W\nEND:VEVENT\n",
             "x.ics:7: the event spans 371 days");
    error_is(HEAD EV "DTSTART:20250101\nDURATION:P99999999999999999999D\nEND:VEVENT\n",
             "x.ics:7: the event spans");

    /* more than 10000 events: the line of the BEGIN:VEVENT of the 10001st */
    dh_buf b = DH_BUF_INIT;
    dh_buf_puts(&b, "BEGIN:VCALENDAR\n");
    for (int i = 0; i < DH_ICS_MAX_EVENTS; i++)
        dh_buf_printf(&b, "BEGIN:VEVENT\nDTSTART:2025%02d%02d\nSUMMARY:s%d\nEND:VEVENT\n",
                      i % 12 + 1, i % 28 + 1, i);
    size_t at_limit = b.len;
    dh_buf_puts(&b, "END:VCALENDAR\n");
    dh_ics_event *ev = parse_ok(b.p, b.len, DH_ICS_MAX_EVENTS);
    assert_int_equal(ev[9999].line, 2 + 4 * 9999);
    assert_string_equal(ev[9999].summary, "s9999");
    dh_ics_events_free(ev, DH_ICS_MAX_EVENTS);
    b.len = at_limit;
    dh_buf_puts(&b, "BEGIN:VEVENT\nDTSTART:20250101\nEND:VEVENT\nEND:VCALENDAR\n");
    error_len(b.p, b.len, "x.ics:40002: more than 10000 events");
    dh_buf_free(&b);
}

static void test_message_capacity(void **state)
{
    const char *text = HEAD EV "DTSTART:20250230\nEND:VEVENT\n";
    dh_ics_event *ev;
    size_t n;
    char msg[8];
    memset(msg, 'z', sizeof msg);
    assert_int_equal(dh_ics_parse(text, strlen(text), "x.ics", &ev, &n, msg, sizeof msg), -1);
    assert_string_equal(msg, "x.ics:6");
    assert_int_equal(dh_ics_parse(text, strlen(text), "x.ics", &ev, &n, NULL, 0), -1);
    assert_null(ev);
    /* the message names the file it is given */
    char big[200];
    assert_int_equal(dh_ics_parse("x", 1, "lịch 2025.ics", &ev, &n, big, sizeof big), -1);
    assert_string_equal(big, "lịch 2025.ics:1: not an iCalendar file (expected BEGIN:VCALENDAR)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_exact_output),
        cmocka_unit_test(test_folding_boundaries),
        cmocka_unit_test(test_hand_written),
        cmocka_unit_test(test_crlf_bom_and_split_fold),
        cmocka_unit_test(test_error_utf8),
        cmocka_unit_test(test_error_structure),
        cmocka_unit_test(test_error_dates),
        cmocka_unit_test(test_error_limits),
        cmocka_unit_test(test_message_capacity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
