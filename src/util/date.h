/* date.h - civil dates as day numbers, and local (UTC+7) timestamps.
 *
 * A dh_date is the number of days since 1970-01-01 in the proleptic
 * Gregorian calendar; arithmetic on it is plain integer arithmetic. All
 * functions are pure and thread-safe; none allocates.
 */
#ifndef DH_DATE_H
#define DH_DATE_H

#include <stdint.h>
#include <time.h>

typedef int32_t dh_date;

/* A sentinel for "no date" (an open end of a validity range). */
#define DH_DATE_NONE INT32_MAX
/* Accepted range for parsed dates: years 1000..9999. */
#define DH_DATE_TEXT_LEN 11 /* "YYYY-MM-DD" plus NUL */

dh_date dh_date_from_ymd(int y, int m, int d);
void dh_date_to_ymd(dh_date date, int *y, int *m, int *d);

/* Parses exactly "YYYY-MM-DD" (a real calendar day). Returns 0 and sets *out,
 * or -1 on any malformed or impossible date (2025-02-30), leaving *out 0. */
int dh_date_parse(const char *s, dh_date *out);

/* Writes "YYYY-MM-DD" into out (at least DH_DATE_TEXT_LEN bytes). */
void dh_date_format(dh_date date, char *out);

/* ISO weekday: 1 = Monday ... 7 = Sunday. */
int dh_date_weekday(dh_date date);

/* Days in the month (1..12) of year y. */
int dh_date_days_in_month(int y, int m);

/* Vietnam's offset from UTC in seconds (UTC+7, no daylight saving): the one
 * place the offset is written. */
#define DH_VN_OFFSET (7 * 3600)

/* The instant local midnight begins day d in Vietnam. */
time_t dh_date_start_vn(dh_date d);

/* The local civil date in Vietnam (UTC+7) of a POSIX time. */
dh_date dh_date_of_time_vn(time_t t);

/* Formats a POSIX time as RFC 3339 UTC "YYYY-MM-DDTHH:MM:SSZ" (21 bytes). */
void dh_time_format_utc(time_t t, char *out);

/* Formats a POSIX time as local (UTC+7) "YYYY-MM-DDTHH:MM" (17 bytes). */
void dh_time_format_vn(time_t t, char *out);

/* Formats a POSIX time as local ISO 8601 with its offset,
 * "YYYY-MM-DDTHH:MM:SS+07:00" (26 bytes with the NUL). Without printf: the
 * feedback lists and Open311 write thousands per request. */
#define DH_TIME_ISO_VN_LEN 26
void dh_time_format_iso_vn(time_t t, char *out);

/* Parses "YYYY-MM-DD" (midnight UTC+7) or RFC 3339 "YYYY-MM-DDTHH:MM[:SS][Z|+hh:mm]"
 * (without a zone: UTC+7). Returns 0 and sets *out, or -1. */
int dh_time_parse(const char *s, time_t *out);

#endif
