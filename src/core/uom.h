/* uom.h - units of measure: the range a value in a given unit may take
 * (issue 13: no value near DBL_MAX, no inf/nan in sums and charts).
 *
 * Pure: no I/O, no allocation.
 */
#ifndef DH_CORE_UOM_H
#define DH_CORE_UOM_H

/* No value, numerator or denominator exceeds this magnitude: a million
 * billion is above every count and sum a province reports, and keeps sums
 * of many values far from overflow (no inf/nan reaches a chart). */
#define DH_IND_VALUE_MAX 1e15

#include <stdbool.h>

/* A rate per 100 inhabitants (issue 19): smartphones, accounts, subscribers
 * "per 100 people" — its own unit, not a percentage: it may exceed 100 (two
 * telephones a person is 200). Written "/100 dân" after what is counted
 * ("máy/100 dân", "tài khoản/100 dân"), or "/100 người dân", "per 100". A
 * ratio of such an indicator is numerator/denominator x 100, as "%". */
bool dh_uom_per_100(const char *uom);

/* The closed range [*lo, *hi] a value measured in uom may take: "%" is
 * 0..100; a rate per 100 inhabitants is 0..DH_IND_VALUE_MAX; a count ("trạm", "hồ sơ", "người", "lượt", "doanh nghiệp", ...,
 * any uom whose first word is one of these) is 0..DH_IND_VALUE_MAX; anything
 * else is -DH_IND_VALUE_MAX..DH_IND_VALUE_MAX. Returns a short English name
 * of the rule for messages ("a percentage", "a count", "a value"). */
const char *dh_ind_value_range(const char *uom, double *lo, double *hi);

#endif
