/* plans.c - the plan book (every plan, task and update in memory; see
 * planbook.h), plans themselves (create, change, list, show, coverage of a
 * higher plan) and stored files (source documents, evidence). */
#include <ctype.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "app/planbook.h"
#include "util/buf.h"
#include "util/text.h"

/* ------------------------------------------------------------------ */
/* Small JSON helpers.                                                */

json_t *pb_date_json(dh_date d)
{
    if (d == DH_DATE_NONE)
        return json_null();
    char buf[DH_DATE_TEXT_LEN];
    dh_date_format(d, buf);
    return json_string(buf);
}

dh_date pb_json_date(json_t *v)
{
    dh_date d;
    if (!json_is_string(v) || dh_date_parse(json_string_value(v), &d))
        return DH_DATE_NONE;
    return d;
}

static json_t *parse_array(const char *s)
{
    json_t *j = s && *s ? json_loads(s, 0, NULL) : NULL;
    if (!json_is_array(j)) {
        json_decref(j);
        j = json_array();
    }
    return j;
}

static char *dump(json_t *j)
{
    return json_dumps(j, JSON_COMPACT);
}

static const char *str_of(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

dh_status pb_bump(dh_conn *c, dh_err *e) { return DH_META(c)->meta_bump(c, "plans_rev", e); }

dh_status pb_run(dh_app *app, dh_tx_fn fn, void *closure, json_t **answer, json_t **out,
                 dh_err *e)
{
    dh_status st = dh_tx_run(app, DH_TX_UNITS, fn, closure, e);
    if (st)
        json_decref(*answer);
    else
        *out = *answer;
    *answer = NULL;
    return st;
}

dh_status pb_fresh(dh_tx *tx, json_t **answer, dh_planbook **b, dh_err *e)
{
    json_decref(*answer);
    *answer = NULL;
    *b = NULL;
    return pb_load(tx->c, b, e);
}

/* ------------------------------------------------------------------ */
/* Loading the book.                                                  */

static json_t *plan_doc_of_row(const dh_plan_row *r)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(r->id));
    json_object_set_new(o, "key", json_string(r->key));
    json_object_set_new(o, "number", json_string(r->number));
    json_object_set_new(o, "type", json_string(r->type));
    json_object_set_new(o, "date", pb_date_json(r->date));
    json_object_set_new(o, "issuer", json_string(r->issuer));
    json_object_set_new(o, "title", json_string(r->title));
    json_object_set_new(o, "period_from", pb_date_json(r->period_from));
    json_object_set_new(o, "period_to", pb_date_json(r->period_to));
    json_object_set_new(o, "status", json_string(r->status));
    json_object_set_new(o, "parent_ids", parse_array(r->parents_json));
    json_object_set_new(o, "cites", parse_array(r->cites_json));
    json_object_set_new(o, "document_file",
                        r->document_id ? json_integer(r->document_id) : json_null());
    json_object_set_new(o, "note", json_string(r->note));
    json_object_set_new(o, "created_at", json_integer(r->created_at));
    json_object_set_new(o, "updated_at", json_integer(r->updated_at));
    return o;
}

static int on_plan(void *closure, const dh_plan_row *r)
{
    dh_planbook *b = closure;
    if (b->np == b->capp) {
        b->capp = b->capp ? b->capp * 2 : 16;
        b->p = dh_xrealloc(b->p, b->capp * sizeof *b->p);
    }
    pb_plan *p = &b->p[b->np++];
    memset(p, 0, sizeof *p);
    p->id = r->id;
    p->j = plan_doc_of_row(r);
    p->key = str_of(p->j, "key");
    p->number = str_of(p->j, "number");
    p->issuer = str_of(p->j, "issuer");
    p->date = r->date;
    p->period_from = r->period_from;
    p->period_to = r->period_to;
    return 0;
}

static json_t *target_json(const dh_task_row *r)
{
    if (!r->has_target)
        return json_null();
    return json_pack("{s:f,s:s}", "value", r->target_value, "unit_of_measure",
                     r->target_uom ? r->target_uom : "");
}

static json_t *task_doc_of_row(const dh_task_row *r)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(r->id));
    json_object_set_new(o, "plan_id", r->plan_id ? json_integer(r->plan_id) : json_null());
    json_object_set_new(o, "kind", json_string(r->kind));
    json_object_set_new(o, "ordinal", json_string(r->ordinal));
    json_object_set_new(o, "group", json_string(r->grp));
    json_object_set_new(o, "content", json_string(r->content));
    json_object_set_new(o, "lead", parse_array(r->lead_json));
    json_object_set_new(o, "coordinating", parse_array(r->coord_json));
    json_object_set_new(o, "lead_text", json_string(r->lead_text));
    json_object_set_new(o, "coordinating_text", json_string(r->coord_text));
    json_object_set_new(o, "expected_result", json_string(r->result));
    json_t *dl = json_object();
    json_object_set_new(dl, "text", json_string(r->deadline));
    json_object_set_new(dl, "start", pb_date_json(r->start));
    json_object_set_new(dl, "due", pb_date_json(r->due));
    json_object_set_new(dl, "needs_review", json_boolean(r->needs_review));
    json_object_set_new(o, "deadline", dl);
    json_object_set_new(o, "roadmap", json_string(r->roadmap));
    json_object_set_new(o, "milestones", parse_array(r->milestones_json));
    json_object_set_new(o, "implements_task",
                        r->parent_task_id ? json_integer(r->parent_task_id) : json_null());
    json_object_set_new(o, "target", target_json(r));
    json_object_set_new(o, "note", json_string(r->note));
    json_t *src = r->source_json && *r->source_json ? json_loads(r->source_json, 0, NULL) : NULL;
    json_object_set_new(o, "source", src ? src : json_null());
    json_object_set_new(o, "report",
                        json_pack("{s:s,s:i,s:o,s:s,s:s}", "every", r->report_every, "day",
                                  r->report_day, "month_offset",
                                  r->has_report_offset ? json_integer(r->report_offset)
                                                       : json_null(),
                                  "source", r->report_source && *r->report_source
                                                ? r->report_source : "default",
                                  "text", r->report_text ? r->report_text : ""));
    json_object_set_new(o, "created_by", json_string(r->created_by));
    json_object_set_new(o, "created_at", json_integer(r->created_at));
    json_object_set_new(o, "updated_at", json_integer(r->updated_at));
    return o;
}

