"""Several server nodes on one database behave as one system (issue 15).

Two `dieuhanh serve` processes on one database: on PostgreSQL (DH_E2E_PG_URL)
the deployment docs/DEPLOY.md describes, and on SQLite too (two processes on
one file is also a valid deployment, and the same rules must hold). The load
balancer is a real nginx (scripts/nginx-test.sh) configured with the sample
docs/nginx/dieuhanh.conf."""
import http.client
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time

import harness
from harness import db_rows
from test_dossiers import PROCS

HERE = os.path.dirname(os.path.abspath(__file__))
NGINX_TEST = os.path.join(HERE, "..", "..", "scripts", "nginx-test.sh")
KPIS = "/api/v1/kpis?unit=BRVT&subtree=1&from=2025-01-01&to=2025-12-31&group_by=unit"


class Node(harness.Server):
    """A `dieuhanh serve` on an existing database, on a port it keeps across
    restarts (nginx's upstream names it), with extra environment."""

    def __init__(self, binary, db, env=None):
        self.binary = os.path.abspath(binary)
        self.dir = tempfile.mkdtemp(prefix="dh-node-")
        self.db = db
        self.env = dict(os.environ, **(env or {}))
        self.port = harness.free_port()
        self.proc = None
        self.log = None
        self.start()

    def start(self):
        self.log = open(os.path.join(self.dir, "server.log"), "a")
        self.proc = subprocess.Popen(
            [self.binary, "serve", "--db", self.db, "--listen", "127.0.0.1:%d" % self.port],
            stdout=self.log, stderr=subprocess.STDOUT, env=self.env)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("node exited: " + self.read_log())
            try:
                if self.request("GET", "/api/v1/health").status == 200:
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("node did not start: " + self.read_log())

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.log.close()

    def holder_prefix(self):
        return ":%d:" % self.proc.pid  # dh_job_holder(): HOST:PID:START


