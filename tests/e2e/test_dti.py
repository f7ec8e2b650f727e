"""The digital-transformation index (issue 16): a framework imported from CSV and XLSX,
published results with seed 002's mismatch (printed 87.381 against the pillars' 88.3812)
read back as a warning from the CLI and the API, ranking with ties, kpi criteria computed
from the dossier aggregates (the same figures as /api/v1/kpis), and bad input refused
with file, line and field, all or nothing unless --partial."""
import json
import os
import subprocess
import tempfile

from harness import db_rows, expect_error
from test_dossiers import setup
from test_reports import EVENTS

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FRAMEWORK = os.path.join(ROOT, "data", "demo", "dti-district-2023.csv")

# Seed 002: Vũng Tàu's 2023 result as printed, pillar by pillar, and the printed total.
SEED002 = [("NT", "6"), ("TC", "7.5"), ("HT", "3"), ("NL", "6"), ("AT", "5"),
           ("CQ", "46.3812"), ("KT", "3"), ("XH", "11.5")]
# Two more districts: Phú Mỹ ties with Vũng Tàu's computed total, Bà Rịa leads.
OTHERS = {
    "BRVT-BR": [("NT", "6"), ("TC", "9"), ("HT", "3"), ("NL", "7"), ("AT", "6"), ("CQ", "47"),
                ("KT", "3.5"), ("XH", "11")],
    "BRVT-PM": [("NT", "5"), ("TC", "8"), ("HT", "3"), ("NL", "6"), ("AT", "5"),
                ("CQ", "47.3812"), ("KT", "3"), ("XH", "11")],
    "BRVT-CD": [("NT", "5"), ("TC", "6"), ("HT", "2"), ("NL", "5"), ("AT", "4"), ("CQ", "40"),
                ("KT", "2"), ("XH", "9")],
}


def results_csv():
    rows = ["unit,criterion,points,value,note"]
    rows += ["BRVT-VT,%s,%s,," % p for p in SEED002]
    rows.append("BRVT-VT,TOTAL,87.381,,Quyết định 3895/QĐ-UBND ngày 29/12/2023")
    for unit, pillars in OTHERS.items():
        rows += ["%s,%s,%s,,tổng hợp" % (unit, c, p) for c, p in pillars]
    return "\n".join(rows) + "\n"


def write(d, name, text):
    path = os.path.join(d, name)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def mine(s, table, where="1 = 1"):
    """Rows of a DTI table that belong to the tests' framework DTI-T (the demo has its own)."""
    join = ("JOIN dti_assessments a ON a.id = t.assessment_id " if table == "dti_entries" else "")
    fw = "a.framework_id" if join else "t.framework_id"
    return db_rows(s.db, "SELECT count(*) FROM %s t %sWHERE %s IN (SELECT id FROM dti_frameworks "
                         "WHERE code = 'DTI-T') AND %s" % (table, join, fw, where))[0][0]


def cli_json(s, *args):
    r = s.cli(*args, "--db", s.db, "--json")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def import_framework(s, path=FRAMEWORK, code="DTI-T", year="2023"):
    return s.cli("dti", "framework", "import", path, "--code", code, "--name",
                 "Bộ chỉ số đánh giá chuyển đổi số cấp huyện", "--level", "district", "--year",
                 year, "--db", s.db)


