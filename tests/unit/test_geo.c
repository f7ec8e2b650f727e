/* test_geo.c - point in polygon on hand-drawn shapes (edges, holes, an
 * island in a hole, multipolygons), shape checks, and the boundary in force
 * on a date across the 2025 merger of two wards of Vũng Tàu; GeoJSON
 * FeatureCollections read whole or refused with file, feature and field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "app/geojson.h"
#include "core/geo.h"

/* An axis-aligned rectangle as a closed ring (counter-clockwise). */
#define RECT(x0, y0, x1, y1) {{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}

static void test_ring_edges_and_vertices(void **state)
{
    (void)state;
    /* a concave "L": (0,0)-(2,0)-(2,1)-(1,1)-(1,2)-(0,2) */
    dh_geo_pt p[] = {{0, 0}, {2, 0}, {2, 1}, {1, 1}, {1, 2}, {0, 2}, {0, 0}};
    dh_geo_ring r = {p, 7};
    assert_true(dh_geo_ring_contains(&r, 0.5, 0.5));
    assert_true(dh_geo_ring_contains(&r, 1.5, 0.5));
    assert_true(dh_geo_ring_contains(&r, 0.5, 1.5));
    assert_false(dh_geo_ring_contains(&r, 1.5, 1.5)); /* the notch */
    assert_true(dh_geo_ring_contains(&r, 1, 0));       /* on an edge */
    assert_true(dh_geo_ring_contains(&r, 1, 1));       /* the inner vertex */
    assert_true(dh_geo_ring_contains(&r, 1.5, 1));     /* on the notch's edge */
    assert_true(dh_geo_ring_contains(&r, 0, 2));       /* a vertex */
    assert_false(dh_geo_ring_contains(&r, -0.1, 1));
    assert_false(dh_geo_ring_contains(&r, 2.0000001, 0.5));
    /* a ray through a vertex must not count twice: y = 1 passes (2,1) and (1,1) */
    assert_true(dh_geo_ring_contains(&r, 0.5, 1));
    assert_false(dh_geo_ring_contains(&r, -1, 1));
    assert_false(dh_geo_ring_contains(&r, 3, 1));
    /* the same ring clockwise gives the same answers */
    dh_geo_pt q[7];
    for (int i = 0; i < 7; i++)
        q[i] = p[6 - i];
    dh_geo_ring cw = {q, 7};
    assert_true(dh_geo_ring_contains(&cw, 0.5, 1.5));
    assert_false(dh_geo_ring_contains(&cw, 1.5, 1.5));
}

static void test_holes_and_multipolygons(void **state)
{
    (void)state;
    dh_geo_pt outer[] = RECT(0, 0, 10, 10), hole[] = RECT(4, 4, 6, 6),
              island[] = RECT(4.5, 4.5, 5.5, 5.5), far[] = RECT(20, 20, 21, 21);
    dh_geo_ring r1[] = {{outer, 5}, {hole, 5}};
    dh_geo_ring r2[] = {{island, 5}};
    dh_geo_ring r3[] = {{far, 5}};
    dh_geo_poly polys[] = {{r1, 2}, {r2, 1}, {r3, 1}};
    dh_geo_shape s = {polys, 1, 0, 0, 0, 0};
    dh_err e;
    assert_int_equal(dh_geo_shape_check(&s, &e), DH_OK);
    assert_true(dh_geo_shape_contains(&s, 1, 1));
    assert_false(dh_geo_shape_contains(&s, 4.2, 4.2)); /* in the hole */
    assert_false(dh_geo_shape_contains(&s, 5, 5));     /* in the hole */
    assert_true(dh_geo_shape_contains(&s, 4, 5));      /* on the hole's edge */
    assert_true(dh_geo_shape_contains(&s, 10, 5));     /* on the outer edge */
    assert_false(dh_geo_shape_contains(&s, 20.5, 20.5));
    /* the island in the hole and a far part: a multipolygon of three */
    s.npolys = 3;
    assert_int_equal(dh_geo_shape_check(&s, &e), DH_OK);
    assert_true(dh_geo_shape_contains(&s, 5, 5));
    assert_false(dh_geo_shape_contains(&s, 4.2, 4.2));
    assert_true(dh_geo_shape_contains(&s, 20.5, 20.5));
    assert_false(dh_geo_shape_contains(&s, 15, 15)); /* between the parts */
    assert_true(s.minx == 0 && s.miny == 0 && s.maxx == 21 && s.maxy == 21);
}

