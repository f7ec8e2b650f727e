#!/usr/bin/env python3
"""The rebuild from the events alone (issue 20), at a tiny size.

`build/bench/mega --events-only` stores a mega-province's dossier events and
neither their rows nor their aggregate cells, as after an event log restored
on its own. `dieuhanh rebuild` must then derive every row and every cell, and
they must be exactly those `mega` writes with the same seed (whose cells
`mega --check` compares with a rebuild of its own): the same dossiers (all
but updated_at), the same cells by (unit, procedure, field, day), the same
stored events.

usage: tests/mega_rebuild_check.py MEGA DIEUHANH DIR [N]
"""
import os
import sqlite3
import subprocess
import sys


def snapshot(path):
    db = sqlite3.connect(path)
    cells = db.execute("SELECT k.unit, k.procedure, k.field, d.day, d.cell FROM agg_days d "
                       "JOIN agg_keys k ON k.id = d.key").fetchall()
    cols = [r[1] for r in db.execute("PRAGMA table_info(dossiers)") if r[1] != "updated_at"]
    rows = db.execute("SELECT %s FROM dossiers" % ", ".join(cols)).fetchall()
    events = db.execute("SELECT source, id, dossier, type, at, body FROM dossier_events").fetchall()
    db.close()
    return {"cells": cells, "dossiers": rows, "events": events}


def main():
    if len(sys.argv) not in (4, 5):
        sys.exit(__doc__)
    mega, dieuhanh, out = sys.argv[1:4]
    n = sys.argv[4] if len(sys.argv) == 5 else "2000"
    whole, events = os.path.join(out, "mega_whole.db"), os.path.join(out, "mega_events.db")
    for p in (whole, events):
        if os.path.exists(p):
            os.remove(p)
    run = lambda *a: subprocess.run(a, check=True, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, text=True).stdout
    run(mega, "--dossiers", n, "--seed", "11", "--db", whole)
    run(mega, "--dossiers", n, "--seed", "11", "--db", events, "--events-only")
    before = snapshot(events)
    if before["dossiers"] or before["cells"] or not before["events"]:
        sys.exit("FAIL: --events-only stored %d rows, %d cells, %d events" %
                 (len(before["dossiers"]), len(before["cells"]), len(before["events"])))
    said = run(dieuhanh, "rebuild", "--quiet", "--db", "sqlite:" + events)
    if "rebuilt %s dossiers" % n not in said:
        sys.exit("FAIL: rebuild said %r" % said)
    a, b = snapshot(whole), snapshot(events)
    bad = 0
    for what in ("dossiers", "cells", "events"):
        x, y = set(a[what]), set(b[what])
        print("%s: %d written by mega, %d rebuilt from the events, %d missing, %d extra" %
              (what, len(x), len(y), len(x - y), len(y - x)))
        bad += len(x ^ y) + (len(x) != len(a[what])) + (not x)
    if bad:
        sys.exit("FAIL: the rebuild from the events is not what mega writes")
    print("ok: every row and cell rebuilt from the events alone")


if __name__ == "__main__":
    main()
