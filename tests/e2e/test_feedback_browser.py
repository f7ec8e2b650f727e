"""Citizen feedback pages in a real headless Chromium (issue 17): the public form submitted
with scripts disabled (and the honeypot refused), the lookup by code and the list of answered
feedback without personal data, the officers' queue with overdue and at-risk records first,
and a record's transfer, pause and answer forms end to end; every page at 390 px too."""
import time

from harness import db_rows, expect_error
from test_browser import Browser, cards, login, vn_pct
from test_feedback import CONTACT, configure, submit

from selenium.webdriver.common.by import By  # noqa: E402  (path set by test_browser)
from selenium.webdriver.support.ui import Select  # noqa: E402


def scripts(b, on):
    b.d.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": not on})


def act(b, action, text=None):
    """Submits the record page's form for one action (its text field filled first)."""
    form = [f for f in b.d.find_elements(By.CSS_SELECTOR, "main form")
            if f.find_elements(By.CSS_SELECTOR, "input[name=action][value=%s]" % action)]
    assert len(form) == 1, (action, b.d.current_url)
    if text is not None:
        form[0].find_element(By.TAG_NAME, "textarea").send_keys(text)
    before = b.d.find_element(By.TAG_NAME, "html")
    form[0].find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    b.wait(lambda: not _alive(before))
    b.wait(lambda: b.d.execute_script("return document.readyState") == "complete")


def _alive(el):
    try:
        el.tag_name
        return True
    except Exception:
        return False


def state_of(s, token, code):
    return s.request("GET", "/api/v1/feedback/" + code, token=token).json


