/* calendar.c - named working-time calendars, the official yearly schedules
 * and the working-time answers (holidays, add, between) shared by the
 * command line and the API. The pure arithmetic is in core/workcal.c. */
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/internal.h"
#include "core/lunar.h"
#include "util/buf.h"
#include "util/csv.h"
#include "util/embed.h"
#include "util/ics.h"
#include "util/text.h"

static const char *const wd_keys[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

#define MAX_DAYS_ADD 10000
#define SCHED_MAX 10000

/* ---- Hours. ------------------------------------------------------------ */

static json_t *week_json(const dh_week *w)
{
    json_t *o = json_object();
    for (int d = 0; d < 7; d++) {
        char buf[128];
        dh_week_format_day(w, d, buf, sizeof buf);
        json_object_set_new(o, wd_keys[d], json_string(buf));
    }
    return o;
}

static dh_status week_from_json(json_t *o, dh_week *w, dh_err *e)
{
    memset(w, 0, sizeof *w);
    if (!json_is_object(o))
        return dh_err_set(e, DH_E_INVALID, "invalid_type", "hours",
                          "hours must be an object {\"mon\":\"07:30-11:30,13:30-17:00\",..}");
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v)
    {
        int d = -1;
        for (int i = 0; i < 7; i++)
            if (strcmp(key, wd_keys[i]) == 0)
                d = i;
        if (d < 0)
            return dh_err_set(e, DH_E_INVALID, "unknown_field", "hours",
                              "hours: unknown day '%s' (mon, tue, wed, thu, fri, sat, sun)", key);
        if (!json_is_string(v))
            return dh_err_set(e, DH_E_INVALID, "invalid_type", "hours",
                              "hours.%s must be a string such as \"07:30-11:30,13:30-17:00\"",
                              key);
        char msg[200];
        if (dh_week_parse_day(w, d, json_string_value(v), msg, sizeof msg))
            return dh_err_set(e, DH_E_INVALID, "invalid_hours", "hours", "hours.%s: %s", key,
                              msg);
    }
    char msg[200];
    if (dh_week_check(w, msg, sizeof msg))
        return dh_err_set(e, DH_E_INVALID, "invalid_hours", "hours", "hours: %s", msg);
    return DH_OK;
}

/* ---- Schedule entries. ------------------------------------------------- */

json_t *dh_sched_entry_json(const dh_sched_entry *x)
{
    char d[DH_DATE_TEXT_LEN];
    dh_date_format(x->date, d);
    json_t *o = json_object();
    if (x->id)
        json_object_set_new(o, "id", json_integer(x->id));
    json_object_set_new(o, "date", json_string(d));
    json_object_set_new(o, "type", json_string(x->work ? "work" : "off"));
    json_object_set_new(o, "kind", json_string(x->work ? "" : dh_off_kind_name(x->kind)));
    json_object_set_new(o, "name", json_string(x->name));
    json_object_set_new(o, "source", json_string(x->source));
    json_object_set_new(o, "confirmed", json_boolean(x->confirmed));
    return o;
}

static void entry_free_strings(dh_sched_entry *x)
{
    free((char *)x->name);
    free((char *)x->source);
    x->name = x->source = NULL;
}

/* Fills *x from text fields (owned copies, NFC). field names come from the
 * caller's format so messages point at the right place. */
static dh_status entry_from_text(const char *date, const char *type, const char *kind,
                                 const char *name, const char *source, const char *confirmed,
                                 dh_sched_entry *x, dh_err *e)
{
    memset(x, 0, sizeof *x);
    if (!date || dh_date_parse(date, &x->date))
        return dh_err_set(e, DH_E_INVALID, "invalid_date", "date",
                          "date: '%s' is not a date YYYY-MM-DD", date ? date : "");
    int y, m, d;
    dh_date_to_ymd(x->date, &y, &m, &d);
    if (y < DH_HOLIDAY_YEAR_MIN || y > DH_HOLIDAY_YEAR_MAX)
        return dh_err_set(e, DH_E_INVALID, "out_of_range", "date",
                          "date: %s is outside the calendar years %d-%d", date,
                          DH_HOLIDAY_YEAR_MIN, DH_HOLIDAY_YEAR_MAX);
    if (type && strcmp(type, "work") == 0) {
        x->work = true;
        if (kind && *kind && strcmp(kind, "make_up") != 0)
            return dh_err_set(e, DH_E_INVALID, "invalid_kind", "kind",
                              "kind: a working day (type work) has no kind (got '%s')", kind);
    } else if (type && strcmp(type, "off") == 0) {
        if (!kind || !*kind)
            x->kind = DH_OFF_EXTRA;
        else if (dh_off_kind_parse(kind, &x->kind))
            return dh_err_set(e, DH_E_INVALID, "invalid_kind", "kind",
                              "kind: '%s' is not one of statutory, in_lieu, swap, extra", kind);
    } else {
        return dh_err_set(e, DH_E_INVALID, "invalid_type", "type",
                          "type: '%s' must be off (a day off) or work (a working day)",
                          type ? type : "");
    }
    if (!confirmed || !*confirmed || strcmp(confirmed, "true") == 0 || strcmp(confirmed, "1") == 0)
        x->confirmed = true;
    else if (strcmp(confirmed, "false") == 0 || strcmp(confirmed, "0") == 0)
        x->confirmed = false;
    else
        return dh_err_set(e, DH_E_INVALID, "invalid_boolean", "confirmed",
                          "confirmed: '%s' must be true or false", confirmed);
    char *n = NULL, *s = NULL;
    dh_status st = dh_text_clean_field(name, "name", &n, e);
    if (st == DH_OK)
        st = dh_text_clean_field(source, "source", &s, e);
    if (st) {
        free(n);
        return st;
    }
    if (!*n) {
        free(n);
        free(s);
        return dh_err_set(e, DH_E_INVALID, "missing_field", "name", "name is required");
    }
    if (dh_text_length(n) > 300 || dh_text_length(s) > 1000) {
        free(n);
        free(s);
        return dh_err_set(e, DH_E_INVALID, "too_long", "name",
                          "name (300) or source (1000 characters) is too long");
    }
    x->name = n;
    x->source = s;
    return DH_OK;
}

