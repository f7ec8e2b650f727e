/* dti.c - the digital-transformation index (issue 16, domain.md §7): what
 * the DTI files share (a framework as loaded, assessment rows, the evidence
 * column, stored files' metadata, numbers and warnings as JSON; dtiint.h),
 * a unit's scorecard and the ranking of a framework's year. Scoring is
 * core/dti.c; this file checks access, computes the kpi criteria from the
 * service aggregates and reads through the store. Imports are dtiimport.c,
 * the assessment workflow dtiflow.c, the remediation plan dtiplan.c.
 *
 * Which figure counts for a node: the appraised (or published) points or
 * value when present, else the self-assessed ones. A kpi leaf that neither
 * gives is computed for the unit's subtree over the assessment's year
 * (numerator and denominator shown), unless an ancestor of it has points
 * of its own (a result published at pillar level is taken as printed).
 *
 * Roles: a scorecard needs the right to read the unit's data; the ranking
 * of a framework's year is readable by every signed-in user, as the
 * published decisions are. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/dtiint.h"
#include "app/planbook.h"
#include "app/internal.h"
#include "core/access.h"
#include "core/dti.h"
#include "store/dti.h"
#include "store/plans.h"

/* ------------------------------------------------------------------ */
/* Small helpers.                                                     */

json_t *dh_dti_num_json(double x)
{
    return json_real(dh_dti_round4(x));
}

/* ------------------------------------------------------------------ */
/* A framework as loaded from the store.                              */

void dh_dti_fw_free(dti_fw *f)
{
    for (size_t i = 0; i < f->n; i++) {
        free((char *)f->nodes[i].code);
        free((char *)f->nodes[i].parent);
        free((char *)f->nodes[i].name);
        free((char *)f->nodes[i].source);
        free(f->responsible[i]);
        free(f->note[i]);
    }
    free(f->nodes);
    free(f->responsible);
    free(f->note);
    free(f->code);
    free(f->name);
    free(f->level);
    memset(f, 0, sizeof *f);
}

static int on_fw(void *cl, const dh_dti_framework_row *r)
{
    dti_fw *f = cl;
    f->id = r->id;
    f->year = r->year;
    f->code = strdup(r->code);
    f->name = strdup(r->name);
    f->level = strdup(r->level);
    return 1;
}

static int on_fw_node(void *cl, const dh_dti_node_row *r)
{
    dti_fw *f = cl;
    size_t i = f->n++;
    f->nodes = realloc(f->nodes, f->n * sizeof *f->nodes);
    f->responsible = realloc(f->responsible, f->n * sizeof *f->responsible);
    f->note = realloc(f->note, f->n * sizeof *f->note);
    dh_dti_method m = DH_DTI_GROUP;
    (void)dh_dti_method_parse(r->method, &m); /* checked on import */
    f->nodes[i] =
        (dh_dti_node){strdup(r->code), strdup(r->parent), strdup(r->name), r->max_points, m,
                      r->threshold,    strdup(r->source), r->line};
    f->responsible[i] = strdup(r->responsible);
    f->note[i] = strdup(r->note);
    return 0;
}

dh_status dh_dti_fw_load(dh_conn *c, const char *code, int year, dti_fw *f, dh_err *e)
{
    memset(f, 0, sizeof *f);
    dh_status st = DH_DTI(c)->list_frameworks(c, code, year, on_fw, f, e);
    if (st == DH_OK && !f->id)
        st = dh_err_set(e, DH_E_NOTFOUND, "unknown_framework", "framework",
                        "there is no framework '%s' for %d (dieuhanh dti framework import)", code,
                        year);
    if (st == DH_OK)
        st = DH_DTI(c)->list_nodes(c, f->id, on_fw_node, f, e);
    if (st)
        dh_dti_fw_free(f);
    return st;
}


/* ------------------------------------------------------------------ */
/* The evidence column: text and attached file ids (dtiint.h).        */

static json_t *ev_parse(const char *stored)
{
    if (!stored || *stored != '{')
        return NULL;
    json_t *j = json_loads(stored, 0, NULL);
    if (json_is_object(j) && json_is_string(json_object_get(j, "text")) &&
        json_is_array(json_object_get(j, "files")))
        return j;
    json_decref(j);
    return NULL;
}

