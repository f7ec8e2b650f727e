/* feedback.c - citizen feedback (phản ánh, kiến nghị; issue 17): what the
 * feedback files share (fbint.h: owned records, the record's JSON, the
 * handling test) and the categories and routing rules. Submission is in
 * fbsubmit.c, the officers' transitions and attachments in fbflow.c, the
 * reads and KPIs in fbread.c.
 *
 * Every write goes through dh_tx_run: the record's events are read inside
 * the transaction, the new one is checked and the clock replayed by
 * core/feedback.c, and the event, the record's summary and the audit row
 * are written together; a rerun reads the same rows and writes the same.
 *
 * Personal data (the submitter's contact; Decree 13/2023/NĐ-CP) is shown
 * only to admins and to officers whose scope covers the handling unit
 * (the same test as a write); never to the public, leaders or viewers. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "app/fbint.h"

#define FB_TEXT_MAX 4000

/* ------------------------------------------------------------------ */
/* Owned copies of rows.                                              */

static const size_t rec_strs[] = {
    offsetof(dh_fb_record_row, code),          offsetof(dh_fb_record_row, channel),
    offsetof(dh_fb_record_row, category),      offsetof(dh_fb_record_row, description),
    offsetof(dh_fb_record_row, address),       offsetof(dh_fb_record_row, commune),
    offsetof(dh_fb_record_row, unit),          offsetof(dh_fb_record_row, state),
    offsetof(dh_fb_record_row, outcome),       offsetof(dh_fb_record_row, answer),
    offsetof(dh_fb_record_row, reason),        offsetof(dh_fb_record_row, contact_name),
    offsetof(dh_fb_record_row, contact_email), offsetof(dh_fb_record_row, contact_phone),
    offsetof(dh_fb_record_row, submitted_by),  offsetof(dh_fb_record_row, client_addr),
    offsetof(dh_fb_record_row, media_url)};
#define NREC_STRS (sizeof rec_strs / sizeof *rec_strs)

#define FIELD(p, off) (*(const char **)((char *)(p) + (off)))

static void rec_free(dh_fb_record_row *r)
{
    for (size_t i = 0; i < NREC_STRS; i++)
        free((char *)FIELD(r, rec_strs[i]));
    memset(r, 0, sizeof *r);
}

int dh_fbi_recs_add(void *closure, const dh_fb_record_row *row)
{
    fb_recs *rs = closure;
    rs->v = realloc(rs->v, (rs->n + 1) * sizeof *rs->v);
    dh_fb_record_row *r = &rs->v[rs->n++];
    *r = *row;
    for (size_t i = 0; i < NREC_STRS; i++)
        FIELD(r, rec_strs[i]) = strdup(FIELD(row, rec_strs[i]) ? FIELD(row, rec_strs[i]) : "");
    return 0;
}

void dh_fbi_recs_free(fb_recs *rs)
{
    for (size_t i = 0; i < rs->n; i++)
        rec_free(&rs->v[i]);
    free(rs->v);
    *rs = (fb_recs){0};
}


/* ------------------------------------------------------------------ */
/* Helpers.                                                           */

json_t *dh_fbi_time_json(time_t t)
{
    if (!t)
        return json_null();
    char b[DH_TIME_ISO_VN_LEN];
    dh_time_format_iso_vn(t, b);
    return json_string(b);
}

bool dh_fbi_may_handle(const dh_unitreg *reg, const dh_actor *a, const char *unit, dh_date d)
{
    if (a->role == DH_ROLE_ADMIN && !a->scoped_admin)
        return true;
    int32_t u = dh_unitreg_find(reg, unit);
    return u >= 0 && dh_access_allows(reg, a->role, dh_app_actor_scope(reg, a), DH_ACT_WRITE, u, d);
}

const dh_workcal *dh_fbi_unit_wc(const dh_calset *cs, const dh_unitreg *reg, const char *unit,
                                 dh_date d)
{
    int32_t u = dh_unitreg_find(reg, unit);
    const dh_calendar *c = u >= 0 ? dh_calset_for_unit(cs, reg, u, d) : NULL;
    if (!c)
        c = dh_calset_find(cs, "default");
    return c ? c->wc : NULL;
}