def test_dti_seed002_warning_ranking_cli_and_api(ctx):
    s = ctx.server(demo=True)
    d = tempfile.mkdtemp(dir=s.dir)
    r = import_framework(s)
    assert r.returncode == 0, r.stderr
    assert "27 nodes, 8 pillars, 100 points" in r.stdout
    # the same code and year again: refused, nothing added
    r = import_framework(s)
    assert r.returncode == 1 and "already exists" in r.stderr, r.stderr
    assert db_rows(s.db, "SELECT count(*) FROM dti_nodes n JOIN dti_frameworks f ON "
                         "f.id = n.framework_id WHERE f.code = 'DTI-T'")[0][0] == 27

    path = write(d, "ket-qua-2023.csv", results_csv())
    r = s.cli("dti", "import", path, "--framework", "DTI-T", "--year", "2023", "--db", s.db)
    assert r.returncode == 0, r.stderr
    assert "imported 33 rows for 4 units" in r.stdout and "1 warnings" in r.stdout, r.stdout
    # the warning names both numbers and the row, with the file
    assert ("warning: %s: BRVT-VT: line 10: the printed total 87.381 differs from the sum of "
            "the pillars 88.3812" % path) in r.stderr, r.stderr

    sc = cli_json(s, "dti", "score", "--unit", "BRVT-VT", "--framework", "DTI-T", "--year",
                  "2023")
    assert {"unit", "framework", "year", "status", "total", "max", "rank", "of", "pillars",
            "lost", "warnings"} <= set(sc)
    assert (sc["unit"], sc["framework"], sc["year"], sc["status"]) == \
        ("BRVT-VT", "DTI-T", 2023, "published")
    assert abs(sc["total"] - 88.3812) < 1e-9 and sc["max"] == 100
    assert abs(sc["printed_total"] - 87.381) < 1e-9
    assert [(p["code"], p["points"], p["max"]) for p in sc["pillars"]] == \
        [(c, float(v), m) for (c, v), m in zip(SEED002, [6, 10, 3, 8, 7, 50, 4, 12])]
    assert sc["pillars"][0]["name"] == "Nhận thức số"
    # points lost, largest first: Chính quyền số 3.6188, Thể chế số 2.5, then 2, 2, 1, 0.5
    assert [(x["code"], round(x["lost"], 4)) for x in sc["lost"]] == \
        [("CQ", 3.6188), ("TC", 2.5), ("NL", 2.0), ("AT", 2.0), ("KT", 1.0), ("XH", 0.5)]
    assert all(x["pillar"] == x["code"] for x in sc["lost"])
    [w] = sc["warnings"]
    assert (w["code"], w["line"], w["printed"], round(w["computed"], 4)) == \
        ("TOTAL", 10, 87.381, 88.3812)
    assert "87.381" in w["message"] and "88.3812" in w["message"] and "line 10" in w["message"]
    # ranking by the computed total: Bà Rịa 92.5, then Phú Mỹ and Vũng Tàu tied at 88.3812
    # (2, 2), then Châu Đức 73 4th
    assert (sc["rank"], sc["of"]) == (2, 4)
    rk = cli_json(s, "dti", "rank", "--framework", "DTI-T", "--year", "2023")
    assert [(i["unit"], i["rank"]) for i in rk["items"]] == \
        [("BRVT-BR", 1), ("BRVT-PM", 2), ("BRVT-VT", 2), ("BRVT-CD", 4)]
    assert all({"unit", "name", "total", "rank"} <= set(i) for i in rk["items"])
    assert rk["items"][2]["name"] == "Thành phố Vũng Tàu"
    assert rk["items"][2]["printed_total"] == 87.381 and rk["items"][0]["printed_total"] is None
    # the text form says it too
    r = s.cli("dti", "score", "--unit", "BRVT-VT", "--framework", "DTI-T", "--year", "2023",
              "--db", s.db)
    assert "Tổng điểm: 88.3812 / 100   (tổng công bố: 87.381)" in r.stdout, r.stdout
    assert "Xếp hạng: 2/4" in r.stdout and "printed total 87.381" in r.stdout

    # the API gives the same JSON; a viewer of the province may read it
    t = s.login("xem.tinh")
    r = s.request("GET", "/api/v1/dti/score?unit=BRVT-VT&framework=DTI-T&year=2023", token=t)
    assert r.status == 200, r
    assert r.json["warnings"] == sc["warnings"] and r.json["total"] == sc["total"]
    r = s.request("GET", "/api/v1/dti/rank?framework=DTI-T&year=2023", token=t)
    assert r.status == 200 and r.json["items"] == rk["items"], r
    r = s.request("GET", "/api/v1/dti/frameworks", token=t)
    # by year, then code: the demo's framework and this one
    assert [(i["code"], i["year"]) for i in r.json["items"]] == [("DTI-HUYEN", 2023),
                                                                 ("DTI-T", 2023)]
    # an officer of Vũng Tàu may not read another district's scorecard (audited)
    vt = s.login("vanphong.vt")
    expect_error(s.request("GET", "/api/v1/dti/score?unit=BRVT-BR&framework=DTI-T&year=2023",
                           token=vt), 403, "forbidden")
    assert s.request("GET", "/api/v1/dti/score?unit=BRVT-VT&framework=DTI-T&year=2023",
                     token=vt).status == 200
    expect_error(s.request("GET", "/api/v1/dti/score?unit=BRVT-VT&framework=NOPE&year=2023",
                           token=t), 404, "unknown_framework", "framework")
    expect_error(s.request("GET", "/api/v1/dti/score?unit=BRVT-DD&framework=DTI-T&year=2023",
                           token=t), 404, "no_assessment", "unit")
    expect_error(s.request("GET", "/api/v1/dti/rank?framework=DTI-T&year=23", token=t),
                 422, "invalid_value", "year")
    # every import is in the audit trail, one row per unit
    rows = db_rows(s.db, "SELECT entity, entity_key FROM audit_log WHERE entity LIKE 'dti%' "
                         "ORDER BY id")
    assert ("dti_framework", "DTI-T/2023") in [tuple(x) for x in rows]
    assert ("dti_assessment", "DTI-T/2023/BRVT-VT") in [tuple(x) for x in rows]

    # a published assessment is not replaced by another import
    r = s.cli("dti", "import", path, "--framework", "DTI-T", "--year", "2023", "--db", s.db)
    assert r.returncode == 1
    assert "ket-qua-2023.csv:2: unit: the assessment of 'BRVT-VT' on DTI-T 2023 is " \
           "published" in r.stderr, r.stderr


