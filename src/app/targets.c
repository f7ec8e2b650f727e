/* targets.c - targets per indicator and unit: create (with split checks)
 * and the status overview, read from the statuses tgtrefresh.c derives
 * through an in-memory index of the targets (docs/INDICATORS.md). */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "app/tgtint.h"
#include "util/buf.h"
/* ---- Create. ------------------------------------------------------------- */

static dh_status parse_milestones(json_t *v, json_t **out, dh_err *e)
{
    *out = json_array();
    if (!v || json_is_null(v))
        return DH_OK;
    if (json_is_string(v)) {
        /* "2024-09-30:65;2024-10-31:70" as in data/plans/targets.csv */
        char *s = dh_xstrdup(json_string_value(v)), *save = NULL;
        for (char *tok = strtok_r(s, ";", &save); tok; tok = strtok_r(NULL, ";", &save)) {
            char *colon = strchr(tok, ':');
            dh_date d;
            char *end = NULL;
            double val = colon ? strtod(colon + 1, &end) : 0;
            if (colon)
                *colon = '\0';
            if (!colon || dh_date_parse(tok, &d) || !end || *end) {
                free(s);
                return dh_err_set(e, DH_E_INVALID, "invalid_milestones", "milestones",
                                  "milestones are DATE:VALUE pairs separated by ';'");
            }
            json_array_append_new(*out, json_pack("{s:s,s:f}", "date", tok, "value", val));
        }
        free(s);
    } else if (json_is_array(v)) {
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x)
        {
            dh_date d;
            json_t *val = json_object_get(x, "value");
            if (dh_date_parse(json_string_value(json_object_get(x, "date")), &d) ||
                !json_is_number(val))
                return dh_err_set(e, DH_E_INVALID, "invalid_milestones", "milestones",
                                  "milestones[%zu] must be {\"date\": \"YYYY-MM-DD\", "
                                  "\"value\": number}",
                                  i);
            json_array_append_new(*out, json_pack("{s:s,s:f}", "date",
                                                  json_string_value(json_object_get(x, "date")),
                                                  "value", json_number_value(val)));
        }
    } else {
        return dh_err_set(e, DH_E_INVALID, "invalid_milestones", "milestones",
                          "milestones must be an array or a DATE:VALUE;... string");
    }
    /* by date */
    size_t n = json_array_size(*out);
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0; j--) {
            const char *a = json_string_value(json_object_get(json_array_get(*out, j - 1), "date"));
            const char *b = json_string_value(json_object_get(json_array_get(*out, j), "date"));
            if (strcmp(a, b) <= 0)
                break;
            json_t *tmp = json_incref(json_array_get(*out, j - 1));
            json_array_set(*out, j - 1, json_array_get(*out, j));
            json_array_set_new(*out, j, tmp);
        }
    return DH_OK;
}

/* Warnings for splits whose parts do not add up (all splits, or those
 * touching target `only`). */
