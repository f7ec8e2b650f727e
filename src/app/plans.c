/* plans.c - plans themselves: create, change, list, show, and the coverage
 * of a higher plan by the plans of one unit. The plan book is in
 * planbook.c, stored files in files.c. */
#include <stdlib.h>
#include <string.h>

#include "app/planbook.h"

/* ------------------------------------------------------------------ */
/* Plans.                                                             */

static size_t parents_of(void *closure, size_t plan, const size_t **parents)
{
    const dh_planbook *b = closure;
    *parents = b->p[plan].parents;
    return b->p[plan].nparents;
}

/* Reads "implements" (an array of plan references) into parent ids (plans
 * held here) and citations (the rest); refuses a cycle through plan
 * `self` (PB_NONE for a new plan). */
static dh_status read_implements(const dh_planbook *b, size_t self, json_t *impl,
                                 json_t **ids, json_t **cites, dh_err *e)
{
    *ids = json_array();
    *cites = json_array();
    if (!impl || json_is_null(impl))
        return DH_OK;
    if (!json_is_array(impl) || json_array_size(impl) > 64)
        return dh_err_set(e, DH_E_INVALID, "invalid_type", "implements",
                          "implements must be an array of plan numbers or keys (at most 64)");
    size_t *idx = dh_xcalloc(json_array_size(impl) + 1, sizeof *idx);
    size_t np = 0, i;
    json_t *v;
    json_array_foreach(impl, i, v)
    {
        if (!json_is_string(v) || !*json_string_value(v)) {
            free(idx);
            return dh_err_set(e, DH_E_INVALID, "invalid_type", "implements",
                              "implements[%zu] must be a plan number or key", i);
        }
        size_t q = pb_plan_find(b, json_string_value(v));
        if (q == PB_NONE) {
            json_array_append(*cites, v);
        } else {
            idx[np++] = q;
            json_array_append_new(*ids, json_integer(b->p[q].id));
        }
    }
    bool cycle = self != PB_NONE &&
                 dh_plan_would_cycle(b->np, self, idx, np, parents_of, (void *)b);
    free(idx);
    if (cycle)
        return dh_err_set(e, DH_E_CONFLICT, "plan_cycle", "implements",
                          "plan %s cannot implement these plans: one of them already "
                          "implements it (directly or through others)",
                          b->p[self].key);
    return DH_OK;
}

static const char *const plan_statuses[] = {"draft", "active", "closed", NULL};

static bool one_of(const char *s, const char *const *v)
{
    for (; *v; v++)
        if (strcmp(s, *v) == 0)
            return true;
    return false;
}

