/* test_util.c - text folding and NFC, UTF-8 validation, collation, the CSV
 * reader and writer, and civil dates. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/csv.h"
#include "util/date.h"
#include "util/multipart.h"
#include "util/text.h"

static void fold_is(const char *in, const char *want)
{
    char *f = dh_text_fold(in);
    assert_non_null(f);
    assert_string_equal(f, want);
    free(f);
}

static void test_fold(void **state)
{
    fold_is("Vũng Tàu", "vung tau");
    fold_is("VŨNG  TÀU ", "vung tau");
    /* the two tone placements and đ */
    fold_is("Thủy Hoá", "thuy hoa");
    fold_is("thuỷ hóa", "thuy hoa");
    fold_is("Đất Đỏ", "dat do");
    /* NFD input folds the same as NFC */
    fold_is("Vu\xcc\x83ng Ta\xcc\x80u", "vung tau");
    fold_is("Nguyễn An Ninh – Rạch Dừa", "nguyen an ninh – rach dua");
    fold_is("", "");
}

static void test_clip(void **state)
{
    (void)state;
    char b[64];
    assert_string_equal(dh_text_clip("Tiến độ", 20, b, sizeof b), "Tiến độ");
    assert_string_equal(dh_text_clip("Tiến độ báo cáo", 7, b, sizeof b), "Tiến độ…");
    assert_string_equal(dh_text_clip("đđđđđđ", 3, b, sizeof b), "đđđ…");
    char small[8]; /* never a broken character, even when the buffer is what cuts */
    assert_string_equal(dh_text_clip("đđđđđđ", 100, small, sizeof small), "đđ…"); /* 4+3+1 */
    assert_string_equal(dh_text_clip(NULL, 3, b, sizeof b), "");
}

static void test_nfc_and_clean(void **state)
{
    long bad = 0;
    /* "Ắ" as A + breve + acute (NFD) composes to one code point U+1EAE */
    char *s = dh_text_nfc("A\xcc\x86\xcc\x81", &bad);
    assert_string_equal(s, "\xe1\xba\xae");
    free(s);
    s = dh_text_clean("  Phường \t 1\n ", &bad);
    assert_string_equal(s, "Phường 1");
    free(s);
    assert_null(dh_text_nfc("ab\xff", &bad));
    assert_int_equal(bad, 2);
    assert_null(dh_text_clean("x\xc3", &bad));
    assert_int_equal(bad, 1);
}

/* Bidirectional embeddings, overrides and isolates are refused by the one
 * cleaning helper, with the field and the byte offset; marks (U+200E) and
 * their neighbours (U+2029, U+202F, U+206A) are not. */
static void test_bidi_refused(void **state)
{
    (void)state;
    long bad = 0;
    assert_int_equal(dh_text_bidi_offset("Phường 1"), -1);
    assert_int_equal(dh_text_bidi_offset("ab\u202Ecd"), 2);
    assert_int_equal(dh_text_bidi_offset("\u202A"), 0);
    assert_int_equal(dh_text_bidi_offset("x\u2066"), 1);
    assert_int_equal(dh_text_bidi_offset("\u2069"), 0);
    assert_int_equal(dh_text_bidi_offset("\u200E\u2029\u202F\u206A\u2065"), -1);
    assert_null(dh_text_clean("  Tên\u202Egnp.exe", &bad));
    assert_int_equal(bad, 6); /* offsets are in the input as given */
    char *out = (char *)"x";
    dh_err e;
    assert_int_equal(dh_text_clean_field("Ấp \u2067x", "name", &out, &e), DH_E_INVALID);
    assert_null(out);
    assert_string_equal(e.code, "bidi_control");
    assert_string_equal(e.field, "name");
    assert_non_null(strstr(e.message, "byte offset 5"));
    assert_int_equal(dh_text_clean_field("a\xff", "title", &out, &e), DH_E_MALFORMED);
    assert_string_equal(e.code, "invalid_utf8");
    assert_string_equal(e.field, "title");
    assert_int_equal(dh_text_clean_field(NULL, "title", &out, &e), DH_OK);
    assert_string_equal(out, "");
    free(out);
    assert_int_equal(dh_text_clean_field(" Ấp  1 ", "title", &out, &e), DH_OK);
    assert_string_equal(out, "Ấp 1");
    free(out);
}