/* within, at_risk, overdue or paused for an open record, from its due
 * instant (none while it waits for information): the rule of
 * dh_fb_open_outcome, with the working time from receipt to the due
 * instant as the budget. */
const char *dh_fbi_open_status(const dh_fb_record_row *r, const dh_workcal *wc, time_t now)
{
    if (!r->due_at)
        return "paused";
    if (r->due_at < now)
        return "overdue";
    int64_t left = 0, budget = 0, day = wc ? dh_workcal_day_minutes(wc) : 0;
    if (!wc || dh_workcal_between(wc, now, r->due_at, NULL, 0, &left) != DH_WC_OK)
        return "within";
    /* the margin is at most one working day: no need of the budget beyond */
    if (left > day)
        return "within";
    if (dh_workcal_between(wc, r->received_at, r->due_at, NULL, 0, &budget) != DH_WC_OK)
        return "within";
    return dh_fb_outcome_name(dh_fb_open_outcome(budget, left, day, 0));
}

json_t *dh_fbi_record_json(const dh_fb_record_row *row, bool personal, const dh_unitreg *reg,
                           const dh_calset *cs, time_t now)
{
    dh_date today = dh_date_of_time_vn(now);
    char uname[256];
    dh_app_reg_unit_name(reg, row->unit ? row->unit : "", today, uname, sizeof uname);
    return dh_fbi_record_json_of(row, personal, uname,
                                 dh_fbi_unit_wc(cs, reg, row->unit ? row->unit : "", today), now);
}

json_t *dh_fbi_record_json_of(const dh_fb_record_row *row, bool personal, const char *uname,
                              const dh_workcal *wc, time_t now)
{
    dh_fb_record_row x = *row; /* absent strings read as "" */
    for (size_t i = 0; i < NREC_STRS; i++)
        if (!FIELD(&x, rec_strs[i]))
            FIELD(&x, rec_strs[i]) = "";
    const dh_fb_record_row *r = &x;
    dh_fb_state st = DH_FB_RECEIVED;
    dh_fb_state_parse(r->state, &st);
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "code", r->code, "channel",
                          r->channel, "category", r->category, "description", r->description,
                          "address", r->address, "commune", r->commune, "unit", r->unit,
                          "unit_name", uname);
    json_object_set_new(o, "lat", r->has_location ? json_real(r->lat) : json_null());
    json_object_set_new(o, "long", r->has_location ? json_real(r->lon) : json_null());
    json_object_set_new(o, "state", json_string(r->state));
    json_object_set_new(o, "received_at", dh_fbi_time_json(r->received_at));
    json_object_set_new(o, "accepted_at", dh_fbi_time_json(r->accepted_at));
    json_object_set_new(o, "answered_at", dh_fbi_time_json(r->answered_at));
    json_object_set_new(o, "closed_at", dh_fbi_time_json(r->closed_at));
    json_object_set_new(o, "updated_at", dh_fbi_time_json(r->updated_at));
    json_object_set_new(o, "due_at", dh_fbi_time_json(r->due_at));
    json_object_set_new(o, "answer_due", dh_fbi_time_json(r->answer_due));
    const char *os = NULL;
    if (dh_fb_state_open(st))
        os = dh_fbi_open_status(r, wc, now);
    json_object_set_new(o, "outcome", *r->outcome ? json_string(r->outcome)
                                      : os        ? json_string(os)
                                                  : json_null());
    json_object_set_new(o, "answer", *r->answer ? json_string(r->answer) : json_null());
    json_object_set_new(o, "reason", *r->reason ? json_string(r->reason) : json_null());
    json_object_set_new(o, "rating", r->rating ? json_integer(r->rating) : json_null());
    json_object_set_new(o, "media_url", *r->media_url ? json_string(r->media_url) : json_null());
    if (personal)
        json_object_set_new(o, "contact",
                            json_pack("{s:s, s:s, s:s}", "name", r->contact_name, "email",
                                      r->contact_email, "phone", r->contact_phone));
    return o;
}