def test_feedback_pages_in_chromium(ctx):
    s = ctx.server(demo=True)
    admin = s.login("admin")
    configure(s, admin)
    base = "http://127.0.0.1:%d" % s.port
    b = Browser(base)
    try:
        # the public form with page scripts disabled: a plain POST and a redirect
        scripts(b, False)
        b.get("/phan-anh")
        assert "<script" not in b.d.page_source
        Select(b.d.find_element(By.NAME, "category")).select_by_value("light")
        b.d.find_element(By.NAME, "commune").send_keys("HCM-VUNGTAU")
        b.d.find_element(By.NAME, "address").send_keys("5 Trần Phú")
        b.d.find_element(By.NAME, "description").send_keys("Đèn đường <hỏng> & tối")
        b.d.find_element(By.NAME, "name").send_keys(CONTACT["name"])
        b.d.find_element(By.NAME, "phone").send_keys(CONTACT["phone"])
        b.d.find_element(By.NAME, "email").send_keys(CONTACT["email"])
        # the honeypot is off screen, not hidden from bots
        hp = b.d.find_element(By.NAME, "website")
        assert hp.location["x"] < 0 and not hp.get_attribute("value")
        b.shot("40-phan-anh")
        b.d.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
        b.wait(lambda: "/phan-anh/tra-cuu?ma=PA-" in b.d.current_url)
        b.check_console("after submit")
        code = b.d.current_url.split("ma=", 1)[1]
        main = b.text("main")
        assert code in main and "Đã tiếp nhận" in main and "Đèn đường <hỏng> & tối" in main
        for personal in CONTACT.values():
            assert personal not in b.d.page_source
        b.shot("41-phan-anh-da-gui")
        rec = state_of(s, admin, code)
        assert rec["unit"] == "HCM-VUNGTAU" and rec["channel"] == "portal"
        assert rec["contact"]["phone"] == CONTACT["phone"]

        # a filled honeypot: refused, nothing written
        n = db_rows(s.db, "SELECT count(*) FROM fb_records")[0][0]
        b.get("/phan-anh")
        b.d.find_element(By.NAME, "description").send_keys("Quảng cáo")
        scripts(b, True)
        b.d.execute_script("arguments[0].value = 'http://spam.example'",
                           b.d.find_element(By.NAME, "website"))
        scripts(b, False)
        b.d.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
        b.wait(lambda: "Không gửi được phản ánh." in b.text("main"))
        b.check_console("honeypot", expect=400)
        assert db_rows(s.db, "SELECT count(*) FROM fb_records")[0][0] == n

        # the lookup by code, through its form
        b.get("/phan-anh/tra-cuu")
        b.d.find_element(By.ID, "ma").send_keys(code)
        b.d.find_element(By.CSS_SELECTOR, "main form button").click()
        b.wait(lambda: "ma=" in b.d.current_url)
        b.check_console("lookup")
        assert code in b.text("main") and CONTACT["phone"] not in b.d.page_source
        b.get("/phan-anh/tra-cuu?ma=PA-0000-NOPE", expect=404)
        scripts(b, True)

        # the officers' queue: overdue, then at risk, then within
        within = code
        over = submit(s, {"category": "light", "description": "Đèn chập chờn",
                          "commune": "HCM-VUNGTAU"}).json["code"]
        risk = submit(s, {"category": "light", "description": "Cột đèn nghiêng",
                          "commune": "HCM-VUNGTAU"}).json["code"]
        other = submit(s, {"category": "light", "description": "Đèn Côn Đảo",
                           "commune": "HCM-CONDAO"}).json["code"]
        now = int(time.time())
        db_rows(s.db, "UPDATE fb_records SET received_at = ?, due_at = ? WHERE code = ?",
                now - 10 * 86400, now - 86400, over)
        db_rows(s.db, "UPDATE fb_records SET received_at = ?, due_at = ? WHERE code = ?",
                now - 5 * 86400, now + 1800, risk)
        login(b, "canbo.vungtau")
        b.get("/xu-ly-phan-anh")
        rows = b.d.find_elements(By.CSS_SELECTOR, "#queue tbody tr")
        got = [(r.find_elements(By.TAG_NAME, "td")[0].text,
                r.find_elements(By.TAG_NAME, "td")[5].text) for r in rows]
        assert got == [(over, "Quá hạn"), (risk, "Sắp đến hạn"), (within, "Trong hạn")], got
        assert "late" in rows[0].find_elements(By.TAG_NAME, "td")[5].get_attribute("class")
        assert other not in b.text("main")     # another unit's record
        b.shot("42-xu-ly-phan-anh")

        # the record page: the contact for the handling unit, then its forms end to end
        b.d.find_element(By.LINK_TEXT, within).click()
        b.wait(lambda: b.d.current_url.endswith("/xu-ly-phan-anh/" + within))
        b.check_console("record")
        assert CONTACT["phone"] in b.text("main")
        act(b, "accept")
        assert state_of(s, admin, within)["state"] == "accepted"
        act(b, "request_info", "Xin ảnh chụp vị trí cột đèn")
        r = state_of(s, admin, within)
        assert r["state"] == "needs_info" and r["outcome"] == "paused", r
        assert "Xin ảnh chụp vị trí cột đèn" in b.text("main")
        act(b, "resume")
        act(b, "start")
        assert state_of(s, admin, within)["state"] == "in_progress"
        # answering without text is refused by the browser (required), then with text
        act(b, "answer", "Đã thay bóng đèn ngày hôm nay.")
        r = state_of(s, admin, within)
        assert r["state"] == "answered" and r["answer"] == "Đã thay bóng đèn ngày hôm nay."
        assert r["outcome"] == "on_time", r
        b.shot("43-xu-ly-da-tra-loi")
        # transfer the overdue one to Côn Đảo: it leaves this officer's queue
        b.get("/xu-ly-phan-anh/" + over)
        act(b, "transfer", "HCM-CONDAO")
        b.check_console("after transfer")
        assert b.d.current_url.endswith("/xu-ly-phan-anh"), b.d.current_url
        assert state_of(s, admin, over)["unit"] == "HCM-CONDAO"
        assert over not in b.text("#queue") and risk in b.text("#queue")
        ev = db_rows(s.db, "SELECT type FROM fb_events e JOIN fb_records r ON r.id = e.record_id "
                     "WHERE r.code = ? ORDER BY e.seq", within)
        assert [x[0] for x in ev][-5:] == ["accept", "request_info", "resume", "start",
                                           "answer"], ev

        # the public list of answered feedback: the answer, no personal data
        b.get("/phan-anh/da-tra-loi?xa=HCM-VUNGTAU&linh-vuc=light")
        main = b.text("main")
        assert within in main and "Đã thay bóng đèn ngày hôm nay." in main
        assert over not in main and risk not in main
        for personal in CONTACT.values():
            assert personal not in b.d.page_source
        b.shot("44-phan-anh-da-tra-loi")
    finally:
        b.close()

    # every page fits a 390 px phone
    p = Browser(base, size="390,844")
    p.d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                        {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True})
    try:
        pages = ["/phan-anh", "/phan-anh/tra-cuu?ma=" + within, "/phan-anh/da-tra-loi"]
        for path in pages:
            p.get(path)
            width = p.d.execute_script("return document.documentElement.scrollWidth")
            assert width <= 390, (path, width)
        login(p, "canbo.vungtau")
        for path in ("/xu-ly-phan-anh", "/xu-ly-phan-anh/" + risk):
            p.get(path)
            width = p.d.execute_script("return document.documentElement.scrollWidth")
            assert width <= 390, (path, width)
            p.shot("45-phone" + path.replace("/", "_"))
    finally:
        p.close()


