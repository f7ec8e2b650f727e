"""The daily late-dossier report (issue 19, point 6): each unit's overdue dossiers
reported to its parent unit once a working day, stored as history, mailed to the
parent's contact, printed by `report late-daily` and shown on the parent's page."""
import json
import os
import threading
import time

from harness import expect_error
from test_dossiers import PROCS, ev, received
from test_plans import SMTPSink


def cli_json(s, *args, env=None):
    r = s.cli(*args, "--json", "--db", s.db, env=env)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def setup(ctx):
    s = ctx.server(demo=True)
    admin = s.login("admin")
    r = s.request("POST", "/api/v1/procedures", PROCS, token=admin)
    assert r.status == 201, r
    batch = {"events": [
        # VT-P2: due 2025-03-06 08:00 after a day's pause; no apology
        received(1, "VT-2025-0002", "2025-03-03T08:00:00+07:00", unit="VT-P2", proc="2.000908"),
        ev(2, "VT-2025-0002", "supplement_requested", "2025-03-03T10:00:00+07:00"),
        ev(3, "VT-2025-0002", "supplement_completed", "2025-03-04T10:00:00+07:00"),
        # VT-P1: late, apologised with a new appointment (3 March), still not done
        received(4, "VT-2025-0003", "2025-02-24T08:00:00+07:00"),
        ev(5, "VT-2025-0003", "extended", "2025-02-27T09:00:00+07:00",
           new_appointment="2025-03-03T08:00:00+07:00", reason="Chờ xác minh"),
        # VT-P1: finished on time: not reported
        received(6, "VT-2025-0004", "2025-03-03T08:00:00+07:00"),
        ev(7, "VT-2025-0004", "processed", "2025-03-04T09:00:00+07:00"),
    ]}
    r = s.request("POST", "/api/v1/dossier-events", batch, token=admin)
    assert r.status == 201, r
    return s, admin


def test_late_daily_once_per_day_history_and_holiday(ctx):
    s, admin = setup(ctx)
    # Before any run: nothing reported that day
    out = cli_json(s, "report", "late-daily", "--unit", "BRVT-VT", "--date", "2025-03-06")
    assert out["received"] == [] and out["reported"] is False, out
    run = cli_json(s, "report", "late-daily", "--run", "--date", "2025-03-06")
    assert run["ran"] is True and run["day"] == "2025-03-06" and run["reports"] == 2, run
    # Once a day: a second run writes nothing
    again = cli_json(s, "report", "late-daily", "--run", "--date", "2025-03-06")
    assert again["ran"] is False and again["reports"] == 0, again
    out = cli_json(s, "report", "late-daily", "--unit", "BRVT-VT", "--date", "2025-03-06")
    got = {r["unit"]: r for r in out["received"]}
    assert sorted(got) == ["VT-P1", "VT-P2"], out
    p1, p2 = got["VT-P1"], got["VT-P2"]
    assert p1["parent"] == p2["parent"] == "BRVT-VT"
    assert p1["overdue"] == 1 and p1["apologies"] == 1, p1
    assert p2["overdue"] == 1 and p2["apologies"] == 0, p2
    d1, d2 = p1["items"][0], p2["items"][0]
    assert d1["code"] == "VT-2025-0003" and d1["apology_issued"] is True, d1
    assert d2["code"] == "VT-2025-0002" and d2["apology_issued"] is False, d2
    # due 06/03 08:00, reported at 16:30: part of a working day late
    assert d2["days_overdue"] == 1 and d2["due_at"] == "2025-03-06T08:00:00+07:00", d2
    # late from its first due date (27/02 08:00; the apology does not undo it):
    # 27/02, 28/02, 03/03, 04/03, 05/03 and part of 06/03
    assert d1["days_overdue"] == 6 and d1["due_at"] == "2025-02-27T08:00:00+07:00", d1
    assert d1["extended_to"] == "2025-03-03T08:00:00+07:00", d1
    # the unit's own view: its report, to its parent
    own = cli_json(s, "report", "late-daily", "--unit", "VT-P1", "--date", "2025-03-06")
    assert own["reported"] is True and own["report"]["items"][0]["code"] == "VT-2025-0003"
    # the text form names both and the apology state
    r = s.cli("report", "late-daily", "--unit", "BRVT-VT", "--date", "2025-03-06", "--db", s.db)
    assert r.returncode == 0 and "VT-2025-0003" in r.stdout and "đã có phiếu xin lỗi" in r.stdout
    # Not the day before the deadline passed
    run = cli_json(s, "report", "late-daily", "--run", "--date", "2025-03-05")
    assert run["ran"] is True and run["reports"] == 1, run  # only VT-2025-0003 then
    # Not on a holiday (30 April, Reunification Day), but the next working day
    run = cli_json(s, "report", "late-daily", "--run", "--date", "2025-04-30")
    assert run["ran"] is True and run["reports"] == 0, run
    run = cli_json(s, "report", "late-daily", "--run", "--date", "2025-05-05")
    assert run["reports"] == 2, run
    # nor on a Sunday
    run = cli_json(s, "report", "late-daily", "--run", "--date", "2025-03-09")
    assert run["reports"] == 0, run
    # History over the API: the parent sees what its units reported each day
    r = s.request("GET", "/api/v1/reports/late-daily?unit=BRVT-VT&date=2025-03-06", token=admin)
    assert r.status == 200 and len(r.json["received"]) == 2, r
    t = s.login("vanphong.vt")
    r = s.request("GET", "/api/v1/reports/late-daily?unit=BRVT-VT&date=2025-05-05", token=t)
    assert r.status == 200 and {x["unit"] for x in r.json["received"]} == {"VT-P1", "VT-P2"}
    expect_error(s.request("GET", "/api/v1/reports/late-daily?unit=BRVT-VT&date=2025-05-05",
                           token=s.login("canbo.stttt")), 403)
    expect_error(s.request("GET", "/api/v1/reports/late-daily?unit=BRVT-VT&date=06/03/2025",
                           token=admin), 422, field="date")
    # The page for the parent: which units reported what, and the days before
    r = s.request("GET", "/bao-cao/qua-han-trong-ngay?unit=BRVT-VT&date=2025-03-06",
                  headers={"Cookie": "dh_session=" + admin})
    assert r.status == 200, r
    html = r.raw.decode("utf-8")
    assert "Báo cáo hồ sơ quá hạn trong ngày" in html
    assert "VT-2025-0003" in html and "Đã có phiếu xin lỗi" in html and "2025-05-05" in html
    # reached from the reports page
    r = s.request("GET", "/bao-cao", headers={"Cookie": "dh_session=" + admin})
    assert 'href="/bao-cao/qua-han-trong-ngay"' in r.raw.decode("utf-8")
    # Bad input from the command line
    r = s.cli("report", "late-daily", "--db", s.db)
    assert r.returncode == 2 and "--unit" in r.stderr, r.stderr
    r = s.cli("report", "late-daily", "--unit", "BRVT-VT", "--date", "6/3", "--db", s.db)
    assert r.returncode == 2 and "--date" in r.stderr, r.stderr
    r = s.cli("report", "late-daily", "--unit", "NO-SUCH", "--db", s.db)
    assert r.returncode != 0 and "NO-SUCH" in r.stderr, r.stderr


