/* workcal.h - working-time arithmetic over a calendar: weekly working hours
 * plus the days off and make-up days of holiday.h, precomputed into per-day
 * tables so that every query is O(1) or O(log n), never a day-by-day loop.
 *
 * Instants are POSIX times; the calendar's zone is Asia/Ho_Chi_Minh (UTC+7,
 * no daylight saving). Working time is counted in whole minutes: an instant
 * is taken at the start of its minute. Working ranges are [start, end): 11:30
 * is not a working instant of a 07:30-11:30 morning.
 *
 * A dh_workcal is immutable once built and safe for any number of
 * concurrent readers. Pure: no I/O, no clock.
 */
#ifndef DH_WORKCAL_H
#define DH_WORKCAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/holiday.h"
#include "util/date.h"

#define DH_RANGES_MAX 4

typedef struct dh_range {
    int16_t start; /* minutes after local midnight, 0..1440 */
    int16_t end;   /* > start */
} dh_range;

/* Weekly hours: day[0] = Monday ... day[6] = Sunday. A make-up working day
 * (a worked Saturday) uses Monday's hours; "a working day" in add() is
 * Monday's working minutes. */
typedef struct dh_week {
    dh_range day[7][DH_RANGES_MAX];
    int n[7];
} dh_week;

/* The national civil-service week: Monday-Friday 07:30-11:30, 13:30-17:00. */
void dh_week_default(dh_week *w);
/* Checks ranges (ordered, not overlapping, within the day, Monday not empty).
 * Returns 0 or -1 with a message. */
int dh_week_check(const dh_week *w, char *msg, size_t cap);
/* "07:30-11:30,13:30-17:00" per day; writes into out. */
void dh_week_format_day(const dh_week *w, int wd, char *out, size_t cap);
/* Parses "07:30-11:30,13:30-17:00" (or "" for a day off) into day wd. */
int dh_week_parse_day(dh_week *w, int wd, const char *s, char *msg, size_t cap);

typedef struct dh_workcal dh_workcal;

/* Builds the tables for DH_HOLIDAY_YEAR_MIN..MAX from the week and the
 * schedule entries (copied: they need not outlive the call). Returns NULL
 * and a message when the entries conflict (dh_sched_check). */
dh_workcal *dh_workcal_build(const dh_week *w, const dh_sched_entry *sched, size_t n,
                             char *msg, size_t cap);
void dh_workcal_free(dh_workcal *c);

/* The first and last instants the tables cover. */
time_t dh_workcal_min(const dh_workcal *c);
time_t dh_workcal_max(const dh_workcal *c);
/* Working minutes of "a working day" (Monday's). */
int dh_workcal_day_minutes(const dh_workcal *c);
const dh_week *dh_workcal_week(const dh_workcal *c);

typedef enum dh_wc_status { DH_WC_OK = 0, DH_WC_RANGE = -1, DH_WC_INVALID = -2 } dh_wc_status;

/* Working minutes on a date (0 = not a working day); -1 out of range. */
int dh_workcal_day(const dh_workcal *c, dh_date d);
bool dh_workcal_is_working_day(const dh_workcal *c, dh_date d);

/* The next working instant at or after t. */
dh_wc_status dh_workcal_next(const dh_workcal *c, time_t t, time_t *out);

/* The instant at which `minutes` of working time have elapsed, counting from
 * the next working instant at or after t. cutoff_min (minutes after local
 * midnight, or -1 for none): a t at or after that time of day counts from the
 * next working day. minutes >= 0. */
dh_wc_status dh_workcal_add_minutes(const dh_workcal *c, time_t t, int64_t minutes,
                                    int cutoff_min, time_t *out);
/* add_minutes with days × dh_workcal_day_minutes. */
dh_wc_status dh_workcal_add_days(const dh_workcal *c, time_t t, int64_t days, int cutoff_min,
                                 time_t *out);

typedef struct dh_interval {
    time_t from, to;
} dh_interval;

/* Working minutes in [a, b) minus those inside any of the excluded intervals
 * (which may overlap each other and stick out of [a, b)). b < a is
 * DH_WC_INVALID. excl may be NULL when nexcl is 0; it is not modified. */
dh_wc_status dh_workcal_between(const dh_workcal *c, time_t a, time_t b,
                                const dh_interval *excl, size_t nexcl, int64_t *out);

#endif
