/* planbook.c - the plan book (every plan, task and update in memory; see
 * planbook.h): loading it, lookups, writing plan and task rows, deadlines and
 * roadmaps of task documents, and the computed form of a task. */
#include <ctype.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "app/planbook.h"

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

const char *pb_str_of(json_t *o, const char *key)
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
    p->key = pb_str_of(p->j, "key");
    p->number = pb_str_of(p->j, "number");
    p->issuer = pb_str_of(p->j, "issuer");
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
    const char *every = pb_str_of(rep, "every");
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
    if (dh_deadline_parse(pb_str_of(dl, "text"), &d, &e) == DH_OK) {
        f->kind = d.kind;
        f->yearly_month = d.yearly_month;
        f->yearly_day = d.yearly_day;
        dh_deadline_cleanup(&d);
    }
    f->start = pb_json_date(json_object_get(dl, "start"));
    f->due = pb_json_date(json_object_get(dl, "due"));
    json_object_set_new(dl, "kind", json_string(*pb_str_of(dl, "text") ? dh_dl_kind_name(f->kind)
                                                                      : "none"));
    /* A relative deadline left open gets its date once the anchor plan has one. */
    if (f->kind == DH_DL_RELATIVE && f->due == DH_DATE_NONE && t->plan != PB_NONE) {
        const pb_plan *p = &b->p[t->plan];
        dh_date parent = DH_DATE_NONE;
        for (size_t i = 0; i < p->nparents && parent == DH_DATE_NONE; i++)
            parent = b->p[p->parents[i]].date;
        dh_deadline rd;
        if (dh_deadline_parse(pb_str_of(dl, "text"), &rd, &e) == DH_OK) {
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

/* Readers share one book, loaded again when plans_rev moves (every write
 * bumps it in its transaction, on this node or another): the overview asks
 * for it on every request, and loading it means parsing every task's
 * document. Readers never change it (const); jansson's reference counts
 * are atomic, so documents taken from it may outlive the release. */
static void pb_free_any(void *obj) { pb_free(obj); }

static dh_status pb_load_any(dh_conn *c, void **obj, dh_err *e)
{
    dh_planbook *b = NULL;
    dh_status st = pb_load(c, &b, e);
    *obj = b;
    return st;
}

const dh_planbook *pb_acquire(dh_app *app, dh_err *e)
{
    dh_snap *s = dh_snap_acquire(app, &app->plans, "plans_rev", pb_load_any, pb_free_any,
                                 offsetof(dh_planbook, owner), e);
    return s ? s->obj : NULL;
}

void pb_release(dh_app *app, const dh_planbook *b)
{
    if (b)
        dh_snap_release(app, b->owner, pb_free_any);
}

void dh_app_plans_close(dh_app *app) { dh_snap_close(app, &app->plans, pb_free_any); }

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
        if (b->t[i].plan == plan && strcmp(pb_str_of(b->t[i].j, "ordinal"), ordinal) == 0)
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

bool pb_task_needs_owner(const pb_task *t)
{
    return t->plan != PB_NONE && t->nlead == 0;
}

bool pb_term_ended(const pb_plan *p, dh_date today)
{
    return p->period_to != DH_DATE_NONE && today > p->period_to;
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
                     pb_str_of(doc, "key"),
                     pb_str_of(doc, "number"),
                     pb_str_of(doc, "type"),
                     pb_json_date(json_object_get(doc, "date")),
                     pb_str_of(doc, "issuer"),
                     pb_str_of(doc, "title"),
                     pb_json_date(json_object_get(doc, "period_from")),
                     pb_json_date(json_object_get(doc, "period_to")),
                     pb_str_of(doc, "status"),
                     parents,
                     cites,
                     json_integer_value(json_object_get(doc, "document_file")),
                     pb_str_of(doc, "note"),
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
    r.kind = pb_str_of(doc, "kind");
    r.ordinal = pb_str_of(doc, "ordinal");
    r.grp = pb_str_of(doc, "group");
    r.content = pb_str_of(doc, "content");
    r.lead_json = lead;
    r.coord_json = coord;
    r.lead_text = pb_str_of(doc, "lead_text");
    r.coord_text = pb_str_of(doc, "coordinating_text");
    r.result = pb_str_of(doc, "expected_result");
    r.deadline = pb_str_of(dl, "text");
    r.start = pb_json_date(json_object_get(dl, "start"));
    r.due = pb_json_date(json_object_get(dl, "due"));
    r.needs_review = json_is_true(json_object_get(dl, "needs_review"));
    r.roadmap = pb_str_of(doc, "roadmap");
    r.milestones_json = ms;
    r.parent_task_id = json_integer_value(json_object_get(doc, "implements_task"));
    r.has_target = json_is_object(target);
    r.target_value = json_number_value(json_object_get(target, "value"));
    r.target_uom = pb_str_of(target, "unit_of_measure");
    r.note = pb_str_of(doc, "note");
    r.source_json = srcs ? srcs : "";
    r.report_every = *pb_str_of(rep, "every") ? pb_str_of(rep, "every") : "monthly";
    r.report_day = day >= 1 && day <= 31 ? day : 10;
    json_t *off = json_object_get(rep, "month_offset");
    r.has_report_offset = json_is_integer(off);
    r.report_offset = (int)json_integer_value(off);
    r.report_source = *pb_str_of(rep, "source") ? pb_str_of(rep, "source") : "default";
    r.report_text = pb_str_of(rep, "text");
    r.created_by = pb_str_of(doc, "created_by");
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
