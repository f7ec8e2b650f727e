/* test_xlsx.c - the XLSX reader against hostile workbooks (issue 13, finding
 * 3): each is refused by the limit it breaks, with the file, part, row or
 * cell and the limit named, and a normal workbook still reads correctly.
 * The workbooks are zipped here, with zlib for the deflated parts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zlib.h>

#include "app/internal.h"
#include "util/buf.h"
#include "util/xlsx.h"

/* ---- A small zip writer. ---------------------------------------------- */

typedef struct part {
    const char *name;
    const char *data;
    size_t len;
    int deflate;          /* 1: deflated, 0: stored */
    size_t declared;      /* the inflated size written in the headers; 0: the real one */
} part;

static void put16(dh_buf *b, unsigned v)
{
    unsigned char c[2] = {(unsigned char)v, (unsigned char)(v >> 8)};
    dh_buf_append(b, c, 2);
}

static void put32(dh_buf *b, uint32_t v)
{
    unsigned char c[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 24)};
    dh_buf_append(b, c, 4);
}

static unsigned char *deflate_raw(const char *data, size_t len, size_t *out_len)
{
    z_stream z = {0};
    assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
    size_t cap = deflateBound(&z, (uLong)len);
    unsigned char *out = malloc(cap);
    z.next_in = (unsigned char *)data;
    z.avail_in = (uInt)len;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    *out_len = z.total_out;
    deflateEnd(&z);
    return out;
}

/* A zip of the n parts; free the result with free. */
static char *zip(const part *p, size_t n, size_t *len)
{
    dh_buf b = {0}, cd = {0};
    for (size_t i = 0; i < n; i++) {
        size_t clen = p[i].len;
        unsigned char *comp = NULL;
        if (p[i].deflate)
            comp = deflate_raw(p[i].data, p[i].len, &clen);
        uint32_t crc = (uint32_t)crc32(0, (const Bytef *)p[i].data, (uInt)p[i].len);
        size_t usize = p[i].declared ? p[i].declared : p[i].len;
        size_t off = b.len, nl = strlen(p[i].name);
        put32(&b, 0x04034b50);
        put16(&b, 20);
        put16(&b, 0);
        put16(&b, p[i].deflate ? 8 : 0);
        put32(&b, 0);
        put32(&b, crc);
        put32(&b, (uint32_t)clen);
        put32(&b, (uint32_t)usize);
        put16(&b, (unsigned)nl);
        put16(&b, 0);
        dh_buf_append(&b, p[i].name, nl);
        dh_buf_append(&b, comp ? (const char *)comp : p[i].data, clen);
        put32(&cd, 0x02014b50);
        put16(&cd, 20);
        put16(&cd, 20);
        put16(&cd, 0);
        put16(&cd, p[i].deflate ? 8 : 0);
        put32(&cd, 0);
        put32(&cd, crc);
        put32(&cd, (uint32_t)clen);
        put32(&cd, (uint32_t)usize);
        put16(&cd, (unsigned)nl);
        put16(&cd, 0);
        put16(&cd, 0);
        put16(&cd, 0);
        put16(&cd, 0);
        put32(&cd, 0);
        put32(&cd, (uint32_t)off);
        dh_buf_append(&cd, p[i].name, nl);
        free(comp);
    }
    size_t cdoff = b.len;
    dh_buf_append(&b, cd.p, cd.len);
    put32(&b, 0x06054b50);
    put16(&b, 0);
    put16(&b, 0);
    put16(&b, (unsigned)n);
    put16(&b, (unsigned)n);
    put32(&b, (uint32_t)cd.len);
    put32(&b, (uint32_t)cdoff);
    put16(&b, 0);
    dh_buf_free(&cd);
    *len = b.len;
    return dh_buf_steal(&b);
}

static const char SHEET_HEAD[] = "<?xml version=\"1.0\"?><worksheet><sheetData>";
static const char SHEET_TAIL[] = "</sheetData></worksheet>";

/* A workbook of the shared strings ss (NULL: none) and the rows (the
 * content of sheetData), both deflated. */
static char *workbook(const char *ss, const char *rows, size_t *len)
{
    dh_buf sheet = {0};
    dh_buf_printf(&sheet, "%s%s%s", SHEET_HEAD, rows, SHEET_TAIL);
    part p[2];
    size_t n = 0;
    if (ss)
        p[n++] = (part){"xl/sharedStrings.xml", ss, strlen(ss), 1, 0};
    p[n++] = (part){"xl/worksheets/sheet1.xml", sheet.p, sheet.len, 1, 0};
    char *z = zip(p, n, len);
    dh_buf_free(&sheet);
    return z;
}

