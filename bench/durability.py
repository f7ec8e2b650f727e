#!/usr/bin/env python3
"""bench/durability.py - the cost of synced commits: HTTP ingestion into a real
`dieuhanh serve` on SQLite with PRAGMA synchronous=FULL (the default: the WAL
is synced at every commit, so an acknowledged event survives a power failure)
against synchronous=NORMAL (synced at checkpoints only), in the same run, on
the same events, modes alternated (NORMAL, FULL, NORMAL, FULL...) so that the
machine's noise falls on both. Two loads: batches of 100 events from 4 client
threads (the bulk path) and single events from 4 threads (one commit per
event, the worst case for a sync per commit). Only 2xx answers are counted.
A third: `dieuhanh import events` of a file (one transaction, so one sync
at its commit plus the checkpoints').

usage: bench/durability.py [--events N] [--single N] [--repeat R] [--bin PATH]
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))
import harness  # noqa: E402
from http_ingest import drive  # noqa: E402


def one(binary, mode, lines, single, threads, import_file):
    os.environ["DIEUHANH_SQLITE_SYNCHRONOUS"] = mode
    s = harness.Server(binary, demo=True)
    try:
        tok = s.login("admin")
        bulk = [('{"events":[' + ",".join(lines[i:i + 100]) + "]}").encode()
                for i in range(0, len(lines), 100)]
        n1, t1 = drive(s.port, tok, bulk, "/api/v1/dossier-events", "POST", threads, 100)
        # single events: another seed's dossiers, so nothing is already stored
        ones = [('{"events":[' + l + "]}").encode() for l in single]
        n2, t2 = drive(s.port, tok, ones, "/api/v1/dossier-events", "POST", threads, 1)
        t0 = time.time()
        r = s.cli("import", "events", import_file, "--db", s.db)
        t3 = time.time() - t0
        assert r.returncode == 0, r.stderr
        return n1 / t1, n2 / t2, n1, n2, t3
    finally:
        s.stop()
        s.cleanup()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=50000)
    ap.add_argument("--single", type=int, default=3000)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--bin", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                  "..", "build", "dieuhanh"))
    a = ap.parse_args()
    g = harness.Server(a.bin, demo=True)
    try:
        gen = g.cli("gen", "events", "--dossiers", str(a.events // 5 + 1000), "--seed", "3",
                    "--from", "2025-01-01", "--to", "2026-10-31", "--db", g.db)
        lines = gen.stdout.splitlines()[:a.events]
        gen = g.cli("gen", "events", "--dossiers", str(a.single // 5 + 100), "--seed", "4",
                    "--from", "2025-01-01", "--to", "2026-10-31", "--db", g.db)
        single = gen.stdout.splitlines()[:a.single]
        import_file = os.path.join(os.path.dirname(g.dir), os.path.basename(g.dir) + ".ndjson")
        gen = g.cli("gen", "events", "--dossiers", str(a.events // 5), "--seed", "5",
                    "--from", "2025-01-01", "--to", "2026-10-31", "-o", import_file,
                    "--db", g.db)
    finally:
        g.stop()
        g.cleanup()
    res = {"normal": [], "full": []}
    for _ in range(a.repeat):
        for mode in ("normal", "full"):
            r = one(a.bin, mode, lines, single, a.threads, import_file)
            res[mode].append(r)
            print("%-6s batches of 100: %7.0f events/s (%d)   single events: %6.0f events/s (%d)"
                  "   import: %.2f s" % (mode, r[0], r[2], r[1], r[3], r[4]))
            sys.stdout.flush()
    os.unlink(import_file)
    best = {m: (max(x[0] for x in v), max(x[1] for x in v), min(x[4] for x in v))
            for m, v in res.items()}
    print("best of %d: batches FULL %.0f / NORMAL %.0f events/s = %.2f; single FULL %.0f / "
          "NORMAL %.0f events/s = %.2f; import FULL %.2f s / NORMAL %.2f s = %.2f"
          % (a.repeat, best["full"][0], best["normal"][0], best["full"][0] / best["normal"][0],
             best["full"][1], best["normal"][1], best["full"][1] / best["normal"][1],
             best["full"][2], best["normal"][2], best["full"][2] / best["normal"][2]))


if __name__ == "__main__":
    main()
