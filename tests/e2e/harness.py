"""End-to-end harness: runs the real dieuhanh binary against a temporary
SQLite database and talks to it over real HTTP on a free loopback port.

With DH_E2E_PG_URL set in the environment (a postgres:// URL of a throwaway
cluster's database: `eval "$(scripts/pg-test.sh start)"` gives DH_PG_URL),
each database is instead a fresh PostgreSQL schema e2e_<pid>_<n> of it,
reached with the URL option options=-csearch_path%3D<schema> (as
fresh_db() in tests/store/conformance.c) and dropped when the test ends;
psql makes and drops it. Tests that look into the database itself use
db_rows(), which speaks to either backend.

Standard library only. A test module defines functions named test_*; each
takes a Ctx. run.py discovers and runs them and prints "N passed, N failed".
"""
import http.client
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import tempfile
import time

DEMO_PASSWORD = "dieuhanh-demo"

PG_URL = os.environ.get("DH_E2E_PG_URL") or None
_pg_next = [0]
_pg_schemas = []  # made by fresh_db and not yet dropped


def on_pg():
    return PG_URL is not None


class DbError(Exception):
    """A statement of db_rows refused by the database (either backend)."""


def _psql(url, sql):
    r = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", url,
                        "-c", sql], capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise DbError("psql: %s: %s" % (sql, r.stderr.strip()))
    return r.stdout


def fresh_db(directory, name="test.db"):
    """A --db URL of a new empty database: a file in directory on SQLite, a
    new schema on PostgreSQL (dropped by drop_pg_schemas)."""
    if not on_pg():
        return "sqlite:" + os.path.join(directory, name)
    _pg_next[0] += 1
    schema = "e2e_%d_%d" % (os.getpid(), _pg_next[0])
    _psql(PG_URL, "DROP SCHEMA IF EXISTS %s CASCADE; CREATE SCHEMA %s" % (schema, schema))
    _pg_schemas.append(schema)
    return "%s%soptions=-csearch_path%%3D%s" % (PG_URL, "&" if "?" in PG_URL else "?", schema)


def drop_pg_schemas():
    while _pg_schemas:
        schema = _pg_schemas.pop()
        try:
            _psql(PG_URL, "DROP SCHEMA IF EXISTS %s CASCADE" % schema)
        except (DbError, OSError, subprocess.SubprocessError):
            pass


def _literal(v):
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, (int, float)):
        return repr(v)
    return "'" + str(v).replace("'", "''") + "'"


def db_rows(db, sql, *args):
    """Runs one statement with ? parameters on the database at the --db URL
    db, committed, and returns its rows as tuples (an int column as int, a
    text one as str, NULL as None; none for a statement that is not a
    SELECT). Raises DbError when the database refuses it."""
    if db.startswith("sqlite:"):
        try:
            conn = sqlite3.connect(db[len("sqlite:"):], timeout=30)
        except sqlite3.Error as ex:
            raise DbError(str(ex))
        try:
            rows = conn.execute(sql, args).fetchall()
            conn.commit()
            return rows
        except sqlite3.DatabaseError as ex:
            raise DbError(str(ex))
        finally:
            conn.close()
    parts = sql.split("?")
    assert len(parts) == len(args) + 1, (sql, args)
    text = parts[0] + "".join(_literal(a) + p for a, p in zip(args, parts[1:]))
    if not text.lstrip().upper().startswith("SELECT"):
        _psql(db, text)
        return []
    # one line a row: json keeps the columns' order (and repeated names)
    out = _psql(db, "SELECT row_to_json(t) FROM (%s) AS t" % text)
    return [tuple(v for _, v in json.loads(line, object_pairs_hook=list))
            for line in out.splitlines() if line.strip()]


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
    """A running `dieuhanh serve` on a fresh database (optionally with demo
    data), or on the --db URL db when given. serve_args(port), when given,
    returns serve's arguments in place of --db DB --listen 127.0.0.1:PORT
    (the server must still listen on PORT); env is added to its environment."""

    def __init__(self, binary, demo=False, db=None, serve_args=None, env=None):
        self.binary = os.path.abspath(binary)
        self.serve_args = serve_args
        self.env = env
        self.dir = tempfile.mkdtemp(prefix="dh-e2e-")
        self.db = db or fresh_db(self.dir)
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
        args = (self.serve_args(self.port) if self.serve_args else
                ["--db", self.db, "--listen", "127.0.0.1:%d" % self.port])
        self.proc = subprocess.Popen(
            [self.binary, "serve"] + args, stdout=self.log, stderr=subprocess.STDOUT,
            env=dict(os.environ, **self.env) if self.env else None)
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

    def server(self, demo=False, db=None, serve_args=None, env=None):
        s = Server(self.binary, demo=demo, db=db, serve_args=serve_args, env=env)
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
        drop_pg_schemas()
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
