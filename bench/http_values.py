#!/usr/bin/env python3
"""bench/http_values.py - the data hub over HTTP at size (issue 8): POST /api/v1/indicator-values
in batches of 5,000 (200,000 values: the month in progress for every indicator x unit) to a real
`dieuhanh serve` on the database of build/bench/targets (12 million values; run that first),
with an API token, counting only acknowledged values. The baseline in the same run: the same
bodies POSTed by the same client with a wrong token (the server reads each body and answers
401: what moving the bytes over HTTP costs).

usage: bench/http_values.py [--db /tmp/dh-bench-targets.db] [--batch 5000] [--threads 1]
"""
import argparse
import http.client
import json
import os
import sqlite3
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))
import harness  # noqa: E402

NDIST, NCOMM, NIND = 37, 26, 200


def unit_code(u):
    if u == 0:
        return "BX"
    if u <= NDIST:
        return "BX-D%02d" % u
    return "BX-D%02d-C%02d" % ((u - 1 - NDIST) // NCOMM + 1, (u - 1 - NDIST) % NCOMM + 1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", default="/tmp/dh-bench-targets.db")
    ap.add_argument("--batch", type=int, default=5000)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--bin", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                  "..", "build", "dieuhanh"))
    a = ap.parse_args()
    if not os.path.exists(a.db):
        sys.exit("%s: no such database; run build/bench/targets first" % a.db)
    binary = os.path.abspath(a.bin)
    url = "sqlite:" + a.db
    nunits = 1 + NDIST + NDIST * NCOMM
    # the month in progress, as the server sees it: emptied first
    t = time.localtime()
    period = "%04d-%02d" % (t.tm_year, t.tm_mon)
    db = sqlite3.connect(a.db, timeout=60)
    first = db.execute("SELECT CAST(julianday(?) - julianday('1970-01-01') AS INTEGER)",
                       (period + "-01",)).fetchone()[0]
    db.execute("DELETE FROM indicator_values WHERE period_from = ?", (first,))
    db.execute("DELETE FROM indicator_periods WHERE period_from = ?", (first,))
    db.execute("DELETE FROM indicator_receipts WHERE source = 'bench-http'")
    db.commit()
    db.close()
    subprocess.run([binary, "user", "add", "bench-http", "--role", "admin", "--db", url],
                   input="bench-http-password\n", capture_output=True, text=True)
    r = subprocess.run([binary, "user", "token", "bench-http", "--name", "bench %d" % time.time(),
                        "--db", url], capture_output=True, text=True, check=True)
    token = r.stdout.strip().split()[-1]
    nonce = int(time.time())
    values = []
    for k in range(NIND):
        for u in range(nunits):
            o = {"indicator": "b%03d" % k, "unit": unit_code(u), "period": period,
                 "source": "bench-http", "id": "h-%d-%d-%d" % (nonce, k, u)}
            if k % 2:
                o["denominator"] = 200 + (k * 7 + u) % 300
                o["numerator"] = o["denominator"] // 2
            else:
                o["value"] = 100 + (k + u) % 50
            values.append(o)
    bodies = [json.dumps({"values": values[i:i + a.batch]}).encode()
              for i in range(0, len(values), a.batch)]
    port = harness.free_port()
    log = open("/tmp/dh-bench-http-values.log", "w")
    proc = subprocess.Popen([binary, "serve", "--db", url, "--listen", "127.0.0.1:%d" % port],
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 120
        while True:
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                c.request("GET", "/api/v1/health")
                if c.getresponse().status == 200:
                    break
            except OSError:
                pass
            if time.time() > deadline or proc.poll() is not None:
                sys.exit("the server did not start (see /tmp/dh-bench-http-values.log)")
            time.sleep(0.2)
        acked = [0] * a.threads
        lat = []

        def run(k, tok, expect):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
            h = {"Authorization": "Bearer " + tok, "Content-Type": "application/json"}
            for j in range(k, len(bodies), a.threads):
                t0 = time.time()
                conn.request("POST", "/api/v1/indicator-values", body=bodies[j], headers=h)
                resp = conn.getresponse()
                text = resp.read()
                lat.append(time.time() - t0)
                if resp.status == expect == 200:
                    acked[k] += json.loads(text)["accepted"]
                elif resp.status == expect:
                    acked[k] += 1
                else:
                    sys.stderr.write("batch %d: HTTP %d %s\n" % (j, resp.status, text[:300]))
            conn.close()

        def timed(tok, expect):
            ts = [threading.Thread(target=run, args=(k, tok, expect)) for k in range(a.threads)]
            t0 = time.time()
            for x in ts:
                x.start()
            for x in ts:
                x.join()
            return time.time() - t0

        el = timed(token, 200)
        got = sum(acked)
        lat.sort()
        p50, worst = lat[len(lat) // 2], lat[-1]
        acked[:] = [0] * a.threads
        el2 = timed("not-a-token", 401)
        print("http values: %d of %d values acknowledged in %.2f s = %.0f values/s (%d batches "
              "of %d, %d client threads; batch p50 %.0f ms, max %.0f ms); baseline the same "
              "bodies refused (401) %.2f s = %.0f values/s; ratio %.1fx"
              % (got, len(values), el, got / el, len(bodies), a.batch, a.threads, p50 * 1e3,
                 worst * 1e3, el2, len(values) / el2, el / el2))
        if got != len(values):
            sys.exit("not every value was acknowledged")
    finally:
        proc.terminate()
        proc.wait(timeout=60)
        log.close()


if __name__ == "__main__":
    main()
