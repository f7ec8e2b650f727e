"""Fully online public services ("dịch vụ công trực tuyến toàn trình", seed 004; issue 19,
point 8): the share of the procedures a unit offers that are fully online and of the dossiers
received through them, per unit and period, through the API, the CLI, the overview page and a
computed indicator feeding a target. The golden dossiers of test_reports (VT-P1, March 2025)."""
import csv
import json
import os

from harness import expect_error
from test_reports import EVENTS, setup

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def commune_procedures(on="2025-03-31"):
    """(fully online, all) of the demo catalogue's commune-level procedures in force on `on`,
    plus the two of test_dossiers.PROCS (1.004227 full, 2.000908 partial), worked out here."""
    latest = {}
    with open(os.path.join(ROOT, "data", "demo", "procedures.csv"), encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["valid_from"] <= on and (row["code"] not in latest or
                                            latest[row["code"]]["valid_from"] <= row["valid_from"]):
                latest[row["code"]] = row
    mine = [r for r in latest.values() if r["level"] == "commune"]
    full = sum(1 for r in mine if r["online_level"] == "full")
    assert "1.004227" not in latest and "2.000908" not in latest
    return full + 1, len(mine) + 2


def test_full_online_api_cli_page_and_indicator(ctx):
    s, admin = setup(ctx)
    assert s.request("POST", "/api/v1/dossier-events", {"events": EVENTS},
                     token=admin).status == 201
    t = s.login("vanphong.vt")
    r = s.request("GET", "/api/v1/full-online?unit=VT-P1&period=2025-03", token=t)
    assert r.status == 200, r
    o = r.json
    # six dossiers received in March (A was carried over): C F G of the fully online
    # Hộ tịch, D E H of the partly online Chứng thực
    assert (o["dossiers"], o["full_online_dossiers"], o["full_online_dossier_rate"]) == \
        (6, 3, 50.0), o
    full, offered = commune_procedures()
    assert (o["full_online_procedures"], o["procedures"]) == (full, offered), o
    assert o["full_online_procedure_rate"] == round(full * 100.0 / offered, 2), o
    # the city's subtree: the same dossiers, and the district's procedures too
    c = s.request("GET", "/api/v1/full-online?unit=BRVT-VT&from=2025-03-01&to=2025-03-31",
                  token=t).json
    assert c["dossiers"] == 6 and c["full_online_dossiers"] == 3, c
    assert c["procedures"] > offered, c
    # a month without dossiers: no dossier rate (N/A, not 0 %)
    n = s.request("GET", "/api/v1/full-online?unit=VT-P1&period=2025-01", token=t).json
    assert n["dossiers"] == 0 and n["full_online_dossier_rate"] is None, n
    # bad input
    expect_error(s.request("GET", "/api/v1/full-online?period=2025-03", token=t), 422,
                 "missing_field", "unit")
    expect_error(s.request("GET", "/api/v1/full-online?unit=VT-P1&period=2025-13", token=t),
                 422, "invalid_period", "period")
    expect_error(s.request("GET", "/api/v1/full-online?unit=KHONG&period=2025-03", token=t),
                 422, field="unit")
    v = s.login("baocao.viettel")
    expect_error(s.request("GET", "/api/v1/full-online?unit=VT-P1&period=2025-03", token=v),
                 403)
    # the CLI says the same
    r = s.cli("report", "full-online", "--unit", "VT-P1", "--period", "2025-03", "--json",
              "--db", s.db)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == o
    r = s.cli("report", "full-online", "--unit", "VT-P1", "--period", "2025-03", "--db", s.db)
    assert r.returncode == 0 and "3/6 (50.00%)" in r.stdout, r.stdout
    r = s.cli("report", "full-online", "--period", "2025-03", "--db", s.db)
    assert r.returncode == 2 and "--unit" in r.stderr, r.stderr
    # the overview page shows both shares
    r = s.request("POST", "/api/v1/login", {"login": "vanphong.vt", "password": "dieuhanh-demo"})
    cookie = r.header("Set-Cookie").split(";")[0]
    r = s.request("GET", "/tong-quan?unit=VT-P1&period=2025-03", headers={"Cookie": cookie})
    assert r.status == 200, r
    page = r.raw.decode("utf-8")
    assert "Thủ tục trực tuyến toàn trình" in page, page[:2000]
    assert "Hồ sơ qua dịch vụ trực tuyến toàn trình" in page
    assert "50,00%" in page
    # a computed indicator feeds a target: March's share is the target's value
    ind = {"code": "fo_dossiers", "name": "Hồ sơ qua DVC toàn trình", "uom": "%",
           "direction": "higher", "aggregation": "ratio", "source": "computed",
           "period_type": "month", "formula": "full_online:dossiers"}
    r = s.request("POST", "/api/v1/indicators", ind, token=admin)
    assert r.status == 201, r
    expect_error(s.request("POST", "/api/v1/indicators", dict(ind, code="fo_x",
                                                               formula="full_online:x"),
                           token=admin), 422, "invalid_formula", "formula")
    r = s.request("POST", "/api/v1/targets", {"indicator": "fo_dossiers", "unit": "VT-P1",
                                              "value": 60, "due": "2025-03-31"}, token=admin)
    assert r.status == 201, r
    r = s.request("GET", "/api/v1/targets?unit=VT-P1&indicator=fo_dossiers&detailed=1",
                  token=admin)
    x = r.json["items"][0]
    assert x["actual"] == 50.0 and x["actual_period"] == "2025-03", x
    assert x["status"] == "off_track", x
