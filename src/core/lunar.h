/* lunar.h - the Vietnamese lunisolar calendar (âm lịch), time zone UTC+7,
 * for lunar years 1900..2199.
 *
 * Our implementation of the method described in docs (domain.md §8): new
 * moons by Meeus's series, the sun's longitude at local midnight, month 11
 * is the month that contains the winter solstice, and in a year of 13
 * months the leap month is the first month after month 11 without a major
 * solar term. The month starts of the whole range are computed once (on first
 * use, thread-safe) into a table; conversions are then a binary search.
 */
#ifndef DH_LUNAR_H
#define DH_LUNAR_H

#include <stdbool.h>

#include "util/date.h"

typedef struct dh_lunar {
    int day;   /* 1..30 */
    int month; /* 1..12 */
    int year;  /* the lunar year: months 11 and 12 before Tết belong to the previous one */
    bool leap; /* a leap (intercalary) month */
} dh_lunar;

#define DH_LUNAR_YEAR_MIN 1900
#define DH_LUNAR_YEAR_MAX 2199

/* Solar (Gregorian) -> lunar. Returns 0, or -1 when d is outside the range
 * (before lunar 1/1/1900 or after 2199-12-31). */
int dh_lunar_from_solar(dh_date d, dh_lunar *out);

/* Lunar -> solar. Returns 0, or -1 with a reason in *why (static text) when
 * the year is out of range, the month is not 1..12, the year has no such
 * leap month, or the month has fewer days. */
int dh_lunar_to_solar(const dh_lunar *l, dh_date *out, const char **why);

/* The leap month of a lunar year (0 = none), or -1 out of range. */
int dh_lunar_leap_month(int year);

/* Number of days (29 or 30) of a lunar month, or 0 when it does not exist. */
int dh_lunar_month_length(int year, int month, bool leap);

#endif
