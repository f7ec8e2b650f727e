/* ics.c - see ics.h. */
#include "util/ics.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/buf.h"
#include "util/text.h"

#define ICS_EVENTS_MAX 10000

/* ---- Writing. ---------------------------------------------------------- */

/* Writes "NAME:value" folded at 75 octets, continuation lines starting
 * with a space, never splitting a UTF-8 sequence. */
static void put_line(FILE *f, const char *line)
{
    size_t len = strlen(line), pos = 0, width = 75;
    while (len - pos > width) {
        size_t cut = pos + width;
        while (cut > pos && ((unsigned char)line[cut] & 0xC0) == 0x80)
            cut--;
        fwrite(line + pos, 1, cut - pos, f);
        fputs("\r\n ", f);
        pos = cut;
        width = 74; /* the leading space counts */
    }
    fputs(line + pos, f);
    fputs("\r\n", f);
}

static void put_text(FILE *f, const char *name, const char *value)
{
    dh_buf b = {0};
    dh_buf_puts(&b, name);
    dh_buf_puts(&b, ":");
    for (const char *p = value; *p; p++) {
        if (*p == '\\' || *p == ';' || *p == ',') {
            char esc[2] = {'\\', *p};
            dh_buf_append(&b, esc, 2);
        } else if (*p == '\n') {
            dh_buf_puts(&b, "\\n");
        } else if (*p != '\r') {
            dh_buf_append(&b, p, 1);
        }
    }
    dh_buf_append(&b, "", 1);
    put_line(f, b.p);
    dh_buf_free(&b);
}

void dh_ics_begin(FILE *f, const char *calname)
{
    put_line(f, "BEGIN:VCALENDAR");
    put_line(f, "VERSION:2.0");
    put_line(f, "PRODID:-//dieuhanh//calendar//VI");
    put_line(f, "CALSCALE:GREGORIAN");
    put_text(f, "X-WR-CALNAME", calname ? calname : "");
}

static void ymd(dh_date d, char *out)
{
    int y, m, dd;
    dh_date_to_ymd(d, &y, &m, &dd);
    snprintf(out, 9, "%04d%02d%02d", y % 10000, m, dd);
}

void dh_ics_write_event(FILE *f, dh_date date, const char *uid_suffix, time_t dtstamp,
                        const char *summary, const char *description, const char *x_type,
                        const char *x_kind, const char *x_confirmed)
{
    char d0[9], d1[9], line[160], stamp[21];
    ymd(date, d0);
    ymd(date + 1, d1);
    dh_time_format_utc(dtstamp, stamp); /* YYYY-MM-DDTHH:MM:SSZ */
    char st[17] = {stamp[0], stamp[1], stamp[2], stamp[3], stamp[5], stamp[6], stamp[8],
                   stamp[9], 'T', stamp[11], stamp[12], stamp[14], stamp[15], stamp[17],
                   stamp[18], 'Z', 0};
    put_line(f, "BEGIN:VEVENT");
    snprintf(line, sizeof line, "UID:%s-%.60s@dieuhanh", d0, uid_suffix ? uid_suffix : "");
    put_line(f, line);
    snprintf(line, sizeof line, "DTSTAMP:%s", st);
    put_line(f, line);
    snprintf(line, sizeof line, "DTSTART;VALUE=DATE:%s", d0);
    put_line(f, line);
    snprintf(line, sizeof line, "DTEND;VALUE=DATE:%s", d1);
    put_line(f, line);
    put_text(f, "SUMMARY", summary ? summary : "");
    if (description && *description)
        put_text(f, "DESCRIPTION", description);
    if (x_type)
        put_text(f, "X-DIEUHANH-TYPE", x_type);
    if (x_kind)
        put_text(f, "X-DIEUHANH-KIND", x_kind);
    if (x_confirmed)
        put_text(f, "X-DIEUHANH-CONFIRMED", x_confirmed);
    put_line(f, "END:VEVENT");
}

void dh_ics_end(FILE *f) { put_line(f, "END:VCALENDAR"); }

/* ---- Reading. ---------------------------------------------------------- */

typedef struct reader {
    const char *p, *end;
    long line;      /* line number of the next physical line */
    long cur_line;  /* line number where the current logical line started */
    dh_buf b;       /* the current logical line, unfolded */
} reader;

