/* xlsx.c - see xlsx.h.
 *
 * Invariants, each what keeps a hostile upload from costing more than the
 * limits allow:
 * 1. Every search is bounded by the end of the element it is inside, and
 *    every loop advances past what it searched, so each byte of a part is
 *    looked at a constant number of times (no strstr to the end of a part).
 * 2. Nothing is allocated for a declared size or shape except a part's
 *    inflated size, which is checked against the limits first.
 * 3. What is kept (strings, cells, rows, text) is counted as it is kept, and
 *    the clock is read every TICK elements and between inflated chunks.
 */
#include "util/xlsx.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "util/text.h"

#define TICK 4096u
#define CHUNK (1u << 20)

static const char SHEET[] = "xl/worksheets/sheet1.xml";
static const char STRINGS[] = "xl/sharedStrings.xml";

/* ------------------------------------------------------------------ */
/* The sheet and its limits.                                          */

static double monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static double now_ms(const dh_sheet *s) { return s->lim.clock_ms ? s->lim.clock_ms() : monotonic_ms(); }

void dh_sheet_init(dh_sheet *s, const char *name, const dh_xlsx_limits *lim)
{
    memset(s, 0, sizeof *s);
    s->name = name ? name : "-";
    s->lim = lim ? *lim : DH_XLSX_LIMITS_DEFAULT;
    s->deadline = now_ms(s) + (double)s->lim.budget_ms;
}

void dh_sheet_free(dh_sheet *s)
{
    free(s->rows);
    free(s->cells);
    free(s->offs);
    free(s->first);
    dh_buf_free(&s->text);
    const char *name = s->name;
    dh_xlsx_limits lim = s->lim;
    memset(s, 0, sizeof *s);
    s->name = name;
    s->lim = lim;
}

/* "A", "Z", "AA", ... for column index col (A = 0). */
static void col_name(size_t col, char *out)
{
    char tmp[16];
    size_t n = 0;
    for (col++; col && n < sizeof tmp; col = (col - 1) / 26)
        tmp[n++] = (char)('A' + (col - 1) % 26);
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    out[n] = '\0';
}

/* "NAME: PART: row L: " (PART left out for a CSV file, the row when known). */
static void where(const dh_sheet *s, long line, char *out, size_t cap)
{
    int k = snprintf(out, cap, "%s: ", s->name);
    if (s->part && k >= 0 && (size_t)k < cap)
        k += snprintf(out + k, cap - (size_t)k, "%s: ", s->part);
    if (line > 0 && k >= 0 && (size_t)k < cap)
        snprintf(out + k, cap - (size_t)k, "row %ld: ", line);
}

/* Fails with the reason fmt at row line (0: none) of the current part:
 * lim names the limit passed (DH_E_TOOLARGE, "file_limit", the limit as the
 * field), or is NULL for a malformed file (DH_E_INVALID, "invalid_file"). */
static dh_status fail(const dh_sheet *s, dh_err *e, long line, const char *lim, const char *fmt,
                      ...) __attribute__((format(printf, 5, 6)));
static dh_status fail(const dh_sheet *s, dh_err *e, long line, const char *lim, const char *fmt,
                      ...)
{
    char prefix[256], reason[256];
    where(s, line, prefix, sizeof prefix);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    dh_status st = lim ? DH_E_TOOLARGE : DH_E_INVALID;
    dh_err_set(e, st, lim ? "file_limit" : "invalid_file", lim, "%s%s%s%s%s", prefix, reason,
               lim ? " (" : "", lim ? lim : "", lim ? ")" : "");
    e->line = line > 0 ? line : 0;
    return st;
}

/* Reads the clock every TICK calls; fails once the budget is spent. */
static dh_status tick(dh_sheet *s, long line, dh_err *e)
{
    if (++s->ticks % TICK || now_ms(s) <= s->deadline)
        return DH_OK;
    return fail(s, e, line, "budget_ms", "reading the file took longer than %ld ms",
                 s->lim.budget_ms);
}

