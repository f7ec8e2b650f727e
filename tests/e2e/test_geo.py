"""Units' boundaries (issue 17 point 1): `dieuhanh unit geo import FILE.geojson` stores a
FeatureCollection of Polygon/MultiPolygon features versioned with the units (Phường 1 of
Vũng Tàu until its 2025 merger, Phường Vũng Tàu from 1/7/2025), all or nothing, audited;
bad input is refused naming the file, the feature and the field, and nothing is written."""
import json
import os

from harness import db_rows


def square(x0, y0, x1, y1):
    return [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]


def feature(code, geometry, valid_from=None, prop="code"):
    props = {prop: code, "ten": "tên có dấu"}
    if valid_from:
        props["valid_from"] = valid_from
    return {"type": "Feature", "properties": props, "geometry": geometry}


P1 = {"type": "Polygon", "coordinates": [square(107.07, 10.34, 107.09, 10.36)]}
VUNGTAU = {"type": "MultiPolygon",
           "coordinates": [[square(107.05, 10.32, 107.12, 10.40),
                            square(107.08, 10.35, 107.085, 10.355)],
                           [[[107.2, 10.4], [107.21, 10.4], [107.2, 10.41], [107.2, 10.4]]]]}


def write(s, name, features):
    path = os.path.join(s.dir, name)
    with open(path, "w", encoding="utf-8") as f:
        json.dump({"type": "FeatureCollection", "features": features}, f, ensure_ascii=False)
    return path


def boundaries(s):
    return db_rows(s.db, "SELECT unit, valid_from, min_lon, max_lat FROM unit_boundaries "
                         "ORDER BY unit, valid_from")


def test_geo_import_versioned_audited(ctx):
    s = ctx.server(demo=True)
    path = write(s, "ranh-gioi.geojson",
                 [feature("VT-P1", P1), feature("HCM-VUNGTAU", VUNGTAU, "2025-07-01")])
    r = s.cli("unit", "geo", "import", path, "--valid-from", "2020-01-01", "--db", s.db)
    assert r.returncode == 0, r.stderr
    assert "2 boundaries imported" in r.stdout
    assert boundaries(s) == [("HCM-VUNGTAU", "2025-07-01", 107.05, 10.41),
                             ("VT-P1", "2020-01-01", 107.07, 10.36)]
    geo = db_rows(s.db, "SELECT geometry FROM unit_boundaries WHERE unit = 'HCM-VUNGTAU'")
    assert json.loads(geo[0][0]) == VUNGTAU
    audit = db_rows(s.db, "SELECT action, entity_key, outcome FROM audit_log "
                          "WHERE entity = 'unit_boundary' ORDER BY entity_key")
    assert audit == [("geo_import", "HCM-VUNGTAU@2025-07-01", "ok"),
                     ("geo_import", "VT-P1@2020-01-01", "ok")], audit
    # a second import of the same unit and date replaces it; another property names the code
    bigger = {"type": "Polygon", "coordinates": [square(107.06, 10.33, 107.09, 10.37)]}
    path2 = write(s, "p1.geojson", [feature("VT-P1", bigger, "2020-01-01", prop="ma_xa")])
    r = s.cli("unit", "geo", "import", path2, "--code-property", "ma_xa", "--db", s.db)
    assert r.returncode == 0, r.stderr
    assert boundaries(s)[1] == ("VT-P1", "2020-01-01", 107.06, 10.37)


def test_geo_import_bad_input_writes_nothing(ctx):
    s = ctx.server(demo=True)
    good = feature("VT-P1", P1, "2020-01-01")
    cases = [
        # (features, option args, what stderr must say)
        ([good, feature("VT-P2", {"type": "Polygon", "coordinates": [
            [[107, 10], [107.1, 10], [107.1, 10.1], [107, 10.1]]]}, "2020-01-01")], [],
         "feature 2: polygon 1 ring 1: vòng không khép kín"),
        ([good, feature("KHONG-CO", P1, "2020-01-01")], [], "feature 2: không có đơn vị mã KHONG-CO"),
        ([good, feature("HCM-VUNGTAU", P1, "2024-01-01")], [],
         "feature 2: đơn vị HCM-VUNGTAU không tồn tại vào ngày 2024-01-01"),
        ([good, feature("VT-P2", {"type": "Point", "coordinates": [107, 10]}, "2020-01-01")], [],
         "feature 2: hình học phải là Polygon hoặc MultiPolygon, không phải Point"),
        ([good, feature("VT-P2", P1)], [], "feature 2: thiếu ngày hiệu lực"),
        ([good, feature("VT-P2", {"type": "Polygon", "coordinates": [
            square(10.3, 107, 10.4, 107.1)]}, "2020-01-01")], [],
         "feature 2: polygon 1 ring 1 point 1: tọa độ ngoài phạm vi"),
        ([good, good], [], "feature 2: đơn vị VT-P1 đã có ranh giới từ ngày 2020-01-01 ở feature 1"),
    ]
    for i, (features, opts, want) in enumerate(cases):
        path = write(s, "bad%d.geojson" % i, features)
        r = s.cli("unit", "geo", "import", path, *opts, "--db", s.db)
        assert r.returncode == 1, (want, r.stdout, r.stderr)
        assert path + ": " + want in r.stderr, (want, r.stderr)
    # not JSON at all, and a usage error
    path = os.path.join(s.dir, "broken.geojson")
    with open(path, "w") as f:
        f.write('{"type": "FeatureCollection",\n "features": [}')
    r = s.cli("unit", "geo", "import", path, "--db", s.db)
    assert r.returncode == 1 and path + ": dòng 2: JSON không hợp lệ" in r.stderr, r.stderr
    r = s.cli("unit", "geo", "import", path, "--valid-from", "2025-02-30", "--db", s.db)
    assert r.returncode == 2, r.stderr
    assert boundaries(s) == []
    assert db_rows(s.db, "SELECT count(*) FROM audit_log WHERE entity = 'unit_boundary'") == [(0,)]


