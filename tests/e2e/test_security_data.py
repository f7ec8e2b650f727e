"""Security findings of issue 13 about data: who defines indicators, who reads stored
files, bidirectional controls in names, NUL in CSV, bounded values, field names in
messages, and dossiers of other units answered as missing."""
import json
import os
import re
from urllib.parse import quote

from harness import expect_error

RLO = "\u202e"


def audit_has(s, admin, entity, action, key=None):
    r = s.request("GET", "/api/v1/audit?entity=%s&limit=500" % entity, token=admin)
    assert r.status == 200, r
    return any(x["action"] == action and x["outcome"] == "denied" and
               (key is None or x["key"] == key) for x in r.json["items"])


def test_officer_cannot_define_indicators(ctx):
    """Finding 7: indicator definitions are an unscoped admin's act."""
    s = ctx.server(demo=True)
    admin = s.login("admin")
    officer = s.login("canbo.stttt")
    body = {"code": "sec_ind", "name": "Chỉ tiêu thử", "uom": "%", "direction": "higher",
            "aggregation": "ratio", "source": "pushed", "period_type": "month"}
    expect_error(s.request("POST", "/api/v1/indicators", body, token=officer), 403)
    assert audit_has(s, admin, "indicator", "create", "sec_ind")
    r = s.request("POST", "/api/v1/indicators", body, token=admin)
    assert r.status == 201, r
    # and an officer may not redefine it either
    expect_error(s.request("POST", "/api/v1/indicators", dict(body, direction="lower"),
                           token=officer), 403)
    r = s.request("GET", "/api/v1/indicators", token=admin)
    got = [x for x in r.json["items"] if x["code"] == "sec_ind"]
    assert got and got[0]["direction"] == "higher", got


def test_files_are_scoped_and_ids_unguessable(ctx):
    """Finding 8: a file is read by those who may read what it is attached to; ids are
    random."""
    s = ctx.server(demo=True)
    admin = s.login("admin")
    a = s.login("canbo.stttt")
    b = s.login("vanphong.vt")
    viewer = s.login("xem.tinh")
    ids = []
    for i in range(3):
        r = s.request("POST", "/api/v1/files?name=bien-ban-%d.txt" % i, token=a,
                      raw=("Biên bản số %d" % i).encode())
        assert r.status == 201, r
        ids.append(r.json["id"])
    # not sequential, not small: ids are drawn at random
    assert all(x > 2 ** 32 for x in ids), ids
    assert sorted(set(ids)) != list(range(min(ids), min(ids) + 3)), ids
    fid = ids[0]
    # the uploader and an admin read it; another unit's officer and a viewer do not, and
    # the answer is the one for a missing file
    assert s.request("GET", "/api/v1/files/%d" % fid, token=a).status == 200
    assert s.request("GET", "/api/v1/files/%d" % fid, token=admin).status == 200
    for tok in (b, viewer):
        expect_error(s.request("GET", "/api/v1/files/%d" % fid, token=tok), 404, "unknown_file")
    expect_error(s.request("GET", "/api/v1/files/%d" % (fid + 1), token=b), 404, "unknown_file")
    assert audit_has(s, admin, "file", "read", str(fid))
    # nobody can publish another's file by attaching it: the id is unknown to them
    r = s.request("POST", "/api/v1/plans", {"key": "SEC-B", "issuer": "BRVT-VT",
                                            "title": "Kế hoạch B"}, token=b)
    assert r.status == 201, r
    expect_error(s.request("PATCH", "/api/v1/plans/SEC-B", {"document_file": fid}, token=b),
                 422, field="document_file")
    # once its uploader attaches it to a plan (read by every signed-in user), it is read
    r = s.request("POST", "/api/v1/plans", {"key": "SEC-A", "issuer": "BRVT-STTTT",
                                            "title": "Kế hoạch A", "document_file": fid},
                  token=a)
    assert r.status == 201, r
    assert s.request("GET", "/api/v1/files/%d" % fid, token=b).status == 200