static dh_status entry_from_json(json_t *o, dh_sched_entry *x, dh_err *e)
{
    static const char *const allowed[] = {"date", "type", "kind", "name", "source", "confirmed",
                                          NULL};
    memset(x, 0, sizeof *x);
    if (!json_is_object(o))
        return dh_err_set(e, DH_E_MALFORMED, "invalid_type", NULL,
                          "a schedule entry must be an object");
    dh_status st = dh_json_only(o, allowed, e);
    if (st)
        return st;
    const char *keys[5] = {"date", "type", "kind", "name", "source"};
    const char *v[5] = {0};
    for (int i = 0; i < 5; i++) {
        json_t *j = json_object_get(o, keys[i]);
        if (j && !json_is_string(j) && !json_is_null(j))
            return dh_err_set(e, DH_E_INVALID, "invalid_type", keys[i], "%s must be a string",
                              keys[i]);
        v[i] = j ? json_string_value(j) : NULL;
    }
    json_t *c = json_object_get(o, "confirmed");
    if (c && !json_is_boolean(c))
        return dh_err_set(e, DH_E_INVALID, "invalid_type", "confirmed",
                          "confirmed must be true or false");
    return entry_from_text(v[0], v[1], v[2], v[3], v[4],
                           c ? (json_is_true(c) ? "true" : "false") : NULL, x, e);
}

/* ---- Calendar sets. ---------------------------------------------------- */

static void calset_free(dh_calset *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->ncals; i++) {
        free(s->cals[i].name);
        free(s->cals[i].label);
        dh_workcal_free(s->cals[i].wc);
    }
    free(s->cals);
    for (size_t i = 0; i < s->nentries; i++)
        entry_free_strings(&s->entries[i]);
    free(s->entries);
    free(s->assign);
    free(s);
}

static int cmp_entry(const void *a, const void *b)
{
    const dh_sched_entry *x = a, *y = b;
    return (x->date > y->date) - (x->date < y->date);
}

/* Builds the workcal of every calendar. */
static dh_status calset_build(dh_calset *s, dh_err *e)
{
    if (s->nentries)
        qsort(s->entries, s->nentries, sizeof *s->entries, cmp_entry);
    for (size_t i = 0; i < s->ncals; i++) {
        char msg[200];
        s->cals[i].wc = dh_workcal_build(&s->cals[i].week, s->entries, s->nentries, msg,
                                         sizeof msg);
        if (!s->cals[i].wc)
            return dh_err_set(e, DH_E_INVALID, "schedule_conflict", NULL, "calendar %s: %s",
                              s->cals[i].name, msg);
    }
    return DH_OK;
}

static void add_cal(dh_calset *s, const char *name, const char *label, const dh_week *w)
{
    s->cals = dh_xrealloc(s->cals, (s->ncals + 1) * sizeof *s->cals);
    s->cals[s->ncals++] = (dh_calendar){dh_xstrdup(name), dh_xstrdup(label), *w, NULL};
}

static void add_entry(dh_calset *s, const dh_sched_entry *x)
{
    s->entries = dh_xrealloc(s->entries, (s->nentries + 1) * sizeof *s->entries);
    s->entries[s->nentries++] = *x;
}

/* Parses schedule CSV text into entries appended to s; all or nothing.
 * Messages are "NAME:LINE: field: reason". */
static dh_status parse_sched_csv(const char *text, size_t len, const char *name, dh_calset *s,
                                 dh_err *e)
{
    FILE *f = fmemopen((void *)text, len, "r");
    if (!f)
        return dh_err_set(e, DH_E_INTERNAL, "io", NULL, "cannot read %s", name);
    dh_csv *csv = dh_csv_new(f, name);
    static const char *const cols[6] = {"date", "type", "kind", "name", "source", "confirmed"};
    int map[6];
    char **fl;
    size_t nf;
    dh_status st = DH_OK;
    size_t first = s->nentries;
    long *lines = NULL;
    int rc = dh_csv_next(csv, &fl, &nf);
    if (rc <= 0) {
        st = rc < 0 ? dh_err_set(e, DH_E_INVALID, "invalid_csv", NULL, "%s", dh_csv_error(csv))
                    : dh_err_set(e, DH_E_INVALID, "invalid_csv", NULL,
                                 "%s:1: the file is empty (no header)", name);
        goto done;
    }
    for (int i = 0; i < 6; i++) {
        map[i] = -1;
        for (size_t j = 0; j < nf; j++)
            if (strcmp(fl[j], cols[i]) == 0)
                map[i] = (int)j;
        if (map[i] < 0 && i != 2 && i != 4 && i != 5) {
            st = dh_err_set(e, DH_E_INVALID, "invalid_csv", cols[i],
                            "%s:1: header: missing column '%s' (expected "
                            "date,type,kind,name,source,confirmed)",
                            name, cols[i]);
            goto done;
        }
    }
    while ((rc = dh_csv_next(csv, &fl, &nf)) == 1) {
        long line = dh_csv_line(csv);
        const char *v[6];
        for (int i = 0; i < 6; i++)
            v[i] = map[i] >= 0 && (size_t)map[i] < nf ? fl[map[i]] : NULL;
        if (s->nentries - first >= SCHED_MAX) {
            st = dh_err_set(e, DH_E_TOOLARGE, "too_many", NULL, "%s:%ld: more than %d entries",
                            name, line, SCHED_MAX);
            goto done;
        }
        dh_sched_entry x;
        if ((st = entry_from_text(v[0], v[1], v[2], v[3], v[4], v[5], &x, e))) {
            char msg[sizeof e->message];
            snprintf(msg, sizeof msg, "%s:%ld: %s", name, line, e->message);
            snprintf(e->message, sizeof e->message, "%s", msg);
            e->line = line;
            goto done;
        }
        size_t k = s->nentries - first;
        lines = dh_xrealloc(lines, (k + 1) * sizeof *lines);
        lines[k] = line;
        for (size_t j = first; j < s->nentries; j++) {
            if (s->entries[j].date == x.date) {
                st = dh_err_set(e, DH_E_INVALID, "schedule_conflict", "date",
                                "%s:%ld: date: %s %s (line %ld)", name, line, v[0],
                                s->entries[j].work != x.work
                                    ? "is marked both as a day off and as a working day"
                                    : "appears twice",
                                lines[j - first]);
                e->line = line;
                entry_free_strings(&x);
                goto done;
            }
        }
        add_entry(s, &x);
    }
    if (rc < 0)
        st = dh_err_set(e, DH_E_INVALID, "invalid_csv", NULL, "%s", dh_csv_error(csv));
done:
    free(lines);
    if (st) {
        for (size_t i = first; i < s->nentries; i++)
            entry_free_strings(&s->entries[i]);
        s->nentries = first;
    }
    dh_csv_free(csv);
    fclose(f);
    return st;
}

