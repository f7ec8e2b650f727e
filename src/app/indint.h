/* indint.h - what the indicator files of src/app/ (indicators.c,
 * ivalues.c, targets.c, obligations.c, inddemo.c) share: the catalogue of
 * indicators loaded inside a transaction. Ownership: a dh_indset owns its
 * strings; free it with dh_indset_free. */
#ifndef DH_APP_INDINT_H
#define DH_APP_INDINT_H

#include "app/internal.h"
#include "core/indicator.h"

typedef struct dh_ind {
    int64_t id;
    char *code, *name, *uom, *direction, *aggregation, *source, *period_type, *freshness,
        *formula, *note;
    dh_ptype pt;
    dh_aggk agg;
    bool lower;
    bool percent; /* uom "%": values within 0..100, ratios scaled by 100 */
} dh_ind;

typedef struct dh_indset {
    dh_ind *v; /* sorted by code */
    size_t n;
} dh_indset;

dh_status dh_indset_load(dh_conn *c, dh_indset *s, dh_err *e);
void dh_indset_free(dh_indset *s);
const dh_ind *dh_indset_find(const dh_indset *s, const char *code);
const dh_ind *dh_indset_by_id(const dh_indset *s, int64_t id);
json_t *dh_ind_json(const dh_ind *i);

/* The meta counter bumped whenever a target's inputs change (values,
 * targets): readers compare it with "targets_clean". */
#define DH_TARGETS_DIRTY "targets_dirty"

/* Flags the targets of (indicator, unit) and of every unit above it on
 * day `when` (the value's period end) and today. */
dh_status dh_targets_touch(dh_conn *c, const dh_unitreg *reg, int64_t indicator_id,
                           int32_t unit, dh_date when, dh_date today, dh_err *e);

/* "2024-07-31" for a day number (static buffer per call site: out). */
json_t *dh_ind_date_json(dh_date d);

#endif
