/* obligations.c - report obligations (indicators x period type x units),
 * approval by the parent unit (which locks the values), and completeness
 * and timeliness per unit and period. */
#include <stdlib.h>
#include <string.h>

#include "app/indint.h"
#include "util/buf.h"

typedef struct obl {
    int64_t id;
    char *code, *name, *period_type, *due_rule, *indicators, *units, *unit_rule;
    int window_days;
    bool approval;
} obl;

typedef struct obllist {
    obl *v;
    size_t n;
} obllist;

static int on_obl(void *cl, const dh_obligation_row *r)
{
    obllist *l = cl;
    l->v = dh_xrealloc(l->v, (l->n + 1) * sizeof *l->v);
    obl *o = &l->v[l->n++];
    o->id = r->id;
    o->code = dh_xstrdup(r->code);
    o->name = dh_xstrdup(r->name);
    o->period_type = dh_xstrdup(r->period_type);
    o->due_rule = dh_xstrdup(r->due_rule);
    o->indicators = dh_xstrdup(r->indicators_json);
    o->units = dh_xstrdup(r->units_json);
    o->unit_rule = dh_xstrdup(r->unit_rule);
    o->window_days = r->window_days;
    o->approval = r->approval;
    return 0;
}

static void obl_free_all(obllist *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].code);
        free(l->v[i].name);
        free(l->v[i].period_type);
        free(l->v[i].due_rule);
        free(l->v[i].indicators);
        free(l->v[i].units);
        free(l->v[i].unit_rule);
    }
    free(l->v);
    memset(l, 0, sizeof *l);
}

static const obl *obl_find(const obllist *l, const char *ref)
{
    char *end;
    long long id = strtoll(ref, &end, 10);
    for (size_t i = 0; i < l->n; i++)
        if ((!*end && l->v[i].id == id) || !strcmp(l->v[i].code, ref))
            return &l->v[i];
    return NULL;
}

static json_t *obl_json(const obl *o)
{
    json_t *j = json_pack("{s:I,s:s,s:s,s:s,s:s,s:o,s:b,s:o,s:o,s:s}", "id", (json_int_t)o->id,
                          "code", o->code, "name", o->name, "period_type", o->period_type,
                          "due_rule", o->due_rule, "window_days",
                          o->window_days >= 0 ? json_integer(o->window_days) : json_null(),
                          "approval", o->approval, "indicators",
                          json_loads(o->indicators, 0, NULL), "units",
                          json_loads(o->units, 0, NULL), "unit_rule", o->unit_rule);
    return j;
}

/* "parent=CODE kind=K1|K2": the parent and the kinds (NULL kinds: any). */
static int rule_parse(const char *rule, char *parent, size_t cap, char *kinds, size_t kcap)
{
    parent[0] = kinds[0] = '\0';
    if (!rule || !*rule)
        return 0;
    const char *p = strstr(rule, "parent="), *k = strstr(rule, "kind=");
    if (!p)
        return -1;
    snprintf(parent, cap, "%.*s", (int)strcspn(p + 7, " "), p + 7);
    if (k)
        snprintf(kinds, kcap, "%.*s", (int)strcspn(k + 5, " "), k + 5);
    return parent[0] ? 0 : -1;
}

/* Is kind name kn among "K1|K2" (any when empty)? */
static bool kind_in(const char *kinds, const char *kn)
{
    bool ok = !kinds[0];
    for (const char *s = kinds; *s && !ok;) {
        size_t len = strcspn(s, "|");
        ok = strlen(kn) == len && !strncmp(s, kn, len);
        s += len + (s[len] == '|');
    }
    return ok;
}

/* The version of unit j on d, or on its last day when it closed before. */
static const dh_unit_version *version_or_last(const dh_unitreg *reg, int32_t j, dh_date d)
{
    const dh_unit_version *ver = dh_unitreg_at(reg, j, d);
    if (!ver && reg->u[j].valid_to != DH_DATE_NONE && reg->u[j].valid_to < d)
        ver = dh_unitreg_at(reg, j, reg->u[j].valid_to);
    return ver;
}

