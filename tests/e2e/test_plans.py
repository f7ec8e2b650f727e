"""Plans, tasks, progress, directives, coverage and reminders (issue 7) over
the API and the command line, on the demo province with the seed plans."""
import csv
import io
import json
import os
import socket
import socketserver
import tempfile
import threading
import time
from urllib.parse import quote

from harness import expect_error

HERE = os.path.dirname(os.path.abspath(__file__))
SEED_004 = os.path.join(HERE, "..", "..", "data", "plans", "tasks-BRVT-QD-2023-chinh-quyen-so.csv")


def plan_id(s, t, key):
    r = s.request("GET", "/api/v1/plans", token=t)
    assert r.status == 200, r
    for p in r.json["items"]:
        if p["key"] == key:
            return p["id"]
    raise AssertionError("no plan " + key)


def tasks_of(s, t, key, **q):
    qs = "&".join("%s=%s" % (k, quote(str(v))) for k, v in q.items())
    r = s.request("GET", "/api/v1/tasks?plan=%s&%s" % (quote(key), qs), token=t)
    assert r.status == 200, r
    return {x["ordinal"]: x for x in r.json["items"]}


def new_plan(s, t, key, issuer="BRVT", **extra):
    body = {"key": key, "type": "Quyết định", "issuer": issuer, "title": "Kế hoạch thử " + key,
            "period_from": "2023-01-01", "period_to": "2025-12-31"}
    body.update(extra)
    r = s.request("POST", "/api/v1/plans", body, token=t)
    assert r.status == 201, r
    return r.json


def xlsx_from_csv(path, out):
    import openpyxl
    wb = openpyxl.Workbook()
    ws = wb.active
    with open(path, encoding="utf-8") as f:
        for row in csv.reader(f):
            ws.append(row)
    wb.save(out)


def test_plans_import_seed_004_csv_and_xlsx(ctx):
    s = ctx.server(demo=True)
    t = s.login("admin")
    raw = open(SEED_004, "rb").read()
    p = new_plan(s, t, "TEST-004-CSV")
    r = s.request("POST", "/api/v1/plans/%d/import?name=tasks.csv" % p["id"], token=t, raw=raw,
                  headers={"Content-Type": "text/csv"})
    assert r.status == 201, r
    assert r.json["imported"] == 83
    new_plan(s, t, "TEST-004-XLSX")
    path = os.path.join(s.dir, "phu-luc.xlsx")
    xlsx_from_csv(SEED_004, path)
    c = s.cli("plan", "import", path, "--plan", "TEST-004-XLSX", "--db", s.db)
    assert c.returncode == 0, c.stderr
    assert "imported 83 tasks" in c.stdout
    a = tasks_of(s, t, "TEST-004-CSV")
    b = tasks_of(s, t, "TEST-004-XLSX")
    assert len(a) == len(b) == 83
    for k in a:
        for f in ("content", "lead", "coordinating", "deadline", "group", "status", "target"):
            assert a[k][f] == b[k][f], (k, f, a[k][f], b[k][f])
    # Names matched without regard to diacritics, groups expanded on the plan's date.
    assert "BRVT-STTTT" in a["I.1"]["coordinating"]
    assert "BRVT-SYT" in a["I.1"]["lead"] and "BRVT-VT" in a["I.1"]["lead"]
    # Deadlines kept as written and parsed; the yearly task has an occurrence per year.
    assert a["II.1"]["deadline"]["text"] == "Hàng năm"
    assert [o["due"] for o in a["II.1"]["occurrences"]] == ["2023-12-31", "2024-12-31",
                                                           "2025-12-31"]
    assert a["I.1"]["deadline"]["kind"] == "year_range"
    assert a["I.1"]["deadline"]["due"] == "2025-12-31"
    # The same file again is refused whole (ordinals exist), nothing added.
    r = s.request("POST", "/api/v1/plans/%d/import?name=tasks.csv" % p["id"], token=t, raw=raw)
    err = expect_error(r, 422, "invalid_file")
    assert "already has a task I.1" in err["rows"][0]
    assert len(tasks_of(s, t, "TEST-004-CSV")) == 83
    # Audit: one row per task and one for the import.
    r = s.request("GET", "/api/v1/audit?entity=plan&limit=500", token=t)
    assert any(x["action"] == "import" and x["key"] == "TEST-004-CSV"
               for x in r.json["items"]), r


