/* fbread.c - reads of feedback (lists, one record with its events and
 * images, an image) and the KPIs per unit, per category and for the
 * feedback group of /api/v1/kpis (issue 17). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "app/fbint.h"

static int att_json(void *closure, const dh_fb_attachment_row *r)
{
    json_array_append_new(closure, json_pack("{s:s, s:s, s:s, s:I}", "sha256", r->sha256, "mime",
                                             r->mime, "name", r->name, "size",
                                             (json_int_t)r->size));
    return 0;
}

/* ------------------------------------------------------------------ */
/* Reads.                                                             */

typedef struct list_cl {
    const dh_actor *a; /* NULL: the public */
    const dh_unitreg *reg;
    const dh_calset *cs;
    dh_date today;
    time_t now;
    json_t *items;
    bool scope_check;
    /* the last unit's name and calendar (a queue is one unit's) */
    char unit[64], uname[256];
    const dh_workcal *wc;
} list_cl;

static int list_row(void *closure, const dh_fb_record_row *r)
{
    list_cl *cl = closure;
    bool personal = cl->a && dh_fbi_may_handle(cl->reg, cl->a, r->unit, cl->today);
    if (cl->scope_check && cl->a && cl->a->role != DH_ROLE_ADMIN) {
        int32_t u = dh_unitreg_find(cl->reg, r->unit);
        if (u < 0 || !dh_access_allows(cl->reg, cl->a->role, dh_app_actor_scope(cl->reg, cl->a),
                                       DH_ACT_READ, u, cl->today))
            return 0;
    }
    const char *unit = r->unit ? r->unit : "";
    if (!*cl->unit || strcmp(cl->unit, unit)) {
        dh_app_reg_unit_name(cl->reg, unit, cl->today, cl->uname, sizeof cl->uname);
        cl->wc = dh_fbi_unit_wc(cl->cs, cl->reg, unit, cl->today);
        snprintf(cl->unit, sizeof cl->unit, "%s", strlen(unit) < sizeof cl->unit ? unit : "");
    }
    json_array_append_new(cl->items,
                          dh_fbi_record_json_of(r, personal, cl->uname, cl->wc, cl->now));
    return 0;
}

dh_status dh_app_fb_list(dh_app *app, const dh_actor *a, const dh_fb_filter *f, time_t now,
                         json_t **out, dh_err *e)
{
    *out = NULL;
    const dh_unitreg *reg = dh_app_units_acquire(app, e);
    if (!reg)
        return e->status;
    const dh_calset *cs = dh_app_calendars_acquire(app, e);
    if (!cs) {
        dh_app_units_release(app, reg);
        return e->status;
    }
    dh_status st = DH_OK;
    dh_date today = dh_date_of_time_vn(now);
    if (a && f->unit) {
        int32_t u = dh_unitreg_find(reg, f->unit);
        if (u < 0)
            st = dh_err_set(e, DH_E_NOTFOUND, "unknown_unit", "unit", "unknown unit '%s'",
                            f->unit);
        else if (!dh_access_allows(reg, a->role, dh_app_actor_scope(reg, a), DH_ACT_READ, u,
                                   today))
            st = dh_app_deny(app, a, "read", "feedback", "", f->unit, now, e,
                             "read the feedback of a unit outside their own");
    }
    dh_conn *c = st == DH_OK ? dh_app_read_begin(app, e) : NULL;
    if (st == DH_OK && !c)
        st = e->status;
    list_cl cl = {a, reg, cs, today, now, json_array(), a != NULL, "", "", NULL};
    if (st == DH_OK) {
        st = DH_FEEDBACK(c)->list_records(c, f, list_row, &cl, e);
        dh_app_read_end(c);
    }
    dh_app_calendars_release(app, cs);
    dh_app_units_release(app, reg);
    if (st == DH_OK)
        *out = cl.items;
    else
        json_decref(cl.items);
    return st;
}

typedef struct each_cl {
    const dh_unitreg *reg;
    dh_date today;
    dh_app_fb_row_cb cb;
    void *closure;
    char unit[64], name[256]; /* the last unit's name (a page is mostly one unit's) */
} each_cl;

