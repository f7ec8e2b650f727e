/* reminders.c - the inbox (a unit's reminders, read with dh_app_inbox) and
 * the daily reminders job: per lead unit, the tasks due
 * within a week, the overdue ones and the missed reports go into the inbox
 * table, and by e-mail (libcurl SMTP) to the unit's address when
 * DIEUHANH_SMTP_URL is set. The local day of the last run is kept in meta
 * (`reminders_day`) and written in the same transaction as the inbox rows,
 * so the job runs once a day however often the server restarts; the rows
 * are unique per (unit, day, kind, task, occurrence) besides. */
#include <curl/curl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/planbook.h"
#include "util/buf.h"

#define DUE_SOON_DAYS 7

typedef struct reminder_run {
    dh_mail_item *v;
    size_t n, cap;
    int rows;
    bool force; /* mail today's rows again, not only the new ones */
} reminder_run;

static const char *str_of(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

static dh_status add_row(dh_conn *c, reminder_run *run, const dh_planbook *b, const pb_task *t,
                         const char *unit, const char *kind, dh_date today,
                         const dh_dl_occurrence *occ, const char *explain, time_t now,
                         dh_err *e)
{
    char occs[DH_DATE_TEXT_LEN] = "";
    if (occ->due != DH_DATE_NONE)
        dh_date_format(occ->due, occs);
    const char *ord = str_of(t->j, "ordinal");
    const char *plan = t->plan != PB_NONE ? b->p[t->plan].key : "chỉ đạo";
    char msg[1024];
    const char *what = strcmp(kind, "overdue") == 0     ? "Quá hạn"
                       : strcmp(kind, "no_report") == 0 ? "Chưa báo cáo"
                                                        : "Sắp đến hạn";
    snprintf(msg, sizeof msg, "%s: nhiệm vụ %s%s(%s, #%lld): %s", what, ord, *ord ? " " : "",
             plan, (long long)t->id, explain);
    dh_inbox_row r = {0, unit, today, kind, t->id, occs, msg, now};
    bool inserted = false;
    dh_status st = DH_PLANS(c)->insert_inbox(c, &r, &inserted, e);
    if (st || (!inserted && !run->force))
        return st;
    run->rows += inserted;
    if (run->n == run->cap) {
        run->cap = run->cap ? run->cap * 2 : 64;
        run->v = dh_xrealloc(run->v, run->cap * sizeof *run->v);
    }
    run->v[run->n++] = (dh_mail_item){dh_xstrdup(unit), dh_xstrdup(msg)};
    return DH_OK;
}

static dh_status collect(dh_conn *c, const dh_planbook *b, dh_date today, time_t now,
                         reminder_run *run, dh_err *e)
{
    dh_status st = DH_OK;
    for (size_t i = 0; i < b->nt && st == DH_OK; i++) {
        const pb_task *t = &b->t[i];
        if (t->plan != PB_NONE && (strcmp(str_of(b->p[t->plan].j, "status"), "active") != 0 ||
                                   pb_term_ended(&b->p[t->plan], today)))
            continue; /* a closed plan, or one whose term is over, asks nothing more */
        dh_task_status s;
        dh_task_facts f;
        dh_dl_occurrence occ;
        dh_task_eval(&t->def, t->u, t->nu, today, &s, &f, &occ);
        const char *kind = NULL;
        char explain[DH_TS_EXPLAIN_MAX + 64];
        snprintf(explain, sizeof explain, "%s", s.explain);
        if (s.state == DH_TS_OVERDUE)
            kind = "overdue";
        else if (s.state == DH_TS_NO_REPORT)
            kind = "no_report";
        else if (s.state != DH_TS_DONE && s.state != DH_TS_DONE_LATE && f.due != DH_DATE_NONE &&
                 f.due >= today && f.due - today <= DUE_SOON_DAYS)
            kind = "due_soon";
        if (!kind)
            continue;
        for (size_t k = 0; k < t->nlead && st == DH_OK; k++)
            st = add_row(c, run, b, t, t->lead[k], kind, today, &occ, explain, now, e);
    }
    return st;
}

/* ------------------------------------------------------------------ */
/* E-mail.                                                            */

struct upload {
    const char *p;
    size_t left;
};

static size_t read_cb(char *buf, size_t size, size_t n, void *closure)
{
    struct upload *u = closure;
    size_t want = size * n;
    if (want > u->left)
        want = u->left;
    memcpy(buf, u->p, want);
    u->p += want;
    u->left -= want;
    return want;
}

/* Sends one message; returns 0 or writes why into err. */
int dh_mail_send(const char *url, const char *from, const char *to, const char *subject,
                 const char *body, char *err, size_t errcap)
{
    dh_buf m = {0};
    char b64[512];
    sodium_bin2base64(b64, sizeof b64, (const unsigned char *)subject,
                      strlen(subject) < 300 ? strlen(subject) : 300,
                      sodium_base64_VARIANT_ORIGINAL);
    dh_buf_printf(&m,
                  "From: <%s>\r\nTo: <%s>\r\nSubject: =?UTF-8?B?%s?=\r\nMIME-Version: 1.0\r\n"
                  "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n"
                  "\r\n",
                  from, to, b64);
    /* Lines starting with a dot are doubled by curl; CRLF line ends. */
    for (const char *p = body; *p; p++) {
        if (*p == '\n')
            dh_buf_puts(&m, "\r\n");
        else
            dh_buf_putc(&m, *p);
    }
    dh_buf_puts(&m, "\r\n");
    CURL *h = curl_easy_init();
    if (!h) {
        dh_buf_free(&m);
        snprintf(err, errcap, "curl_easy_init failed");
        return -1;
    }
    struct upload up = {m.p, m.len};
    struct curl_slist *rcpt = curl_slist_append(NULL, to);
    char from_addr[300];
    snprintf(from_addr, sizeof from_addr, "<%s>", from);
    const char *user = getenv("DIEUHANH_SMTP_USER");
    const char *pass = getenv("DIEUHANH_SMTP_PASSWORD");
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_MAIL_FROM, from_addr);
    curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, read_cb);
    curl_easy_setopt(h, CURLOPT_READDATA, &up);
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    if (user && pass) {
        curl_easy_setopt(h, CURLOPT_USERNAME, user);
        curl_easy_setopt(h, CURLOPT_PASSWORD, pass);
        curl_easy_setopt(h, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
    }
    CURLcode rc = curl_easy_perform(h);
    if (rc != CURLE_OK)
        snprintf(err, errcap, "%s", curl_easy_strerror(rc));
    curl_slist_free_all(rcpt);
    curl_easy_cleanup(h);
    dh_buf_free(&m);
    return rc == CURLE_OK ? 0 : -1;
}