static int on_task(void *closure, const dh_task_row *r)
{
    dh_planbook *b = closure;
    if (b->nt == b->capt) {
        b->capt = b->capt ? b->capt * 2 : 64;
        b->t = dh_xrealloc(b->t, b->capt * sizeof *b->t);
    }
    pb_task *t = &b->t[b->nt++];
    memset(t, 0, sizeof *t);
    t->id = r->id;
    t->j = task_doc_of_row(r);
    t->plan = r->plan_id ? pb_plan_by_id(b, r->plan_id) : PB_NONE;
    t->parent_id = r->parent_task_id;
    t->updates = json_array();
    return 0;
}

static int on_update(void *closure, const dh_task_update_row *r)
{
    dh_planbook *b = closure;
    size_t i = pb_task_by_id(b, r->task_id);
    if (i == PB_NONE)
        return 0;
    pb_task *t = &b->t[i];
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(r->id));
    json_object_set_new(o, "kind", json_string(r->kind));
    json_object_set_new(o, "unit", json_string(r->unit));
    json_object_set_new(o, "author", json_string(r->author));
    json_object_set_new(o, "date", pb_date_json(r->date));
    json_object_set_new(o, "occurrence", pb_date_json(r->occurrence));
    json_object_set_new(o, "percent", r->percent >= 0 ? json_integer(r->percent) : json_null());
    json_object_set_new(o, "done", json_boolean(r->done));
    json_object_set_new(o, "text", json_string(r->text));
    json_object_set_new(o, "evidence", parse_array(r->files_json));
    json_object_set_new(o, "created_at", json_integer(r->created_at));
    json_array_append_new(t->updates, o);
    if (strcmp(r->kind, "progress") == 0) {
        if (t->nu == t->capu) {
            t->capu = t->capu ? t->capu * 2 : 8;
            t->u = dh_xrealloc(t->u, t->capu * sizeof *t->u);
        }
        t->u[t->nu++] = (dh_tupdate){r->date, r->occurrence, r->percent, r->done};
    }
    return 0;
}

static dh_report_rule report_rule(json_t *rep)
{
    const char *every = str_of(rep, "every");
    int day = (int)json_integer_value(json_object_get(rep, "day"));
    if (day < 1 || day > 31)
        day = 10;
    /* The months after the period's end: as printed (migration 012), else
     * 0 for yearly (the report of the year by day/12) and 1 otherwise. */
    json_t *off = json_object_get(rep, "month_offset");
    int mo = json_is_integer(off) ? (int)json_integer_value(off) : -1;
    dh_report_rule r = {DH_REPORT_MONTHLY, 1, day};
    if (strcmp(every, "none") == 0)
        r = (dh_report_rule){DH_REPORT_NONE, 0, day};
    else if (strcmp(every, "quarterly") == 0)
        r = (dh_report_rule){DH_REPORT_QUARTERLY, 1, day};
    else if (strcmp(every, "half_yearly") == 0)
        r = (dh_report_rule){DH_REPORT_HALF_YEARLY, 1, day};
    else if (strcmp(every, "yearly") == 0)
        r = (dh_report_rule){DH_REPORT_YEARLY, 0, day};
    if (mo >= 0 && mo <= 12)
        r.month_offset = mo;
    return r;
}

dh_date pb_plan_ref_date(const pb_plan *p)
{
    return p->date != DH_DATE_NONE ? p->date : p->period_from;
}

