/* geo.c - units' boundaries: `dieuhanh unit geo import` (issue 17). */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "app/geojson.h"
#include "app/internal.h"
#include "store/geo.h"

typedef struct geo_import_cl {
    const dh_actor *a;
    const char *text;
    size_t len;
    const char *name, *code_prop;
    dh_date default_from;
    time_t now;
    size_t count;
} geo_import_cl;

static dh_status geo_import_tx(dh_tx *tx, void *closure, dh_err *e)
{
    geo_import_cl *cl = closure;
    cl->count = 0;
    if (cl->a->role != DH_ROLE_ADMIN || cl->a->scoped_admin)
        return dh_tx_deny(tx, cl->a, "geo_import", "unit_boundary", cl->name, NULL, cl->now, e,
                          "only an administrator may import units' boundaries");
    dh_geo_set set;
    dh_status st = dh_geojson_read(cl->text, cl->len, cl->name, cl->code_prop, cl->default_from,
                                   tx->reg, &set, e);
    if (st)
        return st;
    const dh_geo_ops *g = DH_GEO(tx->c);
    for (size_t i = 0; i < set.n && st == DH_OK; i++) {
        const dh_geo_boundary *b = &set.b[i];
        char from[11], key[DH_UNIT_CODE_MAX + 16];
        dh_date_format(b->from, from);
        dh_boundary_row row = {b->unit,         from,           set.geometry[i], b->shape.minx,
                               b->shape.miny,   b->shape.maxx,  b->shape.maxy};
        st = g->put_boundary(tx->c, &row, e);
        if (st)
            break;
        snprintf(key, sizeof key, "%s@%s", b->unit, from);
        json_t *after = json_pack("{s:s, s:s, s:s, s:[f,f,f,f], s:I}", "unit", b->unit,
                                  "valid_from", from, "file", cl->name, "bbox", b->shape.minx,
                                  b->shape.miny, b->shape.maxx, b->shape.maxy, "polygons",
                                  (json_int_t)b->shape.npolys);
        st = dh_app_audit(tx->c, cl->a, "geo_import", "unit_boundary", key, b->unit, "ok", NULL,
                          after, cl->now, e);
        json_decref(after);
    }
    if (st == DH_OK)
        cl->count = set.n;
    dh_geo_set_free(&set);
    return st;
}

dh_status dh_app_unit_geo_import(dh_app *app, const dh_actor *a, const char *text, size_t len,
                                 const char *name, const char *code_prop, dh_date default_from,
                                 time_t now, size_t *count, dh_err *e)
{
    geo_import_cl cl = {a, text, len, name, code_prop, default_from, now, 0};
    dh_status st = dh_tx_run(app, DH_TX_UNITS, geo_import_tx, &cl, e);
    *count = st == DH_OK ? cl.count : 0;
    return st;
}
