/* dtiplan.c - from a DTI result to an owned, tracked plan (issue 16, points
 * 6 and 8): "create the remediation plan" of an assessment, and the demo
 * data (the district framework of 2023, Vũng Tàu's result as seed 002
 * prints it, seven synthetic districts, and the city's transcribed
 * remediation plan linked to the criteria).
 *
 * A remediation plan is a plan of type `remediation` issued by the unit,
 * covering the year after the assessment, with one task per criterion that
 * lost points, in order of points lost: its lead is the unit (the
 * framework's default responsible unit per criterion, when it names one,
 * is the task's lead text), its deadline the end of October of the next
 * year, before the next assessment. Each task is linked to its criterion
 * (dti_entries.task_id), so that the scorecard shows the task's state and
 * next year's scorecard whether the points came back. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/dtiint.h"
#include "app/planbook.h"
#include "core/access.h"
#include "store/dti.h"
#include "util/csv.h"
#include "util/embed.h"

/* Links criterion `code` of assessment `aid` to task `task_id`, keeping the
 * entry's figures (a criterion without an entry gets one without figures). */
typedef struct link_cl {
    const char *code;
    dh_dti_entry_row row;
    char *strs[4];
    bool found;
} link_cl;

static int on_link_entry(void *closure, const dh_dti_entry_row *r)
{
    link_cl *l = closure;
    if (strcmp(r->code, l->code))
        return 0;
    l->row = *r;
    l->strs[0] = strdup(r->code);
    l->strs[1] = strdup(r->evidence);
    l->strs[2] = strdup(r->note);
    l->strs[3] = strdup(r->comment);
    l->row.code = l->strs[0];
    l->row.evidence = l->strs[1];
    l->row.note = l->strs[2];
    l->row.comment = l->strs[3];
    l->found = true;
    return 1;
}

static dh_status link_task(dh_conn *c, int64_t aid, const char *code, int64_t task_id, dh_err *e)
{
    link_cl l = {code, {.assessment_id = aid, .code = code}, {0}, false};
    dh_status st = DH_DTI(c)->list_entries(c, aid, on_link_entry, &l, e);
    l.row.task_id = task_id;
    if (st == DH_OK)
        st = DH_DTI(c)->put_entry(c, &l.row, e);
    for (int i = 0; i < 4; i++)
        free(l.strs[i]);
    return st;
}

static int on_assessment_id(void *closure, const dh_dti_assessment_row *r)
{
    *(int64_t *)closure = r->id;
    return 1;
}

/* ------------------------------------------------------------------ */
/* The remediation plan of an assessment.                             */

typedef struct rem_cl {
    const dh_actor *a;
    const char *unit, *framework;
    int year;
    const json_t *card; /* the scorecard, read before the transaction */
    const char *implements;
    time_t now;
    json_t *out;
} rem_cl;

/* Concurrency: reads the plan book and the assessment inside the write
 * transaction, writes the plan, its tasks and the links, and bumps
 * plans_rev: two writers of plans are ordered as plan_create_tx orders
 * them, and the plan's key (one remediation plan per unit, framework and
 * year) is unique. The points lost come from the scorecard read just
 * before: a correction published in between is not reflected (the plan's
 * tasks stay editable). */
