/* ivalues.c - the data hub: indicator values pushed through the API or
 * uploaded as CSV/XLSX, taken all or nothing and idempotently on (source,
 * id); the locks of approved periods; listing values. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "app/indint.h"
#include "core/uom.h"
#include "util/buf.h"
#include "util/csv.h"
#include "util/strmap.h"
#include "util/text.h"
#include "util/xlsx.h"

/* One value as given, before checking (strings borrowed). */
typedef struct vin {
    const char *indicator, *unit, *period, *at, *source, *id;
    bool has_value, has_num, has_den;
    double value, num, den;
} vin;

/* A locked (indicator, unit, period start). */
typedef struct lockkey {
    int64_t ind;
    dh_date from;
    char unit[DH_UNIT_CODE_MAX + 1];
} lockkey;

/* An obligation whose entries close (window_days), for the values of its
 * indicators. */
typedef struct window {
    char *code, *due_rule, *units, *unit_rule;
    dh_ptype pt;
    int days;
    json_t *indicators; /* codes */
} window;

typedef struct touched {
    int64_t ind;
    int32_t unit;
    dh_date when; /* the period's end */
} touched;

typedef struct vctx {
    dh_app *app;
    const dh_actor *a;
    dh_conn *c;
    const dh_unitreg *reg;
    dh_indset inds;
    lockkey *locks;
    size_t nlocks;
    window *windows;
    size_t nwindows;
    touched *t;
    size_t nt, capt;
    int32_t *allowed; /* units checked for access: 1 yes, -1 no, 0 not yet */
    time_t now;
    dh_date today;
    int accepted, duplicates, replaced;
    /* the first refused unit for the audit of a 403 */
    char denied_unit[DH_UNIT_CODE_MAX + 1];
    json_t *changes; /* the first replaced values, for the audit */
    /* Receipts: (source \x1f id) -> content, those stored among the
     * batch's keys (read ahead in one call) and those the batch takes. */
    dh_strmap receipts;
    /* What the batch writes at its end (write_batch), in order: the new
     * receipts and the values (strings borrowed from the batch's input),
     * with each value's indicator and period for the audit's changes. */
    const char **rsrc, **rid;
    char **rcontent;
    dh_ivalue_row *rows;
    struct pending {
        const dh_ind *ind;
        dh_period p;
    } *pend;
    size_t nrows, caprows;
} vctx;

static int cmp_lock(const void *x, const void *y)
{
    const lockkey *a = x, *b = y;
    if (a->ind != b->ind)
        return a->ind < b->ind ? -1 : 1;
    if (a->from != b->from)
        return a->from < b->from ? -1 : 1;
    return strcmp(a->unit, b->unit);
}

struct lock_load {
    vctx *x;
    json_t *obls; /* id -> indicators array */
};

static int on_obl(void *cl, const dh_obligation_row *r)
{
    struct lock_load *l = cl;
    char key[32];
    snprintf(key, sizeof key, "%lld", (long long)r->id);
    json_object_set_new(l->obls, key, json_loads(r->indicators_json, 0, NULL));
    dh_ptype pt;
    if (r->window_days >= 0 && dh_ptype_parse(r->period_type, &pt) == 0) {
        vctx *x = l->x;
        x->windows = dh_xrealloc(x->windows, (x->nwindows + 1) * sizeof *x->windows);
        x->windows[x->nwindows++] =
            (window){dh_xstrdup(r->code),  dh_xstrdup(r->due_rule),
                     dh_xstrdup(r->units_json), dh_xstrdup(r->unit_rule ? r->unit_rule : ""),
                     pt, r->window_days, json_loads(r->indicators_json, 0, NULL)};
    }
    return 0;
}

static int on_approval(void *cl, const dh_approval_row *r)
{
    struct lock_load *l = cl;
    char key[32];
    snprintf(key, sizeof key, "%lld", (long long)r->obligation_id);
    json_t *arr = json_object_get(l->obls, key);
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        const dh_ind *ind = dh_indset_find(&l->x->inds, json_string_value(v));
        if (!ind)
            continue;
        vctx *x = l->x;
        x->locks = dh_xrealloc(x->locks, (x->nlocks + 1) * sizeof *x->locks);
        lockkey *k = &x->locks[x->nlocks++];
        memset(k, 0, sizeof *k);
        k->ind = ind->id;
        k->from = r->period_from;
        snprintf(k->unit, sizeof k->unit, "%s", r->unit);
    }
    return 0;
}

static dh_status load_locks(vctx *x, dh_err *e)
{
    struct lock_load l = {x, json_object()};
    dh_status st = DH_INDICATORS(x->c)->load_obligations(x->c, on_obl, &l, e);
    if (st == DH_OK)
        st = DH_INDICATORS(x->c)->load_approvals(x->c, on_approval, &l, e);
    json_decref(l.obls);
    if (x->nlocks)
        qsort(x->locks, x->nlocks, sizeof *x->locks, cmp_lock);
    return st;
}