def test_plans_import_bad_input(ctx):
    s = ctx.server(demo=True)
    t = s.login("admin")
    new_plan(s, t, "TEST-BAD")
    rows = [
        ["STT", "Nội dung", "Đơn vị chủ trì", "Đơn vị phối hợp", "Thời gian hoàn thành", "Ghi chú"],
        ["1", "Việc một", "so thong tin va truyen thong", "", "Quý IV/2024", ""],
        ["2", "Việc hai", "Sở Thông tin Truyền thong", "", "2024", ""],
        ["3", "Việc ba", "Sở Nội vụ", "Phòng Bí ẩn", "khi có chỉ đạo", ""],
    ]
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    r = s.request("POST", "/api/v1/plans/TEST-BAD/import?name=pl.csv", token=t,
                  raw=buf.getvalue().encode())
    err = expect_error(r, 422, "invalid_file")
    assert len(err["rows"]) == 2, err
    assert err["rows"][0].startswith("pl.csv:3: Đơn vị chủ trì: unknown unit "
                                     "'Sở Thông tin Truyền thong'; closest: "), err
    assert "Sở Thông tin và Truyền thông (BRVT-STTTT)" in err["rows"][0]
    assert err["rows"][1].startswith("pl.csv:4: Đơn vị phối hợp: unknown unit 'Phòng Bí ẩn'")
    assert tasks_of(s, t, "TEST-BAD") == {}
    # Without the bad names it goes in; the unreadable deadline is kept and flagged.
    del rows[2]
    rows[2][3] = ""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path = os.path.join(s.dir, "pl.csv")
    open(path, "w", encoding="utf-8").write(buf.getvalue())
    c = s.cli("plan", "import", path, "--plan", "TEST-BAD", "--db", s.db)
    assert c.returncode == 0, c.stderr
    got = tasks_of(s, t, "TEST-BAD")
    assert got["1"]["lead"] == ["BRVT-STTTT"]
    assert got["3"]["deadline"] == {"text": "khi có chỉ đạo", "kind": "free", "start": None,
                                    "due": None, "needs_review": True}
    r = s.request("GET", "/api/v1/tasks?plan=TEST-BAD&review=1", token=t)
    assert [x["ordinal"] for x in r.json["items"]] == ["3"]
    # A person sets the date: no longer flagged, the text stays as written.
    r = s.request("PATCH", "/api/v1/tasks/%d" % got["3"]["id"], {"due": "2024-12-31"}, token=t)
    assert r.status == 200, r
    assert r.json["deadline"]["due"] == "2024-12-31" and not r.json["deadline"]["needs_review"]
    assert r.json["deadline"]["text"] == "khi có chỉ đạo"
    # A missing required column, and an XLSX that is not one.
    r = s.request("POST", "/api/v1/plans/TEST-BAD/import?name=x.csv", token=t,
                  raw="STT,Nội dung\n1,a\n".encode())
    err = expect_error(r, 422, "invalid_file")
    assert "missing column 'Đơn vị chủ trì'" in err["message"]
    r = s.request("POST", "/api/v1/plans/TEST-BAD/import?name=x.xlsx", token=t,
                  raw=b"PK\x03\x04garbage")
    expect_error(r, 422, "invalid_file")
    # an appendix over 1 MiB is read (bulk limit), and judged on its content
    big = "STT,Nội dung\n" + "".join("%d,%s\n" % (i, "x" * 200) for i in range(7000))
    r = s.request("POST", "/api/v1/plans/TEST-BAD/import?name=big.csv", token=t,
                  raw=big.encode())
    assert len(big) > 1024 * 1024
    expect_error(r, 422, "invalid_file")


def test_plans_cycle_documents_relative(ctx):
    s = ctx.server(demo=True)
    t = s.login("admin")
    a = new_plan(s, t, "A-TINH", number="12/QĐ-UBND", date="2026-01-10")
    b = new_plan(s, t, "B-TP", issuer="BRVT-VT", implements=["12/QĐ-UBND", "99/CV-BTTTT"])
    assert [x["key"] for x in s.request("GET", "/api/v1/plans/B-TP", token=t).json["implements"]] \
        == ["A-TINH"]
    assert b["cites"] == ["99/CV-BTTTT"]
    r = s.request("PATCH", "/api/v1/plans/A-TINH", {"implements": ["B-TP"]}, token=t)
    expect_error(r, 409, "plan_cycle", "implements")
    r = s.request("PATCH", "/api/v1/plans/A-TINH", {"implements": ["A-TINH"]}, token=t)
    expect_error(r, 409, "plan_cycle")
    # A relative deadline counts from the implemented plan's date.
    r = s.request("POST", "/api/v1/tasks", {
        "plan": "B-TP", "ordinal": "1", "content": "Ban hành kế hoạch của thành phố",
        "lead": ["VT-PVHTT"], "deadline": "Ban hành sau 07 ngày từ khi có Kế hoạch của UBND Tỉnh",
    }, token=t)
    assert r.status == 201, r
    assert r.json["deadline"]["due"] == "2026-01-17" and not r.json["deadline"]["needs_review"]
    assert r.json["deadline"]["kind"] == "relative"
    # Documents: by content, 20 MB at most.
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    r = s.request("POST", "/api/v1/files?name=" + quote("Quyết định.pdf"), token=t, raw=pdf)
    assert r.status == 201, r
    assert r.json["type"] == "pdf" and r.json["size"] == len(pdf)
    fid = r.json["id"]
    r = s.request("POST", "/api/v1/files?name=anh.pdf", token=t, raw=b"\x89PNG\r\n\x1a\n" + b"0" * 50)
    expect_error(r, 422, "unsupported_type")
    r = s.request("POST", "/api/v1/files?name=big.pdf", token=t,
                  raw=b"%PDF-" + b"0" * (20 * 1024 * 1024))
    expect_error(r, 413, "file_too_large")
    r = s.request("PATCH", "/api/v1/plans/A-TINH", {"document_file": fid}, token=t)
    assert r.status == 200 and r.json["document_file"] == fid, r
    r = s.request("PATCH", "/api/v1/plans/A-TINH", {"document_file": 999999}, token=t)
    expect_error(r, 422)
    r = s.request("GET", "/api/v1/files/%d" % fid, token=t)
    assert r.status == 200 and r.raw == pdf and r.header("Content-Type") == "application/pdf"
    # Officers write only their subtree's plans.
    o = s.login("canbo.stttt")
    r = s.request("POST", "/api/v1/plans", {"key": "X", "issuer": "BRVT-VT", "title": "x"}, token=o)
    expect_error(r, 403, "forbidden")


