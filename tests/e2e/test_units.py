"""Units and their history over the API: writes per role, bad input, audit."""
import unicodedata
from urllib.parse import quote

import harness
from harness import expect_error


def base(s):
    """A small province of our own on an empty database; returns the admin token."""
    t = s.login_admin()
    units = [
        {"code": "T", "name": "Tỉnh Thử", "kind": "province", "valid_from": "2020-01-01"},
        {"code": "T-H1", "name": "Huyện Một", "kind": "district", "parent": "T",
         "valid_from": "2020-01-01"},
        {"code": "T-H2", "name": "Huyện Hai", "kind": "district", "parent": "T",
         "valid_from": "2020-01-01"},
        {"code": "H1-X1", "name": "Xã Một", "kind": "commune", "parent": "T-H1",
         "valid_from": "2020-01-01"},
        {"code": "H1-X2", "name": "Xã Hai", "kind": "commune", "parent": "T-H1",
         "valid_from": "2020-01-01"},
        {"code": "H2-X3", "name": "Xã Ba", "kind": "commune", "parent": "T-H2",
         "valid_from": "2020-01-01"},
    ]
    for u in units:
        r = s.request("POST", "/api/v1/units", u, token=t)
        assert r.status == 201, r
    return t


def admin_server(ctx):
    s = ctx.server()
    r = s.cli("user", "add", "root", "--role", "admin", "--db", s.db, stdin="mat-khau-quan-tri\n")
    assert r.returncode == 0, r.stderr
    s.login_admin = lambda: s.login("root", "mat-khau-quan-tri")
    return s


def add_user(s, admin, login, role, unit):
    r = s.request("POST", "/api/v1/users", {"login": login, "password": "mat-khau-" + login,
                                            "role": role, "unit": unit}, token=admin)
    assert r.status == 201, r
    return s.login(login, "mat-khau-" + login)


def audit(s, admin, **q):
    qs = "&".join("%s=%s" % (k, quote(v)) for k, v in q.items())
    r = s.request("GET", "/api/v1/audit?limit=500&" + qs, token=admin)
    assert r.status == 200, r
    return r.json["items"]


def test_unit_rendering_and_nfc(ctx):
    s = admin_server(ctx)
    t = base(s)
    nfd = unicodedata.normalize("NFD", "Phường Thắng  Nhì ")
    r = s.request("POST", "/api/v1/units", {"code": "H2-X4", "name": nfd, "kind": "commune",
                                            "parent": "T-H2", "valid_from": "2021-03-01"}, token=t)
    assert r.status == 201, r
    u = r.json
    assert u["name"] == "Phường Thắng Nhì" and unicodedata.is_normalized("NFC", u["name"])
    for k in ("code", "name", "short_name", "kind", "parent", "valid_from", "valid_to"):
        assert k in u, k
    assert u["parent"] == "T-H2" and u["valid_to"] is None and u["valid_from"] == "2021-03-01"
    r = s.request("GET", "/api/v1/units?q=" + quote("thang nhi"), token=t)
    assert [x["code"] for x in r.json["items"]] == ["H2-X4"]


def test_rename_and_move_keep_history(ctx):
    s = admin_server(ctx)
    t = base(s)
    r = s.request("PATCH", "/api/v1/units/H1-X1", {"name": "Phường Một", "effective": "2023-01-01"},
                  token=t)
    assert r.status == 200, r
    r = s.request("POST", "/api/v1/unit-events", {"kind": "move", "effective": "2024-01-01",
                                                  "unit": "H1-X1", "parent": "T-H2",
                                                  "source": "QĐ 1/QĐ-UBND"}, token=t)
    assert r.status == 201, r
    g = lambda d: s.request("GET", "/api/v1/units/H1-X1?as_of=" + d, token=t).json
    assert g("2022-12-31")["name"] == "Xã Một" and g("2022-12-31")["parent"] == "T-H1"
    assert g("2023-06-01")["name"] == "Phường Một" and g("2023-06-01")["parent"] == "T-H1"
    assert g("2024-01-01")["parent"] == "T-H2"
    kids = lambda c, d: sorted(x["code"] for x in s.request(
        "GET", "/api/v1/units/%s/children?as_of=%s" % (c, d), token=t).json["items"])
    assert kids("T-H1", "2023-12-31") == ["H1-X1", "H1-X2"]
    assert kids("T-H1", "2024-01-01") == ["H1-X2"]
    assert kids("T-H2", "2024-01-01") == ["H1-X1", "H2-X3"]
    anc = s.request("GET", "/api/v1/units/H1-X1/ancestors?as_of=2024-02-01", token=t).json
    assert [x["code"] for x in anc["items"]] == ["T-H2", "T"], anc
    # searching without as_of finds a unit by a name it used to have
    r = s.request("GET", "/api/v1/units?q=" + quote("xa mot"), token=t)
    assert [x["code"] for x in r.json["items"]] == ["H1-X1"]


