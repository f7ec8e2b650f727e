/* geo.h - the storage contract for units' boundaries (issue 17): one
 * GeoJSON geometry per unit and first date, versioned with the units (a
 * boundary applies from valid_from until the unit's next one, while the unit
 * exists; core/geo.h decides), with its bounding box so that the boundaries
 * that may contain a point are found without reading them all.
 *
 * One small table of operations, filled by each backend (src/store/sqlite/
 * sq_geo.c, src/store/postgres/pg_geo.c) and reached from a connection with
 * DH_GEO(c). The conventions of store.h hold. */
#ifndef DH_STORE_GEO_H
#define DH_STORE_GEO_H

#include "store/store.h"

typedef struct dh_boundary_row {
    const char *unit;       /* the unit's code */
    const char *valid_from; /* YYYY-MM-DD */
    const char *geometry;   /* a GeoJSON Polygon or MultiPolygon, as text */
    double min_lon, min_lat, max_lon, max_lat;
} dh_boundary_row;

/* Non-zero stops the listing. */
typedef int (*dh_boundary_cb)(void *closure, const dh_boundary_row *r);

typedef struct dh_geo_ops {
    /* Inserts or replaces the boundary of (unit, valid_from). */
    dh_status (*put_boundary)(dh_conn *c, const dh_boundary_row *r, dh_err *e);
    /* Boundaries by unit, valid_from: all of them (all = true), or those
     * whose bounding box contains (lon, lat), edges included. */
    dh_status (*list_boundaries)(dh_conn *c, bool all, double lon, double lat, dh_boundary_cb cb,
                                 void *closure, dh_err *e);
    /* How many boundaries are stored (0: none loaded, the commune of a
     * feedback record is then not found from coordinates). */
    dh_status (*count_boundaries)(dh_conn *c, int64_t *n, dh_err *e);
} dh_geo_ops;

#define DH_GEO(c) (dh_conn_ops(c)->geo)

#endif
