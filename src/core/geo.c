/* geo.c - point in polygon and the boundary in force on a date (see geo.h). */
#include "core/geo.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "util/text.h"

dh_status dh_geo_shape_check(dh_geo_shape *s, dh_err *e)
{
    if (s->npolys == 0)
        return dh_err_set(e, DH_E_INVALID, "bad_geometry", "geometry", "không có đa giác nào");
    for (size_t i = 0; i < s->npolys; i++) {
        const dh_geo_poly *pg = &s->polys[i];
        if (pg->nrings == 0)
            return dh_err_set(e, DH_E_INVALID, "bad_geometry", "geometry",
                              "polygon %zu: không có vòng ngoài", i + 1);
        for (size_t j = 0; j < pg->nrings; j++) {
            const dh_geo_ring *r = &pg->rings[j];
            if (r->n < 4)
                return dh_err_set(e, DH_E_INVALID, "bad_geometry", "geometry",
                                  "polygon %zu ring %zu: cần ít nhất 4 điểm, có %zu", i + 1,
                                  j + 1, r->n);
            double area2 = 0;
            for (size_t k = 0; k < r->n; k++) {
                double x = r->p[k].x, y = r->p[k].y;
                if (!isfinite(x) || !isfinite(y) || x < -180 || x > 180 || y < -90 || y > 90)
                    return dh_err_set(e, DH_E_INVALID, "bad_geometry", "geometry",
                                      "polygon %zu ring %zu point %zu: tọa độ ngoài phạm vi "
                                      "(kinh độ -180..180, vĩ độ -90..90)",
                                      i + 1, j + 1, k + 1);
                if (k + 1 < r->n)
                    area2 += x * r->p[k + 1].y - r->p[k + 1].x * y;
            }
            if (r->p[0].x != r->p[r->n - 1].x || r->p[0].y != r->p[r->n - 1].y)
                return dh_err_set(e, DH_E_INVALID, "bad_geometry", "geometry",
                                  "polygon %zu ring %zu: vòng không khép kín (điểm đầu khác điểm "
                                  "cuối)",
                                  i + 1, j + 1);
            if (area2 == 0)
                return dh_err_set(e, DH_E_INVALID, "bad_geometry", "geometry",
                                  "polygon %zu ring %zu: diện tích bằng 0", i + 1, j + 1);
        }
    }
    dh_geo_shape_bbox(s);
    return DH_OK;
}

void dh_geo_shape_bbox(dh_geo_shape *s)
{
    s->minx = s->miny = INFINITY;
    s->maxx = s->maxy = -INFINITY;
    for (size_t i = 0; i < s->npolys; i++) {
        /* the outer ring bounds its holes */
        const dh_geo_ring *r = s->polys[i].nrings ? &s->polys[i].rings[0] : NULL;
        for (size_t k = 0; r && k < r->n; k++) {
            s->minx = fmin(s->minx, r->p[k].x);
            s->maxx = fmax(s->maxx, r->p[k].x);
            s->miny = fmin(s->miny, r->p[k].y);
            s->maxy = fmax(s->maxy, r->p[k].y);
        }
    }
}

/* Whether (x, y) lies on the segment a-b (exactly, up to rounding of the
 * cross product relative to the segment's size). */
static bool on_segment(dh_geo_pt a, dh_geo_pt b, double x, double y)
{
    if (x < fmin(a.x, b.x) || x > fmax(a.x, b.x) || y < fmin(a.y, b.y) || y > fmax(a.y, b.y))
        return false;
    double cross = (b.x - a.x) * (y - a.y) - (b.y - a.y) * (x - a.x);
    double scale = fabs(b.x - a.x) + fabs(b.y - a.y);
    return fabs(cross) <= 1e-12 * (scale > 0 ? scale : 1);
}

/* -1 on the edge, 1 strictly inside, 0 outside (crossing number). */
static int ring_where(const dh_geo_ring *r, double x, double y)
{
    bool in = false;
    for (size_t i = 0, j = r->n - 1; i < r->n; j = i++) {
        dh_geo_pt a = r->p[j], b = r->p[i];
        if (on_segment(a, b, x, y))
            return -1;
        if ((b.y > y) != (a.y > y) && x < (a.x - b.x) * (y - b.y) / (a.y - b.y) + b.x)
            in = !in;
    }
    return in ? 1 : 0;
}