def test_plans_updates_statuses_audit(ctx):
    s = ctx.server(demo=True)
    t = s.login("admin")
    plan = tasks_of(s, t, "1683/QĐ-UBND")
    assert plan["II.1"]["status"]["state"] == "done"
    assert plan["II.2"]["status"]["state"] == "done_late"
    # The 2024 plan's term is over: final statuses only.
    assert plan["II.3"]["status"]["state"] == "not_done"
    assert plan["II.3"]["status"]["explain"].startswith("Không hoàn thành khi kế hoạch kết thúc")
    assert plan["II.1"]["milestones"][0] == {"from": "2024-07-01", "due": "2024-10-31",
                                             "text": "cập nhật, vận hành App “Điều hành công việc”"}
    assert plan["II.2"]["target"] == {"value": 200.0, "unit_of_measure": "trạm"}
    every = set()
    r = s.request("GET", "/api/v1/tasks", token=t)
    for x in r.json["items"]:
        every.add(x["status"]["state"])
    assert every >= {"not_started", "done", "done_late", "not_done", "no_report"}, every
    assert all(x["status"]["state"] in ("done", "done_late", "not_done") for x in plan.values())
    # Extend the term: the plan's duties are live again.
    r = s.request("PATCH", "/api/v1/plans/%d" % plan_id(s, t, "1683/QĐ-UBND"),
                  {"period_to": "2027-12-31"}, token=t)
    assert r.status == 200, r
    plan = tasks_of(s, t, "1683/QĐ-UBND")
    assert plan["II.3"]["status"]["state"] == "overdue"
    o = s.login("canbo.stttt")  # officer of Sở TT&TT
    # Lead of IV.2-1 (continuous): progress moves the status.
    tid = plan["IV.2-1"]["id"]
    assert plan["IV.2-1"]["status"]["state"] == "no_report"
    r = s.request("POST", "/api/v1/tasks/%d/updates" % tid,
                  {"percent": 50, "text": "Đã đôn đốc 20 đơn vị"}, token=o)
    assert r.status == 201, r
    assert r.json["task"]["status"]["state"] == "in_progress", r.json["task"]["status"]
    assert r.json["update"]["unit"] == "BRVT-STTTT"
    # Percent outside 0..100.
    r = s.request("POST", "/api/v1/tasks/%d/updates" % tid, {"percent": 101}, token=o)
    expect_error(r, 422, "invalid_percent", "percent")
    r = s.request("POST", "/api/v1/tasks/%d/updates" % tid, {"percent": -1}, token=o)
    expect_error(r, 422, "invalid_percent")
    # Coordinating unit of II.2 (led by the telecoms): may comment, not report progress.
    t3 = plan["II.2"]["id"]
    assert "BRVT-STTTT" in plan["II.2"]["coordinating"]
    assert "BRVT-STTTT" not in plan["II.2"]["lead"]
    r = s.request("POST", "/api/v1/tasks/%d/updates" % t3, {"percent": 90}, token=o)
    expect_error(r, 403, "forbidden")
    r = s.request("POST", "/api/v1/tasks/%d/comments" % t3, {"text": "Đề nghị bổ sung số liệu"},
                  token=o)
    assert r.status == 201, r
    assert r.json["task"]["status"]["state"] == "done_late"
    r = s.request("POST", "/api/v1/tasks/%d/updates" % t3,
                  {"kind": "comment", "text": "x", "percent": 5}, token=o)
    expect_error(r, 422, "comment_with_progress")
    # A unit neither leading nor coordinating may not even comment.
    v = s.login("baocao.viettel")
    r = s.request("POST", "/api/v1/tasks/%d/comments" % tid, {"text": "?"}, token=v)
    expect_error(r, 403)
    # The reporter of a lead unit reports; evidence files must exist.
    t2 = plan["II.2"]["id"]
    r = s.request("POST", "/api/v1/tasks/%d/updates" % t2, {"percent": 100, "evidence": [424242]},
                  token=v)
    expect_error(r, 422, field="evidence")
    r = s.request("POST", "/api/v1/files?name=bien-ban.txt", token=v,
                  raw="Biên bản nghiệm thu 140 trạm".encode())
    assert r.status == 201, r
    r = s.request("POST", "/api/v1/tasks/%d/updates" % t2,
                  {"text": "Bổ sung biên bản", "evidence": [r.json["id"]]}, token=v)
    assert r.status == 201, r
    full = s.request("GET", "/api/v1/tasks/%d" % t2, token=t).json
    assert full["updates"][-1]["evidence"] and full["status"]["state"] == "done_late"
    # Audit: the refusal and the accepted updates.
    r = s.request("GET", "/api/v1/audit?entity=task&limit=500", token=t)
    acts = [(x["action"], x["outcome"], x["key"]) for x in r.json["items"]]
    assert ("progress", "denied", str(t3)) in acts, acts
    assert ("progress", "ok", str(tid)) in acts
    assert ("comment", "ok", str(t3)) in acts