/* ---- A normal workbook. ----------------------------------------------- */

static void test_normal_workbook(void **state)
{
    (void)state;
    const char *ss = "<sst><si><t>indicator</t></si><si><r><t>Nội </t></r><r><t>dung</t></r></si>"
                     "<si/><si><t>a &amp; b &#7899;</t></si></sst>";
    const char *rows =
        "<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c><c r=\"B1\" t=\"s\"><v>1</v></c>"
        "<c r=\"C1\" t=\"inlineStr\"><is><t>unit</t></is></c></row>"
        "<row r=\"2\"><c r=\"A2\"><v>65.5</v></c><c r=\"C2\" t=\"s\"><v>3</v></c></row>"
        "<row r=\"3\"><c r=\"B3\" t=\"s\"><v>2</v></c><c r=\"D3\"/></row>"
        "<row r=\"5\"><c r=\"E5\"><f>1+1</f><v>2</v></c></row>";
    size_t len;
    char *z = workbook(ss, rows, &len);
    dh_sheet s;
    dh_err e;
    assert_int_equal(dh_xlsx_read(z, len, "a.xlsx", NULL, &s, &e), DH_OK);
    /* Row 3 holds only empty cells: it is not kept. */
    assert_int_equal(s.nrows, 3);
    assert_int_equal(s.rows[0].line, 1);
    assert_int_equal(s.rows[0].nc, 3);
    assert_string_equal(dh_sheet_at(&s.rows[0], 0), "indicator");
    assert_string_equal(dh_sheet_at(&s.rows[0], 1), "Nội dung");
    assert_string_equal(dh_sheet_at(&s.rows[0], 2), "unit");
    assert_string_equal(dh_sheet_at(&s.rows[0], 3), "");
    assert_int_equal(s.rows[1].line, 2);
    assert_string_equal(dh_sheet_at(&s.rows[1], 0), "65.5");
    assert_string_equal(dh_sheet_at(&s.rows[1], 1), "");
    assert_string_equal(dh_sheet_at(&s.rows[1], 2), "a & b ớ");
    assert_int_equal(s.rows[2].line, 5);
    assert_int_equal(s.rows[2].nc, 1);
    assert_int_equal(s.rows[2].c[0].col, 4);
    assert_string_equal(dh_sheet_at(&s.rows[2], 4), "2");
    dh_sheet_free(&s);
    free(z);
}

/* ---- Shared strings. -------------------------------------------------- */

static char *many(const char *head, const char *item, size_t n, const char *tail)
{
    dh_buf b = {0};
    dh_buf_puts(&b, head);
    for (size_t i = 0; i < n; i++)
        dh_buf_puts(&b, item);
    dh_buf_puts(&b, tail);
    return dh_buf_steal(&b);
}

static void test_many_empty_shared_strings(void **state)
{
    (void)state;
    /* 80,000 <si/> (about 1 KB zipped): quadratic before, now one pass. */
    char *ss = many("<sst>", "<si/>", 80000, "</sst>");
    size_t len;
    char *z = workbook(ss, "<row r=\"1\"><c r=\"A1\" t=\"s\"><v>79999</v></c></row>", &len);
    assert_true(len < 4096);
    dh_sheet s;
    dh_err e;
    assert_int_equal(dh_xlsx_read(z, len, "ss.xlsx", NULL, &s, &e), DH_OK);
    assert_int_equal(s.nrows, 0); /* the one cell is an empty string */
    dh_sheet_free(&s);
    free(z);
    free(ss);
    /* Past the limit of shared strings: refused, naming part and limit. */
    ss = many("<sst>", "<si/>", 200001, "</sst>");
    z = workbook(ss, "", &len);
    assert_int_equal(dh_xlsx_read(z, len, "ss.xlsx", NULL, &s, &e), DH_E_TOOLARGE);
    assert_string_equal(e.code, "file_limit");
    assert_string_equal(e.field, "max_strings");
    assert_non_null(strstr(e.message, "ss.xlsx: xl/sharedStrings.xml: more than 200000 shared"));
    assert_null(s.rows);
    free(z);
    free(ss);
    /* Unclosed entities and tags cost one pass, not one per '&'. */
    ss = many("<sst><si><t>", "&&&&&&&&&&", 100000, "</t></si></sst>");
    z = workbook(ss, "<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c></row>", &len);
    assert_int_equal(dh_xlsx_read(z, len, "amp.xlsx", NULL, &s, &e), DH_OK);
    assert_int_equal(strlen(dh_sheet_at(&s.rows[0], 0)), 1000000);
    dh_sheet_free(&s);
    free(z);
    free(ss);
}