static bool locked(const vctx *x, int64_t ind, const char *unit, dh_date from)
{
    if (!x->nlocks)
        return false;
    lockkey k;
    memset(&k, 0, sizeof k);
    k.ind = ind;
    k.from = from;
    snprintf(k.unit, sizeof k.unit, "%s", unit);
    return bsearch(&k, x->locks, x->nlocks, sizeof k, cmp_lock) != NULL;
}

/* Refuses a value of an obligation's indicator entered after the
 * obligation's entry window for its period closed (the due date plus
 * window_days); admins may still correct. */
static dh_status check_window(vctx *x, const dh_ind *ind, int32_t u, dh_period p, dh_err *e)
{
    if (x->a->role == DH_ROLE_ADMIN)
        return DH_OK;
    for (size_t i = 0; i < x->nwindows; i++) {
        const window *w = &x->windows[i];
        bool mine = false;
        size_t k;
        json_t *c;
        json_array_foreach(w->indicators, k, c) mine = mine || !strcmp(json_string_value(c), ind->code);
        if (!mine)
            continue;
        dh_period op = dh_ind_period_of(w->pt, p.to);
        dh_date due = dh_due_date(w->due_rule, op);
        if (due == DH_DATE_NONE || x->today <= due + w->days ||
            !dh_obl_names_unit(w->units, w->unit_rule, x->reg, u, op.to))
            continue;
        char label[32], dues[DH_DATE_TEXT_LEN], closed[DH_DATE_TEXT_LEN];
        dh_ind_period_label(w->pt, op, label, sizeof label);
        dh_date_format(due, dues);
        dh_date_format(due + w->days, closed);
        return dh_err_set(e, DH_E_INVALID, "entry_window_closed", "period",
                          "the entry window of %s for %s closed on %s (%d days after the due "
                          "date %s); ask an administrator to correct it",
                          w->code, label, closed, w->days, dues);
    }
    return DH_OK;
}

static void touch(vctx *x, int64_t ind, int32_t unit, dh_date when)
{
    /* Batches are mostly sorted; a short look back removes most repeats,
     * and the store's update is a no-op for the rest. */
    for (size_t i = x->nt; i > 0 && i + 8 > x->nt; i--)
        if (x->t[i - 1].ind == ind && x->t[i - 1].unit == unit && x->t[i - 1].when == when)
            return;
    if (x->nt == x->capt) {
        x->capt = x->capt ? 2 * x->capt : 256;
        x->t = dh_xrealloc(x->t, x->capt * sizeof *x->t);
    }
    x->t[x->nt++] = (touched){ind, unit, when};
}

static int cmp_touched(const void *p, const void *q)
{
    const touched *a = p, *b = q;
    if (a->ind != b->ind)
        return a->ind < b->ind ? -1 : 1;
    if (a->unit != b->unit)
        return a->unit - b->unit;
    /* Months of one year share their ancestors; one per year is enough. */
    return a->when / 366 - b->when / 366;
}

/* Checks one value and queues it for write_batch. Errors name the field; the caller adds
 * where the value came from. */
