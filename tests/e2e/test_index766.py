"""The Decision 766 service index, the aggregates behind it (rebuild, the
'rolled up into today's units' view, exact recount) on the golden set of
test_reports (issue 5). Points worked out by hand below."""
import csv
import os

from harness import expect_error
from test_dossiers import PROCS, ev, received, setup
from test_reports import EVENTS, KEYS, TOTAL

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def commune_catalogue(day="2025-03-31"):
    """Commune-level procedures in force on `day` (the demo catalogue plus the two the
    tests add): how many, how many offered online, how many bear a fee."""
    best = {}
    with open(os.path.join(ROOT, "data", "demo", "procedures.csv"), encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if r["valid_from"] <= day and (r["code"] not in best or
                                           best[r["code"]]["valid_from"] < r["valid_from"]):
                best[r["code"]] = r
    rows = [(r["level"], r["online_level"], r["fee_bearing"] == "true") for r in best.values()]
    rows += [(p["level"], p["online_level"], p["fee_bearing"]) for p in PROCS["procedures"]]
    com = [r for r in rows if r[0] == "commune"]
    return len(com), sum(r[1] != "none" for r in com), sum(r[2] for r in com)


def indicators(rep):
    return {i["code"]: i for g in rep["groups"] for i in g["indicators"]}


def test_index766_golden(ctx):
    s, admin = setup(ctx)
    assert s.request("POST", "/api/v1/dossier-events", {"events": EVENTS},
                     token=admin).status == 201
    t = s.login("vanphong.vt")
    r = s.request("GET", "/api/v1/index/766?unit=VT-P1&period=2025-03", token=t)
    assert r.status == 200, r
    rep = r.json
    assert rep["config"]["version"] == "766-2022" and rep["period"] == "2025-03"
    ind = indicators(rep)
    # timeliness: early C, G + on time D = 3 over 4 resolved + 1 overdue (E) = 60% -> 20 * 0.6
    assert (ind["on_time"]["numerator"], ind["on_time"]["denominator"]) == (3, 5)
    assert ind["on_time"]["rate"] == 60.0 and ind["on_time"]["points"] == 12.0
    # online share: C F G H online of the 6 received in March = 66.67% >= 50% -> full 6
    assert (ind["online_share"]["numerator"], ind["online_share"]["denominator"]) == (4, 6)
    assert ind["online_share"]["points"] == 6.0
    # nothing digitised: 0 of 6 -> 0 points; nothing paid or rated: N/A with the reason
    assert ind["digitised"]["points"] == 0.0
    assert ind["paid_online"]["points"] is None and ind["paid_online"]["na_reason"]
    assert ind["dossier_satisfaction"]["rate"] is None
    # the catalogue: every commune procedure is online (2 points at >= 80%); 2 of them
    # (1.004227 and 2.000908) had an online dossier: 2/n * 4; no fee paid online: 0
    n, online, fee = commune_catalogue()
    assert (ind["procedures_online"]["numerator"], ind["procedures_online"]["denominator"]) == \
        (online, n)
    assert ind["procedures_online"]["points"] == (2.0 if online * 100 >= 80 * n else
                                                  round(online * 100 / n * 2 / 80, 2))
    used = round(2 / online * 4, 2)
    assert ind["online_services_used"]["points"] == used
    assert (ind["payment_used"]["numerator"], ind["payment_used"]["denominator"]) == (0, fee)
    computed = 12.0 + 6.0 + 0.0 + ind["procedures_online"]["points"] + used + 0.0
    assert abs(rep["total"] - round(computed, 2)) < 1e-9, rep["total"]
    assert rep["max_available"] == 20 + 6 + 4 + 2 + 4 + 2
    groups = {g["code"]: g for g in rep["groups"]}
    assert groups["timeliness"]["points"] == 12.0 and groups["transparency"]["points"] == 0.0
    assert ind["publish_on_time"]["source"] == "none" and ind["publish_on_time"]["points"] is None
    # the ranking: VT-P1 handled 5 dossiers, below the minimum volume: listed, not ranked
    me = [u for u in rep["ranking"]["units"] if u["unit"] == "VT-P1"][0]
    assert me["rank"] is None and me["handled"] == 5 and rep["ranking"]["min_volume"] == 30
    assert all(u["unit"].startswith("VT-P") or u["unit"].startswith("VT-")
               for u in rep["ranking"]["units"])
    # every row named from the units registry on `to`
    names = {u["unit"]: u["name"] for u in rep["ranking"]["units"]}
    assert rep["name"] == names["VT-P1"] == "Phường 1" and names["VT-P2"] == "Phường 2", names

    # values entered by hand: a leader of the city may, an officer may not
    leader = s.login("lanhdao.tinh")
    body = {"unit": "VT-P1", "period": "2025-03", "indicator": "publish_on_time", "value": 100,
            "note": "Theo báo cáo của Sở Tư pháp"}
    assert s.request("PUT", "/api/v1/index/766/values", body, token=leader).status == 200
    body.update(indicator="e_results", value=50)
    assert s.request("PUT", "/api/v1/index/766/values", body, token=leader).status == 200
    expect_error(s.request("PUT", "/api/v1/index/766/values", body, token=t), 403)
    body.update(indicator="on_time")
    expect_error(s.request("PUT", "/api/v1/index/766/values", body, token=leader), 422,
                 field="indicator")
    body.update(indicator="e_results", value=101)
    expect_error(s.request("PUT", "/api/v1/index/766/values", body, token=leader), 422,
                 field="value")
    body.update(value=50, colour="red")
    expect_error(s.request("PUT", "/api/v1/index/766/values", body, token=leader), 422,
                 field="colour")
    rep = s.request("GET", "/api/v1/index/766?unit=VT-P1&period=2025-03", token=t).json
    ind = indicators(rep)
    assert ind["publish_on_time"]["points"] == 6.0 and ind["publish_on_time"]["source"] == "manual"
    assert ind["e_results"]["points"] == 3.0  # no threshold: 50% of 6
    assert abs(rep["total"] - round(computed + 9.0, 2)) < 1e-9
    audit = s.request("GET", "/api/v1/audit?entity=index766_value", token=admin).json["items"]
    assert len(audit) == 2

    # the CLI gives the same figures
    r = s.cli("index", "766", "--unit", "VT-P1", "--period", "2025-03", "--json", "--db", s.db)
    assert r.returncode == 0, r.stderr
    import json
    assert json.loads(r.stdout)["total"] == rep["total"]
    r = s.cli("index", "766", "--unit", "VT-P1", "--period", "2025-03", "--db", s.db)
    assert "Tổng điểm" in r.stdout and "Tiến độ giải quyết" in r.stdout


def test_index766_versions_and_bad_input(ctx):
    s, admin = setup(ctx)
    assert s.request("POST", "/api/v1/dossier-events", {"events": EVENTS},
                     token=admin).status == 201
    cfg = s.request("GET", "/api/v1/index/766/config", token=admin).json["items"]
    assert sum(r["max_points"] for r in cfg) == 100
    # a new version from April 2025: timeliness worth 24, publication 2
    d = os.path.join(s.dir, "v2.csv")
    with open(d, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["version", "valid_from", "ord", "group_code", "group_name", "code", "name",
                    "max_points", "threshold", "formula"])
        for r in cfg:
            pts = {"on_time": 24, "publish_on_time": 2}.get(r["code"], r["max_points"])
            th = "" if r["threshold"] is None else r["threshold"]
            w.writerow(["v2", "2025-04-01", r["ord"], r["group_code"], r["group_name"],
                        r["code"], r["name"], pts, th, r["formula"]])
    r = s.cli("index", "config", "--import", d, "--db", s.db)
    assert r.returncode == 0, r.stderr
    # March keeps the 2022 split, April uses v2 (60% of 24 = 14.4 for the same ratio)
    march = s.request("GET", "/api/v1/index/766?unit=VT-P1&period=2025-03", token=admin).json
    assert march["config"]["version"] == "766-2022"
    april = s.request("GET", "/api/v1/index/766?unit=VT-P1&period=2025-04", token=admin).json
    assert april["config"]["version"] == "v2"
    assert indicators(april)["on_time"]["max_points"] == 24
    # a version whose points do not add up to 100 is refused whole, naming the file
    bad = os.path.join(s.dir, "bad.csv")
    with open(bad, "w", encoding="utf-8") as f:
        f.write("version,valid_from,ord,group_code,group_name,code,name,max_points,threshold,"
                "formula\n"
                "v3,2026-01-01,1,timeliness,Tiến độ,on_time,Đúng hạn,20,,on_time\n"
                "v3,2026-01-01,2,online,DVC,online_share,Trực tuyến,6,150,online_share\n"
                "v3,2026-01-01,3,online,DVC,x,X,6,,magic\n")
    r = s.cli("index", "config", "--import", bad, "--db", s.db)
    assert r.returncode == 1
    assert "bad.csv:3: threshold '150'" in r.stderr and "bad.csv:4: formula 'magic'" in r.stderr
    cfg2 = s.request("GET", "/api/v1/index/766/config", token=admin).json["items"]
    assert not [x for x in cfg2 if x["version"] == "v3"]
    # bad queries
    for q, field in (("unit=VT-P1&period=2025-Q5", "period"), ("period=2025-03", "unit"),
                     ("unit=VT-P1&from=2025-03-31&to=2025-03-01", "to")):
        expect_error(s.request("GET", "/api/v1/index/766?" + q, token=admin), 422, field=field)
    expect_error(s.request("GET", "/api/v1/index/766?unit=KHONG&period=2025-03", token=admin),
                 422, field="unit")
    expect_error(s.request("GET", "/api/v1/index/766?unit=VT-P1&period=2025-03",
                           token=s.login("canbo.stttt")), 403)
    r = s.cli("index", "766", "--unit", "VT-P1", "--db", s.db)
    assert r.returncode == 2


def test_rebuild_today_units_and_exact(ctx):
    s, admin = setup(ctx)
    assert s.request("POST", "/api/v1/dossier-events", {"events": EVENTS},
                     token=admin).status == 201
    q = "/api/v1/kpis?unit=BRVT-VT&subtree=1&period=2025-03&group_by=unit"
    as_were = s.request("GET", q, token=admin).json
    assert [i["key"] for i in as_were["items"]] == ["VT-P1"]
    # Phường 1 was merged into phường Vũng Tàu on 1/7/2025: rolled up into today's units
    today = s.request("GET", q + "&units=today", token=admin).json
    assert [i["key"] for i in today["items"]] == ["HCM-VUNGTAU"]
    assert [today["items"][0][k] for k in KEYS] == TOTAL
    expect_error(s.request("GET", q + "&units=tomorrow", token=admin), 422, field="units")
    # the exact recount by replay gives the same figures
    exact = s.request("GET", q + "&exact=1", token=admin).json
    assert exact == as_were
    # rebuild from the events changes nothing
    s.stop()
    r = s.cli("rebuild", "--db", s.db)
    assert r.returncode == 0 and r.stdout.startswith("rebuilt "), (r.stdout, r.stderr)
    s.start()
    admin = s.login("admin")
    assert s.request("GET", q, token=admin).json == as_were
    # a dossier becomes overdue with time alone: F (received Monday 31/3 10:00, 3 working
    # days: due Thursday 3/4 10:00) is within at the end of 2/4 and overdue at the end of
    # 3/4, with no event in between (E, overdue until processed on 2/4 08:00, has left)
    day = lambda d: s.request("GET", "/api/v1/reports/ii06a?unit=VT-P1&from=2025-04-01&to=" + d,
                              token=admin).json["total"]
    assert day("2025-04-01")["overdue"] == 1  # E
    assert day("2025-04-02")["overdue"] == 0
    assert day("2025-04-03")["overdue"] == 1  # F
    # a late event moves the figures of the period it belongs to, and only those
    late = [received("L1", "L", "2025-03-05T08:00:00+07:00", channel="online")]
    assert s.request("POST", "/api/v1/dossier-events", {"events": late},
                     token=admin).status == 201
    m = s.request("GET", "/api/v1/reports/ii06a?unit=VT-P1&period=2025-03", token=admin).json
    assert m["total"]["received_total"] == TOTAL[0] + 1
    feb = s.request("GET", "/api/v1/reports/ii06a?unit=VT-P1&period=2025-02", token=admin).json
    assert feb["total"]["received_total"] == 2
