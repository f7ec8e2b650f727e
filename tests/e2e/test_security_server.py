"""Issue 13, the server's own findings: bodies judged on the headers (4),
connections per address and timeouts (5), many query parameters (13), NUL
bytes in the request target (14) and HEAD (17), over raw sockets.

Every socket has a timeout well below the server's idle timeout of old
(30 s), so a server that does not answer at once fails instead of hanging.
"""
import json
import http.client
import select
import socket
import time

from harness import expect_error, server_with

WAIT = 10  # seconds a socket waits for an answer that should come at once (old servers: 30)
MIB = 1024 * 1024


def connect(s, source="127.0.0.1"):
    c = socket.socket()
    c.settimeout(WAIT)
    c.bind((source, 0))
    c.connect(("127.0.0.1", s.port))
    return c


def read_reply(c):
    """Reads one reply (headers and the Content-Length body); returns
    (status, headers dict with lower-case names, body, everything read)."""
    data = b""
    while b"\r\n\r\n" not in data:
        d = c.recv(65536)
        assert d, "connection closed without a reply: %r" % data
        data += d
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    n = int(headers.get("content-length", "0"))
    return status, headers, body[:n], data


def exchange(s, head, source="127.0.0.1"):
    c = connect(s, source)
    try:
        c.sendall(head)
        return read_reply(c)
    finally:
        c.close()


def error_of(body):
    return json.loads(body.decode("utf-8"))["error"]


def post_head(path, length, token=None, extra=b""):
    h = b"POST %s HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n" % path.encode()
    h += b"Content-Length: %d\r\n" % length
    if token:
        h += b"Authorization: Bearer %s\r\n" % token.encode()
    return h + extra + b"\r\n"


def test_finding4_bodies_judged_on_headers(ctx):
    s = ctx.server(demo=True)
    # An anonymous 30 MiB body to a private route: 401 on the headers alone,
    # never `100 Continue`, with or without Expect (the body is never sent).
    for extra in (b"", b"Expect: 100-continue\r\n"):
        st, _, body, raw = exchange(s, post_head("/api/v1/dossier-events", 30 * MIB, extra=extra))
        assert st == 401 and b"100 Continue" not in raw, raw[:300]
        assert error_of(body)["code"] == "unauthenticated"
    # A signed-in caller announcing more than the route takes: 413 at once.
    tok = s.login("admin")
    st, _, body, raw = exchange(s, post_head("/api/v1/dossier-events", 33 * MIB, tok,
                                             b"Expect: 100-continue\r\n"))
    assert st == 413 and b"100 Continue" not in raw, raw[:300]
    st, _, body, _ = exchange(s, post_head("/api/v1/units", 3 * MIB, tok))
    assert st == 413 and error_of(body)["code"] == "too_large"
    # A small refused body already on its way (no Expect) is read and dropped,
    # so that the client gets the answer rather than a reset connection.
    for path, token in (("/api/v1/units", None), ("/api/v1/login", None),
                        ("/api/v1/units", tok)):
        size = 2 * MIB if token else 200 * 1024
        st, _, body, _ = exchange(s, post_head(path, size, token) + b" " * size)
        assert st == (413 if path == "/api/v1/login" or token else 401), (path, st, body)
    # The sign-in form and the API sign-in take small bodies before sign-in.
    for path in ("/dang-nhap", "/api/v1/login"):
        st, _, body, raw = exchange(s, post_head(path, 1 * MIB, extra=b"Expect: 100-continue\r\n"))
        assert st == 413 and b"100 Continue" not in raw, (path, raw[:300])
    # A body within the limit is still read (100 Continue, then the answer).
    c = connect(s)
    try:
        c.sendall(post_head("/api/v1/units", 2, tok, b"Expect: 100-continue\r\n"))
        assert c.recv(100).startswith(b"HTTP/1.1 100")
        c.sendall(b"{}")
        st, _, _, _ = read_reply(c)
        assert st == 422, st
    finally:
        c.close()
    # Sign-in itself works as before.
    assert s.request("POST", "/api/v1/login",
                     {"login": "admin", "password": "dieuhanh-demo"}).status == 200