/* The status definition of a task from its stored document. */
static void task_def(dh_planbook *b, pb_task *t)
{
    json_t *dl = json_object_get(t->j, "deadline");
    dh_deadline d;
    dh_err e;
    dh_tdef *f = &t->def;
    memset(f, 0, sizeof *f);
    f->kind = DH_DL_FREE;
    if (dh_deadline_parse(str_of(dl, "text"), &d, &e) == DH_OK) {
        f->kind = d.kind;
        f->yearly_month = d.yearly_month;
        f->yearly_day = d.yearly_day;
        dh_deadline_cleanup(&d);
    }
    f->start = pb_json_date(json_object_get(dl, "start"));
    f->due = pb_json_date(json_object_get(dl, "due"));
    json_object_set_new(dl, "kind", json_string(*str_of(dl, "text") ? dh_dl_kind_name(f->kind)
                                                                      : "none"));
    /* A relative deadline left open gets its date once the anchor plan has one. */
    if (f->kind == DH_DL_RELATIVE && f->due == DH_DATE_NONE && t->plan != PB_NONE) {
        const pb_plan *p = &b->p[t->plan];
        dh_date parent = DH_DATE_NONE;
        for (size_t i = 0; i < p->nparents && parent == DH_DATE_NONE; i++)
            parent = b->p[p->parents[i]].date;
        dh_deadline rd;
        if (dh_deadline_parse(str_of(dl, "text"), &rd, &e) == DH_OK) {
            f->due = dh_deadline_resolve(&rd, parent, p->date);
            dh_deadline_cleanup(&rd);
        }
        if (f->due != DH_DATE_NONE) {
            json_object_set_new(dl, "due", pb_date_json(f->due));
            json_object_set_new(dl, "needs_review", json_false());
        }
    }
    /* A date a person set (or a relative deadline resolved) makes it dated. */
    if ((f->kind == DH_DL_FREE || f->kind == DH_DL_RELATIVE) && f->due != DH_DATE_NONE)
        f->kind = DH_DL_DATE;
    f->span_from = f->span_to = DH_DATE_NONE;
    if (t->plan != PB_NONE) {
        const pb_plan *p = &b->p[t->plan];
        f->span_from = pb_plan_ref_date(p);
        f->span_to = p->period_to;
        if (f->start == DH_DATE_NONE && f->kind != DH_DL_CONTINUOUS && !dh_task_per_occurrence(f))
            f->start = f->span_from;
    } else {
        f->span_from = dh_date_of_time_vn((time_t)json_integer_value(json_object_get(t->j, "created_at")));
        if (f->start == DH_DATE_NONE)
            f->start = f->span_from;
    }
    f->report = report_rule(json_object_get(t->j, "report"));
    f->risk_margin_days = DH_TASK_RISK_MARGIN;
}

static void list_codes(json_t *arr, char ***out, size_t *n)
{
    *n = json_array_size(arr);
    *out = dh_xcalloc(*n + 1, sizeof **out);
    for (size_t i = 0; i < *n; i++)
        (*out)[i] = (char *)json_string_value(json_array_get(arr, i));
}

dh_status pb_load(dh_conn *c, dh_planbook **out, dh_err *e)
{
    dh_planbook *b = dh_xcalloc(1, sizeof *b);
    const dh_plans_ops *ops = DH_PLANS(c);
    dh_status st = ops->load_plans(c, on_plan, b, e);
    if (st == DH_OK)
        st = ops->load_tasks(c, on_task, b, e);
    if (st == DH_OK)
        st = ops->load_task_updates(c, on_update, b, e);
    if (st) {
        pb_free(b);
        *out = NULL;
        return st;
    }
    for (size_t i = 0; i < b->np; i++) {
        pb_plan *p = &b->p[i];
        json_t *ids = json_object_get(p->j, "parent_ids");
        p->parents = dh_xcalloc(json_array_size(ids) + 1, sizeof *p->parents);
        for (size_t k = 0; k < json_array_size(ids); k++) {
            size_t q = pb_plan_by_id(b, json_integer_value(json_array_get(ids, k)));
            if (q != PB_NONE)
                p->parents[p->nparents++] = q;
        }
    }
    for (size_t i = 0; i < b->nt; i++) {
        pb_task *t = &b->t[i];
        list_codes(json_object_get(t->j, "lead"), &t->lead, &t->nlead);
        list_codes(json_object_get(t->j, "coordinating"), &t->coord, &t->ncoord);
        task_def(b, t);
    }
    *out = b;
    return DH_OK;
}

void pb_free(dh_planbook *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->np; i++) {
        json_decref(b->p[i].j);
        free(b->p[i].parents);
    }
    for (size_t i = 0; i < b->nt; i++) {
        json_decref(b->t[i].j);
        json_decref(b->t[i].updates);
        free(b->t[i].lead);
        free(b->t[i].coord);
        free(b->t[i].u);
    }
    free(b->p);
    free(b->t);
    free(b);
}

/* Readers load the book afresh in a read transaction: a few hundred rows
 * take well under a millisecond, and a cached copy would need a slot in
 * dh_app (a later change, with the counter plans_rev already bumped). */
const dh_planbook *pb_acquire(dh_app *app, dh_err *e)
{
    dh_conn *c = dh_store_acquire(dh_app_store(app), e);
    if (!c)
        return NULL;
    dh_planbook *b = NULL;
    dh_status st = DH_OPS(c)->begin(c, false, e);
    if (st == DH_OK)
        st = pb_load(c, &b, e);
    DH_OPS(c)->rollback(c);
    dh_store_release(c);
    return st ? NULL : b;
}

void pb_release(dh_app *app, const dh_planbook *b) { pb_free((dh_planbook *)b); }

/* ------------------------------------------------------------------ */
/* Lookups.                                                           */

size_t pb_plan_by_id(const dh_planbook *b, int64_t id)
{
    size_t lo = 0, hi = b->np;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (b->p[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < b->np && b->p[lo].id == id ? lo : PB_NONE;
}

size_t pb_task_by_id(const dh_planbook *b, int64_t id)
{
    size_t lo = 0, hi = b->nt;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (b->t[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < b->nt && b->t[lo].id == id ? lo : PB_NONE;
}

size_t pb_plan_find(const dh_planbook *b, const char *ref)
{
    if (!ref || !*ref)
        return PB_NONE;
    bool digits = true;
    for (const char *s = ref; *s; s++)
        digits = digits && isdigit((unsigned char)*s);
    if (digits && strlen(ref) < 18) {
        size_t i = pb_plan_by_id(b, strtoll(ref, NULL, 10));
        if (i != PB_NONE)
            return i;
    }
    for (size_t i = 0; i < b->np; i++)
        if (strcmp(b->p[i].key, ref) == 0)
            return i;
    for (size_t i = 0; i < b->np; i++)
        if (*b->p[i].number && strcmp(b->p[i].number, ref) == 0)
            return i;
    return PB_NONE;
}

size_t pb_task_by_ordinal(const dh_planbook *b, size_t plan, const char *ordinal)
{
    for (size_t i = 0; i < b->nt; i++)
        if (b->t[i].plan == plan && strcmp(str_of(b->t[i].j, "ordinal"), ordinal) == 0)
            return i;
    return PB_NONE;
}

static bool in_list(char *const *v, size_t n, const char *code)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i], code) == 0)
            return true;
    return false;
}

