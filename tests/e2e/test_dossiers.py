"""Dossier tracking over the API and the CLI (issue 4, first part)."""
import json
import os
import tempfile

from harness import expect_error

PROCS = {"procedures": [
    {"code": "1.004227", "name": "Đăng ký khai sinh", "field": "Hộ tịch", "level": "commune",
     "duration": 3, "duration_unit": "working_days", "online_level": "full",
     "fee_bearing": False, "paper_result": True},
    {"code": "2.000908", "name": "Chứng thực bản sao từ bản chính", "field": "Chứng thực",
     "level": "commune", "duration": 2, "duration_unit": "working_days",
     "online_level": "partial", "fee_bearing": True, "paper_result": True,
     "cutoff_time": "15:30"}]}


def ev(i, dossier, type_, at, **kw):
    d = {"id": "e%s" % i, "source": "motcua-vt", "dossier": dossier, "type": type_, "at": at}
    d.update(kw)
    return d


def setup(ctx):
    s = ctx.server(demo=True)
    admin = s.login("admin")
    r = s.request("POST", "/api/v1/procedures", PROCS, token=admin)
    assert r.status == 201, r
    return s, admin


def received(i, dossier, at, unit="VT-P1", proc="1.004227", **kw):
    return ev(i, dossier, "received", at, unit=unit, procedure=proc, **kw)


def test_ingest_idempotent_and_queries(ctx):
    s, admin = setup(ctx)
    t = s.login("vanphong.vt")
    batch = {"events": [
        received(1, "VT-2025-0001", "2025-01-24T08:00:00+07:00", channel="online",
                 by_applicant=True),
        ev(2, "VT-2025-0001", "processed", "2025-02-05T09:00:00+07:00"),
        received(3, "VT-2025-0002", "2025-03-03T08:00:00+07:00", unit="VT-P2", proc="2.000908"),
        ev(4, "VT-2025-0002", "supplement_requested", "2025-03-03T10:00:00+07:00"),
        ev(5, "VT-2025-0002", "supplement_completed", "2025-03-04T10:00:00+07:00"),
    ]}
    r = s.request("POST", "/api/v1/dossier-events", batch, token=t)
    assert r.status == 201 and r.json["accepted"] == 5 and r.json["dossiers"] == 2, r
    # a resent batch changes nothing and says so
    r = s.request("POST", "/api/v1/dossier-events", batch, token=t)
    assert r.status == 200 and r.json["accepted"] == 0 and r.json["duplicates"] == 5, r
    # the same id with other content: 409, nothing written
    changed = dict(batch["events"][1], at="2025-02-04T09:00:00+07:00")
    expect_error(s.request("POST", "/api/v1/dossier-events", changed, token=t), 409)
    d = s.request("GET", "/api/v1/dossiers/VT-2025-0001", token=t).json
    for k in ("code", "unit", "procedure", "channel", "by_applicant", "received_at", "due_at",
              "finished_at", "state", "outcome", "working_minutes_used", "events"):
        assert k in d, k
    assert d["due_at"] == "2025-02-05T08:00:00+07:00"  # Tết 2025 lies between
    assert d["state"] == "resolved" and d["outcome"] == "late" and d["by_applicant"] is True
    assert len(d["events"]) == 2
    d2 = s.request("GET", "/api/v1/dossiers/VT-2025-0002", token=t).json
    assert d2["state"] == "in_progress" and d2["outcome"] == "overdue"  # it is 2026 now
    assert d2["due_effective"] == "2025-03-06T08:00:00+07:00"  # pushed back by the pause
    r = s.request("GET", "/api/v1/dossiers?unit=BRVT-VT&subtree=1&state=overdue", token=t)
    assert [x["code"] for x in r.json["items"]] == ["VT-2025-0002"], r.json
    r = s.request("GET", "/api/v1/dossiers?unit=BRVT-VT&subtree=1", token=t)
    assert [x["code"] for x in r.json["items"]] == ["VT-2025-0002", "VT-2025-0001"]
    r = s.request("GET", "/api/v1/dossiers?unit=VT-P1&state=late", token=t)
    assert [x["code"] for x in r.json["items"]] == ["VT-2025-0001"]
    r = s.request("GET", "/api/v1/dossiers?unit=BRVT-VT&subtree=1&limit=1", token=t)
    assert len(r.json["items"]) == 1 and r.json["next"]
    expect_error(s.request("GET", "/api/v1/dossiers?state=chua-xong", token=t), 422,
                 field="state")
    # outside the reader's scope
    other = s.login("canbo.stttt")
    # another unit's dossier is answered as a missing one (issue 13, finding 17)
    expect_error(s.request("GET", "/api/v1/dossiers/VT-2025-0001", token=other), 404)
    expect_error(s.request("GET", "/api/v1/dossiers?unit=BRVT-VT", token=other), 403)
    expect_error(s.request("GET", "/api/v1/dossiers/KHONG-CO", token=t), 404)
    # the daily overdue list from the command line
    r = s.cli("dossiers", "late", "--unit", "BRVT-VT", "--date", "2025-03-06", "--json",
              "--db", s.db)
    assert r.returncode == 0, r.stderr
    late = json.loads(r.stdout)["items"]
    assert [x["code"] for x in late] == ["VT-2025-0002"]
    r = s.cli("dossiers", "late", "--unit", "BRVT-VT", "--date", "2025-03-05", "--json",
              "--db", s.db)
    assert json.loads(r.stdout)["items"] == []  # not yet overdue that day


