#!/usr/bin/env python3
"""bench/pages.py - every dashboard page over HTTP on a large database (issue 6: "every
page is generated in under 50 ms of server time at 10 million dossiers").

usage: bench/pages.py [DBPATH] [N]
DBPATH: a database made by build/bench/kpis (default /tmp/dh-bench-kpis.db: 10,000,000
dossiers; run `build/bench/kpis 10000000` first). N requests per page (default 200).
Starts build/dieuhanh serve on 127.0.0.1 (a free port), signs in as the demo admin through
the form, waits for the aggregates to load, then times each page over one keep-alive
connection, with GET /api/v1/health as the HTTP floor measured in the same run. Client-side
latency on the loopback is an upper bound of the server's time. Prints p50/p99 per page and
the ratio of each p99 to the floor's.
With PAGES=mega, the pages of a file made by build/bench/mega (the merged city: HCM, its
commune HCM-C001, the dossier lists of every state over the city, a year and ten years of
the overview) instead of bench/kpis.c's demo units."""
import http.client
import os
import socket
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DB = sys.argv[1] if len(sys.argv) > 1 else "/tmp/dh-bench-kpis.db"
N = int(sys.argv[2]) if len(sys.argv) > 2 else 200
PAGES = [
    "/tong-quan?unit=HCM&period=2026-10",
    "/tong-quan?unit=BRVT-VT&period=2025-Q2",
    "/don-vi/VT-P1?period=2025-03",
    "/ho-so?unit=HCM",
    "/ho-so?unit=HCM&state=overdue",
    "/ho-so?unit=BRVT-VT&state=at_risk",
    "/ho-so?q=chung+thuc",
    "/bao-cao?unit=HCM&period=2026-Q3",
    "/chi-so-766?unit=BRVT-VT&period=2025-Q2",
    "/quan-tri",
    "/cong-khai/chi-so/BRVT-VT?period=2025-Q2",
]
if os.environ.get("PAGES") == "mega":
    PAGES = [
        "/tong-quan?unit=HCM&period=2026-10",
        "/tong-quan?unit=HCM&period=2025",
        "/tong-quan?unit=HCM&period=2016-11-01..2026-10-31",
        "/tong-quan?unit=HCM-C001&period=2026-Q3",
        "/don-vi/HCM-C001?period=2026-10",
        "/ho-so?unit=HCM",
        "/ho-so?unit=HCM&state=all",
        "/ho-so?unit=HCM&state=resolved",
        "/ho-so?unit=HCM&state=overdue",
        "/ho-so?unit=HCM-C001&state=all",
        "/ho-so?q=chung+thuc",
        "/bao-cao?unit=HCM&period=2026-Q3",
        "/chi-so-766?unit=HCM-C001&period=2026-Q3",
        "/quan-tri",
        "/cong-khai/chi-so/HCM-C001?period=2026-Q3",
    ]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def serve(db):
    """build/dieuhanh serve on the SQLite file db, once it accepts connections: (process,
    port). Also used by bench/trend.py."""
    port = free_port()
    srv = subprocess.Popen([os.path.join(ROOT, "build", "dieuhanh"), "serve", "--db",
                            "sqlite:" + db, "--listen", "127.0.0.1:%d" % port],
                           stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    return srv, port


def main():
    if not os.path.exists(DB):
        sys.exit("no %s: run build/bench/kpis 10000000 first" % DB)
    srv, port = serve(DB)
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        c.request("POST", "/dang-nhap", body="login=admin&password=dieuhanh-demo",
                  headers={"Content-Type": "application/x-www-form-urlencoded"})
        r = c.getresponse()
        r.read()
        cookie = r.getheader("Set-Cookie").split(";")[0]
        hdr = {"Cookie": cookie}

        def once(path):
            t = time.perf_counter()
            c.request("GET", path, headers=hdr)
            resp = c.getresponse()
            resp.read()
            assert resp.status == 200, (path, resp.status)
            return (time.perf_counter() - t) * 1000

        t0 = time.perf_counter()
        once(PAGES[0])  # the first query waits for the aggregates to load
        print("first page (aggregates loading): %.0f ms" % ((time.perf_counter() - t0) * 1000))

        def stats(path):
            for _ in range(3):
                once(path)
            xs = sorted(once(path) for _ in range(N))
            return xs[len(xs) // 2], xs[min(len(xs) - 1, int(len(xs) * 0.99))]

        f50, f99 = stats("/api/v1/health")
        print("%-45s p50 %7.2f ms  p99 %7.2f ms" % ("/api/v1/health (floor)", f50, f99))
        worst = 0
        for p in PAGES:
            p50, p99 = stats(p)
            worst = max(worst, p99)
            print("%-45s p50 %7.2f ms  p99 %7.2f ms  p99/floor %6.1fx" % (p, p50, p99, p99 / f99))
        print("pages: worst p99 %.2f ms (target < 50 ms), floor p99 %.2f ms" % (worst, f99))
    finally:
        srv.terminate()
        srv.wait()


if __name__ == "__main__":
    main()