def test_feedback_on_the_overview_in_chromium(ctx):
    """The leaders' overview shows the feedback figures of the unit and its subtree for the
    period, equal to the `feedback` group of /api/v1/kpis; the over-deadline card leads to
    the queue."""
    s = ctx.server(demo=True)
    admin = s.login("admin")
    r = s.cli("gen", "feedback", "--records", "400", "--seed", "5", "--from", "2025-12-01",
              "--to", "2026-05-31", "--db", s.db)
    assert r.returncode == 0, r.stderr
    b = Browser("http://127.0.0.1:%d" % s.port)
    try:
        login(b, "lanhdao.hcm")
        for q in ("unit=HCM&period=2026-03", "unit=HCM&from=2025-12-01&to=2026-05-31"):
            b.get("/tong-quan?" + q)
            api = s.request("GET", "/api/v1/kpis?subtree=1&" + q, token=admin).json["feedback"]
            assert api["received"] > 0 and api["answered_late"] > 0, api
            c = cards(b)
            assert c["Phản ánh tiếp nhận"] == str(api["received"])
            assert c["Phản ánh trả lời đúng hạn"] == str(api["answered_on_time"])
            assert c["Phản ánh trả lời trễ hạn"] == str(api["answered_late"])
            assert c["Phản ánh đang mở quá hạn"] == str(api["open_over_deadline"])
            assert c["Tỷ lệ trả lời phản ánh đúng hạn"] == vn_pct(api["on_time_rate"])
            assert c["Hài lòng với xử lý phản ánh"] == vn_pct(api["satisfaction_rate"])
            assert api["satisfaction_rate"] is not None
        b.shot("46-tong-quan-phan-anh")
        # a period with no feedback: zeros and "—", not an error
        b.get("/tong-quan?unit=HCM&period=2025-03")
        c = cards(b)
        assert c["Phản ánh tiếp nhận"] == "0" and c["Hài lòng với xử lý phản ánh"] == "—", c
        b.get("/tong-quan?unit=HCM&from=2025-12-01&to=2026-05-31")
        link = b.d.find_element(By.XPATH, "//div[contains(@class,'card')][div[@class='k' and "
                                "text()='Phản ánh đang mở quá hạn']]//a")
        link.click()
        b.wait(lambda: "/xu-ly-phan-anh?unit=HCM" in b.d.current_url)
        b.check_console("queue from the overview")
    finally:
        b.close()