/* Reads the next logical line into r->b; returns false at the end. */
static bool next_line(reader *r)
{
    if (r->p >= r->end)
        return false;
    r->b.len = 0;
    r->cur_line = r->line;
    for (;;) {
        const char *nl = memchr(r->p, '\n', (size_t)(r->end - r->p));
        const char *stop = nl ? nl : r->end;
        const char *e = stop;
        if (e > r->p && e[-1] == '\r')
            e--;
        dh_buf_append(&r->b, r->p, (size_t)(e - r->p));
        r->p = nl ? nl + 1 : r->end;
        r->line++;
        if (r->p < r->end && (*r->p == ' ' || *r->p == '\t'))
            r->p++; /* a folded continuation */
        else
            break;
    }
    dh_buf_append(&r->b, "", 1);
    r->b.len--;
    return true;
}

static char *unescape(const char *s)
{
    dh_buf b = {0};
    for (const char *p = s; *p; p++) {
        if (*p == '\\' && p[1]) {
            p++;
            char c = (*p == 'n' || *p == 'N') ? '\n' : *p;
            dh_buf_append(&b, &c, 1);
        } else {
            dh_buf_append(&b, p, 1);
        }
    }
    dh_buf_append(&b, "", 1);
    return b.p;
}

/* Parses YYYYMMDD (optionally followed by THHMMSS[Z]). */
static int parse_date(const char *v, dh_date *d)
{
    char buf[11];
    if (strlen(v) < 8)
        return -1;
    for (int i = 0; i < 8; i++)
        if (v[i] < '0' || v[i] > '9')
            return -1;
    if (v[8] != '\0' && v[8] != 'T')
        return -1;
    snprintf(buf, sizeof buf, "%.4s-%.2s-%.2s", v, v + 4, v + 6);
    return dh_date_parse(buf, d);
}

static void set(char **slot, const char *v)
{
    free(*slot);
    *slot = unescape(v);
}

void dh_ics_events_free(dh_ics_event *ev, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(ev[i].summary);
        free(ev[i].description);
        free(ev[i].categories);
        free(ev[i].x_type);
        free(ev[i].x_kind);
        free(ev[i].x_confirmed);
    }
    free(ev);
}