def test_finding4_bodies_in_flight_bounded(ctx):
    s = server_with(ctx, {"DIEUHANH_BODIES_MAX_MIB": "4"}, demo=True)
    tok = s.login("admin")
    # Two bodies of 3 MiB do not fit in 4 MiB at once: the second is refused
    # on its headers with 503 and Retry-After while the first is held open.
    first = connect(s)
    try:
        first.sendall(post_head("/api/v1/dossier-events", 3 * MIB, tok) + b"[")
        time.sleep(0.2)  # let the server admit the first body before the second asks
        st, h, body, _ = exchange(s, post_head("/api/v1/dossier-events", 3 * MIB, tok))
        assert st == 503 and int(h["retry-after"]) > 0, (st, body)
        assert error_of(body)["code"] == "busy"
    finally:
        first.close()
    # Once the first one is gone its share is released.
    deadline = time.time() + WAIT
    while True:
        st, _, body, _ = exchange(s, post_head("/api/v1/units", 2, tok) + b"{}")
        if st != 503 or time.time() > deadline:
            break
        time.sleep(0.1)
    assert st == 422, (st, body)


def closed_by_server(c, wait):
    """True when the server closes (or resets) c within `wait` seconds."""
    r, _, _ = select.select([c], [], [], wait)
    if not r:
        return False
    try:
        return c.recv(4096) == b""
    except OSError:
        return True


def test_finding5_connections_per_address(ctx):
    s = ctx.server()
    limit = 64  # the default of DIEUHANH_MAX_CONNECTIONS_PER_ADDRESS
    held = []
    try:
        for _ in range(limit + 10):
            c = connect(s)
            c.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: t\r\n")  # never finished
            held.append(c)
        deadline = time.time() + WAIT
        closed = set()
        while len(closed) < 10 and time.time() < deadline:
            r, _, _ = select.select([c for c in held if c not in closed], [], [], 0.2)
            for c in r:
                if closed_by_server(c, 0):
                    closed.add(c)
        # Exactly the 10 beyond the limit, or one or two more when the
        # server has not yet noticed that the harness's own start-up
        # request closed its connection (seen under ASan on a loaded machine).
        assert 10 <= len(closed) <= 12, "%d of %d extra connections were closed" % (len(closed),
                                                                                      10)
        # Another address still gets an answer while this one is at its limit.
        try:
            st, _, _, _ = exchange(s, b"GET /api/v1/health HTTP/1.1\r\nHost: t\r\n"
                                      b"Connection: close\r\n\r\n", source="127.0.0.2")
            assert st == 200
        except OSError as e:  # 127.0.0.2 not usable here: the count above still holds
            print("  (127.0.0.2 unavailable: %s)" % e)
    finally:
        for c in held:
            c.close()
    # Once the held connections are closed the address is served again; the
    # server notices the closes as it polls them, which on a loaded machine
    # (ASan) may take a moment: wait for it, boundedly.
    deadline = time.time() + WAIT
    while True:
        try:
            assert s.request("GET", "/api/v1/health").status == 200
            break
        except (ConnectionError, http.client.HTTPException):
            if time.time() > deadline:
                raise
            time.sleep(0.2)


