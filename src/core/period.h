/* period.h - reporting periods as inclusive ranges of local dates.
 *
 * Accepted forms: "2025" (a year), "2025-H1"/"2025-H2", "2025-Q3", "2025-07"
 * (a month), "2025-07-15" (a day), "2025-01-01..2025-03-31" (any range), and
 * the Decree 09/2019/NĐ-CP data cut-off periods (domain.md §5) written
 * "cutoff:2025-07" (15/06 to 14/07), "cutoff:2025-Q1" (15/12/2024 to
 * 14/03/2025), "cutoff:2025-H1" (15/12 to 14/06), "cutoff:2025" (15/12/2024
 * to 14/12/2025). Pure; no allocation.
 */
#ifndef DH_PERIOD_H
#define DH_PERIOD_H

#include "util/date.h"

typedef struct dh_period {
    dh_date from, to; /* inclusive */
} dh_period;

/* Returns 0 and the period, or -1 with a reason (static text). */
int dh_period_parse(const char *s, dh_period *out, const char **why);

#endif