char *dh_dti_ev_text(const char *stored)
{
    json_t *j = ev_parse(stored);
    char *t = dh_xstrdup(j ? json_string_value(json_object_get(j, "text")) : stored ? stored : "");
    json_decref(j);
    return t;
}

json_t *dh_dti_ev_files(const char *stored)
{
    json_t *j = ev_parse(stored);
    json_t *f = j ? json_incref(json_object_get(j, "files")) : json_array();
    json_decref(j);
    return f;
}

char *dh_dti_ev_join(const char *text, json_t *files)
{
    text = text ? text : "";
    if (json_array_size(files) == 0 && *text != '{')
        return dh_xstrdup(text);
    json_t *j = json_pack("{s:s,s:o}", "text", text, "files",
                          files ? json_incref(files) : json_array());
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    return s;
}


/* ------------------------------------------------------------------ */
/* Stored files of the evidence.                                      */

/* A get_file callback filling a dti_file_got (dtiint.h). */
int dh_dti_on_file(void *closure, const dh_file_row *r)
{
    dti_file_got *g = closure;
    g->meta = json_pack("{s:I,s:s,s:s,s:I,s:s,s:s,s:s,s:I}", "id", (json_int_t)r->id, "name",
                        r->name, "type", r->type, "size", (json_int_t)r->size, "sha256",
                        r->sha256, "unit", r->unit, "uploaded_by", r->uploaded_by,
                        "created_at", (json_int_t)r->created_at);
    if (r->data) {
        g->data = dh_xmalloc(r->size + 1);
        memcpy(g->data, r->data, r->size);
        g->len = r->size;
    }
    return 0;
}

dh_status dh_dti_files_meta(dh_conn *c, json_t *ids, json_t **out, dh_err *e)
{
    *out = json_array();
    size_t j;
    json_t *id;
    json_array_foreach(ids, j, id)
    {
        dti_file_got g = {0};
        dh_status st = DH_PLANS(c)->get_file(c, json_integer_value(id), false, dh_dti_on_file, &g, e);
        if (st) {
            json_decref(*out);
            *out = NULL;
            return st;
        }
        json_array_append_new(*out, g.meta);
    }
    return DH_OK;
}

/* ------------------------------------------------------------------ */
/* Scoring an assessment (kpi criteria computed).                     */

/* The dossier figures of a unit's subtree over a year, loaded once. */
typedef struct kpi_src {
    bool loaded;
    dh_kfigures f;
} kpi_src;

static dh_status kpi_load(dh_app *app, const dh_unitreg *reg, const char *unit, int year,
                          dh_date today, kpi_src *k, dh_err *e)
{
    if (k->loaded)
        return DH_OK;
    dh_date from = dh_date_from_ymd(year, 1, 1), to = dh_date_from_ymd(year, 12, 31);
    if (to > today)
        to = today;
    int32_t root = dh_unitreg_find(reg, unit);
    json_t *arr = json_array();
    json_array_append_new(arr, json_string(unit));
    /* The subtree as it stood at the end of the year (or today). */
    for (size_t i = 0; root >= 0 && i < reg->n; i++)
        if ((int32_t)i != root &&
            dh_access_allows(reg, DH_ROLE_VIEWER, root, DH_ACT_READ, (int32_t)i, to))
            json_array_append_new(arr, json_string(reg->u[i].code));
    char *units = json_dumps(arr, JSON_COMPACT);
    json_decref(arr);
    dh_agg_group *g = NULL;
    size_t n = 0;
    memset(&k->f, 0, sizeof k->f);
    dh_status st = from <= to
                       ? dh_agg_query(app, units, DH_GROUP_NONE, false, from, to, today, &g, &n, e)
                       : DH_OK;
    free(units);
    if (st)
        return st;
    if (n)
        k->f = g[0].f;
    dh_agg_groups_free(g, n);
    k->loaded = true;
    return DH_OK;
}

/* Numerator and denominator of a kpi source (II.06a and the KPIs of
 * reports.c); false with a reason when the system cannot compute it. */