static dh_status parse_sched_ics(const char *text, size_t len, const char *name, dh_calset *s,
                                 dh_err *e)
{
    dh_ics_event *ev = NULL;
    size_t n = 0;
    char msg[300];
    if (dh_ics_parse(text, len, name, &ev, &n, msg, sizeof msg))
        return dh_err_set(e, DH_E_INVALID, "invalid_ics", NULL, "%s", msg);
    size_t first = s->nentries;
    dh_status st = DH_OK;
    for (size_t i = 0; i < n && st == DH_OK; i++) {
        for (int k = 0; k < ev[i].ndays && st == DH_OK; k++) {
            char d[DH_DATE_TEXT_LEN];
            dh_date_format(ev[i].date + k, d);
            dh_sched_entry x;
            const char *type = *ev[i].x_type ? ev[i].x_type : "off";
            st = entry_from_text(d, type, ev[i].x_kind, ev[i].summary, ev[i].description,
                                 ev[i].x_confirmed, &x, e);
            if (st) {
                char m2[sizeof e->message];
                snprintf(m2, sizeof m2, "%s:%ld: %s", name, ev[i].line, e->message);
                snprintf(e->message, sizeof e->message, "%s", m2);
                e->line = ev[i].line;
            } else {
                add_entry(s, &x);
            }
        }
    }
    dh_ics_events_free(ev, n);
    if (st) {
        for (size_t i = first; i < s->nentries; i++)
            entry_free_strings(&s->entries[i]);
        s->nentries = first;
    }
    return st;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcasecmp(s + a - b, suffix) == 0;
}

static pthread_once_t builtin_once = PTHREAD_ONCE_INIT;
static dh_calset *builtin;
static dh_err builtin_err;

static void build_builtin(void)
{
    dh_calset *s = dh_xcalloc(1, sizeof *s);
    dh_week w;
    dh_week_default(&w);
    add_cal(s, "default", "Lịch làm việc của cơ quan hành chính nhà nước", &w);
    size_t len;
    const char *csv = dh_embedded_get("calendar/schedules.csv", &len);
    if (!csv || parse_sched_csv(csv, len, "calendar/schedules.csv", s, &builtin_err) ||
        calset_build(s, &builtin_err)) {
        if (!csv)
            dh_err_set(&builtin_err, DH_E_INTERNAL, "no_calendar_data", NULL,
                       "this binary was built without data/calendar/");
        calset_free(s);
        return;
    }
    builtin = s; /* never released (owner NULL) */
}

const dh_calset *dh_calset_builtin(dh_err *e)
{
    pthread_once(&builtin_once, build_builtin);
    if (!builtin)
        *e = builtin_err;
    return builtin;
}

const dh_calendar *dh_calset_find(const dh_calset *s, const char *name)
{
    for (size_t i = 0; name && i < s->ncals; i++)
        if (strcmp(s->cals[i].name, name) == 0)
            return &s->cals[i];
    return NULL;
}

const dh_calendar *dh_calset_for_unit(const dh_calset *s, const dh_unitreg *r, int32_t unit,
                                      dh_date d)
{
    for (int32_t u = unit; u >= 0;) {
        int64_t id = r->u[u].id;
        int best = -1;
        for (size_t i = 0; i < s->nassign; i++)
            if (s->assign[i].unit_id == id && s->assign[i].from <= d)
                best = s->assign[i].cal;
        if (best >= 0)
            return &s->cals[best];
        const dh_unit_version *v = dh_unitreg_nearest(r, u, d);
        u = v ? v->parent : -1;
    }
    return dh_calset_find(s, "default");
}

/* ---- Loading from the database. --------------------------------------- */

struct load_cal {
    dh_calset *s;
    dh_err *e;
    dh_status st;
};

static int on_cal(void *cl, const dh_calendar_row *row)
{
    struct load_cal *l = cl;
    json_t *h = json_loads(row->hours_json, 0, NULL);
    dh_week w;
    dh_status st = week_from_json(h, &w, l->e);
    json_decref(h);
    if (st) {
        l->st = st;
        return 1;
    }
    add_cal(l->s, row->name, row->label, &w);
    return 0;
}

static int on_sched(void *cl, const dh_sched_row *row)
{
    struct load_cal *l = cl;
    dh_sched_entry x = {0};
    x.id = row->id;
    x.date = row->date;
    x.work = strcmp(row->type, "work") == 0;
    if (!x.work && dh_off_kind_parse(row->kind, &x.kind))
        x.kind = DH_OFF_EXTRA;
    x.name = dh_xstrdup(row->name);
    x.source = dh_xstrdup(row->source);
    x.confirmed = row->confirmed;
    add_entry(l->s, &x);
    return 0;
}

static int on_assign(void *cl, const dh_unit_calendar_row *row)
{
    struct load_cal *l = cl;
    for (size_t i = 0; i < l->s->ncals; i++) {
        if (strcmp(l->s->cals[i].name, row->calendar) == 0) {
            l->s->assign = dh_xrealloc(l->s->assign, (l->s->nassign + 1) * sizeof *l->s->assign);
            l->s->assign[l->s->nassign++] = (dh_unit_calendar){row->unit_id, row->valid_from,
                                                               (int)i};
        }
    }
    return 0;
}