def test_out_of_order_events_correct_the_state(ctx):
    s, admin = setup(ctx)
    r = s.request("POST", "/api/v1/dossier-events",
                  ev(1, "D-1", "processed", "2025-03-04T09:00:00+07:00"), token=admin)
    assert r.status == 201, r
    expect_error(s.request("GET", "/api/v1/dossiers/D-1", token=admin), 404)
    r = s.request("POST", "/api/v1/dossier-events",
                  received(2, "D-1", "2025-03-03T08:00:00+07:00"), token=admin)
    assert r.status == 201, r
    d = s.request("GET", "/api/v1/dossiers/D-1", token=admin).json
    assert d["state"] == "resolved" and d["outcome"] == "early"


def test_bad_events_are_refused_and_nothing_written(ctx):
    s, admin = setup(ctx)
    ok = received(1, "B-1", "2025-03-03T08:00:00+07:00")
    cases = [
        (received(2, "B-2", "2025-03-03T08:00:00+07:00", unit="KHONG"), 422, "unit"),
        (received(3, "B-3", "2025-03-03T08:00:00+07:00", proc="9.999999"), 422, "procedure"),
        (received(4, "B-4", "2025-03-03T08:00:00"), 422, "at"),
        (received(5, "B-5", "2025-02-30T08:00:00+07:00"), 422, "at"),
        (ev(6, "B-1", "processed", "2025-03-02T08:00:00+07:00"), 422, "at"),
        (ev(7, "B-1", "rated", "2025-03-05T08:00:00+07:00", rating=9), 422, "rating"),
        (ev(8, "B-1", "teleported", "2025-03-05T08:00:00+07:00"), 422, "type"),
        (dict(received(9, "B-9", "2025-03-03T08:00:00+07:00"), colour="red"), 422, "colour"),
    ]
    for bad, status, field in cases:
        r = s.request("POST", "/api/v1/dossier-events", {"events": [ok, bad]}, token=admin)
        err = expect_error(r, status, field=field)
        assert "event 1" in err["message"], err
        assert [x["index"] for x in r.json["refused"]] == [1], r.json
        expect_error(s.request("GET", "/api/v1/dossiers/B-1", token=admin), 404)
    # after the end, a lifecycle event is refused; a rating is not
    r = s.request("POST", "/api/v1/dossier-events", {"events": [
        ok, ev(10, "B-1", "result_returned", "2025-03-04T08:00:00+07:00")]}, token=admin)
    assert r.status == 201, r
    expect_error(s.request("POST", "/api/v1/dossier-events",
                           ev(11, "B-1", "supplement_requested", "2025-03-05T08:00:00+07:00"),
                           token=admin), 422, field="at")
    r = s.request("POST", "/api/v1/dossier-events",
                  ev(12, "B-1", "rated", "2025-03-05T08:00:00+07:00", rating=5), token=admin)
    assert r.status == 201, r
    expect_error(s.request("POST", "/api/v1/dossier-events", raw=b'{"events":[{"id":',
                           token=admin), 400)
    big = {"events": [received(100 + i, "X-%d" % i, "2025-03-03T08:00:00+07:00")
                      for i in range(10001)]}
    expect_error(s.request("POST", "/api/v1/dossier-events", big, token=admin), 413)