static bool kpi_figures(const dh_kfigures *f, const char *source, int64_t *num, int64_t *den,
                        const char **reason)
{
    int64_t fresh = f->received_online + f->received_counter_postal;
    *reason = NULL;
    if (!strcmp(source, "on_time_rate"))
        *num = f->early + f->on_time, *den = f->resolved_total,
        *reason = "không có hồ sơ đã giải quyết trong năm";
    else if (!strcmp(source, "online_rate"))
        *num = f->received_online, *den = fresh, *reason = "không có hồ sơ tiếp nhận trong năm";
    else if (!strcmp(source, "online_by_applicant_rate"))
        *num = f->received_by_applicant, *den = fresh,
        *reason = "không có hồ sơ tiếp nhận trong năm";
    else if (!strcmp(source, "online_payment_rate"))
        *num = f->paid_online, *den = f->paid, *reason = "không có hồ sơ nộp phí, lệ phí trong năm";
    else if (!strcmp(source, "satisfaction_rate"))
        *num = f->satisfied, *den = f->rated, *reason = "không có đánh giá nào trong năm";
    else {
        *num = *den = 0;
        *reason = "nguồn này chưa được tính tự động (nhập điểm hoặc giá trị)";
        return false;
    }
    return *den > 0;
}

/* plan_coverage: of the tasks that plans of other issuers in force during
 * the year assign to the unit (it leads them), how many its own plans
 * implement (dh_app_plan_coverage, summed over those plans). */
static dh_status plan_cov(dh_app *app, const char *unit, int year, dh_date today, int64_t *num,
                          int64_t *den, dh_err *e)
{
    *num = *den = 0;
    const dh_planbook *b = pb_acquire(app, e);
    if (!b)
        return e->status;
    dh_date jan1 = dh_date_from_ymd(year, 1, 1), dec31 = dh_date_from_ymd(year, 12, 31);
    dh_actor sys;
    dh_actor_cli(&sys); /* plans are readable by every signed-in user */
    time_t now = (time_t)today * 86400 + 12 * 3600;
    dh_status st = DH_OK;
    for (size_t i = 0; i < b->np && st == DH_OK; i++) {
        const pb_plan *p = &b->p[i];
        dh_date from = p->period_from != DH_DATE_NONE ? p->period_from : pb_plan_ref_date(p);
        dh_date to = p->period_to;
        if (!strcmp(p->issuer, unit) || from == DH_DATE_NONE || from > dec31 ||
            (to != DH_DATE_NONE && to < jan1))
            continue;
        json_t *out = NULL;
        st = dh_app_plan_coverage(app, &sys, p->key, unit, now, &out, e);
        if (st == DH_OK) {
            *den += json_integer_value(json_object_get(out, "assigned"));
            *num += json_integer_value(json_object_get(out, "covered_count"));
        }
        json_decref(out);
    }
    pb_release(app, b);
    return st;
}

typedef struct scored {
    int64_t id;
    char *unit, *status;
    int revision;
    bool synthetic;
    dh_dti_entry *en;
    dh_dti_entry printed;
    dh_dti_result r;
    json_t *kpis;     /* the computed criteria with their figures */
    json_t *comments; /* per code: evidence, note, comment (non-empty ones) */
    json_t *tasks;    /* per code: the id of its remediation task */
} scored;

static void scored_free(scored *s)
{
    free(s->unit);
    free(s->status);
    free(s->en);
    dh_dti_result_free(&s->r);
    json_decref(s->kpis);
    json_decref(s->comments);
    json_decref(s->tasks);
    memset(s, 0, sizeof *s);
}

typedef struct entries_cl {
    const dti_fw *fw;
    scored *s;
} entries_cl;

static int on_entry(void *closure, const dh_dti_entry_row *r)
{
    entries_cl *cl = closure;
    if (!strcmp(r->code, "TOTAL")) {
        cl->s->printed = (dh_dti_entry){r->has_points, r->points, false, 0, r->line};
        return 0;
    }
    long i = dh_dti_find(cl->fw->nodes, cl->fw->n, r->code);
    if (i < 0)
        return 0;
    dh_dti_entry *d = &cl->s->en[i];
    bool appraised = r->has_points || r->has_value;
    *d = (dh_dti_entry){appraised ? r->has_points : r->has_self_points,
                        appraised ? r->points : r->self_points,
                        appraised ? r->has_value : r->has_self_value,
                        appraised ? r->value : r->self_value, r->line};
    if (r->task_id)
        json_object_set_new(cl->s->tasks, r->code, json_integer(r->task_id));
    if (*r->evidence || *r->note || *r->comment) {
        /* The evidence text, and the ids of the evidence files attached
         * (described by dh_app_dti_score). */
        char *text = dh_dti_ev_text(r->evidence);
        json_object_set_new(cl->s->comments, r->code,
                            json_pack("{s:s,s:o,s:s,s:s}", "evidence", text, "evidence_files",
                                      dh_dti_ev_files(r->evidence), "note", r->note, "comment",
                                      r->comment));
        free(text);
    }
    return 0;
}