static dh_status load_calset(dh_conn *c, void **out, dh_err *e)
{
    dh_calset *s = dh_xcalloc(1, sizeof *s);
    struct load_cal l = {s, e, DH_OK};
    dh_status st = DH_CALENDARS(c)->load_calendars(c, on_cal, on_sched, on_assign, &l, e);
    if (st == DH_OK)
        st = l.st;
    if (st == DH_OK)
        st = calset_build(s, e);
    if (st) {
        calset_free(s);
        return st;
    }
    *out = s;
    return DH_OK;
}

static void calset_free_any(void *obj) { calset_free(obj); }

const dh_calset *dh_app_calendars_acquire(dh_app *app, dh_err *e)
{
    dh_snap *s = dh_snap_acquire(app, &app->calendars, "calendar_rev", load_calset,
                                 calset_free_any, offsetof(dh_calset, owner), e);
    return s ? s->obj : NULL;
}

void dh_app_calendars_release(dh_app *app, const dh_calset *s)
{
    if (s && s->owner)
        dh_snap_release(app, s->owner, calset_free_any);
}

void dh_app_calendars_close(dh_app *app) { dh_snap_close(app, &app->calendars, calset_free_any); }

/* ---- Answers. ---------------------------------------------------------- */

json_t *dh_calendar_json(const dh_calendar *c)
{
    return json_pack("{s:s,s:s,s:o,s:i,s:s}", "name", c->name, "label", c->label, "hours",
                     week_json(&c->week), "day_minutes", dh_workcal_day_minutes(c->wc),
                     "time_zone", "Asia/Ho_Chi_Minh");
}

static dh_status check_year(int year, dh_err *e)
{
    if (year < DH_HOLIDAY_YEAR_MIN || year > DH_HOLIDAY_YEAR_MAX)
        return dh_err_set(e, DH_E_INVALID, "out_of_range", "year",
                          "year %d is outside the calendar years %d-%d", year,
                          DH_HOLIDAY_YEAR_MIN, DH_HOLIDAY_YEAR_MAX);
    return DH_OK;
}

dh_status dh_calendar_holidays(const dh_calset *s, const dh_calendar *c, int year, json_t **out,
                               dh_err *e)
{
    dh_status st = check_year(year, e);
    if (st)
        return st;
    dh_year_days yd;
    dh_holidays_year(year, s->entries, s->nentries, &yd);
    json_t *off = json_array(), *work = json_array();
    for (size_t i = 0; i < yd.noff; i++) {
        const dh_day *d = &yd.off[i];
        if (dh_date_weekday(d->date) >= 6)
            continue; /* days_off lists weekdays only */
        char ds[DH_DATE_TEXT_LEN];
        dh_date_format(d->date, ds);
        json_array_append_new(off, json_pack("{s:s,s:s,s:s,s:s,s:b}", "date", ds, "name",
                                             d->name, "kind", dh_off_kind_name(d->kind),
                                             "source", d->source, "confirmed", d->confirmed));
    }
    for (size_t i = 0; i < yd.nwork; i++) {
        const dh_day *d = &yd.work[i];
        char ds[DH_DATE_TEXT_LEN];
        dh_date_format(d->date, ds);
        json_array_append_new(work, json_pack("{s:s,s:s,s:s,s:b}", "date", ds, "name", d->name,
                                              "source", d->source, "confirmed", d->confirmed));
    }
    *out = json_pack("{s:i,s:s,s:s,s:o,s:o}", "year", year, "calendar", c->name, "law",
                     dh_holiday_law(year), "days_off", off, "make_up_working_days", work);
    dh_year_days_free(&yd);
    return DH_OK;
}

dh_status dh_calendar_export(const dh_calset *s, int year, bool ics, FILE *f, time_t now,
                             dh_err *e)
{
    dh_status st = check_year(year, e);
    if (st)
        return st;
    dh_year_days yd;
    dh_holidays_year(year, s->entries, s->nentries, &yd);
    char calname[64];
    snprintf(calname, sizeof calname, "Lịch nghỉ lễ %d", year);
    if (ics)
        dh_ics_begin(f, calname);
    else
        fputs("date,type,kind,name,source,confirmed\n", f);
    for (int pass = 0; pass < 2; pass++) {
        const dh_day *v = pass ? yd.work : yd.off;
        size_t n = pass ? yd.nwork : yd.noff;
        for (size_t i = 0; i < n; i++) {
            char ds[DH_DATE_TEXT_LEN];
            dh_date_format(v[i].date, ds);
            const char *kind = pass ? "" : dh_off_kind_name(v[i].kind);
            const char *conf = v[i].confirmed ? "true" : "false";
            if (ics) {
                char uid[32];
                snprintf(uid, sizeof uid, "%s", pass ? "work" : "off");
                dh_ics_write_event(f, v[i].date, uid, now, v[i].name, v[i].source,
                                   pass ? "work" : "off", kind, conf);
            } else {
                const char *row[6] = {ds, pass ? "work" : "off", kind, v[i].name, v[i].source,
                                      conf};
                dh_csv_write_row(f, row, 6);
            }
        }
    }
    if (ics)
        dh_ics_end(f);
    dh_year_days_free(&yd);
    return DH_OK;
}

static dh_status parse_instant(const char *s, const char *field, time_t *t, dh_err *e)
{
    /* Local times only: "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM". */
    size_t n = s ? strlen(s) : 0;
    if ((n != 10 && n != 16) || dh_time_parse(s, t))
        return dh_err_set(e, DH_E_INVALID, "invalid_time", field,
                          "'%s' is not a local date YYYY-MM-DD or time YYYY-MM-DDTHH:MM",
                          s ? s : "");
    return DH_OK;
}

static dh_status wc_error(dh_wc_status w, const dh_calendar *c, const char *field, dh_err *e)
{
    if (w == DH_WC_RANGE)
        return dh_err_set(e, DH_E_INVALID, "out_of_range", field,
                          "outside the years %d-%d that calendar %s covers",
                          DH_HOLIDAY_YEAR_MIN, DH_HOLIDAY_YEAR_MAX, c->name);
    return dh_err_set(e, DH_E_INVALID, "invalid", field, "invalid value");
}