static int each_row(void *closure, const dh_fb_record_row *r)
{
    each_cl *cl = closure;
    if (strcmp(cl->unit, r->unit)) {
        dh_app_reg_unit_name(cl->reg, r->unit, cl->today, cl->name, sizeof cl->name);
        snprintf(cl->unit, sizeof cl->unit, "%s", strlen(r->unit) < sizeof cl->unit ? r->unit : "");
    }
    return cl->cb(cl->closure, r, cl->name);
}

dh_status dh_app_fb_each_public(dh_app *app, const dh_fb_filter *f, time_t now,
                                dh_app_fb_row_cb cb, void *closure, dh_err *e)
{
    const dh_unitreg *reg = dh_app_units_acquire(app, e);
    if (!reg)
        return e->status;
    each_cl cl = {reg, dh_date_of_time_vn(now), cb, closure, "", ""};
    dh_conn *c = dh_app_read_begin(app, e);
    dh_status st = c ? DH_FEEDBACK(c)->list_records(c, f, each_row, &cl, e) : e->status;
    if (c)
        dh_app_read_end(c);
    dh_app_units_release(app, reg);
    return st;
}

typedef struct ev_cl {
    json_t *items;
    bool personal;
} ev_cl;

static int ev_json(void *closure, const dh_fb_event_row *r)
{
    ev_cl *cl = closure;
    json_t *o = json_pack("{s:I, s:s, s:o}", "seq", (json_int_t)r->seq, "type", r->type, "at",
                          dh_fbi_time_json(r->at));
    if (*r->unit)
        json_object_set_new(o, "unit", json_string(r->unit));
    /* Who acted and their notes are internal; the answer and the reason
     * are public anyway (on the record). */
    if (cl->personal) {
        json_object_set_new(o, "actor", json_string(r->actor));
        if (*r->note)
            json_object_set_new(o, "note", json_string(r->note));
    }
    if (r->rating)
        json_object_set_new(o, "rating", json_integer(r->rating));
    json_array_append_new(cl->items, o);
    return 0;
}

/* A record outside the reader's scope is answered as missing (a 403 would
 * tell that the code exists elsewhere); the refusal is audited all the
 * same, as for dossiers. */
static void audit_if_hidden(dh_app *app, const dh_actor *a, const char *code, time_t now)
{
    if (!code || !*code)
        return;
    dh_err e;
    dh_conn *c = dh_app_read_begin(app, &e);
    if (!c)
        return;
    fb_recs rs = {0};
    dh_status st = DH_FEEDBACK(c)->list_records(c, &(dh_fb_filter){.code = code},
                                                dh_fbi_recs_add, &rs, &e);
    dh_app_read_end(c);
    if (st == DH_OK && rs.n)
        dh_app_audit_denied(app, a, "read", "feedback", code, rs.v[0].unit, now);
    dh_fbi_recs_free(&rs);
}

dh_status dh_app_fb_get(dh_app *app, const dh_actor *a, const char *code, time_t now,
                        json_t **out, dh_err *e)
{
    *out = NULL;
    dh_fb_filter f = {.code = code};
    json_t *items;
    dh_status st = dh_app_fb_list(app, a, &f, now, &items, e);
    if (st)
        return st;
    if (json_array_size(items) == 0) {
        json_decref(items);
        audit_if_hidden(app, a, code, now);
        return dh_err_set(e, DH_E_NOTFOUND, "unknown_feedback", "code",
                          "no feedback record with code '%s'", code ? code : "");
    }
    json_t *rec = json_incref(json_array_get(items, 0));
    json_decref(items);
    dh_conn *c = dh_app_read_begin(app, e);
    if (!c) {
        json_decref(rec);
        return e->status;
    }
    fb_recs rs = {0};
    st = DH_FEEDBACK(c)->list_records(c, &f, dh_fbi_recs_add, &rs, e);
    ev_cl ec = {json_array(), json_object_get(rec, "contact") != NULL};
    if (st == DH_OK && rs.n)
        st = DH_FEEDBACK(c)->list_events(c, rs.v[0].id, ev_json, &ec, e);
    /* the images only with the contact: they may carry personal data */
    if (ec.personal) {
        json_t *atts = json_array();
        if (st == DH_OK && rs.n)
            st = DH_FEEDBACK(c)->list_attachments(c, rs.v[0].id, att_json, atts, e);
        json_object_set_new(rec, "attachments", atts);
    }
    dh_app_read_end(c);
    dh_fbi_recs_free(&rs);
    json_object_set_new(rec, "events", ec.items);
    if (st == DH_OK)
        *out = rec;
    else
        json_decref(rec);
    return st;
}

