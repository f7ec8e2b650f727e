"""The feedback job and what came with it (issue 17): answered records closed N days after
the answer without a rating, the daily reminders of open feedback at risk or overdue (rows per
unit and an e-mail to its contact, once a day), a directive from the overdue list, the job run
by the server through its lease, the limit on public lookups by code, images sent with the
public form (multipart, by content, at most 5 MB each) and the officers' pages (menu links,
names instead of codes)."""
import datetime
import hashlib
import json
import os
import threading
import time
import urllib.parse
import uuid

from harness import DEMO_PASSWORD, db_rows, expect_error
from test_feedback import configure, submit
from test_plans import SMTPSink

VN = datetime.timezone(datetime.timedelta(hours=7))
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x01" * 100


def cli_json(s, *args, env=None):
    r = s.cli("feedback", *args, "--json", "--db", s.db, env=env)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def at(d):
    return d.strftime("%Y-%m-%dT%H:%M")


def test_feedback_job_autoclose_reminders_mail_directive(ctx):
    s = ctx.server(demo=True)
    admin = s.login("admin")
    officer = s.login("canbo.vungtau")
    configure(s, admin)
    assert s.request("PUT", "/api/v1/contacts/HCM-VUNGTAU", {"email": "pakn.vungtau@example.vn"},
                     token=admin).status == 200
    # The server's job runs at its start: let it take today before there is any record.
    runs = lambda: s.request("GET", "/api/v1/audit?entity=feedback_reminders&limit=50",
                             token=admin).json["items"]
    deadline = time.time() + 30
    while time.time() < deadline and not runs():
        time.sleep(0.1)
    assert runs(), "the server's feedback job did not run"
    # Records made in the past through the CLI's --at: a Monday five weeks ago.
    today = datetime.datetime.now(VN).replace(hour=8, minute=0, second=0, microsecond=0)
    base = today - datetime.timedelta(days=35 + today.weekday())
    new = lambda when, text: cli_json(s, "submit", "--category", "light", "--description", text,
                                      "--commune", "HCM-VUNGTAU", "--at", at(when))["code"]
    a, b, c = (new(base, "Đèn A"), new(base, "Đèn B"), new(base, "Đèn C"))
    later = base + datetime.timedelta(days=14)
    e = new(later, "Đèn E")
    for code, when in ((a, base), (b, base), (c, base)):
        cli_json(s, "accept", code, "--at", at(when + datetime.timedelta(hours=1)))
    due_e = cli_json(s, "accept", e, "--at", at(later + datetime.timedelta(hours=1)))["answer_due"]
    for code in (a, b):
        cli_json(s, "answer", code, "--answer", "Đã sửa xong.",
                 "--at", at(base + datetime.timedelta(days=1)))
    cli_json(s, "rate", b, "--rating", "5", "--at", at(base + datetime.timedelta(days=2)))

    # the job an hour before E's answer deadline: A closed (answered 3 weeks before, no
    # rating), B rated stays answered; C overdue and E at risk, mailed to the unit. (The
    # server's job took today at its start: a run for an earlier day needs --force.)
    sink = SMTPSink()
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    env = {"DIEUHANH_SMTP_URL": "smtp://127.0.0.1:%d" % sink.server_address[1]}
    when = datetime.datetime.fromisoformat(due_e) - datetime.timedelta(hours=1)
    assert cli_json(s, "job", "--days", "100", "--at", at(when))["reminders"]["ran"] is False
    out = cli_json(s, "job", "--days", "10", "--force", "--at", at(when), env=env)
    assert out["autoclose"]["closed"] == 1 and out["autoclose"]["codes"] == [a], out
    rem = out["reminders"]
    assert rem["ran"] is True and rem["rows"] == 2 and rem["mailed"] == 1, out
    assert len(sink.messages) == 1 and sink.messages[0]["rcpt"] == ["pakn.vungtau@example.vn"]
    body = sink.messages[0]["data"].decode("utf-8")
    assert c in body and e in body and a not in body and "Quá hạn" in body, body
    assert "Sắp đến hạn" in body
    # the category by its name, as the officers know it, not its code
    assert "(Chiếu sáng công cộng)" in body and "(light)" not in body, body
    r = s.request("GET", "/api/v1/feedback/" + a, token=admin)
    assert r.json["state"] == "closed" and r.json["events"][-1]["type"] == "close", r
    assert r.json["events"][-1]["actor"] == "system:feedback"
    assert s.request("GET", "/api/v1/feedback/" + b, token=admin).json["state"] == "answered"
    audit = s.request("GET", "/api/v1/audit?entity=feedback&limit=200", token=admin).json
    assert any(x["action"] == "close" and x["actor"] == "system:feedback" and x["key"] == a
               for x in audit["items"]), audit
    # again: nothing more closed or written; --force mails the day's rows again
    out = cli_json(s, "job", "--days", "10", "--at", at(when), env=env)
    assert out["autoclose"]["closed"] == 0 and out["reminders"]["ran"] is False, out
    assert len(sink.messages) == 1
    out = cli_json(s, "job", "--days", "10", "--force", "--at", at(when), env=env)
    assert out["reminders"]["rows"] == 0 and out["reminders"]["mailed"] == 1, out
    sink.shutdown()

    # the unit's reminders (its officers; another unit's viewer is refused)
    r = s.request("GET", "/api/v1/feedback/reminders?unit=HCM-VUNGTAU", token=officer)
    assert r.status == 200, r
    got = {(x["code"], x["kind"]) for x in r.json["items"]}
    assert got == {(c, "overdue"), (e, "at_risk")}, r.json
    expect_error(s.request("GET", "/api/v1/feedback/reminders?unit=HCM-VUNGTAU",
                           token=s.login("xem.tinh")), 403)
    # today (taken by the server's job at its start, with no record then): both overdue now
    out = cli_json(s, "job", "--days", "10")
    assert out["reminders"]["ran"] is False, out
    out = cli_json(s, "job", "--days", "10", "--force")
    assert out["reminders"]["ran"] is True and out["reminders"]["rows"] == 2, out
    listed = cli_json(s, "reminders", "--unit", "HCM-VUNGTAU")
    assert {(x["code"], x["kind"]) for x in listed if x["day"] == out["reminders"]["day"]} == \
        {(c, "overdue"), (e, "overdue")}, listed
    # by hand through the API: admins only
    expect_error(s.request("POST", "/api/v1/feedback/job/run", token=officer), 403)
    r = s.request("POST", "/api/v1/feedback/job/run?days=10", token=admin)
    assert r.status == 200 and r.json["reminders"]["ran"] is False, r
    expect_error(s.request("POST", "/api/v1/feedback/job/run?days=-1", token=admin), 422)

    # a directive from the overdue list: it names the overdue records as they stand
    leader = s.login("lanhdao.hcm")
    deadline = (today + datetime.timedelta(days=7)).strftime("%Y-%m-%d")
    r = s.request("POST", "/api/v1/directives",
                  {"source": {"kind": "feedback", "unit": "HCM-VUNGTAU"},
                   "assignee": "HCM-VUNGTAU", "deadline": deadline}, token=leader)
    assert r.status == 201, r
    task = s.request("GET", "/api/v1/tasks/%d" % r.json["id"], token=leader).json
    assert sorted(task["source"]["feedback"]) == sorted([c, e]), task
    assert "2 phản ánh, kiến nghị quá hạn" in task["content"], task
    expect_error(s.request("POST", "/api/v1/directives",
                           {"source": {"kind": "feedback", "unit": "HCM-VUNGTAU"},
                            "assignee": "HCM-VUNGTAU", "deadline": deadline},
                           token=s.login("xem.tinh")), 403)
    # the queue offers it to leaders, and the menu links the province's view
    page = s.request("GET", "/xu-ly-phan-anh?unit=HCM-VUNGTAU",
                     headers={"Cookie": "dh_session=" + leader}).raw.decode()
    assert 'name="source" value="feedback"' in page and e in page, page[:500]
    assert 'href="/phan-anh-tong-hop"' in page and 'href="/xu-ly-phan-anh"' in page
    # the record page names the category, the state, the events and the units
    page = s.request("GET", "/xu-ly-phan-anh/" + c,
                     headers={"Cookie": "dh_session=" + officer}).raw.decode()
    for name in ("Chiếu sáng công cộng", "Đã thụ lý", "Tiếp nhận", "Thụ lý", "Phường Vũng Tàu"):
        assert name in page, name
    main = page.split("<main", 1)[1]
    assert ">HCM-VUNGTAU<" not in main and ">light<" not in main and ">accept<" not in main
    assert "T08:00:00+07:00" not in main, main