dh_status dh_calendar_add(const dh_calendar *c, const char *start, const char *n, bool hours,
                          const char *cutoff, json_t **out, dh_err *e)
{
    const char *field = hours ? "hours" : "days";
    time_t t;
    dh_status st = parse_instant(start, "start", &t, e);
    if (st)
        return st;
    char *end = NULL;
    long long v = n ? strtoll(n, &end, 10) : -1;
    long long max = hours ? (long long)MAX_DAYS_ADD * 24 : MAX_DAYS_ADD;
    if (!n || !*n || *end || v < 0 || v > max)
        return dh_err_set(e, DH_E_INVALID, "invalid_number", field,
                          "'%s' must be a whole number from 0 to %lld", n ? n : "", max);
    int cut = -1;
    if (cutoff && *cutoff) {
        int h, m;
        char extra;
        if (sscanf(cutoff, "%2d:%2d%c", &h, &m, &extra) != 2 || strlen(cutoff) != 5 || h < 0 ||
            h > 23 || m < 0 || m > 59)
            return dh_err_set(e, DH_E_INVALID, "invalid_time", "cutoff",
                              "'%s' is not a time HH:MM", cutoff);
        cut = h * 60 + m;
    }
    int64_t minutes = hours ? v * 60 : v * dh_workcal_day_minutes(c->wc);
    time_t due, from;
    dh_wc_status w = dh_workcal_add_minutes(c->wc, t, minutes, cut, &due);
    if (w == DH_WC_OK)
        w = dh_workcal_add_minutes(c->wc, t, 0, cut, &from);
    if (w)
        return wc_error(w, c, "start", e);
    char a[20], b[20];
    dh_time_format_vn(from, a);
    dh_time_format_vn(due, b);
    *out = json_pack("{s:s,s:s,s:s,s:I,s:I}", "calendar", c->name, "counting_from", a, "due", b,
                     "working_minutes", (json_int_t)minutes, "day_minutes",
                     (json_int_t)dh_workcal_day_minutes(c->wc));
    return DH_OK;
}

dh_status dh_calendar_between(const dh_calendar *c, const char *from, const char *to,
                              json_t **out, dh_err *e)
{
    time_t a, b;
    dh_status st = parse_instant(from, "from", &a, e);
    if (st == DH_OK)
        st = parse_instant(to, "to", &b, e);
    if (st)
        return st;
    if (b < a)
        return dh_err_set(e, DH_E_INVALID, "invalid_range", "to", "to (%s) is before from (%s)",
                          to, from);
    int64_t m;
    dh_wc_status w = dh_workcal_between(c->wc, a, b, NULL, 0, &m);
    if (w)
        return wc_error(w, c, "from", e);
    *out = json_pack("{s:s,s:s,s:s,s:I}", "calendar", c->name, "from", from, "to", to,
                     "working_minutes", (json_int_t)m);
    return DH_OK;
}

/* ---- Writes (admins; a unit's calendar also by its officers). ---------- */

static dh_status need_admin(dh_app *app, const dh_actor *a, const char *action,
                            const char *entity, const char *key, time_t now, dh_err *e)
{
    if (a->role == DH_ROLE_ADMIN)
        return DH_OK;
    return dh_app_deny(app, a, action, entity, key, "", now, e, "change calendars or schedules");
}

/* The current rows (calendars and entries, not built) inside a transaction. */
static dh_status load_rows(dh_conn *c, dh_calset **out, dh_err *e)
{
    dh_calset *s = dh_xcalloc(1, sizeof *s);
    struct load_cal l = {s, e, DH_OK};
    dh_status st = DH_CALENDARS(c)->load_calendars(c, on_cal, on_sched, on_assign, &l, e);
    if (st == DH_OK)
        st = l.st;
    if (st) {
        calset_free(s);
        return st;
    }
    *out = s;
    return DH_OK;
}

static dh_sched_row sched_row(const dh_sched_entry *x)
{
    return (dh_sched_row){x->id, x->date, x->work ? "work" : "off",
                          x->work ? "" : dh_off_kind_name(x->kind), x->name, x->source,
                          x->confirmed};
}

static const dh_sched_entry *entry_on(const dh_calset *s, dh_date d, int64_t except_id)
{
    for (size_t i = 0; i < s->nentries; i++)
        if (s->entries[i].date == d && s->entries[i].id != except_id)
            return &s->entries[i];
    return NULL;
}

static dh_status date_taken(const dh_sched_entry *old, const dh_sched_entry *x, dh_err *e)
{
    char d[DH_DATE_TEXT_LEN];
    dh_date_format(x->date, d);
    if (old->work != x->work)
        return dh_err_set(e, DH_E_INVALID, "schedule_conflict", "date",
                          "%s would be marked both as a day off and as a working day (entry %lld "
                          "already says %s)",
                          d, (long long)old->id, old->work ? "work" : "off");
    return dh_err_set(e, DH_E_INVALID, "schedule_conflict", "date",
                      "%s already has a schedule entry (%lld): change it instead", d,
                      (long long)old->id);
}

/* The end of every calendar write: when it went well, calendar_rev moves
 * in the same transaction (the readers' calendar set is reloaded, and two
 * writers of calendars always write this one row). */
static dh_status bump(dh_tx *tx, dh_status st, dh_err *e)
{
    return st ? st : DH_META(tx->c)->meta_bump(tx->c, "calendar_rev", e);
}

static dh_status calendar_seed_tx(dh_tx *tx, void *closure, dh_err *e)
{
    const dh_calset *b = closure;
    dh_status st = DH_OK;
    for (size_t i = 0; i < b->nentries && st == DH_OK; i++) {
        dh_sched_row r = sched_row(&b->entries[i]);
        int64_t id;
        st = DH_CALENDARS(tx->c)->insert_sched(tx->c, &r, &id, e);
    }
    return bump(tx, st, e);
}

dh_status dh_app_calendar_seed(dh_app *app, dh_err *e)
{
    const dh_calset *b = dh_calset_builtin(e);
    if (!b)
        return e->status;
    return dh_tx_run(app, DH_TX_WRITE, calendar_seed_tx, (void *)b, e);
}

static bool valid_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 40)
        return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
            return false;
    return true;
}