static dh_status put_one(vctx *x, const vin *v, dh_err *e)
{
    if (!v->indicator || !*v->indicator)
        return dh_err_set(e, DH_E_INVALID, "missing_field", "indicator", "indicator is required");
    const dh_ind *ind = dh_indset_find(&x->inds, v->indicator);
    if (!ind)
        return dh_err_set(e, DH_E_INVALID, "unknown_indicator", "indicator",
                          "unknown indicator '%s'", v->indicator);
    if (!v->unit || !*v->unit)
        return dh_err_set(e, DH_E_INVALID, "missing_field", "unit", "unit is required");
    int32_t u = dh_unitreg_find(x->reg, v->unit);
    if (u < 0)
        return dh_err_set(e, DH_E_INVALID, "unknown_unit", "unit", "unknown unit '%s'", v->unit);
    if (!v->source || !*v->source || strlen(v->source) > 100)
        return dh_err_set(e, DH_E_INVALID, "missing_field", "source",
                          "source is required (at most 100 bytes)");
    if (!v->id || !*v->id || strlen(v->id) > 200)
        return dh_err_set(e, DH_E_INVALID, "missing_field", "id",
                          "id is required (at most 200 bytes)");
    dh_period p;
    time_t at = 0;
    if ((v->period && *v->period) == (v->at && *v->at))
        return dh_err_set(e, DH_E_INVALID, "missing_field", "period",
                          "give either period or at");
    if (v->period && *v->period) {
        const char *why = NULL;
        if (dh_ind_period_parse(ind->pt, v->period, &p, &why))
            return dh_err_set(e, DH_E_INVALID, "period_type_mismatch", "period",
                              "period '%s' does not fit indicator %s: it is reported by %s (%s)",
                              v->period, ind->code, ind->period_type, why);
    } else {
        if (dh_time_parse(v->at, &at))
            return dh_err_set(e, DH_E_INVALID, "invalid_time", "at",
                              "at '%s' is not YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS][Z|+hh:mm]",
                              v->at);
        if (at > x->now + 300)
            return dh_err_set(e, DH_E_INVALID, "in_the_future", "at", "at '%s' is in the future",
                              v->at);
        p = dh_ind_period_of(ind->pt, dh_date_of_time_vn(at));
    }
    if (p.from > x->today)
        return dh_err_set(e, DH_E_INVALID, "future_period", "period",
                          "the period has not started yet");
    if (!dh_unitreg_valid_at(x->reg, u, p.to) && !dh_unitreg_valid_at(x->reg, u, p.from))
        return dh_err_set(e, DH_E_INVALID, "unit_not_valid", "unit",
                          "unit '%s' did not exist during the period", v->unit);
    if (v->has_num != v->has_den)
        return dh_err_set(e, DH_E_INVALID, "missing_field",
                          v->has_num ? "denominator" : "numerator",
                          "give numerator and denominator together");
    double value = v->value;
    if (v->has_num) {
        if (!(v->num >= 0 && v->num <= DH_IND_VALUE_MAX && v->den >= 0 &&
              v->den <= DH_IND_VALUE_MAX))
            return dh_err_set(e, DH_E_INVALID, "out_of_range", "numerator",
                              "numerator and denominator must be numbers from 0 to 1e15");
        /* a share cannot pass its whole; a rate per 100 inhabitants can */
        if (ind->agg == DH_AGG_RATIO && v->num > v->den && !dh_uom_per_100(ind->uom))
            return dh_err_set(e, DH_E_INVALID, "numerator_above_denominator", "numerator",
                              "numerator %g is above its denominator %g", v->num, v->den);
        if (ind->agg == DH_AGG_RATIO) {
            double r = v->den > 0 ? (ind->percent ? 100.0 : 1.0) * v->num / v->den : 0;
            if (!v->has_value)
                value = r;
            else if (v->den > 0 && fabs(r - value) > 0.01 * (ind->percent ? 1 : 0.01) + 0.005)
                return dh_err_set(e, DH_E_INVALID, "inconsistent_value", "value",
                                  "value %g is not numerator/denominator (%g)", value, r);
        } else if (!v->has_value) {
            return dh_err_set(e, DH_E_INVALID, "missing_field", "value", "value is required");
        }
    } else if (!v->has_value) {
        return dh_err_set(e, DH_E_INVALID, "missing_field", "value", "value is required");
    }
    dh_status vst = dh_ind_value_check(ind, "value", value, e);
    if (vst)
        return vst;
    /* Who may write for this unit. */
    if (x->allowed[u] == 0)
        x->allowed[u] = dh_access_allows(x->reg, x->a->role, dh_app_actor_scope(x->reg, x->a),
                                         DH_ACT_SUBMIT, u, x->today)
                            ? 1
                            : -1;
    if (x->allowed[u] < 0) {
        snprintf(x->denied_unit, sizeof x->denied_unit, "%s", v->unit);
        return dh_err_set(e, DH_E_FORBIDDEN, "forbidden", "unit",
                          "role %s of %s may not submit values for %s",
                          dh_role_name(x->a->role),
                          x->a->unit_code[0] ? x->a->unit_code : "(no unit)", v->unit);
    }
    char content[512];
    if (v->has_num)
        snprintf(content, sizeof content, "%s|%s|%d|%.15g|%.15g|%.15g", ind->code, v->unit, p.from,
                 value, v->num, v->den);
    else
        snprintf(content, sizeof content, "%s|%s|%d|%.15g||", ind->code, v->unit, p.from, value);
    /* The window and the lock refuse a new value, not a resend. The
     * receipts of the batch's keys were read ahead (read_receipts); the
     * receipt and the value are written with the batch's others at its end
     * (write_batch), so a value costs no round trip of its own. */
    dh_err why;
    dh_status st = check_window(x, ind, u, p, &why);
    if (st == DH_OK && locked(x, ind->id, v->unit, p.from)) {
        char label[32];
        dh_ind_period_label(ind->pt, p, label, sizeof label);
        st = dh_err_set(&why, DH_E_CONFLICT, "period_locked", "period",
                        "the values of %s for %s, %s are approved and locked", v->unit,
                        ind->code, label);
    }
    char key[320];
    snprintf(key, sizeof key, "%s\x1f%s", v->source, v->id);
    const char *stored = dh_strmap_get(&x->receipts, key);
    if (stored) {
        if (strcmp(stored, content) == 0) {
            x->duplicates++;
            return DH_OK;
        }
        return dh_err_set(e, DH_E_CONFLICT, "duplicate_id", "id",
                          "id '%s' of source '%s' was already used for different content",
                          v->id, v->source);
    }
    if (st) {
        *e = why;
        return st;
    }
    dh_strmap_put(&x->receipts, key, content);
    if (x->nrows == x->caprows) {
        x->caprows = x->caprows ? 2 * x->caprows : 256;
        x->rsrc = dh_xrealloc(x->rsrc, x->caprows * sizeof *x->rsrc);
        x->rid = dh_xrealloc(x->rid, x->caprows * sizeof *x->rid);
        x->rcontent = dh_xrealloc(x->rcontent, x->caprows * sizeof *x->rcontent);
        x->rows = dh_xrealloc(x->rows, x->caprows * sizeof *x->rows);
        x->pend = dh_xrealloc(x->pend, x->caprows * sizeof *x->pend);
    }
    size_t k = x->nrows++;
    x->rsrc[k] = v->source;
    x->rid[k] = v->id;
    x->rcontent[k] = dh_xstrdup(content);
    x->rows[k] = (dh_ivalue_row){ind->id,   v->unit,   p.from, p.to,   value,  v->has_num,
                                 v->num,    v->den,    v->source, v->id, at,   x->now,
                                 x->now,    x->a->login};
    x->pend[k] = (struct pending){ind, p};
    x->accepted++;
    touch(x, ind->id, u, p.to);
    return DH_OK;
}