bool pb_task_led_by(const pb_task *t, const char *code) { return in_list(t->lead, t->nlead, code); }

bool pb_task_coordinated_by(const pb_task *t, const char *code)
{
    return in_list(t->coord, t->ncoord, code);
}

bool pb_in_subtree(const dh_unitreg *r, const char *u, const char *root, dh_date d)
{
    int32_t iu = dh_unitreg_find(r, u), ir = dh_unitreg_find(r, root);
    if (iu < 0 || ir < 0)
        return strcmp(u, root) == 0;
    if (iu == ir)
        return true;
    if (dh_unitreg_in_subtree(r, iu, ir, d))
        return true;
    /* valid_to is inclusive: judge a closed unit by its last day. */
    dh_date last = r->u[iu].valid_to;
    return last != DH_DATE_NONE && last < d && dh_unitreg_in_subtree(r, iu, ir, last);
}

/* ------------------------------------------------------------------ */
/* Writing rows.                                                      */

dh_status pb_put_plan(dh_conn *c, json_t *doc, time_t now, int64_t *id, dh_err *e)
{
    char *parents = dump(json_object_get(doc, "parent_ids"));
    char *cites = dump(json_object_get(doc, "cites"));
    json_t *created = json_object_get(doc, "created_at");
    dh_plan_row r = {json_integer_value(json_object_get(doc, "id")),
                     str_of(doc, "key"),
                     str_of(doc, "number"),
                     str_of(doc, "type"),
                     pb_json_date(json_object_get(doc, "date")),
                     str_of(doc, "issuer"),
                     str_of(doc, "title"),
                     pb_json_date(json_object_get(doc, "period_from")),
                     pb_json_date(json_object_get(doc, "period_to")),
                     str_of(doc, "status"),
                     parents,
                     cites,
                     json_integer_value(json_object_get(doc, "document_file")),
                     str_of(doc, "note"),
                     created ? (time_t)json_integer_value(created) : now,
                     now};
    dh_status st = DH_PLANS(c)->put_plan(c, &r, id, e);
    free(parents);
    free(cites);
    return st;
}

dh_status pb_put_task(dh_conn *c, json_t *doc, time_t now, int64_t *id, dh_err *e)
{
    json_t *dl = json_object_get(doc, "deadline");
    json_t *target = json_object_get(doc, "target");
    json_t *rep = json_object_get(doc, "report");
    json_t *src = json_object_get(doc, "source");
    json_t *created = json_object_get(doc, "created_at");
    char *lead = dump(json_object_get(doc, "lead"));
    char *coord = dump(json_object_get(doc, "coordinating"));
    char *ms = dump(json_object_get(doc, "milestones"));
    char *srcs = src && !json_is_null(src) ? dump(src) : NULL;
    int day = (int)json_integer_value(json_object_get(rep, "day"));
    dh_task_row r = {0};
    r.id = json_integer_value(json_object_get(doc, "id"));
    r.plan_id = json_integer_value(json_object_get(doc, "plan_id"));
    r.kind = str_of(doc, "kind");
    r.ordinal = str_of(doc, "ordinal");
    r.grp = str_of(doc, "group");
    r.content = str_of(doc, "content");
    r.lead_json = lead;
    r.coord_json = coord;
    r.lead_text = str_of(doc, "lead_text");
    r.coord_text = str_of(doc, "coordinating_text");
    r.result = str_of(doc, "expected_result");
    r.deadline = str_of(dl, "text");
    r.start = pb_json_date(json_object_get(dl, "start"));
    r.due = pb_json_date(json_object_get(dl, "due"));
    r.needs_review = json_is_true(json_object_get(dl, "needs_review"));
    r.roadmap = str_of(doc, "roadmap");
    r.milestones_json = ms;
    r.parent_task_id = json_integer_value(json_object_get(doc, "implements_task"));
    r.has_target = json_is_object(target);
    r.target_value = json_number_value(json_object_get(target, "value"));
    r.target_uom = str_of(target, "unit_of_measure");
    r.note = str_of(doc, "note");
    r.source_json = srcs ? srcs : "";
    r.report_every = *str_of(rep, "every") ? str_of(rep, "every") : "monthly";
    r.report_day = day >= 1 && day <= 31 ? day : 10;
    json_t *off = json_object_get(rep, "month_offset");
    r.has_report_offset = json_is_integer(off);
    r.report_offset = (int)json_integer_value(off);
    r.report_source = *str_of(rep, "source") ? str_of(rep, "source") : "default";
    r.report_text = str_of(rep, "text");
    r.created_by = str_of(doc, "created_by");
    r.created_at = created ? (time_t)json_integer_value(created) : now;
    r.updated_at = now;
    dh_status st = DH_PLANS(c)->put_task(c, &r, id, e);
    free(lead);
    free(coord);
    free(ms);
    free(srcs);
    return st;
}

/* ------------------------------------------------------------------ */
/* Deadlines and roadmaps of task documents.                          */

