"""The demo province: the checks issue 2 names, through the real API."""
import unicodedata
from urllib.parse import quote


def test_vung_tau_had_17_communes_at_end_of_2024(ctx):
    s = ctx.server(demo=True)
    t = s.login("xem.tinh")
    r = s.request("GET", "/api/v1/units/BRVT-VT/children?as_of=2024-12-31", token=t)
    assert r.status == 200, r
    communes = [u for u in r.json["items"] if u["kind"] == "commune"]
    assert len(communes) == 17, [u["code"] for u in communes]
    assert all(u["parent"] == "BRVT-VT" for u in communes)
    names = {u["name"] for u in communes}
    assert "Phường Thắng Nhì" in names and "Xã Long Sơn" in names


def test_new_ward_vung_tau_and_its_lineage(ctx):
    s = ctx.server(demo=True)
    t = s.login("lanhdao.hcm")
    r = s.request("GET", "/api/v1/units/HCM-VUNGTAU?as_of=2025-07-01", token=t)
    assert r.status == 200, r
    u = r.json
    assert u["name"] == "Phường Vũng Tàu" and u["kind"] == "commune"
    assert u["valid_from"] == "2025-07-01" and u["parent"] == "HCM"
    assert u["exists_on_as_of"] is True
    r = s.request("GET", "/api/v1/units/HCM-VUNGTAU?as_of=2025-06-30", token=t)
    assert r.status == 200 and r.json["exists_on_as_of"] is False
    r = s.request("GET", "/api/v1/units/HCM-VUNGTAU/lineage", token=t)
    assert r.status == 200, r
    assert r.json["predecessors"] == ["VT-P1", "VT-P2", "VT-P3", "VT-P4", "VT-P5", "VT-TNHI",
                                      "VT-TTAM"], r.json
    assert r.json["successors"] == []
    # the other direction, and the old ward's last day
    r = s.request("GET", "/api/v1/units/VT-P3/lineage", token=t)
    assert r.json["successors"] == ["HCM-VUNGTAU"], r.json
    r = s.request("GET", "/api/v1/units/VT-P3", token=t)
    assert r.json["valid_to"] == "2025-06-30"
    # the old city no longer exists; its wards were regrouped
    r = s.request("GET", "/api/v1/units/BRVT-VT/children?as_of=2025-07-01", token=t)
    assert r.status == 200 and r.json["items"] == [], r.json


def test_search_vung_tau_ignores_case_and_diacritics(ctx):
    s = ctx.server(demo=True)
    t = s.login("xem.tinh")
    for q in ("vung tau", "VUNG TAU", "Vũng Tàu", unicodedata.normalize("NFD", "vũng tàu")):
        r = s.request("GET", "/api/v1/units?q=" + quote(q), token=t)
        assert r.status == 200, r
        names = [u["name"] for u in r.json["items"]]
        assert "Thành phố Vũng Tàu" in names, (q, names)
        assert "Phường Vũng Tàu" in names, (q, names)
        assert "Tỉnh Bà Rịa – Vũng Tàu" in names, (q, names)
        assert "Sở Y tế" not in names


def test_search_tone_placement_and_d(ctx):
    s = ctx.server(demo=True)
    t = s.login("xem.tinh")
    # "Văn hóa" is stored with the new tone placement; the old one ("hoá") must match too
    for q in ("van hoa", "Văn hoá", "Văn hóa"):
        r = s.request("GET", "/api/v1/units?as_of=2024-12-31&q=" + quote(q), token=t)
        names = [u["name"] for u in r.json["items"]]
        assert "Sở Văn hóa và Thể thao" in names, (q, names)
    r = s.request("GET", "/api/v1/units?as_of=2024-12-31&q=" + quote("dat do"), token=t)
    assert [u["code"] for u in r.json["items"]] == ["BRVT-DD"], r.json


def test_tree_as_of_dates(ctx):
    s = ctx.server(demo=True)
    t = s.login("admin")
    r = s.request("GET", "/api/v1/unit-tree?as_of=2024-12-31", token=t)
    assert r.status == 200, r
    roots = {u["code"]: u for u in r.json["items"]}
    assert set(roots) == {"HCM", "BD", "BRVT"}
    brvt = {u["code"]: u for u in roots["BRVT"]["children"]}
    assert len([u for u in brvt.values() if u["kind"] == "district"]) == 8
    r = s.request("GET", "/api/v1/unit-tree?as_of=2025-07-01", token=t)
    roots = {u["code"]: u for u in r.json["items"]}
    assert set(roots) == {"HCM"}, set(roots)
    kids = {u["code"] for u in roots["HCM"]["children"]}
    assert {"HCM-VUNGTAU", "HCM-TAMTHANG", "HCM-RACHDUA", "HCM-PHUOCTHANG", "VT-LS",
            "HCM-CONDAO"} <= kids


def test_demo_is_idempotent(ctx):
    s = ctx.server(demo=True)
    r = s.cli("demo", "--db", s.db, "--no-serve")
    assert r.returncode == 0, r.stderr
    assert "already" in (r.stdout + r.stderr)
    t = s.login("admin")
    r = s.request("GET", "/api/v1/units?limit=500&as_of=2024-12-31", token=t)
    codes = [u["code"] for u in r.json["items"]]
    assert len(codes) == len(set(codes))
