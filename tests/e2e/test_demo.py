"""The demo province: the checks issue 2 names, through the real API; the demo's figures
agree with each other and its dossiers end today (issue 19, point 5)."""
import datetime
import json
import os
import re
import shutil
import subprocess
import tempfile
import unicodedata
from urllib.parse import quote

from harness import fresh_db


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


# ---- A demo that agrees with itself (issue 19, point 5). ----------------------------------

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def targets_of(s, t, indicator, unit="BRVT", **q):
    qs = "".join("&%s=%s" % (k, quote(str(v))) for k, v in q.items())
    r = s.request("GET", "/api/v1/targets?unit=%s&subtree=1&indicator=%s&detailed=1%s"
                  % (unit, indicator, qs), token=t)
    assert r.status == 200, r
    return r.json["items"]


def on_air(s, unit, as_of):
    r = s.cli("station", "count", "--unit", unit, "--as-of", as_of, "--json", "--db", s.db)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)["on_air"]


def test_demo_5g_figures_are_the_register_counts(ctx):
    s = ctx.server(demo=True)
    t = s.login("admin")
    by = {x["unit"]: x for x in targets_of(s, t, "5g_stations")}
    # each target's latest value is the register's on-air count, month by month
    for unit, want in (("BRVT-VIETTEL", 140), ("BRVT-VNPT", 60), ("BRVT-VT", 70)):
        x = by[unit]
        assert x["actual_period"] == "2024-12", x
        assert x["actual"] == on_air(s, unit, "2024-12-31") == want, (unit, x)
        months = {p["period"]: p["value"] for p in x["series"]}
        for m, end in (("2024-09", "2024-09-30"), ("2024-11", "2024-11-30")):
            assert months[m] == on_air(s, unit, end), (unit, m, months)
    assert by["BRVT"]["actual"] == 200 == on_air(s, "BRVT", "2024-12-31"), by["BRVT"]
    # plan II.2 says what the register says: 95 of Viettel's 140 at the end of September,
    # VNPT's 60 done
    r = s.request("GET", "/api/v1/tasks?plan=%s" % quote("1683/QĐ-UBND"), token=t)
    task = [x for x in r.json["items"] if x["ordinal"] == "II.2"][0]
    full = s.request("GET", "/api/v1/tasks/%d" % task["id"], token=t).json
    texts = " ".join(u.get("text") or "" for u in full["updates"])
    assert "95/140" in texts and on_air(s, "BRVT-VIETTEL", "2024-09-30") == 95, texts
    assert "60 trạm" in texts and on_air(s, "BRVT-VNPT", "2024-12-31") == 60, texts


def test_demo_online_rate_agrees_with_plan_and_dossiers(ctx):
    s = ctx.server(demo=True)
    t = s.login("admin")
    # II.3 (70% online from afar by December 2024) is not done, and the indicator agrees:
    # 65% in September as the city's update says, 68% in December
    r = s.request("GET", "/api/v1/tasks?plan=%s" % quote("1683/QĐ-UBND"), token=t)
    task = [x for x in r.json["items"] if x["ordinal"] == "II.3"][0]
    assert task["status"]["state"] == "not_done", task["status"]
    full = s.request("GET", "/api/v1/tasks/%d" % task["id"], token=t).json
    assert "65%" in full["updates"][-1]["text"], full["updates"]
    x = [x for x in targets_of(s, t, "online_by_applicant_rate", subtree=0)
         if x["plan"] == "1683/QĐ-UBND" and x["unit"] == "BRVT"][0]
    months = {p["period"]: p["value"] for p in x["series"]}
    assert months["2024-09"] == 65 and x["actual"] == 68 < x["value"], x
    assert x["status"] != "on_track", x
    # where dossiers give the figure it wins over the typed one: December 2024's dossiers
    ev = os.path.join(s.dir, "ev.ndjson")
    r = s.cli("gen", "events", "--dossiers", "300", "--seed", "5", "--from", "2024-12-01",
              "--to", "2024-12-31", "-o", ev, "--db", s.db)
    assert r.returncode == 0, r.stderr
    r = s.cli("import", "events", ev, "--db", s.db)
    assert r.returncode == 0, r.stderr
    k = s.request("GET", "/api/v1/kpis?unit=BRVT&subtree=1&period=2024-12", token=t).json
    rate = k["items"][0]["online_by_applicant_rate"]
    assert rate is not None and rate != 68, k["items"][0]
    x = [x for x in targets_of(s, t, "online_by_applicant_rate", subtree=0)
         if x["plan"] == "1683/QĐ-UBND" and x["unit"] == "BRVT"][0]
    assert x["actual_period"] == "2024-12" and abs(x["actual"] - rate) < 0.01, (x, rate)
    months = {p["period"]: p["value"] for p in x["series"]}
    assert months["2024-09"] == 65, months  # no dossiers then: the typed value stands