bool dh_geo_ring_contains(const dh_geo_ring *r, double x, double y)
{
    return r->n > 0 && ring_where(r, x, y) != 0;
}

bool dh_geo_shape_contains(const dh_geo_shape *s, double x, double y)
{
    if (x < s->minx || x > s->maxx || y < s->miny || y > s->maxy)
        return false;
    for (size_t i = 0; i < s->npolys; i++) {
        const dh_geo_poly *pg = &s->polys[i];
        if (pg->nrings == 0 || !dh_geo_ring_contains(&pg->rings[0], x, y))
            continue;
        bool in_hole = false;
        for (size_t h = 1; h < pg->nrings && !in_hole; h++)
            in_hole = pg->rings[h].n > 0 && ring_where(&pg->rings[h], x, y) == 1;
        if (!in_hole)
            return true;
    }
    return false;
}

bool dh_geo_boundary_applies(const dh_geo_boundary *b, size_t n, size_t i,
                             const dh_unitreg *r, dh_date d)
{
    if (b[i].from > d)
        return false;
    int32_t u = dh_unitreg_find(r, b[i].unit);
    if (u < 0 || !dh_unitreg_valid_at(r, u, d))
        return false;
    for (size_t k = 0; k < n; k++)
        if (k != i && strcmp(b[k].unit, b[i].unit) == 0 && b[k].from <= d &&
            (b[k].from > b[i].from || (b[k].from == b[i].from && k > i)))
            return false;
    return true;
}

const char *dh_geo_locate(const dh_geo_boundary *b, size_t n, const dh_unitreg *r, int kind,
                          double x, double y, dh_date d, size_t *nmatch)
{
    const char *best = NULL;
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (!dh_geo_shape_contains(&b[i].shape, x, y) || !dh_geo_boundary_applies(b, n, i, r, d))
            continue;
        if (kind >= 0 && r->u[dh_unitreg_find(r, b[i].unit)].kind != (dh_unit_kind)kind)
            continue;
        m++;
        if (!best || strcmp(b[i].unit, best) < 0)
            best = b[i].unit;
    }
    if (nmatch)
        *nmatch = m;
    return best;
}

/* NFC, case folded; NULL for invalid UTF-8. */
static char *casefold(const char *s)
{
    utf8proc_uint8_t *out = NULL;
    if (utf8proc_map((const utf8proc_uint8_t *)s, 0, &out,
                     UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD) < 0)
        return NULL;
    return (char *)out;
}

/* A byte that may continue a word: an ASCII letter or digit, or any byte of
 * a multi-byte character (a Vietnamese letter). */
static bool wordish(unsigned char c) { return c >= 0x80 || isalnum(c); }

/* Whether needle occurs in hay as whole words. */
static bool has_words(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    if (n == 0)
        return false;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle)) {
        bool left = p == hay || !wordish((unsigned char)p[-1]) || !wordish((unsigned char)p[0]);
        bool right = !wordish((unsigned char)p[n]) || !wordish((unsigned char)p[n - 1]);
        if (left && right)
            return true;
    }
    return false;
}

const char *dh_geo_commune_in_address(const dh_unitreg *r, const char *address, dh_date d)
{
    if (!address || !*address)
        return NULL;
    const char *found = NULL;
    for (int pass = 0; pass < 2 && !found; pass++) {
        char *hay = pass == 0 ? casefold(address) : dh_text_fold(address);
        if (!hay)
            return NULL;
        size_t best = 0;
        bool tie = false;
        for (size_t i = 0; i < r->n; i++) {
            const dh_unit_version *v;
            if (r->u[i].kind != DH_UNIT_COMMUNE || !(v = dh_unitreg_at(r, (int32_t)i, d)))
                continue;
            char *name = pass == 0 ? casefold(v->name) : dh_text_fold(v->name);
            if (name && has_words(hay, name)) {
                size_t len = strlen(name);
                if (len > best) {
                    best = len;
                    found = r->u[i].code;
                    tie = false;
                } else if (len == best) {
                    tie = true;
                }
            }
            free(name);
        }
        free(hay);
        if (tie)
            return NULL;
    }
    return found;
}