static void check_fails(dh_geo_shape *s, const char *want)
{
    dh_err e;
    assert_int_equal(dh_geo_shape_check(s, &e), DH_E_INVALID);
    assert_string_equal(e.field, "geometry");
    if (!strstr(e.message, want))
        fail_msg("message \"%s\" lacks \"%s\"", e.message, want);
}

static void test_shape_check(void **state)
{
    (void)state;
    dh_geo_pt ok[] = RECT(106, 10, 107, 11), open[] = {{106, 10}, {107, 10}, {107, 11}, {106, 11}},
              flat[] = {{106, 10}, {107, 10}, {108, 10}, {106, 10}},
              swapped[] = RECT(10, 106, 11, 107);
    dh_geo_ring rings[] = {{ok, 5}, {open, 4}};
    dh_geo_poly polys[] = {{rings, 1}, {rings, 2}};
    dh_geo_shape s = {polys, 0, 0, 0, 0, 0};
    check_fails(&s, "không có đa giác");
    s.npolys = 2;
    check_fails(&s, "polygon 2 ring 2: vòng không khép kín");
    rings[1].n = 3;
    check_fails(&s, "polygon 2 ring 2: cần ít nhất 4 điểm");
    rings[1] = (dh_geo_ring){flat, 4};
    check_fails(&s, "polygon 2 ring 2: diện tích bằng 0");
    rings[1] = (dh_geo_ring){swapped, 5}; /* latitude, longitude swapped */
    check_fails(&s, "polygon 2 ring 2 point 1: tọa độ ngoài phạm vi");
    polys[1].nrings = 0;
    check_fails(&s, "polygon 2: không có vòng ngoài");
}

/* Phường 1 (VT-P1, [0,1]x[0,1]) and Phường 2 (VT-P2, [1,2]x[0,1], enlarged
 * to [1,3]x[0,1] from 2023) were merged into Phường Vũng Tàu (HCM-VUNGTAU,
 * [0,3]x[0,1]) on 1/7/2025; the province HCM covers [0,3]x[0,2]. */
