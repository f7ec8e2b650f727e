/* index766.c - the Decision 766/QĐ-TTg service index of a unit (with its
 * subtree) and period (domain.md §4, docs/KPIS.md): each indicator's
 * numerator and denominator from the aggregates and the procedure
 * catalogue, or a value entered by hand, scored by the configuration
 * version in force at the end of the period; group scores, the total, and
 * the ranking of sibling units with a minimum volume. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "app/internal.h"
#include "core/fullonline.h"
#include "core/index766.h"
#include "store/feedback.h"
#include "util/buf.h"
#include "util/csv.h"
#include "util/text.h"

static const char *const formulas[] = {"on_time",      "online_share", "paid_online",
                                       "satisfaction", "digitised",    "procedures_online",
                                       "online_services_used",         "payment_used",
                                       "manual",       NULL};

static bool known_formula(const char *f)
{
    for (int i = 0; formulas[i]; i++)
        if (!strcmp(formulas[i], f))
            return true;
    return false;
}

/* ---- The configuration in force. ------------------------------------------ */

typedef struct ind {
    char *version, *group_code, *group_name, *code, *name, *formula;
    dh_date valid_from;
    double max_points, threshold;
} ind;

typedef struct config {
    ind *v;
    size_t n;
} config;

static int on_config(void *cl, const dh_i766_row *r)
{
    config *c = cl;
    c->v = dh_xrealloc(c->v, (c->n + 1) * sizeof *c->v);
    c->v[c->n++] = (ind){dh_xstrdup(r->version), dh_xstrdup(r->group_code),
                         dh_xstrdup(r->group_name), dh_xstrdup(r->code), dh_xstrdup(r->name),
                         dh_xstrdup(r->formula), r->valid_from, r->max_points, r->threshold};
    return 0;
}

static void config_free(config *c)
{
    for (size_t i = 0; i < c->n; i++) {
        free(c->v[i].version);
        free(c->v[i].group_code);
        free(c->v[i].group_name);
        free(c->v[i].code);
        free(c->v[i].name);
        free(c->v[i].formula);
    }
    free(c->v);
    memset(c, 0, sizeof *c);
}

typedef struct manual {
    json_t *values; /* code -> {value, note, entered_by} */
} manual;

static int on_manual(void *cl, const char *code, double value, const char *note, const char *by)
{
    manual *m = cl;
    json_object_set_new(m->values, code,
                        json_pack("{s:f,s:s,s:s}", "value", value, "note", note, "by", by));
    return 0;
}

/* ---- Catalogue counts for the levels a unit handles. ---------------------- */

typedef struct catalogue {
    long procedures, online_capable, online_used, fee_bearing, paid_online_used;
} catalogue;

static int cmp_key(const void *k, const void *g) { return strcmp(k, ((const dh_agg_group *)g)->key); }

/* byproc is sorted by code (dh_agg_query) */
static const dh_agg_group *group_of(const dh_agg_group *g, size_t n, const char *key)
{
    return n ? bsearch(key, g, n, sizeof *g, cmp_key) : NULL;
}

static void count_catalogue(const dh_procset *ps, const bool lv[3], dh_date d,
                            const dh_agg_group *byproc, size_t nbyproc, catalogue *c)
{
    memset(c, 0, sizeof *c);
    for (size_t i = 0; i < ps->n; i++) {
        const dh_proc *p = &ps->v[i];
        if (!dh_procset_in_force(ps, i, d) || !dh_proc_level_in(p->level, lv))
            continue;
        const dh_agg_group *g = group_of(byproc, nbyproc, p->code);
        c->procedures++;
        if (strcmp(p->online_level, "none")) {
            c->online_capable++;
            c->online_used += g && g->f.received_online > 0;
        }
        if (p->fee_bearing) {
            c->fee_bearing++;
            c->paid_online_used += g && g->f.paid_online > 0;
        }
    }
}

