"""The reminders inbox page /nhac-viec (issue 17, point 3: feedback reminders "in the inbox and
by e-mail, exactly as for dossiers"): real overdue tasks and real overdue feedback, made through
the API and the CLI and reminded by the two daily jobs run by hand, listed for the unit's
officer in headless Chromium with links to their pages; a sibling unit's officer neither sees
them on their own page nor may open the unit's (403, as the APIs); the lists go page by page by
cursor; text from the records is escaped; the page fits a 390 px phone."""
import datetime
import json
import re
import time

from harness import expect_error
from test_browser import Browser, login
from test_feedback import configure
from test_phone_width import fits
from test_plans import new_plan

from selenium.webdriver.common.by import By  # noqa: E402  (path set by test_browser)

VN = datetime.timezone(datetime.timedelta(hours=7))
UNIT, SIBLING = "HCM-VUNGTAU", "HCM-RACHDUA"


def cli_json(s, *args):
    r = s.cli("feedback", *args, "--json", "--db", s.db)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def at(d):
    return d.strftime("%Y-%m-%dT%H:%M")


def page(s, session, path):
    r = s.request("GET", path, headers={"Cookie": "dh_session=" + session})
    return r.status, r.raw.decode("utf-8")


def main_of(html):
    return html.split("<main", 1)[1]


def make_reminders(s, admin):
    """Two overdue tasks and two overdue feedback records of UNIT, reminded today."""
    today = datetime.datetime.now(VN).replace(hour=8, minute=0, second=0, microsecond=0)
    # The servers' jobs run at their start: let both take today first, so that the runs
    # below are the forced ones that see our records (as in test_feedback_jobs).
    audit = lambda entity: s.request("GET", "/api/v1/audit?entity=%s&limit=5" % entity,
                                     token=admin).json["items"]
    deadline = time.time() + 30
    while time.time() < deadline and not (audit("reminders") and audit("feedback_reminders")):
        time.sleep(0.1)
    assert audit("reminders") and audit("feedback_reminders"), "the jobs did not run"
    # tasks: a plan of this term, two tasks of UNIT whose deadline was two months ago
    y = today.year
    plan = new_plan(s, admin, "NV-NHAC-VIEC", issuer="HCM", period_from="%d-01-01" % (y - 1),
                    period_to="%d-12-31" % (y + 1))
    month = today.replace(day=1) - datetime.timedelta(days=40)
    tasks = []
    for n, what in ((1, "Rà soát <b>đèn</b> & cống"), (2, "Báo cáo chuyển đổi số")):
        r = s.request("POST", "/api/v1/tasks", {
            "plan": plan["key"], "ordinal": str(n), "content": what, "lead": [UNIT],
            "deadline": "tháng %d/%d" % (month.month, month.year)}, token=admin)
        assert r.status == 201, r
        assert r.json["status"]["state"] == "overdue", r.json
        tasks.append(r.json["id"])
    r = s.request("POST", "/api/v1/reminders/run?force=1", token=admin)
    assert r.status == 200 and r.json["ran"], r
    # feedback: received five weeks ago, accepted, never answered
    configure(s, admin)
    base = today - datetime.timedelta(days=35 + today.weekday())
    codes = []
    for text in ("Đèn <script>x</script> hỏng & tắt", "Cống nghẹt trước chợ"):
        code = cli_json(s, "submit", "--category", "light", "--description", text,
                        "--commune", UNIT, "--at", at(base))["code"]
        cli_json(s, "accept", code, "--at", at(base + datetime.timedelta(hours=1)))
        codes.append(code)
    r = s.request("POST", "/api/v1/feedback/job/run?force=1", token=admin)
    assert r.status == 200 and r.json["reminders"]["rows"] == 2, r
    return tasks, codes


