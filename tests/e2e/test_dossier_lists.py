"""Dossier lists of any state by cursor (issue 20): the API's next cursor and the page's
next link walk the whole list, each dossier once, in the order of one big page."""
import re
import urllib.parse

from harness import expect_error
from test_dossiers import ev, received, setup


def ingest(s, token, n=130):
    events = []
    for i in range(n):
        code = "LS-%03d" % ((i * 37) % n)  # sent out of code order
        day = 1 + i % 20
        # runs of equal deadlines: ties go by code
        events.append(received(2 * i, code, "2025-03-%02dT08:00:00+07:00" % day,
                               unit="VT-P1" if i % 3 else "VT-P2"))
        if i % 4 == 0:  # a quarter finished, the rest open (overdue by now)
            events.append(ev(2 * i + 1, code, "processed", "2025-04-%02dT09:00:00+07:00" % day))
    r = s.request("POST", "/api/v1/dossier-events", {"events": events}, token=token)
    assert r.status == 201, r


def walk(s, token, query, limit):
    codes, cursor = [], None
    for _ in range(1000):
        q = query + "&limit=%d" % limit + ("&cursor=" + urllib.parse.quote(cursor) if cursor else "")
        r = s.request("GET", "/api/v1/dossiers?" + q, token=token)
        assert r.status == 200, r
        assert len(r.json["items"]) <= limit
        codes += [d["code"] for d in r.json["items"]]
        cursor = r.json["next"]
        if not cursor:
            return codes
    raise AssertionError("no end")


def test_api_cursor_walks_every_state(ctx):
    s, admin = setup(ctx)
    ingest(s, admin)
    for state in ("", "&state=resolved", "&state=in_progress", "&state=overdue"):
        query = "unit=BRVT-VT&subtree=1" + state
        whole = [d["code"] for d in
                 s.request("GET", "/api/v1/dossiers?%s&limit=500" % query, token=admin).json["items"]]
        assert whole, state
        for limit in (7, 50):
            got = walk(s, admin, query, limit)
            assert got == whole, (state, limit)
            assert len(set(got)) == len(got)
    # counts: exact under the cap
    r = s.request("GET", "/api/v1/dossiers?unit=VT-P2&subtree=1&state=resolved&count=1",
                  token=admin)
    assert r.status == 200 and r.json["count_exact"] is True, r
    assert r.json["count"] == len(r.json["items"]), r
    # the old numeric cursor (an offset) still works
    whole = [d["code"] for d in s.request("GET", "/api/v1/dossiers?unit=VT-P1&limit=500",
                                          token=admin).json["items"]]
    r = s.request("GET", "/api/v1/dossiers?unit=VT-P1&limit=5&cursor=5", token=admin)
    assert [d["code"] for d in r.json["items"]] == whole[5:10], r
    # a cursor that is not ours: 422, named
    for bad in ("kzz", "k", "k00", "k317c"):
        expect_error(s.request("GET", "/api/v1/dossiers?cursor=" + bad, token=admin), 422)


def page_codes(html):
    return [c for c in re.findall(r'href="/ho-so/([^"?/]+)"', html)]


def test_page_next_link_by_cursor(ctx):
    s, admin = setup(ctx)
    ingest(s, admin)
    cookie = {"Cookie": "dh_session=" + admin}
    whole = [d["code"] for d in s.request(
        "GET", "/api/v1/dossiers?unit=BRVT-VT&subtree=1&limit=500", token=admin).json["items"]]
    assert len(whole) > 100
    r = s.request("GET", "/ho-so?unit=BRVT-VT&state=all", headers=cookie)
    assert r.status == 200, r
    html = r.raw.decode()
    assert "%d hồ sơ" % len(whole) in html, html
    first = page_codes(html)
    assert first == whole[:100], first
    m = re.search(r'<a href="(/ho-so\?page=2&amp;cursor=[^"]+)" rel="next"', html)
    assert m, html
    r = s.request("GET", m.group(1).replace("&amp;", "&"), headers=cookie)
    assert r.status == 200, r
    html = r.raw.decode()
    assert page_codes(html) == whole[100:200]
    assert 'rel="prev"' in html
