/* ics.h - iCalendar (RFC 5545) all-day events: a reader for importing yearly
 * holiday schedules and a writer for exporting them.
 *
 * Ownership: dh_ics_parse returns a malloc'd array of events whose strings
 * (never NULL) belong to the array; release both with dh_ics_events_free.
 * The input text and the message buffer stay the caller's. The writer only
 * writes to a FILE the caller owns (and checks with ferror/fclose). No
 * function keeps state between calls; all are thread-safe.
 */
#ifndef DH_ICS_H
#define DH_ICS_H

#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "util/date.h"

/* Limits enforced by dh_ics_parse. */
#define DH_ICS_MAX_EVENTS 10000
#define DH_ICS_MAX_DAYS 366

typedef struct dh_ics_event {
    dh_date date;      /* DTSTART (VALUE=DATE YYYYMMDD, or a DATE-TIME whose date part is used) */
    int ndays;         /* number of days: DTEND (exclusive) - DTSTART, 1 when no DTEND;
                        * DURATION:PnD (or PnW) also accepted. A DATE-TIME DTEND later than
                        * midnight counts its own day. 1..DH_ICS_MAX_DAYS */
    char *summary;     /* SUMMARY, unescaped (\\, \; \, \n), "" when absent */
    char *description; /* DESCRIPTION, unescaped, "" when absent */
    char *categories;  /* CATEGORIES raw value (still escaped), "" when absent */
    char *x_type;      /* value of X-DIEUHANH-TYPE (unescaped), "" when absent */
    char *x_kind;      /* value of X-DIEUHANH-KIND (unescaped), "" when absent */
    char *x_confirmed; /* value of X-DIEUHANH-CONFIRMED (unescaped), "" when absent */
    long line;         /* line number (1-based) of the BEGIN:VEVENT */
} dh_ics_event;

/* Parses a whole iCalendar text of len bytes (it need not be NUL-terminated;
 * a leading UTF-8 BOM is skipped). Handles CRLF or LF line ends, line
 * folding (a line starting with a space or tab continues the previous one,
 * even inside a UTF-8 sequence), property parameters (quoted values too:
 * DTSTART;VALUE=DATE:20250101, DTSTART;TZID=Asia/Ho_Chi_Minh:20250101T000000),
 * and ignores unknown properties and components (VTIMEZONE, VALARM, VTODO...),
 * including everything inside them. Property and component names are
 * case-insensitive; the last of a repeated property wins.
 *
 * Returns 0 with a malloc'd array in *events (NULL when there are none) and
 * its length in *n. Returns -1 with *events NULL, *n 0 and a message
 * "NAME:LINE: reason" in msg (at most cap bytes, NUL-terminated when cap > 0)
 * for: text that is not UTF-8 (the line of the first bad byte), a file that
 * does not start with BEGIN:VCALENDAR, an unterminated VEVENT (or another
 * component; a missing END:VCALENDAR is tolerated), an END that does not
 * match its BEGIN, a VEVENT without DTSTART (the line of its BEGIN), a
 * malformed date, DTEND not after DTSTART, a DURATION that is not whole days,
 * more than DH_ICS_MAX_EVENTS events, a span of more than DH_ICS_MAX_DAYS
 * days. name is the file name used in messages. */
int dh_ics_parse(const char *text, size_t len, const char *name, dh_ics_event **events,
                 size_t *n, char *msg, size_t cap);

/* Frees the array and every string of its n events (NULL is fine). */
void dh_ics_events_free(dh_ics_event *events, size_t n);

/* Writing, all with CRLF line ends, lines folded at 75 octets without
 * splitting a UTF-8 sequence, TEXT values escaped per RFC 5545 (backslash,
 * semicolon, comma, newline; CR and other control characters but TAB are
 * dropped). NULL strings are written as "".
 *
 * dh_ics_begin writes BEGIN:VCALENDAR, PRODID:-//dieuhanh//calendar//VI,
 * VERSION:2.0, CALSCALE:GREGORIAN and X-WR-CALNAME:<calname escaped>.
 *
 * dh_ics_write_event writes one all-day VEVENT: UID <YYYYMMDD>-<uid_suffix>@dieuhanh
 * (the suffix escaped), DTSTAMP (dtstamp in UTC, YYYYMMDDTHHMMSSZ),
 * DTSTART;VALUE=DATE, DTEND;VALUE=DATE (date + 1), SUMMARY, DESCRIPTION when
 * non-empty, and X-DIEUHANH-TYPE / X-DIEUHANH-KIND / X-DIEUHANH-CONFIRMED
 * each when non-NULL.
 *
 * dh_ics_end writes END:VCALENDAR. */
void dh_ics_begin(FILE *f, const char *calname);
void dh_ics_write_event(FILE *f, dh_date date, const char *uid_suffix, time_t dtstamp,
                        const char *summary, const char *description, const char *x_type,
                        const char *x_kind, const char *x_confirmed);
void dh_ics_end(FILE *f);

#endif