/* Fills doc from body (create: every field; patch: the ones given). */
static dh_status plan_fields(dh_tx *tx, const dh_actor *a, const dh_planbook *b, size_t self,
                             json_t *body,
                             json_t *doc, bool create, dh_err *e)
{
    static const char *const texts[] = {"key", "number", "type", "issuer", "title", "note",
                                        "status"};
    dh_status st;
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        if (!create && !json_object_get(body, texts[i]))
            continue;
        char *s = NULL;
        bool req = create && (strcmp(texts[i], "issuer") == 0 || strcmp(texts[i], "title") == 0);
        if ((st = dh_json_text(body, texts[i], req, &s, e)))
            return st;
        if (s && strlen(s) > (strcmp(texts[i], "note") == 0 || strcmp(texts[i], "title") == 0
                                  ? 4000 : 200)) {
            free(s);
            return dh_err_set(e, DH_E_INVALID, "too_long", texts[i], "%s is too long", texts[i]);
        }
        json_object_set_new(doc, texts[i], json_string(s ? s : ""));
        free(s);
    }
    if (create && !*pb_str_of(doc, "status"))
        json_object_set_new(doc, "status", json_string("active"));
    if (!one_of(pb_str_of(doc, "status"), plan_statuses))
        return dh_err_set(e, DH_E_INVALID, "invalid_status", "status",
                          "status must be draft, active or closed");
    if (create && !*pb_str_of(doc, "key"))
        json_object_set_new(doc, "key", json_string(pb_str_of(doc, "number")));
    if (!*pb_str_of(doc, "key"))
        return dh_err_set(e, DH_E_INVALID, "missing_field", "number",
                          "a plan needs its number (e.g. 1683/QĐ-UBND) or, when the document "
                          "prints none, a key");
    size_t other = pb_plan_find(b, pb_str_of(doc, "key"));
    if (other != PB_NONE && other != self && strcmp(b->p[other].key, pb_str_of(doc, "key")) == 0)
        return dh_err_set(e, DH_E_CONFLICT, "duplicate_plan", "key", "plan %s already exists",
                          pb_str_of(doc, "key"));
    static const char *const dates[] = {"date", "period_from", "period_to"};
    for (size_t i = 0; i < 3; i++) {
        if (!create && !json_object_get(body, dates[i]))
            continue;
        dh_date d;
        if ((st = dh_json_date(body, dates[i], false, &d, e)))
            return st;
        json_object_set_new(doc, dates[i], pb_date_json(d));
    }
    /* The term: as given, else read from the printed title ("năm 2024",
     * "giai đoạn 2023-2025", "đến năm 2025"). */
    if (create && !json_object_get(body, "period_from") && !json_object_get(body, "period_to")) {
        dh_date tf, tt;
        int horizon;
        const char *why;
        if (dh_plan_term_parse(pb_str_of(doc, "title"), pb_json_date(json_object_get(doc, "date")),
                               &tf, &tt, &horizon, &why) == 0) {
            json_object_set_new(doc, "period_from", pb_date_json(tf));
            json_object_set_new(doc, "period_to", pb_date_json(tt));
        }
    }
    dh_date pf = pb_json_date(json_object_get(doc, "period_from"));
    dh_date pt = pb_json_date(json_object_get(doc, "period_to"));
    if (pf != DH_DATE_NONE && pt != DH_DATE_NONE && pt < pf) {
        char a1[11], a2[11];
        dh_date_format(pf, a1);
        dh_date_format(pt, a2);
        return dh_err_set(e, DH_E_INVALID, "invalid_period", "period_to",
                          "the plan's term ends (period_to %s) before it starts (period_from %s)",
                          a2, a1);
    }
    if (create || json_object_get(body, "implements")) {
        json_t *ids, *cites;
        st = read_implements(b, self, json_object_get(body, "implements"), &ids, &cites, e);
        json_object_set_new(doc, "parent_ids", ids);
        json_object_set_new(doc, "cites", cites);
        if (st)
            return st;
    }
    if (create || json_object_get(body, "document_file")) {
        json_t *f = json_object_get(body, "document_file");
        if (f && !json_is_null(f)) {
            json_t *arr = json_pack("[O]", f);
            st = pb_check_files(tx->c, b, a, arr, "document_file", e);
            json_decref(arr);
            if (st)
                return st;
            json_object_set(doc, "document_file", f);
        } else {
            json_object_set_new(doc, "document_file", json_null());
        }
    }
    int32_t u = dh_unitreg_find(tx->reg, pb_str_of(doc, "issuer"));
    if (u < 0)
        return dh_err_set(e, DH_E_INVALID, "unknown_unit", "issuer", "unit '%s' does not exist",
                          pb_str_of(doc, "issuer"));
    return DH_OK;
}

static dh_date plan_access_date(json_t *doc, dh_date today)
{
    dh_date d = pb_json_date(json_object_get(doc, "date"));
    if (d == DH_DATE_NONE)
        d = pb_json_date(json_object_get(doc, "period_from"));
    return d != DH_DATE_NONE && d < today ? d : today;
}

static bool may_write_unit(const dh_unitreg *r, const dh_actor *a, const char *code, dh_date d)
{
    int32_t u = dh_unitreg_find(r, code);
    if (u < 0)
        return a->role == DH_ROLE_ADMIN;
    return dh_access_allows(r, a->role, dh_app_actor_scope(r, a), DH_ACT_WRITE, u, d);
}

/* The plan's term: {from, to, horizon, source, ended}; source "title" when
 * the stored term is the one its title prints, "set" when a person gave
 * another, "none" when it has none. */
json_t *pb_term_json(const pb_plan *p, dh_date today)
{
    dh_date tf, tt;
    int horizon = 0;
    const char *why;
    const char *title = pb_str_of(p->j, "title");
    bool parsed = dh_plan_term_parse(title, p->date, &tf, &tt, &horizon, &why) == 0;
    const char *source = p->period_from == DH_DATE_NONE && p->period_to == DH_DATE_NONE ? "none"
                         : parsed && tf == p->period_from && tt == p->period_to      ? "title"
                                                                                     : "set";
    return json_pack("{s:o,s:o,s:o,s:s,s:b}", "from", pb_date_json(p->period_from), "to",
                     pb_date_json(p->period_to), "horizon",
                     horizon ? json_integer(horizon) : json_null(), "source", source, "ended",
                     pb_term_ended(p, today));
}