struct contacts {
    char **unit, **email;
    size_t n, cap;
};

static int on_contact(void *closure, const char *unit, const char *email)
{
    struct contacts *c = closure;
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 16;
        c->unit = dh_xrealloc(c->unit, c->cap * sizeof *c->unit);
        c->email = dh_xrealloc(c->email, c->cap * sizeof *c->email);
    }
    c->unit[c->n] = dh_xstrdup(unit);
    c->email[c->n++] = dh_xstrdup(email);
    return 0;
}

void dh_mail_units(dh_app *app, const dh_mail_item *v, size_t n, dh_date today,
                   const char *what, int *sent, json_t *errors)
{
    const char *url = getenv("DIEUHANH_SMTP_URL");
    if (!url || !*url || n == 0)
        return;
    const char *from = getenv("DIEUHANH_SMTP_FROM");
    if (!from || !*from)
        from = "dieuhanh@localhost";
    dh_err e;
    dh_conn *c = dh_store_acquire(dh_app_store(app), &e);
    if (!c)
        return;
    struct contacts ct = {0};
    DH_PLANS(c)->load_contacts(c, on_contact, &ct, &e);
    dh_store_release(c);
    char day[DH_DATE_TEXT_LEN];
    dh_date_format(today, day);
    for (size_t k = 0; k < ct.n; k++) {
        dh_buf body = {0};
        int lines = 0;
        for (size_t i = 0; i < n; i++) {
            if (strcmp(v[i].unit, ct.unit[k]) != 0)
                continue;
            dh_buf_printf(&body, "- %s\n", v[i].line);
            lines++;
        }
        if (lines) {
            char subject[256], err[256];
            snprintf(subject, sizeof subject, "Nhắc việc ngày %s: %d %s của %s", day, lines, what,
                     ct.unit[k]);
            dh_buf text = {0};
            dh_buf_printf(&text, "Đơn vị %s có %d nhắc việc ngày %s:\n\n%s", ct.unit[k], lines,
                          day, body.p);
            if (dh_mail_send(url, from, ct.email[k], subject, text.p, err, sizeof err) == 0)
                (*sent)++;
            else
                json_array_append_new(errors, json_pack("{s:s,s:s}", "unit", ct.unit[k], "error",
                                                        err));
            dh_buf_free(&text);
        }
        dh_buf_free(&body);
        free(ct.unit[k]);
        free(ct.email[k]);
    }
    free(ct.unit);
    free(ct.email);
}