static void test_utf8_validation(void **state)
{
    assert_int_equal(dh_utf8_invalid_offset("Việt Nam", strlen("Việt Nam")), -1);
    assert_int_equal(dh_utf8_invalid_offset("ab\xc0\xaf", 4), 2);         /* overlong */
    assert_int_equal(dh_utf8_invalid_offset("\xed\xa0\x80", 3), 0);       /* surrogate */
    assert_int_equal(dh_utf8_invalid_offset("a\xf4\x90\x80\x80", 5), 1);  /* > U+10FFFF */
    assert_int_equal(dh_utf8_invalid_offset("ab\0c", 4), 2);               /* NUL */
    assert_int_equal(dh_utf8_invalid_offset("abc\xe1\xba", 5), 3);        /* truncated */
    assert_int_equal(dh_text_length("Đắk Lắk"), 7);
}

static void test_collate(void **state)
{
    /* Vietnamese alphabet order: d < đ < e, a < ă < â < b, o < ô < ơ */
    assert_true(dh_text_collate("Dương", "Đà Nẵng") < 0);
    assert_true(dh_text_collate("Đà Nẵng", "Em") < 0);
    assert_true(dh_text_collate("an", "ăn") < 0);
    assert_true(dh_text_collate("ăn", "ân") < 0);
    assert_true(dh_text_collate("ân", "bé") < 0);
    assert_true(dh_text_collate("ôm", "ơn") < 0);
    /* tone placement: equal; tones order after the base letters */
    assert_int_equal(dh_text_collate("hoá", "hóa"), 0);
    assert_true(dh_text_collate("ma", "má") < 0);
    assert_true(dh_text_collate("má", "mb") < 0);
    assert_true(dh_text_collate("Phường 2", "Phường 10") != 0);
    /* keys made once order as the comparison does, case last */
    const char *w[] = {"Dương", "Đà Nẵng", "em", "Em", "hoá", "hóa", "ma", "má", "Phường 10", ""};
    dh_text_key k[10];
    for (int i = 0; i < 10; i++)
        dh_text_key_make(w[i], &k[i]);
    assert_true(dh_text_key_cmp(&k[2], &k[3]) < 0); /* e < E on case only */
    assert_true(dh_text_key_cmp(&k[9], &k[0]) < 0);
    for (int i = 0; i < 10; i++)
        for (int j = 0; j < 10; j++) {
            int a = dh_text_key_cmp(&k[i], &k[j]), b = dh_text_collate(w[i], w[j]);
            assert_int_equal((a > 0) - (a < 0), (b > 0) - (b < 0));
        }
    for (int i = 0; i < 10; i++)
        dh_text_key_free(&k[i]);
}

static dh_csv *csv_of(const char *text, FILE **f)
{
    *f = fmemopen((void *)text, strlen(text), "r");
    assert_non_null(*f);
    return dh_csv_new(*f, "t.csv");
}

static void test_csv_reader(void **state)
{
    FILE *f;
    char **fl;
    size_t n;
    dh_csv *c = csv_of("\xef\xbb\xbf"
                       "a,b,c\r\n"
                       "\n"
                       "\"x, y\",\"say \"\"hi\"\"\",\"two\nlines\"\n"
                       "1,,3",
                       &f);
    assert_int_equal(dh_csv_next(c, &fl, &n), 1);
    assert_int_equal(n, 3);
    assert_string_equal(fl[0], "a");
    assert_int_equal(dh_csv_line(c), 1);
    assert_int_equal(dh_csv_next(c, &fl, &n), 1);
    assert_int_equal(dh_csv_line(c), 3);
    assert_string_equal(fl[0], "x, y");
    assert_string_equal(fl[1], "say \"hi\"");
    assert_string_equal(fl[2], "two\nlines");
    assert_int_equal(dh_csv_next(c, &fl, &n), 1);
    assert_int_equal(dh_csv_line(c), 5);
    assert_int_equal(n, 3);
    assert_string_equal(fl[1], "");
    assert_int_equal(dh_csv_next(c, &fl, &n), 0);
    dh_csv_free(c);
    fclose(f);
}

