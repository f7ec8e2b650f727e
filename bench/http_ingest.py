#!/usr/bin/env python3
"""bench/http_ingest.py - HTTP ingestion: POST /api/v1/dossier-events in batches of 100 from
several client threads against a real `dieuhanh serve`, counting only acknowledged (2xx)
events. The baseline in the same run: the same client against GET /api/v1/health, i.e. what
the HTTP path alone (client, loopback, server loop) allows.

usage: bench/http_ingest.py [--events N] [--threads T]
"""
import argparse
import http.client
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))
import harness  # noqa: E402


def drive(port, tok, work, path, method, threads, per_item):
    """Sends work (request bodies, or None for a GET each) to path from
    `threads` client threads, item j from thread j % threads; returns the
    items acknowledged (2xx) times per_item, and the seconds it took."""
    acked = [0] * threads

    def run(k):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        h = {"Authorization": "Bearer " + tok, "Content-Type": "application/json"}
        for j in range(k, len(work), threads):
            conn.request(method, path, body=work[j], headers=h)
            r = conn.getresponse()
            r.read()
            if 200 <= r.status < 300:
                acked[k] += per_item
        conn.close()

    ts = [threading.Thread(target=run, args=(k,)) for k in range(threads)]
    t0 = time.time()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return sum(acked), time.time() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=200000)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--bin", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                  "..", "build", "dieuhanh"))
    a = ap.parse_args()
    s = harness.Server(a.bin, demo=True)
    try:
        tok = s.login("admin")
        gen = s.cli("gen", "events", "--dossiers", str(a.events // 5 + 1000), "--seed", "3",
                    "--from", "2025-01-01", "--to", "2026-10-31", "--db", s.db)
        lines = gen.stdout.splitlines()[:a.events]
        # keep each dossier's events in one batch-friendly order: as generated
        batches = [lines[i:i + 100] for i in range(0, len(lines), 100)]
        bodies = [('{"events":[' + ",".join(b) + "]}").encode() for b in batches]
        events, el = drive(s.port, tok, bodies, "/api/v1/dossier-events", "POST", a.threads, 100)
        rate = events / el
        n, el2 = drive(s.port, tok, [None] * len(bodies), "/api/v1/health", "GET", a.threads, 1)
        req_rate = n / el2
        print("http ingest: %d events acknowledged in %.1fs = %.0f events/s (batches of 100, "
              "%d client threads); baseline GET /health %.0f requests/s; ingest requests/s "
              "%.0f = %.2f of baseline" % (events, el, rate, a.threads, req_rate, rate / 100,
                                          rate / 100 / req_rate))
    finally:
        s.stop()
        s.cleanup()


if __name__ == "__main__":
    main()
