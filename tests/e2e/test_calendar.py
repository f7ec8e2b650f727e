"""The working-time calendar over the CLI and the API (issue 3)."""
import json
import os
import subprocess
import tempfile
from urllib.parse import quote

from harness import expect_error


def cli(binary, *args, stdin=None):
    return subprocess.run([os.path.abspath(binary)] + list(args), capture_output=True, text=True,
                          timeout=60, input=stdin)


def test_cli_lunar_and_solar(ctx):
    r = cli(ctx.binary, "calendar", "lunar", "2054-05-07", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {"day": 30, "month": 3, "year": 2054, "leap": False}
    r = cli(ctx.binary, "calendar", "solar", "1985-01-01", "--json")
    assert json.loads(r.stdout) == {"date": "1985-01-21"}
    r = cli(ctx.binary, "calendar", "solar", "2033-11-01", "--leap", "--json")
    assert r.returncode == 0 and json.loads(r.stdout) == {"date": "2033-12-22"}, r
    r = cli(ctx.binary, "calendar", "solar", "2034-11-01", "--leap")
    assert r.returncode == 1 and "leap" in r.stderr
    r = cli(ctx.binary, "calendar", "lunar", "2025-02-30")
    assert r.returncode == 1 and "2025-02-30" in r.stderr
    r = cli(ctx.binary, "calendar", "lunar")
    assert r.returncode == 2
    r = cli(ctx.binary, "calendar", "--help")
    assert r.returncode == 0 and "holidays YEAR" in r.stdout


def test_cli_holidays_and_arithmetic(ctx):
    r = cli(ctx.binary, "calendar", "holidays", "2024", "--json")
    assert r.returncode == 0, r.stderr
    h = json.loads(r.stdout)
    off = {d["date"]: d for d in h["days_off"]}
    assert "2024-04-29" in off and off["2024-04-29"]["kind"] == "swap" and off["2024-04-29"]["source"]
    assert [d["date"] for d in h["make_up_working_days"]] == ["2024-05-04"]
    import datetime
    for d in h["days_off"]:
        assert datetime.date.fromisoformat(d["date"]).weekday() < 5, d
        assert d["kind"] in ("statutory", "in_lieu", "swap", "extra")
    r = cli(ctx.binary, "calendar", "add", "2025-01-24T08:00", "3", "days", "--json")
    assert json.loads(r.stdout)["due"] == "2025-02-05T08:00", r
    r = cli(ctx.binary, "calendar", "add", "2025-01-24T08:00", "3", "days")
    assert r.stdout.strip() == "2025-02-05T08:00"
    r = cli(ctx.binary, "calendar", "between", "2025-01-24T08:00", "2025-02-05T08:00", "--json")
    assert json.loads(r.stdout)["working_minutes"] == 3 * 450
    r = cli(ctx.binary, "calendar", "add", "2025-03-03T16:00", "2", "hours")
    assert r.stdout.strip() == "2025-03-04T08:30"
    r = cli(ctx.binary, "calendar", "add", "2025-03-03T16:00", "1", "hours", "--cutoff", "15:30")
    assert r.stdout.strip() == "2025-03-04T08:30"
    r = cli(ctx.binary, "calendar", "holidays", "2026", "--json")
    unconfirmed = [d["date"] for d in json.loads(r.stdout)["days_off"] if not d["confirmed"]]
    assert "2026-08-31" in unconfirmed and "2026-11-24" in unconfirmed
    for bad in (["add", "2025-02-30", "3", "days"], ["add", "2025-01-24", "-1", "days"],
                ["add", "2025-01-24", "10001", "days"], ["add", "2025-01-24", "abc", "days"],
                ["add", "2025-01-24", "1", "days", "--calendar", "khong-co"],
                ["between", "2025-02-05", "2025-01-24"], ["holidays", "1999"],
                ["add", "2025-01-24", "1", "days", "--cutoff", "25:00"]):
        r = cli(ctx.binary, "calendar", *bad)
        assert r.returncode == 1, (bad, r)
        assert r.stderr.startswith("dieuhanh: "), r.stderr
    r = cli(ctx.binary, "calendar", "add", "2025-01-24", "1", "weeks")
    assert r.returncode == 2


def test_api_reads(ctx):
    s = ctx.server(demo=True)
    t = s.login("xem.tinh")
    r = s.request("GET", "/api/v1/calendars", token=t)
    assert r.status == 200 and r.json["items"][0]["name"] == "default", r
    assert r.json["items"][0]["hours"]["mon"] == "07:30-11:30,13:30-17:00"
    r = s.request("GET", "/api/v1/calendars/default/holidays?year=2025", token=t)
    assert r.status == 200, r
    off = [d["date"] for d in r.json["days_off"]]
    assert "2025-05-02" in off and "2025-01-27" in off
    assert [d["date"] for d in r.json["make_up_working_days"]] == ["2025-04-26"]
    r = s.request("GET", "/api/v1/calendars/default/add?start=2025-01-24T08:00&days=3", token=t)
    assert r.status == 200 and r.json["due"] == "2025-02-05T08:00", r
    r = s.request("GET", "/api/v1/calendars/default/between?from=2025-01-24T08:00&to=2025-02-05T08:00",
                  token=t)
    assert r.json["working_minutes"] == 1350
    r = s.request("GET", "/api/v1/calendars/default/holidays?year=2024&format=ics", token=t)
    assert r.status == 200 and r.header("Content-Type").startswith("text/calendar")
    assert b"BEGIN:VCALENDAR" in r.raw and b"20240429" in r.raw
    r = s.request("GET", "/api/v1/calendars/default/holidays?year=2024&format=csv", token=t)
    assert r.raw.startswith(b"date,type,kind,name,source,confirmed")
    for path, field in (("/api/v1/calendars/default/add?start=2025-02-30&days=3", "start"),
                        ("/api/v1/calendars/default/add?start=2025-01-24&days=-2", "days"),
                        ("/api/v1/calendars/default/add?start=2025-01-24&days=99999", "days"),
                        ("/api/v1/calendars/default/add?start=2025-01-24", "days"),
                        ("/api/v1/calendars/khong-co/add?start=2025-01-24&days=1", "calendar"),
                        ("/api/v1/calendars/default/holidays?year=abc", "year"),
                        ("/api/v1/calendars/default/holidays?year=2300", "year"),
                        ("/api/v1/calendars/default/between?from=2025-02-05&to=2025-01-01", "to")):
        expect_error(s.request("GET", path, token=t), 422, field=field)
    expect_error(s.request("GET", "/api/v1/calendars"), 401)


def test_api_schedule_corrections_are_audited(ctx):
    s = ctx.server(demo=True)
    admin = s.login("admin")
    leader = s.login("lanhdao.tinh")
    r = s.request("GET", "/api/v1/schedules?year=2026", token=admin)
    entries = {e["date"]: e for e in r.json["items"]}
    e = entries["2026-08-31"]
    assert e["confirmed"] is False
    # only an admin corrects, and a refusal is audited
    expect_error(s.request("PATCH", "/api/v1/schedules/%d" % e["id"], {"confirmed": True},
                           token=leader), 403)
    r = s.request("PATCH", "/api/v1/schedules/%d" % e["id"],
                  {"confirmed": True, "source": "Thông báo số 1/TB-BNV"}, token=admin)
    assert r.status == 200 and r.json["confirmed"] is True, r
    r = s.request("GET", "/api/v1/calendars/default/holidays?year=2026", token=admin)
    d = [x for x in r.json["days_off"] if x["date"] == "2026-08-31"][0]
    assert d["confirmed"] is True and d["source"] == "Thông báo số 1/TB-BNV"
    # a new extra day off changes the arithmetic at once
    r = s.request("POST", "/api/v1/schedules", {"date": "2026-12-01", "type": "off",
                                                "kind": "extra", "name": "Nghỉ thử"},
                  token=admin)
    assert r.status == 201, r
    r = s.request("GET", "/api/v1/calendars/default/add?start=2026-11-30T17:00&days=1",
                  token=admin)
    assert r.json["due"] == "2026-12-02T17:00", r.json
    # both off and worked on one day: refused, nothing written
    before = s.request("GET", "/api/v1/schedules", token=admin).json["items"]
    expect_error(s.request("POST", "/api/v1/schedules", {"date": "2026-12-01", "type": "work",
                                                         "name": "Làm bù"}, token=admin), 422,
                 field="date")
    expect_error(s.request("POST", "/api/v1/schedules", {"entries": [
        {"date": "2026-12-05", "type": "work", "name": "Làm bù"},
        {"date": "2026-12-05", "type": "off", "name": "Nghỉ"}]}, token=admin), 422)
    expect_error(s.request("POST", "/api/v1/schedules", {"date": "2026-12-07", "type": "nghỉ",
                                                         "name": "x"}, token=admin), 422,
                 field="type")
    expect_error(s.request("POST", "/api/v1/schedules", {"date": "2026-02-30", "type": "off",
                                                         "name": "x"}, token=admin), 422,
                 field="date")
    assert s.request("GET", "/api/v1/schedules", token=admin).json["items"] == before
    # delete, then the day is worked again
    new = [x for x in before if x["date"] == "2026-12-01"][0]
    r = s.request("DELETE", "/api/v1/schedules/%d" % new["id"], token=admin)
    assert r.status == 200, r
    expect_error(s.request("DELETE", "/api/v1/schedules/%d" % new["id"], token=admin), 404)
    r = s.request("GET", "/api/v1/audit?entity=schedule&limit=500", token=admin)
    actions = [(a["action"], a["outcome"]) for a in r.json["items"]]
    assert ("update", "ok") in actions and ("create", "ok") in actions
    assert ("delete", "ok") in actions and ("update", "denied") in actions, actions
    upd = [a for a in r.json["items"] if a["action"] == "update" and a["outcome"] == "ok"][0]
    assert upd["before"]["confirmed"] is False and upd["after"]["confirmed"] is True
    # the command line reads the database's corrections
    r = cli(ctx.binary, "calendar", "holidays", "2026", "--json", "--db", s.db)
    d = [x for x in json.loads(r.stdout)["days_off"] if x["date"] == "2026-08-31"][0]
    assert d["confirmed"] is True


def test_api_calendars_and_unit_assignment(ctx):
    s = ctx.server(demo=True)
    admin = s.login("admin")
    body = {"name": "mot-cua", "label": "Bộ phận Một cửa (sáng thứ Bảy)",
            "hours": {"mon": "07:30-11:30,13:30-17:00", "tue": "07:30-11:30,13:30-17:00",
                      "wed": "07:30-11:30,13:30-17:00", "thu": "07:30-11:30,13:30-17:00",
                      "fri": "07:30-11:30,13:30-17:00", "sat": "07:30-11:30", "sun": ""}}
    r = s.request("POST", "/api/v1/calendars", body, token=admin)
    assert r.status == 201, r
    expect_error(s.request("POST", "/api/v1/calendars", body, token=admin), 409)
    bad = dict(body, name="xau", hours={"mon": "11:30-07:30"})
    expect_error(s.request("POST", "/api/v1/calendars", bad, token=admin), 422, field="hours")
    # Friday 17:00 + 2 hours: Saturday morning counts on this calendar
    r = s.request("GET", "/api/v1/calendars/mot-cua/add?start=2025-03-07T17:00&hours=2",
                  token=admin)
    assert r.json["due"] == "2025-03-08T09:30", r.json
    r = s.request("GET", "/api/v1/calendars/default/add?start=2025-03-07T17:00&hours=2",
                  token=admin)
    assert r.json["due"] == "2025-03-10T09:30", r.json
    # a unit (and its subtree) uses it from a date on
    officer = s.login("vanphong.vt")
    r = s.request("POST", "/api/v1/units/VT-BPMC/calendar", {"calendar": "mot-cua",
                                                             "from": "2024-01-01"}, token=officer)
    assert r.status == 200, r
    expect_error(s.request("POST", "/api/v1/units/BRVT-SYT/calendar",
                           {"calendar": "mot-cua", "from": "2024-01-01"}, token=officer), 403)
    expect_error(s.request("POST", "/api/v1/units/VT-BPMC/calendar",
                           {"calendar": "khong-co", "from": "2024-01-01"}, token=admin), 422,
                 field="calendar")
    g = lambda code, d: s.request("GET", "/api/v1/units/%s/calendar?as_of=%s" % (code, d),
                                  token=admin).json["calendar"]
    assert g("VT-BPMC", "2024-06-01") == "mot-cua"
    assert g("VT-BPMC", "2023-06-01") == "default"
    assert g("VT-P1", "2024-06-01") == "default"
    r = s.request("POST", "/api/v1/units/BRVT-VT/calendar", {"calendar": "mot-cua",
                                                             "from": "2024-03-01"}, token=admin)
    assert r.status == 200
    assert g("VT-P1", "2024-06-01") == "mot-cua"  # inherited from the city
    r = s.request("PATCH", "/api/v1/calendars/mot-cua", {"label": "Một cửa"}, token=admin)
    assert r.status == 200 and r.json["label"] == "Một cửa"
    expect_error(s.request("PATCH", "/api/v1/calendars/mot-cua", {"label": "x"}, token=officer),
                 403)


def test_import_export_files(ctx):
    s = ctx.server()
    d = tempfile.mkdtemp(prefix="dh-cal-")
    out = os.path.join(d, "2025.ics")
    r = cli(ctx.binary, "calendar", "export", "2025", "--format", "ics", "-o", out, "--db", s.db)
    assert r.returncode == 0, r.stderr
    text = open(out, encoding="utf-8").read()
    assert "BEGIN:VEVENT" in text and "X-DIEUHANH-TYPE:work" in text
    csvp = os.path.join(d, "extra.csv")
    with open(csvp, "w", encoding="utf-8") as f:
        f.write("date,type,kind,name,source,confirmed\n"
                "2027-02-08,off,extra,Nghỉ thêm Tết,Thông báo thử,true\n"
                "2027-02-20,work,,Làm bù,Thông báo thử,false\n")
    r = cli(ctx.binary, "calendar", "import", csvp, "--db", s.db)
    assert r.returncode == 0 and "2" in r.stdout, r
    r = cli(ctx.binary, "calendar", "holidays", "2027", "--json", "--db", s.db)
    h = json.loads(r.stdout)
    assert "2027-02-08" in [x["date"] for x in h["days_off"]]
    assert [x["date"] for x in h["make_up_working_days"]] == ["2027-02-20"]
    with open(csvp, "w", encoding="utf-8") as f:
        f.write("date,type,kind,name,source,confirmed\n"
                "2027-03-01,off,extra,A,,true\n"
                "2027-03-01,work,,B,,true\n")
    r = cli(ctx.binary, "calendar", "import", csvp, "--db", s.db)
    assert r.returncode == 1 and "extra.csv:3" in r.stderr, r.stderr
    with open(csvp, "w", encoding="utf-8") as f:
        f.write("date,type,kind,name,source,confirmed\n2027-03-02,off,holiday,A,,true\n")
    r = cli(ctx.binary, "calendar", "import", csvp, "--db", s.db)
    assert r.returncode == 1 and "extra.csv:2" in r.stderr and "kind" in r.stderr, r.stderr
    r = cli(ctx.binary, "calendar", "holidays", "2027", "--json", "--db", s.db)
    assert "2027-03-01" not in r.stdout and "2027-03-02" not in r.stdout
    # the API takes an .ics upload
    admin_pw = "mat-khau-quan-tri"
    r = cli(ctx.binary, "user", "add", "root", "--role", "admin", "--db", s.db, stdin=admin_pw)
    assert r.returncode == 0, r.stderr
    t = s.login("root", admin_pw)
    ics = ("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20270505\r\n"
           "DTEND;VALUE=DATE:20270507\r\nSUMMARY:Nghỉ hai ngày\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    r = s.request("POST", "/api/v1/schedules/import?name=" + quote("thêm.ics"),
                  raw=ics.encode("utf-8"), token=t, headers={"Content-Type": "text/calendar"})
    assert r.status == 200 and r.json["taken"] == 2, r
    r = s.request("POST", "/api/v1/schedules/import?name=x.ics", raw=b"BEGIN:VCALENDAR\r\n"
                  b"BEGIN:VEVENT\r\nSUMMARY:x\r\nEND:VEVENT\r\n", token=t)
    err = expect_error(r, 422)
    assert "x.ics:2" in err["message"], err
