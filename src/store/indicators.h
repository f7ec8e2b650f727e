/* indicators.h - the storage contract for indicators, their values and receipts (the data hub), reporting obligations and approvals.
 *
 * One small table of operations, filled by each backend (src/store/sqlite/
 * sq_indicators.c, ...) and reached from a connection with DH_INDICATORS(c). The conventions
 * of store.h hold: rows come back through callbacks (0 goes on, non-zero
 * stops), strings given to a callback are borrowed for the call, every
 * operation returns DH_OK or fills *e. The tables only grow at the end. */
#ifndef DH_STORE_INDICATORS_H
#define DH_STORE_INDICATORS_H

#include "store/store.h"

/* ---- Indicators, values, targets, obligations (issue 8). Period dates
 * of values are dh_date; times 0 mean none. ------------------------------ */
typedef struct dh_indicator_row {
    int64_t id;
    const char *code, *name, *uom, *direction, *aggregation, *source, *period_type, *freshness,
        *formula, *note;
    time_t created_at, updated_at;
} dh_indicator_row;

typedef struct dh_ivalue_row {
    int64_t indicator_id;
    const char *unit;
    dh_date period_from, period_to;
    double value;
    bool has_nd; /* numerator and denominator given */
    double numerator, denominator;
    const char *source, *ext_id;
    time_t at; /* the instant given instead of a period, 0: none */
    time_t received_at, updated_at;
    const char *entered_by;
} dh_ivalue_row;

typedef struct dh_ivalue_filter {
    int64_t indicator_id;   /* 0: any */
    const char *units_json; /* a JSON array of unit codes, NULL: any */
    dh_date from, to;       /* periods ending on/after from and starting on/before to;
                               DH_DATE_NONE: open */
    bool by_period;         /* ordered by period then unit (else indicator, unit, period) */
    int64_t offset;
    int limit; /* 0: no limit */
} dh_ivalue_filter;

typedef struct dh_obligation_row {
    int64_t id;
    const char *code, *name, *period_type, *due_rule;
    int window_days; /* -1: entries never close */
    bool approval;
    const char *indicators_json, *units_json, *unit_rule;
    time_t created_at, updated_at;
} dh_obligation_row;

typedef struct dh_approval_row {
    int64_t obligation_id;
    const char *unit;
    dh_date period_from, period_to;
    const char *approved_by;
    time_t approved_at;
} dh_approval_row;

typedef int (*dh_indicator_cb)(void *closure, const dh_indicator_row *row);
typedef int (*dh_ivalue_cb)(void *closure, const dh_ivalue_row *row);

typedef int (*dh_ireceipt_cb)(void *closure, const char *source, const char *ext_id,
                              const char *content);
/* The value that row i of a put_ivalues replaced (row borrowed for the call). */
typedef int (*dh_ivalue_replaced_cb)(void *closure, size_t i, const dh_ivalue_row *old);

typedef int (*dh_obligation_cb)(void *closure, const dh_obligation_row *row);
typedef int (*dh_approval_cb)(void *closure, const dh_approval_row *row);

typedef struct dh_indicators_ops {
    /* Indicators and the data hub (issue 8). put_* inserts when id is 0
     * (*id set) and updates otherwise. find_ireceipt gives the content
     * stored for (source, id) through cb, DH_E_NOTFOUND when absent;
     * add_ireceipt stores it unless (source, id) is taken, and then gives
     * the stored content through cb and answers DH_E_CONFLICT (one seek for
     * a new id). put_ivalue writes the value; when (indicator, unit,
     * period_from) has one, it gives it through `replaced` first, keeps it in
     * the history and replaces it, keeping its received_at.
     * mark_targets_dirty flags the targets of (indicator, unit) whose series
     * must be recomputed (a small mark read with the targets, not a write of
     * their rows). */
    dh_status (*put_indicator)(dh_conn *c, const dh_indicator_row *r, int64_t *id, dh_err *e);
    dh_status (*load_indicators)(dh_conn *c, dh_indicator_cb cb, void *closure, dh_err *e);
    dh_status (*find_ireceipt)(dh_conn *c, const char *source, const char *ext_id, dh_code_cb cb,
                               void *closure, dh_err *e);
    dh_status (*add_ireceipt)(dh_conn *c, const char *source, const char *ext_id,
                              const char *content, dh_code_cb cb, void *closure, dh_err *e);
    dh_status (*put_ivalue)(dh_conn *c, const dh_ivalue_row *r, dh_ivalue_cb replaced,
                            void *closure, dh_err *e);
    dh_status (*list_ivalues)(dh_conn *c, const dh_ivalue_filter *f, dh_ivalue_cb cb,
                              void *closure, dh_err *e);
    dh_status (*put_obligation)(dh_conn *c, const dh_obligation_row *r, int64_t *id, dh_err *e);
    dh_status (*load_obligations)(dh_conn *c, dh_obligation_cb cb, void *closure, dh_err *e);
    dh_status (*put_approval)(dh_conn *c, const dh_approval_row *r, dh_err *e);
    dh_status (*load_approvals)(dh_conn *c, dh_approval_cb cb, void *closure, dh_err *e);
    /* The latest values of an indicator among units (a JSON array of
     * codes, NULL: all): the greatest period_from and period_to and the
     * last receipt (received_at or, when later, updated_at); DH_E_NOTFOUND
     * when there is none. */
    dh_status (*ivalues_latest)(dh_conn *c, int64_t indicator_id, const char *units_json,
                                dh_date *from, dh_date *to, time_t *received, dh_err *e);

    /* Bulk (issue 15): a batch of values in a few calls rather than two
     * round trips per value. find_ireceipts gives the stored content of
     * each of the n keys (sources[i], ids[i]) that has a receipt, in any
     * order. add_ireceipts stores n receipts whose keys the caller checked
     * absent (a taken one: DH_E_CONFLICT, and the transaction must be rolled
     * back). put_ivalues is put_ivalue for the n rows in their order (a
     * later row of the same (indicator, unit, period_from) replaces an
     * earlier one, which goes to the history), `replaced` being given the
     * index of each row that replaced a value and that value. */
    dh_status (*find_ireceipts)(dh_conn *c, const char *const *sources, const char *const *ids,
                                size_t n, dh_ireceipt_cb cb, void *closure, dh_err *e);
    dh_status (*add_ireceipts)(dh_conn *c, const char *const *sources, const char *const *ids,
                               const char *const *contents, size_t n, dh_err *e);
    dh_status (*put_ivalues)(dh_conn *c, const dh_ivalue_row *rows, size_t n,
                             dh_ivalue_replaced_cb replaced, void *closure, dh_err *e);
} dh_indicators_ops;

#define DH_INDICATORS(c) (dh_conn_ops(c)->indicators)

#endif
