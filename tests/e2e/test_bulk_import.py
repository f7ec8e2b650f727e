"""The file import at size (issue 20, point 5): `dieuhanh import events` into an
empty store runs as one bulk transaction (store.h begin_bulk): on SQLite, when
nothing else has the file open, under the rollback journal, and the file is in
WAL again when it has ended, committed or rolled back. Its memory is bounded:
the aggregate deltas are added to the cells part by part (dh_aggbatch_spill)
and the filter of the event keys written has a budget, past which every key is
asked of the database. Each of these is checked against what it must keep:
the same refusal of an event key taken by another dossier in an earlier chunk,
and the same aggregates as a rebuild and as an import that kept everything to
the end."""
import json
import os
import signal
import sqlite3
import subprocess
import tempfile
import time

from harness import db_rows
from test_crash import agg_state, check_against_rebuild

CONFLICT = {"source": "motcua-demo", "dossier": "BULK-X", "type": "received",
            "at": "2025-12-30T09:00:00+07:00", "channel": "online", "by_applicant": True}


def journal(db):
    """SQLite: the journal mode the file's header names (None on PostgreSQL)."""
    if not db.startswith("sqlite:"):
        return None
    con = sqlite3.connect(db[len("sqlite:"):])
    try:
        return con.execute("PRAGMA journal_mode").fetchone()[0]
    finally:
        con.close()


def stopped_demo(ctx):
    s = ctx.server(demo=True)
    assert s.stop() == 0
    return s


def generated(s, dossiers, seed):
    """A file of the generator's events for 2025: its folder, path and lines."""
    d = tempfile.mkdtemp(prefix="dh-bulk-")
    p = os.path.join(d, "e.ndjson")
    r = s.cli("gen", "events", "--dossiers", str(dossiers), "--seed", str(seed), "--from",
              "2025-01-01", "--to", "2025-12-31", "-o", p, "--db", s.db)
    assert r.returncode == 0, r.stderr
    with open(p, encoding="utf-8") as f:
        return d, p, f.read().splitlines()


def test_file_import_in_one_bulk_transaction(ctx):
    s = stopped_demo(ctx)
    # about 10,700 events: two chunks of the importer (10,000 events each)
    d, p, lines = generated(s, 2000, 3)
    assert len(lines) > 10000
    first = json.loads(lines[0])
    # the last line, in the second chunk, takes the first event's key for another dossier
    bad = dict(CONFLICT, id=first["id"], unit=first["unit"], procedure=first["procedure"])
    with open(p, "a", encoding="utf-8") as f:
        f.write(json.dumps(bad) + "\n")
    where = "e.ndjson:%d" % (len(lines) + 1)
    # refused with the filter of keys (default) and with none (every key asked)
    for env in ({}, {"DIEUHANH_INGEST_KEY_FILTER_MIB": "0"}):
        r = s.cli("import", "events", p, "--db", s.db, env=env)
        assert r.returncode == 1, (env, r.stdout, r.stderr[-500:])
        assert where in r.stderr and "another dossier" in r.stderr, (env, r.stderr[-500:])
        assert db_rows(s.db, "SELECT count(*) FROM dossier_events")[0][0] == 0
        assert journal(s.db) in (None, "wal")
    r = s.cli("import", "events", p, "--db", s.db, env={"DIEUHANH_INGEST_KEY_FILTER_MIB": "x"})
    assert r.returncode != 0 and "DIEUHANH_INGEST_KEY_FILTER_MIB" in r.stderr, r.stderr
    # taken with --partial, the deltas added to the cells after every chunk
    r = s.cli("import", "events", p, "--partial", "--db", s.db,
              env={"DIEUHANH_INGEST_KEY_FILTER_MIB": "0", "DIEUHANH_AGG_SPILL_CELLS": "1"})
    assert "%d events accepted" % len(lines) in r.stdout and "1 refused" in r.stdout, r.stdout
    assert journal(s.db) in (None, "wal")
    spilled = agg_state(s.db)
    # the same file into another empty store, the deltas kept to the end
    s2 = stopped_demo(ctx)
    r = s2.cli("import", "events", p, "--partial", "--db", s2.db)
    assert "%d events accepted" % len(lines) in r.stdout and "1 refused" in r.stdout, r.stdout
    other = agg_state(s2.db)
    # the cells by their keys' names; the dossiers but their fact, which names its key by
    # id (on PostgreSQL the refused imports above used up ids of the key sequence)
    assert other[1] == spilled[1]
    assert [row[:-1] for row in other[0]] == [row[:-1] for row in spilled[0]]
    assert len(spilled[1]) > 1000
    # and a rebuild (which spills too) makes the same
    check_against_rebuild(s, "an import that spilled")
    # the server opens the file again and answers from it
    s.start()
    admin = s.login("admin")
    r = s.request("GET", "/api/v1/dossiers/" + first["dossier"], token=admin)
    assert r.status == 200, r


