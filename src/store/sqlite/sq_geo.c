/* sq_geo.c - the SQLite backend of store/geo.h: units' boundaries. */
#include <sqlite3.h>

#include "store/geo.h"
#include "store/sqlite/sq.h"

static dh_status sq_put_boundary(dh_conn *c, const dh_boundary_row *r, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(
        c,
        "INSERT INTO unit_boundaries(unit, valid_from, geometry, min_lon, min_lat, max_lon, "
        "max_lat) VALUES (?,?,?,?,?,?,?) ON CONFLICT(unit, valid_from) DO UPDATE SET geometry = "
        "excluded.geometry, min_lon = excluded.min_lon, min_lat = excluded.min_lat, max_lon = "
        "excluded.max_lon, max_lat = excluded.max_lat",
        e);
    if (!st)
        return DH_E_DB;
    dh_sq_bind_text(st, 1, r->unit);
    dh_sq_bind_text(st, 2, r->valid_from);
    dh_sq_bind_text(st, 3, r->geometry);
    sqlite3_bind_double(st, 4, r->min_lon);
    sqlite3_bind_double(st, 5, r->min_lat);
    sqlite3_bind_double(st, 6, r->max_lon);
    sqlite3_bind_double(st, 7, r->max_lat);
    return dh_sq_run(c, st, "save unit boundary", e);
}

static dh_status sq_list_boundaries(dh_conn *c, bool all, double lon, double lat,
                                    dh_boundary_cb cb, void *closure, dh_err *e)
{
    sqlite3_stmt *st = dh_sq_stmt(
        c,
        "SELECT unit, valid_from, geometry, min_lon, min_lat, max_lon, max_lat FROM "
        "unit_boundaries WHERE ?1 OR (min_lon <= ?2 AND max_lon >= ?2 AND min_lat <= ?3 AND "
        "max_lat >= ?3) ORDER BY unit, valid_from",
        e);
    if (!st)
        return DH_E_DB;
    sqlite3_bind_int(st, 1, all);
    sqlite3_bind_double(st, 2, lon);
    sqlite3_bind_double(st, 3, lat);
    int rc;
    while ((rc = dh_sq_step(st)) == SQLITE_ROW) {
        dh_boundary_row r = {dh_sq_col_text(st, 0),         dh_sq_col_text(st, 1),
                             dh_sq_col_text(st, 2),         sqlite3_column_double(st, 3),
                             sqlite3_column_double(st, 4), sqlite3_column_double(st, 5),
                             sqlite3_column_double(st, 6)};
        if (cb(closure, &r))
            break;
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? DH_OK
                                                 : dh_sq_db_error(c, e, "read unit boundaries");
}

static dh_status sq_count_boundaries(dh_conn *c, int64_t *n, dh_err *e)
{
    *n = 0;
    sqlite3_stmt *st = dh_sq_stmt(c, "SELECT count(*) FROM unit_boundaries", e);
    if (!st)
        return DH_E_DB;
    int rc = dh_sq_step(st);
    if (rc == SQLITE_ROW)
        *n = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? DH_OK : dh_sq_db_error(c, e, "count unit boundaries");
}

const dh_geo_ops dh_sqlite_geo_ops = {
    .put_boundary = sq_put_boundary,
    .list_boundaries = sq_list_boundaries,
    .count_boundaries = sq_count_boundaries,
};
