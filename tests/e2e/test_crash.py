"""Acknowledged means durable: kill -9 the server during ingestion, restart,
and compare the acknowledged event ids with the stored ones (issue 4)."""
import signal
import threading
import time

from harness import db_rows
from test_dossiers import PROCS, received, ev


def test_kill_during_ingestion_loses_nothing_acknowledged(ctx):
    s = ctx.server(demo=True)
    admin = s.login("admin")
    assert s.request("POST", "/api/v1/procedures", PROCS, token=admin).status == 201
    acked, stop = [], threading.Event()

    def sender():
        n = 0
        while not stop.is_set():
            batch = []
            for _ in range(50):
                n += 1
                code = "K-%d" % n
                batch.append(received("r%d" % n, code, "2025-03-03T08:00:00+07:00"))
                batch.append(ev("p%d" % n, code, "processed", "2025-03-04T08:00:00+07:00"))
            try:
                r = s.request("POST", "/api/v1/dossier-events", {"events": batch}, token=admin)
            except OSError:
                return
            if r.status in (200, 201):
                acked.extend((e["source"], e["id"]) for e in batch)

    t = threading.Thread(target=sender)
    t.start()
    deadline = time.time() + 30
    while len(acked) < 1000 and time.time() < deadline:
        time.sleep(0.05)
    s.proc.send_signal(signal.SIGKILL)
    s.proc.wait()
    stop.set()
    t.join()
    assert len(acked) >= 1000, len(acked)
    stored = set(db_rows(s.db, "SELECT source, id FROM dossier_events"))
    count = db_rows(s.db, "SELECT count(*) FROM dossier_events")[0][0]
    dossiers = db_rows(s.db, "SELECT count(*) FROM dossiers WHERE state = 'resolved'")[0][0]
    missing = set(acked) - stored
    assert not missing, "acknowledged but lost: %d, e.g. %s" % (len(missing), list(missing)[:3])
    assert count == len(stored)  # none doubled
    assert dossiers * 2 == count  # every stored batch was whole: both events of each dossier
    # the server starts again on the same database and answers
    s.start()
    admin = s.login("admin")
    r = s.request("GET", "/api/v1/dossiers/K-1", token=admin)
    assert r.status == 200 and r.json["state"] == "resolved"
