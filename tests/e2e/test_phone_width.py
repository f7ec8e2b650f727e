"""Pages added after issue 19's phone-width pass, at 390 px in headless Chromium (issue 19,
point 4): the 5G stations, the daily late-dossier report, the feedback officer and public
pages, the digital-transformation index pages and the overview's fully online cards. No page
may scroll sideways (wide tables scroll inside their own box)."""
from selenium.webdriver.common.by import By

from test_browser import Browser, login
from test_latedaily import cli_json, setup


def fits(b, path, shot=None):
    b.get(path)
    width = b.d.execute_script("return document.documentElement.scrollWidth")
    inner = b.d.execute_script("return window.innerWidth")
    assert inner <= 390 and width <= inner, (path, width, inner)
    if shot:
        b.shot(shot)


def test_later_pages_fit_a_phone(ctx):
    s, admin = setup(ctx)  # the demo, and overdue dossiers of VT-P1 and VT-P2 in March 2025
    run = cli_json(s, "report", "late-daily", "--run", "--date", "2025-03-06")
    assert run["reports"] == 2, run
    base = "http://127.0.0.1:%d" % s.port
    b = Browser(base, size="390,844")
    b.d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                        {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True})
    try:
        # the public feedback pages, before signing in
        for path in ("/phan-anh", "/phan-anh/da-tra-loi"):
            fits(b, path)
        login(b, "admin")
        pages = [
            ("/tram-5g", "70-phone-tram-5g"),
            ("/tram-5g?unit=BRVT-VT&as_of=2024-12-31", "71-phone-tram-5g-vt"),
            ("/bao-cao/qua-han-trong-ngay?unit=BRVT-VT&date=2025-03-06",
             "72-phone-qua-han-trong-ngay"),
            ("/chuyen-doi-so", "73-phone-dti"),
            ("/phan-anh-tong-hop", "76-phone-phan-anh-tong-hop"),
            ("/xu-ly-phan-anh", "77-phone-xu-ly-phan-anh"),
            ("/tong-quan?unit=VT-P1&period=2025-03", "78-phone-tong-quan-toan-trinh"),
        ]
        for path, shot in pages:
            fits(b, path, shot)
        # a scorecard of the ranking, and the self-assessment form of the same unit
        b.get("/chuyen-doi-so")
        card = b.d.find_element(By.LINK_TEXT, "Thành phố Vũng Tàu").get_attribute("href")
        fits(b, card[len(base):], "74-phone-dti-don-vi")
        fits(b, card[len(base):].replace("/don-vi", "/danh-gia"), "75-phone-dti-danh-gia")
        # the late-daily page has what it should (not an empty page that trivially fits)
        b.get("/bao-cao/qua-han-trong-ngay?unit=BRVT-VT&date=2025-03-06")
        assert "VT-2025-0003" in b.d.page_source
        # the largest text size (the A+ control, kept in localStorage) still fits
        b.d.execute_script("localStorage.setItem('dh_fs', '2')")
        for path, _ in pages:
            fits(b, path)
            assert "fs2" in b.d.execute_script("return document.documentElement.className")
        b.d.execute_script("localStorage.removeItem('dh_fs')")
        # a feedback record of the demo, if the queue lists one
        b.get("/xu-ly-phan-anh")
        links = [a.get_attribute("href") for a in
                 b.d.find_elements(By.CSS_SELECTOR, "main a[href*='/xu-ly-phan-anh/']")]
        if links:
            fits(b, links[0][len(base):], "79-phone-phan-anh-ho-so")
    finally:
        b.close()