int dh_ics_parse(const char *text, size_t len, const char *name, dh_ics_event **events,
                 size_t *n, char *msg, size_t cap)
{
    *events = NULL;
    *n = 0;
    long bad = dh_utf8_invalid_offset(text, len);
    if (bad >= 0) {
        long line = 1;
        for (long i = 0; i < bad; i++)
            line += text[i] == '\n';
        snprintf(msg, cap, "%s:%ld: not valid UTF-8 (byte %ld)", name, line, bad);
        return -1;
    }
    reader r = {text, text + len, 1, 1, {0}};
    dh_ics_event *ev = NULL, *cur = NULL;
    size_t nev = 0, capev = 0;
    bool in_cal = false, seen_cal = false, have_end = false;
    int depth_other = 0; /* nested components we skip (VALARM inside VEVENT, VTIMEZONE...) */
    dh_date dtend = 0;
    int dur = -1;
    int rc = 0;
    while (rc == 0 && next_line(&r)) {
        char *line = r.b.p;
        if (!*line)
            continue;
        char *colon = strchr(line, ':');
        if (!colon)
            continue; /* not a property: ignore */
        *colon = '\0';
        char *value = colon + 1;
        char *semi = strchr(line, ';');
        if (semi)
            *semi = '\0';
        const char *prop = line;
        if (strcasecmp(prop, "BEGIN") == 0) {
            if (strcasecmp(value, "VCALENDAR") == 0) {
                in_cal = seen_cal = true;
            } else if (!in_cal) {
                snprintf(msg, cap, "%s:%ld: BEGIN:%s outside BEGIN:VCALENDAR", name, r.cur_line,
                         value);
                rc = -1;
            } else if (strcasecmp(value, "VEVENT") == 0 && !cur && depth_other == 0) {
                if (nev == ICS_EVENTS_MAX) {
                    snprintf(msg, cap, "%s:%ld: more than %d events", name, r.cur_line,
                             ICS_EVENTS_MAX);
                    rc = -1;
                    break;
                }
                if (nev == capev) {
                    capev = capev ? capev * 2 : 16;
                    ev = dh_xrealloc(ev, capev * sizeof *ev);
                }
                cur = &ev[nev++];
                memset(cur, 0, sizeof *cur);
                cur->line = r.cur_line;
                cur->date = INT32_MIN;
                have_end = false;
                dur = -1;
            } else {
                depth_other++;
            }
            continue;
        }
        if (strcasecmp(prop, "END") == 0) {
            if (depth_other > 0) {
                depth_other--;
            } else if (strcasecmp(value, "VEVENT") == 0 && cur) {
                if (cur->date == INT32_MIN) {
                    snprintf(msg, cap, "%s:%ld: event without DTSTART", name, cur->line);
                    rc = -1;
                    break;
                }
                cur->ndays = 1;
                if (have_end) {
                    if (dtend <= cur->date) {
                        snprintf(msg, cap, "%s:%ld: DTEND is not after DTSTART", name,
                                 r.cur_line);
                        rc = -1;
                        break;
                    }
                    cur->ndays = dtend - cur->date;
                } else if (dur > 0) {
                    cur->ndays = dur;
                }
                if (cur->ndays > 366) {
                    snprintf(msg, cap, "%s:%ld: an event longer than 366 days", name, cur->line);
                    rc = -1;
                    break;
                }
                const char **fields[] = {(const char **)&cur->summary,
                                         (const char **)&cur->description,
                                         (const char **)&cur->categories,
                                         (const char **)&cur->x_type,
                                         (const char **)&cur->x_kind,
                                         (const char **)&cur->x_confirmed};
                for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
                    if (!*fields[i])
                        *(char **)fields[i] = dh_xstrdup("");
                cur = NULL;
            } else if (strcasecmp(value, "VCALENDAR") == 0) {
                in_cal = false;
            }
            continue;
        }
        if (!cur || depth_other > 0)
            continue;
        if (strcasecmp(prop, "DTSTART") == 0 || strcasecmp(prop, "DTEND") == 0) {
            dh_date d;
            if (parse_date(value, &d)) {
                snprintf(msg, cap, "%s:%ld: %s: '%s' is not a date YYYYMMDD", name, r.cur_line,
                         prop, value);
                rc = -1;
                break;
            }
            if (strcasecmp(prop, "DTSTART") == 0)
                cur->date = d;
            else {
                dtend = d;
                have_end = true;
            }
        } else if (strcasecmp(prop, "DURATION") == 0) {
            int days;
            char c;
            if (sscanf(value, "P%dD%c", &days, &c) != 1 || days < 1) {
                snprintf(msg, cap, "%s:%ld: DURATION: '%s' is not PnD", name, r.cur_line, value);
                rc = -1;
                break;
            }
            dur = days;
        } else if (strcasecmp(prop, "SUMMARY") == 0) {
            set(&cur->summary, value);
        } else if (strcasecmp(prop, "DESCRIPTION") == 0) {
            set(&cur->description, value);
        } else if (strcasecmp(prop, "CATEGORIES") == 0) {
            free(cur->categories);
            cur->categories = dh_xstrdup(value);
        } else if (strcasecmp(prop, "X-DIEUHANH-TYPE") == 0) {
            set(&cur->x_type, value);
        } else if (strcasecmp(prop, "X-DIEUHANH-KIND") == 0) {
            set(&cur->x_kind, value);
        } else if (strcasecmp(prop, "X-DIEUHANH-CONFIRMED") == 0) {
            set(&cur->x_confirmed, value);
        }
    }
    if (rc == 0 && cur) {
        snprintf(msg, cap, "%s:%ld: BEGIN:VEVENT without END:VEVENT", name, cur->line);
        rc = -1;
    }
    if (rc == 0 && !seen_cal) {
        snprintf(msg, cap, "%s:1: not an iCalendar file (no BEGIN:VCALENDAR)", name);
        rc = -1;
    }
    dh_buf_free(&r.b);
    if (rc) {
        /* Events not finished have NULL strings; free handles both. */
        dh_ics_events_free(ev, nev);
        return -1;
    }
    *events = ev;
    *n = nev;
    return 0;
}
