/* ep_calendars.c - working-time calendars and the yearly schedules:
 *   GET   /api/v1/calendars                          every calendar and its hours
 *   POST  /api/v1/calendars                          (admin) {"name","label","hours"}
 *   GET   /api/v1/calendars/{name}
 *   PATCH /api/v1/calendars/{name}                   (admin) {"label"?,"hours"?}
 *   GET   /api/v1/calendars/{name}/holidays?year=&format=json|csv|ics
 *   GET   /api/v1/calendars/{name}/add?start=&days=|hours=&cutoff=
 *   GET   /api/v1/calendars/{name}/between?from=&to=
 *   GET   /api/v1/schedules?year=                    the schedule entries (with ids)
 *   POST  /api/v1/schedules                          (admin) an entry or {"entries":[..]}
 *   POST  /api/v1/schedules/import?name=FILE.csv|FILE.ics   (admin) the file as the body
 *   PATCH /api/v1/schedules/{id}                     (admin) correct or confirm an entry
 *   DELETE /api/v1/schedules/{id}                    (admin)
 *   GET   /api/v1/units/{code}/calendar?as_of=       the unit's calendar on a date
 *   POST  /api/v1/units/{code}/calendar              {"calendar","from"} (admin, or an
 *                                                    officer of the unit's subtree)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"

static const dh_calset *calset(dh_req *rq, dh_resp *rs)
{
    dh_err e;
    const dh_calset *s = dh_app_calendars_acquire(rq->app, &e);
    if (!s)
        dh_reply_err(rs, &e);
    return s;
}

/* The calendar named in the path; replies 422 when there is none. */
static const dh_calendar *named(dh_req *rq, dh_resp *rs, const dh_calset *s)
{
    const dh_calendar *c = dh_calset_find(s, rq->params[0]);
    if (!c)
        dh_reply_error(rs, 422, "unknown_calendar", "calendar", "no calendar named '%s'",
                       rq->params[0]);
    return c;
}

static void list_calendars(dh_req *rq, dh_resp *rs)
{
    const dh_calset *s = calset(rq, rs);
    if (!s)
        return;
    json_t *items = json_array();
    for (size_t i = 0; i < s->ncals; i++)
        json_array_append_new(items, dh_calendar_json(&s->cals[i]));
    dh_app_calendars_release(rq->app, s);
    dh_reply_list_steal(rs, items, NULL);
}

static void get_calendar(dh_req *rq, dh_resp *rs)
{
    const dh_calset *s = calset(rq, rs);
    if (!s)
        return;
    const dh_calendar *c = dh_calset_find(s, rq->params[0]);
    if (c)
        dh_reply_json_steal(rs, 200, dh_calendar_json(c));
    else
        dh_reply_error(rs, 404, "not_found", NULL, "no calendar named '%s'", rq->params[0]);
    dh_app_calendars_release(rq->app, s);
}

static void put_calendar(dh_req *rq, dh_resp *rs, bool create)
{
    json_t *body = dh_req_json(rq, rs), *out = NULL;
    if (!body)
        return;
    dh_err e;
    if (dh_app_calendar_put(rq->app, &rq->actor, create ? NULL : rq->params[0], body, create,
                            rq->now, &out, &e))
        dh_reply_err(rs, &e);
    else
        dh_reply_json_steal(rs, create ? 201 : 200, out);
    json_decref(body);
}

static void create_calendar(dh_req *rq, dh_resp *rs) { put_calendar(rq, rs, true); }
static void patch_calendar(dh_req *rq, dh_resp *rs) { put_calendar(rq, rs, false); }

static int year_param(dh_req *rq, dh_resp *rs, int *year)
{
    const char *y = dh_req_query(rq, "year");
    char *end = NULL;
    long v = y ? strtol(y, &end, 10) : 0;
    if (!y || !*y || *end || v < 1 || v > 9999) {
        dh_reply_error(rs, 422, y ? "invalid_year" : "missing_field", "year",
                       "year must be given as a number, e.g. ?year=2025");
        return -1;
    }
    *year = (int)v;
    return 0;
}

