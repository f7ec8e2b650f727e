#!/usr/bin/env python3
"""bench/trend.py - the KPI trends (issue 20, point 4) against the KPIs of one period, over
HTTP on a large database, in one run.

usage: bench/trend.py [DBPATH] [N]
DBPATH: a database made by build/bench/kpis (default /tmp/dh-bench-kpis.db; e.g.
`build/bench/kpis 3000000 /tmp/dh-i20-trend.db` first). N requests of each kind (default 300).
Starts build/dieuhanh serve on 127.0.0.1 (a free port), signs in as the demo admin, waits for
the aggregates to load, checks that the 120-month trend's received and resolved add up to
the year trend's and that a quarter of the same-quarter trend equals /api/v1/kpis of that
quarter, then times over one keep-alive connection:
  - GET /api/v1/kpis?unit=HCM&subtree=1&period=2026-10            (the baseline: one period)
  - GET /api/v1/kpis/trend?unit=HCM&subtree=1&from=2016-11-01&to=2026-10-31   (120 months)
  - GET /api/v1/kpis/trend?unit=HCM&subtree=1&same=2026-Q3&years=11   (same quarter, 11 years)
  - GET /api/v1/kpis?unit=HCM&subtree=1&from=2016-11-01&to=2026-10-31&group_by=month
    (the 120 months through the existing KPI API, one aggregate query per month)
  - GET /api/v1/health (the HTTP floor)
and prints p50/p99 of each and the ratio of each p99 to the one-period KPI answer's."""
import http.client
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pages import serve  # noqa: E402

DB = sys.argv[1] if len(sys.argv) > 1 else "/tmp/dh-bench-kpis.db"
N = int(sys.argv[2]) if len(sys.argv) > 2 else 300
BASE = "/api/v1/kpis?unit=HCM&subtree=1&period=2026-10"
ASKS = [
    ("trend, 120 months",
     "/api/v1/kpis/trend?unit=HCM&subtree=1&from=2016-11-01&to=2026-10-31"),
    ("trend, same quarter x 11 years",
     "/api/v1/kpis/trend?unit=HCM&subtree=1&same=2026-Q3&years=11"),
    ("kpis group_by=month, 120 months",
     "/api/v1/kpis?unit=HCM&subtree=1&from=2016-11-01&to=2026-10-31&group_by=month"),
]


def main():
    if not os.path.exists(DB):
        sys.exit("no %s: run build/bench/kpis N %s first" % (DB, DB))
    srv, port = serve(DB)
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        c.request("POST", "/api/v1/login",
                  body=json.dumps({"login": "admin", "password": "dieuhanh-demo"}),
                  headers={"Content-Type": "application/json"})
        r = c.getresponse()
        hdr = {"Authorization": "Bearer " + json.loads(r.read())["token"]}

        def get(path):
            c.request("GET", path, headers=hdr)
            resp = c.getresponse()
            body = resp.read()
            assert resp.status == 200, (path, resp.status, body[:300])
            return json.loads(body)

        def once(path):
            t = time.perf_counter()
            get(path)
            return (time.perf_counter() - t) * 1000

        t0 = time.perf_counter()
        get(BASE)  # the first query waits for the aggregates to load
        print("first answer (aggregates loading): %.0f ms" % ((time.perf_counter() - t0) * 1000))
        # the figures agree before anything is timed
        months = get(ASKS[0][1])["items"]
        years = get("/api/v1/kpis/trend?unit=HCM&subtree=1&by=year&from=2016-11-01"
                    "&to=2026-10-31")["items"]
        for k in ("received", "resolved", "resolved_in_time"):
            assert sum(i[k] for i in months) == sum(i[k] for i in years), k
        q = get(ASKS[1][1])["items"][-2]  # 2025-Q3
        t = get("/api/v1/kpis?unit=HCM&subtree=1&period=%s" % q["key"])["total"]
        assert q["received"] == t["received_online"] + t["received_counter_postal"], (q, t)
        assert q["resolved"] == t["resolved_total"], (q, t)
        print("checked: 120 months = 10 years; %s = /api/v1/kpis (%d received)"
              % (q["key"], q["received"]))

        def stats(path):
            for _ in range(3):
                once(path)
            xs = sorted(once(path) for _ in range(N))
            return xs[len(xs) // 2], xs[min(len(xs) - 1, int(len(xs) * 0.99))]

        f50, f99 = stats("/api/v1/health")
        b50, b99 = stats(BASE)
        print("%-34s p50 %8.2f ms  p99 %8.2f ms" % ("/api/v1/health (floor)", f50, f99))
        print("%-34s p50 %8.2f ms  p99 %8.2f ms  (baseline)" % ("kpis, one period (2026-10)",
                                                                b50, b99))
        for name, path in ASKS:
            p50, p99 = stats(path)
            print("%-34s p50 %8.2f ms  p99 %8.2f ms  p99/baseline %6.2fx  p50/baseline %6.2fx"
                  % (name, p50, p99, p99 / b99, p50 / b50))
    finally:
        srv.terminate()
        srv.wait()


if __name__ == "__main__":
    main()