/* ---- Feedback (issue 17). ------------------------------------------------- */

/* The feedback figures of the units in `units` (a JSON array of codes; NULL:
 * every unit) over [from, to]: answered on time, answered plus open over
 * their deadline at the period's end (or now), satisfied (>= 4) and rated. */
typedef struct fb_fig {
    dh_i766_fb fig;
} fb_fig;

static int on_fb_stats(void *cl, const dh_fb_stats_row *r)
{
    fb_fig *f = cl;
    dh_i766_fb_add(&f->fig, r->answered, r->on_time, r->open_overdue, r->rated, r->satisfied);
    return 0;
}

static dh_status feedback_figures(dh_app *app, const char *units, dh_date from, dh_date to,
                                  time_t now, fb_fig *f, dh_err *e)
{
    memset(f, 0, sizeof *f);
    time_t end = dh_date_start_vn(to + 1);
    /* open at the period's last instant, or now (core/fbagg.h) */
    return dh_fb_agg_stats(app, units, from, to, end <= now ? end - 1 : now, on_fb_stats, f, e);
}

/* ---- Scoring one unit. ---------------------------------------------------- */

typedef struct score {
    json_t *groups;
    double total, max_available;
    int64_t handled, received_new; /* the volume shown in the ranking */
} score;

static dh_status score_unit(dh_app *app, const dh_actor *a, const dh_unitreg *reg,
                            const dh_procset *ps, const config *cfg, const char *unit,
                            dh_date from, dh_date to, time_t now, bool details, score *out,
                            dh_err *e)
{
    memset(out, 0, sizeof *out);
    char *units = NULL;
    dh_status st = dh_app_scope_units(app, a, unit, true, now, &units, e);
    if (st)
        return st;
    dh_date today = dh_date_of_time_vn(now);
    dh_agg_group *tot = NULL, *byproc = NULL;
    size_t ntot = 0, nbyproc = 0;
    st = dh_agg_query(app, units, DH_GROUP_NONE, false, from, to, today, &tot, &ntot, e);
    if (st == DH_OK)
        st = dh_agg_query(app, units, DH_GROUP_PROCEDURE, false, from, to, today, &byproc,
                          &nbyproc, e);
    fb_fig fb = {0};
    if (st == DH_OK)
        st = feedback_figures(app, units, from, to, now, &fb, e);
    free(units);
    if (st) {
        dh_agg_groups_free(tot, ntot);
        return st;
    }
    dh_kfigures f = {0};
    if (ntot)
        f = tot[0].f;
    bool lv[3];
    dh_proc_unit_levels(reg, dh_unitreg_find(reg, unit), to, lv);
    catalogue cat;
    count_catalogue(ps, lv, to, byproc, nbyproc, &cat);
    manual m = {json_object()};
    dh_conn *c = dh_store_acquire(app->store, e);
    st = c ? DH_I766(c)->load_i766_manual(c, unit, from, to, on_manual, &m, e) : e->status;
    if (c)
        dh_store_release(c);
    int64_t fresh = f.received_online + f.received_counter_postal;
    out->handled = f.resolved_total + f.overdue;
    out->received_new = fresh;
    out->groups = json_array();
    json_t *group = NULL;
    double gpoints = 0, gmax = 0, gavail = 0;
    for (size_t i = 0; i < cfg->n && st == DH_OK; i++) {
        const ind *d = &cfg->v[i];
        if (!group || strcmp(json_string_value(json_object_get(group, "code")), d->group_code)) {
            if (group) {
                json_object_set_new(group, "points", json_real(dh_i766_round2(gpoints)));
                json_object_set_new(group, "max_points", json_real(gmax));
                json_object_set_new(group, "max_available", json_real(gavail));
            }
            group = json_pack("{s:s,s:s,s:[]}", "code", d->group_code, "name", d->group_name,
                              "indicators");
            json_array_append_new(out->groups, group);
            gpoints = gmax = gavail = 0;
        }
        int64_t num = 0, den = 0;
        const char *reason = NULL, *source = "computed";
        const char *f_ = d->formula;
        if (!strcmp(f_, "on_time"))
            num = f.early + f.on_time, den = f.resolved_total + f.overdue,
            reason = "không có hồ sơ đã giải quyết hoặc quá hạn trong kỳ";
        else if (!strcmp(f_, "online_share"))
            num = f.received_online, den = fresh, reason = "không có hồ sơ tiếp nhận trong kỳ";
        else if (!strcmp(f_, "paid_online"))
            num = f.paid_online, den = f.paid, reason = "không có hồ sơ nộp phí, lệ phí trong kỳ";
        else if (!strcmp(f_, "satisfaction"))
            num = f.satisfied, den = f.rated, reason = "không có đánh giá nào trong kỳ";
        else if (!strcmp(f_, "digitised"))
            num = f.digitised, den = fresh, reason = "không có hồ sơ tiếp nhận trong kỳ";
        else if (!strcmp(f_, "procedures_online"))
            num = cat.online_capable, den = cat.procedures,
            reason = "không có TTHC nào thuộc cấp của đơn vị";
        else if (!strcmp(f_, "online_services_used"))
            num = cat.online_used, den = cat.online_capable,
            reason = "không có TTHC trực tuyến nào thuộc cấp của đơn vị";
        else if (!strcmp(f_, "payment_used"))
            num = cat.paid_online_used, den = cat.fee_bearing,
            reason = "không có TTHC có phí, lệ phí thuộc cấp của đơn vị";
        /* the indicators' documents only for the unit shown, not for each
         * of the (up to 168) siblings ranked beside it */
        json_t *o = details ? json_pack("{s:s,s:s,s:s,s:f}", "code", d->code, "name", d->name,
                                        "formula", d->formula, "max_points", d->max_points)
                            : NULL;
        if (o)
            json_object_set_new(o, "threshold",
                                d->threshold > 0 ? json_real(d->threshold) : json_null());
        double rate = NAN;
        /* The two feedback indicators of 766 are computed from the feedback
         * records where the period has any (replacing a value typed in),
         * else they stay manual. */
        int64_t fnum, fden;
        bool from_feedback = dh_i766_fb_fraction(&fb.fig, d->code, &fnum, &fden);
        if (!strcmp(f_, "manual") && from_feedback) {
            source = "feedback";
            num = fnum, den = fden;
            rate = 100.0 * (double)fnum / (double)fden;
        } else if (!strcmp(f_, "manual")) {
            json_t *mv = json_object_get(m.values, d->code);
            if (mv) {
                source = "manual";
                rate = json_real_value(json_object_get(mv, "value"));
                if (o)
                    json_object_set(o, "entered", mv);
            } else {
                source = "none";
                reason = "chưa có dữ liệu: nhập tay (dieuhanh index set, hoặc PUT "
                         "/api/v1/index/766/values)";
            }
        } else if (den > 0) {
            rate = 100.0 * (double)num / (double)den;
        }
        bool fraction = strcmp(source, "manual") && strcmp(source, "none");
        if (o && fraction) {
            json_object_set_new(o, "numerator", json_integer(num));
            json_object_set_new(o, "denominator", json_integer(den));
        }
        if (o)
            json_object_set_new(o, "source", json_string(source));
        gmax += d->max_points;
        if (isnan(rate) && o) {
            json_object_set_new(o, "rate", json_null());
            json_object_set_new(o, "points", json_null());
            json_object_set_new(o, "na_reason", json_string(reason));
        } else if (!isnan(rate)) {
            double pts = dh_i766_points(rate, d->max_points, d->threshold);
            if (o) {
                json_object_set_new(o, "rate", json_real(dh_i766_round2(rate)));
                json_object_set_new(o, "points", json_real(pts));
            }
            gpoints += pts;
            gavail += d->max_points;
            out->total += pts;
            out->max_available += d->max_points;
        }
        if (o)
            json_array_append_new(json_object_get(group, "indicators"), o);
    }
    if (group) {
        json_object_set_new(group, "points", json_real(dh_i766_round2(gpoints)));
        json_object_set_new(group, "max_points", json_real(gmax));
        json_object_set_new(group, "max_available", json_real(gavail));
    }
    out->total = dh_i766_round2(out->total);
    json_decref(m.values);
    dh_agg_groups_free(tot, ntot);
    dh_agg_groups_free(byproc, nbyproc);
    if (st) {
        json_decref(out->groups);
        out->groups = NULL;
    }
    return st;
}

