/* pg_latereports.c - the PostgreSQL backend of store/latereports.h: the
 * daily late-dossier reports. */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/latereports.h"
#include "store/postgres/pg.h"

static dh_status pg_put_late_report(dh_conn *c, const dh_late_report_row *r, bool *inserted,
                                    dh_err *e)
{
    *inserted = false;
    dh_pg_params p = {0};
    dh_pg_text(&p, r->unit);
    dh_pg_date(&p, r->day);
    dh_pg_text(&p, r->parent);
    dh_pg_int(&p, r->overdue);
    dh_pg_int(&p, r->apologies);
    dh_pg_text(&p, r->items);
    dh_pg_int(&p, (int64_t)r->made_at);
    dh_pg_bool(&p, r->mailed);
    PGresult *res;
    dh_status s = dh_pg_exec(c,
                             "INSERT INTO late_reports(unit, day, parent, overdue, apologies, "
                             "items, made_at, mailed) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
                             "ON CONFLICT (unit, day) DO NOTHING",
                             &p, &res, "insert late report", e);
    if (s)
        return s;
    *inserted = atoll(PQcmdTuples(res)) > 0;
    PQclear(res);
    return DH_OK;
}

static dh_status pg_mark_late_report_mailed(dh_conn *c, const char *unit, dh_date day,
                                            dh_err *e)
{
    dh_pg_params p = {0};
    dh_pg_text(&p, unit);
    dh_pg_date(&p, day);
    PGresult *res;
    dh_status s = dh_pg_exec(c, "UPDATE late_reports SET mailed = 1 WHERE unit = $1 AND day = $2",
                             &p, &res, "mark late report mailed", e);
    if (s)
        return s;
    bool found = atoll(PQcmdTuples(res)) > 0;
    PQclear(res);
    if (!found) {
        char d[DH_DATE_TEXT_LEN];
        dh_date_format(day, d);
        return dh_err_set(e, DH_E_NOTFOUND, "unknown_report", NULL,
                          "no late report of %s for %s", unit, d);
    }
    return DH_OK;
}

static dh_status pg_list_late_reports(dh_conn *c, const char *parent, const char *unit,
                                      dh_date from, dh_date to, dh_late_report_cb cb,
                                      void *closure, dh_err *e)
{
    dh_pg_params p = {0};
    dh_pg_text(&p, parent);
    dh_pg_text(&p, unit);
    dh_pg_date(&p, from);
    dh_pg_date(&p, to);
    PGresult *res;
    dh_status s = dh_pg_exec(c,
                             "SELECT unit, day, parent, overdue, apologies, items, made_at, "
                             "mailed FROM late_reports "
                             "WHERE ($1::text IS NULL OR parent = $1) "
                             "AND ($2::text IS NULL OR unit = $2) "
                             "AND ($3::text IS NULL OR day >= $3) "
                             "AND ($4::text IS NULL OR day <= $4) "
                             "ORDER BY day DESC, unit",
                             &p, &res, "list late reports", e);
    if (s)
        return s;
    for (int i = 0, n = PQntuples(res); i < n; i++) {
        dh_late_report_row r = {dh_pg_col_text(res, i, 0), dh_pg_col_date(res, i, 1),
                                dh_pg_col_text(res, i, 2), dh_pg_col_int(res, i, 3),
                                dh_pg_col_int(res, i, 4), dh_pg_col_text(res, i, 5),
                                dh_pg_col_time(res, i, 6), dh_pg_col_bool(res, i, 7)};
        if (cb(closure, &r))
            break;
    }
    PQclear(res);
    return DH_OK;
}

const dh_latereports_ops dh_postgres_latereports_ops = {
    .put_late_report = pg_put_late_report,
    .mark_late_report_mailed = pg_mark_late_report_mailed,
    .list_late_reports = pg_list_late_reports,
};
