/* geojson.c - fuzzes the GeoJSON reader of unit boundaries
 * (src/app/geojson.c) on whole files (FeatureCollection, with and without
 * a default date) and on one stored geometry: a failure has a message and
 * leaves nothing allocated. */
#include "app/geojson.h"
#include "lib/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    if (n < 1)
        return 0;
    const char *text = (const char *)d + 1;
    size_t len = n - 1;
    dh_geo_set set;
    dh_err e;
    dh_date from = (d[0] & 1) ? dh_date_from_ymd(2025, 7, 1) : DH_DATE_NONE;
    dh_status st = dh_geojson_read(text, len, "fuzz.geojson", (d[0] & 2) ? "code" : "ma",
                                   from, NULL, &set, &e);
    if (st != DH_OK) {
        FZ_CHECK(e.message[0] && set.n == 0);
    } else {
        for (size_t i = 0; i < set.n; i++) {
            FZ_CHECK(set.geometry[i] != NULL);
            dh_geo_shape shape;
            dh_err e2;
            /* What was kept must read back. */
            FZ_CHECK(dh_geojson_geometry(set.geometry[i], &shape, &e2) == DH_OK);
            dh_geo_shape_free(&shape);
        }
    }
    dh_geo_set_free(&set);
    if (d[0] & 4) {
        char *s = fz_cstr((const uint8_t *)text, len);
        dh_geo_shape shape;
        if (dh_geojson_geometry(s, &shape, &e) != DH_OK)
            FZ_CHECK(e.message[0]);
        dh_geo_shape_free(&shape);
        free(s);
    }
    return 0;
}