static int on_stored_receipt(void *cl, const char *source, const char *ext_id, const char *content)
{
    char key[320];
    snprintf(key, sizeof key, "%s\x1f%s", source, ext_id);
    dh_strmap_put(cl, key, content);
    return 0;
}

/* Reads ahead, in one call, the receipts stored for the batch's n keys. */
static dh_status read_receipts(vctx *x, const char *const *sources, const char *const *ids,
                               size_t n, dh_err *e)
{
    return DH_INDICATORS(x->c)->find_ireceipts(x->c, sources, ids, n, on_stored_receipt,
                                               &x->receipts, e);
}

static int on_replaced(void *cl, size_t i, const dh_ivalue_row *old)
{
    vctx *x = cl;
    x->replaced++;
    if (json_array_size(x->changes) < 100) {
        char label[32];
        dh_ind_period_label(x->pend[i].ind->pt, x->pend[i].p, label, sizeof label);
        json_array_append_new(x->changes,
                              json_pack("{s:s,s:s,s:s,s:f,s:f}", "indicator",
                                        x->pend[i].ind->code, "unit", x->rows[i].unit, "period",
                                        label, "before", old->value, "after", x->rows[i].value));
    }
    return 0;
}

/* Writes the batch's receipts and values (two calls, whatever its size). */
static dh_status write_batch(vctx *x, dh_err *e)
{
    const dh_indicators_ops *I = DH_INDICATORS(x->c);
    dh_status st = I->add_ireceipts(x->c, x->rsrc, x->rid, (const char *const *)x->rcontent,
                                    x->nrows, e);
    if (st == DH_OK)
        st = I->put_ivalues(x->c, x->rows, x->nrows, on_replaced, x, e);
    return st;
}

static void ctx_free(vctx *x);

/* Starts a run of the runner's fn afresh: frees what an earlier run left
 * in x, then loads the indicators, locks and windows through tx (whose
 * registry, DH_TX_UNITS, is x->reg). Once per batch, never per value. */
static dh_status ctx_open(vctx *x, dh_tx *tx, dh_err *e)
{
    dh_app *app = x->app;
    const dh_actor *a = x->a;
    time_t now = x->now;
    ctx_free(x);
    memset(x, 0, sizeof *x);
    x->app = app;
    x->a = a;
    x->now = now;
    x->today = dh_date_of_time_vn(now);
    x->changes = json_array();
    x->c = tx->c;
    x->reg = tx->reg;
    x->allowed = dh_xcalloc(x->reg->n + 1, sizeof *x->allowed);
    dh_status st = dh_indset_load(x->c, &x->inds, e);
    if (st == DH_OK)
        st = load_locks(x, e);
    return st;
}

static void ctx_free(vctx *x)
{
    dh_indset_free(&x->inds);
    for (size_t i = 0; i < x->nwindows; i++) {
        free(x->windows[i].code);
        free(x->windows[i].due_rule);
        free(x->windows[i].units);
        free(x->windows[i].unit_rule);
        json_decref(x->windows[i].indicators);
    }
    free(x->windows);
    free(x->locks);
    free(x->t);
    free(x->allowed);
    json_decref(x->changes);
    dh_strmap_free(&x->receipts);
    for (size_t i = 0; i < x->nrows; i++)
        free(x->rcontent[i]);
    free(x->rsrc);
    free(x->rid);
    free(x->rcontent);
    free(x->rows);
    free(x->pend);
}

