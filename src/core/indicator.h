/* indicator.h - the pure rules of indicators, targets and report
 * obligations (issue 8; docs/INDICATORS.md): period types and their
 * arithmetic (incl. the Decree 09/2019/NĐ-CP data cut-off periods), the
 * aggregation of values across units, due dates of obligations, and the
 * projection of a series to a target's date with the status it gives.
 *
 * Invariants this file enforces:
 *  1. Periods of one type tile the time line: every day lies in exactly one
 *     period of each type, and dh_ind_period_index numbers consecutive
 *     periods with consecutive integers.
 *  2. A ratio aggregates as the ratio of the summed numerators and
 *     denominators, never as the mean of the units' ratios.
 *  3. A target's status at a date uses only the points whose period ended
 *     on or before that date.
 *
 * No I/O, no clock, no allocation except where a function says so.
 */
#ifndef DH_CORE_INDICATOR_H
#define DH_CORE_INDICATOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/period.h"
#include "core/uom.h"
#include "core/unit.h"

/* ---- Period types. ------------------------------------------------------ */
typedef enum dh_ptype {
    DH_PT_DAY,
    DH_PT_MONTH,
    DH_PT_QUARTER,
    DH_PT_HALF,
    DH_PT_YEAR,
    DH_PT_CUT_MONTH,   /* Decree 09: 15th of the month before .. 14th */
    DH_PT_CUT_QUARTER, /* Q1 = 15/12 .. 14/03 */
    DH_PT_CUT_HALF,    /* H1 = 15/12 .. 14/06 */
    DH_PT_CUT_YEAR,    /* 15/12 of the year before .. 14/12 */
    DH_PT_COUNT
} dh_ptype;

/* "day", "month", "quarter", "half_year", "year", "cutoff_month",
 * "cutoff_quarter", "cutoff_half_year", "cutoff_year". */
const char *dh_ptype_name(dh_ptype t);
/* The length of a period type in months (day: 0; cut-off periods as their
 * calendar counterparts): what "finer" and "coarser" compare. */
int dh_ptype_months(dh_ptype t);
int dh_ptype_parse(const char *s, dh_ptype *t);

/* Parses a period label and checks that it is exactly one period of type
 * t ("2024-07" for a month, "2024-Q3", "2024-H1", "2024", "2024-07-15",
 * "cutoff:2025-Q1", ...). Returns 0, or -1 with a reason (static text). */
int dh_ind_period_parse(dh_ptype t, const char *s, dh_period *out, const char **why);
/* The period of type t that contains day d. */
dh_period dh_ind_period_of(dh_ptype t, dh_date d);
/* The period after p (p a period of type t). */
dh_period dh_ind_period_next(dh_ptype t, dh_period p);
/* Consecutive integers for consecutive periods of one type. */
int32_t dh_ind_period_index(dh_ptype t, dh_period p);
/* The label of p as dh_ind_period_parse reads it; out at least 24 bytes. */
void dh_ind_period_label(dh_ptype t, dh_period p, char *out, size_t cap);

/* ---- Aggregation across units (one period). ----------------------------- */
typedef enum dh_aggk { DH_AGG_SUM, DH_AGG_RATIO, DH_AGG_MEAN, DH_AGG_LATEST, DH_AGG_MAX } dh_aggk;
const char *dh_aggk_name(dh_aggk k);
int dh_aggk_parse(const char *s, dh_aggk *k);

typedef struct dh_ind_acc {
    dh_aggk k;
    double scale; /* ratio: 100 for percentages, else 1 */
    double sum, num, den, max, latest;
    int64_t latest_at;
    int n, nratio; /* values added; of which with numerator and denominator */
} dh_ind_acc;

void dh_ind_acc_init(dh_ind_acc *a, dh_aggk k, double scale);
/* Adds one unit's value; has_nd: numerator and denominator are given. at:
 * when it was received (for `latest`). */
void dh_ind_acc_add(dh_ind_acc *a, double value, bool has_nd, double num, double den,
                    int64_t at);
/* The aggregate. Returns 0, or -1 when there is none (no value; a ratio
 * whose summed denominator is 0). A ratio with no numerator/denominator at
 * all falls back to the mean of the values (*fallback set). */
int dh_ind_acc_value(const dh_ind_acc *a, double *out, bool *fallback);

/* ---- Report obligations. --------------------------------------------- */
/* Due rules: "next_month_day:N" (day N of the month after the period ends;
 * "monthly by the 10th"), "days_after_end:N", "yearly:MM-DD" (that day of
 * the year in which the period ends; "yearly by 15/12"). */
int dh_due_rule_check(const char *rule, const char **why);
/* The last day on which a report for p is on time. */
dh_date dh_due_date(const char *rule, dh_period p);

/* Is unit u (registry index) expected to report for period p? Only when it
 * exists on the period's last day, the day the figures are cut off: a ward
 * merged mid-year is expected for the months before the merger and not for
 * the year (its successor reports for the whole year); a unit created
 * mid-period is expected from the first period ending after its creation. */
