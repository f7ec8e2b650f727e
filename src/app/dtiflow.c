/* dtiflow.c - the DTI assessment workflow (issue 16, point 2): a unit's
 * self-assessment, submission, appraisal by a parent unit, publication,
 * and corrections of a published assessment as audited revisions.
 *
 * States and the function that moves between them (every step audited):
 *
 *   (none)          --create-->   self_assessment    dh_app_dti_assessment_create
 *   self_assessment --submit-->   submitted          dh_app_dti_step
 *   submitted       --appraise--> appraisal          dh_app_dti_step
 *   appraisal       --publish-->  published          dh_app_dti_step
 *
 * Entries (dh_app_dti_entry_put) go to the self-assessed figures while the
 * unit assesses itself, to the appraised ones (with the appraiser's comment,
 * the self-assessed kept beside them) during appraisal, are refused while
 * submitted, and after publication only with a reason: the entries before
 * the change are kept as a revision and the assessment's revision number
 * goes up.
 *
 * Roles: the unit's own side (create, self-assessed entries, submit) needs
 * the right to write for the unit (officers in their subtree, admins); the
 * appraiser's side (appraise, appraised entries, publish, corrections)
 * needs an officer of a unit strictly above it, or an admin. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/dtiint.h"
#include "core/access.h"
#include "store/dti.h"
#include "store/plans.h"

/* ------------------------------------------------------------------ */
/* Who may do what.                                                   */

static bool may_self(const dh_unitreg *reg, const dh_actor *a, int32_t u, dh_date d)
{
    return dh_access_allows(reg, a->role, dh_app_actor_scope(reg, a), DH_ACT_WRITE, u, d);
}

static bool may_appraise(const dh_unitreg *reg, const dh_actor *a, int32_t u, dh_date d)
{
    if (a->role == DH_ROLE_ADMIN && !a->scoped_admin)
        return true;
    int32_t scope = dh_app_actor_scope(reg, a);
    return scope >= 0 && scope != u && dh_access_allows(reg, a->role, scope, DH_ACT_WRITE, u, d);
}

/* ------------------------------------------------------------------ */
/* The assessment a request names, loaded inside the transaction.     */

typedef struct target {
    dti_fw fw;
    int32_t u;
    dh_date day; /* the day access is judged on: the year's end, or today */
    dh_dti_assessment_row row;
    dti_arows found;    /* the assessment as listed (at most one) */
    const char *status; /* its stored status */
} target;

static void target_free(target *t)
{
    dh_dti_fw_free(&t->fw);
    dh_dti_arows_free(&t->found);
    memset(t, 0, sizeof *t);
}

/* Loads the framework, checks the unit (known, existing in the year) and
 * the assessment (when `need`: DH_E_NOTFOUND no_assessment without one). */
static dh_status target_load(dh_tx *tx, const char *unit, const char *framework, int year,
                             time_t now, bool need, target *t, dh_err *e)
{
    memset(t, 0, sizeof *t);
    dh_status st = dh_dti_fw_load(tx->c, framework ? framework : "", year, &t->fw, e);
    if (st)
        return st;
    const dh_unitreg *reg = tx->reg;
    t->u = unit ? dh_unitreg_find(reg, unit) : -1;
    dh_date jan1 = dh_date_from_ymd(year, 1, 1), dec31 = dh_date_from_ymd(year, 12, 31),
            today = dh_date_of_time_vn(now);
    t->day = dec31 < today ? dec31 : today;
    if (t->u < 0)
        return dh_err_set(e, DH_E_INVALID, "unknown_unit", "unit", "unknown unit '%s'",
                          unit ? unit : "");
    if (reg->u[t->u].valid_from > dec31 ||
        (reg->u[t->u].valid_to != DH_DATE_NONE && reg->u[t->u].valid_to < jan1))
        return dh_err_set(e, DH_E_INVALID, "unit_not_valid", "unit",
                          "unit '%s' did not exist in %d", unit, year);
    st = DH_DTI(tx->c)->list_assessments(tx->c, t->fw.id, unit, dh_dti_arows_add, &t->found, e);
    if (st == DH_OK && t->found.n) {
        t->row = t->found.v[0];
        t->status = t->row.status;
    }
    if (st == DH_OK && need && !t->found.n)
        st = dh_err_set(e, DH_E_NOTFOUND, "no_assessment", "unit",
                        "unit '%s' has no assessment on framework '%s' of %d", unit, t->fw.code,
                        year);
    return st;
}

