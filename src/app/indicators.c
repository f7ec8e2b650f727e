/* indicators.c - the catalogue of indicators: create or update, list, CSV
 * import; shared helpers of the indicator files (indint.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "app/indint.h"
#include "core/uom.h"
#include "util/buf.h"
#include "util/csv.h"
#include "util/text.h"

json_t *dh_ind_date_json(dh_date d)
{
    if (d == DH_DATE_NONE)
        return json_null();
    char b[DH_DATE_TEXT_LEN];
    dh_date_format(d, b);
    return json_string(b);
}

static void ind_free(dh_ind *i)
{
    free(i->code);
    free(i->name);
    free(i->uom);
    free(i->direction);
    free(i->aggregation);
    free(i->source);
    free(i->period_type);
    free(i->freshness);
    free(i->formula);
    free(i->note);
}

void dh_indset_free(dh_indset *s)
{
    for (size_t i = 0; i < s->n; i++)
        ind_free(&s->v[i]);
    free(s->v);
    memset(s, 0, sizeof *s);
}

static void ind_derive(dh_ind *i)
{
    if (dh_ptype_parse(i->period_type, &i->pt))
        i->pt = DH_PT_MONTH;
    if (dh_aggk_parse(i->aggregation, &i->agg))
        i->agg = DH_AGG_SUM;
    i->lower = strcmp(i->direction, "lower") == 0;
    /* ratios x 100: percentages and rates per 100 inhabitants (core/uom.h) */
    i->percent = strcmp(i->uom, "%") == 0 || dh_uom_per_100(i->uom);
}

static int on_ind(void *cl, const dh_indicator_row *r)
{
    dh_indset *s = cl;
    s->v = dh_xrealloc(s->v, (s->n + 1) * sizeof *s->v);
    dh_ind *i = &s->v[s->n++];
    i->id = r->id;
    i->code = dh_xstrdup(r->code);
    i->name = dh_xstrdup(r->name);
    i->uom = dh_xstrdup(r->uom);
    i->direction = dh_xstrdup(r->direction);
    i->aggregation = dh_xstrdup(r->aggregation);
    i->source = dh_xstrdup(r->source);
    i->period_type = dh_xstrdup(r->period_type);
    i->freshness = dh_xstrdup(r->freshness);
    i->formula = dh_xstrdup(r->formula);
    i->note = dh_xstrdup(r->note);
    ind_derive(i);
    return 0;
}

dh_status dh_indset_load(dh_conn *c, dh_indset *s, dh_err *e)
{
    memset(s, 0, sizeof *s);
    /* The backend returns them ordered by code (bsearch below). */
    dh_status st = DH_INDICATORS(c)->load_indicators(c, on_ind, s, e);
    if (st)
        dh_indset_free(s);
    return st;
}

static int cmp_code(const void *k, const void *v)
{
    return strcmp(k, ((const dh_ind *)v)->code);
}

const dh_ind *dh_indset_find(const dh_indset *s, const char *code)
{
    return code && s->n ? bsearch(code, s->v, s->n, sizeof *s->v, cmp_code) : NULL;
}

dh_status dh_ind_value_check(const dh_ind *i, const char *field, double v, dh_err *e)
{
    double lo, hi;
    const char *kind = dh_ind_value_range(i->uom, &lo, &hi);
    if (!isfinite(v))
        return dh_err_set(e, DH_E_INVALID, "out_of_range", field, "%s must be a finite number",
                          field);
    if (v < lo || v > hi)
        return dh_err_set(e, DH_E_INVALID, "out_of_range", field,
                          "%s: %s is %s (unit '%s'): %g is outside %g..%g", field, i->code, kind,
                          i->uom, v, lo, hi);
    return DH_OK;
}

const dh_ind *dh_indset_by_id(const dh_indset *s, int64_t id)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i].id == id)
            return &s->v[i];
    return NULL;
}

json_t *dh_ind_json(const dh_ind *i)
{
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "code", i->code, "name",
                     i->name, "uom", i->uom, "direction", i->direction, "aggregation",
                     i->aggregation, "source", i->source, "period_type", i->period_type,
                     "freshness", i->freshness, "formula", i->formula, "note", i->note);
}