json_t *pb_plan_json(const dh_planbook *b, size_t i, dh_date today);
json_t *pb_plan_json(const dh_planbook *b, size_t i, dh_date today)
{
    const pb_plan *p = &b->p[i];
    json_t *o = json_deep_copy(p->j);
    json_t *impl = json_array();
    for (size_t k = 0; k < p->nparents; k++) {
        const pb_plan *q = &b->p[p->parents[k]];
        json_array_append_new(impl, json_pack("{s:I,s:s,s:s}", "id", (json_int_t)q->id, "key",
                                              q->key, "number", q->number));
    }
    json_object_set_new(o, "implements", impl);
    json_t *children = json_array();
    for (size_t k = 0; k < b->np; k++)
        for (size_t m = 0; m < b->p[k].nparents; m++)
            if (b->p[k].parents[m] == i)
                json_array_append_new(children,
                                      json_pack("{s:I,s:s,s:s,s:s}", "id", (json_int_t)b->p[k].id,
                                                "key", b->p[k].key, "number", b->p[k].number,
                                                "issuer", b->p[k].issuer));
    json_object_set_new(o, "implemented_by", children);
    json_object_set_new(o, "term", pb_term_json(p, today));
    int counts[DH_TS_COUNT] = {0};
    int ntasks = 0, review = 0, owners = 0;
    long pct_sum = 0;
    for (size_t k = 0; k < b->nt; k++) {
        if (b->t[k].plan != i)
            continue;
        dh_task_status s;
        int pct;
        pb_task_status(&b->t[k], today, &s, &pct);
        counts[s.state]++;
        ntasks++;
        pct_sum += s.state == DH_TS_DONE || s.state == DH_TS_DONE_LATE ? 100 : pct < 0 ? 0 : pct;
        review += json_is_true(json_object_get(json_object_get(b->t[k].j, "deadline"),
                                               "needs_review"));
        owners += pb_task_needs_owner(&b->t[k]);
    }
    json_t *by = json_object();
    for (int s = 0; s < DH_TS_COUNT; s++)
        json_object_set_new(by, dh_task_state_name((dh_task_state)s), json_integer(counts[s]));
    json_object_set_new(o, "tasks", json_integer(ntasks));
    json_object_set_new(o, "by_status", by);
    json_object_set_new(o, "needs_review", json_integer(review));
    json_object_set_new(o, "needs_owner", json_integer(owners));
    json_object_set_new(o, "progress", ntasks ? json_integer((pct_sum + ntasks / 2) / ntasks)
                                              : json_null());
    return o;
}

typedef struct plan_write_cl {
    const dh_actor *a;
    const char *ref; /* patch: the plan; NULL to create one */
    json_t *body;
    dh_date today;
    time_t now;
    json_t *out;
} plan_write_cl;

/* Concurrency: reads, inside the write transaction, the whole plan book
 * (every plan, task and update: the key and number must be new, the
 * plans it implements must exist and not form a cycle) and the unit
 * registry (DH_TX_UNITS: the issuer and the actor's subtree), writes the
 * plan and bumps plans_rev in the same transaction. Every write of the
 * book bumps that one counter, so two writers of plans are serialised by
 * the write lock (SQLite) or conflict on plans_rev and one is rerun on
 * the other's book (PostgreSQL); the unique key of plans is the last
 * guard. */
static dh_status plan_create_tx(dh_tx *tx, void *closure, dh_err *e)
{
    plan_write_cl *cl = closure;
    const dh_actor *a = cl->a;
    dh_planbook *b;
    dh_status st = pb_fresh(tx, &cl->out, &b, e);
    if (st)
        return st;
    json_t *doc = json_object();
    st = plan_fields(tx, a, b, PB_NONE, cl->body, doc, true, e);
    if (st == DH_OK && !may_write_unit(tx->reg, a, pb_str_of(doc, "issuer"),
                                       plan_access_date(doc, cl->today)))
        st = dh_tx_deny(tx, a, "create", "plan", pb_str_of(doc, "key"), pb_str_of(doc, "issuer"),
                        cl->now, e, "issue a plan for that unit (outside their subtree)");
    int64_t id = 0;
    if (st == DH_OK)
        st = pb_put_plan(tx->c, doc, cl->now, &id, e);
    if (st == DH_OK) {
        json_object_set_new(doc, "id", json_integer(id));
        json_object_set_new(doc, "created_at", json_integer(cl->now));
        json_object_set_new(doc, "updated_at", json_integer(cl->now));
        st = dh_app_audit(tx->c, a, "create", "plan", pb_str_of(doc, "key"), pb_str_of(doc, "issuer"),
                          "ok", NULL, doc, cl->now, e);
    }
    if (st == DH_OK)
        st = pb_bump(tx->c, e);
    pb_free(b);
    if (st)
        json_decref(doc);
    else
        cl->out = doc;
    return st;
}