dh_status dh_sheet_row_begin(dh_sheet *s, long line, dh_err *e)
{
    s->pending = 1;
    s->pending_line = line;
    return tick(s, line, e);
}

/* Adds a cell whose text (NUL-terminated) is at offset off of s->text. */
static dh_status add_cell(dh_sheet *s, size_t col, size_t off, dh_err *e)
{
    long line = s->pending ? s->pending_line : s->nrows ? s->rows[s->nrows - 1].line : 0;
    char ref[48], lastc[16];
    col_name(col, ref);
    snprintf(ref + strlen(ref), sizeof ref - strlen(ref), "%ld", line);
    if (col >= s->lim.max_columns) {
        col_name(s->lim.max_columns ? s->lim.max_columns - 1 : 0, lastc);
        return fail(s, e, line, "max_columns",
                     "cell %s: beyond column %s, the limit of %zu columns", ref, lastc,
                     s->lim.max_columns);
    }
    if (s->text.len > s->lim.max_text_bytes)
        return fail(s, e, line, "max_text_bytes", "cell %s: more than %zu bytes of text", ref,
                     s->lim.max_text_bytes);
    if (s->ncells >= s->lim.max_cells)
        return fail(s, e, line, "max_cells", "cell %s: more than %zu cells", ref,
                     s->lim.max_cells);
    if (s->pending) {
        if (s->nrows >= s->lim.max_rows)
            return fail(s, e, line, "max_rows", "more than %zu rows", s->lim.max_rows);
        if (s->nrows == s->caprows) {
            s->caprows = s->caprows ? s->caprows * 2 : 64;
            s->rows = dh_xrealloc(s->rows, s->caprows * sizeof *s->rows);
            s->first = dh_xrealloc(s->first, s->caprows * sizeof *s->first);
        }
        s->rows[s->nrows] = (dh_sheet_row){line, NULL, 0};
        s->first[s->nrows++] = s->ncells;
        s->pending = 0;
    } else if (s->nrows == 0 || s->cells[s->ncells - 1].col >= col) {
        return fail(s, e, line, NULL, "cell %s comes after a cell at or to its right", ref);
    }
    if (s->ncells == s->capcells) {
        s->capcells = s->capcells ? s->capcells * 2 : 256;
        s->cells = dh_xrealloc(s->cells, s->capcells * sizeof *s->cells);
        s->offs = dh_xrealloc(s->offs, s->capcells * sizeof *s->offs);
    }
    s->cells[s->ncells] = (dh_sheet_cell){col, NULL};
    s->offs[s->ncells++] = off;
    s->rows[s->nrows - 1].nc++;
    return tick(s, line, e);
}

dh_status dh_sheet_cell_add(dh_sheet *s, size_t col, const char *v, size_t n, dh_err *e)
{
    if (n == 0)
        return DH_OK;
    size_t off = s->text.len;
    dh_buf_append(&s->text, v, n);
    dh_buf_putc(&s->text, '\0');
    return add_cell(s, col, off, e);
}

void dh_sheet_end(dh_sheet *s)
{
    for (size_t i = 0; i < s->nrows; i++)
        s->rows[i].c = s->cells + s->first[i];
    for (size_t k = 0; k < s->ncells; k++)
        s->cells[k].v = s->text.p + s->offs[k];
    free(s->offs);
    free(s->first);
    s->offs = NULL;
    s->first = NULL;
    s->pending = 0;
}

const char *dh_sheet_at(const dh_sheet_row *r, size_t col)
{
    size_t lo = 0, hi = r->nc;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r->c[mid].col == col)
            return r->c[mid].v;
        if (r->c[mid].col < col)
            lo = mid + 1;
        else
            hi = mid;
    }
    return "";
}

/* ------------------------------------------------------------------ */
/* Zip.                                                               */