def test_feedback_job_in_the_server_and_lookup_limit(ctx):
    """The server's job (every second here, closing at once) closes an answered record and
    runs the reminders once a day; public lookups by code are limited per address."""
    os.environ["DIEUHANH_FEEDBACK_INTERVAL"] = "1"
    os.environ["DIEUHANH_FEEDBACK_CLOSE_DAYS"] = "0"
    try:
        s = ctx.server(demo=True)
    finally:
        del os.environ["DIEUHANH_FEEDBACK_INTERVAL"]
        del os.environ["DIEUHANH_FEEDBACK_CLOSE_DAYS"]
    admin = s.login("admin")
    officer = s.login("canbo.vungtau")
    configure(s, admin)
    code = submit(s, {"category": "light", "description": "Đèn hỏng",
                      "commune": "HCM-VUNGTAU"}).json["code"]
    for action, body in (("accept", None), ("answer", {"answer": "Đã thay."})):
        assert s.request("POST", "/api/v1/feedback/%s/%s" % (code, action), body,
                         token=officer).status == 200
    deadline = time.time() + 20
    state = None
    while time.time() < deadline:
        state = s.request("GET", "/api/v1/feedback/" + code, token=officer).json["state"]
        if state == "closed":
            break
        time.sleep(0.3)
    assert state == "closed", state
    runs = lambda: s.request("GET", "/api/v1/audit?entity=feedback_reminders&limit=50",
                             token=admin).json["items"]
    assert len(runs()) == 1 and runs()[0]["actor"] == "system:feedback", runs()
    time.sleep(2.2)
    assert len(runs()) == 1, runs()
    assert db_rows(s.db, "SELECT runs >= 2 FROM job_leases WHERE name = 'feedback'") == [(1,)]

    # lookups by code: 30 a minute from one address (page and API together), then 429
    n = 0
    while n < 40:
        path = "/phan-anh/tra-cuu?ma=" + code if n % 2 else "/api/v1/public/feedback/" + code
        r = s.request("GET", path)
        if r.status == 429:
            break
        assert r.status == 200, r
        n += 1
    assert n <= 30 and r.status == 429 and 0 < int(r.header("Retry-After")) <= 60, (n, r)
    r = s.request("GET", "/phan-anh/tra-cuu?ma=" + code)
    assert r.status == 429 and "quá nhiều lần" in r.raw.decode(), r
    assert "Đã thay." not in r.raw.decode()
    r = s.request("GET", "/api/v1/public/feedback/" + code)
    assert r.status == 429 and r.json["error"]["code"] == "too_many_lookups", r
    # the form itself (no code) stays open
    assert s.request("GET", "/phan-anh/tra-cuu").status == 200