static void test_merged_ward(void **state)
{
    (void)state;
    dh_unitreg *r = dh_unitreg_new();
    dh_date d2020 = dh_date_from_ymd(2020, 1, 1), d2023 = dh_date_from_ymd(2023, 1, 1),
            end = dh_date_from_ymd(2025, 6, 30), merge = dh_date_from_ymd(2025, 7, 1);
    int32_t hcm = dh_unitreg_add_unit(r, 1, "HCM", DH_UNIT_PROVINCE, d2020, DH_DATE_NONE);
    int32_t p1 = dh_unitreg_add_unit(r, 2, "VT-P1", DH_UNIT_COMMUNE, d2020, end);
    int32_t p2 = dh_unitreg_add_unit(r, 3, "VT-P2", DH_UNIT_COMMUNE, d2020, end);
    int32_t pvt = dh_unitreg_add_unit(r, 4, "HCM-VUNGTAU", DH_UNIT_COMMUNE, merge, DH_DATE_NONE);
    dh_unitreg_add_version(r, hcm, d2020, -1, "TP. Hồ Chí Minh", "");
    dh_unitreg_add_version(r, p1, d2020, -1, "Phường 1", "");
    dh_unitreg_add_version(r, p2, d2020, -1, "Phường 2", "");
    dh_unitreg_add_version(r, pvt, merge, hcm, "Phường Vũng Tàu", "");
    dh_unitreg_finish(r);

    dh_geo_pt a[] = RECT(0, 0, 1, 1), b_old[] = RECT(1, 0, 2, 1), b_new[] = RECT(1, 0, 3, 1),
              m[] = RECT(0, 0, 3, 1), prov[] = RECT(0, 0, 3, 2);
    dh_geo_ring ra = {a, 5}, rbo = {b_old, 5}, rbn = {b_new, 5}, rm = {m, 5}, rp = {prov, 5};
    dh_geo_poly pa = {&ra, 1}, pbo = {&rbo, 1}, pbn = {&rbn, 1}, pm = {&rm, 1}, pp = {&rp, 1};
    /* in no particular order: the newer boundary of VT-P2 first */
    dh_geo_boundary bs[] = {
        {"VT-P2", d2023, {&pbn, 1, 0, 0, 0, 0}}, {"VT-P1", d2020, {&pa, 1, 0, 0, 0, 0}},
        {"HCM-VUNGTAU", merge, {&pm, 1, 0, 0, 0, 0}}, {"VT-P2", d2020, {&pbo, 1, 0, 0, 0, 0}},
        {"HCM", d2020, {&pp, 1, 0, 0, 0, 0}},
    };
    dh_err e;
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(dh_geo_shape_check(&bs[i].shape, &e), DH_OK);
    int commune = DH_UNIT_COMMUNE;
    size_t nm;
    dh_date y2022 = dh_date_from_ymd(2022, 5, 1);
    assert_string_equal(dh_geo_locate(bs, 5, r, commune, 0.5, 0.5, y2022, &nm), "VT-P1");
    assert_int_equal(nm, 1);
    assert_string_equal(dh_geo_locate(bs, 5, r, commune, 1.5, 0.5, y2022, NULL), "VT-P2");
    /* (2.5, 0.5) belonged to VT-P2 only from 2023 */
    assert_null(dh_geo_locate(bs, 5, r, commune, 2.5, 0.5, y2022, &nm));
    assert_int_equal(nm, 0);
    assert_string_equal(dh_geo_locate(bs, 5, r, commune, 2.5, 0.5, d2023, NULL), "VT-P2");
    assert_string_equal(dh_geo_locate(bs, 5, r, commune, 2.5, 0.5, end, NULL), "VT-P2");
    /* the shared edge x = 1 belongs to both: the smaller code wins, both counted */
    assert_string_equal(dh_geo_locate(bs, 5, r, commune, 1, 0.5, end, &nm), "VT-P1");
    assert_int_equal(nm, 2);
    /* from the merger on: the new ward only, the old wards claim nothing */
    const double xs[] = {0.5, 1.5, 2.5};
    for (int i = 0; i < 3; i++) {
        assert_string_equal(dh_geo_locate(bs, 5, r, commune, xs[i], 0.5, merge, &nm),
                            "HCM-VUNGTAU");
        assert_int_equal(nm, 1);
    }
    assert_null(dh_geo_locate(bs, 5, r, commune, 0.5, 0.5, dh_date_from_ymd(2019, 12, 31), NULL));
    /* outside every commune but inside the province */
    assert_null(dh_geo_locate(bs, 5, r, commune, 1.5, 1.5, merge, NULL));
    assert_string_equal(dh_geo_locate(bs, 5, r, -1, 1.5, 1.5, merge, NULL), "HCM");
    assert_string_equal(dh_geo_locate(bs, 5, r, -1, 0.5, 0.5, merge, &nm), "HCM");
    assert_int_equal(nm, 2);
    assert_null(dh_geo_locate(bs, 5, r, -1, 5, 5, merge, NULL));
    /* which boundary applies */
    assert_false(dh_geo_boundary_applies(bs, 5, 3, r, d2023)); /* VT-P2 2020, superseded */
    assert_true(dh_geo_boundary_applies(bs, 5, 3, r, y2022));
    assert_true(dh_geo_boundary_applies(bs, 5, 0, r, end));
    assert_false(dh_geo_boundary_applies(bs, 5, 0, r, merge)); /* the unit is gone */
    dh_unitreg_free(r);
}