dh_status pb_set_deadline(const dh_planbook *b, size_t plan, json_t *doc, const char *text,
                          dh_date due_override, dh_err *e)
{
    dh_deadline d;
    dh_status st = dh_deadline_parse(text ? text : "", &d, e);
    if (st) {
        snprintf(e->field, sizeof e->field, "deadline");
        return st;
    }
    dh_date self = DH_DATE_NONE, parent = DH_DATE_NONE;
    if (plan != PB_NONE) {
        const pb_plan *p = &b->p[plan];
        self = p->date;
        /* The parent plan's date: the first parent with a date. */
        for (size_t i = 0; i < p->nparents && parent == DH_DATE_NONE; i++)
            parent = b->p[p->parents[i]].date;
    }
    bool empty = !text || !*text;
    dh_date due = dh_deadline_resolve(&d, parent, self);
    bool review = d.needs_review && !empty;
    if (d.kind == DH_DL_RELATIVE && due == DH_DATE_NONE)
        review = true; /* the anchor document's date is not known */
    if (due_override != DH_DATE_NONE) {
        due = due_override;
        review = false;
    }
    json_t *o = json_object();
    json_object_set_new(o, "text", json_string(text ? text : ""));
    json_object_set_new(o, "kind", json_string(empty ? "none" : dh_dl_kind_name(d.kind)));
    json_object_set_new(o, "start", pb_date_json(d.start));
    json_object_set_new(o, "due", pb_date_json(due));
    json_object_set_new(o, "needs_review", json_boolean(review));
    if (d.kind == DH_DL_RELATIVE) {
        json_object_set_new(o, "rel_days", json_integer(d.rel_days));
        json_object_set_new(o, "anchor", json_string(d.anchor == DH_DL_ANCHOR_PARENT ? "parent"
                                                     : d.anchor == DH_DL_ANCHOR_SELF ? "self"
                                                                                    : "unknown"));
    }
    json_object_set_new(doc, "deadline", o);
    dh_deadline_cleanup(&d);
    return DH_OK;
}

void pb_set_roadmap(json_t *doc, const char *text)
{
    json_object_set_new(doc, "roadmap", json_string(text ? text : ""));
    char *buf = dh_xstrdup(text ? text : "");
    dh_milestone m[DH_MILESTONES_MAX];
    size_t n = dh_milestones_parse(buf, m, DH_MILESTONES_MAX);
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, json_pack("{s:o,s:o,s:s}", "from", pb_date_json(m[i].from),
                                             "due", pb_date_json(m[i].due), "text", m[i].text));
    free(buf);
    json_object_set_new(doc, "milestones", arr);
}

/* ------------------------------------------------------------------ */
/* The computed form of a task.                                       */

static json_t *status_json(const dh_task_status *s)
{
    json_t *o = json_object();
    json_object_set_new(o, "state", json_string(dh_task_state_name(s->state)));
    json_object_set_new(o, "reason", json_string(s->reason ? s->reason : ""));
    json_object_set_new(o, "explain", json_string(s->explain));
    json_object_set_new(o, "days", json_integer(s->days));
    if (s->expected_progress >= 0)
        json_object_set_new(o, "expected_progress", json_integer(s->expected_progress));
    if (s->report_due != DH_DATE_NONE)
        json_object_set_new(o, "report_due", pb_date_json(s->report_due));
    return o;
}

void pb_task_status(const pb_task *t, dh_date today, dh_task_status *st, int *percent)
{
    dh_task_facts f;
    dh_task_eval(&t->def, t->u, t->nu, today, st, &f, NULL);
    if (percent)
        *percent = f.progress_date != DH_DATE_NONE && f.progress_date > today ? -1 : f.progress;
}

/* The implementing tasks of task i, for the roll-up. */
static size_t impls_of(const dh_planbook *b, int64_t id, dh_date today, dh_cov_impl *out,
                       size_t cap)
{
    size_t n = 0;
    for (size_t k = 0; k < b->nt && n < cap; k++) {
        const pb_task *x = &b->t[k];
        if (x->parent_id != id)
            continue;
        dh_task_status s;
        int pct;
        pb_task_status(x, today, &s, &pct);
        out[n++] = (dh_cov_impl){id, false, pct,
                                 s.state == DH_TS_DONE || s.state == DH_TS_DONE_LATE};
    }
    return n;
}

json_t *pb_task_json(const dh_planbook *b, size_t i, dh_date today, const dh_unitreg *r,
                     bool detailed)
{
    const pb_task *t = &b->t[i];
    json_t *o = json_deep_copy(t->j);
    if (t->plan != PB_NONE) {
        const pb_plan *p = &b->p[t->plan];
        json_object_set_new(o, "plan", json_pack("{s:I,s:s,s:s,s:s}", "id", (json_int_t)p->id,
                                                 "key", p->key, "number", p->number, "issuer",
                                                 p->issuer));
    } else {
        json_object_set_new(o, "plan", json_null());
    }
    dh_task_status s;
    dh_task_facts f;
    dh_dl_occurrence occ;
    dh_task_eval(&t->def, t->u, t->nu, today, &s, &f, &occ);
    json_object_set_new(o, "needs_owner", json_boolean(pb_task_needs_owner(t)));
    json_object_set_new(o, "status", status_json(&s));
    json_object_set_new(o, "percent", f.progress >= 0 ? json_integer(f.progress) : json_null());
    json_object_set_new(o, "last_report", pb_date_json(f.last_report));
    if (dh_task_per_occurrence(&t->def)) {
        dh_dl_occurrence v[64];
        size_t n = dh_task_occurrences(&t->def, today, v, 64);
        json_t *arr = json_array();
        for (size_t k = 0; k < n; k++) {
            dh_task_facts of;
            dh_task_status os;
            dh_task_facts_of(&t->def, &v[k], t->u, t->nu, today, &of);
            dh_task_status_derive(&of, today, &os);
            json_t *x = json_pack("{s:o,s:o,s:o,s:o}", "start", pb_date_json(v[k].start), "due",
                                  pb_date_json(v[k].due), "status", status_json(&os), "percent",
                                  of.progress >= 0 ? json_integer(of.progress) : json_null());
            json_array_append_new(arr, x);
        }
        json_object_set_new(o, "occurrences", arr);
        json_object_set_new(o, "occurrence",
                            json_pack("{s:o,s:o}", "start", pb_date_json(occ.start), "due",
                                      pb_date_json(occ.due)));
    }
    dh_cov_impl im[256];
    size_t ni = impls_of(b, t->id, today, im, 256);
    json_object_set_new(o, "rollup",
                        ni ? json_pack("{s:i,s:i}", "implementing", (int)ni, "percent",
                                       dh_plan_rollup(t->id, im, ni))
                           : json_null());
    if (detailed)
        json_object_set(o, "updates", t->updates);
    else
        json_object_set_new(o, "updates_count", json_integer((json_int_t)json_array_size(t->updates)));
    (void)r;
    return o;
}