static double scaled(const score *s)
{
    return s->max_available > 0 ? dh_i766_round2(s->total * 100.0 / s->max_available) : 0;
}

typedef struct ranked {
    const char *code;
    score s;
    bool eligible; /* handled at least the minimum volume */
} ranked;

static int cmp_ranked(const void *x, const void *y)
{
    const ranked *a = x, *b = y;
    if (a->eligible != b->eligible)
        return a->eligible ? -1 : 1; /* the ranked first, then those below the minimum volume */
    double d = scaled(&b->s) - scaled(&a->s);
    if (d != 0)
        return d > 0 ? 1 : -1;
    return strcmp(a->code, b->code);
}

dh_status dh_app_index766(dh_app *app, const dh_actor *a, const char *unit, dh_date from,
                          dh_date to, const char *period, time_t now, json_t **out, dh_err *e)
{
    *out = NULL;
    if (!unit || !*unit)
        return dh_err_set(e, DH_E_INVALID, "missing_field", "unit", "unit is required");
    if (to < from)
        return dh_err_set(e, DH_E_INVALID, "invalid_range", "to", "to is before from");
    const dh_unitreg *reg = dh_app_units_acquire(app, e);
    if (!reg)
        return e->status;
    const dh_procset *ps = dh_app_procedures_acquire(app, e);
    if (!ps) {
        dh_app_units_release(app, reg);
        return e->status;
    }
    config cfg = {0};
    int64_t min_volume = 30;
    dh_conn *c = dh_store_acquire(app->store, e);
    dh_status st = c ? DH_I766(c)->load_i766_config(c, to, on_config, &cfg, e) : e->status;
    if (st == DH_OK)
        st = DH_META(c)->meta_get(c, "index766_min_volume", &min_volume, e);
    if (c)
        dh_store_release(c);
    if (st == DH_OK && cfg.n == 0)
        st = dh_err_set(e, DH_E_INVALID, "no_config", "period",
                        "no Decision 766 configuration applies to a period ending then");
    score me = {0};
    if (st == DH_OK)
        st = score_unit(app, a, reg, ps, &cfg, unit, from, to, now, true, &me, e);
    /* the ranking: the unit and its siblings under the parent on `to` */
    json_t *ranking = NULL;
    if (st == DH_OK) {
        int32_t u = dh_unitreg_find(reg, unit);
        int32_t *anc = NULL, *sib = NULL;
        size_t na = dh_unitreg_ancestors(reg, u, to, &anc), ns = 0;
        if (na)
            ns = dh_unitreg_children(reg, anc[0], to, &sib);
        ranked *r = dh_xcalloc(ns + 1, sizeof *r);
        size_t nr = 0;
        dh_actor sys;
        dh_actor_cli(&sys); /* the ranking is a published comparison */
        for (size_t i = 0; i < ns && st == DH_OK; i++) {
            if (reg->u[sib[i]].kind != reg->u[u].kind)
                continue; /* wards with wards, departments with departments */
            r[nr].code = reg->u[sib[i]].code;
            st = score_unit(app, &sys, reg, ps, &cfg, r[nr].code, from, to, now, false, &r[nr].s,
                            e);
            nr++;
        }
        if (!nr) {
            r[0].code = unit;
            r[0].s = me;
            r[0].s.groups = NULL;
            nr = 1;
        }
        if (st == DH_OK) {
            for (size_t i = 0; i < nr; i++)
                r[i].eligible = r[i].s.handled >= min_volume;
            qsort(r, nr, sizeof *r, cmp_ranked);
            json_t *rows = json_array();
            int rank = 0;
            for (size_t i = 0; i < nr; i++) {
                char name[400];
                dh_app_unit_name_in(reg, r[i].code, to, name, sizeof name);
                bool enough = r[i].eligible;
                json_t *o = json_pack("{s:s,s:s,s:f,s:f,s:f,s:I,s:I}", "unit", r[i].code, "name",
                                      name, "total", r[i].s.total, "max_available",
                                      r[i].s.max_available, "score_100", scaled(&r[i].s),
                                      "handled", (json_int_t)r[i].s.handled, "received",
                                      (json_int_t)r[i].s.received_new);
                json_object_set_new(o, "rank", enough ? json_integer(++rank) : json_null());
                if (!enough)
                    json_object_set_new(o, "not_ranked",
                                        json_string("below the minimum volume of dossiers"));
                json_array_append_new(rows, o);
            }
            ranking = json_pack("{s:s?,s:I,s:s,s:o}", "parent", na ? reg->u[anc[0]].code : NULL,
                                "min_volume", (json_int_t)min_volume, "by",
                                "score_100 (points over the points that could be computed, "
                                "scaled to 100)",
                                "units", rows);
        }
        for (size_t i = 0; i < nr; i++)
            json_decref(r[i].s.groups);
        free(r);
        free(anc);
        free(sib);
    }
    if (st == DH_OK) {
        char f[DH_DATE_TEXT_LEN], t[DH_DATE_TEXT_LEN], vf[DH_DATE_TEXT_LEN], name[400];
        dh_date_format(from, f);
        dh_date_format(to, t);
        dh_date_format(cfg.v[0].valid_from, vf);
        dh_app_unit_name_in(reg, unit, to, name, sizeof name);
        *out = json_pack("{s:s,s:s,s:s?,s:s,s:s,s:{s:s,s:s},s:o,s:f,s:f,s:f,s:I,s:I,s:o}", "unit",
                         unit, "name", name, "period", period, "from", f, "to", t, "config",
                         "version", cfg.v[0].version, "valid_from", vf, "groups", me.groups,
                         "total", me.total, "max_points", 100.0, "max_available",
                         me.max_available, "handled", (json_int_t)me.handled, "received",
                         (json_int_t)me.received_new, "ranking", ranking);
        json_object_set_new(*out, "score_100", json_real(scaled(&me)));
    } else {
        json_decref(me.groups);
        json_decref(ranking);
    }
    config_free(&cfg);
    dh_app_procedures_release(app, ps);
    dh_app_units_release(app, reg);
    return st;
}

