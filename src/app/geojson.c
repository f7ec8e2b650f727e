/* geojson.c - unit boundaries from a GeoJSON FeatureCollection (see
 * geojson.h). */
#include "app/geojson.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void dh_geo_shape_free(dh_geo_shape *s)
{
    for (size_t i = 0; i < s->npolys; i++) {
        for (size_t j = 0; j < s->polys[i].nrings; j++)
            free(s->polys[i].rings[j].p);
        free(s->polys[i].rings);
    }
    free(s->polys);
    memset(s, 0, sizeof *s);
}

void dh_geo_set_free(dh_geo_set *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free((char *)s->b[i].unit);
        dh_geo_shape_free(&s->b[i].shape);
        if (s->geometry)
            free(s->geometry[i]);
    }
    free(s->b);
    free(s->geometry);
    s->b = NULL;
    s->geometry = NULL;
    s->n = 0;
}

/* Fails feature k (1-based) of file: "FILE: feature K: reason". */
__attribute__((format(printf, 6, 7))) static dh_status
feat_err(dh_err *e, const char *file, size_t k, const char *code, const char *field,
         const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    dh_err_set(e, DH_E_INVALID, code, field, "%s: feature %zu: %s", file, k, msg);
    e->line = (long)k;
    return DH_E_INVALID;
}

/* A polygon's coordinates: an array of rings, each an array of [x, y, ...]. */
static int read_poly(json_t *jp, dh_geo_poly *pg)
{
    if (!json_is_array(jp))
        return -1;
    size_t nr = json_array_size(jp);
    pg->rings = calloc(nr ? nr : 1, sizeof *pg->rings);
    if (!pg->rings)
        return -1;
    pg->nrings = nr;
    for (size_t j = 0; j < nr; j++) {
        json_t *jr = json_array_get(jp, j);
        if (!json_is_array(jr))
            return -1;
        size_t np = json_array_size(jr);
        dh_geo_ring *r = &pg->rings[j];
        r->p = calloc(np ? np : 1, sizeof *r->p);
        if (!r->p)
            return -1;
        r->n = np;
        for (size_t k = 0; k < np; k++) {
            json_t *pos = json_array_get(jr, k);
            if (!json_is_array(pos) || json_array_size(pos) < 2 ||
                !json_is_number(json_array_get(pos, 0)) || !json_is_number(json_array_get(pos, 1)))
                return -1;
            r->p[k].x = json_number_value(json_array_get(pos, 0));
            r->p[k].y = json_number_value(json_array_get(pos, 1));
        }
    }
    return 0;
}

static dh_status read_geometry(json_t *g, const char *file, size_t k, dh_geo_shape *s, dh_err *e)
{
    const char *type = json_string_value(json_object_get(g, "type"));
    json_t *c = json_object_get(g, "coordinates");
    if (!type || (strcmp(type, "Polygon") != 0 && strcmp(type, "MultiPolygon") != 0))
        return feat_err(e, file, k, "bad_geometry", "geometry.type",
                        "hình học phải là Polygon hoặc MultiPolygon, không phải %s",
                        type ? type : "(không có)");
    bool multi = strcmp(type, "MultiPolygon") == 0;
    if (!json_is_array(c))
        return feat_err(e, file, k, "bad_geometry", "geometry.coordinates",
                        "thiếu mảng tọa độ");
    size_t np = multi ? json_array_size(c) : 1;
    s->polys = calloc(np ? np : 1, sizeof *s->polys);
    if (!s->polys)
        return dh_err_set(e, DH_E_INTERNAL, "out_of_memory", "", "hết bộ nhớ");
    s->npolys = np;
    for (size_t i = 0; i < np; i++)
        if (read_poly(multi ? json_array_get(c, i) : c, &s->polys[i]) != 0)
            return feat_err(e, file, k, "bad_geometry", "geometry.coordinates",
                            "polygon %zu: tọa độ phải là mảng các vòng, mỗi vòng là mảng các "
                            "điểm [kinh độ, vĩ độ]",
                            i + 1);
    dh_err ge;
    if (dh_geo_shape_check(s, &ge) != DH_OK)
        return feat_err(e, file, k, ge.code, "geometry.coordinates", "%s", ge.message);
    return DH_OK;
}