static json_t *row_json(const target *t)
{
    return json_pack("{s:s,s:s,s:i,s:s,s:i}", "unit", t->row.unit, "framework", t->fw.code, "year",
                     t->fw.year, "status", t->row.status, "revision", t->row.revision);
}

static void key_of(const target *t, const char *crit, char *key, size_t cap)
{
    snprintf(key, cap, "%s/%d/%s%s%s", t->fw.code, t->fw.year, t->row.unit ? t->row.unit : "",
             crit ? "/" : "", crit ? crit : "");
}

/* ------------------------------------------------------------------ */
/* Creating a self-assessment.                                        */

typedef struct flow_cl {
    const dh_actor *a;
    const char *unit, *framework, *action;
    int year;
    json_t *body;
    time_t now;
    json_t *out;
} flow_cl;

/* Concurrency: reads the assessment's absence; the unique key
 * (framework_id, unit) refuses a second one created at the same time. */
static dh_status create_tx(dh_tx *tx, void *closure, dh_err *e)
{
    flow_cl *cl = closure;
    json_decref(cl->out);
    cl->out = NULL;
    target t;
    dh_status st = target_load(tx, cl->unit, cl->framework, cl->year, cl->now, false, &t, e);
    if (st == DH_OK && !may_self(tx->reg, cl->a, t.u, t.day)) {
        st = dh_tx_deny(tx, cl->a, "create", "dti_assessment", t.fw.code, cl->unit, cl->now, e,
                        "start the DTI self-assessment of a unit outside their own");
    }
    if (st == DH_OK && t.found.n)
        st = dh_err_set(e, DH_E_CONFLICT, "assessment_exists", "unit",
                        "unit '%s' already has an assessment on framework '%s' of %d (%s)",
                        cl->unit, t.fw.code, t.fw.year, t.row.status);
    if (st == DH_OK) {
        t.row = (dh_dti_assessment_row){0,     t.fw.id, cl->unit, t.fw.year, "self_assessment",
                                        false, 0,       0,        "[]",      "self",
                                        0,     false,   cl->now,  cl->now};
        st = DH_DTI(tx->c)->save_assessment(tx->c, &t.row, &t.row.id, e);
    }
    if (st == DH_OK) {
        char key[200];
        key_of(&t, NULL, key, sizeof key);
        cl->out = row_json(&t);
        st = dh_app_audit(tx->c, cl->a, "create", "dti_assessment", key, cl->unit, "ok", NULL,
                          cl->out, cl->now, e);
    }
    target_free(&t);
    return st;
}

static dh_status run(dh_app *app, dh_tx_fn fn, flow_cl *cl, json_t **out, dh_err *e)
{
    *out = NULL;
    dh_status st = dh_tx_run(app, DH_TX_UNITS, fn, cl, e);
    if (st == DH_OK)
        *out = cl->out;
    else
        json_decref(cl->out);
    return st;
}

dh_status dh_app_dti_assessment_create(dh_app *app, const dh_actor *a, const char *unit,
                                       const char *framework, int year, time_t now, json_t **out,
                                       dh_err *e)
{
    flow_cl cl = {a, unit, framework, NULL, year, NULL, now, NULL};
    return run(app, create_tx, &cl, out, e);
}

/* ------------------------------------------------------------------ */
/* Steps.                                                             */

static const struct step {
    const char *action, *from, *to;
    bool appraiser;
} steps[] = {
    {"submit", "self_assessment", "submitted", false},
    {"appraise", "submitted", "appraisal", true},
    {"publish", "appraisal", "published", true},
};

/* Concurrency: reads the assessment's status and writes it; the write lock
 * (SQLite) or a serialization failure (PostgreSQL) orders two steps. */
