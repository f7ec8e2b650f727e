"""End-to-end harness: runs the real dieuhanh binary against a temporary
SQLite database and talks to it over real HTTP on a free loopback port.

Standard library only. A test module defines functions named test_*; each
takes a Ctx. run.py discovers and runs them and prints "N passed, N failed".
"""
import http.client
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time

DEMO_PASSWORD = "dieuhanh-demo"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.raw = body
        try:
            self.json = json.loads(body.decode("utf-8")) if body else None
        except ValueError:
            self.json = None

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def __repr__(self):
        return "<%d %s>" % (self.status, self.raw[:300])


class Server:
    """A running `dieuhanh serve` on a fresh database (optionally with demo data)."""

    def __init__(self, binary, demo=False):
        self.binary = os.path.abspath(binary)
        self.dir = tempfile.mkdtemp(prefix="dh-e2e-")
        self.db = "sqlite:" + os.path.join(self.dir, "test.db")
        self.port = None
        self.proc = None
        if demo:
            r = self.cli("demo", "--db", self.db, "--no-serve")
            assert r.returncode == 0, r.stderr
        self.start()

    def cli(self, *args, stdin=None, env=None):
        e = dict(os.environ)
        if env:
            e.update(env)
        return subprocess.run([self.binary] + list(args), input=stdin, capture_output=True,
                              text=True, timeout=120, env=e)

    def start(self):
        self.port = free_port()
        self.log = open(os.path.join(self.dir, "server.log"), "w")
        self.proc = subprocess.Popen(
            [self.binary, "serve", "--db", self.db, "--listen", "127.0.0.1:%d" % self.port],
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("server exited: " + self.read_log())
            try:
                if self.request("GET", "/api/v1/health").status == 200:
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("server did not start: " + self.read_log())

    def read_log(self):
        try:
            with open(os.path.join(self.dir, "server.log")) as f:
                return f.read()[-4000:]
        except OSError:
            return ""

    def stop(self):
        """Stops the server; returns its exit code (sanitizer reports make it non-zero)."""
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        rc = self.proc.returncode if self.proc else 0
        if self.log:
            self.log.close()
        return rc

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def request(self, method, path, body=None, token=None, headers=None, raw=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        h = dict(headers or {})
        data = raw
        if body is not None:
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
            h.setdefault("Content-Type", "application/json")
        if token:
            h["Authorization"] = "Bearer " + token
        conn.request(method, path, body=data, headers=h)
        r = conn.getresponse()
        resp = Response(r.status, r.getheaders(), r.read())
        conn.close()
        return resp

    def login(self, login, password=DEMO_PASSWORD):
        r = self.request("POST", "/api/v1/login", {"login": login, "password": password})
        assert r.status == 200, r
        return r.json["token"]


class Ctx:
    """What a test gets: the binary path and a factory of servers it owns."""

    def __init__(self, binary):
        self.binary = binary
        self.servers = []

    def server(self, demo=False):
        s = Server(self.binary, demo=demo)
        self.servers.append(s)
        return s

    def close(self):
        bad = []
        for s in self.servers:
            rc = s.stop()
            # SIGTERM is handled: a clean stop exits 0; anything else
            # (a sanitizer report, a crash) fails the test.
            if rc != 0:
                bad.append("server exited %s: %s" % (rc, s.read_log()))
            s.cleanup()
        self.servers = []
        return bad


def expect_error(r, status, code=None, field=None):
    assert r.status == status, "expected %d, got %r" % (status, r)
    err = r.json and r.json.get("error")
    assert err, "no error object in %r" % r
    assert set(err) >= {"code", "message", "field", "line"}, err
    if code:
        assert err["code"] == code, "expected code %s, got %r" % (code, err)
    if field:
        assert err["field"] == field, "expected field %s, got %r" % (field, err)
    return err
