"""Security findings of issue 13 about the pages: the open redirect (6), the Secure cookie
and the CSP without inline styles (10), formula injection in CSV exports (11)."""
import io
import os
import re
import subprocess
import sys
import urllib.parse

from harness import DEMO_PASSWORD
from test_dossiers import received, setup
from test_reports import EVENTS

# Targets a browser would follow to another origin, and a good one that is kept.
BAD_TARGETS = ["/\t/127.0.0.1:18090/", "//evil.example/", "/\\evil.example", "/\\\\evil.example",
               "https://evil.example/", "/\r\nX-Evil: 1", "/a\nb", "evil.example", "",
               "/" + "a" * 500]
GOOD_TARGET = "/ho-so?x=1"


def q(s):
    return urllib.parse.quote(s, safe="")


def test_open_redirect_language_switch_and_sign_in(ctx):
    s = ctx.server(demo=True)
    for bad in BAD_TARGETS:
        r = s.request("GET", "/ngon-ngu?lang=en&back=" + q(bad))
        assert r.status == 303 and r.header("Location") == "/", (bad, r.header("Location"))
    # the raw form of the probe's request (a tab left percent-encoded)
    r = s.request("GET", "/ngon-ngu?back=/%09/127.0.0.1:18090/")
    assert r.header("Location") == "/", r.header("Location")
    r = s.request("GET", "/ngon-ngu?lang=en&back=" + q(GOOD_TARGET))
    assert r.header("Location") == GOOD_TARGET, r.header("Location")
    # the sign-in form: next as a query value is rendered safe, and the POST is checked
    r = s.request("GET", "/dang-nhap?next=" + q("//evil.example/"))
    page = r.raw.decode("utf-8")
    assert 'name="next" value="/"' in page and "evil.example" not in page
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    for target in BAD_TARGETS + [GOOD_TARGET]:
        body = "login=vanphong.vt&password=%s&next=%s" % (DEMO_PASSWORD, q(target))
        r = s.request("POST", "/dang-nhap", raw=body.encode(), headers=form)
        want = GOOD_TARGET if target == GOOD_TARGET else "/"
        assert r.status == 303 and r.header("Location") == want, (target, r.header("Location"))
    # a page asked for without a session sends to the sign-in form with its path encoded
    r = s.request("GET", "/tong-quan")
    assert r.header("Location") == "/dang-nhap?next=%2Ftong-quan", r.header("Location")


def server_with_env(ctx, name, value):
    """A demo server started with one environment variable set (the harness passes its own)."""
    old = os.environ.get(name)
    os.environ[name] = value
    try:
        return ctx.server(demo=True)
    finally:
        if old is None:
            del os.environ[name]
        else:
            os.environ[name] = old


def session_cookies(s):
    """Set-Cookie of: the API sign-in, the API sign-out, the sign-in form, the sign-out form."""
    out = []
    r = s.request("POST", "/api/v1/login", {"login": "vanphong.vt", "password": DEMO_PASSWORD})
    out.append(r.header("Set-Cookie"))
    r = s.request("POST", "/api/v1/logout", token=r.json["token"])
    out.append(r.header("Set-Cookie"))
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    r = s.request("POST", "/dang-nhap", raw=("login=vanphong.vt&password=%s&next=%%2F"
                                              % DEMO_PASSWORD).encode(), headers=form)
    cookie = r.header("Set-Cookie")
    out.append(cookie)
    sess = cookie.split(";")[0]
    me = s.request("GET", "/api/v1/me", headers={"Cookie": sess}).json
    r = s.request("POST", "/dang-xuat", raw=("csrf=" + q(me["csrf"])).encode(),
                  headers=dict(form, Cookie=sess))
    assert r.status == 303, r
    out.append(r.header("Set-Cookie"))
    return out


def test_secure_cookie_with_public_https_url(ctx):
    s = server_with_env(ctx, "DIEUHANH_PUBLIC_URL", "https://dieuhanh.example.gov.vn")
    cookies = session_cookies(s)
    for c in cookies:
        assert c and c.startswith("dh_session=") and "; Secure" in c and "HttpOnly" in c, cookies
    assert "Max-Age=0" in cookies[1] and "Max-Age=0" in cookies[3]
    r = s.request("GET", "/ngon-ngu?lang=en&back=/")
    assert "; Secure" in r.header("Set-Cookie")
    # without the setting (plain HTTP, e.g. on a laptop) no Secure: the browser would drop it
    plain = ctx.server(demo=True)
    for c in session_cookies(plain):
        assert c and "Secure" not in c, c
    # a public URL that is not http(s) is refused at start-up, with the variable named
    env = dict(os.environ, DIEUHANH_PUBLIC_URL="dieuhanh.example.gov.vn")
    p = subprocess.run([plain.binary, "serve", "--db", plain.db, "--listen", "127.0.0.1:0"],
                       env=env, capture_output=True, text=True, timeout=60)
    assert p.returncode != 0 and "DIEUHANH_PUBLIC_URL" in p.stderr, (p.returncode, p.stderr)
    # the help says so
    r = plain.cli("serve", "--help")
    assert "DIEUHANH_PUBLIC_URL" in r.stdout