static dh_status step_tx(dh_tx *tx, void *closure, dh_err *e)
{
    flow_cl *cl = closure;
    json_decref(cl->out);
    cl->out = NULL;
    const struct step *s = NULL;
    for (size_t i = 0; i < sizeof steps / sizeof *steps; i++)
        if (cl->action && !strcmp(cl->action, steps[i].action))
            s = &steps[i];
    if (!s)
        return dh_err_set(e, DH_E_INVALID, "invalid_value", "action",
                          "action '%s' is not submit, appraise or publish",
                          cl->action ? cl->action : "");
    target t;
    dh_status st = target_load(tx, cl->unit, cl->framework, cl->year, cl->now, true, &t, e);
    char key[200];
    if (st == DH_OK) {
        key_of(&t, NULL, key, sizeof key);
        bool ok = s->appraiser ? may_appraise(tx->reg, cl->a, t.u, t.day)
                               : may_self(tx->reg, cl->a, t.u, t.day);
        if (!ok)
            st = dh_tx_deny(tx, cl->a, s->action, "dti_assessment", key, cl->unit, cl->now, e,
                            s->appraiser ? "appraise or publish a DTI assessment (an officer "
                                           "of a unit above it, or an admin)"
                                         : "submit the DTI self-assessment of a unit outside "
                                           "their own");
    }
    if (st == DH_OK && strcmp(t.row.status, s->from))
        st = dh_err_set(e, DH_E_CONFLICT, "invalid_transition", "status",
                        "cannot %s the assessment of '%s' on %s %d: it is %s, not %s", s->action,
                        cl->unit, t.fw.code, t.fw.year, t.row.status, s->from);
    if (st == DH_OK) {
        json_t *before = row_json(&t);
        t.row.status = s->to;
        t.row.updated_at = cl->now;
        st = DH_DTI(tx->c)->save_assessment(tx->c, &t.row, NULL, e);
        cl->out = row_json(&t);
        if (st == DH_OK)
            st = dh_app_audit(tx->c, cl->a, s->action, "dti_assessment", key, cl->unit, "ok",
                              before, cl->out, cl->now, e);
        json_decref(before);
        t.row.status = t.status;
    }
    target_free(&t);
    return st;
}

dh_status dh_app_dti_step(dh_app *app, const dh_actor *a, const char *unit, const char *framework,
                          int year, const char *action, time_t now, json_t **out, dh_err *e)
{
    flow_cl cl = {a, unit, framework, action, year, NULL, now, NULL};
    return run(app, step_tx, &cl, out, e);
}

/* ------------------------------------------------------------------ */
/* Entries.                                                           */

typedef struct entries {
    json_t *all; /* every entry as stored, for a revision's snapshot */
    dh_dti_entry_row cur;
    char *code, *evidence, *note, *comment;
    bool found;
    const char *want;
} entries;

static json_t *opt_num(bool has, double v)
{
    return has ? json_real(dh_dti_round4(v)) : json_null();
}

static json_t *entry_json(const dh_dti_entry_row *r)
{
    char *text = dh_dti_ev_text(r->evidence);
    json_t *j = json_pack("{s:s,s:o,s:o,s:o,s:o,s:s,s:o,s:s,s:s}", "criterion", r->code,
                          "self_points", opt_num(r->has_self_points, r->self_points),
                          "self_value", opt_num(r->has_self_value, r->self_value), "points",
                          opt_num(r->has_points, r->points), "value",
                          opt_num(r->has_value, r->value), "evidence", text, "evidence_files",
                          dh_dti_ev_files(r->evidence), "note", r->note ? r->note : "",
                          "comment", r->comment ? r->comment : "");
    free(text);
    return j;
}

static int on_entry(void *closure, const dh_dti_entry_row *r)
{
    entries *x = closure;
    json_array_append_new(x->all, entry_json(r));
    if (!strcmp(r->code, x->want)) {
        x->cur = *r;
        x->code = strdup(r->code);
        x->evidence = strdup(r->evidence);
        x->note = strdup(r->note);
        x->comment = strdup(r->comment);
        x->cur.code = x->code;
        x->cur.evidence = x->evidence;
        x->cur.note = x->note;
        x->cur.comment = x->comment;
        x->found = true;
    }
    return 0;
}

static void entries_free(entries *x)
{
    json_decref(x->all);
    free(x->code);
    free(x->evidence);
    free(x->note);
    free(x->comment);
}

/* A number member: absent or null leaves *has false; not a number is
 * DH_E_INVALID naming the member. */
