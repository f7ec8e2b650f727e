/* tasks.c - plan tasks and directives: create, change, show, list with
 * filters, progress updates and comments (the inbox is in reminders.c). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "app/planbook.h"
#include "core/uom.h"
#include "util/buf.h"
#include "util/text.h"

static const char *str_of(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

static const char *const report_every[] = {"none", "monthly", "quarterly", "half_yearly",
                                           "yearly", NULL};

static bool one_of(const char *s, const char *const *v)
{
    for (; *v; v++)
        if (strcmp(s, *v) == 0)
            return true;
    return false;
}

/* ------------------------------------------------------------------ */
/* Task fields from a body.                                           */

/* Reads a list of unit codes (each must exist). */
static dh_status unit_list(const dh_unitreg *r, json_t *body, const char *key, bool required,
                           json_t **out, dh_err *e)
{
    json_t *v = json_object_get(body, key);
    *out = NULL;
    if (!v || json_is_null(v)) {
        if (required)
            return dh_err_set(e, DH_E_INVALID, "missing_field", key,
                              "%s: at least one unit code is required", key);
        *out = json_array();
        return DH_OK;
    }
    if (json_is_string(v))
        v = json_pack("[O]", v);
    else
        json_incref(v);
    if (!json_is_array(v) || json_array_size(v) > 500 || (required && !json_array_size(v))) {
        json_decref(v);
        return dh_err_set(e, DH_E_INVALID, "invalid_type", key,
                          "%s must be a non-empty array of unit codes (at most 500)", key);
    }
    json_t *arr = json_array();
    size_t i;
    json_t *x;
    json_array_foreach(v, i, x)
    {
        const char *code = json_string_value(x);
        if (!code || dh_unitreg_find(r, code) < 0) {
            json_decref(v);
            json_decref(arr);
            return dh_err_set(e, DH_E_INVALID, "unknown_unit", key, "%s: unit '%s' does not exist",
                              key, code ? code : "?");
        }
        bool dup = false;
        for (size_t k = 0; k < json_array_size(arr) && !dup; k++)
            dup = strcmp(json_string_value(json_array_get(arr, k)), code) == 0;
        if (!dup)
            json_array_append(arr, x);
    }
    json_decref(v);
    *out = arr;
    return DH_OK;
}

/* Is plan q an ancestor of plan p (through "implements")? */
static bool plan_above(const dh_planbook *b, size_t p, size_t q, int depth)
{
    if (depth > 64)
        return false;
    for (size_t i = 0; i < b->p[p].nparents; i++)
        if (b->p[p].parents[i] == q || plan_above(b, b->p[p].parents[i], q, depth + 1))
            return true;
    return false;
}

static dh_status text_field(json_t *body, json_t *doc, const char *key, const char *as,
                            bool create, bool required, size_t max, dh_err *e)
{
    if (!create && !json_object_get(body, key))
        return DH_OK;
    char *s = NULL;
    dh_status st = dh_json_text(body, key, required, &s, e);
    if (st)
        return st;
    if (s && strlen(s) > max) {
        free(s);
        return dh_err_set(e, DH_E_INVALID, "too_long", key, "%s is longer than %zu bytes", key,
                          max);
    }
    json_object_set_new(doc, as, json_string(s ? s : ""));
    free(s);
    return DH_OK;
}

/* Fills a task document from body; plan is the task's plan (PB_NONE for a
 * directive); self its index when changing one. */