static uint16_t rd16(const unsigned char *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static dh_status bad(dh_sheet *s, dh_err *e, const char *reason)
{
    return fail(s, e, 0, NULL, "%s", reason);
}

/* Inflates raw deflate [in, in+csize) into out (exactly usize bytes), in
 * chunks with the clock read between them. */
static dh_status inflate_part(dh_sheet *s, const unsigned char *in, size_t csize,
                              unsigned char *out, size_t usize, dh_err *e)
{
    z_stream zs = {0};
    if (inflateInit2(&zs, -MAX_WBITS) != Z_OK)
        return bad(s, e, "cannot inflate");
    zs.next_in = (unsigned char *)in;
    zs.avail_in = (uInt)csize;
    zs.next_out = out;
    int rc = Z_OK;
    dh_status st = DH_OK;
    while (rc == Z_OK) {
        size_t room = usize - zs.total_out;
        zs.avail_out = (uInt)(room < CHUNK ? room : CHUNK);
        rc = inflate(&zs, Z_NO_FLUSH);
        if (rc == Z_BUF_ERROR && zs.avail_out == 0 && zs.total_out == usize) {
            /* Output full but the stream goes on: more than declared. */
            unsigned char probe;
            zs.next_out = &probe;
            zs.avail_out = 1;
            rc = inflate(&zs, Z_NO_FLUSH);
            if (rc != Z_STREAM_END || zs.total_out != usize)
                rc = Z_DATA_ERROR;
            break;
        }
        if (rc == Z_OK && now_ms(s) > s->deadline) {
            st = fail(s, e, 0, "budget_ms", "inflating took longer than %ld ms",
                       s->lim.budget_ms);
            break;
        }
    }
    size_t got = zs.total_out;
    inflateEnd(&zs);
    if (st)
        return st;
    if (rc != Z_STREAM_END || got != usize)
        return fail(s, e, 0, NULL, "cannot inflate: the data does not match its declared %zu bytes",
                     usize);
    return DH_OK;
}

/* Finds entry name and inflates it into *out (NUL-terminated); *out stays
 * NULL with DH_OK when the entry is not there. *total counts the inflated
 * bytes of every part so far. */
static dh_status zip_get(dh_sheet *s, const unsigned char *z, size_t len, const char *name,
                         char **out, size_t *out_len, size_t *total, dh_err *e)
{
    *out = NULL;
    *out_len = 0;
    s->part = NULL;
    if (len < 22)
        return bad(s, e, "not a zip file (too short)");
    /* The end-of-central-directory record is within the last 64 KiB + 22. */
    size_t lo = len > 65557 ? len - 65557 : 0;
    size_t eocd = (size_t)-1;
    for (size_t i = len - 22 + 1; i-- > lo;)
        if (rd32(z + i) == 0x06054b50) {
            eocd = i;
            break;
        }
    if (eocd == (size_t)-1)
        return bad(s, e, "not a zip file (no central directory)");
    size_t count = rd16(z + eocd + 10);
    size_t cd = rd32(z + eocd + 16);
    size_t nlen = strlen(name);
    for (size_t k = 0, p = cd; k < count; k++) {
        if (p > len || len - p < 46 || rd32(z + p) != 0x02014b50)
            return bad(s, e, "corrupt zip central directory");
        unsigned method = rd16(z + p + 10);
        size_t csize = rd32(z + p + 20), usize = rd32(z + p + 24);
        size_t fnl = rd16(z + p + 28), exl = rd16(z + p + 30), cml = rd16(z + p + 32);
        size_t loff = rd32(z + p + 42);
        if (len - p - 46 < fnl)
            return bad(s, e, "corrupt zip central directory");
        if (fnl != nlen || memcmp(z + p + 46, name, nlen) != 0) {
            p += 46 + fnl + exl + cml;
            continue;
        }
        s->part = name;
        if (loff > len || len - loff < 30 || rd32(z + loff) != 0x04034b50)
            return bad(s, e, "corrupt zip entry");
        size_t data = loff + 30 + rd16(z + loff + 26) + rd16(z + loff + 28);
        if (data > len || csize > len - data)
            return bad(s, e, "truncated zip entry");
        if (usize > s->lim.max_part_bytes)
            return fail(s, e, 0, "max_part_bytes",
                         "inflates to %zu bytes, more than the limit of %zu", usize,
                         s->lim.max_part_bytes);
        /* No overflow: *total and usize are each at most a limit. */
        if (*total + usize > s->lim.max_total_bytes)
            return fail(s, e, 0, "max_total_bytes",
                         "the parts inflate to more than %zu bytes together",
                         s->lim.max_total_bytes);
        if (method != 0 && method != 8)
            return bad(s, e, "unsupported zip compression");
        if (method == 0 && csize != usize)
            return bad(s, e, "corrupt zip entry (stored sizes differ)");
        unsigned char *buf = dh_xmalloc(usize + 1);
        dh_status st = DH_OK;
        if (method == 0)
            memcpy(buf, z + data, usize);
        else
            st = inflate_part(s, z + data, csize, buf, usize, e);
        if (st) {
            free(buf);
            return st;
        }
        buf[usize] = '\0';
        *total += usize;
        *out = (char *)buf;
        *out_len = usize;
        return DH_OK;
    }
    return DH_OK;
}

/* ------------------------------------------------------------------ */
/* XML scanning.                                                      */

/* The first occurrence of the short string lit in [p, end), or NULL. */
static const char *find_str(const char *p, const char *end, const char *lit)
{
    size_t n = strlen(lit);
    while (p && (size_t)(end - p) >= n) {
        p = memchr(p, lit[0], (size_t)(end - p) - n + 1);
        if (!p)
            return NULL;
        if (memcmp(p, lit, n) == 0)
            return p;
        p++;
    }
    return NULL;
}

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

/* The code point of the character reference [s, s+n) ("&#233" or
 * "&#xE9", without its ';'), or 0 when it is not one. */
static unsigned long char_ref(const char *s, size_t n)
{
    bool hex = n > 3 && s[2] == 'x';
    const char *digits = s + (hex ? 3 : 2), *end = s + n;
    unsigned long cp = 0;
    if (digits == end)
        return 0;
    for (const char *q = digits; q < end; q++) {
        int d = *q >= '0' && *q <= '9'                 ? *q - '0'
                : hex && *q >= 'a' && *q <= 'f'       ? *q - 'a' + 10
                : hex && *q >= 'A' && *q <= 'F'       ? *q - 'A' + 10
                                                      : -1;
        if (d < 0 || cp > 0x10FFFF)
            return 0;
        cp = cp * (hex ? 16 : 10) + (unsigned long)d;
    }
    return cp;
}

/* True for a code point XML allows in a document (XML 1.0 section 2.2): no
 * NUL or other C0 control but tab, LF and CR, no surrogate, nothing past
 * U+10FFFF. The decoded text stays valid UTF-8 without NUL bytes. */
static bool xml_char(unsigned long cp)
{
    return cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) ||
           (cp >= 0xE000 && cp <= 0xFFFD) || (cp >= 0x10000 && cp <= 0x10FFFF);
}