static void get_holidays(dh_req *rq, dh_resp *rs)
{
    int year;
    const char *fmt = dh_req_query(rq, "format");
    if (year_param(rq, rs, &year))
        return;
    if (fmt && strcmp(fmt, "json") && strcmp(fmt, "csv") && strcmp(fmt, "ics")) {
        dh_reply_error(rs, 422, "invalid_format", "format", "format must be json, csv or ics");
        return;
    }
    const dh_calset *s = calset(rq, rs);
    if (!s)
        return;
    const dh_calendar *c = named(rq, rs, s);
    dh_err e;
    if (c && fmt && strcmp(fmt, "json") != 0) {
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        bool ics = strcmp(fmt, "ics") == 0;
        dh_status st = dh_calendar_export(s, year, ics, f, rq->now, &e);
        fclose(f);
        if (st) {
            free(text);
            dh_reply_err(rs, &e);
        } else {
            rs->status = 200;
            free(rs->body);
            rs->body = text;
            rs->content_type = ics ? "text/calendar; charset=utf-8" : "text/csv; charset=utf-8";
        }
    } else if (c) {
        json_t *out;
        if (dh_calendar_holidays(s, c, year, &out, &e))
            dh_reply_err(rs, &e);
        else
            dh_reply_json_steal(rs, 200, out);
    }
    dh_app_calendars_release(rq->app, s);
}

static void get_add(dh_req *rq, dh_resp *rs)
{
    const char *days = dh_req_query(rq, "days"), *hours = dh_req_query(rq, "hours");
    if ((days && hours) || (!days && !hours)) {
        dh_reply_error(rs, 422, "invalid_query", "days", "give either days= or hours=");
        return;
    }
    const dh_calset *s = calset(rq, rs);
    if (!s)
        return;
    const dh_calendar *c = named(rq, rs, s);
    json_t *out;
    dh_err e;
    if (c) {
        if (dh_calendar_add(c, dh_req_query(rq, "start"), days ? days : hours, hours != NULL,
                            dh_req_query(rq, "cutoff"), &out, &e))
            dh_reply_err(rs, &e);
        else
            dh_reply_json_steal(rs, 200, out);
    }
    dh_app_calendars_release(rq->app, s);
}

static void get_between(dh_req *rq, dh_resp *rs)
{
    const dh_calset *s = calset(rq, rs);
    if (!s)
        return;
    const dh_calendar *c = named(rq, rs, s);
    json_t *out;
    dh_err e;
    if (c) {
        if (dh_calendar_between(c, dh_req_query(rq, "from"), dh_req_query(rq, "to"), &out, &e))
            dh_reply_err(rs, &e);
        else
            dh_reply_json_steal(rs, 200, out);
    }
    dh_app_calendars_release(rq->app, s);
}

static void list_schedules(dh_req *rq, dh_resp *rs)
{
    int year = 0;
    if (dh_req_query(rq, "year") && year_param(rq, rs, &year))
        return;
    const dh_calset *s = calset(rq, rs);
    if (!s)
        return;
    json_t *items = json_array();
    for (size_t i = 0; i < s->nentries; i++) {
        int y, m, d;
        dh_date_to_ymd(s->entries[i].date, &y, &m, &d);
        if (!year || y == year)
            json_array_append_new(items, dh_sched_entry_json(&s->entries[i]));
    }
    dh_app_calendars_release(rq->app, s);
    dh_reply_list_steal(rs, items, NULL);
}

static void post_schedules(dh_req *rq, dh_resp *rs)
{
    json_t *body = dh_req_json(rq, rs), *out = NULL;
    if (!body)
        return;
    dh_err e;
    if (dh_app_sched_add(rq->app, &rq->actor, body, rq->now, &out, &e))
        dh_reply_err(rs, &e);
    else
        dh_reply_json_steal(rs, 201, out);
    json_decref(body);
}

static void import_schedules(dh_req *rq, dh_resp *rs)
{
    const char *name = dh_req_query(rq, "name");
    if (!name || !*name)
        name = "upload.csv";
    int taken = 0;
    dh_err e;
    if (dh_app_sched_import(rq->app, &rq->actor, rq->body ? rq->body : "", rq->body_len, name,
                            rq->now, &taken, &e))
        dh_reply_err(rs, &e);
    else
        dh_reply_json_steal(rs, 200, json_pack("{s:s,s:i}", "file", name, "taken", taken));
}