typedef struct att_find {
    const char *sha256;
    const char *mime; /* static */
    void *data;
    size_t len;
} att_find;

static int att_pick(void *closure, const dh_fb_attachment_row *r)
{
    att_find *f = closure;
    if (strcmp(r->sha256, f->sha256))
        return 0;
    static const char *const known[] = {"image/jpeg", "image/png", "image/webp", "image/gif"};
    for (size_t i = 0; i < sizeof known / sizeof *known; i++)
        if (!strcmp(known[i], r->mime))
            f->mime = known[i];
    f->data = malloc(r->size ? r->size : 1);
    if (f->data) {
        memcpy(f->data, r->data, r->size);
        f->len = r->size;
    }
    return 1;
}

dh_status dh_app_fb_attachment(dh_app *app, const dh_actor *a, const char *code,
                               const char *sha256, time_t now, const char **mime, void **data,
                               size_t *len, dh_err *e)
{
    *mime = NULL;
    *data = NULL;
    *len = 0;
    json_t *rec = NULL;
    dh_status st = dh_app_fb_get(app, a, code, now, &rec, e);
    if (st)
        return st;
    bool handler = json_object_get(rec, "contact") != NULL;
    json_decref(rec);
    if (!handler) {
        dh_app_audit_denied(app, a, "read", "feedback_attachment", code, "", now);
        return dh_err_set(e, DH_E_FORBIDDEN, "forbidden", "attachment",
                          "the images of feedback are shown only to the handling unit's "
                          "officers and admins (they may carry personal data)");
    }
    dh_fb_filter f = {.code = code};
    dh_conn *c = dh_app_read_begin(app, e);
    if (!c)
        return e->status;
    fb_recs rs = {0};
    att_find af = {sha256, NULL, NULL, 0};
    st = DH_FEEDBACK(c)->list_records(c, &f, dh_fbi_recs_add, &rs, e);
    if (st == DH_OK && rs.n)
        st = DH_FEEDBACK(c)->list_attachments(c, rs.v[0].id, att_pick, &af, e);
    dh_app_read_end(c);
    dh_fbi_recs_free(&rs);
    if (st == DH_OK && (!af.data || !af.mime)) {
        free(af.data);
        return dh_err_set(e, DH_E_NOTFOUND, "unknown_attachment", "attachment",
                          "feedback %s has no image %s", code, sha256);
    }
    if (st) {
        free(af.data);
        return st;
    }
    *mime = af.mime;
    *data = af.data;
    *len = af.len;
    return DH_OK;
}
/* ------------------------------------------------------------------ */
/* KPIs.                                                              */

typedef struct kpi_cl {
    const dh_actor *a;
    const dh_unitreg *reg;
    dh_date today;
    int day_minutes;
    json_t *items;
    int64_t tot[9];
} kpi_cl;

static json_t *rate_json(int64_t num, int64_t den)
{
    return den ? json_real(round(10000.0 * (double)num / (double)den) / 100.0) : json_null();
}

static json_t *kpi_obj(const int64_t v[9], int day_minutes)
{
    json_t *o = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "received", v[0],
                          "answered", v[1], "answered_on_time", v[2], "answered_late", v[3],
                          "open_within_deadline", v[7], "open_over_deadline", v[8], "rated", v[5],
                          "satisfied", v[6]);
    json_object_set_new(o, "on_time_rate", rate_json(v[2], v[1]));
    json_object_set_new(o, "satisfaction_rate", rate_json(v[6], v[5]));
    json_object_set_new(o, "average_working_days_to_answer",
                        v[1] ? json_real(round(100.0 * (double)v[4] / (double)v[1] /
                                               (double)day_minutes) /
                                         100.0)
                             : json_null());
    return o;
}

/* The stats row's nine counts in kpi_obj's order into v, added to tot. */
static void stats_add(const dh_fb_stats_row *r, int64_t v[9], int64_t tot[9])
{
    int64_t x[9] = {r->received, r->answered, r->on_time, r->late,        r->answer_minutes_sum,
                    r->rated,    r->satisfied, r->open_within, r->open_overdue};
    for (int i = 0; i < 9; i++)
        tot[i] += v[i] = x[i];
}

