/* pg_procedures.c - the PostgreSQL backend of store/procedures.h: the procedure catalogue (the
 * port of sqlite/sq_procedures.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/postgres/pg.h"
#include "store/procedures.h"

static dh_status pg_put_procedure(dh_conn *c, const dh_procedure_row *r, int64_t *id, dh_err *e)
{
    dh_pg_params p = {0};
    dh_pg_text(&p, r->code);
    dh_pg_date(&p, r->valid_from);
    dh_pg_text(&p, r->name);
    dh_pg_text(&p, r->field);
    dh_pg_text(&p, r->level);
    dh_pg_int(&p, r->duration);
    dh_pg_text(&p, r->duration_unit);
    dh_pg_text(&p, r->online_level);
    dh_pg_bool(&p, r->fee_bearing);
    dh_pg_bool(&p, r->paper_result);
    dh_pg_text(&p, r->cutoff_time);
    return dh_pg_exec_id(c,
                         "INSERT INTO procedures(code, valid_from, name, field, level, duration, "
                         "duration_unit, online_level, fee_bearing, paper_result, cutoff_time) "
                         "VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11) RETURNING id",
                         &p, id, "insert procedure", e);
}

static dh_status pg_load_procedures(dh_conn *c, dh_procedure_cb cb, void *closure, dh_err *e)
{
    PGresult *res;
    dh_status s = dh_pg_exec(c,
                             "SELECT id, code, valid_from, name, field, level, duration, "
                             "duration_unit, online_level, fee_bearing, paper_result, cutoff_time "
                             "FROM procedures ORDER BY code COLLATE \"C\", valid_from COLLATE \"C\"",
                             NULL, &res, "load procedures", e);
    if (s)
        return s;
    for (int i = 0, n = PQntuples(res); i < n; i++) {
        dh_procedure_row r = {dh_pg_col_int(res, i, 0),       dh_pg_col_text(res, i, 1),
                              dh_pg_col_date(res, i, 2),      dh_pg_col_text(res, i, 3),
                              dh_pg_col_text(res, i, 4),      dh_pg_col_text(res, i, 5),
                              (int)dh_pg_col_int(res, i, 6),  dh_pg_col_text(res, i, 7),
                              dh_pg_col_text(res, i, 8),      dh_pg_col_bool(res, i, 9),
                              dh_pg_col_bool(res, i, 10),     dh_pg_col_text(res, i, 11)};
        if (cb(closure, &r))
            break;
    }
    PQclear(res);
    return DH_OK;
}

const dh_procedures_ops dh_postgres_procedures_ops = {
    .put_procedure = pg_put_procedure,
    .load_procedures = pg_load_procedures,
};