static dh_status task_fields(const dh_unitreg *r, const dh_planbook *b, size_t plan, size_t self,
                             json_t *body, json_t *doc, bool create, dh_err *e)
{
    dh_status st;
    static const struct {
        const char *key, *as;
        bool required;
        size_t max;
    } texts[] = {
        {"ordinal", "ordinal", false, 64},
        {"group", "group", false, 2000},
        {"content", "content", true, 20000},
        {"lead_text", "lead_text", false, 4000},
        {"coordinating_text", "coordinating_text", false, 4000},
        {"expected_result", "expected_result", false, 8000},
        {"note", "note", false, 8000},
    };
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++)
        if ((st = text_field(body, doc, texts[i].key, texts[i].as, create,
                             create && texts[i].required, texts[i].max, e)))
            return st;
    if (plan != PB_NONE && (create || json_object_get(body, "ordinal"))) {
        const char *ord = str_of(doc, "ordinal");
        size_t other = *ord ? pb_task_by_ordinal(b, plan, ord) : PB_NONE;
        if (other != PB_NONE && other != self)
            return dh_err_set(e, DH_E_CONFLICT, "duplicate_ordinal", "ordinal",
                              "plan %s already has a task %s", b->p[plan].key, ord);
    }
    json_t *list;
    if (create || json_object_get(body, "lead")) {
        if ((st = unit_list(r, body, "lead", false, &list, e)))
            return st;
        json_object_set_new(doc, "lead", list);
    }
    if (create || json_object_get(body, "coordinating")) {
        if ((st = unit_list(r, body, "coordinating", false, &list, e)))
            return st;
        json_object_set_new(doc, "coordinating", list);
    }
    if (create || json_object_get(body, "deadline") || json_object_get(body, "due")) {
        char *text = NULL;
        dh_date due = DH_DATE_NONE;
        if (json_object_get(body, "deadline")) {
            if ((st = dh_json_text(body, "deadline", false, &text, e)))
                return st;
        } else if (!create) {
            text = dh_xstrdup(str_of(json_object_get(doc, "deadline"), "text"));
        }
        if ((st = dh_json_date(body, "due", false, &due, e))) {
            free(text);
            return st;
        }
        st = pb_set_deadline(b, plan, doc, text, due, e);
        free(text);
        if (st)
            return st;
    }
    if (create || json_object_get(body, "roadmap")) {
        char *text = NULL;
        if ((st = dh_json_text(body, "roadmap", false, &text, e)))
            return st;
        pb_set_roadmap(doc, text);
        free(text);
    }
    if (create || json_object_get(body, "implements_task")) {
        json_t *v = json_object_get(body, "implements_task");
        if (v && !json_is_null(v)) {
            size_t k = json_is_integer(v) ? pb_task_by_id(b, json_integer_value(v)) : PB_NONE;
            if (k == PB_NONE)
                return dh_err_set(e, DH_E_INVALID, "unknown_task", "implements_task",
                                  "implements_task: no task with that id");
            if (plan != PB_NONE &&
                (b->t[k].plan == PB_NONE || !plan_above(b, plan, b->t[k].plan, 0)))
                return dh_err_set(e, DH_E_INVALID, "not_higher_plan", "implements_task",
                                  "implements_task: task %lld is not in a plan that plan %s "
                                  "implements",
                                  (long long)b->t[k].id, b->p[plan].key);
            if (self != PB_NONE && b->t[k].id == b->t[self].id)
                return dh_err_set(e, DH_E_INVALID, "plan_cycle", "implements_task",
                                  "a task cannot implement itself");
            json_object_set_new(doc, "implements_task", json_integer(b->t[k].id));
        } else {
            json_object_set_new(doc, "implements_task", json_null());
        }
    }
    if (create || json_object_get(body, "target")) {
        json_t *v = json_object_get(body, "target");
        if (v && !json_is_null(v)) {
            json_t *val = json_object_get(v, "value");
            json_t *uom = json_object_get(v, "unit_of_measure");
            if (!json_is_object(v) || !json_is_number(val) || (uom && !json_is_string(uom)))
                return dh_err_set(e, DH_E_INVALID, "invalid_type", "target",
                                  "target must be {\"value\": number, \"unit_of_measure\": text}");
            double lo, hi, x = json_number_value(val);
            const char *kind = dh_ind_value_range(uom ? json_string_value(uom) : "", &lo, &hi);
            if (!(x >= lo && x <= hi))
                return dh_err_set(e, DH_E_INVALID, "out_of_range", "target",
                                  "target: the value is %s: %g is outside %g..%g", kind, x, lo,
                                  hi);
            json_object_set_new(doc, "target",
                                json_pack("{s:f,s:s}", "value", json_number_value(val),
                                          "unit_of_measure", uom ? json_string_value(uom) : ""));
        } else {
            json_object_set_new(doc, "target", json_null());
        }
    }
    if (create || json_object_get(body, "report")) {
        json_t *v = json_object_get(body, "report");
        const char *every = "monthly";
        int day = 10;
        json_t *offset = json_null();
        bool set = v && !json_is_null(v);
        if (set) {
            json_t *ev = json_object_get(v, "every"), *dv = json_object_get(v, "day");
            json_t *ov = json_object_get(v, "month_offset");
            if (!json_is_object(v) || (ev && !json_is_string(ev)) || (dv && !json_is_integer(dv)) ||
                (ov && !json_is_null(ov) && !json_is_integer(ov)))
                return dh_err_set(e, DH_E_INVALID, "invalid_type", "report",
                                  "report must be {\"every\": text, \"day\": 1..31, "
                                  "\"month_offset\": 0..12}");
            if (ev)
                every = json_string_value(ev);
            if (dv)
                day = (int)json_integer_value(dv);
            if (!one_of(every, report_every) || day < 1 || day > 31)
                return dh_err_set(e, DH_E_INVALID, "invalid_report", "report",
                                  "report.every must be none, monthly, quarterly, half_yearly "
                                  "or yearly and report.day 1..31");
            if (json_is_integer(ov)) {
                if (json_integer_value(ov) < 0 || json_integer_value(ov) > 12)
                    return dh_err_set(e, DH_E_INVALID, "invalid_report", "report",
                                      "report.month_offset must be 0..12 (months after the "
                                      "period's end)");
                offset = json_integer(json_integer_value(ov));
            }
        }
        /* A rule a person gives is "set"; the importer replaces "default"
         * with the printed rule (planimport.c). */
        json_object_set_new(doc, "report",
                            json_pack("{s:s,s:i,s:o,s:s,s:s}", "every", every, "day", day,
                                      "month_offset", offset, "source", set ? "set" : "default",
                                      "text", ""));
    }
    return DH_OK;
}

static bool may_write_plan(const dh_unitreg *r, const dh_actor *a, const pb_plan *p,
                           dh_date today)
{
    int32_t u = dh_unitreg_find(r, p->issuer);
    dh_date d = pb_plan_ref_date(p);
    if (d == DH_DATE_NONE || d > today)
        d = today;
    if (u < 0)
        return a->role == DH_ROLE_ADMIN;
    return dh_access_allows(r, a->role, dh_app_actor_scope(r, a), DH_ACT_WRITE, u, d);
}