static void csv_error_is(const char *text, const char *want)
{
    FILE *f;
    char **fl;
    size_t n;
    dh_csv *c = csv_of(text, &f);
    int rc;
    while ((rc = dh_csv_next(c, &fl, &n)) == 1)
        ;
    assert_int_equal(rc, -1);
    if (!strstr(dh_csv_error(c), want))
        fail_msg("error '%s' lacks '%s'", dh_csv_error(c), want);
    dh_csv_free(c);
    fclose(f);
}

static void test_csv_errors(void **state)
{
    csv_error_is("a,b\n\"open,x\n", "t.csv:2");
    csv_error_is("a,b\nx\"y,z\n", "t.csv:2: column 2:");
    csv_error_is("a,b\n\"ok\",\"open\n", "t.csv:2: column 6: unterminated");
    csv_error_is("a,b\nTên x\"y,z\n", "t.csv:2: column 6:");
    csv_error_is("a,b\nok,1\n\"q\"z,1\n", "t.csv:3");
    char *big = malloc(70000);
    memset(big, 'x', 69999);
    big[69999] = 0;
    csv_error_is(big, "t.csv:1");
    free(big);
}

/* A NUL inside a field (quoted or not) is refused with file, line and
 * field, instead of silently cutting the field. */
static void test_csv_nul(void **state)
{
    (void)state;
    static const char plain[] = "a,b\nok,x\0y\n";
    static const char quoted[] = "a,b,c\n1,2,\"p\0q\"\n";
    const char *texts[2] = {plain, quoted};
    size_t lens[2] = {sizeof plain - 1, sizeof quoted - 1};
    const char *want[2] = {"t.csv:2: column 5: a NUL byte in field 2",
                           "t.csv:2: column 7: a NUL byte in field 3"};
    for (int i = 0; i < 2; i++) {
        FILE *f = fmemopen((void *)texts[i], lens[i], "r");
        assert_non_null(f);
        dh_csv *c = dh_csv_new(f, "t.csv");
        char **fl;
        size_t n;
        int rc;
        while ((rc = dh_csv_next(c, &fl, &n)) == 1)
            ;
        assert_int_equal(rc, -1);
        if (!strstr(dh_csv_error(c), want[i]))
            fail_msg("error '%s' lacks '%s'", dh_csv_error(c), want[i]);
        dh_csv_free(c);
        fclose(f);
    }
}

static void test_csv_writer_round_trip(void **state)
{
    char *out = NULL;
    size_t len = 0;
    FILE *w = open_memstream(&out, &len);
    const char *row[] = {"plain", "with, comma", "with \"quote\"", "two\nlines", NULL};
    dh_csv_write_row(w, row, 5);
    fclose(w);
    FILE *f;
    char **fl;
    size_t n;
    dh_csv *c = csv_of(out, &f);
    assert_int_equal(dh_csv_next(c, &fl, &n), 1);
    assert_int_equal(n, 5);
    for (size_t i = 0; i < 4; i++)
        assert_string_equal(fl[i], row[i]);
    assert_string_equal(fl[4], "");
    dh_csv_free(c);
    fclose(f);
    free(out);
}

/* CSV injection (issue 13): formula-like text gets a leading quote; plain
 * negative numbers stay numbers. */
