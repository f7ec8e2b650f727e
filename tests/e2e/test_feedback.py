"""Citizen feedback (issue 17): categories and routing rules, a public submission routed to
the commune's unit and one routed by a rule, the officers' transitions with the clock paused
by request_info, refusals (a transition the state does not allow, a unit outside the
officer's scope, bad input, a flood from one address), personal data only for the handling
unit's officers and admins, the citizen's rating, the KPIs, the audit trail and the CLI."""
import json

from harness import DEMO_PASSWORD, db_rows, expect_error

LIGHT = {"code": "light", "name": "Chiếu sáng công cộng", "group": "Hạ tầng đô thị",
         "keywords": "đèn,chiếu sáng"}
ROADS = {"code": "roads", "name": "Giao thông, thoát nước", "accept_days": 2, "answer_days": 10,
         "limits_source": "Quyết định 1/2025/QĐ-UBND (thử)"}
CONTACT = {"name": "Nguyễn Văn An", "email": "an@example.vn", "phone": "0901234567"}


def configure(s, admin):
    for c in (LIGHT, ROADS):
        r = s.request("PUT", "/api/v1/feedback/categories", c, token=admin)
        assert r.status == 200, r
    r = s.request("PUT", "/api/v1/feedback/routes",
                  {"category": "roads", "commune": "HCM-TAMTHANG", "unit": "HCM-RACHDUA"},
                  token=admin)
    assert r.status == 200, r


def submit(s, body, token=None):
    path = "/api/v1/feedback" if token else "/api/v1/public/feedback"
    return s.request("POST", path, body, token=token)