def test_scoped_tokens_and_roles(ctx):
    s, admin = setup(ctx)
    officer = s.login("vanphong.vt")
    r = s.request("POST", "/api/v1/tokens", {"name": "một cửa P1", "unit": "VT-P1"},
                  token=officer)
    tok = r.json["token"]
    r = s.request("POST", "/api/v1/dossier-events",
                  received(1, "S-1", "2025-03-03T08:00:00+07:00"), token=tok)
    assert r.status == 201, r
    expect_error(s.request("POST", "/api/v1/dossier-events",
                           received(2, "S-2", "2025-03-03T08:00:00+07:00", unit="VT-P2"),
                           token=tok), 403)
    viewer = s.login("xem.tinh")
    expect_error(s.request("POST", "/api/v1/dossier-events",
                           received(3, "S-3", "2025-03-03T08:00:00+07:00"), token=viewer), 403)
    expect_error(s.request("POST", "/api/v1/procedures", PROCS["procedures"][0], token=officer),
                 403)


def test_public_lookup(ctx):
    s, admin = setup(ctx)
    s.request("POST", "/api/v1/dossier-events", {"events": [
        received(1, "VT-2025-0009", "2025-01-24T08:00:00+07:00"),
        ev(2, "VT-2025-0009", "processed", "2025-02-05T09:00:00+07:00")]}, token=admin)
    r = s.request("GET", "/tra-cuu?ma=VT-2025-0009")
    assert r.status == 200, r
    page = r.raw.decode("utf-8")
    assert "Đăng ký khai sinh" in page and "Giải quyết trễ hạn" in page
    assert "08:00 ngày 05/02/2025" in page
    assert "VT-P1" not in page and "motcua" not in page  # no internal or personal data
    assert "script" not in page.lower()
    assert "default-src 'none'" in r.header("Content-Security-Policy")
    r = s.request("GET", "/tra-cuu?ma=%3Cscript%3Ealert(1)%3C%2Fscript%3E")
    assert r.status == 404 and b"<script>" not in r.raw and b"&lt;script&gt;" in r.raw
    codes = [s.request("GET", "/tra-cuu?ma=X").status for _ in range(40)]
    assert 429 in codes, codes


