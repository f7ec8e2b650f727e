/* fbjob.c - the feedback job (issue 17): answered records closed N days
 * after their answer when no rating came, then the daily reminders of open
 * feedback at risk or overdue, as for tasks: rows in fb_reminders (the
 * unit's inbox of feedback), and an e-mail to each unit with a contact
 * address when DIEUHANH_SMTP_URL is set. The server runs it as the job
 * "feedback" (one node per interval, store/jobs.h). Also: the reminders
 * listed, and the overdue records a directive is about. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "app/fbint.h"

/* Records closed in one run at most; the next run goes on. */
#define FB_CLOSE_BATCH 1000
/* Open records looked at for reminders: those due within this (seconds);
 * "at risk" is at most one working day before the deadline. */
#define FB_REMIND_HORIZON (45 * 86400)
#define FB_OVERDUE_CODES_MAX 500

int dh_fb_close_days(void)
{
    const char *v = getenv("DIEUHANH_FEEDBACK_CLOSE_DAYS");
    char *end;
    long n = v && *v ? strtol(v, &end, 10) : -1;
    return v && *v && !*end && n >= 0 && n <= 3650 ? (int)n : DH_FB_CLOSE_DAYS_DEFAULT;
}

static void system_actor(dh_actor *sys)
{
    memset(sys, 0, sizeof *sys);
    snprintf(sys->login, sizeof sys->login, "system:feedback");
    sys->role = DH_ROLE_ADMIN;
}

/* ------------------------------------------------------------------ */
/* Auto-close.                                                        */

static int unrated(void *closure, const dh_fb_record_row *r)
{
    return r->rating ? 0 : dh_fbi_recs_add(closure, r);
}

dh_status dh_app_fb_autoclose(dh_app *app, time_t now, int days, json_t **out, dh_err *e)
{
    *out = NULL;
    if (days < 0)
        return dh_err_set(e, DH_E_INVALID, "bad_days", "days", "days is 0 or more");
    fb_recs rs = {0};
    dh_conn *c = dh_app_read_begin(app, e);
    if (!c)
        return e->status;
    dh_fb_filter f = {.state = "answered", .answered_before = now - (time_t)days * 86400 + 1,
                      .order = 2, .limit = FB_CLOSE_BATCH};
    dh_status st = DH_FEEDBACK(c)->list_records(c, &f, unrated, &rs, e);
    dh_app_read_end(c);
    json_t *codes = json_array();
    dh_actor sys;
    system_actor(&sys);
    /* Each close is one transition of its own (event, summary, audit row by
     * system:feedback); a record closed or rated meanwhile (another node, a
     * citizen) is refused by the state table or skipped, never closed twice. */
    for (size_t i = 0; i < rs.n && st == DH_OK; i++) {
        json_t *rec = NULL;
        dh_err e2;
        dh_status s2 = dh_app_fb_act(app, &sys, rs.v[i].code, "close", NULL, now, &rec, &e2);
        if (s2 == DH_OK)
            json_array_append_new(codes, json_string(rs.v[i].code));
        else if (s2 != DH_E_CONFLICT)
            *e = e2, st = s2;
        json_decref(rec);
    }
    dh_fbi_recs_free(&rs);
    if (st) {
        json_decref(codes);
        return st;
    }
    *out = json_pack("{s:i, s:I, s:o}", "days", days, "closed", (json_int_t)json_array_size(codes),
                     "codes", codes);
    return DH_OK;
}

/* ------------------------------------------------------------------ */
/* Reminders.                                                         */

typedef struct horizon_cl {
    fb_recs rs;
    time_t until;
} horizon_cl;

static int due_before(void *closure, const dh_fb_record_row *r)
{
    horizon_cl *cl = closure;
    if (!r->due_at || r->due_at > cl->until)
        return 1; /* by due_at, none last: nothing further is near */
    return dh_fbi_recs_add(&cl->rs, r);
}

typedef struct remind_cl {
    const dh_calset *cs;
    dh_date today;
    time_t now;
    bool force, skipped;
    int rows;
    dh_mail_item *v;
    size_t n;
} remind_cl;

static void remind_reset(remind_cl *cl)
{
    dh_mail_items_free(cl->v, cl->n);
    cl->v = NULL;
    cl->n = 0;
    cl->rows = 0;
}

/* "2025-03-12T08:00" -> "08:00 ngày 12/03/2025" */
static void when_vi(time_t t, char out[40])
{
    char s[20];
    dh_time_format_vn(t, s);
    snprintf(out, 40, "%.5s ngày %.2s/%.2s/%.4s", s + 11, s + 8, s + 5, s);
}