def test_dti_bad_input_all_or_nothing(ctx):
    s = ctx.server(demo=True)
    d = tempfile.mkdtemp(dir=s.dir)
    # frameworks: maxima that do not add up (named with the numbers), unknown method,
    # unknown parent, duplicate code, unknown kpi source
    bad = {
        "sum": ("code,parent,name,max_points,method,threshold,source\nA,,Trụ A,10,,,\n"
                "A.1,A,x,4,manual,,\nA.2,A,y,5,ratio,,\n",
                "sum.csv:2: max_points: max_points of 'A' is 10 but its children add up to 9"),
        "method": ("code,parent,name,max_points,method,threshold,source\nA,,Trụ A,1,formula,,\n",
                   "method.csv:2: method: unknown method 'formula'"),
        "parent": ("code,parent,name,max_points,method,threshold,source\nA,,Trụ A,1,manual,,\n"
                   "B.1,B,x,1,manual,,\n",
                   "parent.csv:3: parent: the parent 'B' of 'B.1' is unknown"),
        "dup": ("code,parent,name,max_points,method,threshold,source\nA,,Trụ A,1,manual,,\n"
                "A,,again,1,manual,,\n", "dup.csv:3: code: duplicate code 'A' (first on line 2)"),
        "source": ("code,parent,name,max_points,method,threshold,source\nA,,Trụ A,1,kpi,,speed\n",
                   "source.csv:2: source: unknown kpi source 'speed'"),
        "header": ("code,parent,name,max_points,method\nA,,Trụ A,1,manual\n",
                   "header.csv:1: the header has no column 'threshold'"),
    }
    for name, (text, want) in bad.items():
        r = import_framework(s, write(d, name + ".csv", text), code="X-" + name)
        assert r.returncode == 1 and want in r.stderr, (name, r.stderr)
    assert db_rows(s.db, "SELECT count(*) FROM dti_frameworks WHERE code <> 'DTI-HUYEN'")[0][0] == 0
    assert import_framework(s).returncode == 0

    # results: every bad row reported with file, line and field; nothing imported
    text = ("unit,criterion,points,value,note\n"
            "BRVT-CD,CQ,60,,\n"            # 2: above the maximum 50
            "BRVT-CD,NOPE,1,,\n"           # 3: unknown criterion
            "NOUNIT,CQ,1,,\n"              # 4: unknown unit
            "BRVT-CD,TC.K,3,40,\n"         # 5: a value for a manual criterion
            "BRVT-CD,TC.1,1,,\n"           # 6: a yes/no criterion: 0 or 1.5
            "BRVT-CD,NT,-1,,\n"            # 7: negative
            "BRVT-CD,HT,3,,\n"             # 8: fine
            "BRVT-CD,HT,2,,\n"             # 9: given again
            "BRVT-XM,NT,x,,\n"             # 10: not a number
            "BRVT-XM,NL.1,,55,\n")         # 11: fine (ratio: 2 x 55% = 1.1)
    path = write(d, "bad.csv", text)
    r = s.cli("dti", "import", path, "--framework", "DTI-T", "--year", "2023", "--db", s.db)
    assert r.returncode == 1
    for want in ["bad.csv:2: points: points of 'CQ' are 60, above its maximum 50",
                 "bad.csv:3: criterion: 'NOPE' is not a criterion of framework DTI-T 2023",
                 "bad.csv:4: unit: unknown unit 'NOUNIT'",
                 "bad.csv:5: value: 'TC.K' is manual: it takes points, not a value",
                 "bad.csv:6: points: 'TC.1' is a yes/no criterion: points are 0 or 1.5, not 1",
                 "bad.csv:7: points: points of 'NT' must be >= 0 (got -1)",
                 "bad.csv:9: criterion: 'HT' of unit 'BRVT-CD' is given again (first on line 8)",
                 "bad.csv:10: points: 'x' is not a number"]:
        assert want in r.stderr, (want, r.stderr)
    assert "bad.csv:8" not in r.stderr and "bad.csv:11" not in r.stderr
    assert mine(s, "dti_assessments") == 0 and mine(s, "dti_entries") == 0
    # the same over HTTP: 422 with the first reason and every row
    admin = s.login("admin")
    r = s.request("POST", "/api/v1/dti/results?framework=DTI-T&year=2023&filename=bad.csv",
                  token=admin, raw=text.encode(), headers={"Content-Type": "text/csv"})
    err = expect_error(r, 422, "invalid_row", "points")
    assert err["line"] == 2 and len(err["rows"]) == 8, err
    # --partial: the good rows go in, the bad ones are reported
    r = s.cli("dti", "import", path, "--framework", "DTI-T", "--year", "2023", "--partial",
              "--db", s.db)
    assert r.returncode == 0, r.stderr
    assert "imported 2 rows for 2 units of DTI-T 2023 (8 rows refused)" in r.stdout
    xm = cli_json(s, "dti", "score", "--unit", "BRVT-XM", "--framework", "DTI-T", "--year",
                  "2023")
    assert abs(xm["total"] - 1.1) < 1e-9
    # a unit that did not exist in the year; a framework year not imported
    r = s.cli("dti", "import", write(d, "old.csv", "unit,criterion,points\nBRVT-VT,NT,1\n"),
              "--framework", "DTI-T", "--year", "2022", "--db", s.db)
    assert r.returncode == 1 and "there is no framework 'DTI-T' for 2022" in r.stderr
    # the district level closed on 2025-07-01 (demo/events.json): Vũng Tàu city was not a
    # unit in 2026
    assert import_framework(s, year="2026").returncode == 0
    r = s.cli("dti", "import", write(d, "y2026.csv", "unit,criterion,points\nBRVT-VT,NT,1\n"),
              "--framework", "DTI-T", "--year", "2026", "--db", s.db)
    assert r.returncode == 1 and "y2026.csv:2: unit: unit 'BRVT-VT' did not exist in 2026" \
        in r.stderr, r.stderr
    # an officer may not import a framework; a viewer may not import results (403, audited)
    t = s.login("vanphong.vt")
    r = s.request("POST", "/api/v1/dti/frameworks?code=Y&name=Y&level=district&year=2024",
                  token=t, raw=open(FRAMEWORK, "rb").read(), headers={"Content-Type": "text/csv"})
    expect_error(r, 403, "forbidden")
    # an officer of Vũng Tàu may not import results for Bà Rịa: the whole file is refused
    r = s.request("POST", "/api/v1/dti/results?framework=DTI-T&year=2023", token=t,
                  raw=b"unit,criterion,points\nBRVT-BR,NT,6\n",
                  headers={"Content-Type": "text/csv"})
    expect_error(r, 403, "forbidden")
    assert mine(s, "dti_assessments", "unit = 'BRVT-BR'") == 0


