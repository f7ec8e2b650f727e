/* fbflow.c - the officers' transitions of a feedback record (accept,
 * reject, start, request_info, resume, transfer, answer, close), the
 * citizen's rating, and attaching images (issue 17). */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "app/fbint.h"

/* ------------------------------------------------------------------ */
/* A record's events, copied.                                         */

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

/* The record `code` into rs (one row), or DH_E_NOTFOUND naming it. */
static dh_status find_record(dh_conn *c, const char *code, fb_recs *rs, dh_err *e)
{
    dh_status st =
        DH_FEEDBACK(c)->list_records(c, &(dh_fb_filter){.code = code}, dh_fbi_recs_add, rs, e);
    if (st == DH_OK && rs->n == 0)
        st = dh_err_set(e, DH_E_NOTFOUND, "unknown_feedback", "code",
                        "no feedback record with code '%s'", code);
    return st;
}

static dh_status act_tx(dh_tx *tx, void *closure, dh_err *e)
{
    act_cl *cl = closure;
    json_decref(cl->out);
    cl->out = NULL;
    const dh_feedback_ops *F = DH_FEEDBACK(tx->c);
    dh_date today = dh_date_of_time_vn(cl->now);
    fb_recs rs = {0};
    evs es = {0};
    char *note = NULL, *to_unit = NULL, *commune = NULL;
    dh_status st = find_record(tx->c, cl->code, &rs, e);
    if (st)
        goto done;
    dh_fb_record_row *r = &rs.v[0];
    const char *action = dh_fb_event_name(cl->type);
    if (cl->type != DH_FBE_RATE && !dh_fbi_may_handle(tx->reg, cl->a, r->unit, today)) {
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
        if ((st = dh_fbi_text_field(cl->body, key, cl->type != DH_FBE_REQUEST_INFO, &note, e)))
            goto done;
    } else if (cl->type == DH_FBE_TRANSFER) {
        if ((st = dh_fbi_text_field(cl->body, "unit", true, &to_unit, e)))
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
    if ((st = F->list_categories(tx->c, r->category, dh_fbi_cat_copy, &cr, e)))
        goto done;
    lim = (dh_fb_limits){cr.accept_days ? cr.accept_days : DH_FB_DEFAULT_ACCEPT_DAYS,
                         cr.answer_days ? cr.answer_days : DH_FB_DEFAULT_ANSWER_DAYS, 0};
    dh_fb_view v;
    long bad = -1; /* stays -1 when no calendar is found: an internal error */
    const char *why = "";
    /* The clock runs on the calendar of the unit handling it now. */
    const dh_workcal *wc = dh_fbi_unit_wc(cl->cs, tx->reg, to_unit ? to_unit : r->unit, today);
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
    dh_fbi_summarise(&w, &v, cl->now);
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
        cl->out = dh_fbi_record_json(&w, dh_fbi_may_handle(tx->reg, cl->a, w.unit, today),
                                     tx->reg, cl->cs, cl->now);
done:
    dh_fbi_recs_free(&rs);
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

dh_status dh_fbi_image_check(const void *data, size_t len, const char *name, const char **mime,
                             char hex[65], dh_err *e)
{
    const char *what = name && *name ? name : "the file";
    if (len > DH_FB_ATTACH_MAX)
        return dh_err_set(e, DH_E_TOOLARGE, "too_large", "attachment",
                          "%s: an image is at most %d bytes (5 MB); this one has %zu", what,
                          DH_FB_ATTACH_MAX, len);
    *mime = image_mime(data, len);
    if (!*mime)
        return dh_err_set(e, DH_E_INVALID, "not_an_image", "attachment",
                          "%s is not an image (JPEG, PNG, WebP or GIF, by its content)", what);
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, data, len);
    sodium_bin2hex(hex, 65, h, sizeof h);
    return DH_OK;
}

void dh_fbi_media_path(const char *code, const char *sha256, char *out, size_t cap)
{
    snprintf(out, cap, "/api/v1/feedback/%s/attachments/%s", code, sha256);
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
    fb_recs rs = {0};
    dh_status st = find_record(tx->c, cl->code, &rs, e);
    if (st == DH_OK &&
        !dh_fbi_may_handle(tx->reg, cl->a, rs.v[0].unit, dh_date_of_time_vn(cl->now)))
        st = dh_tx_deny(tx, cl->a, "attach", "feedback", cl->code, rs.v[0].unit, cl->now, e,
                        "attach files to feedback handled by a unit outside their own");
    if (st == DH_OK)
        st = DH_FEEDBACK(tx->c)->put_attachment(
            tx->c,
            &(dh_fb_attachment_row){rs.v[0].id, cl->hex, cl->mime, cl->name, cl->data, cl->len},
            e);
    /* the first image becomes the record's media_url (Open311) when it has none */
    if (st == DH_OK && !*rs.v[0].media_url) {
        char path[256];
        dh_fbi_media_path(cl->code, cl->hex, path, sizeof path);
        dh_fb_record_row w = rs.v[0]; /* borrows rs.v[0]'s strings */
        w.media_url = path;
        st = DH_FEEDBACK(tx->c)->save_record(tx->c, &w, NULL, e);
    }
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
    dh_fbi_recs_free(&rs);
    return st;
}

dh_status dh_app_fb_attach(dh_app *app, const dh_actor *a, const char *code, const void *data,
                           size_t len, const char *name, time_t now, json_t **out, dh_err *e)
{
    *out = NULL;
    const char *mime;
    attach_cl cl = {a, code, name ? name : "", NULL, data, len, now, {0}};
    dh_status st0 = dh_fbi_image_check(data, len, NULL, &mime, cl.hex, e);
    if (st0)
        return st0;
    cl.mime = mime;
    dh_status st = dh_tx_run(app, DH_TX_UNITS, attach_tx, &cl, e);
    if (st == DH_OK)
        *out = json_pack("{s:s, s:s, s:s, s:I}", "sha256", cl.hex, "mime", mime, "name", cl.name,
                         "size", (json_int_t)len);
    return st;
}