static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static json_t *split_warnings(const tgtlist *l, const dh_indset *inds, int64_t only)
{
    json_t *w = json_array();
    /* the parts, and the ids they split (sorted): linear in the targets */
    size_t *pidx = dh_xmalloc((l->n + 1) * sizeof *pidx), nparts = 0;
    int64_t *wholes = dh_xmalloc((l->n + 1) * sizeof *wholes);
    for (size_t j = 0; j < l->n; j++)
        if (l->v[j].split_of) {
            wholes[nparts] = l->v[j].split_of;
            pidx[nparts++] = j;
        }
    qsort(wholes, nparts, sizeof *wholes, cmp_i64);
    for (size_t i = 0; i < l->n && nparts; i++) {
        const tgt *whole = &l->v[i];
        if (!bsearch(&whole->id, wholes, nparts, sizeof *wholes, cmp_i64))
            continue;
        double sum = 0;
        int parts = 0;
        bool mine = whole->id == only || only == 0;
        dh_buf b = DH_BUF_INIT;
        for (size_t pj = 0; pj < nparts; pj++) {
            size_t j = pidx[pj];
            if (l->v[j].split_of == whole->id) {
                sum += l->v[j].value;
                dh_buf_printf(&b, "%s%s %g", parts ? " + " : "", l->v[j].unit, l->v[j].value);
                parts++;
                mine = mine || l->v[j].id == only;
            }
        }
        if (parts && mine && fabs(sum - whole->value) > 1e-9) {
            const dh_ind *ind = dh_indset_by_id(inds, whole->indicator_id);
            char msg[700];
            snprintf(msg, sizeof msg, "%s/%s: %s = %g, not %g", ind ? ind->code : "?",
                     whole->unit, b.p, sum, whole->value);
            json_array_append_new(w, json_pack("{s:s,s:s,s:I,s:f,s:f}", "code", "split_mismatch",
                                               "message", msg, "target", (json_int_t)whole->id,
                                               "whole", whole->value, "parts_sum", sum));
        }
        dh_buf_free(&b);
    }
    free(pidx);
    free(wholes);
    return w;
}

static json_t *tgt_json(const tgt *t, const dh_indset *inds, const dh_tgt_eval *ev,
                        json_t *eval, bool detailed)
{
    const dh_ind *ind = dh_indset_by_id(inds, t->indicator_id);
    json_t *o = json_pack("{s:I,s:s,s:s,s:f,s:o,s:o,s:s,s:s,s:s,s:s}", "id", (json_int_t)t->id,
                          "indicator", ind ? ind->code : "?", "unit", t->unit, "value", t->value,
                          "due", dh_ind_date_json(t->due), "milestones",
                          json_loads(t->milestones, 0, NULL), "plan", t->plan, "task_ref",
                          t->task_ref, "name", t->name, "note", t->note);
    if (ind) {
        json_object_set_new(o, "indicator_name", json_string(ind->name));
        json_object_set_new(o, "uom", json_string(ind->uom));
        json_object_set_new(o, "direction", json_string(ind->direction));
    }
    json_object_set_new(o, "split_of", t->split_of ? json_integer(t->split_of) : json_null());
    json_object_set_new(o, "task_id", t->task_id ? json_integer(t->task_id) : json_null());
    json_object_set_new(o, "status", json_string(ev ? dh_tstatus_name(ev->status) : t->status));
    json_object_set_new(o, "since", dh_ind_date_json(ev ? ev->since : t->since));
    if (eval)
        json_object_update(o, eval);
    if (detailed) {
        dh_ind_point *pts;
        size_t n = dh_tgt_series_parse(t->series, &pts);
        json_t *s = json_array();
        for (size_t i = 0; i < n; i++) {
            char label[32];
            dh_ind_period_label(ind ? ind->pt : DH_PT_MONTH, pts[i].p, label, sizeof label);
            json_array_append_new(s, json_pack("{s:s,s:f}", "period", label, "value",
                                               dh_tgt_round2(pts[i].v)));
        }
        free(pts);
        json_object_set_new(o, "series", s);
    }
    return o;
}

typedef struct target_put_cl {
    const dh_actor *a;
    const char *indc, *unit, *plan, *task_ref, *name, *note, *key;
    dh_date due;
    json_t *ms, *v, *split, *task;
    time_t now;
    json_t *out;
} target_put_cl;

/* Concurrency: reads, inside the write transaction, the unit registry
 * (DH_TX_UNITS: the unit, the actor's scope), the indicators, and the
 * indicator's targets (the one the key names is updated in place; the
 * whole a split_of names must be one of them); it writes the target and
 * moves targets_dirty in the same transaction, then reads the indicator's
 * targets again for the answer and the split check (parts summing to the
 * whole), so the warnings are about the targets as committed. Two writers
 * of one indicator's targets are serialised by the write lock (SQLite) or
 * the later one fails its commit on targets_dirty (or on the rows the
 * other wrote) and is rerun on the other's targets (PostgreSQL); the
 * unique ext_key of targets is the last guard of a keyed target. */