static dh_status num_member(json_t *body, const char *key, bool *has, double *v, dh_err *e)
{
    json_t *j = json_object_get(body, key);
    *has = false;
    if (!j || json_is_null(j))
        return DH_OK;
    if (!json_is_number(j))
        return dh_err_set(e, DH_E_INVALID, "invalid_type", key, "%s must be a number", key);
    *has = true;
    *v = json_number_value(j);
    return DH_OK;
}

/* Concurrency: reads the assessment and its entries and writes one entry
 * (and a revision); ordered as step_tx. */
static dh_status entry_tx(dh_tx *tx, void *closure, dh_err *e)
{
    flow_cl *cl = closure;
    json_decref(cl->out);
    cl->out = NULL;
    json_t *b = cl->body;
    char *crit = NULL, *evidence = NULL, *note = NULL, *comment = NULL, *reason = NULL,
         *ev_stored = NULL;
    bool hp = false, hv = false;
    double pts = 0, val = 0;
    dh_status st = dh_json_text(b, "criterion", true, &crit, e);
    if (st == DH_OK)
        st = dh_json_text(b, "evidence", false, &evidence, e);
    if (st == DH_OK)
        st = dh_json_text(b, "note", false, &note, e);
    if (st == DH_OK)
        st = dh_json_text(b, "comment", false, &comment, e);
    if (st == DH_OK)
        st = dh_json_text(b, "reason", false, &reason, e);
    if (st == DH_OK)
        st = num_member(b, "points", &hp, &pts, e);
    if (st == DH_OK)
        st = num_member(b, "value", &hv, &val, e);
    if (st == DH_OK && !hp && !hv)
        st = dh_err_set(e, DH_E_INVALID, "missing_field", "points",
                        "give points, or a value for a ratio or kpi criterion");
    target t = {0};
    entries x = {json_array(), {0}, NULL, NULL, NULL, NULL, false, crit ? crit : ""};
    if (st == DH_OK)
        st = target_load(tx, cl->unit, cl->framework, cl->year, cl->now, true, &t, e);
    long ni = st == DH_OK ? dh_dti_find(t.fw.nodes, t.fw.n, crit) : -1;
    if (st == DH_OK && ni < 0)
        st = dh_err_set(e, DH_E_INVALID, "unknown_criterion", "criterion",
                        "'%s' is not a criterion of framework %s %d", crit, t.fw.code, t.fw.year);
    dh_dti_problem p;
    if (st == DH_OK &&
        !dh_dti_entry_check(&t.fw.nodes[ni], !dh_dti_has_children(t.fw.nodes, t.fw.n, ni),
                            &(dh_dti_entry){hp, pts, hv, val, 0}, &p))
        st = dh_err_set(e, DH_E_INVALID, "invalid_entry", p.field, "%s", p.message);
    char key[260];
    const char *status = st == DH_OK ? t.row.status : "";
    bool own = !strcmp(status, "self_assessment");
    if (st == DH_OK && !strcmp(status, "submitted"))
        st = dh_err_set(e, DH_E_CONFLICT, "submitted", "status",
                        "the assessment of '%s' on %s %d is submitted: entries change again "
                        "once the appraisal starts",
                        cl->unit, t.fw.code, t.fw.year);
    if (st == DH_OK) {
        key_of(&t, crit, key, sizeof key);
        bool ok =
            own ? may_self(tx->reg, cl->a, t.u, t.day) : may_appraise(tx->reg, cl->a, t.u, t.day);
        if (!ok)
            st = dh_tx_deny(tx, cl->a, own ? "self_assess" : "appraise", "dti_assessment", key,
                            cl->unit, cl->now, e,
                            own ? "enter the DTI self-assessment of a unit outside their own"
                                : "appraise or correct a DTI assessment (an officer of a unit "
                                  "above it, or an admin)");
    }
    bool revise = !strcmp(status, "published");
    if (st == DH_OK && revise && (!reason || !*reason))
        st = dh_err_set(e, DH_E_CONFLICT, "published", "reason",
                        "the assessment of '%s' on %s %d is published: a correction needs a "
                        "reason and becomes a new revision",
                        cl->unit, t.fw.code, t.fw.year);
    if (st == DH_OK)
        st = DH_DTI(tx->c)->list_entries(tx->c, t.row.id, on_entry, &x, e);
    if (st == DH_OK) {
        dh_dti_entry_row r =
            x.found ? x.cur : (dh_dti_entry_row){.assessment_id = t.row.id, .code = crit};
        json_t *before = x.found ? entry_json(&x.cur) : NULL;
        if (own) {
            r.has_self_points = hp, r.self_points = pts;
            r.has_self_value = hv, r.self_value = val;
            if (evidence) {
                /* New text; the files attached stay. */
                json_t *files = dh_dti_ev_files(r.evidence);
                r.evidence = ev_stored = dh_dti_ev_join(evidence, files);
                json_decref(files);
            }
            if (note)
                r.note = note;
        } else {
            r.has_points = hp, r.points = pts;
            r.has_value = hv, r.value = val;
            if (comment)
                r.comment = comment;
        }
        if (revise) {
            char *snap = json_dumps(x.all, JSON_COMPACT);
            t.row.revision++;
            st = DH_DTI(tx->c)->add_revision(tx->c,
                                             &(dh_dti_revision_row){t.row.id, t.row.revision,
                                                                    cl->now, cl->a->login, reason,
                                                                    snap},
                                             e);
            free(snap);
            t.row.updated_at = cl->now;
            if (st == DH_OK)
                st = DH_DTI(tx->c)->save_assessment(tx->c, &t.row, NULL, e);
        }
        if (st == DH_OK)
            st = DH_DTI(tx->c)->put_entry(tx->c, &r, e);
        if (st == DH_OK) {
            cl->out = entry_json(&r);
            json_object_set_new(cl->out, "status", json_string(t.row.status));
            json_object_set_new(cl->out, "revision", json_integer(t.row.revision));
            if (revise)
                json_object_set_new(cl->out, "reason", json_string(reason));
            st = dh_app_audit(tx->c, cl->a,
                              revise ? "revise"
                              : own  ? "self_assess"
                                     : "appraise",
                              "dti_assessment", key, cl->unit, "ok", before, cl->out, cl->now, e);
        }
        json_decref(before);
    }
    entries_free(&x);
    target_free(&t);
    free(crit);
    free(evidence);
    free(ev_stored);
    free(note);
    free(comment);
    free(reason);
    return st;
}