bool dh_obl_names_unit(const char *units_json, const char *unit_rule, const dh_unitreg *reg,
                       int32_t u, dh_date d)
{
    json_t *arr = json_loads(units_json ? units_json : "[]", 0, NULL);
    size_t i;
    json_t *x;
    bool named = false;
    json_array_foreach(arr, i, x) named = named || dh_unitreg_find(reg, json_string_value(x)) == u;
    json_decref(arr);
    char parent[64], kinds[128];
    if (!named && rule_parse(unit_rule, parent, sizeof parent, kinds, sizeof kinds) == 0 &&
        parent[0]) {
        int32_t p = dh_unitreg_find(reg, parent);
        const dh_unit_version *ver = p >= 0 ? version_or_last(reg, u, d) : NULL;
        named = ver && ver->parent == p && kind_in(kinds, dh_unit_kind_name(reg->u[u].kind));
    }
    return named;
}

/* The units an obligation names, as of day d (registry indices). */
static size_t obl_units(const obl *o, const dh_unitreg *reg, dh_date d, int32_t **out)
{
    int32_t *v = dh_xmalloc((reg->n + 1) * sizeof *v);
    size_t n = 0;
    json_t *arr = json_loads(o->units, 0, NULL);
    size_t i;
    json_t *x;
    json_array_foreach(arr, i, x)
    {
        int32_t u = dh_unitreg_find(reg, json_string_value(x));
        if (u >= 0)
            v[n++] = u;
    }
    json_decref(arr);
    char parent[64], kinds[128];
    if (rule_parse(o->unit_rule, parent, sizeof parent, kinds, sizeof kinds) == 0 && parent[0]) {
        int32_t p = dh_unitreg_find(reg, parent);
        for (size_t j = 0; p >= 0 && j < reg->n; j++) {
            /* A unit that no longer exists on d is judged by its last day. */
            const dh_unit_version *ver = version_or_last(reg, (int32_t)j, d);
            if (!ver || ver->parent != p)
                continue;
            bool kind_ok = kind_in(kinds, dh_unit_kind_name(reg->u[j].kind));
            bool dup = false;
            for (size_t k = 0; k < n; k++)
                dup = dup || v[k] == (int32_t)j;
            if (kind_ok && !dup)
                v[n++] = (int32_t)j;
        }
    }
    *out = v;
    return n;
}

typedef struct obl_put_cl {
    const dh_actor *a;
    const char *code, *name, *pt, *rule, *urule, *parent;
    json_t *inds_j, *units_j, *win, *appr;
    time_t now;
    json_t *out;
} obl_put_cl;

/* Concurrency: reads, inside the write transaction, the indicators (every
 * code named must exist), the unit registry (DH_TX_UNITS: the units named
 * and the rule's parent) and every obligation (one with this code is
 * updated in place, keeping its id); the row is written in the same
 * transaction. Two writers of one code: the second waits for the write
 * lock and then updates the first's row (SQLite), or fails its commit and
 * is rerun to do so (PostgreSQL); the unique code of obligations is the
 * last guard. */
/* The first unit an obligation names (its JSON array of codes, or the
 * parent of its rule) that actor a may not write to, or NULL: an officer
 * defines obligations for its own subtree only, and changes only those. The
 * answer points into a static buffer. */
static const char *outside_scope(const dh_unitreg *reg, const dh_actor *a, const char *units,
                                 const char *rule, time_t now)
{
    static _Thread_local char out[64];
    int32_t scope = dh_app_actor_scope(reg, a);
    dh_date today = dh_date_of_time_vn(now);
    json_t *j = units ? json_loads(units, 0, NULL) : NULL;
    size_t i;
    json_t *x;
    out[0] = '\0';
    json_array_foreach(j, i, x)
    {
        const char *c = json_string_value(x);
        if (!out[0] && c &&
            !dh_access_allows(reg, a->role, scope, DH_ACT_WRITE, dh_unitreg_find(reg, c), today))
            snprintf(out, sizeof out, "%s", c);
    }
    json_decref(j);
    char parent[64], kinds[128];
    if (!out[0] && !rule_parse(rule, parent, sizeof parent, kinds, sizeof kinds) && parent[0] &&
        !dh_access_allows(reg, a->role, scope, DH_ACT_WRITE, dh_unitreg_find(reg, parent), today))
        snprintf(out, sizeof out, "%s", parent);
    return out[0] ? out : NULL;
}