/* Appends the text of [s, end) with entities decoded. A character
 * reference that is not an XML character ("&#0;", a surrogate) is kept as
 * written, like an unknown entity. An entity is at most
 * 10 bytes, so the search for its ';' looks no further (invariant 1). */
static void put_text(dh_buf *b, const char *s, const char *end)
{
    while (s < end) {
        const char *amp = memchr(s, '&', (size_t)(end - s));
        if (!amp) {
            dh_buf_append(b, s, (size_t)(end - s));
            return;
        }
        dh_buf_append(b, s, (size_t)(amp - s));
        s = amp;
        size_t room = (size_t)(end - s) < 11 ? (size_t)(end - s) : 11;
        const char *semi = memchr(s, ';', room);
        if (!semi) {
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
        else if (n > 2 && s[1] == '#' && xml_char(char_ref(s, n)))
            put_utf8(b, char_ref(s, n));
        else
            dh_buf_append(b, s, n + 1);
        s = semi + 1;
    }
}

/* The next element named tag (exactly: "<t>", "<t " or "<t/" but not "<tx")
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
        const char *close = find_str(gt + 1, end, "</t>");
        if (!close)
            return;
        put_text(b, gt + 1, close);
        p = close + 4;
    }
}

/* The value of attribute name in the start tag [tag, gt), copied to out. */
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

/* ------------------------------------------------------------------ */
/* The workbook.                                                      */

typedef struct strings {
    size_t *off, *len; /* into the sheet's text */
    size_t n;
} strings;

/* Reads every <si> of [p, end) into the sheet's text. */
static dh_status read_strings(dh_sheet *s, const char *p, const char *end, strings *ss, dh_err *e)
{
    size_t cap = 0;
    const char *si;
    while ((si = find_tag(p, end, "si")) != NULL) {
        const char *gt = memchr(si, '>', (size_t)(end - si));
        if (!gt)
            return fail(s, e, 0, NULL, "shared string %zu is not closed", ss->n);
        if (ss->n >= s->lim.max_strings)
            return fail(s, e, 0, "max_strings", "more than %zu shared strings",
                         s->lim.max_strings);
        size_t off = s->text.len;
        if (gt[-1] == '/') {
            p = gt + 1;
        } else {
            const char *close = find_str(gt + 1, end, "</si>");
            if (!close)
                return fail(s, e, 0, NULL, "shared string %zu is not closed", ss->n);
            collect_t(&s->text, gt + 1, close);
            p = close + 5;
        }
        size_t n = s->text.len - off;
        dh_buf_putc(&s->text, '\0');
        if (s->text.len > s->lim.max_text_bytes)
            return fail(s, e, 0, "max_text_bytes",
                         "shared string %zu: more than %zu bytes of text", ss->n,
                         s->lim.max_text_bytes);
        if (ss->n == cap) {
            cap = cap ? cap * 2 : 256;
            ss->off = dh_xrealloc(ss->off, cap * sizeof *ss->off);
            ss->len = dh_xrealloc(ss->len, cap * sizeof *ss->len);
        }
        ss->off[ss->n] = off;
        ss->len[ss->n++] = n;
        dh_status st = tick(s, 0, e);
        if (st)
            return st;
    }
    return DH_OK;
}

/* Reads one <c> element [cell, cend) whose start tag ends at cgt. */
static dh_status read_cell(dh_sheet *s, const strings *ss, long line, size_t col,
                           const char *cell, const char *cgt, const char *cend, dh_err *e)
{
    if (cgt[-1] == '/')
        return DH_OK;
    char type[16] = "";
    attr(cell, cgt, "t", type, sizeof type);
    size_t off = s->text.len;
    if (strcmp(type, "inlineStr") == 0) {
        collect_t(&s->text, cgt + 1, cend);
    } else {
        const char *v = find_tag(cgt + 1, cend, "v");
        const char *vgt = v ? memchr(v, '>', (size_t)(cend - v)) : NULL;
        const char *vend = vgt && vgt[-1] != '/' ? find_str(vgt + 1, cend, "</v>") : NULL;
        if (!vend)
            return DH_OK;
        if (strcmp(type, "s") == 0) {
            size_t k = 0;
            const char *q = vgt + 1;
            while (q < vend && *q == ' ')
                q++;
            bool digits = q < vend;
            for (; q < vend && *q >= '0' && *q <= '9' && k <= ss->n; q++)
                k = k * 10 + (size_t)(*q - '0');
            if (!digits || k >= ss->n) {
                char ref[16];
                col_name(col, ref);
                return fail(s, e, line, NULL, "cell %s%ld: shared string %.*s is missing", ref,
                             line, (int)(vend - vgt - 1 < 12 ? vend - vgt - 1 : 12), vgt + 1);
            }
            /* The cell points at the shared string's text: no copy. */
            return ss->len[k] ? add_cell(s, col, ss->off[k], e) : DH_OK;
        }
        put_text(&s->text, vgt + 1, vend);
    }
    if (s->text.len == off)
        return DH_OK;
    dh_buf_putc(&s->text, '\0');
    return add_cell(s, col, off, e);
}

/* Reads the rows of the worksheet [p, end). */
static dh_status read_rows(dh_sheet *s, const strings *ss, const char *p, const char *end,
                           dh_err *e)
{
    long next_line = 1;
    const char *row;
    while ((row = find_tag(p, end, "row")) != NULL) {
        const char *gt = memchr(row, '>', (size_t)(end - row));
        if (!gt)
            return fail(s, e, next_line, NULL, "the row is not closed");
        char rbuf[16];
        long line = attr(row, gt, "r", rbuf, sizeof rbuf) ? strtol(rbuf, NULL, 10) : next_line;
        next_line = line + 1;
        const char *rend = gt[-1] == '/' ? gt + 1 : find_str(gt + 1, end, "</row>");
        if (!rend)
            return fail(s, e, line, NULL, "the row is not closed");
        dh_status st = dh_sheet_row_begin(s, line, e);
        const char *c = gt + 1, *cell;
        size_t next_col = 0;
        while (st == DH_OK && c < rend && (cell = find_tag(c, rend, "c")) != NULL) {
            const char *cgt = memchr(cell, '>', (size_t)(rend - cell));
            if (!cgt)
                return fail(s, e, line, NULL, "a cell is not closed");
            char ref[16] = "";
            size_t col = next_col;
            if (attr(cell, cgt, "r", ref, sizeof ref) && ref[0] >= 'A' && ref[0] <= 'Z') {
                col = 0;
                /* Capped: anything past the limit is refused anyway. */
                for (const char *q = ref; *q >= 'A' && *q <= 'Z'; q++)
                    col = col > (SIZE_MAX >> 5) ? col : col * 26 + (size_t)(*q - 'A' + 1);
                col--;
            }
            next_col = col + 1;
            const char *cend = cgt[-1] == '/' ? cgt + 1 : find_str(cgt + 1, rend, "</c>");
            if (!cend)
                return fail(s, e, line, NULL, "a cell is not closed");
            st = read_cell(s, ss, line, col, cell, cgt, cend, e);
            if (st == DH_OK)
                st = tick(s, line, e);
            c = cend;
        }
        if (st)
            return st;
        p = rend;
    }
    return DH_OK;
}

/* Refuses a part (NULL: absent, fine) that is not UTF-8 text. */
static dh_status utf8_part(dh_sheet *s, const char *part, const char *text, size_t len,
                           dh_err *e)
{
    long bad_at = text ? dh_utf8_invalid_offset(text, len) : -1;
    if (bad_at < 0)
        return DH_OK;
    s->part = part;
    return fail(s, e, 0, NULL, "not UTF-8 text (%s at byte %ld)",
                text[bad_at] ? "a malformed sequence" : "a NUL byte", bad_at);
}

dh_status dh_xlsx_read(const void *data, size_t len, const char *name,
                       const dh_xlsx_limits *lim, dh_sheet *s, dh_err *e)
{
    const unsigned char *z = data;
    dh_sheet_init(s, name, lim);
    char *ssx = NULL, *ws = NULL;
    size_t slen = 0, wlen = 0, total = 0;
    strings ss = {0};
    dh_status st = zip_get(s, z, len, STRINGS, &ssx, &slen, &total, e);
    if (st == DH_OK)
        st = zip_get(s, z, len, SHEET, &ws, &wlen, &total, e);
    /* XML parts are UTF-8 text: a NUL byte or a malformed sequence would
     * reach the cells (and the importers) as a cut or invalid string. */
    if (st == DH_OK)
        st = utf8_part(s, STRINGS, ssx, slen, e);
    if (st == DH_OK)
        st = utf8_part(s, SHEET, ws, wlen, e);
    if (st == DH_OK && !ws) {
        s->part = NULL;
        st = fail(s, e, 0, NULL, "the workbook has no first worksheet (%s)", SHEET);
    }
    if (st == DH_OK && ssx) {
        s->part = STRINGS;
        st = read_strings(s, ssx, ssx + slen, &ss, e);
    }
    free(ssx);
    if (st == DH_OK) {
        s->part = SHEET;
        st = read_rows(s, &ss, ws, ws + wlen, e);
    }
    free(ws);
    free(ss.off);
    free(ss.len);
    if (st) {
        dh_sheet_free(s);
        return st;
    }
    s->part = NULL;
    dh_sheet_end(s);
    return DH_OK;
}