/* {category code: name}, for the reminders' text */
static int cat_name(void *closure, const dh_fb_category_row *r)
{
    json_object_set_new(closure, r->code, json_string(r->name));
    return 0;
}

/* Concurrency: as the tasks' reminders (reminders.c): the day of the last
 * run (meta fb_reminders_day) is read and moved in the transaction that
 * writes the rows, so two nodes never both take a day; the rows are unique
 * per (unit, day, kind, record) besides, which keeps a forced run from
 * writing one twice. E-mails go after the commit. */
static dh_status remind_tx(dh_tx *tx, void *closure, dh_err *e)
{
    remind_cl *cl = closure;
    remind_reset(cl);
    cl->skipped = false;
    const dh_feedback_ops *F = DH_FEEDBACK(tx->c);
    int64_t last = 0;
    dh_status st = DH_META(tx->c)->meta_get(tx->c, "fb_reminders_day", &last, e);
    if (st == DH_OK && !cl->force && last >= (int64_t)cl->today) {
        cl->skipped = true;
        return DH_OK;
    }
    horizon_cl h = {{0}, cl->now + FB_REMIND_HORIZON};
    json_t *names = json_object();
    if (st == DH_OK)
        st = F->list_categories(tx->c, NULL, cat_name, names, e);
    if (st == DH_OK)
        st = F->list_records(tx->c, &(dh_fb_filter){.open = 1, .order = 1}, due_before, &h, e);
    for (size_t i = 0; i < h.rs.n && st == DH_OK; i++) {
        const dh_fb_record_row *r = &h.rs.v[i];
        const char *kind =
            dh_fbi_open_status(r, dh_fbi_unit_wc(cl->cs, tx->reg, r->unit, cl->today), cl->now);
        if (strcmp(kind, "overdue") && strcmp(kind, "at_risk"))
            continue;
        char due[40], msg[700];
        when_vi(r->due_at, due);
        const char *cname = json_string_value(json_object_get(names, r->category));
        snprintf(msg, sizeof msg, "%s: phản ánh %s (%.150s), hạn %s %s: %.200s",
                 !strcmp(kind, "overdue") ? "Quá hạn" : "Sắp đến hạn", r->code,
                 cname ? cname : r->category,
                 !strcmp(r->state, "received") ? "thụ lý" : "trả lời", due, r->description);
        bool inserted = false;
        st = F->put_reminder(tx->c,
                             &(dh_fb_reminder_row){0, r->unit, cl->today, kind, r->id, msg,
                                                   cl->now, NULL, 0, NULL},
                             &inserted, e);
        if (st || (!inserted && !cl->force))
            continue;
        cl->rows += inserted;
        cl->v = dh_xrealloc(cl->v, (cl->n + 1) * sizeof *cl->v);
        cl->v[cl->n++] = (dh_mail_item){dh_xstrdup(r->unit), dh_xstrdup(msg)};
    }
    dh_fbi_recs_free(&h.rs);
    json_decref(names);
    if (st == DH_OK && (int64_t)cl->today > last)
        st = DH_META(tx->c)->meta_set(tx->c, "fb_reminders_day", (int64_t)cl->today, e);
    if (st == DH_OK) {
        dh_actor sys;
        system_actor(&sys);
        char day[DH_DATE_TEXT_LEN];
        dh_date_format(cl->today, day);
        json_t *after = json_pack("{s:s, s:i}", "day", day, "rows", cl->rows);
        st = dh_app_audit(tx->c, &sys, "run", "feedback_reminders", "", "", "ok", NULL, after,
                          cl->now, e);
        json_decref(after);
    }
    return st;
}

dh_status dh_app_fb_reminders_run(dh_app *app, time_t now, bool force, json_t **out, dh_err *e)
{
    *out = NULL;
    const dh_calset *cs = dh_app_calendars_acquire(app, e);
    if (!cs)
        return e->status;
    remind_cl cl = {cs, dh_date_of_time_vn(now), now, force, false, 0, NULL, 0};
    dh_status st = dh_tx_run(app, DH_TX_UNITS, remind_tx, &cl, e);
    dh_app_calendars_release(app, cs);
    char day[DH_DATE_TEXT_LEN];
    dh_date_format(cl.today, day);
    if (st == DH_OK) {
        int sent = 0;
        json_t *errors = json_array();
        if (!cl.skipped)
            dh_mail_units(app, cl.v, cl.n, cl.today, "phản ánh", &sent, errors);
        *out = json_pack("{s:b, s:s, s:i, s:i, s:o}", "ran", !cl.skipped, "day", day, "rows",
                         cl.rows, "mailed", sent, "mail_errors", errors);
    }
    remind_reset(&cl);
    return st;
}