/* Inserts a new task document inside tx: row, audit, plans_rev. */
dh_status pb_insert_task(dh_tx *tx, const dh_actor *a, json_t *doc, const char *action,
                         time_t now, dh_err *e)
{
    int64_t id = 0;
    json_object_set_new(doc, "created_by", json_string(a->login));
    dh_status st = pb_put_task(tx->c, doc, now, &id, e);
    if (st)
        return st;
    json_object_set_new(doc, "id", json_integer(id));
    json_object_set_new(doc, "created_at", json_integer(now));
    json_object_set_new(doc, "updated_at", json_integer(now));
    char key[32];
    snprintf(key, sizeof key, "%lld", (long long)id);
    json_t *lead = json_object_get(doc, "lead");
    return dh_app_audit(tx->c, a, action, "task", key,
                        json_string_value(json_array_get(lead, 0)), "ok", NULL, doc, now, e);
}

/* Builds a new task of plan pi from body inside tx (no audit, no row). */
dh_status pb_task_from_body(dh_tx *tx, const dh_planbook *b, size_t pi, json_t *body,
                            json_t **out, dh_err *e)
{
    json_t *doc = json_object();
    json_object_set_new(doc, "plan_id", pi != PB_NONE ? json_integer(b->p[pi].id) : json_null());
    json_object_set_new(doc, "kind", json_string(pi != PB_NONE ? "task" : "directive"));
    dh_status st = task_fields(tx->reg, b, pi, PB_NONE, body, doc, true, e);
    if (st) {
        json_decref(doc);
        doc = NULL;
    }
    *out = doc;
    return st;
}

/* Re-reads the book after a write and answers the task's computed form. */
static json_t *task_answer(dh_conn *c, int64_t id, dh_date today)
{
    dh_planbook *b = NULL;
    dh_err e2;
    if (pb_load(c, &b, &e2))
        return NULL;
    size_t k = pb_task_by_id(b, id);
    json_t *o = k != PB_NONE ? pb_task_json(b, k, today, NULL, true) : NULL;
    pb_free(b);
    return o;
}

/* Ends a task write inside the runner's fn: bumps plans_rev and answers
 * the task's computed form in *out (the runner commits). */
static dh_status finish_task_write(dh_tx *tx, dh_status st, int64_t id, dh_date today,
                                   json_t **out, dh_err *e)
{
    if (st == DH_OK)
        st = pb_bump(tx->c, e);
    if (st == DH_OK)
        *out = task_answer(tx->c, id, today);
    return st;
}

typedef struct task_write_cl {
    const dh_actor *a;
    const char *ref; /* create: the plan */
    int64_t id;      /* patch: the task */
    json_t *body;
    dh_date today;
    time_t now;
    json_t *out;
} task_write_cl;

/* Concurrency: reads, inside the write transaction, the whole plan book
 * (the plan, the ordinals already used in it, the task it implements)
 * and the unit registry (DH_TX_UNITS: the lead and coordinating units and
 * the actor's subtree), writes the task and bumps plans_rev in the same
 * transaction. Every write of the book bumps that one counter, so two
 * writers are serialised by the write lock (SQLite) or conflict on
 * plans_rev and one is rerun on the other's book (PostgreSQL); the unique
 * (plan_id, ordinal) of tasks is the last guard. */
static dh_status task_create_tx(dh_tx *tx, void *closure, dh_err *e)
{
    task_write_cl *cl = closure;
    const dh_actor *a = cl->a;
    dh_planbook *b;
    dh_status st = pb_fresh(tx, &cl->out, &b, e);
    if (st)
        return st;
    json_t *doc = NULL;
    size_t pi = pb_plan_find(b, cl->ref);
    if (pi == PB_NONE)
        st = dh_err_set(e, DH_E_INVALID, "unknown_plan", "plan", "plan '%s' does not exist",
                        cl->ref);
    if (st == DH_OK && !may_write_plan(tx->reg, a, &b->p[pi], cl->today))
        st = dh_tx_deny(tx, a, "create", "task", b->p[pi].key, b->p[pi].issuer, cl->now, e,
                        "add tasks to a plan of that unit (outside their subtree)");
    if (st == DH_OK)
        st = pb_task_from_body(tx, b, pi, cl->body, &doc, e);
    if (st == DH_OK)
        st = pb_insert_task(tx, a, doc, "create", cl->now, e);
    int64_t id = doc ? json_integer_value(json_object_get(doc, "id")) : 0;
    st = finish_task_write(tx, st, id, cl->today, &cl->out, e);
    pb_free(b);
    json_decref(doc);
    return st;
}

dh_status dh_app_task_create(dh_app *app, const dh_actor *a, json_t *body, time_t now,
                             json_t **out, dh_err *e)
{
    static const char *const allowed[] = {
        "plan",     "ordinal",         "group",   "content", "lead",   "coordinating",
        "lead_text", "coordinating_text", "expected_result", "deadline", "due", "roadmap",
        "implements_task", "target",   "note",    "report",  NULL};
    dh_date today = dh_date_of_time_vn(now);
    *out = NULL;
    const char *ref = json_string_value(json_object_get(body, "plan"));
    if (!ref)
        return dh_err_set(e, DH_E_INVALID, "missing_field", "plan",
                          "plan (its number, key or id) is required; a task without a plan is "
                          "a directive (POST /api/v1/directives)");
    dh_status st = dh_json_only(body, allowed, e);
    if (st)
        return st;
    task_write_cl cl = {a, ref, 0, body, today, now, NULL};
    return pb_run(app, task_create_tx, &cl, &cl.out, out, e);
}