/* ---- Values entered by hand. ---------------------------------------------- */

typedef struct i766_set_cl {
    const dh_actor *a;
    const char *unit, *code, *note;
    dh_date from, to;
    double value;
    time_t now;
} i766_set_cl;

/* Concurrency: reads the index configuration in force on `to`
 * (index766_config) inside the write transaction to check that the
 * indicator is entered by hand, and writes the value, keyed by (unit,
 * from, to, indicator) and replacing an earlier one, in the same
 * transaction: a configuration imported meanwhile waits for the write lock
 * (SQLite) or makes one of the two commits fail and rerun (PostgreSQL,
 * writing the value as INSERT ... ON CONFLICT DO UPDATE). Two writers of
 * the same value: the later commit's stands, both audited. */
static dh_status i766_set_tx(dh_tx *tx, void *closure, dh_err *e)
{
    const i766_set_cl *cl = closure;
    const char *unit = cl->unit, *code = cl->code;
    config cfg = {0};
    dh_status st = DH_I766(tx->c)->load_i766_config(tx->c, cl->to, on_config, &cfg, e);
    const ind *d = NULL;
    for (size_t i = 0; i < cfg.n; i++)
        if (!strcmp(cfg.v[i].code, code))
            d = &cfg.v[i];
    if (st == DH_OK && !d)
        st = dh_err_set(e, DH_E_INVALID, "unknown_indicator", "indicator",
                        "no indicator '%s' in the configuration in force", code);
    else if (st == DH_OK && strcmp(d->formula, "manual"))
        st = dh_err_set(e, DH_E_INVALID, "computed_indicator", "indicator",
                        "'%s' is computed from the dossiers (formula %s), not entered by hand",
                        code, d->formula);
    if (st == DH_OK)
        st = DH_I766(tx->c)->put_i766_manual(tx->c, unit, cl->from, cl->to, code, cl->value,
                                             cl->note, cl->a->login, cl->now, e);
    if (st == DH_OK) {
        char f[DH_DATE_TEXT_LEN], t[DH_DATE_TEXT_LEN], key[200];
        dh_date_format(cl->from, f);
        dh_date_format(cl->to, t);
        snprintf(key, sizeof key, "%s %s..%s %s", unit, f, t, code);
        json_t *after = json_pack("{s:f,s:s}", "value", cl->value, "note",
                                  cl->note ? cl->note : "");
        st = dh_app_audit(tx->c, cl->a, "set", "index766_value", key, unit, "ok", NULL, after,
                          cl->now, e);
        json_decref(after);
    }
    config_free(&cfg);
    return st;
}