dh_status dh_fbi_text_field(json_t *body, const char *key, bool required, char **out, dh_err *e)
{
    dh_status st = dh_json_text(body, key, required, out, e);
    if (st == DH_OK && *out && strlen(*out) > FB_TEXT_MAX)
        st = dh_err_set(e, DH_E_TOOLARGE, "too_long", key, "%s: at most %d bytes", key,
                        FB_TEXT_MAX);
    if (st == DH_OK && required && (!*out || !**out))
        st = dh_err_set(e, DH_E_INVALID, "missing_field", key, "%s is required", key);
    return st;
}
int dh_fbi_cat_copy(void *closure, const dh_fb_category_row *r)
{
    dh_fb_category_row *c = closure;
    c->accept_days = r->accept_days;
    c->answer_days = r->answer_days;
    c->active = r->active;
    c->code = "found";
    return 1;
}

void dh_fbi_summarise(dh_fb_record_row *r, const dh_fb_view *v, time_t now)
{
    r->state = dh_fb_state_name(v->state);
    r->unit = v->unit;
    r->accepted_at = v->accepted_at;
    r->answered_at = v->answered_at;
    r->closed_at = v->closed_at;
    r->updated_at = now;
    r->answer_due = v->answer_due;
    r->due_at = !dh_fb_state_open(v->state) || v->in_pause ? 0
                : v->state == DH_FB_RECEIVED              ? v->accept_due
                                                          : v->answer_due;
    r->outcome = v->outcome == DH_FBO_ON_TIME ? "on_time" : v->outcome == DH_FBO_LATE ? "late" : "";
    r->answer_minutes = v->answered_at ? v->used_minutes : 0;
    r->rating = v->rating;
}

/* ------------------------------------------------------------------ */
/* Categories and routing rules.                                      */

typedef struct cat_cl {
    const dh_actor *a;
    json_t *body;
    time_t now;
    bool route;
} cat_cl;

static dh_status cat_tx(dh_tx *tx, void *closure, dh_err *e)
{
    cat_cl *cl = closure;
    static const char *const cat_keys[] = {"code",        "name",        "description",
                                           "group",       "keywords",    "accept_days",
                                           "answer_days", "limits_source", "active", NULL};
    static const char *const route_keys[] = {"category", "commune", "unit", NULL};
    char *s[6] = {0};
    dh_status st = dh_json_only(cl->body, cl->route ? route_keys : cat_keys, e);
    if (st == DH_OK && cl->route) {
        if ((st = dh_json_text(cl->body, "category", false, &s[0], e)) ||
            (st = dh_json_text(cl->body, "commune", false, &s[1], e)) ||
            (st = dh_fbi_text_field(cl->body, "unit", true, &s[2], e)))
            goto done;
        if (dh_unitreg_find(tx->reg, s[2]) < 0) {
            st = dh_err_set(e, DH_E_INVALID, "unknown_unit", "unit", "unknown unit '%s'", s[2]);
            goto done;
        }
        if (s[1] && *s[1] && dh_unitreg_find(tx->reg, s[1]) < 0) {
            st = dh_err_set(e, DH_E_INVALID, "unknown_unit", "commune", "unknown commune '%s'",
                            s[1]);
            goto done;
        }
        st = DH_FEEDBACK(tx->c)->put_route(tx->c, &(dh_fb_route_row){s[0], s[1], s[2]}, e);
        if (st == DH_OK)
            st = dh_app_audit(tx->c, cl->a, "put", "feedback_route", s[0] ? s[0] : "", s[2], "ok",
                              NULL, cl->body, cl->now, e);
        goto done;
    }
    if (st || (st = dh_fbi_text_field(cl->body, "code", true, &s[0], e)) ||
        (st = dh_fbi_text_field(cl->body, "name", true, &s[1], e)) ||
        (st = dh_json_text(cl->body, "description", false, &s[2], e)) ||
        (st = dh_json_text(cl->body, "group", false, &s[3], e)) ||
        (st = dh_json_text(cl->body, "keywords", false, &s[4], e)) ||
        (st = dh_json_text(cl->body, "limits_source", false, &s[5], e)))
        goto done;
    json_t *ad = json_object_get(cl->body, "accept_days"),
           *an = json_object_get(cl->body, "answer_days"),
           *ac = json_object_get(cl->body, "active");
    if ((ad && (!json_is_integer(ad) || json_integer_value(ad) < 1 ||
                json_integer_value(ad) > 365)) ||
        (an && (!json_is_integer(an) || json_integer_value(an) < 1 ||
                json_integer_value(an) > 365))) {
        st = dh_err_set(e, DH_E_INVALID, "bad_days", ad && !json_is_integer(ad) ? "accept_days"
                                                                                 : "answer_days",
                        "accept_days and answer_days are whole working days, 1 to 365");
        goto done;
    }
    if (ac && !json_is_boolean(ac)) {
        st = dh_err_set(e, DH_E_MALFORMED, "bad_active", "active", "active is true or false");
        goto done;
    }
    /* Limits not given are the demo defaults, marked as such. */
    bool defaults = !ad && !an;
    dh_fb_category_row r = {s[0],
                            s[1],
                            s[2],
                            s[3],
                            s[4],
                            ad ? (int)json_integer_value(ad) : DH_FB_DEFAULT_ACCEPT_DAYS,
                            an ? (int)json_integer_value(an) : DH_FB_DEFAULT_ANSWER_DAYS,
                            s[5] && *s[5] ? s[5] : defaults ? "default" : "unspecified",
                            !ac || json_is_true(ac)};
    st = DH_FEEDBACK(tx->c)->put_category(tx->c, &r, e);
    if (st == DH_OK)
        st = dh_app_audit(tx->c, cl->a, "put", "feedback_category", s[0], NULL, "ok", NULL,
                          cl->body, cl->now, e);
done:
    for (int i = 0; i < 6; i++)
        free(s[i]);
    return st;
}