typedef struct calendar_put_cl {
    const dh_actor *a;
    const char *name, *label;
    const dh_week *hours; /* NULL: unchanged */
    bool create;
    time_t now;
    json_t *out;
} calendar_put_cl;

/* Concurrency: reads every calendar inside the write transaction and
 * decides from it whether `name` exists (create refuses a duplicate,
 * update a missing one, and keeps what the body leaves out); the row is
 * written and calendar_rev bumped in the same transaction, so two writers
 * of calendars are serialised by the write lock (SQLite) or the later one
 * fails its commit and is rerun on the other's rows (PostgreSQL); the
 * primary key on calendars(name) is the last guard. */
static dh_status calendar_put_tx(dh_tx *tx, void *closure, dh_err *e)
{
    calendar_put_cl *cl = closure;
    const char *name = cl->name;
    json_decref(cl->out);
    cl->out = NULL;
    dh_calset *cur = NULL;
    dh_status st = load_rows(tx->c, &cur, e);
    const dh_calendar *old = st == DH_OK ? dh_calset_find(cur, name) : NULL;
    if (st == DH_OK && cl->create && old)
        st = dh_err_set(e, DH_E_CONFLICT, "duplicate_calendar", "name",
                        "calendar '%s' already exists", name);
    else if (st == DH_OK && !cl->create && !old)
        st = dh_err_set(e, DH_E_NOTFOUND, "not_found", NULL, "no calendar '%s'", name);
    if (st == DH_OK) {
        dh_calendar c = {(char *)name, cl->label ? (char *)cl->label : old->label,
                         cl->hours ? *cl->hours : old->week, NULL};
        json_t *before = old ? json_pack("{s:s,s:o}", "label", old->label, "hours",
                                         week_json(&old->week))
                             : NULL;
        json_t *after = json_pack("{s:s,s:s,s:o}", "name", name, "label", c.label, "hours",
                                  week_json(&c.week));
        char *hj = json_dumps(json_object_get(after, "hours"), JSON_COMPACT);
        dh_calendar_row row = {name, c.label, hj, cl->now};
        st = DH_CALENDARS(tx->c)->put_calendar(tx->c, &row, e);
        if (st == DH_OK)
            st = dh_app_audit(tx->c, cl->a, cl->create ? "create" : "update", "calendar", name,
                              "", "ok", before, after, cl->now, e);
        free(hj);
        json_decref(before);
        if (st == DH_OK)
            cl->out = after;
        else
            json_decref(after);
    }
    calset_free(cur);
    return bump(tx, st, e);
}

dh_status dh_app_calendar_put(dh_app *app, const dh_actor *a, const char *name, json_t *body,
                              bool create, time_t now, json_t **out, dh_err *e)
{
    static const char *const allowed[] = {"name", "label", "hours", NULL};
    char *nm = NULL, *label = NULL;
    dh_status st;
    if (!json_is_object(body))
        return dh_err_set(e, DH_E_MALFORMED, "invalid_type", NULL, "the body must be an object");
    if ((st = dh_json_only(body, allowed, e)) ||
        (st = dh_json_text(body, "name", create, &nm, e)) ||
        (st = dh_json_text(body, "label", create, &label, e)))
        goto out;
    if (create)
        name = nm;
    else if (nm && strcmp(nm, name) != 0) {
        st = dh_err_set(e, DH_E_INVALID, "invalid_field", "name", "a calendar cannot be renamed");
        goto out;
    }
    if (!valid_name(name)) {
        st = dh_err_set(e, DH_E_INVALID, "invalid_name", "name",
                        "name must be 1-40 characters a-z, 0-9, '-' or '_'");
        goto out;
    }
    if ((st = need_admin(app, a, create ? "create" : "update", "calendar", name, now, e)))
        goto out;
    dh_week w;
    json_t *hours = json_object_get(body, "hours");
    if (hours && (st = week_from_json(hours, &w, e)))
        goto out;
    if (create && !hours) {
        st = dh_err_set(e, DH_E_INVALID, "missing_field", "hours", "hours is required");
        goto out;
    }
    calendar_put_cl cl = {a, name, label, hours ? &w : NULL, create, now, NULL};
    st = dh_tx_run(app, DH_TX_WRITE, calendar_put_tx, &cl, e);
    if (st == DH_OK)
        *out = cl.out;
    else
        json_decref(cl.out);
out:
    free(nm);
    free(label);
    return st;
}

typedef struct put_entries_cl {
    const dh_actor *a;
    dh_calset *add;
    bool upsert;
    time_t now;
    json_t *items;
} put_entries_cl;

/* Concurrency: reads every schedule entry inside the write transaction and
 * decides from it, date by date, whether an entry is new, updated (upsert)
 * or refused (the date is taken); the entries are written and calendar_rev
 * bumped in the same transaction, so two writers of the schedule are
 * serialised by the write lock (SQLite) or the later one fails its commit
 * and is rerun on the other's entries (PostgreSQL); the unique date of
 * schedule_entries is the last guard. */
static dh_status put_entries_tx(dh_tx *tx, void *closure, dh_err *e)
{
    put_entries_cl *cl = closure;
    dh_calset *add = cl->add;
    json_decref(cl->items);
    cl->items = json_array();
    for (size_t i = 0; i < add->nentries; i++)
        add->entries[i].id = 0; /* set by an earlier run */
    dh_calset *cur = NULL;
    dh_status st = load_rows(tx->c, &cur, e);
    for (size_t i = 0; i < add->nentries && st == DH_OK; i++) {
        dh_sched_entry *x = &add->entries[i];
        const dh_sched_entry *old = entry_on(cur, x->date, 0);
        json_t *before = NULL;
        if (old && !cl->upsert) {
            st = date_taken(old, x, e);
            if (add->nentries > 1) {
                char m2[sizeof e->message];
                snprintf(m2, sizeof m2, "entries[%zu]: %s", i, e->message);
                snprintf(e->message, sizeof e->message, "%s", m2);
            }
            break;
        }
        if (old) {
            before = dh_sched_entry_json(old);
            x->id = old->id;
            dh_sched_row r = sched_row(x);
            st = DH_CALENDARS(tx->c)->update_sched(tx->c, &r, e);
        } else {
            dh_sched_row r = sched_row(x);
            st = DH_CALENDARS(tx->c)->insert_sched(tx->c, &r, &x->id, e);
        }
        json_t *after = dh_sched_entry_json(x);
        char key[32];
        snprintf(key, sizeof key, "%lld", (long long)x->id);
        if (st == DH_OK)
            st = dh_app_audit(tx->c, cl->a, old ? "update" : "create", "schedule", key, "", "ok",
                              before, after, cl->now, e);
        json_decref(before);
        json_array_append_new(cl->items, after);
    }
    calset_free(cur);
    return bump(tx, st, e);
}