static dh_status rem_tx(dh_tx *tx, void *closure, dh_err *e)
{
    rem_cl *cl = closure;
    dh_planbook *b = NULL;
    dh_status st = pb_fresh(tx, &cl->out, &b, e);
    if (st)
        return st;
    dh_date today = dh_date_of_time_vn(cl->now);
    int32_t u = dh_unitreg_find(tx->reg, cl->unit);
    char key[200], title[600];
    snprintf(key, sizeof key, "%s-%d-%s-khac-phuc", cl->framework, cl->year, cl->unit);
    char name[300];
    const dh_unit_version *v = u >= 0 ? dh_unitreg_nearest(tx->reg, u, today) : NULL;
    snprintf(name, sizeof name, "%s", v ? v->name : cl->unit);
    snprintf(title, sizeof title,
             "Kế hoạch khắc phục các tiêu chí bị trừ điểm Chỉ số chuyển đổi số năm %d của %s",
             cl->year, name);
    if (u < 0 || !dh_access_allows(tx->reg, cl->a->role, dh_app_actor_scope(tx->reg, cl->a),
                                   DH_ACT_WRITE, u, today))
        st = dh_tx_deny(tx, cl->a, "remediate", "dti_assessment", key, cl->unit, cl->now, e,
                        "create the remediation plan of a unit outside their own");
    if (st == DH_OK && pb_plan_find(b, key) != PB_NONE)
        st = dh_err_set(e, DH_E_CONFLICT, "remediation_exists", "unit",
                        "the remediation plan %s already exists", key);
    json_t *parents = json_array(), *cites = json_array();
    if (st == DH_OK && cl->implements && *cl->implements) {
        size_t pi = pb_plan_find(b, cl->implements);
        if (pi == PB_NONE)
            json_array_append_new(cites, json_string(cl->implements));
        else
            json_array_append_new(parents, json_integer(b->p[pi].id));
    }
    int64_t aid = 0;
    if (st == DH_OK) {
        dti_fw fw;
        st = dh_dti_fw_load(tx->c, cl->framework, cl->year, &fw, e);
        if (st == DH_OK)
            st = DH_DTI(tx->c)->list_assessments(tx->c, fw.id, cl->unit, on_assessment_id, &aid, e);
        if (st == DH_OK && !aid)
            st = dh_err_set(e, DH_E_NOTFOUND, "no_assessment", "unit",
                            "unit '%s' has no assessment on framework '%s' of %d", cl->unit,
                            cl->framework, cl->year);
        if (st == DH_OK)
            dh_dti_fw_free(&fw);
    }
    int64_t plan_id = 0;
    json_t *doc = NULL;
    if (st == DH_OK) {
        char from[11], to[11], note[300];
        snprintf(from, sizeof from, "%04d-01-01", cl->year + 1);
        snprintf(to, sizeof to, "%04d-12-31", cl->year + 1);
        snprintf(note, sizeof note, "Lập từ kết quả Chỉ số chuyển đổi số %s năm %d (%s).",
                 cl->framework, cl->year, cl->unit);
        doc = json_pack("{s:s,s:s,s:s,s:n,s:s,s:s,s:s,s:s,s:s,s:O,s:O,s:n,s:s}", "key", key,
                        "number", "", "type", "remediation", "date", "issuer", cl->unit, "title",
                        title, "period_from", from, "period_to", to, "status", "active",
                        "parent_ids", parents, "cites", cites, "document_file", "note", note);
        st = pb_put_plan(tx->c, doc, cl->now, &plan_id, e);
        if (st == DH_OK) {
            json_object_set_new(doc, "id", json_integer(plan_id));
            st = dh_app_audit(tx->c, cl->a, "create", "plan", key, cl->unit, "ok", NULL, doc,
                              cl->now, e);
        }
    }
    json_decref(parents);
    json_decref(cites);
    /* The book again, with the new plan in it, for the tasks. */
    if (st == DH_OK) {
        pb_free(b);
        b = NULL;
        st = pb_load(tx->c, &b, e);
    }
    size_t pi = st == DH_OK ? pb_plan_find(b, key) : PB_NONE;
    json_t *tasks = json_array();
    size_t i;
    json_t *l;
    char due[11];
    snprintf(due, sizeof due, "%04d-10-31", cl->year + 1);
    json_array_foreach(json_object_get(cl->card, "lost"), i, l)
    {
        if (st)
            break;
        const char *code = json_string_value(json_object_get(l, "code"));
        char ord[16], content[1200];
        snprintf(ord, sizeof ord, "%zu", i + 1);
        snprintf(content, sizeof content, "Khắc phục tiêu chí %s \"%s\" (bị trừ %g điểm năm %d)",
                 code, json_string_value(json_object_get(l, "name")),
                 json_number_value(json_object_get(l, "lost")), cl->year);
        const char *resp = json_string_value(json_object_get(l, "responsible"));
        json_t *body =
            json_pack("{s:s,s:s,s:[s],s:s,s:s,s:s}", "ordinal", ord, "content", content, "lead",
                      cl->unit, "lead_text", resp ? resp : "", "due", due, "note", code);
        json_t *tdoc = NULL;
        st = pb_task_from_body(tx, b, pi, body, &tdoc, e);
        if (st == DH_OK)
            st = pb_insert_task(tx, cl->a, tdoc, "create", cl->now, e);
        int64_t tid = st == DH_OK ? json_integer_value(json_object_get(tdoc, "id")) : 0;
        if (st == DH_OK)
            st = link_task(tx->c, aid, code, tid, e);
        if (st == DH_OK)
            json_array_append_new(tasks, json_pack("{s:I,s:s,s:s,s:O,s:s}", "id", tid, "ordinal",
                                                   ord, "criterion", code, "lost",
                                                   json_object_get(l, "lost"), "due", due));
        json_decref(tdoc);
        json_decref(body);
    }
    if (st == DH_OK)
        st = pb_bump(tx->c, e);
    if (st == DH_OK) {
        cl->out = json_pack("{s:{s:I,s:s,s:s},s:O}", "plan", "id", plan_id, "key", key, "title",
                            title, "tasks", tasks);
        char akey[200];
        snprintf(akey, sizeof akey, "%s/%d/%s", cl->framework, cl->year, cl->unit);
        st = dh_app_audit(tx->c, cl->a, "remediate", "dti_assessment", akey, cl->unit, "ok", NULL,
                          cl->out, cl->now, e);
    }
    json_decref(tasks);
    json_decref(doc);
    pb_free(b);
    return st;
}

