/* plan.h - the pure rules of plans and their tasks: a task's status from
 * its progress updates (one status per occurrence for recurring tasks),
 * roadmap milestones read from the printed text, cycles in the "implements"
 * relation between plans, and the coverage of a higher plan's tasks by the
 * plans of the units they are assigned to (domain.md §6, issue 7).
 *
 * Pure: "today" and every fact are parameters. Ownership: functions that
 * return arrays say so; everything else borrows its inputs.
 */
#ifndef DH_CORE_PLAN_H
#define DH_CORE_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/deadline.h"
#include "core/taskstatus.h"
#include "util/date.h"

/* Days before the due date in which a task behind a linear pace is at risk. */
#define DH_TASK_RISK_MARGIN 30

/* ---- Status from progress updates. ------------------------------------ */

/* One progress update (comments never count). */
typedef struct dh_tupdate {
    dh_date date;       /* the day it reports on */
    dh_date occurrence; /* recurring: the due date of the period it reports on, or none */
    int percent;        /* 0..100, or -1 when it gives none */
    bool done;          /* declares the task (or the occurrence) done */
} dh_tupdate;

/* What a task is, for its status. */
typedef struct dh_tdef {
    dh_dl_kind kind;       /* the deadline's kind */
    dh_date start, due;    /* resolved; for recurring kinds the span (may be none) */
    /* The plan's term. span_from: where recurring tasks without a span of
     * their own begin. span_to (DH_DATE_NONE: open): the term's last day;
     * every duty ends with it (see dh_task_eval). */
    dh_date span_from, span_to;
    int yearly_month, yearly_day;
    dh_report_rule report;
    int risk_margin_days;
} dh_tdef;

/* The facts of an occurrence (or of the whole task when occ is NULL) known
 * on day `asof` (updates dated after it are ignored): the latest percent,
 * the first completion, the latest report. An update with percent 100
 * counts as a completion. Updates of a recurring task belong to the
 * occurrence they name, else to the one whose period holds their date. */
void dh_task_facts_of(const dh_tdef *t, const dh_dl_occurrence *occ, const dh_tupdate *u,
                      size_t n, dh_date asof, dh_task_facts *out);

/* True for the recurring kinds handled per occurrence (yearly, quarterly,
 * monthly). A daily duty is followed like a continuous task: by its reports. */
bool dh_task_per_occurrence(const dh_tdef *t);

/* The occurrences of a recurring task from its span (or span_from..span_to)
 * up to the one holding `until` (inclusive), at most cap of them (the
 * latest ones). Writes them into out in date order and returns how many. */
size_t dh_task_occurrences(const dh_tdef *t, dh_date until, dh_dl_occurrence *out, size_t cap);

/* The status of the task on today: for a per-occurrence task, that of the
 * occurrence holding today (or the last one when the span is over, the
 * first when it has not begun); otherwise of the whole task. *occ (may be
 * NULL) receives the occurrence judged, or {none, none}.
 * After the term (today > span_to) the status is final: done or done_late
 * when the task (its last occurrence) was completed; a continuous, daily or
 * undated duty whose reporting was up to date on the term's last day is
 * done (reason "duty_ended"); anything else is not_done (reason
 * "term_ended"). No report is asked for after the term. */
void dh_task_eval(const dh_tdef *t, const dh_tupdate *u, size_t n, dh_date today,
                  dh_task_status *out, dh_task_facts *facts, dh_dl_occurrence *occ);

/* ---- Plan terms. ---------------------------------------------------------- */

/* Reads a plan's term from its printed title (or any phrase of it):
 *   "năm 2024"                              -> 2024-01-01..2024-12-31
 *   "giai đoạn 2023-2025" (hyphen, en dash,  -> 2023-01-01..2025-12-31
 *    spaces around it)
 *   "đến năm 2025"                          -> issued (or none)..2025-12-31
 * ", định hướng đến năm 2030" / "tầm nhìn đến năm 2030" is a horizon, not
 * the term: *horizon gets 2030 (0 when none). When "năm YYYY" occurs more
 * than once the last one is the term ("... năm 2023 và giải pháp thực hiện
 * năm 2024" -> 2024); years inside dates ("ngày 28/6/2024") and document
 * numbers are ignored. Returns 0 and the term, or -1 with *why (static,
 * Vietnamese) when the text names no term. */
int dh_plan_term_parse(const char *text, dh_date issued, dh_date *from, dh_date *to,
                       int *horizon, const char **why);

/* ---- Roadmaps. ----------------------------------------------------------- */

#define DH_MILESTONES_MAX 32

/* One milestone of a roadmap "7/2024–9/2024: text; 12/2024: text": the
 * period [from, due] (months: first and last day) and its text. Dates are
 * DH_DATE_NONE when the part has no leading month or range. text points
 * into the caller's buffer (see dh_milestones_parse). */
typedef struct dh_milestone {
    dh_date from, due;
    const char *text;
} dh_milestone;

/* Splits buf (modified in place: separators become NULs) at ';' and reads
 * each part's leading "M/YYYY[–M/YYYY]:" (hyphen or en dash). Returns the
 * number of milestones written (at most cap); parts after cap are dropped. */
size_t dh_milestones_parse(char *buf, dh_milestone *out, size_t cap);

/* ---- Implementation graph and coverage. --------------------------------- */

/* Would giving plan `p` the parents `parents` (indexes into a graph of n
 * plans whose current parents are given by parents_of) make a cycle? True
 * when p is one of them or an ancestor of one of them. */
typedef size_t (*dh_parents_fn)(void *closure, size_t plan, const size_t **parents);
bool dh_plan_would_cycle(size_t n, size_t p, const size_t *parents, size_t nparents,
                         dh_parents_fn parents_of, void *closure);

/* A task of the higher plan: is it assigned to the unit (lead)? */
typedef struct dh_cov_task {
    int64_t id;
    bool assigned; /* the unit is among its lead units */
} dh_cov_task;

/* A task of any plan that implements a higher task. */
typedef struct dh_cov_impl {
    int64_t parent_task_id;
    bool by_unit;  /* its plan was issued by the unit */
    int percent;   /* latest, or -1 */
    bool done;
} dh_cov_impl;

typedef struct dh_cov_result {
    size_t task;  /* index into the higher tasks */
    int implementing; /* implementing tasks in the unit's plans */
    bool covered;
    int rollup;   /* mean percent of every implementing task (done = 100), or -1 */
} dh_cov_result;

/* For every higher task assigned to the unit, in order: covered when at
 * least one task in a plan issued by the unit implements it. Writes into
 * out (room for nt) and returns how many. */
size_t dh_plan_coverage(const dh_cov_task *t, size_t nt, const dh_cov_impl *im, size_t ni,
                        dh_cov_result *out);

/* The mean percent of the implementing tasks of one higher task (done
 * counts as 100, never reported as 0), or -1 when it has none. */
int dh_plan_rollup(int64_t task_id, const dh_cov_impl *im, size_t ni);

#endif