static dh_unitreg *two_wards(void)
{
    dh_unitreg *r = dh_unitreg_new();
    dh_date d2020 = dh_date_from_ymd(2020, 1, 1), merge = dh_date_from_ymd(2025, 7, 1);
    int32_t p1 = dh_unitreg_add_unit(r, 1, "VT-P1", DH_UNIT_COMMUNE, d2020,
                                     dh_date_from_ymd(2025, 6, 30));
    int32_t pvt = dh_unitreg_add_unit(r, 2, "HCM-VUNGTAU", DH_UNIT_COMMUNE, merge, DH_DATE_NONE);
    dh_unitreg_add_version(r, p1, d2020, -1, "Phường 1", "");
    dh_unitreg_add_version(r, pvt, merge, -1, "Phường Vũng Tàu", "");
    dh_unitreg_finish(r);
    return r;
}

#define SQ(x0, y0, x1, y1)                                                                      \
    "[[" #x0 "," #y0 "],[" #x1 "," #y0 "],[" #x1 "," #y1 "],[" #x0 "," #y1 "],[" #x0 "," #y0 "]]"

static void test_geojson_read(void **state)
{
    (void)state;
    dh_unitreg *r = two_wards();
    const char *text =
        "{\"type\":\"FeatureCollection\",\"features\":["
        "{\"type\":\"Feature\",\"properties\":{\"ma\":\"VT-P1\"},"
        "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[" SQ(0, 0, 1, 1) "]}},"
        "{\"type\":\"Feature\",\"properties\":{\"ma\":\"HCM-VUNGTAU\",\"valid_from\":\"2025-07-01\"},"
        "\"geometry\":{\"type\":\"MultiPolygon\",\"coordinates\":[[" SQ(0, 0, 3, 1) "," SQ(
            1, 0.2, 2, 0.8) "],[" SQ(10, 10, 11, 11) "]]}}]}";
    dh_geo_set set;
    dh_err e;
    assert_int_equal(dh_geojson_read(text, strlen(text), "a.geojson", "ma",
                                     dh_date_from_ymd(2020, 1, 1), r, &set, &e),
                     DH_OK);
    assert_int_equal(set.n, 2);
    assert_string_equal(set.b[1].unit, "HCM-VUNGTAU");
    assert_int_equal(set.b[1].from, dh_date_from_ymd(2025, 7, 1));
    assert_int_equal(set.b[1].shape.npolys, 2);
    dh_date before = dh_date_from_ymd(2025, 6, 30), after = dh_date_from_ymd(2025, 7, 1);
    assert_string_equal(dh_geo_locate(set.b, 2, r, -1, 0.5, 0.5, before, NULL), "VT-P1");
    assert_string_equal(dh_geo_locate(set.b, 2, r, -1, 0.5, 0.5, after, NULL), "HCM-VUNGTAU");
    assert_null(dh_geo_locate(set.b, 2, r, -1, 1.5, 0.5, after, NULL)); /* the hole */
    assert_string_equal(dh_geo_locate(set.b, 2, r, -1, 10.5, 10.5, after, NULL), "HCM-VUNGTAU");
    dh_geo_set_free(&set);
    dh_unitreg_free(r);
}

/* One feature (after a good one) given as JSON must fail the whole file. */
static void bad_feature(const dh_unitreg *r, dh_date from, const char *feature, long line,
                        const char *code, const char *field, const char *msg)
{
    char text[2048];
    snprintf(text, sizeof text,
             "{\"type\":\"FeatureCollection\",\"features\":["
             "{\"type\":\"Feature\",\"properties\":{\"ma\":\"VT-P1\"},"
             "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[" SQ(0, 0, 1, 1) "]}},%s]}",
             feature);
    dh_geo_set set;
    dh_err e;
    assert_int_not_equal(dh_geojson_read(text, strlen(text), "b.geojson", "ma", from, r, &set, &e),
                         DH_OK);
    assert_int_equal(set.n, 0);
    assert_null(set.b);
    assert_string_equal(e.code, code);
    assert_string_equal(e.field, field);
    assert_int_equal(e.line, line);
    if (!strstr(e.message, msg))
        fail_msg("message \"%s\" lacks \"%s\"", e.message, msg);
}

