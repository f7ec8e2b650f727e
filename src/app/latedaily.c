/* latedaily.c - the daily late-dossier report (issue 19, point 6; seed 002
 * §3.5): every working day, at the report hour (DIEUHANH_LATE_REPORT_AT,
 * default 16:30 local), each unit reports its overdue dossiers to its
 * parent unit: each dossier with its working days overdue and whether its
 * apology letter was issued (the "Phiếu xin lỗi và hẹn lại ngày trả kết
 * quả" is the extension with a new appointment: an `extended` event). The
 * reports are stored (store/latereports.h) as the parent's inbox of them and
 * their history, and mailed to the parent's contact when DIEUHANH_SMTP_URL
 * is set.
 *
 * Once per day across restarts and nodes: the job runs under its lease
 * (jobs.c) and the day's marker in meta ("late_daily:YYYY-MM-DD") is
 * written in the transaction that stores the reports, so a second run of
 * the day (a restart, another node, a forced run) finds it and writes
 * nothing; the (unit, day) key keeps a forced run from changing a report.
 * Not on holidays: a unit whose calendar (its own, else its ancestors',
 * else "default") makes the day a day off reports nothing that day. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/internal.h"
#include "store/latereports.h"
#include "util/buf.h"

#define LATE_DAILY_DEFAULT (16 * 60 + 30)

int dh_late_daily_minute(void)
{
    const char *v = getenv("DIEUHANH_LATE_REPORT_AT");
    int h, m;
    char extra;
    if (v && sscanf(v, "%d:%d%c", &h, &m, &extra) == 2 && h >= 0 && h < 24 && m >= 0 && m < 60)
        return h * 60 + m;
    return LATE_DAILY_DEFAULT;
}

/* The instant of the report hour on local day d. */
static time_t report_instant(dh_date d)
{
    return (time_t)((int64_t)d * 86400 - DH_VN_OFFSET + (int64_t)dh_late_daily_minute() * 60);
}

typedef struct unit_report {
    char *unit, *parent;
    json_t *items; /* the dossiers */
    int64_t apologies;
    bool inserted;
} unit_report;

typedef struct late_run {
    dh_date day;
    time_t now;
    bool force, skipped;
    unit_report *v;
    size_t n;
} late_run;

static unit_report *report_for(late_run *r, const char *unit, const char *parent)
{
    for (size_t i = 0; i < r->n; i++)
        if (!strcmp(r->v[i].unit, unit))
            return &r->v[i];
    r->v = dh_xrealloc(r->v, (r->n + 1) * sizeof *r->v);
    r->v[r->n] = (unit_report){dh_xstrdup(unit), dh_xstrdup(parent), json_array(), 0, false};
    return &r->v[r->n++];
}

static void run_free(late_run *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->v[i].unit);
        free(r->v[i].parent);
        json_decref(r->v[i].items);
    }
    free(r->v);
    r->v = NULL;
    r->n = 0;
}