def test_feedback_summary_by_unit_and_category_in_chromium(ctx):
    """The province's view: by handling unit, then by unit and category, units and
    categories by name (codes on hover), figures equal to /api/v1/feedback/kpis; a unit's
    leader sees only their units; fits a phone."""
    s = ctx.server(demo=True)
    admin = s.login("admin")
    r = s.cli("gen", "feedback", "--records", "300", "--seed", "7", "--from", "2025-12-01",
              "--to", "2026-05-31", "--db", s.db)
    assert r.returncode == 0, r.stderr
    cats = {c["code"]: c["name"] for c in
            s.request("GET", "/api/v1/feedback/categories").json}
    q = "from=2025-12-01&to=2026-05-31"
    api = s.request("GET", "/api/v1/feedback/kpis?" + q, token=admin).json
    units = {u["unit"]: u for u in api["units"]}
    assert len(units) >= 2, units
    b = Browser("http://127.0.0.1:%d" % s.port)
    try:
        login(b, "admin")
        b.get("/phan-anh-tong-hop?" + q)
        b.shot("47-phan-anh-tong-hop")
        rows = b.d.find_elements(By.CSS_SELECTOR, "#by-unit tbody tr")
        seen = {}
        for tr in rows:
            td = tr.find_elements(By.TAG_NAME, "td")
            code = td[0].find_element(By.TAG_NAME, "abbr").get_attribute("title")
            assert td[0].text != code and td[0].text, td[0].text     # a name, not a code
            seen[code] = [x.text for x in td[1:]]
        assert set(seen) == set(units)
        for code, u in units.items():
            assert seen[code] == [str(u["received"]), str(u["answered_on_time"]),
                                  str(u["answered_late"]), str(u["open_over_deadline"]),
                                  vn_pct(u["on_time_rate"]), vn_pct(u["satisfaction_rate"])]
        # by unit and category: the names, and per unit the sums equal the unit's row
        sums = {}
        for tr in b.d.find_elements(By.CSS_SELECTOR, "#by-category tbody tr"):
            td = tr.find_elements(By.TAG_NAME, "td")
            code = td[0].find_element(By.TAG_NAME, "abbr").get_attribute("title")
            assert td[1].text in cats.values(), td[1].text
            got = sums.setdefault(code, [0, 0, 0, 0])
            for i in range(4):
                got[i] += int(td[2 + i].text)
        for code, u in units.items():
            assert sums[code] == [u["received"], u["answered_on_time"], u["answered_late"],
                                  u["open_over_deadline"]], (code, sums[code])
        n_cat = len(b.d.find_elements(By.CSS_SELECTOR, "#by-category tbody tr"))
        assert n_cat > len(units)
        assert "Tổng hợp phản ánh" in b.text("h1")
    finally:
        b.close()
    # a ward's officer sees only their own unit
    p = Browser("http://127.0.0.1:%d" % s.port, size="390,844")
    p.d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                        {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True})
    try:
        login(p, "canbo.vungtau")
        p.get("/phan-anh-tong-hop?" + q)
        codes = {a.get_attribute("title") for a in
                 p.d.find_elements(By.CSS_SELECTOR, "#by-unit tbody abbr")}
        assert codes == {"HCM-VUNGTAU"} & set(units) and len(codes) == 1, codes
        width = p.d.execute_script("return document.documentElement.scrollWidth")
        assert width <= 390, width
    finally:
        p.close()


def _png(w, h):
    """A real PNG (decodable by the browser), w x h red pixels."""
    import struct
    import zlib

    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
    raw = b"".join(b"\x00" + b"\xff\x00\x00" * w for _ in range(h))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def test_feedback_images_only_for_the_handling_unit(ctx):
    """Attached images are served, typed by content and nosniff, to the handling unit's
    officers and admins; never to others, never on public pages; shown on the record page."""
    import hashlib
    s = ctx.server(demo=True)
    admin = s.login("admin")
    officer = s.login("canbo.vungtau")
    configure(s, admin)
    code = submit(s, {"category": "light", "description": "Đèn hỏng",
                      "commune": "HCM-VUNGTAU"}).json["code"]
    png = _png(4, 3)
    sha = hashlib.sha256(png).hexdigest()
    r = s.request("POST", "/api/v1/feedback/%s/attachments?name=den.png" % code, raw=png,
                  headers={"Content-Type": "application/octet-stream"}, token=officer)
    assert r.status == 201, r
    url = "/api/v1/feedback/%s/attachments/%s" % (code, sha)
    for tok in (officer, admin):
        r = s.request("GET", url, token=tok)
        assert r.status == 200 and r.raw == png, r
        assert r.header("Content-Type") == "image/png"
        assert r.header("X-Content-Type-Options") == "nosniff"
    expect_error(s.request("GET", url, token=s.login("lanhdao.hcm")), 403)   # reads, no handler
    assert s.request("GET", url).status == 401
    expect_error(s.request("GET", url[:-4] + "0000", token=officer), 404, "unknown_attachment")
    assert sha not in s.request("GET", "/phan-anh/tra-cuu?ma=" + code).raw.decode()
    # the public JSON (and Open311 GET) gives the image's address as media_url, no more: the
    # image itself answers 401 above, and the list of attachments is not shown
    pub = s.request("GET", "/api/v1/public/feedback/" + code).json
    assert pub["media_url"] == url and "attachments" not in pub, pub
    b = Browser("http://127.0.0.1:%d" % s.port)
    try:
        login(b, "canbo.vungtau")
        b.get("/xu-ly-phan-anh/" + code)
        img = b.d.find_element(By.CSS_SELECTOR, "main p.images img")
        b.wait(lambda: b.d.execute_script("return arguments[0].complete", img))
        assert b.d.execute_script("return arguments[0].naturalWidth", img) == 4
        assert img.get_attribute("alt") == "den.png"
        b.check_console("record with an image")
        b.shot("48-xu-ly-hinh-anh")
    finally:
        b.close()