def test_bulk_import_beside_a_running_server_stays_in_wal(ctx):
    """A server has the file open: the import does not take it for itself; the
    server keeps answering and sees the import's dossiers."""
    s = ctx.server(demo=True)
    d = tempfile.mkdtemp(prefix="dh-bulk-")
    p = os.path.join(d, "e.ndjson")
    r = s.cli("gen", "events", "--dossiers", "300", "--seed", "4", "--from", "2025-01-01",
              "--to", "2025-06-30", "-o", p, "--db", s.db)
    assert r.returncode == 0, r.stderr
    r = s.cli("import", "events", p, "--db", s.db)
    assert r.returncode == 0 and " 0 refused" in r.stdout, r.stderr[-500:]
    assert journal(s.db) in (None, "wal")
    with open(p, encoding="utf-8") as f:
        code = json.loads(f.readline())["dossier"]
    admin = s.login("admin")
    r = s.request("GET", "/api/v1/dossiers/" + code, token=admin)
    assert r.status == 200, r


def test_bulk_import_killed_rolls_back(ctx):
    """SQLite: an import killed (kill -9) while it writes under the rollback
    journal leaves a hot journal; the next open rolls it back (nothing of the
    import stays) and the file is in WAL again."""
    s = stopped_demo(ctx)
    if not s.db.startswith("sqlite:"):
        return
    path = s.db[len("sqlite:"):]
    d = tempfile.mkdtemp(prefix="dh-bulk-")
    p = os.path.join(d, "e.ndjson")
    r = s.cli("gen", "events", "--dossiers", "10000", "--seed", "5", "--from", "2025-01-01",
              "--to", "2025-12-31", "-o", p, "--db", s.db)
    assert r.returncode == 0, r.stderr
    size0 = os.path.getsize(path)
    proc = subprocess.Popen([s.binary, "import", "events", p, "--db", s.db],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # killed once its pages go to the file (the page cache, 4 MiB, spilled), under
    # the journal (switching to it makes and removes a journal of its own first)
    deadline = time.time() + 120
    while not (os.path.exists(path + "-journal") and os.path.getsize(path) > size0 + (6 << 20)) \
            and proc.poll() is None and time.time() < deadline:
        time.sleep(0.005)
    assert proc.poll() is None, "the import ended before it was seen writing"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert os.path.exists(path + "-journal")
    s.start()
    assert journal(s.db) == "wal"
    assert db_rows(s.db, "SELECT count(*) FROM dossier_events")[0][0] == 0
    assert not os.path.exists(path + "-journal")
    # and the same file imports whole afterwards
    r = s.cli("import", "events", p, "--db", s.db)
    assert r.returncode == 0 and " 0 refused" in r.stdout, r.stderr[-500:]
    # a rebuild reads the codes 5,000 at a time: two pages here, the second read after
    # the last code of the first; it makes what the import made
    n = db_rows(s.db, "SELECT count(*) FROM dossiers")[0][0]
    assert 5000 < n <= 10000
    r = s.cli("rebuild", "--db", s.db)
    assert r.returncode == 0 and "rebuilt %d dossiers" % n in r.stdout, (r.stdout, r.stderr)
    assert "rebuild: %d dossiers, done" % n in r.stderr, r.stderr
    check_against_rebuild(s, "a rebuild by pages of codes")


def test_file_read_on_its_own_thread(ctx):
    """The file is read and its events prepared on a thread of their own
    (src/cli/evreader.c) while the chunk before is added: three chunks, with
    lines that are not events in each and an event refused in the second.
    All or nothing stops at the first bad line and writes nothing; --partial
    reports each bad line by its number, takes every good event, and makes
    what the same file without the bad lines makes."""
    s = stopped_demo(ctx)
    d, clean, lines = generated(s, 5000, 6)
    assert len(lines) > 25000  # three chunks of 10,000
    out, bad_at = [], []
    for i, line in enumerate(lines):
        out.append(line)
        if i in (4, 6, 12001, 24002):  # broken JSON: two in chunk 1, one in chunks 2 and 3
            out.append('{"id": "x", "source": ')
            bad_at.append(len(out))
        if i == 15003:  # a well-formed event that is refused
            o = dict(json.loads(lines[0]), id="REFUSED-1", dossier="REFUSED-D",
                     unit="KHONG-CO")
            out.append(json.dumps(o))
            bad_at.append(len(out))
    p = os.path.join(d, "bad.ndjson")
    with open(p, "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")
    r = s.cli("import", "events", p, "--db", s.db)
    assert r.returncode == 1 and "0 events accepted" in r.stdout, (r.stdout, r.stderr[-500:])
    named = [l for l in r.stderr.splitlines() if l.startswith(p + ":")]
    assert named == [p + ":%d: column 22: unexpected token near end of file" % bad_at[0]], \
        r.stderr[-500:]
    assert db_rows(s.db, "SELECT count(*) FROM dossier_events")[0][0] == 0
    r = s.cli("import", "events", p, "--partial", "--db", s.db)
    assert r.returncode == 1, r.stdout
    assert "%d events accepted, 0 already stored, 5 refused" % len(lines) in r.stdout, r.stdout
    # in file order: each chunk's bad lines, then its refused events
    named = [int(l[len(p) + 1:].split(":")[0]) for l in r.stderr.splitlines()
             if l.startswith(p + ":")]
    assert named == bad_at, (named, bad_at)
    assert "bad.ndjson:%d: unit: unknown unit 'KHONG-CO'" % bad_at[3] in r.stderr, r.stderr[-800:]
    assert db_rows(s.db, "SELECT count(*) FROM dossier_events")[0][0] == len(lines)
    s2 = stopped_demo(ctx)
    r = s2.cli("import", "events", clean, "--db", s2.db)
    assert r.returncode == 0 and " 0 refused" in r.stdout, r.stderr[-500:]
    a, b = agg_state(s.db), agg_state(s2.db)
    assert a[1] == b[1] and [x[:-1] for x in a[0]] == [x[:-1] for x in b[0]]
    # CSV: a record of the wrong width in the second chunk, by its line
    head = "id,source,dossier,type,at,unit,procedure,channel"
    first = json.loads(lines[0])
    rows = [head] + ["c%d,csv,CSV-%d,received,2025-03-03T08:00:00+07:00,%s,%s,counter"
                     % (k, k, first["unit"], first["procedure"]) for k in range(12000)]
    rows.insert(11001, "a,b,c")
    c = os.path.join(d, "e.csv")
    with open(c, "w", encoding="utf-8") as f:
        f.write("\n".join(rows) + "\n")
    r = s.cli("import", "events", c, "--partial", "--db", s.db)
    assert "12000 events accepted, 0 already stored, 1 refused" in r.stdout, r.stdout
    assert "e.csv:11002: 3 fields, the header has 8" in r.stderr, r.stderr[-500:]
    # a CSV file without its header fails whole, even with --partial, and says why
    with open(c, "w", encoding="utf-8") as f:
        f.write("")
    r = s.cli("import", "events", c, "--partial", "--db", s.db)
    assert r.returncode == 1 and "dieuhanh: %s:1: the file is empty" % c in r.stderr, r.stderr


def test_rebuild_stops_at_a_corrupt_event_and_derives_missing_rows(ctx):
    """The rebuild parses chunk k+1 on a worker thread while it derives chunk k
    (5,000 dossiers each). A stored event that is not JSON, in the second
    chunk, stops it with the event named and nothing changed. Rows deleted
    from both chunks (an event log restored on its own) are derived again:
    the rebuild lists the dossiers that have events, not only rows."""
    s = stopped_demo(ctx)
    _d, p, _lines = generated(s, 6000, 12)
    r = s.cli("import", "events", p, "--db", s.db)
    assert r.returncode == 0 and " 0 refused" in r.stdout, r.stderr[-500:]
    whole = agg_state(s.db)
    codes = [c for (c,) in db_rows(s.db, "SELECT DISTINCT dossier FROM dossier_events")]
    codes.sort(key=lambda c: c.encode())
    assert len(codes) > 5500
    src, eid, body = db_rows(s.db, "SELECT source, id, body FROM dossier_events WHERE dossier = ?"
                             " ORDER BY seq LIMIT 1", codes[5200])[0]
    db_rows(s.db, "UPDATE dossier_events SET body = ? WHERE source = ? AND id = ?",
            "{not json", src, eid)
    r = s.cli("rebuild", "--quiet", "--db", s.db)
    assert r.returncode != 0, r.stdout
    assert "stored event %s/%s" % (src, eid) in r.stderr, r.stderr
    assert agg_state(s.db) == whole, "a failed rebuild changed the rows or the cells"
    db_rows(s.db, "UPDATE dossier_events SET body = ? WHERE source = ? AND id = ?", body, src, eid)
    gone = [codes[3], codes[5001], codes[-1]]
    db_rows(s.db, "DELETE FROM dossiers WHERE code IN (?, ?, ?)", *gone)
    r = s.cli("rebuild", "--quiet", "--db", s.db)
    assert r.returncode == 0 and "rebuilt %d dossiers" % len(codes) in r.stdout, r.stderr
    assert agg_state(s.db) == whole, "the rebuild did not derive the missing rows"