dh_status dh_app_dti_entry_put(dh_app *app, const dh_actor *a, json_t *body, time_t now,
                               json_t **out, dh_err *e)
{
    *out = NULL;
    static const char *const allowed[] = {"unit",    "framework", "year",     "criterion",
                                          "points",  "value",     "evidence", "note",
                                          "comment", "reason",    NULL};
    dh_status st = dh_json_only(body, allowed, e);
    if (st)
        return st;
    json_t *y = json_object_get(body, "year");
    if (!json_is_integer(y))
        return dh_err_set(e, DH_E_INVALID, "invalid_type", "year", "year must be an integer");
    const char *unit = json_string_value(json_object_get(body, "unit")),
               *fw = json_string_value(json_object_get(body, "framework"));
    if (!unit || !fw)
        return dh_err_set(e, DH_E_INVALID, "missing_field", unit ? "framework" : "unit",
                          "%s is required", unit ? "framework" : "unit");
    flow_cl cl = {a, unit, fw, NULL, (int)json_integer_value(y), body, now, NULL};
    return run(app, entry_tx, &cl, out, e);
}

/* ------------------------------------------------------------------ */
/* Revisions.                                                         */

static int on_revision(void *closure, const dh_dti_revision_row *r)
{
    json_t *snap = json_loads(r->snapshot_json, 0, NULL);
    json_array_append_new(closure,
                          json_pack("{s:i,s:I,s:s,s:s,s:o}", "revision", r->revision, "at",
                                    (json_int_t)r->at, "actor", r->actor, "reason", r->reason,
                                    "entries_before", snap ? snap : json_null()));
    return 0;
}


/* Replaces the file ids of every entry's evidence_files by the files'
 * metadata (after list_entries: no store call inside its callback). */
static dh_status files_describe(dh_conn *c, json_t *ents, dh_err *e)
{
    size_t i;
    json_t *en, *meta;
    json_array_foreach(ents, i, en)
    {
        dh_status st = dh_dti_files_meta(c, json_object_get(en, "evidence_files"), &meta, e);
        if (st)
            return st;
        json_object_set_new(en, "evidence_files", meta);
    }
    return DH_OK;
}