static bool ancestor_given(const dti_fw *fw, const dh_dti_entry *en, size_t i)
{
    long p = dh_dti_parent_of(fw->nodes, fw->n, i);
    for (size_t k = 0; p >= 0 && k < fw->n; k++) {
        if (en[p].has_points)
            return true;
        p = dh_dti_parent_of(fw->nodes, fw->n, (size_t)p);
    }
    return false;
}

/* Scores assessment `row` of framework fw: its entries, its kpi criteria
 * computed, then core/dti.c. */
static dh_status score_one(dh_app *app, dh_conn *c, const dh_unitreg *reg, const dti_fw *fw,
                           const dh_dti_assessment_row *row, dh_date today, scored *s, dh_err *e)
{
    memset(s, 0, sizeof *s);
    s->id = row->id;
    s->unit = strdup(row->unit);
    s->status = strdup(row->status);
    s->revision = row->revision;
    s->synthetic = row->synthetic;
    s->en = calloc(fw->n ? fw->n : 1, sizeof *s->en);
    s->kpis = json_array();
    s->comments = json_object();
    s->tasks = json_object();
    entries_cl cl = {fw, s};
    dh_status st = DH_DTI(c)->list_entries(c, row->id, on_entry, &cl, e);
    if (st == DH_OK && row->has_printed && !s->printed.has_points)
        s->printed = (dh_dti_entry){true, row->printed_total, false, 0, row->printed_line};
    kpi_src k = {0};
    for (size_t i = 0; i < fw->n && st == DH_OK; i++) {
        const dh_dti_node *d = &fw->nodes[i];
        if (d->method != DH_DTI_KPI || s->en[i].has_points || s->en[i].has_value ||
            ancestor_given(fw, s->en, i))
            continue;
        if ((st = kpi_load(app, reg, row->unit, row->year, today, &k, e)))
            break;
        int64_t num, den;
        const char *reason;
        json_t *o = json_pack("{s:s,s:s}", "code", d->code, "source", d->source);
        bool ok;
        if (!strcmp(d->source, "plan_coverage")) {
            st = plan_cov(app, row->unit, row->year, today, &num, &den, e);
            ok = st == DH_OK && den > 0;
            reason = "không có nhiệm vụ nào của kế hoạch cấp trên giao đơn vị chủ trì trong năm";
        } else {
            ok = kpi_figures(&k.f, d->source, &num, &den, &reason);
        }
        if (st) {
            json_decref(o);
            break;
        }
        if (ok) {
            double v = 100.0 * (double)num / (double)den;
            s->en[i] = (dh_dti_entry){false, 0, true, v, 0};
            json_object_set_new(o, "numerator", json_integer(num));
            json_object_set_new(o, "denominator", json_integer(den));
            json_object_set_new(o, "value", dh_dti_num_json(v));
            json_object_set_new(o, "threshold", dh_dti_num_json(d->threshold > 0 ? d->threshold : 100));
            json_object_set_new(o, "points",
                                dh_dti_num_json(dh_dti_ratio_points(d->max_points, d->threshold, v)));
        } else {
            json_object_set_new(o, "numerator", json_integer(num));
            json_object_set_new(o, "denominator", json_integer(den));
            json_object_set_new(o, "value", json_null());
            json_object_set_new(o, "na_reason", json_string(reason));
        }
        json_array_append_new(s->kpis, o);
    }
    if (st == DH_OK &&
        dh_dti_score(fw->nodes, fw->n, s->en, s->printed.has_points ? &s->printed : NULL, &s->r))
        st = dh_err_set(e, DH_E_INTERNAL, "no_memory", NULL, "out of memory scoring");
    if (st)
        scored_free(s);
    return st;
}

