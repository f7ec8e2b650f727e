"""The snapshot of the readers' copy of the service aggregates (issue 20,
point 2; src/app/aggsnap.c): `dieuhanh rebuild` saves it, a server started
afterwards loads it and then only the cells changed since, and every answer
equals that of a copy read from every cell. A snapshot that does not fit
(cut, foreign) is ignored; the server's job saves one after a load from the
cells."""
import os
import tempfile
import time

from harness import db_rows
from test_metrics import scrape, value

PERIODS = ["2025-03", "2025", "2025-Q3", "2026-01"]


def answers(s, token):
    out = []
    for p in PERIODS:
        for g in ("unit", "procedure", "field"):
            r = s.request("GET", "/api/v1/kpis?unit=HCM&subtree=1&group_by=%s&period=%s" % (g, p),
                          token=token)
            assert r.status == 200, r
            out.append(r.json)
    return out


def reloads(s, token, cache):
    samples, _ = scrape(s, token=token)
    return value(samples, "dieuhanh_cache_reloads_total", cache=cache)


def gen_import(s, seed, n, start, end):
    d = tempfile.mkdtemp(prefix="dh-snap-")
    p = os.path.join(d, "e.ndjson")
    r = s.cli("gen", "events", "--dossiers", str(n), "--seed", str(seed), "--from", start,
              "--to", end, "-o", p, "--db", s.db)
    assert r.returncode == 0, r.stderr
    r = s.cli("import", "events", p, "--db", s.db)
    assert r.returncode == 0 and " 0 refused" in r.stdout, (r.stdout, r.stderr[-500:])


def restart(s):
    s.stop()
    s.start()
    return s.login("admin")


def test_snapshot_saved_loaded_and_followed_by_later_cells(ctx):
    s = ctx.server(demo=True)
    gen_import(s, 3, 1500, "2025-01-01", "2025-12-31")
    admin = restart(s)
    base = answers(s, admin)  # the copy read from every cell
    assert reloads(s, admin, "aggregates snapshot") == 0
    s.stop()
    small = {"DIEUHANH_AGG_SNAPSHOT_MIN_CELLS": "1"}
    r = s.cli("rebuild", "--quiet", "--db", s.db, env=small)
    assert r.returncode == 0 and "saved the aggregates' snapshot" in r.stdout, (r.stdout, r.stderr)
    # a second rebuild meets the first one's snapshot, of the epoch before:
    # expected, so nothing is said about it
    r = s.cli("rebuild", "--quiet", "--db", s.db, env=small)
    assert r.returncode == 0 and "saved the aggregates' snapshot" in r.stdout, (r.stdout, r.stderr)
    assert "does not fit" not in r.stderr, r.stderr
    gen = db_rows(s.db, "SELECT value FROM meta WHERE key = 'agg_snap_gen'")[0][0]
    assert gen > 0 and db_rows(s.db, "SELECT count(*) FROM agg_snap WHERE gen = ?", gen)[0][0] >= 1
    s.start()
    admin = s.login("admin")
    assert answers(s, admin) == base
    assert reloads(s, admin, "aggregates snapshot") == 1

    # later dossiers: the snapshot, then the cells changed since
    gen_import(s, 4, 600, "2025-06-01", "2026-02-28")
    admin = restart(s)
    after = answers(s, admin)
    assert after != base
    assert reloads(s, admin, "aggregates snapshot") == 1
    s.stop()
    db_rows(s.db, "DELETE FROM agg_snap")
    s.start()
    admin = s.login("admin")
    assert answers(s, admin) == after  # read from every cell: the same
    assert reloads(s, admin, "aggregates snapshot") == 0


def test_snapshot_that_does_not_fit_is_ignored_and_the_job_saves_one(ctx):
    s = ctx.server(demo=True)
    gen_import(s, 5, 800, "2025-01-01", "2025-12-31")
    admin = restart(s)
    base = answers(s, admin)
    s.stop()
    small = {"DIEUHANH_AGG_SNAPSHOT_MIN_CELLS": "1"}
    r = s.cli("rebuild", "--quiet", "--db", s.db, env=small)
    assert "saved the aggregates' snapshot" in r.stdout, (r.stdout, r.stderr)
    # a part renumbered: the parts do not follow; ignored, the cells read
    db_rows(s.db, "UPDATE agg_snap SET part = part + 7")
    s.start()
    admin = s.login("admin")
    assert answers(s, admin) == base
    assert reloads(s, admin, "aggregates snapshot") == 0
    assert "does not fit this database" in s.read_log(None)
    s.stop()
    # a snapshot of another epoch (a rebuild since): ignored as well, and
    # not reported (expected: the next save replaces it)
    db_rows(s.db, "UPDATE agg_snap SET part = part - 7")
    db_rows(s.db, "UPDATE meta SET value = value + 1 WHERE key = 'agg_epoch'")
    s.start()
    admin = s.login("admin")
    assert answers(s, admin) == base
    assert reloads(s, admin, "aggregates snapshot") == 0
    assert "does not fit this database" not in s.read_log(None)
    s.stop()
    # the server's job saves one after its load from the cells
    before = db_rows(s.db, "SELECT value FROM meta WHERE key = 'agg_snap_gen'")[0][0]
    # (the servers above claimed the job for its default interval)
    db_rows(s.db, "DELETE FROM job_leases WHERE name = 'aggregates_snapshot'")
    s.env = dict(small, DIEUHANH_AGG_SNAPSHOT_INTERVAL="1")
    s.start()
    deadline = time.time() + 30
    while time.time() < deadline:
        now = db_rows(s.db, "SELECT value FROM meta WHERE key = 'agg_snap_gen'")[0][0]
        if now > before:
            break
        time.sleep(0.2)
    assert now > before, s.read_log()
    s.env = None
    admin = restart(s)
    assert answers(s, admin) == base
    assert reloads(s, admin, "aggregates snapshot") == 1
