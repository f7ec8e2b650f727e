"""The dashboard in a real headless Chromium (issue 6): sign in through the form, open
every page, check that the figures shown equal the API's, drill down, download exports,
switch language and text size, fail on any console error, keep screenshots.

Chromium, chromedriver and selenium are Debian packages (scripts/deps.sh installs them);
selenium lives in the system Python's dist-packages. Screenshots go to $DH_ARTEFACTS
(default /tmp/dieuhanh-artefacts)."""
import os
import sys
import tempfile

from test_dossiers import setup
from test_reports import EVENTS, KEYS, TOTAL

sys.path.append("/usr/lib/python3/dist-packages")
from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.options import Options  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402

ART = os.environ.get("DH_ARTEFACTS", "/tmp/dieuhanh-artefacts")


class Browser:
    def __init__(self, base, size="1366,1000"):
        self.base = base
        o = Options()
        self.profile = tempfile.mkdtemp(prefix="dh-chromium-")
        for a in ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--user-data-dir=" + self.profile, "--window-size=" + size,
                  "--lang=vi"):
            o.add_argument(a)
        o.binary_location = "/usr/bin/chromium"
        o.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=o)
        self.d.set_page_load_timeout(30)

    def get(self, path, expect=None):
        self.d.get(self.base + path)
        self.check_console(path, expect)
        return self.d

    def check_console(self, where, expect=None):
        """Any console error fails, except the page's own expected status (a 403 page);
        so does any Content-Security-Policy violation, whatever its level (issue 13: no
        inline style or script anywhere)."""
        log = self.d.get_log("browser")
        bad = [e for e in log if e["level"] == "SEVERE" and not (
            expect and "status of %d" % expect in e["message"])]
        bad += [e for e in log if "Content Security Policy" in e["message"] and e not in bad]
        assert not bad, (where, bad)

    def wait(self, cond, seconds=15):
        """Waits for a condition (clicks navigate asynchronously; slow under ASan)."""
        import time
        from selenium.common.exceptions import (NoSuchElementException,
                                                StaleElementReferenceException)
        end = time.time() + seconds
        while True:
            # While a page is replaced its elements go stale or are not there
            # yet: that is "not yet", not a failure.
            try:
                if cond():
                    return
            except (NoSuchElementException, StaleElementReferenceException):
                pass
            assert time.time() < end, "timed out at " + self.d.current_url
            time.sleep(0.05)

    def shot(self, name):
        os.makedirs(ART, exist_ok=True)
        self.d.save_screenshot(os.path.join(ART, name + ".png"))

    def text(self, css):
        return self.d.find_element(By.CSS_SELECTOR, css).text

    def close(self):
        self.d.quit()


def login(b, user, password="dieuhanh-demo"):
    b.get("/dang-nhap")
    b.d.find_element(By.NAME, "login").send_keys(user)
    b.d.find_element(By.NAME, "password").send_keys(password)
    b.d.find_element(By.CSS_SELECTOR, "form.login button").click()
    b.wait(lambda: "/dang-nhap" not in b.d.current_url)
    b.check_console("after login")


def cards(b):
    """The overview's cards: label -> shown value."""
    out = {}
    for c in b.d.find_elements(By.CSS_SELECTOR, ".card"):
        out[c.find_element(By.CSS_SELECTOR, ".k").text] = c.find_element(By.CSS_SELECTOR, ".v").text
    return out


def vn_pct(v):
    return "—" if v is None else ("%.2f%%" % v).replace(".", ",")