def test_feedback_flow_routing_personal_data_kpis(ctx):
    s = ctx.server(demo=True)
    admin = s.login("admin")
    officer = s.login("canbo.vungtau")      # officer of HCM-VUNGTAU
    leader = s.login("lanhdao.hcm")         # leader of HCM: reads, is no handling officer
    viewer = s.login("xem.tinh")            # viewer of BRVT: outside
    configure(s, admin)
    # only admins configure
    expect_error(s.request("PUT", "/api/v1/feedback/categories", LIGHT, token=officer), 403)

    r = s.request("GET", "/api/v1/feedback/categories?routes=1")
    assert r.status == 200, r
    cats = {c["code"]: c for c in r.json["categories"]}
    assert cats["light"]["accept_days"] == 1 and cats["light"]["answer_days"] == 7
    assert cats["light"]["limits_source"] == "default"      # the demo defaults, marked
    assert cats["roads"]["answer_days"] == 10
    assert r.json["routes"] == [{"category": "roads", "commune": "HCM-TAMTHANG",
                                 "unit": "HCM-RACHDUA"}]

    # a public submission: routed to the commune's own unit, the contact not echoed
    r = submit(s, {"category": "light", "description": "Đèn đường hỏng trước số 5 Trần Phú",
                   "commune": "HCM-VUNGTAU", "lat": 10.3461, "long": 107.0843,
                   "address": "5 Trần Phú", "contact": CONTACT})
    assert r.status == 201, r
    a = r.json
    assert a["unit"] == "HCM-VUNGTAU" and a["state"] == "received" and a["channel"] == "portal"
    assert "contact" not in a and a["code"].startswith("PA-")
    assert a["due_at"] and a["answer_due"] and a["due_at"] < a["answer_due"]
    assert a["received_at"].endswith("+07:00")
    code = a["code"]
    # a rule: roads in HCM-TAMTHANG go to HCM-RACHDUA; taken by an officer on the hotline
    r = submit(s, {"category": "roads", "description": "Ngập nước đường 30/4",
                   "commune": "HCM-TAMTHANG", "channel": "hotline"}, token=admin)
    assert r.status == 201 and r.json["unit"] == "HCM-RACHDUA", r
    assert r.json["channel"] == "hotline"
    code2 = r.json["code"]

    # bad input: a clear error naming the field, nothing written
    n0 = db_rows(s.db, "SELECT count(*) FROM fb_records")[0][0]
    expect_error(submit(s, {"category": "light", "commune": "HCM-VUNGTAU"}), 422,
                 "missing_field", "description")
    expect_error(submit(s, {"category": "nope", "description": "x", "commune": "HCM-VUNGTAU"}),
                 422, "unknown_category", "category")
    expect_error(submit(s, {"category": "light", "description": "x", "commune": "VT-P1"}),
                 422, "unknown_commune", "commune")   # merged away on 2025-07-01
    expect_error(submit(s, {"category": "light", "description": "x", "lat": 95, "long": 1}),
                 422, "bad_location")
    expect_error(submit(s, {"category": "light", "description": "x", "commune": "HCM-VUNGTAU",
                            "channel": "fax"}, token=admin), 422, "bad_channel", "channel")
    assert db_rows(s.db, "SELECT count(*) FROM fb_records")[0][0] == n0

    # personal data: the handling unit's officer and admins only
    r = s.request("GET", "/api/v1/feedback/" + code, token=officer)
    assert r.status == 200 and r.json["contact"] == CONTACT, r
    r = s.request("GET", "/api/v1/feedback/" + code, token=admin)
    assert r.status == 200 and r.json["contact"]["phone"] == CONTACT["phone"], r
    r = s.request("GET", "/api/v1/feedback/" + code, token=leader)
    assert r.status == 200 and "contact" not in r.json, r
    assert all("actor" not in ev for ev in r.json["events"])
    r = s.request("GET", "/api/v1/feedback/" + code, token=viewer)
    assert r.status == 404, r
    r = s.request("GET", "/api/v1/public/feedback/" + code)
    assert r.status == 200 and "contact" not in r.json, r
    assert CONTACT["phone"] not in r.raw.decode() and CONTACT["name"] not in r.raw.decode()

    # transitions
    expect_error(s.request("POST", "/api/v1/feedback/%s/answer" % code, {"answer": "x"},
                           token=officer), 409, "transition_refused")
    expect_error(s.request("POST", "/api/v1/feedback/%s/accept" % code2, token=officer), 403)
    expect_error(s.request("POST", "/api/v1/feedback/%s/reject" % code, {}, token=officer), 422,
                 "missing_field", "reason")
    expect_error(s.request("POST", "/api/v1/feedback/%s/fly" % code, token=officer), 422,
                 "unknown_action")
    r = s.request("POST", "/api/v1/feedback/%s/accept" % code, token=officer)
    assert r.status == 200 and r.json["state"] == "accepted", r
    r = s.request("POST", "/api/v1/feedback/%s/request_info" % code,
                  {"note": "Xin số cột đèn"}, token=officer)
    assert r.status == 200 and r.json["state"] == "needs_info", r
    assert r.json["due_at"] is None and r.json["outcome"] == "paused"
    r = s.request("POST", "/api/v1/feedback/%s/resume" % code, token=officer)
    assert r.status == 200 and r.json["state"] == "accepted", r
    r = s.request("POST", "/api/v1/feedback/%s/start" % code, token=officer)
    assert r.json["state"] == "in_progress", r
    r = s.request("POST", "/api/v1/feedback/%s/answer" % code,
                  {"answer": "Đã thay bóng đèn ngày hôm nay."}, token=officer)
    assert r.status == 200 and r.json["state"] == "answered", r
    assert r.json["outcome"] == "on_time" and r.json["answer"] == "Đã thay bóng đèn ngày hôm nay."
    expect_error(s.request("POST", "/api/v1/feedback/%s/answer" % code, {"answer": "lại"},
                           token=officer), 409, "transition_refused")
    # the citizen rates it with the code, no sign-in
    expect_error(s.request("POST", "/api/v1/public/feedback/%s/rate" % code, {"rating": 6}), 422,
                 "bad_rating", "rating")
    r = s.request("POST", "/api/v1/public/feedback/%s/rate" % code, {"rating": 4})
    assert r.status == 200 and r.json["rating"] == 4 and "contact" not in r.json, r
    r = s.request("POST", "/api/v1/feedback/%s/close" % code, token=officer)
    assert r.json["state"] == "closed", r
    expect_error(s.request("POST", "/api/v1/feedback/%s/answer" % code, {"answer": "x"},
                           token=officer), 409, "transition_refused")
    r = s.request("GET", "/api/v1/public/feedback/" + code)
    assert [e["type"] for e in r.json["events"]] == [
        "received", "accept", "request_info", "resume", "start", "answer", "rate", "close"]

    # transfer (admin): the clock keeps running, the new unit's officer may act
    r = s.request("GET", "/api/v1/feedback/" + code2, token=admin)
    due = r.json["answer_due"]
    r = s.request("POST", "/api/v1/feedback/%s/transfer" % code2,
                  {"unit": "HCM-VUNGTAU", "note": "Địa bàn phường Vũng Tàu"}, token=admin)
    assert r.status == 200 and r.json["unit"] == "HCM-VUNGTAU", r
    assert r.json["answer_due"] == due
    expect_error(s.request("POST", "/api/v1/feedback/%s/transfer" % code2,
                           {"unit": "NOPE"}, token=admin), 422, "unknown_unit")
    r = s.request("POST", "/api/v1/feedback/%s/reject" % code2,
                  {"reason": "Không thuộc thẩm quyền"}, token=officer)
    assert r.status == 200 and r.json["state"] == "rejected", r
    assert r.json["reason"] == "Không thuộc thẩm quyền"

    # the officer's queue: open records of their units only, soonest due first
    r = submit(s, {"category": "light", "description": "Đèn nhấp nháy", "commune": "HCM-VUNGTAU"})
    assert r.status == 201
    r = submit(s, {"category": "light", "description": "Đèn tắt", "commune": "HCM-CONDAO"})
    assert r.status == 201
    r = s.request("GET", "/api/v1/feedback?queue=1", token=officer)
    assert r.status == 200, r
    assert [i["description"] for i in r.json["items"]] == ["Đèn nhấp nháy"]
    r = s.request("GET", "/api/v1/feedback?state=closed", token=officer)
    assert {i["code"] for i in r.json["items"]} == {code, code2}
    expect_error(s.request("GET", "/api/v1/feedback?state=maybe", token=officer), 422)

    # KPIs of this month: HCM-VUNGTAU received 3 (the transfer counts where it is handled)
    day = a["received_at"][:10]
    r = s.request("GET", "/api/v1/feedback/kpis?from=%s&to=%s" % (day, day), token=admin)
    assert r.status == 200, r
    units = {u["unit"]: u for u in r.json["units"]}
    vt = units["HCM-VUNGTAU"]
    assert (vt["received"], vt["answered"], vt["answered_on_time"], vt["answered_late"]) == \
        (3, 1, 1, 0), vt
    assert (vt["rated"], vt["satisfied"], vt["satisfaction_rate"]) == (1, 1, 100.0), vt
    assert vt["open_within_deadline"] == 1 and vt["open_over_deadline"] == 0, vt
    assert r.json["total"]["received"] == 4
    r = s.request("GET", "/api/v1/feedback/kpis?from=%s&to=%s" % (day, day), token=officer)
    assert [u["unit"] for u in r.json["units"]] == ["HCM-VUNGTAU"]
    expect_error(s.request("GET", "/api/v1/feedback/kpis?from=x&to=y", token=admin), 422)
    # the same figures as the `feedback` group of /api/v1/kpis
    r = s.request("GET", "/api/v1/kpis?unit=HCM-VUNGTAU&from=%s&to=%s" % (day, day), token=admin)
    assert r.status == 200, r
    assert r.json["feedback"] == {k: v for k, v in vt.items() if k != "unit"}, r.json["feedback"]
    r = s.request("GET", "/api/v1/kpis?unit=HCM&subtree=1&from=%s&to=%s" % (day, day),
                  token=admin)
    assert r.json["feedback"]["received"] == 4, r.json["feedback"]

    # every change is audited; the contact never is
    rows = db_rows(s.db, "SELECT action, after_json FROM audit_log WHERE entity = 'feedback'")
    assert len(rows) >= 14, rows
    assert not any(CONTACT["phone"] in (r[1] or "") for r in rows)

    # the CLI: --help, and the same record as JSON
    h = s.cli("feedback", "--help")
    assert h.returncode == 0 and "usage: dieuhanh feedback" in h.stdout, h
    c = s.cli("feedback", "show", code, "--db", s.db)
    assert c.returncode == 0, c.stderr
    assert json.loads(c.stdout)["rating"] == 4
    c = s.cli("feedback", "answer", code, "--answer", "x", "--db", s.db)
    assert c.returncode == 1 and "already answered or closed" in c.stderr, c