/* Concurrency: as task_create_tx; the task is read from the book loaded
 * inside the transaction and written back whole. */
static dh_status task_patch_tx(dh_tx *tx, void *closure, dh_err *e)
{
    task_write_cl *cl = closure;
    const dh_actor *a = cl->a;
    int64_t id = cl->id;
    dh_planbook *b;
    dh_status st = pb_fresh(tx, &cl->out, &b, e);
    if (st)
        return st;
    json_t *doc = NULL;
    size_t k = pb_task_by_id(b, id);
    if (k == PB_NONE)
        st = dh_err_set(e, DH_E_NOTFOUND, "unknown_task", NULL, "task %lld does not exist",
                        (long long)id);
    if (st == DH_OK) {
        const pb_task *t = &b->t[k];
        bool ok = t->plan != PB_NONE ? may_write_plan(tx->reg, a, &b->p[t->plan], cl->today)
                                     : a->role == DH_ROLE_ADMIN ||
                                           strcmp(str_of(t->j, "created_by"), a->login) == 0;
        if (!ok) {
            char key[32];
            snprintf(key, sizeof key, "%lld", (long long)id);
            st = dh_tx_deny(tx, a, "update", "task", key, t->nlead ? t->lead[0] : "", cl->now,
                            e, "change a task of a plan outside their subtree");
        } else {
            doc = json_deep_copy(t->j);
            st = task_fields(tx->reg, b, t->plan, k, cl->body, doc, false, e);
        }
    }
    if (st == DH_OK)
        st = pb_put_task(tx->c, doc, cl->now, NULL, e);
    if (st == DH_OK) {
        char key[32];
        snprintf(key, sizeof key, "%lld", (long long)id);
        json_object_set_new(doc, "updated_at", json_integer(cl->now));
        st = dh_app_audit(tx->c, a, "update", "task", key, b->t[k].nlead ? b->t[k].lead[0] : "",
                          "ok", b->t[k].j, doc, cl->now, e);
    }
    st = finish_task_write(tx, st, id, cl->today, &cl->out, e);
    pb_free(b);
    json_decref(doc);
    return st;
}

dh_status dh_app_task_patch(dh_app *app, const dh_actor *a, int64_t id, json_t *body,
                            time_t now, json_t **out, dh_err *e)
{
    static const char *const allowed[] = {
        "ordinal",  "group",           "content", "lead",   "coordinating", "lead_text",
        "coordinating_text", "expected_result", "deadline", "due", "roadmap",
        "implements_task", "target",   "note",    "report",  NULL};
    dh_date today = dh_date_of_time_vn(now);
    *out = NULL;
    dh_status st = dh_json_only(body, allowed, e);
    if (st)
        return st;
    task_write_cl cl = {a, NULL, id, body, today, now, NULL};
    return pb_run(app, task_patch_tx, &cl, &cl.out, out, e);
}

dh_status dh_app_task_get(dh_app *app, const dh_actor *a, int64_t id, time_t now, json_t **out,
                          dh_err *e)
{
    *out = NULL;
    const dh_planbook *b = pb_acquire(app, e);
    if (!b)
        return e->status;
    size_t k = pb_task_by_id(b, id);
    if (k == PB_NONE) {
        pb_release(app, b);
        return dh_err_set(e, DH_E_NOTFOUND, "unknown_task", NULL, "task %lld does not exist",
                          (long long)id);
    }
    dh_date today = dh_date_of_time_vn(now);
    json_t *o = pb_task_json(b, k, today, NULL, true);
    /* The tasks that implement it, with their status. */
    json_t *impl = json_array();
    for (size_t i = 0; i < b->nt; i++)
        if (b->t[i].parent_id == id)
            json_array_append_new(impl, pb_task_json(b, i, today, NULL, false));
    json_object_set_new(o, "implemented_by", impl);
    pb_release(app, b);
    *out = o;
    return DH_OK;
}

/* ------------------------------------------------------------------ */
/* Listing.                                                           */

static bool state_matches(const char *want, dh_task_state s)
{
    if (!want || !*want)
        return true;
    /* A comma-separated list of states. */
    const char *name = dh_task_state_name(s);
    size_t n = strlen(name);
    for (const char *p = want; *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == n && strncmp(p, name, n) == 0)
            return true;
        p += len + (end ? 1 : 0);
    }
    return false;
}

static dh_status check_states(const char *want, dh_err *e)
{
    if (!want || !*want)
        return DH_OK;
    for (const char *p = want; *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        bool ok = false;
        for (int s = 0; s < DH_TS_COUNT && !ok; s++) {
            const char *name = dh_task_state_name((dh_task_state)s);
            ok = strlen(name) == len && strncmp(p, name, len) == 0;
        }
        if (!ok)
            return dh_err_set(e, DH_E_INVALID, "invalid_status", "status",
                              "status must be one or more (comma-separated) of not_started, "
                              "in_progress, done, done_late, overdue, at_risk, no_report, not_done");
        p += len + (end ? 1 : 0);
    }
    return DH_OK;
}

/* in[] tells for every unit of the registry whether it is in the query's
 * scope (worked out once per query, not once per lead of every task). */