json_t *dh_dti_warnings_json(const dh_dti_result *r, const char *unit)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < r->nwarnings; i++) {
        const dh_dti_warning *w = &r->warnings[i];
        json_t *o = json_pack("{s:s,s:I,s:o,s:o,s:s}", "code", w->code, "line", (json_int_t)w->line,
                              "printed", dh_dti_num_json(w->printed), "computed", dh_dti_num_json(w->computed),
                              "message", w->message);
        if (unit)
            json_object_set_new(o, "unit", json_string(unit));
        json_array_append_new(arr, o);
    }
    return arr;
}

/* Every assessment of fw, scored, in store order (year, unit). */
typedef struct all_cl {
    dh_app *app;
    dh_conn *c;
    const dh_unitreg *reg;
    const dti_fw *fw;
    dh_date today;
    scored *v;
    dti_arows rows; /* scored after the list is read */
} all_cl;

int dh_dti_arows_add(void *closure, const dh_dti_assessment_row *r)
{
    dti_arows *l = closure;
    l->v = realloc(l->v, (l->n + 1) * sizeof *l->v);
    dh_dti_assessment_row *c = &l->v[l->n++];
    *c = *r;
    c->unit = strdup(r->unit);
    c->status = strdup(r->status);
    c->warnings_json = strdup(r->warnings_json);
    c->source = strdup(r->source);
    return 0;
}

void dh_dti_arows_free(dti_arows *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free((char *)l->v[i].unit);
        free((char *)l->v[i].status);
        free((char *)l->v[i].warnings_json);
        free((char *)l->v[i].source);
    }
    free(l->v);
    memset(l, 0, sizeof *l);
}

static void all_free(all_cl *cl)
{
    for (size_t i = 0; cl->v && i < cl->rows.n; i++)
        scored_free(&cl->v[i]);
    free(cl->v);
    dh_dti_arows_free(&cl->rows);
}

static dh_status score_all(all_cl *cl, dh_err *e)
{
    dh_status st =
        DH_DTI(cl->c)->list_assessments(cl->c, cl->fw->id, NULL, dh_dti_arows_add, &cl->rows, e);
    if (st)
        return st;
    cl->v = calloc(cl->rows.n ? cl->rows.n : 1, sizeof *cl->v);
    for (size_t i = 0; i < cl->rows.n && st == DH_OK; i++)
        st = score_one(cl->app, cl->c, cl->reg, cl->fw, &cl->rows.v[i], cl->today, &cl->v[i], e);
    return st;
}

/* The ranking of cl's assessments: items by rank, each with its index. */
static dh_dti_rank_item *rank_all(const all_cl *cl)
{
    size_t n = cl->rows.n;
    dh_dti_rank_item *it = calloc(n ? n : 1, sizeof *it);
    for (size_t i = 0; i < n; i++)
        it[i] = (dh_dti_rank_item){cl->v[i].unit, cl->v[i].r.total, 0, (void *)&cl->v[i]};
    dh_dti_rank(it, n);
    return it;
}

/* ------------------------------------------------------------------ */
/* Scorecard and ranking.                                             */

/* The remediation task `code` of s is linked to, with its state on today
 * (NULL when none). */
static json_t *task_of(const scored *s, const char *code, const dh_planbook *pb, dh_date today)
{
    json_t *id = json_object_get(s->tasks, code);
    if (!id)
        return NULL;
    json_t *o = json_pack("{s:I}", "id", json_integer_value(id));
    size_t k = pb ? pb_task_by_id(pb, json_integer_value(id)) : PB_NONE;
    if (k != PB_NONE) {
        dh_task_status st;
        int percent;
        pb_task_status(&pb->t[k], today, &st, &percent);
        json_object_set_new(o, "state", json_string(dh_task_state_name(st.state)));
        json_object_set_new(o, "done",
                            json_boolean(st.state == DH_TS_DONE || st.state == DH_TS_DONE_LATE));
        if (pb->t[k].plan != PB_NONE)
            json_object_set_new(o, "plan", json_string(pb->p[pb->t[k].plan].key));
        json_object_set_new(o, "ordinal", json_incref(json_object_get(pb->t[k].j, "ordinal")));
    }
    return o;
}

/* Per criterion that lost points the year before and had a remediation
 * task: whether the task was done and whether the points came back. */