/* Writes the batch, flags the targets and audits it (the runner commits). */
static dh_status ctx_finish(vctx *x, const char *what, dh_err *e)
{
    dh_status st = write_batch(x, e);
    if (st == DH_OK && x->nrows)
        st = DH_META(x->c)->meta_bump(x->c, DH_IVALUES_REV, e);
    if (st == DH_OK && x->nt) {
        /* Every (indicator, unit) whose targets the values touch, once: the
         * units above many values are the same few. */
        qsort(x->t, x->nt, sizeof *x->t, cmp_touched);
        touched *marks = NULL;
        size_t nm = 0, cap = 0;
        for (size_t i = 0; i < x->nt; i++) {
            if (i && !cmp_touched(&x->t[i], &x->t[i - 1]))
                continue;
            int32_t *us;
            size_t n = dh_targets_touch_units(x->reg, x->t[i].unit, x->t[i].when, x->today, &us);
            if (nm + n > cap) {
                cap = 2 * (nm + n);
                marks = dh_xrealloc(marks, cap * sizeof *marks);
            }
            for (size_t k = 0; k < n; k++)
                marks[nm++] = (touched){x->t[i].ind, us[k], 0};
            free(us);
        }
        qsort(marks, nm, sizeof *marks, cmp_touched);
        int64_t *ids = dh_xcalloc(nm + 1, sizeof *ids);
        const char **units = dh_xcalloc(nm + 1, sizeof *units);
        size_t nd = 0;
        for (size_t i = 0; i < nm; i++)
            if (i == 0 || cmp_touched(&marks[i], &marks[i - 1])) {
                ids[nd] = marks[i].ind;
                units[nd++] = x->reg->u[marks[i].unit].code;
            }
        st = DH_TARGETS(x->c)->mark_targets_dirty_many(x->c, ids, units, nd, e);
        free(ids);
        free(units);
        free(marks);
        if (st == DH_OK)
            st = DH_META(x->c)->meta_bump(x->c, DH_TARGETS_DIRTY, e);
    }
    if (st == DH_OK) {
        json_t *after = json_pack("{s:s,s:i,s:i,s:i,s:O}", "via", what, "accepted", x->accepted,
                                  "duplicates", x->duplicates, "replaced", x->replaced,
                                  "replaced_values", x->changes);
        st = dh_app_audit(x->c, x->a, "ingest", "indicator_value", "", x->a->unit_code, "ok",
                          NULL, after, x->now, e);
        json_decref(after);
    }
    return st;
}

static bool num_of(json_t *v, double *out)
{
    if (json_is_number(v)) {
        *out = json_number_value(v);
        return true;
    }
    return false;
}

static dh_status vin_from_json(json_t *o, vin *v, dh_err *e)
{
    static const char *const allowed[] = {"indicator", "unit",   "period", "at", "value",
                                          "numerator", "denominator", "source", "id", NULL};
    memset(v, 0, sizeof *v);
    if (!json_is_object(o))
        return dh_err_set(e, DH_E_MALFORMED, "invalid_type", NULL, "a value must be an object");
    dh_status st = dh_json_only(o, allowed, e);
    if (st)
        return st;
    static const char *const texts[] = {"indicator", "unit", "period", "at", "source", "id"};
    const char **dst[] = {&v->indicator, &v->unit, &v->period, &v->at, &v->source, &v->id};
    for (int i = 0; i < 6; i++) {
        json_t *s = json_object_get(o, texts[i]);
        if (s && !json_is_null(s) && !json_is_string(s))
            return dh_err_set(e, DH_E_INVALID, "invalid_type", texts[i], "%s must be a string",
                              texts[i]);
        *dst[i] = json_string_value(s);
    }
    static const char *const nums[] = {"value", "numerator", "denominator"};
    bool *has[] = {&v->has_value, &v->has_num, &v->has_den};
    double *val[] = {&v->value, &v->num, &v->den};
    for (int i = 0; i < 3; i++) {
        json_t *n = json_object_get(o, nums[i]);
        if (!n || json_is_null(n))
            continue;
        if (!num_of(n, val[i]))
            return dh_err_set(e, DH_E_INVALID, "invalid_type", nums[i], "%s must be a number",
                              nums[i]);
        *has[i] = true;
    }
    return DH_OK;
}

/* Answers a refusal: the runner rolls back and, for a 403, writes it to
 * the audit trail (dh_tx_deny), the value's own message kept. */
static dh_status refuse(vctx *x, dh_tx *tx, dh_status st, dh_err *e)
{
    if (st == DH_E_FORBIDDEN) {
        dh_err saved = *e;
        (void)dh_tx_deny(tx, x->a, "ingest", "indicator_value", "", x->denied_unit, x->now, e,
                         "submit indicator values");
        *e = saved;
    }
    return st;
}


typedef struct values_put_cl {
    json_t *values;
    vctx x; /* app, a and now set by the caller; the rest by each run */
} values_put_cl;

/* Concurrency (values_put_tx and values_import_tx): reads, inside the write transaction, the unit registry (DH_TX_UNITS:
 * units, their validity and the actor's scope), the indicators, the
 * obligations and approvals (entry windows and locked periods), and for
 * each value its receipt (source, id) and the value it replaces; writes
 * the receipts, the values, the targets' dirty marks and targets_dirty.
 * On SQLite the write lock taken up front makes the batch atomic against
 * other writers. On PostgreSQL an approval, an indicator or a unit change
 * committed meanwhile, or another batch writing the same (indicator, unit,
 * period) or receipt, fails one of the two at commit (serializable) and it
 * is rerun against the new state; the unique (source, id) of receipts and
 * (indicator, unit, period) of values are the last guards: a resend is
 * answered as a duplicate by the rerun, never stored twice. One
 * transaction per batch: the loads above happen once per run, not per
 * value. */
