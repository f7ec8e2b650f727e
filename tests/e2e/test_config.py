"""The settings file of `serve` and `init` (--config FILE, $DIEUHANH_CONFIG;
the Debian package's /etc/dieuhanh/dieuhanh.conf): its values reach the
server, an option wins over the environment and the environment over the
file, and a bad file stops the command before it touches anything, naming
the file, the line and the key."""
import os
import subprocess
import tempfile

from harness import DEMO_PASSWORD, fresh_db


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


def login_cookie(s):
    r = s.request("POST", "/api/v1/login", {"login": "vanphong.vt", "password": DEMO_PASSWORD})
    assert r.status == 200, r
    return r.header("Set-Cookie")


def test_file_values_and_precedence(ctx):
    d = tempfile.mkdtemp(prefix="dh-conf-")
    db = fresh_db(d)
    conf = os.path.join(d, "dieuhanh.conf")

    def from_file(port):
        write(conf, "# the settings of this test\n\n"
                    "listen = 127.0.0.1:%d\n"
                    "  database   =  %s  \n"
                    "public_url = https://dieuhanh.example.gov.vn\n"
                    "smtp_password = a#secret # kept whole\n"
                    "reminder_interval = 300\n"
                    "late_report_at = 16:30\n" % (port, db))
        return ["--config", conf]
    # listen, database and public_url all come from the file
    s = ctx.server(demo=True, db=db, serve_args=from_file)
    assert "; Secure" in login_cookie(s)
    s.stop()

    # $DIEUHANH_CONFIG names the file; the environment wins over it, and
    # --listen over the environment: the file's database cannot be opened,
    # its listen port is not the server's, its public_url is overridden.
    other = write(os.path.join(d, "other.conf"),
                  "listen = 127.0.0.1:2\ndatabase = sqlite:%s/no/such/dir/x.db\n"
                  "public_url = https://dieuhanh.example.gov.vn\n" % d)
    env = {"DIEUHANH_CONFIG": other, "DIEUHANH_DB": db, "DIEUHANH_LISTEN": "127.0.0.1:1",
           "DIEUHANH_PUBLIC_URL": "http://127.0.0.1"}
    s2 = ctx.server(db=db, env=env, serve_args=lambda port: ["--listen", "127.0.0.1:%d" % port])
    assert "Secure" not in login_cookie(s2)


def test_bad_file_named_with_line_and_key(ctx):
    d = tempfile.mkdtemp(prefix="dh-conf-")
    db = "sqlite:" + os.path.join(d, "never.db")
    ok = "listen = 127.0.0.1:8080\ndatabase = %s\n" % db
    cases = [
        (ok + "listen_port = 9090\n", 3, "listen_port", "unknown key"),
        (ok + "# fine\nreminder_interval = 0\n", 4, "reminder_interval",
         "'0' is not a whole number from 1 to 86400"),
        (ok + "pg_pool = 65\n", 3, "pg_pool", "not a whole number from 1 to 64"),
        (ok + "listen = 0.0.0.0:8080\n", 3, "listen", "given twice (first on line 1)"),
        ("database = mysql://x/y\n", 1, "database", "must be sqlite:PATH or postgres://"),
        ("listen = localhost\n", 1, "listen", "must be HOST:PORT"),
        ("late_report_at = 7:5\n", 1, "late_report_at", "must be HH:MM"),
        ("smtp_url = mail.example.vn\n", 1, "smtp_url", "smtp:// or smtps://"),
        ("public_url = dieuhanh.example.gov.vn\n", 1, "public_url", "https:// or http://"),
        ("smtp_from =\n", 1, "smtp_from", "empty value"),
        (ok + "= 5\n", 3, None, "expected 'key = value'"),
        ("Listen = 1.2.3.4:80\n", 1, None, "expected 'key = value'"),
        ("listen 127.0.0.1:80\n", 1, "listen", "expected '=' after the key"),
        ("listen = 127.0.0.1:8080\x00\n", 1, None, "NUL byte"),
        ("# long\n" + "smtp_from = " + "x" * 5000 + "\n", 2, None, "longer than 4096 bytes"),
    ]
    binary = os.path.abspath(ctx.binary)
    for i, (text, line, key, why) in enumerate(cases):
        path = os.path.join(d, "bad%d.conf" % i)
        with open(path, "wb") as f:
            f.write(text.encode())
        head = "dieuhanh: %s:%d: " % (path, line) + ("key '%s': " % key if key else "")
        for args, env in ((["serve", "--config", path, "--listen", "127.0.0.1:0"], {}),
                          (["init"], {"DIEUHANH_CONFIG": path})):
            r = subprocess.run([binary] + args, capture_output=True, text=True, timeout=60,
                               env=dict(os.environ, **env))
            assert r.returncode == 1, (text, args, r.returncode, r.stderr)
            assert r.stderr.startswith(head) and why in r.stderr, (text, head, why, r.stderr)
            assert r.stderr.count("\n") == 1, r.stderr
    r = subprocess.run([binary, "init", "--config", os.path.join(d, "missing.conf")],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 1 and "missing.conf: cannot read" in r.stderr, r.stderr
    # the environment cannot rescue a bad file: it is refused whole
    r = subprocess.run([binary, "init", "--config", os.path.join(d, "bad0.conf")],
                       capture_output=True, text=True, timeout=60,
                       env=dict(os.environ, DIEUHANH_DB=db))
    assert r.returncode == 1, r.stderr
    assert not [f for f in os.listdir(d) if not f.endswith(".conf")], os.listdir(d)


def test_sqlite_settings_from_the_environment(ctx):
    """The SQLite tuning variables (docs/DEPLOY.md, "Memory"): a bad value stops the command
    with the variable named and nothing created; a good one is taken by init and serve."""
    d = tempfile.mkdtemp(prefix="dh-sqlenv-")
    db = os.path.join(d, "x.db")
    binary = os.path.abspath(ctx.binary)
    for var, bad, why in (("DIEUHANH_SQLITE_MMAP_MIB", "lots", "from 0 to 65536"),
                          ("DIEUHANH_SQLITE_MMAP_MIB", "-1", "from 0 to 65536"),
                          ("DIEUHANH_SQLITE_CACHE_MIB", "0", "from 1 to 4096"),
                          ("DIEUHANH_SQLITE_SYNCHRONOUS", "off", "full or normal")):
        r = subprocess.run([binary, "init", "--db", "sqlite:" + db], capture_output=True,
                           text=True, timeout=60, env=dict(os.environ, **{var: bad}))
        assert r.returncode != 0, (var, bad, r.stderr)
        assert var in r.stderr and why in r.stderr and "'%s'" % bad in r.stderr, r.stderr
        assert not os.path.exists(db), (var, bad)
    r = subprocess.run([binary, "init", "--db", "sqlite:" + db], capture_output=True, text=True,
                       timeout=60, env=dict(os.environ, DIEUHANH_SQLITE_MMAP_MIB="64"))
    assert r.returncode == 0, r.stderr
    # the mapping is per connection: a server with it answers from the same file
    s = ctx.server(db="sqlite:" + db, env={"DIEUHANH_SQLITE_MMAP_MIB": "64"})
    r = s.request("GET", "/api/v1/health")
    assert r.status == 200 and r.json["status"] == "ok", r
