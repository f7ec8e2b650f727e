/* geo.h - unit boundaries and point in polygon (issue 17): which commune a
 * feedback record's coordinates fall in, on the record's date.
 *
 * Pure: shapes, the unit registry and the date are parameters. Coordinates
 * are GeoJSON's (x = longitude, y = latitude, WGS 84), compared in the plane,
 * which is exact enough at the size of a commune.
 *
 * A shape is a multipolygon; each polygon is an outer ring followed by its
 * holes (GeoJSON order). A point on a ring's edge belongs to the polygon (on
 * the outer edge: inside; on a hole's edge: still inside, the hole is open).
 *
 * Boundaries are versioned with the units: a boundary belongs to a unit from
 * a date (`from`) until the unit's next boundary starts; it applies on d only
 * while the unit itself exists on d (a ward merged away on 2025-07-01 no
 * longer claims its old territory; its successor's boundary does). */
#ifndef DH_CORE_GEO_H
#define DH_CORE_GEO_H

#include <stdbool.h>
#include <stddef.h>

#include "core/unit.h"
#include "util/date.h"
#include "util/err.h"

typedef struct dh_geo_pt {
    double x, y; /* longitude, latitude */
} dh_geo_pt;

typedef struct dh_geo_ring {
    dh_geo_pt *p; /* closed: p[0] == p[n-1] */
    size_t n;
} dh_geo_ring;

typedef struct dh_geo_poly {
    dh_geo_ring *rings; /* rings[0] outer, the others holes */
    size_t nrings;
} dh_geo_poly;

typedef struct dh_geo_shape {
    dh_geo_poly *polys;
    size_t npolys;
    double minx, miny, maxx, maxy; /* set by dh_geo_shape_bbox */
} dh_geo_shape;

typedef struct dh_geo_boundary {
    const char *unit; /* the unit's code (borrowed) */
    dh_date from;     /* first date the boundary applies */
    dh_geo_shape shape;
} dh_geo_boundary;

/* Checks a shape and sets its bounding box: at least one polygon, each with
 * an outer ring; every ring closed, with at least 4 positions, finite
 * coordinates, longitude in [-180, 180], latitude in [-90, 90], and a
 * non-zero area. The error names the polygon and ring ("polygon 2 ring 1:
 * ..."; field "geometry"). */
dh_status dh_geo_shape_check(dh_geo_shape *s, dh_err *e);

/* The bounding box of s into s->min/max (done by dh_geo_shape_check). */
void dh_geo_shape_bbox(dh_geo_shape *s);

/* Whether (x, y) is inside the ring or on its edge. */
bool dh_geo_ring_contains(const dh_geo_ring *r, double x, double y);

/* Whether (x, y) is in the shape: inside or on the outer ring of one of its
 * polygons and not strictly inside one of that polygon's holes. Needs the
 * bounding box (dh_geo_shape_check or dh_geo_shape_bbox). */
bool dh_geo_shape_contains(const dh_geo_shape *s, double x, double y);

/* Whether b[i] is the boundary that applies to its unit on d: the one of
 * that unit with the latest `from` on or before d, while the unit exists on
 * d in r. */
bool dh_geo_boundary_applies(const dh_geo_boundary *b, size_t n, size_t i,
                             const dh_unitreg *r, dh_date d);

/* The code of the unit whose boundary applying on d contains (x, y), or NULL
 * when none does. When boundaries overlap (several units contain the point),
 * the one with the smallest code wins, and *nmatch (may be NULL) tells how
 * many matched. `kind` limits the search to units of that kind on d (-1 =
 * any). */
const char *dh_geo_locate(const dh_geo_boundary *b, size_t n, const dh_unitreg *r, int kind,
                          double x, double y, dh_date d, size_t *nmatch);

/* The commune named in a free-text address on d: the unit of kind commune
 * valid on d whose name (as of d) appears in the address as whole words,
 * compared in NFC ignoring case, first with the diacritics ("Phường Vũng
 * Tàu"), then, when no name matches so, without them ("phuong vung tau").
 * The longest match wins; two different communes matching equally long
 * (or none) give NULL: the officer who accepts the record chooses. */
const char *dh_geo_commune_in_address(const dh_unitreg *r, const char *address, dh_date d);

#endif
