/* targets.h - the storage contract for targets: their rows, derived series and statuses, dirtiness marks.
 *
 * One small table of operations, filled by each backend (src/store/sqlite/
 * sq_targets.c, ...) and reached from a connection with DH_TARGETS(c). The conventions
 * of store.h hold: rows come back through callbacks (0 goes on, non-zero
 * stops), strings given to a callback are borrowed for the call, every
 * operation returns DH_OK or fills *e. The tables only grow at the end. */
#ifndef DH_STORE_TARGETS_H
#define DH_STORE_TARGETS_H

#include "store/store.h"

typedef struct dh_target_row {
    int64_t id, indicator_id;
    const char *unit;
    double value;
    dh_date due; /* DH_DATE_NONE: none */
    const char *milestones_json;
    int64_t split_of; /* 0: none */
    const char *plan;
    int64_t task_id; /* 0: none */
    const char *task_ref, *name, *note;
    const char *ext_key; /* NULL: none */
    const char *series_json;
    bool dirty;
    const char *status, *eval_json; /* derived on eval_day */
    dh_date since, eval_day;        /* DH_DATE_NONE: none */
    time_t created_at, updated_at;
} dh_target_row;

typedef struct dh_target_filter {
    const char *units_json; /* NULL: any */
    int64_t indicator_id;   /* 0: any */
    const char *status;     /* NULL: any */
    int64_t offset;
    int limit; /* 0: no limit */
} dh_target_filter;

typedef int (*dh_target_cb)(void *closure, const dh_target_row *row);

typedef struct dh_targets_ops {
    dh_status (*put_target)(dh_conn *c, const dh_target_row *r, int64_t *id, dh_err *e);
    /* The ids of the indicators that have dirty targets (saved since
     * derived, or marked by values), ascending. */
    dh_status (*dirty_target_indicators)(dh_conn *c, dh_id_cb cb, void *closure, dh_err *e);
    /* The targets of one indicator and the one with ext_key `key` (any
     * indicator; NULL: none), by id: what saving a target needs to see. */
    dh_status (*load_targets_of)(dh_conn *c, int64_t indicator_id, const char *key,
                                 dh_target_cb cb, void *closure, dh_err *e);
    dh_status (*set_target_series)(dh_conn *c, int64_t id, const char *series_json, dh_err *e);
    dh_status (*set_target_eval)(dh_conn *c, int64_t id, const char *status, dh_date since,
                                 const char *eval_json, dh_date day, dh_err *e);
    /* A page of targets (by status severity, then id) and their counts by
     * status, filtered. */
    dh_status (*list_targets)(dh_conn *c, const dh_target_filter *f, dh_target_cb cb,
                              void *closure, dh_err *e);
    dh_status (*count_targets)(dh_conn *c, const dh_target_filter *f, dh_count_cb cb,
                               void *closure, dh_err *e);
    dh_status (*mark_targets_dirty)(dh_conn *c, int64_t indicator_id, const char *unit,
                                    dh_err *e);
    /* The targets overview's index (issue 8): every target's id,
     * indicator_id, unit, value, split_of and status, the other fields
     * empty; and the whole rows of the targets whose ids are in a JSON
     * array, in no particular order. */
    dh_status (*list_target_keys)(dh_conn *c, dh_target_cb cb, void *closure, dh_err *e);
    dh_status (*get_targets)(dh_conn *c, const char *ids_json, dh_target_cb cb, void *closure,
                             dh_err *e);
    /* Bulk (issue 15): mark_targets_dirty for the n pairs
     * (indicator_ids[i], units[i]) in one call. */
    dh_status (*mark_targets_dirty_many)(dh_conn *c, const int64_t *indicator_ids,
                                         const char *const *units, size_t n, dh_err *e);
} dh_targets_ops;

#define DH_TARGETS(c) (dh_conn_ops(c)->targets)

#endif