def test_merge_split_partial_and_lineage(ctx):
    s = admin_server(ctx)
    t = base(s)
    r = s.request("POST", "/api/v1/unit-events", {
        "kind": "merge", "effective": "2025-07-01", "source": "NQ 1/NQ-UBTVQH15",
        "from": [{"unit": "H1-X1"}, {"unit": "H1-X2", "partial": True}],
        "to": [{"unit": "T-M", "name": "Phường Mới", "kind": "commune", "parent": "T"}]}, token=t)
    assert r.status == 201, r
    r = s.request("POST", "/api/v1/unit-events", {
        "kind": "split", "effective": "2025-07-01", "source": "NQ 1/NQ-UBTVQH15",
        "from": [{"unit": "H2-X3"}],
        "to": [{"unit": "T-S1", "name": "Xã Bắc", "kind": "commune", "parent": "T"},
               {"unit": "T-S2", "name": "Xã Nam", "kind": "commune", "parent": "T"}]}, token=t)
    assert r.status == 201, r
    lin = lambda c: s.request("GET", "/api/v1/units/%s/lineage" % c, token=t).json
    assert lin("T-M")["predecessors"] == ["H1-X1", "H1-X2"]
    assert lin("H2-X3")["successors"] == ["T-S1", "T-S2"]
    # the partial predecessor goes on; the whole one closed the day before
    x1 = s.request("GET", "/api/v1/units/H1-X1", token=t).json
    x2 = s.request("GET", "/api/v1/units/H1-X2", token=t).json
    assert x1["valid_to"] == "2025-06-30" and x2["valid_to"] is None
    assert any(l["partial"] for l in lin("H1-X2")["links"])
    # an event on a closed unit is refused and writes nothing
    before = s.request("GET", "/api/v1/units?limit=500", token=t).json["items"]
    r = s.request("POST", "/api/v1/unit-events", {"kind": "rename", "effective": "2025-08-01",
                                                  "unit": "H1-X1", "name": "Tên mới"}, token=t)
    expect_error(r, 409)
    r = s.request("POST", "/api/v1/unit-events", {
        "kind": "merge", "effective": "2025-09-01",
        "from": [{"unit": "T-S1"}, {"unit": "H2-X3"}], "to": [{"unit": "T-S2"}]}, token=t)
    expect_error(r, 409)
    after = s.request("GET", "/api/v1/units?limit=500", token=t).json["items"]
    assert before == after
    assert s.request("GET", "/api/v1/units/T-S1", token=t).json["valid_to"] is None


def test_conflicts_write_nothing(ctx):
    s = admin_server(ctx)
    t = base(s)
    n0 = len(audit(s, t, entity="unit"))
    cases = [
        ({"code": "H1-X1", "name": "Trùng", "kind": "commune", "parent": "T-H1",
          "valid_from": "2024-01-01"}, 409, "code"),
        ({"code": "N1", "name": "Không cha", "kind": "commune", "parent": "KHONG",
          "valid_from": "2024-01-01"}, (409, 422), "parent"),
        ({"code": "N2", "name": "Trước cha", "kind": "commune", "parent": "T-H1",
          "valid_from": "2019-01-01"}, (409, 422), None),
        ({"code": "N3", "name": "Sai loại", "kind": "village", "valid_from": "2024-01-01"}, 422,
         "kind"),
        ({"code": "N4", "name": "Sai ngày", "kind": "commune", "valid_from": "2024-02-30"}, 422,
         "valid_from"),
        ({"code": "N5", "name": "Ngày ngược", "kind": "commune", "valid_from": "2024-02-01",
          "valid_to": "2024-01-01"}, 422, None),
        ({"code": "N 6", "name": "Mã sai", "kind": "commune", "valid_from": "2024-02-01"}, 422,
         "code"),
        ({"code": "N7", "kind": "commune", "valid_from": "2024-02-01"}, 422, "name"),
        ({"code": "N8", "name": "Thừa", "kind": "commune", "valid_from": "2024-02-01",
          "colour": "red"}, 422, "colour"),
    ]
    for body, status, field in cases:
        r = s.request("POST", "/api/v1/units", body, token=t)
        want = status if isinstance(status, tuple) else (status,)
        assert r.status in want, (body, r)
        expect_error(r, r.status, field=field) if field else expect_error(r, r.status)
    # a cycle: T-H1 under its own child
    r = s.request("PATCH", "/api/v1/units/T-H1", {"parent": "H1-X1"}, token=t)
    err = expect_error(r, r.status)
    assert r.status in (409, 422) and "cycle" in err["message"], err
    r = s.request("PATCH", "/api/v1/units/T", {"parent": "T"}, token=t)
    assert r.status in (409, 422), r
    # nothing was written
    r = s.request("GET", "/api/v1/units?limit=500", token=t)
    assert len(r.json["items"]) == 6
    assert s.request("GET", "/api/v1/units/T-H1", token=t).json["parent"] == "T"
    assert len(audit(s, t, entity="unit")) == n0


