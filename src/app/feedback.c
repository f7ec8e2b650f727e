/* feedback.c - citizen feedback (phản ánh, kiến nghị; issue 17): categories
 * and routing rules, submission (routed to a handling unit), the officers'
 * transitions (accept, reject, start, request_info, resume, transfer,
 * answer, close) and the citizen's rating, reads with personal data only
 * for those allowed, and the KPIs per unit and period.
 *
 * Every write goes through dh_tx_run: the record's events are read inside
 * the transaction, the new one is checked and the clock replayed by
 * core/feedback.c, and the event, the record's summary and the audit row
 * are written together; a rerun reads the same rows and writes the same.
 *
 * Personal data (the submitter's contact; Decree 13/2023/NĐ-CP) is shown
 * only to admins and to officers whose scope covers the handling unit
 * (the same test as a write); never to the public, leaders or viewers. */
#include <math.h>
#include <sodium.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "app/geojson.h"
#include "app/internal.h"
#include "core/feedback.h"
#include "core/geo.h"
#include "store/feedback.h"
#include "store/geo.h"
#include "util/buf.h"
#include "util/text.h"

/* Public submissions from one address in an hour, at most. */
#define FB_PER_ADDR_HOUR 5
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
    offsetof(dh_fb_record_row, submitted_by),  offsetof(dh_fb_record_row, client_addr)};
#define NREC_STRS (sizeof rec_strs / sizeof *rec_strs)

#define FIELD(p, off) (*(const char **)((char *)(p) + (off)))

static void rec_free(dh_fb_record_row *r)
{
    for (size_t i = 0; i < NREC_STRS; i++)
        free((char *)FIELD(r, rec_strs[i]));
    memset(r, 0, sizeof *r);
}

typedef struct recs {
    dh_fb_record_row *v;
    size_t n;
} recs;

static int recs_add(void *closure, const dh_fb_record_row *row)
{
    recs *rs = closure;
    rs->v = realloc(rs->v, (rs->n + 1) * sizeof *rs->v);
    dh_fb_record_row *r = &rs->v[rs->n++];
    *r = *row;
    for (size_t i = 0; i < NREC_STRS; i++)
        FIELD(r, rec_strs[i]) = strdup(FIELD(row, rec_strs[i]) ? FIELD(row, rec_strs[i]) : "");
    return 0;
}

static void recs_free(recs *rs)
{
    for (size_t i = 0; i < rs->n; i++)
        rec_free(&rs->v[i]);
    free(rs->v);
    *rs = (recs){0};
}

typedef struct evs {
    dh_fb_event *v;
    char **units; /* owned to_unit strings */
    size_t n;
} evs;

static int evs_add(void *closure, const dh_fb_event_row *row)
{
    evs *es = closure;
    dh_fb_event_type t;
    if (dh_fb_event_parse(row->type, &t))
        return 0; /* the table's CHECK keeps this from happening */
    es->v = realloc(es->v, (es->n + 1) * sizeof *es->v);
    es->units = realloc(es->units, (es->n + 1) * sizeof *es->units);
    es->units[es->n] = strdup(row->unit ? row->unit : "");
    es->v[es->n] = (dh_fb_event){t, row->at, row->seq, es->units[es->n], row->rating};
    es->n++;
    return 0;
}

static void evs_free(evs *es)
{
    for (size_t i = 0; i < es->n; i++)
        free(es->units[i]);
    free(es->units);
    free(es->v);
    *es = (evs){0};
}

static int att_json(void *closure, const dh_fb_attachment_row *r);

/* ------------------------------------------------------------------ */
/* Helpers.                                                           */

