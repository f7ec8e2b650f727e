"""Backups and restores (issue 18): `dieuhanh backup` of a server's database
while events are being ingested over HTTP, `dieuhanh restore` into a new
database, and a server on it that has every event acknowledged before the
backup began, once, with aggregates equal to a rebuild. On PostgreSQL both
commands refuse and name PostgreSQL's own tools."""
import os
import sqlite3
import threading
import time

from harness import db_rows, on_pg
from test_crash import check_against_rebuild, post_pairs
from test_dossiers import PROCS


def test_backup_during_ingestion_restores_every_acknowledged_event(ctx):
    s = ctx.server(demo=True)
    admin = s.login("admin")
    out = os.path.join(s.dir, "sao-luu.db")
    if on_pg():
        r = s.cli("backup", "--db", s.db, "-o", out)
        assert r.returncode == 1 and "pg_dump" in r.stderr and "docs/DEPLOY.md" in r.stderr, r
        assert not os.path.exists(out)
        return
    assert s.request("POST", "/api/v1/procedures", PROCS, token=admin).status == 201
    acked, stop = [], threading.Event()
    t = threading.Thread(target=post_pairs, args=(s, admin, "B", acked, stop))
    t.start()
    try:
        deadline = time.time() + 30
        while len(acked) < 2000 and time.time() < deadline:
            time.sleep(0.02)
        before = set(acked)  # acknowledged before the backup began
        r = s.cli("backup", "--db", s.db, "-o", out)
        time.sleep(0.2)  # ingestion goes on after the backup
    finally:
        stop.set()
        t.join()
    assert r.returncode == 0 and "backup written to" in r.stdout, r.stderr
    assert len(before) >= 2000, len(before)
    # one self-contained file, not in WAL mode, and nothing left beside it
    assert sorted(f for f in os.listdir(s.dir) if f.startswith("sao-luu")) == ["sao-luu.db"]
    conn = sqlite3.connect(out)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    conn.close()

    target = "sqlite:" + os.path.join(s.dir, "restored", "dieuhanh.db")
    r = s.cli("restore", out, "--db", target)
    assert r.returncode == 0 and "restored" in r.stdout, r.stderr
    t2 = ctx.server(db=target)
    stored = db_rows(t2.db, "SELECT source, id FROM dossier_events")
    assert len(stored) == len(set(stored)), "an event stored twice"
    missing = before - set(stored)
    assert not missing, "acknowledged before the backup, missing: %d, e.g. %s" % (
        len(missing), sorted(missing)[:3])
    # whole batches only: both events of every dossier
    resolved = db_rows(t2.db, "SELECT count(*) FROM dossiers WHERE state = 'resolved'")[0][0]
    assert resolved * 2 == len(stored)
    check_against_rebuild(t2, "restored backup")
    tok = t2.login("admin")
    r = t2.request("GET", "/api/v1/dossiers/B-1", token=tok)
    assert r.status == 200 and r.json["state"] == "resolved", r


def test_restore_refusals_and_clear_errors(ctx):
    s = ctx.server(demo=True)
    d = s.dir
    r = s.cli("restore", "--help")
    assert r.returncode == 0 and "--force" in r.stdout
    r = s.cli("backup", "--db", s.db)
    assert r.returncode == 2 and "-o FILE" in r.stderr, r
    r = s.cli("restore", "--db", s.db)
    assert r.returncode == 2, r
    if on_pg():
        r = s.cli("restore", os.path.join(d, "x.db"), "--db", s.db)
        assert r.returncode == 1 and "pg_restore" in r.stderr and "dieuhanh copy" in r.stderr, r
        return
    bak = os.path.join(d, "a.bak")
    r = s.cli("backup", "--db", s.db, "-o", bak)
    assert r.returncode == 0, r.stderr
    # never over an existing file
    r = s.cli("backup", "--db", s.db, "-o", bak)
    assert r.returncode == 1 and "a.bak already exists" in r.stderr, r
    # a target holding data is refused and left as it was, unless --force
    other = os.path.join(d, "other.db")
    r = s.cli("init", "--db", "sqlite:" + other)
    assert r.returncode == 0, r.stderr
    db_rows("sqlite:" + other, "INSERT INTO meta(key, value) VALUES ('marker', 7)")
    r = s.cli("restore", bak, "--db", "sqlite:" + other)
    assert r.returncode == 1 and "already holds data" in r.stderr and "--force" in r.stderr, r
    assert db_rows("sqlite:" + other, "SELECT value FROM meta WHERE key = 'marker'") == [(7,)]
    r = s.cli("restore", bak, "--db", "sqlite:" + other, "--force")
    assert r.returncode == 0, r.stderr
    assert db_rows("sqlite:" + other, "SELECT value FROM meta WHERE key = 'marker'") == []
    assert db_rows("sqlite:" + other, "SELECT count(*) FROM units") == \
        db_rows(s.db, "SELECT count(*) FROM units")

    def refused(path, *words):
        fresh = os.path.join(d, "fresh.db")
        r = s.cli("restore", path, "--db", "sqlite:" + fresh)
        assert r.returncode == 1, r
        for w in (os.path.basename(path),) + words:
            assert w in r.stderr, (w, r.stderr)
        # nothing restored: no table in the target
        if os.path.exists(fresh):
            assert db_rows("sqlite:" + fresh, "SELECT count(*) FROM sqlite_master") == [(0,)]

    junk = os.path.join(d, "junk.db")
    with open(junk, "w") as f:
        f.write("không phải cơ sở dữ liệu\n")
    refused(junk, "not an SQLite database")
    foreign = os.path.join(d, "foreign.db")
    conn = sqlite3.connect(foreign)
    conn.execute("CREATE TABLE t (a)")
    conn.commit()
    conn.close()
    refused(foreign, "not a dieuhanh one")
    newer = os.path.join(d, "newer.db")
    with open(bak, "rb") as f, open(newer, "wb") as g:
        g.write(f.read())
    conn = sqlite3.connect(newer)
    conn.execute("PRAGMA user_version = 999")
    conn.commit()
    conn.close()
    refused(newer, "schema version 999", "knows only up to")
    truncated = os.path.join(d, "truncated.db")
    with open(bak, "rb") as f, open(truncated, "wb") as g:
        data = f.read()
        g.write(data[:len(data) // 2])
    refused(truncated)
    refused(os.path.join(d, "missing.db"), "cannot read")
