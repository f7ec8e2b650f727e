/* sq_stations.c - the SQLite backend of store/stations.h: the register of
 * 5G stations and their status steps. */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "store/sqlite/sq.h"
#include "store/stations.h"

#define STATION_COLS                                                                          \
    "s.site_code, s.operator, s.commune, s.address, s.lat, s.lon, s.technology, s.source, "  \
    "s.synthetic, s.created_at"

static dh_station_row station_of(sqlite3_stmt *st)
{
    return (dh_station_row){dh_sq_col_text(st, 0), dh_sq_col_text(st, 1), dh_sq_col_text(st, 2),
                            dh_sq_col_text(st, 3), dh_sq_col_text(st, 6), dh_sq_col_text(st, 7),
                            sqlite3_column_double(st, 4), sqlite3_column_double(st, 5),
                            sqlite3_column_int(st, 8) != 0, dh_sq_col_time(st, 9)};
}

static dh_status sq_get_station(dh_conn *c, const char *site_code, dh_station_cb cb,
                                void *closure, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(c, "SELECT " STATION_COLS " FROM stations s WHERE site_code = ?",
                                  e);
    if (!st)
        return DH_E_DB;
    dh_sq_bind_text(st, 1, site_code);
    int rc = dh_sq_step(st);
    if (rc == SQLITE_ROW) {
        dh_station_row r = station_of(st);
        cb(closure, &r);
    }
    sqlite3_reset(st);
    if (rc == SQLITE_DONE)
        return dh_err_set(e, DH_E_NOTFOUND, "unknown_station", "site_code",
                          "station '%s' does not exist", site_code);
    return rc == SQLITE_ROW ? DH_OK : dh_sq_db_error(c, e, "read station");
}

static dh_status sq_put_station(dh_conn *c, const dh_station_row *r, bool *inserted, dh_err *e)
{
    *inserted = false;
    sqlite3_stmt *st = dh_sq_stmt(c,
                                  "INSERT INTO stations(site_code, operator, commune, address, "
                                  "lat, lon, technology, source, synthetic, created_at) "
                                  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) "
                                  "ON CONFLICT(site_code) DO NOTHING",
                                  e);
    if (!st)
        return DH_E_DB;
    dh_sq_bind_text(st, 1, r->site_code);
    dh_sq_bind_text(st, 2, r->operator_unit);
    dh_sq_bind_text(st, 3, r->commune);
    dh_sq_bind_text(st, 4, r->address ? r->address : "");
    sqlite3_bind_double(st, 5, r->lat);
    sqlite3_bind_double(st, 6, r->lon);
    dh_sq_bind_text(st, 7, r->technology);
    dh_sq_bind_text(st, 8, r->source ? r->source : "");
    sqlite3_bind_int(st, 9, r->synthetic ? 1 : 0);
    dh_sq_bind_time(st, 10, r->created_at);
    dh_status s = dh_sq_run(c, st, "insert station", e);
    if (s == DH_OK)
        *inserted = sqlite3_changes(c->db) > 0;
    return s;
}

static dh_status sq_put_station_step(dh_conn *c, const char *site_code, int rank, dh_date date,
                                     const char *source, time_t now, bool *inserted, dh_err *e)
{
    *inserted = false;
    sqlite3_stmt *st = dh_sq_stmt(c,
                                  "INSERT INTO station_steps(site_code, rank, day, source, "
                                  "created_at) VALUES (?1, ?2, ?3, ?4, ?5) "
                                  "ON CONFLICT(site_code, rank) DO NOTHING",
                                  e);
    if (!st)
        return DH_E_DB;
    dh_sq_bind_text(st, 1, site_code);
    sqlite3_bind_int(st, 2, rank);
    dh_sq_bind_date(st, 3, date);
    dh_sq_bind_text(st, 4, source ? source : "");
    dh_sq_bind_time(st, 5, now);
    dh_status s = dh_sq_run(c, st, "insert station step", e);
    if (s == DH_OK)
        *inserted = sqlite3_changes(c->db) > 0;
    return s;
}

static dh_status sq_list_station_steps(dh_conn *c, const char *site_code, dh_date as_of,
                                       dh_station_step_cb cb, void *closure, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(c,
                                  "SELECT " STATION_COLS ", t.rank, t.day, t.source "
                                  "FROM station_steps t JOIN stations s USING (site_code) "
                                  "WHERE (?1 IS NULL OR s.site_code = ?1) "
                                  "AND (?2 IS NULL OR t.day <= ?2) "
                                  "ORDER BY s.site_code, t.rank",
                                  e);
    if (!st)
        return DH_E_DB;
    dh_sq_bind_text(st, 1, site_code);
    dh_sq_bind_date(st, 2, as_of);
    int rc;
    while ((rc = dh_sq_step(st)) == SQLITE_ROW) {
        dh_station_row s = station_of(st);
        dh_station_step_row r = {&s, sqlite3_column_int(st, 10), dh_sq_col_date(st, 11),
                                 dh_sq_col_text(st, 12)};
        if (cb(closure, &r))
            break;
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? DH_OK
                                                 : dh_sq_db_error(c, e, "list station steps");
}

const dh_stations_ops dh_sqlite_stations_ops = {
    .get_station = sq_get_station,
    .put_station = sq_put_station,
    .put_station_step = sq_put_station_step,
    .list_station_steps = sq_list_station_steps,
};