/* Inserts the entries of `add` (validated) into the database: a date that
 * already has an entry is updated when `upsert`, else refused. */
static dh_status put_entries(dh_app *app, const dh_actor *a, dh_calset *add, bool upsert,
                             time_t now, json_t **out, dh_err *e)
{
    char msg[200];
    if (dh_sched_check(add->entries, add->nentries, msg, sizeof msg))
        return dh_err_set(e, DH_E_INVALID, "schedule_conflict", "date", "%s", msg);
    put_entries_cl cl = {a, add, upsert, now, NULL};
    dh_status st = dh_tx_run(app, DH_TX_WRITE, put_entries_tx, &cl, e);
    if (st == DH_OK && out)
        *out = json_pack("{s:o}", "items", cl.items);
    else
        json_decref(cl.items);
    return st;
}

dh_status dh_app_sched_add(dh_app *app, const dh_actor *a, json_t *body, time_t now,
                           json_t **out, dh_err *e)
{
    dh_status st = need_admin(app, a, "create", "schedule", "", now, e);
    if (st)
        return st;
    json_t *arr = json_object_get(body, "entries");
    dh_calset add = {0};
    if (arr) {
        if (!json_is_array(arr) || json_object_size(body) != 1)
            return dh_err_set(e, DH_E_INVALID, "invalid_type", "entries",
                              "entries must be the only member, an array of entries");
        if (json_array_size(arr) > SCHED_MAX || json_array_size(arr) == 0)
            return dh_err_set(e, DH_E_INVALID, "invalid_size", "entries",
                              "entries must hold 1 to %d entries", SCHED_MAX);
    }
    size_t n = arr ? json_array_size(arr) : 1;
    for (size_t i = 0; i < n && st == DH_OK; i++) {
        dh_sched_entry x;
        st = entry_from_json(arr ? json_array_get(arr, i) : body, &x, e);
        if (st && arr) {
            char f[sizeof e->field];
            snprintf(f, sizeof f, "entries[%zu].%s", i, e->field);
            snprintf(e->field, sizeof e->field, "%s", f);
        }
        if (st == DH_OK)
            add_entry(&add, &x);
    }
    if (st == DH_OK)
        st = put_entries(app, a, &add, false, now, out, e);
    for (size_t i = 0; i < add.nentries; i++)
        entry_free_strings(&add.entries[i]);
    free(add.entries);
    return st;
}

dh_status dh_app_sched_import(dh_app *app, const dh_actor *a, const char *text, size_t len,
                              const char *name, time_t now, int *taken, dh_err *e)
{
    dh_status st = need_admin(app, a, "import", "schedule", name, now, e);
    if (st)
        return st;
    dh_calset add = {0};
    st = ends_with(name, ".ics") ? parse_sched_ics(text, len, name, &add, e)
                                 : parse_sched_csv(text, len, name, &add, e);
    if (st == DH_OK)
        st = put_entries(app, a, &add, true, now, NULL, e);
    if (st == DH_OK)
        *taken = (int)add.nentries;
    for (size_t i = 0; i < add.nentries; i++)
        entry_free_strings(&add.entries[i]);
    free(add.entries);
    return st;
}

/* Loads the current rows inside the transaction and finds entry id in
 * them (DH_E_NOTFOUND when there is none; *cur is then NULL). */
static dh_status find_entry(dh_tx *tx, int64_t id, dh_calset **cur, const dh_sched_entry **old,
                            dh_err *e)
{
    *cur = NULL;
    *old = NULL;
    dh_status st = load_rows(tx->c, cur, e);
    if (st)
        return st;
    for (size_t i = 0; i < (*cur)->nentries; i++)
        if ((*cur)->entries[i].id == id)
            *old = &(*cur)->entries[i];
    if (*old)
        return DH_OK;
    calset_free(*cur);
    *cur = NULL;
    return dh_err_set(e, DH_E_NOTFOUND, "not_found", NULL, "no schedule entry %lld",
                      (long long)id);
}

typedef struct sched_edit_cl {
    const dh_actor *a;
    int64_t id;
    const char *key;
    json_t *body; /* the patch; NULL for a delete */
    time_t now;
    json_t *out;
} sched_edit_cl;

/* Concurrency: reads every schedule entry inside the write transaction:
 * the entry changed and, for its new date, the entry that may already
 * hold it; the entry is written and calendar_rev bumped in the same
 * transaction, so two writers of the schedule are serialised by the write
 * lock (SQLite) or the later one fails its commit and is rerun on the
 * other's entries (PostgreSQL); the unique date of schedule_entries is the
 * last guard. */
static dh_status sched_patch_tx(dh_tx *tx, void *closure, dh_err *e)
{
    sched_edit_cl *cl = closure;
    json_decref(cl->out);
    cl->out = NULL;
    dh_calset *cur;
    const dh_sched_entry *old;
    dh_status st = find_entry(tx, cl->id, &cur, &old, e);
    if (st)
        return st;
    dh_sched_entry x = {0};
    json_t *merged = dh_sched_entry_json(old);
    json_object_del(merged, "id");
    json_object_update(merged, cl->body);
    st = entry_from_json(merged, &x, e);
    json_decref(merged);
    x.id = cl->id;
    const dh_sched_entry *clash = st == DH_OK ? entry_on(cur, x.date, cl->id) : NULL;
    if (clash)
        st = date_taken(clash, &x, e);
    if (st == DH_OK) {
        dh_sched_row r = sched_row(&x);
        st = DH_CALENDARS(tx->c)->update_sched(tx->c, &r, e);
    }
    if (st == DH_OK) {
        json_t *before = dh_sched_entry_json(old);
        cl->out = dh_sched_entry_json(&x);
        st = dh_app_audit(tx->c, cl->a, "update", "schedule", cl->key, "", "ok", before, cl->out,
                          cl->now, e);
        json_decref(before);
    }
    entry_free_strings(&x);
    calset_free(cur);
    return bump(tx, st, e);
}

