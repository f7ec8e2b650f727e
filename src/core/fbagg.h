/* fbagg.h - citizen feedback KPIs as sums of per (handling unit, day)
 * counters (issue 17), as core/kpiagg.h does for dossiers.
 *
 * Every figure of a unit's feedback KPIs for a period of whole local days
 * [from, to] is a sum of cells: received on the day of receipt; answered,
 * on time, late, rated, satisfied and the working minutes to answer on the
 * day of the answer. The open figures at an instant `at` come from two more
 * counters that only open records have: `open` on the day of receipt and
 * `due` on the day of the deadline that applies now (none while paused).
 * Open at `at`: the open records received on or before at's day; over
 * deadline: those whose deadline is before at (the cells of the days before
 * at's day, plus the records due on at's day before at, which the store
 * counts exactly); within: the rest.
 *
 * A record reduces to a fact (dh_fbfact) derived from its stored summary;
 * a change of the record removes the old fact's contributions and adds the
 * new one's. Pure: no I/O, no clock. Days are dh_date (local, UTC+7). */
#ifndef DH_CORE_FBAGG_H
#define DH_CORE_FBAGG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "util/date.h"

enum {
    DH_FBC_RECEIVED,
    DH_FBC_ANSWERED,
    DH_FBC_ON_TIME,
    DH_FBC_LATE,
    DH_FBC_RATED,     /* answered records with a rating */
    DH_FBC_SATISFIED, /* ... of 4 or 5 */
    DH_FBC_MINUTES,   /* working minutes to answer, summed on the answer's day */
    DH_FBC_OPEN,      /* open now, on the day of receipt */
    DH_FBC_DUE,       /* open now with a running deadline, on the deadline's day */
    DH_FBC_N
};

/* The counters of one (unit, day) cell. */
typedef struct dh_fbcell {
    int64_t n[DH_FBC_N];
} dh_fbcell;

void dh_fbcell_add(dh_fbcell *into, const dh_fbcell *c, int sign);
bool dh_fbcell_zero(const dh_fbcell *c);

/* One record as the aggregates see it (times 0 = none). */
typedef struct dh_fbfact {
    bool open;            /* received, accepted, in_progress or needs_info */
    time_t received_at;   /* never 0 in a stored record */
    time_t answered_at;
    time_t due_at;        /* the deadline that applies now; 0 = none or paused */
    bool on_time, late;   /* the answer's outcome */
    int64_t answer_minutes;
    int rating;           /* 0 = none */
} dh_fbfact;

/* The fact of a stored summary: state and outcome by their core/feedback.h
 * names (an unknown state counts as not open). */
void dh_fbfact_of(const char *state, const char *outcome, time_t received_at,
                  time_t answered_at, time_t due_at, int64_t answer_minutes, int rating,
                  dh_fbfact *out);

/* A fact's contributions: up to DH_FBFACT_MAX cells (day, counters), each
 * to be added (sign +1) or removed (-1); days are distinct. Returns how many
 * were written. */
#define DH_FBFACT_MAX 3
typedef struct dh_fbcontrib {
    dh_date day;
    dh_fbcell d;
} dh_fbcontrib;
size_t dh_fbfact_contribs(const dh_fbfact *f, dh_fbcontrib out[DH_FBFACT_MAX]);

/* The KPI figures of one unit (store/feedback.h dh_fb_stats_row's order). */
typedef struct dh_fbfigures {
    int64_t received, answered, on_time, late, answer_minutes, rated, satisfied;
    int64_t open_within, open_overdue;
} dh_fbfigures;

/* The figures from the sum of the cells of [from, to] (`period`), the sum
 * of the cells of the days up to at's day (`upto`, of which only OPEN and
 * DUE are read), the sum of the cells before at's day (`before`, only DUE)
 * and the open records due on at's day before at (`due_today`). */
void dh_fbfigures_of(const dh_fbcell *period, const dh_fbcell *upto, const dh_fbcell *before,
                     int64_t due_today, dh_fbfigures *out);

#endif
