/* sq_index766.c - the SQLite backend of store/index766.h: the Decision 766 index. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/index766.h"
#include "store/sqlite/sq.h"
#include "util/buf.h"

/* ---- The Decision 766 index. ---------------------------------------------- */

static dh_status sq_load_i766_config(dh_conn *c, dh_date d, dh_i766_cb cb, void *closure,
                                     dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(
        c,
        "SELECT version, valid_from, ord, group_code, group_name, code, name, max_points, "
        "threshold, formula FROM index766_config WHERE ?1 IS NULL OR valid_from = "
        "(SELECT MAX(valid_from) FROM index766_config WHERE valid_from <= ?1) "
        "ORDER BY valid_from, ord, code",
        e);
    if (!st)
        return DH_E_DB;
    if (d == DH_DATE_NONE)
        sqlite3_bind_null(st, 1);
    else
        dh_sq_bind_date(st, 1, d);
    int rc;
    while ((rc = dh_sq_step(st)) == SQLITE_ROW) {
        dh_i766_row r = {dh_sq_col_text(st, 0),
                         dh_sq_col_date(st, 1),
                         sqlite3_column_int(st, 2),
                         dh_sq_col_text(st, 3),
                         dh_sq_col_text(st, 4),
                         dh_sq_col_text(st, 5),
                         dh_sq_col_text(st, 6),
                         sqlite3_column_double(st, 7),
                         sqlite3_column_type(st, 8) == SQLITE_NULL ? 0 : sqlite3_column_double(st, 8),
                         dh_sq_col_text(st, 9)};
        if (cb(closure, &r))
            break;
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? DH_OK : dh_sq_db_error(c, e, "read index config");
}

static dh_status sq_put_i766_config(dh_conn *c, const dh_i766_row *r, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(c,
                            "INSERT INTO index766_config(version, valid_from, ord, group_code, "
                            "group_name, code, name, max_points, threshold, formula) "
                            "VALUES (?,?,?,?,?,?,?,?,?,?)",
                            e);
    if (!st)
        return DH_E_DB;
    dh_sq_bind_text(st, 1, r->version);
    dh_sq_bind_date(st, 2, r->valid_from);
    sqlite3_bind_int(st, 3, r->ord);
    dh_sq_bind_text(st, 4, r->group_code);
    dh_sq_bind_text(st, 5, r->group_name);
    dh_sq_bind_text(st, 6, r->code);
    dh_sq_bind_text(st, 7, r->name);
    sqlite3_bind_double(st, 8, r->max_points);
    if (r->threshold > 0)
        sqlite3_bind_double(st, 9, r->threshold);
    else
        sqlite3_bind_null(st, 9);
    dh_sq_bind_text(st, 10, r->formula);
    return dh_sq_run(c, st, "save index config", e);
}

static dh_status sq_load_i766_manual(dh_conn *c, const char *unit, dh_date from, dh_date to,
                                     dh_i766_manual_cb cb, void *closure, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(c,
                            "SELECT code, value, note, entered_by FROM index766_manual "
                            "WHERE unit = ? AND date_from = ? AND date_to = ? ORDER BY code",
                            e);
    if (!st)
        return DH_E_DB;
    dh_sq_bind_text(st, 1, unit);
    dh_sq_bind_date(st, 2, from);
    dh_sq_bind_date(st, 3, to);
    int rc;
    while ((rc = dh_sq_step(st)) == SQLITE_ROW)
        if (cb(closure, dh_sq_col_text(st, 0), sqlite3_column_double(st, 1), dh_sq_col_text(st, 2),
               dh_sq_col_text(st, 3)))
            break;
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? DH_OK : dh_sq_db_error(c, e, "read index values");
}

static dh_status sq_put_i766_manual(dh_conn *c, const char *unit, dh_date from, dh_date to,
                                    const char *code, double value, const char *note,
                                    const char *entered_by, time_t at, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(c,
                            "INSERT OR REPLACE INTO index766_manual(unit, date_from, date_to, "
                            "code, value, note, entered_by, entered_at) VALUES (?,?,?,?,?,?,?,?)",
                            e);
    if (!st)
        return DH_E_DB;
    dh_sq_bind_text(st, 1, unit);
    dh_sq_bind_date(st, 2, from);
    dh_sq_bind_date(st, 3, to);
    dh_sq_bind_text(st, 4, code);
    sqlite3_bind_double(st, 5, value);
    dh_sq_bind_text(st, 6, note ? note : "");
    dh_sq_bind_text(st, 7, entered_by);
    sqlite3_bind_int64(st, 8, (sqlite3_int64)at);
    return dh_sq_run(c, st, "save index value", e);
}

const dh_i766_ops dh_sqlite_i766_ops = {
    .load_i766_config = sq_load_i766_config,
    .put_i766_config = sq_put_i766_config,
    .load_i766_manual = sq_load_i766_manual,
    .put_i766_manual = sq_put_i766_manual,
};
