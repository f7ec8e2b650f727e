/* targets.c - targets per indicator and unit, their series (the unit's own
 * values, else the aggregate of its subtree, else for computed indicators
 * the dossier KPIs), split checks, and the status overview. Statuses for
 * today are derived when inputs change (meta "targets_dirty" moves past
 * "targets_clean") or the day changes, and kept in the targets table, so
 * the overview is one indexed query (docs/INDICATORS.md). */
#include <math.h>
#include <pthread.h>
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
    size_t n, cap;
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
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 64;
        l->v = dh_xrealloc(l->v, l->cap * sizeof *l->v);
    }
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
    if (!strcmp(ind->formula, "stations:on_air")) {
        /* The stations on air at the end of each month (the register,
         * issue 19); months before the first station step give no point. */
        int fy, fm, fd;
        dh_date_to_ymd(from, &fy, &fm, &fd);
        bool any = false;
        for (int yy = fy, mm = fm;; mm == 12 ? (yy++, mm = 1) : mm++) {
            dh_date end = (mm == 12 ? dh_date_from_ymd(yy + 1, 1, 1)
                                    : dh_date_from_ymd(yy, mm + 1, 1)) - 1;
            if (end > to)
                end = to;
            if (dh_date_from_ymd(yy, mm, 1) > to)
                break;
            json_t *cnt = NULL;
            dh_status cs = dh_app_station_count(app, &sys, NULL, unit, end, false,
                                                (time_t)today * 86400, &cnt, e);
            if (cs)
                return cs == DH_E_INVALID ? DH_OK : cs;
            json_int_t on = json_integer_value(json_object_get(cnt, "on_air"));
            any = any || on > 0 || json_integer_value(json_object_get(cnt, "planned")) > 0 ||
                  json_integer_value(json_object_get(cnt, "permitted")) > 0 ||
                  json_integer_value(json_object_get(cnt, "installed")) > 0;
            json_decref(cnt);
            char key[16];
            dh_period p;
            snprintf(key, sizeof key, "%04d-%02d", yy, mm);
            if (!any || dh_ind_period_parse(DH_PT_MONTH, key, &p, NULL))
                continue;
            if (g->n == g->cap) {
                g->cap = g->cap ? 2 * g->cap : 64;
                g->pts = dh_xrealloc(g->pts, g->cap * sizeof *g->pts);
            }
            g->pts[g->n++] = (dh_ind_point){p, (double)on};
        }
        return DH_OK;
    }
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

/* The parts of split targets, by the id they split. */
typedef struct tpart {
    int64_t whole;
    const char *unit;
} tpart;

typedef struct partidx {
    tpart *v;
    size_t n;
} partidx;

static int cmp_part(const void *a, const void *b)
{
    int64_t x = ((const tpart *)a)->whole, y = ((const tpart *)b)->whole;
    return (x > y) - (x < y);
}

static void partidx_build(partidx *p, const tgtlist *l)
{
    p->n = 0;
    p->v = dh_xmalloc((l->n + 1) * sizeof *p->v);
    for (size_t i = 0; i < l->n; i++)
        if (l->v[i].split_of)
            p->v[p->n++] = (tpart){l->v[i].split_of, l->v[i].unit};
    qsort(p->v, p->n, sizeof *p->v, cmp_part);
}

/* Every value of one indicator in memory, by period then unit (the order
 * list_ivalues gives by_period), each with its unit's index in the
 * registry: deriving many targets of the indicator then reads the values
 * once instead of seeking each target's units in every period. */
typedef struct vrows {
    dh_ivalue_row *v;
    int32_t *u; /* registry index, -1: not in the registry */
    size_t n, cap;
    const dh_unitreg *reg;
    /* by unit (vrows_index): unit k's rows, in period order, are
     * rows[first[k] .. first[k + 1]) */
    size_t *first, *rows;
} vrows;

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

