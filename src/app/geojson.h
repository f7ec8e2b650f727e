/* geojson.h - reading unit boundaries from a GeoJSON FeatureCollection
 * (RFC 7946) for `dieuhanh unit geo import` (issue 17).
 *
 * Every feature is a Polygon or MultiPolygon with a property naming the
 * unit's code (`code_prop`) and, optionally, a `valid_from` property
 * (YYYY-MM-DD) that overrides the date given for the whole file. The whole
 * file is read before anything is kept: the first bad feature fails it, with
 * the file, the feature's index (1-based, in e->line) and the field. With a
 * registry, each unit must exist there on its boundary's first date, and a
 * unit may have only one boundary per date in the file. */
#ifndef DH_APP_GEOJSON_H
#define DH_APP_GEOJSON_H

#include <stddef.h>

#include "core/geo.h"
#include "core/unit.h"
#include "util/date.h"
#include "util/err.h"

typedef struct dh_geo_set {
    dh_geo_boundary *b; /* b[i].unit and the shapes owned by the set */
    char **geometry;    /* each feature's geometry as compact GeoJSON text */
    size_t n;
} dh_geo_set;

/* Parses text (len bytes) into *out (zeroed first; freed on failure).
 * default_from is DH_DATE_NONE when the file must give `valid_from` itself.
 * r may be NULL (no check against the registry). */
dh_status dh_geojson_read(const char *text, size_t len, const char *file, const char *code_prop,
                          dh_date default_from, const dh_unitreg *r, dh_geo_set *out, dh_err *e);

void dh_geo_set_free(dh_geo_set *s);

/* One stored geometry (a Polygon or MultiPolygon as GeoJSON text) into *out,
 * checked; dh_geo_shape_free releases it (also after a failure). */
dh_status dh_geojson_geometry(const char *text, dh_geo_shape *out, dh_err *e);
void dh_geo_shape_free(dh_geo_shape *s);

#endif