static void iso(time_t t, char out[32])
{
    time_t l = t + DH_VN_OFFSET;
    struct tm tm;
    gmtime_r(&l, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%S+07:00", &tm);
}

static json_t *time_json(time_t t)
{
    if (!t)
        return json_null();
    char b[32];
    iso(t, b);
    return json_string(b);
}

/* May a sees the contact of, and act on, records handled by `unit`? */
static bool may_handle(const dh_unitreg *reg, const dh_actor *a, const char *unit, dh_date d)
{
    if (a->role == DH_ROLE_ADMIN && !a->scoped_admin)
        return true;
    int32_t u = dh_unitreg_find(reg, unit);
    return u >= 0 && dh_access_allows(reg, a->role, dh_app_actor_scope(reg, a), DH_ACT_WRITE, u, d);
}

static const dh_workcal *unit_wc(const dh_calset *cs, const dh_unitreg *reg, const char *unit,
                                 dh_date d)
{
    int32_t u = dh_unitreg_find(reg, unit);
    const dh_calendar *c = u >= 0 ? dh_calset_for_unit(cs, reg, u, d) : NULL;
    if (!c)
        c = dh_calset_find(cs, "default");
    return c ? c->wc : NULL;
}

/* within, at_risk, overdue or paused for an open record, from its due
 * instant (none while it waits for information). */
static const char *open_status(const dh_fb_record_row *r, const dh_workcal *wc, time_t now)
{
    if (!r->due_at)
        return "paused";
    if (r->due_at < now)
        return "overdue";
    /* As core/feedback.h: at most one working day left, never more than half
     * the budget (here the working time from receipt to the due instant). */
    int64_t left = 0, budget = 0, margin = wc ? dh_workcal_day_minutes(wc) : 0;
    if (wc && dh_workcal_between(wc, r->received_at, r->due_at, NULL, 0, &budget) == DH_WC_OK &&
        margin > budget / 2)
        margin = budget / 2;
    if (wc && dh_workcal_between(wc, now, r->due_at, NULL, 0, &left) == DH_WC_OK &&
        left <= margin)
        return "at_risk";
    return "within";
}

/* The JSON of a record; the contact only with personal. */
static json_t *record_json(const dh_fb_record_row *row, bool personal, const dh_unitreg *reg,
                           const dh_calset *cs, time_t now)
{
    dh_fb_record_row x = *row; /* absent strings read as "" */
    for (size_t i = 0; i < NREC_STRS; i++)
        if (!FIELD(&x, rec_strs[i]))
            FIELD(&x, rec_strs[i]) = "";
    const dh_fb_record_row *r = &x;
    dh_date today = dh_date_of_time_vn(now);
    char uname[256];
    dh_app_reg_unit_name(reg, r->unit, today, uname, sizeof uname);
    dh_fb_state st = DH_FB_RECEIVED;
    dh_fb_state_parse(r->state, &st);
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "code", r->code, "channel",
                          r->channel, "category", r->category, "description", r->description,
                          "address", r->address, "commune", r->commune, "unit", r->unit,
                          "unit_name", uname);
    json_object_set_new(o, "lat", r->has_location ? json_real(r->lat) : json_null());
    json_object_set_new(o, "long", r->has_location ? json_real(r->lon) : json_null());
    json_object_set_new(o, "state", json_string(r->state));
    json_object_set_new(o, "received_at", time_json(r->received_at));
    json_object_set_new(o, "accepted_at", time_json(r->accepted_at));
    json_object_set_new(o, "answered_at", time_json(r->answered_at));
    json_object_set_new(o, "closed_at", time_json(r->closed_at));
    json_object_set_new(o, "updated_at", time_json(r->updated_at));
    json_object_set_new(o, "due_at", time_json(r->due_at));
    json_object_set_new(o, "answer_due", time_json(r->answer_due));
    const char *os = NULL;
    if (dh_fb_state_open(st))
        os = open_status(r, unit_wc(cs, reg, r->unit, today), now);
    json_object_set_new(o, "outcome", *r->outcome ? json_string(r->outcome)
                                      : os        ? json_string(os)
                                                  : json_null());
    json_object_set_new(o, "answer", *r->answer ? json_string(r->answer) : json_null());
    json_object_set_new(o, "reason", *r->reason ? json_string(r->reason) : json_null());
    json_object_set_new(o, "rating", r->rating ? json_integer(r->rating) : json_null());
    if (personal)
        json_object_set_new(o, "contact",
                            json_pack("{s:s, s:s, s:s}", "name", r->contact_name, "email",
                                      r->contact_email, "phone", r->contact_phone));
    return o;
}