dh_status dh_app_sched_patch(dh_app *app, const dh_actor *a, int64_t id, json_t *body,
                             time_t now, json_t **out, dh_err *e)
{
    char key[32];
    snprintf(key, sizeof key, "%lld", (long long)id);
    dh_status st = need_admin(app, a, "update", "schedule", key, now, e);
    if (st)
        return st;
    if (!json_is_object(body))
        return dh_err_set(e, DH_E_MALFORMED, "invalid_type", NULL, "the body must be an object");
    sched_edit_cl cl = {a, id, key, body, now, NULL};
    st = dh_tx_run(app, DH_TX_WRITE, sched_patch_tx, &cl, e);
    if (st == DH_OK)
        *out = cl.out;
    else
        json_decref(cl.out);
    return st;
}

/* Concurrency: as sched_patch_tx; the entry is read and deleted in the
 * same transaction, so a second delete finds it gone (404). */
static dh_status sched_delete_tx(dh_tx *tx, void *closure, dh_err *e)
{
    sched_edit_cl *cl = closure;
    dh_calset *cur;
    const dh_sched_entry *old;
    dh_status st = find_entry(tx, cl->id, &cur, &old, e);
    if (st)
        return st;
    st = DH_CALENDARS(tx->c)->delete_sched(tx->c, cl->id, e);
    if (st == DH_OK) {
        json_t *before = dh_sched_entry_json(old);
        st = dh_app_audit(tx->c, cl->a, "delete", "schedule", cl->key, "", "ok", before, NULL,
                          cl->now, e);
        json_decref(before);
    }
    calset_free(cur);
    return bump(tx, st, e);
}

dh_status dh_app_sched_delete(dh_app *app, const dh_actor *a, int64_t id, time_t now, dh_err *e)
{
    char key[32];
    snprintf(key, sizeof key, "%lld", (long long)id);
    dh_status st = need_admin(app, a, "delete", "schedule", key, now, e);
    if (st)
        return st;
    sched_edit_cl cl = {a, id, key, NULL, now, NULL};
    return dh_tx_run(app, DH_TX_WRITE, sched_delete_tx, &cl, e);
}

typedef struct unit_calendar_cl {
    const dh_actor *a;
    const char *code, *cal;
    dh_date from;
    time_t now;
    json_t *out;
} unit_calendar_cl;

/* Concurrency: reads the unit registry (DH_TX_UNITS: the unit and the
 * actor's scope) and every calendar inside the write transaction, and
 * writes the (unit, from) row and bumps calendar_rev in the same one, so
 * the calendar named cannot be removed or the unit's calendars changed by
 * another writer in between: the write lock (SQLite), or the later commit
 * fails and is rerun (PostgreSQL); the primary key (unit_id, valid_from)
 * and the reference to calendars(name) are the last guards. */
static dh_status unit_calendar_tx(dh_tx *tx, void *closure, dh_err *e)
{
    unit_calendar_cl *cl = closure;
    const dh_actor *a = cl->a;
    json_decref(cl->out);
    cl->out = NULL;
    int32_t u = dh_unitreg_find(tx->reg, cl->code);
    if (u < 0)
        return dh_err_set(e, DH_E_NOTFOUND, "not_found", NULL, "no unit '%s'", cl->code);
    if (a->role != DH_ROLE_ADMIN &&
        !dh_access_allows(tx->reg, a->role, dh_app_actor_scope(tx->reg, a), DH_ACT_WRITE, u,
                          dh_date_of_time_vn(cl->now)))
        return dh_tx_deny(tx, a, "update", "unit_calendar", cl->code, cl->code, cl->now, e,
                          "assign a calendar to this unit");
    dh_calset *cur = NULL;
    dh_status st = load_rows(tx->c, &cur, e);
    if (st == DH_OK && !dh_calset_find(cur, cl->cal))
        st = dh_err_set(e, DH_E_INVALID, "unknown_calendar", "calendar", "no calendar '%s'",
                        cl->cal);
    if (st == DH_OK) {
        dh_unit_calendar_row r = {tx->reg->u[u].id, cl->from, cl->cal};
        st = DH_CALENDARS(tx->c)->put_unit_calendar(tx->c, &r, e);
    }
    if (st == DH_OK) {
        char d[DH_DATE_TEXT_LEN];
        dh_date_format(cl->from, d);
        cl->out = json_pack("{s:s,s:s,s:s}", "unit", cl->code, "calendar", cl->cal, "from", d);
        st = dh_app_audit(tx->c, a, "update", "unit_calendar", cl->code, cl->code, "ok", NULL,
                          cl->out, cl->now, e);
    }
    calset_free(cur);
    return bump(tx, st, e);
}

dh_status dh_app_unit_calendar_set(dh_app *app, const dh_actor *a, const char *code,
                                   json_t *body, time_t now, json_t **out, dh_err *e)
{
    static const char *const allowed[] = {"calendar", "from", NULL};
    char *cal = NULL;
    dh_date from = 0;
    dh_status st;
    if (!json_is_object(body))
        return dh_err_set(e, DH_E_MALFORMED, "invalid_type", NULL, "the body must be an object");
    if ((st = dh_json_only(body, allowed, e)) ||
        (st = dh_json_text(body, "calendar", true, &cal, e)) ||
        (st = dh_json_date(body, "from", true, &from, e))) {
        free(cal);
        return st;
    }
    unit_calendar_cl cl = {a, code, cal, from, now, NULL};
    st = dh_tx_run(app, DH_TX_UNITS, unit_calendar_tx, &cl, e);
    if (st == DH_OK)
        *out = cl.out;
    else
        json_decref(cl.out);
    free(cal);
    return st;
}