/* ---- Columns: memory follows the cells, not the declared shape. -------- */

static void test_sparse_far_column(void **state)
{
    (void)state;
    dh_buf rows = {0};
    for (int r = 1; r <= 80000; r++)
        dh_buf_printf(&rows, "<row r=\"%d\"><c r=\"IV%d\"><v>1</v></c></row>", r, r);
    size_t len;
    char *z = workbook(NULL, rows.p, &len);
    dh_sheet s;
    dh_err e;
    /* Column IV is past the default limit (BL): refused at the first row. */
    assert_int_equal(dh_xlsx_read(z, len, "iv.xlsx", NULL, &s, &e), DH_E_TOOLARGE);
    assert_string_equal(e.field, "max_columns");
    assert_int_equal(e.line, 1);
    assert_non_null(strstr(e.message, "iv.xlsx: xl/worksheets/sheet1.xml: row 1: cell IV1: beyond "
                                      "column BL, the limit of 64 columns (max_columns)"));
    /* With 256 columns allowed, each row keeps one cell, not 256 slots. */
    dh_xlsx_limits lim = DH_XLSX_LIMITS_DEFAULT;
    lim.max_columns = 256;
    assert_int_equal(dh_xlsx_read(z, len, "iv.xlsx", &lim, &s, &e), DH_OK);
    assert_int_equal(s.nrows, 80000);
    assert_int_equal(s.ncells, 80000);
    assert_int_equal(s.rows[79999].nc, 1);
    assert_int_equal(s.rows[79999].c[0].col, 255);
    assert_string_equal(dh_sheet_at(&s.rows[79999], 255), "1");
    dh_sheet_free(&s);
    free(z);
    dh_buf_free(&rows);
}

/* ---- Zip bombs. ------------------------------------------------------- */

static void test_zip_bomb(void **state)
{
    (void)state;
    size_t big = 8u << 20, len;
    char *zeros = calloc(1, big);
    memset(zeros, ' ', big);
    dh_sheet s;
    dh_err e;
    /* A part declaring more than the per-part limit: refused before any
     * allocation or inflation. */
    part p = {"xl/worksheets/sheet1.xml", zeros, big, 1, 200u << 20};
    char *z = zip(&p, 1, &len);
    assert_true(len < 64 * 1024);
    assert_int_equal(dh_xlsx_read(z, len, "bomb.xlsx", NULL, &s, &e), DH_E_TOOLARGE);
    assert_string_equal(e.field, "max_part_bytes");
    assert_non_null(strstr(e.message, "bomb.xlsx: xl/worksheets/sheet1.xml: inflates to"));
    free(z);
    /* A part lying about its size: inflation stops at the declared size. */
    p.declared = 1000;
    z = zip(&p, 1, &len);
    assert_int_equal(dh_xlsx_read(z, len, "bomb.xlsx", NULL, &s, &e), DH_E_INVALID);
    assert_non_null(strstr(e.message, "does not match its declared 1000 bytes"));
    free(z);
    /* Two parts within the per-part limit but over the total. */
    dh_xlsx_limits lim = DH_XLSX_LIMITS_DEFAULT;
    lim.max_part_bytes = 6u << 20;
    lim.max_total_bytes = 10u << 20;
    part two[2] = {{"xl/sharedStrings.xml", zeros, 5u << 20, 1, 0},
                   {"xl/worksheets/sheet1.xml", zeros, 6u << 20, 1, 0}};
    z = zip(two, 2, &len);
    assert_int_equal(dh_xlsx_read(z, len, "two.xlsx", &lim, &s, &e), DH_E_TOOLARGE);
    assert_string_equal(e.field, "max_total_bytes");
    free(z);
    free(zeros);
}

/* ---- Cells, rows, text. ----------------------------------------------- */

