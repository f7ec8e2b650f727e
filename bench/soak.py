#!/usr/bin/env python3
"""bench/soak.py - a long run of mixed traffic against one server (issue 18, point 5):
does memory stay flat, latency stay steady, and no request fail with a 5xx?

usage: bench/soak.py [--minutes 10] [--clients 16] [--dossiers 5000] [--warmup 2]
                     [--sample 10] [--db URL] [--sqlite-cache-mib N] [--bin build/dieuhanh]
                     [--json FILE]

Loads the demo data (`dieuhanh demo --no-serve`) and --dossiers generated dossiers
(`gen events` + `import events`) into a database: a fresh SQLite file in a temporary folder,
or --db URL (also $DH_SOAK_DB), an empty database, e.g. PostgreSQL under scripts/pg-test.sh:

  scripts/pg-test.sh run -- sh -c 'nice -n 5 python3 bench/soak.py --db "$DH_PG_URL"'

then starts `dieuhanh serve` on a free loopback port with the server's default settings
(tests/e2e/harness.py's Server: its output, access log included, goes to a file), and runs
--clients threads for --minutes, each looping over a random mix:

  pages    40%  /tong-quan, /don-vi/{unit}, /ho-so, /chi-so-766, /bao-cao, /ke-hoach, /chi-tieu,
                /quan-tri, a stylesheet (session cookie, Accept-Encoding: gzip)
  reads    35%  /api/v1/units, dossiers, kpis, II.06a (JSON and CSV), /me, /metrics (token)
  ingest   15%  POST /api/v1/dossier-events, 20 new events (received, then processed)
  uploads  10%  POST /api/v1/files, a 32 KiB PDF

Every --sample seconds: the server's RSS (/proc/PID/status VmRSS) and, from its /metrics,
where the memory goes: SQLite's own (page caches, dieuhanh_sqlite_memory_bytes), the C heap
in use and free in glibc's arenas (dieuhanh_heap_bytes), the database's size.
--sqlite-cache-mib N sets DIEUHANH_SQLITE_CACHE_MIB for the server (default: unset, the
server's own default, as in production).

Verdict (issue 18, point 5), printed criterion by criterion; exit 0 when all hold:
  - RSS flat: after the --warmup minutes, the least-squares slope of RSS over the rest of the
    run times its length, as a share of the RSS when the warm-up ended, is under 10%;
  - p99 stable: no minute's p99 after the warm-up is over 3x the median of those minutes'
    p99s (the machine may be shared: run with `nice -n 5` and say so);
  - no answer is a 5xx or a failed connection, and the server did not die.
Client-side latency on the loopback, Python threads: an upper bound of the server's time.
"""
import argparse
import http.client
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
import harness  # noqa: E402
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\n%" + b"x" * (32 * 1024) + b"\ntrailer<<>>\n%%EOF\n"
PROCEDURE = {"procedures": [
    {"code": "9.999001", "name": "Thủ tục thử tải", "field": "Thử tải", "level": "commune",
     "duration": 3, "duration_unit": "working_days", "online_level": "full",
     "fee_bearing": False, "paper_result": True}]}


