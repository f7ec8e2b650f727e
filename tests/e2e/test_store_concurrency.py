"""Two processes writing at once (issue 14): the command line imports a file of
dossier events in one all-or-nothing transaction while the server ingests
batches over HTTP. The transaction runner must turn the busy database into
retries (logged by the server) and, past its bound, into 503 busy with
Retry-After, never a 500; every acknowledged event is stored exactly once.
"""
import json
import os
import subprocess
import tempfile
import time

from harness import DEMO_PASSWORD, db_rows, server_with
from test_dossiers import PROCS, received

BUSY_ENV = {"DIEUHANH_BUSY_TIMEOUT_MS": "50"}


def _until_not_busy(send):
    """Sends again while the server answers 503 busy (its start-up jobs write
    too, and a 50 ms busy timeout makes them collide), as a client honouring
    Retry-After would; at most 60 s."""
    deadline = time.time() + 60
    while True:
        r = send()
        if r.status != 503 or time.time() > deadline:
            return r
        assert r.header("Retry-After"), r
        time.sleep(0.05)


def _server_with_short_busy_timeout(ctx):
    s = server_with(ctx, BUSY_ENV, demo=True)

    def login(name):
        r = _until_not_busy(lambda: s.request("POST", "/api/v1/login",
                                              {"login": name, "password": DEMO_PASSWORD}))
        assert r.status == 200, r
        return r.json["token"]

    admin = login("admin")
    r = _until_not_busy(lambda: s.request("POST", "/api/v1/procedures", PROCS, token=admin))
    assert r.status == 201, r
    return s, login


def test_cli_import_and_http_ingestion_at_once(ctx):
    s, login = _server_with_short_busy_timeout(ctx)
    token = login("vanphong.vt")
    n_file = 40000
    d = tempfile.mkdtemp(prefix="dh-conc-")
    path = os.path.join(d, "lon.ndjson")
    with open(path, "w", encoding="utf-8") as f:
        for i in range(n_file):
            e = received(i, "F-%06d" % i, "2025-03-03T08:00:00+07:00")
            e["source"] = "tep"
            f.write(json.dumps(e) + "\n")
    env = dict(os.environ, **BUSY_ENV)
    cli = subprocess.Popen([s.binary, "import", "events", path, "--db", s.db],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    acked = set()
    statuses = {}
    batch_no = 0
    deadline = time.time() + 600
    # Keep pushing while the import runs, then a few batches more.
    extra = 5
    while extra > 0 and time.time() < deadline:
        if cli.poll() is not None:
            extra -= 1
        events = []
        for k in range(20):
            e = received("%d-%d" % (batch_no, k), "H-%05d-%02d" % (batch_no, k),
                         "2025-03-04T08:00:00+07:00")
            e["source"] = "http"
            events.append(e)
        while True:
            r = s.request("POST", "/api/v1/dossier-events", {"events": events}, token=token)
            statuses[r.status] = statuses.get(r.status, 0) + 1
            assert r.status != 500, r
            if r.status == 503:
                assert r.json and r.json["error"]["code"] == "busy", (r, r.headers)
                assert r.header("Retry-After"), r
                time.sleep(0.05)
                continue
            assert r.status in (200, 201), r
            for e in events:
                acked.add(e["id"])
            break
        batch_no += 1
    out, err = cli.communicate(timeout=600)
    assert cli.returncode == 0, (out, err)
    assert "%d events accepted" % n_file in out, out
    rows = db_rows(s.db, "SELECT id, count(*) FROM dossier_events WHERE source = 'http' "
                         "GROUP BY id")
    stored = {r[0]: r[1] for r in rows}
    assert set(stored) == acked, (len(stored), len(acked))
    assert all(c == 1 for c in stored.values())
    n = db_rows(s.db, "SELECT count(*) FROM dossier_events WHERE source = 'tep'")[0][0]
    assert n == n_file, n
    log = s.read_log(tail=None)  # the access log's lines come after the retries
    assert "transaction retried" in log, (statuses, log[-2000:])
