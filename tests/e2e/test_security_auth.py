"""Issue 13, findings 1, 2, 9 and the lockout: tokens cannot mint or revoke other tokens,
a unit scope narrows an admin's token too, a password change ends sessions, an admin
unlocks a locked login."""
import harness
from harness import DEMO_PASSWORD, expect_error


def cookie_of(r):
    c = r.header("Set-Cookie")
    assert c, r
    return c.split(";")[0]


def db_rows(s, sql, *args):
    return harness.db_rows(s.db, sql, *args)


def token_count(s, login):
    return db_rows(s, "SELECT count(*) FROM credentials c JOIN users u ON u.id = c.user_id "
                      "WHERE u.login = ? AND c.kind = 2", login)[0][0]


def new_token(s, session, body):
    r = s.request("POST", "/api/v1/tokens", body, token=session)
    assert r.status == 201, r
    return r.json["token"], r.json["id"]


def denied_in_audit(s, admin, action, entity):
    r = s.request("GET", "/api/v1/audit?entity=%s" % entity, token=admin)
    assert r.status == 200, r
    return [x for x in r.json["items"] if x["action"] == action and x["outcome"] == "denied"]


def test_token_mints_token_refused(ctx):
    """Finding 1: a scoped token used to mint an unscoped token that outlived it."""
    s = ctx.server(demo=True)
    admin = s.login("admin")
    t = s.login("vanphong.vt")
    api, _ = new_token(s, t, {"name": "một cửa P1", "unit": "VT-P1"})
    before = token_count(s, "vanphong.vt")
    for body in ({"name": "x"}, {"name": "y", "unit": "VT-P1"}):
        expect_error(s.request("POST", "/api/v1/tokens", body, token=api), 403, "forbidden")
    # the child does not exist, and the refusal is audited
    assert token_count(s, "vanphong.vt") == before
    assert denied_in_audit(s, admin, "create", "token")
    # an unscoped admin token cannot mint tokens either (for itself or for others)
    adm_api, _ = new_token(s, admin, {"name": "đồng bộ"})
    expect_error(s.request("POST", "/api/v1/tokens", {"name": "z"}, token=adm_api), 403,
                 "forbidden")
    expect_error(s.request("POST", "/api/v1/tokens", {"name": "z", "login": "vanphong.vt"},
                           token=adm_api), 403, "forbidden")
    assert token_count(s, "vanphong.vt") == before
    # a password session still creates tokens
    new_token(s, t, {"name": "bảng tin"})


def test_token_revokes_only_itself(ctx):
    """Finding 1: a limited token could revoke the user's other tokens."""
    s = ctx.server(demo=True)
    admin = s.login("admin")
    t = s.login("vanphong.vt")
    p1, p1_id = new_token(s, t, {"name": "P1", "unit": "VT-P1"})
    full, full_id = new_token(s, t, {"name": "toàn bộ"})
    expect_error(s.request("DELETE", "/api/v1/tokens/%d" % full_id, token=p1), 403, "forbidden")
    # no existence oracle: an unknown id is refused the same way
    expect_error(s.request("DELETE", "/api/v1/tokens/999999", token=p1), 403, "forbidden")
    assert s.request("GET", "/api/v1/me", token=full).status == 200
    assert denied_in_audit(s, admin, "revoke", "token")
    # the broader token cannot revoke the narrower one either
    expect_error(s.request("DELETE", "/api/v1/tokens/%d" % p1_id, token=full), 403, "forbidden")
    # a token revokes itself
    r = s.request("DELETE", "/api/v1/tokens/%d" % p1_id, token=p1)
    assert r.status == 200, r
    expect_error(s.request("GET", "/api/v1/me", token=p1), 401)
    # the session still revokes its tokens
    r = s.request("DELETE", "/api/v1/tokens/%d" % full_id, token=t)
    assert r.status == 200, r
    expect_error(s.request("GET", "/api/v1/me", token=full), 401)