def run(*args):
    r = subprocess.run(list(args), capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("%s: %s" % (" ".join(args), r.stderr[-2000:]))
    return r.stdout


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def metrics(port, token):
    """The gauges of /metrics that tell where the memory goes: {name or name{labels}: value}."""
    want = ("dieuhanh_sqlite_memory_bytes", "dieuhanh_heap_bytes", "dieuhanh_database_size_bytes")
    out = {}
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        c.request("GET", "/metrics", headers={"Authorization": "Bearer " + token})
        body = c.getresponse().read().decode()
        c.close()
    except (OSError, http.client.HTTPException):
        return out
    for line in body.splitlines():
        if line.startswith(want):
            k, v = line.rsplit(" ", 1)
            out[k] = float(v)
    return out


def pct(v, p):
    if not v:
        return 0.0
    v = sorted(v)
    return v[min(len(v) - 1, int(p / 100.0 * len(v)))]


class Client(threading.Thread):
    def __init__(self, n, port, token, cookie, units, t0, stop, out):
        super().__init__(daemon=True)
        self.n, self.port, self.token, self.cookie, self.units = n, port, token, cookie, units
        self.t0, self.stop, self.out = t0, stop, out
        self.rng = random.Random(n)
        self.conn = None
        self.seq = 0
        self.open_dossiers = []

    def request(self, kind, method, path, body=None, headers=None):
        h = dict(headers or {})
        h["Accept-Encoding"] = "gzip"
        start = time.monotonic()
        status = 0
        for attempt in (1, 2):  # a keep-alive connection the server closed: once more
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
                self.conn.request(method, path, body=body, headers=h)
                r = self.conn.getresponse()
                r.read()
                status = r.status
                if r.getheader("Connection", "").lower() == "close":
                    self.conn.close()
                    self.conn = None
                break
            except (OSError, http.client.HTTPException):
                if self.conn:
                    self.conn.close()
                self.conn = None
                if attempt == 2:
                    status = -1  # a failed connection counts as a failure
        now = time.monotonic()
        self.out.append((now - self.t0, kind, now - start, status))
        return status

    def page(self):
        u = self.rng.choice(self.units)
        path = self.rng.choice([
            "/tong-quan", "/tong-quan?unit=%s&period=2025-Q2" % u, "/don-vi/%s" % u,
            "/ho-so?unit=%s" % u, "/ho-so?unit=%s&state=all" % u, "/chi-so-766?unit=%s" % u,
            "/bao-cao?unit=%s" % u, "/ke-hoach", "/chi-tieu", "/quan-tri", "/static/app.css"])
        self.request("page", "GET", path, headers={"Cookie": "dh_session=" + self.cookie})

    def read(self):
        u = self.rng.choice(self.units)
        path = self.rng.choice([
            "/api/v1/units", "/api/v1/units/%s" % u, "/api/v1/dossiers?unit=%s" % u,
            "/api/v1/kpis?unit=%s&period=2025-Q2" % u,
            "/api/v1/reports/ii06a?unit=%s&period=2025-03" % u,
            "/api/v1/reports/ii06a?unit=%s&period=2025-03&format=csv" % u,
            "/api/v1/me", "/metrics"])
        self.request("read", "GET", path, headers={"Authorization": "Bearer " + self.token})

    def ingest(self):
        evs = []
        for _ in range(20):
            self.seq += 1
            if self.open_dossiers and self.rng.random() < 0.4:
                code = self.open_dossiers.pop()
                evs.append({"id": "s%d-%d" % (self.n, self.seq), "source": "soak",
                            "dossier": code, "type": "processed",
                            "at": "2025-03-05T09:00:00+07:00"})
                continue
            code = "SOAK-%d-%d" % (self.n, self.seq)
            self.open_dossiers.append(code)
            evs.append({"id": "s%d-%d" % (self.n, self.seq), "source": "soak", "dossier": code,
                        "type": "received", "at": "2025-03-03T08:00:00+07:00",
                        "unit": self.rng.choice(self.units), "procedure": "9.999001"})
        del self.open_dossiers[:-500]
        self.request("ingest", "POST", "/api/v1/dossier-events",
                     body=json.dumps({"events": evs}).encode(),
                     headers={"Authorization": "Bearer " + self.token,
                              "Content-Type": "application/json"})

    def upload(self):
        self.request("upload", "POST", "/api/v1/files?name=soak-%d.pdf" % self.n, body=PDF,
                     headers={"Authorization": "Bearer " + self.token,
                              "Content-Type": "application/pdf"})

    def run(self):
        while not self.stop.is_set():
            x = self.rng.random()
            if x < 0.40:
                self.page()
            elif x < 0.75:
                self.read()
            elif x < 0.90:
                self.ingest()
            else:
                self.upload()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--dossiers", type=int, default=5000)
    ap.add_argument("--warmup", type=float, default=2)
    ap.add_argument("--sample", type=float, default=10)
    ap.add_argument("--db", default=os.environ.get("DH_SOAK_DB"),
                    help="an empty database to load and serve (default: a fresh SQLite file)")
    ap.add_argument("--sqlite-cache-mib", type=int,
                    help="DIEUHANH_SQLITE_CACHE_MIB for the server (default: its default)")
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "dieuhanh"))
    ap.add_argument("--json", help="also write the figures to this file")
    a = ap.parse_args()
    d = tempfile.mkdtemp(prefix="dh-soak-")
    db = a.db or "sqlite:" + os.path.join(d, "soak.db")
    srv = None
    try:
        run(a.bin, "demo", "--db", db, "--no-serve")
        ev = os.path.join(d, "events.ndjson")
        run(a.bin, "gen", "events", "--dossiers", str(a.dossiers), "--seed", "18", "--from",
            "2025-01-01", "--to", "2025-06-30", "-o", ev, "--db", db)
        run(a.bin, "import", "events", ev, "--db", db)
        if a.sqlite_cache_mib is not None:
            os.environ["DIEUHANH_SQLITE_CACHE_MIB"] = str(a.sqlite_cache_mib)
        else:
            os.environ.pop("DIEUHANH_SQLITE_CACHE_MIB", None)
        srv = harness.Server(a.bin, db=db)  # its output in its own folder
        port = srv.port
        token = srv.login("admin")
        cookie = srv.login("admin")
        srv.request("POST", "/api/v1/procedures", PROCEDURE, token=token)
        units = [u["code"] for u in srv.request("GET", "/api/v1/units?limit=500",
                                                token=token).json["items"]]

        stop = threading.Event()
        t0 = time.monotonic()
        outs = [[] for _ in range(a.clients)]
        clients = [Client(i, port, token, cookie, units, t0, stop, outs[i])
                   for i in range(a.clients)]
        for cl in clients:
            cl.start()
        rss, gauges = [], []
        end = t0 + a.minutes * 60
        mib = 1048576.0
        while time.monotonic() < end and srv.proc.poll() is None:
            rss.append((time.monotonic() - t0, rss_kib(srv.proc.pid)))
            g = metrics(port, token)
            gauges.append([round(rss[-1][0])] + [
                round(g.get(k, -mib) / mib, 1) for k in (  # -1: not reported
                    "dieuhanh_sqlite_memory_bytes", 'dieuhanh_heap_bytes{state="in_use"}',
                    'dieuhanh_heap_bytes{state="free"}', 'dieuhanh_heap_bytes{state="mapped"}',
                    "dieuhanh_database_size_bytes")])
            print("%6.0f s  RSS %7.1f MiB  sqlite %6s  heap in use %6.1f free %6.1f "
                  "mapped %6.1f  db %7.1f MiB  requests %d" % (
                      rss[-1][0], rss[-1][1] / 1024.0,
                      "%.1f" % gauges[-1][1] if gauges[-1][1] >= 0 else "-", *gauges[-1][2:],
                      sum(len(o) for o in outs)), flush=True)
            time.sleep(min(a.sample, max(0.0, end - time.monotonic())))
        stop.set()
        for cl in clients:
            cl.join(timeout=180)
        if srv.proc.poll() is None:
            rss.append((time.monotonic() - t0, rss_kib(srv.proc.pid)))
        died = srv.proc.poll() is not None

        reqs = sorted(x for o in outs for x in o)
        warm = a.warmup * 60
        after = [x for x in rss if x[0] >= warm]
        trend = 0.0
        if len(after) >= 3:
            n = len(after)
            mx = sum(t for t, _ in after) / n
            my = sum(v for _, v in after) / n
            slope = (sum((t - mx) * (v - my) for t, v in after) /
                     sum((t - mx) ** 2 for t, _ in after))
            trend = slope * (after[-1][0] - after[0][0]) / after[0][1]
        minutes = {}
        for t, kind, lat, st in reqs:
            minutes.setdefault(int(t // 60), []).append(lat)
        p99s = {m: pct(v, 99) for m, v in minutes.items() if m * 60 >= warm and len(v) >= 50}
        med = pct(list(p99s.values()), 50) if p99s else 0
        worst = max(p99s.values()) if p99s else 0
        by_kind = {}
        for t, kind, lat, st in reqs:
            by_kind.setdefault(kind, []).append((lat, st))
        fails = [x for x in reqs if x[3] >= 500 or x[3] < 0]
        statuses = {}
        for x in reqs:
            statuses[x[3]] = statuses.get(x[3], 0) + 1
        fig = {
            "minutes": a.minutes, "clients": a.clients, "warmup_minutes": a.warmup,
            "db": db.split("://")[0].split(":")[0], "sqlite_cache_mib": a.sqlite_cache_mib,
            "database_mib": gauges[-1][5] if gauges else None,
            "requests": len(reqs),
            "per_second": len(reqs) / (a.minutes * 60), "statuses": statuses,
            "failures_5xx_or_connection": len(fails), "server_died": died,
            "rss_mib": [[round(t), round(v / 1024.0, 1)] for t, v in rss],
            "rss_trend_after_warmup": trend,
            "memory_mib_sqlite_heapinuse_heapfree_mapped_db": gauges,
            "p99_per_minute_ms": {m: round(v * 1000, 1) for m, v in sorted(p99s.items())},
            "p99_worst_over_median": worst / med if med else 0,
            "by_kind": {k: {"n": len(v), "p50_ms": round(pct([l for l, _ in v], 50) * 1000, 1),
                            "p99_ms": round(pct([l for l, _ in v], 99) * 1000, 1)}
                        for k, v in sorted(by_kind.items())},
        }
        print(json.dumps(fig, indent=1))
        if a.json:
            with open(a.json, "w") as f:
                json.dump(fig, f, indent=1)
        checks = [
            ("RSS trend after a %g-minute warm-up %+.1f%% (%.1f -> %.1f MiB), limit 10%%" % (
                a.warmup, trend * 100, after[0][1] / 1024.0 if after else 0,
                after[-1][1] / 1024.0 if after else 0), len(after) >= 3 and trend < 0.10),
            ("p99 per minute after the warm-up: worst %.0f ms = %.2fx the median %.0f ms, "
             "limit 3x" % (worst * 1000, worst / med if med else 0, med * 1000),
             bool(p99s) and worst / med <= 3.0),
            ("5xx or failed connections: %d, server %s" % (len(fails), "died" if died else "up"),
             not fails and not died),
        ]
        for what, good in checks:
            print("%s  %s" % ("pass" if good else "FAIL", what))
        ok = all(good for _, good in checks)
        print("PASS" if ok else "FAIL")
        return 0 if ok else 1
    finally:
        if srv:
            srv.stop()
            srv.cleanup()
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