static dh_status obl_put_tx(dh_tx *tx, void *closure, dh_err *e)
{
    obl_put_cl *cl = closure;
    json_decref(cl->out);
    cl->out = NULL;
    dh_indset inds = {0};
    obllist l = {0};
    char *ij = NULL, *uj = NULL;
    const char *code = cl->code, *urule = cl->urule;
    json_t *win = cl->win, *appr = cl->appr;
    dh_status st;
    if ((st = dh_indset_load(tx->c, &inds, e)) ||
        (st = DH_INDICATORS(tx->c)->load_obligations(tx->c, on_obl, &l, e)))
        goto done;
    size_t i;
    json_t *x;
    json_array_foreach(cl->inds_j, i, x) if (!dh_indset_find(&inds, json_string_value(x)))
    {
        st = dh_err_set(e, DH_E_INVALID, "unknown_indicator", "indicators",
                        "indicators[%zu]: unknown indicator '%s'", i,
                        json_string_value(x) ? json_string_value(x) : "?");
        goto done;
    }
    /* An obligation follows its indicators' period types: monthly reports
     * of a yearly indicator would be missing eleven months a year. */
    dh_ptype opt = DH_PT_MONTH;
    dh_ptype_parse(cl->pt, &opt);
    json_array_foreach(cl->inds_j, i, x)
    {
        const dh_ind *ind = dh_indset_find(&inds, json_string_value(x));
        if (dh_ptype_months(opt) < dh_ptype_months(ind->pt)) {
            st = dh_err_set(e, DH_E_INVALID, "period_type_mismatch", "period_type",
                            "indicators[%zu]: '%s' has %s periods; an obligation on it cannot "
                            "ask for %s ones",
                            i, ind->code, dh_ptype_name(ind->pt), cl->pt);
            goto done;
        }
    }
    json_array_foreach(cl->units_j, i, x) if (dh_unitreg_find(tx->reg, json_string_value(x)) < 0)
    {
        st = dh_err_set(e, DH_E_INVALID, "unknown_unit", "units", "units[%zu]: unknown unit '%s'",
                        i, json_string_value(x) ? json_string_value(x) : "?");
        goto done;
    }
    if (cl->parent[0] && dh_unitreg_find(tx->reg, cl->parent) < 0) {
        st = dh_err_set(e, DH_E_INVALID, "unknown_unit", "unit_rule", "unknown unit '%s'",
                        cl->parent);
        goto done;
    }
    const obl *old = obl_find(&l, code);
    const char *outside = cl->a->role == DH_ROLE_ADMIN ? NULL
                          : old ? outside_scope(tx->reg, cl->a, old->units, old->unit_rule, cl->now)
                                : NULL;
    if (!outside && cl->a->role != DH_ROLE_ADMIN) {
        char *named = cl->units_j ? json_dumps(cl->units_j, JSON_COMPACT) : NULL;
        outside = outside_scope(tx->reg, cl->a, named, urule, cl->now);
        free(named);
    }
    if (outside) {
        char what[160];
        snprintf(what, sizeof what, "define a report obligation for %s, outside its subtree",
                 outside);
        st = dh_tx_deny(tx, cl->a, old ? "update" : "create", "obligation", code, outside,
                        cl->now, e, what);
        goto done;
    }
    ij = json_dumps(cl->inds_j, JSON_COMPACT);
    uj = cl->units_j ? json_dumps(cl->units_j, JSON_COMPACT) : dh_xstrdup("[]");
    dh_obligation_row r = {old ? old->id : 0,
                           code,
                           cl->name,
                           cl->pt,
                           cl->rule,
                           win && json_is_integer(win) ? (int)json_integer_value(win) : -1,
                           appr && json_is_true(appr),
                           ij,
                           uj,
                           urule ? urule : "",
                           cl->now,
                           cl->now};
    int64_t id;
    if ((st = DH_INDICATORS(tx->c)->put_obligation(tx->c, &r, &id, e)))
        goto done;
    obl mine = {id,         (char *)code, (char *)cl->name, (char *)cl->pt, (char *)cl->rule,
                ij,         uj,           urule ? (char *)urule : "",
                r.window_days, r.approval};
    cl->out = obl_json(&mine);
    st = dh_app_audit(tx->c, cl->a, old ? "update" : "create", "obligation", code, "", "ok", NULL,
                      cl->out, cl->now, e);
done:
    dh_indset_free(&inds);
    obl_free_all(&l);
    free(ij);
    free(uj);
    return st;
}