def multipart(fields, files):
    boundary = uuid.uuid4().hex
    out = b""
    for k, v in fields.items():
        out += ("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n"
                % (boundary, k, v)).encode("utf-8")
    for name, data in files:
        out += ("--%s\r\nContent-Disposition: form-data; name=\"image\"; filename=\"%s\"\r\n"
                "Content-Type: application/octet-stream\r\n\r\n" % (boundary, name)).encode()
        out += data + b"\r\n"
    out += ("--%s--\r\n" % boundary).encode()
    return out, {"Content-Type": "multipart/form-data; boundary=" + boundary}


def test_feedback_form_images_and_open311_media(ctx):
    s = ctx.server(demo=True)
    admin = s.login("admin")
    officer = s.login("canbo.vungtau")
    configure(s, admin)
    page = s.request("GET", "/phan-anh").raw.decode()
    assert 'enctype="multipart/form-data"' in page and 'type="file"' in page
    fields = {"category": "light", "commune": "HCM-VUNGTAU", "description": "Đèn hỏng, có ảnh",
              "name": "Lê Văn C", "phone": "0911", "email": "", "website": ""}

    def post(files, f=fields):
        raw, hdr = multipart(f, files)
        return s.request("POST", "/phan-anh", raw=raw, headers=hdr)

    n = db_rows(s.db, "SELECT count(*) FROM fb_records")[0][0]
    # not an image, too large, too many: a clear page, nothing written
    r = post([("den.png", PNG), ("thu.pdf", b"%PDF-1.4 not an image")])
    assert r.status == 422 and "thu.pdf" in r.raw.decode(), r
    assert "không phải là ảnh" in r.raw.decode()
    r = post([("to.jpg", JPEG + b"\x00" * (5 * 1024 * 1024))])
    assert r.status == 413 and "5 MB" in r.raw.decode() and "to.jpg" in r.raw.decode(), r
    r = post([("1.png", PNG), ("2.jpg", JPEG), ("3.png", PNG + b"x"), ("4.png", PNG + b"y")])
    assert r.status == 422 and "tối đa 3 ảnh" in r.raw.decode(), r
    r = s.request("POST", "/phan-anh", raw=b"--x\r\nbroken",
                  headers={"Content-Type": "multipart/form-data; boundary=x"})
    assert r.status == 400, r
    assert db_rows(s.db, "SELECT count(*) FROM fb_records")[0][0] == n
    assert db_rows(s.db, "SELECT count(*) FROM fb_attachments")[0][0] == 0

    # two images with the form, an empty file input ignored: stored with the record
    r = post([("den.png", PNG), ("cot.jpg", JPEG), ("", b"")])
    assert r.status == 303, r
    code = r.header("Location").split("=", 1)[1]
    rec = s.request("GET", "/api/v1/feedback/" + code, token=officer).json
    assert sorted((x["name"], x["mime"]) for x in rec["attachments"]) == [
        ("cot.jpg", "image/jpeg"), ("den.png", "image/png")], rec
    assert rec["contact"]["name"] == "Lê Văn C"
    r = s.request("GET", "/api/v1/feedback/%s/attachments/%s" %
                  (code, hashlib.sha256(PNG).hexdigest()), token=officer)
    assert r.status == 200 and r.raw == PNG and r.header("Content-Type") == "image/png", r
    # Open311 GET shows our stored image's address as media_url; the image stays private
    media = s.request("GET", "/open311/v2/requests/%s.json" % code).json[0]["media_url"]
    assert media.startswith("/api/v1/feedback/%s/attachments/" % code), media
    assert s.request("GET", media).status == 401

    # Open311 POST: media_url kept as given and read back in JSON and XML; a bad one refused
    r = s.request("POST", "/api/v1/tokens", {"name": "app-311"}, token=officer)
    key = r.json["token"]
    form = lambda f: s.request("POST", "/open311/v2/requests.json",
                               raw=urllib.parse.urlencode(f).encode(),
                               headers={"Content-Type": "application/x-www-form-urlencoded"})
    o = {"api_key": key, "service_code": "light", "address_string": "5 Trần Phú",
         "description": "Đèn tắt", "attribute[commune]": "HCM-VUNGTAU",
         "media_url": "https://anh.example.vn/p/1.jpg?size=large"}
    r = form(o)
    assert r.status == 201, r
    rid = r.json[0]["service_request_id"]
    r = s.request("GET", "/open311/v2/requests/%s.json" % rid)
    assert r.json[0]["media_url"] == "https://anh.example.vn/p/1.jpg?size=large", r
    r = s.request("GET", "/open311/v2/requests/%s.xml" % rid)
    assert b"<media_url>https://anh.example.vn/p/1.jpg?size=large</media_url>" in r.raw, r
    n = db_rows(s.db, "SELECT count(*) FROM fb_records")[0][0]
    for bad in ("ftp://x.example/a.jpg", "javascript:alert(1)", "https://", "http://a b/c.jpg"):
        r = form(dict(o, media_url=bad))
        assert r.status == 400 and r.json[0]["code"] == 400 and "media_url" in \
            r.json[0]["description"], (bad, r)
    assert db_rows(s.db, "SELECT count(*) FROM fb_records")[0][0] == n
    # a record without images has an empty media_url
    plain = submit(s, {"category": "light", "description": "x", "commune": "HCM-VUNGTAU"})
    r = s.request("GET", "/open311/v2/requests/%s.json" % plain.json["code"])
    assert r.json[0]["media_url"] == "", r
