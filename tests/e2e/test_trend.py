"""Year-over-year and ten-year trends (issue 20, point 4): GET /api/v1/kpis/trend and
`dieuhanh report trend` read the aggregates; every bucket must equal the sum of the
monthly KPIs of /api/v1/kpis (and a year the replayed recount, exact=1); the overview shows
the same quarter over the years and the ten-year monthly trend, in Chromium at 390 px."""
import json
import os

from harness import expect_error

UNIT = "HCM"


def loaded(ctx):
    """The demo province with dossiers generated over 2019-01 .. 2026-11, imported."""
    s = ctx.server(demo=True)
    r = s.cli("gen", "events", "--dossiers", "1500", "--seed", "11", "--from", "2019-01-01",
              "--to", "2026-11-30", "--db", s.db)
    assert r.returncode == 0, r.stderr
    p = os.path.join(s.dir, "events.ndjson")
    with open(p, "w", encoding="utf-8") as f:
        f.write(r.stdout)
    r = s.cli("import", "events", p, "--db", s.db)
    assert r.returncode == 0 and " 0 refused" in r.stdout, (r.stdout, r.stderr[-500:])
    return s, s.login("lanhdao.hcm")


def get(s, tok, path):
    r = s.request("GET", path, token=tok)
    assert r.status == 200, (path, r)
    return r.json


def kpis(s, tok, period, exact=False):
    return get(s, tok, "/api/v1/kpis?unit=%s&subtree=1&period=%s%s"
               % (UNIT, period, "&exact=1" if exact else ""))["total"]


def rate(num, den):
    return None if den == 0 else round(100.0 * num / den + 1e-9, 2)


def summed(totals):
    """The trend's figures from KPI totals of consecutive periods."""
    recv = sum(t["received_online"] + t["received_counter_postal"] for t in totals)
    online = sum(t["received_online"] for t in totals)
    res = sum(t["resolved_total"] for t in totals)
    good = sum(t["early"] + t["on_time"] for t in totals)
    return {"received": recv, "received_online": online, "resolved": res,
            "resolved_in_time": good, "late": sum(t["late"] for t in totals),
            "on_time_rate": rate(good, res), "online_rate": rate(online, recv)}


def same_figures(item, want, where):
    for k, v in want.items():
        got = item[k]
        if isinstance(v, float) or isinstance(got, float):
            assert got is not None and v is not None and abs(got - v) < 0.006, (where, k, got, v)
        else:
            assert got == v, (where, k, got, v)