dh_status dh_app_dti_remediation(dh_app *app, const dh_actor *a, const char *unit,
                                 const char *framework, int year, const char *implements,
                                 time_t now, json_t **out, dh_err *e)
{
    *out = NULL;
    json_t *card = NULL;
    dh_status st = dh_app_dti_score(app, a, unit, framework, year, now, &card, e);
    if (st)
        return st;
    rem_cl cl = {a, unit, framework, year, card, implements, now, NULL};
    st = pb_run(app, rem_tx, &cl, &cl.out, out, e);
    json_decref(card);
    return st;
}

/* ------------------------------------------------------------------ */
/* Demo data.                                                         */

#define DEMO_FW "DTI-HUYEN"
#define DEMO_YEAR 2023
#define DEMO_PLAN "TPVT-KH-2024-khac-phuc-DTI-2023"

typedef struct demo_cl {
    const dh_actor *a;
    time_t now;
    const char *remedies; /* demo/dti-remedies-2023.csv: ordinal,criterion */
    size_t len;
    json_t *out;
} demo_cl;

/* Concurrency: the demo loads into a database nobody else writes yet; the
 * transaction reads the assessments and the plan book and writes the
 * synthetic marks and the links. */
static dh_status demo_tx(dh_tx *tx, void *closure, dh_err *e)
{
    demo_cl *cl = closure;
    json_decref(cl->out);
    cl->out = NULL;
    dti_fw fw;
    dh_status st = dh_dti_fw_load(tx->c, DEMO_FW, DEMO_YEAR, &fw, e);
    if (st)
        return st;
    dti_arows m = {0};
    st = DH_DTI(tx->c)->list_assessments(tx->c, fw.id, NULL, dh_dti_arows_add, &m, e);
    int64_t vt = 0;
    int synthetic = 0, linked = 0;
    for (size_t i = 0; i < m.n && st == DH_OK; i++) {
        if (!strcmp(m.v[i].unit, "BRVT-VT")) {
            vt = m.v[i].id;
            continue;
        }
        m.v[i].synthetic = true;
        st = DH_DTI(tx->c)->save_assessment(tx->c, &m.v[i], NULL, e);
        synthetic++;
    }
    dh_planbook *b = NULL;
    if (st == DH_OK)
        st = pb_load(tx->c, &b, e);
    size_t pi = b ? pb_plan_find(b, DEMO_PLAN) : PB_NONE;
    if (st == DH_OK && vt && pi != PB_NONE) {
        dh_csv *csv = dh_csv_new_mem(cl->remedies, cl->len, "demo/dti-remedies-2023.csv");
        char **f;
        size_t nf;
        int rc = dh_csv_next(csv, &f, &nf); /* the header */
        while (st == DH_OK && rc > 0 && (rc = dh_csv_next(csv, &f, &nf)) > 0) {
            size_t k = nf >= 2 ? pb_task_by_ordinal(b, pi, f[0]) : PB_NONE;
            if (k == PB_NONE || dh_dti_find(fw.nodes, fw.n, f[1]) < 0) {
                st = dh_err_set(e, DH_E_INTERNAL, "bad_demo_data", NULL,
                                "demo/dti-remedies-2023.csv:%ld: no task %s or criterion %s",
                                dh_csv_line(csv), nf ? f[0] : "", nf >= 2 ? f[1] : "");
                break;
            }
            st = link_task(tx->c, vt, f[1], b->t[k].id, e);
            linked++;
        }
        dh_csv_free(csv);
    }
    if (st == DH_OK) {
        cl->out = json_pack("{s:s,s:i,s:i,s:i}", "framework", DEMO_FW, "year", DEMO_YEAR,
                            "synthetic", synthetic, "linked", linked);
        st = dh_app_audit(tx->c, cl->a, "demo", "dti_assessment", DEMO_FW, "", "ok", NULL, cl->out,
                          cl->now, e);
    }
    pb_free(b);
    dh_dti_arows_free(&m);
    dh_dti_fw_free(&fw);
    return st;
}