def test_late_daily_mail_to_the_parent(ctx):
    s, admin = setup(ctx)
    r = s.request("PUT", "/api/v1/contacts/BRVT-VT", {"email": "vp.vungtau@example.vn"},
                  token=admin)
    assert r.status == 200, r
    sink = SMTPSink()
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    env = {"DIEUHANH_SMTP_URL": "smtp://127.0.0.1:%d" % sink.server_address[1]}
    run = cli_json(s, "report", "late-daily", "--run", "--date", "2025-03-06", env=env)
    assert run["reports"] == 2 and run["mailed"] == 1, run
    assert len(sink.messages) == 1 and sink.messages[0]["rcpt"] == ["vp.vungtau@example.vn"]
    body = sink.messages[0]["data"].decode("utf-8")
    assert "VT-2025-0002" in body and "VT-2025-0003" in body and "VT-P1" in body, body
    assert "chưa có phiếu xin lỗi" in body and "đã gửi phiếu xin lỗi" in body, body
    out = cli_json(s, "report", "late-daily", "--unit", "BRVT-VT", "--date", "2025-03-06")
    assert all(x["mailed"] for x in out["received"]), out
    # a second run neither stores nor mails
    run = cli_json(s, "report", "late-daily", "--run", "--date", "2025-03-06", env=env)
    assert run["ran"] is False and run["mailed"] == 0 and len(sink.messages) == 1, run
    sink.shutdown()


def test_late_daily_server_job_once_across_restarts(ctx):
    # The server's job: after the report hour (here midnight), today's run,
    # once, however often it ticks and across a restart.
    os.environ["DIEUHANH_LATE_REPORT_AT"] = "00:00"
    os.environ["DIEUHANH_LATE_REPORT_INTERVAL"] = "1"
    try:
        s = ctx.server(demo=True)
        t = s.login("admin")
        runs = lambda: s.request("GET", "/api/v1/audit?entity=late_daily&limit=50",
                                 token=t).json["items"]
        deadline = time.time() + 30
        while time.time() < deadline and not runs():
            time.sleep(0.2)
        first = runs()
        assert len(first) == 1 and first[0]["actor"] == "system:late-daily", first
        today = first[0]["key"]
        time.sleep(2.5)  # more ticks of the job: nothing more
        assert len(runs()) == 1, runs()
        s.stop()
        s.start()
        t = s.login("admin")
        time.sleep(2.5)
        assert len(runs()) == 1, runs()
        again = cli_json(s, "report", "late-daily", "--run", "--date", today)
        assert again["ran"] is False, again
    finally:
        del os.environ["DIEUHANH_LATE_REPORT_AT"]
        del os.environ["DIEUHANH_LATE_REPORT_INTERVAL"]