static dh_status values_put_tx(dh_tx *tx, void *closure, dh_err *e)
{
    values_put_cl *cl = closure;
    vctx *x = &cl->x;
    json_t *values = cl->values;
    dh_status st = ctx_open(x, tx, e);
    size_t n = json_array_size(values), nk = 0;
    const char **sources = dh_xcalloc(n ? n : 1, sizeof *sources);
    const char **ids = dh_xcalloc(n ? n : 1, sizeof *ids);
    for (size_t i = 0; i < n; i++) {
        vin v;
        dh_err ve;
        if (vin_from_json(json_array_get(values, i), &v, &ve) == DH_OK && v.source && v.id) {
            sources[nk] = v.source;
            ids[nk++] = v.id;
        }
    }
    if (st == DH_OK)
        st = read_receipts(x, sources, ids, nk, e);
    free(sources);
    free(ids);
    for (size_t i = 0; i < n && st == DH_OK; i++) {
        vin v;
        st = vin_from_json(json_array_get(values, i), &v, e);
        if (st == DH_OK)
            st = put_one(x, &v, e);
        if (st) {
            char msg[sizeof e->message];
            snprintf(msg, sizeof msg, "values[%zu]: %s", i, e->message);
            snprintf(e->message, sizeof e->message, "%s", msg);
            e->line = (long)i;
        }
    }
    if (st)
        return refuse(x, tx, st, e);
    return ctx_finish(x, "api", e);
}

dh_status dh_app_values_put(dh_app *app, const dh_actor *a, json_t *values, time_t now,
                            json_t **out, dh_err *e)
{
    *out = NULL;
    if (!json_is_array(values))
        return dh_err_set(e, DH_E_MALFORMED, "invalid_body", "values",
                          "values must be an array of values");
    if (json_array_size(values) > 100000)
        return dh_err_set(e, DH_E_TOOLARGE, "too_many", "values",
                          "at most 100,000 values per batch");
    values_put_cl cl = {values, {0}};
    cl.x.app = app;
    cl.x.a = a;
    cl.x.now = now;
    dh_status st = dh_tx_run(app, DH_TX_UNITS, values_put_tx, &cl, e);
    if (st == DH_OK)
        *out = json_pack("{s:i,s:i,s:i}", "accepted", cl.x.accepted, "duplicates",
                         cl.x.duplicates, "replaced", cl.x.replaced);
    ctx_free(&cl.x);
    return st;
}

/* ---- Files. ------------------------------------------------------------ */

/* Whether the actor's role may submit values for any unit at all (see
 * dh_access_allows: an officer inside its subtree, a reporter for its own
 * unit, an administrator anywhere). */
static bool may_submit_somewhere(const dh_actor *a)
{
    return a->role == DH_ROLE_ADMIN ||
           ((a->role == DH_ROLE_OFFICER || a->role == DH_ROLE_REPORTER) && a->unit_code[0]);
}

/* Reads CSV or XLSX (a zip: "PK") into a sheet, both under the limits of
 * util/xlsx.h; a malformed CSV line is reported and skipped. */
dh_status dh_sheet_read_any(const char *data, size_t len, const char *name, dh_sheet *rs,
                           dh_import_report *rep, dh_err *e)
{
    if (len >= 2 && data[0] == 'P' && data[1] == 'K')
        return dh_xlsx_read(data, len, name, NULL, rs, e);
    dh_sheet_init(rs, name, NULL);
    FILE *f = fmemopen((void *)data, len, "r");
    if (!f)
        return dh_err_set(e, DH_E_INTERNAL, "io", NULL, "cannot read %s", name);
    dh_csv *csv = dh_csv_new(f, name);
    char **fields;
    size_t nf;
    int rc;
    dh_status st = DH_OK;
    while (st == DH_OK && (rc = dh_csv_next(csv, &fields, &nf)) != 0) {
        if (rc < 0) {
            if (rs->nrows == 0) {
                st = dh_err_set(e, DH_E_INVALID, "invalid_csv", NULL, "%s", dh_csv_error(csv));
                break;
            }
            dh_report_add(rep, "%s", dh_csv_error(csv));
            rep->refused++;
            continue;
        }
        st = dh_sheet_row_begin(rs, dh_csv_line(csv), e);
        for (size_t i = 0; i < nf && st == DH_OK; i++)
            st = dh_sheet_cell_add(rs, i, fields[i], strlen(fields[i]), e);
    }
    dh_csv_free(csv);
    fclose(f);
    if (st)
        dh_sheet_free(rs);
    else
        dh_sheet_end(rs);
    return st;
}

