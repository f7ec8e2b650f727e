/* taskstatus.h - the status of a plan task (or of one occurrence of a
 * recurring task) on a given day, derived from its deadline, its progress
 * and its reporting obligation.
 *
 * Pure: "today" and every fact are parameters, nothing is stored. Facts
 * dated after today (a progress figure, a report, a completion) are treated
 * as not yet known, so the status of any past day can be asked for with the
 * facts of that day. Dates are whole days: a task due on the 31st is on time
 * all of the 31st and overdue from the 1st.
 *
 * Precedence, highest first (the first that applies is the status):
 *   1. done / done_late  a completion dated on or before today; done_late
 *                        when dated after the due date. Done beats all.
 *   2. overdue           not done and today > due.
 *   3. no_report         the report of the latest reporting period whose
 *                        report deadline has passed was not received (a
 *                        missing report hides the real progress, so it
 *                        outranks a judgement made on stale figures).
 *   4. at_risk           due - today <= margin and progress below a linear
 *                        pace from start to due (end of today counted;
 *                        without a start date the pace asks for 100%).
 *   5. not_started       before the start date, or no progress yet (0% or
 *                        never reported; a continuous task counts as
 *                        started once it has sent a report).
 *   6. in_progress       otherwise.
 * A continuous task ("Thường xuyên", due DH_DATE_NONE) is never overdue or
 * at risk; its status is about reporting. After the term of its plan a task
 * has a final status instead (dh_task_eval in core/plan.h): done, done_late
 * or not_done.
 *
 * Ownership: the result holds only static strings and its own buffer.
 */
#ifndef DH_TASKSTATUS_H
#define DH_TASKSTATUS_H

#include <stdbool.h>

#include "util/date.h"

/* How often progress must be reported. */
typedef enum dh_report_every {
    DH_REPORT_NONE = 0, /* no obligation: no_report never applies */
    DH_REPORT_MONTHLY,
    DH_REPORT_QUARTERLY,
    DH_REPORT_HALF_YEARLY,
    DH_REPORT_YEARLY,
} dh_report_every;

/* A reporting obligation: the report on each period (calendar month,
 * quarter, half or year) is due by `day` of the month `month_offset` months
 * after the period's last month. "Trước ngày 10 hàng tháng" for the month
 * before is {MONTHLY, 1, 10}; "hàng năm (trước ngày 15/12)" is {YEARLY, 0,
 * 15}. day is 1..31, clamped to the month's length; month_offset 0..12. A
 * report counts for a period when it is dated after the previous period's
 * report deadline (a late report still meets the obligation, from its date). */
typedef struct dh_report_rule {
    dh_report_every every;
    int month_offset;
    int day;
} dh_report_rule;

typedef struct dh_task_facts {
    dh_date start;         /* work starts; DH_DATE_NONE: unknown */
    dh_date due;           /* DH_DATE_NONE: continuous, no deadline */
    int progress;          /* latest percent 0..100 (clamped); -1: never reported */
    dh_date progress_date; /* date of that percent; DH_DATE_NONE: undated */
    bool done;
    dh_date done_date;     /* DH_DATE_NONE: done, date unknown (counted on time) */
    dh_report_rule report;
    dh_date last_report;   /* latest progress report; DH_DATE_NONE: never */
    int risk_margin_days;  /* at_risk window before due, >= 0 */
} dh_task_facts;

typedef enum dh_task_state {
    DH_TS_NOT_STARTED = 0,
    DH_TS_IN_PROGRESS,
    DH_TS_DONE,
    DH_TS_DONE_LATE,
    DH_TS_OVERDUE,
    DH_TS_AT_RISK,
    DH_TS_NO_REPORT,
    DH_TS_NOT_DONE, /* the plan's term ended before the task was done (core/plan.h) */
    DH_TS_COUNT
} dh_task_state;

#define DH_TS_EXPLAIN_MAX 256

typedef struct dh_task_status {
    dh_task_state state;
    /* A stable English reason code: "done_on_time", "done_undated",
     * "done_late", "overdue", "report_missed", "behind_pace",
     * "before_start", "no_progress", "on_track", "continuous", and after the
     * plan's term "duty_ended" (done) and "term_ended" (not_done). */
    const char *reason;
    /* Days late (done_late, overdue, no_report: since the report deadline)
     * or left to the due date (at_risk, not_started, in_progress; 0 when
     * there is no due date). */
    int days;
    int expected_progress; /* at_risk: the percent the pace asks for; else -1 */
    dh_date report_due;    /* no_report: the missed report's deadline; else none */
    char explain[DH_TS_EXPLAIN_MAX]; /* one Vietnamese sentence */
} dh_task_status;

/* Derives the status of f on day today into *out (see the precedence
 * above). Never fails; inconsistent facts (due before start) give the status
 * the rules give, never a crash. */
void dh_task_status_derive(const dh_task_facts *f, dh_date today, dh_task_status *out);

/* The report deadline of the latest reporting period whose deadline is
 * before today, and the first and last day of that period; returns false
 * (outputs DH_DATE_NONE) when rule is DH_REPORT_NONE. Exposed for the screens
 * that show "next report due". */
bool dh_report_last_due(const dh_report_rule *rule, dh_date today, dh_date *due,
                        dh_date *period_from, dh_date *period_to);

/* The stable English name of a state ("not_started", "done_late"...); "?"
 * out of range. */
const char *dh_task_state_name(dh_task_state s);

#endif
