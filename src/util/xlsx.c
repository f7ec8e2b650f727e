/* xlsx.c - see xlsx.h. */
#include "util/xlsx.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "util/buf.h"

#define PART_MAX (64u * 1024 * 1024)

/* ------------------------------------------------------------------ */
/* Zip.                                                               */

static uint16_t rd16(const unsigned char *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Finds entry `name` and inflates it; NULL (err set) when absent or bad.
 * *found is false when the entry is simply not there. */
static char *zip_get(const unsigned char *z, size_t len, const char *name, size_t *out_len,
                     bool *found, char *err, size_t errcap)
{
    *found = false;
    if (len < 22) {
        snprintf(err, errcap, "not a zip file (too short)");
        return NULL;
    }
    /* The end-of-central-directory record is within the last 64 KiB + 22. */
    size_t lo = len > 65557 ? len - 65557 : 0;
    size_t eocd = (size_t)-1;
    for (size_t i = len - 22 + 1; i-- > lo;)
        if (rd32(z + i) == 0x06054b50) {
            eocd = i;
            break;
        }
    if (eocd == (size_t)-1) {
        snprintf(err, errcap, "not a zip file (no central directory)");
        return NULL;
    }
    size_t count = rd16(z + eocd + 10);
    size_t cd = rd32(z + eocd + 16);
    size_t nlen = strlen(name);
    for (size_t k = 0, p = cd; k < count; k++) {
        if (p + 46 > len || rd32(z + p) != 0x02014b50) {
            snprintf(err, errcap, "corrupt zip central directory");
            return NULL;
        }
        unsigned method = rd16(z + p + 10);
        size_t csize = rd32(z + p + 20), usize = rd32(z + p + 24);
        size_t fnl = rd16(z + p + 28), exl = rd16(z + p + 30), cml = rd16(z + p + 32);
        size_t loff = rd32(z + p + 42);
        if (p + 46 + fnl > len) {
            snprintf(err, errcap, "corrupt zip central directory");
            return NULL;
        }
        if (fnl == nlen && memcmp(z + p + 46, name, nlen) == 0) {
            *found = true;
            if (loff + 30 > len || rd32(z + loff) != 0x04034b50) {
                snprintf(err, errcap, "corrupt zip entry %s", name);
                return NULL;
            }
            size_t data = loff + 30 + rd16(z + loff + 26) + rd16(z + loff + 28);
            if (data > len || csize > len - data || usize > PART_MAX) {
                snprintf(err, errcap, "zip entry %s is truncated or too large", name);
                return NULL;
            }
            char *out = dh_xmalloc(usize + 1);
            if (method == 0) {
                if (csize != usize) {
                    free(out);
                    snprintf(err, errcap, "corrupt zip entry %s", name);
                    return NULL;
                }
                memcpy(out, z + data, usize);
            } else if (method == 8) {
                z_stream s = {0};
                s.next_in = (unsigned char *)(z + data);
                s.avail_in = (uInt)csize;
                s.next_out = (unsigned char *)out;
                s.avail_out = (uInt)usize;
                int rc = inflateInit2(&s, -MAX_WBITS);
                if (rc == Z_OK)
                    rc = inflate(&s, Z_FINISH);
                size_t got = s.total_out;
                inflateEnd(&s);
                if (rc != Z_STREAM_END || got != usize) {
                    free(out);
                    snprintf(err, errcap, "cannot inflate zip entry %s", name);
                    return NULL;
                }
            } else {
                free(out);
                snprintf(err, errcap, "zip entry %s uses an unsupported compression", name);
                return NULL;
            }
            out[usize] = '\0';
            *out_len = usize;
            return out;
        }
        p += 46 + fnl + exl + cml;
    }
    return NULL;
}

/* ------------------------------------------------------------------ */
/* XML scanning.                                                      */

/* Appends the UTF-8 of code point cp. */
static void put_utf8(dh_buf *b, unsigned long cp)
{
    char u[4];
    if (cp < 0x80) {
        dh_buf_putc(b, (char)cp);
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | cp >> 6);
        u[1] = (char)(0x80 | (cp & 0x3F));
        dh_buf_append(b, u, 2);
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | cp >> 12);
        u[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        dh_buf_append(b, u, 3);
    } else if (cp < 0x110000) {
        u[0] = (char)(0xF0 | cp >> 18);
        u[1] = (char)(0x80 | (cp >> 12 & 0x3F));
        u[2] = (char)(0x80 | (cp >> 6 & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        dh_buf_append(b, u, 4);
    }
}

/* Appends the text of [s, end) with entities decoded. */
static void put_text(dh_buf *b, const char *s, const char *end)
{
    while (s < end) {
        if (*s != '&') {
            dh_buf_putc(b, *s++);
            continue;
        }
        const char *semi = memchr(s, ';', (size_t)(end - s));
        if (!semi || semi - s > 10) {
            dh_buf_putc(b, *s++);
            continue;
        }
        size_t n = (size_t)(semi - s);
        if (n == 4 && memcmp(s, "&amp", 4) == 0)
            dh_buf_putc(b, '&');
        else if (n == 3 && memcmp(s, "&lt", 3) == 0)
            dh_buf_putc(b, '<');
        else if (n == 3 && memcmp(s, "&gt", 3) == 0)
            dh_buf_putc(b, '>');
        else if (n == 5 && memcmp(s, "&quot", 5) == 0)
            dh_buf_putc(b, '"');
        else if (n == 5 && memcmp(s, "&apos", 5) == 0)
            dh_buf_putc(b, '\'');
        else if (n > 2 && s[1] == '#')
            put_utf8(b, s[2] == 'x' ? strtoul(s + 3, NULL, 16) : strtoul(s + 2, NULL, 10));
        else
            dh_buf_append(b, s, n + 1);
        s = semi + 1;
    }
}

/* The next element named `tag` (exactly: "<t>" or "<t " but not "<tx")
 * at or after p, before end; NULL when none. */
static const char *find_tag(const char *p, const char *end, const char *tag)
{
    size_t n = strlen(tag);
    while (p && p < end) {
        p = memchr(p, '<', (size_t)(end - p));
        if (!p || (size_t)(end - p) < n + 2)
            return NULL;
        if (memcmp(p + 1, tag, n) == 0 &&
            (p[n + 1] == '>' || p[n + 1] == ' ' || p[n + 1] == '/' || p[n + 1] == '\t' ||
             p[n + 1] == '\n' || p[n + 1] == '\r'))
            return p;
        p++;
    }
    return NULL;
}

/* Appends the text of every <t> element inside [p, end). */
static void collect_t(dh_buf *b, const char *p, const char *end)
{
    const char *t;
    while ((t = find_tag(p, end, "t")) != NULL) {
        const char *gt = memchr(t, '>', (size_t)(end - t));
        if (!gt)
            return;
        if (gt[-1] == '/') { /* <t/> */
            p = gt + 1;
            continue;
        }
        const char *close = strstr(gt + 1, "</t>");
        if (!close || close > end)
            return;
        put_text(b, gt + 1, close);
        p = close + 4;
    }
}

/* The value of attribute `name` in the start tag [tag, gt), copied to out. */
static bool attr(const char *tag, const char *gt, const char *name, char *out, size_t cap)
{
    size_t n = strlen(name);
    for (const char *p = tag + 1; p + n + 2 < gt; p++) {
        if ((p[-1] == ' ' || p[-1] == '\t' || p[-1] == '\n') && memcmp(p, name, n) == 0 &&
            p[n] == '=' && (p[n + 1] == '"' || p[n + 1] == '\'')) {
            const char *v = p + n + 2, *q = memchr(v, p[n + 1], (size_t)(gt - v));
            if (!q)
                return false;
            size_t len = (size_t)(q - v) < cap - 1 ? (size_t)(q - v) : cap - 1;
            memcpy(out, v, len);
            out[len] = '\0';
            return true;
        }
    }
    return false;
}

static void free_strings(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* ------------------------------------------------------------------ */
/* The workbook.                                                      */

void dh_xlsx_free(dh_xlsx_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free_strings(rows[i].f, rows[i].n);
    free(rows);
}

int dh_xlsx_read(const void *data, size_t len, dh_xlsx_row **rows, size_t *nrows, char *err,
                 size_t errcap)
{
    const unsigned char *z = data;
    *rows = NULL;
    *nrows = 0;
    err[0] = '\0';
    bool found;
    size_t slen = 0, wlen = 0;
    char *ss = zip_get(z, len, "xl/sharedStrings.xml", &slen, &found, err, errcap);
    if (!ss && found)
        return -1;
    if (err[0] && !found) {
        free(ss);
        return -1;
    }
    char *ws = zip_get(z, len, "xl/worksheets/sheet1.xml", &wlen, &found, err, errcap);
    if (!ws) {
        free(ss);
        if (!found && !err[0])
            snprintf(err, errcap, "the workbook has no first worksheet (xl/worksheets/sheet1.xml)");
        return -1;
    }
    /* Shared strings. */
    char **strs = NULL;
    size_t nstrs = 0, capstrs = 0;
    if (ss) {
        const char *p = ss, *end = ss + slen, *si;
        while ((si = find_tag(p, end, "si")) != NULL) {
            const char *close = strstr(si, "</si>");
            const char *gt = memchr(si, '>', (size_t)(end - si));
            if (!gt)
                break;
            if (gt[-1] == '/')
                close = gt + 1 - 5; /* <si/>: empty */
            else if (!close)
                break;
            dh_buf b = {0};
            if (close > gt)
                collect_t(&b, gt + 1, close);
            if (nstrs == capstrs) {
                capstrs = capstrs ? capstrs * 2 : 256;
                strs = dh_xrealloc(strs, capstrs * sizeof *strs);
            }
            strs[nstrs++] = b.p ? dh_buf_steal(&b) : dh_xstrdup("");
            p = close + 5;
        }
    }
    /* Cells. */
    int rc = 0;
    dh_xlsx_row *out = NULL;
    size_t n = 0, cap = 0;
    const char *p = ws, *end = ws + wlen, *row;
    long next_line = 1;
    while ((row = find_tag(p, end, "row")) != NULL) {
        const char *gt = memchr(row, '>', (size_t)(end - row));
        if (!gt)
            break;
        char rbuf[16];
        long line = attr(row, gt, "r", rbuf, sizeof rbuf) ? strtol(rbuf, NULL, 10) : next_line;
        next_line = line + 1;
        const char *rend = gt[-1] == '/' ? gt + 1 : strstr(gt, "</row>");
        if (!rend) {
            snprintf(err, errcap, "sheet1.xml: row %ld is not closed", line);
            rc = -1;
            break;
        }
        if (n >= DH_XLSX_ROWS_MAX) {
            snprintf(err, errcap, "the worksheet has more than %d rows", DH_XLSX_ROWS_MAX);
            rc = -1;
            break;
        }
        char **f = NULL;
        size_t nf = 0;
        const char *c = gt + 1, *cell;
        size_t next_col = 0;
        while (rc == 0 && (cell = find_tag(c, rend, "c")) != NULL) {
            const char *cgt = memchr(cell, '>', (size_t)(rend - cell));
            if (!cgt)
                break;
            char ref[16] = "", type[16] = "";
            attr(cell, cgt, "r", ref, sizeof ref);
            attr(cell, cgt, "t", type, sizeof type);
            size_t col = next_col;
            if (ref[0]) {
                col = 0;
                for (const char *q = ref; *q >= 'A' && *q <= 'Z'; q++)
                    col = col * 26 + (size_t)(*q - 'A' + 1);
                col = col ? col - 1 : 0;
            }
            next_col = col + 1;
            const char *cend = cgt[-1] == '/' ? cgt + 1 : strstr(cgt, "</c>");
            if (!cend || cend > rend) {
                snprintf(err, errcap, "sheet1.xml: row %ld: a cell is not closed", line);
                rc = -1;
                break;
            }
            if (col >= DH_XLSX_COLS_MAX) {
                snprintf(err, errcap, "row %ld has more than %d columns", line, DH_XLSX_COLS_MAX);
                rc = -1;
                break;
            }
            dh_buf b = {0};
            if (cgt[-1] != '/') {
                if (strcmp(type, "inlineStr") == 0) {
                    collect_t(&b, cgt + 1, cend);
                } else {
                    const char *v = find_tag(cgt + 1, cend, "v");
                    const char *vgt = v ? memchr(v, '>', (size_t)(cend - v)) : NULL;
                    const char *vend = vgt ? strstr(vgt, "</v>") : NULL;
                    if (vend && vend < cend) {
                        if (strcmp(type, "s") == 0) {
                            long k = strtol(vgt + 1, NULL, 10);
                            if (k < 0 || (size_t)k >= nstrs) {
                                snprintf(err, errcap, "row %ld: shared string %ld is missing",
                                         line, k);
                                rc = -1;
                            } else {
                                dh_buf_puts(&b, strs[k]);
                            }
                        } else {
                            put_text(&b, vgt + 1, vend);
                        }
                    }
                }
            }
            if (b.p && b.len) {
                if (col >= nf) {
                    f = dh_xrealloc(f, (col + 1) * sizeof *f);
                    for (size_t k = nf; k <= col; k++)
                        f[k] = NULL;
                    nf = col + 1;
                }
                free(f[col]);
                f[col] = dh_buf_steal(&b);
            }
            dh_buf_free(&b);
            c = cend;
        }
        for (size_t k = 0; k < nf; k++)
            if (!f[k])
                f[k] = dh_xstrdup("");
        if (rc || nf == 0) {
            free_strings(f, nf);
        } else {
            if (n == cap) {
                cap = cap ? cap * 2 : 64;
                out = dh_xrealloc(out, cap * sizeof *out);
            }
            out[n++] = (dh_xlsx_row){line, f, nf};
        }
        if (rc)
            break;
        p = rend;
    }
    free_strings(strs, nstrs);
    free(ss);
    free(ws);
    if (rc) {
        dh_xlsx_free(out, n);
        return -1;
    }
    *rows = out;
    *nrows = n;
    return 0;
}