static dh_status target_put_tx(dh_tx *tx, void *closure, dh_err *e)
{
    target_put_cl *cl = closure;
    const dh_actor *a = cl->a;
    const char *indc = cl->indc, *unit = cl->unit, *key = cl->key;
    json_t *split = cl->split, *task = cl->task;
    json_decref(cl->out);
    cl->out = NULL;
    dh_indset inds = {0};
    tgtlist l = {0};
    dh_status st = DH_OK;
    int32_t u = dh_unitreg_find(tx->reg, unit);
    if (u < 0)
        return dh_err_set(e, DH_E_INVALID, "unknown_unit", "unit", "unknown unit '%s'", unit);
    dh_date today = dh_date_of_time_vn(cl->now);
    if (a->role != DH_ROLE_ADMIN &&
        (a->role != DH_ROLE_OFFICER ||
         !dh_access_allows(tx->reg, a->role, dh_app_actor_scope(tx->reg, a), DH_ACT_WRITE, u,
                           today)))
        return dh_tx_deny(tx, a, "create", "target", indc, unit, cl->now, e,
                          "set targets for this unit");
    if ((st = dh_indset_load(tx->c, &inds, e)))
        goto done;
    const dh_ind *ind = dh_indset_find(&inds, indc);
    if (!ind) {
        st = dh_err_set(e, DH_E_INVALID, "unknown_indicator", "indicator",
                        "unknown indicator '%s'", indc);
        goto done;
    }
    if ((st = dh_ind_value_check(ind, "value", json_number_value(cl->v), e)))
        goto done;
    for (size_t i = 0; i < json_array_size(cl->ms) && st == DH_OK; i++)
        st = dh_ind_value_check(ind, "milestones",
                                json_number_value(json_object_get(json_array_get(cl->ms, i), "value")),
                                e);
    if (st)
        goto done;
    /* A split and its parts are of one indicator: its targets (and the
     * one the key names) are all this needs, not every target. */
    if ((st = DH_TARGETS(tx->c)->load_targets_of(tx->c, ind->id, key, dh_tgt_on_row, &l, e)))
        goto done;
    int64_t split_id = 0;
    if (split && !json_is_null(split)) {
        if (json_is_integer(split)) {
            split_id = json_integer_value(split);
        } else if (json_is_string(split)) {
            /* "indicator/unit" */
            const char *s = json_string_value(split), *slash = strchr(s, '/');
            for (size_t i = 0; slash && i < l.n && !split_id; i++) {
                const dh_ind *pi = dh_indset_by_id(&inds, l.v[i].indicator_id);
                if (pi && strlen(pi->code) == (size_t)(slash - s) &&
                    !strncmp(pi->code, s, (size_t)(slash - s)) && !strcmp(l.v[i].unit, slash + 1))
                    split_id = l.v[i].id;
            }
        }
        bool found = false;
        for (size_t i = 0; i < l.n; i++)
            found = found || (l.v[i].id == split_id && l.v[i].indicator_id == ind->id);
        if (!found) {
            st = dh_err_set(e, DH_E_INVALID, "unknown_target", "split_of",
                            "split_of must name a target of the same indicator (id or "
                            "indicator/unit)");
            goto done;
        }
    }
    int64_t id = 0;
    tgt *old = NULL;
    for (size_t i = 0; key && i < l.n; i++)
        if (l.v[i].key && !strcmp(l.v[i].key, key)) {
            old = &l.v[i];
            id = old->id;
        }
    char *ms_s = json_dumps(cl->ms, JSON_COMPACT);
    dh_target_row r = {id,    ind->id,  unit,  json_number_value(cl->v),
                       cl->due, ms_s,   split_id, cl->plan ? cl->plan : "",
                       task && json_is_integer(task) ? json_integer_value(task) : 0,
                       cl->task_ref ? cl->task_ref : "", cl->name ? cl->name : "",
                       cl->note ? cl->note : "",
                       key,   "[]",     true,  "no_data",
                       "{}",  DH_DATE_NONE, DH_DATE_NONE, cl->now, cl->now};
    st = DH_TARGETS(tx->c)->put_target(tx->c, &r, &id, e);
    free(ms_s);
    if (st == DH_OK)
        st = DH_META(tx->c)->meta_bump(tx->c, DH_TARGETS_DIRTY, e);
    if (st)
        goto done;
    /* The list as it now stands, for the answer and the split check. */
    dh_tgt_free_all(&l);
    if ((st = DH_TARGETS(tx->c)->load_targets_of(tx->c, ind->id, NULL, dh_tgt_on_row, &l, e)))
        goto done;
    tgt *me = NULL;
    for (size_t i = 0; i < l.n; i++)
        if (l.v[i].id == id)
            me = &l.v[i];
    cl->out = tgt_json(me, &inds, NULL, NULL, false);
    st = dh_app_audit(tx->c, a, old ? "update" : "create", "target", indc, unit, "ok", NULL,
                      cl->out, cl->now, e);
    json_object_set_new(cl->out, "warnings", split_warnings(&l, &inds, id));
done:
    dh_tgt_free_all(&l);
    dh_indset_free(&inds);
    return st;
}

