/* gzip.c - gzip compression of replies and Accept-Encoding (gzip.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#include "util/buf.h"
#include "util/gzip.h"

/* The q-value of one list element's parameters ("q=0.5"), 1 when absent. */
static double qvalue(const char *params, size_t n)
{
    const char *p = params, *end = params + n;
    while (p < end) {
        while (p < end && (*p == ';' || *p == ' ' || *p == '\t'))
            p++;
        if (end - p >= 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
            char num[8] = "";
            size_t k = 0;
            for (p += 2; p < end && k + 1 < sizeof num && strchr("0123456789.", *p); p++)
                num[k++] = *p;
            return k ? strtod(num, NULL) : 1;
        }
        while (p < end && *p != ';')
            p++;
    }
    return 1;
}

bool dh_accepts_gzip(const char *ae)
{
    double gzip = -1, star = -1;
    for (const char *p = ae; p && *p;) {
        size_t n = strcspn(p, ",");
        const char *tok = p;
        while (tok < p + n && (*tok == ' ' || *tok == '\t'))
            tok++;
        size_t tn = strcspn(tok, ";, \t");
        if (tn > (size_t)(p + n - tok))
            tn = (size_t)(p + n - tok);
        double q = qvalue(tok + tn, (size_t)(p + n - tok - tn));
        if ((tn == 4 && strncasecmp(tok, "gzip", 4) == 0) ||
            (tn == 6 && strncasecmp(tok, "x-gzip", 6) == 0))
            gzip = q;
        else if (tn == 1 && *tok == '*')
            star = q;
        p += n;
        if (*p == ',')
            p++;
    }
    return gzip >= 0 ? gzip > 0 : star > 0;
}

bool dh_gzip_compressible(const char *type)
{
    static const char *const kinds[] = {"text/", "application/json", "application/geo+json",
                                        "application/xml", "image/svg+xml"};
    for (size_t i = 0; type && i < sizeof kinds / sizeof *kinds; i++)
        if (strncmp(type, kinds[i], strlen(kinds[i])) == 0)
            return true;
    return false;
}

char *dh_gzip(const void *in, size_t n, size_t *out_len)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    *out_len = 0;
    /* 15 + 16: the largest window, with a gzip header and trailer. */
    if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return NULL;
    uLong cap = deflateBound(&z, (uLong)n);
    char *out = dh_xmalloc(cap);
    z.next_in = (Bytef *)(uintptr_t)in;
    z.avail_in = (uInt)n;
    z.next_out = (Bytef *)out;
    z.avail_out = (uInt)cap;
    int rc = deflate(&z, Z_FINISH);
    size_t got = z.total_out;
    deflateEnd(&z);
    if (rc != Z_STREAM_END) {
        free(out);
        return NULL;
    }
    *out_len = got;
    return out;
}