def test_trend_equals_the_monthly_kpis(ctx):
    s, tok = loaded(ctx)
    # quarters of two years: each the sum of its three months
    t = get(s, tok, "/api/v1/kpis/trend?unit=%s&subtree=1&by=quarter&from=2024-01-01"
            "&to=2025-12-31" % UNIT)
    assert [i["key"] for i in t["items"]] == ["%d-Q%d" % (y, q) for y in (2024, 2025)
                                              for q in (1, 2, 3, 4)]
    assert t["by"] == "quarter" and t["from"] == "2024-01-01" and t["to"] == "2025-12-31"
    nonzero = 0
    for item in t["items"]:
        y, q = int(item["key"][:4]), int(item["key"][6])
        months = [kpis(s, tok, "%d-%02d" % (y, 3 * (q - 1) + k)) for k in (1, 2, 3)]
        same_figures(item, summed(months), item["key"])
        nonzero += item["received"] > 0
    assert nonzero >= 6, t
    # months, clipped at both ends, equal the KPIs of the clipped range
    t = get(s, tok, "/api/v1/kpis/trend?unit=%s&subtree=1&from=2023-11-15&to=2024-02-10"
            % UNIT)
    assert [(i["key"], i["from"], i["to"]) for i in t["items"]] == [
        ("2023-11", "2023-11-15", "2023-11-30"), ("2023-12", "2023-12-01", "2023-12-31"),
        ("2024-01", "2024-01-01", "2024-01-31"), ("2024-02", "2024-02-01", "2024-02-10")]
    same_figures(t["items"][0], summed([kpis(s, tok, "2023-11-15..2023-11-30")]), "clip")
    same_figures(t["items"][3], summed([kpis(s, tok, "2024-02-01..2024-02-10")]), "clip")
    # a year equals the replayed recount (exact=1), not only the aggregates
    t = get(s, tok, "/api/v1/kpis/trend?unit=%s&subtree=1&by=year&from=2020-01-01"
            "&to=2020-12-31" % UNIT)
    same_figures(t["items"][0], summed([kpis(s, tok, "2020", exact=True)]), "2020 exact")
    # the same quarter over eleven years: nothing before 2019 (N/A rates, not 0%)
    t = get(s, tok, "/api/v1/kpis/trend?unit=%s&subtree=1&same=2025-Q3&years=11" % UNIT)
    assert [i["key"] for i in t["items"]] == ["%d-Q3" % y for y in range(2015, 2026)]
    for item in t["items"]:
        same_figures(item, summed([kpis(s, tok, item["key"])]), item["key"])
    assert t["items"][0]["received"] == 0 and t["items"][0]["on_time_rate"] is None
    assert t["items"][0]["online_rate"] is None
    # the same month
    t = get(s, tok, "/api/v1/kpis/trend?unit=%s&subtree=1&same=2024-02&years=3" % UNIT)
    assert [(i["key"], i["to"]) for i in t["items"]] == [
        ("2022-02", "2022-02-28"), ("2023-02", "2023-02-28"), ("2024-02", "2024-02-29")]
    # one field only (the per-key path of the aggregates): a quarter is its months' sum
    from urllib.parse import quote
    fields = get(s, tok, "/api/v1/kpis?unit=%s&subtree=1&period=2025-H1&group_by=field"
                 % UNIT)["items"]
    field = max(fields, key=lambda i: i["received_online"])["key"]
    t = get(s, tok, "/api/v1/kpis/trend?unit=%s&subtree=1&by=quarter&from=2025-01-01"
            "&to=2025-06-30&field=%s" % (UNIT, quote(field)))
    whole = get(s, tok, "/api/v1/kpis/trend?unit=%s&subtree=1&by=quarter&from=2025-01-01"
                "&to=2025-06-30" % UNIT)
    for item, all_ in zip(t["items"], whole["items"]):
        q = int(item["key"][6])
        months = [get(s, tok, "/api/v1/kpis?unit=%s&subtree=1&period=2025-%02d&field=%s"
                      % (UNIT, 3 * (q - 1) + k, quote(field)))["total"] for k in (1, 2, 3)]
        same_figures(item, summed(months), (field, item["key"]))
        assert item["received"] <= all_["received"], (field, item, all_)
    assert 0 < sum(i["received"] for i in t["items"]) < sum(i["received"] for i in
                                                            whole["items"]), (field, t)
    # the default: ten years of months ending with the current month
    t = get(s, tok, "/api/v1/kpis/trend?unit=%s&subtree=1" % UNIT)
    assert len(t["items"]) == 120 and t["by"] == "month"
    total = sum(i["received"] for i in t["items"])
    assert total == sum(i["received"] for i in get(
        s, tok, "/api/v1/kpis/trend?unit=%s&subtree=1&by=year&from=%s&to=%s"
        % (UNIT, t["from"], t["to"]))["items"])
    # the command line gives the API's figures
    r = s.cli("report", "trend", "--unit", UNIT, "--same", "2025-Q3", "--years", "11", "--json",
              "--db", s.db)
    assert r.returncode == 0, r.stderr
    cli = json.loads(r.stdout)
    api = get(s, tok, "/api/v1/kpis/trend?unit=%s&subtree=1&same=2025-Q3&years=11" % UNIT)
    assert cli["items"] == api["items"]
    r = s.cli("report", "trend", "--unit", UNIT, "--by", "year", "--from", "2019-01-01",
              "--to", "2026-11-30", "--db", s.db)
    assert r.returncode == 0 and "2019" in r.stdout and "Tiếp nhận" in r.stdout, r.stdout