static const char *s_of(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

/* Groups the overdue dossiers of the whole tree by their unit (after
 * transfers); units with a parent and a working day only. */
static dh_status collect(dh_app *app, late_run *r, dh_err *e)
{
    const dh_unitreg *reg = dh_app_units_acquire(app, e);
    if (!reg)
        return e->status;
    const dh_calset *cals = dh_app_calendars_acquire(app, e);
    if (!cals) {
        dh_app_units_release(app, reg);
        return e->status;
    }
    dh_actor sys;
    dh_actor_cli(&sys);
    snprintf(sys.login, sizeof sys.login, "system:late-daily");
    int32_t *roots = NULL;
    size_t nroots = dh_unitreg_roots(reg, r->day, &roots);
    dh_status st = DH_OK;
    time_t at = report_instant(r->day);
    for (size_t k = 0; k < nroots && st == DH_OK; k++) {
        json_t *items = NULL;
        st = dh_app_dossier_late_at(app, &sys, reg->u[roots[k]].code, at, &items, e);
        size_t i;
        json_t *d;
        json_array_foreach(items, i, d)
        {
            const char *unit = s_of(d, "unit");
            int32_t u = dh_unitreg_find(reg, unit);
            const dh_unit_version *v = u >= 0 ? dh_unitreg_at(reg, u, r->day) : NULL;
            if (!v || v->parent < 0)
                continue; /* a root reports to nobody */
            const dh_calendar *cal = dh_calset_for_unit(cals, reg, u, r->day);
            if (!cal || !dh_workcal_is_working_day(cal->wc, r->day))
                continue; /* the unit's day off */
            int day_min = dh_workcal_day_minutes(cal->wc);
            json_int_t late = json_integer_value(json_object_get(d, "late_minutes"));
            json_int_t days = day_min > 0 ? (late + day_min - 1) / day_min : 0;
            bool apology = json_is_string(json_object_get(d, "extended_to"));
            unit_report *ur = report_for(r, unit, reg->u[v->parent].code);
            ur->apologies += apology;
            json_array_append_new(
                ur->items,
                json_pack("{s:s,s:s,s:O,s:O,s:O,s:I,s:I,s:b}", "code", s_of(d, "code"),
                          "procedure", s_of(d, "procedure"), "received_at",
                          json_object_get(d, "received_at"), "due_at",
                          json_object_get(d, "due_effective"), "extended_to",
                          json_object_get(d, "extended_to"), "late_minutes", late,
                          "days_overdue", days, "apology_issued", apology));
        }
        json_decref(items);
    }
    free(roots);
    dh_app_calendars_release(app, cals);
    dh_app_units_release(app, reg);
    return st;
}

static void day_key(dh_date day, char *key, size_t cap)
{
    char d[DH_DATE_TEXT_LEN];
    dh_date_format(day, d);
    snprintf(key, cap, "late_daily:%s", d);
}

/* Concurrency: reads the day's marker and writes it with the reports in
 * one write transaction, so two runs of a day (two nodes, the job and a
 * forced run) never both store it: the second waits for the write lock
 * (SQLite) or fails on the marker row both wrote and is rerun (PostgreSQL),
 * and then sees the day taken. Reports are insert-or-ignore on (unit, day),
 * so running it twice (DIEUHANH_TX_FAULT) writes each once. */
static dh_status late_tx(dh_tx *tx, void *closure, dh_err *e)
{
    late_run *r = closure;
    char key[48];
    day_key(r->day, key, sizeof key);
    int64_t done = 0;
    r->skipped = false;
    dh_status st = DH_META(tx->c)->meta_get(tx->c, key, &done, e);
    if (st == DH_E_NOTFOUND) {
        done = 0;
        st = DH_OK;
    }
    if (st)
        return st;
    if (done && !r->force) {
        r->skipped = true;
        return DH_OK;
    }
    int stored = 0;
    for (size_t i = 0; i < r->n && st == DH_OK; i++) {
        unit_report *ur = &r->v[i];
        char *items = json_dumps(ur->items, JSON_COMPACT);
        dh_late_report_row row = {ur->unit,
                                  r->day,
                                  ur->parent,
                                  (int64_t)json_array_size(ur->items),
                                  ur->apologies,
                                  items,
                                  r->now,
                                  false};
        st = DH_LATEREPORTS(tx->c)->put_late_report(tx->c, &row, &ur->inserted, e);
        stored += ur->inserted;
        free(items);
    }
    if (st == DH_OK && !done)
        st = DH_META(tx->c)->meta_set(tx->c, key, (int64_t)r->now, e);
    if (st == DH_OK) {
        dh_actor sys = {0};
        snprintf(sys.login, sizeof sys.login, "system:late-daily");
        sys.role = DH_ROLE_ADMIN;
        char d[DH_DATE_TEXT_LEN];
        dh_date_format(r->day, d);
        json_t *after = json_pack("{s:s,s:i}", "day", d, "reports", stored);
        st = dh_app_audit(tx->c, &sys, "run", "late_daily", d, "", "ok", NULL, after, r->now, e);
        json_decref(after);
    }
    return st;
}

typedef struct contacts {
    char **unit, **email;
    size_t n;
} contacts;

static int on_contact(void *closure, const char *unit, const char *email)
{
    contacts *c = closure;
    c->unit = dh_xrealloc(c->unit, (c->n + 1) * sizeof *c->unit);
    c->email = dh_xrealloc(c->email, (c->n + 1) * sizeof *c->email);
    c->unit[c->n] = dh_xstrdup(unit);
    c->email[c->n++] = dh_xstrdup(email);
    return 0;
}

typedef struct mark_cl {
    const char *unit;
    dh_date day;
} mark_cl;

static dh_status mark_tx(dh_tx *tx, void *closure, dh_err *e)
{
    const mark_cl *m = closure;
    return DH_LATEREPORTS(tx->c)->mark_late_report_mailed(tx->c, m->unit, m->day, e);
}

/* One e-mail per parent with a contact, listing its units' new reports. */
static void mail_parents(dh_app *app, late_run *r, int *sent, json_t *errors)
{
    const char *url = getenv("DIEUHANH_SMTP_URL");
    if (!url || !*url)
        return;
    const char *from = getenv("DIEUHANH_SMTP_FROM");
    if (!from || !*from)
        from = "dieuhanh@localhost";
    dh_err e;
    dh_conn *c = dh_store_acquire(dh_app_store(app), &e);
    if (!c)
        return;
    contacts ct = {0};
    DH_PLANS(c)->load_contacts(c, on_contact, &ct, &e);
    dh_store_release(c);
    char day[DH_DATE_TEXT_LEN];
    dh_date_format(r->day, day);
    for (size_t k = 0; k < ct.n; k++) {
        dh_buf body = {0};
        int units = 0;
        for (size_t i = 0; i < r->n; i++) {
            unit_report *ur = &r->v[i];
            if ((!ur->inserted && !r->force) || strcmp(ur->parent, ct.unit[k]) != 0)
                continue;
            units++;
            dh_buf_printf(&body, "\n%s: %zu hồ sơ quá hạn, %lld đã có phiếu xin lỗi\n", ur->unit,
                          json_array_size(ur->items), (long long)ur->apologies);
            size_t j;
            json_t *d;
            json_array_foreach(ur->items, j, d)
            dh_buf_printf(&body, "- %s (%s): quá hạn %lld ngày làm việc, hạn %s%s\n",
                          s_of(d, "code"), s_of(d, "procedure"),
                          (long long)json_integer_value(json_object_get(d, "days_overdue")),
                          s_of(d, "due_at"),
                          json_is_true(json_object_get(d, "apology_issued"))
                              ? ", đã gửi phiếu xin lỗi"
                              : ", chưa có phiếu xin lỗi");
        }
        if (units) {
            char subject[256], err[256];
            snprintf(subject, sizeof subject, "Báo cáo hồ sơ quá hạn ngày %s: %d đơn vị", day,
                     units);
            dh_buf text = {0};
            dh_buf_printf(&text, "Báo cáo hồ sơ quá hạn trong ngày %s gửi %s:\n%s", day,
                          ct.unit[k], body.p);
            if (dh_mail_send(url, from, ct.email[k], subject, text.p, err, sizeof err) == 0) {
                (*sent)++;
                for (size_t i = 0; i < r->n; i++)
                    if ((r->v[i].inserted || r->force) && !strcmp(r->v[i].parent, ct.unit[k])) {
                        mark_cl m = {r->v[i].unit, r->day};
                        dh_err me;
                        dh_tx_run(app, DH_TX_WRITE, mark_tx, &m, &me);
                    }
            } else {
                json_array_append_new(errors, json_pack("{s:s,s:s}", "unit", ct.unit[k],
                                                        "error", err));
            }
            dh_buf_free(&text);
        }
        dh_buf_free(&body);
        free(ct.unit[k]);
        free(ct.email[k]);
    }
    free(ct.unit);
    free(ct.email);
}

dh_status dh_app_late_daily_run(dh_app *app, dh_date day, time_t now, bool force, json_t **out,
                                dh_err *e)
{
    *out = NULL;
    late_run r = {day, now, force, false, NULL, 0};
    /* A day already reported is not computed again (the replays are the
     * cost); the transaction checks the marker once more. */
    if (!force) {
        dh_conn *c = dh_store_acquire(dh_app_store(app), e);
        if (!c)
            return e->status;
        char key[48];
        day_key(day, key, sizeof key);
        int64_t done = 0;
        dh_status st = DH_META(c)->meta_get(c, key, &done, e);
        dh_store_release(c);
        if (st && st != DH_E_NOTFOUND)
            return st;
        r.skipped = st == DH_OK && done;
    }
    dh_status st = r.skipped ? DH_OK : collect(app, &r, e);
    if (st == DH_OK && !r.skipped)
        st = dh_tx_run(app, DH_TX_WRITE, late_tx, &r, e);
    if (st == DH_OK) {
        int stored = 0, sent = 0;
        for (size_t i = 0; i < r.n; i++)
            stored += r.v[i].inserted;
        json_t *errors = json_array();
        if (!r.skipped)
            mail_parents(app, &r, &sent, errors);
        char d[DH_DATE_TEXT_LEN];
        dh_date_format(day, d);
        *out = json_pack("{s:b,s:s,s:i,s:i,s:o}", "ran", !r.skipped, "day", d, "reports", stored,
                         "mailed", sent, "mail_errors", errors);
    }
    run_free(&r);
    return st;
}

/* ---- Reading. --------------------------------------------------------- */

#define HISTORY_MAX 200

/* A report without its dossiers: a line of the history. */
static int on_history(void *closure, const dh_late_report_row *row)
{
    json_t *arr = closure;
    char d[DH_DATE_TEXT_LEN];
    dh_date_format(row->day, d);
    json_array_append_new(arr, json_pack("{s:s,s:s,s:I,s:I}", "unit", row->unit, "date", d,
                                         "overdue", (json_int_t)row->overdue, "apologies",
                                         (json_int_t)row->apologies));
    return json_array_size(arr) >= HISTORY_MAX;
}

static int on_report(void *closure, const dh_late_report_row *row)
{
    json_t *arr = closure;
    char d[DH_DATE_TEXT_LEN], made[40];
    dh_date_format(row->day, d);
    dh_time_format_vn(row->made_at, made);
    json_t *items = json_loads(row->items, 0, NULL);
    json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:I,s:I,s:s,s:b,s:o}", "unit", row->unit,
                                         "date", d, "parent", row->parent, "overdue",
                                         (json_int_t)row->overdue, "apologies",
                                         (json_int_t)row->apologies, "made_at", made, "mailed",
                                         row->mailed, "items", items ? items : json_array()));
    return 0;
}