def test_plans_coverage_city_against_province(ctx):
    s = ctx.server(demo=True)
    t = s.login("admin")
    pid = plan_id(s, t, "1683/QĐ-UBND")
    r = s.request("GET", "/api/v1/plans/%d/coverage?unit=BRVT-VT" % pid, token=t)
    assert r.status == 200, r
    cov = r.json
    assert cov["assigned"] == 3 and cov["covered_count"] == 1, cov
    assert [x["ordinal"] for x in cov["covered"]] == ["II.3"]
    assert [x["ordinal"] for x in cov["uncovered"]] == ["IV.1-1", "IV.1-2"]
    assert cov["covered"][0]["implemented_by"][0]["plan"] == "TPVT-KH-2024-khau-dot-pha-CDS"
    # Progress rolls up: III.3 reported 50%.
    assert cov["covered"][0]["rollup"] == 50
    c = s.cli("plan", "coverage", "--plan", "1683/QĐ-UBND", "--unit", "BRVT-VT", "--json",
              "--db", s.db)
    assert c.returncode == 0, c.stderr
    assert json.loads(c.stdout)["covered_count"] == 1
    # The city adds a task implementing IV.1-1: now covered.
    higher = tasks_of(s, t, "1683/QĐ-UBND")
    r = s.request("POST", "/api/v1/tasks", {
        "plan": "TPVT-KH-2024-khau-dot-pha-CDS", "ordinal": "V.1", "content": "Ban hành kế hoạch",
        "lead": ["VT-PVHTT"], "deadline": "tháng 8/2024",
        "implements_task": higher["IV.1-1"]["id"]}, token=t)
    assert r.status == 201, r
    cov = s.request("GET", "/api/v1/plans/%d/coverage?unit=BRVT-VT" % pid, token=t).json
    assert cov["covered_count"] == 2
    # A task may only implement a task of a plan above its own.
    r = s.request("POST", "/api/v1/tasks", {
        "plan": "1683/QĐ-UBND", "ordinal": "X", "content": "x", "lead": ["BRVT-STTTT"],
        "implements_task": r.json["id"]}, token=t)
    expect_error(r, 422, "not_higher_plan")
    # The higher task shows the roll-up and what implements it.
    full = s.request("GET", "/api/v1/tasks/%d" % higher["II.2"]["id"], token=t).json
    assert full["rollup"]["implementing"] == 3
    assert {x["ordinal"] for x in full["implemented_by"]} == {"III.2", "IV.2-4", "IV.4-2"}


