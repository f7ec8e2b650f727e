/* deadline.h - task deadlines as written in plan documents ("Thời gian hoàn
 * thành": "Quý IV/2024", "2023-2025", "Hàng năm", "Thường xuyên", "sau 07
 * ngày từ khi có Kế hoạch của UBND Tỉnh"...) turned into dates, keeping the
 * original text (domain.md §6).
 *
 * Matching works on the folded text (dh_text_fold: lower case, no
 * diacritics, đ -> d, white space collapsed), so "Hàng năm", "Hằng năm" and
 * "HANG NAM" are one expression; Markdown emphasis and punctuation around the
 * expression ("**tháng 12/2024.**") and lead-in words ("Thời gian hoàn thành:",
 * "Ban hành", "trước", "đến hết", "cuối", "giai đoạn") are ignored. The whole
 * text must match one expression: anything else is kept as free text and
 * flagged for a human (needs_review), never guessed at.
 *
 * Ownership: a parsed dh_deadline owns `text` (a malloc'd copy of the input,
 * verbatim); release it with dh_deadline_cleanup. Everything else here is
 * pure: no clock (the dates a relative deadline counts from are parameters),
 * no I/O.
 */
#ifndef DH_DEADLINE_H
#define DH_DEADLINE_H

#include <stdbool.h>
#include <stddef.h>

#include "util/date.h"
#include "util/err.h"

/* Inputs longer than this (bytes) are refused with DH_E_TOOLARGE. */
#define DH_DL_TEXT_MAX 2048

/* What a deadline text says. In the comments, [start, due] are the members
 * of dh_deadline; "none" is DH_DATE_NONE. */
typedef enum dh_dl_kind {
    DH_DL_FREE = 0,     /* nothing recognised: start, due none; needs_review */
    DH_DL_DATE,         /* "31/12/2024", "ngày 15/12/2024": due that day */
    DH_DL_MONTH,        /* "tháng 12/2024", "Tháng 12 năm 2024", "12/2024": last day */
    DH_DL_QUARTER,      /* "Quý IV/2024", "quý 3/2024", "Quý II năm 2024" */
    DH_DL_HALF,         /* "6 tháng đầu năm 2024" (30/6), "6 tháng cuối năm 2024" */
    DH_DL_YEAR,         /* "2023", "năm 2024", "đến hết năm 2025": 31/12 */
    DH_DL_YEAR_RANGE,   /* "2023-2025", "giai đoạn 2023 - 2025": start 1/1/2023 */
    DH_DL_RANGE,        /* any other range: "Từ tháng 7/2024 đến tháng 10/2024" */
    DH_DL_YEARLY,       /* "Hàng năm", "Hằng năm [2023-2025]" (recurring) */
    DH_DL_QUARTERLY,    /* "Hàng quý" (recurring) */
    DH_DL_MONTHLY,      /* "Hàng tháng" (recurring) */
    DH_DL_DAILY,        /* "Hàng ngày", "Hằng ngày" (recurring) */
    DH_DL_CONTINUOUS,   /* "Thường xuyên": no deadline, periodic reporting only */
    DH_DL_RELATIVE,     /* "sau 07 ngày từ khi có Kế hoạch...", "trong vòng 10 ngày" */
    DH_DL_KIND_COUNT
} dh_dl_kind;

/* The document a relative deadline counts from. */
typedef enum dh_dl_anchor {
    DH_DL_ANCHOR_NONE = 0, /* not a relative deadline */
    DH_DL_ANCHOR_PARENT,   /* "từ khi có Kế hoạch của UBND Tỉnh": the higher plan */
    DH_DL_ANCHOR_SELF,     /* "kể từ ngày Kế hoạch này ban hành": this plan */
    DH_DL_ANCHOR_UNKNOWN,  /* "trong vòng 10 ngày": unsaid; needs_review */
} dh_dl_anchor;

typedef struct dh_deadline {
    dh_dl_kind kind;
    /* The last day by which the task is due, or none (free, relative,
     * continuous, recurring without a span). For recurring and continuous
     * kinds with a span ("Hàng năm 2023-2025"), [start, due] is the span in
     * which the recurrence applies: nothing is late against it. */
    dh_date due;
    /* The first day of a range or span; none for single periods. */
    dh_date start;
    /* DH_DL_RELATIVE: the number of days after the anchor document's date,
     * counted in calendar days unless working_days (then "ngày làm việc",
     * which needs a calendar: see dh_deadline_resolve). 0 otherwise. */
    int rel_days;
    bool working_days;
    dh_dl_anchor anchor;
    /* DH_DL_YEARLY: the day of each year an occurrence is due, 31/12 unless
     * the text says otherwise ("Hàng năm (trước ngày 15/12)"). 0 otherwise. */
    int yearly_month, yearly_day;
    /* A person must look at it: free text, or a relative deadline whose
     * anchor is not said. */
    bool needs_review;
    char *text; /* owned copy of the input, verbatim */
} dh_deadline;

/* Parses s (valid UTF-8). Every valid input gives a deadline (DH_DL_FREE at
 * worst). Returns DH_OK and fills *out, which the caller releases with
 * dh_deadline_cleanup; or DH_E_MALFORMED (not UTF-8) / DH_E_TOOLARGE (more
 * than DH_DL_TEXT_MAX bytes) with *e set and *out zeroed (text NULL). */
dh_status dh_deadline_parse(const char *s, dh_deadline *out, dh_err *e);

/* Frees d->text and zeroes *d. Safe on a zeroed or already cleaned deadline. */
void dh_deadline_cleanup(dh_deadline *d);

/* The stable English name of a kind ("quarter", "year_range", "free"...);
 * "?" for a value out of range. */
const char *dh_dl_kind_name(dh_dl_kind k);

/* True for the kinds that repeat (yearly, quarterly, monthly, daily). */
bool dh_deadline_is_recurring(const dh_deadline *d);

/* The due date of d given the dates of the documents a relative deadline may
 * count from (either may be DH_DATE_NONE): for DH_DL_RELATIVE, the anchor's
 * date plus rel_days (an unknown anchor counts from self_date, the plan that
 * holds the task); DH_DATE_NONE when that date is none or when working_days
 * (count those with workcal.h). For every other kind, d->due. */
dh_date dh_deadline_resolve(const dh_deadline *d, dh_date parent_date, dh_date self_date);

/* One period of a recurring deadline: the task is due by `due` for the work
 * of [start, due]. */
typedef struct dh_dl_occurrence {
    dh_date start, due;
} dh_dl_occurrence;

/* The occurrences of a recurring deadline whose period [start, due]
 * overlaps [from, to] (inclusive; cut to the deadline's span when it has
 * one): yearly periods are 1/1..31/12 (or 1/1..the yearly due
 * day), quarterly and monthly periods are calendar quarters and months, daily
 * ones single days. Writes the first min(total, cap) of them, in date order,
 * into out (which may be NULL when cap is 0) and returns the total, which
 * may exceed cap. Returns 0 for a non-recurring kind or when from > to.
 * Dates outside years 1000..9999 are clamped to them. */
size_t dh_deadline_occurrences(const dh_deadline *d, dh_date from, dh_date to,
                               dh_dl_occurrence *out, size_t cap);

#endif
