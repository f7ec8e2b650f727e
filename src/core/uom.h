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

/* The closed range [*lo, *hi] a value measured in uom may take: "%" is
 * 0..100; a count ("trạm", "hồ sơ", "người", "lượt", "doanh nghiệp", ...,
 * any uom whose first word is one of these) is 0..DH_IND_VALUE_MAX; anything
 * else is -DH_IND_VALUE_MAX..DH_IND_VALUE_MAX. Returns a short English name
 * of the rule for messages ("a percentage", "a count", "a value"). */
const char *dh_ind_value_range(const char *uom, double *lo, double *hi);

#endif