def test_plans_task_list_filters_cli(ctx):
    s = ctx.server(demo=True)
    t = s.login("admin")
    r = s.request("GET", "/api/v1/tasks?unit=BRVT-VT&subtree=1&status=not_done", token=t)
    assert r.status == 200, r
    got = {(x["plan"]["key"], x["ordinal"]) for x in r.json["items"]}
    assert ("1683/QĐ-UBND", "II.3") in got
    assert ("TPVT-KH-2024-khau-dot-pha-CDS", "III.3") in got
    assert all(x["status"]["state"] == "not_done" for x in r.json["items"])
    r2 = s.request("GET", "/api/v1/tasks?unit=BRVT-VT&status=not_done", token=t)
    assert len(r2.json["items"]) < len(r.json["items"])
    r = s.request("GET", "/api/v1/tasks?due_before=2024-07-01&plan=" + quote("1683/QĐ-UBND"),
                  token=t)
    assert r.json["items"] == []
    expect_error(s.request("GET", "/api/v1/tasks?status=late", token=t), 422, "invalid_status")
    expect_error(s.request("GET", "/api/v1/tasks?unit=NOPE", token=t), 422, "unknown_unit")
    c = s.cli("task", "list", "--unit", "VT-P1", "--status", "not_done", "--json", "--db", s.db)
    assert c.returncode == 0, c.stderr
    assert "III.3" in [x["ordinal"] for x in json.loads(c.stdout)]
    c = s.cli("task", "list", "--unit", "VT-P1", "--status", "not_done", "--db", s.db)
    assert "III.3" in c.stdout and "not_done" in c.stdout
    c = s.cli("plan", "list", "--db", s.db)
    assert c.returncode == 0 and "1683/QĐ-UBND" in c.stdout
    c = s.cli("plan", "show", "1683/QĐ-UBND", "--json", "--db", s.db)
    assert len(json.loads(c.stdout)["task_list"]) == 10


def test_plans_directives(ctx):
    s = ctx.server(demo=True)
    leader = s.login("lanhdao.tinh")
    body = {"source": {"kind": "dossiers", "unit": "BRVT-VT", "filter": {"state": "overdue"}},
            "assignee": "BRVT-VT", "deadline": "2099-01-31"}
    r = s.request("POST", "/api/v1/directives", body, token=leader)
    assert r.status == 201, r
    d = r.json
    assert d["kind"] == "directive" and d["lead"] == ["BRVT-VT"] and d["plan"] is None
    assert d["deadline"]["due"] == "2099-01-31" and d["source"]["kind"] == "dossiers"
    assert d["status"]["state"] == "not_started"
    t = s.login("admin")
    higher = tasks_of(s, t, "1683/QĐ-UBND")
    # Since 1 July 2025 the provincial departments sit under Hồ Chí Minh City.
    r = s.request("POST", "/api/v1/directives", {
        "source": {"kind": "task", "task": higher["II.3"]["id"]}, "assignee": "BRVT-SNV",
        "deadline": "2099-02-28", "content": "Khẩn trương nâng tỷ lệ hồ sơ trực tuyến"},
        token=s.login("lanhdao.hcm"))
    assert r.status == 201, r
    assert r.json["implements_task"] == higher["II.3"]["id"]
    r = s.request("GET", "/api/v1/tasks?kind=directive&unit=BRVT-SNV", token=t)
    assert any(x["content"] == "Khẩn trương nâng tỷ lệ hồ sơ trực tuyến" for x in r.json["items"])
    expect_error(s.request("POST", "/api/v1/directives", dict(body, deadline="2001-01-01"),
                           token=leader), 422, "past_deadline")
    expect_error(s.request("POST", "/api/v1/directives", dict(body, assignee="HCM"),
                           token=leader), 403, "forbidden")
    expect_error(s.request("POST", "/api/v1/directives", body, token=s.login("xem.tinh")), 403)
    expect_error(s.request("POST", "/api/v1/directives", dict(body, source={"kind": "x"}),
                           token=leader), 422, "invalid_source")


class SMTPSink(socketserver.ThreadingTCPServer):
    """A tiny SMTP server that keeps what it is sent (standard library only)."""
    allow_reuse_address = True
    daemon_threads = True

    def __init__(self):
        self.messages = []
        super().__init__(("127.0.0.1", 0), SMTPHandler)


class SMTPHandler(socketserver.StreamRequestHandler):
    def handle(self):
        w = lambda s: self.wfile.write(s.encode() + b"\r\n")
        w("220 sink ESMTP")
        mail = {"rcpt": [], "data": b""}
        while True:
            line = self.rfile.readline()
            if not line:
                return
            cmd = line.decode("utf-8", "replace").strip()
            up = cmd.upper()
            if up.startswith("EHLO") or up.startswith("HELO"):
                w("250 sink")
            elif up.startswith("MAIL FROM"):
                mail = {"from": cmd[10:], "rcpt": [], "data": b""}
                w("250 ok")
            elif up.startswith("RCPT TO"):
                mail["rcpt"].append(cmd[8:].strip("<> "))
                w("250 ok")
            elif up == "DATA":
                w("354 go ahead")
                data = b""
                while True:
                    l2 = self.rfile.readline()
                    if not l2 or l2 == b".\r\n":
                        break
                    data += l2
                mail["data"] = data
                self.server.messages.append(mail)
                w("250 queued")
            elif up == "QUIT":
                w("221 bye")
                return
            else:
                w("250 ok")