dh_status dh_app_index766_set(dh_app *app, const dh_actor *a, const char *unit, dh_date from,
                              dh_date to, const char *code, double value, const char *note,
                              time_t now, dh_err *e)
{
    if (!unit || !*unit)
        return dh_err_set(e, DH_E_INVALID, "missing_field", "unit", "unit is required");
    if (!code || !*code)
        return dh_err_set(e, DH_E_INVALID, "missing_field", "indicator", "indicator is required");
    if (!(value >= 0 && value <= 100))
        return dh_err_set(e, DH_E_INVALID, "out_of_range", "value",
                          "value is a percentage from 0 to 100");
    if (to < from)
        return dh_err_set(e, DH_E_INVALID, "invalid_range", "to", "to is before from");
    if (note && strlen(note) > 2000)
        return dh_err_set(e, DH_E_TOOLARGE, "too_long", "note", "note: at most 2000 bytes");
    if (a->role != DH_ROLE_ADMIN && a->role != DH_ROLE_LEADER)
        return dh_app_deny(app, a, "write", "index766", code, unit, now, e,
                           "enter index values (admins and leaders only)");
    char *units = NULL;
    dh_status st = dh_app_scope_units(app, a, unit, false, now, &units, e);
    free(units);
    if (st)
        return st;
    i766_set_cl cl = {a, unit, code, note, from, to, value, now};
    return dh_tx_run(app, DH_TX_WRITE, i766_set_tx, &cl, e);
}