/* The server's job: the auto-close, then the reminders, logged. */
void dh_fb_tick(dh_app *app, time_t now)
{
    json_t *out = NULL;
    dh_err e;
    if (dh_app_fb_autoclose(app, now, dh_fb_close_days(), &out, &e))
        fprintf(stderr, "dieuhanh: feedback auto-close: %s\n", e.message);
    else if (json_integer_value(json_object_get(out, "closed")))
        fprintf(stderr, "dieuhanh: feedback auto-close: %lld records closed\n",
                (long long)json_integer_value(json_object_get(out, "closed")));
    json_decref(out);
    out = NULL;
    if (dh_app_fb_reminders_run(app, now, false, &out, &e))
        fprintf(stderr, "dieuhanh: feedback reminders: %s\n", e.message);
    else if (json_is_true(json_object_get(out, "ran")))
        fprintf(stderr, "dieuhanh: feedback reminders: %lld rows, %lld e-mails\n",
                (long long)json_integer_value(json_object_get(out, "rows")),
                (long long)json_integer_value(json_object_get(out, "mailed")));
    json_decref(out);
}

typedef struct rem_list {
    json_t *items;
    int64_t last;
    int n;
} rem_list;

static int rem_json(void *closure, const dh_fb_reminder_row *r)
{
    rem_list *l = closure;
    char day[DH_DATE_TEXT_LEN];
    dh_date_format(r->day, day);
    json_array_append_new(l->items,
                          json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:s}", "id",
                                    (json_int_t)r->id, "unit", r->unit, "day", day, "kind",
                                    r->kind, "code", r->code, "message", r->message, "created_at",
                                    dh_fbi_time_json(r->created_at), "due_at",
                                    dh_fbi_time_json(r->due_at), "state",
                                    r->state ? r->state : ""));
    l->last = r->id;
    l->n++;
    return 0;
}

dh_status dh_app_fb_reminders(dh_app *app, const dh_actor *a, const char *unit, int64_t before,
                              int limit, time_t now, json_t **items, int64_t *next, dh_err *e)
{
    *items = NULL;
    *next = 0;
    dh_status st = dh_app_inbox_scope(app, a, &unit, "feedback_reminders", now, e);
    if (st)
        return st;
    dh_conn *c = dh_app_read_begin(app, e);
    if (!c)
        return e->status;
    rem_list l = {json_array(), 0, 0};
    st = DH_FEEDBACK(c)->list_reminders(c, unit, before, limit, rem_json, &l, e);
    dh_app_read_end(c);
    if (st) {
        json_decref(l.items);
        return st;
    }
    *items = l.items;
    *next = l.n == limit ? l.last : 0;
    return DH_OK;
}

/* ------------------------------------------------------------------ */
/* The overdue list, for a directive.                                 */

dh_status dh_app_fb_overdue_codes(dh_app *app, const dh_actor *a, const char *unit, time_t now,
                                  json_t **codes, dh_err *e)
{
    *codes = NULL;
    char *units = NULL;
    dh_status st = dh_app_scope_units_of(app, a, unit, true, "feedback", false, now, &units, e);
    if (st)
        return st;
    json_t *set = units ? json_loads(units, 0, NULL) : NULL;
    free(units);
    json_t *items = NULL;
    st = dh_app_fb_list(app, a, &(dh_fb_filter){.open = 1, .order = 1}, now, &items, e);
    if (st == DH_OK) {
        *codes = json_array();
        size_t i, k;
        json_t *x, *u;
        json_array_foreach(items, i, x)
        {
            const char *o = json_string_value(json_object_get(x, "outcome"));
            if (!o || strcmp(o, "overdue") || json_array_size(*codes) >= FB_OVERDUE_CODES_MAX)
                continue;
            bool in = !set;
            const char *ru = json_string_value(json_object_get(x, "unit"));
            json_array_foreach(set, k, u) in |= !strcmp(json_string_value(u), ru);
            if (in)
                json_array_append(*codes, json_object_get(x, "code"));
        }
    }
    json_decref(items);
    json_decref(set);
    return st;
}