def test_bidi_controls_refused_in_names(ctx):
    """Finding 12: bidirectional override characters are refused in names and titles."""
    s = ctx.server(demo=True)
    admin = s.login("admin")
    o = s.login("canbo.stttt")
    unit = {"code": "SEC-U1", "name": "Phường " + RLO + "gnp.exe", "kind": "commune",
            "parent": "BRVT-VT", "valid_from": "2024-01-01"}
    err = expect_error(s.request("POST", "/api/v1/units", unit, token=admin), 422,
                       "bidi_control", "name")
    assert "byte offset 10" in err["message"], err
    user = {"login": "sec.user", "password": "Mat-khau-dai-123!", "role": "viewer",
            "unit": "BRVT", "display_name": "Nguyễn \u2066Văn A"}
    expect_error(s.request("POST", "/api/v1/users", user, token=admin), 422, "bidi_control",
                 "display_name")
    expect_error(s.request("POST", "/api/v1/tokens", {"name": "x\u202ay"}, token=o), 422,
                 "bidi_control", "name")
    ind = {"code": "sec_bidi", "name": "Tỷ lệ \u2069", "uom": "%", "direction": "higher",
           "aggregation": "ratio", "source": "pushed", "period_type": "month"}
    expect_error(s.request("POST", "/api/v1/indicators", ind, token=admin), 422,
                 "bidi_control", "name")
    proc = {"code": "9.000001", "name": "Thủ tục " + RLO, "field": "Hộ tịch",
            "level": "commune", "duration": 3, "duration_unit": "working_days",
            "online_level": "full", "fee_bearing": False, "paper_result": True}
    expect_error(s.request("POST", "/api/v1/procedures", proc, token=admin), 422,
                 "bidi_control", "name")
    plan = {"key": "SEC-P", "issuer": "BRVT-STTTT", "title": "Kế hoạch " + RLO + "x"}
    expect_error(s.request("POST", "/api/v1/plans", plan, token=o), 422, "bidi_control",
                 "title")
    # the same text without the control is taken
    r = s.request("POST", "/api/v1/plans", dict(plan, title="Kế hoạch x"), token=o)
    assert r.status == 201, r


def test_nul_in_csv_field_refused(ctx):
    """Finding 14 (CSV): a NUL inside a CSV field is refused with file, line and field."""
    s = ctx.server(demo=True)
    admin = s.login("admin")
    p = os.path.join(s.dir, "nul.csv")
    with open(p, "wb") as f:
        f.write(b"code,name,uom,direction,aggregation,source,period_type\n"
                b"sec_nul,Ch\x00i tieu,%,higher,ratio,pushed,month\n")
    r = s.cli("indicator", "import", p, "--db", s.db)
    assert r.returncode != 0, r.stdout
    assert "nul.csv:2" in r.stderr and "NUL" in r.stderr and "field 2" in r.stderr, r.stderr
    # and over HTTP, in a file of values
    csv = (b"indicator,unit,period,value,source,id\n"
           b"ratio_x,VT-P1,2024-07,5\x0099,hub,v1\n")
    r = s.request("POST", "/api/v1/indicator-values/import?name=vals.csv", token=admin,
                  raw=csv, headers={"Content-Type": "text/csv"})
    assert r.status in (400, 422), r
    text = json.dumps(r.json, ensure_ascii=False)
    assert "vals.csv:2" in text and "NUL" in text and "field 4" in text, text
    r = s.request("GET", "/api/v1/indicators", token=admin)
    assert not [x for x in r.json["items"] if x["code"] == "sec_nul"]


