"""A database out of reach.

At start (every pass): `serve`, `init` and a read command given a
PostgreSQL URL where nothing listens say so and exit 1, at once.

Mid-run (the PostgreSQL pass only): a running `dieuhanh serve` on a cluster
of its own (scripts/pg-test.sh start: stopping the shared cluster of the
pass would break the other tests) sees the cluster restarted while idle,
then stopped: every request during the outage gets 503
database_unavailable with Retry-After (never 500, never data), and once the
cluster is back the same server, without a restart, answers again, with
the same sessions and nothing written by the refused requests.
"""
import os
import time
import subprocess

import harness
from harness import expect_error

PG_TEST = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts",
                       "pg-test.sh")
NOBODY = "postgres://dieuhanh@127.0.0.1:1/dieuhanh"  # port 1: refused at once
SANITIZER = ("AddressSanitizer", "LeakSanitizer", "runtime error", "Segmentation")


def test_unreachable_database_at_start(ctx):
    binary = os.path.abspath(ctx.binary)
    port = harness.free_port()
    for args in (("serve", "--listen", "127.0.0.1:%d" % port), ("init",), ("unit", "tree"),
                 ("user", "list")):
        # a timeout here (subprocess.TimeoutExpired) is the retry loop forbidden
        r = subprocess.run([binary] + list(args) + ["--db", NOBODY], capture_output=True,
                           text=True, timeout=60)
        assert r.returncode == 1, (args, r)
        assert "cannot connect to the PostgreSQL server at 127.0.0.1:1" in r.stderr, (args, r)
        assert not any(w in r.stderr for w in SANITIZER), (args, r.stderr)
        assert len(r.stderr.splitlines()) <= 3, (args, r.stderr)  # one message, no loop


def pg_test(*args):
    r = subprocess.run(["sh", PG_TEST] + list(args), capture_output=True, text=True,
                       timeout=180)
    assert r.returncode == 0, (args, r.stderr)
    return r.stdout


def outage(s, t):
    """Requests while the database is down: all 503 database_unavailable."""
    cases = [("GET", "/api/v1/units/T", None, t),
             ("GET", "/api/v1/units", None, t),
             ("GET", "/api/v1/me", None, t),
             ("POST", "/api/v1/units", {"code": "T-H2", "name": "Huyện Hai", "kind": "district",
                                        "parent": "T", "valid_from": "2020-01-01"}, t),
             ("POST", "/api/v1/login", {"login": "root", "password": "mat-khau-quan-tri"}, None)]
    for method, path, body, token in cases:
        r = s.request(method, path, body, token=token)
        expect_error(r, 503, "database_unavailable")
        assert r.header("Retry-After"), (path, r.headers)
        # the error's log line names the request, as its access-log line does
        rid = r.header("X-Request-Id")
        # the access-log line is written once the reply has gone out, so it may
        # follow the client's read of the reply by a moment
        deadline = time.time() + 10
        while True:
            log = s.read_log(tail=None)
            access = [l for l in log.splitlines() if rid in l and l[:1] == "{"]
            if access or time.time() > deadline:
                break
            time.sleep(0.05)
        assert "dieuhanh: request %s: database_unavailable" % rid in log, (path, log[-2000:])
        assert access and '"status":503' in access[0], (path, log[-2000:])
    r = s.request("GET", "/api/v1/health")
    assert r.status == 503 and r.json["db"] == "error", r
    assert s.proc.poll() is None, "the server died with its database: " + s.read_log()


def test_database_lost_and_back(ctx):
    if not harness.on_pg():
        return  # PostgreSQL's; the SQLite passes have no server to lose
    env = dict(line[len("export "):].split("=", 1) for line in pg_test("start").splitlines()
               if line.startswith("export "))
    pg_dir = env["DH_PG_DIR"]
    try:
        s = ctx.server(db=env["DH_PG_URL"])
        r = s.cli("user", "add", "root", "--role", "admin", "--db", s.db,
                  stdin="mat-khau-quan-tri\n")
        assert r.returncode == 0, r.stderr
        t = s.login("root", "mat-khau-quan-tri")
        r = s.request("POST", "/api/v1/units", {"code": "T", "name": "Tỉnh Thử",
                                                "kind": "province", "valid_from": "2020-01-01"},
                      token=t)
        assert r.status == 201, r

        # Restarted while the server is idle: its pooled connections are
        # dead; the next requests (a read, a write) are served all the same.
        pg_test("pause", pg_dir)
        pg_test("resume", pg_dir)
        r = s.request("GET", "/api/v1/units/T", token=t)
        assert r.status == 200 and r.json["name"] == "Tỉnh Thử", r
        r = s.request("POST", "/api/v1/units", {"code": "T-H1", "name": "Huyện Một",
                                                "kind": "district", "parent": "T",
                                                "valid_from": "2020-01-01"}, token=t)
        assert r.status == 201, r

        # Down: 503 for everything, twice (the second time the pool is empty).
        pg_test("pause", pg_dir)
        outage(s, t)
        outage(s, t)

        # Back: the same server and session, and the refused write absent.
        pg_test("resume", pg_dir)
        r = s.request("GET", "/api/v1/units?kind=district", token=t)
        assert r.status == 200, r
        assert sorted(u["code"] for u in r.json["items"]) == ["T-H1"], r
        r = s.request("POST", "/api/v1/units", {"code": "T-H2", "name": "Huyện Hai",
                                                "kind": "district", "parent": "T",
                                                "valid_from": "2020-01-01"}, token=t)
        assert r.status == 201, r
        r = s.request("GET", "/api/v1/units/T/children", token=t)
        assert r.status == 200, r
        assert sorted(u["code"] for u in r.json["items"]) == ["T-H1", "T-H2"], r
        assert s.login("root", "mat-khau-quan-tri")
        assert "database_unavailable" in s.read_log(tail=None)  # the outage was logged
        assert s.stop() == 0, s.read_log()
    finally:
        for sv in ctx.servers:
            sv.stop()
        pg_test("stop", pg_dir)