class Cluster:
    """A database with the demo data and procedures, its nodes, and maybe
    an nginx in front of them; close() stops what it started."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.dir = tempfile.mkdtemp(prefix="dh-nodes-")
        self.db = harness.fresh_db(self.dir)
        r = subprocess.run([ctx.binary, "demo", "--db", self.db, "--no-serve"],
                           capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr
        self.nginx = None

    def node(self, env=None):
        n = Node(self.ctx.binary, self.db, env)
        self.ctx.servers.append(n)  # stopped (and its exit checked) by ctx.close
        return n

    def start_nginx(self, nodes):
        port = harness.free_port()
        r = subprocess.run(["sh", NGINX_TEST, "start", str(port)] +
                           ["127.0.0.1:%d" % n.port for n in nodes],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        env = dict(line[len("export "):].split("=", 1) for line in r.stdout.splitlines())
        self.nginx = env["DH_NGINX_DIR"]
        self.nginx_port = port

    def via_nginx(self, method, path, body=None, token=None, raw=None, source="127.0.0.1"):
        conn = http.client.HTTPConnection("127.0.0.1", self.nginx_port, timeout=60,
                                          source_address=(source, 0))
        h = {"Authorization": "Bearer " + token} if token else {}
        if raw is not None or body is not None:
            h["Content-Type"] = "application/json"
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        try:
            conn.request(method, path, body=data, headers=h)
            r = conn.getresponse()
            return harness.Response(r.status, r.getheaders(), r.read())
        finally:
            conn.close()

    def forget(self, node):
        """A node killed for good: not stopped or checked by ctx.close."""
        self.ctx.servers.remove(node)
        node.cleanup()

    def close(self):
        if self.nginx:
            subprocess.run(["sh", NGINX_TEST, "stop", self.nginx], timeout=60)
            self.nginx = None
        shutil.rmtree(self.dir, ignore_errors=True)


def lease(db, name):
    rows = db_rows(db, "SELECT holder, lease_until, due_at, claims, runs, done_by "
                       "FROM job_leases WHERE name = ?", name)
    return rows[0] if rows else None


def wait_for(what, check, seconds):
    deadline = time.time() + seconds
    while True:
        v = check()
        if v:
            return v
        if time.time() > deadline:
            raise AssertionError("%s: not within %g s" % (what, seconds))
        time.sleep(0.05)


def test_two_nodes_behind_nginx_one_killed_every_acknowledged_event_once(ctx):
    c = Cluster(ctx)
    try:
        trust = {"DIEUHANH_TRUSTED_PROXY": "127.0.0.1"}
        a, b = c.node(trust), c.node(trust)
        admin = a.login("admin")
        assert a.request("POST", "/api/v1/procedures", PROCS, token=admin).status == 201
        gen = subprocess.run([ctx.binary, "gen", "events", "--dossiers", "700", "--seed", "5",
                              "--from", "2025-01-01", "--to", "2025-10-31", "--db", c.db],
                             capture_output=True, text=True, timeout=120)
        assert gen.returncode == 0, gen.stderr
        lines = gen.stdout.splitlines()
        assert len(lines) > 2000, len(lines)
        batches = [lines[i:i + 50] for i in range(0, len(lines), 50)]
        c.start_nginx([a, b])
        # a session made on node A works through nginx on either node
        acked, answers, failures = [], [], []
        lock = threading.Lock()
        todo = list(range(len(batches)))

        def sender():
            while True:
                with lock:
                    if not todo:
                        return
                    k = todo.pop(0)
                body = ('{"events":[' + ",".join(batches[k]) + "]}").encode()
                for attempt in range(200):
                    try:
                        r = c.via_nginx("POST", "/api/v1/dossier-events", raw=body, token=admin)
                    except OSError:
                        time.sleep(0.1)
                        continue
                    if r.status in (502, 503, 504):  # no node could take it now: resend
                        time.sleep(0.1)
                        continue
                    with lock:
                        if r.status in (200, 201):
                            acked.extend(json.loads(x)["id"] for x in batches[k])
                            answers.append((len(batches[k]), r.json))
                        else:
                            failures.append(r)
                    break
                else:
                    with lock:
                        failures.append("batch %d never acknowledged" % k)

        threads = [threading.Thread(target=sender) for _ in range(4)]
        for t in threads:
            t.start()
        wait_for("half the batches acknowledged", lambda: len(answers) >= len(batches) // 2, 120)
        b.kill9()  # mid-stream: batches in flight on B are cut
        with lock:
            assert todo, "the ingestion ended before the kill"
        for t in threads:
            t.join()
        assert not failures, failures[:3]
        assert len(answers) == len(batches)
        # every answer accounts for its whole batch (a batch B stored before
        # dying and nginx resent to A comes back as duplicates)
        for n, j in answers:
            assert j["accepted"] + j["duplicates"] == n, j
        stored = db_rows(c.db, "SELECT id FROM dossier_events WHERE source = 'motcua-demo'")
        ids = [x[0] for x in stored]
        assert len(ids) == len(set(ids)), "an event stored twice"
        assert set(ids) == set(acked), (len(set(ids)), len(set(acked)))
        assert len(acked) == len(lines)
        # KPIs: node A (its aggregates' cache warmed during ingestion), node B
        # restarted, a third node, and the recount from the events agree
        a.request("GET", KPIS, token=admin)
        b.start()
        third = c.node()
        seen = [n.request("GET", KPIS, token=admin) for n in (a, b, third)]
        seen.append(c.via_nginx("GET", KPIS, token=admin))
        exact = a.request("GET", KPIS + "&exact=1", token=admin)
        assert exact.status == 200, exact
        for r in seen:
            assert r.status == 200, r
            assert r.json["items"] == exact.json["items"], (r.json, exact.json)
        assert sum(i["received_total"] for i in exact.json["items"]) > 0, exact.json
        # the audit trail names the client behind nginx (X-Real-IP from a
        # trusted proxy), not nginx
        one = {"id": "ip-1", "source": "motcua-ip", "dossier": "IP-1", "type": "received",
               "at": "2025-03-03T08:00:00+07:00", "unit": "VT-P1", "procedure": "1.004227"}
        r = c.via_nginx("POST", "/api/v1/dossier-events", body=one, token=admin,
                        source="127.0.0.2")
        assert r.status == 201, r
        ip = db_rows(c.db, "SELECT ip FROM audit_log WHERE action = 'ingest' AND "
                           "entity = 'dossier_events' ORDER BY id DESC LIMIT 1")[0][0]
        assert ip == "127.0.0.2", ip
        # from any other address the header is ignored
        conn = http.client.HTTPConnection("127.0.0.1", a.port, timeout=30,
                                          source_address=("127.0.0.3", 0))
        conn.request("POST", "/api/v1/dossier-events", body=json.dumps(dict(one, id="ip-2", dossier="IP-2")),
                     headers={"Authorization": "Bearer " + admin, "X-Real-IP": "10.9.9.9",
                              "Content-Type": "application/json"})
        r = conn.getresponse()
        assert r.status == 201, (r.status, r.read())
        conn.close()
        ip = db_rows(c.db, "SELECT ip FROM audit_log WHERE action = 'ingest' AND "
                           "entity = 'dossier_events' ORDER BY id DESC LIMIT 1")[0][0]
        assert ip == "127.0.0.3", ip
    finally:
        c.close()


def test_a_write_on_one_node_is_read_on_the_other(ctx):
    c = Cluster(ctx)
    try:
        a, b = c.node(), c.node()
        admin_a, admin_b = a.login("admin"), b.login("admin")

        def read(path):
            r = b.request("GET", path, token=admin_b)
            assert r.status == 200, r
            return r.json

        # B's caches warm before each write on A; B must see the write on its
        # next read (wait_for allows the one second the issue allows)
        assert read("/api/v1/units/VT-P1")["name"] != "Phường 1 (đổi tên)"
        r = a.request("PATCH", "/api/v1/units/VT-P1", {"name": "Phường 1 (đổi tên)"},
                      token=admin_a)
        assert r.status == 200, r
        wait_for("unit rename", lambda: read("/api/v1/units/VT-P1")["name"] ==
                 "Phường 1 (đổi tên)", 1)

        cals = read("/api/v1/calendars")["items"]
        name = cals[0]["name"]
        r = a.request("PATCH", "/api/v1/calendars/" + name, {"label": "Lịch đã đổi"},
                      token=admin_a)
        assert r.status == 200, r
        wait_for("calendar change", lambda: any(
            x["name"] == name and x["label"] == "Lịch đã đổi"
            for x in read("/api/v1/calendars")["items"]), 1)

        assert read("/api/v1/procedures?q=1.004227")["items"] == []
        r = a.request("POST", "/api/v1/procedures", PROCS, token=admin_a)
        assert r.status == 201, r
        wait_for("new procedures", lambda: read("/api/v1/procedures?q=1.004227")["items"], 1)

        before = read(KPIS)
        assert sum(i["received_total"] for i in before["items"]) == 0, before
        ev = {"events": [
            {"id": "x1", "source": "motcua-vt", "dossier": "N-1", "type": "received",
             "at": "2025-03-03T08:00:00+07:00", "unit": "VT-P1", "procedure": "1.004227"},
            {"id": "x2", "source": "motcua-vt", "dossier": "N-1", "type": "processed",
             "at": "2025-03-04T08:00:00+07:00"}]}
        r = a.request("POST", "/api/v1/dossier-events", ev, token=admin_a)
        assert r.status == 201, r
        wait_for("KPIs", lambda: sum(i["received_total"] for i in read(KPIS)["items"]) == 1, 1)
        assert read("/api/v1/dossiers/N-1")["state"] == "resolved"

        q766 = "/api/v1/index/766?unit=VT-P1&period=2025-03"

        def manual(rep):
            return [i for g in rep["groups"] for i in g["indicators"]
                    if i["code"] == "publish_on_time"][0]
        assert manual(read(q766))["source"] != "manual"
        r = a.request("PUT", "/api/v1/index/766/values",
                      {"unit": "VT-P1", "period": "2025-03", "indicator": "publish_on_time",
                       "value": 100}, token=admin_a)
        assert r.status == 200, r
        wait_for("index 766 value", lambda: manual(read(q766))["source"] == "manual", 1)

        total = read("/api/v1/targets?unit=BRVT&subtree=1")["total"]
        r = a.request("POST", "/api/v1/targets", {"indicator": "5g_stations", "unit": "VT-P1",
                                                  "value": 3, "due": "2025-12-31"},
                      token=admin_a)
        assert r.status == 201, r
        wait_for("new target", lambda: read("/api/v1/targets?unit=BRVT&subtree=1")["total"] ==
                 total + 1, 1)

        n_plans = len(read("/api/v1/plans")["items"])
        r = a.request("POST", "/api/v1/plans", {
            "key": "KH-NODES", "type": "Kế hoạch", "issuer": "BRVT", "title": "Kế hoạch thử",
            "period_from": "2025-01-01", "period_to": "2025-12-31"}, token=admin_a)
        assert r.status == 201, r
        wait_for("new plan", lambda: len(read("/api/v1/plans")["items"]) == n_plans + 1, 1)

        # a session opened on A works on B, and signing out on A ends it on B
        r = b.request("GET", "/api/v1/me", token=admin_a)
        assert r.status == 200 and r.json["login"] == "admin", r
        assert a.request("POST", "/api/v1/logout", token=admin_a).status in (200, 204)
        assert b.request("GET", "/api/v1/me", token=admin_a).status == 401
    finally:
        c.close()


def test_jobs_run_once_per_interval_across_nodes_and_survive_a_dead_holder(ctx):
    c = Cluster(ctx)
    try:
        # Node A claims the reminders, then sits on them (the test hook
        # DIEUHANH_JOB_HOLD_MS) and dies holding the lease.
        a = c.node({"DIEUHANH_JOB_HOLD_MS": "60000", "DIEUHANH_JOB_LEASE": "3",
                    "DIEUHANH_REMINDER_INTERVAL": "1", "DIEUHANH_TARGETS_INTERVAL": "1"})
        held = wait_for("node A's claim", lambda: lease(c.db, "reminders"), 10)
        assert a.holder_prefix() in held[0], held
        assert held[3] == 1 and held[4] == 0, held  # claimed, not done
        a.kill9()
        c.forget(a)
        # Two live nodes: the reminders move to one of them only once A's
        # lease lapsed, and run once; each job runs once per interval between
        # the nodes, not once per node.
        env = {"DIEUHANH_JOB_LEASE": "3", "DIEUHANH_REMINDER_INTERVAL": "1",
               "DIEUHANH_TARGETS_INTERVAL": "1"}
        t0 = time.time()
        b, d = c.node(env), c.node(env)
        after = wait_for("the reminders taken over", lambda: (
            lambda r: r if r and r[4] >= 1 else None)(lease(c.db, "reminders")), 15)
        # the new claim came at or after the lapse: its due_at - interval
        assert after[2] - 1 >= held[1], (held, after)
        assert after[5] and a.holder_prefix() not in after[5], after
        assert any(n.holder_prefix() in after[5] for n in (b, d)), after
        runs = db_rows(c.db, "SELECT count(*) FROM audit_log WHERE action = 'run' "
                             "AND entity = 'reminders'")[0][0]
        assert runs == 1, runs  # the day's reminders, once (A's run never happened)
        first = wait_for("the targets taken over", lambda: (
            lambda r: r[3] if r and r[4] >= 1 else None)(lease(c.db, "targets")), 15)
        time.sleep(4)
        last = lease(c.db, "targets")
        elapsed = time.time() - t0
        # one claim a second at most across both nodes (two nodes each
        # running it would make about twice as many)
        assert last[3] - first <= 4 + 1, (first, last)
        assert last[3] >= 2, last
        assert last[3] <= elapsed + 2, (last, elapsed)
        assert db_rows(c.db, "SELECT count(*) FROM audit_log WHERE action = 'run' "
                             "AND entity = 'reminders'")[0][0] == 1
    finally:
        c.close()
