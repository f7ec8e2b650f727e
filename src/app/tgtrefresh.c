/* tgtrefresh.c - targets' series (the unit's own values, else the
 * aggregate of its subtree, else for computed indicators the dossier
 * KPIs), their evaluation, and the refresh: statuses for today are derived
 * when inputs change (meta "targets_dirty" moves past "targets_clean") or
 * the day changes, and kept in the targets table, so the overview is one
 * indexed query (docs/INDICATORS.md). */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "app/tgtint.h"
#include "util/buf.h"

/* ---- Owned copies of target rows. ------------------------------------ */

void dh_tgt_free_all(tgtlist *l)
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

int dh_tgt_on_row(void *cl, const dh_target_row *r)
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

/* One month [start, end] of a computed indicator counted month by month:
 * stations:on_air, the register's stations on air at the end (none until
 * the first station step, *any remembering it); full_online:procedures and
 * full_online:dossiers, the shares of fully online services
 * (fullonline.c; none when nothing to divide by). */
static dh_status month_value(dh_app *app, const dh_actor *sys, const dh_ind *ind,
                             const char *unit, dh_date start, dh_date end, dh_date today,
                             bool *any, double *v, bool *has, dh_err *e)
{
    json_t *o = NULL;
    time_t now = (time_t)today * 86400;
    if (!strcmp(ind->formula, "stations:on_air")) {
        dh_status st = dh_app_station_count(app, sys, NULL, unit, end, false, now, &o, e);
        if (st)
            return st;
        json_int_t on = json_integer_value(json_object_get(o, "on_air"));
        *any = *any || on > 0 || json_integer_value(json_object_get(o, "planned")) > 0 ||
               json_integer_value(json_object_get(o, "permitted")) > 0 ||
               json_integer_value(json_object_get(o, "installed")) > 0;
        *has = *any;
        *v = (double)on;
    } else {
        dh_status st = dh_app_full_online(app, sys, unit, start, end, now, &o, e);
        if (st)
            return st;
        json_t *r = json_object_get(o, !strcmp(ind->formula, "full_online:procedures")
                                           ? "full_online_procedure_rate"
                                           : "full_online_dossier_rate");
        *has = json_is_number(r);
        *v = json_number_value(r);
    }
    json_decref(o);
    return DH_OK;
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
    if (!strcmp(ind->formula, "stations:on_air") || !strncmp(ind->formula, "full_online:", 12)) {
        /* Month by month: the stations on air at the end of each month
         * (the register, issue 19; months before the first station step
         * give no point), or the fully online shares of the month. */
        int fy, fm, fd;
        dh_date_to_ymd(from, &fy, &fm, &fd);
        bool any = false;
        for (int yy = fy, mm = fm;; mm == 12 ? (yy++, mm = 1) : mm++) {
            dh_date start = dh_date_from_ymd(yy, mm, 1);
            dh_date end = (mm == 12 ? dh_date_from_ymd(yy + 1, 1, 1)
                                    : dh_date_from_ymd(yy, mm + 1, 1)) - 1;
            if (end > to)
                end = to;
            if (start > to)
                break;
            double v = 0;
            bool has = false;
            dh_status cs = month_value(app, &sys, ind, unit, start, end, today, &any, &v, &has, e);
            if (cs)
                return cs == DH_E_INVALID ? DH_OK : cs;
            char key[16];
            dh_period p;
            snprintf(key, sizeof key, "%04d-%02d", yy, mm);
            if (!has || dh_ind_period_parse(DH_PT_MONTH, key, &p, NULL))
                continue;
            if (g->n == g->cap) {
                g->cap = g->cap ? 2 * g->cap : 64;
                g->pts = dh_xrealloc(g->pts, g->cap * sizeof *g->pts);
            }
            g->pts[g->n++] = (dh_ind_point){p, v};
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

/* Puts the computed points k into g (both by period): a computed point
 * replaces a typed one of the same period (issue 19: where a figure can be
 * computed it is, and a typed value only fills the periods the dossiers
 * do not cover). */
static void merge_computed(struct agg_ctx *g, const struct agg_ctx *k)
{
    dh_ind_point *out = dh_xmalloc((g->n + k->n) * sizeof *out);
    size_t n = 0, i = 0, j = 0;
    while (i < g->n || j < k->n) {
        if (j == k->n || (i < g->n && g->pts[i].p.from < k->pts[j].p.from)) {
            out[n++] = g->pts[i++];
        } else {
            if (i < g->n && g->pts[i].p.from == k->pts[j].p.from)
                i++; /* the typed value of a computed period */
            out[n++] = k->pts[j++];
        }
    }
    free(g->pts);
    g->pts = out;
    g->n = g->cap = n;
}

/* The target's series: its unit's own values, else its subtree's
 * aggregate; for computed indicators the KPIs in every period they cover,
 * those values only where they do not. The values from the store, or from
 * `mem` (the indicator's values) when given. */
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
    if (st == DH_OK && !strcmp(ind->source, "computed")) {
        struct agg_ctx k = {ind, NULL, 0, 0, 0, 0, {0}, false};
        st = computed_series(app, ind, t->unit, t->due, today, &k, e);
        if (st == DH_OK && k.n)
            merge_computed(&g, &k);
        free(k.pts);
    }
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
size_t dh_tgt_series_parse(const char *s, dh_ind_point **out)
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

/* Evaluates a target on as_of: *ev filled; the eval JSON (new). */
json_t *dh_tgt_evaluate(const tgt *t, const dh_ind *ind, dh_date as_of, dh_tgt_eval *ev)
{
    dh_ind_point *pts;
    dh_milestone *ms;
    size_t n = dh_tgt_series_parse(t->series, &pts);
    size_t nms = milestones_parse(t->milestones, &ms);
    dh_tgt tg = {t->value, t->due, ind ? ind->lower : false, ms, nms};
    dh_target_eval(&tg, ind ? ind->pt : DH_PT_MONTH, pts, n, as_of, ev);
    json_t *o = json_object();
    json_object_set_new(o, "status_label", json_string(dh_tstatus_label_vi(ev->status)));
    if (ev->has_actual) {
        char label[32];
        dh_ind_period_label(ind ? ind->pt : DH_PT_MONTH, ev->actual_p, label, sizeof label);
        json_object_set_new(o, "actual", json_real(dh_tgt_round2(ev->actual)));
        json_object_set_new(o, "actual_period", json_string(label));
        json_object_set_new(o, "gap", json_real(dh_tgt_round2(ev->gap)));
        json_object_set_new(o, "met", json_boolean(ev->met));
    }
    if (ev->has_projection) {
        json_object_set_new(o, "projection", json_real(dh_tgt_round2(ev->projection)));
        json_object_set_new(o, "method", json_string(ev->method));
        json_object_set_new(o, "fit_points", json_integer(ev->fit_points));
        json_object_set_new(o, "slope_per_period", json_real(dh_tgt_round2(ev->slope)));
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
    bool kpis; /* the dossier aggregates moved: computed series again */
    dh_date today;
    size_t bulk_from;
    int recomputed; /* this run's */
} refresh_ind_cl;

/* One indicator's targets, in one write transaction: the targets are read
 * again inside it (a target saved since the caller looked is seen as it
 * now is), and each dirty one's series is derived from the values as they
 * now are and saved, which clears its marks; every target is evaluated
 * when `all` (the day changed). The series of a computed indicator's
 * targets follow the dossiers and the day: derived again on a new day and
 * when the dossier aggregates moved (`kpis`).
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
    dh_status st = DH_TARGETS(tx->c)->load_targets_of(tx->c, ind_id, NULL, dh_tgt_on_row, &l, e);
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
        bool again = ind && !strcmp(ind->source, "computed") && (cl->all || cl->kpis);
        if (!cl->all && !t->dirty && !again)
            continue;
        if ((t->dirty || again) && ind) {
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
            json_t *o = dh_tgt_evaluate(t, ind, today, &ev);
            char *s = json_dumps(o, JSON_COMPACT);
            st = DH_TARGETS(tx->c)->set_target_eval(tx->c, t->id, dh_tstatus_name(ev.status),
                                                    ev.since, s, today, e);
            free(s);
            json_decref(o);
        }
    }
    free(parts.v);
    vrows_free(&mem);
    dh_tgt_free_all(&l);
    return st;
}

static dh_status refresh_indicator(dh_app *app, const dh_unitreg *reg, const dh_indset *inds,
                                   int64_t ind_id, bool all, bool kpis, dh_date today,
                                   size_t bulk_from, int *recomputed, dh_err *e)
{
    refresh_ind_cl cl = {app, reg, inds, ind_id, all, kpis, today, bulk_from, 0};
    dh_status st = dh_tx_run(app, DH_TX_WRITE, refresh_ind_tx, &cl, e);
    if (st == DH_OK && recomputed)
        *recomputed += cl.recomputed;
    return st;
}

typedef struct refresh_done_cl {
    int64_t dirty, agg;
    bool all;
    dh_date today;
} refresh_done_cl;

/* Concurrency: writes targets_clean = the targets_dirty read before the
 * refresh began (not the current one), so a mark made during the refresh
 * leaves targets_dirty ahead of targets_clean and the next refresh runs;
 * targets_rev moves for the readers' overview. Reads nothing to decide:
 * two refreshes (two processes) finishing at once each write the value
 * they started from, and whichever commits last stands; a lower one only
 * makes the next refresh look again. The same for targets_agg, the
 * dossier aggregates' revision (agg_rev) the computed series were derived
 * from. */
static dh_status refresh_done_tx(dh_tx *tx, void *closure, dh_err *e)
{
    const refresh_done_cl *cl = closure;
    dh_status st = DH_META(tx->c)->meta_set(tx->c, "targets_clean", cl->dirty, e);
    if (st == DH_OK)
        st = DH_META(tx->c)->meta_set(tx->c, "targets_agg", cl->agg, e);
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

/* REFRESH_BUDGET_MS, or DIEUHANH_REFRESH_BUDGET_MS when set (0: one
 * indicator at most, as the tests use it). */
int dh_tgt_budget_ms(void)
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

/* The refresh's marks: targets_dirty against targets_clean (inputs
 * changed), targets_day (the day evaluated, plus one), agg_rev against
 * targets_agg (dossiers changed the computed series). */
static dh_status read_marks(dh_conn *c, int64_t *dirty, int64_t *clean, int64_t *day,
                            int64_t *agg, int64_t *tagg, dh_err *e)
{
    dh_status st = DH_META(c)->meta_get(c, DH_TARGETS_DIRTY, dirty, e);
    if (st == DH_OK)
        st = DH_META(c)->meta_get(c, "targets_clean", clean, e);
    if (st == DH_OK)
        st = DH_META(c)->meta_get(c, "targets_day", day, e);
    if (st == DH_OK)
        st = DH_META(c)->meta_get(c, "agg_rev", agg, e);
    if (st == DH_OK)
        st = DH_META(c)->meta_get(c, "targets_agg", tagg, e);
    return st;
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
dh_status dh_tgt_refresh(dh_app *app, time_t now, int wait_ms, int budget_ms, int *recomputed,
                         bool *busy, dh_err *e)
{
    double t0 = mono_s();
    dh_date today = dh_date_of_time_vn(now);
    if (recomputed)
        *recomputed = 0;
    if (busy)
        *busy = false;
    /* A cheap look first: nothing to do in the common case. */
    int64_t dirty = 0, clean = 0, day = 0, agg = 0, tagg = 0;
    dh_conn *rc = dh_store_acquire(app->store, e);
    if (!rc)
        return e->status;
    dh_status st = read_marks(rc, &dirty, &clean, &day, &agg, &tagg, e);
    dh_store_release(rc);
    if (st || (dirty == clean && day == today + 1 && agg == tagg))
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
    bool all = false, kpis = false;
    if ((rc = dh_store_acquire(app->store, e)) == NULL) {
        st = e->status;
    } else {
        st = DH_OPS(rc)->begin(rc, false, e);
        if (st == DH_OK)
            st = read_marks(rc, &dirty, &clean, &day, &agg, &tagg, e);
        all = day != today + 1;
        kpis = agg != tagg;
        if (st == DH_OK)
            st = dh_indset_load(rc, &inds, e);
        if (st == DH_OK)
            st = dh_app_load_units(rc, &reg, e);
        if (st == DH_OK && all) /* every indicator's targets are evaluated */
            for (size_t i = 0; i < inds.n; i++)
                on_id(&ids, inds.v[i].id);
        else if (st == DH_OK && dirty != clean)
            st = DH_TARGETS(rc)->dirty_target_indicators(rc, on_id, &ids, e);
        if (st == DH_OK && !all && kpis) /* computed series again */
            for (size_t i = 0; i < inds.n; i++)
                if (!strcmp(inds.v[i].source, "computed"))
                    on_id(&ids, inds.v[i].id);
        DH_OPS(rc)->rollback(rc);
        dh_store_release(rc);
    }
    if (st == DH_OK && (all || kpis || dirty != clean)) {
        if (ids.n)
            qsort(ids.v, ids.n, sizeof *ids.v, cmp_i64_plain);
        size_t bulk_from = bulk_targets();
        bool stopped = false;
        for (size_t i = 0; i < ids.n && st == DH_OK && !stopped; i++) {
            if (i == 0 || ids.v[i] != ids.v[i - 1])
                st = refresh_indicator(app, reg, &inds, ids.v[i], all, kpis, today, bulk_from,
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
            refresh_done_cl done = {dirty, agg, all, today};
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
    return dh_tgt_refresh(app, now, -1, -1, recomputed, NULL, e);
}
