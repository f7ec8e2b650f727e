"""Operations (issue 18, point 7): GET /metrics in the Prometheus text format,
the JSON access log on stderr with request ids, gzip-compressed replies and
versioned static files cached for a year."""
import gzip
import json
import os
import re
import time

import harness
from harness import expect_error, server_with

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
SAMPLE = re.compile(r"^(%s)(?:\{(.*)\})? (\S+)$" % NAME)
LABEL = re.compile(r'(%s)="((?:[^"\\]|\\.)*)"(,|$)' % r"[a-zA-Z_][a-zA-Z0-9_]*")


def parse(text):
    """The samples of a Prometheus text exposition (version 0.0.4) as
    {(name, frozenset(labels)): value} and the TYPE of each family; raises
    AssertionError on a line the format does not allow."""
    samples, types, helps = {}, {}, set()
    assert text.endswith("\n"), "the exposition ends with a line feed"
    for line in text.splitlines():
        assert line, "no empty line"
        if line.startswith("# HELP "):
            name = line.split(" ")[2]
            assert re.fullmatch(NAME, name) and name not in helps, line
            helps.add(name)
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            assert kind in ("counter", "gauge", "histogram", "summary", "untyped"), line
            assert name not in types, "TYPE given twice: " + line
            types[name] = kind
            continue
        assert not line.startswith("#"), line
        m = SAMPLE.match(line)
        assert m, "not a sample line: %r" % line
        name, labels, value = m.group(1), m.group(2) or "", m.group(3)
        pairs, pos = [], 0
        while pos < len(labels):
            lm = LABEL.match(labels, pos)
            assert lm, "bad labels in %r" % line
            pairs.append((lm.group(1), lm.group(2).replace('\\"', '"')
                          .replace("\\n", "\n").replace("\\\\", "\\")))
            pos = lm.end()
        family = re.sub(r"_(bucket|sum|count)$", "", name)
        assert name in types or family in types, "sample before its TYPE: " + line
        key = (name, frozenset(pairs))
        assert key not in samples, "sample twice: " + line
        samples[key] = float(value)
    return samples, types


def scrape(s, **kw):
    r = s.request("GET", "/metrics", **kw)
    assert r.status == 200, r
    assert r.header("Content-Type").startswith("text/plain; version=0.0.4"), r.headers
    return parse(r.raw.decode("utf-8"))


def value(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())), 0.0)


def check_histograms(samples, types):
    """Every histogram's buckets rise with le, end at +Inf, and +Inf equals _count."""
    n = 0
    for fam, kind in types.items():
        if kind != "histogram":
            continue
        series = {}
        for (name, labels), v in samples.items():
            if name == fam + "_bucket":
                rest = frozenset(p for p in labels if p[0] != "le")
                le = dict(labels)["le"]
                series.setdefault(rest, []).append((float("inf") if le == "+Inf" else float(le), v))
        for rest, buckets in series.items():
            buckets.sort()
            assert buckets[-1][0] == float("inf"), (fam, rest)
            counts = [v for _, v in buckets]
            assert counts == sorted(counts), "buckets not monotone: %s %s %s" % (fam, rest, counts)
            assert counts[-1] == samples[(fam + "_count", rest)], (fam, rest)
            assert (fam + "_sum", rest) in samples, (fam, rest)
            n += 1
    return n


def ingest(s, officer, n):
    """Sends n dossier events (received at VT-P1), the catalogue first."""
    r = s.request("POST", "/api/v1/procedures", {"procedures": [
        {"code": "1.004227", "name": "Đăng ký khai sinh", "field": "Hộ tịch",
         "level": "commune", "duration": 3, "duration_unit": "working_days",
         "online_level": "full", "fee_bearing": False, "paper_result": True}]},
        token=s.login("admin"))
    assert r.status in (201, 409), r  # 409: imported before
    events = {"events": [{"id": "m%d" % i, "source": "motcua-vt", "dossier": "VT-M-%d" % i,
                          "type": "received", "at": "2025-03-03T08:00:00+07:00",
                          "unit": "VT-P1", "procedure": "1.004227"} for i in range(n)]}
    return s.request("POST", "/api/v1/dossier-events", events, token=officer)