dh_status dh_app_obligation_put(dh_app *app, const dh_actor *a, json_t *body, time_t now,
                                 json_t **out, dh_err *e)
{
    static const char *const allowed[] = {"code",       "name",     "indicators", "period_type",
                                          "due_rule",   "window_days", "approval", "units",
                                          "unit_rule",  NULL};
    *out = NULL;
    dh_status st = dh_json_only(body, allowed, e);
    if (st)
        return st;
    char *code = NULL, *name = NULL, *pt = NULL, *rule = NULL, *urule = NULL;
    json_t *inds_j = json_object_get(body, "indicators"), *units_j = json_object_get(body, "units");
    json_t *win = json_object_get(body, "window_days"), *appr = json_object_get(body, "approval");
    const char *why = NULL;
    dh_ptype t;
    if ((st = dh_json_text(body, "code", true, &code, e)) ||
        (st = dh_json_text(body, "name", true, &name, e)) ||
        (st = dh_json_text(body, "period_type", true, &pt, e)) ||
        (st = dh_json_text(body, "due_rule", true, &rule, e)) ||
        (st = dh_json_text(body, "unit_rule", false, &urule, e)))
        goto done;
    if (dh_ptype_parse(pt, &t)) {
        st = dh_err_set(e, DH_E_INVALID, "invalid_period_type", "period_type",
                        "period_type '%s' is not one of day, month, quarter, half_year, year, "
                        "cutoff_month, cutoff_quarter, cutoff_half_year, cutoff_year",
                        pt);
        goto done;
    }
    if (dh_due_rule_check(rule, &why)) {
        st = dh_err_set(e, DH_E_INVALID, "invalid_due_rule", "due_rule", "%s", why);
        goto done;
    }
    if (!json_is_array(inds_j) || json_array_size(inds_j) == 0) {
        st = dh_err_set(e, DH_E_INVALID, "missing_field", "indicators",
                        "indicators must be a non-empty array of codes");
        goto done;
    }
    if (units_j && !json_is_array(units_j)) {
        st = dh_err_set(e, DH_E_INVALID, "invalid_type", "units", "units must be an array");
        goto done;
    }
    if (win && !json_is_null(win) && (!json_is_integer(win) || json_integer_value(win) < 0)) {
        st = dh_err_set(e, DH_E_INVALID, "invalid_type", "window_days",
                        "window_days must be a non-negative integer");
        goto done;
    }
    char parent[64], kinds[128];
    if (rule_parse(urule, parent, sizeof parent, kinds, sizeof kinds)) {
        st = dh_err_set(e, DH_E_INVALID, "invalid_unit_rule", "unit_rule",
                        "unit_rule is 'parent=CODE kind=K1|K2'");
        goto done;
    }
    if (a->role != DH_ROLE_ADMIN && a->role != DH_ROLE_OFFICER) {
        st = dh_app_deny(app, a, "create", "obligation", code, "", now, e,
                         "define report obligations");
        goto done;
    }
    obl_put_cl cl = {a, code, name, pt, rule, urule, parent, inds_j, units_j, win, appr, now,
                     NULL};
    st = dh_tx_run(app, DH_TX_UNITS, obl_put_tx, &cl, e);
    if (st)
        json_decref(cl.out);
    else
        *out = cl.out;
done:
    free(code);
    free(name);
    free(pt);
    free(rule);
    free(urule);
    return st;
}

dh_status dh_app_obligation_list(dh_app *app, const dh_actor *a, json_t **items, dh_err *e)
{
    *items = NULL;
    dh_conn *c = dh_store_acquire(app->store, e);
    if (!c)
        return e->status;
    obllist l = {0};
    dh_status st = DH_INDICATORS(c)->load_obligations(c, on_obl, &l, e);
    dh_store_release(c);
    if (st == DH_OK) {
        *items = json_array();
        for (size_t i = 0; i < l.n; i++)
            json_array_append_new(*items, obl_json(&l.v[i]));
    }
    obl_free_all(&l);
    return st;
}

typedef struct obl_approve_cl {
    const dh_actor *a;
    const char *obligation, *unit, *period;
    time_t now;
    json_t *out;
} obl_approve_cl;