static bool unit_matches(const dh_unitreg *r, const bool *in, const pb_task *t, const char *unit,
                         bool coord)
{
    for (size_t i = 0; unit && i < t->nlead + (coord ? t->ncoord : 0); i++) {
        const char *u = i < t->nlead ? t->lead[i] : t->coord[i - t->nlead];
        int32_t k = dh_unitreg_find(r, u);
        if (k >= 0 ? in[k] : strcmp(u, unit) == 0)
            return true;
    }
    return !unit;
}

dh_status dh_app_task_list(dh_app *app, const dh_actor *a, const dh_task_query *q, time_t now,
                           json_t **items, dh_err *e)
{
    return dh_app_task_list_top(app, a, q, now, SIZE_MAX, NULL, items, e);
}

dh_status dh_app_task_list_top(dh_app *app, const dh_actor *a, const dh_task_query *q,
                               time_t now, size_t limit, size_t *counts, json_t **items,
                               dh_err *e)
{
    *items = NULL;
    if (counts)
        memset(counts, 0, DH_TS_COUNT * sizeof *counts);
    dh_status st = check_states(q->status, e);
    if (st)
        return st;
    const dh_unitreg *r = dh_app_units_acquire(app, e);
    if (!r)
        return e->status;
    if (q->unit && dh_unitreg_find(r, q->unit) < 0) {
        dh_app_units_release(app, r);
        return dh_err_set(e, DH_E_INVALID, "unknown_unit", "unit", "unit '%s' does not exist",
                          q->unit);
    }
    const dh_planbook *b = pb_acquire(app, e);
    if (!b) {
        dh_app_units_release(app, r);
        return e->status;
    }
    size_t pi = PB_NONE;
    if (q->plan && (pi = pb_plan_find(b, q->plan)) == PB_NONE) {
        pb_release(app, b);
        dh_app_units_release(app, r);
        return dh_err_set(e, DH_E_INVALID, "unknown_plan", "plan", "plan '%s' does not exist",
                          q->plan);
    }
    dh_date today = dh_date_of_time_vn(now);
    bool *in = dh_xcalloc(r->n + 1, sizeof *in);
    for (size_t i = 0; q->unit && i < r->n; i++)
        in[i] = q->subtree ? pb_in_subtree(r, r->u[i].code, q->unit, today)
                           : strcmp(r->u[i].code, q->unit) == 0;
    json_t *arr = json_array();
    for (size_t i = 0; i < b->nt; i++) {
        const pb_task *t = &b->t[i];
        if (pi != PB_NONE && t->plan != pi)
            continue;
        if (q->kind && strcmp(q->kind, str_of(t->j, "kind")) != 0)
            continue;
        if (!unit_matches(r, in, t, q->unit, q->coordinating))
            continue;
        dh_task_status s;
        pb_task_status(t, today, &s, NULL);
        if (!state_matches(q->status, s.state))
            continue;
        if (q->due_before != DH_DATE_NONE) {
            dh_dl_occurrence occ;
            dh_task_facts f;
            dh_task_eval(&t->def, t->u, t->nu, today, &s, &f, &occ);
            if (f.due == DH_DATE_NONE || f.due >= q->due_before)
                continue;
        }
        if (q->needs_review &&
            !json_is_true(json_object_get(json_object_get(t->j, "deadline"), "needs_review")))
            continue;
        if (q->needs_owner && !pb_task_needs_owner(t))
            continue;
        if (counts)
            counts[s.state]++;
        if (json_array_size(arr) < limit)
            json_array_append_new(arr, pb_task_json(b, i, today, r, false));
    }
    free(in);
    pb_release(app, b);
    dh_app_units_release(app, r);
    *items = arr;
    return DH_OK;
}

/* ------------------------------------------------------------------ */
/* Progress updates and comments.                                     */

typedef struct task_update_cl {
    const dh_actor *a;
    int64_t id;
    const char *kind;
    bool progress;
    int percent;
    bool done;
    const char *text;
    dh_date date, occ;
    json_t *ev;
    const char *unit;
    dh_date today;
    time_t now;
    json_t *out;
} task_update_cl;

/* Concurrency: reads, inside the write transaction, the whole plan book
 * (the task, its lead and coordinating units, its occurrences, the files
 * given as evidence) and the unit registry (DH_TX_UNITS: the acting unit
 * and the actor's subtree); inserts the update and bumps plans_rev in the
 * same transaction. An update only adds a row, but what it may say
 * depends on the task: a change of the task's lead committed meanwhile is
 * seen (SQLite: the write lock) or conflicts on plans_rev and one is
 * rerun (PostgreSQL). */