/* The minutes of a working day of the built-in default calendar (450, 7.5
 * hours, should it be missing): the unit of average_working_days_to_answer. */
static int default_day_minutes(void)
{
    dh_err e0;
    const dh_calset *bi = dh_calset_builtin(&e0);
    const dh_calendar *dc = bi ? dh_calset_find(bi, "default") : NULL;
    return dc ? dh_workcal_day_minutes(dc->wc) : 450;
}

static int kpi_row(void *closure, const dh_fb_stats_row *r)
{
    kpi_cl *cl = closure;
    if (cl->a->role != DH_ROLE_ADMIN) {
        int32_t u = dh_unitreg_find(cl->reg, r->unit);
        if (u < 0 || !dh_access_allows(cl->reg, cl->a->role, dh_app_actor_scope(cl->reg, cl->a),
                                       DH_ACT_READ, u, cl->today))
            return 0;
    }
    int64_t v[9];
    stats_add(r, v, cl->tot);
    json_t *o = kpi_obj(v, cl->day_minutes);
    json_object_set_new(o, "unit", json_string(r->unit));
    if (r->category)
        json_object_set_new(o, "category", json_string(r->category));
    json_array_append_new(cl->items, o);
    return 0;
}

static dh_status kpis_run(dh_app *app, const dh_actor *a, dh_date from, dh_date to, time_t now,
                          bool by_category, json_t **out, dh_err *e)
{
    *out = NULL;
    if (from == DH_DATE_NONE || to == DH_DATE_NONE || to < from)
        return dh_err_set(e, DH_E_INVALID, "bad_period", "from",
                          "a period is from and to, dates with from <= to");
    const dh_unitreg *reg = dh_app_units_acquire(app, e);
    if (!reg)
        return e->status;
    kpi_cl cl = {a, reg, dh_date_of_time_vn(now), default_day_minutes(), json_array(), {0}};
    dh_status st;
    if (by_category) { /* a count of the period's records */
        dh_conn *c = dh_app_read_begin(app, e);
        st = c ? DH_FEEDBACK(c)->stats_by_category(c, dh_date_start_vn(from),
                                                   dh_date_start_vn(to + 1), now, kpi_row, &cl, e)
               : e->status;
        if (c)
            dh_app_read_end(c);
    } else { /* by unit: the readers' copy of the aggregates (fbaggs.c) */
        st = dh_fb_agg_stats(app, NULL, from, to, now, kpi_row, &cl, e);
    }
    dh_app_units_release(app, reg);
    if (st) {
        json_decref(cl.items);
        return st;
    }
    char f[11], t[11];
    dh_date_format(from, f);
    dh_date_format(to, t);
    *out = json_pack("{s:s, s:s, s:o, s:o}", "from", f, "to", t, "units", cl.items, "total",
                     kpi_obj(cl.tot, cl.day_minutes));
    return DH_OK;
}

dh_status dh_app_fb_kpis(dh_app *app, const dh_actor *a, dh_date from, dh_date to, time_t now,
                         json_t **out, dh_err *e)
{
    return kpis_run(app, a, from, to, now, false, out, e);
}

dh_status dh_app_fb_kpis_by_category(dh_app *app, const dh_actor *a, dh_date from, dh_date to,
                                     time_t now, json_t **out, dh_err *e)
{
    return kpis_run(app, a, from, to, now, true, out, e);
}
/* ------------------------------------------------------------------ */
/* The feedback group of /api/v1/kpis.                                */

static int scope_row(void *closure, const dh_fb_stats_row *r)
{
    int64_t v[9];
    stats_add(r, v, closure);
    return 0;
}

dh_status dh_app_fb_kpis_scope(dh_app *app, const dh_actor *a, const char *unit, bool subtree,
                               dh_date from, dh_date to, time_t now, json_t **out, dh_err *e)
{
    *out = NULL;
    char *units = NULL;
    dh_status st = dh_app_scope_units_of(app, a, unit, subtree, "feedback", false, now, &units, e);
    if (st)
        return st;
    int64_t tot[9] = {0};
    st = dh_fb_agg_stats(app, units, from, to, now, scope_row, tot, e);
    free(units);
    if (st == DH_OK)
        *out = kpi_obj(tot, default_day_minutes());
    return st;
}