/* ---- The configuration: list and import a new version. -------------------- */

static int on_config_json(void *cl, const dh_i766_row *r)
{
    char vf[DH_DATE_TEXT_LEN];
    dh_date_format(r->valid_from, vf);
    json_t *o = json_pack("{s:s,s:s,s:i,s:s,s:s,s:s,s:s,s:f,s:s}", "version", r->version,
                          "valid_from", vf, "ord", r->ord, "group_code", r->group_code,
                          "group_name", r->group_name, "code", r->code, "name", r->name,
                          "max_points", r->max_points, "formula", r->formula);
    json_object_set_new(o, "threshold", r->threshold > 0 ? json_real(r->threshold) : json_null());
    json_array_append_new(cl, o);
    return 0;
}

dh_status dh_app_index766_config(dh_app *app, json_t **out, dh_err *e)
{
    *out = json_array();
    dh_conn *c = dh_store_acquire(app->store, e);
    if (!c)
        return e->status;
    dh_status st = DH_I766(c)->load_i766_config(c, DH_DATE_NONE, on_config_json, *out, e);
    dh_store_release(c);
    return st;
}

static const char *const cfg_cols[] = {"version",    "valid_from", "ord",       "group_code",
                                       "group_name", "code",       "name",      "max_points",
                                       "threshold",  "formula",    NULL};

