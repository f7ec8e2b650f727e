/* dossiers.h - the storage contract for dossier events as received and the dossiers derived from them.
 *
 * One small table of operations, filled by each backend (src/store/sqlite/
 * sq_dossiers.c, ...) and reached from a connection with DH_DOSSIERS(c). The conventions
 * of store.h hold: rows come back through callbacks (0 goes on, non-zero
 * stops), strings given to a callback are borrowed for the call, every
 * operation returns DH_OK or fills *e. The tables only grow at the end. */
#ifndef DH_STORE_DOSSIERS_H
#define DH_STORE_DOSSIERS_H

#include "store/store.h"

/* A dossier event as received (body: JSON, stored as given; the app leaves
 * out of it the members the other columns give back, app/devbody.h). */
typedef struct dh_devent_row {
    int64_t seq;
    const char *source, *id, *dossier, *type;
    time_t at;
    const char *body;
    time_t stored_at;
} dh_devent_row;

/* The derived state of a dossier (times: 0 = none). */
typedef struct dh_dossier_row {
    const char *code, *unit, *receiving_unit, *procedure, *channel;
    bool by_applicant;
    time_t received_at, counting_from, due_at, due_effective, at_risk_from, extended_to,
        finished_at;
    const char *state;
    const char *outcome; /* NULL while in progress (it depends on "now") */
    int64_t used_minutes, budget_minutes, late_minutes;
    int nsupplements;
    bool paid, paid_online;
    int rating;
    bool digitised_input, digitised_result;
    time_t updated_at;
    const dh_dfact *fact; /* what the aggregates counted; NULL = nothing (put only) */
} dh_dossier_row;

typedef struct dh_dossier_filter {
    const char *units_json; /* a JSON array of unit codes, or NULL for any */
    const char *state;      /* in_progress|paused|resolved|closed|overdue|at_risk|within|
                               early|on_time|late, or NULL */
    const char *procedure;  /* or NULL */
    time_t from, to;        /* received in [from, to); 0 = open */
    const char *q;          /* dossier code prefix, or NULL */
    time_t now;             /* for overdue / at_risk / within */
    int64_t offset;
    int limit;
    const char *channel;         /* counter|online|postal, or NULL */
    const char *procedures_json; /* a JSON array of procedure codes, or NULL for any */
    /* Keyset pagination (issue 20): when after_code is set, the page starts
     * just after the row (after_group, after_due or NULL, after_code) of the
     * list's order (dh_dossier_group, then due_effective with NULLs first,
     * then code) and offset is ignored. */
    const char *after_code;
    int after_group;
    bool after_due_null;
    int64_t after_due;
    /* units_json is a root's whole subtree (dh_dossier_by_unit) */
    bool wide;
} dh_dossier_filter;

typedef int (*dh_devent_cb)(void *closure, const dh_devent_row *row);
typedef int (*dh_dossier_cb)(void *closure, const dh_dossier_row *row);

/* The group of row r in the list of all states at `now`: 0 overdue, 1 at
 * risk, 2 other open (within, paused), 3 finished. That list is ordered by
 * group, then due_effective (NULLs first), then code (bytewise); a list of
 * one state has one group (0) and the same order within it. */
int dh_dossier_group(const dh_dossier_row *r, time_t now);

/* The keyset plan of a list (dsegs.c): the list as consecutive segments,
 * each one index range read in (key, due_effective, code) order with a
 * residual test. key: the state itself (by_state) or the phase expression
 * DH_DOSSIER_PHASE (0 open, 1 otherwise). The NULL deadlines of a segment
 * (when nulls) come before its range [lo, hi). */
#define DH_DOSSIER_PHASE "(CASE WHEN state IN ('in_progress', 'paused') THEN 0 ELSE 1 END)"
enum {
    DH_DSEG_ANY,         /* no residual test */
    DH_DSEG_IN_PROGRESS, /* state = in_progress */
    DH_DSEG_AT_RISK,     /* in_progress, at_risk_from <= now */
    DH_DSEG_OTHER_OPEN,  /* paused, or in_progress neither overdue nor at risk */
    DH_DSEG_FINISHED,    /* state <> incomplete */
    DH_DSEG_OUTCOME,     /* finished with outcome = the filter's state */
    DH_DSEG_WITHIN,      /* at_risk_from > now */
};
typedef struct dh_dseg {
    int group;
    const char *state; /* the key when by state, else NULL (phase key) */
    int phase;
    int64_t lo, hi;
    bool nulls;
    int test; /* DH_DSEG_* */
    /* when set (with state): only this unit's rows, read on the index led
     * by (unit, state) (the walk by unit of a small subtree, dsegs.c) */
    const char *unit;
} dh_dseg;
/* A scope of at most this many units that is not `wide` is walked unit by
 * unit: each unit's range of each state of a segment from the cursor, at
 * most a page each, merged in (due_effective, code) order. */
enum { DH_DSEG_UNITS_MAX = 64 };
/* Whether the first page of f is read by unit (an index range per unit of
 * the scope, merged and sorted) rather than by segments: only for the open
 * states whose lists leave out the dossiers without a deadline (overdue,
 * at_risk, within) over a scope that is not `wide`. A small subtree's rows
 * are a small share of a segment's range, which the walk would read
 * through; a large one's ranges hold most of the state's rows, which the
 * merge would sort (65,960 overdue dossiers of the province at 10 million)
 * where the walk stops after the page. */