def test_malformed_requests(ctx):
    s = admin_server(ctx)
    t = base(s)
    r = expect_error(s.request("POST", "/api/v1/units", raw=b'{"code":"A","name":"x\xc3"}',
                               token=t), 400, code="invalid_utf8")
    assert "offset" in r["message"]
    expect_error(s.request("POST", "/api/v1/units", raw=b"[1,2]", token=t), 400)
    expect_error(s.request("GET", "/api/v1/units?q=%ff", token=t), 400)
    expect_error(s.request("GET", "/api/v1/units?as_of=yesterday", token=t), 422, field="as_of")
    expect_error(s.request("GET", "/api/v1/units?limit=100000", token=t), 422, field="limit")
    expect_error(s.request("GET", "/api/v1/units?cursor=zzz", token=t), 400)
    expect_error(s.request("GET", "/api/v1/units/NOPE", token=t), 404)
    expect_error(s.request("GET", "/api/v1/nothing-here", token=t), 404)
    expect_error(s.request("DELETE", "/api/v1/units/T", token=t), 405)
    expect_error(s.request("GET", "/api/v1/units"), 401)


def test_paging_with_cursor(ctx):
    s = admin_server(ctx)
    t = base(s)
    seen, path = [], "/api/v1/units?kind=commune&limit=2"
    while True:
        r = s.request("GET", path, token=t)
        assert r.status == 200, r
        assert len(r.json["items"]) <= 2
        seen += [u["code"] for u in r.json["items"]]
        if not r.json["next"]:
            break
        path = "/api/v1/units?kind=commune&limit=2&cursor=" + quote(r.json["next"])
    assert sorted(seen) == ["H1-X1", "H1-X2", "H2-X3"] and len(seen) == 3


def test_roles_allowed_refused_and_audited(ctx):
    s = admin_server(ctx)
    admin = base(s)
    officer = add_user(s, admin, "cb.h1", "officer", "T-H1")
    leader = add_user(s, admin, "ld.t", "leader", "T")
    viewer = add_user(s, admin, "xem", "viewer", "T")
    reporter = add_user(s, admin, "bc", "reporter", "H1-X1")
    # officer inside the subtree: allowed
    r = s.request("PATCH", "/api/v1/units/H1-X2", {"short_name": "X2"}, token=officer)
    assert r.status == 200, r
    r = s.request("POST", "/api/v1/units", {"code": "H1-X9", "name": "Xã Chín", "kind": "commune",
                                            "parent": "T-H1", "valid_from": "2024-01-01"},
                  token=officer)
    assert r.status == 201, r
    # outside: refused and logged
    expect_error(s.request("PATCH", "/api/v1/units/H2-X3", {"short_name": "X3"}, token=officer),
                 403)
    expect_error(s.request("POST", "/api/v1/units", {"code": "H2-X9", "name": "Xã", "kind":
                                                     "commune", "parent": "T-H2",
                                                     "valid_from": "2024-01-01"},
                           token=officer), 403)
    for tok in (leader, viewer, reporter):
        expect_error(s.request("PATCH", "/api/v1/units/H1-X1", {"short_name": "X"}, token=tok),
                     403)
    # everyone signed in reads the organisation chart
    for tok in (officer, leader, viewer, reporter):
        assert s.request("GET", "/api/v1/units/T", token=tok).status == 200
    items = audit(s, admin)
    denied = [a for a in items if a["outcome"] == "denied"]
    assert any(a["actor"] == "cb.h1" and a["key"] == "H2-X3" for a in denied), denied
    assert any(a["actor"] == "cb.h1" and a["key"] == "H2-X9" for a in denied), denied
    assert {a["actor"] for a in denied} >= {"cb.h1", "ld.t", "xem", "bc"}
    ok = [a for a in items if a["outcome"] == "ok" and a["key"] == "H1-X2"]
    assert ok and ok[-1]["actor"] == "cb.h1"
    assert ok[-1]["before"]["short_name"] != "X2" and ok[-1]["after"]["short_name"] == "X2"
    # filters; a leader sees their own unit's trail, an officer none
    only = audit(s, admin, unit="H1-X2")
    assert only and all(a["unit"] == "H1-X2" for a in only)
    assert audit(s, admin, since="2999-01-01") == []
    r = s.request("GET", "/api/v1/audit", token=leader)
    assert r.status == 200, r
    expect_error(s.request("GET", "/api/v1/audit", token=officer), 403)
    expect_error(s.request("GET", "/api/v1/audit?since=" + quote("hôm-qua"), token=admin), 422)


def test_audit_cannot_be_changed(ctx):
    s = admin_server(ctx)
    t = base(s)
    for m in ("DELETE", "PATCH", "PUT"):
        r = s.request(m, "/api/v1/audit", {}, token=t)
        assert r.status in (404, 405), r
    s.stop()
    for sql in ("DELETE FROM audit_log", "UPDATE audit_log SET actor='x'"):
        try:
            harness.db_rows(s.db, sql)
            raise AssertionError("the database allowed: " + sql)
        except harness.DbError:
            pass
    assert harness.db_rows(s.db, "SELECT count(*) FROM audit_log")[0][0] >= 6
    s.start()
