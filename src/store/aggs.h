/* aggs.h - the storage contract for the service aggregates: per-day counter cells by key and each dossier's fact.
 *
 * One small table of operations, filled by each backend (src/store/sqlite/
 * sq_aggs.c, ...) and reached from a connection with DH_AGGS(c). The conventions
 * of store.h hold: rows come back through callbacks (0 goes on, non-zero
 * stops), strings given to a callback are borrowed for the call, every
 * operation returns DH_OK or fills *e. The tables only grow at the end. */
#ifndef DH_STORE_AGGS_H
#define DH_STORE_AGGS_H

#include "store/store.h"

typedef int (*dh_agg_key_cb)(void *closure, int32_t id, const char *unit, const char *procedure,
                             const char *field);
typedef int (*dh_agg_cell_cb)(void *closure, int32_t key, int32_t day, const dh_kcell *cell,
                              int64_t rev);
typedef int (*dh_fact_cb)(void *closure, const char *code, const dh_dfact *f);
typedef int (*dh_agg_part_cb)(void *closure, int64_t part, const void *data, size_t n);

/* One cell's delta for agg_add_many. */
typedef struct dh_agg_delta {
    int32_t key, day;
    dh_kcell d;
} dh_agg_delta;

typedef struct dh_aggs_ops {
    /* The service aggregates (core/kpiagg.h). A key is found or created;
     * keys and cells are read back in id / rev order after a given one;
     * agg_add adds a delta to a cell and stamps it with rev; agg_reset
     * deletes every cell and every dossier's fact; get_fact reads one
     * dossier's fact (found = false when it has none). */
    dh_status (*agg_key)(dh_conn *c, const char *unit, const char *procedure, const char *field,
                         int32_t *id, dh_err *e);
    dh_status (*load_agg_keys)(dh_conn *c, int32_t after_id, dh_agg_key_cb cb, void *closure,
                               dh_err *e);
    dh_status (*agg_add)(dh_conn *c, int32_t key, int32_t day, const dh_kcell *delta, int64_t rev,
                         dh_err *e);
    dh_status (*load_agg_cells)(dh_conn *c, int64_t after_rev, dh_agg_cell_cb cb, void *closure,
                                dh_err *e);
    dh_status (*agg_reset)(dh_conn *c, dh_err *e);
    dh_status (*get_fact)(dh_conn *c, const char *code, dh_dfact *f, bool *found, dh_err *e);

    /* Bulk (issue 15), as in dossiers.h: get_facts gives the fact of each
     * of the n dossiers (distinct codes) that has one, in any order;
     * agg_add_many is agg_add for n deltas of distinct (key, day) cells,
     * all stamped with rev. */
    dh_status (*get_facts)(dh_conn *c, const char *const *codes, size_t n, dh_fact_cb cb,
                           void *closure, dh_err *e);
    dh_status (*agg_add_many)(dh_conn *c, const dh_agg_delta *deltas, size_t n, int64_t rev,
                              dh_err *e);
    /* The snapshot of the readers' copy (app/aggsnap.c; table agg_snap,
     * migration 019): opaque parts numbered from 0 within a generation.
     * snap_put writes a part (replacing one of the same gen and part);
     * snap_get gives the parts of gen in part order, in one statement
     * (one consistent read); snap_count counts them and their bytes;
     * snap_drop deletes every part of the generations below gen. */
    dh_status (*snap_put)(dh_conn *c, int64_t gen, int64_t part, const void *data, size_t n,
                          dh_err *e);
    dh_status (*snap_get)(dh_conn *c, int64_t gen, dh_agg_part_cb cb, void *closure, dh_err *e);
    dh_status (*snap_count)(dh_conn *c, int64_t gen, int64_t *parts, int64_t *bytes, dh_err *e);
    dh_status (*snap_drop)(dh_conn *c, int64_t below_gen, dh_err *e);
} dh_aggs_ops;

#define DH_AGGS(c) (dh_conn_ops(c)->aggs)

#endif