/* A read (dh_app_dti_assessment_get runs it in a read transaction with the
 * shared registry); a refusal is DH_E_FORBIDDEN, audited by the caller. */
static dh_status history_tx(dh_tx *tx, void *closure, dh_err *e)
{
    flow_cl *cl = closure;
    json_decref(cl->out);
    cl->out = NULL;
    target t;
    /* Access first, so that a refusal does not tell whether there is one. */
    dh_status st = target_load(tx, cl->unit, cl->framework, cl->year, cl->now, false, &t, e);
    if (st == DH_OK && !dh_access_allows(tx->reg, cl->a->role, dh_app_actor_scope(tx->reg, cl->a),
                                         DH_ACT_READ, t.u, t.day))
        st = dh_err_set(e, DH_E_FORBIDDEN, "forbidden", NULL,
                        "reading the DTI assessment of a unit outside their own is not allowed");
    if (st == DH_OK && !t.found.n)
        st = dh_err_set(e, DH_E_NOTFOUND, "no_assessment", "unit",
                        "unit '%s' has no assessment on framework '%s' of %d", cl->unit,
                        t.fw.code, t.fw.year);
    json_t *revs = json_array(), *ents = json_array();
    entries x = {ents, {0}, NULL, NULL, NULL, NULL, false, ""};
    if (st == DH_OK)
        st = DH_DTI(tx->c)->list_revisions(tx->c, t.row.id, on_revision, revs, e);
    if (st == DH_OK)
        st = DH_DTI(tx->c)->list_entries(tx->c, t.row.id, on_entry, &x, e);
    if (st == DH_OK)
        st = files_describe(tx->c, ents, e);
    if (st == DH_OK) {
        cl->out = row_json(&t);
        json_object_set_new(cl->out, "entries", json_incref(ents));
        /* The framework's nodes, for forms: which criteria take points or a value. */
        json_t *crit = json_array();
        for (size_t i = 0; i < t.fw.n; i++) {
            const dh_dti_node *d = &t.fw.nodes[i];
            json_array_append_new(crit,
                                  json_pack("{s:s,s:s,s:s,s:f,s:s,s:b}", "code", d->code, "parent",
                                            d->parent ? d->parent : "", "name", d->name, "max",
                                            d->max_points, "method", dh_dti_method_name(d->method),
                                            "leaf", !dh_dti_has_children(t.fw.nodes, t.fw.n, i)));
        }
        json_object_set_new(cl->out, "criteria", crit);
        json_object_set_new(cl->out, "revisions", json_incref(revs));
    }
    json_decref(revs);
    entries_free(&x);
    target_free(&t);
    return st;
}

static dh_status read_run(dh_app *app, dh_tx_fn fn, void *closure, dh_err *e);

dh_status dh_app_dti_assessment_get(dh_app *app, const dh_actor *a, const char *unit,
                                    const char *framework, int year, time_t now, json_t **out,
                                    dh_err *e)
{
    *out = NULL;
    flow_cl cl = {a, unit, framework, NULL, year, NULL, now, NULL};
    dh_status st = read_run(app, history_tx, &cl, e);
    if (st == DH_E_FORBIDDEN) {
        json_decref(cl.out);
        return dh_app_deny(app, a, "read", "dti_assessment", framework ? framework : "",
                           unit ? unit : "", now, e,
                           "read the DTI assessment of a unit outside their own");
    }
    if (st == DH_OK)
        *out = cl.out;
    else
        json_decref(cl.out);
    return st;
}

/* ------------------------------------------------------------------ */
/* Evidence files per criterion.                                      */

/* At most this many files per criterion. */
#define EVIDENCE_MAX 20

typedef struct ev_cl {
    flow_cl f;
    const char *crit;
    const dh_file_new *file; /* an upload */
    int64_t id;              /* a download */
    dti_file_got got;
} ev_cl;

/* Concurrency: reads the assessment and the criterion's entry, inserts the
 * file under a random id (dh_file_insert) and rewrites the entry with the
 * id appended, in one write transaction ordered as step_tx; a rerun draws
 * a new id and appends to the entry as read again. */