static void vrows_index(vrows *m)
{
    size_t nu = m->reg->n;
    m->first = dh_xcalloc(nu + 2, sizeof *m->first);
    m->rows = dh_xmalloc((m->n + 1) * sizeof *m->rows);
    for (size_t i = 0; i < m->n; i++)
        if (m->u[i] >= 0)
            m->first[m->u[i] + 1]++;
    for (size_t k = 0; k < nu; k++)
        m->first[k + 1] += m->first[k];
    size_t *fill = dh_xmalloc((nu + 1) * sizeof *fill);
    memcpy(fill, m->first, (nu + 1) * sizeof *fill);
    for (size_t i = 0; i < m->n; i++)
        if (m->u[i] >= 0)
            m->rows[fill[m->u[i]]++] = i;
    free(fill);
}

static int on_vrow(void *cl, const dh_ivalue_row *r)
{
    vrows *m = cl;
    if (m->n == m->cap) {
        m->cap = m->cap ? 2 * m->cap : 1024;
        m->v = dh_xrealloc(m->v, m->cap * sizeof *m->v);
        m->u = dh_xrealloc(m->u, m->cap * sizeof *m->u);
    }
    dh_ivalue_row *x = &m->v[m->n];
    *x = *r;
    /* only what aggregation reads is kept */
    x->unit = NULL;
    x->source = x->ext_id = x->entered_by = NULL;
    m->u[m->n++] = dh_unitreg_find(m->reg, r->unit);
    return 0;
}

static void vrows_free(vrows *m)
{
    free(m->v);
    free(m->u);
    free(m->first);
    free(m->rows);
    memset(m, 0, sizeof *m);
}

/* Feeds the values of the units (a JSON array of codes) to g, by period
 * then unit: from the store, or from `mem` when given. */
static dh_status feed_units(dh_conn *c, const vrows *mem, const dh_ind *ind, const char *units,
                            struct agg_ctx *g, dh_err *e)
{
    if (!mem) {
        dh_ivalue_filter f = {ind->id, units, DH_DATE_NONE, DH_DATE_NONE, true, 0, 0};
        return DH_INDICATORS(c)->list_ivalues(c, &f, on_agg_value, g, e);
    }
    /* the rows of the units, in the order of the loaded rows (by period
     * then unit): each unit's rows are already in that order, so one unit
     * is a walk and several a sort of their row numbers */
    json_t *a = json_loads(units, 0, NULL), *x;
    size_t i, nrows = 0, nu = 0;
    int32_t *us = dh_xmalloc((json_array_size(a) + 1) * sizeof *us);
    json_array_foreach(a, i, x)
    {
        int32_t u = dh_unitreg_find(mem->reg, json_string_value(x));
        if (u >= 0)
            us[nu++] = u;
    }
    json_decref(a);
    if (nu > 1)
        qsort(us, nu, sizeof *us, cmp_i32);
    size_t w = 0;
    for (size_t k = 0; k < nu; k++)
        if (k == 0 || us[k] != us[k - 1]) {
            us[w++] = us[k];
            nrows += mem->first[us[k] + 1] - mem->first[us[k]];
        }
    nu = w;
    if (nu == 1) {
        for (size_t k = mem->first[us[0]]; k < mem->first[us[0] + 1]; k++)
            on_agg_value(g, &mem->v[mem->rows[k]]);
    } else if (nu > 1) {
        size_t *sel = dh_xmalloc((nrows + 1) * sizeof *sel), m = 0;
        for (size_t j = 0; j < nu; j++)
            for (size_t k = mem->first[us[j]]; k < mem->first[us[j] + 1]; k++)
                sel[m++] = mem->rows[k];
        qsort(sel, m, sizeof *sel, cmp_size);
        for (size_t k = 0; k < m; k++)
            on_agg_value(g, &mem->v[sel[k]]);
        free(sel);
    }
    free(us);
    return DH_OK;
}

/* The target's series: its unit's own values, else its subtree's
 * aggregate, else (computed indicators) the KPIs. The values from the
 * store, or from `mem` (the indicator's values) when given. */
