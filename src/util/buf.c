/* buf.c - growable buffer and aborting allocators. */
#include "util/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void oom(void)
{
    fputs("dieuhanh: out of memory\n", stderr);
    abort();
}

void *dh_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom();
    return p;
}

void *dh_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        oom();
    return p;
}

void *dh_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        oom();
    return q;
}

char *dh_xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = dh_xmalloc(n);
    memcpy(p, s, n);
    return p;
}

static void reserve(dh_buf *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + extra + 1)
        cap *= 2;
    b->p = dh_xrealloc(b->p, cap);
    b->cap = cap;
}

void dh_buf_append(dh_buf *b, const void *data, size_t n)
{
    reserve(b, n);
    if (n)
        memcpy(b->p + b->len, data, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void dh_buf_puts(dh_buf *b, const char *s) { dh_buf_append(b, s, strlen(s)); }

void dh_buf_putc(dh_buf *b, char c) { dh_buf_append(b, &c, 1); }

void dh_buf_json_str(dh_buf *b, const char *s)
{
    size_t n = strlen(s), run = 0;
    dh_buf_putc(b, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch >= 0x20 && ch != '"' && ch != '\\')
            continue;
        dh_buf_append(b, s + run, i - run);
        run = i + 1;
        switch (ch) {
        case '"': dh_buf_puts(b, "\\\""); break;
        case '\\': dh_buf_puts(b, "\\\\"); break;
        case '\n': dh_buf_puts(b, "\\n"); break;
        case '\r': dh_buf_puts(b, "\\r"); break;
        case '\t': dh_buf_puts(b, "\\t"); break;
        default: dh_buf_printf(b, "\\u%04x", ch);
        }
    }
    dh_buf_append(b, s + run, n - run);
    dh_buf_putc(b, '"');
}

void dh_buf_int(dh_buf *b, long long v)
{
    char s[24];
    int i = (int)sizeof s;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do
        s[--i] = (char)('0' + u % 10);
    while (u /= 10);
    if (v < 0)
        s[--i] = '-';
    dh_buf_append(b, s + i, sizeof s - (size_t)i);
}

void dh_buf_le32(dh_buf *b, uint32_t v)
{
    unsigned char x[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 24)};
    dh_buf_append(b, x, 4);
}

void dh_buf_le64(dh_buf *b, uint64_t v)
{
    dh_buf_le32(b, (uint32_t)v);
    dh_buf_le32(b, (uint32_t)(v >> 32));
}

uint32_t dh_le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

uint64_t dh_le64(const unsigned char *p) { return dh_le32(p) | (uint64_t)dh_le32(p + 4) << 32; }

bool dh_le32_take(const unsigned char **p, const unsigned char *end, uint32_t *v)
{
    if (end - *p < 4)
        return false;
    *v = dh_le32(*p);
    *p += 4;
    return true;
}

bool dh_le64_take(const unsigned char **p, const unsigned char *end, uint64_t *v)
{
    if (end - *p < 8)
        return false;
    *v = dh_le64(*p);
    *p += 8;
    return true;
}

void dh_buf_printf(dh_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    reserve(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

char *dh_buf_steal(dh_buf *b)
{
    char *p = b->p ? b->p : dh_xstrdup("");
    b->p = NULL;
    b->len = b->cap = 0;
    return p;
}

void dh_buf_reset(dh_buf *b)
{
    b->len = 0;
    if (b->p)
        b->p[0] = '\0';
}

void dh_buf_free(dh_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

void dh_buf_read_all(dh_buf *b, FILE *f)
{
    char tmp[65536];
    size_t n;
    dh_buf_append(b, "", 0);
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
        dh_buf_append(b, tmp, n);
}