dh_status dh_app_plan_create(dh_app *app, const dh_actor *a, json_t *body, time_t now,
                             json_t **out, dh_err *e)
{
    static const char *const allowed[] = {"key",         "number",    "type",   "date",
                                          "issuer",      "title",     "period_from",
                                          "period_to",   "status",    "implements",
                                          "document_file", "note",    NULL};
    *out = NULL;
    dh_status st = dh_json_only(body, allowed, e);
    if (st)
        return st;
    plan_write_cl cl = {a, NULL, body, dh_date_of_time_vn(now), now, NULL};
    return pb_run(app, plan_create_tx, &cl, &cl.out, out, e);
}

/* Concurrency: as plan_create_tx; the plan is read from the book loaded
 * inside the transaction and written back whole. */
static dh_status plan_patch_tx(dh_tx *tx, void *closure, dh_err *e)
{
    plan_write_cl *cl = closure;
    const dh_actor *a = cl->a;
    dh_planbook *b;
    dh_status st = pb_fresh(tx, &cl->out, &b, e);
    if (st)
        return st;
    json_t *doc = NULL, *before = NULL;
    size_t i = pb_plan_find(b, cl->ref);
    if (i == PB_NONE)
        st = dh_err_set(e, DH_E_NOTFOUND, "unknown_plan", "plan", "plan '%s' does not exist",
                        cl->ref);
    if (st == DH_OK) {
        before = json_deep_copy(b->p[i].j);
        doc = json_deep_copy(b->p[i].j);
        if (!may_write_unit(tx->reg, a, b->p[i].issuer, plan_access_date(doc, cl->today)))
            st = dh_tx_deny(tx, a, "update", "plan", b->p[i].key, b->p[i].issuer, cl->now, e,
                            "change a plan of that unit (outside their subtree)");
        else
            st = plan_fields(tx, a, b, i, cl->body, doc, false, e);
    }
    if (st == DH_OK)
        st = pb_put_plan(tx->c, doc, cl->now, NULL, e);
    if (st == DH_OK) {
        json_object_set_new(doc, "updated_at", json_integer(cl->now));
        st = dh_app_audit(tx->c, a, "update", "plan", pb_str_of(doc, "key"), pb_str_of(doc, "issuer"),
                          "ok", before, doc, cl->now, e);
    }
    if (st == DH_OK)
        st = pb_bump(tx->c, e);
    pb_free(b);
    json_decref(before);
    if (st)
        json_decref(doc);
    else
        cl->out = doc;
    return st;
}

dh_status dh_app_plan_patch(dh_app *app, const dh_actor *a, const char *ref, json_t *body,
                            time_t now, json_t **out, dh_err *e)
{
    static const char *const allowed[] = {"number",      "type",      "date",   "title",
                                          "period_from", "period_to", "status", "implements",
                                          "document_file", "note",    NULL};
    *out = NULL;
    dh_status st = dh_json_only(body, allowed, e);
    if (st)
        return st;
    plan_write_cl cl = {a, ref, body, dh_date_of_time_vn(now), now, NULL};
    return pb_run(app, plan_patch_tx, &cl, &cl.out, out, e);
}

dh_status dh_app_plan_list(dh_app *app, const dh_actor *a, time_t now, json_t **items,
                           dh_err *e)
{
    *items = NULL;
    const dh_planbook *b = pb_acquire(app, e);
    if (!b)
        return e->status;
    dh_date today = dh_date_of_time_vn(now);
    json_t *arr = json_array();
    for (size_t i = 0; i < b->np; i++)
        json_array_append_new(arr, pb_plan_json(b, i, today));
    pb_release(app, b);
    *items = arr;
    return DH_OK;
}

dh_status dh_app_plan_get(dh_app *app, const dh_actor *a, const char *ref, time_t now,
                          json_t **out, dh_err *e)
{
    *out = NULL;
    const dh_planbook *b = pb_acquire(app, e);
    if (!b)
        return e->status;
    size_t i = pb_plan_find(b, ref);
    if (i == PB_NONE) {
        pb_release(app, b);
        return dh_err_set(e, DH_E_NOTFOUND, "unknown_plan", "plan", "plan '%s' does not exist",
                          ref);
    }
    dh_date today = dh_date_of_time_vn(now);
    json_t *o = pb_plan_json(b, i, today);
    json_t *tasks = json_array();
    for (size_t k = 0; k < b->nt; k++)
        if (b->t[k].plan == i)
            json_array_append_new(tasks, pb_task_json(b, k, today, NULL, false));
    json_object_set_new(o, "task_list", tasks);
    pb_release(app, b);
    *out = o;
    return DH_OK;
}