/* Concurrency: reads nothing to decide but the file; each row is inserted
 * under the primary key (valid_from, code) of index766_config, so a
 * version that already has an indicator, or two imports of one version
 * at once, fail DH_E_CONFLICT ("version_exists") on that key and the
 * whole import is rolled back; the write lock (SQLite) or a serializable
 * retry (PostgreSQL) orders the import against the values being entered
 * (i766_set_tx). */
static dh_status i766_import_tx(dh_tx *tx, void *closure, dh_err *e)
{
    const dh_import_cl *cl = closure;
    const char *name = cl->name;
    const int *col = cl->col;
    dh_import_report *rep = cl->rep;
    dh_import_report_free(rep);
    dh_csv *csv = dh_csv_new_mem(cl->data->p, cl->data->len, name);
    char **fl;
    size_t nf;
    int rc;
    dh_status st = DH_OK;
    (void)dh_csv_next(csv, &fl, &nf); /* the header, checked by the caller */
    /* per version (valid_from): the sum of points and the codes seen */
    json_t *sums = json_object(), *codes = json_object();
    while (st == DH_OK && (rc = dh_csv_next(csv, &fl, &nf)) != 0) {
        long line = dh_csv_line(csv);
        if (rc < 0) {
            dh_report_add(rep, "%s", dh_csv_error(csv));
            rep->refused++;
            continue;
        }
        const char *v[10];
        for (int i = 0; i < 10; i++)
            v[i] = (size_t)col[i] < nf ? fl[col[i]] : "";
        dh_i766_row r = {v[0], 0, atoi(v[2]), v[3], v[4], v[5], v[6], 0, 0, v[9]};
        char *endp;
        const char *why = NULL;
        int fi = -1; /* the offending column */
        r.max_points = strtod(v[7], &endp);
        if (!*v[0])
            fi = 0, why = "is empty";
        else if (dh_date_parse(v[1], &r.valid_from))
            fi = 1, why = "is not a date YYYY-MM-DD";
        else if (!*v[5] || !*v[3] || !*v[4] || !*v[6])
            fi = !*v[5] ? 5 : !*v[3] ? 3 : !*v[4] ? 4 : 6, why = "is empty";
        else if (!*v[7] || *endp || !(r.max_points >= 0 && r.max_points <= 100))
            fi = 7, why = "is not a number from 0 to 100";
        else if (*v[8] && (r.threshold = strtod(v[8], &endp),
                           *endp || !(r.threshold > 0 && r.threshold <= 100)))
            fi = 8, why = "is not empty or a percentage above 0 and at most 100";
        else if (!known_formula(v[9]))
            fi = 9, why = "is not one of on_time, online_share, paid_online, satisfaction, "
                          "digitised, procedures_online, online_services_used, payment_used, "
                          "manual";
        if (!why) {
            json_t *seen = json_object_get(codes, v[1]);
            if (!seen)
                json_object_set_new(codes, v[1], seen = json_object());
            if (json_object_get(seen, v[5]))
                fi = 5, why = "appears twice in the same version";
            json_object_set_new(seen, v[5], json_true());
        }
        if (why) {
            dh_report_add(rep, "%s:%ld: %s '%s' %s", name, line, cfg_cols[fi], v[fi], why);
            rep->refused++;
            if (rep->refused == 1)
                dh_err_set(e, DH_E_INVALID, "invalid_row", cfg_cols[fi], "%s:%ld: %s '%s' %s",
                           name, line, cfg_cols[fi], v[fi], why);
            continue;
        }
        json_t *s = json_object_get(sums, v[1]);
        json_object_set_new(sums, v[1], json_real((s ? json_real_value(s) : 0) + r.max_points));
        st = DH_I766(tx->c)->put_i766_config(tx->c, &r, e);
        if (st == DH_E_CONFLICT || (st && strstr(e->message, "UNIQUE")))
            st = dh_err_set(e, DH_E_CONFLICT, "version_exists", "valid_from",
                            "%s:%ld: a version valid from %s already has indicator %s", name,
                            line, v[1], v[5]);
        if (st == DH_OK)
            rep->taken++;
    }
    const char *k;
    json_t *s;
    json_object_foreach(sums, k, s)
    {
        if (st == DH_OK && !rep->refused && fabs(json_real_value(s) - 100.0) > 1e-6) {
            dh_report_add(rep, "%s: the version valid from %s has %.2f points in all, not 100",
                          name, k, json_real_value(s));
            rep->refused++;
            dh_err_set(e, DH_E_INVALID, "points_not_100", "max_points",
                       "%s: the version valid from %s has %.2f points in all, not 100", name, k,
                       json_real_value(s));
        }
    }
    if (st == DH_OK && rep->taken == 0 && !rep->refused)
        st = dh_err_set(e, DH_E_INVALID, "empty", NULL, "%s: no rows", name);
    if (st == DH_OK && rep->refused)
        st = DH_E_INVALID; /* all or nothing: e holds the first reason */
    if (st == DH_OK) {
        json_t *after = json_pack("{s:i,s:O}", "indicators", rep->taken, "versions", sums);
        st = dh_app_audit(tx->c, cl->a, "import", "index766_config", name, "", "ok", NULL, after,
                          cl->now, e);
        json_decref(after);
    }
    json_decref(sums);
    json_decref(codes);
    dh_csv_free(csv);
    return st;
}

