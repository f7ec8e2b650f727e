/* pg_calendars.c - the PostgreSQL backend of store/calendars.h: calendars, schedules and unit
 * assignments (the port of sqlite/sq_calendars.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/calendars.h"
#include "store/postgres/pg.h"

static dh_status pg_load_calendars(dh_conn *c, dh_calendar_cb ccb, dh_sched_cb scb,
                                   dh_unit_calendar_cb ucb, void *closure, dh_err *e)
{
    PGresult *res;
    dh_status s = dh_pg_exec(c,
                             "SELECT name, label, hours, created_at FROM calendars "
                             "ORDER BY name COLLATE \"C\"",
                             NULL, &res, "load calendars", e);
    if (s)
        return s;
    for (int i = 0, n = PQntuples(res); i < n; i++) {
        dh_calendar_row r = {dh_pg_col_text(res, i, 0), dh_pg_col_text(res, i, 1),
                             dh_pg_col_text(res, i, 2), (time_t)dh_pg_col_int(res, i, 3)};
        if (ccb(closure, &r))
            break;
    }
    PQclear(res);
    s = dh_pg_exec(c,
                   "SELECT id, date, type, kind, name, source, confirmed FROM schedule_entries "
                   "ORDER BY date COLLATE \"C\"",
                   NULL, &res, "load schedules", e);
    if (s)
        return s;
    for (int i = 0, n = PQntuples(res); i < n; i++) {
        dh_sched_row r = {dh_pg_col_int(res, i, 0),  dh_pg_col_date(res, i, 1),
                          dh_pg_col_text(res, i, 2), dh_pg_col_text(res, i, 3),
                          dh_pg_col_text(res, i, 4), dh_pg_col_text(res, i, 5),
                          dh_pg_col_bool(res, i, 6)};
        if (scb(closure, &r))
            break;
    }
    PQclear(res);
    s = dh_pg_exec(c,
                   "SELECT unit_id, valid_from, calendar FROM unit_calendars "
                   "ORDER BY unit_id, valid_from COLLATE \"C\"",
                   NULL, &res, "load unit calendars", e);
    if (s)
        return s;
    for (int i = 0, n = PQntuples(res); i < n; i++) {
        dh_unit_calendar_row r = {dh_pg_col_int(res, i, 0), dh_pg_col_date(res, i, 1),
                                  dh_pg_col_text(res, i, 2)};
        if (ucb(closure, &r))
            break;
    }
    PQclear(res);
    return DH_OK;
}

static dh_status pg_put_calendar(dh_conn *c, const dh_calendar_row *r, dh_err *e)
{
    dh_pg_params p = {0};
    dh_pg_text(&p, r->name);
    dh_pg_text(&p, r->label);
    dh_pg_text(&p, r->hours_json);
    dh_pg_int(&p, (int64_t)r->created_at);
    return dh_pg_exec(c,
                      "INSERT INTO calendars(name, label, hours, created_at) VALUES ($1,$2,$3,$4) "
                      "ON CONFLICT (name) DO UPDATE SET label = excluded.label, "
                      "hours = excluded.hours",
                      &p, NULL, "save calendar", e);
}

static void params_sched(dh_pg_params *p, const dh_sched_row *r)
{
    dh_pg_date(p, r->date);
    dh_pg_text(p, r->type);
    dh_pg_text(p, r->kind);
    dh_pg_text(p, r->name);
    dh_pg_text(p, r->source);
    dh_pg_bool(p, r->confirmed);
}

static dh_status pg_insert_sched(dh_conn *c, const dh_sched_row *r, int64_t *id, dh_err *e)
{
    dh_pg_params p = {0};
    params_sched(&p, r);
    return dh_pg_exec_id(c,
                         "INSERT INTO schedule_entries(date, type, kind, name, source, confirmed) "
                         "VALUES ($1,$2,$3,$4,$5,$6) RETURNING id",
                         &p, id, "insert schedule entry", e);
}

static dh_status pg_update_sched(dh_conn *c, const dh_sched_row *r, dh_err *e)
{
    dh_pg_params p = {0};
    params_sched(&p, r);
    dh_pg_int(&p, r->id);
    return dh_pg_exec(c,
                      "UPDATE schedule_entries SET date = $1, type = $2, kind = $3, name = $4, "
                      "source = $5, confirmed = $6 WHERE id = $7",
                      &p, NULL, "update schedule entry", e);
}

static dh_status pg_delete_sched(dh_conn *c, int64_t id, dh_err *e)
{
    dh_pg_params p = {0};
    dh_pg_int(&p, id);
    return dh_pg_exec(c, "DELETE FROM schedule_entries WHERE id = $1", &p, NULL,
                      "delete schedule entry", e);
}

static dh_status pg_put_unit_calendar(dh_conn *c, const dh_unit_calendar_row *r, dh_err *e)
{
    dh_pg_params p = {0};
    dh_pg_int(&p, r->unit_id);
    dh_pg_date(&p, r->valid_from);
    dh_pg_text(&p, r->calendar);
    return dh_pg_exec(c,
                      "INSERT INTO unit_calendars(unit_id, valid_from, calendar) "
                      "VALUES ($1,$2,$3) ON CONFLICT (unit_id, valid_from) "
                      "DO UPDATE SET calendar = excluded.calendar",
                      &p, NULL, "save unit calendar", e);
}

const dh_calendars_ops dh_postgres_calendars_ops = {
    .load_calendars = pg_load_calendars,
    .put_calendar = pg_put_calendar,
    .insert_sched = pg_insert_sched,
    .update_sched = pg_update_sched,
    .delete_sched = pg_delete_sched,
    .put_unit_calendar = pg_put_unit_calendar,
};