static void test_geojson_errors(void **state)
{
    (void)state;
    dh_unitreg *r = two_wards();
    dh_date d2020 = dh_date_from_ymd(2020, 1, 1);
    const char *poly = "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[" SQ(0, 0, 1, 1) "]}";
    char f[1024];
    snprintf(f, sizeof f, "{\"type\":\"Feature\",\"properties\":{},%s}", poly);
    bad_feature(r, d2020, f, 2, "missing_unit_code", "properties.ma",
                "b.geojson: feature 2: thiếu mã đơn vị");
    snprintf(f, sizeof f, "{\"type\":\"Feature\",\"properties\":{\"ma\":\"XX\"},%s}", poly);
    bad_feature(r, d2020, f, 2, "unknown_unit", "properties.ma", "không có đơn vị mã XX");
    snprintf(f, sizeof f, "{\"type\":\"Feature\",\"properties\":{\"ma\":\"HCM-VUNGTAU\"},%s}",
             poly);
    bad_feature(r, d2020, f, 2, "unit_not_valid", "properties.ma",
                "đơn vị HCM-VUNGTAU không tồn tại vào ngày 2020-01-01");
    snprintf(f, sizeof f,
             "{\"type\":\"Feature\",\"properties\":{\"ma\":\"VT-P1\",\"valid_from\":\"1/7/2025\"},%s}",
             poly);
    bad_feature(r, d2020, f, 2, "bad_date", "properties.valid_from", "YYYY-MM-DD");
    snprintf(f, sizeof f, "{\"type\":\"Feature\",\"properties\":{\"ma\":\"VT-P1\"},%s}", poly);
    bad_feature(r, d2020, f, 2, "duplicate_boundary", "properties.valid_from",
                "đơn vị VT-P1 đã có ranh giới từ ngày 2020-01-01 ở feature 1");
    bad_feature(r, DH_DATE_NONE, f, 1, "missing_valid_from", "properties.valid_from",
                "thiếu ngày hiệu lực");
    bad_feature(r, d2020,
                "{\"type\":\"Feature\",\"properties\":{\"ma\":\"VT-P1\",\"valid_from\":\"2021-01-01\"},"
                "\"geometry\":{\"type\":\"Point\",\"coordinates\":[1,1]}}",
                2, "bad_geometry", "geometry.type", "Polygon hoặc MultiPolygon, không phải Point");
    bad_feature(r, d2020,
                "{\"type\":\"Feature\",\"properties\":{\"ma\":\"VT-P1\",\"valid_from\":\"2021-01-01\"},"
                "\"geometry\":{\"type\":\"MultiPolygon\",\"coordinates\":[[" SQ(0, 0, 1, 1)
                "],[[[0,0],[1,0],[1,1],[0,1]]]]}}",
                2, "bad_geometry", "geometry.coordinates",
                "feature 2: polygon 2 ring 1: vòng không khép kín");
    bad_feature(r, d2020,
                "{\"type\":\"Feature\",\"properties\":{\"ma\":\"VT-P1\",\"valid_from\":\"2021-01-01\"},"
                "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[1,\"x\"],[1,1],[0,0]]]}}",
                2, "bad_geometry", "geometry.coordinates", "polygon 1: tọa độ phải là mảng");
    bad_feature(r, d2020, "{\"type\":\"Thing\"}", 2, "bad_feature", "type",
                "không phải một Feature");
    /* not JSON, not a collection, empty */
    dh_geo_set set;
    dh_err e;
    const char *bad = "{\"type\":\"FeatureCollection\",\n\"features\":[,]}";
    assert_int_equal(dh_geojson_read(bad, strlen(bad), "c.geojson", "ma", d2020, r, &set, &e),
                     DH_E_MALFORMED);
    assert_int_equal(e.line, 2);
    assert_non_null(strstr(e.message, "c.geojson: dòng 2: JSON không hợp lệ"));
    bad = "{\"type\":\"Feature\"}";
    assert_int_equal(dh_geojson_read(bad, strlen(bad), "c.geojson", "ma", d2020, r, &set, &e),
                     DH_E_INVALID);
    assert_string_equal(e.code, "bad_geojson");
    bad = "{\"type\":\"FeatureCollection\",\"features\":[]}";
    assert_int_equal(dh_geojson_read(bad, strlen(bad), "c.geojson", "ma", d2020, r, &set, &e),
                     DH_E_INVALID);
    assert_non_null(strstr(e.message, "không có feature nào"));
    dh_unitreg_free(r);
}