def test_plans_reminders_inbox_and_email(ctx):
    sink = SMTPSink()
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    os.environ["DIEUHANH_SMTP_URL"] = "smtp://127.0.0.1:%d" % sink.server_address[1]
    try:
        s = ctx.server(demo=True)
    finally:
        del os.environ["DIEUHANH_SMTP_URL"]
    t = s.login("admin")
    # The server ran the job on start: the inbox has today's reminders.
    deadline = time.time() + 20
    items = []
    while time.time() < deadline and not items:
        r = s.request("GET", "/api/v1/inbox?unit=BRVT-TTPVHCC", token=t)
        assert r.status == 200, r
        items = r.json["items"]
        time.sleep(0.2)
    assert items[0]["kind"] == "due_soon", items
    assert "Sắp đến hạn" in items[0]["message"] and "Còn 5 ngày" in items[0]["message"]
    kinds = {x["kind"] for x in s.request("GET", "/api/v1/inbox?limit=500", token=t).json["items"]}
    assert kinds == {"due_soon", "no_report"}, kinds
    # A unit reads its own inbox, not another's.
    o = s.login("canbo.stttt")
    r = s.request("GET", "/api/v1/inbox", token=o)
    assert r.status == 200 and all(x["unit"] == "BRVT-STTTT" for x in r.json["items"]), r
    expect_error(s.request("GET", "/api/v1/inbox?unit=BRVT-SNV", token=o), 403)
    # Once a day: a second run (or a restart) adds nothing.
    r = s.request("POST", "/api/v1/reminders/run", token=t)
    assert r.status == 200 and r.json["ran"] is False, r
    runs = lambda: [x for x in s.request("GET", "/api/v1/audit?entity=reminders&limit=50",
                                         token=t).json["items"]]
    assert len(runs()) == 1
    s.stop()
    s.start()
    t = s.login("admin")
    time.sleep(1)
    assert len(runs()) == 1
    # E-mail to a unit's address: forced run, the sink receives it.
    r = s.request("PUT", "/api/v1/contacts/BRVT-TTPVHCC", {"email": "ttpvhcc@example.vn"}, token=t)
    assert r.status == 200, r
    expect_error(s.request("PUT", "/api/v1/contacts/BRVT-TTPVHCC", {"email": "not an address"},
                           token=t), 422, "invalid_email")
    expect_error(s.request("POST", "/api/v1/reminders/run?force=1", token=o), 403)
    os.environ["DIEUHANH_SMTP_URL"] = "smtp://127.0.0.1:%d" % sink.server_address[1]
    try:
        c = s.cli("task", "remind", "--force", "--json", "--db", s.db)
    finally:
        del os.environ["DIEUHANH_SMTP_URL"]
    assert c.returncode == 0, c.stderr
    out = json.loads(c.stdout)
    assert out["ran"] and out["mailed"] == 1, out
    assert len(sink.messages) == 1, sink.messages
    m = sink.messages[0]
    assert m["rcpt"] == ["ttpvhcc@example.vn"]
    body = m["data"].decode("utf-8")
    assert "Subject: =?UTF-8?B?" in body and "Sắp đến hạn" in body, body
    sink.shutdown()