dh_status dh_app_target_put(dh_app *app, const dh_actor *a, json_t *body, time_t now,
                            json_t **out, dh_err *e)
{
    static const char *const allowed[] = {"indicator", "unit",     "value", "due",  "milestones",
                                          "split_of",  "plan",     "task_id", "task_ref",
                                          "name",      "note",     "key",   NULL};
    *out = NULL;
    dh_status st = dh_json_only(body, allowed, e);
    if (st)
        return st;
    char *indc = NULL, *unit = NULL, *plan = NULL, *task_ref = NULL, *name = NULL, *note = NULL,
         *key = NULL;
    dh_date due;
    json_t *ms = NULL, *v = json_object_get(body, "value");
    json_t *split = json_object_get(body, "split_of"), *task = json_object_get(body, "task_id");
    if ((st = dh_json_text(body, "indicator", true, &indc, e)) ||
        (st = dh_json_text(body, "unit", true, &unit, e)) ||
        (st = dh_json_date(body, "due", false, &due, e)) ||
        (st = dh_json_text(body, "plan", false, &plan, e)) ||
        (st = dh_json_text(body, "task_ref", false, &task_ref, e)) ||
        (st = dh_json_text(body, "name", false, &name, e)) ||
        (st = dh_json_text(body, "note", false, &note, e)) ||
        (st = dh_json_text(body, "key", false, &key, e)) ||
        (st = parse_milestones(json_object_get(body, "milestones"), &ms, e)))
        goto done;
    if (!json_is_number(v)) {
        st = dh_err_set(e, DH_E_INVALID, "missing_field", "value", "value must be a number");
        goto done;
    }
    if (task && !json_is_null(task) && !json_is_integer(task)) {
        st = dh_err_set(e, DH_E_INVALID, "invalid_type", "task_id", "task_id must be an integer");
        goto done;
    }
    target_put_cl cl = {a,   indc, unit,  plan, task_ref, name, note, key,
                        due, ms,   v,     split, task,    now,  NULL};
    st = dh_tx_run(app, DH_TX_UNITS, target_put_tx, &cl, e);
    if (st)
        json_decref(cl.out);
    else
        *out = cl.out;
done:
    json_decref(ms);
    free(indc);
    free(unit);
    free(plan);
    free(task_ref);
    free(name);
    free(note);
    free(key);
    return st;
}

/* ---- Status overview. ---------------------------------------------------- */

