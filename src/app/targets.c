/* targets.c - targets per indicator and unit, their series (the unit's own
 * values, else the aggregate of its subtree, else for computed indicators
 * the dossier KPIs), split checks, and the status overview. Statuses for
 * today are derived when inputs change (meta "targets_dirty" moves past
 * "targets_clean") or the day changes, and kept in the targets table, so
 * the overview is one indexed query (docs/INDICATORS.md). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "app/indint.h"
#include "util/buf.h"

/* ---- Owned copies of target rows. ------------------------------------ */

typedef struct tgt {
    int64_t id, indicator_id, split_of, task_id;
    char *unit, *milestones, *plan, *task_ref, *name, *note, *series, *status, *eval, *key;
    double value;
    dh_date due, since, eval_day;
    bool dirty;
} tgt;

typedef struct tgtlist {
    tgt *v;
    size_t n;
} tgtlist;

static void tgt_free_all(tgtlist *l)
{
    for (size_t i = 0; i < l->n; i++) {
        tgt *t = &l->v[i];
        free(t->unit);
        free(t->milestones);
        free(t->plan);
        free(t->task_ref);
        free(t->name);
        free(t->note);
        free(t->series);
        free(t->status);
        free(t->eval);
        free(t->key);
    }
    free(l->v);
    memset(l, 0, sizeof *l);
}

static int on_tgt(void *cl, const dh_target_row *r)
{
    tgtlist *l = cl;
    l->v = dh_xrealloc(l->v, (l->n + 1) * sizeof *l->v);
    tgt *t = &l->v[l->n++];
    t->id = r->id;
    t->indicator_id = r->indicator_id;
    t->split_of = r->split_of;
    t->task_id = r->task_id;
    t->unit = dh_xstrdup(r->unit);
    t->milestones = dh_xstrdup(r->milestones_json);
    t->plan = dh_xstrdup(r->plan);
    t->task_ref = dh_xstrdup(r->task_ref);
    t->name = dh_xstrdup(r->name);
    t->note = dh_xstrdup(r->note);
    t->series = dh_xstrdup(r->series_json);
    t->status = dh_xstrdup(r->status);
    t->eval = dh_xstrdup(r->eval_json);
    t->key = r->ext_key ? dh_xstrdup(r->ext_key) : NULL;
    t->value = r->value;
    t->due = r->due;
    t->since = r->since;
    t->eval_day = r->eval_day;
    t->dirty = r->dirty;
    return 0;
}

/* ---- Series. --------------------------------------------------------------- */

struct agg_ctx {
    const dh_ind *ind;
    dh_ind_point *pts;
    size_t n, cap;
    dh_date cur_from, cur_to;
    dh_ind_acc acc;
    bool open;
};

static void agg_close(struct agg_ctx *g)
{
    double v;
    if (g->open && dh_ind_acc_value(&g->acc, &v, NULL) == 0) {
        if (g->n == g->cap) {
            g->cap = g->cap ? 2 * g->cap : 64;
            g->pts = dh_xrealloc(g->pts, g->cap * sizeof *g->pts);
        }
        g->pts[g->n++] = (dh_ind_point){{g->cur_from, g->cur_to}, v};
    }
    g->open = false;
}

static int on_agg_value(void *cl, const dh_ivalue_row *r)
{
    struct agg_ctx *g = cl;
    if (!g->open || r->period_from != g->cur_from) {
        agg_close(g);
        dh_ind_acc_init(&g->acc, g->ind->agg, g->ind->percent ? 100 : 1);
        g->cur_from = r->period_from;
        g->cur_to = r->period_to;
        g->open = true;
    }
    dh_ind_acc_add(&g->acc, r->value, r->has_nd, r->numerator, r->denominator, r->received_at);
    return 0;
}

/* d, or the unit's last day when it closed before d: a closed unit's
 * subtree is the one it had then. */
static dh_date last_day(const dh_unitreg *reg, int32_t u, dh_date d)
{
    dh_date to = reg->u[u].valid_to;
    return to != DH_DATE_NONE && to < d ? to : d;
}

