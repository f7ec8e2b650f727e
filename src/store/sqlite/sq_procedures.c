/* sq_procedures.c - the SQLite backend of store/procedures.h: the procedure catalogue. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/procedures.h"
#include "store/sqlite/sq.h"
#include "util/buf.h"

/* ------------------------------------------------------------------ */
/* Procedures, dossier events, dossiers.                              */


static dh_status sq_put_procedure(dh_conn *c, const dh_procedure_row *r, int64_t *id, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(c,
                            "INSERT INTO procedures(code, valid_from, name, field, level, duration, "
                            "duration_unit, online_level, fee_bearing, paper_result, cutoff_time) "
                            "VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                            e);
    if (!st)
        return DH_E_DB;
    dh_sq_bind_text(st, 1, r->code);
    dh_sq_bind_date(st, 2, r->valid_from);
    dh_sq_bind_text(st, 3, r->name);
    dh_sq_bind_text(st, 4, r->field);
    dh_sq_bind_text(st, 5, r->level);
    sqlite3_bind_int(st, 6, r->duration);
    dh_sq_bind_text(st, 7, r->duration_unit);
    dh_sq_bind_text(st, 8, r->online_level);
    sqlite3_bind_int(st, 9, r->fee_bearing);
    sqlite3_bind_int(st, 10, r->paper_result);
    dh_sq_bind_text(st, 11, r->cutoff_time);
    dh_status s = dh_sq_run(c, st, "insert procedure", e);
    if (s == DH_OK)
        *id = sqlite3_last_insert_rowid(c->db);
    return s;
}

static dh_status sq_load_procedures(dh_conn *c, dh_procedure_cb cb, void *closure, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(c,
                            "SELECT id, code, valid_from, name, field, level, duration, "
                            "duration_unit, online_level, fee_bearing, paper_result, cutoff_time "
                            "FROM procedures ORDER BY code, valid_from",
                            e);
    if (!st)
        return DH_E_DB;
    int rc;
    while ((rc = dh_sq_step(st)) == SQLITE_ROW) {
        dh_procedure_row r = {sqlite3_column_int64(st, 0), dh_sq_col_text(st, 1), dh_sq_col_date(st, 2),
                              dh_sq_col_text(st, 3), dh_sq_col_text(st, 4), dh_sq_col_text(st, 5),
                              sqlite3_column_int(st, 6), dh_sq_col_text(st, 7), dh_sq_col_text(st, 8),
                              sqlite3_column_int(st, 9) != 0, sqlite3_column_int(st, 10) != 0,
                              dh_sq_col_text(st, 11)};
        if (cb(closure, &r))
            break;
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? DH_OK : dh_sq_db_error(c, e, "load procedures");
}

const dh_procedures_ops dh_sqlite_procedures_ops = {
    .put_procedure = sq_put_procedure,
    .load_procedures = sq_load_procedures,
};