/* A number as people type it: "65.5", "65,5", " 200 ". */
static int parse_num(const char *s, double *out)
{
    char buf[64];
    size_t n = 0;
    for (const char *p = s; *p && n + 1 < sizeof buf; p++)
        if (*p != ' ')
            buf[n++] = *p == ',' ? '.' : *p;
    buf[n] = '\0';
    if (!n)
        return 1; /* empty */
    char *end;
    *out = strtod(buf, &end);
    return *end || !isfinite(*out) ? -1 : 0;
}

enum { NC = 9 };
static const char *const import_cols[NC] = {"indicator", "unit",   "period", "at", "value",
                                            "numerator", "denominator", "source", "id"};

typedef struct values_import_cl {
    const dh_sheet *rs; /* the file, parsed before the transaction */
    const int *col;
    const char *name;
    dh_import_report *rep;
    int nmessages, refused; /* the report as parsing left it */
    vctx x;                 /* app, a and now set by the caller; the rest by each run */
} values_import_cl;

/* Concurrency: as values_put_tx. The report is set back to what parsing
 * left in it at the start of each run. */
static dh_status values_import_tx(dh_tx *tx, void *closure, dh_err *e)
{
    values_import_cl *cl = closure;
    const char *const *cols = import_cols;
    const dh_sheet *rs = cl->rs;
    const int *col = cl->col;
    const char *name = cl->name;
    dh_import_report *rep = cl->rep;
    vctx *x = &cl->x;
    for (int i = cl->nmessages; i < rep->nmessages; i++)
        free(rep->messages[i]);
    rep->nmessages = cl->nmessages;
    rep->refused = cl->refused;
    rep->taken = 0;
    dh_status st = ctx_open(x, tx, e);
    const char **sources = dh_xcalloc(rs->nrows + 1, sizeof *sources);
    const char **ids = dh_xcalloc(rs->nrows + 1, sizeof *ids);
    size_t nk = 0;
    for (size_t r = 1; r < rs->nrows && col[7] >= 0 && col[8] >= 0; r++) {
        sources[nk] = dh_sheet_at(&rs->rows[r], (size_t)col[7]);
        ids[nk++] = dh_sheet_at(&rs->rows[r], (size_t)col[8]);
    }
    if (st == DH_OK)
        st = read_receipts(x, sources, ids, nk, e);
    free(sources);
    free(ids);
    dh_status first = DH_OK;
    for (size_t r = 1; r < rs->nrows && st == DH_OK; r++) {
        const char *f[NC];
        for (int i = 0; i < NC; i++)
            f[i] = col[i] >= 0 ? dh_sheet_at(&rs->rows[r], (size_t)col[i]) : "";
        vin v = {f[0], f[1], f[2], f[3], f[7], f[8], false, false, false, 0, 0, 0};
        dh_err re;
        dh_status rst = DH_OK;
        const char *numcol[3] = {"value", "numerator", "denominator"};
        bool *has[3] = {&v.has_value, &v.has_num, &v.has_den};
        double *val[3] = {&v.value, &v.num, &v.den};
        for (int k = 0; k < 3 && rst == DH_OK; k++) {
            int pr = parse_num(f[4 + k], val[k]);
            if (pr < 0)
                rst = dh_err_set(&re, DH_E_INVALID, "invalid_number", numcol[k],
                                 "%s '%s' is not a number", numcol[k], f[4 + k]);
            *has[k] = pr == 0;
        }
        for (int i = 0; i < NC && rst == DH_OK; i++)
            if (dh_utf8_invalid_offset(f[i], strlen(f[i])) >= 0)
                rst = dh_err_set(&re, DH_E_MALFORMED, "invalid_utf8", cols[i],
                                 "%s is not valid UTF-8", cols[i]);
        if (rst == DH_OK)
            rst = put_one(x, &v, &re);
        if (dh_err_storage(rst) || rst == DH_E_INTERNAL) {
            st = rst;
            *e = re;
        } else if (rst) {
            dh_report_add(rep, "%s:%ld: %s: %s", name, rs->rows[r].line, re.field, re.message);
            rep->refused++;
            if (!first)
                first = rst;
        } else {
            rep->taken++;
        }
    }
    if (st == DH_OK && rep->refused) {
        dh_status code = first == DH_E_FORBIDDEN || first == DH_E_CONFLICT ? first : DH_E_INVALID;
        st = dh_err_set(e, code, "invalid_file", NULL, "%d of %d rows refused; nothing imported",
                        rep->refused, rep->refused + rep->taken);
        return refuse(x, tx, st, e);
    }
    if (st == DH_OK)
        st = ctx_finish(x, "file", e);
    return st;
}