bool dh_obl_expected(const dh_unitreg *r, int32_t u, dh_period p);

/* ---- Source freshness. ---------------------------------------------- */
/* An indicator's expected freshness (its `freshness` text):
 *   "daily:HH:MM"  something is received every day by HH:MM (local time);
 *   "monthly:N"    a month's value is in by the end of day N of the next
 *                  month ("monthly by the 10th"; N past the month's end
 *                  means its last day);
 *   "quarterly:N"  a quarter's value by the end of day N of the month
 *                  after the quarter;
 *   "half_yearly:N", "yearly:N"  likewise for halves and years (issue 19).
 * Minutes are local minutes since 1970-01-01 (UTC+7). */
typedef enum dh_frkind {
    DH_FR_DAILY,
    DH_FR_MONTHLY,
    DH_FR_QUARTERLY,
    DH_FR_HALF_YEARLY,
    DH_FR_YEARLY
} dh_frkind;
typedef struct dh_fresh {
    dh_frkind kind;
    int minute; /* daily: minutes after midnight */
    int day;    /* monthly, quarterly: N */
} dh_fresh;
/* Returns 0, or -1 with a reason (static text). */
int dh_fresh_parse(const char *s, dh_fresh *out, const char **why);
/* A rule follows its indicator's period type: one finer than the period
 * (monthly for a yearly indicator) is coarsened to the period's length,
 * keeping its day, so a yearly value is late only after the year's due
 * date. Daily rules and day periods are left alone. */
void dh_fresh_for_period(dh_fresh *f, dh_ptype pt);
/* The period type of a (non-daily) rule's periods: month, quarter, half, year. */
dh_ptype dh_fresh_ptype(const dh_fresh *f);

typedef struct dh_fresh_eval {
    bool late;
    int late_by_days;  /* whole days since the first deadline missed; -1: unknown
                          (nothing ever received) or not late */
    int64_t due_min;   /* daily: the latest deadline passed (local minutes) */
    dh_date due_day;   /* monthly, quarterly: the latest deadline passed */
    dh_period expected; /* monthly, quarterly: the period due by then */
} dh_fresh_eval;
/* Judges a source at local minute now_min. Daily rules look at the last
 * receipt (last_recv_min: local minutes, when have); monthly and quarterly
 * rules at the last day covered by a value (last_to). */
void dh_fresh_judge(const dh_fresh *f, int64_t now_min, bool have, int64_t last_recv_min,
                    dh_date last_to, dh_fresh_eval *out);

/* ---- Targets, projection, status. ------------------------------------ */
typedef enum dh_tstatus {
    DH_TS_NO_DATA,
    DH_TS_ON_TRACK,
    DH_TS_AT_RISK,
    DH_TS_OFF_TRACK
} dh_tstatus;
const char *dh_tstatus_name(dh_tstatus s);
/* The Vietnamese label ("Đúng tiến độ", ...). */
const char *dh_tstatus_label_vi(dh_tstatus s);
int dh_tstatus_parse(const char *s, dh_tstatus *out);

typedef struct dh_milestone {
    dh_date date;
    double value;
} dh_milestone;

typedef struct dh_tgt {
    double value;
    dh_date due; /* DH_DATE_NONE: no date (judged on the latest value) */
    bool lower;  /* lower is better */
    const dh_milestone *ms;
    size_t nms; /* sorted by date */
} dh_tgt;

/* One point of a series: a period's aggregated value. */
typedef struct dh_ind_point {
    dh_period p;
    double v;
} dh_ind_point;

/* How far short of the target a projection may fall (relative to the
 * target) and still be "at risk" rather than "off track". */
#define DH_TGT_TOLERANCE 0.10
/* The projection fits a line to at most this many latest points. */
#define DH_TGT_FIT_POINTS 6

typedef struct dh_tgt_eval {
    dh_tstatus status;
    bool has_actual;
    double actual;      /* the latest value on or before as_of */
    dh_period actual_p; /* its period */
    bool met;           /* the latest value satisfies the target */
    double gap;         /* target - actual (higher is better), actual - target (lower) */
    bool has_projection;
    double projection;  /* at the due date's period */
    const char *method; /* "linear_least_squares" | "last_value" | "none" */
    int fit_points;
    double slope;       /* per period */
    int missed_ms;      /* index of the latest passed milestone missed, -1 */
    dh_date since;      /* the first day of the current status */
} dh_tgt_eval;

/* Evaluates a target on `as_of` from points sorted by period (only those
 * ending on or before as_of count). pt: the points' period type. */
void dh_target_eval(const dh_tgt *t, dh_ptype pt, const dh_ind_point *pts, size_t n,
                    dh_date as_of, dh_tgt_eval *out);
/* Least squares line through (x[i], y[i]); returns -1 when n < 2 or all x
 * are equal. */
int dh_linear_fit(const double *x, const double *y, size_t n, double *slope, double *icept);

#endif