bool dh_dossier_by_unit(const dh_dossier_filter *f);

/* Fills seg (at most 4) for filter f; returns how many, or 0 when the list
 * is not served by segments (the caller's other paths). */
size_t dh_dossier_segments(const dh_dossier_filter *f, dh_dseg seg[4]);
/* A backend's read of one part of segment g: its NULL deadlines (nulls)
 * with code > after_code, or its range from (after_due, after_code)
 * exclusive to g->hi; at most limit rows (< 0: all), in order, with every
 * filter of f other than state, offset and limit applied. */
typedef dh_status (*dh_dseg_read)(dh_conn *c, const dh_dossier_filter *f, const dh_dseg *g,
                                  bool nulls, int64_t after_due, const char *after_code,
                                  int64_t limit, dh_dossier_cb cb, void *closure, dh_err *e);
/* The page of f (offset or cursor, limit) over the n segments. */
dh_status dh_dossier_walk(dh_conn *c, const dh_dossier_filter *f, const dh_dseg *seg, size_t n,
                          dh_dseg_read read, dh_dossier_cb cb, void *closure, dh_err *e);

typedef struct dh_dossiers_ops {
    /* Dossier events: found by (source, id) (DH_E_NOTFOUND when absent),
     * inserted, and read back per dossier. */
    dh_status (*find_devent)(dh_conn *c, const char *source, const char *id, dh_devent_cb cb,
                             void *closure, dh_err *e);
    dh_status (*insert_devent)(dh_conn *c, const dh_devent_row *r, int64_t *seq, dh_err *e);
    dh_status (*load_devents)(dh_conn *c, const char *dossier, dh_devent_cb cb, void *closure,
                              dh_err *e);
    /* Derived dossier rows: upsert, one by code (DH_E_NOTFOUND), a filtered
     * page ordered most urgent first. */
    dh_status (*put_dossier)(dh_conn *c, const dh_dossier_row *r, dh_err *e);
    dh_status (*get_dossier)(dh_conn *c, const char *code, dh_dossier_cb cb, void *closure,
                             dh_err *e);
    dh_status (*list_dossiers)(dh_conn *c, const dh_dossier_filter *f, dh_dossier_cb cb,
                               void *closure, dh_err *e);
    /* Every dossier received by the units (a JSON array of codes) before
     * `before` and not finished before `since` (the dossiers a period sees). */
    dh_status (*scan_dossiers)(dh_conn *c, const char *units_json, time_t since, time_t before,
                               dh_dossier_cb cb, void *closure, dh_err *e);
    /* The codes of the dossiers that have a stored event or a row (each
     * once) after `after` (NULL: from the first), in code order (bytes), at
     * most limit of them (0: all): a caller that walks millions of dossiers
     * (the rebuild) reads them a page at a time, and finds those whose row
     * is missing (an event log restored on its own) as well. */
    dh_status (*list_dossier_codes)(dh_conn *c, const char *after, size_t limit, dh_code_cb cb,
                                    void *closure, dh_err *e);

    /* Bulk (issue 15): what the ops above do one row at a time, for many
     * rows in one call, so that a backend can send them in one statement
     * or a COPY (PostgreSQL) instead of one round trip per row (SQLite
     * simply loops: its statements do not leave the process).
     * load_devents_many: the events of each of the n dossiers (distinct
     * codes), dossier after dossier in the order given, each by at then
     * seq as load_devents. find_devents_many: the stored events among the
     * n keys (sources[i], ids[i]), in any order (none: no call).
     * insert_devents: stores the n rows in their order (seq ascending),
     * each (source, id) checked absent by the caller: one already stored
     * answers DH_E_CONFLICT, after which the transaction must be rolled
     * back (some rows may have been written). put_dossiers: put_dossier
     * for n rows of distinct codes. */
    dh_status (*load_devents_many)(dh_conn *c, const char *const *dossiers, size_t n,
                                   dh_devent_cb cb, void *closure, dh_err *e);
    dh_status (*find_devents_many)(dh_conn *c, const char *const *sources,
                                   const char *const *ids, size_t n, dh_devent_cb cb,
                                   void *closure, dh_err *e);
    dh_status (*insert_devents)(dh_conn *c, const dh_devent_row *rows, size_t n, dh_err *e);
    dh_status (*put_dossiers)(dh_conn *c, const dh_dossier_row *rows, size_t n, dh_err *e);
    /* insert_dossiers: put_dossiers for n rows whose codes the caller knows
     * absent (a COPY straight into the table on PostgreSQL); a code already
     * stored answers DH_E_CONFLICT, after which the transaction must be
     * rolled back. dossiers_empty: *empty is true when no dossier event and
     * no dossier is stored (a bulk import into an empty database then knows
     * what it has not written itself is absent). */
    dh_status (*insert_dossiers)(dh_conn *c, const dh_dossier_row *rows, size_t n, dh_err *e);
    dh_status (*dossiers_empty)(dh_conn *c, bool *empty, dh_err *e);
} dh_dossiers_ops;

#define DH_DOSSIERS(c) (dh_conn_ops(c)->dossiers)

#endif