def test_metrics_count_requests_events_jobs_and_size(ctx):
    s = ctx.server(demo=True)
    t = s.login("vanphong.vt")
    # the jobs run once at start, each in its thread
    for _ in range(100):
        before, types = scrape(s)
        if all(value(before, "dieuhanh_jobs_runs_total", job=j) for j in ("reminders",
                                                                          "targets")):
            break
        time.sleep(0.1)
    for fam in ("dieuhanh_http_requests_total", "dieuhanh_http_request_duration_seconds",
                "dieuhanh_cache_reloads_total", "dieuhanh_jobs_runs_total",
                "dieuhanh_job_duration_seconds", "dieuhanh_database_size_bytes",
                "dieuhanh_database_up", "process_resident_memory_bytes"):
        assert fam in types, (fam, sorted(types))
    assert types["dieuhanh_http_requests_total"] == "counter"
    assert types["dieuhanh_http_request_duration_seconds"] == "histogram"
    assert types["dieuhanh_database_size_bytes"] == "gauge"
    assert value(before, "dieuhanh_database_size_bytes") > 0
    assert value(before, "dieuhanh_database_up") == 1
    assert value(before, "process_resident_memory_bytes") > 1e6
    # where the memory goes: the heap in use and free (glibc, all arenas), and SQLite's own
    # (not in the sanitizer build: AddressSanitizer's allocator is not glibc's arenas)
    sanitized = "asan" in os.path.dirname(ctx.binary)
    if sanitized:
        assert "dieuhanh_heap_bytes" not in types
    else:
        assert types["dieuhanh_heap_bytes"] == "gauge"
        assert value(before, "dieuhanh_heap_bytes", state="in_use") > 1e6
        assert value(before, "dieuhanh_heap_bytes", state="in_use") < \
            value(before, "process_resident_memory_bytes")
        assert ("dieuhanh_heap_bytes", frozenset({("state", "free")})) in before
    if harness.on_pg():
        assert "dieuhanh_sqlite_memory_bytes" not in types
    else:
        assert types["dieuhanh_sqlite_memory_bytes"] == "gauge"
        assert 0 < value(before, "dieuhanh_sqlite_memory_bytes")
        if not sanitized:
            assert value(before, "dieuhanh_sqlite_memory_bytes") < \
                value(before, "dieuhanh_heap_bytes", state="in_use")
    # each job ran once at start
    for job in ("reminders", "targets"):
        assert value(before, "dieuhanh_jobs_runs_total", job=job) >= 1, job
        assert value(before, "dieuhanh_job_duration_seconds_count", job=job) >= 1, job

    # requests: by the route's pattern, never the path with its ids
    for code in ("VT-P1", "VT-P2", "VT-P1"):
        assert s.request("GET", "/api/v1/units/" + code, token=t).status == 200
    assert s.request("GET", "/api/v1/units/KHONG-CO", token=t).status == 404
    assert s.request("GET", "/khong/co/trang/nay").status == 404
    ok = dict(route="/api/v1/units/{}", method="GET", status="200")
    # events: stored, then the same batch again as duplicates
    assert ingest(s, t, 3).status == 201
    assert ingest(s, t, 3).status == 200

    after, types = scrape(s)
    assert value(after, "dieuhanh_http_requests_total", **ok) == \
        value(before, "dieuhanh_http_requests_total", **ok) + 3
    assert value(after, "dieuhanh_http_requests_total", route="/api/v1/units/{}",
                 method="GET", status="404") >= 1
    assert value(after, "dieuhanh_http_requests_total", route="(none)", method="GET",
                 status="404") >= 1
    assert value(after, "dieuhanh_http_request_duration_seconds_count",
                 route="/api/v1/units/{}", method="GET") >= 4
    assert value(after, "dieuhanh_http_requests_total", route="/metrics", method="GET",
                 status="200") >= 1
    for (name, labels), _ in after.items():
        for k, v in labels:
            assert "VT-P1" not in v and "khong" not in v, (name, labels)
    assert value(after, "dieuhanh_events_ingested_total", result="stored") == 3
    assert value(after, "dieuhanh_events_ingested_total", result="duplicate") == 3
    # the catalogue import moved procedures_rev: the next read reloads it
    assert value(after, "dieuhanh_cache_reloads_total", cache="procedures_rev") >= 1
    assert check_histograms(after, types) >= 3
    # counters never go down between scrapes
    for key, v in before.items():
        if key[0].endswith("_total") or key[0].endswith("_count"):
            assert after.get(key, 0) >= v, key


def test_metrics_store_retries(ctx):
    # DIEUHANH_TX_FAULT=1 makes the runner run every transaction twice
    s = server_with(ctx, {"DIEUHANH_TX_FAULT": "1"}, demo=True)
    s.login("admin")
    samples, _ = scrape(s)
    assert value(samples, "dieuhanh_store_tx_retries_total") >= 1, samples