/* ------------------------------------------------------------------ */
/* Stored files.                                                      */

/* The type of a document from its first bytes (and, for the zip-based
 * formats, the names inside); NULL when it is none we take. */
static const char *sniff_type(const char *name, const unsigned char *d, size_t n)
{
    if (n >= 5 && memcmp(d, "%PDF-", 5) == 0)
        return "pdf";
    if (n >= 8 && memcmp(d, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8) == 0)
        return "doc"; /* OLE2 compound file: Word 97-2003 */
    if (n >= 4 && memcmp(d, "PK\x03\x04", 4) == 0) {
        /* Office Open XML and OpenDocument are zips; tell them apart by the
         * entry names near the start (bounded search). */
        size_t lim = n < 65536 ? n : 65536;
        if (memmem(d, lim, "mimetypeapplication/vnd.oasis.opendocument.text", 47))
            return "odt";
        if (memmem(d, n, "word/", 5))
            return "docx";
        if (memmem(d, n, "xl/", 3))
            return "xlsx";
        return NULL;
    }
    /* Plain text: valid UTF-8 without NULs, named .txt. */
    size_t ln = strlen(name);
    if (ln > 4 && strcasecmp(name + ln - 4, ".txt") == 0 &&
        dh_utf8_invalid_offset((const char *)d, n) < 0)
        return "txt";
    return NULL;
}

struct file_ctx {
    json_t *meta;
    char *data;
    size_t len;
};

static int on_file(void *closure, const dh_file_row *r);

/* A new file's id (issue 13): random in 1 .. 2^53 - 1 (exact as a JSON
 * number), so that ids can be neither guessed nor enumerated; drawn again
 * in the unlikely case it is taken (inside the caller's write transaction,
 * so the check holds until the insert). */
static dh_status new_file_id(dh_conn *c, int64_t *id, dh_err *e)
{
    for (;;) {
        uint64_t x;
        randombytes_buf(&x, sizeof x);
        x &= (UINT64_C(1) << 53) - 1;
        if (x == 0)
            continue;
        struct file_ctx f = {0};
        dh_status st = DH_PLANS(c)->get_file(c, (int64_t)x, false, on_file, &f, e);
        json_decref(f.meta);
        if (st == DH_E_NOTFOUND) {
            *id = (int64_t)x;
            return DH_OK;
        }
        if (st)
            return st;
    }
}

/* Who may read stored file id, uploaded by `uploader` (issue 13): an
 * admin; its uploader; and whoever may read what it is attached to, the
 * document of a plan or the evidence of a task update. Plans and tasks are
 * read by every signed-in user (docs/PLANS.md), so an attached file is too;
 * a file attached to nothing is its uploader's and the admins' only. */
static bool file_readable(const dh_planbook *b, const dh_actor *a, int64_t id,
                          const char *uploader)
{
    if (a->role == DH_ROLE_ADMIN || (uploader && *uploader && !strcmp(uploader, a->login)))
        return true;
    for (size_t i = 0; i < b->np; i++)
        if (json_integer_value(json_object_get(b->p[i].j, "document_file")) == id)
            return true;
    for (size_t k = 0; k < b->nt; k++) {
        size_t i, j;
        json_t *u, *f;
        json_array_foreach(b->t[k].updates, i, u)
        {
            json_array_foreach(json_object_get(u, "evidence"), j, f)
            {
                if (json_integer_value(f) == id)
                    return true;
            }
        }
    }
    return false;
}

/* Checks a new file (name, size, type judged by its bytes) and fills *f
 * (f->name malloc'd, freed by dh_file_new_free). */