def test_plans_term_2024_plan_asks_nothing_in_2026(ctx):
    """Issue 19 point 1: a plan's term, read from its title and editable; its duties end
    with it (the machine's clock is past 2024)."""
    s = ctx.server(demo=True)
    t = s.login("admin")
    assert time.gmtime().tm_year >= 2026
    plans = {p["key"]: p for p in s.request("GET", "/api/v1/plans", token=t).json["items"]}
    p = plans["1683/QĐ-UBND"]
    assert p["term"] == {"from": "2024-01-01", "to": "2024-12-31", "horizon": None,
                         "source": "title", "ended": True}, p["term"]
    assert plans["BRVT-QD-2023-chinh-quyen-so"]["term"]["horizon"] == 2030
    assert plans["TPVT-KH-NQ02-TU"]["term"]["ended"] is False
    ended = {k for k, x in plans.items() if x["term"]["ended"]}
    assert {"1683/QĐ-UBND", "TPVT-KH-2024-khau-dot-pha-CDS"} <= ended
    # No missing report, overdue or risk for any task of an ended plan.
    items = s.request("GET", "/api/v1/tasks", token=t).json["items"]
    for x in items:
        if x["plan"] and x["plan"]["key"] in ended:
            assert x["status"]["state"] in ("done", "done_late", "not_done"), x
    late = s.request("GET", "/api/v1/tasks?status=no_report,overdue", token=t).json["items"]
    assert late and not [x for x in late if x["plan"] and x["plan"]["key"] in ended]
    # The reminders job (run on start) wrote nothing about them.
    ended_ids = {x["id"] for x in items if x["plan"] and x["plan"]["key"] in ended}
    deadline = time.time() + 20
    inbox = []
    while time.time() < deadline and not inbox:
        inbox = s.request("GET", "/api/v1/inbox?limit=500", token=t).json["items"]
        time.sleep(0.2)
    assert inbox and not [x for x in inbox if x["task"] in ended_ids]
    # The plan's page says it has ended.
    page = s.request("GET", "/ke-hoach/%d" % p["id"], headers={"Cookie": "dh_session=" + t})
    html = page.raw.decode("utf-8")
    assert "Thời hạn kế hoạch: 01/01/2024 – 31/12/2024" in html and "Đã kết thúc" in html
    assert "Không hoàn thành (hết kỳ kế hoạch)" in html
    # A new plan takes its term from its title.
    r = s.request("POST", "/api/v1/plans", {
        "key": "THU-TERM", "issuer": "BRVT", "type": "Kế hoạch",
        "title": "Kế hoạch chuyển đổi số giai đoạn 2026 – 2028, định hướng đến năm 2030"}, token=t)
    assert r.status == 201, r
    assert (r.json["period_from"], r.json["period_to"]) == ("2026-01-01", "2028-12-31")
    got = s.request("GET", "/api/v1/plans/THU-TERM", token=t).json["term"]
    assert got == {"from": "2026-01-01", "to": "2028-12-31", "horizon": 2030,
                   "source": "title", "ended": False}, got
    # A term that ends before it starts: a clear error, nothing changed.
    r = s.request("PATCH", "/api/v1/plans/THU-TERM", {"period_to": "2025-12-31"}, token=t)
    expect_error(r, 422, "invalid_period", "period_to")
    assert "2025-12-31" in r.json["error"]["message"] and "2026-01-01" in r.json["error"]["message"]
    c = s.cli("plan", "term", "THU-TERM", "--from", "2027-01-01", "--to", "2026-06-30",
              "--db", s.db)
    assert c.returncode != 0 and "period_to" in c.stderr, (c.stdout, c.stderr)
    assert s.request("GET", "/api/v1/plans/THU-TERM", token=t).json["term"]["to"] == "2028-12-31"
    # Edited from the command line: 1683's duties are live again until the new end.
    c = s.cli("plan", "term", "1683/QĐ-UBND", "--to", "2027-06-30", "--json", "--db", s.db)
    assert c.returncode == 0, c.stderr
    assert json.loads(c.stdout) == {"from": "2024-01-01", "to": "2027-06-30", "horizon": None,
                                    "source": "set", "ended": False}
    c = s.cli("plan", "term", "1683/QĐ-UBND", "--db", s.db)
    assert "term: 2024-01-01 .. 2027-06-30 (set)" in c.stdout, c.stdout
    assert tasks_of(s, t, "1683/QĐ-UBND")["II.3"]["status"]["state"] == "overdue"


def test_plans_report_rules_as_printed(ctx):
    """Issue 19 point 2: the seeds' printed cadences become the tasks' report rules; the
    default only where nothing is printed, and the task says where its rule came from."""
    s = ctx.server(demo=True)
    t = s.login("admin")

    def rule(key, stt):
        r = tasks_of(s, t, key)[stt]["report"]
        return (r["every"], r["month_offset"], r["day"], r["source"])

    assert rule("TPVT-KH-2024-khau-dot-pha-CDS", "IV.1-2") == ("quarterly", 1, 10, "printed")
    assert rule("TPVT-KH-NQ02-TU", "VI.4-5") == ("half_yearly", 1, 10, "printed")
    assert rule("BRVT-QD-2023-chinh-quyen-so", "KH-VI.6-5") == ("half_yearly", 0, 15, "printed")
    assert rule("1683/QĐ-UBND", "IV.4") == ("monthly", 1, 10, "printed")
    assert rule("BRVT-QD-2023-chinh-quyen-so", "II.1") == ("yearly", 1, 10, "printed")
    assert rule("1683/QĐ-UBND", "II.1") == ("monthly", None, 10, "default")
    every = s.request("GET", "/api/v1/tasks", token=t).json["items"]
    printed = [x for x in every if x["report"]["source"] == "printed"]
    assert len(printed) == 17 and all(x["report"]["text"] for x in printed)
    # A rule a person sets says so; a bad offset is refused.
    tid = tasks_of(s, t, "TPVT-KH-NQ02-TU")["VI.4-5"]["id"]
    r = s.request("PATCH", "/api/v1/tasks/%d" % tid,
                  {"report": {"every": "yearly", "day": 15, "month_offset": 0}}, token=t)
    assert r.status == 200, r
    assert r.json["report"]["source"] == "set" and r.json["report"]["month_offset"] == 0
    r = s.request("PATCH", "/api/v1/tasks/%d" % tid,
                  {"report": {"every": "yearly", "day": 15, "month_offset": 13}}, token=t)
    expect_error(r, 422, "invalid_report", "report")
    # The task's page shows the rule and its source.
    cookie = {"Cookie": "dh_session=" + t}
    tid2 = tasks_of(s, t, "BRVT-QD-2023-chinh-quyen-so")["KH-VI.6-5"]["id"]
    html = s.request("GET", "/nhiem-vu/%d" % tid2, headers=cookie).raw.decode("utf-8")
    assert "6 tháng, trước ngày 15 của tháng cuối kỳ" in html
    assert "theo văn bản: “Định kỳ 6 tháng và hàng năm (trước ngày 15/12)" in html
    html = s.request("GET", "/nhiem-vu/%d" % tasks_of(s, t, "1683/QĐ-UBND")["II.1"]["id"],
                     headers=cookie).raw.decode("utf-8")
    assert "Hằng tháng, trước ngày 10 tháng sau kỳ báo cáo" in html
    assert "mặc định, văn bản không nêu" in html


