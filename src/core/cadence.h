/* cadence.h - the reporting cadence a plan prints, read into a task's
 * report rule (core/taskstatus.h), issue 19.
 *
 * Printed phrases and their rules (period, months after the period's last
 * month, day):
 *   "hàng tháng" / "hằng tháng"                 monthly, 1, 10 (day not printed)
 *   "trước ngày 10 hàng tháng"                  monthly, 1, 10
 *   "hàng quý" / "theo quý"                     quarterly, 1, 10
 *   "6 tháng"                                   half-yearly, 1, 10
 *   "hàng năm" / "hằng năm" / "cả năm" / "1 năm" yearly, 1, 10
 *   "hằng năm (trước ngày 15/12)"               yearly, 0, 15 (a date d/m: the
 *                                               month m counted from the period's end)
 *   "định kỳ" with no period                    the default rule, marked unspecified
 * Several periods in one clause ("hàng tháng, quý, 6 tháng, 1 năm") give the
 * shortest; a date applies to it ("6 tháng và hàng năm (trước ngày 15/12)"
 * -> half-yearly, 0, 15: by 15/6 and 15/12, the Decree 09/2019 cut-offs).
 * In running text a clause (split at '.', ';', ':' and bullets) counts only
 * when it speaks of reporting ("báo cáo"); a deadline field ("Hàng năm")
 * counts as it is. "Hàng ngày" and "Thường xuyên" are duties, not
 * reporting cadences. Pure; no allocation kept.
 */
#ifndef DH_CORE_CADENCE_H
#define DH_CORE_CADENCE_H

#include <stdbool.h>

#include "core/taskstatus.h"

#define DH_CADENCE_PHRASE_MAX 240

/* The rule where nothing is printed: monthly, by the 10th of the month after. */
#define DH_REPORT_RULE_DEFAULT ((dh_report_rule){DH_REPORT_MONTHLY, 1, 10})

typedef struct dh_cadence {
    bool found;        /* a reporting cadence (or "định kỳ") is printed */
    bool unspecified;  /* only "định kỳ": the default rule applies */
    bool day_printed;  /* the day (or date) is printed */
    dh_report_rule rule;
    char phrase[DH_CADENCE_PHRASE_MAX]; /* the printed clause, clipped */
} dh_cadence;

/* Reads text (valid UTF-8; NULL reads as ""). field: the text is a whole
 * deadline field, no "báo cáo" needed. Returns out->found; when not found
 * out->rule is the default. The first clause with a period wins over one
 * with only "định kỳ". */
bool dh_cadence_parse(const char *text, bool field, dh_cadence *out);

/* The stable name of a rule's period: "monthly", "quarterly", "half_yearly",
 * "yearly", "none". */
const char *dh_report_every_name(dh_report_every e);

#endif
