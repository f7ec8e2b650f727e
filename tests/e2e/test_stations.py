"""5G stations one by one (issue 19, point 7): the register's import with per-line
errors, the push API, counts by status as of a date, the computed on-air indicator
feeding split targets, and the page by status and commune."""
import json
import os

from harness import expect_error

HEADER = "site_code,operator,commune,address,lat,long,technology,status,status_date,source\n"
GOOD = [
    "VT-5G-001,BRVT-VIETTEL,VT-P1,12 Trần Phú,10.3460,107.0843,5G NR,planned,2024-07-01,KH",
    "VT-5G-001,BRVT-VIETTEL,VT-P1,12 Trần Phú,10.3460,107.0843,5G NR,permitted,2024-08-01,GP",
    "VT-5G-001,BRVT-VIETTEL,VT-P1,12 Trần Phú,10.3460,107.0843,5G NR,on_air,2024-09-15,BC",
    "VT-5G-002,BRVT-VNPT,VT-P2,,10.35,107.09,5G NR,installed,2024-10-01,BC",
    "VT-5G-003,BRVT-VIETTEL,VT-P2,,10.36,107.10,5G NR,on_air,2024-11-20,BC",
]


def write(s, name, lines):
    path = os.path.join(s.dir, name)
    with open(path, "w", encoding="utf-8") as f:
        f.write(HEADER + "".join(l + "\n" for l in lines))
    return path


def count(s, *args):
    r = s.cli("station", "count", *args, "--json", "--db", s.db)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


STATES = ("planned", "permitted", "installed", "on_air")


def delta(after, before):
    return tuple(after[k] - before[k] for k in STATES)


def test_demo_register_matches_the_seeds(ctx):
    s = ctx.server(demo=True)
    # Decision 1683 II.2: 200 by December 2024, Viettel 140 + VNPT 60; Vũng Tàu's 70
    assert count(s, "--as-of", "2024-12-31")["on_air"] == 200
    assert count(s, "--operator", "BRVT-VIETTEL", "--as-of", "2024-12-31")["on_air"] == 140
    assert count(s, "--operator", "BRVT-VNPT", "--as-of", "2024-12-31")["on_air"] == 60
    assert count(s, "--unit", "BRVT-VT", "--as-of", "2024-12-31")["on_air"] == 70
    c = count(s, "--operator", "BRVT-VIETTEL", "--as-of", "2024-09-30")
    assert c["on_air"] == 95 and c["installed"] == 10, c  # September, as the plan's line
    admin = s.login("admin")
    r = s.request("GET", "/api/v1/stations?unit=VT-P1&as_of=2024-12-31", token=admin)
    assert r.status == 200 and r.json["stations"], r
    assert all(x["synthetic"] for x in r.json["stations"]), r.json


