/* cadence.c - see cadence.h. Clauses are matched on their folded form
 * (lower case, no diacritics: "hằng năm" and "hàng năm" are both
 * "hang nam"). */
#include "core/cadence.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/text.h"

const char *dh_report_every_name(dh_report_every e)
{
    switch (e) {
    case DH_REPORT_MONTHLY: return "monthly";
    case DH_REPORT_QUARTERLY: return "quarterly";
    case DH_REPORT_HALF_YEARLY: return "half_yearly";
    case DH_REPORT_YEARLY: return "yearly";
    case DH_REPORT_NONE: break;
    }
    return "none";
}

/* w occurs in f as whole words. */
static bool has(const char *f, const char *w)
{
    size_t n = strlen(w);
    for (const char *p = strstr(f, w); p; p = strstr(p + 1, w)) {
        bool left = p == f || p[-1] == ' ' || p[-1] == ',' || p[-1] == '(';
        char r = p[n];
        if (left && (r == '\0' || r == ' ' || r == ',' || r == ')' || r == '.'))
            return true;
    }
    return false;
}

/* "quý" (folded "quy") meaning a quarter after prefix ("" for the bare
 * word): not "quy định", "quy chế", "quy trình", "quy mô", "quy hoạch". */
static bool quarter_word(const char *f, const char *prefix)
{
    static const char *const not_q[] = {"dinh", "che", "trinh", "mo", "hoach", "chuan", "tac"};
    char w[32];
    snprintf(w, sizeof w, "%s%squy", prefix, *prefix ? " " : "");
    size_t n = strlen(w);
    for (const char *p = strstr(f, w); p; p = strstr(p + 1, w)) {
        if (!(p == f || p[-1] == ' ' || p[-1] == ',' || p[-1] == '('))
            continue;
        const char *r = p + n;
        if (*r && *r != ' ' && *r != ',' && *r != ')' && *r != '.')
            continue;
        bool other = false;
        for (size_t i = 0; *r == ' ' && i < sizeof not_q / sizeof *not_q && !other; i++) {
            size_t k = strlen(not_q[i]);
            other = strncmp(r + 1, not_q[i], k) == 0 && (r[1 + k] == '\0' || r[1 + k] == ' ' ||
                                                         r[1 + k] == ',' || r[1 + k] == '.');
        }
        if (!other)
            return true;
    }
    return false;
}

static int months_of(dh_report_every e)
{
    return e == DH_REPORT_MONTHLY     ? 1
           : e == DH_REPORT_QUARTERLY ? 3
           : e == DH_REPORT_HALF_YEARLY ? 6
           : e == DH_REPORT_YEARLY    ? 12
                                      : 0;
}

/* "truoc ngay N" or "truoc ngay N/M": day and month (0 when not printed). */
static bool read_day(const char *f, int *day, int *month)
{
    const char *p = strstr(f, "truoc ngay ");
    if (!p)
        return false;
    p += 11;
    char *end;
    long d = strtol(p, &end, 10);
    if (end == p || d < 1 || d > 31)
        return false;
    *day = (int)d;
    *month = 0;
    if (*end == '/') {
        const char *q = end + 1;
        long m = strtol(q, &end, 10);
        if (end != q && m >= 1 && m <= 12)
            *month = (int)m;
    }
    return true;
}

/* The cadence of one folded clause: 1 a period, 0 only "định kỳ", -1 none. */
static int clause(const char *f, bool field, dh_cadence *c)
{
    bool report = field || strstr(f, "bao cao") != NULL;
    if (!report)
        return -1;
    bool periodic = has(f, "dinh ky");
    /* "quý" alone is a quarter's name ("Quý IV/2024") unless the clause is
     * about periodic reports ("định kỳ ... hàng tháng, quý"). */
    bool quarter = quarter_word(f, "hang") || quarter_word(f, "theo") ||
                   (periodic && quarter_word(f, ""));
    dh_report_every e = DH_REPORT_NONE;
    if (has(f, "hang thang") || has(f, "moi thang"))
        e = DH_REPORT_MONTHLY;
    else if (quarter)
        e = DH_REPORT_QUARTERLY;
    else if (has(f, "6 thang") || has(f, "sau thang"))
        e = DH_REPORT_HALF_YEARLY;
    else if (has(f, "hang nam") || has(f, "ca nam") || has(f, "1 nam") || has(f, "moi nam"))
        e = DH_REPORT_YEARLY;
    if (e == DH_REPORT_NONE) {
        if (field || !periodic)
            return -1;
        c->rule = DH_REPORT_RULE_DEFAULT;
        c->unspecified = true;
        c->day_printed = false;
        return 0;
    }
    c->unspecified = false;
    c->rule = (dh_report_rule){e, 1, 10};
    int day, month;
    c->day_printed = read_day(f, &day, &month);
    if (c->day_printed) {
        c->rule.day = day;
        if (month && e != DH_REPORT_MONTHLY)
            c->rule.month_offset = month % months_of(e);
    }
    return 1;
}

static bool is_break(const char *s, const char *start)
{
    if (*s == '.' || *s == ';' || *s == '\n')
        return true;
    /* a bullet "- " or "+ " after a space */
    return (*s == '-' || *s == '+') && s[1] == ' ' && (s == start || s[-1] == ' ');
}

bool dh_cadence_parse(const char *text, bool field, dh_cadence *out)
{
    memset(out, 0, sizeof *out);
    out->rule = DH_REPORT_RULE_DEFAULT;
    if (!text)
        return false;
    const char *p = text;
    bool periodic = false;
    while (*p) {
        const char *q = p;
        while (*q && !is_break(q, text))
            q++;
        size_t n = (size_t)(q - p);
        char *part = dh_xmalloc(n + 1);
        memcpy(part, p, n);
        part[n] = '\0';
        char *f = dh_text_fold(part);
        dh_cadence c = {0};
        int k = clause(f, field, &c);
        free(f);
        if (k >= 0 && (k == 1 || !periodic)) {
            const char *t = part;
            while (*t == ' ' || *t == '-' || *t == '+')
                t++;
            dh_text_clip(t, 120, c.phrase, sizeof c.phrase);
            size_t len = strlen(c.phrase);
            while (len && c.phrase[len - 1] == ' ')
                c.phrase[--len] = '\0';
            c.found = true;
            *out = c;
            periodic = true;
        }
        free(part);
        if (k == 1)
            return true;
        p = *q ? q + 1 : q;
    }
    return out->found;
}
