#!/usr/bin/env python3
"""bench/snapshot.py - the first answer of a server at the mega-province's size (issue 20,
point 2: "first answer after a start or a rebuild <= 5 s"), from the aggregates' cells and
from their snapshot (src/app/aggsnap.c), with the province overview's p50/p99 over HTTP, the
HTTP floor and the GROUP BY baseline measured in the same run.

usage: bench/snapshot.py DBPATH [N]
DBPATH: a SQLite file made by build/bench/mega (or build/bench/kpis); N overview requests
(default 1000). Steps, each on build/dieuhanh serve (a free port):
 1. the snapshot removed: a start loads the copy from every cell of agg_days; the time from
    the server's start to its first answer of GET /api/v1/kpis?unit=HCM&subtree=1
    &group_by=unit&period=2026-10 (the warm-up and the query wait on the same load), and the
    server's RSS then; its job aggregates_snapshot then saves the snapshot (its time and size);
 2. a new start, which loads the snapshot and the cells changed since: the same timings, and
    the same answer as in 1;
 3. the overview for 2025 and 2026-10 (N requests each) and GET /api/v1/health (the floor) on
    one keep-alive connection; the SQL GROUP BY of bench/kpis.c over the dossiers table for the
    same periods, 3 runs each (GB_RUNS). The periods: a day, a month, a quarter, a year and
    ten years.
The file is changed only in agg_snap and the meta counters of the snapshot."""
import atexit
import http.client
import json
import os
import socket
import sqlite3
import subprocess
import sys
import time

from pages import free_port

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DB = sys.argv[1] if len(sys.argv) > 1 else sys.exit(__doc__)
N = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
OVERVIEW = "/api/v1/kpis?unit=HCM&subtree=1&group_by=unit&period="

GROUP_SQL = """SELECT receiving_unit,
 SUM(received_at >= ?1 AND channel = 'online'), SUM(received_at >= ?1 AND channel <> 'online'),
 SUM(received_at < ?1), SUM(finished_at < ?2 AND outcome = 'early'),
 SUM(finished_at < ?2 AND outcome = 'on_time'), SUM(finished_at < ?2 AND outcome = 'late'),
 SUM(finished_at IS NULL OR finished_at >= ?2),
 SUM((finished_at IS NULL OR finished_at >= ?2) AND due_effective < ?2),
 SUM(received_at >= ?1 AND channel = 'online' AND by_applicant),
 SUM(received_at >= ?1 AND digitised_input), SUM(received_at >= ?1 AND paid),
 SUM(received_at >= ?1 AND paid_online), SUM(finished_at < ?2 AND rating > 0),
 SUM(finished_at < ?2 AND rating >= 4),
 SUM(CASE WHEN finished_at < ?2 THEN used_minutes ELSE 0 END)
 FROM dossiers WHERE state <> 'incomplete' AND received_at < ?2
 AND (finished_at IS NULL OR finished_at >= ?1) GROUP BY receiving_unit"""

# the periods as [start, end) instants (local midnight, UTC+7): a day, a month, a quarter,
# a year, ten years
PERIODS = {"2026-10-15": (1791997200, 1792083600), "2026-10": (1790787600, 1793466000),
           "2026-Q3": (1782838800, 1790787600), "2025": (1735664400, 1767200400),
           "2016-11-01..2026-10-31": (1477933200, 1793466000)}
GB_RUNS = int(os.environ.get("GB_RUNS", "3"))


def meta(db, key):
    with sqlite3.connect(db, timeout=60) as c:
        r = c.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return r[0] if r else 0


def rss_mb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0