static void test_csv_writer_formulas(void **state)
{
    static const char *const formula[] = {"=1+2", "+84 912", "@SUM(A1)", "\tx", "\rx",
                                          "-2+3", "-", "--1", "-1e", "-x", "-1.5.2", "-.",
                                          "-inf", "-0x10"};
    for (size_t i = 0; i < sizeof formula / sizeof *formula; i++)
        assert_true(dh_csv_formula_like(formula[i]));
    static const char *const plain[] = {"", "1+2", "a=b", "-3", "-1.5", "-.5", "-2e3",
                                        "-2E-3", "-0", "2025-03-01", "Hộ tịch"};
    for (size_t i = 0; i < sizeof plain / sizeof *plain; i++)
        assert_false(dh_csv_formula_like(plain[i]));
    assert_false(dh_csv_formula_like(NULL));
    char *out = NULL;
    size_t len = 0;
    FILE *w = open_memstream(&out, &len);
    const char *row[] = {"=1+2", "-3", "=A1,B1", "@x\"y", "-1 ngày"};
    dh_csv_write_row(w, row, 5);
    fclose(w);
    assert_string_equal(out, "'=1+2,-3,\"'=A1,B1\",\"'@x\"\"y\",'-1 ngày\n");
    free(out);
}

static void test_dates(void **state)
{
    dh_date d;
    assert_int_equal(dh_date_parse("1970-01-01", &d), 0);
    assert_int_equal(d, 0);
    assert_int_equal(dh_date_parse("2024-02-29", &d), 0);
    assert_int_equal(dh_date_weekday(d), 4); /* Thursday */
    char buf[DH_DATE_TEXT_LEN];
    dh_date_format(d + 1, buf);
    assert_string_equal(buf, "2024-03-01");
    assert_int_equal(dh_date_parse("2025-02-29", &d), -1);
    assert_int_equal(dh_date_parse("2025-13-01", &d), -1);
    assert_int_equal(dh_date_parse("2025-1-01", &d), -1);
    assert_int_equal(dh_date_parse("2025-01-01x", &d), -1);
    assert_int_equal(dh_date_parse("", &d), -1);
    assert_int_equal(dh_date_days_in_month(1900, 2), 28);
    assert_int_equal(dh_date_days_in_month(2000, 2), 29);
    int y, m, dd;
    dh_date_to_ymd(dh_date_from_ymd(2199, 12, 31), &y, &m, &dd);
    assert_true(y == 2199 && m == 12 && dd == 31);
    /* 2025-06-30T17:00:00Z is already 1 July in Vietnam */
    time_t t;
    assert_int_equal(dh_time_parse("2025-06-30T17:00:00Z", &t), 0);
    assert_int_equal(dh_date_of_time_vn(t), dh_date_from_ymd(2025, 7, 1));
    assert_int_equal(dh_time_parse("2025-07-01T00:00:00+07:00", &t), 0);
    char ts[32];
    dh_time_format_utc(t, ts);
    assert_string_equal(ts, "2025-06-30T17:00:00Z");
    assert_int_equal(dh_time_parse("2025-07-01", &t), 0);
    dh_time_format_utc(t, ts);
    assert_string_equal(ts, "2025-06-30T17:00:00Z");
    assert_int_equal(dh_time_parse("2025-07-01T25:00", &t), -1);
    assert_int_equal(dh_time_parse("yesterday", &t), -1);
    /* local ISO 8601 with the offset, against strftime over every second
     * of a leap day's end and a sweep of instants from 1970 to 2199 */
    char iso[DH_TIME_ISO_VN_LEN], want[64];
    assert_int_equal(dh_time_parse("2024-02-29T23:59:58+07:00", &t), 0);
    for (int k = 0; k < 200000; k += (k < 4 ? 1 : 7919)) {
        time_t x = k < 4 ? t + k : (time_t)k * 36529LL;
        dh_time_format_iso_vn(x, iso);
        time_t l = x + DH_VN_OFFSET;
        struct tm tm;
        gmtime_r(&l, &tm);
        strftime(want, sizeof want, "%Y-%m-%dT%H:%M:%S+07:00", &tm);
        assert_string_equal(iso, want);
        time_t back;
        assert_int_equal(dh_time_parse(iso, &back), 0);
        assert_true(back == x);
    }
    dh_time_format_iso_vn(t + 2, iso);
    assert_string_equal(iso, "2024-03-01T00:00:00+07:00");
}