static dh_status task_update_tx(dh_tx *tx, void *closure, dh_err *e)
{
    task_update_cl *cl = closure;
    const dh_actor *a = cl->a;
    const char *unit = cl->unit, *kind = cl->kind, *text = cl->text;
    int64_t id = cl->id;
    bool progress = cl->progress;
    json_t *ev = cl->ev;
    dh_planbook *b;
    dh_status st = pb_fresh(tx, &cl->out, &b, e);
    if (st)
        return st;
    size_t k = pb_task_by_id(b, id);
    if (k == PB_NONE)
        st = dh_err_set(e, DH_E_NOTFOUND, "unknown_task", NULL, "task %lld does not exist",
                        (long long)id);
    const char *why = NULL;
    if (st == DH_OK) {
        const pb_task *t = &b->t[k];
        int32_t u = dh_unitreg_find(tx->reg, unit);
        /* The acting unit: the actor's own, or one they may act for. */
        bool may_act = *unit && u >= 0 &&
                       (strcmp(unit, a->unit_code) == 0 ||
                        dh_access_allows(tx->reg, a->role, dh_app_actor_scope(tx->reg, a),
                                         DH_ACT_WRITE, u, cl->today));
        if (a->role == DH_ROLE_VIEWER || a->role == DH_ROLE_LEADER)
            may_act = may_act && !progress && strcmp(unit, a->unit_code) == 0;
        if (!may_act)
            why = *unit ? "report for that unit" : "report without naming a unit (\"unit\")";
        else if (progress && !pb_task_led_by(t, unit))
            why = "post a progress update: only the task's lead unit may (coordinating units "
                  "may comment)";
        else if (!progress && !pb_task_led_by(t, unit) && !pb_task_coordinated_by(t, unit))
            why = "comment: only the task's lead and coordinating units may";
        if (!why && progress && dh_task_per_occurrence(&t->def) && cl->occ != DH_DATE_NONE) {
            dh_dl_occurrence v[600];
            size_t n = dh_task_occurrences(&t->def, cl->today, v, 600);
            bool found = false;
            for (size_t i = 0; i < n && !found; i++)
                found = v[i].due == cl->occ;
            if (!found)
                st = dh_err_set(e, DH_E_INVALID, "unknown_occurrence", "occurrence",
                                "occurrence must be the due date of one of the task's periods "
                                "up to today");
        }
    }
    if (st == DH_OK && why) {
        char key[32];
        snprintf(key, sizeof key, "%lld", (long long)id);
        pb_free(b);
        return dh_tx_deny(tx, a, progress ? "progress" : "comment", "task", key, unit, cl->now,
                          e, why);
    }
    if (st == DH_OK && ev)
        st = pb_check_files(tx->c, b, a, ev, "evidence", e);
    char *files = NULL;
    json_t *upd = NULL;
    if (st == DH_OK) {
        files = ev && !json_is_null(ev) ? json_dumps(ev, JSON_COMPACT) : dh_xstrdup("[]");
        dh_task_update_row row = {0,       id,      kind,        unit,    a->login,
                                  cl->date, cl->occ, cl->percent, cl->done, text ? text : "",
                                  files,   cl->now};
        int64_t uid = 0;
        st = DH_PLANS(tx->c)->insert_task_update(tx->c, &row, &uid, e);
        if (st == DH_OK) {
            upd = json_pack("{s:I,s:I,s:s,s:s,s:s,s:o,s:o,s:o,s:b,s:s,s:O}", "id", (json_int_t)uid,
                            "task", (json_int_t)id, "kind", kind, "unit", unit, "author",
                            a->login, "date", pb_date_json(cl->date), "occurrence",
                            pb_date_json(cl->occ), "percent",
                            cl->percent >= 0 ? json_integer(cl->percent) : json_null(), "done",
                            cl->done, "text", text ? text : "", "evidence",
                            ev && !json_is_null(ev) ? ev : json_null());
            char key[32];
            snprintf(key, sizeof key, "%lld", (long long)id);
            st = dh_app_audit(tx->c, a, progress ? "progress" : "comment", "task", key, unit,
                              "ok", NULL, upd, cl->now, e);
        }
    }
    if (st == DH_OK)
        st = pb_bump(tx->c, e);
    if (st == DH_OK) {
        json_t *task = task_answer(tx->c, id, cl->today);
        cl->out = json_pack("{s:o,s:o}", "update", upd, "task", task ? task : json_null());
        upd = NULL;
    }
    json_decref(upd);
    free(files);
    pb_free(b);
    return st;
}