def test_feedback_commune_from_coordinates(ctx):
    from test_feedback import configure, submit
    from harness import expect_error
    s = ctx.server(demo=True)
    admin = s.login("admin")
    configure(s, admin)
    body = {"category": "light", "description": "Đèn đường hỏng", "lat": 10.36, "long": 107.1}
    # no boundaries loaded: a location alone names no commune (nor, without a catch-all
    # rule, a handling unit)
    expect_error(submit(s, dict(body)), 422, "no_route", "commune")
    # ... but a commune named in the address does, by its name valid today
    r = submit(s, dict(body, address="18 Ba Cu, phuong Vung Tau"))
    assert r.status == 201 and r.json["commune"] == "HCM-VUNGTAU", r
    expect_error(submit(s, dict(body, address="5 Trần Phú, Phường 1")), 422, "no_route",
                 "commune")   # Phường 1 was merged away on 2025-07-01
    path = write(s, "b.geojson", [feature("VT-P1", P1, "2020-01-01"),
                                  feature("HCM-VUNGTAU", VUNGTAU, "2025-07-01")])
    r = s.cli("unit", "geo", "import", path, "--db", s.db)
    assert r.returncode == 0, r.stderr
    # today (after the 2025 merger) the point is in Phường Vũng Tàu, whose unit handles it;
    # (10.36, 107.08) was in Phường 1 before, which no longer claims it
    for lat, lon in ((10.36, 107.1), (10.345, 107.08), (10.405, 107.202)):
        r = submit(s, dict(body, lat=lat, long=lon))
        assert r.status == 201, r
        assert r.json["commune"] == "HCM-VUNGTAU" and r.json["unit"] == "HCM-VUNGTAU", r.json
    # in the hole of the multipolygon, and far away: outside every commune
    for lat, lon in ((10.352, 107.082), (21.0, 105.8)):
        expect_error(submit(s, dict(body, lat=lat, long=lon)), 422, "outside_every_unit", "lat")
    # a commune given by name wins over the coordinates
    r = submit(s, dict(body, commune="HCM-TAMTHANG"))
    assert r.status == 201 and r.json["commune"] == "HCM-TAMTHANG", r
    n = db_rows(s.db, "SELECT count(*) FROM fb_records")
    assert n == [(5,)], n


def test_feedback_commune_chosen_on_accept(ctx):
    from test_feedback import configure, submit
    from harness import expect_error
    s = ctx.server(demo=True)
    admin = s.login("admin")
    configure(s, admin)
    r = s.request("PUT", "/api/v1/feedback/routes", {"unit": "HCM"}, token=admin)
    assert r.status == 200, r
    # no boundaries, no commune in the address: routed by the catch-all rule, no commune
    r = submit(s, {"category": "light", "description": "Đèn hỏng", "address": "gần chợ"})
    assert r.status == 201 and r.json["unit"] == "HCM" and not r.json.get("commune"), r
    code = r.json["code"]
    path = "/api/v1/feedback/%s/accept" % code
    # the officer chooses a commune valid on the day of receipt (Phường 1 is merged away;
    # a province is no commune)
    for bad in ("VT-P1", "HCM", "KHONG-CO"):
        expect_error(s.request("POST", path, {"commune": bad}, token=admin), 422,
                     "unknown_commune", "commune")
    r = s.request("POST", path, {"commune": "HCM-VUNGTAU"}, token=admin)
    assert r.status == 200 and r.json["state"] == "accepted", r
    assert r.json["commune"] == "HCM-VUNGTAU", r.json
    rows = db_rows(s.db, "SELECT commune FROM fb_records WHERE code = ?", code)
    assert rows == [("HCM-VUNGTAU",)], rows
    audit = db_rows(s.db, "SELECT after_json FROM audit_log WHERE entity = 'feedback' AND "
                          "action = 'accept' AND entity_key = ?", code)
    assert json.loads(audit[0][0])["commune"] == "HCM-VUNGTAU", audit
