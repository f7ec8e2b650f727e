"""dieuhanh copy (issue 15, point 4): a whole database moved SQLite -> PostgreSQL
-> SQLite gives the same rows, ids and exports; a non-empty target, an unreachable
one and a source of another schema version are refused with nothing written.

The PostgreSQL side: on the PostgreSQL pass (DH_E2E_PG_URL set) a fresh schema of
that database (harness.fresh_db); on the SQLite pass a throwaway cluster started
here with scripts/pg-test.sh and stopped at the end, so that the round trip is
always really tested where the PostgreSQL binaries are installed (scripts/deps.sh
installs them). Without them the round trip runs SQLite -> SQLite -> SQLite and
says so."""
import os
import shutil
import sqlite3
import subprocess
import tempfile

import harness

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class Pg:
    """Fresh PostgreSQL schemas: the pass's database, or our own cluster."""

    def __init__(self):
        self.dir = None
        self.base = harness.PG_URL
        self.n = 0
        if self.base:
            return
        r = subprocess.run([os.path.join(ROOT, "scripts", "pg-test.sh"), "start"],
                           capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            print("  (no PostgreSQL cluster: %s)" % r.stderr.strip()[-200:])
            return
        env = dict(line[len("export "):].split("=", 1) for line in r.stdout.splitlines()
                   if line.startswith("export "))
        self.dir, self.base = env["DH_PG_DIR"], env["DH_PG_URL"]

    def fresh(self, directory):
        if harness.PG_URL:
            return harness.fresh_db(directory)
        self.n += 1
        schema = "copy_%d_%d" % (os.getpid(), self.n)
        harness._psql(self.base, "CREATE SCHEMA %s" % schema)
        return "%s?options=-csearch_path%%3D%s" % (self.base, schema)

    def stop(self):
        if self.dir:
            subprocess.run([os.path.join(ROOT, "scripts", "pg-test.sh"), "stop", self.dir],
                           capture_output=True, timeout=120)
            self.dir = None


def run(ctx, *args, stdin=None):
    return subprocess.run([os.path.abspath(ctx.binary)] + list(args), input=stdin,
                          capture_output=True, text=True, timeout=300)


def sqlite_dump(path):
    """Every table of a SQLite file: {table: sorted rows} (rowids aside)."""
    conn = sqlite3.connect(path)
    try:
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        return {t: sorted(conn.execute('SELECT * FROM "%s"' % t).fetchall(), key=repr)
                for t in tables}
    finally:
        conn.close()


def counts(db, tables):
    return {t: harness.db_rows(db, 'SELECT count(*) FROM "%s"' % t)[0][0] for t in tables}


def load_demo(ctx, db, directory):
    """The demo province, a year of generated dossiers, an API token."""
    r = run(ctx, "demo", "--db", db, "--no-serve")
    assert r.returncode == 0, r.stderr
    r = run(ctx, "gen", "events", "--dossiers", "300", "--seed", "7", "--from", "2025-01-01",
            "--to", "2025-12-31", "--db", db)
    assert r.returncode == 0, r.stderr
    p = os.path.join(directory, "events.ndjson")
    with open(p, "w", encoding="utf-8") as f:
        f.write(r.stdout)
    r = run(ctx, "import", "events", p, "--db", db)
    assert r.returncode == 0 and " 0 refused" in r.stdout, (r.stdout, r.stderr[-500:])
    r = run(ctx, "user", "token", "admin", "--name", "copy-test", "--db", db)
    assert r.returncode == 0, r.stderr


def exports(ctx, db):
    """What users read out of a database: reports, statuses, units, audit."""
    out = []
    for args in (["report", "ii06a", "--unit", "BRVT", "--period", "2025-H1", "--format",
                  "csv"],
                 ["report", "ii06a", "--unit", "HCM", "--period", "2025", "--format", "json"],
                 ["target", "status", "--json"],
                 ["unit", "export", "--as-of", "2024-12-31"],
                 ["unit", "tree", "--as-of", "2025-07-01", "--json"],
                 ["audit", "--json"],
                 ["index", "766", "--unit", "BRVT-VT", "--period", "2025-Q1", "--json"]):
        r = run(ctx, *args, "--db", db)
        assert r.returncode == 0, (args, r.stderr)
        out.append(r.stdout)
    return out


def test_copy_round_trip_sqlite_postgres_sqlite(ctx):
    d = tempfile.mkdtemp(prefix="dh-copy-")
    pg = Pg()
    try:
        a = "sqlite:" + os.path.join(d, "a.db")
        c = "sqlite:" + os.path.join(d, "c.db")
        middle = pg.fresh(d) if pg.base else "sqlite:" + os.path.join(d, "b.db")
        load_demo(ctx, a, d)

        r = run(ctx, "copy", "--from", a, "--to", middle)
        assert r.returncode == 0, (r.stdout, r.stderr)
        assert "verdict: the copy matches the source" in r.stdout, r.stdout
        assert "II.06a BRVT" in r.stdout and "target statuses" in r.stdout, r.stdout
        assert "DIFFERENT" not in r.stdout, r.stdout
        # progress: each table with rows done / total and a rate
        line = [l for l in r.stderr.splitlines() if l.startswith("dossier_events")]
        assert line and " / " in line[0] and "rows/s" in line[0], r.stderr

        r = run(ctx, "copy", "--from", middle, "--to", c)
        assert r.returncode == 0 and "matches the source" in r.stdout, (r.stdout, r.stderr)

        # every table, every row, every id: the same after the round trip
        da, dc = sqlite_dump(a[len("sqlite:"):]), sqlite_dump(c[len("sqlite:"):])
        assert set(da) == set(dc)
        for t in da:
            assert da[t] == dc[t], t
        assert len(da["dossier_events"]) > 1000 and len(da["audit_log"]) > 100
        assert len(da["credentials"]) == 1 and len(da["agg_days"]) > 0
        assert counts(middle, list(da)) == {t: len(rows) for t, rows in da.items()}
        # the same exports from the three
        ea = exports(ctx, a)
        assert exports(ctx, middle) == ea
        assert exports(ctx, c) == ea

        # ids go on from the largest copied: a new user and its audit row
        r = run(ctx, "user", "add", "moi.nguoi", "--role", "viewer", "--unit", "BRVT",
                "--db", middle, stdin="mat-khau-dai-123\n")
        assert r.returncode == 0, r.stderr
        top = max(row[0] for row in da["audit_log"])
        got = harness.db_rows(middle, "SELECT max(id) FROM audit_log")[0][0]
        assert got > top, (got, top)
        # (greater, not the next: a transaction run again spends a PostgreSQL id)
        assert harness.db_rows(middle, "SELECT id FROM users WHERE login = ?", "moi.nguoi")[0][0] \
            > max(row[0] for row in da["users"])

        # a non-empty target is refused, nothing written (both engines)
        for target in (c, middle):
            before = counts(target, list(da))
            r = run(ctx, "copy", "--from", a, "--to", target)
            assert r.returncode == 1, (r.stdout, r.stderr)
            assert "not empty" in r.stderr and "nothing was written" in r.stderr, r.stderr
            assert counts(target, list(da)) == before
        if pg.base:
            all_or_nothing(ctx, a, pg.fresh(d), d)
    finally:
        pg.stop()
        shutil.rmtree(d, ignore_errors=True)


def all_or_nothing(ctx, a, target, d):
    """A row PostgreSQL refuses (SQLite keeps text in an integer column) fails the
    copy naming the table, row and column, and leaves the target empty: the same
    copy of a good source then succeeds."""
    bad = os.path.join(d, "bad.db")
    shutil.copy(a[len("sqlite:"):], bad)
    conn = sqlite3.connect(bad)
    conn.execute("INSERT INTO login_failures(key, at) VALUES ('x', 'khong phai so')")
    conn.commit()
    conn.close()
    r = run(ctx, "copy", "--from", "sqlite:" + bad, "--to", target)
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert "copying table login_failures" in r.stderr and "column at" in r.stderr, r.stderr
    assert harness.db_rows(target, "SELECT count(*) FROM audit_log")[0][0] == 0
    assert harness.db_rows(target, "SELECT count(*) FROM units")[0][0] == 0
    r = run(ctx, "copy", "--from", a, "--to", target)
    assert r.returncode == 0 and "matches the source" in r.stdout, (r.stdout, r.stderr)


def test_copy_refusals(ctx):
    d = tempfile.mkdtemp(prefix="dh-copy-")
    try:
        a = os.path.join(d, "a.db")
        r = run(ctx, "demo", "--db", "sqlite:" + a, "--no-serve")
        assert r.returncode == 0, r.stderr
        # an unreachable target: a clear message, exit 1, at once
        port = harness.free_port()
        r = run(ctx, "copy", "--from", "sqlite:" + a, "--to",
                "postgres://dieuhanh@127.0.0.1:%d/dieuhanh" % port)
        assert r.returncode == 1, r
        assert "target: cannot connect to the PostgreSQL server at 127.0.0.1:%d" % port \
            in r.stderr, r.stderr
        # a source newer than the binary, and one not yet migrated: refused,
        # the target not even made
        for version, words in ((999, "copy it with a newer dieuhanh"),
                               (3, "migrate it first")):
            src = os.path.join(d, "v%d.db" % version)
            shutil.copy(a, src)
            conn = sqlite3.connect(src)
            conn.execute("PRAGMA user_version = %d" % version)
            conn.close()
            dst = os.path.join(d, "never-%d.db" % version)
            r = run(ctx, "copy", "--from", "sqlite:" + src, "--to", "sqlite:" + dst)
            assert r.returncode == 1, r
            assert "source: the source database has schema version %d" % version in r.stderr
            assert words in r.stderr, r.stderr
            assert not os.path.exists(dst)
        # a database that is not ours, and one made by `init` (its calendars
        # seeded): not empty
        other = os.path.join(d, "other.db")
        conn = sqlite3.connect(other)
        conn.execute("CREATE TABLE notes (x TEXT)")
        conn.execute("INSERT INTO notes VALUES ('keep me')")
        conn.commit()
        conn.close()
        r = run(ctx, "copy", "--from", "sqlite:" + a, "--to", "sqlite:" + other)
        assert r.returncode == 1 and "not empty" in r.stderr and "notes" in r.stderr, r.stderr
        conn = sqlite3.connect(other)
        assert conn.execute("SELECT name FROM sqlite_schema").fetchall() == [("notes",)]
        conn.close()
        init = "sqlite:" + os.path.join(d, "init.db")
        assert run(ctx, "init", "--db", init).returncode == 0
        r = run(ctx, "copy", "--from", "sqlite:" + a, "--to", init)
        assert r.returncode == 1 and "not empty" in r.stderr, r.stderr
        # usage
        assert run(ctx, "copy", "--from", "sqlite:" + a).returncode == 2
        r = run(ctx, "copy", "--help")
        assert r.returncode == 0 and "usage: dieuhanh copy" in r.stdout
        r = run(ctx, "copy", "--from", "sqlite:" + a, "--to", "sqlite:" + a)
        assert r.returncode == 1 and "same database" in r.stderr, r.stderr
    finally:
        shutil.rmtree(d, ignore_errors=True)
