#!/usr/bin/env python3
"""bench/nodes.py - HTTP ingestion with two `dieuhanh serve` nodes behind nginx versus one
node, on PostgreSQL (issue 15). In one run, each on a fresh schema of the same cluster and with
the same generated events (POST /api/v1/dossier-events, batches of 100, several client threads,
only acknowledged events counted):

  one node, direct        the baseline
  one node behind nginx   what the proxy costs
  two nodes behind nginx  the deployment of docs/DEPLOY.md (docs/nginx/dieuhanh.conf)

For each it reports events/s, the ratio to the baseline, the runner's retries (serialization
failures the nodes ran again) and where the CPU time went: seconds of CPU of the PostgreSQL
cluster (postmaster and backends), of the dieuhanh nodes and of nginx, per 10,000 events.

usage: scripts/pg-test.sh run -- python3 bench/nodes.py [--events N] [--threads T]
(needs DH_PG_URL and DH_PG_DIR, as scripts/pg-test.sh gives them)
"""
import argparse
import os
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))
os.environ.setdefault("DH_E2E_PG_URL", os.environ.get("DH_PG_URL", ""))
import harness  # noqa: E402
import test_nodes  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def cpu_of(pid, children=False):
    """CPU seconds of a process (with its reaped children's when asked)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    t = int(fields[11]) + int(fields[12])  # utime, stime
    if children:
        t += int(fields[13]) + int(fields[14])  # cutime, cstime
    return t / TICK


def children_of(ppid):
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open("/proc/%s/stat" % d) as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == ppid:
                        out.append(int(d))
            except OSError:
                pass
    return out


def pg_cpu(pg_dir):
    with open(os.path.join(pg_dir, "data", "postmaster.pid")) as f:
        pm = int(f.readline())
    return cpu_of(pm, children=True) + sum(cpu_of(p) for p in children_of(pm))


def nginx_cpu(nginx_dir):
    try:
        with open(os.path.join(nginx_dir, "nginx.pid")) as f:
            master = int(f.read())
    except (OSError, ValueError, TypeError):
        return 0.0
    return cpu_of(master, children=True) + sum(cpu_of(p) for p in children_of(master))


class Ctx:
    def __init__(self, binary):
        self.binary = binary
        self.servers = []


def retries(nodes):
    n = 0
    for node in nodes:
        with open(os.path.join(node.dir, "server.log")) as f:
            n += f.read().count("transaction retried")
    return n


def run_one(binary, mode, lines, threads):
    ctx = Ctx(binary)
    c = test_nodes.Cluster(ctx)
    nodes = []
    try:
        nodes = [c.node() for _ in range(2 if mode == "two" else 1)]
        admin = nodes[0].login("admin")
        r = nodes[0].request("POST", "/api/v1/procedures", test_nodes.PROCS, token=admin)
        assert r.status == 201, r
        if mode != "direct":
            c.start_nginx(nodes)
        bodies = [('{"events":[' + ",".join(lines[i:i + 100]) + "]}").encode()
                  for i in range(0, len(lines), 100)]
        acked = [0] * threads
        resent = [0] * threads

        def post(body):
            if mode == "direct":
                return nodes[0].request("POST", "/api/v1/dossier-events", raw=body,
                                        token=admin, headers={"Content-Type": "application/json"})
            return c.via_nginx("POST", "/api/v1/dossier-events", raw=body, token=admin)

        def worker(k):
            for j in range(k, len(bodies), threads):
                while True:
                    r = post(bodies[j])
                    if r.status in (200, 201):
                        acked[k] += r.json["accepted"] + r.json["duplicates"]
                        break
                    assert r.status in (502, 503, 504), r
                    resent[k] += 1
                    time.sleep(0.05)

        ts = [threading.Thread(target=worker, args=(k,)) for k in range(threads)]
        pg0 = pg_cpu(os.environ["DH_PG_DIR"])
        dh0 = sum(cpu_of(n.proc.pid) for n in nodes)
        ng0 = nginx_cpu(c.nginx) if c.nginx else 0.0
        t0 = time.time()
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        el = time.time() - t0
        pg = pg_cpu(os.environ["DH_PG_DIR"]) - pg0
        dh = sum(cpu_of(n.proc.pid) for n in nodes) - dh0
        ng = (nginx_cpu(c.nginx) - ng0) if c.nginx else 0.0
        stored = harness.db_rows(c.db, "SELECT count(*) FROM dossier_events")[0][0]
        assert stored == len(lines) == sum(acked), (stored, len(lines), sum(acked))
        return {"events": sum(acked), "seconds": el, "rate": sum(acked) / el, "pg": pg,
                "dh": dh, "nginx": ng, "retries": retries(nodes), "resent": sum(resent)}
    finally:
        for n in nodes:
            n.stop()
            n.cleanup()
        c.close()
        harness.drop_pg_schemas()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=30000)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--bin", default=os.path.join(HERE, "..", "build", "dieuhanh"))
    a = ap.parse_args()
    if not os.environ.get("DH_PG_URL") or not os.environ.get("DH_PG_DIR"):
        sys.exit("bench/nodes.py: run it under scripts/pg-test.sh run -- (DH_PG_URL, DH_PG_DIR)")
    binary = os.path.abspath(a.bin)
    # the events, generated once against a demo database (units, procedures)
    ctx = Ctx(binary)
    c = test_nodes.Cluster(ctx)
    try:
        gen = subprocess.run([binary, "gen", "events", "--dossiers", str(a.events // 5 + 1000),
                              "--seed", "3", "--from", "2025-01-01", "--to", "2026-10-31",
                              "--db", c.db], capture_output=True, text=True, timeout=600)
        assert gen.returncode == 0, gen.stderr
        lines = gen.stdout.splitlines()[:a.events]
    finally:
        c.close()
        harness.drop_pg_schemas()
    results = {}
    for mode in ("direct", "nginx", "two"):
        results[mode] = run_one(binary, mode, lines, a.threads)
    base = results["direct"]["rate"]
    names = {"direct": "one node, direct", "nginx": "one node behind nginx",
             "two": "two nodes behind nginx"}
    print("HTTP ingestion on PostgreSQL, %d events in batches of 100, %d client threads:"
          % (len(lines), a.threads))
    for mode, r in results.items():
        per = 10000.0 / r["events"]
        print("  %-24s %7.0f events/s (%.2fx)  %5.1fs  CPU per 10,000 events: PostgreSQL "
              "%.2fs, dieuhanh %.2fs, nginx %.2fs; %d transactions retried, %d batches resent"
              % (names[mode], r["rate"], r["rate"] / base, r["seconds"], r["pg"] * per,
                 r["dh"] * per, r["nginx"] * per, r["retries"], r["resent"]))


if __name__ == "__main__":
    main()
