/* sq_calendars.c - the SQLite backend of store/calendars.h: calendars, schedules and unit assignments. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/calendars.h"
#include "store/sqlite/sq.h"
#include "util/buf.h"

static dh_status sq_load_calendars(dh_conn *c, dh_calendar_cb ccb, dh_sched_cb scb,
                                   dh_unit_calendar_cb ucb, void *closure, dh_err *e)
{
    int rc;
    sqlite3_stmt *st = dh_sq_stmt(c, "SELECT name, label, hours, created_at FROM calendars ORDER BY name",
                            e);
    if (!st)
        return DH_E_DB;
    while ((rc = dh_sq_step(st)) == SQLITE_ROW) {
        dh_calendar_row r = {dh_sq_col_text(st, 0), dh_sq_col_text(st, 1), dh_sq_col_text(st, 2),
                             (time_t)sqlite3_column_int64(st, 3)};
        if (ccb(closure, &r))
            break;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return dh_sq_db_error(c, e, "load calendars");
    st = dh_sq_stmt(c,
              "SELECT id, date, type, kind, name, source, confirmed FROM schedule_entries "
              "ORDER BY date",
              e);
    if (!st)
        return DH_E_DB;
    while ((rc = dh_sq_step(st)) == SQLITE_ROW) {
        dh_sched_row r = {sqlite3_column_int64(st, 0), dh_sq_col_date(st, 1), dh_sq_col_text(st, 2),
                          dh_sq_col_text(st, 3), dh_sq_col_text(st, 4), dh_sq_col_text(st, 5),
                          sqlite3_column_int(st, 6) != 0};
        if (scb(closure, &r))
            break;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return dh_sq_db_error(c, e, "load schedules");
    st = dh_sq_stmt(c,
              "SELECT unit_id, valid_from, calendar FROM unit_calendars "
              "ORDER BY unit_id, valid_from",
              e);
    if (!st)
        return DH_E_DB;
    while ((rc = dh_sq_step(st)) == SQLITE_ROW) {
        dh_unit_calendar_row r = {sqlite3_column_int64(st, 0), dh_sq_col_date(st, 1), dh_sq_col_text(st, 2)};
        if (ucb(closure, &r))
            break;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return dh_sq_db_error(c, e, "load unit calendars");
    return DH_OK;
}

static dh_status sq_put_calendar(dh_conn *c, const dh_calendar_row *r, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(c,
                            "INSERT INTO calendars(name, label, hours, created_at) VALUES (?,?,?,?) "
                            "ON CONFLICT(name) DO UPDATE SET label = excluded.label, "
                            "hours = excluded.hours",
                            e);
    if (!st)
        return DH_E_DB;
    dh_sq_bind_text(st, 1, r->name);
    dh_sq_bind_text(st, 2, r->label);
    dh_sq_bind_text(st, 3, r->hours_json);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)r->created_at);
    return dh_sq_run(c, st, "save calendar", e);
}

static void bind_sched(sqlite3_stmt *st, const dh_sched_row *r)
{
    dh_sq_bind_date(st, 1, r->date);
    dh_sq_bind_text(st, 2, r->type);
    dh_sq_bind_text(st, 3, r->kind);
    dh_sq_bind_text(st, 4, r->name);
    dh_sq_bind_text(st, 5, r->source);
    sqlite3_bind_int(st, 6, r->confirmed);
}

static dh_status sq_insert_sched(dh_conn *c, const dh_sched_row *r, int64_t *id, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(c,
                            "INSERT INTO schedule_entries(date, type, kind, name, source, "
                            "confirmed) VALUES (?,?,?,?,?,?)",
                            e);
    if (!st)
        return DH_E_DB;
    bind_sched(st, r);
    dh_status s = dh_sq_run(c, st, "insert schedule entry", e);
    if (s == DH_OK)
        *id = sqlite3_last_insert_rowid(c->db);
    return s;
}

static dh_status sq_update_sched(dh_conn *c, const dh_sched_row *r, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(c,
                            "UPDATE schedule_entries SET date = ?, type = ?, kind = ?, name = ?, "
                            "source = ?, confirmed = ? WHERE id = ?",
                            e);
    if (!st)
        return DH_E_DB;
    bind_sched(st, r);
    sqlite3_bind_int64(st, 7, r->id);
    return dh_sq_run(c, st, "update schedule entry", e);
}

static dh_status sq_delete_sched(dh_conn *c, int64_t id, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(c, "DELETE FROM schedule_entries WHERE id = ?", e);
    if (!st)
        return DH_E_DB;
    sqlite3_bind_int64(st, 1, id);
    return dh_sq_run(c, st, "delete schedule entry", e);
}

static dh_status sq_put_unit_calendar(dh_conn *c, const dh_unit_calendar_row *r, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(c,
                            "INSERT INTO unit_calendars(unit_id, valid_from, calendar) "
                            "VALUES (?,?,?) ON CONFLICT(unit_id, valid_from) "
                            "DO UPDATE SET calendar = excluded.calendar",
                            e);
    if (!st)
        return DH_E_DB;
    sqlite3_bind_int64(st, 1, r->unit_id);
    dh_sq_bind_date(st, 2, r->valid_from);
    dh_sq_bind_text(st, 3, r->calendar);
    return dh_sq_run(c, st, "save unit calendar", e);
}

const dh_calendars_ops dh_sqlite_calendars_ops = {
    .load_calendars = sq_load_calendars,
    .put_calendar = sq_put_calendar,
    .insert_sched = sq_insert_sched,
    .update_sched = sq_update_sched,
    .delete_sched = sq_delete_sched,
    .put_unit_calendar = sq_put_unit_calendar,
};