static void test_too_many_cells_rows_text(void **state)
{
    (void)state;
    dh_buf rows = {0};
    for (int r = 1; r <= 2000; r++)
        dh_buf_printf(&rows, "<row r=\"%d\"><c r=\"A%d\"><v>1</v></c><c r=\"B%d\"><v>2</v></c>"
                             "</row>", r, r, r);
    size_t len;
    char *z = workbook(NULL, rows.p, &len);
    dh_sheet s;
    dh_err e;
    dh_xlsx_limits lim = DH_XLSX_LIMITS_DEFAULT;
    lim.max_cells = 3000;
    assert_int_equal(dh_xlsx_read(z, len, "c.xlsx", &lim, &s, &e), DH_E_TOOLARGE);
    assert_string_equal(e.field, "max_cells");
    assert_int_equal(e.line, 1501);
    assert_non_null(strstr(e.message, "row 1501: cell A1501: more than 3000 cells (max_cells)"));
    lim = DH_XLSX_LIMITS_DEFAULT;
    lim.max_rows = 1000;
    assert_int_equal(dh_xlsx_read(z, len, "c.xlsx", &lim, &s, &e), DH_E_TOOLARGE);
    assert_string_equal(e.field, "max_rows");
    assert_int_equal(e.line, 1001);
    lim = DH_XLSX_LIMITS_DEFAULT;
    lim.max_text_bytes = 1000;
    assert_int_equal(dh_xlsx_read(z, len, "c.xlsx", &lim, &s, &e), DH_E_TOOLARGE);
    assert_string_equal(e.field, "max_text_bytes");
    assert_int_equal(dh_xlsx_read(z, len, "c.xlsx", NULL, &s, &e), DH_OK);
    assert_int_equal(s.ncells, 4000);
    dh_sheet_free(&s);
    free(z);
    dh_buf_free(&rows);
    /* Unclosed cells inside a long row: an error after one pass. */
    char *bad = many("<row r=\"1\">", "<c r=\"A1\"><v>1", 50000, "</row>");
    z = workbook(NULL, bad, &len);
    assert_int_equal(dh_xlsx_read(z, len, "u.xlsx", NULL, &s, &e), DH_E_INVALID);
    assert_non_null(strstr(e.message, "row 1: a cell is not closed"));
    free(z);
    free(bad);
}

/* ---- The time budget. ------------------------------------------------- */

static double fake_ms;
static double fake_clock(void)
{
    double t = fake_ms;
    fake_ms += 1000;
    return t;
}

static void test_time_budget(void **state)
{
    (void)state;
    char *ss = many("<sst>", "<si/>", 40000, "</sst>");
    size_t len;
    char *z = workbook(ss, "", &len);
    dh_xlsx_limits lim = DH_XLSX_LIMITS_DEFAULT;
    lim.clock_ms = fake_clock;
    lim.budget_ms = 3000;
    fake_ms = 0;
    dh_sheet s;
    dh_err e;
    assert_int_equal(dh_xlsx_read(z, len, "slow.xlsx", &lim, &s, &e), DH_E_TOOLARGE);
    assert_string_equal(e.field, "budget_ms");
    assert_non_null(strstr(e.message, "slow.xlsx: xl/sharedStrings.xml: reading the file took "
                                      "longer than 3000 ms (budget_ms)"));
    free(z);
    free(ss);
}

/* ---- The sheet filled from CSV. --------------------------------------- */

static void test_sheet_builder(void **state)
{
    (void)state;
    dh_sheet s;
    dh_err e;
    dh_xlsx_limits lim = DH_XLSX_LIMITS_DEFAULT;
    lim.max_columns = 3;
    dh_sheet_init(&s, "t.csv", &lim);
    assert_int_equal(dh_sheet_row_begin(&s, 1, &e), DH_OK);
    assert_int_equal(dh_sheet_cell_add(&s, 0, "a", 1, &e), DH_OK);
    assert_int_equal(dh_sheet_cell_add(&s, 1, "", 0, &e), DH_OK);
    assert_int_equal(dh_sheet_cell_add(&s, 2, "c", 1, &e), DH_OK);
    assert_int_equal(dh_sheet_row_begin(&s, 2, &e), DH_OK); /* empty: dropped */
    assert_int_equal(dh_sheet_row_begin(&s, 3, &e), DH_OK);
    assert_int_equal(dh_sheet_cell_add(&s, 3, "d", 1, &e), DH_E_TOOLARGE);
    assert_non_null(strstr(e.message, "t.csv: row 3: cell D3: beyond column C"));
    assert_int_equal(e.line, 3);
    dh_sheet_end(&s);
    assert_int_equal(s.nrows, 1);
    assert_string_equal(dh_sheet_at(&s.rows[0], 2), "c");
    dh_sheet_free(&s);
}

