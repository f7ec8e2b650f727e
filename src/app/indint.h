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
    bool percent; /* uom "%" or per 100 inhabitants: ratios scaled by 100 */
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
/* DH_OK when v is finite and within the range of i's unit of measure
 * (dh_ind_value_range: "%" 0..100, counts 0..1e15, else |v| <= 1e15); else
 * DH_E_INVALID "out_of_range" naming field. */
dh_status dh_ind_value_check(const dh_ind *i, const char *field, double v, dh_err *e);

/* The meta counter bumped whenever a target's inputs change (values,
 * targets): readers compare it with "targets_clean". */
#define DH_TARGETS_DIRTY "targets_dirty"
/* Bumped whenever values or indicator definitions are written: the
 * sources' freshness (freshness.c) keeps its answers while it stands. */
#define DH_IVALUES_REV "ivalues_rev"
/* Bumped whenever a refresh rewrote statuses: the overview's index
 * (targets.c) reloads when it moves. */
#define DH_TARGETS_REV "targets_rev"

/* The units whose targets of an indicator a value of `unit` for a period
 * ending on `when` touches: the unit and every unit above it on `when`
 * and today (malloc'd, may repeat). */
size_t dh_targets_touch_units(const dh_unitreg *reg, int32_t unit, dh_date when, dh_date today,
                              int32_t **out);

/* Does an obligation (its units JSON array and unit_rule "parent=CODE
 * kind=K1|K2") name unit u on day d? */
bool dh_obl_names_unit(const char *units_json, const char *unit_rule, const dh_unitreg *reg,
                       int32_t u, dh_date d);

/* "2024-07-31" for a day number (static buffer per call site: out). */
json_t *dh_ind_date_json(dh_date d);

#endif