size_t dh_targets_touch_units(const dh_unitreg *reg, int32_t unit, dh_date when, dh_date today,
                              int32_t **out)
{
    /* The units above it when the value applied, and today (or on its
     * last day): a reorganisation may have moved it since. */
    dh_date days[2] = {when, reg->u[unit].valid_to != DH_DATE_NONE && reg->u[unit].valid_to < today
                                 ? reg->u[unit].valid_to
                                 : today};
    int32_t *v = dh_xmalloc(sizeof *v);
    size_t n = 0;
    v[n++] = unit;
    for (int k = 0; k < 2; k++) {
        int32_t *anc = NULL;
        size_t na = dh_unitreg_ancestors(reg, unit, days[k], &anc);
        v = dh_xrealloc(v, (n + na) * sizeof *v);
        for (size_t i = 0; i < na; i++)
            v[n++] = anc[i];
        free(anc);
    }
    *out = v;
    return n;
}

/* ---- Create / update. ---------------------------------------------------- */

typedef struct ind_spec {
    char *f[10]; /* code, name, uom, direction, aggregation, source, period_type, freshness,
                    formula, note */
} ind_spec;

static const char *const ind_cols[10] = {"code",   "name",        "uom",       "direction",
                                         "aggregation", "source", "period_type", "freshness",
                                         "formula", "note"};

static void spec_free(ind_spec *s)
{
    for (int i = 0; i < 10; i++)
        free(s->f[i]);
    memset(s, 0, sizeof *s);
}

/* Checks a spec (strings already NFC-cleaned); fills defaults. */
static dh_status spec_check(ind_spec *s, dh_err *e)
{
    static const char *const defaults[10] = {NULL,      NULL,       "",       "higher", "sum",
                                             "reported", "month",   "",       "",       ""};
    for (int i = 0; i < 10; i++) {
        if (!s->f[i] || (!*s->f[i] && defaults[i] && *defaults[i])) {
            if (!defaults[i])
                return dh_err_set(e, DH_E_INVALID, "missing_field", ind_cols[i], "%s is required",
                                  ind_cols[i]);
            free(s->f[i]);
            s->f[i] = dh_xstrdup(defaults[i]);
        }
        if (strlen(s->f[i]) > (i == 9 || i == 1 ? 2000 : 100))
            return dh_err_set(e, DH_E_INVALID, "too_long", ind_cols[i], "%s is too long",
                              ind_cols[i]);
    }
    const char *code = s->f[0];
    for (const char *p = code; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '.' ||
              *p == '-'))
            return dh_err_set(e, DH_E_INVALID, "invalid_code", "code",
                              "code '%s': use lower-case letters, digits, '_', '.', '-'", code);
    if (!*code)
        return dh_err_set(e, DH_E_INVALID, "missing_field", "code", "code is required");
    if (strcmp(s->f[3], "higher") && strcmp(s->f[3], "lower"))
        return dh_err_set(e, DH_E_INVALID, "invalid_direction", "direction",
                          "direction '%s' is not higher or lower", s->f[3]);
    dh_aggk k;
    if (dh_aggk_parse(s->f[4], &k))
        return dh_err_set(e, DH_E_INVALID, "invalid_aggregation", "aggregation",
                          "aggregation '%s' is not sum, ratio, mean, latest or max", s->f[4]);
    if (strcmp(s->f[5], "reported") && strcmp(s->f[5], "computed") && strcmp(s->f[5], "pushed"))
        return dh_err_set(e, DH_E_INVALID, "invalid_source", "source",
                          "source '%s' is not reported, computed or pushed", s->f[5]);
    dh_ptype t;
    if (dh_ptype_parse(s->f[6], &t))
        return dh_err_set(e, DH_E_INVALID, "invalid_period_type", "period_type",
                          "period_type '%s' is not day, month, quarter, half_year, year or "
                          "cutoff_month, cutoff_quarter, cutoff_half_year, cutoff_year",
                          s->f[6]);
    if (!strcmp(s->f[5], "computed") && strcmp(s->f[8], "kpi:online_by_applicant") &&
        strcmp(s->f[8], "kpi:online") && strcmp(s->f[8], "kpi:on_time") &&
        strcmp(s->f[8], "stations:on_air") && strcmp(s->f[8], "full_online:procedures") &&
        strcmp(s->f[8], "full_online:dossiers"))
        return dh_err_set(e, DH_E_INVALID, "invalid_formula", "formula",
                          "a computed indicator needs formula kpi:online_by_applicant, "
                          "kpi:online, kpi:on_time, stations:on_air (the 5G stations on "
                          "air, from the register), full_online:procedures or "
                          "full_online:dossiers (the shares of fully online services)");
    dh_fresh fr;
    const char *why = NULL;
    if (*s->f[7] && dh_fresh_parse(s->f[7], &fr, &why))
        return dh_err_set(e, DH_E_INVALID, "invalid_freshness", "freshness", "freshness '%s': %s",
                          s->f[7], why);
    return DH_OK;
}

