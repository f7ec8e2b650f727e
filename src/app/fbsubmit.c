/* fbsubmit.c - a feedback record's submission (issue 17): the body
 * checked, the commune from the coordinates (unit boundaries) or the
 * address, the handling unit from the routing rules, the public form's
 * limit per address, the public code and the clock started. */
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "app/fbint.h"
#include "app/geojson.h"
#include "core/geo.h"
#include "store/geo.h"

/* Public submissions from one address in an hour, at most. */
#define FB_PER_ADDR_HOUR 5

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
    const dh_fb_upload *files; /* checked before the transaction */
    size_t nfiles;
    const char **mimes;
    char (*hex)[65];
} submit_cl;

static dh_status limits_of(dh_conn *c, const char *category, dh_fb_limits *lim, dh_err *e)
{
    dh_fb_category_row cr = {0};
    dh_status st = DH_FEEDBACK(c)->list_categories(c, category, dh_fbi_cat_copy, &cr, e);
    if (st == DH_OK && !cr.code)
        st = dh_err_set(e, DH_E_INVALID, "unknown_category", "category",
                        "unknown feedback category '%s'", category);
    *lim = (dh_fb_limits){cr.accept_days, cr.answer_days, 0};
    if (st == DH_OK && !cr.active)
        st = dh_err_set(e, DH_E_INVALID, "inactive_category", "category",
                        "feedback category '%s' no longer takes submissions", category);
    return st;
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
    static const char *const keys[] = {"category", "description", "lat",     "long",      "address",
                                       "commune",  "contact",     "channel", "media_url", NULL};
    char *cat = NULL, *desc = NULL, *addr = NULL, *commune = NULL, *channel = NULL, *media = NULL;
    char *cname = NULL, *cemail = NULL, *cphone = NULL;
    routes rs = {0};
    dh_date today = dh_date_of_time_vn(cl->now);
    const dh_feedback_ops *F = DH_FEEDBACK(tx->c);
    dh_status st = dh_json_only(cl->body, keys, e);
    if (st || (st = dh_fbi_text_field(cl->body, "category", true, &cat, e)) ||
        (st = dh_fbi_text_field(cl->body, "description", true, &desc, e)) ||
        (st = dh_fbi_text_field(cl->body, "address", false, &addr, e)) ||
        (st = dh_json_text(cl->body, "commune", false, &commune, e)) ||
        (st = dh_json_text(cl->body, "channel", false, &channel, e)) ||
        (st = dh_fbi_text_field(cl->body, "media_url", false, &media, e)))
        goto done;
    if (media && *media && !dh_fb_media_url_valid(media)) {
        st = dh_err_set(e, DH_E_INVALID, "bad_media_url", "media_url",
                        "media_url must be an http:// or https:// URL with a host, without "
                        "spaces");
        goto done;
    }
    json_t *contact = json_object_get(cl->body, "contact");
    if (contact && !json_is_null(contact)) {
        static const char *const ckeys[] = {"name", "email", "phone", NULL};
        if (!json_is_object(contact)) {
            st = dh_err_set(e, DH_E_MALFORMED, "bad_contact", "contact",
                            "contact is an object {name, email, phone}");
            goto done;
        }
        if ((st = dh_json_only(contact, ckeys, e)) ||
            (st = dh_fbi_text_field(contact, "name", false, &cname, e)) ||
            (st = dh_fbi_text_field(contact, "email", false, &cemail, e)) ||
            (st = dh_fbi_text_field(contact, "phone", false, &cphone, e)))
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
    const dh_workcal *wc = dh_fbi_unit_wc(cl->cs, tx->reg, unit, today);
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
    char path[256];
    r.media_url = media;
    if (!(media && *media) && cl->nfiles) {
        dh_fbi_media_path(cl->code, cl->hex[0], path, sizeof path);
        r.media_url = path;
    }
    dh_fbi_summarise(&r, &v, cl->now);
    int64_t id = 0;
    if ((st = F->save_record(tx->c, &r, &id, e)) ||
        (st = F->add_event(tx->c,
                           &(dh_fb_event_row){id, 1, "received", cl->now, cl->a->login, unit, "",
                                              0},
                           e)))
        goto done;
    for (size_t i = 0; i < cl->nfiles && st == DH_OK; i++) {
        bool dup = false; /* the same image twice: kept once */
        for (size_t k = 0; k < i; k++)
            dup |= !strcmp(cl->hex[k], cl->hex[i]);
        if (!dup)
            st = F->put_attachment(tx->c,
                                   &(dh_fb_attachment_row){id, cl->hex[i], cl->mimes[i],
                                                           cl->files[i].name ? cl->files[i].name
                                                                             : "",
                                                           cl->files[i].data, cl->files[i].len},
                                   e);
    }
    if (st)
        goto done;
    /* The audit row names the record, not the submitter's contact. */
    json_t *after = json_pack("{s:s, s:s, s:s, s:s}", "code", cl->code, "category", cat,
                              "channel", ch, "unit", unit);
    st = dh_app_audit(tx->c, cl->a, "submit", "feedback", cl->code, unit, "ok", NULL, after,
                      cl->now, e);
    json_decref(after);
    if (st == DH_OK) {
        cl->out = dh_fbi_record_json(&r, true, tx->reg, cl->cs, cl->now);
        json_object_del(cl->out, "contact");
    }
done:
    routes_free(&rs);
    free(cat);
    free(desc);
    free(addr);
    free(commune);
    free(channel);
    free(media);
    free(cname);
    free(cemail);
    free(cphone);
    return st;
}

bool dh_fb_media_url_valid(const char *s)
{
    size_t n = strlen(s);
    const char *host = !strncmp(s, "https://", 8) ? s + 8 : !strncmp(s, "http://", 7) ? s + 7 : NULL;
    if (!host || n > 2000 || !*host || *host == '/' || *host == '?' || *host == '#')
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p <= ' ' || *p == 0x7f || *p == '"' || *p == '<' || *p == '>' || *p == '\\')
            return false;
    return true;
}

