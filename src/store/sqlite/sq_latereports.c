/* sq_latereports.c - the SQLite backend of store/latereports.h: the daily
 * late-dossier reports. */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "store/latereports.h"
#include "store/sqlite/sq.h"

static dh_status sq_put_late_report(dh_conn *c, const dh_late_report_row *r, bool *inserted,
                                    dh_err *e)
{
    *inserted = false;
    sqlite3_stmt *st = dh_sq_stmt(c,
                                  "INSERT INTO late_reports(unit, day, parent, overdue, "
                                  "apologies, items, made_at, mailed) "
                                  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
                                  "ON CONFLICT(unit, day) DO NOTHING",
                                  e);
    if (!st)
        return DH_E_DB;
    dh_sq_bind_text(st, 1, r->unit);
    dh_sq_bind_date(st, 2, r->day);
    dh_sq_bind_text(st, 3, r->parent);
    sqlite3_bind_int64(st, 4, r->overdue);
    sqlite3_bind_int64(st, 5, r->apologies);
    dh_sq_bind_text(st, 6, r->items);
    dh_sq_bind_time(st, 7, r->made_at);
    sqlite3_bind_int(st, 8, r->mailed ? 1 : 0);
    dh_status s = dh_sq_run(c, st, "insert late report", e);
    if (s == DH_OK)
        *inserted = sqlite3_changes(c->db) > 0;
    return s;
}

static dh_status sq_mark_late_report_mailed(dh_conn *c, const char *unit, dh_date day,
                                            dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(c, "UPDATE late_reports SET mailed = 1 WHERE unit = ?1 AND day = ?2",
                                  e);
    if (!st)
        return DH_E_DB;
    dh_sq_bind_text(st, 1, unit);
    dh_sq_bind_date(st, 2, day);
    dh_status s = dh_sq_run(c, st, "mark late report mailed", e);
    if (s == DH_OK && sqlite3_changes(c->db) == 0) {
        char d[DH_DATE_TEXT_LEN];
        dh_date_format(day, d);
        return dh_err_set(e, DH_E_NOTFOUND, "unknown_report", NULL,
                          "no late report of %s for %s", unit, d);
    }
    return s;
}

static dh_status sq_list_late_reports(dh_conn *c, const char *parent, const char *unit,
                                      dh_date from, dh_date to, dh_late_report_cb cb,
                                      void *closure, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(c,
                                  "SELECT unit, day, parent, overdue, apologies, items, made_at, "
                                  "mailed FROM late_reports "
                                  "WHERE (?1 IS NULL OR parent = ?1) AND (?2 IS NULL OR unit = ?2) "
                                  "AND (?3 IS NULL OR day >= ?3) AND (?4 IS NULL OR day <= ?4) "
                                  "ORDER BY day DESC, unit",
                                  e);
    if (!st)
        return DH_E_DB;
    dh_sq_bind_text(st, 1, parent);
    dh_sq_bind_text(st, 2, unit);
    dh_sq_bind_date(st, 3, from);
    dh_sq_bind_date(st, 4, to);
    int rc;
    while ((rc = dh_sq_step(st)) == SQLITE_ROW) {
        dh_late_report_row r = {dh_sq_col_text(st, 0), dh_sq_col_date(st, 1),
                                dh_sq_col_text(st, 2), sqlite3_column_int64(st, 3),
                                sqlite3_column_int64(st, 4), dh_sq_col_text(st, 5),
                                dh_sq_col_time(st, 6), sqlite3_column_int(st, 7) != 0};
        if (cb(closure, &r))
            break;
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? DH_OK
                                                 : dh_sq_db_error(c, e, "list late reports");
}

const dh_latereports_ops dh_sqlite_latereports_ops = {
    .put_late_report = sq_put_late_report,
    .mark_late_report_mailed = sq_mark_late_report_mailed,
    .list_late_reports = sq_list_late_reports,
};
