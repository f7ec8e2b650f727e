/* pg_index766.c - the PostgreSQL backend of store/index766.h: the Decision 766 index (the port
 * of sqlite/sq_index766.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/index766.h"
#include "store/postgres/pg.h"

static dh_status pg_load_i766_config(dh_conn *c, dh_date d, dh_i766_cb cb, void *closure,
                                     dh_err *e)
{
    dh_pg_params p = {0};
    dh_pg_date(&p, d); /* DH_DATE_NONE: NULL, every version */
    PGresult *res;
    /* (valid_from, code) is the key: code breaks ties of ord, so the order is total. */
    dh_status s = dh_pg_exec(
        c,
        "SELECT version, valid_from, ord, group_code, group_name, code, name, max_points, "
        "threshold, formula FROM index766_config WHERE $1::text IS NULL OR valid_from = "
        "(SELECT MAX(valid_from) FROM index766_config WHERE valid_from <= $1::text) "
        "ORDER BY valid_from COLLATE \"C\", ord, code COLLATE \"C\"",
        &p, &res, "read index config", e);
    if (s)
        return s;
    for (int i = 0, n = PQntuples(res); i < n; i++) {
        dh_i766_row r = {dh_pg_col_text(res, i, 0),
                         dh_pg_col_date(res, i, 1),
                         (int)dh_pg_col_int(res, i, 2),
                         dh_pg_col_text(res, i, 3),
                         dh_pg_col_text(res, i, 4),
                         dh_pg_col_text(res, i, 5),
                         dh_pg_col_text(res, i, 6),
                         dh_pg_col_real(res, i, 7),
                         dh_pg_col_real(res, i, 8), /* NULL: 0, none */
                         dh_pg_col_text(res, i, 9)};
        if (cb(closure, &r))
            break;
    }
    PQclear(res);
    return DH_OK;
}

static dh_status pg_put_i766_config(dh_conn *c, const dh_i766_row *r, dh_err *e)
{
    dh_pg_params p = {0};
    dh_pg_text(&p, r->version);
    dh_pg_date(&p, r->valid_from);
    dh_pg_int(&p, r->ord);
    dh_pg_text(&p, r->group_code);
    dh_pg_text(&p, r->group_name);
    dh_pg_text(&p, r->code);
    dh_pg_text(&p, r->name);
    dh_pg_real(&p, r->max_points);
    if (r->threshold > 0)
        dh_pg_real(&p, r->threshold);
    else
        dh_pg_null(&p);
    dh_pg_text(&p, r->formula);
    return dh_pg_exec(c,
                      "INSERT INTO index766_config(version, valid_from, ord, group_code, "
                      "group_name, code, name, max_points, threshold, formula) "
                      "VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)",
                      &p, NULL, "save index config", e);
}

static dh_status pg_load_i766_manual(dh_conn *c, const char *unit, dh_date from, dh_date to,
                                     dh_i766_manual_cb cb, void *closure, dh_err *e)
{
    dh_pg_params p = {0};
    dh_pg_text(&p, unit);
    dh_pg_date(&p, from);
    dh_pg_date(&p, to);
    PGresult *res;
    dh_status s = dh_pg_exec(c,
                             "SELECT code, value, note, entered_by FROM index766_manual "
                             "WHERE unit = $1 AND date_from = $2 AND date_to = $3 "
                             "ORDER BY code COLLATE \"C\"",
                             &p, &res, "read index values", e);
    if (s)
        return s;
    for (int i = 0, n = PQntuples(res); i < n; i++)
        if (cb(closure, dh_pg_col_text(res, i, 0), dh_pg_col_real(res, i, 1),
               dh_pg_col_text(res, i, 2), dh_pg_col_text(res, i, 3)))
            break;
    PQclear(res);
    return DH_OK;
}

static dh_status pg_put_i766_manual(dh_conn *c, const char *unit, dh_date from, dh_date to,
                                    const char *code, double value, const char *note,
                                    const char *entered_by, time_t at, dh_err *e)
{
    dh_pg_params p = {0};
    dh_pg_text(&p, unit);
    dh_pg_date(&p, from);
    dh_pg_date(&p, to);
    dh_pg_text(&p, code);
    dh_pg_real(&p, value);
    dh_pg_text(&p, note ? note : "");
    dh_pg_text(&p, entered_by);
    dh_pg_int(&p, (int64_t)at);
    return dh_pg_exec(c,
                      "INSERT INTO index766_manual(unit, date_from, date_to, code, value, note, "
                      "entered_by, entered_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8) "
                      "ON CONFLICT (unit, date_from, date_to, code) DO UPDATE SET "
                      "value = excluded.value, note = excluded.note, "
                      "entered_by = excluded.entered_by, entered_at = excluded.entered_at",
                      &p, NULL, "save index value", e);
}

const dh_i766_ops dh_postgres_i766_ops = {
    .load_i766_config = pg_load_i766_config,
    .put_i766_config = pg_put_i766_config,
    .load_i766_manual = pg_load_i766_manual,
    .put_i766_manual = pg_put_i766_manual,
};
