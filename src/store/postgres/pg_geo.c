/* pg_geo.c - the PostgreSQL backend of store/geo.h: units' boundaries. */
#include <libpq-fe.h>
#include <stdlib.h>

#include "store/geo.h"
#include "store/postgres/pg.h"

static dh_status pg_put_boundary(dh_conn *c, const dh_boundary_row *r, dh_err *e)
{
    dh_pg_params p = {0};
    dh_pg_text(&p, r->unit);
    dh_pg_text(&p, r->valid_from);
    dh_pg_text(&p, r->geometry);
    dh_pg_real(&p, r->min_lon);
    dh_pg_real(&p, r->min_lat);
    dh_pg_real(&p, r->max_lon);
    dh_pg_real(&p, r->max_lat);
    return dh_pg_exec(
        c,
        "INSERT INTO unit_boundaries(unit, valid_from, geometry, min_lon, min_lat, max_lon, "
        "max_lat) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (unit, valid_from) DO UPDATE "
        "SET geometry = excluded.geometry, min_lon = excluded.min_lon, min_lat = "
        "excluded.min_lat, max_lon = excluded.max_lon, max_lat = excluded.max_lat",
        &p, NULL, "save unit boundary", e);
}

static dh_status pg_list_boundaries(dh_conn *c, bool all, double lon, double lat,
                                    dh_boundary_cb cb, void *closure, dh_err *e)
{
    dh_pg_params p = {0};
    dh_pg_text(&p, all ? "t" : "f");
    dh_pg_real(&p, lon);
    dh_pg_real(&p, lat);
    PGresult *res;
    dh_status s = dh_pg_exec(
        c,
        "SELECT unit, valid_from, geometry, min_lon, min_lat, max_lon, max_lat FROM "
        "unit_boundaries WHERE $1::boolean OR (min_lon <= $2::float8 AND max_lon >= $2::float8 "
        "AND min_lat <= $3::float8 AND max_lat >= $3::float8) ORDER BY unit, valid_from",
        &p, &res, "read unit boundaries", e);
    if (s)
        return s;
    int n = PQntuples(res);
    for (int i = 0; i < n; i++) {
        dh_boundary_row r = {dh_pg_col_text(res, i, 0), dh_pg_col_text(res, i, 1),
                             dh_pg_col_text(res, i, 2), dh_pg_col_real(res, i, 3),
                             dh_pg_col_real(res, i, 4), dh_pg_col_real(res, i, 5),
                             dh_pg_col_real(res, i, 6)};
        if (cb(closure, &r))
            break;
    }
    PQclear(res);
    return DH_OK;
}

static dh_status pg_count_boundaries(dh_conn *c, int64_t *n, dh_err *e)
{
    *n = 0;
    PGresult *res;
    dh_status s = dh_pg_exec(c, "SELECT count(*) FROM unit_boundaries", NULL, &res,
                             "count unit boundaries", e);
    if (s)
        return s;
    *n = atoll(PQgetvalue(res, 0, 0));
    PQclear(res);
    return DH_OK;
}

const dh_geo_ops dh_postgres_geo_ops = {
    .put_boundary = pg_put_boundary,
    .list_boundaries = pg_list_boundaries,
    .count_boundaries = pg_count_boundaries,
};