/* Concurrency: reads, inside the write transaction, every obligation (the
 * one named and its period type) and the unit registry (DH_TX_UNITS: the
 * unit's parent on the period's last day, the actor's scope), then inserts
 * the approval. The primary key (obligation_id, unit, period_from) of
 * obligation_approvals makes a second approval of the same report fail
 * DH_E_CONFLICT ("already_approved") whichever commits first. A value
 * written meanwhile (ivalues.c reads the approvals before writing) is
 * ordered before the approval: the write lock (SQLite), or at SERIALIZABLE
 * the only consistent order, the approval reading no values (PostgreSQL). */
static dh_status obl_approve_tx(dh_tx *tx, void *closure, dh_err *e)
{
    obl_approve_cl *cl = closure;
    const dh_actor *a = cl->a;
    const char *obligation = cl->obligation, *unit = cl->unit, *period = cl->period;
    json_decref(cl->out);
    cl->out = NULL;
    obllist l = {0};
    dh_status st = DH_INDICATORS(tx->c)->load_obligations(tx->c, on_obl, &l, e);
    if (st)
        goto done;
    const obl *o = obl_find(&l, obligation ? obligation : "");
    if (!o) {
        st = dh_err_set(e, DH_E_NOTFOUND, "unknown_obligation", "obligation",
                        "unknown obligation '%s'", obligation ? obligation : "");
        goto done;
    }
    dh_ptype t;
    dh_ptype_parse(o->period_type, &t);
    dh_period p;
    const char *why = NULL;
    if (!period || dh_ind_period_parse(t, period, &p, &why)) {
        st = dh_err_set(e, DH_E_INVALID, "period_type_mismatch", "period",
                        "period '%s' does not fit the obligation: it is %s", period ? period : "",
                        why ? why : o->period_type);
        goto done;
    }
    int32_t u = unit ? dh_unitreg_find(tx->reg, unit) : -1;
    if (u < 0) {
        st = dh_err_set(e, DH_E_INVALID, "unknown_unit", "unit", "unknown unit '%s'",
                        unit ? unit : "");
        goto done;
    }
    const dh_unit_version *v = dh_unitreg_nearest(tx->reg, u, p.to);
    int32_t parent = v ? v->parent : -1;
    /* The parent unit approves: a leader or officer over the parent's
     * subtree (not the unit itself), or an admin. */
    int32_t scope = dh_app_actor_scope(tx->reg, a);
    bool ok = a->role == DH_ROLE_ADMIN ||
              ((a->role == DH_ROLE_LEADER || a->role == DH_ROLE_OFFICER) && parent >= 0 &&
               scope != u &&
               dh_access_allows(tx->reg, DH_ROLE_OFFICER, scope, DH_ACT_WRITE, parent, p.to));
    if (!ok) {
        st = dh_tx_deny(tx, a, "approve", "obligation", obligation, unit, cl->now, e,
                        "approve this unit's report (only its parent unit may)");
        goto done;
    }
    dh_approval_row r = {o->id, unit, p.from, p.to, a->login, cl->now};
    st = DH_INDICATORS(tx->c)->put_approval(tx->c, &r, e);
    if (st == DH_E_CONFLICT)
        st = dh_err_set(e, DH_E_CONFLICT, "already_approved", "period",
                        "%s's report for %s is already approved", unit, period);
    if (st)
        goto done;
    cl->out = json_pack("{s:s,s:s,s:s,s:s,s:b}", "obligation", o->code, "unit", unit, "period",
                        period, "approved_by", a->login, "locked", 1);
    st = dh_app_audit(tx->c, a, "approve", "obligation", o->code, unit, "ok", NULL, cl->out,
                      cl->now, e);
done:
    obl_free_all(&l);
    return st;
}

dh_status dh_app_obligation_approve(dh_app *app, const dh_actor *a, const char *obligation,
                                    const char *unit, const char *period, time_t now,
                                    json_t **out, dh_err *e)
{
    *out = NULL;
    obl_approve_cl cl = {a, obligation, unit, period, now, NULL};
    dh_status st = dh_tx_run(app, DH_TX_UNITS, obl_approve_tx, &cl, e);
    if (st)
        json_decref(cl.out);
    else
        *out = cl.out;
    return st;
}

/* ---- Completeness. -------------------------------------------------------- */

struct recv {
    const char *unit;
    int nvalues;
    time_t last; /* the latest first-receipt among the obligation's indicators */
};

