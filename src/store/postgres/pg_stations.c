/* pg_stations.c - the PostgreSQL backend of store/stations.h: the register
 * of 5G stations and their status steps. */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/postgres/pg.h"
#include "store/stations.h"

#define STATION_COLS                                                                          \
    "s.site_code, s.operator, s.commune, s.address, s.lat, s.lon, s.technology, s.source, "  \
    "s.synthetic, s.created_at"

static dh_station_row station_of(const PGresult *res, int i)
{
    return (dh_station_row){dh_pg_col_text(res, i, 0), dh_pg_col_text(res, i, 1),
                            dh_pg_col_text(res, i, 2), dh_pg_col_text(res, i, 3),
                            dh_pg_col_text(res, i, 6), dh_pg_col_text(res, i, 7),
                            dh_pg_col_real(res, i, 4), dh_pg_col_real(res, i, 5),
                            dh_pg_col_bool(res, i, 8), dh_pg_col_time(res, i, 9)};
}

static dh_status pg_get_station(dh_conn *c, const char *site_code, dh_station_cb cb,
                                void *closure, dh_err *e)
{
    dh_pg_params p = {0};
    dh_pg_text(&p, site_code);
    PGresult *res;
    dh_status s = dh_pg_exec(c, "SELECT " STATION_COLS " FROM stations s WHERE site_code = $1",
                             &p, &res, "read station", e);
    if (s)
        return s;
    bool found = PQntuples(res) > 0;
    if (found) {
        dh_station_row r = station_of(res, 0);
        cb(closure, &r);
    }
    PQclear(res);
    return found ? DH_OK
                 : dh_err_set(e, DH_E_NOTFOUND, "unknown_station", "site_code",
                              "station '%s' does not exist", site_code);
}

static dh_status pg_put_station(dh_conn *c, const dh_station_row *r, bool *inserted, dh_err *e)
{
    *inserted = false;
    dh_pg_params p = {0};
    dh_pg_text(&p, r->site_code);
    dh_pg_text(&p, r->operator_unit);
    dh_pg_text(&p, r->commune);
    dh_pg_text(&p, r->address ? r->address : "");
    dh_pg_real(&p, r->lat);
    dh_pg_real(&p, r->lon);
    dh_pg_text(&p, r->technology);
    dh_pg_text(&p, r->source ? r->source : "");
    dh_pg_bool(&p, r->synthetic);
    dh_pg_int(&p, (int64_t)r->created_at);
    PGresult *res;
    dh_status s = dh_pg_exec(c,
                             "INSERT INTO stations(site_code, operator, commune, address, lat, "
                             "lon, technology, source, synthetic, created_at) "
                             "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) "
                             "ON CONFLICT (site_code) DO NOTHING",
                             &p, &res, "insert station", e);
    if (s)
        return s;
    *inserted = atoll(PQcmdTuples(res)) > 0;
    PQclear(res);
    return DH_OK;
}

static dh_status pg_put_station_step(dh_conn *c, const char *site_code, int rank, dh_date date,
                                     const char *source, time_t now, bool *inserted, dh_err *e)
{
    *inserted = false;
    dh_pg_params p = {0};
    dh_pg_text(&p, site_code);
    dh_pg_int(&p, rank);
    dh_pg_date(&p, date);
    dh_pg_text(&p, source ? source : "");
    dh_pg_int(&p, (int64_t)now);
    PGresult *res;
    dh_status s = dh_pg_exec(c,
                             "INSERT INTO station_steps(site_code, rank, day, source, created_at) "
                             "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (site_code, rank) DO NOTHING",
                             &p, &res, "insert station step", e);
    if (s)
        return s;
    *inserted = atoll(PQcmdTuples(res)) > 0;
    PQclear(res);
    return DH_OK;
}

static dh_status pg_list_station_steps(dh_conn *c, const char *site_code, dh_date as_of,
                                       dh_station_step_cb cb, void *closure, dh_err *e)
{
    dh_pg_params p = {0};
    dh_pg_text(&p, site_code);
    dh_pg_date(&p, as_of);
    PGresult *res;
    dh_status s = dh_pg_exec(c,
                             "SELECT " STATION_COLS ", t.rank, t.day, t.source "
                             "FROM station_steps t JOIN stations s USING (site_code) "
                             "WHERE ($1::text IS NULL OR s.site_code = $1) "
                             "AND ($2::text IS NULL OR t.day <= $2) "
                             "ORDER BY s.site_code, t.rank",
                             &p, &res, "list station steps", e);
    if (s)
        return s;
    for (int i = 0, n = PQntuples(res); i < n; i++) {
        dh_station_row st = station_of(res, i);
        dh_station_step_row r = {&st, (int)dh_pg_col_int(res, i, 10), dh_pg_col_date(res, i, 11),
                                 dh_pg_col_text(res, i, 12)};
        if (cb(closure, &r))
            break;
    }
    PQclear(res);
    return DH_OK;
}

const dh_stations_ops dh_postgres_stations_ops = {
    .get_station = pg_get_station,
    .put_station = pg_put_station,
    .put_station_step = pg_put_station_step,
    .list_station_steps = pg_list_station_steps,
};
