/* feedback.h - the life of a citizen's feedback record (phản ánh, kiến
 * nghị; issue 17): its states, the transitions allowed between them, and its
 * two working-time deadlines (to accept or reject, to answer) with the
 * pauses of needs_info excluded, as for a dossier's supplements.
 *
 * Pure: the events, the calendar, the category's limits and "now" are all
 * parameters. A record's state is a replay of its events (sorted by instant,
 * then by sequence number), so the view at any instant is reproducible.
 *
 * State table (event -> from -> to); anything else is refused with a reason:
 *   accept        received                          -> accepted
 *   reject        received, needs_info(from received) -> rejected (reason)
 *   start         accepted                          -> in_progress
 *   request_info  received, accepted, in_progress   -> needs_info (clock paused)
 *   resume        needs_info                        -> the state before the pause
 *   transfer      received, accepted, in_progress, needs_info -> unchanged
 *                 (another handling unit; the clock keeps running)
 *   answer        accepted, in_progress             -> answered (public text)
 *   rate          answered, closed                  -> unchanged (rating 1..5)
 *   close         answered, rejected                -> closed
 *
 * Deadlines: both count from the receipt (the next working instant at or
 * after it), in the handling unit's working time: accept_due after
 * accept_days working days, answer_due after answer_days, each pushed back
 * by the working time spent in needs_info. An answered record is on time or
 * late against its answer deadline, pauses excluded; an open one is within,
 * at risk (at most `at_risk_minutes` of working time left, default one
 * working day but never more than half the budget) or overdue against the
 * deadline that applies now (accept while received, answer afterwards). */
#ifndef DH_CORE_FEEDBACK_H
#define DH_CORE_FEEDBACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/unit.h"
#include "core/workcal.h"

typedef enum dh_fb_state {
    DH_FB_RECEIVED = 0,
    DH_FB_ACCEPTED,
    DH_FB_REJECTED,
    DH_FB_IN_PROGRESS,
    DH_FB_NEEDS_INFO,
    DH_FB_ANSWERED,
    DH_FB_CLOSED,
    DH_FB_STATE_COUNT
} dh_fb_state;

typedef enum dh_fb_event_type {
    DH_FBE_RECEIVED = 0,
    DH_FBE_ACCEPT,
    DH_FBE_REJECT,
    DH_FBE_START,
    DH_FBE_REQUEST_INFO,
    DH_FBE_RESUME,
    DH_FBE_TRANSFER,
    DH_FBE_ANSWER,
    DH_FBE_RATE,
    DH_FBE_CLOSE,
    DH_FBE_COUNT
} dh_fb_event_type;

/* Stable English names ("needs_info", "request_info"...); "?" out of range.
 * The parsers return 0, or -1 for an unknown name. */
const char *dh_fb_state_name(dh_fb_state s);
int dh_fb_state_parse(const char *s, dh_fb_state *out);
const char *dh_fb_event_name(dh_fb_event_type t);
int dh_fb_event_parse(const char *s, dh_fb_event_type *out);

/* Vietnamese labels for pages ("Đã tiếp nhận", "Thụ lý"...); the name
 * itself for an unknown one, "—" for NULL. */
const char *dh_fb_state_label(const char *state);
const char *dh_fb_event_label(const char *type);

/* True for the states in which the record waits on the handling unit or
 * the citizen (received, accepted, in_progress, needs_info). */
bool dh_fb_state_open(dh_fb_state s);

/* The channels a record may come through (issue 17 §1). */
bool dh_fb_channel_valid(const char *channel);

typedef struct dh_fb_event {
    dh_fb_event_type type;
    time_t at;
    int64_t seq;            /* the tie-break between events at one instant */
    const char *to_unit;    /* transfer; received: the first handling unit */
    int rating;             /* rate: 1..5 */
} dh_fb_event;

/* A category's limits, in working days (demo defaults: 1 and 7, marked as
 * defaults to check against the province's rules). */
typedef struct dh_fb_limits {
    int accept_days;
    int answer_days;
    int at_risk_minutes; /* <= 0: one working day, at most half the budget */
} dh_fb_limits;

#define DH_FB_DEFAULT_ACCEPT_DAYS 1
#define DH_FB_DEFAULT_ANSWER_DAYS 7

typedef enum dh_fb_outcome {
    DH_FBO_NONE = 0, /* rejected, or not answered when closed */
    DH_FBO_WITHIN,
    DH_FBO_AT_RISK,
    DH_FBO_OVERDUE,
    DH_FBO_ON_TIME,
    DH_FBO_LATE
} dh_fb_outcome;

/* "within", "at_risk", "overdue", "on_time", "late"; NULL for NONE. */
const char *dh_fb_outcome_name(dh_fb_outcome o);

typedef struct dh_fb_view {
    dh_fb_state state;
    dh_fb_outcome outcome;
    const char *unit;      /* the handling unit after transfers (borrowed) */
    int ntransfers;
    time_t received_at, counting_from;
    time_t accepted_at;    /* accepted or rejected; 0 = not yet */
    time_t answered_at, closed_at;
    time_t accept_due, answer_due; /* pushed back by the pauses so far */
    bool accepted_late;    /* accepted or rejected after accept_due */
    bool in_pause;
    int64_t answer_budget_minutes; /* working minutes to answer_due (original) */
    int64_t used_minutes;   /* working minutes from receipt to the answer or now, pauses excluded */
    int64_t paused_minutes; /* working minutes inside needs_info */
    int rating;             /* the last rating, 0 = none */
} dh_fb_view;

/* Whether event type t may happen in state `from` (before the pause, for
 * `resume` and `reject` from needs_info: pass the state held before it as
 * paused_from). Returns 0 and the state after, or -1 and a reason. */
int dh_fb_transition(dh_fb_state from, dh_fb_state paused_from, dh_fb_event_type t,
                     dh_fb_state *to, const char **why);

/* The outcome of an open record against the deadline that applies now,
 * given the working minutes of its budget and those left until the
 * deadline (negative: past it): overdue when past, at risk when at most the
 * margin is left (at_risk_minutes; <= 0: one working day of day_minutes,
 * never more than half the budget), else within. The one "at risk" rule:
 * dh_fb_replay and the stored records' lists both use it. */
dh_fb_outcome dh_fb_open_outcome(int64_t budget, int64_t left, int64_t day_minutes,
                                 int at_risk_minutes);

/* Sorts events by instant, then seq. */
void dh_fb_events_sort(dh_fb_event *ev, size_t n);

/* Replays sorted events at instant now (events after now are ignored).
 * The first event must be `received`; every later one must be allowed by
 * dh_fb_transition, a rating must be 1..5. Returns 0, or -1 with *why (the
 * index of the offending event in *bad, -1 for a calendar range error). */
int dh_fb_replay(const dh_fb_event *ev, size_t n, const dh_workcal *wc, const dh_fb_limits *lim,
                 time_t now, dh_fb_view *out, long *bad, const char **why);

/* A routing rule: category × commune → handling unit ("" = any). */
typedef struct dh_fb_rule {
    const char *category, *commune, *unit;
} dh_fb_rule;

/* The handling unit of feedback in `category` located in `commune` ("" =
 * none given) on date d: the rule (category, commune), else ("", commune),
 * else the commune's own unit when it exists on d, else (category, ""),
 * else ("", ""); NULL when none applies. A commune that does not exist on d
 * (a ward merged away) matches no commune rule either. */
const char *dh_fb_route(const dh_fb_rule *rules, size_t n, const dh_unitreg *reg,
                        const char *category, const char *commune, dh_date d);

#endif