struct compl_ctx {
    const dh_unitreg *reg;
    int32_t *idx; /* registry index -> slot, -1 */
    struct recv *r;
    int64_t *ind_ids;
    size_t nind;
    dh_date from;
};

static int on_cvalue(void *cl, const dh_ivalue_row *row)
{
    struct compl_ctx *x = cl;
    if (row->period_from != x->from)
        return 0;
    bool mine = false;
    for (size_t i = 0; i < x->nind; i++)
        mine = mine || x->ind_ids[i] == row->indicator_id;
    int32_t u = dh_unitreg_find(x->reg, row->unit);
    if (!mine || u < 0 || x->idx[u] < 0)
        return 0;
    struct recv *r = &x->r[x->idx[u]];
    r->nvalues++;
    if (row->received_at > r->last)
        r->last = row->received_at;
    return 0;
}

static int on_appr(void *cl, const dh_approval_row *r)
{
    json_t *set = cl;
    (void)set;
    json_t *o = json_pack("{s:I,s:s,s:i}", "o", (json_int_t)r->obligation_id, "u", r->unit, "f",
                          (int)r->period_from);
    json_array_append_new(cl, o);
    return 0;
}

static bool approved(json_t *apprs, int64_t oid, const char *unit, dh_date from)
{
    size_t i;
    json_t *x;
    json_array_foreach(apprs, i, x) if (json_integer_value(json_object_get(x, "o")) == oid &&
                                        json_integer_value(json_object_get(x, "f")) == from &&
                                        !strcmp(json_string_value(json_object_get(x, "u")), unit))
        return true;
    return false;
}

static json_t *rate(int num, int den)
{
    return den > 0 ? json_real((double)(long long)(10000.0 * num / den + 0.5) / 100.0)
                   : json_null();
}