class Server:
    def __init__(self, env):
        self.port = free_port()
        self.t0 = time.perf_counter()
        self.proc = subprocess.Popen(
            [os.path.join(ROOT, "build", "dieuhanh"), "serve", "--db", "sqlite:" + DB,
             "--listen", "127.0.0.1:%d" % self.port],
            stderr=subprocess.DEVNULL, env=dict(os.environ, **env))
        atexit.register(self.proc.kill)  # not left running when a step fails
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.02)
        self.c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        self.c.request("POST", "/api/v1/login",
                       body=json.dumps({"login": "admin", "password": "dieuhanh-demo"}),
                       headers={"Content-Type": "application/json"})
        r = self.c.getresponse()
        self.hdr = {"Authorization": "Bearer " + json.loads(r.read())["token"]}

    def get(self, path):
        t = time.perf_counter()
        self.c.request("GET", path, headers=self.hdr)
        r = self.c.getresponse()
        body = r.read()
        assert r.status == 200, (path, r.status, body[:200])
        return (time.perf_counter() - t) * 1000, body

    def first(self):
        _, body = self.get(OVERVIEW + "2026-10")
        return (time.perf_counter() - self.t0), body, rss_mb(self.proc.pid)

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p / 100))]


def main():
    with sqlite3.connect(DB, timeout=60) as c:
        if c.execute("SELECT 1 FROM sqlite_schema WHERE name = 'agg_snap'").fetchone():
            c.execute("DELETE FROM agg_snap")  # else the server's migration makes it
        c.execute("DELETE FROM meta WHERE key = 'agg_snap_gen'")
        c.execute("DELETE FROM job_leases WHERE name = 'aggregates_snapshot'")
        cells = c.execute("SELECT count(*) FROM agg_days").fetchone()[0]
        ndoss = c.execute("SELECT count(*) FROM dossiers").fetchone()[0]
    print("snapshot bench: %s, %d dossiers, %d day cells" % (DB, ndoss, cells))
    env = {"DIEUHANH_AGG_SNAPSHOT_INTERVAL": "1", "DIEUHANH_AGG_SNAPSHOT_MIN_CELLS": "1"}
    s = Server(env)
    t_cells, a1, rss1 = s.first()
    print("  1. start from the cells: first answer %.2f s, server RSS %.0f MB" % (t_cells, rss1))
    t = time.perf_counter()
    while meta(DB, "agg_snap_gen") == 0:
        time.sleep(0.05)
    t_save = time.perf_counter() - t
    with sqlite3.connect(DB, timeout=60) as c:
        parts, size = c.execute("SELECT count(*), sum(length(data)) FROM agg_snap").fetchone()
    print("     the job saved the snapshot %.2f s after that answer: %.1f MB in %d parts"
          % (t_save, size / 1e6, parts))
    s.stop()
    s = Server(env)
    t_snap, a2, rss2 = s.first()
    assert a1 == a2, "the answers differ"
    print("  2. start from the snapshot: first answer %.2f s, server RSS %.0f MB; the same "
          "answer; %.1fx faster" % (t_snap, rss2, t_cells / t_snap))
    for _ in range(20):
        s.get("/api/v1/health")
    floor = [s.get("/api/v1/health")[0] for _ in range(N)]
    print("  3. GET /api/v1/health p50 %.2f ms p99 %.2f ms" % (pct(floor, 50), pct(floor, 99)))
    for name, (lo, hi) in PERIODS.items():
        # a new connection: the server closes one left idle during the last GROUP BY
        s.c.close()
        s.c = http.client.HTTPConnection("127.0.0.1", s.port, timeout=600)
        for _ in range(20):
            s.get(OVERVIEW + name)
        xs = [s.get(OVERVIEW + name)[0] for _ in range(N)]
        gb = []
        with sqlite3.connect(DB, timeout=60) as c:
            for _ in range(GB_RUNS):
                t = time.perf_counter()
                c.execute(GROUP_SQL, (lo, hi)).fetchall()
                gb.append((time.perf_counter() - t) * 1000)
        print("     overview %-22s p50 %.2f ms p99 %.2f ms; GROUP BY p50 %.0f ms; GROUP BY / "
              "overview p99 %.0fx (p50 %.0fx)"
              % (name, pct(xs, 50), pct(xs, 99), pct(gb, 50), pct(gb, 50) / pct(xs, 99),
                 pct(gb, 50) / pct(xs, 50)))
    s.stop()


if __name__ == "__main__":
    main()