static dh_status evidence_tx(dh_tx *tx, void *closure, dh_err *e)
{
    ev_cl *cl = closure;
    flow_cl *f = &cl->f;
    json_decref(f->out);
    f->out = NULL;
    target t;
    entries x = {json_array(), {0}, NULL, NULL, NULL, NULL, false, cl->crit};
    char key[260], *text = NULL, *stored = NULL;
    json_t *files = NULL;
    dh_status st = target_load(tx, f->unit, f->framework, f->year, f->now, true, &t, e);
    if (st == DH_OK && dh_dti_find(t.fw.nodes, t.fw.n, cl->crit) < 0)
        st = dh_err_set(e, DH_E_INVALID, "unknown_criterion", "criterion",
                        "'%s' is not a criterion of framework %s %d", cl->crit, t.fw.code,
                        t.fw.year);
    const char *status = st == DH_OK ? t.row.status : "";
    bool own = !strcmp(status, "self_assessment");
    if (st == DH_OK) {
        key_of(&t, cl->crit, key, sizeof key);
        /* Submitted or published: either side is told it is locked. */
        bool appraisal = !strcmp(status, "appraisal"),
             ok = (!appraisal && may_self(tx->reg, f->a, t.u, t.day)) ||
                  (!own && may_appraise(tx->reg, f->a, t.u, t.day));
        if (!ok)
            st = dh_tx_deny(tx, f->a, "attach_evidence", "dti_assessment", key, f->unit, f->now,
                            e,
                            own ? "attach evidence to the DTI self-assessment of a unit outside "
                                  "their own"
                                : "attach evidence to a DTI appraisal (an officer of a unit "
                                  "above it, or an admin)");
    }
    if (st == DH_OK && !own && strcmp(status, "appraisal"))
        st = dh_err_set(e, DH_E_CONFLICT, status, "status",
                        "the assessment of '%s' on %s %d is %s: evidence files are attached "
                        "while the unit assesses itself or during the appraisal; the files "
                        "attached stay",
                        f->unit, t.fw.code, t.fw.year, status);
    if (st == DH_OK)
        st = DH_DTI(tx->c)->list_entries(tx->c, t.row.id, on_entry, &x, e);
    if (st == DH_OK) {
        files = dh_dti_ev_files(x.found ? x.cur.evidence : NULL);
        if (json_array_size(files) >= EVIDENCE_MAX)
            st = dh_err_set(e, DH_E_INVALID, "too_many_files", "criterion",
                            "criterion '%s' already has %d evidence files, the most it takes",
                            cl->crit, EVIDENCE_MAX);
    }
    json_t *meta = NULL;
    if (st == DH_OK)
        st = dh_file_insert(tx->c, f->a, cl->file, f->now, &meta, e);
    if (st == DH_OK) {
        json_array_append_new(files, json_incref(json_object_get(meta, "id")));
        dh_dti_entry_row r =
            x.found ? x.cur : (dh_dti_entry_row){.assessment_id = t.row.id, .code = cl->crit};
        text = dh_dti_ev_text(r.evidence);
        r.evidence = stored = dh_dti_ev_join(text, files);
        st = DH_DTI(tx->c)->put_entry(tx->c, &r, e);
    }
    if (st == DH_OK) {
        f->out = json_pack("{s:s,s:s,s:i,s:s,s:s,s:O,s:i}", "unit", f->unit, "framework",
                           t.fw.code, "year", t.fw.year, "criterion", cl->crit, "status",
                           status, "file", meta, "files", (int)json_array_size(files));
        st = dh_app_audit(tx->c, f->a, "attach_evidence", "dti_assessment", key, f->unit, "ok",
                          NULL, f->out, f->now, e);
    }
    json_decref(meta);
    json_decref(files);
    free(text);
    free(stored);
    entries_free(&x);
    target_free(&t);
    return st;
}