/* Indicator definitions (direction, aggregation, formula) are shared by
 * every unit, so defining or redefining one is an unscoped administrator's
 * act: an officer, or an admin whose token or account is limited to a unit,
 * is refused (and the refusal audited). */
static bool may_manage(const dh_actor *a)
{
    return a->role == DH_ROLE_ADMIN && a->unit_id == 0 && !a->unit_code[0];
}

/* Writes one checked spec inside the caller's transaction. */
static dh_status spec_save(dh_conn *c, const dh_indset *have, const dh_actor *a, ind_spec *s,
                           time_t now, json_t **after, dh_err *e)
{
    const dh_ind *old = dh_indset_find(have, s->f[0]);
    dh_indicator_row r = {old ? old->id : 0, s->f[0], s->f[1], s->f[2], s->f[3], s->f[4],
                          s->f[5], s->f[6], s->f[7], s->f[8], s->f[9], now, now};
    int64_t id;
    dh_status st = DH_INDICATORS(c)->put_indicator(c, &r, &id, e);
    if (st == DH_OK)
        st = DH_META(c)->meta_bump(c, DH_IVALUES_REV, e);
    if (st)
        return st;
    dh_ind tmp = {id, s->f[0], s->f[1], s->f[2], s->f[3], s->f[4], s->f[5], s->f[6], s->f[7],
                  s->f[8], s->f[9], 0, 0, false, false};
    *after = dh_ind_json(&tmp);
    json_t *before = old ? dh_ind_json(old) : NULL;
    st = dh_app_audit(c, a, old ? "update" : "create", "indicator", s->f[0], "", "ok", before,
                      *after, now, e);
    json_decref(before);
    return st;
}

typedef struct indicator_put_cl {
    const dh_actor *a;
    ind_spec *s;
    time_t now;
    json_t *out;
} indicator_put_cl;

/* Concurrency: reads every indicator inside the write transaction (one
 * with this code is updated in place, keeping its id) and writes the row
 * in the same one. Two writers of one code: the second waits for the
 * write lock and then updates the first's row (SQLite), or fails its
 * commit and is rerun to do so (PostgreSQL); the unique code of
 * indicators is the last guard. */
static dh_status indicator_put_tx(dh_tx *tx, void *closure, dh_err *e)
{
    indicator_put_cl *cl = closure;
    json_decref(cl->out);
    cl->out = NULL;
    dh_indset have;
    dh_status st = dh_indset_load(tx->c, &have, e);
    if (st == DH_OK) {
        st = spec_save(tx->c, &have, cl->a, cl->s, cl->now, &cl->out, e);
        dh_indset_free(&have);
    }
    return st;
}

dh_status dh_app_indicator_put(dh_app *app, const dh_actor *a, json_t *body, time_t now,
                               json_t **out, dh_err *e)
{
    *out = NULL;
    ind_spec s = {0};
    dh_status st;
    static const char *const allowed[] = {"code",   "name",        "uom",       "direction",
                                          "aggregation", "source", "period_type", "freshness",
                                          "formula", "note",  NULL};
    if ((st = dh_json_only(body, allowed, e)))
        return st;
    for (int i = 0; i < 10; i++)
        if ((st = dh_json_text(body, ind_cols[i], i < 2, &s.f[i], e))) {
            spec_free(&s);
            return st;
        }
    if ((st = spec_check(&s, e))) {
        spec_free(&s);
        return st;
    }
    if (!may_manage(a)) {
        st = dh_app_deny(app, a, "create", "indicator", s.f[0], "", now, e,
                         "define indicators");
        spec_free(&s);
        return st;
    }
    indicator_put_cl cl = {a, &s, now, NULL};
    st = dh_tx_run(app, DH_TX_WRITE, indicator_put_tx, &cl, e);
    if (st)
        json_decref(cl.out);
    else
        *out = cl.out;
    spec_free(&s);
    return st;
}

dh_status dh_app_indicator_list(dh_app *app, const dh_actor *a, json_t **items, dh_err *e)
{
    *items = NULL;
    dh_conn *c = dh_store_acquire(app->store, e);
    if (!c)
        return e->status;
    dh_indset s;
    dh_status st = dh_indset_load(c, &s, e);
    dh_store_release(c);
    if (st)
        return st;
    *items = json_array();
    for (size_t i = 0; i < s.n; i++) {
        json_t *o = dh_ind_json(&s.v[i]);
        json_object_set_new(o, "id", json_integer(s.v[i].id));
        json_array_append_new(*items, o);
    }
    dh_indset_free(&s);
    return DH_OK;
}