def test_cli_imports(ctx):
    s, admin = setup(ctx)
    d = tempfile.mkdtemp(prefix="dh-ev-")
    p = os.path.join(d, "thu-tuc.csv")
    with open(p, "w", encoding="utf-8") as f:
        f.write("code,name,field,level,duration,duration_unit,online_level,fee_bearing,"
                "paper_result,cutoff_time\n"
                "1.001612,Đăng ký kết hôn,Hộ tịch,commune,5,working_days,full,false,true,\n"
                "1.001613,Đăng ký khai tử,Hộ tịch,village,3,working_days,full,false,true,\n")
    r = s.cli("procedure", "import", p, "--db", s.db)
    assert r.returncode == 1 and "thu-tuc.csv:3" in r.stderr and "level" in r.stderr, r
    r = s.cli("procedure", "list", "--db", s.db)
    assert "1.001612" not in r.stdout
    r = s.cli("procedure", "import", p, "--partial", "--db", s.db)
    assert "1 procedures taken, 1 refused" in r.stdout, r
    nd = os.path.join(d, "su-kien.ndjson")
    with open(nd, "w", encoding="utf-8") as f:
        f.write(json.dumps(received(1, "C-1", "2025-03-03T08:00:00+07:00", proc="1.001612")) + "\n")
        f.write("\n")
        f.write(json.dumps(received(2, "C-2", "2025-03-03T08:00:00+07:00", unit="NOPE")) + "\n")
    r = s.cli("import", "events", nd, "--db", s.db)
    assert r.returncode == 1 and "su-kien.ndjson:3" in r.stderr, r.stderr
    r = s.cli("import", "events", nd, "--partial", "--db", s.db)
    assert "1 events accepted" in r.stdout, r.stdout
    with open(nd, "w", encoding="utf-8") as f:
        f.write('{"id": "x", "source": \n')
    r = s.cli("import", "events", nd, "--db", s.db)
    assert r.returncode == 1 and "su-kien.ndjson:1: column" in r.stderr, r.stderr
    cs = os.path.join(d, "su-kien.csv")
    with open(cs, "w", encoding="utf-8") as f:
        f.write("id,source,dossier,type,at,unit,procedure,channel,by_applicant\n"
                "c1,csv,C-9,received,2025-03-03T08:00:00+07:00,VT-P1,1.001612,online,true\n"
                "c2,csv,C-9,processed,2025-03-04T08:00:00+07:00,,,,\n")
    r = s.cli("import", "events", cs, "--db", s.db)
    assert r.returncode == 0 and "2 events accepted" in r.stdout, (r.stdout, r.stderr)
    r = s.cli("dossiers", "show", "C-9", "--db", s.db)
    dd = json.loads(r.stdout)
    assert dd["state"] == "resolved" and dd["by_applicant"] is True


def test_generator_is_deterministic_and_valid(ctx):
    s = ctx.server(demo=True)
    args = ["gen", "events", "--dossiers", "400", "--seed", "5", "--from", "2025-01-01",
            "--to", "2025-12-31", "--db", s.db]
    a = s.cli(*args)
    b = s.cli(*args)
    assert a.returncode == 0, a.stderr
    assert a.stdout == b.stdout and a.stdout.count("\n") > 1000
    other = s.cli(*(args[:5] + ["6"] + args[6:]))
    assert other.stdout != a.stdout
    lines = [json.loads(l) for l in a.stdout.splitlines()]
    assert {l["type"] for l in lines} >= {"received", "processed", "result_returned", "paid",
                                           "rated", "supplement_requested", "digitised"}
    d = tempfile.mkdtemp(prefix="dh-gen-")
    p = os.path.join(d, "g.ndjson")
    with open(p, "w", encoding="utf-8") as f:
        f.write(a.stdout)
    r = s.cli("import", "events", p, "--db", s.db)
    assert r.returncode == 0 and " 0 refused" in r.stdout, (r.stdout, r.stderr[-500:])
    t = s.login("lanhdao.tinh")
    late = s.request("GET", "/api/v1/dossiers?unit=BRVT&subtree=1&state=late&limit=500",
                     token=t).json["items"]
    received = [l for l in lines if l["type"] == "received"]
    share = len(late) / len(received)
    assert 0.02 < share < 0.12, share  # about 5% late
    r = s.cli("gen", "events", "--dossiers", "0", "--from", "2025-01-01", "--to", "2025-01-02",
              "--db", s.db)
    assert r.returncode == 2