/* The commune named in an address: whole words, NFC, case ignored, with the
 * diacritics first; the merged ward by its name valid on the date. */
static void test_commune_in_address(void **state)
{
    (void)state;
    dh_unitreg *r = dh_unitreg_new();
    dh_date d2020 = dh_date_from_ymd(2020, 1, 1), end = dh_date_from_ymd(2025, 6, 30),
            merge = dh_date_from_ymd(2025, 7, 1);
    const char *codes[] = {"VT-P1", "VT-P10", "TANAN", "TANAN2", "HCM-VUNGTAU", "HCM"};
    const char *names[] = {"Phường 1", "Phường 10", "Phường Tân An", "Phường Tấn An",
                           "Phường Vũng Tàu", "Thành phố Hồ Chí Minh"};
    for (int i = 0; i < 6; i++) {
        int32_t u = dh_unitreg_add_unit(r, i + 1, codes[i], i == 5 ? DH_UNIT_PROVINCE
                                                                   : DH_UNIT_COMMUNE,
                                        i == 4 ? merge : d2020, i < 2 ? end : DH_DATE_NONE);
        dh_unitreg_add_version(r, u, i == 4 ? merge : d2020, -1, names[i], "");
    }
    dh_unitreg_finish(r);
    assert_string_equal(dh_geo_commune_in_address(r, "5 Trần Phú, Phường 1, Vũng Tàu", end),
                        "VT-P1");
    assert_string_equal(dh_geo_commune_in_address(r, "5 Trần Phú, phường 10", end), "VT-P10");
    assert_string_equal(dh_geo_commune_in_address(r, "PHƯỜNG 1", end), "VT-P1");
    assert_null(dh_geo_commune_in_address(r, "Phường 1", merge)); /* merged away */
    assert_null(dh_geo_commune_in_address(r, "Phường 12", end));
    assert_null(dh_geo_commune_in_address(r, "Phường 1a", end));
    /* decomposed (NFD) input matches the NFC name */
    assert_string_equal(dh_geo_commune_in_address(r, "Phu\xcc\x9b\xcc\x80o\xcc\x9bng 1", end),
                        "VT-P1");
    assert_string_equal(dh_geo_commune_in_address(r, "ấp 3, phường Tấn An", end), "TANAN2");
    assert_string_equal(dh_geo_commune_in_address(r, "ấp 3, phường Tân An", end), "TANAN");
    /* without diacritics the two are the same words: the officer chooses */
    assert_null(dh_geo_commune_in_address(r, "ap 3, phuong tan an", end));
    assert_string_equal(dh_geo_commune_in_address(r, "18 Ba Cu, phuong vung tau", merge),
                        "HCM-VUNGTAU");
    assert_null(dh_geo_commune_in_address(r, "18 Ba Cu, phuong vung tau", end));
    assert_null(dh_geo_commune_in_address(r, "Thành phố Hồ Chí Minh", merge)); /* no commune */
    assert_null(dh_geo_commune_in_address(r, "", merge));
    dh_unitreg_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ring_edges_and_vertices),
        cmocka_unit_test(test_holes_and_multipolygons),
        cmocka_unit_test(test_shape_check),
        cmocka_unit_test(test_merged_ward),
        cmocka_unit_test(test_geojson_read),
        cmocka_unit_test(test_geojson_errors),
        cmocka_unit_test(test_commune_in_address),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