/* Concurrency: as indicator_put_tx, for every row: the indicators are
 * read once inside the write transaction and each row creates or updates
 * its code's row in it, so the file is taken all or nothing against one
 * set of indicators; the unique code of indicators is the last guard. */
static dh_status indicator_import_tx(dh_tx *tx, void *closure, dh_err *e)
{
    dh_import_cl *cl = closure;
    const char *name = cl->name;
    const int *col = cl->col;
    dh_import_report *rep = cl->rep;
    dh_import_report_free(rep);
    dh_indset have;
    dh_status st = dh_indset_load(tx->c, &have, e);
    if (st)
        return st;
    dh_csv *csv = dh_csv_new_mem(cl->data->p, cl->data->len, name);
    char **fields;
    size_t nf;
    int rc;
    (void)dh_csv_next(csv, &fields, &nf); /* the header, checked by the caller */
    while ((rc = dh_csv_next(csv, &fields, &nf)) != 0) {
        long line = dh_csv_line(csv);
        if (rc < 0) {
            dh_report_add(rep, "%s", dh_csv_error(csv));
            rep->refused++;
            continue;
        }
        ind_spec s = {0};
        dh_err re;
        dh_status rs = DH_OK;
        for (int i = 0; i < 10 && rs == DH_OK; i++) {
            const char *v = col[i] >= 0 && (size_t)col[i] < nf ? fields[col[i]] : NULL;
            if (v)
                rs = dh_text_clean_field(v, ind_cols[i], &s.f[i], &re);
        }
        if (rs == DH_OK)
            rs = spec_check(&s, &re);
        json_t *after = NULL;
        if (rs == DH_OK)
            rs = spec_save(tx->c, &have, cl->a, &s, cl->now, &after, &re);
        json_decref(after);
        if (dh_err_storage(rs)) {
            st = dh_err_set(e, rs, re.code, NULL, "%s", re.message);
            spec_free(&s);
            break;
        }
        if (rs) {
            dh_report_add(rep, "%s:%ld: %s", name, line, re.message);
            rep->refused++;
        } else {
            rep->taken++;
        }
        spec_free(&s);
    }
    dh_indset_free(&have);
    dh_csv_free(csv);
    if (st == DH_OK && rep->refused)
        st = dh_err_set(e, DH_E_INVALID, "invalid_csv", NULL,
                        "%d of %d rows refused; nothing imported", rep->refused,
                        rep->refused + rep->taken);
    return st;
}

dh_status dh_app_indicator_import(dh_app *app, const dh_actor *a, FILE *f, const char *name,
                                  time_t now, dh_import_report *rep, dh_err *e)
{
    memset(rep, 0, sizeof *rep);
    if (!may_manage(a))
        return dh_app_deny(app, a, "import", "indicator", name, "", now, e, "define indicators");
    /* The whole file first: a transaction run again reads it again. */
    dh_buf data = DH_BUF_INIT;
    dh_buf_read_all(&data, f);
    dh_csv *csv = dh_csv_new_mem(data.p, data.len, name);
    char **fields;
    size_t nf;
    int col[10];
    dh_status st = DH_OK;
    int rc = dh_csv_next(csv, &fields, &nf);
    if (rc <= 0) {
        st = dh_err_set(e, DH_E_INVALID, "invalid_csv", NULL, "%s",
                        rc < 0 ? dh_csv_error(csv) : "the file is empty");
        goto done;
    }
    for (int i = 0; i < 10; i++) {
        col[i] = -1;
        for (size_t j = 0; j < nf; j++)
            if (strcmp(fields[j], ind_cols[i]) == 0)
                col[i] = (int)j;
        if (col[i] < 0 && i < 2) {
            st = dh_err_set(e, DH_E_INVALID, "invalid_csv", ind_cols[i],
                            "%s:1: header: missing column '%s'", name, ind_cols[i]);
            goto done;
        }
    }
    dh_import_cl cl = {a, &data, name, col, now, rep};
    st = dh_tx_run(app, DH_TX_WRITE, indicator_import_tx, &cl, e);
    if (st && rep->refused == 0)
        rep->taken = 0;
done:
    dh_csv_free(csv);
    dh_buf_free(&data);
    return st;
}
