/* multipart.c - see multipart.h. */
#include "util/multipart.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static const char *find(const char *h, size_t hn, const char *n, size_t nn)
{
    if (nn == 0 || hn < nn)
        return NULL;
    for (const char *p = h; p + nn <= h + hn; p++) {
        p = memchr(p, n[0], (size_t)(h + hn - p));
        if (!p || p + nn > h + hn)
            return NULL;
        if (memcmp(p, n, nn) == 0)
            return p;
    }
    return NULL;
}

int dh_multipart_boundary(const char *ct, char *out, size_t cap)
{
    static const char type[] = "multipart/form-data";
    if (!ct || strncasecmp(ct, type, sizeof type - 1) != 0)
        return -1;
    const char *b = strcasestr(ct, "boundary=");
    if (!b)
        return -1;
    b += 9;
    size_t n;
    if (*b == '"') {
        const char *q = strchr(++b, '"');
        if (!q)
            return -1;
        n = (size_t)(q - b);
    } else {
        n = strcspn(b, "; \t");
    }
    if (n == 0 || n > 70 || n + 1 > cap)
        return -1;
    memcpy(out, b, n);
    out[n] = '\0';
    return 0;
}

/* The value of param (name= or filename=) in a Content-Disposition line
 * [p, end), quoted, into out; false when absent. */
static bool disp_param(const char *p, const char *end, const char *param, char *out, size_t cap)
{
    size_t pn = strlen(param);
    for (const char *q = p; q + pn + 2 <= end; q++) {
        bool start = q == p || q[-1] == ';' || q[-1] == ' ' || q[-1] == '\t';
        if (!start || strncasecmp(q, param, pn) != 0 || q[pn] != '=')
            continue;
        const char *v = q + pn + 1, *ve;
        if (*v == '"') {
            v++;
            ve = memchr(v, '"', (size_t)(end - v));
            if (!ve)
                return false;
        } else {
            ve = v;
            while (ve < end && *ve != ';')
                ve++;
        }
        size_t n = (size_t)(ve - v);
        if (n + 1 > cap)
            n = cap - 1;
        memcpy(out, v, n);
        out[n] = '\0';
        return true;
    }
    return false;
}

int dh_multipart_parse(const char *body, size_t len, const char *boundary, dh_mpart *parts,
                       int max)
{
    char delim[80];
    int dn = snprintf(delim, sizeof delim, "--%s", boundary);
    if (dn <= 2 || (size_t)dn >= sizeof delim || !body)
        return -1;
    const char *end = body + len;
    const char *p = find(body, len, delim, (size_t)dn);
    if (!p)
        return -1;
    int n = 0;
    for (;;) {
        p += dn;
        if (end - p >= 2 && p[0] == '-' && p[1] == '-')
            return n; /* the closing delimiter */
        if (end - p < 2 || p[0] != '\r' || p[1] != '\n')
            return -1;
        p += 2;
        const char *hend = find(p, (size_t)(end - p), "\r\n\r\n", 4);
        if (!hend || n == max)
            return -1;
        dh_mpart *m = &parts[n];
        memset(m, 0, sizeof *m);
        bool named = false, disposed = false;
        for (const char *line = p; line < hend;) {
            const char *le = find(line, (size_t)(hend + 2 - line), "\r\n", 2);
            if (!le)
                le = hend;
            static const char cd[] = "content-disposition:";
            if ((size_t)(le - line) > sizeof cd - 1 && strncasecmp(line, cd, sizeof cd - 1) == 0) {
                if (disposed)
                    return -1; /* one Content-Disposition a part (RFC 7578 4.2) */
                disposed = true;
                named = disp_param(line + sizeof cd - 1, le, "name", m->name, sizeof m->name);
                m->is_file =
                    disp_param(line + sizeof cd - 1, le, "filename", m->filename, sizeof m->filename);
            }
            line = le + 2;
        }
        if (!named)
            return -1;
        m->data = hend + 4;
        /* the part ends at CRLF followed by the delimiter */
        char next[84];
        int nn = snprintf(next, sizeof next, "\r\n%s", delim);
        const char *q = find(m->data, (size_t)(end - m->data), next, (size_t)nn);
        if (!q)
            return -1;
        m->len = (size_t)(q - m->data);
        n++;
        p = q + 2;
    }
}