def test_metrics_who_may_read(ctx):
    s = ctx.server(demo=True)
    admin = s.login("admin")
    officer = s.login("vanphong.vt")
    # a request a proxy forwarded is not the machine itself, even from loopback
    proxied = {"X-Forwarded-For": "203.0.113.7"}
    expect_error(s.request("GET", "/metrics", headers=proxied), 401, "unauthenticated")
    expect_error(s.request("GET", "/metrics", headers={"X-Real-IP": "203.0.113.7"}), 401)
    expect_error(s.request("GET", "/metrics", headers={"Forwarded": "for=203.0.113.7"}), 401)
    expect_error(s.request("GET", "/metrics", headers=proxied, token="khong-hop-le"), 401)
    expect_error(s.request("GET", "/metrics", headers=proxied, token=officer), 403, "forbidden")
    leader = s.login("lanhdao.tinh")
    expect_error(s.request("GET", "/metrics", headers=proxied, token=leader), 403)
    # an administrator, by token or by session cookie
    scrape(s, headers=proxied, token=admin)
    scrape(s, headers=dict(proxied, Cookie="dh_session=" + admin))
    # the machine itself, without signing in
    scrape(s)
    # the refusal is in the audit trail
    rows = s.request("GET", "/api/v1/audit?entity=metrics", token=admin)
    assert rows.status == 200, rows
    assert [x for x in rows.json["items"] if x["action"] == "read" and x["outcome"] == "denied"]


def log_lines(s):
    with open(os.path.join(s.dir, "server.log"), encoding="utf-8") as f:
        text = f.read()
    return text, [json.loads(l) for l in text.splitlines() if l.startswith("{")]