def test_demo_dossiers_end_today(ctx):
    """scripts/demo-data.sh, as `make demo` runs it: the dossiers end today (the overview's
    current month has data), made again on a later day, kept on the same day."""
    d = tempfile.mkdtemp(prefix="dh-demo-")
    try:
        db = fresh_db(d)
        script = os.path.join(ROOT, "scripts", "demo-data.sh")
        binary = os.path.abspath(ctx.binary)
        run = lambda: subprocess.run([script, binary, db, d, "400"], capture_output=True,
                                     text=True, timeout=300)
        r = run()
        assert r.returncode == 0, r.stderr
        vn = datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=7)))
        today = vn.strftime("%Y-%m-%d")
        with open(os.path.join(d, "events.day")) as f:
            assert f.read().strip() == today
        with open(os.path.join(d, "events.ndjson")) as f:
            last = max(json.loads(line)["at"][:10] for line in f)
        # no event after now: before the day's first working hours, on a weekend or a
        # holiday the last one is on an earlier day, never more than Tết's days off ago
        gap = (vn.date() - datetime.date.fromisoformat(last)).days
        assert 0 <= gap <= 10, last
        s = ctx.server(db=db)
        t = s.login("admin")
        # the overview's current month has data (unless it has had no working hour yet)
        month = vn.strftime("%Y-%m") if last[:7] == vn.strftime("%Y-%m") or vn.day > 4 else last[:7]
        r = s.request("GET", "/api/v1/kpis?unit=HCM&subtree=1&period=" + month, token=t)
        assert r.status == 200 and r.json["total"]["received_total"] > 0, r.json.get("total")
        # and citizen feedback was received over the last quarter, none of it after today
        since = (vn.date() - datetime.timedelta(days=90)).isoformat()
        r = s.request("GET", "/api/v1/feedback/kpis?from=%s&to=%s" % (since, today), token=t)
        assert r.status == 200 and r.json["total"]["received"] > 0, r.json.get("total")
        r = s.request("GET", "/api/v1/feedback/kpis?from=%s&to=%s" % (
            (vn.date() + datetime.timedelta(days=1)).isoformat(),
            (vn.date() + datetime.timedelta(days=30)).isoformat()), token=t)
        assert r.status == 200 and r.json["total"]["received"] == 0, r.json.get("total")
        s.stop()
        # the same day: nothing made again
        mtime = os.path.getmtime(os.path.join(d, "events.ndjson"))
        r = run()
        assert r.returncode == 0 and "generated" not in r.stdout + r.stderr, r
        assert os.path.getmtime(os.path.join(d, "events.ndjson")) == mtime
        if db.startswith("sqlite:"):
            # a later day: the database and the dossiers are made again
            with open(os.path.join(d, "events.day"), "w") as f:
                f.write("2020-01-01\n")
            r = run()
            out = r.stdout + r.stderr
            # `gen events` leaves out a dossier whose receipt would be after now: before
            # the day's first working hour the last day's late receipts are not made yet
            made = re.search(r"generated (\d+) dossiers", out)
            assert r.returncode == 0 and made and 390 <= int(made.group(1)) <= 400, r
            assert "0 already stored" in out and " %s dossiers updated" % made.group(1) in out, r
    finally:
        shutil.rmtree(d, ignore_errors=True)