def test_reminders_page(ctx):
    s = ctx.server(demo=True)
    admin = s.login("admin")
    tasks, codes = make_reminders(s, admin)
    officer = s.login("canbo.vungtau")
    # the APIs hold them (what the page shows)
    inbox = s.request("GET", "/api/v1/inbox?unit=" + UNIT, token=officer).json["items"]
    assert {(x["task"], x["kind"]) for x in inbox} >= {(t, "overdue") for t in tasks}, inbox
    fb = s.request("GET", "/api/v1/feedback/reminders", token=officer).json["items"]
    assert {(x["code"], x["kind"]) for x in fb} == {(c, "overdue") for c in codes}, fb
    assert all(x["state"] == "accepted" and x["due_at"].endswith("+07:00") for x in fb), fb

    # a sibling unit's officer: its own page lists none of them; UNIT's page is refused
    r = s.request("POST", "/api/v1/users", {"login": "canbo.rachdua", "password": "mat-khau-dai",
                                            "role": "officer", "unit": SIBLING}, token=admin)
    assert r.status == 201, r
    sibling = s.login("canbo.rachdua", "mat-khau-dai")
    st, html = page(s, sibling, "/nhac-viec")
    assert st == 200, html[:300]
    m = main_of(html)
    for c in codes:
        assert c not in m
    for t in tasks:
        assert "/nhiem-vu/%d\"" % t not in m
    assert "Không có nhắc việc nào về nhiệm vụ." in m
    assert "Không có nhắc việc nào về phản ánh, kiến nghị." in m
    st, html = page(s, sibling, "/nhac-viec?unit=" + UNIT)
    assert st == 403, st
    assert all(c not in html for c in codes)
    expect_error(s.request("GET", "/api/v1/feedback/reminders?unit=" + UNIT, token=sibling), 403)
    expect_error(s.request("GET", "/api/v1/inbox?unit=" + UNIT, token=sibling), 403)
    # bad parameters: a clear error page
    assert page(s, officer, "/nhac-viec?limit=0")[0] == 422
    assert page(s, officer, "/nhac-viec?tasks_after=abc")[0] == 422
    # text of the records is escaped
    st, html = page(s, officer, "/nhac-viec")
    assert st == 200
    m = main_of(html)
    assert "<script>x</script>" not in m and "&lt;script&gt;x&lt;/script&gt;" in m
    assert "<b>đèn</b>" not in m and "Rà soát &lt;b&gt;đèn&lt;/b&gt; &amp; cống" in m
    # one row of each list per page: the cursor links go to the next (older) rows
    st, html = page(s, officer, "/nhac-viec?limit=1")
    m = main_of(html)
    nxt = re.findall(r'href="(/nhac-viec\?[^"]*)"', m)
    assert len(nxt) == 2 and all("limit=1" in h for h in nxt), nxt
    seen_codes = set(re.findall(r'href="/xu-ly-phan-anh/(PA-[^"]+)"', m))
    assert len(seen_codes) == 1
    more = [h for h in nxt if "feedback_after=" in h][0].replace("&amp;", "&").split("#")[0]
    m2 = main_of(page(s, officer, more)[1])
    seen_codes |= set(re.findall(r'href="/xu-ly-phan-anh/(PA-[^"]+)"', m2))
    assert seen_codes == set(codes), seen_codes

    base = "http://127.0.0.1:%d" % s.port
    b = Browser(base)
    try:
        login(b, "canbo.vungtau")
        # the menu links the page
        b.get("/tong-quan")
        b.d.find_element(By.CSS_SELECTOR, "nav a[href='/nhac-viec']").click()
        b.wait(lambda: b.d.current_url.endswith("/nhac-viec"))
        b.check_console("/nhac-viec")
        assert b.d.find_element(By.TAG_NAME, "h1").text == "Hộp thư nhắc việc"
        assert b.d.find_element(By.CSS_SELECTOR, "nav a[aria-current='page']").text == "Nhắc việc"
        # the unit chosen is the officer's own, by its name
        sel = b.d.find_element(By.CSS_SELECTOR, "select[name='unit'] option[selected]")
        assert sel.get_attribute("value") == UNIT and "Phường Vũng Tàu" in sel.text, sel.text
        # both overdue tasks, with why, deadline and when, linking to their pages
        rows = b.d.find_elements(By.CSS_SELECTOR, "#tasks tbody tr")
        by_task = {}
        for row in rows:
            links = row.find_elements(By.CSS_SELECTOR, "a[href*='/nhiem-vu/']")
            if links:
                by_task[int(links[0].get_attribute("href").rsplit("/", 1)[1])] = row
        assert set(tasks) <= set(by_task), by_task.keys()
        for t in tasks:
            cells = [c.text for c in by_task[t].find_elements(By.TAG_NAME, "td")]
            assert cells[1] == "Quá hạn" and "Quá hạn: nhiệm vụ %d (" % (tasks.index(t) + 1) \
                in cells[4], cells
            assert re.match(r"\d\d/\d\d/\d{4}$", cells[3]), cells   # the deadline
            assert re.match(r"\d\d/\d\d/\d{4}\n\d\d:\d\d$", cells[0]), cells  # reminded
        # both overdue feedback records, with their state now
        rows = {r.find_element(By.TAG_NAME, "a").text: r
                for r in b.d.find_elements(By.CSS_SELECTOR, "#feedback tbody tr")}
        assert set(rows) == set(codes), rows.keys()
        for c in codes:
            cells = [x.text for x in rows[c].find_elements(By.TAG_NAME, "td")]
            assert cells[1] == "Quá hạn" and cells[4] == "Đã thụ lý", cells
            assert re.match(r"\d\d:\d\d ngày \d\d/\d\d/\d{4}$", cells[3]), cells
            assert "Quá hạn: phản ánh " + c in cells[5], cells
        # the links open the record and the task
        rows[codes[0]].find_element(By.TAG_NAME, "a").click()
        b.wait(lambda: b.d.current_url.endswith("/xu-ly-phan-anh/" + codes[0]))
        b.check_console("record")
        assert codes[0] in b.d.find_element(By.TAG_NAME, "h1").text
        b.get("/nhac-viec")
        b.d.find_element(By.CSS_SELECTOR, "#tasks a[href='/nhiem-vu/%d']" % tasks[0]).click()
        b.wait(lambda: b.d.current_url.endswith("/nhiem-vu/%d" % tasks[0]))
        b.check_console("task")
        assert "Rà soát <b>đèn</b> & cống" in b.d.find_element(By.TAG_NAME, "main").text
        b.get("/nhac-viec")
        b.shot("90-nhac-viec")
        # English
        b.get("/ngon-ngu?lang=en&back=/nhac-viec")
        assert b.d.find_element(By.TAG_NAME, "h1").text == "Reminders inbox"
        assert "Overdue" in b.text("#feedback")
        b.get("/ngon-ngu?lang=vi&back=/nhac-viec")
    finally:
        b.close()

    # an administrator without a unit: every unit, with the unit's name on each row
    st, html = page(s, admin, "/nhac-viec")
    assert st == 200
    m = main_of(html)
    assert all(c in m for c in codes) and 'value="" selected' in m
    fbsec = m.split('id="feedback"', 1)[1]
    assert re.search(r'title="HCM-VUNGTAU"[^>]*>[^<]*Vũng Tàu<', fbsec), fbsec[:2000]

    # a phone: 390 px, nothing scrolls sideways
    b = Browser(base, size="390,844")
    b.d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                        {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True})
    try:
        login(b, "canbo.vungtau")
        fits(b, "/nhac-viec", "91-phone-nhac-viec")
        assert codes[0] in b.d.page_source
    finally:
        b.close()