def xlsx(rows):
    """A one-sheet workbook with inline strings, written with the standard library."""
    import zipfile
    import io

    def col(i):
        return chr(ord("A") + i)

    def esc(v):
        return v.replace("&", "&amp;").replace("<", "&lt;")
    sheet = ['<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.'
             'openxmlformats.org/spreadsheetml/2006/main"><sheetData>']
    for n, row in enumerate(rows, 1):
        sheet.append('<row r="%d">' % n)
        for i, v in enumerate(row):
            if v == "":
                continue
            sheet.append('<c r="%s%d" t="inlineStr"><is><t>%s</t></is></c>' % (col(i), n, esc(v)))
        sheet.append("</row>")
    sheet.append("</sheetData></worksheet>")
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.'
                   'openxmlformats.org/package/2006/content-types"/>')
        z.writestr("xl/workbook.xml", '<?xml version="1.0"?><workbook xmlns="http://schemas.'
                   'openxmlformats.org/spreadsheetml/2006/main"><sheets><sheet name="S" '
                   'sheetId="1" r:id="rId1" xmlns:r="http://schemas.openxmlformats.org/'
                   'officeDocument/2006/relationships"/></sheets></workbook>')
        z.writestr("xl/_rels/workbook.xml.rels", '<?xml version="1.0"?><Relationships xmlns='
                   '"http://schemas.openxmlformats.org/package/2006/relationships"><Relationship '
                   'Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                   'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>')
        z.writestr("xl/worksheets/sheet1.xml", "".join(sheet))
    return b.getvalue()


def test_dti_kpi_from_dossiers_and_xlsx(ctx):
    """A kpi criterion left out of the results is computed from the unit's dossiers over
    the year: the same figures as the KPIs of /api/v1/kpis (II.06a columns 8, 9 and 7)."""
    s, admin = setup(ctx)
    assert s.request("POST", "/api/v1/dossier-events", {"events": EVENTS},
                     token=admin).status == 201
    fw = [["code", "parent", "name", "max_points", "method", "threshold", "source"],
          ["CQ", "", "Chính quyền số", "10", "", "", ""],
          ["CQ.1", "CQ", "Tỷ lệ hồ sơ giải quyết đúng hạn", "4", "kpi", "80", "on_time_rate"],
          ["CQ.2", "CQ", "Tỷ lệ hồ sơ trực tuyến", "4", "kpi", "", "online_rate"],
          ["CQ.3", "CQ", "Tỷ lệ thanh toán trực tuyến", "2", "kpi", "", "online_payment_rate"],
          ["XH", "", "Xã hội số", "5", "manual", "", ""]]
    r = s.request("POST", "/api/v1/dti/frameworks?code=DTI-XA&name=X&level=commune&year=2025"
                  "&filename=khung.xlsx", token=admin, raw=xlsx(fw),
                  headers={"Content-Type": "application/octet-stream"})
    assert r.status == 201 and r.json["nodes"] == 5 and r.json["max"] == 15, r
    res = [["unit", "criterion", "points", "value", "note"], ["VT-P1", "XH", "4", "", ""]]
    r = s.request("POST", "/api/v1/dti/results?framework=DTI-XA&year=2025&filename=kq.xlsx",
                  token=admin, raw=xlsx(res), headers={"Content-Type": "application/octet-stream"})
    assert r.status == 201 and r.json["rows"] == 1, r
    k = s.request("GET", "/api/v1/kpis?unit=VT-P1&subtree=1&period=2025", token=admin).json
    k = k["items"][0]
    sc = s.request("GET", "/api/v1/dti/score?unit=VT-P1&framework=DTI-XA&year=2025",
                   token=admin).json
    kp = {x["code"]: x for x in sc["kpis"]}
    # on time: (early + on time) / resolved, as the KPI report
    on = kp["CQ.1"]
    assert on["source"] == "on_time_rate" and on["denominator"] > 0
    assert round(100 * on["numerator"] / on["denominator"], 2) == k["on_time_rate"]
    assert on["points"] == round(4 * min(1, on["value"] / 80), 4)
    online = kp["CQ.2"]
    assert round(online["value"], 2) == k["online_rate"]
    assert online["points"] == round(4 * online["value"] / 100, 4)
    # nothing paid: not computable, shown with its reason, counted 0
    assert kp["CQ.3"]["value"] is None and kp["CQ.3"]["na_reason"]
    pillars = {p["code"]: p for p in sc["pillars"]}
    assert abs(pillars["CQ"]["points"] - (on["points"] + online["points"])) < 1e-9
    assert abs(sc["total"] - (pillars["CQ"]["points"] + 4)) < 1e-9
    # what could not be scored lost its maximum, and says so
    lost = {x["code"]: x for x in sc["lost"]}
    assert lost["CQ.3"]["lost"] == 2 and lost["CQ.3"]["unscored"] is True
    assert "unscored" not in lost.get("CQ.1", {}) and "XH" in lost


def test_dti_workflow_self_assessment_appraisal_published_revision(ctx):
    s = ctx.server(demo=True)
    assert import_framework(s).returncode == 0
    vt, admin = s.login("vanphong.vt"), s.login("admin")
    who = {"unit": "BRVT-VT", "framework": "DTI-T", "year": 2023}

    def put(tok, **kw):
        return s.request("PUT", "/api/v1/dti/entries", dict(who, **kw), token=tok)

    def step(tok, action):
        return s.request("POST", "/api/v1/dti/assessments/step", dict(who, action=action),
                         token=tok)

    # the city's officer starts its self-assessment; another district's may not
    r = s.request("POST", "/api/v1/dti/assessments", who, token=vt)
    assert r.status == 201 and r.json["status"] == "self_assessment", r
    expect_error(s.request("POST", "/api/v1/dti/assessments", who, token=vt), 409,
                 "assessment_exists")
    expect_error(s.request("POST", "/api/v1/dti/assessments", dict(who, unit="BRVT-BR"),
                           token=vt), 403, "forbidden")
    r = put(vt, criterion="NT.K", points=6, evidence="Báo cáo số 12/BC-UBND", note="đủ")
    assert r.status == 200 and r.json["self_points"] == 6 and r.json["points"] is None, r
    assert put(vt, criterion="CQ.3", value=40).json["self_value"] == 40
    assert put(vt, criterion="TC.1", points=1.5).status == 200
    # bad entries: a value for a manual criterion, points above the maximum, unknown criterion
    expect_error(put(vt, criterion="TC.K", value=50), 422, "invalid_entry", "value")
    err = expect_error(put(vt, criterion="TC.1", points=3), 422, "invalid_entry", "points")
    assert "above its maximum 1.5" in err["message"] or "0 or 1.5" in err["message"], err
    expect_error(put(vt, criterion="ZZ", points=1), 422, "unknown_criterion", "criterion")
    # the unit cannot appraise itself; a department of the province is not above it
    # not yet submitted: no appraisal
    expect_error(step(admin, "appraise"), 409, "invalid_transition", "status")
    r = step(vt, "submit")
    assert r.status == 200 and r.json["status"] == "submitted", r
    expect_error(put(vt, criterion="NT.K", points=5), 409, "submitted")
    expect_error(step(vt, "appraise"), 403, "forbidden")
    expect_error(step(s.login("canbo.stttt"), "appraise"), 403, "forbidden")
    r = step(admin, "appraise")
    assert r.status == 200 and r.json["status"] == "appraisal", r
    # the appraiser adjusts a criterion with a comment; the self-assessed value stays
    r = put(admin, criterion="CQ.3", value=30, comment="Chỉ 30% TTHC có giao dịch")
    assert (r.json["self_value"], r.json["value"], r.json["comment"]) == \
        (40, 30, "Chỉ 30% TTHC có giao dịch"), r
    expect_error(put(vt, criterion="CQ.3", value=50), 403, "forbidden")
    assert step(admin, "publish").json["status"] == "published"
    expect_error(step(admin, "publish"), 409, "invalid_transition")
    # published: an edit without a reason is refused, with one it is a new revision
    expect_error(put(admin, criterion="NT.K", points=5), 409, "published", "reason")
    expect_error(put(vt, criterion="NT.K", points=5, reason="x"), 403, "forbidden")
    r = put(admin, criterion="NT.K", points=5, reason="Thiếu minh chứng tập huấn")
    assert r.status == 200 and r.json["revision"] == 1 and r.json["points"] == 5, r
    a = s.request("GET", "/api/v1/dti/assessment?unit=BRVT-VT&framework=DTI-T&year=2023",
                  token=vt).json
    assert a["status"] == "published" and a["revision"] == 1
    # another district's officer may not read it (403, audited)
    expect_error(s.request("GET", "/api/v1/dti/assessment?unit=BRVT-BR&framework=DTI-T&"
                                  "year=2023", token=vt), 403, "forbidden")
    [rev] = a["revisions"]
    assert rev["reason"] == "Thiếu minh chứng tập huấn" and rev["actor"] == "admin"
    before = {x["criterion"]: x for x in rev["entries_before"]}
    assert before["NT.K"]["points"] is None and before["NT.K"]["self_points"] == 6
    ents = {x["criterion"]: x for x in a["entries"]}
    assert ents["NT.K"]["points"] == 5 and ents["NT.K"]["evidence"] == "Báo cáo số 12/BC-UBND"
    # the scorecard counts the appraised figures over the self-assessed ones
    sc = s.request("GET", "/api/v1/dti/score?unit=BRVT-VT&framework=DTI-T&year=2023",
                   token=vt).json
    assert sc["status"] == "published" and sc["revision"] == 1
    pillars = {p["code"]: p["points"] for p in sc["pillars"]}
    assert pillars["NT"] == 5 and pillars["TC"] == 1.5 and pillars["CQ"] == 0.6  # 2 x 30%
    assert sc["notes"]["CQ.3"]["comment"] == "Chỉ 30% TTHC có giao dịch"
    # every step is in the audit trail
    rows = db_rows(s.db, "SELECT action FROM audit_log WHERE entity = 'dti_assessment' "
                         "AND outcome = 'ok' ORDER BY id")
    acts = [x[0] for x in rows]
    for want in ["create", "self_assess", "submit", "appraise", "publish", "revise"]:
        assert want in acts, (want, acts)
    denied = db_rows(s.db, "SELECT count(*) FROM audit_log WHERE entity = 'dti_assessment' "
                           "AND outcome <> 'ok'")[0][0]
    assert denied >= 4


def test_dti_demo_remediation_plan_and_next_year(ctx):
    """The demo (issue 16, point 8): Vũng Tàu 2nd of 8 with its printed-total warning, the
    seven others synthetic, the city's transcribed remediation plan linked to the criteria.
    Then a remediation plan created from Phú Mỹ's result (point 6), one task done, and the
    next year's scorecard saying which points came back."""
    s = ctx.server(demo=True)
    t = s.login("xem.tinh")
    rk = s.request("GET", "/api/v1/dti/rank?framework=DTI-HUYEN&year=2023", token=t).json
    assert len(rk["items"]) == 8
    vt = [i for i in rk["items"] if i["unit"] == "BRVT-VT"][0]
    assert vt["rank"] == 2 and vt["printed_total"] == 87.381 and vt["warnings"] == 1
    assert "synthetic" not in vt
    assert all(i.get("synthetic") for i in rk["items"] if i["unit"] != "BRVT-VT")
    sc = s.request("GET", "/api/v1/dti/score?unit=BRVT-VT&framework=DTI-HUYEN&year=2023",
                   token=t).json
    assert "88.3812" in sc["warnings"][0]["message"] and "87.381" in sc["warnings"][0]["message"]
    tasks = {x["code"]: x["task"] for x in sc["tasks"]}
    assert len(tasks) == 11 and tasks["CQ.1"]["ordinal"] == "3.5"
    assert tasks["XH.1"]["plan"] == "TPVT-KH-2024-khac-phuc-DTI-2023"

    # the remediation plan of Phú Mỹ: one task per pillar that lost points, largest first
    admin = s.login("admin")
    who = {"unit": "BRVT-PM", "framework": "DTI-HUYEN", "year": 2023}
    expect_error(s.request("POST", "/api/v1/dti/remediation", who, token=s.login("vanphong.vt")),
                 403, "forbidden")
    r = s.request("POST", "/api/v1/dti/remediation", dict(who, implements="1683/QĐ-UBND"),
                  token=admin)
    assert r.status == 201, r
    plan = r.json["plan"]
    assert plan["key"] == "DTI-HUYEN-2023-BRVT-PM-khac-phuc"
    lost = [(x["criterion"], x["lost"]) for x in r.json["tasks"]]
    assert lost[0] == ("CQ", 4.8) and [l for _, l in lost] == sorted([l for _, l in lost],
                                                                       reverse=True)
    assert all(x["due"] == "2024-10-31" for x in r.json["tasks"])
    expect_error(s.request("POST", "/api/v1/dti/remediation", who, token=admin), 409,
                 "remediation_exists")
    p = s.request("GET", "/api/v1/plans/" + plan["key"], token=admin).json
    assert p["type"] == "remediation" and p["issuer"] == "BRVT-PM"
    assert len(p["task_list"]) == len(lost) and p["task_list"][0]["lead"] == ["BRVT-PM"]
    assert "Chính quyền số" in p["task_list"][0]["content"]
    sc = s.request("GET", "/api/v1/dti/score?unit=BRVT-PM&framework=DTI-HUYEN&year=2023",
                   token=admin).json
    cq = [x for x in sc["lost"] if x["code"] == "CQ"][0]
    assert cq["task"]["id"] == r.json["tasks"][0]["id"] and cq["task"]["done"] is False
    # the Chính quyền số task is done; the next year brings those points back, not Thể chế số's
    tid = r.json["tasks"][0]["id"]
    r3 = s.request("POST", "/api/v1/tasks/%d/updates" % tid,
                   {"percent": 100, "text": "Đã hoàn thành", "unit": "BRVT-PM"}, token=admin)
    assert r3.status == 201, r3
    r2 = import_framework(s, code="DTI-HUYEN", year="2024")
    assert r2.returncode == 0, r2.stderr
    d = tempfile.mkdtemp(dir=s.dir)
    res = "unit,criterion,points\n" + "".join(
        "BRVT-PM,%s,%s\n" % cp for cp in [("NT", 6), ("TC", 8), ("HT", 3), ("NL", 6), ("AT", 5),
                                          ("CQ", 50), ("KT", 3), ("XH", 11)])
    r2 = s.cli("dti", "import", write(d, "kq-2024.csv", res), "--framework", "DTI-HUYEN",
               "--year", "2024", "--db", s.db)
    assert r2.returncode == 0, r2.stderr
    sc = s.request("GET", "/api/v1/dti/score?unit=BRVT-PM&framework=DTI-HUYEN&year=2024",
                   token=admin).json
    rem = {x["code"]: x for x in sc["remediation"]}
    assert rem["CQ"]["task"]["done"] is True and rem["CQ"]["recovered"] is True
    assert rem["CQ"]["lost_before"] == 4.8 and rem["CQ"]["lost_now"] == 0
    assert rem["TC"]["task"]["done"] is False and rem["TC"]["recovered"] is False
    assert rem["TC"]["points_back"] == 0
    pill = {x["code"]: x for x in sc["pillars"]}
    assert pill["CQ"]["previous"] == 45.2 and abs(pill["CQ"]["change"] - 4.8) < 1e-9


def test_dti_pages_in_chromium(ctx):
    """The ranking, a scorecard (pillar bars, the warning, the linked remediation plan) and
    the self-assessment form in headless Chromium (issue 16, point 7)."""
    from selenium.webdriver.common.by import By
    from test_browser import Browser, login
    s = ctx.server(demo=True)
    admin = s.login("admin")
    b = Browser("http://127.0.0.1:%d" % s.port)
    try:
        login(b, "admin")
        b.get("/chuyen-doi-so")
        rows = [[td.text for td in tr.find_elements(By.TAG_NAME, "td")]
                for tr in b.d.find_elements(By.CSS_SELECTOR, "main table tbody tr")]
        assert len(rows) == 8 and rows[1][0] == "2" and rows[1][1] == "Thành phố Vũng Tàu"
        assert rows[1][2] == "88,3812" and rows[1][3].startswith("87,381")
        assert "dữ liệu giả lập" in rows[0][1]
        b.shot("60-dti-xep-hang")
        b.d.find_element(By.LINK_TEXT, "Thành phố Vũng Tàu").click()
        b.wait(lambda: "/chuyen-doi-so/don-vi" in b.d.current_url)
        b.check_console("scorecard")
        assert b.text("#dti-total") == "88,3812 / 100" and b.text("#dti-rank") == "2/8"
        alert = b.text("[role=alert]")
        assert "Dòng 10: tổng điểm công bố 87,381 khác tổng điểm các trụ cột 88,3812" in alert, \
            alert
        assert b.d.find_elements(By.CSS_SELECTOR, "figure.chart svg[role=img]")
        lost = [tr.find_elements(By.TAG_NAME, "td")[0].text
                for tr in b.d.find_elements(By.CSS_SELECTOR, "#dti-lost tbody tr")]
        assert lost[0] == "CQ Chính quyền số" and len(lost) == 6, lost
        assert len(b.d.find_elements(By.CSS_SELECTOR, "#dti-tasks li")) == 11
        b.shot("61-dti-vung-tau")

        # the self-assessment form of a new year, filled in by the city's officer
        assert import_framework(s, year="2024").returncode == 0
        vt = s.login("vanphong.vt")
        who = {"unit": "BRVT-VT", "framework": "DTI-T", "year": 2024}
        assert s.request("POST", "/api/v1/dti/assessments", who, token=vt).status == 201
        b.d.find_element(By.CSS_SELECTOR, ".who button").click()
        b.wait(lambda: "/dang-nhap" in b.d.current_url)
        login(b, "vanphong.vt")
        b.get("/chuyen-doi-so/danh-gia?unit=BRVT-VT&framework=DTI-T&year=2024")
        assert "Đang tự đánh giá" in b.text("#dti-status")
        codes = [tr.find_elements(By.TAG_NAME, "td")[0].text.split("\n")[0]
                 for tr in b.d.find_elements(By.CSS_SELECTOR, "main table tbody tr")]
        assert len(codes) == 19 and codes[0] == "NT.K" and "CQ.1" in codes  # every leaf
        row = [tr for tr in b.d.find_elements(By.CSS_SELECTOR, "main table tbody tr")
               if tr.find_elements(By.TAG_NAME, "td")[0].text.startswith("NT.K\n")][0]
        row.find_element(By.NAME, "points").send_keys("5,5")
        row.find_element(By.NAME, "evidence").send_keys("Báo cáo 12/BC-UBND")
        row.find_element(By.CSS_SELECTOR, "button").click()
        b.wait(lambda: "Đã lưu." in b.d.page_source)
        a = s.request("GET", "/api/v1/dti/assessment?unit=BRVT-VT&framework=DTI-T&year=2024",
                      token=vt).json
        ent = [x for x in a["entries"] if x["criterion"] == "NT.K"][0]
        assert ent["self_points"] == 5.5 and ent["evidence"] == "Báo cáo 12/BC-UBND"
        # a bad figure is refused on the page, naming the reason
        row = [tr for tr in b.d.find_elements(By.CSS_SELECTOR, "main table tbody tr")
               if tr.find_elements(By.TAG_NAME, "td")[0].text.startswith("NT.K\n")][0]
        row.find_element(By.NAME, "points").send_keys("9")
        row.find_element(By.CSS_SELECTOR, "button").click()
        b.wait(lambda: b.d.find_elements(By.CSS_SELECTOR, "p.err"))
        assert "above its maximum 6" in b.text("p.err")
        b.check_console("refused entry", expect=422)
        b.shot("62-dti-tu-danh-gia")
        b.d.find_element(By.ID, "dti-step").click()
        b.wait(lambda: "Đã gửi thẩm định" in b.text("#dti-status"))
        assert s.request("GET", "/api/v1/dti/assessment?unit=BRVT-VT&framework=DTI-T&year=2024",
                         token=admin).json["status"] == "submitted"
    finally:
        b.close()


def test_dti_kpi_plan_coverage(ctx):
    """plan_coverage: of the tasks that other issuers' plans in force in the year give the unit
    to lead, the share its own plans implement (the coverage of /api/v1/plans/{}/coverage,
    summed over those plans). Seed 002 §3.2: the city's plan must cover 100% of them."""
    s = ctx.server(demo=True)
    admin = s.login("admin")
    fw = ("code,parent,name,max_points,method,threshold,source\nTC,,Thể chế số,10,,,\n"
          "TC.2,TC,Kế hoạch đủ 100% nhiệm vụ được giao,2,kpi,100,plan_coverage\n"
          "TC.K,TC,Các tiêu chí khác,8,manual,,\n")
    d = tempfile.mkdtemp(dir=s.dir)
    assert import_framework(s, write(d, "pc.csv", fw), code="PC", year="2024").returncode == 0
    r = s.cli("dti", "import", write(d, "kq.csv", "unit,criterion,points\nBRVT-VT,TC.K,8\n"),
              "--framework", "PC", "--year", "2024", "--db", s.db)
    assert r.returncode == 0, r.stderr
    num = den = 0
    for p in s.request("GET", "/api/v1/plans", token=admin).json["items"]:
        start = p["period_from"] or p["date"]
        if p["issuer"] == "BRVT-VT" or not start or start > "2024-12-31" or \
                (p["period_to"] and p["period_to"] < "2024-01-01"):
            continue
        c = s.request("GET", "/api/v1/plans/%d/coverage?unit=BRVT-VT" % p["id"],
                      token=admin).json
        num, den = num + c["covered_count"], den + c["assigned"]
    assert den > 0
    sc = s.request("GET", "/api/v1/dti/score?unit=BRVT-VT&framework=PC&year=2024",
                   token=admin).json
    [k] = sc["kpis"]
    assert (k["source"], k["numerator"], k["denominator"]) == ("plan_coverage", num, den)
    assert k["points"] == round(2 * num / den, 4)
    assert abs(sc["total"] - (8 + k["points"])) < 1e-9