/* ---- Text that is not XML text (found by tests/fuzz/xlsx_xml.c). ------- */

/* A NUL byte or a malformed UTF-8 sequence in a part is refused with the
 * part and the byte; a character reference that is not an XML character
 * (NUL, a surrogate, past U+10FFFF, no digits) is kept as written, so no
 * cell holds a NUL or invalid UTF-8. */
static void test_not_xml_text(void **state)
{
    (void)state;
    static const char nul_ss[] = "<sst><si><t>a\0b</t></si></sst>";
    char bad_sheet[256];
    int bl = snprintf(bad_sheet, sizeof bad_sheet, "%s<row r=\"1\"><c r=\"A1\" "
                      "t=\"inlineStr\"><is><t>\xff</t></is></c></row>%s", SHEET_HEAD, SHEET_TAIL);
    struct {
        part p[2];
        size_t n;
        const char *want;
    } cases[] = {
        {{{"xl/sharedStrings.xml", nul_ss, sizeof nul_ss - 1, 1, 0},
          {"xl/worksheets/sheet1.xml", bad_sheet, (size_t)bl, 0, 0}},
         2, "xl/sharedStrings.xml: not UTF-8 text (a NUL byte at byte 13)"},
        {{{"xl/worksheets/sheet1.xml", bad_sheet, (size_t)bl, 1, 0}},
         1, "xl/worksheets/sheet1.xml: not UTF-8 text (a malformed sequence at byte"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        size_t len;
        char *z = zip(cases[i].p, cases[i].n, &len);
        dh_sheet s;
        dh_err e;
        assert_int_equal(dh_xlsx_read(z, len, "t.xlsx", NULL, &s, &e), DH_E_INVALID);
        assert_string_equal(e.code, "invalid_file");
        if (!strstr(e.message, cases[i].want))
            fail_msg("case %zu: %s", i, e.message);
        assert_int_equal(s.nrows, 0);
        free(z);
    }
    size_t len;
    char *z = workbook(NULL,
                       "<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>&#0;|&#x0;|&#xD800;|"
                       "&#x110000;|&#x;|&#;|&#233;|&#x1F600;|&#9;</t></is></c></row>",
                       &len);
    dh_sheet s;
    dh_err e;
    assert_int_equal(dh_xlsx_read(z, len, "t.xlsx", NULL, &s, &e), DH_OK);
    assert_string_equal(dh_sheet_at(&s.rows[0], 0),
                        "&#0;|&#x0;|&#xD800;|&#x110000;|&#x;|&#;|é|\xf0\x9f\x98\x80|\t");
    dh_sheet_free(&s);
    free(z);
}

/* The CSV side of the importers' tables (dh_app_table_read) holds text to
 * the same rule: a cell that is not UTF-8 fails the read with its line. */
static void test_csv_table_not_utf8(void **state)
{
    (void)state;
    static const char csv[] = "STT,N\xe1\xbb\x99i dung\n1,Tri\xe1\xbb\x83n khai\n2,Tri\xfbn khai\n";
    dh_sheet t;
    dh_err e;
    assert_int_equal(dh_app_table_read(csv, sizeof csv - 1, "t.csv", &t, &e), DH_E_INVALID);
    assert_string_equal(e.code, "invalid_utf8");
    assert_int_equal(e.line, 3);
    assert_non_null(strstr(e.message, "t.csv:3: column 2 is not UTF-8 text"));
    assert_int_equal(dh_app_table_read(csv, 30, "t.csv", &t, &e), DH_OK);
    assert_int_equal(t.nrows, 2);
    assert_string_equal(dh_sheet_at(&t.rows[1], 1), "Tri\xe1\xbb\x83n khai");
    dh_sheet_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normal_workbook),
        cmocka_unit_test(test_many_empty_shared_strings),
        cmocka_unit_test(test_sparse_far_column),
        cmocka_unit_test(test_zip_bomb),
        cmocka_unit_test(test_too_many_cells_rows_text),
        cmocka_unit_test(test_time_budget),
        cmocka_unit_test(test_sheet_builder),
        cmocka_unit_test(test_not_xml_text),
        cmocka_unit_test(test_csv_table_not_utf8),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
