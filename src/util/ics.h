/* ics.h - iCalendar (RFC 5545) all-day events: a reader for importing
 * holiday schedules and a writer for exporting them.
 *
 * Ownership: dh_ics_parse returns a malloc'd array whose strings belong to
 * it; free both with dh_ics_events_free. The writer writes to a FILE the
 * caller owns.
 */
#ifndef DH_ICS_H
#define DH_ICS_H

#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "util/date.h"

typedef struct dh_ics_event {
    dh_date date;      /* DTSTART (a DATE, or the date part of a DATE-TIME) */
    int ndays;         /* DTEND (exclusive) - DTSTART, or DURATION PnD; 1 when neither */
    char *summary;     /* SUMMARY, unescaped; "" when absent */
    char *description; /* DESCRIPTION, unescaped; "" when absent */
    char *categories;  /* CATEGORIES as written; "" when absent */
    char *x_type;      /* X-DIEUHANH-TYPE; "" when absent */
    char *x_kind;      /* X-DIEUHANH-KIND; "" when absent */
    char *x_confirmed; /* X-DIEUHANH-CONFIRMED; "" when absent */
    long line;         /* line of BEGIN:VEVENT */
} dh_ics_event;

/* Parses iCalendar text of len bytes (CRLF or LF, folded lines, parameters;
 * unknown properties and components are skipped). Returns 0 with the events,
 * or -1 with "NAME:LINE: reason" in msg for text that is not UTF-8, no
 * VCALENDAR, an unterminated VEVENT, a VEVENT without DTSTART, a bad date,
 * DTEND not after DTSTART, a span over 366 days, or more than 10000 events. */
int dh_ics_parse(const char *text, size_t len, const char *name, dh_ics_event **events,
                 size_t *n, char *msg, size_t cap);
void dh_ics_events_free(dh_ics_event *events, size_t n);

/* Writes the VCALENDAR header, one all-day VEVENT, and the footer. Text is
 * escaped, lines folded at 75 octets (never inside a UTF-8 sequence), CRLF.
 * NULL x_* values are left out. */
void dh_ics_begin(FILE *f, const char *calname);
void dh_ics_write_event(FILE *f, dh_date date, const char *uid_suffix, time_t dtstamp,
                        const char *summary, const char *description, const char *x_type,
                        const char *x_kind, const char *x_confirmed);
void dh_ics_end(FILE *f);

#endif