/* ---- The overview's index. ------------------------------------------------
 * Every target's (severity, id, unit, indicator, split) in memory, in the
 * overview's order, reloaded when a refresh changed statuses (meta
 * DH_TARGETS_REV): counting a province's 200,000 targets and picking a page
 * is a walk over an array, and only the page's rows are read
 * (docs/benchmarks.md). */

typedef struct tkey {
    int64_t id, indicator_id, split_of;
    double value;
    int32_t unit; /* index into tindex.units */
    uint8_t rank; /* 0 off_track, 1 at_risk, 2 on_track, 3 no_data */
    bool whole;   /* some target is split_of this one */
} tkey;

typedef struct tindex {
    void *owner; /* the dh_snap */
    tkey *v;     /* by rank, then id */
    size_t n, cap;
    char **units; /* sorted unique codes */
    size_t nunits;
} tindex;

static const char *const rank_names[4] = {"off_track", "at_risk", "on_track", "no_data"};

static int rank_of(const char *status)
{
    for (int r = 0; r < 3; r++)
        if (status && !strcmp(status, rank_names[r]))
            return r;
    return 3;
}

static void tindex_free(void *p)
{
    tindex *x = p;
    if (!x)
        return;
    for (size_t i = 0; i < x->nunits; i++)
        free(x->units[i]);
    free(x->units);
    free(x->v);
    free(x);
}

struct tload {
    tindex *x;
    char **codes; /* per key, until interned */
};