def test_plans_every_task_has_an_owner_or_is_flagged(ctx):
    """Issue 19 point 3: collective and heading leads resolved; the rest flagged
    needs_owner and listed for the plan's issuer."""
    s = ctx.server(demo=True)
    t = s.login("admin")
    nq = tasks_of(s, t, "TPVT-KH-NQ02-TU")
    # Section IV: the collective of VI.4, expanded to the city's offices and its 17 wards.
    lead = set(nq["IV.1.a-1"]["lead"])
    assert "VT-PVHTT" in lead and "VT-P1" in lead and len(lead) > 17, lead
    assert "Chủ trì suy ra (issue 19)" in nq["IV.1.a-1"]["note"]
    every = s.request("GET", "/api/v1/tasks", token=t).json["items"]
    ownerless = {(x["plan"]["key"], x["ordinal"]) for x in every if not x["lead"]}
    assert ownerless == {("TPVT-KH-NQ02-TU", "VI.1"), ("TPVT-KH-NQ02-TU", "VI.6"),
                         ("BRVT-QD-2023-chinh-quyen-so", "V.27")}, ownerless
    assert all(x["needs_owner"] == (not x["lead"]) for x in every if x["plan"])
    flagged = s.request("GET", "/api/v1/tasks?needs_owner=1", token=t).json["items"]
    assert {(x["plan"]["key"], x["ordinal"]) for x in flagged} == ownerless
    p = [x for x in s.request("GET", "/api/v1/plans", token=t).json["items"]
         if x["key"] == "TPVT-KH-NQ02-TU"][0]
    assert p["needs_owner"] == 2
    c = s.cli("task", "list", "--needs-owner", "--plan", "TPVT-KH-NQ02-TU", "--db", s.db)
    assert c.returncode == 0 and "VI.1" in c.stdout and "VI.6" in c.stdout, c.stdout
    # The issuer's review page lists them with the lead as printed.
    cookie = {"Cookie": "dh_session=" + t}
    html = s.request("GET", "/ke-hoach/%d" % p["id"], headers=cookie).raw.decode("utf-8")
    assert "2 nhiệm vụ chưa xác định được đơn vị chủ trì" in html
    html = s.request("GET", "/ke-hoach/%d/chu-tri" % p["id"], headers=cookie).raw.decode("utf-8")
    assert "Ban Chỉ đạo Công nghệ thông tin Thành phố" in html and "VI.6" in html, html[-3000:]
    # Importing: an empty lead takes the units its section heading names; none: flagged.
    new_plan(s, t, "TEST-HEAD", issuer="BRVT-VT")
    rows = [["STT", "Nhóm", "Nội dung", "Đơn vị chủ trì", "Đơn vị phối hợp",
             "Thời gian hoàn thành", "Ghi chú"],
            ["VI.2-1", "VI. Tổ chức thực hiện > 2. Phòng Văn hóa và Thông tin Thành phố",
             "Chủ trì hướng dẫn", "", "", "", ""],
            ["VI.4-1", "VI. Tổ chức thực hiện > 4. UBND các phường, xã", "Quán triệt", "", "", "",
             ""],
            ["I.1", "I. Nhận thức số", "Tuyên truyền", "", "", "", ""]]
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    r = s.request("POST", "/api/v1/plans/TEST-HEAD/import?name=kh.csv", token=t,
                  raw=buf.getvalue().encode())
    assert r.status == 201 and r.json["imported"] == 3, r
    got = tasks_of(s, t, "TEST-HEAD")
    assert got["VI.2-1"]["lead"] == ["VT-PVHTT"], got["VI.2-1"]
    assert got["VI.2-1"]["lead_text"] == "Phòng Văn hóa và Thông tin Thành phố"
    assert "Chủ trì theo tiêu đề mục: Phòng Văn hóa và Thông tin Thành phố." in got["VI.2-1"]["note"]
    assert len(got["VI.4-1"]["lead"]) == 17 and not got["VI.4-1"]["needs_owner"]
    assert got["I.1"]["lead"] == [] and got["I.1"]["needs_owner"] is True
