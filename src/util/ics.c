/* ics.c - iCalendar all-day events; see ics.h. */
#include "util/ics.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/buf.h"
#include "util/text.h"

#define ICS_FOLD_WIDTH 75 /* octets per physical line, CRLF excluded */
#define ICS_MAX_DEPTH 32  /* nesting of components */

/* ---- Writing ------------------------------------------------------------ */

static bool utf8_continuation(char c) { return ((unsigned char)c & 0xC0) == 0x80; }

/* Writes one content line folded at 75 octets (a continuation line starts
 * with a space, which counts), never inside a UTF-8 sequence, then CRLF. */
static void put_folded(FILE *f, const char *s, size_t len)
{
    size_t pos = 0, width = ICS_FOLD_WIDTH;
    while (len - pos > width) {
        size_t cut = pos + width;
        while (cut > pos && utf8_continuation(s[cut]))
            cut--;
        if (cut == pos) /* not UTF-8 at all: cut anywhere rather than loop */
            cut = pos + width;
        fwrite(s + pos, 1, cut - pos, f);
        fputs("\r\n ", f);
        pos = cut;
        width = ICS_FOLD_WIDTH - 1;
    }
    fwrite(s + pos, 1, len - pos, f);
    fputs("\r\n", f);
}

/* Appends s escaped as an RFC 5545 TEXT value. CRLF and lone CR become \n;
 * other control characters but TAB are not allowed in TEXT and are dropped. */
static void append_escaped(dh_buf *b, const char *s)
{
    for (const char *p = s ? s : ""; *p; p++) {
        unsigned char c = (unsigned char)*p;
        switch (c) {
        case '\\':
        case ';':
        case ',':
            dh_buf_putc(b, '\\');
            dh_buf_putc(b, (char)c);
            break;
        case '\n':
            dh_buf_puts(b, "\\n");
            break;
        case '\r':
            if (p[1] != '\n')
                dh_buf_puts(b, "\\n");
            break;
        default:
            if ((c < 0x20 && c != '\t') || c == 0x7F)
                break;
            dh_buf_putc(b, (char)c);
        }
    }
}

static void put_raw(FILE *f, const char *line) { put_folded(f, line, strlen(line)); }

static void put_text(FILE *f, const char *name, const char *value)
{
    dh_buf b = DH_BUF_INIT;
    dh_buf_puts(&b, name);
    dh_buf_putc(&b, ':');
    append_escaped(&b, value);
    put_folded(f, b.p, b.len);
    dh_buf_free(&b);
}

/* YYYYMMDD of a date. */
static void compact_date(dh_date d, char *out, size_t cap)
{
    int y, m, dd;
    dh_date_to_ymd(d, &y, &m, &dd);
    snprintf(out, cap, "%04d%02d%02d", y, m, dd);
}

void dh_ics_begin(FILE *f, const char *calname)
{
    put_raw(f, "BEGIN:VCALENDAR");
    put_raw(f, "PRODID:-//dieuhanh//calendar//VI");
    put_raw(f, "VERSION:2.0");
    put_raw(f, "CALSCALE:GREGORIAN");
    put_text(f, "X-WR-CALNAME", calname);
}

void dh_ics_write_event(FILE *f, dh_date date, const char *uid_suffix, time_t dtstamp,
                        const char *summary, const char *description, const char *x_type,
                        const char *x_kind, const char *x_confirmed)
{
    char d0[32], d1[32], stamp[48] = "19700101T000000Z", line[96];
    compact_date(date, d0, sizeof d0);
    compact_date(date + 1, d1, sizeof d1);
    struct tm tm;
    if (gmtime_r(&dtstamp, &tm))
        snprintf(stamp, sizeof stamp, "%04d%02d%02dT%02d%02d%02dZ", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);

    put_raw(f, "BEGIN:VEVENT");
    dh_buf uid = DH_BUF_INIT;
    dh_buf_printf(&uid, "UID:%s-", d0);
    append_escaped(&uid, uid_suffix);
    dh_buf_puts(&uid, "@dieuhanh");
    put_folded(f, uid.p, uid.len);
    dh_buf_free(&uid);
    snprintf(line, sizeof line, "DTSTAMP:%s", stamp);
    put_raw(f, line);
    snprintf(line, sizeof line, "DTSTART;VALUE=DATE:%s", d0);
    put_raw(f, line);
    snprintf(line, sizeof line, "DTEND;VALUE=DATE:%s", d1);
    put_raw(f, line);
    put_text(f, "SUMMARY", summary);
    if (description && *description)
        put_text(f, "DESCRIPTION", description);
    if (x_type)
        put_text(f, "X-DIEUHANH-TYPE", x_type);
    if (x_kind)
        put_text(f, "X-DIEUHANH-KIND", x_kind);
    if (x_confirmed)
        put_text(f, "X-DIEUHANH-CONFIRMED", x_confirmed);
    put_raw(f, "END:VEVENT");
}