static dh_status read_feature(json_t *f, const char *file, size_t k, const char *code_prop,
                              dh_date default_from, const dh_unitreg *r, dh_geo_boundary *b,
                              dh_err *e)
{
    if (!json_is_object(f) || !json_is_string(json_object_get(f, "type")) ||
        strcmp(json_string_value(json_object_get(f, "type")), "Feature") != 0)
        return feat_err(e, file, k, "bad_feature", "type", "không phải một Feature");
    json_t *props = json_object_get(f, "properties");
    const char *code = json_string_value(json_object_get(props, code_prop));
    char field[80];
    snprintf(field, sizeof field, "properties.%s", code_prop);
    if (!code || !*code)
        return feat_err(e, file, k, "missing_unit_code", field, "thiếu mã đơn vị (thuộc tính %s)",
                        code_prop);
    b->from = default_from;
    json_t *vf = json_object_get(props, "valid_from");
    if (vf && !json_is_null(vf)) {
        if (!json_is_string(vf) || dh_date_parse(json_string_value(vf), &b->from) != 0)
            return feat_err(e, file, k, "bad_date", "properties.valid_from",
                            "ngày hiệu lực phải có dạng YYYY-MM-DD");
    }
    if (b->from == DH_DATE_NONE)
        return feat_err(e, file, k, "missing_valid_from", "properties.valid_from",
                        "thiếu ngày hiệu lực (thuộc tính valid_from hoặc tùy chọn --valid-from)");
    if (r) {
        int32_t u = dh_unitreg_find(r, code);
        char d[11];
        dh_date_format(b->from, d);
        if (u < 0)
            return feat_err(e, file, k, "unknown_unit", field, "không có đơn vị mã %s", code);
        if (!dh_unitreg_valid_at(r, u, b->from))
            return feat_err(e, file, k, "unit_not_valid", field,
                            "đơn vị %s không tồn tại vào ngày %s", code, d);
    }
    b->unit = strdup(code);
    if (!b->unit)
        return dh_err_set(e, DH_E_INTERNAL, "out_of_memory", "", "hết bộ nhớ");
    return read_geometry(json_object_get(f, "geometry"), file, k, &b->shape, e);
}

dh_status dh_geojson_read(const char *text, size_t len, const char *file, const char *code_prop,
                          dh_date default_from, const dh_unitreg *r, dh_geo_set *out, dh_err *e)
{
    memset(out, 0, sizeof *out);
    json_error_t je;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        dh_err_set(e, DH_E_MALFORMED, "bad_json", "", "%s: dòng %d: JSON không hợp lệ: %s", file,
                   je.line, je.text);
        e->line = je.line;
        return DH_E_MALFORMED;
    }
    dh_status st = DH_OK;
    json_t *feats = json_object_get(root, "features");
    const char *type = json_string_value(json_object_get(root, "type"));
    if (!type || strcmp(type, "FeatureCollection") != 0 || !json_is_array(feats)) {
        st = dh_err_set(e, DH_E_INVALID, "bad_geojson", "type",
                        "%s: phải là một FeatureCollection có mảng features", file);
        goto done;
    }
    size_t n = json_array_size(feats);
    if (n == 0) {
        st = dh_err_set(e, DH_E_INVALID, "bad_geojson", "features",
                        "%s: không có feature nào", file);
        goto done;
    }
    out->b = calloc(n, sizeof *out->b);
    out->geometry = calloc(n, sizeof *out->geometry);
    if (!out->b || !out->geometry) {
        st = dh_err_set(e, DH_E_INTERNAL, "out_of_memory", "", "hết bộ nhớ");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        out->n = i + 1; /* so that a failure frees what this feature holds */
        st = read_feature(json_array_get(feats, i), file, i + 1, code_prop, default_from, r,
                          &out->b[i], e);
        if (st != DH_OK)
            goto done;
        out->geometry[i] =
            json_dumps(json_object_get(json_array_get(feats, i), "geometry"), JSON_COMPACT);
        if (!out->geometry[i]) {
            st = dh_err_set(e, DH_E_INTERNAL, "out_of_memory", "", "hết bộ nhớ");
            goto done;
        }
        for (size_t j = 0; j < i; j++)
            if (out->b[j].from == out->b[i].from && strcmp(out->b[j].unit, out->b[i].unit) == 0) {
                char d[11];
                dh_date_format(out->b[i].from, d);
                st = feat_err(e, file, i + 1, "duplicate_boundary", "properties.valid_from",
                              "đơn vị %s đã có ranh giới từ ngày %s ở feature %zu",
                              out->b[i].unit, d, j + 1);
                goto done;
            }
    }
done:
    json_decref(root);
    if (st != DH_OK)
        dh_geo_set_free(out);
    return st;
}

dh_status dh_geojson_geometry(const char *text, dh_geo_shape *out, dh_err *e)
{
    memset(out, 0, sizeof *out);
    json_error_t je;
    json_t *g = json_loads(text, 0, &je);
    if (!g)
        return dh_err_set(e, DH_E_INTERNAL, "bad_boundary", "geometry",
                          "a stored boundary is not JSON: %s", je.text);
    dh_status st = read_geometry(g, "boundary", 1, out, e);
    json_decref(g);
    return st;
}