/* The JSON array of the unit's subtree over time (the unit first). */
static char *subtree_json(const dh_unitreg *reg, int32_t root, dh_date today, bool subtree)
{
    json_t *arr = json_array();
    today = last_day(reg, root, today);
    json_array_append_new(arr, json_string(reg->u[root].code));
    for (size_t i = 0; subtree && i < reg->n; i++)
        if ((int32_t)i != root &&
            dh_access_allows(reg, DH_ROLE_VIEWER, root, DH_ACT_READ, (int32_t)i, today))
            json_array_append_new(arr, json_string(reg->u[i].code));
    char *s = json_dumps(arr, JSON_COMPACT);
    json_decref(arr);
    return s;
}

/* Monthly points of a computed indicator from the dossier KPIs of the
 * unit's subtree, from January of the year before the due date to the end
 * of the last full month. */
static dh_status computed_series(dh_app *app, const dh_ind *ind, const char *unit, dh_date due,
                                 dh_date today, struct agg_ctx *g, dh_err *e)
{
    int y, m, d;
    dh_date_to_ymd(due != DH_DATE_NONE && due < today ? due : today, &y, &m, &d);
    dh_date to = dh_date_from_ymd(y, m, 1) - 1;
    if (due != DH_DATE_NONE && due < today)
        to = due;
    dh_date from = dh_date_from_ymd(y - 1, 1, 1);
    if (to < from)
        return DH_OK;
    dh_actor sys;
    dh_actor_cli(&sys);
    json_t *k = NULL;
    dh_status st = dh_app_kpis(app, &sys, unit, true, from, to, "month", 0,
                               (time_t)today * 86400, &k, e);
    if (st)
        return st == DH_E_INVALID ? DH_OK : st;
    json_t *items = json_object_get(k, "items"), *it;
    size_t i;
    json_array_foreach(items, i, it)
    {
        const char *key = json_string_value(json_object_get(it, "key"));
        dh_period p;
        if (!key || dh_ind_period_parse(DH_PT_MONTH, key, &p, NULL))
            continue;
        long num = 0, den = 0;
        long on = json_integer_value(json_object_get(it, "received_online"));
        long counter = json_integer_value(json_object_get(it, "received_counter_postal"));
        if (!strcmp(ind->formula, "kpi:online_by_applicant")) {
            num = json_integer_value(json_object_get(it, "received_by_applicant"));
            den = on + counter;
        } else if (!strcmp(ind->formula, "kpi:online")) {
            num = on;
            den = on + counter;
        } else {
            num = json_integer_value(json_object_get(it, "early")) +
                  json_integer_value(json_object_get(it, "on_time"));
            den = json_integer_value(json_object_get(it, "resolved_total"));
        }
        if (den <= 0)
            continue;
        if (g->n == g->cap) {
            g->cap = g->cap ? 2 * g->cap : 64;
            g->pts = dh_xrealloc(g->pts, g->cap * sizeof *g->pts);
        }
        g->pts[g->n++] = (dh_ind_point){p, 100.0 * (double)num / (double)den};
    }
    json_decref(k);
    return DH_OK;
}

/* The target's series: its unit's own values, else its subtree's
 * aggregate, else (computed indicators) the KPIs. */
static dh_status target_series(dh_app *app, dh_conn *c, const dh_unitreg *reg, const dh_ind *ind,
                               const tgt *t, const tgtlist *all, dh_date today,
                               dh_ind_point **pts, size_t *n, dh_err *e)
{
    struct agg_ctx g = {ind, NULL, 0, 0, 0, 0, {0}, false};
    *pts = NULL;
    *n = 0;
    int32_t u = dh_unitreg_find(reg, t->unit);
    if (u < 0)
        return DH_OK;
    /* A whole split into parts (Viettel 140 + VNPT 60 = 200) is made of
     * its parts' units, not of every unit below it (Vũng Tàu's stations
     * are also the operators'). */
    json_t *parts = json_array();
    for (size_t i = 0; i < all->n; i++)
        if (all->v[i].split_of == t->id)
            json_array_append_new(parts, json_string(all->v[i].unit));
    dh_status st = DH_OK;
    for (int pass = 0; pass < 2 && st == DH_OK && g.n == 0; pass++) {
        char *units = pass == 1 && json_array_size(parts)
                          ? json_dumps(parts, JSON_COMPACT)
                          : subtree_json(reg, u, today, pass == 1);
        dh_ivalue_filter f = {ind->id, units, DH_DATE_NONE, DH_DATE_NONE, true, 0, 0};
        st = DH_OPS(c)->list_ivalues(c, &f, on_agg_value, &g, e);
        agg_close(&g);
        free(units);
    }
    json_decref(parts);
    if (st == DH_OK && g.n == 0 && !strcmp(ind->source, "computed"))
        st = computed_series(app, ind, t->unit, t->due, today, &g, e);
    if (st) {
        free(g.pts);
        return st;
    }
    *pts = g.pts;
    *n = g.n;
    return DH_OK;
}