def test_dashboard_in_chromium(ctx):
    s, admin = setup(ctx)
    assert s.request("POST", "/api/v1/dossier-events", {"events": EVENTS},
                     token=admin).status == 201
    b = Browser("http://127.0.0.1:%d" % s.port)
    try:
        # not signed in: every page sends to the sign-in form
        b.get("/tong-quan")
        assert "/dang-nhap" in b.d.current_url
        b.shot("00-dang-nhap")
        login(b, "vanphong.vt")
        assert b.d.current_url.endswith("/tong-quan")
        # the header always says who is signed in
        assert "vanphong.vt" in b.text(".who") and "BRVT-VT" in b.text(".who")
        b.get("/tong-quan?unit=VT-P1&period=2025-03")
        b.shot("01-tong-quan")
        api = s.request("GET", "/api/v1/kpis?unit=VT-P1&subtree=1&period=2025-03",
                        token=admin).json["items"][0]
        c = cards(b)
        assert c["Tiếp nhận (kể cả kỳ trước chuyển qua)"] == str(api["received_total"])
        assert c["Đã giải quyết"] == str(api["resolved_total"])
        assert c["Đang quá hạn"] == str(api["overdue"])
        assert c["Đúng hạn (trước và đúng hạn)"] == vn_pct(api["on_time_rate"])
        assert c["Trực tuyến"] == vn_pct(api["online_rate"])
        assert c["Thanh toán trực tuyến"] == "—"  # N/A, not 0%
        idx = s.request("GET", "/api/v1/index/766?unit=VT-P1&period=2025-03", token=admin).json
        assert b.text("#h-766 + p .score") == "%.2f" % idx["total"]
        # charts carry text alternatives
        svgs = b.d.find_elements(By.CSS_SELECTOR, "figure.chart svg[role=img]")
        assert len(svgs) >= 3 and all(x.get_attribute("aria-label") for x in svgs)

        # the city overview ranks its wards; drill down: the ward, then its overdue dossiers
        b.get("/tong-quan?unit=BRVT-VT&period=2025-03")
        b.d.find_element(By.LINK_TEXT, "Phường 1").click()
        b.wait(lambda: "/don-vi/VT-P1" in b.d.current_url)
        b.check_console("unit page")
        assert "/don-vi/VT-P1" in b.d.current_url
        assert "Lịch sử đơn vị" in b.d.page_source and "Đơn vị kế thừa" in b.d.page_source
        b.shot("02-don-vi")
        b.get("/ho-so?unit=VT-P1&state=overdue")
        rows = b.d.find_elements(By.CSS_SELECTOR, "table tbody tr")
        listed = s.request("GET", "/api/v1/dossiers?unit=VT-P1&subtree=1&state=overdue",
                           token=admin).json["items"]
        assert len(rows) == max(len(listed), 1)
        b.get("/ho-so?unit=VT-P1")
        b.shot("03-ho-so")
        first = b.d.find_element(By.CSS_SELECTOR, "table tbody tr td a")
        code = first.text
        first.click()
        b.wait(lambda: b.d.current_url.endswith("/ho-so/" + code))
        b.check_console("dossier page")
        assert b.d.current_url.endswith("/ho-so/" + code)
        assert "Diễn biến" in b.d.page_source and "Tiếp nhận" in b.d.page_source
        b.shot("04-ho-so-chi-tiet")
        # filters by field and channel (the selects of the list)
        b.get("/ho-so?unit=VT-P1&state=in_progress&field=H%E1%BB%99+t%E1%BB%8Bch&channel=online")
        listed = sorted(r.find_element(By.CSS_SELECTOR, "td a").text
                        for r in b.d.find_elements(By.CSS_SELECTOR, "main table tbody tr"))
        assert listed == ["F", "I"], listed
        # diacritic-insensitive search over procedure names
        b.get("/ho-so?q=chung+thuc")
        assert "Chứng thực bản sao" in b.d.page_source

        # exports: the links carry the filters; fetched with the browser's session
        cookie = b.d.get_cookie("dh_session")["value"]
        hdr = {"Cookie": "dh_session=" + cookie}
        csv_link = b.d.find_element(By.PARTIAL_LINK_TEXT, "Tải CSV").get_attribute("href")
        r = s.request("GET", csv_link.split(str(s.port), 1)[1], headers=hdr)
        assert r.status == 200 and r.raw.decode("utf-8-sig").startswith("Mã hồ sơ,Thủ tục")
        r = s.request("GET", "/ho-so?unit=VT-P1&format=xlsx", headers=hdr)
        assert r.status == 200 and r.raw[:2] == b"PK"

        # the report page shows II.06a with the API's totals and its downloads
        b.get("/bao-cao?unit=VT-P1&period=2025-03")
        b.shot("05-bao-cao")
        shown = [b.text("tfoot td[data-key=%s]" % k) for k in KEYS]
        assert shown == [str(x) for x in TOTAL]
        assert b.d.find_element(By.PARTIAL_LINK_TEXT, "Excel").get_attribute("href").endswith(
            "format=xlsx")
        b.get("/chi-so-766?unit=VT-P1&period=2025-03")
        assert "Tiến độ giải quyết" in b.d.page_source
        b.shot("06-chi-so-766")

        # text size and language
        b.d.find_element(By.CSS_SELECTOR, "[data-fs='1']").click()
        assert "fs1" in b.d.find_element(By.TAG_NAME, "html").get_attribute("class")
        b.d.find_element(By.CSS_SELECTOR, "a.lang").click()
        b.wait(lambda: b.d.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en")
        b.check_console("english")
        assert b.d.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
        assert "Index 766" in b.d.page_source
        b.d.find_element(By.CSS_SELECTOR, "a.lang").click()
        b.wait(lambda: b.d.find_element(By.TAG_NAME, "html").get_attribute("lang") == "vi")

        # the printable documents style themselves through /static/doc.css (the CSP allows
        # no inline style): the stylesheet is applied, and no violation is logged
        style = "return getComputedStyle(document.querySelector(arguments[0]))[arguments[1]]"
        b.get("/api/v1/reports/ii06a?unit=VT-P1&period=2025-03&format=html")
        assert b.d.execute_script(style, "td.n", "textAlign") == "right"
        b.get("/api/v1/dossiers/A/apology.html")
        assert b.d.execute_script(style, "p.b", "fontWeight") in ("700", "bold")
        b.get("/tra-cuu?ma=A")
        assert b.d.execute_script(style, "body", "maxWidth") != "none"

        # an officer cannot open another unit's pages or exports
        b.get("/don-vi/BRVT-STTTT?period=2025-03", expect=403)
        assert "Không có quyền" in b.d.page_source
        r = s.request("GET", "/ho-so?unit=BRVT-STTTT&format=csv", headers=hdr)
        assert r.status == 403
        # the administration is for administrators
        b.get("/quan-tri", expect=403)
        assert "Không có quyền" in b.d.page_source
        # sign out: the session is gone
        b.d.find_element(By.CSS_SELECTOR, ".who button").click()
        b.wait(lambda: "/dang-nhap" in b.d.current_url)
        r = s.request("GET", "/tong-quan", headers=hdr)
        assert r.status == 303

        login(b, "admin")
        b.get("/quan-tri")
        assert "Đơn vị hiện nay" in b.d.page_source and "vanphong.vt" in b.d.page_source
        src = b.d.page_source
        assert "Sự kiện sắp xếp đơn vị" in src and "Phường Vũng Tàu" in src  # 1/7/2025
        assert "Lịch nghỉ, làm bù năm nay" in src and "Chứng thực bản sao" in src
        b.shot("07-quan-tri")
        # the upload page: a file with a bad line, progress and a per-line error report
        up = os.path.join(s.dir, "su-kien.ndjson")
        with open(up, "w", encoding="utf-8") as f:
            import json
            f.write(json.dumps({"id": "u1", "source": "web", "dossier": "WEB-1",
                                "type": "received", "at": "2025-03-04T08:00:00+07:00",
                                "unit": "VT-P1", "procedure": "1.004227"}) + "\n")
        b.get("/quan-tri/nhap-lieu")
        b.d.find_element(By.NAME, "file").send_keys(up)
        b.d.find_element(By.CSS_SELECTOR, "#upload button").click()
        import time
        b.wait(lambda: "Xong" in b.text("#upload-status"))
        assert "1 sự kiện được nhận" in b.text("#upload-status"), b.text("#upload-status")
        with open(up, "w", encoding="utf-8") as f:
            f.write(json.dumps({"id": "u2", "source": "web", "dossier": "WEB-2",
                                "type": "received", "at": "2025-03-04T08:00:00+07:00",
                                "unit": "KHONG-CO", "procedure": "1.004227"}) + "\n")
        b.get("/quan-tri/nhap-lieu")
        b.d.find_element(By.NAME, "file").send_keys(up)
        b.d.find_element(By.CSS_SELECTOR, "#upload button").click()
        b.wait(lambda: "Xong" in b.text("#upload-status"))
        assert "su-kien.ndjson:1:" in b.text("#upload-errors") and \
            "KHONG-CO" in b.text("#upload-errors"), b.text("#upload-errors")
        b.shot("08-nhap-lieu")
        b.check_console("upload", expect=422)
    finally:
        b.close()


def test_pages_security_headers_and_public_index(ctx):
    s, admin = setup(ctx)
    r = s.request("GET", "/dang-nhap")
    csp = r.header("Content-Security-Policy")
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert r.header("X-Content-Type-Options") == "nosniff"
    assert r.header("Referrer-Policy") == "no-referrer"
    # a form POST with the session cookie but no CSRF field is refused
    t = s.login("vanphong.vt")
    r = s.request("POST", "/dang-xuat", raw=b"", headers={
        "Cookie": "dh_session=" + t, "Content-Type": "application/x-www-form-urlencoded"})
    assert r.status == 403
    # a bad period is a clear 422 page, not a crash
    r = s.request("GET", "/tong-quan?unit=VT-P1&period=2025-Q9", headers={"Cookie": "dh_session=" + t})
    assert r.status == 422 and "Kỳ không hợp lệ" in r.raw.decode("utf-8")
    # escaping: a hostile query value comes back inert
    r = s.request("GET", "/dang-nhap?next=%22%3E%3Cscript%3Ealert(1)%3C/script%3E")
    assert b"<script>alert(1)" not in r.raw
    # an open redirect through the language switch is not possible
    r = s.request("GET", "/ngon-ngu?lang=en&back=//evil.example/")
    assert r.header("Location") == "/"
    # the public index page needs no sign-in and shows no ranking of others
    r = s.request("GET", "/cong-khai/chi-so/VT-P1?period=2025-03")
    assert r.status == 200 and "Tiến độ giải quyết" in r.raw.decode("utf-8")
    assert "Xếp hạng" not in r.raw.decode("utf-8")


def test_plans_pages_in_chromium(ctx):
    """Plans, a plan's tasks grouped as printed with statuses and coverage, a task page,
    a progress update through the form by the lead unit, a comment by another unit, a
    directive from the overdue dossier list, and the overview's task alerts (issue 7)."""
    s = ctx.server(demo=True)  # the demo loads the five seed plans with progress
    admin = s.login("admin")
    b = Browser("http://127.0.0.1:%d" % s.port)
    try:
        login(b, "lanhdao.tinh")
        b.get("/ke-hoach")
        plans = s.request("GET", "/api/v1/plans", token=admin).json["items"]
        rows = b.d.find_elements(By.CSS_SELECTOR, "main table tbody tr")
        assert len(rows) == len(plans) == 5
        b.shot("10-ke-hoach")
        b.d.find_element(By.LINK_TEXT, "1683/QĐ-UBND").click()
        b.wait(lambda: "/ke-hoach/" in b.d.current_url)
        b.check_console("plan page")
        assert "II. Các khâu đột phá" in b.d.page_source  # groups as printed
        assert "Độ bao phủ" in b.d.page_source
        b.shot("11-ke-hoach-1683")
        # the task page of II.1 (lead: Sở TT&TT)
        tasks = s.request("GET", "/api/v1/tasks?unit=BRVT-STTTT", token=admin).json["items"]
        t = [x for x in tasks if x["ordinal"] == "IV.2-1"][0]
        b.get("/nhiem-vu/%d" % t["id"])
        assert t["content"][:40] in b.d.page_source
        shown = b.text("main table tbody tr:nth-child(5) td")
        assert shown.startswith({"no_report": "Chưa báo cáo", "overdue": "Quá hạn",
                                 "in_progress": "Đang thực hiện", "at_risk": "Có nguy cơ trễ",
                                 "not_started": "Chưa bắt đầu", "done": "Hoàn thành",
                                 "done_late": "Hoàn thành trễ hạn",
                                 "not_done": "Không hoàn thành"}[t["status"]["state"]]), shown
        # a leader of the province is neither lead nor coordinating: no form
        assert not b.d.find_elements(By.CSS_SELECTOR, "form[action$='cap-nhat']")
        assert "Chỉ đơn vị chủ trì cập nhật tiến độ" in b.d.page_source
        # the lead unit's officer updates progress through the form
        b.d.find_element(By.CSS_SELECTOR, ".who button").click()
        b.wait(lambda: "/dang-nhap" in b.d.current_url)
        login(b, "canbo.stttt")
        b.get("/nhiem-vu")
        assert "IV.2-1" in b.d.page_source
        b.get("/nhiem-vu/%d" % t["id"])
        assert b.d.find_element(By.NAME, "kind").get_attribute("value") == "progress"
        b.d.find_element(By.NAME, "text").send_keys("Đã hoàn thành toàn bộ nội dung.")
        b.d.find_element(By.NAME, "percent").send_keys("100")
        b.d.find_element(By.NAME, "done").click()
        b.d.find_element(By.CSS_SELECTOR, "form[action$='cap-nhat'] button").click()
        b.wait(lambda: "Đã hoàn thành toàn bộ" in b.d.page_source)
        after = s.request("GET", "/api/v1/tasks/%d" % t["id"], token=admin).json
        assert after["status"]["state"] in ("done", "done_late") and after["percent"] == 100
        b.shot("12-nhiem-vu")
        audit = s.request("GET", "/api/v1/audit?entity=task&unit=BRVT-STTTT&limit=500",
                          token=admin).json["items"]
        assert [a for a in audit if a["action"] == "progress" and "Đã hoàn thành toàn bộ" in
                str(a.get("after"))], "updates are audited"
        # the overview lists overdue tasks and missing reports
        b.get("/tong-quan?unit=BRVT-STTTT")
        assert "Nhiệm vụ quá hạn và chưa báo cáo" in b.d.page_source

        # a directive from the overdue dossier list (a leader)
        b.d.find_element(By.CSS_SELECTOR, ".who button").click()
        b.wait(lambda: "/dang-nhap" in b.d.current_url)
        login(b, "lanhdao.tinh")
        b.get("/ho-so?unit=BRVT-VT&state=overdue")
        b.d.find_element(By.CSS_SELECTOR, "details.directive summary").click()
        b.d.find_element(By.NAME, "deadline").send_keys("12/31/2026")
        b.d.find_element(By.NAME, "content").send_keys("Xử lý dứt điểm hồ sơ quá hạn.")
        b.d.find_element(By.CSS_SELECTOR, "form[action='/chi-dao'] button").click()
        b.wait(lambda: "/nhiem-vu/" in b.d.current_url)
        assert "Xử lý dứt điểm hồ sơ quá hạn." in b.d.page_source
        assert "Chỉ đạo" in b.d.page_source
        b.check_console("directive")
    finally:
        b.close()


def test_targets_pages_in_chromium(ctx):
    """Targets by status, an indicator's page, reporting completeness, the reporter's entry
    form and the values upload with per-line errors (issue 8)."""
    s = ctx.server(demo=True)  # the demo loads the seeds' targets, 5G values, the obligation
    admin = s.login("admin")
    b = Browser("http://127.0.0.1:%d" % s.port)
    try:
        login(b, "admin")
        b.get("/chi-tieu")
        api = s.request("GET", "/api/v1/targets?subtree=1", token=admin).json
        shown = [c.find_element(By.CSS_SELECTOR, ".v").text
                 for c in b.d.find_elements(By.CSS_SELECTOR, ".card")]
        want = [str(api["counts"].get(k, 0)) for k in ("off_track", "at_risk", "on_track",
                                                       "no_data")]
        assert shown == want, (shown, want)
        assert b.d.find_elements(By.CSS_SELECTOR, "svg.spark")  # sparklines
        b.shot("20-chi-tieu")
        # late sources are flagged on the overview, as the API judges them
        fr = s.request("GET", "/api/v1/sources/freshness?unit=HCM", token=admin).json
        b.get("/tong-quan?unit=HCM")
        if fr["late"]:
            assert "nguồn dữ liệu chậm cập nhật" in b.d.page_source
        else:
            assert "Mọi nguồn dữ liệu đều cập nhật đúng hạn" in b.d.page_source
        b.get("/chi-tieu/chi-so/5g_stations?unit=BRVT-VIETTEL")
        assert b.d.find_elements(By.CSS_SELECTOR, "figure.chart svg[role=img]")
        b.shot("21-chi-so-5g")
        b.get("/bao-cao/day-du?obligation=BC-5G-THANG&period=2024-10")
        rows = {r.find_elements(By.TAG_NAME, "td")[0].text: r.find_elements(By.TAG_NAME, "td")[1].text
                for r in b.d.find_elements(By.CSS_SELECTOR, "main table tbody tr")}
        assert rows == {"Viettel Bà Rịa – Vũng Tàu": "Đúng hạn",
                        "VNPT Bà Rịa – Vũng Tàu": "Trễ hạn"}, rows
        b.shot("22-day-du")
        b.d.find_element(By.CSS_SELECTOR, ".who button").click()
        b.wait(lambda: "/dang-nhap" in b.d.current_url)

        # the reporter of Viettel enters a value through the form
        login(b, "baocao.viettel")
        b.get("/nhap-so-lieu")
        from selenium.webdriver.support.ui import Select
        Select(b.d.find_element(By.NAME, "indicator")).select_by_value("5g_stations")
        b.d.find_element(By.NAME, "period").send_keys("2025-01")
        b.d.find_element(By.NAME, "value").send_keys("150")
        b.d.find_element(By.CSS_SELECTOR, "form[action='/nhap-so-lieu'] button").click()
        b.wait(lambda: "Đã nhận số liệu" in b.d.page_source)
        vals = s.request("GET", "/api/v1/indicator-values?indicator=5g_stations&unit=BRVT-VIETTEL",
                         token=admin).json["items"]
        assert [v["value"] for v in vals if v["period"] == "2025-01"] == [150]
        # ... but not for VNPT (403, said on the page)
        b.get("/nhap-so-lieu")
        unit = b.d.find_element(By.NAME, "unit")
        unit.clear()
        unit.send_keys("BRVT-VNPT")
        b.d.find_element(By.NAME, "period").send_keys("2025-01")
        b.d.find_element(By.NAME, "value").send_keys("40")
        b.d.find_element(By.CSS_SELECTOR, "form[action='/nhap-so-lieu'] button").click()
        b.wait(lambda: b.d.find_elements(By.CSS_SELECTOR, "p.err"))
        b.check_console("refused entry", expect=403)
        # an upload with a bad line: nothing taken, the line named
        up = os.path.join(s.dir, "so-lieu.csv")
        with open(up, "w", encoding="utf-8") as f:
            f.write("indicator,unit,period,value,source,id\n"
                    "5g_stations,BRVT-VIETTEL,2025-02,155,web-test,a1\n"
                    "5g_stations,BRVT-VIETTEL,2025-13,160,web-test,a2\n")
        b.get("/nhap-so-lieu/tai-len")
        b.d.find_element(By.NAME, "file").send_keys(up)
        b.d.find_element(By.CSS_SELECTOR, "#upload-values button").click()
        b.wait(lambda: "Không nhận" in b.text("#upload-status"))
        assert "so-lieu.csv:3" in b.text("#upload-errors"), b.text("#upload-errors")
        b.check_console("refused upload", expect=422)
        b.shot("23-tai-len-so-lieu")
        vals = s.request("GET", "/api/v1/indicator-values?indicator=5g_stations&unit=BRVT-VIETTEL",
                         token=admin).json["items"]
        assert not [v for v in vals if v["period"] == "2025-02"]
    finally:
        b.close()


def test_names_not_codes_and_phone_width(ctx):
    """Issue 19 point 4: pages show units by name (the code on hover), long lists collapsed
    in Vietnamese order, and every page fits a 390 px phone (wide tables scroll in their box,
    two KPI cards per row)."""
    s = ctx.server(demo=True)
    admin = s.login("admin")
    plans = {p["key"]: p for p in s.request("GET", "/api/v1/plans", token=admin).json["items"]}
    task = [x for x in s.request("GET", "/api/v1/tasks?plan=%d" % plans["1683/QĐ-UBND"]["id"],
                                 token=admin).json["items"] if x["ordinal"] == "II.3"][0]
    b = Browser("http://127.0.0.1:%d" % s.port, size="390,844")
    # headless windows have a minimum width: emulate the phone's screen
    b.d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                        {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True})
    try:
        login(b, "admin")
        assert b.d.execute_script("return window.innerWidth") <= 390
        pages = ["/tong-quan?unit=BRVT", "/tong-quan?unit=VT-P1", "/ho-so?unit=BRVT-VT",
                 "/ke-hoach", "/ke-hoach/%d" % plans["1683/QĐ-UBND"]["id"],
                 "/ke-hoach/%d" % plans["TPVT-KH-NQ02-TU"]["id"],
                 "/ke-hoach/%d/chu-tri" % plans["TPVT-KH-NQ02-TU"]["id"],
                 "/nhiem-vu?unit=BRVT-VT", "/nhiem-vu/%d" % task["id"], "/chi-tieu",
                 "/chi-tieu/chi-so/5g_stations?unit=BRVT", "/bao-cao?unit=VT-P1&period=2024-10",
                 "/quan-tri"]
        for p in pages:
            b.get(p)
            width = b.d.execute_script("return document.documentElement.scrollWidth")
            assert width <= 390, (p, width)
            b.shot("30-phone" + p.replace("/", "_").replace("?", "_")[:60])
        # KPI cards two per row on the overview
        b.get("/tong-quan?unit=BRVT")
        tops = [c.location["y"] for c in b.d.find_elements(By.CSS_SELECTOR, ".cards .card")]
        assert len(tops) >= 2 and tops[0] == tops[1], tops
        # 1683's II.3 is led by 40 units: one name and "và 39 đơn vị khác", expandable
        lead = task["lead"]
        b.get("/ke-hoach/%d" % plans["1683/QĐ-UBND"]["id"])
        cell = [r for r in b.d.find_elements(By.CSS_SELECTOR, "main table tbody tr")
                if r.find_elements(By.TAG_NAME, "td") and
                r.find_elements(By.TAG_NAME, "td")[0].text == "II.3"][0]
        summary = cell.find_element(By.CSS_SELECTOR, "details.units summary")
        assert summary.text.endswith("và %d đơn vị khác" % (len(lead) - 1)), summary.text
        names = [a.get_attribute("textContent") for a in
                 cell.find_elements(By.CSS_SELECTOR, "details.units li abbr")]
        codes = [a.get_attribute("title") for a in
                 cell.find_elements(By.CSS_SELECTOR, "details.units li abbr")]
        assert sorted(codes) == sorted(lead) and len(names) == len(lead)
        assert not any(n in lead for n in names), names  # names, not codes
        # Vietnamese order: "Đ" after "D", "Ủ"/"U" after "T"
        import unicodedata

        def key(x):
            base = unicodedata.normalize("NFD", x.lower())
            out = []
            for ch in base:
                if unicodedata.category(ch) == "Mn" and ch not in "\u0306\u0302\u031b":
                    continue
                out.append(ch)
            order = "aăâbcdđeêghiklmnoôơpqrstuưvxy"
            s2 = unicodedata.normalize("NFC", "".join(out))
            return [order.index(c) if c in order else 100 + ord(c) for c in s2]
        firsts = [key(n)[:1] for n in names]
        assert firsts == sorted(firsts), names
        det = cell.find_element(By.CSS_SELECTOR, "details.units")
        li = cell.find_element(By.CSS_SELECTOR, "details.units li")
        assert b.d.execute_script("return arguments[0].open", det) is False
        summary.click()
        assert b.d.execute_script("return arguments[0].open", det) is True
        assert li.is_displayed() and li.size["height"] > 0
        b.shot("31-phone-lead-expanded")
        # the task page: lead and coordinating by name, no code shown as text
        b.get("/nhiem-vu/%d" % task["id"])
        text = b.d.find_element(By.CSS_SELECTOR, "main").text
        assert "BRVT-STTTT" not in text and "Sở Thông tin và Truyền thông" in b.d.page_source
        # the plan list: issuers by name, codes on hover
        b.get("/ke-hoach")
        issuers = [a.get_attribute("title") for a in
                   b.d.find_elements(By.CSS_SELECTOR, "main table tbody abbr.unit")]
        assert "BRVT" in issuers and "BRVT-VT" in issuers, issuers
        assert "BRVT-VT" not in b.d.find_element(By.CSS_SELECTOR, "main table").text
    finally:
        b.close()