def test_feedback_flood_from_one_address(ctx):
    s = ctx.server(demo=True)
    admin = s.login("admin")
    configure(s, admin)
    body = {"category": "light", "description": "Đèn hỏng", "commune": "HCM-VUNGTAU"}
    for _ in range(5):
        r = submit(s, body)
        assert r.status == 201, r
    r = submit(s, body)
    expect_error(r, 429, "too_many_submissions")
    assert int(r.header("Retry-After")) > 0
    assert db_rows(s.db, "SELECT count(*) FROM fb_records")[0][0] == 5
    # an officer taking calls is not limited
    r = submit(s, dict(body, channel="hotline"), token=admin)
    assert r.status == 201, r


def test_feedback_feeds_the_766_index(ctx):
    """The 766 indicators "feedback handled on time" and "satisfaction with feedback handling"
    come from the records where the period has any, replacing a value typed in."""
    from test_index766 import indicators
    s = ctx.server(demo=True)
    admin = s.login("admin")
    officer = s.login("canbo.vungtau")
    configure(s, admin)
    r = submit(s, {"category": "light", "description": "Đèn hỏng", "commune": "HCM-VUNGTAU"})
    period = r.json["received_at"][:7]
    code = r.json["code"]
    url = "/api/v1/index/766?unit=HCM-VUNGTAU&period=" + period
    # typed in first: used while no feedback was handled
    for ind, value in (("feedback_on_time", 50), ("feedback_satisfaction", 50)):
        r = s.request("PUT", "/api/v1/index/766/values", {"unit": "HCM-VUNGTAU",
                      "period": period, "indicator": ind, "value": value}, token=admin)
        assert r.status == 200, r
    ind = indicators(s.request("GET", url, token=admin).json)
    assert ind["feedback_on_time"]["source"] == "manual", ind["feedback_on_time"]
    assert ind["feedback_on_time"]["points"] == 3.0
    # answered on time and rated 5: computed, full points
    for action, body in (("accept", None), ("answer", {"answer": "Đã sửa."})):
        assert s.request("POST", "/api/v1/feedback/%s/%s" % (code, action), body,
                         token=officer).status == 200
    assert s.request("POST", "/api/v1/public/feedback/%s/rate" % code,
                     {"rating": 5}).status == 200
    ind = indicators(s.request("GET", url, token=admin).json)
    on_time, sat = ind["feedback_on_time"], ind["feedback_satisfaction"]
    assert (on_time["source"], on_time["numerator"], on_time["denominator"], on_time["points"]) \
        == ("feedback", 1, 1, 6.0), on_time
    assert (sat["source"], sat["numerator"], sat["denominator"], sat["points"]) == \
        ("feedback", 1, 1, 6.0), sat
    # a rating of 3 from a second record halves the satisfaction
    r = submit(s, {"category": "light", "description": "Đèn tắt", "commune": "HCM-VUNGTAU"})
    c2 = r.json["code"]
    for action, body in (("accept", None), ("answer", {"answer": "Đã sửa."})):
        assert s.request("POST", "/api/v1/feedback/%s/%s" % (c2, action), body,
                         token=officer).status == 200
    assert s.request("POST", "/api/v1/public/feedback/%s/rate" % c2, {"rating": 3}).status == 200
    sat = indicators(s.request("GET", url, token=admin).json)["feedback_satisfaction"]
    assert (sat["numerator"], sat["denominator"], sat["points"]) == (1, 2, 3.0), sat