dh_status dh_app_fb_category_put(dh_app *app, const dh_actor *a, json_t *body, bool route,
                                 time_t now, dh_err *e)
{
    if (a->role != DH_ROLE_ADMIN || a->scoped_admin)
        return dh_app_deny(app, a, "put", route ? "feedback_route" : "feedback_category", "",
                           NULL, now, e, "configure feedback categories and routing");
    if (!json_is_object(body))
        return dh_err_set(e, DH_E_MALFORMED, "not_object", NULL, "the body is a JSON object");
    cat_cl cl = {a, body, now, route};
    return dh_tx_run(app, DH_TX_UNITS, cat_tx, &cl, e);
}

static int cat_json(void *closure, const dh_fb_category_row *r)
{
    json_array_append_new(
        closure, json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:i, s:s, s:b}", "code", r->code,
                           "name", r->name, "description", r->description, "group", r->grp,
                           "keywords", r->keywords, "accept_days", r->accept_days, "answer_days",
                           r->answer_days, "limits_source", r->limits_source, "active",
                           r->active));
    return 0;
}

static int route_json(void *closure, const dh_fb_route_row *r)
{
    json_array_append_new(closure, json_pack("{s:s, s:s, s:s}", "category", r->category,
                                             "commune", r->commune, "unit", r->unit));
    return 0;
}

dh_status dh_app_fb_categories(dh_app *app, const char *code, bool with_routes, json_t **out,
                               dh_err *e)
{
    *out = NULL;
    dh_conn *c = dh_app_read_begin(app, e);
    if (!c)
        return e->status;
    json_t *cats = json_array(), *routes = json_array();
    dh_status st = DH_FEEDBACK(c)->list_categories(c, code, cat_json, cats, e);
    if (st == DH_OK && with_routes)
        st = DH_FEEDBACK(c)->list_routes(c, route_json, routes, e);
    dh_app_read_end(c);
    if (st == DH_OK && code && json_array_size(cats) == 0)
        st = dh_err_set(e, DH_E_NOTFOUND, "unknown_category", "category",
                        "unknown feedback category '%s'", code);
    if (st == DH_OK)
        *out = with_routes ? json_pack("{s:o, s:o}", "categories", cats, "routes", routes)
                           : json_incref(cats);
    if (st != DH_OK || !with_routes) {
        json_decref(cats);
        json_decref(routes);
    }
    return st;
}