static char *series_text(const dh_ind_point *p, size_t n)
{
    dh_buf b = DH_BUF_INIT;
    dh_buf_putc(&b, '[');
    for (size_t i = 0; i < n; i++)
        dh_buf_printf(&b, "%s[%d,%d,%.10g]", i ? "," : "", p[i].p.from, p[i].p.to, p[i].v);
    dh_buf_putc(&b, ']');
    return dh_buf_steal(&b);
}

static size_t series_parse(const char *s, dh_ind_point **out)
{
    json_t *a = json_loads(s, 0, NULL);
    size_t n = json_array_size(a);
    dh_ind_point *p = dh_xcalloc(n + 1, sizeof *p);
    for (size_t i = 0; i < n; i++) {
        json_t *x = json_array_get(a, i);
        p[i].p.from = (dh_date)json_integer_value(json_array_get(x, 0));
        p[i].p.to = (dh_date)json_integer_value(json_array_get(x, 1));
        p[i].v = json_number_value(json_array_get(x, 2));
    }
    json_decref(a);
    *out = p;
    return n;
}

static size_t milestones_parse(const char *s, dh_milestone **out)
{
    json_t *a = json_loads(s, 0, NULL);
    size_t n = json_array_size(a), k = 0;
    dh_milestone *m = dh_xcalloc(n + 1, sizeof *m);
    for (size_t i = 0; i < n; i++) {
        json_t *x = json_array_get(a, i);
        dh_date d;
        if (dh_date_parse(json_string_value(json_object_get(x, "date")), &d) == 0)
            m[k++] = (dh_milestone){d, json_number_value(json_object_get(x, "value"))};
    }
    json_decref(a);
    *out = m;
    return k;
}

static double round2(double v) { return round(v * 100) / 100; }

/* Evaluates a target on as_of: *ev filled; the eval JSON (new). */
static json_t *evaluate(const tgt *t, const dh_ind *ind, dh_date as_of, dh_tgt_eval *ev)
{
    dh_ind_point *pts;
    dh_milestone *ms;
    size_t n = series_parse(t->series, &pts);
    size_t nms = milestones_parse(t->milestones, &ms);
    dh_tgt tg = {t->value, t->due, ind ? ind->lower : false, ms, nms};
    dh_target_eval(&tg, ind ? ind->pt : DH_PT_MONTH, pts, n, as_of, ev);
    json_t *o = json_object();
    json_object_set_new(o, "status_label", json_string(dh_tstatus_label_vi(ev->status)));
    if (ev->has_actual) {
        char label[32];
        dh_ind_period_label(ind ? ind->pt : DH_PT_MONTH, ev->actual_p, label, sizeof label);
        json_object_set_new(o, "actual", json_real(round2(ev->actual)));
        json_object_set_new(o, "actual_period", json_string(label));
        json_object_set_new(o, "gap", json_real(round2(ev->gap)));
        json_object_set_new(o, "met", json_boolean(ev->met));
    }
    if (ev->has_projection) {
        json_object_set_new(o, "projection", json_real(round2(ev->projection)));
        json_object_set_new(o, "method", json_string(ev->method));
        json_object_set_new(o, "fit_points", json_integer(ev->fit_points));
        json_object_set_new(o, "slope_per_period", json_real(round2(ev->slope)));
    }
    if (ev->missed_ms >= 0)
        json_object_set_new(o, "missed_milestone",
                            json_pack("{s:o,s:f}", "date", dh_ind_date_json(ms[ev->missed_ms].date),
                                      "value", ms[ev->missed_ms].value));
    free(pts);
    free(ms);
    return o;
}