def test_apology_letter_pdf_and_html(ctx):
    import subprocess
    s, admin = setup(ctx)
    t = s.login("vanphong.vt")
    s.request("POST", "/api/v1/dossier-events", {"events": [
        received(1, "L-1", "2025-01-24T08:00:00+07:00"),
        ev(2, "L-1", "extended", "2025-02-04T08:00:00+07:00",
           new_appointment="2025-02-10T16:00:00+07:00", reason="Cần xác minh <thực địa> & hồ sơ"),
        ev(3, "L-1", "processed", "2025-02-07T09:00:00+07:00"),
        received(4, "L-2", "2025-03-03T08:00:00+07:00"),
        ev(5, "L-2", "processed", "2025-03-03T09:00:00+07:00")]}, token=t)
    r = s.request("GET", "/api/v1/dossiers/L-1/apology.pdf", token=t)
    assert r.status == 200 and r.header("Content-Type") == "application/pdf", r
    assert r.raw.startswith(b"%PDF")
    d = tempfile.mkdtemp(prefix="dh-pdf-")
    p = os.path.join(d, "l.pdf")
    with open(p, "wb") as f:
        f.write(r.raw)
    text = subprocess.run(["pdftotext", "-layout", p, "-"], capture_output=True,
                          text=True).stdout
    flat = " ".join(text.split())
    for want in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập – Tự do – Hạnh phúc",
                 "Ủy ban nhân dân Phường 1", "Đăng ký khai sinh", "L-1",
                 "08 giờ 00 ngày 05/02/2025", "16 giờ 00 ngày 10/02/2025",
                 "Cần xác minh <thực địa> & hồ sơ", "xin lỗi Ông/Bà"):
        assert want in flat, (want, flat)
    r = s.request("GET", "/api/v1/dossiers/L-1/apology.html", token=t)
    page = r.raw.decode("utf-8")
    assert "&lt;thực địa&gt; &amp; hồ sơ" in page and "<thực địa>" not in page
    expect_error(s.request("GET", "/api/v1/dossiers/L-2/apology.pdf", token=t), 409)
    expect_error(s.request("GET", "/api/v1/dossiers/L-1/apology.pdf",
                           token=s.login("canbo.stttt")), 404)  # as missing (issue 13)
    out = os.path.join(d, "cli.pdf")
    r = s.cli("letter", "L-1", "-o", out, "--db", s.db)
    assert r.returncode == 0, r.stderr
    text = subprocess.run(["pdftotext", out, "-"], capture_output=True, text=True).stdout
    assert "Đăng ký khai sinh" in text
    r = s.cli("letter", "L-2", "-o", out, "--db", s.db)
    assert r.returncode == 1 and "late" in r.stderr


def test_dossier_uses_the_procedure_version_in_force_at_receipt(ctx):
    s, admin = setup(ctx)
    v2 = dict(PROCS["procedures"][0], duration=1, valid_from="2025-07-01")
    assert s.request("POST", "/api/v1/procedures", v2, token=admin).status == 201
    expect_error(s.request("POST", "/api/v1/procedures", v2, token=admin), 409)
    s.request("POST", "/api/v1/dossier-events", {"events": [
        received(1, "V-OLD", "2025-06-30T08:00:00+07:00"),
        received(2, "V-NEW", "2025-07-01T08:00:00+07:00")]}, token=admin)
    old = s.request("GET", "/api/v1/dossiers/V-OLD", token=admin).json
    new = s.request("GET", "/api/v1/dossiers/V-NEW", token=admin).json
    assert old["due_at"] == "2025-07-03T08:00:00+07:00", old  # 3 working days
    assert new["due_at"] == "2025-07-02T08:00:00+07:00", new  # 1 working day
    r = s.request("GET", "/api/v1/procedures?q=" + "khai%20sinh", token=admin)
    assert [p["duration"] for p in r.json["items"] if p["code"] == "1.004227"] == [1]


def test_ingestion_is_audited(ctx):
    s, admin = setup(ctx)
    t = s.login("vanphong.vt")
    s.request("POST", "/api/v1/dossier-events", {"events": [
        received(1, "A-1", "2025-03-03T08:00:00+07:00"),
        received(2, "A-2", "2025-03-03T08:00:00+07:00")]}, token=t)
    r = s.request("GET", "/api/v1/audit?entity=dossier_events", token=admin)
    rows = r.json["items"]
    assert len(rows) == 1 and rows[0]["actor"] == "vanphong.vt", rows
    assert rows[0]["after"] == {"accepted": 2, "duplicates": 0, "dossiers": 2}