def test_access_log_and_request_id(ctx):
    s = ctx.server(demo=True)
    secret = "mat-khau-rat-bi-mat-42"
    r = s.request("POST", "/api/v1/users", {"login": "nhatky", "password": secret,
                                            "role": "officer", "unit": "VT-P1"},
                  token=s.login("admin"))
    assert r.status == 201, r
    token = s.login("nhatky", secret)
    # the sign-in form too, with its password in the body
    r = s.request("POST", "/dang-nhap", raw=("login=nhatky&password=" + secret).encode(),
                  headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status == 303, r
    cookie = re.search(r"dh_session=([^;]+)", r.header("Set-Cookie")).group(1)
    r = s.request("GET", "/api/v1/units/VT-P1?as_of=2025-01-01&q=Nguy%E1%BB%85n+V%C4%83n+An",
                  token=token)
    assert r.status == 200, r
    rid = r.header("X-Request-Id")
    assert re.fullmatch(r"[0-9a-f]{16}", rid), rid
    assert s.request("GET", "/tong-quan", headers={"Cookie": "dh_session=" + cookie}).status == 200
    # a short, safe id of the client's is kept; anything else is replaced
    mine = "lb-7f3a.9:x_1"
    r = s.request("GET", "/api/v1/health", headers={"X-Request-Id": mine})
    assert r.header("X-Request-Id") == mine
    for bad in ("a" * 65, "<script>", "id with space", "x\"y"):
        got = s.request("GET", "/api/v1/health", headers={"X-Request-Id": bad}).header(
            "X-Request-Id")
        assert re.fullmatch(r"[0-9a-f]{16}", got), (bad, got)
    # refusals carry one too
    r = s.request("GET", "/api/v1/units", headers={"X-Request-Id": "refused-1"})
    assert r.status == 401 and r.header("X-Request-Id") == "refused-1"
    me = s.request("GET", "/api/v1/me", token=token).json

    # a line is written once its reply has gone out: it may lag the client by a moment
    deadline = time.time() + 10
    while True:
        text, lines = log_lines(s)
        seen = {l["request_id"] for l in lines}
        if {rid, mine, "refused-1"} <= seen or time.time() > deadline:
            break
        time.sleep(0.05)
    assert lines, text[-2000:]
    for l in lines:
        assert list(l) == ["time", "method", "route", "status", "duration_ms", "bytes", "user",
                           "request_id"], l
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", l["time"]), l
        assert isinstance(l["status"], int) and l["duration_ms"] >= 0, l
    by_id = {l["request_id"]: l for l in lines}
    l = by_id[rid]
    assert l["route"] == "/api/v1/units/{}" and l["method"] == "GET" and l["status"] == 200, l
    assert l["user"] == me["id"], (l, me)
    assert by_id[mine]["route"] == "/api/v1/health" and by_id[mine]["user"] is None
    assert by_id["refused-1"]["status"] == 401
    logins = [l for l in lines if l["route"] in ("/api/v1/login", "/dang-nhap")
              and l["method"] == "POST"]
    assert len(logins) >= 3, logins
    # no secret, no cookie, no query, no personal data
    for bad in (secret, token, cookie, "as_of", "Nguy", "VT-P1", "Bearer", "dh_session"):
        assert bad not in text, bad
    # and it can be turned off
    q = server_with(ctx, {"DIEUHANH_ACCESS_LOG": "off"})
    q.request("GET", "/api/v1/health")
    assert log_lines(q)[1] == []


def gz(s, path, **kw):
    h = dict(kw.pop("headers", {}))
    plain = s.request("GET", path, headers=h, **kw)
    h["Accept-Encoding"] = "gzip, deflate"
    z = s.request("GET", path, headers=h, **kw)
    return plain, z


def test_gzip_round_trip(ctx):
    s = ctx.server(demo=True)
    t = s.login("admin")
    cookie = {"Cookie": "dh_session=" + t}
    assert ingest(s, s.login("vanphong.vt"), 40).status == 201
    for path, kw, kind in (
            ("/api/v1/units", {"token": t}, "application/json"),
            ("/ho-so?format=csv&unit=VT-P1&state=all", {"headers": cookie}, "text/csv"),
            ("/api/v1/reports/ii06a?unit=VT-P1&period=2025-03&format=html", {"token": t},
             "text/html"),
            ("/quan-tri", {"headers": cookie}, "text/html")):
        plain, z = gz(s, path, **kw)
        assert plain.status == 200 and z.status == 200, (path, plain, z)
        assert plain.header("Content-Type").startswith(kind), (path, plain.headers)
        assert len(plain.raw) >= 1024, (path, len(plain.raw))
        assert plain.header("Content-Encoding") is None, path
        assert z.header("Content-Encoding") == "gzip", (path, z.headers)
        assert z.header("Vary") == "Accept-Encoding" == plain.header("Vary"), path
        assert len(z.raw) < len(plain.raw), path
        got = gzip.decompress(z.raw)
        if kind == "text/html":  # the same page; only the request's own ids may differ
            assert got.startswith(b"<!doctype html>") and len(got) == len(plain.raw), path
        else:
            assert got == plain.raw, path
    # small replies, refused encodings, binary types: not compressed
    r = s.request("GET", "/api/v1/health", headers={"Accept-Encoding": "gzip"})
    assert r.header("Content-Encoding") is None and r.json["status"] == "ok"
    for ae in ("gzip;q=0", "identity", "br", "*;q=0", "gzip;q=0, *"):
        r = s.request("GET", "/api/v1/units", token=t, headers={"Accept-Encoding": ae})
        assert r.header("Content-Encoding") is None, ae
        assert r.json["items"], ae
    r = s.request("GET", "/api/v1/units", token=t, headers={"Accept-Encoding": "*"})
    assert r.header("Content-Encoding") == "gzip"
    r = s.request("GET", "/api/v1/reports/ii06a?unit=VT-P1&period=2025-03&format=xlsx",
                  token=t, headers={"Accept-Encoding": "gzip"})
    assert r.status == 200 and r.header("Content-Encoding") is None and r.raw[:2] == b"PK", r
    # HEAD gives the headers of the compressed GET
    r = s.request("HEAD", "/api/v1/units", token=t, headers={"Accept-Encoding": "gzip"})
    assert r.header("Content-Encoding") == "gzip" and r.raw == b""


def test_static_files_versioned_and_cached(ctx):
    s = ctx.server(demo=True)
    page = s.request("GET", "/dang-nhap").raw.decode("utf-8")
    css = re.search(r'href="/static/([0-9a-f]{12})/app\.css"', page)
    js = re.search(r'src="/static/([0-9a-f]{12})/app\.js"', page)
    assert css and js, page[:600]
    for name, ver in (("app.css", css.group(1)), ("app.js", js.group(1))):
        r = s.request("GET", "/static/%s/%s" % (ver, name), headers={"Accept-Encoding": "gzip"})
        assert r.status == 200, r
        assert r.header("Cache-Control") == "public, max-age=31536000, immutable", r.headers
        assert r.header("Content-Encoding") == "gzip"
        plain = s.request("GET", "/static/" + name)
        assert gzip.decompress(r.raw) == plain.raw
        assert plain.header("Cache-Control") == "public, max-age=3600"
        # a version that is not the current content's is never cached for long
        r = s.request("GET", "/static/000000000000/" + name)
        assert r.status == 200 and r.header("Cache-Control") == "no-cache", r.headers
    lookup = s.request("GET", "/tra-cuu").raw.decode("utf-8")
    doc = re.search(r'href="/static/([0-9a-f]{12})/doc\.css"', lookup)
    assert doc, lookup[:600]
    r = s.request("GET", "/static/%s/doc.css" % doc.group(1))
    assert r.header("Cache-Control") == "public, max-age=31536000, immutable"
    assert r.raw == s.request("GET", "/static/doc.css").raw