/* ---- Refresh. ------------------------------------------------------------ */

dh_status dh_app_targets_refresh(dh_app *app, time_t now, int *recomputed, dh_err *e)
{
    dh_date today = dh_date_of_time_vn(now);
    if (recomputed)
        *recomputed = 0;
    /* A cheap look first: nothing to do in the common case. */
    dh_conn *rc = dh_store_acquire(app->store, e);
    if (!rc)
        return e->status;
    int64_t dirty = 0, clean = 0, day = 0;
    dh_status st = DH_OPS(rc)->meta_get(rc, DH_TARGETS_DIRTY, &dirty, e);
    if (st == DH_OK)
        st = DH_OPS(rc)->meta_get(rc, "targets_clean", &clean, e);
    if (st == DH_OK)
        st = DH_OPS(rc)->meta_get(rc, "targets_day", &day, e);
    dh_store_release(rc);
    if (st)
        return st;
    if (dirty == clean && day == today + 1)
        return DH_OK;
    dh_tx tx;
    if ((st = dh_tx_begin(app, &tx, true, e)))
        return st;
    dh_indset inds;
    tgtlist l = {0};
    if ((st = dh_indset_load(tx.c, &inds, e))) {
        dh_tx_abort(&tx);
        return st;
    }
    st = DH_OPS(tx.c)->meta_get(tx.c, DH_TARGETS_DIRTY, &dirty, e);
    bool all = day != today + 1;
    if (st == DH_OK)
        st = DH_OPS(tx.c)->load_targets(tx.c, false, on_tgt, &l, e);
    for (size_t i = 0; i < l.n && st == DH_OK; i++) {
        tgt *t = &l.v[i];
        if (!all && !t->dirty)
            continue;
        const dh_ind *ind = dh_indset_by_id(&inds, t->indicator_id);
        if (t->dirty && ind) {
            dh_ind_point *pts;
            size_t n;
            st = target_series(app, tx.c, tx.reg, ind, t, &l, today, &pts, &n, e);
            if (st)
                break;
            free(t->series);
            t->series = series_text(pts, n);
            free(pts);
            st = DH_OPS(tx.c)->set_target_series(tx.c, t->id, t->series, e);
            if (recomputed)
                (*recomputed)++;
        }
        if (st == DH_OK) {
            dh_tgt_eval ev;
            json_t *o = evaluate(t, ind, today, &ev);
            char *s = json_dumps(o, JSON_COMPACT);
            st = DH_OPS(tx.c)->set_target_eval(tx.c, t->id, dh_tstatus_name(ev.status), ev.since,
                                               s, today, e);
            free(s);
            json_decref(o);
        }
    }
    if (st == DH_OK)
        st = DH_OPS(tx.c)->meta_set(tx.c, "targets_clean", dirty, e);
    if (st == DH_OK)
        st = DH_OPS(tx.c)->meta_set(tx.c, "targets_day", today + 1, e);
    if (st == DH_OK)
        st = dh_tx_commit(&tx, e);
    else
        dh_tx_abort(&tx);
    tgt_free_all(&l);
    dh_indset_free(&inds);
    return st;
}

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
static json_t *split_warnings(const tgtlist *l, const dh_indset *inds, int64_t only)
{
    json_t *w = json_array();
    for (size_t i = 0; i < l->n; i++) {
        const tgt *whole = &l->v[i];
        double sum = 0;
        int parts = 0;
        bool mine = whole->id == only || only == 0;
        dh_buf b = DH_BUF_INIT;
        for (size_t j = 0; j < l->n; j++)
            if (l->v[j].split_of == whole->id) {
                sum += l->v[j].value;
                dh_buf_printf(&b, "%s%s %g", parts ? " + " : "", l->v[j].unit, l->v[j].value);
                parts++;
                mine = mine || l->v[j].id == only;
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
        size_t n = series_parse(t->series, &pts);
        json_t *s = json_array();
        for (size_t i = 0; i < n; i++) {
            char label[32];
            dh_ind_period_label(ind ? ind->pt : DH_PT_MONTH, pts[i].p, label, sizeof label);
            json_array_append_new(s, json_pack("{s:s,s:f}", "period", label, "value",
                                               round2(pts[i].v)));
        }
        free(pts);
        json_object_set_new(o, "series", s);
    }
    return o;
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
         *key = NULL, *ms_text = NULL;
    dh_date due;
    json_t *ms = NULL, *v = json_object_get(body, "value");
    json_t *split = json_object_get(body, "split_of"), *task = json_object_get(body, "task_id");
    dh_tx tx = {0};
    dh_indset inds = {0};
    tgtlist l = {0};
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
    if ((st = dh_tx_begin(app, &tx, true, e)))
        goto done;
    int32_t u = dh_unitreg_find(tx.reg, unit);
    if (u < 0) {
        st = dh_err_set(e, DH_E_INVALID, "unknown_unit", "unit", "unknown unit '%s'", unit);
        goto done;
    }
    dh_date today = dh_date_of_time_vn(now);
    if (a->role != DH_ROLE_ADMIN &&
        (a->role != DH_ROLE_OFFICER || !dh_access_allows(tx.reg, a->role, dh_app_actor_scope(tx.reg, a),
                                                         DH_ACT_WRITE, u, today))) {
        dh_tx_abort(&tx);
        tx.c = NULL;
        st = dh_app_deny(app, a, "create", "target", indc, unit, now, e,
                         "set targets for this unit");
        goto done;
    }
    if ((st = dh_indset_load(tx.c, &inds, e)) ||
        (st = DH_OPS(tx.c)->load_targets(tx.c, false, on_tgt, &l, e)))
        goto done;
    const dh_ind *ind = dh_indset_find(&inds, indc);
    if (!ind) {
        st = dh_err_set(e, DH_E_INVALID, "unknown_indicator", "indicator",
                        "unknown indicator '%s'", indc);
        goto done;
    }
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
    char *ms_s = json_dumps(ms, JSON_COMPACT);
    dh_target_row r = {id,    ind->id,  unit,  json_number_value(v),
                       due,   ms_s,     split_id, plan ? plan : "",
                       task && json_is_integer(task) ? json_integer_value(task) : 0,
                       task_ref ? task_ref : "", name ? name : "", note ? note : "",
                       key,   "[]",     true,  "no_data",
                       "{}",  DH_DATE_NONE, DH_DATE_NONE, now, now};
    st = DH_OPS(tx.c)->put_target(tx.c, &r, &id, e);
    free(ms_s);
    if (st == DH_OK)
        st = DH_OPS(tx.c)->meta_bump(tx.c, DH_TARGETS_DIRTY, e);
    if (st)
        goto done;
    /* The list as it now stands, for the answer and the split check. */
    tgt_free_all(&l);
    if ((st = DH_OPS(tx.c)->load_targets(tx.c, false, on_tgt, &l, e)))
        goto done;
    tgt *me = NULL;
    for (size_t i = 0; i < l.n; i++)
        if (l.v[i].id == id)
            me = &l.v[i];
    *out = tgt_json(me, &inds, NULL, NULL, false);
    st = dh_app_audit(tx.c, a, old ? "update" : "create", "target", indc, unit, "ok", NULL, *out,
                      now, e);
    json_object_set_new(*out, "warnings", split_warnings(&l, &inds, id));
    if (st == DH_OK)
        st = dh_tx_commit(&tx, e);
    tx.c = NULL;
done:
    if (st && tx.c)
        dh_tx_abort(&tx);
    if (st) {
        json_decref(*out);
        *out = NULL;
    }
    tgt_free_all(&l);
    dh_indset_free(&inds);
    json_decref(ms);
    free(indc);
    free(unit);
    free(plan);
    free(task_ref);
    free(name);
    free(note);
    free(key);
    free(ms_text);
    return st;
}

/* ---- Status overview. ---------------------------------------------------- */

/* The units a listing covers: the unit (default: the actor's) and, with
 * subtree, every unit below it as the tree stood on its last day; NULL
 * for an admin without a unit. Reading another unit's targets is a 403. */
static dh_status target_scope(dh_app *app, const dh_actor *a, const char *unit, bool subtree,
                              time_t now, char **json_out, dh_err *e)
{
    *json_out = NULL;
    if (!unit && a->role == DH_ROLE_ADMIN)
        return DH_OK;
    if (!unit)
        unit = a->unit_code, subtree = true;
    const dh_unitreg *reg = dh_app_units_acquire(app, e);
    if (!reg)
        return e->status;
    dh_date today = dh_date_of_time_vn(now);
    int32_t root = dh_unitreg_find(reg, unit);
    dh_status st = DH_OK;
    if (root < 0) {
        st = dh_err_set(e, DH_E_INVALID, "unknown_unit", "unit", "unknown unit '%s'", unit);
    } else if (a->role != DH_ROLE_ADMIN &&
               !dh_access_allows(reg, a->role, dh_app_actor_scope(reg, a), DH_ACT_READ, root,
                                 today)) {
        dh_app_units_release(app, reg);
        return dh_app_deny(app, a, "read", "target", "", unit, now, e,
                           "read targets outside their unit");
    } else {
        *json_out = subtree_json(reg, root, today, subtree);
    }
    dh_app_units_release(app, reg);
    return st;
}

static int on_count(void *cl, const char *key, int64_t n)
{
    json_object_set_new(cl, key, json_integer(n));
    return 0;
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
    dh_status st = target_scope(app, a, q->unit, q->subtree || !q->unit, now, &units, e);
    if (st)
        return st;
    bool live = q->as_of == DH_DATE_NONE || q->as_of == today;
    if (live && (st = dh_app_targets_refresh(app, now, NULL, e))) {
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
    if (st == DH_OK && live) {
        dh_target_filter f = {units, ind_id, q->status, q->offset, q->limit ? q->limit + 1 : 0};
        st = DH_OPS(c)->count_targets(c, &f, on_count, counts, e);
        if (st == DH_OK)
            st = DH_OPS(c)->list_targets(c, &f, on_tgt, &l, e);
        for (size_t i = 0; i < l.n && st == DH_OK; i++) {
            if (q->limit && (int)i >= q->limit) {
                more = true;
                break;
            }
            json_t *ev = json_loads(l.v[i].eval, 0, NULL);
            json_array_append_new(items, tgt_json(&l.v[i], &inds, NULL, ev, q->detailed));
            json_decref(ev);
        }
    } else if (st == DH_OK) {
        /* Another day: every target in scope evaluated now, from its kept
         * series (refreshed first when stale). */
        dh_store_release(c);
        c = NULL;
        st = dh_app_targets_refresh(app, now, NULL, e);
        if (st == DH_OK)
            c = dh_store_acquire(app->store, e);
        if (!c && st == DH_OK)
            st = e->status;
        dh_target_filter f = {units, ind_id, NULL, 0, 0};
        if (st == DH_OK)
            st = DH_OPS(c)->list_targets(c, &f, on_tgt, &l, e);
        json_t *ranked[4] = {json_array(), json_array(), json_array(), json_array()};
        for (size_t i = 0; i < l.n && st == DH_OK; i++) {
            dh_tgt_eval ev;
            json_t *o = evaluate(&l.v[i], dh_indset_by_id(&inds, l.v[i].indicator_id), q->as_of,
                                 &ev);
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
    json_t *warnings = NULL;
    if (st == DH_OK) {
        tgt_free_all(&l);
        dh_target_filter all = {units, ind_id, NULL, 0, 0};
        st = DH_OPS(c)->list_targets(c, &all, on_tgt, &l, e);
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
    } else {
        json_decref(warnings);
    }
    json_decref(counts);
    json_decref(items);
    tgt_free_all(&l);
    dh_indset_free(&inds);
    free(units);
    return st;
}