static int on_tkey(void *cl, const dh_target_row *r)
{
    struct tload *l = cl;
    tindex *x = l->x;
    if (x->n == x->cap) {
        x->cap = x->cap ? 2 * x->cap : 1024;
        x->v = dh_xrealloc(x->v, x->cap * sizeof *x->v);
        l->codes = dh_xrealloc(l->codes, x->cap * sizeof *l->codes);
    }
    x->v[x->n] = (tkey){r->id, r->indicator_id, r->split_of, r->value, 0,
                        (uint8_t)rank_of(r->status), false};
    l->codes[x->n++] = dh_xstrdup(r->unit);
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_tkey_id(const void *a, const void *b)
{
    const tkey *x = a, *y = b;
    return (x->id > y->id) - (x->id < y->id);
}

static int cmp_tkey_rank(const void *a, const void *b)
{
    const tkey *x = a, *y = b;
    if (x->rank != y->rank)
        return x->rank - y->rank;
    return (x->id > y->id) - (x->id < y->id);
}

static dh_status tindex_load(dh_conn *c, void **obj, dh_err *e)
{
    tindex *x = dh_xcalloc(1, sizeof *x);
    struct tload l = {x, NULL};
    dh_status st = DH_TARGETS(c)->list_target_keys(c, on_tkey, &l, e);
    if (st == DH_OK && x->n) {
        /* intern the unit codes */
        char **sorted = dh_xmalloc(x->n * sizeof *sorted);
        memcpy(sorted, l.codes, x->n * sizeof *sorted);
        qsort(sorted, x->n, sizeof *sorted, cmp_str);
        x->units = dh_xmalloc(x->n * sizeof *x->units);
        for (size_t i = 0; i < x->n; i++)
            if (i == 0 || strcmp(sorted[i], sorted[i - 1]))
                x->units[x->nunits++] = dh_xstrdup(sorted[i]);
        free(sorted);
        for (size_t i = 0; i < x->n; i++) {
            char **u = bsearch(&l.codes[i], x->units, x->nunits, sizeof *x->units, cmp_str);
            x->v[i].unit = (int32_t)(u - x->units);
        }
        /* mark the wholes of splits */
        qsort(x->v, x->n, sizeof *x->v, cmp_tkey_id);
        for (size_t i = 0; i < x->n; i++)
            if (x->v[i].split_of) {
                tkey k = {.id = x->v[i].split_of};
                tkey *w = bsearch(&k, x->v, x->n, sizeof *x->v, cmp_tkey_id);
                if (w)
                    w->whole = true;
            }
        qsort(x->v, x->n, sizeof *x->v, cmp_tkey_rank);
    }
    for (size_t i = 0; i < x->n; i++)
        free(l.codes[i]);
    free(l.codes);
    if (st) {
        tindex_free(x);
        return st;
    }
    *obj = x;
    return DH_OK;
}

void dh_app_targets_close(dh_app *app) { dh_snap_close(app, &app->targets, tindex_free); }

/* The units of the index inside a scope (a JSON array of codes; NULL: all). */
static bool *tindex_scope(const tindex *x, const char *units_json)
{
    bool *in = dh_xcalloc(x->nunits + 1, sizeof *in);
    json_t *arr = units_json ? json_loads(units_json, 0, NULL) : NULL;
    size_t i;
    json_t *v;
    if (!units_json)
        for (i = 0; i < x->nunits; i++)
            in[i] = true;
    json_array_foreach(arr, i, v)
    {
        const char *code = json_string_value(v);
        char **u = code ? bsearch(&code, x->units, x->nunits, sizeof *x->units, cmp_str) : NULL;
        if (u)
            in[u - x->units] = true;
    }
    json_decref(arr);
    return in;
}

/* Today's overview from the index: counts by status of the targets in scope
 * (and of the indicator), the page asked for in order, and the split
 * warnings among them. */
static dh_status live_overview(dh_app *app, dh_conn *c, const dh_indset *inds, const char *units,
                               int64_t ind_id, const dh_target_query *q, json_t *counts,
                               json_t *items, bool *more, json_t **warnings, dh_err *e)
{
    dh_snap *snap = dh_snap_acquire(app, &app->targets, DH_TARGETS_REV, tindex_load, tindex_free,
                                    offsetof(tindex, owner), e);
    if (!snap)
        return e->status;
    const tindex *x = snap->obj;
    bool *in = tindex_scope(x, units);
    int want = q->status ? rank_of(q->status) : -1;
    int64_t cnt[4] = {0, 0, 0, 0}, k = 0;
    json_t *ids = json_array();
    tgtlist splits = {0};
    for (size_t i = 0; i < x->n; i++) {
        const tkey *t = &x->v[i];
        if (!in[t->unit] || (ind_id && t->indicator_id != ind_id))
            continue;
        cnt[t->rank]++;
        if (t->whole || t->split_of) {
            splits.v = dh_xrealloc(splits.v, (splits.n + 1) * sizeof *splits.v);
            tgt *s = &splits.v[splits.n++];
            memset(s, 0, sizeof *s);
            s->id = t->id;
            s->indicator_id = t->indicator_id;
            s->split_of = t->split_of;
            s->value = t->value;
            s->unit = dh_xstrdup(x->units[t->unit]);
        }
        if (want >= 0 && t->rank != want)
            continue;
        if (k++ < q->offset)
            continue;
        if (q->limit && (int64_t)json_array_size(ids) >= q->limit)
            *more = true;
        else
            json_array_append_new(ids, json_integer(t->id));
    }
    for (int r = 0; r < 4; r++)
        json_object_set_new(counts, rank_names[r], json_integer(cnt[r]));
    dh_snap_release(app, snap, tindex_free);
    free(in);
    *warnings = split_warnings(&splits, inds, 0);
    dh_tgt_free_all(&splits);
    dh_status st = DH_OK;
    if (json_array_size(ids)) {
        char *s = json_dumps(ids, JSON_COMPACT);
        tgtlist l = {0};
        st = DH_TARGETS(c)->get_targets(c, s, dh_tgt_on_row, &l, e);
        free(s);
        /* in the index's order */
        size_t i;
        json_t *id;
        json_array_foreach(ids, i, id)
        {
            for (size_t j = 0; st == DH_OK && j < l.n; j++)
                if (l.v[j].id == json_integer_value(id)) {
                    json_t *ev = json_loads(l.v[j].eval, 0, NULL);
                    json_array_append_new(items, tgt_json(&l.v[j], inds, NULL, ev, q->detailed));
                    json_decref(ev);
                    break;
                }
        }
        dh_tgt_free_all(&l);
    }
    json_decref(ids);
    if (st) {
        json_decref(*warnings);
        *warnings = NULL;
    }
    return st;
}

dh_status dh_app_target_status(dh_app *app, const dh_actor *a, const dh_target_query *q,
                               time_t now, json_t **out, dh_err *e)
{
    *out = NULL;
    dh_date today = dh_date_of_time_vn(now);
    dh_tstatus want = DH_TS_NO_DATA;
    if (q->status && dh_tstatus_parse(q->status, &want))
        return dh_err_set(e, DH_E_INVALID, "invalid_status", "status",
                          "status must be on_track, at_risk, off_track or no_data");
    char *units = NULL;
    /* the unit (default: the actor's) and, with subtree, every unit below
     * it as the tree stood on its last day; a 403 outside the actor's unit */
    dh_status st = dh_app_scope_units_of(app, a, q->unit, q->subtree || !q->unit, "target", true,
                                         now, &units, e);
    if (st)
        return st;
    bool live = q->as_of == DH_DATE_NONE || q->as_of == today;
    /* What is left to derive is derived first, unless that is long (a
     * province-wide push: another thread at it for over 0.3 s, or more
     * than 1 s of work): then the statuses as they stand, said to be
     * "refreshing", rather than a request held for the whole refresh. */
    bool busy = false;
    if (live &&
        (st = dh_tgt_refresh(app, now, REFRESH_WAIT_MS, dh_tgt_budget_ms(), NULL, &busy, e))) {
        free(units);
        return st;
    }
    dh_conn *c = dh_store_acquire(app->store, e);
    if (!c) {
        free(units);
        return e->status;
    }
    dh_indset inds;
    tgtlist l = {0};
    json_t *counts = json_pack("{s:i,s:i,s:i,s:i}", "on_track", 0, "at_risk", 0, "off_track", 0,
                               "no_data", 0);
    json_t *items = json_array();
    int64_t ind_id = 0;
    bool more = false;
    st = dh_indset_load(c, &inds, e);
    if (st == DH_OK && q->indicator) {
        const dh_ind *ind = dh_indset_find(&inds, q->indicator);
        if (!ind)
            st = dh_err_set(e, DH_E_NOTFOUND, "unknown_indicator", "indicator",
                            "unknown indicator '%s'", q->indicator);
        else
            ind_id = ind->id;
    }
    json_t *warnings = NULL;
    if (st == DH_OK && live) {
        st = live_overview(app, c, &inds, units, ind_id, q, counts, items, &more, &warnings, e);
    } else if (st == DH_OK) {
        /* Another day: every target in scope evaluated now, from its kept
         * series (refreshed first when stale). */
        dh_store_release(c);
        c = NULL;
        st = dh_tgt_refresh(app, now, REFRESH_WAIT_MS, dh_tgt_budget_ms(), NULL, &busy, e);
        if (st == DH_OK)
            c = dh_store_acquire(app->store, e);
        if (!c && st == DH_OK)
            st = e->status;
        dh_target_filter f = {units, ind_id, NULL, 0, 0};
        if (st == DH_OK)
            st = DH_TARGETS(c)->list_targets(c, &f, dh_tgt_on_row, &l, e);
        json_t *ranked[4] = {json_array(), json_array(), json_array(), json_array()};
        for (size_t i = 0; i < l.n && st == DH_OK; i++) {
            dh_tgt_eval ev;
            json_t *o = dh_tgt_evaluate(&l.v[i], dh_indset_by_id(&inds, l.v[i].indicator_id),
                                        q->as_of, &ev);
            const char *name = dh_tstatus_name(ev.status);
            json_object_set_new(counts, name,
                                json_integer(json_integer_value(json_object_get(counts, name)) +
                                             1));
            if (!q->status || ev.status == want)
                json_array_append_new(ranked[ev.status == DH_TS_OFF_TRACK  ? 0
                                             : ev.status == DH_TS_AT_RISK ? 1
                                             : ev.status == DH_TS_ON_TRACK ? 2
                                                                           : 3],
                                      tgt_json(&l.v[i], &inds, &ev, o, q->detailed));
            json_decref(o);
        }
        int64_t k = 0;
        for (int r = 0; r < 4; r++) {
            size_t i;
            json_t *x;
            json_array_foreach(ranked[r], i, x)
            {
                if (k >= q->offset && (!q->limit || k < q->offset + q->limit))
                    json_array_append(items, x);
                else if (q->limit && k >= q->offset + q->limit)
                    more = true;
                k++;
            }
            json_decref(ranked[r]);
        }
    }
    if (st == DH_OK && !live) {
        dh_tgt_free_all(&l);
        dh_target_filter all = {units, ind_id, NULL, 0, 0};
        st = DH_TARGETS(c)->list_targets(c, &all, dh_tgt_on_row, &l, e);
        if (st == DH_OK)
            warnings = split_warnings(&l, &inds, 0);
    }
    if (c)
        dh_store_release(c);
    if (st == DH_OK) {
        json_int_t total = 0;
        const char *k;
        json_t *v;
        json_object_foreach(counts, k, v) total += json_integer_value(v);
        *out = json_pack("{s:o,s:O,s:I,s:O,s:b,s:o}", "as_of",
                         dh_ind_date_json(live ? today : q->as_of), "counts", counts, "total",
                         total, "items", items, "more", more, "split_warnings", warnings);
        if (busy)
            json_object_set_new(*out, "refreshing", json_true());
    } else {
        json_decref(warnings);
    }
    json_decref(counts);
    json_decref(items);
    dh_tgt_free_all(&l);
    dh_indset_free(&inds);
    free(units);
    return st;
}

/* The job's state (one server job per process): the dirty revision seen
 * at the last tick and since when values have kept coming. */
static int64_t tick_seen;
static time_t tick_pending_since;

/* Waits for a quiet tick: while values keep arriving (a push of many
 * batches), deriving would compete with them for the write lock and the
 * CPU, so the job derives once the revision stopped moving between two
 * ticks, or after TICK_MAX_DELAY seconds of steady arrivals. A request
 * for the overview derives at once whatever is left. */
enum { TICK_MAX_DELAY = 60 };

void dh_targets_tick(dh_app *app, time_t now)
{
    dh_err e;
    time_t start = now;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int64_t dirty = 0;
    dh_conn *c = dh_store_acquire(app->store, &e);
    if (!c || DH_META(c)->meta_get(c, DH_TARGETS_DIRTY, &dirty, &e)) {
        fprintf(stderr, "dieuhanh: targets: %s\n", e.message);
        if (c)
            dh_store_release(c);
        return;
    }
    dh_store_release(c);
    if (dirty != tick_seen) {
        tick_seen = dirty;
        if (!tick_pending_since)
            tick_pending_since = start;
        if (start - tick_pending_since < TICK_MAX_DELAY)
            return;
    }
    tick_pending_since = 0;
    int n = 0;
    if (dh_app_targets_refresh(app, start, &n, &e))
        fprintf(stderr, "dieuhanh: targets: %s\n", e.message);
    else if (n >= 1000 && clock_gettime(CLOCK_MONOTONIC, &t1) == 0)
        fprintf(stderr, "dieuhanh: targets: %d series derived again (%ld s)\n", n,
                (long)(t1.tv_sec - t0.tv_sec));
}
