/* dossier.h - the clock of an administrative dossier, derived from its
 * events (domain.md §3): the due instant, pauses for supplements, the
 * working time used, and the outcome at any instant.
 *
 * Pure: events, the calendar, the procedure's time limit and "now" are all
 * parameters; a dossier's state is always a replay of its events, so an
 * event that arrives late corrects it. Strings in a view point into the
 * events given (which must outlive the view).
 */
#ifndef DH_DOSSIER_H
#define DH_DOSSIER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/workcal.h"

typedef enum dh_de_type {
    DH_DE_RECEIVED,
    DH_DE_SUPPLEMENT_REQUESTED,
    DH_DE_SUPPLEMENT_COMPLETED,
    DH_DE_TRANSFERRED,
    DH_DE_EXTENDED,
    DH_DE_PROCESSED,
    DH_DE_RESULT_RETURNED,
    DH_DE_REFUSED,
    DH_DE_STOPPED,
    DH_DE_WITHDRAWN,
    DH_DE_PAID,
    DH_DE_RATED,
    DH_DE_DIGITISED,
    DH_DE_COUNT
} dh_de_type;

const char *dh_de_type_name(dh_de_type t);
int dh_de_type_parse(const char *s, dh_de_type *t);

typedef enum dh_channel { DH_CH_COUNTER = 0, DH_CH_ONLINE = 1, DH_CH_POSTAL = 2 } dh_channel;
const char *dh_channel_name(dh_channel c);
int dh_channel_parse(const char *s, dh_channel *c);

typedef struct dh_devent {
    dh_de_type type;
    time_t at;
    const char *source, *id; /* identity; the last tie-break when sorting */
    /* received */
    const char *unit, *procedure;
    dh_channel channel;
    bool by_applicant;
    time_t appointment; /* 0 = none given */
    /* transferred */
    const char *to_unit;
    /* extended */
    time_t new_appointment;
    /* paid, rated, digitised */
    bool paid_online;
    int rating;
    bool digitised_input, digitised_result;
} dh_devent;

/* How a procedure's statutory time is counted. */
typedef enum dh_dur_unit {
    DH_DUR_WORKING_DAYS,
    DH_DUR_WORKING_HOURS,
    DH_DUR_DAYS,
    DH_DUR_MONTHS
} dh_dur_unit;
const char *dh_dur_unit_name(dh_dur_unit u);
int dh_dur_unit_parse(const char *s, dh_dur_unit *u);

typedef struct dh_time_limit {
    int duration;
    dh_dur_unit unit;
    int cutoff_min; /* a receipt at or after this time of day counts from the next working day; -1 */
} dh_time_limit;

/* The rule version (configurable). */
typedef struct dh_clock_rules {
    int max_supplements; /* more supplement requests than this make a dossier late (1) */
    int at_risk_minutes; /* due within this much working time: at risk (<= 0: one working day) */
} dh_clock_rules;

typedef enum dh_dstate {
    DH_DS_INCOMPLETE, /* no "received" event yet (events out of order) */
    DH_DS_IN_PROGRESS,
    DH_DS_PAUSED,
    DH_DS_RESOLVED,
    DH_DS_CLOSED /* refused, stopped or withdrawn */
} dh_dstate;

typedef enum dh_outcome {
    DH_OUT_NONE,
    DH_OUT_EARLY,
    DH_OUT_ON_TIME,
    DH_OUT_LATE,
    DH_OUT_WITHIN,
    DH_OUT_AT_RISK,
    DH_OUT_OVERDUE
} dh_outcome;

const char *dh_dstate_name(dh_dstate s);
const char *dh_outcome_name(dh_outcome o); /* NULL for DH_OUT_NONE */

typedef struct dh_dossier_view {
    dh_dstate state;
    dh_outcome outcome;
    const char *receiving_unit, *unit, *procedure; /* unit: after transfers */
    dh_channel channel;
    bool by_applicant;
    time_t received_at;
    time_t counting_from; /* the next working instant at or after receipt (cut-off applied) */
    time_t due_at;        /* the appointment or the statutory deadline (original) */
    time_t extended_to;   /* the last extension's new appointment, 0 = none */
    time_t due_effective; /* due_at pushed back by the working time paused so far */
    time_t finished_at;   /* 0 while in progress */
    int nsupplements;
    bool in_pause;
    int64_t budget_minutes;  /* working minutes from counting_from to due_at */
    int64_t used_minutes;    /* working minutes used, pauses excluded */
    int64_t paused_minutes;  /* working minutes inside pauses */
    int64_t late_minutes;    /* used - budget: > 0 late, < 0 early */
    bool paid_online, paid;
    int rating; /* 0 = none */
    bool digitised_input, digitised_result;
    /* what the aggregates count (docs/KPIS.md): the first payment, the first
     * rating, the first digitisation of the input; 0 = none */
    time_t first_paid_at, first_rated_at, digitised_input_at;
    bool first_paid_online;
    int first_rating;
} dh_dossier_view;

/* Sorts events into replay order: by instant, then lifecycle order, then
 * (source, id). */
void dh_devents_sort(dh_devent *ev, size_t n);

/* Checks the order of a dossier's (sorted) events: a completion or any
 * lifecycle event before receipt, a lifecycle event after the terminal one
 * (result returned, refused, stopped, withdrawn), two receipts. Returns the
 * index of the first offending event and a reason, or -1. */
long dh_devents_check(const dh_devent *ev, size_t n, const char **why);

/* Replays sorted events at instant now. tl: the procedure's time limit (used
 * when the receipt gives no appointment). Returns 0, or -1 when an instant
 * is outside the calendar's range. */
int dh_dossier_replay(const dh_devent *ev, size_t n, const dh_workcal *wc, const dh_time_limit *tl,
                      const dh_clock_rules *rules, time_t now, dh_dossier_view *out);

/* The dossier as the aggregates count it (core/kpiagg.h), from all its
 * sorted events: the days of receipt, finish, first payment and rating, and
 * the first day at whose end it was open and overdue — found by replaying
 * at the ends of days, so that it agrees with a replay at the end of any
 * period by construction. f->key is left 0. Returns 0, or -1 when an
 * instant is outside the calendar's range. */
struct dh_dfact;
int dh_dossier_fact(const dh_devent *ev, size_t n, const dh_workcal *wc, const dh_time_limit *tl,
                    const dh_clock_rules *rules, struct dh_dfact *f);

#endif