def test_import_bad_lines_then_counts(ctx):
    s = ctx.server(demo=True)
    base = {q: count(s, *q) for q in [(), ("--as-of", "2024-08-15"),
                                      ("--operator", "BRVT-VIETTEL", "--as-of", "2024-12-31"),
                                      ("--unit", "VT-P2", "--as-of", "2024-12-31"),
                                      ("--unit", "BRVT-VNPT")]}
    bad = GOOD + [
        "VT-5G-004,BRVT-NOPE,VT-P2,,10.36,107.10,5G NR,planned,2024-07-01,",   # line 7
        "VT-5G-002,BRVT-VNPT,VT-P2,,10.35,107.09,5G NR,permitted,2024-11-01,",  # 8: out of order
        "VT-5G-005,BRVT-VNPT,VT-P2,,10.35,107.09,5G NR,planned,2099-01-01,",    # 9: future
        "VT-5G-006,BRVT-VNPT,KHONG-CO,,10.35,107.09,5G NR,planned,2024-07-01,", # 10: commune
        "VT-5G-007,BRVT-VNPT,VT-P2,,10.35,107.09,5G NR,on_air,2024-13-01,",     # 11: date
        "VT-5G-001,BRVT-VIETTEL,VT-P1,12 Trần Phú,10.3460,107.0843,5G NR,on_air,2024-09-15,BC",
    ]
    path = write(s, "tram.csv", bad)
    r = s.cli("station", "import", path, "--db", s.db)
    assert r.returncode == 1 and "5 bad lines; nothing imported" in r.stderr, r.stderr
    for want in ("tram.csv:7: operator: unknown operator 'BRVT-NOPE'",
                 "tram.csv:8: status: station VT-5G-002 is already installed",
                 "tram.csv:9: status_date: 2099-01-01 is in the future",
                 "tram.csv:10: commune: unknown commune 'KHONG-CO'",
                 "tram.csv:11: status_date: '2024-13-01' is not a date"):
        assert want in r.stderr, (want, r.stderr)
    assert count(s) == base[()]  # nothing half-imported
    r = s.cli("station", "import", path, "--partial", "--json", "--db", s.db)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["accepted"] == 5 and out["duplicates"] == 1 and out["refused"] == 5, out
    assert {e["line"] for e in out["errors"]} == {7, 8, 9, 10, 11}, out
    # again: every good line is known
    out = json.loads(s.cli("station", "import", path, "--partial", "--json", "--db",
                           s.db).stdout)
    assert out["accepted"] == 0 and out["duplicates"] == 6, out
    # a site code with other content: a conflict, nothing imported
    moved = write(s, "moved.csv", [
        "VT-5G-009,BRVT-VNPT,VT-P2,,10.35,107.09,5G NR,planned,2024-07-01,",
        "VT-5G-001,BRVT-VNPT,VT-P1,12 Trần Phú,10.3460,107.0843,5G NR,installed,2024-09-01,"])
    r = s.cli("station", "import", moved, "--db", s.db)
    assert r.returncode == 1 and "moved.csv:3: operator: station VT-5G-001 is registered " \
        "with another operator" in r.stderr, r.stderr
    # counts: each station at its latest step by the date (over the demo's register)
    d = lambda *q: delta(count(s, *q), base[q])
    assert d() == (0, 0, 1, 2), d()
    assert count(s, "--as-of", "2024-08-15")["as_of"] == "2024-08-15"
    assert d("--as-of", "2024-08-15") == (0, 1, 0, 0)
    assert d("--operator", "BRVT-VIETTEL", "--as-of", "2024-12-31") == (0, 0, 0, 2)
    assert d("--unit", "VT-P2", "--as-of", "2024-12-31") == (0, 0, 1, 1)
    assert d("--unit", "BRVT-VNPT") == (0, 0, 1, 0)  # an operator's own stations
    r = s.cli("station", "count", "--unit", "KHONG-CO", "--db", s.db)
    assert r.returncode == 1 and "KHONG-CO" in r.stderr
    r = s.cli("station", "count", "--as-of", "31/12/2024", "--db", s.db)
    assert r.returncode == 2 and "--as-of" in r.stderr
    # the page by status and commune shows names and the synthetic mark only for demo rows
    admin = s.login("admin")
    r = s.request("GET", "/tram-5g?unit=BRVT-VT&as_of=2024-12-31",
                  headers={"Cookie": "dh_session=" + admin})
    assert r.status == 200, r
    html = r.raw.decode("utf-8")
    assert "Đã phát sóng" in html and "VT-5G-003" in html and "12 Trần Phú" in html, html[-2000:]
    assert ">VT-P1<" not in html  # names, the code on hover