dh_status dh_file_prepare(const char *name, const void *data, size_t len, dh_file_new *f,
                          dh_err *e)
{
    memset(f, 0, sizeof *f);
    char *clean;
    dh_status cs = dh_text_clean_field(name, "name", &clean, e);
    if (cs)
        return cs;
    if (!*clean || strlen(clean) > 255) {
        free(clean);
        return dh_err_set(e, DH_E_INVALID, "invalid_name", "name",
                          "the file needs a name (UTF-8, at most 255 bytes)");
    }
    if (len == 0) {
        free(clean);
        return dh_err_set(e, DH_E_INVALID, "empty_file", "file", "the file is empty");
    }
    if (len > DH_FILE_MAX) {
        free(clean);
        return dh_err_set(e, DH_E_TOOLARGE, "file_too_large", "file",
                          "the file has %zu bytes; at most %d (20 MB) are taken", len,
                          DH_FILE_MAX);
    }
    const char *type = sniff_type(clean, data, len);
    if (!type) {
        free(clean);
        return dh_err_set(e, DH_E_INVALID, "unsupported_type", "file",
                          "the file is not a PDF, DOCX, DOC, XLSX, ODT or UTF-8 TXT document "
                          "(judged by its content, not its name)");
    }
    unsigned char hash[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(hash, data, len);
    sodium_bin2hex(f->sha256, sizeof f->sha256, hash, sizeof hash);
    f->name = clean;
    f->type = type;
    f->data = data;
    f->len = len;
    return DH_OK;
}

void dh_file_new_free(dh_file_new *f)
{
    free(f->name);
    f->name = NULL;
}

/* Inserts a prepared file under a new random id, uploaded by a for its
 * unit; *out {id, name, type, size, sha256}. Inside a write transaction. */
dh_status dh_file_insert(dh_conn *c, const dh_actor *a, const dh_file_new *f, time_t now,
                         json_t **out, dh_err *e)
{
    *out = NULL;
    dh_file_row r = {0, f->name, f->type, f->sha256, a->unit_code, a->login, f->data, f->len,
                     now};
    int64_t id = 0;
    dh_status st = new_file_id(c, &r.id, e);
    if (st == DH_OK)
        st = DH_PLANS(c)->put_file(c, &r, &id, e);
    if (st == DH_OK)
        *out = json_pack("{s:I,s:s,s:s,s:I,s:s}", "id", (json_int_t)id, "name", f->name, "type",
                         f->type, "size", (json_int_t)f->len, "sha256", f->sha256);
    return st;
}

typedef struct file_put_cl {
    const dh_actor *a;
    const dh_file_new *f;
    time_t now;
    json_t *out;
} file_put_cl;

/* Concurrency: reads whether a random id is free (new_file_id) and
 * inserts the file under it in the same write transaction; the primary
 * key of files is the last guard against two uploads drawing one id (the
 * second fails DH_E_CONFLICT rather than overwriting the first), and a
 * rerun draws a new id. */
static dh_status file_put_tx(dh_tx *tx, void *closure, dh_err *e)
{
    file_put_cl *cl = closure;
    const dh_actor *a = cl->a;
    json_decref(cl->out);
    cl->out = NULL;
    dh_status st = dh_file_insert(tx->c, a, cl->f, cl->now, &cl->out, e);
    if (st == DH_OK) {
        char key[32];
        snprintf(key, sizeof key, "%lld",
                 (long long)json_integer_value(json_object_get(cl->out, "id")));
        st = dh_app_audit(tx->c, a, "upload", "file", key, a->unit_code, "ok", NULL, cl->out,
                          cl->now, e);
    }
    return st;
}

dh_status dh_app_file_put(dh_app *app, const dh_actor *a, const char *name, const void *data,
                          size_t len, time_t now, json_t **out, dh_err *e)
{
    *out = NULL;
    /* Permission first (the bytes are not looked at): a read-only account
     * stores nothing. */
    if (a->role == DH_ROLE_VIEWER)
        return dh_app_deny(app, a, "create", "file", name ? name : "", a->unit_code, now, e,
                           "store files with a read-only account");
    dh_file_new f;
    dh_status st = dh_file_prepare(name, data, len, &f, e);
    if (st)
        return st;
    file_put_cl cl = {a, &f, now, NULL};
    st = dh_tx_run(app, DH_TX_WRITE, file_put_tx, &cl, e);
    if (st)
        json_decref(cl.out);
    else
        *out = cl.out;
    dh_file_new_free(&f);
    return st;
}

static int on_file(void *closure, const dh_file_row *r)
{
    struct file_ctx *f = closure;
    f->meta = json_pack("{s:I,s:s,s:s,s:I,s:s,s:s,s:s}", "id", (json_int_t)r->id, "name",
                        r->name, "type", r->type, "size", (json_int_t)r->size, "sha256",
                        r->sha256, "unit", r->unit, "uploaded_by", r->uploaded_by);
    if (r->data) {
        f->data = dh_xmalloc(r->size + 1);
        memcpy(f->data, r->data, r->size);
        f->len = r->size;
    }
    return 0;
}

dh_status dh_app_file_get(dh_app *app, const dh_actor *a, int64_t id, bool with_data,
                          time_t now, json_t **meta, char **data, size_t *len, dh_err *e)
{
    *meta = NULL;
    if (data)
        *data = NULL;
    if (len)
        *len = 0;
    dh_conn *c = dh_store_acquire(dh_app_store(app), e);
    if (!c)
        return e->status;
    struct file_ctx f = {0};
    dh_status st = DH_PLANS(c)->get_file(c, id, with_data && data, on_file, &f, e);
    dh_store_release(c);
    if (st)
        return st;
    const dh_planbook *b = pb_acquire(app, e);
    if (!b) {
        json_decref(f.meta);
        free(f.data);
        return e->status;
    }
    bool ok = file_readable(b, a, id, json_string_value(json_object_get(f.meta, "uploaded_by")));
    pb_release(app, b);
    if (!ok) {
        /* Refused as if absent, so that nobody learns which ids exist; the
         * refusal is in the audit trail. */
        char key[32];
        snprintf(key, sizeof key, "%lld", (long long)id);
        dh_app_audit_denied(app, a, "read", "file", key,
                            json_string_value(json_object_get(f.meta, "unit")), now);
        json_decref(f.meta);
        free(f.data);
        return dh_err_set(e, DH_E_NOTFOUND, "unknown_file", NULL, "file %lld does not exist",
                          (long long)id);
    }
    *meta = f.meta;
    if (data) {
        *data = f.data;
        *len = f.len;
    } else {
        free(f.data);
    }
    return DH_OK;
}

/* Checks that every id in arr names a stored file that a may read (one
 * cannot attach, and so publish, a file one may not read: such an id is
 * answered as unknown). */
dh_status pb_check_files(dh_conn *c, const dh_planbook *b, const dh_actor *a, json_t *arr,
                         const char *field, dh_err *e);
dh_status pb_check_files(dh_conn *c, const dh_planbook *b, const dh_actor *a, json_t *arr,
                         const char *field, dh_err *e)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        struct file_ctx f = {0};
        if (!json_is_integer(v))
            return dh_err_set(e, DH_E_INVALID, "invalid_type", field,
                              "%s must list file ids (from POST /api/v1/files)", field);
        dh_status st = DH_PLANS(c)->get_file(c, json_integer_value(v), false, on_file, &f, e);
        if (st == DH_OK &&
            !file_readable(b, a, json_integer_value(v),
                           json_string_value(json_object_get(f.meta, "uploaded_by"))))
            st = dh_err_set(e, DH_E_NOTFOUND, "unknown_file", NULL, "file %lld does not exist",
                            (long long)json_integer_value(v));
        json_decref(f.meta);
        if (st) {
            snprintf(e->field, sizeof e->field, "%s", field);
            if (st == DH_E_NOTFOUND)
                e->status = st = DH_E_INVALID;
            return st;
        }
    }
    return DH_OK;
}

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
    if (create && !*str_of(doc, "status"))
        json_object_set_new(doc, "status", json_string("active"));
    if (!one_of(str_of(doc, "status"), plan_statuses))
        return dh_err_set(e, DH_E_INVALID, "invalid_status", "status",
                          "status must be draft, active or closed");
    if (create && !*str_of(doc, "key"))
        json_object_set_new(doc, "key", json_string(str_of(doc, "number")));
    if (!*str_of(doc, "key"))
        return dh_err_set(e, DH_E_INVALID, "missing_field", "number",
                          "a plan needs its number (e.g. 1683/QĐ-UBND) or, when the document "
                          "prints none, a key");
    size_t other = pb_plan_find(b, str_of(doc, "key"));
    if (other != PB_NONE && other != self && strcmp(b->p[other].key, str_of(doc, "key")) == 0)
        return dh_err_set(e, DH_E_CONFLICT, "duplicate_plan", "key", "plan %s already exists",
                          str_of(doc, "key"));
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
        if (dh_plan_term_parse(str_of(doc, "title"), pb_json_date(json_object_get(doc, "date")),
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
    int32_t u = dh_unitreg_find(tx->reg, str_of(doc, "issuer"));
    if (u < 0)
        return dh_err_set(e, DH_E_INVALID, "unknown_unit", "issuer", "unit '%s' does not exist",
                          str_of(doc, "issuer"));
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
    const char *title = str_of(p->j, "title");
    bool parsed = dh_plan_term_parse(title, p->date, &tf, &tt, &horizon, &why) == 0;
    const char *source = p->period_from == DH_DATE_NONE && p->period_to == DH_DATE_NONE ? "none"
                         : parsed && tf == p->period_from && tt == p->period_to      ? "title"
                                                                                     : "set";
    return json_pack("{s:o,s:o,s:o,s:s,s:b}", "from", pb_date_json(p->period_from), "to",
                     pb_date_json(p->period_to), "horizon",
                     horizon ? json_integer(horizon) : json_null(), "source", source, "ended",
                     pb_term_ended(p, today));
}

bool pb_task_needs_owner(const pb_task *t)
{
    return t->plan != PB_NONE && t->nlead == 0;
}

bool pb_term_ended(const pb_plan *p, dh_date today)
{
    return p->period_to != DH_DATE_NONE && today > p->period_to;
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
    if (st == DH_OK && !may_write_unit(tx->reg, a, str_of(doc, "issuer"),
                                       plan_access_date(doc, cl->today)))
        st = dh_tx_deny(tx, a, "create", "plan", str_of(doc, "key"), str_of(doc, "issuer"),
                        cl->now, e, "issue a plan for that unit (outside their subtree)");
    int64_t id = 0;
    if (st == DH_OK)
        st = pb_put_plan(tx->c, doc, cl->now, &id, e);
    if (st == DH_OK) {
        json_object_set_new(doc, "id", json_integer(id));
        json_object_set_new(doc, "created_at", json_integer(cl->now));
        json_object_set_new(doc, "updated_at", json_integer(cl->now));
        st = dh_app_audit(tx->c, a, "create", "plan", str_of(doc, "key"), str_of(doc, "issuer"),
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
        st = dh_app_audit(tx->c, a, "update", "plan", str_of(doc, "key"), str_of(doc, "issuer"),
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
                              str_of(t->j, "ordinal"), "content", str_of(t->j, "content"),
                              "implementing", res[k].implementing, "rollup",
                              res[k].rollup >= 0 ? json_integer(res[k].rollup) : json_null());
        json_t *by = json_array();
        for (size_t m = 0; m < b->nt; m++) {
            const pb_task *y = &b->t[m];
            if (y->parent_id == t->id && y->plan != PB_NONE &&
                strcmp(b->p[y->plan].issuer, unit) == 0)
                json_array_append_new(by, json_pack("{s:I,s:s,s:s}", "id", (json_int_t)y->id,
                                                    "plan", b->p[y->plan].key, "ordinal",
                                                    str_of(y->j, "ordinal")));
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