def test_admin_token_scoped_to_unit(ctx):
    """Finding 2: an admin's token scoped to a unit wrote a sibling's value, listed users and
    created an admin."""
    s = ctx.server(demo=True)
    admin = s.login("admin")
    ind = {"code": "ty_le_thu", "name": "Tỷ lệ thử", "uom": "%", "direction": "higher",
           "aggregation": "ratio", "source": "pushed", "period_type": "month",
           "freshness": "monthly:10"}
    r = s.request("POST", "/api/v1/indicators", ind, token=admin)
    assert r.status == 201, r
    api, _ = new_token(s, admin, {"name": "quản trị P1", "unit": "VT-P1"})

    def value(i, unit):
        return {"values": [{"indicator": "ty_le_thu", "unit": unit, "period": "2024-07",
                            "source": "hub", "id": "v%d" % i, "value": 50}]}
    # outside the scope: refused
    expect_error(s.request("POST", "/api/v1/indicator-values", value(1, "VT-P2"), token=api),
                 403, "forbidden")
    expect_error(s.request("PATCH", "/api/v1/units/VT-P2", {"short_name": "P2"}, token=api),
                 403, "forbidden")
    # no administration at all
    expect_error(s.request("GET", "/api/v1/users", token=api), 403, "forbidden")
    body = {"login": "quantri2", "password": "mat-khau-dai", "role": "admin"}
    expect_error(s.request("POST", "/api/v1/users", body, token=api), 403, "forbidden")
    assert not db_rows(s, "SELECT 1 FROM users WHERE login = 'quantri2'")
    expect_error(s.request("POST", "/api/v1/users/xem.tinh/unlock", token=api), 403, "forbidden")
    expect_error(s.request("POST", "/api/v1/tokens", {"name": "x"}, token=api), 403, "forbidden")
    # inside the scope: reads and writes as an officer of VT-P1
    r = s.request("POST", "/api/v1/indicator-values", value(2, "VT-P1"), token=api)
    assert r.status == 200 and r.json["accepted"] == 1, r
    r = s.request("PATCH", "/api/v1/units/VT-P1", {"short_name": "P1"}, token=api)
    assert r.status == 200, r
    r = s.request("GET", "/api/v1/indicator-values?indicator=ty_le_thu&unit=VT-P1", token=api)
    assert r.status == 200 and len(r.json["items"]) == 1, r
    # /me says why: an officer of VT-P1, because the admin's token is scoped
    me = s.request("GET", "/api/v1/me", token=api)
    assert me.status == 200, me
    assert me.json["role"] == "officer" and me.json["unit"] == "VT-P1", me
    assert me.json["scoped_admin"] is True, me
    assert s.request("GET", "/api/v1/me", token=admin).json["scoped_admin"] is False
    # the same admin's unscoped session keeps its whole-province rights
    r = s.request("GET", "/api/v1/users", token=admin)
    assert r.status == 200, r