def test_values_bounded_per_unit_of_measure(ctx):
    """Finding 15: huge values are refused per unit of measure; pages print no inf/nan."""
    s = ctx.server(demo=True)
    admin = s.login("admin")
    for body in ({"code": "sec_pct", "name": "Tỷ lệ", "uom": "%", "direction": "higher",
                  "aggregation": "mean", "source": "pushed", "period_type": "month"},
                 {"code": "sec_cnt", "name": "Số trạm", "uom": "trạm", "direction": "higher",
                  "aggregation": "sum", "source": "pushed", "period_type": "month"},
                 {"code": "sec_gen", "name": "Tăng trưởng", "uom": "%/năm",
                  "direction": "higher", "aggregation": "sum", "source": "pushed",
                  "period_type": "month"}):
        assert s.request("POST", "/api/v1/indicators", body, token=admin).status == 201

    def put(ind, v, i):
        return s.request("POST", "/api/v1/indicator-values", {"values": [
            {"indicator": ind, "unit": "VT-P1", "period": "2024-07", "value": v,
             "source": "hub", "id": "sec%d" % i}]}, token=admin)

    for i, (ind, v) in enumerate((("sec_gen", 1.7e308), ("sec_cnt", 1.7e308),
                                  ("sec_cnt", -1), ("sec_gen", -2e15), ("sec_pct", 101),
                                  ("sec_cnt", 1e16))):
        expect_error(put(ind, v, i), 422, "out_of_range", "value")
    for i, (ind, v) in enumerate((("sec_gen", -3.5), ("sec_cnt", 1e15), ("sec_pct", 100))):
        r = put(ind, v, 100 + i)
        assert r.status == 200 and r.json["accepted"] == 1, r
    r = s.request("POST", "/api/v1/targets", {"indicator": "sec_cnt", "unit": "VT-P1",
                                              "value": 1.7e308, "due": "2030-12-31"},
                  token=admin)
    expect_error(r, 422, "out_of_range", "value")
    hdr = {"Cookie": "dh_session=" + admin}
    for path in ("/chi-tieu", "/chi-tieu?unit=VT-P1"):
        r = s.request("GET", path, headers=hdr)
        assert r.status == 200, r
        page = r.raw.decode("utf-8")
        assert not re.search(r"(?<![A-Za-z])-?(inf|nan)(?![A-Za-z])", page), path


def test_missing_boolean_names_the_field(ctx):
    """Finding 16: a procedure without fee_bearing names the field, never '(null)'."""
    s = ctx.server(demo=True)
    admin = s.login("admin")
    proc = {"code": "9.000002", "name": "Thủ tục thử", "field": "Hộ tịch", "level": "commune",
            "duration": 3, "duration_unit": "working_days", "online_level": "full",
            "paper_result": True}
    err = expect_error(s.request("POST", "/api/v1/procedures", proc, token=admin), 422,
                       field="fee_bearing")
    assert "(null)" not in err["message"] and "fee_bearing" in err["message"], err
    err = expect_error(s.request("POST", "/api/v1/procedures", dict(proc, fee_bearing="maybe"),
                                 token=admin), 422, "invalid_boolean", "fee_bearing")
    assert "fee_bearing" in err["message"] and "maybe" in err["message"], err


def test_other_units_dossier_is_not_found(ctx):
    """Finding 17: another unit's dossier answers 404 like a missing one (audited)."""
    s = ctx.server(demo=True)
    admin = s.login("admin")
    procs = {"procedures": [
        {"code": "1.004227", "name": "Đăng ký khai sinh", "field": "Hộ tịch",
         "level": "commune", "duration": 3, "duration_unit": "working_days",
         "online_level": "full", "fee_bearing": False, "paper_result": True}]}
    assert s.request("POST", "/api/v1/procedures", procs, token=admin).status == 201
    t = s.login("vanphong.vt")
    ev = {"id": "e1", "source": "motcua-vt", "dossier": "SEC-2025-1", "type": "received",
          "at": "2025-01-24T08:00:00+07:00", "unit": "VT-P1", "procedure": "1.004227"}
    assert s.request("POST", "/api/v1/dossier-events", {"events": [ev]}, token=t).status == 201
    assert s.request("GET", "/api/v1/dossiers/SEC-2025-1", token=t).status == 200
    other = s.login("canbo.stttt")
    for code in ("SEC-2025-1", "SEC-2025-404"):
        a = expect_error(s.request("GET", "/api/v1/dossiers/" + code, token=other), 404)
        for path in ("/api/v1/dossiers/%s/apology.html" % code,
                     "/api/v1/dossiers/%s/apology.pdf" % code):
            assert s.request("GET", path, token=other).status == 404, path
        r = s.request("GET", "/ho-so/" + quote(code), headers={"Cookie": "dh_session=" + other})
        assert r.status == 404, r
        # same code and message shape: only the code differs
        assert a["code"] == "not_found", a
    assert audit_has(s, admin, "dossier", "read", "SEC-2025-1")
