"""The dieuhanh command line: exit codes, --help, import/export, users, audit."""
import json
import os
import subprocess
import tempfile

import harness

HEADER = "code,name,short_name,kind,parent,valid_from,valid_to\n"


class Cli:
    def __init__(self, binary):
        self.binary = os.path.abspath(binary)
        self.dir = tempfile.mkdtemp(prefix="dh-cli-")
        self.db = harness.fresh_db(self.dir, "t.db")  # a schema dropped by ctx.close()

    def __call__(self, *args, stdin=None):
        return subprocess.run([self.binary] + list(args), input=stdin, capture_output=True,
                              text=True, timeout=120, cwd=self.dir)

    def file(self, name, text, mode="w"):
        p = os.path.join(self.dir, name)
        with open(p, mode) as f:
            f.write(text)
        return p


def test_help_and_exit_codes(ctx):
    c = Cli(ctx.binary)
    r = c("--help")
    assert r.returncode == 0 and "usage" in r.stdout
    for cmd in ("init", "serve", "demo", "unit", "user", "audit", "version"):
        r = c(cmd, "--help")
        assert r.returncode == 0, (cmd, r.stderr)
        assert "usage" in r.stdout, cmd
    assert c().returncode == 2
    r = c("frobnicate")
    assert r.returncode == 2 and "frobnicate" in r.stderr
    r = c("unit", "tree", "--as-of", "31/12/2024", "--db", c.db)
    assert r.returncode == 2 and "as-of" in r.stderr, r.stderr
    r = c("serve", "--listen", "not-an-address", "--db", c.db)
    assert r.returncode == 2, r
    r = c("version")
    assert r.returncode == 0 and r.stdout.strip()
    r = c("unit", "show", "NOPE", "--db", c.db)
    assert r.returncode == 1 and "init" in r.stderr, r.stderr
    if harness.on_pg():
        assert not harness.db_rows(c.db, "SELECT 1 FROM pg_tables WHERE schemaname = "
                                         "current_schema()"), "a read created tables"
    else:
        assert not os.path.exists(c.db[len("sqlite:"):]), "a read created the database"
    assert c("init", "--db", c.db).returncode == 0
    r = c("unit", "show", "NOPE", "--db", c.db)
    assert r.returncode == 1 and "NOPE" in r.stderr
    r = c("init", "--db", "mysql:x")
    assert r.returncode in (1, 2) and "mysql" in r.stderr