dh_status dh_app_late_daily(dh_app *app, const dh_actor *a, const char *unit, dh_date day,
                            time_t now, json_t **out, dh_err *e)
{
    *out = NULL;
    char *scope = NULL;
    dh_status st = dh_app_scope_units_of(app, a, unit, false, "late_report", false, now, &scope,
                                         e);
    free(scope);
    if (st)
        return st;
    dh_conn *c = dh_store_acquire(dh_app_store(app), e);
    if (!c)
        return e->status;
    json_t *own = json_array(), *received = json_array(), *history = json_array();
    st = DH_LATEREPORTS(c)->list_late_reports(c, NULL, unit, day, day, on_report, own, e);
    if (st == DH_OK)
        st = DH_LATEREPORTS(c)->list_late_reports(c, unit, NULL, day, day, on_report, received,
                                                  e);
    if (st == DH_OK)
        st = DH_LATEREPORTS(c)->list_late_reports(c, unit, NULL, DH_DATE_NONE, DH_DATE_NONE,
                                                  on_history, history, e);
    dh_store_release(c);
    if (st) {
        json_decref(own);
        json_decref(received);
        json_decref(history);
        return st;
    }
    char d[DH_DATE_TEXT_LEN];
    dh_date_format(day, d);
    json_t *report = json_array_size(own) ? json_incref(json_array_get(own, 0)) : json_null();
    json_decref(own);
    *out = json_pack("{s:s,s:s,s:b,s:o,s:o,s:o}", "unit", unit, "date", d, "reported",
                     !json_is_null(report), "report", report, "received", received, "history",
                     history);
    return DH_OK;
}

void dh_late_daily_tick(dh_app *app, time_t now)
{
    dh_date today = dh_date_of_time_vn(now);
    time_t local = now + DH_VN_OFFSET;
    int minute = (int)((local % 86400 + 86400) % 86400 / 60);
    if (minute < dh_late_daily_minute())
        return; /* before the report hour */
    json_t *out = NULL;
    dh_err e;
    if (dh_app_late_daily_run(app, today, now, false, &out, &e))
        fprintf(stderr, "dieuhanh: late-daily: %s\n", e.message);
    else if (json_is_true(json_object_get(out, "ran")))
        fprintf(stderr, "dieuhanh: late-daily: %lld reports, %lld e-mails\n",
                (long long)json_integer_value(json_object_get(out, "reports")),
                (long long)json_integer_value(json_object_get(out, "mailed")));
    json_decref(out);
}
