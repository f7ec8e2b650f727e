/* index766.h - scoring of the Decision 766/QĐ-TTg service index
 * (domain.md §4). Pure. */
#ifndef DH_INDEX766_H
#define DH_INDEX766_H

#include <stdbool.h>
#include <stdint.h>

/* Points of one indicator for a rate in percent (0..100): at or above the
 * threshold (percent, > 0) full points, below it rate × max ÷ threshold;
 * without a threshold (<= 0) rate × max ÷ 100. Rounded to 2 decimals. */
double dh_i766_points(double rate_pct, double max_points, double threshold_pct);

/* Rounds to 2 decimals, halves away from zero. */
double dh_i766_round2(double x);

/* The feedback figures behind the two feedback indicators of 766 (issue
 * 17), summed over a unit's subtree from its feedback counts:
 * "feedback_on_time" = answered on time ÷ (answered + open over their
 * deadline at the period's end), "feedback_satisfaction" = ratings >= 4 ÷
 * ratings of the period's answers. */
typedef struct dh_i766_fb {
    int64_t on_time, handled, satisfied, rated;
} dh_i766_fb;

/* Adds one unit's counts. */
void dh_i766_fb_add(dh_i766_fb *f, int64_t answered, int64_t on_time, int64_t open_overdue,
                    int64_t rated, int64_t satisfied);

/* For indicator `code`: true and its numerator and denominator when it is
 * one of the two fed by feedback and the denominator is positive (the
 * value then replaces a manual one); false otherwise (manual values stay). */
bool dh_i766_fb_fraction(const dh_i766_fb *f, const char *code, int64_t *num, int64_t *den);

#endif