dh_status dh_app_index766_config_import(dh_app *app, const dh_actor *a, FILE *f, const char *name,
                                        time_t now, dh_import_report *rep, dh_err *e)
{
    memset(rep, 0, sizeof *rep);
    if (a->role != DH_ROLE_ADMIN)
        return dh_app_deny(app, a, "write", "index766_config", "", "", now, e,
                           "change the index configuration (admins only)");
    /* The whole file first: a transaction run again reads it again. */
    dh_buf data = DH_BUF_INIT;
    dh_buf_read_all(&data, f);
    dh_csv *csv = dh_csv_new_mem(data.p, data.len, name);
    char **fl;
    size_t nf;
    int rc = dh_csv_next(csv, &fl, &nf);
    int col[10];
    dh_status st = DH_OK;
    if (rc <= 0) {
        st = dh_err_set(e, DH_E_INVALID, "invalid_csv", NULL, "%s:1: %s", name,
                        rc < 0 ? dh_csv_error(csv) : "the file is empty (no header)");
    } else {
        for (int i = 0; cfg_cols[i]; i++) {
            col[i] = -1;
            for (size_t j = 0; j < nf; j++)
                if (!strcmp(fl[j], cfg_cols[i]))
                    col[i] = (int)j;
            if (col[i] < 0 && st == DH_OK)
                st = dh_err_set(e, DH_E_INVALID, "invalid_csv", cfg_cols[i],
                                "%s:1: the header has no column '%s'", name, cfg_cols[i]);
        }
    }
    dh_csv_free(csv);
    if (st == DH_OK) {
        dh_import_cl cl = {a, &data, name, col, now, rep};
        st = dh_tx_run(app, DH_TX_WRITE, i766_import_tx, &cl, e);
    }
    dh_buf_free(&data);
    if (st)
        rep->taken = 0;
    return st;
}