def test_import_all_or_nothing_with_file_and_line(ctx):
    c = Cli(ctx.binary)
    assert c("init", "--db", c.db).returncode == 0
    good = HEADER + "P,Tỉnh P,P,province,,2020-01-01,\nP-1,Huyện 1,,district,P,2020-01-01,\n"
    bad = good + "P-2,Huyện 2,,district,KHONG,2020-01-01,\nP-3,Huyện 3,,distrikt,P,2020-01-01,\n"
    path = c.file("don-vi.csv", bad)
    r = c("unit", "import", path, "--db", c.db)
    assert r.returncode == 1
    assert "don-vi.csv:4" in r.stderr and "parent" in r.stderr, r.stderr
    assert "don-vi.csv:5" in r.stderr and "kind" in r.stderr, r.stderr
    r = c("unit", "tree", "--db", c.db, "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["items"] == []
    r = c("unit", "import", path, "--partial", "--db", c.db)
    assert r.returncode == 1, r
    assert "don-vi.csv:4" in r.stderr and "2" in r.stdout + r.stderr
    tree = json.loads(c("unit", "tree", "--db", c.db, "--json", "--as-of", "2024-01-01").stdout)
    assert [u["code"] for u in tree["items"]] == ["P"]
    assert [u["code"] for u in tree["items"][0]["children"]] == ["P-1"]


def test_import_rejects_bad_files(ctx):
    c = Cli(ctx.binary)
    c("init", "--db", c.db)
    cases = {
        "empty.csv": ("", "empty"),
        "header.csv": ("code,name,kind\nA,B,province\n", "header"),
        "bytes.csv": (None, "UTF-8"),
        "quote.csv": (HEADER + 'A,"Tỉnh A,,province,,2020-01-01,\n', "quote"),
        "fields.csv": (HEADER + "A,Tỉnh A,province\n", "fields"),
    }
    for name, (text, word) in cases.items():
        if text is None:
            path = c.file(name, (HEADER + "A,T\xe1nh,,province,,2020-01-01,\n").encode("latin-1")
                          .replace(b"\xe1", b"\xff"), mode="wb")
        else:
            path = c.file(name, text)
        r = c("unit", "import", path, "--db", c.db)
        assert r.returncode == 1, (name, r)
        assert name in r.stderr and word.lower() in r.stderr.lower(), (name, r.stderr)
    r = c("unit", "import", os.path.join(c.dir, "missing.csv"), "--db", c.db)
    assert r.returncode == 1 and "missing.csv" in r.stderr
    assert json.loads(c("unit", "tree", "--db", c.db, "--json").stdout)["items"] == []


def test_export_round_trip_and_nfc(ctx):
    c = Cli(ctx.binary)
    import unicodedata
    text = HEADER + "Q,%s,,province,,2020-01-01,\nQ-1,\"Phường 1, cũ\",P1,commune,Q,2020-01-01,2024-12-31\n" % (
        unicodedata.normalize("NFD", "Tỉnh Quảng Thử"))
    c("init", "--db", c.db)
    r = c("unit", "import", c.file("in.csv", text), "--db", c.db)
    assert r.returncode == 0, r.stderr
    r = c("unit", "export", "--as-of", "2024-06-01", "--db", c.db, "-o", "out.csv")
    assert r.returncode == 0, r.stderr
    with open(os.path.join(c.dir, "out.csv"), encoding="utf-8") as f:
        out = f.read()
    assert "Tỉnh Quảng Thử" in out and unicodedata.is_normalized("NFC", out)
    assert '"Phường 1, cũ"' in out
    d2 = harness.fresh_db(c.dir, "t2.db")
    c("init", "--db", d2)
    r = c("unit", "import", "out.csv", "--db", d2)
    assert r.returncode == 0, r.stderr
    a = json.loads(c("unit", "tree", "--as-of", "2024-06-01", "--json", "--db", c.db).stdout)
    b = json.loads(c("unit", "tree", "--as-of", "2024-06-01", "--json", "--db", d2).stdout)
    assert a == b


def test_users_tokens_and_audit_from_cli(ctx):
    c = Cli(ctx.binary)
    c("init", "--db", c.db)
    c("unit", "import", c.file("u.csv", HEADER + "P,Tỉnh P,,province,,2020-01-01,\n"),
      "--db", c.db)
    r = c("user", "add", "ld", "--role", "leader", "--unit", "P", "--db", c.db,
          stdin="mat-khau-lanh-dao\n")
    assert r.returncode == 0, r.stderr
    assert "mat-khau" not in r.stdout
    r = c("user", "add", "ld2", "--role", "chief", "--unit", "P", "--db", c.db,
          stdin="mat-khau-lanh-dao\n")
    assert r.returncode in (1, 2) and "role" in r.stderr
    r = c("user", "add", "ld3", "--role", "leader", "--unit", "NOPE", "--db", c.db,
          stdin="mat-khau-lanh-dao\n")
    assert r.returncode == 1 and "NOPE" in r.stderr
    r = c("user", "add", "ld4", "--role", "leader", "--unit", "P", "--db", c.db, stdin="ngan\n")
    assert r.returncode == 1 and "password" in r.stderr.lower()
    r = c("user", "token", "ld", "--name", "bảng tin", "--db", c.db)
    assert r.returncode == 0, r.stderr
    tok = r.stdout.strip().split()[-1]
    assert tok.startswith("dht_"), r.stdout
    dump = "\n".join(str(row) for row in harness.db_rows(c.db, "SELECT * FROM credentials"))
    assert tok not in dump and "mat-khau-lanh-dao" not in dump
    r = c("user", "list", "--db", c.db)
    assert "ld" in r.stdout and "leader" in r.stdout
    r = c("audit", "--since", "2000-01-01", "--db", c.db)
    assert r.returncode == 0 and "user" in r.stdout and "token" in r.stdout, r.stdout
    r = c("audit", "--since", "hôm qua", "--db", c.db)
    assert r.returncode == 2


def db_snapshot(db):
    """What a refusal must leave as it was: the SQLite file's bytes, or each
    table of the PostgreSQL schema with its row count, and the version."""
    if not harness.on_pg():
        with open(db[len("sqlite:"):], "rb") as f:
            return f.read()
    return harness.db_rows(
        db, "SELECT table_name::text, (xpath('/row/n/text()', query_to_xml(format("
            "'SELECT count(*) AS n FROM %I', table_name), false, true, '')))[1]::text "
            "FROM information_schema.tables WHERE table_schema = current_schema() "
            "UNION ALL SELECT 'version', max(version)::text FROM dh_schema ORDER BY 1")


def test_newer_database_refused(ctx):
    c = Cli(ctx.binary)
    assert c("init", "--db", c.db).returncode == 0
    r = c("user", "add", "root", "--role", "admin", "--db", c.db, stdin="mat-khau-quan-tri\n")
    assert r.returncode == 0, r.stderr
    if harness.on_pg():  # the schema version is dh_schema's one row
        harness.db_rows(c.db, "UPDATE dh_schema SET version = 999")
    else:
        harness.db_rows(c.db, "PRAGMA user_version=999")
    before = db_snapshot(c.db)
    assert ("version", "999") in before if harness.on_pg() else before
    for args in (("unit", "tree"), ("serve", "--listen", "127.0.0.1:%d" % harness.free_port()),
                 ("init",), ("demo", "--no-serve"), ("user", "list"),
                 ("user", "add", "other", "--role", "viewer")):
        r = c(*args, "--db", c.db, stdin="mat-khau-khac-nua\n")
        assert r.returncode == 1, (args, r)
        assert "newer" in r.stderr and "999" in r.stderr, (args, r.stderr)
        assert db_snapshot(c.db) == before, (args, "the database was touched")


def test_events_from_file(ctx):
    c = Cli(ctx.binary)
    c("init", "--db", c.db)
    c("unit", "import", c.file("u.csv", HEADER + "P,Tỉnh P,,province,,2020-01-01,\n"
                                "A,Xã A,,commune,P,2020-01-01,\nB,Xã B,,commune,P,2020-01-01,\n"),
      "--db", c.db)
    ev = [{"kind": "merge", "effective": "2025-07-01", "source": "NQ",
           "from": [{"unit": "A"}, {"unit": "B"}],
           "to": [{"unit": "AB", "name": "Xã A B", "kind": "commune", "parent": "P"}]}]
    r = c("unit", "event", c.file("e.json", json.dumps(ev)), "--db", c.db)
    assert r.returncode == 0, r.stderr
    r = c("unit", "lineage", "AB", "--json", "--db", c.db)
    assert json.loads(r.stdout)["predecessors"] == ["A", "B"]
    r = c("unit", "event", c.file("bad.json", '{"kind":"merge",'), "--db", c.db)
    assert r.returncode == 1 and "bad.json" in r.stderr