/* ------------------------------------------------------------------ */
/* The job.                                                           */

/* Frees the rows collected, keeping `force`. */
void dh_mail_items_free(dh_mail_item *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].unit);
        free(v[i].line);
    }
    free(v);
}

static void run_reset(reminder_run *run)
{
    dh_mail_items_free(run->v, run->n);
    *run = (reminder_run){.force = run->force};
}

typedef struct reminders_cl {
    dh_date today;
    time_t now;
    reminder_run run;
    bool skipped; /* already run today (and not forced) */
} reminders_cl;

/* Concurrency: reads reminders_day (meta), the plans, tasks and their
 * updates (the planbook) inside the write transaction, writes the inbox
 * rows and moves reminders_day in the same one, so two runs at once (two
 * nodes, or the job and a forced run) never both take the same day: the
 * second waits for the write lock and then sees the day taken (SQLite),
 * or fails its commit on the reminders_day row both wrote and is rerun to
 * see it (PostgreSQL). The unique (unit, day, kind, task, occurrence) of
 * inbox keeps a forced run from writing a row twice (insert or ignore:
 * ON CONFLICT DO NOTHING). E-mails are sent after the commit. */
static dh_status reminders_tx(dh_tx *tx, void *closure, dh_err *e)
{
    reminders_cl *cl = closure;
    dh_date today = cl->today;
    run_reset(&cl->run);
    cl->skipped = false;
    int64_t last = 0;
    dh_status st = DH_META(tx->c)->meta_get(tx->c, "reminders_day", &last, e);
    if (st == DH_OK && !cl->run.force && last >= (int64_t)today) {
        cl->skipped = true;
        return DH_OK;
    }
    dh_planbook *b = NULL;
    if (st == DH_OK)
        st = pb_load(tx->c, &b, e);
    if (st == DH_OK)
        st = collect(tx->c, b, today, cl->now, &cl->run, e);
    if (st == DH_OK && (int64_t)today > last)
        st = DH_META(tx->c)->meta_set(tx->c, "reminders_day", (int64_t)today, e);
    if (st == DH_OK) {
        dh_actor sys = {0};
        snprintf(sys.login, sizeof sys.login, "system:reminders");
        sys.role = DH_ROLE_ADMIN;
        json_t *after = json_pack("{s:o,s:i}", "day", pb_date_json(today), "rows", cl->run.rows);
        st = dh_app_audit(tx->c, &sys, "run", "reminders", "", "", "ok", NULL, after, cl->now, e);
        json_decref(after);
    }
    pb_free(b);
    return st;
}

dh_status dh_app_reminders_run(dh_app *app, time_t now, bool force, json_t **out, dh_err *e)
{
    *out = NULL;
    dh_date today = dh_date_of_time_vn(now);
    reminders_cl cl = {today, now, {.force = force}, false};
    dh_status st = dh_tx_run(app, DH_TX_WRITE, reminders_tx, &cl, e);
    if (st == DH_OK && cl.skipped) {
        *out = json_pack("{s:b,s:o,s:i,s:i}", "ran", 0, "day", pb_date_json(today), "rows", 0,
                         "mailed", 0);
    } else if (st == DH_OK) {
        int sent = 0;
        json_t *errors = json_array();
        dh_mail_units(app, cl.run.v, cl.run.n, today, "nhiệm vụ", &sent, errors);
        *out = json_pack("{s:b,s:o,s:i,s:i,s:o}", "ran", 1, "day", pb_date_json(today), "rows",
                         cl.run.rows, "mailed", sent, "mail_errors", errors);
    }
    run_reset(&cl.run);
    return st;
}

typedef struct contact_cl {
    const dh_actor *a;
    const char *unit, *email;
    time_t now;
} contact_cl;

/* Concurrency: reads the unit registry (DH_TX_UNITS: the unit must exist)
 * and writes the unit's one contact row (keyed by unit: insert or update)
 * in the same transaction; two writers of one unit's address: the later
 * commit's stands, both audited. */
static dh_status contact_tx(dh_tx *tx, void *closure, dh_err *e)
{
    const contact_cl *cl = closure;
    const char *unit = cl->unit, *email = cl->email;
    if (dh_unitreg_find(tx->reg, unit) < 0)
        return dh_err_set(e, DH_E_INVALID, "unknown_unit", "unit", "unit '%s' does not exist",
                          unit);
    dh_status st = DH_PLANS(tx->c)->put_contact(tx->c, unit, email && *email ? email : NULL, e);
    if (st == DH_OK) {
        json_t *after = json_pack("{s:s,s:s}", "unit", unit, "email", email ? email : "");
        st = dh_app_audit(tx->c, cl->a, "update", "contact", unit, unit, "ok", NULL, after,
                          cl->now, e);
        json_decref(after);
    }
    return st;
}

