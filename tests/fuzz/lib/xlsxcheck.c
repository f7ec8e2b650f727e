/* xlsxcheck.c - see xlsxcheck.h. */
#include "lib/xlsxcheck.h"

#include <zlib.h>

#include "lib/fuzz.h"
#include "util/text.h"

void fz_xlsx_read(const uint8_t *d, size_t n)
{
    dh_xlsx_limits lim = DH_XLSX_LIMITS_DEFAULT;
    lim.max_part_bytes = 4u << 20;
    lim.max_total_bytes = 6u << 20;
    lim.max_cells = 100000;
    dh_sheet s;
    dh_err e;
    dh_status st = dh_xlsx_read(d, n, "fuzz.xlsx", &lim, &s, &e);
    if (st != DH_OK) {
        FZ_CHECK(st == DH_E_INVALID || st == DH_E_TOOLARGE);
        FZ_CHECK(e.message[0] && e.code[0] && s.nrows == 0);
    } else {
        for (size_t r = 0; r < s.nrows; r++) {
            const dh_sheet_row *row = &s.rows[r];
            FZ_CHECK(row->nc >= 1);
            for (size_t c = 0; c < row->nc; c++) {
                FZ_CHECK(row->c[c].col < lim.max_columns && row->c[c].v[0]);
                FZ_CHECK(dh_utf8_invalid_offset(row->c[c].v, strlen(row->c[c].v)) < 0);
                FZ_CHECK(c == 0 || row->c[c].col > row->c[c - 1].col);
                FZ_CHECK(dh_sheet_at(row, row->c[c].col) == row->c[c].v);
            }
        }
    }
    dh_sheet_free(&s);
}

static void put16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, v & 0xffff);
    put16(p + 2, v >> 16);
}

uint8_t *fz_zip_stored(const uint8_t *sheet, size_t ns, const uint8_t *strings, size_t nstr,
                       size_t *zn)
{
    static const char *const names[2] = {"xl/worksheets/sheet1.xml", "xl/sharedStrings.xml"};
    const uint8_t *data[2] = {sheet, strings};
    size_t len[2] = {ns, nstr};
    int parts = strings ? 2 : 1;
    size_t cap = 22, off[2] = {0, 0}, p = 0;
    for (int i = 0; i < parts; i++)
        cap += 30 + 46 + 2 * strlen(names[i]) + len[i];
    uint8_t *z = calloc(1, cap);
    FZ_CHECK(z != NULL);
    for (int i = 0; i < parts; i++) {
        size_t nl = strlen(names[i]);
        uint32_t crc = (uint32_t)crc32(0, data[i] ? data[i] : (const uint8_t *)"", (uInt)len[i]);
        off[i] = p;
        put32(z + p, 0x04034b50);
        put16(z + p + 4, 20);
        put32(z + p + 14, crc);
        put32(z + p + 18, (uint32_t)len[i]);
        put32(z + p + 22, (uint32_t)len[i]);
        put16(z + p + 26, (unsigned)nl);
        memcpy(z + p + 30, names[i], nl);
        if (len[i])
            memcpy(z + p + 30 + nl, data[i], len[i]);
        p += 30 + nl + len[i];
    }
    size_t cd = p;
    for (int i = 0; i < parts; i++) {
        size_t nl = strlen(names[i]);
        put32(z + p, 0x02014b50);
        put16(z + p + 4, 20);
        put16(z + p + 6, 20);
        put32(z + p + 16, (uint32_t)crc32(0, data[i] ? data[i] : (const uint8_t *)"",
                                          (uInt)len[i]));
        put32(z + p + 20, (uint32_t)len[i]);
        put32(z + p + 24, (uint32_t)len[i]);
        put16(z + p + 28, (unsigned)nl);
        put32(z + p + 42, (uint32_t)off[i]);
        memcpy(z + p + 46, names[i], nl);
        p += 46 + nl;
    }
    put32(z + p, 0x06054b50);
    put16(z + p + 8, (unsigned)parts);
    put16(z + p + 10, (unsigned)parts);
    put32(z + p + 12, (uint32_t)(p - cd));
    put32(z + p + 16, (uint32_t)cd);
    p += 22;
    *zn = p;
    return z;
}