static dh_status text_field(json_t *body, const char *key, bool required, char **out, dh_err *e)
{
    dh_status st = dh_json_text(body, key, required, out, e);
    if (st == DH_OK && *out && strlen(*out) > FB_TEXT_MAX)
        st = dh_err_set(e, DH_E_TOOLARGE, "too_long", key, "%s: at most %d bytes", key,
                        FB_TEXT_MAX);
    if (st == DH_OK && required && (!*out || !**out))
        st = dh_err_set(e, DH_E_INVALID, "missing_field", key, "%s is required", key);
    return st;
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
            (st = text_field(cl->body, "unit", true, &s[2], e)))
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
    if (st || (st = text_field(cl->body, "code", true, &s[0], e)) ||
        (st = text_field(cl->body, "name", true, &s[1], e)) ||
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

/* ------------------------------------------------------------------ */
/* Submission.                                                        */

typedef struct routes {
    dh_fb_rule *v;
    size_t n;
} routes;

static int routes_add(void *closure, const dh_fb_route_row *r)
{
    routes *rs = closure;
    rs->v = realloc(rs->v, (rs->n + 1) * sizeof *rs->v);
    rs->v[rs->n++] = (dh_fb_rule){strdup(r->category), strdup(r->commune), strdup(r->unit)};
    return 0;
}

static void routes_free(routes *rs)
{
    for (size_t i = 0; i < rs->n; i++) {
        free((char *)rs->v[i].category);
        free((char *)rs->v[i].commune);
        free((char *)rs->v[i].unit);
    }
    free(rs->v);
}

typedef struct submit_cl {
    const dh_actor *a;
    json_t *body;
    const char *channel, *client_addr;
    bool public_form;
    time_t now;
    const dh_calset *cs;
    json_t *out;
    const char *fixed_code; /* NULL: a random code */
    char code[64];
} submit_cl;

static int cat_copy(void *closure, const dh_fb_category_row *r)
{
    dh_fb_category_row *c = closure;
    c->accept_days = r->accept_days;
    c->answer_days = r->answer_days;
    c->active = r->active;
    c->code = "found";
    return 1;
}

static dh_status limits_of(dh_conn *c, const char *category, dh_fb_limits *lim, dh_err *e)
{
    dh_fb_category_row cr = {0};
    dh_status st = DH_FEEDBACK(c)->list_categories(c, category, cat_copy, &cr, e);
    if (st == DH_OK && !cr.code)
        st = dh_err_set(e, DH_E_INVALID, "unknown_category", "category",
                        "unknown feedback category '%s'", category);
    *lim = (dh_fb_limits){cr.accept_days, cr.answer_days, 0};
    if (st == DH_OK && !cr.active)
        st = dh_err_set(e, DH_E_INVALID, "inactive_category", "category",
                        "feedback category '%s' no longer takes submissions", category);
    return st;
}

/* Fills the summary columns of r from the view. */
static void summarise(dh_fb_record_row *r, const dh_fb_view *v, time_t now)
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

static int count_one(void *closure, const dh_fb_record_row *r)
{
    (void)r;
    ++*(int *)closure;
    return 0;
}

typedef struct near_cl {
    dh_geo_boundary *b;
    size_t n, cap;
    dh_status st;
    dh_err *e;
} near_cl;

static int near_add(void *closure, const dh_boundary_row *r)
{
    near_cl *cl = closure;
    if (cl->n == cl->cap) {
        cl->cap = cl->cap ? 2 * cl->cap : 8;
        cl->b = dh_xrealloc(cl->b, cl->cap * sizeof *cl->b);
    }
    dh_geo_boundary *b = &cl->b[cl->n++];
    memset(b, 0, sizeof *b);
    b->unit = strdup(r->unit);
    if (!b->unit || dh_date_parse(r->valid_from, &b->from) != 0) {
        cl->st = dh_err_set(cl->e, DH_E_INTERNAL, "bad_boundary", "geometry",
                            "a stored boundary of %s is unreadable", r->unit);
        return 1;
    }
    cl->st = dh_geojson_geometry(r->geometry, &b->shape, cl->e);
    return cl->st != DH_OK;
}

/* The commune whose boundary in force on d contains (lon, lat), into
 * *commune (malloc'd), when boundaries are loaded; *commune stays NULL when
 * none are. A location outside every commune is refused (422). */
static dh_status commune_at(dh_tx *tx, double lat, double lon, dh_date d, char **commune,
                            dh_err *e)
{
    const dh_geo_ops *G = DH_GEO(tx->c);
    int64_t n = 0;
    dh_status st = G->count_boundaries(tx->c, &n, e);
    if (st || n == 0)
        return st;
    near_cl cl = {NULL, 0, 0, DH_OK, e};
    st = G->list_boundaries(tx->c, false, lon, lat, near_add, &cl, e);
    if (st == DH_OK)
        st = cl.st;
    if (st == DH_OK) {
        const char *code =
            dh_geo_locate(cl.b, cl.n, tx->reg, DH_UNIT_COMMUNE, lon, lat, d, NULL);
        if (code)
            *commune = strdup(code);
        else
            st = dh_err_set(e, DH_E_INVALID, "outside_every_unit", "lat",
                            "vị trí (%.6f, %.6f) nằm ngoài mọi xã, phường có ranh giới vào ngày "
                            "này",
                            lat, lon);
    }
    for (size_t i = 0; i < cl.n; i++) {
        free((char *)cl.b[i].unit);
        dh_geo_shape_free(&cl.b[i].shape);
    }
    free(cl.b);
    return st;
}

static dh_status submit_tx(dh_tx *tx, void *closure, dh_err *e)
{
    submit_cl *cl = closure;
    json_decref(cl->out);
    cl->out = NULL;
    static const char *const keys[] = {"category", "description", "lat",     "long",
                                       "address",  "commune",     "contact", "channel", NULL};
    char *cat = NULL, *desc = NULL, *addr = NULL, *commune = NULL, *channel = NULL;
    char *cname = NULL, *cemail = NULL, *cphone = NULL;
    routes rs = {0};
    dh_date today = dh_date_of_time_vn(cl->now);
    const dh_feedback_ops *F = DH_FEEDBACK(tx->c);
    dh_status st = dh_json_only(cl->body, keys, e);
    if (st || (st = text_field(cl->body, "category", true, &cat, e)) ||
        (st = text_field(cl->body, "description", true, &desc, e)) ||
        (st = text_field(cl->body, "address", false, &addr, e)) ||
        (st = dh_json_text(cl->body, "commune", false, &commune, e)) ||
        (st = dh_json_text(cl->body, "channel", false, &channel, e)))
        goto done;
    json_t *contact = json_object_get(cl->body, "contact");
    if (contact && !json_is_null(contact)) {
        static const char *const ckeys[] = {"name", "email", "phone", NULL};
        if (!json_is_object(contact)) {
            st = dh_err_set(e, DH_E_MALFORMED, "bad_contact", "contact",
                            "contact is an object {name, email, phone}");
            goto done;
        }
        if ((st = dh_json_only(contact, ckeys, e)) ||
            (st = text_field(contact, "name", false, &cname, e)) ||
            (st = text_field(contact, "email", false, &cemail, e)) ||
            (st = text_field(contact, "phone", false, &cphone, e)))
            goto done;
    }
    const char *ch = cl->channel ? cl->channel : channel ? channel : "portal";
    if (!dh_fb_channel_valid(ch)) {
        st = dh_err_set(e, DH_E_INVALID, "bad_channel", "channel",
                        "unknown channel '%s' (portal, hotline, zalo, app, counter, letter, "
                        "open311)",
                        ch);
        goto done;
    }
    json_t *lat = json_object_get(cl->body, "lat"), *lon = json_object_get(cl->body, "long");
    bool has_loc = lat && !json_is_null(lat);
    if (has_loc != (lon && !json_is_null(lon)) ||
        (has_loc && (!json_is_number(lat) || !json_is_number(lon) ||
                     fabs(json_number_value(lat)) > 90 || fabs(json_number_value(lon)) > 180))) {
        st = dh_err_set(e, DH_E_INVALID, "bad_location", "lat",
                        "a location is lat (-90..90) and long (-180..180), both numbers");
        goto done;
    }
    if (commune && *commune) {
        int32_t u = dh_unitreg_find(tx->reg, commune);
        if (u < 0 || !dh_unitreg_at(tx->reg, u, today)) {
            st = dh_err_set(e, DH_E_INVALID, "unknown_commune", "commune",
                            "'%s' is not a unit valid on this date", commune);
            goto done;
        }
    } else if (has_loc) {
        free(commune);
        commune = NULL;
        if ((st = commune_at(tx, json_number_value(lat), json_number_value(lon), today, &commune,
                             e)))
            goto done;
    }
    if (!(commune && *commune) && addr) {
        /* no boundaries (or no location): a commune named in the address,
         * else none (the officer who accepts the record chooses) */
        const char *named = dh_geo_commune_in_address(tx->reg, addr, today);
        if (named) {
            free(commune);
            commune = strdup(named);
        }
    }
    dh_fb_limits lim;
    if ((st = limits_of(tx->c, cat, &lim, e)))
        goto done;
    if (cl->public_form && cl->client_addr && *cl->client_addr) {
        int n = 0;
        st = F->list_records(tx->c, &(dh_fb_filter){.client_addr = cl->client_addr,
                                                    .from = cl->now - 3600},
                             count_one, &n, e);
        if (st == DH_OK && n >= FB_PER_ADDR_HOUR) {
            st = dh_err_set(e, DH_E_THROTTLED, "too_many_submissions", NULL,
                            "at most %d submissions an hour from one address; try again later",
                            FB_PER_ADDR_HOUR);
            goto done;
        }
    }
    if (st || (st = F->list_routes(tx->c, routes_add, &rs, e)))
        goto done;
    const char *unit = dh_fb_route(rs.v, rs.n, tx->reg, cat, commune ? commune : "", today);
    if (!unit) {
        st = dh_err_set(e, DH_E_INVALID, "no_route", "commune",
                        "no handling unit for category '%s'%s%s: give a commune or add a rule",
                        cat, commune && *commune ? " in commune " : "", commune ? commune : "");
        goto done;
    }
    /* The public code: random, so that it cannot be guessed from another
     * (or the one given, for demo data and imports). */
    if (cl->fixed_code) {
        snprintf(cl->code, sizeof cl->code, "%s", cl->fixed_code);
    } else {
        static const char alphabet[] = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
        unsigned char rnd[8];
        randombytes_buf(rnd, sizeof rnd);
        int y, m, d;
        dh_date_to_ymd(today, &y, &m, &d);
        int k = snprintf(cl->code, sizeof cl->code, "PA-%d-", y);
        for (int i = 0; i < 8; i++)
            cl->code[k + i] = alphabet[rnd[i] & 31];
        cl->code[k + 8] = '\0';
    }

    dh_fb_event ev = {DH_FBE_RECEIVED, cl->now, 1, unit, 0};
    dh_fb_view v;
    long bad;
    const char *why = "";
    const dh_workcal *wc = unit_wc(cl->cs, tx->reg, unit, today);
    if (!wc || dh_fb_replay(&ev, 1, wc, &lim, cl->now, &v, &bad, &why)) {
        st = dh_err_set(e, DH_E_INTERNAL, "clock", NULL, "the feedback clock failed: %s", why);
        goto done;
    }
    dh_fb_record_row r = {0};
    r.code = cl->code;
    r.channel = ch;
    r.category = cat;
    r.description = desc;
    r.has_location = has_loc;
    r.lat = has_loc ? json_number_value(lat) : 0;
    r.lon = has_loc ? json_number_value(lon) : 0;
    r.address = addr;
    r.commune = commune;
    r.received_at = cl->now;
    r.contact_name = cname;
    r.contact_email = cemail;
    r.contact_phone = cphone;
    r.submitted_by = cl->public_form ? "" : cl->a->login;
    r.client_addr = cl->client_addr;
    r.nevents = 1;
    summarise(&r, &v, cl->now);
    int64_t id = 0;
    if ((st = F->save_record(tx->c, &r, &id, e)) ||
        (st = F->add_event(tx->c,
                           &(dh_fb_event_row){id, 1, "received", cl->now, cl->a->login, unit, "",
                                              0},
                           e)))
        goto done;
    /* The audit row names the record, not the submitter's contact. */
    json_t *after = json_pack("{s:s, s:s, s:s, s:s}", "code", cl->code, "category", cat,
                              "channel", ch, "unit", unit);
    st = dh_app_audit(tx->c, cl->a, "submit", "feedback", cl->code, unit, "ok", NULL, after,
                      cl->now, e);
    json_decref(after);
    if (st == DH_OK) {
        cl->out = record_json(&r, true, tx->reg, cl->cs, cl->now);
        json_object_del(cl->out, "contact");
    }
done:
    routes_free(&rs);
    free(cat);
    free(desc);
    free(addr);
    free(commune);
    free(channel);
    free(cname);
    free(cemail);
    free(cphone);
    return st;
}

dh_status dh_app_fb_submit(dh_app *app, const dh_actor *a, json_t *body, const char *channel,
                           bool public_form, const char *client_addr, time_t now, json_t **out,
                           dh_err *e)
{
    return dh_app_fb_submit_coded(app, a, body, channel, public_form, client_addr, NULL, now, out,
                                  e);
}

dh_status dh_app_fb_submit_coded(dh_app *app, const dh_actor *a, json_t *body,
                                 const char *channel, bool public_form, const char *client_addr,
                                 const char *code, time_t now, json_t **out, dh_err *e)
{
    *out = NULL;
    if (!json_is_object(body))
        return dh_err_set(e, DH_E_MALFORMED, "not_object", NULL, "the body is a JSON object");
    if (!public_form && a->role == DH_ROLE_VIEWER)
        return dh_app_deny(app, a, "submit", "feedback", "", NULL, now, e,
                           "submit feedback with a read-only account");
    const dh_calset *cs = dh_app_calendars_acquire(app, e);
    if (!cs)
        return e->status;
    if (code && (!*code || strlen(code) >= sizeof((submit_cl *)0)->code))
        return dh_err_set(e, DH_E_INVALID, "bad_code", "code", "a code is 1 to 63 bytes");
    submit_cl cl = {a, body, channel, client_addr, public_form, now, cs, NULL, code, {0}};
    dh_status st = dh_tx_run(app, DH_TX_UNITS, submit_tx, &cl, e);
    dh_app_calendars_release(app, cs);
    if (st == DH_OK)
        *out = cl.out;
    else
        json_decref(cl.out);
    return st;
}

/* ------------------------------------------------------------------ */
/* Transitions.                                                       */

typedef struct act_cl {
    const dh_actor *a;
    const char *code;
    dh_fb_event_type type;
    json_t *body;
    time_t now;
    const dh_calset *cs;
    json_t *out;
} act_cl;

static dh_status act_tx(dh_tx *tx, void *closure, dh_err *e)
{
    act_cl *cl = closure;
    json_decref(cl->out);
    cl->out = NULL;
    const dh_feedback_ops *F = DH_FEEDBACK(tx->c);
    dh_date today = dh_date_of_time_vn(cl->now);
    recs rs = {0};
    evs es = {0};
    char *note = NULL, *to_unit = NULL, *commune = NULL;
    dh_status st = F->list_records(tx->c, &(dh_fb_filter){.code = cl->code}, recs_add, &rs, e);
    if (st == DH_OK && rs.n == 0)
        st = dh_err_set(e, DH_E_NOTFOUND, "unknown_feedback", "code",
                        "no feedback record with code '%s'", cl->code);
    if (st)
        goto done;
    dh_fb_record_row *r = &rs.v[0];
    const char *action = dh_fb_event_name(cl->type);
    if (cl->type != DH_FBE_RATE && !may_handle(tx->reg, cl->a, r->unit, today)) {
        st = dh_tx_deny(tx, cl->a, action, "feedback", cl->code, r->unit, cl->now, e,
                        "act on feedback handled by a unit outside their own");
        goto done;
    }
    /* What each action takes from the body. */
    int rating = 0;
    if (cl->type == DH_FBE_REJECT || cl->type == DH_FBE_ANSWER ||
        cl->type == DH_FBE_REQUEST_INFO) {
        const char *key = cl->type == DH_FBE_ANSWER ? "answer"
                          : cl->type == DH_FBE_REJECT ? "reason"
                                                      : "note";
        if ((st = text_field(cl->body, key, cl->type != DH_FBE_REQUEST_INFO, &note, e)))
            goto done;
    } else if (cl->type == DH_FBE_TRANSFER) {
        if ((st = text_field(cl->body, "unit", true, &to_unit, e)))
            goto done;
        int32_t u = dh_unitreg_find(tx->reg, to_unit);
        if (u < 0 || !dh_unitreg_at(tx->reg, u, today)) {
            st = dh_err_set(e, DH_E_INVALID, "unknown_unit", "unit",
                            "'%s' is not a unit valid today", to_unit);
            goto done;
        }
        if (!strcmp(to_unit, r->unit)) {
            st = dh_err_set(e, DH_E_INVALID, "same_unit", "unit",
                            "the record is already handled by '%s'", to_unit);
            goto done;
        }
        if ((st = dh_json_text(cl->body, "note", false, &note, e)))
            goto done;
    } else if (cl->type == DH_FBE_ACCEPT) {
        /* the commune, when none was found at submission: the officer's choice,
         * a commune valid on the day of receipt */
        if ((st = dh_json_text(cl->body, "commune", false, &commune, e)))
            goto done;
        if (commune && *commune) {
            int32_t u = dh_unitreg_find(tx->reg, commune);
            dh_date rd = dh_date_of_time_vn(r->received_at);
            if (u < 0 || tx->reg->u[u].kind != DH_UNIT_COMMUNE ||
                !dh_unitreg_at(tx->reg, u, rd)) {
                st = dh_err_set(e, DH_E_INVALID, "unknown_commune", "commune",
                                "'%s' is not a commune valid on the day of receipt", commune);
                goto done;
            }
            if (r->commune && *r->commune && strcmp(r->commune, commune) != 0) {
                st = dh_err_set(e, DH_E_INVALID, "commune_set", "commune",
                                "the record's commune is already '%s'", r->commune);
                goto done;
            }
        }
    } else if (cl->type == DH_FBE_RATE) {
        json_t *rt = json_object_get(cl->body, "rating");
        if (!json_is_integer(rt) || json_integer_value(rt) < 1 || json_integer_value(rt) > 5) {
            st = dh_err_set(e, DH_E_INVALID, "bad_rating", "rating",
                            "rating is a whole number from 1 to 5");
            goto done;
        }
        rating = (int)json_integer_value(rt);
    }
    if ((st = F->list_events(tx->c, r->id, evs_add, &es, e)))
        goto done;
    time_t at = cl->now;
    for (size_t i = 0; i < es.n; i++)
        if (es.v[i].at > at)
            at = es.v[i].at; /* never before an earlier event */
    int64_t seq = r->nevents + 1;
    es.v = realloc(es.v, (es.n + 1) * sizeof *es.v);
    es.v[es.n] = (dh_fb_event){cl->type, at, seq, to_unit, rating};
    size_t n = es.n + 1;
    dh_fb_events_sort(es.v, n);
    dh_fb_limits lim;
    dh_fb_category_row cr = {0};
    if ((st = F->list_categories(tx->c, r->category, cat_copy, &cr, e)))
        goto done;
    lim = (dh_fb_limits){cr.accept_days ? cr.accept_days : DH_FB_DEFAULT_ACCEPT_DAYS,
                         cr.answer_days ? cr.answer_days : DH_FB_DEFAULT_ANSWER_DAYS, 0};
    dh_fb_view v;
    long bad;
    const char *why = "";
    /* The clock runs on the calendar of the unit handling it now. */
    const dh_workcal *wc = unit_wc(cl->cs, tx->reg, to_unit ? to_unit : r->unit, today);
    if (!wc || dh_fb_replay(es.v, n, wc, &lim, at, &v, &bad, &why)) {
        st = bad >= 0 ? dh_err_set(e, DH_E_CONFLICT, "transition_refused", "action",
                                   "%s on a record in state '%s': %s", action, r->state, why)
                      : dh_err_set(e, DH_E_INTERNAL, "clock", NULL, "the feedback clock: %s",
                                   why);
        goto done;
    }
    json_t *before = json_pack("{s:s, s:s, s:s}", "state", r->state, "unit", r->unit, "commune",
                               r->commune ? r->commune : "");
    dh_fb_record_row w = *r; /* r keeps the strings read; w borrows them and statics */
    summarise(&w, &v, cl->now);
    w.nevents = seq;
    if (commune && *commune)
        w.commune = commune;
    if (cl->type == DH_FBE_ANSWER)
        w.answer = note;
    if (cl->type == DH_FBE_REJECT)
        w.reason = note;
    st = F->add_event(tx->c,
                      &(dh_fb_event_row){r->id, seq, action, at, cl->a->login,
                                         to_unit ? to_unit : "", note ? note : "", rating},
                      e);
    if (st == DH_OK)
        st = F->save_record(tx->c, &w, NULL, e);
    json_t *after = json_pack("{s:s, s:s, s:s}", "state", w.state, "unit", w.unit, "commune",
                              w.commune ? w.commune : "");
    if (st == DH_OK)
        st = dh_app_audit(tx->c, cl->a, action, "feedback", cl->code, r->unit, "ok", before,
                          after, cl->now, e);
    json_decref(before);
    json_decref(after);
    if (st == DH_OK)
        cl->out = record_json(&w, may_handle(tx->reg, cl->a, w.unit, today), tx->reg, cl->cs,
                              cl->now);
done:
    recs_free(&rs);
    evs_free(&es);
    free(note);
    free(to_unit);
    free(commune);
    return st;
}

dh_status dh_app_fb_act(dh_app *app, const dh_actor *a, const char *code, const char *action,
                        json_t *body, time_t now, json_t **out, dh_err *e)
{
    *out = NULL;
    dh_fb_event_type t;
    if (dh_fb_event_parse(action, &t) || t == DH_FBE_RECEIVED)
        return dh_err_set(e, DH_E_INVALID, "unknown_action", "action",
                          "unknown action '%s' (accept, reject, start, request_info, resume, "
                          "transfer, answer, rate, close)",
                          action ? action : "");
    json_t *empty = NULL;
    if (!body)
        body = empty = json_object();
    if (!json_is_object(body))
        return dh_err_set(e, DH_E_MALFORMED, "not_object", NULL, "the body is a JSON object");
    const dh_calset *cs = dh_app_calendars_acquire(app, e);
    if (!cs) {
        json_decref(empty);
        return e->status;
    }
    act_cl cl = {a, code, t, body, now, cs, NULL};
    dh_status st = dh_tx_run(app, DH_TX_UNITS, act_tx, &cl, e);
    dh_app_calendars_release(app, cs);
    json_decref(empty);
    if (st == DH_OK)
        *out = cl.out;
    else
        json_decref(cl.out);
    return st;
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
} list_cl;

static int list_row(void *closure, const dh_fb_record_row *r)
{
    list_cl *cl = closure;
    bool personal = cl->a && may_handle(cl->reg, cl->a, r->unit, cl->today);
    if (cl->scope_check && cl->a && cl->a->role != DH_ROLE_ADMIN) {
        int32_t u = dh_unitreg_find(cl->reg, r->unit);
        if (u < 0 || !dh_access_allows(cl->reg, cl->a->role, dh_app_actor_scope(cl->reg, cl->a),
                                       DH_ACT_READ, u, cl->today))
            return 0;
    }
    json_array_append_new(cl->items, record_json(r, personal, cl->reg, cl->cs, cl->now));
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
    list_cl cl = {a, reg, cs, today, now, json_array(), a != NULL};
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

typedef struct ev_cl {
    json_t *items;
    bool personal;
} ev_cl;

static int ev_json(void *closure, const dh_fb_event_row *r)
{
    ev_cl *cl = closure;
    json_t *o = json_pack("{s:I, s:s, s:o}", "seq", (json_int_t)r->seq, "type", r->type, "at",
                          time_json(r->at));
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
    recs rs = {0};
    st = DH_FEEDBACK(c)->list_records(c, &f, recs_add, &rs, e);
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
    recs_free(&rs);
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
    if (!handler)
        return dh_err_set(e, DH_E_FORBIDDEN, "forbidden", "attachment",
                          "the images of feedback are shown only to the handling unit's "
                          "officers and admins (they may carry personal data)");
    dh_fb_filter f = {.code = code};
    dh_conn *c = dh_app_read_begin(app, e);
    if (!c)
        return e->status;
    recs rs = {0};
    att_find af = {sha256, NULL, NULL, 0};
    st = DH_FEEDBACK(c)->list_records(c, &f, recs_add, &rs, e);
    if (st == DH_OK && rs.n)
        st = DH_FEEDBACK(c)->list_attachments(c, rs.v[0].id, att_pick, &af, e);
    dh_app_read_end(c);
    recs_free(&rs);
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

static int kpi_row(void *closure, const dh_fb_stats_row *r)
{
    kpi_cl *cl = closure;
    if (cl->a->role != DH_ROLE_ADMIN) {
        int32_t u = dh_unitreg_find(cl->reg, r->unit);
        if (u < 0 || !dh_access_allows(cl->reg, cl->a->role, dh_app_actor_scope(cl->reg, cl->a),
                                       DH_ACT_READ, u, cl->today))
            return 0;
    }
    int64_t v[9] = {r->received, r->answered, r->on_time, r->late,        r->answer_minutes_sum,
                    r->rated,    r->satisfied, r->open_within, r->open_overdue};
    for (int i = 0; i < 9; i++)
        cl->tot[i] += v[i];
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
    dh_err e0;
    const dh_calset *bi = dh_calset_builtin(&e0);
    const dh_calendar *dc = bi ? dh_calset_find(bi, "default") : NULL;
    kpi_cl cl = {a, reg, dh_date_of_time_vn(now), dc ? dh_workcal_day_minutes(dc->wc) : 450,
                 json_array(), {0}};
    dh_conn *c = dh_app_read_begin(app, e);
    dh_status st = c ? DH_OK : e->status;
    if (c) {
        st = (by_category ? DH_FEEDBACK(c)->stats_by_category : DH_FEEDBACK(c)->stats)(
            c, dh_date_start_vn(from), dh_date_start_vn(to + 1), now, kpi_row, &cl, e);
        dh_app_read_end(c);
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
/* Attachments.                                                       */

/* The image type by content (magic bytes), or NULL. */
static const char *image_mime(const unsigned char *p, size_t n)
{
    if (n >= 3 && p[0] == 0xFF && p[1] == 0xD8 && p[2] == 0xFF)
        return "image/jpeg";
    if (n >= 8 && !memcmp(p, "\x89PNG\r\n\x1a\n", 8))
        return "image/png";
    if (n >= 12 && !memcmp(p, "RIFF", 4) && !memcmp(p + 8, "WEBP", 4))
        return "image/webp";
    if (n >= 6 && (!memcmp(p, "GIF87a", 6) || !memcmp(p, "GIF89a", 6)))
        return "image/gif";
    return NULL;
}

typedef struct attach_cl {
    const dh_actor *a;
    const char *code, *name, *mime;
    const void *data;
    size_t len;
    time_t now;
    char hex[65];
} attach_cl;

static dh_status attach_tx(dh_tx *tx, void *closure, dh_err *e)
{
    attach_cl *cl = closure;
    recs rs = {0};
    dh_status st = DH_FEEDBACK(tx->c)->list_records(tx->c, &(dh_fb_filter){.code = cl->code},
                                                    recs_add, &rs, e);
    if (st == DH_OK && rs.n == 0)
        st = dh_err_set(e, DH_E_NOTFOUND, "unknown_feedback", "code",
                        "no feedback record with code '%s'", cl->code);
    if (st == DH_OK && !may_handle(tx->reg, cl->a, rs.v[0].unit, dh_date_of_time_vn(cl->now)))
        st = dh_tx_deny(tx, cl->a, "attach", "feedback", cl->code, rs.v[0].unit, cl->now, e,
                        "attach files to feedback handled by a unit outside their own");
    if (st == DH_OK)
        st = DH_FEEDBACK(tx->c)->put_attachment(
            tx->c,
            &(dh_fb_attachment_row){rs.v[0].id, cl->hex, cl->mime, cl->name, cl->data, cl->len},
            e);
    if (st == DH_E_CONFLICT)
        st = dh_err_set(e, DH_E_CONFLICT, "attachment_exists", "attachment",
                        "this image is already attached to %s", cl->code);
    if (st == DH_OK) {
        json_t *after = json_pack("{s:s, s:s, s:I}", "sha256", cl->hex, "mime", cl->mime, "size",
                                  (json_int_t)cl->len);
        st = dh_app_audit(tx->c, cl->a, "attach", "feedback", cl->code, rs.v[0].unit, "ok", NULL,
                          after, cl->now, e);
        json_decref(after);
    }
    recs_free(&rs);
    return st;
}

dh_status dh_app_fb_attach(dh_app *app, const dh_actor *a, const char *code, const void *data,
                           size_t len, const char *name, time_t now, json_t **out, dh_err *e)
{
    *out = NULL;
    if (len > DH_FB_ATTACH_MAX)
        return dh_err_set(e, DH_E_TOOLARGE, "too_large", "attachment",
                          "an image is at most %d bytes (5 MB); this one has %zu",
                          DH_FB_ATTACH_MAX, len);
    const char *mime = image_mime(data, len);
    if (!mime)
        return dh_err_set(e, DH_E_INVALID, "not_an_image", "attachment",
                          "the file is not an image (JPEG, PNG, WebP or GIF, by its content)");
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, data, len);
    attach_cl cl = {a, code, name ? name : "", mime, data, len, now, {0}};
    sodium_bin2hex(cl.hex, sizeof cl.hex, h, sizeof h);
    dh_status st = dh_tx_run(app, DH_TX_UNITS, attach_tx, &cl, e);
    if (st == DH_OK)
        *out = json_pack("{s:s, s:s, s:s, s:I}", "sha256", cl.hex, "mime", mime, "name", cl.name,
                         "size", (json_int_t)len);
    return st;
}

static int att_json(void *closure, const dh_fb_attachment_row *r)
{
    json_array_append_new(closure, json_pack("{s:s, s:s, s:s, s:I}", "sha256", r->sha256, "mime",
                                             r->mime, "name", r->name, "size",
                                             (json_int_t)r->size));
    return 0;
}

/* ------------------------------------------------------------------ */
/* The feedback group of /api/v1/kpis.                                */

typedef struct scope_cl {
    json_t *units; /* NULL: every unit */
    int64_t tot[9];
} scope_cl;

static int scope_row(void *closure, const dh_fb_stats_row *r)
{
    scope_cl *cl = closure;
    if (cl->units) {
        bool in = false;
        size_t i;
        json_t *u;
        json_array_foreach(cl->units, i, u) in |= !strcmp(json_string_value(u), r->unit);
        if (!in)
            return 0;
    }
    int64_t v[9] = {r->received, r->answered, r->on_time, r->late,        r->answer_minutes_sum,
                    r->rated,    r->satisfied, r->open_within, r->open_overdue};
    for (int i = 0; i < 9; i++)
        cl->tot[i] += v[i];
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
    scope_cl cl = {units ? json_loads(units, 0, NULL) : NULL, {0}};
    free(units);
    dh_err e0;
    const dh_calset *bi = dh_calset_builtin(&e0);
    const dh_calendar *dc = bi ? dh_calset_find(bi, "default") : NULL;
    dh_conn *c = dh_app_read_begin(app, e);
    st = c ? DH_FEEDBACK(c)->stats(c, dh_date_start_vn(from), dh_date_start_vn(to + 1), now,
                                   scope_row, &cl, e)
           : e->status;
    if (c)
        dh_app_read_end(c);
    json_decref(cl.units);
    if (st == DH_OK)
        *out = kpi_obj(cl.tot, dc ? dh_workcal_day_minutes(dc->wc) : 450);
    return st;
}