def no_inline_style(what, r):
    assert r.status == 200, (what, r)
    assert r.header("Content-Type").startswith("text/html"), (what, r.header("Content-Type"))
    csp = r.header("Content-Security-Policy")
    assert csp and "unsafe-inline" not in csp and "style-src 'self'" in csp, (what, csp)
    page = r.raw.decode("utf-8")
    assert "<style" not in page and "style=" not in page, (what, page[:400])


def test_csp_without_unsafe_inline_and_no_inline_styles(ctx):
    s, admin = setup(ctx)
    t = s.login("vanphong.vt")
    # dossier A of the golden set is late: it has an apology letter
    assert s.request("POST", "/api/v1/dossier-events", {"events": EVENTS},
                     token=admin).status == 201
    plans = s.request("GET", "/api/v1/plans", token=admin).json["items"]
    cookie = {"Cookie": "dh_session=" + admin}
    pages = ["/tong-quan?unit=VT-P1&period=2025-03", "/ho-so?unit=VT-P1", "/ho-so/A",
             "/ke-hoach", "/ke-hoach/%s" % plans[0]["id"], "/chi-tieu",
             "/chi-tieu/chi-so/5g_stations?unit=BRVT-VIETTEL", "/bao-cao?unit=VT-P1&period=2025-03",
             "/chi-so-766?unit=VT-P1&period=2025-03", "/quan-tri", "/dang-nhap"]
    for p in pages:
        no_inline_style(p, s.request("GET", p, headers=cookie))
    # the standalone documents link the documents' stylesheet instead
    for p in ("/api/v1/dossiers/A/apology.html",
              "/api/v1/reports/ii06a?unit=VT-P1&period=2025-03&format=html"):
        r = s.request("GET", p, token=t)
        no_inline_style(p, r)
        assert re.search(r'<link rel="stylesheet" href="/static/[0-9a-f]{12}/doc\.css">',
                         r.raw.decode("utf-8")), p
    r = s.request("GET", "/tra-cuu?ma=A")
    no_inline_style("/tra-cuu", r)
    assert re.search(r"/static/[0-9a-f]{12}/doc\.css", r.raw.decode("utf-8"))
    r = s.request("GET", "/static/doc.css")
    assert r.status == 200 and r.header("Content-Type").startswith("text/css")
    assert b"body.letter" in r.raw and b"body.form" in r.raw and b"body.lookup" in r.raw
    # a letter written to a file by the CLI has no server to link to: it keeps its style
    out = os.path.join(s.dir, "l.html")
    c = s.cli("letter", "A", "-o", out, "--db", s.db)
    assert c.returncode == 0, c.stderr
    with open(out, encoding="utf-8") as f:
        assert "<style>body.letter" in f.read()
    # the static script never sets an inline style either
    assert b".style" not in s.request("GET", "/static/app.js").raw


def test_csv_formula_injection(ctx):
    s, admin = setup(ctx)
    # a procedure whose field (a row of Biểu II.06a) looks like a formula
    r = s.request("POST", "/api/v1/procedures", {"procedures": [
        {"code": "9.000001", "name": "+Thủ tục thử", "field": "=HYPERLINK(\"http://x\")",
         "level": "commune", "duration": 3, "duration_unit": "working_days",
         "online_level": "full", "fee_bearing": False, "paper_result": True}]}, token=admin)
    assert r.status == 201, r
    r = s.request("POST", "/api/v1/dossier-events", {"events": [
        received(1, "=1+2", "2025-03-03T08:00:00+07:00"),
        received(2, "@SUM(A1)", "2025-03-03T08:00:00+07:00", proc="9.000001"),
        received(3, "-2+3", "2025-03-03T08:00:00+07:00")]}, token=admin)
    assert r.status == 201, r
    cookie = {"Cookie": "dh_session=" + admin}
    r = s.request("GET", "/ho-so?unit=VT-P1&format=csv", headers=cookie)
    assert r.status == 200 and r.header("Content-Type").startswith("text/csv"), r
    lines = r.raw.decode("utf-8-sig").splitlines()
    codes = sorted(l.split(",")[0] for l in lines[1:])
    assert codes == ["'-2+3", "'=1+2", "'@SUM(A1)"], codes
    # numbers stay numbers (the minutes columns are plain, never quoted)
    for l in lines[1:]:
        assert not l.split(",")[-1].startswith("'"), l
    r = s.request("GET", "/api/v1/reports/ii06a?unit=VT-P1&period=2025-03&format=csv",
                  token=admin)
    text = r.raw.decode("utf-8-sig")
    assert "\"'=HYPERLINK(\"\"http://x\"\")\"" in text, text
    assert "\n1,=" not in text and ",=HYPERLINK" not in text
    # XLSX writes the code as a text cell, never as a formula
    r = s.request("GET", "/ho-so?unit=VT-P1&format=xlsx", headers=cookie)
    assert r.status == 200, r
    sys.path.append("/usr/lib/python3/dist-packages")
    import openpyxl
    ws = openpyxl.load_workbook(io.BytesIO(r.raw)).active
    cells = {ws.cell(row=i, column=1).value: ws.cell(row=i, column=1).data_type
             for i in range(2, ws.max_row + 1)}
    assert cells == {"=1+2": "s", "@SUM(A1)": "s", "-2+3": "s"}, cells
