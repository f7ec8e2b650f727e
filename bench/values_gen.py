#!/usr/bin/env python3
"""bench/values_gen.py DB OUT.csv [SOURCE] - a CSV for `dieuhanh indicator import-values`: every
monthly indicator of the SQLite database DB (the demo's) x every unit valid over the month x
the twelve months from 2024-07 to 2025-06 (ratios as numerator/denominator, the others as
a value). Used by bench/values_pg.sh; the same database gives the same bytes."""
import csv
import json
import sqlite3
import sys


def main():
    db, out = sys.argv[1], sys.argv[2]
    source = sys.argv[3] if len(sys.argv) > 3 else "bench"
    con = sqlite3.connect(db)
    # not those of an obligation: the demo approved (locked) some of their periods
    taken = set()
    for (js,) in con.execute("SELECT indicators FROM obligations"):
        taken.update(json.loads(js))
    inds = [r for r in con.execute("SELECT code, aggregation FROM indicators "
                                   "WHERE period_type = 'month' ORDER BY code")
            if r[0] not in taken]
    units = con.execute("SELECT code, valid_from, coalesce(valid_to, '9999-12-31') FROM units "
                        "ORDER BY code").fetchall()
    months = ["%04d-%02d" % (2024 + (6 + k) // 12, (6 + k) % 12 + 1) for k in range(12)]
    n = 0
    with open(out, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["indicator", "unit", "period", "value", "numerator", "denominator", "source",
                    "id"])
        for i, (ind, agg) in enumerate(inds):
            for u, (unit, vfrom, vto) in enumerate(units):
                for m in months:
                    if not (vfrom <= m + "-01" and m + "-28" <= vto):
                        continue
                    n += 1
                    if agg == "ratio":
                        den = 100 + (i * 7 + u) % 300
                        w.writerow([ind, unit, m, "", den // 2, den, source, "v%d" % n])
                    else:
                        w.writerow([ind, unit, m, 1 + (i + u) % 50, "", "", source, "v%d" % n])
    print(n)


main()