static dh_status submit_run(dh_app *app, const dh_actor *a, json_t *body, const char *channel,
                            bool public_form, const char *client_addr, const char *code,
                            const dh_fb_upload *files, size_t nfiles, time_t now, json_t **out,
                            dh_err *e);

dh_status dh_app_fb_submit(dh_app *app, const dh_actor *a, json_t *body, const char *channel,
                           bool public_form, const char *client_addr, time_t now, json_t **out,
                           dh_err *e)
{
    return submit_run(app, a, body, channel, public_form, client_addr, NULL, NULL, 0, now, out,
                      e);
}

dh_status dh_app_fb_submit_files(dh_app *app, const dh_actor *a, json_t *body,
                                 const char *channel, bool public_form, const char *client_addr,
                                 const dh_fb_upload *files, size_t nfiles, time_t now,
                                 json_t **out, dh_err *e)
{
    return submit_run(app, a, body, channel, public_form, client_addr, NULL, files, nfiles, now,
                      out, e);
}

dh_status dh_app_fb_submit_coded(dh_app *app, const dh_actor *a, json_t *body,
                                 const char *channel, bool public_form, const char *client_addr,
                                 const char *code, time_t now, json_t **out, dh_err *e)
{
    return submit_run(app, a, body, channel, public_form, client_addr, code, NULL, 0, now, out,
                      e);
}

static dh_status submit_run(dh_app *app, const dh_actor *a, json_t *body, const char *channel,
                            bool public_form, const char *client_addr, const char *code,
                            const dh_fb_upload *files, size_t nfiles, time_t now, json_t **out,
                            dh_err *e)
{
    *out = NULL;
    if (nfiles > DH_FB_UPLOADS_MAX)
        return dh_err_set(e, DH_E_INVALID, "too_many_images", "attachment",
                          "at most %d images with one submission", DH_FB_UPLOADS_MAX);
    /* Every image checked before anything is written. */
    const char *mimes[DH_FB_UPLOADS_MAX];
    char hex[DH_FB_UPLOADS_MAX][65];
    for (size_t i = 0; i < nfiles; i++) {
        dh_status st0 = dh_fbi_image_check(files[i].data, files[i].len, files[i].name, &mimes[i],
                                           hex[i], e);
        if (st0)
            return st0;
    }
    if (!json_is_object(body))
        return dh_err_set(e, DH_E_MALFORMED, "not_object", NULL, "the body is a JSON object");
    if (!public_form && a->role == DH_ROLE_VIEWER)
        return dh_app_deny(app, a, "submit", "feedback", "", NULL, now, e,
                           "submit feedback with a read-only account");
    if (code && (!*code || strlen(code) >= sizeof((submit_cl *)0)->code))
        return dh_err_set(e, DH_E_INVALID, "bad_code", "code", "a code is 1 to 63 bytes");
    const dh_calset *cs = dh_app_calendars_acquire(app, e);
    if (!cs)
        return e->status;
    submit_cl cl = {a,    body,  channel, client_addr, public_form, now, cs,
                    NULL, code,  {0},     files,       nfiles,      mimes, hex};
    dh_status st = dh_tx_run(app, DH_TX_UNITS, submit_tx, &cl, e);
    dh_app_calendars_release(app, cs);
    if (st == DH_OK)
        *out = cl.out;
    else
        json_decref(cl.out);
    return st;
}