dh_status dh_app_dti_evidence_put(dh_app *app, const dh_actor *a, const char *unit,
                                  const char *framework, int year, const char *criterion,
                                  const char *name, const void *data, size_t len, time_t now,
                                  json_t **out, dh_err *e)
{
    *out = NULL;
    if (!criterion || !*criterion)
        return dh_err_set(e, DH_E_INVALID, "missing_field", "criterion", "criterion is required");
    dh_file_new file;
    dh_status st = dh_file_prepare(name, data, len, &file, e);
    if (st)
        return st;
    ev_cl cl = {{a, unit, framework, NULL, year, NULL, now, NULL}, criterion, &file, 0, {0}};
    st = run(app, evidence_tx, &cl.f, out, e);
    dh_file_new_free(&file);
    return st;
}

/* A read: the file must be attached to one of the assessment's criteria
 * (self-assessed or appraisal evidence) and the actor must read the unit
 * (its officers, those of the units above it, admins); a refusal is
 * DH_E_FORBIDDEN, answered by the caller as an unknown file. */
static dh_status evidence_get_tx(dh_tx *tx, void *closure, dh_err *e)
{
    ev_cl *cl = closure;
    flow_cl *f = &cl->f;
    target t;
    dh_status st = target_load(tx, f->unit, f->framework, f->year, f->now, false, &t, e);
    if (st == DH_OK && !dh_access_allows(tx->reg, f->a->role, dh_app_actor_scope(tx->reg, f->a),
                                         DH_ACT_READ, t.u, t.day))
        st = dh_err_set(e, DH_E_FORBIDDEN, "forbidden", NULL, "not the actor's unit");
    json_t *ents = json_array();
    entries x = {ents, {0}, NULL, NULL, NULL, NULL, false, ""};
    if (st == DH_OK && t.found.n)
        st = DH_DTI(tx->c)->list_entries(tx->c, t.row.id, on_entry, &x, e);
    bool attached = false;
    size_t i, j;
    json_t *en, *id;
    json_array_foreach(ents, i, en)
    {
        json_array_foreach(json_object_get(en, "evidence_files"), j, id)
        {
            if (json_integer_value(id) == cl->id)
                attached = true;
        }
    }
    if (st == DH_OK && !attached)
        st = dh_err_set(e, DH_E_NOTFOUND, "unknown_file", NULL, "file %lld does not exist",
                        (long long)cl->id);
    if (st == DH_OK)
        st = DH_PLANS(tx->c)->get_file(tx->c, cl->id, true, dh_dti_on_file, &cl->got, e);
    entries_free(&x);
    target_free(&t);
    return st;
}

/* Runs a read-only fn in a read transaction with the shared registry (the
 * runner would take the write lock). */
static dh_status read_run(dh_app *app, dh_tx_fn fn, void *closure, dh_err *e)
{
    const dh_unitreg *reg = dh_app_units_acquire(app, e);
    if (!reg)
        return e->status;
    dh_conn *c = dh_store_acquire(dh_app_store(app), e);
    dh_status st = c ? DH_OPS(c)->begin(c, false, e) : e->status;
    if (st == DH_OK) {
        dh_tx tx = {.app = app, .c = c, .reg = (dh_unitreg *)reg};
        st = fn(&tx, closure, e);
        DH_OPS(c)->rollback(c);
    }
    if (c)
        dh_store_release(c);
    dh_app_units_release(app, reg);
    return st;
}

dh_status dh_app_dti_evidence_get(dh_app *app, const dh_actor *a, const char *unit,
                                  const char *framework, int year, int64_t id, time_t now,
                                  json_t **meta, char **data, size_t *len, dh_err *e)
{
    *meta = NULL;
    *data = NULL;
    *len = 0;
    ev_cl cl = {{a, unit, framework, NULL, year, NULL, now, NULL}, NULL, NULL, id, {0}};
    dh_status st = read_run(app, evidence_get_tx, &cl, e);
    if (st == DH_E_FORBIDDEN) {
        /* Answered as an unknown file, as for another unit's dossier; the
         * refusal is in the audit trail. */
        char key[32];
        snprintf(key, sizeof key, "%lld", (long long)id);
        dh_app_audit_denied(app, a, "read", "file", key, unit ? unit : "", now);
        st = dh_err_set(e, DH_E_NOTFOUND, "unknown_file", NULL, "file %lld does not exist",
                        (long long)id);
    }
    if (st) {
        json_decref(cl.got.meta);
        free(cl.got.data);
        return st;
    }
    *meta = cl.got.meta;
    *data = cl.got.data;
    *len = cl.got.len;
    return DH_OK;
}