dh_status dh_app_contact_set(dh_app *app, const dh_actor *a, const char *unit,
                             const char *email, time_t now, dh_err *e)
{
    if (a->role != DH_ROLE_ADMIN)
        return dh_app_deny(app, a, "update", "contact", unit, unit, now, e,
                           "set where a unit's reminders are mailed");
    if (email && *email && (strlen(email) > 254 || !strchr(email, '@') || strpbrk(email, " <>\r\n,")))
        return dh_err_set(e, DH_E_INVALID, "invalid_email", "email",
                          "'%s' is not an e-mail address", email);
    contact_cl cl = {a, unit, email, now};
    return dh_tx_run(app, DH_TX_UNITS, contact_tx, &cl, e);
}

/* ------------------------------------------------------------------ */
/* The inbox.                                                         */

struct inbox_ctx {
    json_t *items;
    int64_t last;
    int n;
};

static int on_inbox(void *closure, const dh_inbox_row *r)
{
    struct inbox_ctx *x = closure;
    json_array_append_new(x->items,
                          json_pack("{s:I,s:s,s:o,s:s,s:I,s:s,s:s,s:I}", "id", (json_int_t)r->id,
                                    "unit", r->unit, "day", pb_date_json(r->day), "kind", r->kind,
                                    "task", (json_int_t)r->task_id, "occurrence", r->occurrence,
                                    "message", r->message, "created_at",
                                    (json_int_t)r->created_at));
    x->last = r->id;
    x->n++;
    return 0;
}

dh_status dh_app_inbox_scope(dh_app *app, const dh_actor *a, const char **unit,
                             const char *entity, time_t now, dh_err *e)
{
    if (!*unit || !**unit)
        *unit = a->unit_code[0] ? a->unit_code : NULL;
    if (!*unit)
        return a->role == DH_ROLE_ADMIN
                   ? DH_OK
                   : dh_err_set(e, DH_E_INVALID, "missing_field", "unit", "unit is required");
    const dh_unitreg *r = dh_app_units_acquire(app, e);
    if (!r)
        return e->status;
    int32_t u = dh_unitreg_find(r, *unit);
    bool ok = u >= 0 && dh_access_allows(r, a->role, dh_app_actor_scope(r, a), DH_ACT_READ, u,
                                         dh_date_of_time_vn(now));
    dh_app_units_release(app, r);
    if (u < 0)
        return dh_err_set(e, DH_E_INVALID, "unknown_unit", "unit", "unit '%s' does not exist",
                          *unit);
    if (!ok)
        return dh_app_deny(app, a, "read", entity, *unit, *unit, now, e,
                           "read the inbox of a unit outside their subtree");
    return DH_OK;
}

dh_status dh_app_inbox(dh_app *app, const dh_actor *a, const char *unit, int64_t before,
                       int limit, time_t now, json_t **items, int64_t *next, dh_err *e)
{
    *items = NULL;
    *next = 0;
    dh_status st0 = dh_app_inbox_scope(app, a, &unit, "inbox", now, e);
    if (st0)
        return st0;
    dh_conn *c = dh_store_acquire(dh_app_store(app), e);
    if (!c)
        return e->status;
    struct inbox_ctx x = {json_array(), 0, 0};
    dh_status st = DH_PLANS(c)->list_inbox(c, unit, before, limit, on_inbox, &x, e);
    dh_store_release(c);
    if (st) {
        json_decref(x.items);
        return st;
    }
    *items = x.items;
    *next = x.n == limit ? x.last : 0;
    return DH_OK;
}

/* The server's job (dh_job_start): the reminders, logged. */
void dh_reminders_tick(dh_app *app, time_t now)
{
    json_t *out = NULL;
    dh_err e;
    if (dh_app_reminders_run(app, now, false, &out, &e))
        fprintf(stderr, "dieuhanh: reminders: %s\n", e.message);
    else if (json_is_true(json_object_get(out, "ran")))
        fprintf(stderr, "dieuhanh: reminders: %lld rows, %lld e-mails\n",
                (long long)json_integer_value(json_object_get(out, "rows")),
                (long long)json_integer_value(json_object_get(out, "mailed")));
    json_decref(out);
}