dh_status dh_app_task_update(dh_app *app, const dh_actor *a, int64_t id, json_t *body,
                             time_t now, json_t **out, dh_err *e)
{
    static const char *const allowed[] = {"kind", "text",     "percent", "done", "date",
                                          "occurrence", "evidence", "unit", NULL};
    dh_date today = dh_date_of_time_vn(now);
    *out = NULL;
    dh_status st = dh_json_only(body, allowed, e);
    if (st)
        return st;
    const char *kind = json_string_value(json_object_get(body, "kind"));
    if (json_object_get(body, "kind") && !kind)
        return dh_err_set(e, DH_E_INVALID, "invalid_type", "kind", "kind must be a string");
    if (!kind)
        kind = "progress";
    bool progress = strcmp(kind, "progress") == 0;
    if (!progress && strcmp(kind, "comment") != 0)
        return dh_err_set(e, DH_E_INVALID, "invalid_kind", "kind",
                          "kind must be progress or comment");
    json_t *pv = json_object_get(body, "percent");
    int percent = -1;
    if (pv && !json_is_null(pv)) {
        if (!json_is_integer(pv) || json_integer_value(pv) < 0 || json_integer_value(pv) > 100)
            return dh_err_set(e, DH_E_INVALID, "invalid_percent", "percent",
                              "percent must be a whole number from 0 to 100");
        percent = (int)json_integer_value(pv);
    }
    json_t *dv = json_object_get(body, "done");
    if (dv && !json_is_boolean(dv))
        return dh_err_set(e, DH_E_INVALID, "invalid_type", "done", "done must be true or false");
    bool done = json_is_true(dv);
    if (!progress && (percent >= 0 || done))
        return dh_err_set(e, DH_E_INVALID, "comment_with_progress", "percent",
                          "a comment cannot carry a percent or completion; only the lead unit's "
                          "progress updates change a task's status");
    char *text = NULL;
    dh_date date, occ;
    if ((st = dh_json_text(body, "text", !progress, &text, e)))
        return st;
    if (text && strlen(text) > 20000) {
        free(text);
        return dh_err_set(e, DH_E_INVALID, "too_long", "text", "text is longer than 20000 bytes");
    }
    if ((st = dh_json_date(body, "date", false, &date, e)) ||
        (st = dh_json_date(body, "occurrence", false, &occ, e))) {
        free(text);
        return st;
    }
    if (date == DH_DATE_NONE)
        date = today;
    if (date > today) {
        free(text);
        return dh_err_set(e, DH_E_INVALID, "future_date", "date",
                          "date is after today: report what has been done");
    }
    if (progress && percent < 0 && !done && (!text || !*text)) {
        free(text);
        return dh_err_set(e, DH_E_INVALID, "empty_update", "percent",
                          "a progress update needs a percent, done or a text");
    }
    json_t *ev = json_object_get(body, "evidence");
    if (ev && !json_is_null(ev) && (!json_is_array(ev) || json_array_size(ev) > 20)) {
        free(text);
        return dh_err_set(e, DH_E_INVALID, "invalid_type", "evidence",
                          "evidence must be an array of at most 20 file ids");
    }
    char *unit_opt = NULL;
    if ((st = dh_json_text(body, "unit", false, &unit_opt, e))) {
        free(text);
        return st;
    }
    const char *unit = unit_opt && *unit_opt ? unit_opt : a->unit_code;

    task_update_cl cl = {a,    id,      kind, progress, percent, done, text, date, occ,
                         ev,   unit,    today, now,     NULL};
    st = pb_run(app, task_update_tx, &cl, &cl.out, out, e);
    free(text);
    free(unit_opt);
    return st;
}

/* ------------------------------------------------------------------ */
/* Directives (chỉ đạo).                                              */

/* The late dossiers of a unit's subtree now, as codes (at most 500). */
static dh_status late_dossiers(dh_app *app, const dh_actor *a, const char *unit, json_t *filter,
                               time_t now, json_t **codes, dh_err *e)
{
    const char *state = json_string_value(json_object_get(filter, "state"));
    const char *proc = json_string_value(json_object_get(filter, "procedure"));
    dh_dossier_query q = {unit, true, state ? state : "overdue", proc, NULL, 0, 0, 0, 500,
                          NULL, NULL, NULL};
    json_t *items = NULL;
    bool more = false;
    dh_status st = dh_app_dossier_list(app, a, &q, now, &items, &more, e);
    if (st)
        return st;
    *codes = json_array();
    size_t i;
    json_t *x;
    json_array_foreach(items, i, x)
        json_array_append(*codes, json_object_get(x, "code"));
    json_decref(items);
    return DH_OK;
}

typedef struct directive_cl {
    const dh_actor *a;
    json_t *tb, *source; /* the task's body and what it is about, built before */
    int64_t task_id;
    dh_date today;
    time_t now;
    json_t *out;
} directive_cl;

/* Concurrency: as task_create_tx: reads the plan book (the task it
 * follows up must exist) and the unit registry inside the write
 * transaction, writes the directive and bumps plans_rev in it. The late
 * dossiers it names were read before, as a snapshot: a directive records
 * them as they stood when it was given. */
static dh_status directive_tx(dh_tx *tx, void *closure, dh_err *e)
{
    directive_cl *cl = closure;
    dh_planbook *b;
    json_t *doc = NULL;
    dh_status st = pb_fresh(tx, &cl->out, &b, e);
    if (st == DH_OK && cl->task_id && pb_task_by_id(b, cl->task_id) == PB_NONE)
        st = dh_err_set(e, DH_E_INVALID, "unknown_task", "source",
                        "source.task: task %lld does not exist", (long long)cl->task_id);
    if (st == DH_OK)
        st = pb_task_from_body(tx, b, PB_NONE, cl->tb, &doc, e);
    if (st == DH_OK) {
        json_object_set(doc, "source", cl->source);
        st = pb_insert_task(tx, cl->a, doc, "directive", cl->now, e);
    }
    st = finish_task_write(tx, st, doc ? json_integer_value(json_object_get(doc, "id")) : 0,
                           cl->today, &cl->out, e);
    json_decref(doc);
    pb_free(b);
    return st;
}