static json_t *remediation_json(const dti_fw *fw, const scored *s, const dti_fw *prev_fw,
                                const scored *prev, const dh_planbook *pb, dh_date today)
{
    json_t *arr = json_array();
    dh_dti_lost *lost = calloc(prev_fw->n ? prev_fw->n : 1, sizeof *lost);
    size_t nl = dh_dti_lost_points(prev_fw->nodes, prev_fw->n, &prev->r, lost);
    for (size_t i = 0; i < nl; i++) {
        const dh_dti_node *d = &prev_fw->nodes[lost[i].node];
        json_t *task = task_of(prev, d->code, pb, today);
        if (!task)
            continue;
        long now_i = dh_dti_find(fw->nodes, fw->n, d->code);
        json_t *o = json_pack("{s:s,s:s,s:o,s:o}", "code", d->code, "name", d->name, "lost_before",
                              dh_dti_num_json(lost[i].lost), "task", task);
        if (now_i >= 0 && s->r.known[now_i]) {
            double now_lost = fw->nodes[now_i].max_points - s->r.points[now_i];
            json_object_set_new(o, "lost_now", dh_dti_num_json(now_lost));
            json_object_set_new(o, "points_back", dh_dti_num_json(lost[i].lost - now_lost));
            json_object_set_new(o, "recovered", json_boolean(now_lost < DH_DTI_EPS));
        } else {
            json_object_set_new(o, "lost_now", json_null());
            json_object_set_new(o, "recovered", json_null());
        }
        json_array_append_new(arr, o);
    }
    free(lost);
    return arr;
}

static json_t *scorecard_json(const dti_fw *fw, const scored *s, const dh_dti_rank_item *it,
                              size_t n, const dti_fw *prev_fw, const scored *prev,
                              const dh_planbook *pb, dh_date today)
{
    int rank = 0;
    for (size_t i = 0; i < n; i++)
        if (it[i].data == s)
            rank = it[i].rank;
    json_t *o =
        json_pack("{s:s,s:s,s:i,s:s,s:o,s:o,s:i,s:I}", "unit", s->unit, "framework", fw->code,
                  "year", fw->year, "status", s->status, "total", dh_dti_num_json(s->r.total), "max",
                  dh_dti_num_json(s->r.max), "rank", rank, "of", (json_int_t)n);
    json_t *pillars = json_array();
    for (size_t i = 0; i < fw->n; i++) {
        const dh_dti_node *d = &fw->nodes[i];
        if (d->parent && *d->parent)
            continue;
        json_t *p = json_pack("{s:s,s:s,s:o,s:o,s:o}", "code", d->code, "name", d->name, "points",
                              dh_dti_num_json(s->r.points[i]), "max", dh_dti_num_json(d->max_points), "share",
                              d->max_points > 0 ? dh_dti_num_json(100.0 * s->r.points[i] / d->max_points)
                                                : json_null());
        long pi = prev ? dh_dti_find(prev_fw->nodes, prev_fw->n, d->code) : -1;
        if (pi >= 0) {
            json_object_set_new(p, "previous", dh_dti_num_json(prev->r.points[pi]));
            json_object_set_new(p, "change", dh_dti_num_json(s->r.points[i] - prev->r.points[pi]));
        }
        json_array_append_new(pillars, p);
    }
    json_object_set_new(o, "pillars", pillars);
    dh_dti_lost *lost = calloc(fw->n ? fw->n : 1, sizeof *lost);
    size_t nl = dh_dti_lost_points(fw->nodes, fw->n, &s->r, lost);
    json_t *la = json_array();
    for (size_t i = 0; i < nl; i++) {
        const dh_dti_node *d = &fw->nodes[lost[i].node];
        json_t *l = json_pack("{s:s,s:s,s:s,s:o}", "code", d->code, "name", d->name, "pillar",
                              fw->nodes[lost[i].pillar].code, "lost", dh_dti_num_json(lost[i].lost));
        if (lost[i].unscored)
            json_object_set_new(l, "unscored", json_true());
        if (*fw->responsible[lost[i].node])
            json_object_set_new(l, "responsible", json_string(fw->responsible[lost[i].node]));
        json_t *task = task_of(s, d->code, pb, today);
        if (task)
            json_object_set_new(l, "task", task);
        json_array_append_new(la, l);
    }
    free(lost);
    json_object_set_new(o, "lost", la);
    json_object_set_new(o, "warnings", dh_dti_warnings_json(&s->r, NULL));
    json_object_set_new(o, "printed_total",
                        s->printed.has_points ? dh_dti_num_json(s->printed.points) : json_null());
    json_object_set_new(o, "kpis", json_incref(s->kpis));
    json_object_set_new(o, "notes", json_incref(s->comments));
    json_object_set_new(o, "revision", json_integer(s->revision));
    if (s->synthetic)
        json_object_set_new(o, "synthetic", json_true());
    /* Every criterion with a remediation task, in framework order. */
    json_t *rem = json_array();
    for (size_t i = 0; i < fw->n; i++) {
        json_t *task = task_of(s, fw->nodes[i].code, pb, today);
        if (task)
            json_array_append_new(rem,
                                  json_pack("{s:s,s:s,s:s,s:o}", "code", fw->nodes[i].code, "name",
                                            fw->nodes[i].name, "pillar",
                                            fw->nodes[dh_dti_pillar_of(fw->nodes, fw->n, i)].code,
                                            "task", task));
    }
    json_object_set_new(o, "tasks", rem);
    if (prev)
        json_object_set_new(o, "remediation", remediation_json(fw, s, prev_fw, prev, pb, today));
    return o;
}