def test_feedback_public_pages(ctx):
    """The public form works without JavaScript (a POST and a redirect), refuses a filled
    honeypot and a flood; the lookup and the list of answered feedback show the answer and
    never the contact."""
    import urllib.parse
    s = ctx.server(demo=True)
    admin = s.login("admin")
    officer = s.login("canbo.vungtau")
    configure(s, admin)
    r = s.request("GET", "/phan-anh")
    page = r.raw.decode()
    assert r.status == 200 and "<form method=\"post\" action=\"/phan-anh\" " in page, r
    assert "<script" not in page and "Chiếu sáng công cộng" in page
    assert 'name="website"' in page    # the honeypot

    def post(fields):
        return s.request("POST", "/phan-anh", raw=urllib.parse.urlencode(fields).encode(),
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
    fields = {"category": "light", "commune": "HCM-VUNGTAU", "address": "5 Trần Phú",
              "description": "Đèn <b>hỏng</b> & tối", "name": "Trần Thị Bình",
              "phone": "0987654321", "email": "", "website": ""}
    r = post(fields)
    assert r.status == 303, r
    loc = r.header("Location")
    assert loc.startswith("/phan-anh/tra-cuu?ma=PA-"), loc
    code = loc.split("=", 1)[1]
    r = s.request("GET", loc)
    page = r.raw.decode()
    assert r.status == 200 and code in page and "Đã tiếp nhận" in page, r
    assert "Đèn &lt;b&gt;hỏng&lt;/b&gt; &amp; tối" in page       # escaped
    assert "0987654321" not in page and "Trần Thị Bình" not in page
    assert s.request("GET", "/phan-anh/tra-cuu?ma=PA-0000-NOPE").status == 404

    n = db_rows(s.db, "SELECT count(*) FROM fb_records")[0][0]
    r = post(dict(fields, website="http://spam.example"))
    assert r.status == 400, r
    r = post(dict(fields, description=""))
    assert r.status == 422 and "description" in r.raw.decode(), r
    assert db_rows(s.db, "SELECT count(*) FROM fb_records")[0][0] == n

    for action, body in (("accept", None), ("answer", {"answer": "Đã thay bóng đèn."})):
        assert s.request("POST", "/api/v1/feedback/%s/%s" % (code, action), body,
                         token=officer).status == 200
    r = s.request("GET", "/phan-anh/da-tra-loi?xa=HCM-VUNGTAU&linh-vuc=light")
    page = r.raw.decode()
    assert r.status == 200 and code in page and "Đã thay bóng đèn." in page, r
    assert "0987654321" not in page
    r = s.request("GET", "/phan-anh/da-tra-loi?xa=HCM-CONDAO")
    assert code not in r.raw.decode()
    r = s.request("GET", "/phan-anh/tra-cuu?ma=" + code)
    assert "Đã trả lời" in r.raw.decode() and "Đã thay bóng đèn." in r.raw.decode()

    # the flood: 5 an hour from one address
    for _ in range(4):
        assert post(fields).status == 303
    r = post(fields)
    assert r.status == 429 and int(r.header("Retry-After")) > 0, r


def test_gen_feedback_deterministic(ctx):
    """`dieuhanh gen feedback`: the demo categories and a period of records, the same for the
    same seed, with late answers, rejections, pauses and ratings, through the real clock."""
    a = ctx.server(demo=True)
    b = ctx.server(demo=True)
    h = a.cli("gen", "feedback", "--help")
    assert h.returncode == 0 and "usage: dieuhanh gen feedback" in h.stdout, h
    args = ("gen", "feedback", "--records", "120", "--seed", "3", "--from", "2025-12-01",
            "--to", "2026-05-31")
    outs = []
    for s in (a, b):
        r = s.cli(*args, "--db", s.db)
        assert r.returncode == 0, r.stderr
        outs.append(json.loads(r.stdout))
    assert outs[0] == outs[1] and outs[0]["records"] == 120 and outs[0]["categories"] == 6
    sql = ("SELECT code, state, unit, outcome, rating, received_at, answered_at, due_at "
           "FROM fb_records ORDER BY code")
    rows = db_rows(a.db, sql)
    assert rows == db_rows(b.db, sql) and len(rows) == 120
    outcomes = {r[3] for r in rows}
    assert {"on_time", "late"} <= outcomes, outcomes
    assert any(r[1] == "closed" and r[3] == "" for r in rows)          # rejected, then closed
    assert db_rows(a.db, "SELECT count(*) FROM fb_events WHERE type = 'request_info'")[0][0] > 0
    assert db_rows(a.db, "SELECT count(DISTINCT category) FROM fb_records")[0][0] == 6
    r = a.cli("gen", "feedback", "--records", "0", "--from", "2025-12-01", "--to", "2026-05-31",
              "--db", a.db)
    assert r.returncode == 2, r


def test_feedback_officer_pages(ctx):
    """The officers' queue (overdue and at risk first, their units only) and a record's page
    with its timeline, the contact and the action forms; an action through the form."""
    import urllib.parse
    s = ctx.server(demo=True)
    admin = s.login("admin")
    configure(s, admin)
    c1 = submit(s, {"category": "light", "description": "Đèn <hỏng>", "commune": "HCM-VUNGTAU",
                    "contact": CONTACT}).json["code"]
    c2 = submit(s, {"category": "light", "description": "Đèn Côn Đảo",
                    "commune": "HCM-CONDAO"}).json["code"]
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    r = s.request("POST", "/dang-nhap", raw=("login=canbo.vungtau&password=%s&next=%%2F"
                                              % urllib.parse.quote(DEMO_PASSWORD)).encode(),
                  headers=form)
    sess = r.header("Set-Cookie").split(";")[0]
    assert sess.startswith("dh_session="), r
    cookie = {"Cookie": sess}
    r = s.request("GET", "/xu-ly-phan-anh", headers=cookie)
    page = r.raw.decode()
    assert r.status == 200 and c1 in page and c2 not in page, r
    assert "Đèn &lt;hỏng&gt;" in page
    r = s.request("GET", "/xu-ly-phan-anh/" + c1, headers=cookie)
    page = r.raw.decode()
    assert r.status == 200 and CONTACT["phone"] in page and 'value="accept"' in page, r
    me = s.request("GET", "/api/v1/me", headers=cookie).json
    r = s.request("POST", "/xu-ly-phan-anh/" + c1,
                  raw=urllib.parse.urlencode({"csrf": me["csrf"], "action": "accept"}).encode(),
                  headers=dict(form, **cookie))
    assert r.status == 303, r
    assert s.request("GET", "/api/v1/feedback/" + c1, token=admin).json["state"] == "accepted"
    # answering without text: the page again with the reason, nothing changed
    r = s.request("POST", "/xu-ly-phan-anh/" + c1,
                  raw=urllib.parse.urlencode({"csrf": me["csrf"], "action": "answer"}).encode(),
                  headers=dict(form, **cookie))
    assert r.status == 422 and "answer is required" in r.raw.decode(), r
    # a leader sees the record but neither the contact nor the forms
    lead = {"Cookie": "dh_session=" + s.login("lanhdao.hcm")}
    page = s.request("GET", "/xu-ly-phan-anh/" + c1, headers=lead).raw.decode()
    assert CONTACT["phone"] not in page and 'value="answer"' not in page


def test_feedback_attachments(ctx):
    """Images by content, at most 5 MB, kept by their SHA-256; anything else refused."""
    import hashlib
    s = ctx.server(demo=True)
    admin = s.login("admin")
    officer = s.login("canbo.vungtau")
    configure(s, admin)
    code = submit(s, {"category": "light", "description": "Đèn hỏng",
                      "commune": "HCM-VUNGTAU"}).json["code"]
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    url = "/api/v1/feedback/%s/attachments?name=den.png" % code
    hdr = {"Content-Type": "application/octet-stream"}
    r = s.request("POST", url, raw=png, headers=hdr, token=officer)
    assert r.status == 201 and r.json == {"sha256": hashlib.sha256(png).hexdigest(),
                                          "mime": "image/png", "name": "den.png",
                                          "size": len(png)}, r
    expect_error(s.request("POST", url, raw=png, headers=hdr, token=officer), 409,
                 "attachment_exists")
    expect_error(s.request("POST", url, raw=b"<html>not an image</html>", headers=hdr,
                           token=officer), 422, "not_an_image", "attachment")
    expect_error(s.request("POST", url, raw=png + b"\x00" * (5 * 1024 * 1024), headers=hdr,
                           token=officer), 413, "too_large")
    expect_error(s.request("POST", url, raw=b"\xff\xd8\xff" + b"\x01" * 10, headers=hdr,
                           token=s.login("lanhdao.hcm")), 403)
    r = s.request("GET", "/api/v1/feedback/" + code, token=officer)
    assert [a["mime"] for a in r.json["attachments"]] == ["image/png"], r
    assert db_rows(s.db, "SELECT count(*) FROM fb_attachments")[0][0] == 1