dh_status dh_app_directive_create(dh_app *app, const dh_actor *a, json_t *body, time_t now,
                                  json_t **out, dh_err *e)
{
    static const char *const allowed[] = {"source", "assignee", "deadline", "content",
                                          "coordinating", "report", "note", NULL};
    dh_date today = dh_date_of_time_vn(now);
    *out = NULL;
    dh_status st = dh_json_only(body, allowed, e);
    if (st)
        return st;
    json_t *src = json_object_get(body, "source");
    const char *skind = json_string_value(json_object_get(src, "kind"));
    if (!json_is_object(src) || !skind ||
        (strcmp(skind, "dossiers") && strcmp(skind, "feedback") && strcmp(skind, "task") &&
         strcmp(skind, "unit")))
        return dh_err_set(e, DH_E_INVALID, "invalid_source", "source",
                          "source must be {\"kind\": \"dossiers\"|\"feedback\"|\"task\"|"
                          "\"unit\", ...}");
    const char *assignee = json_string_value(json_object_get(body, "assignee"));
    if (!assignee)
        return dh_err_set(e, DH_E_INVALID, "missing_field", "assignee",
                          "assignee (a unit code) is required");
    dh_date due;
    if ((st = dh_json_date(body, "deadline", true, &due, e)))
        return st;
    if (due < today)
        return dh_err_set(e, DH_E_INVALID, "past_deadline", "deadline",
                          "the deadline is in the past");
    const dh_unitreg *r = dh_app_units_acquire(app, e);
    if (!r)
        return e->status;
    int32_t u = dh_unitreg_find(r, assignee);
    bool allowed_act = false;
    if (u >= 0) {
        int32_t scope = dh_app_actor_scope(r, a);
        allowed_act = a->role == DH_ROLE_ADMIN ||
                      (a->role == DH_ROLE_LEADER &&
                       dh_access_allows(r, a->role, scope, DH_ACT_READ, u, today)) ||
                      (a->role == DH_ROLE_OFFICER &&
                       dh_access_allows(r, a->role, scope, DH_ACT_WRITE, u, today));
    }
    dh_app_units_release(app, r);
    if (u < 0)
        return dh_err_set(e, DH_E_INVALID, "unknown_unit", "assignee",
                          "unit '%s' does not exist", assignee);
    if (!allowed_act)
        return dh_app_deny(app, a, "create", "directive", assignee, assignee, now, e,
                           "direct that unit (leaders direct their subtree)");
    /* What the directive is about, recorded as it stood. */
    json_t *source = json_object();
    json_object_set_new(source, "kind", json_string(skind));
    char content[1024] = "";
    int64_t task_id = 0;
    if (strcmp(skind, "dossiers") == 0) {
        const char *unit = json_string_value(json_object_get(src, "unit"));
        json_t *filter = json_object_get(src, "filter");
        json_t *codes = NULL;
        if (!unit)
            unit = assignee;
        st = late_dossiers(app, a, unit, filter, now, &codes, e);
        if (st) {
            json_decref(source);
            return st;
        }
        json_object_set_new(source, "unit", json_string(unit));
        json_object_set_new(source, "filter", filter ? json_deep_copy(filter) : json_object());
        json_object_set_new(source, "dossiers", codes);
        snprintf(content, sizeof content,
                 "Xử lý dứt điểm %zu hồ sơ trễ hạn của %s và báo cáo kết quả.",
                 json_array_size(codes), unit);
    } else if (strcmp(skind, "feedback") == 0) {
        /* the overdue feedback of the unit's subtree, as it stands now */
        const char *unit = json_string_value(json_object_get(src, "unit"));
        json_t *codes = NULL;
        if (!unit)
            unit = assignee;
        st = dh_app_fb_overdue_codes(app, a, unit, now, &codes, e);
        if (st) {
            json_decref(source);
            return st;
        }
        json_object_set_new(source, "unit", json_string(unit));
        json_object_set_new(source, "feedback", codes);
        snprintf(content, sizeof content,
                 "Xử lý dứt điểm %zu phản ánh, kiến nghị quá hạn của %s và báo cáo kết quả.",
                 json_array_size(codes), unit);
    } else if (strcmp(skind, "task") == 0) {
        json_t *tv = json_object_get(src, "task");
        if (!json_is_integer(tv)) {
            json_decref(source);
            return dh_err_set(e, DH_E_INVALID, "invalid_source", "source",
                              "source.task must be a task id");
        }
        task_id = json_integer_value(tv);
        json_object_set_new(source, "task", json_integer(task_id));
        snprintf(content, sizeof content, "Đôn đốc, khẩn trương hoàn thành nhiệm vụ số %lld.",
                 (long long)task_id);
    } else {
        const char *unit = json_string_value(json_object_get(src, "unit"));
        json_object_set_new(source, "unit", json_string(unit ? unit : assignee));
        snprintf(content, sizeof content, "Chỉ đạo %s khắc phục các tồn tại, hạn chế.",
                 unit ? unit : assignee);
    }
    char dd[DH_DATE_TEXT_LEN], dl_text[16];
    dh_date_format(due, dd);
    snprintf(dl_text, sizeof dl_text, "%.2s/%.2s/%.4s", dd + 8, dd + 5, dd);
    json_t *tb = json_object();
    json_t *cv = json_object_get(body, "content");
    json_object_set_new(tb, "content", cv ? json_incref(cv) : json_string(content));
    json_object_set_new(tb, "lead", json_pack("[s]", assignee));
    if (json_object_get(body, "coordinating"))
        json_object_set(tb, "coordinating", json_object_get(body, "coordinating"));
    if (json_object_get(body, "report"))
        json_object_set(tb, "report", json_object_get(body, "report"));
    if (json_object_get(body, "note"))
        json_object_set(tb, "note", json_object_get(body, "note"));
    json_object_set_new(tb, "deadline", json_string(dl_text));
    if (task_id)
        json_object_set_new(tb, "implements_task", json_integer(task_id));

    directive_cl cl = {a, tb, source, task_id, today, now, NULL};
    st = pb_run(app, directive_tx, &cl, &cl.out, out, e);
    json_decref(source);
    json_decref(tb);
    return st;
}