/* ------------------------------------------------------------------ */
/* Coverage of a higher plan by the plans of one unit.                */

dh_status dh_app_plan_coverage(dh_app *app, const dh_actor *a, const char *ref,
                               const char *unit, time_t now, json_t **out, dh_err *e)
{
    *out = NULL;
    const dh_unitreg *r = dh_app_units_acquire(app, e);
    if (!r)
        return e->status;
    const dh_planbook *b = pb_acquire(app, e);
    if (!b) {
        dh_app_units_release(app, r);
        return e->status;
    }
    dh_status st = DH_OK;
    size_t pi = pb_plan_find(b, ref);
    if (pi == PB_NONE)
        st = dh_err_set(e, DH_E_NOTFOUND, "unknown_plan", "plan", "plan '%s' does not exist",
                        ref);
    else if (!unit || dh_unitreg_find(r, unit) < 0)
        st = dh_err_set(e, DH_E_INVALID, "unknown_unit", "unit", "unit '%s' does not exist",
                        unit ? unit : "");
    if (st) {
        pb_release(app, b);
        dh_app_units_release(app, r);
        return st;
    }
    dh_date today = dh_date_of_time_vn(now);
    dh_cov_task *ct = dh_xcalloc(b->nt + 1, sizeof *ct);
    size_t *tix = dh_xcalloc(b->nt + 1, sizeof *tix);
    size_t nct = 0;
    for (size_t k = 0; k < b->nt; k++) {
        if (b->t[k].plan != pi)
            continue;
        tix[nct] = k;
        ct[nct++] = (dh_cov_task){b->t[k].id, pb_task_led_by(&b->t[k], unit)};
    }
    dh_cov_impl *im = dh_xcalloc(b->nt + 1, sizeof *im);
    size_t ni = 0;
    for (size_t k = 0; k < b->nt; k++) {
        const pb_task *x = &b->t[k];
        if (!x->parent_id)
            continue;
        dh_task_status s;
        int pct;
        pb_task_status(x, today, &s, &pct);
        bool by = x->plan != PB_NONE && strcmp(b->p[x->plan].issuer, unit) == 0;
        im[ni++] = (dh_cov_impl){x->parent_id, by, pct,
                                 s.state == DH_TS_DONE || s.state == DH_TS_DONE_LATE};
    }
    dh_cov_result *res = dh_xcalloc(nct + 1, sizeof *res);
    size_t nr = dh_plan_coverage(ct, nct, im, ni, res);
    json_t *covered = json_array(), *uncovered = json_array();
    for (size_t k = 0; k < nr; k++) {
        size_t ti = tix[res[k].task];
        const pb_task *t = &b->t[ti];
        json_t *x = json_pack("{s:I,s:s,s:s,s:i,s:o}", "id", (json_int_t)t->id, "ordinal",
                              pb_str_of(t->j, "ordinal"), "content", pb_str_of(t->j, "content"),
                              "implementing", res[k].implementing, "rollup",
                              res[k].rollup >= 0 ? json_integer(res[k].rollup) : json_null());
        json_t *by = json_array();
        for (size_t m = 0; m < b->nt; m++) {
            const pb_task *y = &b->t[m];
            if (y->parent_id == t->id && y->plan != PB_NONE &&
                strcmp(b->p[y->plan].issuer, unit) == 0)
                json_array_append_new(by, json_pack("{s:I,s:s,s:s}", "id", (json_int_t)y->id,
                                                    "plan", b->p[y->plan].key, "ordinal",
                                                    pb_str_of(y->j, "ordinal")));
        }
        json_object_set_new(x, "implemented_by", by);
        json_array_append_new(res[k].covered ? covered : uncovered, x);
    }
    size_t nc = json_array_size(covered), total = nr;
    *out = json_pack("{s:s,s:s,s:i,s:i,s:o,s:o,s:o}", "plan", b->p[pi].key, "unit", unit,
                     "assigned", (int)total, "covered_count", (int)nc, "rate",
                     total ? json_real((double)((long)(nc * 10000 / total)) / 100.0) : json_null(),
                     "covered", covered, "uncovered", uncovered);
    free(ct);
    free(tix);
    free(im);
    free(res);
    pb_release(app, b);
    dh_app_units_release(app, r);
    return DH_OK;
}