dh_status dh_app_dti_score(dh_app *app, const dh_actor *a, const char *unit, const char *framework,
                           int year, time_t now, json_t **out, dh_err *e)
{
    *out = NULL;
    const dh_unitreg *reg = dh_app_units_acquire(app, e);
    if (!reg)
        return e->status;
    dh_date today = dh_date_of_time_vn(now), end = dh_date_from_ymd(year, 12, 31);
    int32_t u = unit ? dh_unitreg_find(reg, unit) : -1;
    if (u < 0) {
        dh_app_units_release(app, reg);
        return dh_err_set(e, DH_E_NOTFOUND, "unknown_unit", "unit", "unknown unit '%s'",
                          unit ? unit : "");
    }
    if (!dh_access_allows(reg, a->role, dh_app_actor_scope(reg, a), DH_ACT_READ, u,
                          end < today ? end : today)) {
        dh_app_units_release(app, reg);
        return dh_app_deny(app, a, "read", "dti_assessment", framework ? framework : "", unit, now,
                           e, "read the DTI scorecard of a unit outside their own");
    }
    dh_conn *c = dh_app_read_begin(app, e);
    if (!c) {
        dh_app_units_release(app, reg);
        return e->status;
    }
    dti_fw fw, pfw = {0};
    all_cl cl = {app, c, reg, &fw, today, NULL, {0}};
    all_cl pcl = {app, c, reg, &pfw, today, NULL, {0}};
    dh_status st = dh_dti_fw_load(c, framework ? framework : "", year, &fw, e);
    if (st) {
        dh_app_read_end(c);
        dh_app_units_release(app, reg);
        return st;
    }
    st = score_all(&cl, e);
    const scored *mine = NULL, *prev = NULL;
    for (size_t i = 0; st == DH_OK && i < cl.rows.n; i++)
        if (!strcmp(cl.v[i].unit, unit))
            mine = &cl.v[i];
    if (st == DH_OK && !mine)
        st = dh_err_set(e, DH_E_NOTFOUND, "no_assessment", "unit",
                        "unit '%s' has no assessment on framework '%s' of %d", unit, framework,
                        year);
    /* Year over year: the same framework code a year earlier, if assessed. */
    dh_err pe;
    if (st == DH_OK && dh_dti_fw_load(c, framework, year - 1, &pfw, &pe) == DH_OK) {
        if (DH_DTI(c)->list_assessments(c, pfw.id, unit, dh_dti_arows_add, &pcl.rows, &pe) ==
                DH_OK &&
            pcl.rows.n == 1) {
            pcl.v = calloc(1, sizeof *pcl.v);
            if (score_one(app, c, reg, &pfw, &pcl.rows.v[0], today, &pcl.v[0], &pe) == DH_OK)
                prev = &pcl.v[0];
        }
    }
    if (st == DH_OK) {
        dh_dti_rank_item *it = rank_all(&cl);
        dh_err pbe;
        const dh_planbook *pb = pb_acquire(app, &pbe);
        *out = scorecard_json(&fw, mine, it, cl.rows.n, &pfw, prev, pb, today);
        if (pb)
            pb_release(app, pb);
        char name[256];
        dh_app_reg_unit_name(reg, unit, end, name, sizeof name);
        json_object_set_new(*out, "name", json_string(name));
        json_object_set_new(*out, "framework_name", json_string(fw.name));
        json_object_set_new(*out, "level", json_string(fw.level));
        free(it);
        /* The evidence files by name (this scorecard only, not the ranking). */
        const char *k;
        json_t *v, *meta;
        json_object_foreach(json_object_get(*out, "notes"), k, v)
        {
            if (st == DH_OK &&
                (st = dh_dti_files_meta(c, json_object_get(v, "evidence_files"), &meta, e)) ==
                    DH_OK)
                json_object_set_new(v, "evidence_files", meta);
        }
        if (st) {
            json_decref(*out);
            *out = NULL;
        }
    }
    all_free(&pcl);
    all_free(&cl);
    dh_dti_fw_free(&fw);
    dh_dti_fw_free(&pfw);
    dh_app_read_end(c);
    dh_app_units_release(app, reg);
    return st;
}