def test_finding5_idle_and_slow_requests_time_out(ctx):
    s = server_with(ctx, {"DIEUHANH_IDLE_TIMEOUT": "1", "DIEUHANH_REQUEST_TIMEOUT": "2"},
                    demo=True)
    tok = s.login("admin")
    # A connection that says nothing is closed after the idle timeout.
    c = connect(s)
    try:
        assert closed_by_server(c, WAIT), "an idle connection was kept open"
    finally:
        c.close()
    # A body trickling in faster than the idle timeout but slower than the
    # request timeout is cut off before it ends (it would take 20 s).
    c = connect(s)
    try:
        c.sendall(post_head("/api/v1/dossier-events", 100, tok))
        t0 = time.time()
        cut = False
        for _ in range(40):
            try:
                c.sendall(b" " * 2)
            except OSError:
                cut = True
                break
            if closed_by_server(c, 0.5):
                cut = True
                break
        assert cut, "a slow body was still being read after %.1f s" % (time.time() - t0)
    finally:
        c.close()
    assert s.request("GET", "/api/v1/health").status == 200


def test_finding13_many_query_parameters_answered_at_once(ctx):
    s = ctx.server()
    for n in (1000, 5000):
        q = "&".join("p%d=1" % i for i in range(n))
        st, _, body, _ = exchange(s, b"GET /api/v1/health?%s HTTP/1.1\r\nHost: t\r\n\r\n"
                                     % q.encode())
        assert st == 414, (n, st, body)
        assert error_of(body)["code"] == "too_many_parameters"
    # A long target with few parameters is refused the same way.
    st, _, body, _ = exchange(s, b"GET /api/v1/health?q=%s HTTP/1.1\r\nHost: t\r\n\r\n"
                                 % (b"x" * 20000))
    assert st == 414 and error_of(body)["code"] == "uri_too_long", (st, body)
    # A normal number of parameters still works.
    q = "&".join("p%d=1" % i for i in range(100))
    st, _, _, _ = exchange(s, b"GET /api/v1/health?%s HTTP/1.1\r\nHost: t\r\n\r\n" % q.encode())
    assert st == 200


def test_finding14_nul_in_path_and_query(ctx):
    s = ctx.server(demo=True)
    tok = s.login("admin")
    r = s.request("GET", "/static/app.css%00.js")
    err = expect_error(r, 400, "nul_byte", "path")
    assert "offset 15" in err["message"], err
    r = s.request("GET", "/api/v1/units?as_of=2025-02-28%00junk", token=tok)
    err = expect_error(r, 400, "nul_byte", "query")
    assert "offset 30" in err["message"], err
    expect_error(s.request("GET", "/api/v1/units?a%00b=1", token=tok), 400, "nul_byte", "query")
    # %2500 is the text "%00", not a NUL.
    assert s.request("GET", "/api/v1/units?q=%2500", token=tok).status == 200
    assert s.request("GET", "/static/app.css").status == 200


def test_finding17_head_answers_as_get(ctx):
    s = ctx.server()
    for path in ("/api/v1/health", "/dang-nhap", "/static/app.css"):
        req = "%%s %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n" % path
        st_g, h_g, body_g, _ = exchange(s, (req % "GET").encode())
        c = connect(s)
        try:
            c.sendall((req % "HEAD").encode())
            data = b""
            while True:  # the server closes after the reply: all of it is the reply
                d = c.recv(65536)
                if not d:
                    break
                data += d
        finally:
            c.close()
        head, _, rest = data.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200"), (path, data[:200])
        assert rest == b"", (path, rest[:100])
        h_h = {}
        for line in head.decode("latin-1").split("\r\n")[1:]:
            k, _, v = line.partition(":")
            h_h[k.strip().lower()] = v.strip()
        assert st_g == 200 and body_g
        for h in (h_g, h_h):  # each request has its own date and id
            h.pop("date", None)
            assert len(h.pop("x-request-id", "")) == 16, (path, h)
        if path == "/dang-nhap":  # the page embeds a fresh value: compare all but the size
            h_g.pop("content-length", None)
            h_h.pop("content-length", None)
        assert h_h == h_g, (path, h_h, h_g)
    # HEAD on a route that has no GET is still 405.
    st, _, _, _ = exchange(s, b"HEAD /api/v1/login HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
    assert st == 405