static void test_multipart(void **state)
{
    (void)state;
    char b[80];
    assert_int_equal(dh_multipart_boundary("multipart/form-data; boundary=XyZ", b, sizeof b), 0);
    assert_string_equal(b, "XyZ");
    assert_int_equal(
        dh_multipart_boundary("Multipart/Form-Data; charset=utf-8; boundary=\"a b\"", b, sizeof b),
        0);
    assert_string_equal(b, "a b");
    assert_int_equal(dh_multipart_boundary("application/x-www-form-urlencoded", b, sizeof b), -1);
    assert_int_equal(dh_multipart_boundary("multipart/form-data", b, sizeof b), -1);
    static const char body[] = "--XyZ\r\n"
                               "Content-Disposition: form-data; name=\"description\"\r\n\r\n"
                               "Đèn hỏng\r\n"
                               "--XyZ\r\n"
                               "Content-Disposition: form-data; name=\"image\"; filename=\"a.png\"\r\n"
                               "Content-Type: image/png\r\n\r\n"
                               "\x89PNG\r\n\x1a\n\0\r\n-X\r\n"
                               "--XyZ\r\n"
                               "Content-Disposition: form-data; name=\"image\"; filename=\"\"\r\n\r\n"
                               "\r\n"
                               "--XyZ--\r\n";
    dh_mpart m[4];
    int n = dh_multipart_parse(body, sizeof body - 1, "XyZ", m, 4);
    assert_int_equal(n, 3);
    assert_string_equal(m[0].name, "description");
    assert_false(m[0].is_file);
    assert_int_equal(m[0].len, strlen("Đèn hỏng"));
    assert_memory_equal(m[0].data, "Đèn hỏng", m[0].len);
    assert_string_equal(m[1].name, "image");
    assert_true(m[1].is_file);
    assert_string_equal(m[1].filename, "a.png");
    assert_int_equal(m[1].len, 13); /* binary, a NUL and a CRLF inside */
    assert_memory_equal(m[1].data, "\x89PNG\r\n\x1a\n\0\r\n-X", 13);
    assert_true(m[2].is_file);
    assert_int_equal(m[2].len, 0);
    /* too many parts, a wrong boundary, a truncated body: refused */
    assert_int_equal(dh_multipart_parse(body, sizeof body - 1, "XyZ", m, 2), -1);
    assert_int_equal(dh_multipart_parse(body, sizeof body - 1, "Other", m, 4), -1);
    assert_int_equal(dh_multipart_parse(body, 60, "XyZ", m, 4), -1);
    /* two Content-Disposition headers in one part: which one holds? Refused
     * (found by tests/fuzz/multipart.c) */
    static const char twice[] = "--XyZ\r\n"
                                "Content-Disposition: form-data; name=\"a\"; filename=\"x.png\"\r\n"
                                "Content-Disposition: form-data; name=\"b\"\r\n\r\n"
                                "v\r\n--XyZ--\r\n";
    assert_int_equal(dh_multipart_parse(twice, sizeof twice - 1, "XyZ", m, 4), -1);
    static const char noname[] = "--B\r\nContent-Disposition: form-data\r\n\r\nx\r\n--B--";
    assert_int_equal(dh_multipart_parse(noname, sizeof noname - 1, "B", m, 4), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fold),
        cmocka_unit_test(test_clip),          cmocka_unit_test(test_nfc_and_clean),
        cmocka_unit_test(test_bidi_refused),
        cmocka_unit_test(test_utf8_validation), cmocka_unit_test(test_collate),
        cmocka_unit_test(test_csv_reader),    cmocka_unit_test(test_csv_errors),
        cmocka_unit_test(test_csv_nul),
        cmocka_unit_test(test_csv_writer_round_trip), cmocka_unit_test(test_csv_writer_formulas),
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_multipart),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
