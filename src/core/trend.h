/* trend.h - year-over-year and long trends of the service KPIs (issue 20).
 *
 * A trend is a list of buckets (whole local days, both ends inclusive):
 * the months, quarters or years covering a range (the first and last
 * clipped to it), or the same quarter or month of each of several years.
 * Each bucket's figures are those of the aggregates for that bucket as a
 * period (kpiagg.h); this module only makes the buckets and reduces a
 * bucket's figures to the trend's counts and rates. Received and resolved
 * are additive, so a quarter's equal the sum of its months'.
 *
 * Pure: no I/O, no clock, no allocation.
 */
#ifndef DH_TREND_H
#define DH_TREND_H

#include <stddef.h>
#include <stdint.h>

#include "core/kpiagg.h"
#include "util/date.h"

typedef enum dh_trend_by { DH_TREND_MONTH, DH_TREND_QUARTER, DH_TREND_YEAR } dh_trend_by;

/* At most this many buckets in one trend (20 years of months). */
#define DH_TREND_MAX 240

typedef struct dh_tbucket {
    dh_date from, to; /* inclusive */
    char label[12];   /* "2026-07", "2026-Q3", "2026" */
} dh_tbucket;

/* "month", "quarter" or "year": 0, else -1. */
int dh_trend_parse_by(const char *s, dh_trend_by *out);
const char *dh_trend_by_name(dh_trend_by by);

/* The buckets covering [from, to] (the first and the last clipped to it),
 * in order: how many, or -1 when from > to or there would be more than
 * cap. */
int dh_trend_buckets(dh_date from, dh_date to, dh_trend_by by, dh_tbucket *out, size_t cap);

/* The default range of a trend read on `today`: ten years of whole
 * buckets of `by` ending with the month of today (120 months). */
void dh_trend_default_range(dh_date today, dh_trend_by by, dh_date *from, dh_date *to);

/* The same period of each year: "2026-Q3" or "2026-07" (the newest) and
 * the `years` years ending with its year, oldest first. Returns how many
 * (= years), or -1 with *why (static text) when `same` is not a quarter or
 * a month, years < 1, or years > cap. */
int dh_trend_same(const char *same, int years, dh_tbucket *out, size_t cap, const char **why);

/* A rate in percent rounded to two decimals, as the KPIs give it; NAN when
 * den <= 0 (N/A, not 0%). */
double dh_trend_rate(int64_t num, int64_t den);

/* One bucket's trend figures. */
typedef struct dh_tpoint {
    int64_t received;        /* new in the bucket: online + counter + postal */
    int64_t received_online; /* of those, online */
    int64_t resolved;        /* finished in the bucket */
    int64_t resolved_in_time; /* of those, early or on time */
    int64_t late;
    double on_time_rate; /* resolved_in_time / resolved, NAN when none */
    double online_rate;  /* received_online / received, NAN when none */
} dh_tpoint;

void dh_tpoint_of(const dh_kfigures *f, dh_tpoint *p);

#endif