dh_status dh_app_dti_rank(dh_app *app, const dh_actor *a, const char *framework, int year,
                          time_t now, json_t **out, dh_err *e)
{
    *out = NULL;
    const dh_unitreg *reg = dh_app_units_acquire(app, e);
    if (!reg)
        return e->status;
    dh_date today = dh_date_of_time_vn(now), end = dh_date_from_ymd(year, 12, 31);
    dh_conn *c = dh_app_read_begin(app, e);
    if (!c) {
        dh_app_units_release(app, reg);
        return e->status;
    }
    dti_fw fw;
    all_cl cl = {app, c, reg, &fw, today, NULL, {0}};
    dh_status st = dh_dti_fw_load(c, framework ? framework : "", year, &fw, e);
    if (st == DH_OK) {
        st = score_all(&cl, e);
        if (st == DH_OK) {
            dh_dti_rank_item *it = rank_all(&cl);
            json_t *items = json_array();
            for (size_t i = 0; i < cl.rows.n; i++) {
                const scored *s = it[i].data;
                char name[256];
                dh_app_reg_unit_name(reg, s->unit, end, name, sizeof name);
                json_t *o = json_pack("{s:s,s:s,s:o,s:i}", "unit", s->unit, "name", name, "total",
                                      dh_dti_num_json(s->r.total), "rank", it[i].rank);
                json_object_set_new(o, "printed_total",
                                    s->printed.has_points ? dh_dti_num_json(s->printed.points)
                                                          : json_null());
                json_object_set_new(o, "status", json_string(s->status));
                json_object_set_new(o, "warnings", json_integer((json_int_t)s->r.nwarnings));
                if (s->synthetic)
                    json_object_set_new(o, "synthetic", json_true());
                json_array_append_new(items, o);
            }
            free(it);
            *out =
                json_pack("{s:s,s:s,s:i,s:o,s:o}", "framework", fw.code, "name", fw.name, "year",
                          fw.year, "max", dh_dti_num_json(cl.rows.n ? cl.v[0].r.max : 0), "items", items);
        }
        all_free(&cl);
        dh_dti_fw_free(&fw);
    }
    dh_app_read_end(c);
    dh_app_units_release(app, reg);
    return st;
}

static int on_fw_json(void *closure, const dh_dti_framework_row *r)
{
    json_array_append_new(closure, json_pack("{s:s,s:s,s:s,s:i}", "code", r->code, "name", r->name,
                                             "level", r->level, "year", r->year));
    return 0;
}

dh_status dh_app_dti_frameworks(dh_app *app, const dh_actor *a, json_t **out, dh_err *e)
{
    *out = NULL;
    dh_conn *c = dh_app_read_begin(app, e);
    if (!c)
        return e->status;
    json_t *items = json_array();
    dh_status st = DH_DTI(c)->list_frameworks(c, NULL, 0, on_fw_json, items, e);
    dh_app_read_end(c);
    if (st)
        json_decref(items);
    else
        *out = json_pack("{s:o}", "items", items);
    return st;
}