dh_status dh_app_dti_demo(dh_app *app, const dh_actor *a, time_t now, json_t **summary, dh_err *e)
{
    *summary = NULL;
    size_t flen, rlen, mlen;
    const char *fw = dh_embedded_get("demo/dti-district-2023.csv", &flen);
    const char *res = dh_embedded_get("demo/dti-results-2023.csv", &rlen);
    const char *rem = dh_embedded_get("demo/dti-remedies-2023.csv", &mlen);
    if (!fw || !res || !rem)
        return dh_err_set(e, DH_E_INTERNAL, "no_demo_data", NULL,
                          "this binary was built without data/demo/dti-*.csv");
    dh_import_report rep;
    json_t *out = NULL;
    dh_status st =
        dh_app_dti_framework_import(app, a, fw, flen, "demo/dti-district-2023.csv", DEMO_FW,
                                    "Bộ chỉ số đánh giá chuyển đổi số cấp huyện năm 2023",
                                    "district", DEMO_YEAR, now, &rep, &out, e);
    dh_import_report_free(&rep);
    json_decref(out);
    out = NULL;
    if (st == DH_OK) {
        st = dh_app_dti_results_import(app, a, res, rlen, "demo/dti-results-2023.csv", DEMO_FW,
                                       DEMO_YEAR, false, now, &rep, &out, e);
        dh_import_report_free(&rep);
        json_decref(out);
    }
    if (st == DH_OK) {
        demo_cl cl = {a, now, rem, mlen, NULL};
        st = dh_tx_run(app, DH_TX_WRITE, demo_tx, &cl, e);
        if (st == DH_OK)
            *summary = cl.out;
        else
            json_decref(cl.out);
    }
    return st;
}