static int id_param(dh_req *rq, dh_resp *rs, int64_t *id)
{
    char *end;
    long long v = strtoll(rq->params[0], &end, 10);
    if (*end || v <= 0) {
        dh_reply_error(rs, 404, "not_found", NULL, "no schedule entry '%s'", rq->params[0]);
        return -1;
    }
    *id = v;
    return 0;
}

static void patch_schedule(dh_req *rq, dh_resp *rs)
{
    int64_t id;
    if (id_param(rq, rs, &id))
        return;
    json_t *body = dh_req_json(rq, rs), *out = NULL;
    if (!body)
        return;
    dh_err e;
    if (dh_app_sched_patch(rq->app, &rq->actor, id, body, rq->now, &out, &e))
        dh_reply_err(rs, &e);
    else
        dh_reply_json_steal(rs, 200, out);
    json_decref(body);
}

static void delete_schedule(dh_req *rq, dh_resp *rs)
{
    int64_t id;
    if (id_param(rq, rs, &id))
        return;
    dh_err e;
    if (dh_app_sched_delete(rq->app, &rq->actor, id, rq->now, &e))
        dh_reply_err(rs, &e);
    else
        dh_reply_json_steal(rs, 200, json_pack("{s:I,s:b}", "id", (json_int_t)id, "deleted", 1));
}

static void get_unit_calendar(dh_req *rq, dh_resp *rs)
{
    dh_date d;
    if (dh_req_as_of(rq, rs, &d))
        return;
    dh_err e;
    const dh_unitreg *r = dh_app_units_acquire(rq->app, &e);
    if (!r) {
        dh_reply_err(rs, &e);
        return;
    }
    int32_t u = dh_unitreg_find(r, rq->params[0]);
    const dh_calset *s = u >= 0 ? calset(rq, rs) : NULL;
    if (u < 0) {
        dh_reply_error(rs, 404, "not_found", NULL, "no unit '%s'", rq->params[0]);
    } else if (s) {
        const dh_calendar *c = dh_calset_for_unit(s, r, u, d);
        char ds[DH_DATE_TEXT_LEN];
        dh_date_format(d, ds);
        dh_reply_json_steal(rs, 200, json_pack("{s:s,s:s,s:s}", "unit", rq->params[0], "as_of",
                                               ds, "calendar", c ? c->name : "default"));
        dh_app_calendars_release(rq->app, s);
    }
    dh_app_units_release(rq->app, r);
}

static void post_unit_calendar(dh_req *rq, dh_resp *rs)
{
    json_t *body = dh_req_json(rq, rs), *out = NULL;
    if (!body)
        return;
    dh_err e;
    if (dh_app_unit_calendar_set(rq->app, &rq->actor, rq->params[0], body, rq->now, &out, &e))
        dh_reply_err(rs, &e);
    else
        dh_reply_json_steal(rs, 200, out);
    json_decref(body);
}

const dh_route dh_routes_calendars[] = {
    {"GET", "/api/v1/calendars", list_calendars, 0},
    {"POST", "/api/v1/calendars", create_calendar, 0},
    {"GET", "/api/v1/calendars/{}", get_calendar, 0},
    {"PATCH", "/api/v1/calendars/{}", patch_calendar, 0},
    {"GET", "/api/v1/calendars/{}/holidays", get_holidays, 0},
    {"GET", "/api/v1/calendars/{}/add", get_add, 0},
    {"GET", "/api/v1/calendars/{}/between", get_between, 0},
    {"GET", "/api/v1/schedules", list_schedules, 0},
    {"POST", "/api/v1/schedules", post_schedules, 0},
    {"POST", "/api/v1/schedules/import", import_schedules, DH_ROUTE_BULK},
    {"PATCH", "/api/v1/schedules/{}", patch_schedule, 0},
    {"DELETE", "/api/v1/schedules/{}", delete_schedule, 0},
    {"GET", "/api/v1/units/{}/calendar", get_unit_calendar, 0},
    {"POST", "/api/v1/units/{}/calendar", post_unit_calendar, 0},
    {0, 0, 0, 0},
};