static dh_status target_series(dh_app *app, dh_conn *c, const dh_unitreg *reg, const dh_ind *ind,
                               const tgt *t, const partidx *pi, const vrows *mem, dh_date today,
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
    size_t lo = 0, hi = pi->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (pi->v[mid].whole < t->id)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (; lo < pi->n && pi->v[lo].whole == t->id; lo++)
        json_array_append_new(parts, json_string(pi->v[lo].unit));
    dh_status st = DH_OK;
    for (int pass = 0; pass < 2 && st == DH_OK && g.n == 0; pass++) {
        char *units = pass == 1 && json_array_size(parts)
                          ? json_dumps(parts, JSON_COMPACT)
                          : subtree_json(reg, u, today, pass == 1);
        st = feed_units(c, mem, ind, units, &g, e);
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

/* Appends an integer (the refresh writes 200,000 series: printf is most
 * of that). */
static void put_int(dh_buf *b, long long v)
{
    char d[24], *q = d + sizeof d;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do
        *--q = (char)('0' + u % 10);
    while ((u /= 10) != 0);
    if (v < 0)
        *--q = '-';
    dh_buf_append(b, q, (size_t)(d + sizeof d - q));
}

/* [[from,to,value],...]: the value as "%.10g" would write it (a whole
 * number below 1e10 written as digits is that). */
static char *series_text(const dh_ind_point *p, size_t n)
{
    dh_buf b = DH_BUF_INIT;
    dh_buf_putc(&b, '[');
    for (size_t i = 0; i < n; i++) {
        dh_buf_puts(&b, i ? ",[" : "[");
        put_int(&b, p[i].p.from);
        dh_buf_putc(&b, ',');
        put_int(&b, p[i].p.to);
        dh_buf_putc(&b, ',');
        double v = p[i].v;
        if (fabs(v) < 1e10 && v == (double)(long long)v && !(v == 0 && signbit(v)))
            put_int(&b, (long long)v);
        else
            dh_buf_printf(&b, "%.10g", v);
        dh_buf_putc(&b, ']');
    }
    dh_buf_putc(&b, ']');
    return dh_buf_steal(&b);
}

static size_t series_parse_json(const char *s, dh_ind_point **out)
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

/* The text series_text writes, read by hand (jansson for anything else). */
static size_t series_parse(const char *s, dh_ind_point **out)
{
    size_t n = 0, cap = 64;
    dh_ind_point *p = dh_xmalloc(cap * sizeof *p);
    const char *c = s;
    bool ok = c && *c++ == '[';
    while (ok && *c != ']') {
        char *end;
        if ((n && *c++ != ',') || *c++ != '[') {
            ok = false;
            break;
        }
        long from = strtol(c, &end, 10);
        ok = end != c && *end == ',';
        c = end + 1;
        long to = ok ? strtol(c, &end, 10) : 0;
        ok = ok && end != c && *end == ',';
        c = end + 1;
        double v = ok ? strtod(c, &end) : 0;
        ok = ok && end != c && *end == ']';
        c = end + 1;
        if (!ok)
            break;
        if (n == cap) {
            cap *= 2;
            p = dh_xrealloc(p, cap * sizeof *p);
        }
        p[n++] = (dh_ind_point){{(dh_date)from, (dh_date)to}, v};
    }
    if (!ok || c[1] != '\0') {
        free(p);
        return series_parse_json(s, out);
    }
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

/* From this many dirty targets of an indicator on, its values are read
 * once for all of them (DIEUHANH_TARGETS_BULK, default 8; read once per
 * refresh). */
static size_t bulk_targets(void)
{
    const char *v = getenv("DIEUHANH_TARGETS_BULK");
    return v && atol(v) > 0 ? (size_t)atol(v) : 8;
}

typedef struct refresh_ind_cl {
    dh_app *app;
    const dh_unitreg *reg;
    const dh_indset *inds;
    int64_t ind_id;
    bool all;
    dh_date today;
    size_t bulk_from;
    int recomputed; /* this run's */
} refresh_ind_cl;

/* One indicator's targets, in one write transaction: the targets are read
 * again inside it (a target saved since the caller looked is seen as it
 * now is), and each dirty one's series is derived from the values as they
 * now are and saved, which clears its marks; every target is evaluated
 * when `all` (the day changed).
 *
 * Concurrency: reads the indicator's targets (with their dirty flags and
 * split parts) and its values (indicator_values, for the target units)
 * inside the write transaction, and writes the series, which clears the
 * targets' marks (target_marks), and the evaluations in the same one. A
 * value pushed or a target saved meanwhile either commits first and is
 * read here, or commits after and marks its targets dirty again (and moves
 * targets_dirty), so the next refresh takes it: no derived series is ever
 * older than the marks say. The write lock (SQLite) or a serializable
 * retry (PostgreSQL, where clearing a mark a concurrent push has just
 * written is a conflict) keeps the read and the clearing together. Not
 * part of the transaction, and so no conflict: the unit tree, read once by
 * the caller for the whole refresh (a reorganisation committed meanwhile
 * shows when the targets are next derived), and the computed series,
 * taken from the aggregates as readers see them. */
static dh_status refresh_ind_tx(dh_tx *tx, void *closure, dh_err *e)
{
    refresh_ind_cl *cl = closure;
    const dh_unitreg *reg = cl->reg;
    int64_t ind_id = cl->ind_id;
    dh_date today = cl->today;
    cl->recomputed = 0;
    tgtlist l = {0};
    dh_status st = DH_TARGETS(tx->c)->load_targets_of(tx->c, ind_id, NULL, on_tgt, &l, e);
    partidx parts = {NULL, 0};
    partidx_build(&parts, &l);
    const dh_ind *ind = dh_indset_by_id(cl->inds, ind_id);
    /* Many dirty targets (a month's push): the indicator's values read
     * once; a few: each target's units sought (tests/unit/test_ivalues.c
     * checks that both give the same series). */
    size_t ndirty = 0;
    for (size_t i = 0; i < l.n; i++)
        ndirty += l.v[i].dirty;
    vrows mem = {.reg = reg};
    bool bulk = ind && ndirty >= cl->bulk_from;
    if (st == DH_OK && bulk) {
        dh_ivalue_filter f = {ind_id, NULL, DH_DATE_NONE, DH_DATE_NONE, true, 0, 0};
        st = DH_INDICATORS(tx->c)->list_ivalues(tx->c, &f, on_vrow, &mem, e);
        vrows_index(&mem);
    }
    for (size_t i = 0; i < l.n && st == DH_OK; i++) {
        tgt *t = &l.v[i];
        if (!cl->all && !t->dirty)
            continue;
        if (t->dirty && ind) {
            dh_ind_point *pts;
            size_t n;
            st = target_series(cl->app, tx->c, reg, ind, t, &parts, bulk ? &mem : NULL, today,
                               &pts, &n, e);
            if (st)
                break;
            free(t->series);
            t->series = series_text(pts, n);
            free(pts);
            st = DH_TARGETS(tx->c)->set_target_series(tx->c, t->id, t->series, e);
            cl->recomputed++;
        }
        if (st == DH_OK) {
            dh_tgt_eval ev;
            json_t *o = evaluate(t, ind, today, &ev);
            char *s = json_dumps(o, JSON_COMPACT);
            st = DH_TARGETS(tx->c)->set_target_eval(tx->c, t->id, dh_tstatus_name(ev.status),
                                                    ev.since, s, today, e);
            free(s);
            json_decref(o);
        }
    }
    free(parts.v);
    vrows_free(&mem);
    tgt_free_all(&l);
    return st;
}

static dh_status refresh_indicator(dh_app *app, const dh_unitreg *reg, const dh_indset *inds,
                                   int64_t ind_id, bool all, dh_date today, size_t bulk_from,
                                   int *recomputed, dh_err *e)
{
    refresh_ind_cl cl = {app, reg, inds, ind_id, all, today, bulk_from, 0};
    dh_status st = dh_tx_run(app, DH_TX_WRITE, refresh_ind_tx, &cl, e);
    if (st == DH_OK && recomputed)
        *recomputed += cl.recomputed;
    return st;
}

typedef struct refresh_done_cl {
    int64_t dirty;
    bool all;
    dh_date today;
} refresh_done_cl;

/* Concurrency: writes targets_clean = the targets_dirty read before the
 * refresh began (not the current one), so a mark made during the refresh
 * leaves targets_dirty ahead of targets_clean and the next refresh runs;
 * targets_rev moves for the readers' overview. Reads nothing to decide:
 * two refreshes (two processes) finishing at once each write the value
 * they started from, and whichever commits last stands; a lower one only
 * makes the next refresh look again. */
static dh_status refresh_done_tx(dh_tx *tx, void *closure, dh_err *e)
{
    const refresh_done_cl *cl = closure;
    dh_status st = DH_META(tx->c)->meta_set(tx->c, "targets_clean", cl->dirty, e);
    if (st == DH_OK)
        st = DH_META(tx->c)->meta_bump(tx->c, DH_TARGETS_REV, e);
    if (st == DH_OK && cl->all)
        st = DH_META(tx->c)->meta_set(tx->c, "targets_day", cl->today + 1, e);
    return st;
}

static int cmp_i64_plain(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

typedef struct idlist {
    int64_t *v;
    size_t n, cap;
} idlist;

static int on_id(void *cl, int64_t id)
{
    idlist *ids = cl;
    if (ids->n == ids->cap) {
        ids->cap = ids->cap ? 2 * ids->cap : 64;
        ids->v = dh_xrealloc(ids->v, ids->cap * sizeof *ids->v);
    }
    ids->v[ids->n++] = id;
    return 0;
}

/* Serialises the refreshes of one process (the server's background one and
 * a request's); another process's is serialised per indicator by SQLite. */
static pthread_mutex_t refresh_lock = PTHREAD_MUTEX_INITIALIZER;

/* How long a request waits for another thread's refresh, and how long it
 * derives itself before answering with what stands ("refreshing"). */
enum { REFRESH_WAIT_MS = 300, REFRESH_BUDGET_MS = 1000 };

/* REFRESH_BUDGET_MS, or DIEUHANH_REFRESH_BUDGET_MS when set (0: one
 * indicator at most, as the tests use it). */
static int request_budget_ms(void)
{
    const char *v = getenv("DIEUHANH_REFRESH_BUDGET_MS");
    return v && *v && atoi(v) >= 0 ? atoi(v) : REFRESH_BUDGET_MS;
}

/* Takes the lock, waiting at most wait_ms (< 0: as long as it takes). */
static bool refresh_lock_take(int wait_ms)
{
    if (wait_ms < 0)
        return pthread_mutex_lock(&refresh_lock) == 0;
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += wait_ms / 1000;
    until.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    return pthread_mutex_timedlock(&refresh_lock, &until) == 0;
}

/* Monotonic seconds. */
static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The refresh. With wait_ms >= 0 (a request): *busy when another thread of
 * this process was refreshing for longer than wait_ms (nothing done then)
 * or when the work outlasted budget_ms (what was done is kept, the rest
 * left to the server's job and the next request). */
static dh_status refresh(dh_app *app, time_t now, int wait_ms, int budget_ms, int *recomputed,
                         bool *busy, dh_err *e)
{
    double t0 = mono_s();
    dh_date today = dh_date_of_time_vn(now);
    if (recomputed)
        *recomputed = 0;
    if (busy)
        *busy = false;
    /* A cheap look first: nothing to do in the common case. */
    int64_t dirty = 0, clean = 0, day = 0;
    dh_conn *rc = dh_store_acquire(app->store, e);
    if (!rc)
        return e->status;
    dh_status st = DH_META(rc)->meta_get(rc, DH_TARGETS_DIRTY, &dirty, e);
    if (st == DH_OK)
        st = DH_META(rc)->meta_get(rc, "targets_clean", &clean, e);
    if (st == DH_OK)
        st = DH_META(rc)->meta_get(rc, "targets_day", &day, e);
    dh_store_release(rc);
    if (st || (dirty == clean && day == today + 1))
        return st;
    if (!refresh_lock_take(wait_ms)) {
        if (busy)
            *busy = true;
        return DH_OK;
    }
    /* Then, under the lock, what is dirty as of revision `dirty`: one
     * write transaction per indicator, so that pushes and edits wait for
     * one indicator's targets at most, never for the whole refresh.
     * Whatever changes meanwhile moves targets_dirty past the revision
     * recorded as clean below, and its marks stay: the next refresh takes
     * it. The unit tree is read once, with that revision. */
    idlist ids = {NULL, 0, 0};
    dh_indset inds = {0};
    dh_unitreg *reg = NULL;
    bool all = false;
    if ((rc = dh_store_acquire(app->store, e)) == NULL) {
        st = e->status;
    } else {
        st = DH_OPS(rc)->begin(rc, false, e);
        if (st == DH_OK)
            st = DH_META(rc)->meta_get(rc, DH_TARGETS_DIRTY, &dirty, e);
        if (st == DH_OK)
            st = DH_META(rc)->meta_get(rc, "targets_clean", &clean, e);
        if (st == DH_OK)
            st = DH_META(rc)->meta_get(rc, "targets_day", &day, e);
        all = day != today + 1;
        if (st == DH_OK)
            st = dh_indset_load(rc, &inds, e);
        if (st == DH_OK)
            st = dh_app_load_units(rc, &reg, e);
        if (st == DH_OK && all) /* every indicator's targets are evaluated */
            for (size_t i = 0; i < inds.n; i++)
                on_id(&ids, inds.v[i].id);
        else if (st == DH_OK && dirty != clean)
            st = DH_TARGETS(rc)->dirty_target_indicators(rc, on_id, &ids, e);
        DH_OPS(rc)->rollback(rc);
        dh_store_release(rc);
    }
    if (st == DH_OK && (all || dirty != clean)) {
        if (ids.n)
            qsort(ids.v, ids.n, sizeof *ids.v, cmp_i64_plain);
        size_t bulk_from = bulk_targets();
        bool stopped = false;
        for (size_t i = 0; i < ids.n && st == DH_OK && !stopped; i++) {
            if (i == 0 || ids.v[i] != ids.v[i - 1])
                st = refresh_indicator(app, reg, &inds, ids.v[i], all, today, bulk_from,
                                       recomputed, e);
            /* the server is stopping, or a request's time is up: what is
             * done is kept, the rest stays dirty for the next refresh */
            stopped = atomic_load(&app->stopping);
            if (budget_ms >= 0 && i + 1 < ids.n && (mono_s() - t0) * 1e3 > budget_ms) {
                stopped = true;
                if (busy)
                    *busy = true;
            }
        }
        if (st == DH_OK && !stopped) {
            refresh_done_cl done = {dirty, all, today};
            st = dh_tx_run(app, DH_TX_WRITE, refresh_done_tx, &done, e);
        }
    }
    pthread_mutex_unlock(&refresh_lock);
    free(ids.v);
    dh_unitreg_free(reg);
    dh_indset_free(&inds);
    return st;
}

dh_status dh_app_targets_refresh(dh_app *app, time_t now, int *recomputed, dh_err *e)
{
    return refresh(app, now, -1, -1, recomputed, NULL, e);
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
    if ((st = DH_TARGETS(tx->c)->load_targets_of(tx->c, ind->id, key, on_tgt, &l, e)))
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
    tgt_free_all(&l);
    if ((st = DH_TARGETS(tx->c)->load_targets_of(tx->c, ind->id, NULL, on_tgt, &l, e)))
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
    tgt_free_all(&l);
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
    tgt_free_all(&splits);
    dh_status st = DH_OK;
    if (json_array_size(ids)) {
        char *s = json_dumps(ids, JSON_COMPACT);
        tgtlist l = {0};
        st = DH_TARGETS(c)->get_targets(c, s, on_tgt, &l, e);
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
        tgt_free_all(&l);
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
    if (live && (st = refresh(app, now, REFRESH_WAIT_MS, request_budget_ms(), NULL, &busy, e))) {
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
        st = refresh(app, now, REFRESH_WAIT_MS, request_budget_ms(), NULL, &busy, e);
        if (st == DH_OK)
            c = dh_store_acquire(app->store, e);
        if (!c && st == DH_OK)
            st = e->status;
        dh_target_filter f = {units, ind_id, NULL, 0, 0};
        if (st == DH_OK)
            st = DH_TARGETS(c)->list_targets(c, &f, on_tgt, &l, e);
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
    if (st == DH_OK && !live) {
        tgt_free_all(&l);
        dh_target_filter all = {units, ind_id, NULL, 0, 0};
        st = DH_TARGETS(c)->list_targets(c, &all, on_tgt, &l, e);
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
    tgt_free_all(&l);
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