def test_trend_bad_input(ctx):
    s = ctx.server(demo=True)
    tok = s.login("lanhdao.hcm")
    base = "/api/v1/kpis/trend?unit=HCM&subtree=1"
    for q, field in (("&by=week", "by"), ("&same=2025-Q5", "same"), ("&same=2025", "same"),
                     ("&same=2025-Q3&years=0", "years"), ("&same=2025-Q3&years=x", "years"),
                     ("&same=2025-Q3&years=21", "years"), ("&from=2025-01-01", "to"),
                     ("&from=2025-13-01&to=2025-12-31", "from"),
                     ("&from=2025-02-01&to=2025-01-01", "to"),
                     ("&from=2000-01-01&to=2025-12-31", "to"),
                     ("&procedure=NOPE", "procedure")):
        expect_error(s.request("GET", base + q, token=tok), 422, field=field)
    expect_error(s.request("GET", "/api/v1/kpis/trend?subtree=1", token=tok), 422,
                 field="unit")
    # another province's unit is refused to a leader of HCM
    assert s.request("GET", "/api/v1/kpis/trend?unit=BRVT", token=tok).status in (403, 404)
    r = s.cli("report", "trend", "--unit", "HCM", "--same", "2025-Q9", "--db", s.db)
    assert r.returncode != 0 and "same" in r.stderr, r.stderr
    r = s.cli("report", "trend", "--unit", "HCM", "--from", "2025-01-01", "--db", s.db)
    assert r.returncode != 0 and "--to" in r.stderr, r.stderr


def test_trend_on_the_overview_in_chromium(ctx):
    from selenium.webdriver.common.by import By
    from test_browser import Browser, login
    s, tok = loaded(ctx)
    api = get(s, tok, "/api/v1/kpis/trend?unit=%s&subtree=1&same=2025-Q3&years=11" % UNIT)
    b = Browser("http://127.0.0.1:%d" % s.port, size="390,844")
    b.d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                        {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True})
    try:
        login(b, "lanhdao.hcm")
        for path in ("/tong-quan?unit=%s&period=2025-Q3" % UNIT,
                     "/don-vi/%s?period=2025-Q3" % UNIT):
            d = b.get(path)
            rows = d.find_elements(By.CSS_SELECTOR, "#trend-same tbody tr")
            assert len(rows) == 11, path
            assert "Cùng kỳ các năm" in d.find_element(By.ID, "h-same").text
            for row, item in zip(rows, api["items"]):
                cells = [c.get_attribute("textContent") for c in
                         row.find_elements(By.CSS_SELECTOR, "th, td")]
                assert cells[0] == item["key"][:4], (cells, item)
                assert cells[1] == str(item["received"]), (cells, item)
                assert cells[2] == str(item["resolved"]), (cells, item)
                want = ("%.2f%%" % item["on_time_rate"] if item["on_time_rate"] is not None
                        else "—")
                assert cells[3] == want, (cells, item)
            charts = d.find_elements(By.CSS_SELECTOR, "#trend-10y svg")
            assert len(charts) == 2, path
            pts = charts[0].find_element(By.CSS_SELECTOR, "polyline").get_attribute("points")
            assert len(pts.split()) == 120, pts
            assert "Xu hướng 10 năm" in d.find_element(By.ID, "h-trend10").text
            # fits a 390 px phone: the page itself does not scroll sideways
            width = d.execute_script("return document.documentElement.scrollWidth")
            inner = d.execute_script("return window.innerWidth")
            wide = d.execute_script(
                "return [...document.querySelectorAll('body *')].filter(e => "
                "e.getBoundingClientRect().right > window.innerWidth + 1).slice(0, 5)"
                ".map(e => e.tagName + '#' + e.id + '.' + e.className.baseVal + e.className)")
            assert inner <= 390 and width <= inner, (path, width, inner, wide)
            d.execute_script("document.getElementById('trend-same').scrollIntoView()")
            b.shot("trend-" + path.split("?")[0].strip("/").replace("/", "-"))
    finally:
        b.close()