def test_password_change_ends_sessions(ctx):
    """Finding 9: a password change left sessions and tokens alive."""
    s = ctx.server(demo=True)
    admin = s.login("admin")
    s1 = s.login("vanphong.vt")
    r = s.request("POST", "/api/v1/login", {"login": "vanphong.vt", "password": DEMO_PASSWORD})
    assert r.status == 200, r
    cookie = cookie_of(r)
    tok, _ = new_token(s, s1, {"name": "tích hợp"})
    # a token cannot change the password (it would become a full session)
    expect_error(s.request("POST", "/api/v1/users/vanphong.vt/password",
                           {"password": "mat-khau-cua-token"}, token=tok), 403, "forbidden")
    # through its own session: the other sessions end, this one and the token stay
    r = s.request("POST", "/api/v1/users/vanphong.vt/password", {"password": "mat-khau-moi-1"},
                  token=s1)
    assert r.status == 200, r
    assert r.json["sessions_revoked"] == 1 and r.json["tokens_revoked"] == 0, r
    expect_error(s.request("GET", "/api/v1/me", headers={"Cookie": cookie}), 401)
    assert s.request("GET", "/api/v1/me", token=s1).status == 200
    assert s.request("GET", "/api/v1/me", token=tok).status == 200
    expect_error(s.request("POST", "/api/v1/login",
                           {"login": "vanphong.vt", "password": DEMO_PASSWORD}), 401)
    # not someone else's password
    expect_error(s.request("POST", "/api/v1/users/xem.tinh/password",
                           {"password": "mat-khau-khac"}, token=s1), 403, "forbidden")
    expect_error(s.request("POST", "/api/v1/users/vanphong.vt/password",
                           {"password": "mat-khau-moi-2", "revoke_tokens": "yes"}, token=s1),
                 422, field="revoke_tokens")
    # the command line: every session ends, tokens stay
    r = s.cli("user", "passwd", "vanphong.vt", "--db", s.db, stdin="mat-khau-moi-2\n")
    assert r.returncode == 0, r.stderr
    expect_error(s.request("GET", "/api/v1/me", token=s1), 401)
    assert s.request("GET", "/api/v1/me", token=tok).status == 200
    # ... and with --revoke-tokens the tokens too
    s2 = s.login("vanphong.vt", "mat-khau-moi-2")
    r = s.cli("user", "passwd", "vanphong.vt", "--revoke-tokens", "--db", s.db,
              stdin="mat-khau-moi-3\n")
    assert r.returncode == 0, r.stderr
    expect_error(s.request("GET", "/api/v1/me", token=s2), 401)
    expect_error(s.request("GET", "/api/v1/me", token=tok), 401)
    # an admin through the API with revoke_tokens
    s3 = s.login("vanphong.vt", "mat-khau-moi-3")
    tok2, _ = new_token(s, s3, {"name": "tích hợp 2"})
    r = s.request("POST", "/api/v1/users/vanphong.vt/password",
                  {"password": "mat-khau-moi-4", "revoke_tokens": True}, token=admin)
    assert r.status == 200, r
    assert r.json["sessions_revoked"] == 1 and r.json["tokens_revoked"] == 1, r
    expect_error(s.request("GET", "/api/v1/me", token=s3), 401)
    expect_error(s.request("GET", "/api/v1/me", token=tok2), 401)
    assert s.request("GET", "/api/v1/me", token=admin).status == 200
    s.login("vanphong.vt", "mat-khau-moi-4")
    r = s.cli("user", "passwd", "--help")
    assert "--revoke-tokens" in r.stdout, r.stdout


def test_lockout_admin_unlock(ctx):
    """Lockout: 5 failures lock a login from every address; an admin can unlock it, the
    per-address limit stays."""
    s = ctx.server(demo=True)
    admin = s.login("admin")
    officer = s.login("vanphong.vt")

    def fail(login, n):
        for _ in range(n):
            expect_error(s.request("POST", "/api/v1/login",
                                   {"login": login, "password": "sai-mat-khau"}), 401)

    fail("xem.tinh", 5)
    expect_error(s.request("POST", "/api/v1/login",
                           {"login": "xem.tinh", "password": DEMO_PASSWORD}), 429)
    # only an admin unlocks (refusals audited)
    expect_error(s.request("POST", "/api/v1/users/xem.tinh/unlock", token=officer), 403,
                 "forbidden")
    expect_error(s.request("POST", "/api/v1/users/xem.tinh/unlock",
                           headers={"Content-Length": "0"}), 401)
    assert denied_in_audit(s, admin, "unlock", "user")
    expect_error(s.request("POST", "/api/v1/users/khong-ai/unlock", token=admin), 404)
    r = s.request("POST", "/api/v1/users/xem.tinh/unlock", token=admin)
    assert r.status == 200 and r.json == {"login": "xem.tinh", "unlocked": True}, r
    s.login("xem.tinh")
    r = s.request("GET", "/api/v1/audit?entity=user", token=admin)
    assert any(x["action"] == "unlock" and x["outcome"] == "ok" for x in r.json["items"]), r
    # the command line unlocks too
    fail("canbo.stttt", 5)
    expect_error(s.request("POST", "/api/v1/login",
                           {"login": "canbo.stttt", "password": DEMO_PASSWORD}), 429)
    r = s.cli("user", "unlock", "canbo.stttt", "--db", s.db)
    assert r.returncode == 0, r.stderr
    s.login("canbo.stttt")
    # the per-address limit (20 failures) is not lifted by an unlock
    fail("lanhdao.tinh", 5)
    fail("khong-co-ai", 5)
    expect_error(s.request("POST", "/api/v1/login",
                           {"login": "lanhdao.tinh", "password": DEMO_PASSWORD}), 429)
    r = s.request("POST", "/api/v1/users/lanhdao.tinh/unlock", token=admin)
    assert r.status == 200, r
    expect_error(s.request("POST", "/api/v1/login",
                           {"login": "lanhdao.tinh", "password": DEMO_PASSWORD}), 429)