def test_push_api_and_computed_targets(ctx):
    s = ctx.server(demo=True)
    admin = s.login("admin")
    ind = {"code": "5g_on_air", "name": "Trạm 5G đã phát sóng", "uom": "trạm",
           "direction": "higher", "aggregation": "sum", "source": "computed",
           "period_type": "month", "formula": "stations:on_air"}
    r = s.request("POST", "/api/v1/indicators", ind, token=admin)
    assert r.status == 201, r
    expect_error(s.request("POST", "/api/v1/indicators", dict(ind, code="x", formula="stations:x"),
                           token=admin), 422, "invalid_formula")
    whole = s.request("POST", "/api/v1/targets", {"indicator": "5g_on_air", "unit": "BRVT",
                                                  "value": 203, "due": "2024-12-31"}, token=admin)
    assert whole.status == 201, whole
    # the demo's register has 140 + 60 on air by December; one more each is asked
    for unit, v in (("BRVT-VIETTEL", 142), ("BRVT-VNPT", 61)):
        r = s.request("POST", "/api/v1/targets", {"indicator": "5g_on_air", "unit": unit,
                                                  "value": v, "due": "2024-12-31",
                                                  "split_of": whole.json["id"]}, token=admin)
        assert r.status == 201, r
    assert r.json["warnings"] == [], r  # 142 + 61 = 203
    q = "/api/v1/targets?unit=BRVT&subtree=1&indicator=5g_on_air&as_of=2024-12-31"
    before = {x["unit"]: x for x in s.request("GET", q, token=admin).json["items"]}
    v = before["BRVT-VIETTEL"]
    assert v["actual"] == 140 and v["met"] is False and v["actual_period"] == "2024-12", v
    assert before["BRVT-VNPT"]["actual"] == 60 and before["BRVT"]["actual"] == 200, before
    # the operators push their steps; a bad one is refused with its index
    rows = [dict(zip(HEADER.strip().split(","), l.split(","))) for l in GOOD]
    for x in rows:
        x["lat"], x["long"] = float(x["lat"]), float(x["long"])
    bad = dict(rows[3], status="planned", status_date="2024-12-01")  # before installed
    r = s.request("POST", "/api/v1/stations", {"stations": rows + [bad]}, token=admin)
    err = expect_error(r, 422, "invalid_rows")
    assert any("api:6: status:" in m for m in err["rows"]), err
    r = s.request("POST", "/api/v1/stations?partial=1", {"stations": rows + [bad]}, token=admin)
    assert r.status == 201 and r.json["accepted"] == 5 and r.json["refused"] == 1, r
    conflict = dict(rows[0], commune="VT-P2")
    expect_error(s.request("POST", "/api/v1/stations", {"stations": [conflict]}, token=admin),
                 409, "conflict")
    expect_error(s.request("POST", "/api/v1/stations", {"stations": rows},
                           token=s.login("xem.tinh")), 403)
    r = s.request("GET", "/api/v1/stations/count?operator=BRVT-VIETTEL&as_of=2024-12-31",
                  token=admin)
    assert r.status == 200 and r.json["on_air"] == 142, r
    expect_error(s.request("GET", "/api/v1/stations/count?as_of=31-12-2024", token=admin), 422)
    r = s.request("GET", "/api/v1/stations?unit=VT-P2&as_of=2024-12-31", token=admin)
    got = {x["site_code"]: x for x in r.json["stations"]}
    assert {"VT-5G-002", "VT-5G-003"} <= set(got), r.json
    assert got["VT-5G-003"]["steps"] == {"on_air": "2024-11-20"}, got
    assert got["VT-5G-003"]["synthetic"] is False and got["VT-5G-002"]["status"] == "installed"
    # the targets follow the register with no manual entry
    after = {x["unit"]: x for x in s.request("GET", q, token=admin).json["items"]}
    v = after["BRVT-VIETTEL"]
    assert v["met"] is True and v["actual"] == 142, v
    n = after["BRVT-VNPT"]  # VT-5G-002 is installed, not on air
    assert n["actual"] == 60 and n["met"] is False, n
    assert after["BRVT"]["actual"] == 202 and after["BRVT"]["met"] is False, after