dh_status dh_app_values_import(dh_app *app, const dh_actor *a, const char *data, size_t len,
                               const char *name, time_t now, dh_import_report *rep,
                               json_t **out, dh_err *e)
{
    const char *const *cols = import_cols;
    *out = NULL;
    memset(rep, 0, sizeof *rep);
    /* Who may submit at all is known before the file is read, so a role
     * that never may (viewer, leader, or no unit) is refused without parsing
     * it; each row's unit is checked again below. */
    if (!may_submit_somewhere(a))
        return dh_app_deny(app, a, "ingest", "indicator_value", name, a->unit_code, now, e,
                           "submit indicator values");
    dh_sheet rs;
    dh_status st = dh_sheet_read_any(data, len, name, &rs, rep, e);
    if (st)
        return st;
    if (rs.nrows == 0) {
        dh_sheet_free(&rs);
        return dh_err_set(e, DH_E_INVALID, "invalid_file", NULL, "%s:1: the file is empty", name);
    }
    int col[NC];
    const dh_sheet_row *h = &rs.rows[0];
    for (int i = 0; i < NC; i++) {
        col[i] = -1;
        for (size_t j = 0; j < h->nc; j++)
            if (strcmp(h->c[j].v + (strncmp(h->c[j].v, "\xEF\xBB\xBF", 3) ? 0 : 3), cols[i]) == 0)
                col[i] = (int)h->c[j].col;
    }
    for (int i = 0; i < NC; i++)
        if (col[i] < 0 && (i == 0 || i == 1 || i == 4 || i == 7 || i == 8)) {
            st = dh_err_set(e, DH_E_INVALID, "invalid_file", cols[i],
                            "%s:%ld: header: missing column '%s'", name, h->line, cols[i]);
            e->line = h->line;
            dh_sheet_free(&rs);
            return st;
        }
    values_import_cl cl = {&rs,          col,       name, rep, rep->nmessages,
                           rep->refused, {0}};
    cl.x.app = app;
    cl.x.a = a;
    cl.x.now = now;
    st = dh_tx_run(app, DH_TX_UNITS, values_import_tx, &cl, e);
    if (st)
        rep->taken = 0;
    else
        *out = json_pack("{s:i,s:i,s:i}", "accepted", cl.x.accepted, "duplicates",
                         cl.x.duplicates, "replaced", cl.x.replaced);
    ctx_free(&cl.x);
    dh_sheet_free(&rs);
    return st;
}

/* ---- Listing. ------------------------------------------------------------ */

struct vlist {
    const dh_indset *inds;
    json_t *items;
    int limit, n;
};

static int on_value(void *cl, const dh_ivalue_row *r)
{
    struct vlist *l = cl;
    if (l->limit && l->n++ >= l->limit)
        return 1;
    const dh_ind *ind = dh_indset_by_id(l->inds, r->indicator_id);
    char label[32] = "";
    if (ind)
        dh_ind_period_label(ind->pt, (dh_period){r->period_from, r->period_to}, label,
                            sizeof label);
    char rec[24];
    dh_time_format_utc(r->received_at, rec);
    json_t *o = json_pack("{s:s,s:s,s:s,s:o,s:o,s:f,s:s,s:s,s:s,s:s}", "indicator",
                          ind ? ind->code : "?", "unit", r->unit, "period", label, "period_from",
                          dh_ind_date_json(r->period_from), "period_to",
                          dh_ind_date_json(r->period_to), "value", r->value, "source", r->source,
                          "id", r->ext_id, "received_at", rec, "entered_by", r->entered_by);
    if (r->has_nd) {
        json_object_set_new(o, "numerator", json_real(r->numerator));
        json_object_set_new(o, "denominator", json_real(r->denominator));
    }
    json_array_append_new(l->items, o);
    return 0;
}

dh_status dh_app_values_list(dh_app *app, const dh_actor *a, const dh_value_query *q, time_t now,
                             json_t **items, bool *more, dh_err *e)
{
    *items = NULL;
    *more = false;
    char *units = NULL;
    dh_status st = dh_app_scope_units_of(app, a, q->unit, q->subtree || !q->unit,
                                         "indicator_value", false, now, &units, e);
    if (st)
        return st;
    if (q->unit && !q->subtree) {
        free(units);
        json_t *one = json_pack("[s]", q->unit);
        units = json_dumps(one, JSON_COMPACT);
        json_decref(one);
    }
    dh_conn *c = dh_store_acquire(app->store, e);
    if (!c) {
        free(units);
        return e->status;
    }
    dh_indset inds;
    st = dh_indset_load(c, &inds, e);
    if (st == DH_OK) {
        int64_t ind_id = 0;
        if (q->indicator) {
            const dh_ind *ind = dh_indset_find(&inds, q->indicator);
            if (!ind)
                st = dh_err_set(e, DH_E_NOTFOUND, "unknown_indicator", "indicator",
                                "unknown indicator '%s'", q->indicator);
            else
                ind_id = ind->id;
        }
        if (st == DH_OK) {
            int limit = q->limit > 0 ? q->limit : 1000;
            dh_ivalue_filter f = {ind_id, units, q->from, q->to, false, q->offset, limit + 1};
            struct vlist l = {&inds, json_array(), limit, 0};
            st = DH_INDICATORS(c)->list_ivalues(c, &f, on_value, &l, e);
            *more = l.n > limit;
            if (st == DH_OK)
                *items = l.items;
            else
                json_decref(l.items);
        }
        dh_indset_free(&inds);
    }
    dh_store_release(c);
    free(units);
    return st;
}