dh_status dh_app_completeness(dh_app *app, const dh_actor *a, const char *obligation,
                              const char *period, time_t now, json_t **out, dh_err *e)
{
    *out = NULL;
    const dh_unitreg *reg = dh_app_units_acquire(app, e);
    if (!reg)
        return e->status;
    dh_conn *c = dh_store_acquire(app->store, e);
    if (!c) {
        dh_app_units_release(app, reg);
        return e->status;
    }
    obllist l = {0};
    dh_indset inds = {0};
    json_t *apprs = json_array();
    int32_t *us = NULL;
    struct compl_ctx x = {reg, NULL, NULL, NULL, 0, 0};
    dh_status st = DH_INDICATORS(c)->load_obligations(c, on_obl, &l, e);
    if (st == DH_OK)
        st = dh_indset_load(c, &inds, e);
    if (st == DH_OK)
        st = DH_INDICATORS(c)->load_approvals(c, on_appr, apprs, e);
    const obl *o = st == DH_OK ? obl_find(&l, obligation ? obligation : "") : NULL;
    if (st == DH_OK && !o)
        st = dh_err_set(e, DH_E_NOTFOUND, "unknown_obligation", "obligation",
                        "unknown obligation '%s'", obligation ? obligation : "");
    dh_ptype t = DH_PT_MONTH;
    dh_period p = {0, 0};
    const char *why = NULL;
    if (st == DH_OK) {
        dh_ptype_parse(o->period_type, &t);
        if (!period || dh_ind_period_parse(t, period, &p, &why))
            st = dh_err_set(e, DH_E_INVALID, "period_type_mismatch", "period",
                            "period '%s' does not fit the obligation: it is %s",
                            period ? period : "", why ? why : o->period_type);
    }
    if (st == DH_OK) {
        /* Readers see the units of their scope only. */
        int32_t scope = dh_app_actor_scope(reg, a);
        size_t n = obl_units(o, reg, p.to, &us);
        x.idx = dh_xmalloc((reg->n + 1) * sizeof *x.idx);
        for (size_t i = 0; i < reg->n; i++)
            x.idx[i] = -1;
        x.r = dh_xcalloc(n + 1, sizeof *x.r);
        json_t *codes = json_array();
        size_t m = 0;
        for (size_t i = 0; i < n; i++) {
            if (a->role != DH_ROLE_ADMIN &&
                !dh_access_allows(reg, a->role, scope, DH_ACT_READ, us[i], p.to))
                continue;
            us[m] = us[i];
            x.idx[us[i]] = (int32_t)m;
            x.r[m].unit = reg->u[us[i]].code;
            json_array_append_new(codes, json_string(reg->u[us[i]].code));
            m++;
        }
        n = m;
        json_t *ia = json_loads(o->indicators, 0, NULL);
        x.ind_ids = dh_xcalloc(json_array_size(ia) + 1, sizeof *x.ind_ids);
        size_t i;
        json_t *v;
        json_array_foreach(ia, i, v)
        {
            const dh_ind *ind = dh_indset_find(&inds, json_string_value(v));
            if (ind)
                x.ind_ids[x.nind++] = ind->id;
        }
        x.from = p.from;
        char *cj = json_dumps(codes, JSON_COMPACT);
        for (size_t k = 0; k < x.nind && st == DH_OK; k++) {
            dh_ivalue_filter f = {x.ind_ids[k], cj, p.from, p.from, false, 0, 0};
            st = DH_INDICATORS(c)->list_ivalues(c, &f, on_cvalue, &x, e);
        }
        free(cj);
        json_decref(codes);
        dh_date due = dh_due_date(o->due_rule, p);
        /* On time: received by the end of the due day, local time. */
        time_t due_end = (time_t)(due + 1) * 86400 - DH_VN_OFFSET;
        int expected = 0, received = 0, on_time = 0, partial = 0;
        json_t *units = json_array(), *not_expected = json_array();
        for (size_t k = 0; k < n && st == DH_OK; k++) {
            int32_t u = us[k];
            const dh_unit_version *ver = dh_unitreg_nearest(reg, u, p.to);
            if (!dh_obl_expected(reg, u, p)) {
                char vf[DH_DATE_TEXT_LEN], vt[DH_DATE_TEXT_LEN] = "";
                dh_date_format(reg->u[u].valid_from, vf);
                if (reg->u[u].valid_to != DH_DATE_NONE)
                    dh_date_format(reg->u[u].valid_to, vt);
                char why2[160];
                if (reg->u[u].valid_from > p.to)
                    snprintf(why2, sizeof why2, "thành lập từ %s, sau kỳ báo cáo", vf);
                else
                    snprintf(why2, sizeof why2, "không còn tồn tại vào cuối kỳ (đến %s)", vt);
                json_array_append_new(not_expected,
                                      json_pack("{s:s,s:s,s:s}", "unit", reg->u[u].code, "name",
                                                ver ? ver->name : "", "reason", why2));
                continue;
            }
            expected++;
            const struct recv *r = &x.r[k];
            const char *state = "missing";
            if (r->nvalues >= (int)x.nind && x.nind > 0) {
                received++;
                bool ok = r->last <= due_end;
                on_time += ok;
                state = ok ? "on_time" : "late";
            } else if (r->nvalues > 0) {
                partial++;
                state = "partial";
            }
            char rec[24] = "";
            if (r->last)
                dh_time_format_utc(r->last, rec);
            json_array_append_new(
                units, json_pack("{s:s,s:s,s:s,s:o,s:i,s:b}", "unit", reg->u[u].code, "name",
                                 ver ? ver->name : "", "state", state, "received_at",
                                 r->last ? json_string(rec) : json_null(), "values", r->nvalues,
                                 "approved", approved(apprs, o->id, reg->u[u].code, p.from)));
        }
        char label[32];
        dh_ind_period_label(t, p, label, sizeof label);
        if (st == DH_OK)
            *out = json_pack(
                "{s:s,s:s,s:s,s:o,s:o,s:o,s:i,s:i,s:i,s:i,s:i,s:i,s:o,s:o,s:o,s:o,s:O}",
                "obligation", o->code, "name", o->name, "period", label, "period_from",
                dh_ind_date_json(p.from), "period_to", dh_ind_date_json(p.to), "due",
                dh_ind_date_json(due), "expected", expected, "received", received, "on_time",
                on_time, "late", received - on_time, "partial", partial, "missing",
                expected - received - partial, "completeness_rate", rate(received, expected),
                "on_time_rate", rate(on_time, expected), "units", units, "not_expected",
                not_expected, "indicators", ia);
        else {
            json_decref(units);
            json_decref(not_expected);
        }
        json_decref(ia);
    }
    dh_store_release(c);
    dh_app_units_release(app, reg);
    obl_free_all(&l);
    dh_indset_free(&inds);
    json_decref(apprs);
    free(us);
    free(x.idx);
    free(x.r);
    free(x.ind_ids);
    return st;
}