void dh_ics_end(FILE *f) { put_raw(f, "END:VCALENDAR"); }

/* ---- Reading ------------------------------------------------------------ */

/* Where each physical line of a logical (unfolded) line starts in it. */
typedef struct ics_seg {
    size_t off;
    long line;
} ics_seg;

typedef struct ics_parser {
    const char *p, *end;
    long next_line; /* number of the next physical line */
    long line;      /* number of the first physical line of the current logical line */
    dh_buf b;       /* the current logical line, unfolded, NUL-terminated */
    ics_seg *segs;
    size_t nsegs, capsegs;
    const char *name;
    char *msg;
    size_t cap;
} ics_parser;

static void fail(ics_parser *ps, long line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fail(ics_parser *ps, long line, const char *fmt, ...)
{
    if (!ps->msg || ps->cap == 0)
        return;
    char reason[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    snprintf(ps->msg, ps->cap, "%s:%ld: %s", ps->name ? ps->name : "-", line, reason);
}

/* Reads the next logical line into ps->b, joining folded continuation lines
 * (their first space or tab removed); false at the end of the text. */
static bool next_line(ics_parser *ps)
{
    if (ps->p >= ps->end)
        return false;
    ps->b.len = 0;
    ps->nsegs = 0;
    ps->line = ps->next_line;
    for (;;) {
        const char *nl = memchr(ps->p, '\n', (size_t)(ps->end - ps->p));
        const char *e = nl ? nl : ps->end;
        if (e > ps->p && e[-1] == '\r')
            e--;
        if (ps->nsegs == ps->capsegs) {
            ps->capsegs = ps->capsegs ? ps->capsegs * 2 : 8;
            ps->segs = dh_xrealloc(ps->segs, ps->capsegs * sizeof *ps->segs);
        }
        ps->segs[ps->nsegs++] = (ics_seg){ps->b.len, ps->next_line};
        dh_buf_append(&ps->b, ps->p, (size_t)(e - ps->p));
        ps->p = nl ? nl + 1 : ps->end;
        ps->next_line++;
        if (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t'))
            ps->p++;
        else
            break;
    }
    return true;
}

/* The physical line and byte column of offset off in the logical line. */
static void locate(const ics_parser *ps, size_t off, long *line, long *col)
{
    size_t i = 0;
    for (size_t k = 0; k < ps->nsegs; k++)
        if (ps->segs[k].off <= off)
            i = k;
    *line = ps->segs[i].line;
    *col = (long)(off - ps->segs[i].off) + (i > 0 ? 2 : 1);
}

static bool is_blank(const char *s)
{
    for (; *s; s++)
        if (*s != ' ' && *s != '\t')
            return false;
    return true;
}

static void trim_end(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
}

static bool name_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-';
}

typedef struct ics_cline {
    char *name;   /* property name */
    char *params; /* what is between the first ';' and the ':', or NULL */
    char *value;  /* after the ':' */
} ics_cline;

/* Splits a content line NAME *(";" param) ":" value in place (a ':' inside a
 * quoted parameter value does not end the parameters). false when it is not
 * one. */
static bool split_cline(char *s, ics_cline *c)
{
    char *p = s;
    while (name_char(*p))
        p++;
    if (p == s || (*p != ';' && *p != ':'))
        return false;
    c->name = s;
    c->params = NULL;
    if (*p == ';') {
        *p++ = '\0';
        c->params = p;
        bool quoted = false;
        while (*p && (quoted || *p != ':')) {
            if (*p == '"')
                quoted = !quoted;
            p++;
        }
        if (!*p)
            return false;
    }
    *p = '\0';
    c->value = p + 1;
    return true;
}

/* Copies the value of parameter key (without quotes, truncated to cap - 1
 * bytes) into out; false when params has no such parameter. */
static bool get_param(const char *params, const char *key, char *out, size_t cap)
{
    size_t klen = strlen(key);
    const char *p = params;
    while (p && *p) {
        const char *eq = p;
        while (*eq && *eq != '=' && *eq != ';')
            eq++;
        bool match = (size_t)(eq - p) == klen && strncasecmp(p, key, klen) == 0;
        const char *v = *eq == '=' ? eq + 1 : eq;
        const char *q = v;
        bool quoted = false;
        while (*q && (quoted || *q != ';')) {
            if (*q == '"')
                quoted = !quoted;
            q++;
        }
        if (match) {
            size_t n = 0;
            for (const char *r = v; r < q && n + 1 < cap; r++)
                if (*r != '"')
                    out[n++] = *r;
            out[n] = '\0';
            return true;
        }
        p = *q ? q + 1 : q;
    }
    return false;
}

static char *unescape(const char *s)
{
    char *out = dh_xmalloc(strlen(s) + 1), *o = out;
    for (const char *p = s; *p; p++) {
        if (*p == '\\' && p[1]) {
            p++;
            *o++ = (*p == 'n' || *p == 'N') ? '\n' : *p;
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
    return out;
}

static void set_text(char **slot, const char *value, bool raw)
{
    free(*slot);
    *slot = raw ? dh_xstrdup(value) : unescape(value);
}

/* A DTSTART or DTEND: the date, and the seconds into it (0 for a DATE). */
typedef struct ics_when {
    dh_date date;
    long secs;
} ics_when;

enum { VT_ANY, VT_DATE, VT_DATE_TIME, VT_OTHER };

static bool all_digits(const char *s, int n)
{
    for (int i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static int num2(const char *s) { return (s[0] - '0') * 10 + (s[1] - '0'); }

/* Parses YYYYMMDD (a DATE) or YYYYMMDDTHHMMSS[Z] (a DATE-TIME, local, UTC or
 * with a TZID: only its date and clock time are used). */
static bool parse_when(const char *v, int vt, ics_when *w)
{
    char iso[11];
    if (!all_digits(v, 8))
        return false;
    snprintf(iso, sizeof iso, "%.4s-%.2s-%.2s", v, v + 4, v + 6);
    if (dh_date_parse(iso, &w->date))
        return false;
    if (v[8] == '\0') {
        w->secs = 0;
        return vt != VT_DATE_TIME;
    }
    if (vt == VT_DATE || v[8] != 'T' || !all_digits(v + 9, 6))
        return false;
    if (!(v[15] == '\0' || (v[15] == 'Z' && v[16] == '\0')))
        return false;
    int h = num2(v + 9), m = num2(v + 11), s = num2(v + 13);
    if (h > 23 || m > 59 || s > 60)
        return false;
    w->secs = h * 3600L + m * 60L + s;
    return true;
}

/* Parses a DURATION of whole days, [+]PnD or [+]PnW; -1 when it is not one. */
static long parse_days(const char *v)
{
    const char *p = v;
    if (*p == '+')
        p++;
    if (*p != 'P' && *p != 'p')
        return -1;
    p++;
    long n = 0;
    int nd = 0;
    for (; *p >= '0' && *p <= '9'; p++, nd++)
        if (n < 100000)
            n = n * 10 + (*p - '0');
    if (nd == 0 || *p == '\0' || p[1] != '\0')
        return -1;
    if (*p == 'D' || *p == 'd')
        return n;
    if (*p == 'W' || *p == 'w')
        return n * 7;
    return -1;
}

/* What is known of the VEVENT being read. */
typedef struct ics_evstate {
    bool has_start, has_end;
    ics_when start, end;
    long end_line;
    long dur, dur_line; /* dur -1 when there is no DURATION */
} ics_evstate;

static const char *value_type_name(int vt)
{
    return vt == VT_DATE ? "a DATE (YYYYMMDD)"
           : vt == VT_DATE_TIME ? "a DATE-TIME (YYYYMMDDTHHMMSS)"
                                : "a date (YYYYMMDD or YYYYMMDDTHHMMSS)";
}

/* Handles DTSTART, DTEND and DURATION of the current VEVENT. */
static int take_when(ics_parser *ps, const ics_cline *c, ics_evstate *st)
{
    if (strcasecmp(c->name, "DURATION") == 0) {
        long d = parse_days(c->value);
        if (d < 0) {
            fail(ps, ps->line, "DURATION: '%.40s' is not a whole number of days (PnD)",
                 c->value);
            return -1;
        }
        if (d == 0) {
            fail(ps, ps->line, "DURATION: '%.40s' is not at least one day", c->value);
            return -1;
        }
        st->dur = d;
        st->dur_line = ps->line;
        return 0;
    }
    int vt = VT_ANY;
    char type[24];
    if (get_param(c->params, "VALUE", type, sizeof type))
        vt = strcasecmp(type, "DATE") == 0        ? VT_DATE
             : strcasecmp(type, "DATE-TIME") == 0 ? VT_DATE_TIME
                                                  : VT_OTHER;
    if (vt == VT_OTHER) {
        fail(ps, ps->line, "%s: VALUE=%s is not supported (DATE or DATE-TIME)", c->name, type);
        return -1;
    }
    ics_when w;
    if (!parse_when(c->value, vt, &w)) {
        fail(ps, ps->line, "%s: '%.40s' is not %s", c->name, c->value, value_type_name(vt));
        return -1;
    }
    if (strcasecmp(c->name, "DTSTART") == 0) {
        st->start = w;
        st->has_start = true;
    } else {
        st->end = w;
        st->has_end = true;
        st->end_line = ps->line;
    }
    return 0;
}

/* Checks and completes the event at its END:VEVENT. */
static int finish_event(ics_parser *ps, dh_ics_event *ev, const ics_evstate *st)
{
    if (!st->has_start) {
        fail(ps, ev->line, "VEVENT without DTSTART");
        return -1;
    }
    long days = 1, span_line = ev->line;
    if (st->has_end && st->dur >= 0) {
        fail(ps, st->dur_line, "a VEVENT cannot have both DTEND and DURATION");
        return -1;
    }
    if (st->has_end) {
        if (st->end.date < st->start.date ||
            (st->end.date == st->start.date && st->end.secs <= st->start.secs)) {
            char a[DH_DATE_TEXT_LEN], b[DH_DATE_TEXT_LEN];
            dh_date_format(st->end.date, a);
            dh_date_format(st->start.date, b);
            fail(ps, st->end_line, "DTEND (%s) is not after DTSTART (%s)", a, b);
            return -1;
        }
        /* DTEND is exclusive; a DATE-TIME end after midnight counts its day. */
        days = (long)st->end.date - (long)st->start.date + (st->end.secs > 0 ? 1 : 0);
        span_line = st->end_line;
    } else if (st->dur >= 0) {
        days = st->dur;
        span_line = st->dur_line;
    }
    if (days > DH_ICS_MAX_DAYS) {
        fail(ps, span_line, "the event spans %ld days (at most %d)", days, DH_ICS_MAX_DAYS);
        return -1;
    }
    ev->date = st->start.date;
    ev->ndays = (int)days;
    char **fields[] = {&ev->summary, &ev->description, &ev->categories,
                       &ev->x_type,  &ev->x_kind,      &ev->x_confirmed};
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
        if (!*fields[i])
            *fields[i] = dh_xstrdup("");
    return 0;
}

void dh_ics_events_free(dh_ics_event *events, size_t n)
{
    if (!events)
        return;
    for (size_t i = 0; i < n; i++) {
        free(events[i].summary);
        free(events[i].description);
        free(events[i].categories);
        free(events[i].x_type);
        free(events[i].x_kind);
        free(events[i].x_confirmed);
    }
    free(events);
}

typedef struct ics_comp {
    char *name;
    long line;
} ics_comp;

int dh_ics_parse(const char *text, size_t len, const char *name, dh_ics_event **events,
                 size_t *n, char *msg, size_t cap)
{
    *events = NULL;
    *n = 0;
    if (msg && cap)
        msg[0] = '\0';
    ics_parser ps = {.p = text, .end = text + len, .next_line = 1, .line = 1, .b = DH_BUF_INIT,
                     .name = name, .msg = msg, .cap = cap};
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        ps.p += 3;
    ics_comp stack[ICS_MAX_DEPTH];
    size_t depth = 0, ev_depth = 0; /* ev_depth: depth inside the current VEVENT */
    dh_ics_event *ev = NULL, *cur = NULL;
    size_t nev = 0, capev = 0;
    ics_evstate st = {0};
    bool seen_cal = false;
    int rc = 0;

    while (rc == 0 && next_line(&ps)) {
        long bad = dh_utf8_invalid_offset(ps.b.p, ps.b.len);
        if (bad >= 0) {
            long line, col;
            locate(&ps, (size_t)bad, &line, &col);
            fail(&ps, line, "not valid UTF-8 (byte %ld of the line)", col);
            rc = -1;
            break;
        }
        if (is_blank(ps.b.p))
            continue;
        ics_cline c;
        bool ok = split_cline(ps.b.p, &c);
        bool begin = ok && strcasecmp(c.name, "BEGIN") == 0;
        bool end = ok && strcasecmp(c.name, "END") == 0;
        if (begin || end)
            trim_end(c.value);
        if (depth == 0 && !(begin && strcasecmp(c.value, "VCALENDAR") == 0)) {
            fail(&ps, ps.line, "not an iCalendar file (expected BEGIN:VCALENDAR)");
            rc = -1;
            break;
        }
        if (!ok)
            continue; /* not a content line: ignored */
        if (begin) {
            if (!*c.value) {
                fail(&ps, ps.line, "BEGIN without a component name");
                rc = -1;
                break;
            }
            if (depth == ICS_MAX_DEPTH) {
                fail(&ps, ps.line, "components nested more than %d deep", ICS_MAX_DEPTH);
                rc = -1;
                break;
            }
            if (depth == 1 && strcasecmp(c.value, "VEVENT") == 0) {
                if (nev == DH_ICS_MAX_EVENTS) {
                    fail(&ps, ps.line, "more than %d events", DH_ICS_MAX_EVENTS);
                    rc = -1;
                    break;
                }
                if (nev == capev) {
                    capev = capev ? capev * 2 : 16;
                    ev = dh_xrealloc(ev, capev * sizeof *ev);
                }
                cur = &ev[nev++];
                memset(cur, 0, sizeof *cur);
                cur->line = ps.line;
                ev_depth = depth + 1;
                st = (ics_evstate){.dur = -1};
            }
            seen_cal = true;
            stack[depth].name = dh_xstrdup(c.value);
            stack[depth].line = ps.line;
            depth++;
            continue;
        }
        if (end) {
            if (strcasecmp(c.value, stack[depth - 1].name) != 0) {
                fail(&ps, ps.line, "END:%.40s does not close BEGIN:%.40s of line %ld", c.value,
                     stack[depth - 1].name, stack[depth - 1].line);
                rc = -1;
                break;
            }
            if (cur && depth == ev_depth) {
                rc = finish_event(&ps, cur, &st);
                cur = NULL;
            }
            free(stack[--depth].name);
            continue;
        }
        if (!cur || depth != ev_depth)
            continue; /* outside a VEVENT, or in a component inside one */
        if (strcasecmp(c.name, "DTSTART") == 0 || strcasecmp(c.name, "DTEND") == 0 ||
            strcasecmp(c.name, "DURATION") == 0)
            rc = take_when(&ps, &c, &st);
        else if (strcasecmp(c.name, "SUMMARY") == 0)
            set_text(&cur->summary, c.value, false);
        else if (strcasecmp(c.name, "DESCRIPTION") == 0)
            set_text(&cur->description, c.value, false);
        else if (strcasecmp(c.name, "CATEGORIES") == 0)
            set_text(&cur->categories, c.value, true);
        else if (strcasecmp(c.name, "X-DIEUHANH-TYPE") == 0)
            set_text(&cur->x_type, c.value, false);
        else if (strcasecmp(c.name, "X-DIEUHANH-KIND") == 0)
            set_text(&cur->x_kind, c.value, false);
        else if (strcasecmp(c.name, "X-DIEUHANH-CONFIRMED") == 0)
            set_text(&cur->x_confirmed, c.value, false);
    }

    if (rc == 0) {
        if (!seen_cal) {
            fail(&ps, 1, "not an iCalendar file (no BEGIN:VCALENDAR)");
            rc = -1;
        } else if (cur) {
            fail(&ps, cur->line, "BEGIN:VEVENT without END:VEVENT");
            rc = -1;
        } else if (depth > 1) { /* only a missing END:VCALENDAR is tolerated */
            fail(&ps, stack[depth - 1].line, "BEGIN:%.40s without END:%.40s",
                 stack[depth - 1].name, stack[depth - 1].name);
            rc = -1;
        }
    }
    while (depth > 0)
        free(stack[--depth].name);
    dh_buf_free(&ps.b);
    free(ps.segs);
    if (rc) {
        dh_ics_events_free(ev, nev); /* unfinished events may hold NULL strings */
        return -1;
    }
    *events = ev;
    *n = nev;
    return 0;
}
