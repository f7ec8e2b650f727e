/* index766.h - scoring of the Decision 766/QĐ-TTg service index
 * (domain.md §4). Pure. */
#ifndef DH_INDEX766_H
#define DH_INDEX766_H

#include <stdbool.h>

/* Points of one indicator for a rate in percent (0..100): at or above the
 * threshold (percent, > 0) full points, below it rate × max ÷ threshold;
 * without a threshold (<= 0) rate × max ÷ 100. Rounded to 2 decimals. */
double dh_i766_points(double rate_pct, double max_points, double threshold_pct);

/* Rounds to 2 decimals, halves away from zero. */
double dh_i766_round2(double x);

#endif
