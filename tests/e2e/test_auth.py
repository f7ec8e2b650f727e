"""Sign-in, sessions, cookies, CSRF, tokens and throttling over real HTTP."""
from harness import DEMO_PASSWORD, expect_error


def cookie_of(r):
    c = r.header("Set-Cookie")
    assert c, r
    return c.split(";")[0]


def test_login_me_logout(ctx):
    s = ctx.server(demo=True)
    r = s.request("POST", "/api/v1/login", {"login": "canbo.stttt", "password": DEMO_PASSWORD})
    assert r.status == 200, r
    assert set(r.json) >= {"token", "csrf", "user"}
    assert r.json["user"]["role"] == "officer" and r.json["user"]["unit"] == "BRVT-STTTT"
    c = r.header("Set-Cookie")
    assert "HttpOnly" in c and "SameSite=Strict" in c and c.startswith("dh_session="), c
    tok = r.json["token"]
    me = s.request("GET", "/api/v1/me", token=tok)
    assert me.status == 200 and me.json["login"] == "canbo.stttt"
    me = s.request("GET", "/api/v1/me", headers={"Cookie": cookie_of(r)})
    assert me.status == 200 and me.json["csrf"] == r.json["csrf"]
    out = s.request("POST", "/api/v1/logout", token=tok)
    assert out.status in (200, 204), out
    expect_error(s.request("GET", "/api/v1/me", token=tok), 401)
    expect_error(s.request("GET", "/api/v1/me"), 401)
    expect_error(s.request("GET", "/api/v1/me", token="dhs_not-a-real-token"), 401)


def test_wrong_password_and_throttle(ctx):
    s = ctx.server(demo=True)
    for _ in range(5):
        r = s.request("POST", "/api/v1/login", {"login": "xem.tinh", "password": "sai-mat-khau"})
        expect_error(r, 401)
    r = s.request("POST", "/api/v1/login", {"login": "xem.tinh", "password": DEMO_PASSWORD})
    expect_error(r, 429)
    assert int(r.header("Retry-After")) > 0
    # another user is not locked out by it
    r = s.request("POST", "/api/v1/login", {"login": "admin", "password": DEMO_PASSWORD})
    assert r.status == 200, r


def test_login_bad_bodies(ctx):
    s = ctx.server()
    expect_error(s.request("POST", "/api/v1/login", raw=b"{not json"), 400)
    expect_error(s.request("POST", "/api/v1/login", raw=b'{"login":"\xff\xfe"}'), 400)
    expect_error(s.request("POST", "/api/v1/login", {"login": "x"}), 422, field="password")
    expect_error(s.request("POST", "/api/v1/login", raw=b"[" * 100 + b"]" * 100), 400)
    expect_error(s.request("POST", "/api/v1/login", raw=b"x" * (1024 * 1024 + 10)), 413)


def test_cookie_writes_need_csrf(ctx):
    s = ctx.server(demo=True)
    r = s.request("POST", "/api/v1/login", {"login": "admin", "password": DEMO_PASSWORD})
    cookie, csrf = cookie_of(r), r.json["csrf"]
    body = {"code": "X-1", "name": "Đơn vị thử", "kind": "office", "valid_from": "2024-01-01"}
    expect_error(s.request("POST", "/api/v1/units", body, headers={"Cookie": cookie}), 403,
                 code="csrf_failed")
    expect_error(s.request("POST", "/api/v1/units", body,
                           headers={"Cookie": cookie, "X-CSRF-Token": "wrong"}), 403,
                 code="csrf_failed")
    r = s.request("POST", "/api/v1/units", body, headers={"Cookie": cookie, "X-CSRF-Token": csrf})
    assert r.status == 201, r


def test_api_tokens_scoped_and_revocable(ctx):
    s = ctx.server(demo=True)
    t = s.login("vanphong.vt")
    r = s.request("POST", "/api/v1/tokens", {"name": "một cửa VT", "unit": "VT-P1"}, token=t)
    assert r.status == 201, r
    api, tid = r.json["token"], r.json["id"]
    assert r.json["unit"] == "VT-P1"
    # a token may not widen the user's scope
    expect_error(s.request("POST", "/api/v1/tokens", {"name": "x", "unit": "BRVT"}, token=t), 403)
    # the token writes inside its unit, not elsewhere in the user's subtree
    ok = s.request("PATCH", "/api/v1/units/VT-P1", {"short_name": "P1"}, token=api)
    assert ok.status == 200, ok
    expect_error(s.request("PATCH", "/api/v1/units/VT-P2", {"short_name": "P2"}, token=api), 403)
    r = s.request("DELETE", "/api/v1/tokens/%s" % tid, token=t)
    assert r.status in (200, 204), r
    expect_error(s.request("GET", "/api/v1/me", token=api), 401)


def test_users_admin_only(ctx):
    s = ctx.server(demo=True)
    leader = s.login("lanhdao.tinh")
    body = {"login": "moi", "password": "mat-khau-dai", "role": "officer", "unit": "VT-P1"}
    expect_error(s.request("POST", "/api/v1/users", body, token=leader), 403)
    expect_error(s.request("GET", "/api/v1/users", token=leader), 403)
    admin = s.login("admin")
    r = s.request("POST", "/api/v1/users", body, token=admin)
    assert r.status == 201, r
    expect_error(s.request("POST", "/api/v1/users", body, token=admin), 409)
    bad = dict(body, login="moi2", role="boss")
    expect_error(s.request("POST", "/api/v1/users", bad, token=admin), 422, field="role")
    bad = dict(body, login="moi3", password="short")
    expect_error(s.request("POST", "/api/v1/users", bad, token=admin), 422, field="password")
    bad = dict(body, login="moi4", unit="KHONG-CO")
    err = expect_error(s.request("POST", "/api/v1/users", bad, token=admin), 422)
    assert err["field"] == "unit"
    s.login("moi", "mat-khau-dai")
    r = s.request("GET", "/api/v1/users", token=admin)
    assert "moi" in [u["login"] for u in r.json["items"]]
    assert all("password" not in u and "hash" not in u for u in r.json["items"])
