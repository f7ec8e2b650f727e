"""The world of the permission matrix (tests/e2e/test_permissions.py): a small unit tree,
one user of each role scoped to the unit OWN, and objects attached to each unit so that the
matrix has ids to ask for.

    PV (province)                    "parent" of OWN
    ├── PV-A (district)   = OWN      every scoped user sits here
    │   ├── PV-A1 (commune)          "child"
    │   └── PV-AX (commune)          "closed": dissolved on 2024-12-31, inside OWN
    └── PV-B (district)              "sibling"
        ├── PV-B1 (commune)
        └── PV-BX (commune)          "closed_out": dissolved, outside OWN

Everything is made through the CLI (users, tokens, units: no password hashing on the
request path) and the API as the admin. Standard library only.
"""
import os
import subprocess

from harness import DEMO_PASSWORD  # noqa: F401 (used by the matrix too)

UNITS = [  # code, name, kind, parent, valid_from, valid_to
    ("PV", "Tỉnh Phân Quyền", "province", "", "2020-01-01", ""),
    ("PV-A", "Huyện Có Quyền", "district", "PV", "2020-01-01", ""),
    ("PV-B", "Huyện Bên Cạnh", "district", "PV", "2020-01-01", ""),
    ("PV-A1", "Xã Con", "commune", "PV-A", "2020-01-01", ""),
    ("PV-AX", "Xã Đã Giải Thể", "commune", "PV-A", "2020-01-01", "2024-12-31"),
    ("PV-B1", "Xã Bên Cạnh", "commune", "PV-B", "2020-01-01", ""),
    ("PV-BX", "Xã Bên Cạnh Đã Giải Thể", "commune", "PV-B", "2020-01-01", "2024-12-31"),
]
PARENT = {u[0]: u[3] for u in UNITS}
OWN = "PV-A"
# the relation of each target unit to OWN, the scope of every scoped user
REL = {"own": "PV-A", "child": "PV-A1", "sibling": "PV-B", "parent": "PV", "closed": "PV-AX",
       "closed_out": "PV-BX"}
ROLES = ["admin", "leader", "officer", "reporter", "viewer"]
# a day every unit existed on (objects of closed units are dated then)
OLD_DAY = "2024-06-10"


def in_subtree(unit, scope):
    while unit:
        if unit == scope:
            return True
        unit = PARENT[unit]
    return False


def allows(role, act, unit):
    """src/core/access.c dh_access_allows, for a user of `role` scoped to OWN: the
    expectation of every scoped cell of the matrix is derived from this and nothing else
    (a closed unit is judged by the tree on its last day, which is the tree here)."""
    if role == "admin":
        return True
    if act == "manage":
        return False
    inside = in_subtree(unit, OWN)
    if act == "read":
        return inside
    if act == "write":
        return role == "officer" and inside
    if act == "submit":
        return (role == "officer" and inside) or (role == "reporter" and unit == OWN)
    raise ValueError(act)


def _cli(binary, db, *args, stdin=None):
    r = subprocess.run([binary] + list(args) + ["--db", db], input=stdin, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, (args, r.stderr)
    return r.stdout


def prepare_db(binary, db, directory):
    """Units, users and one API token per role, before the server starts. Returns
    {role: token}, plus "other" (a second officer's token, for token routes)."""
    path = os.path.join(directory, "units.csv")
    with open(path, "w", encoding="utf-8") as f:
        f.write("code,name,short_name,kind,parent,valid_from,valid_to\n")
        for code, name, kind, parent, vf, vt in UNITS:
            f.write("%s,%s,,%s,%s,%s,%s\n" % (code, name, kind, parent, vf, vt))
    _cli(binary, db, "init")
    _cli(binary, db, "unit", "import", path)
    tokens = {}
    for role in ROLES:
        login = "pq." + role
        args = ["user", "add", login, "--role", role]
        if role != "admin":
            args += ["--unit", OWN]
        _cli(binary, db, *args, stdin=DEMO_PASSWORD + "\n")
        tokens[role] = _cli(binary, db, "user", "token", login, "--name", "matrix").strip()
    # a user of the sibling unit: passwords and tokens of someone else
    _cli(binary, db, "user", "add", "pq.other", "--role", "officer", "--unit", "PV-B",
         stdin=DEMO_PASSWORD + "\n")
    tokens["other"] = _cli(binary, db, "user", "token", "pq.other", "--name", "other").strip()
    return tokens


def _ok(r, *statuses):
    assert r.status in statuses, r
    return r.json


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
FRAMEWORK_CSV = ("code,parent,name,max_points,method,threshold,source\n"
                 "NT,,Nhận thức số,6,,,\n"
                 "NT.1,NT,Tuyên truyền,6,manual,,\n").encode()


def build_objects(s, tok):
    """Objects attached to each unit, made by the admin; returns {unit: {kind: id}} and
    a few unscoped ids under the key ""."""
    admin = tok["admin"]
    fx = {u[0]: {} for u in UNITS}
    fx[""] = {}

    def req(method, path, body=None, raw=None, token=admin, headers=None):
        return s.request(method, path, body, token=token, raw=raw, headers=headers)

    _ok(req("POST", "/api/v1/procedures",
            {"code": "9.000100", "name": "Thủ tục thử quyền", "field": "Hộ tịch",
             "level": "commune", "duration": 3, "duration_unit": "working_days",
             "online_level": "full", "fee_bearing": False, "paper_result": True}), 201)
    events = []
    for code, _n, _k, _p, _vf, _vt in UNITS:
        dossier = "HS-" + code
        events.append({"id": "e-" + code, "source": "pq", "dossier": dossier, "type": "received",
                       "at": OLD_DAY + "T08:00:00+07:00", "unit": code,
                       "procedure": "9.000100", "channel": "online", "by_applicant": True,
                       "appointment": "2024-06-12T17:00:00+07:00"})
        fx[code]["dossier"] = dossier
    _ok(req("POST", "/api/v1/dossier-events", {"events": events}), 201)

    # an indicator with a value for each open unit, a target and a report obligation
    _ok(req("POST", "/api/v1/indicators",
            {"code": "pq_ind", "name": "Chỉ tiêu thử quyền", "uom": "%", "direction": "higher",
             "aggregation": "mean", "source": "pushed", "period_type": "month"}), 201)
    vals = [{"indicator": "pq_ind", "unit": u[0], "period": "2024-05", "value": 50,
             "source": "pq", "id": "v-" + u[0]} for u in UNITS]
    _ok(req("POST", "/api/v1/indicator-values", {"values": vals}), 200, 201)
    for u in UNITS:
        r = _ok(req("POST", "/api/v1/targets", {"indicator": "pq_ind", "unit": u[0],
                                                "value": 90, "due": "2024-12-31"}), 201)
        fx[u[0]]["target"] = r["id"]
    r = _ok(req("POST", "/api/v1/obligations",
                {"code": "PQ-BC", "name": "Báo cáo thử quyền", "indicators": ["pq_ind"],
                 "period_type": "month", "due_rule": "days_after_end:36500", "approval": True,
                 "units": [u[0] for u in UNITS]}), 201)
    fx[""]["obligation"] = r["id"]

    # a plan issued by each unit with one task it leads, and a file uploaded for it
    for code, _n, _k, _p, _vf, _vt in UNITS:
        key = "KH-" + code
        r = _ok(req("POST", "/api/v1/plans", {"key": key, "issuer": code,
                                              "title": "Kế hoạch thử quyền năm 2024"}), 201)
        fx[code]["plan"] = r["id"]
        fx[code]["plan_key"] = key
        r = _ok(req("POST", "/api/v1/tasks", {"plan": key, "ordinal": "1",
                                              "content": "Nhiệm vụ của " + code,
                                              "lead": [code], "deadline": "tháng 12/2030"}), 201)
        fx[code]["task"] = r["id"]
    # files: the admin's (read by admins and the uploader only) and the officer's own
    r = _ok(req("POST", "/api/v1/files?name=a.pdf", raw=PDF), 201)
    fx[""]["file_admin"] = r["id"]
    r = _ok(req("POST", "/api/v1/files?name=o.pdf", raw=PDF, token=tok["officer"]), 201)
    fx[""]["file_officer"] = r["id"]

    # feedback: categories routed from the open communes to each open unit
    _ok(req("PUT", "/api/v1/feedback/categories",
            {"code": "pq", "name": "Phản ánh thử quyền", "group": "Thử"}), 200)
    for code, _n, kind, _p, _vf, vt in UNITS:
        if vt:
            continue
        cat = "pq-" + code.lower()
        _ok(req("PUT", "/api/v1/feedback/categories",
                {"code": cat, "name": "Phản ánh " + code, "group": "Thử"}), 200)
        _ok(req("PUT", "/api/v1/feedback/routes",
                {"category": cat, "commune": "PV-A1", "unit": code}), 200)
        r = _ok(req("POST", "/api/v1/feedback",
                    {"category": cat, "description": "Đèn đường hỏng ở " + code,
                     "commune": "PV-A1", "channel": "hotline"}), 201)
        fx[code]["feedback"] = r["code"]
        r = _ok(req("POST", "/api/v1/feedback/%s/attachments?name=a.png" % r["code"], raw=PNG,
                    headers={"Content-Type": "application/octet-stream"}), 201)
        fx[code]["fb_attachment"] = r["sha256"]

    # DTI: a framework; a published assessment for each unit, with evidence on own units
    _ok(req("POST", "/api/v1/dti/frameworks?code=PQ-DTI&name=Khung&level=district&year=2024",
            raw=FRAMEWORK_CSV, headers={"Content-Type": "text/csv"}), 201)
    for code, _n, _k, _p, _vf, _vt in UNITS:
        _ok(req("POST", "/api/v1/dti/assessments",
                {"unit": code, "framework": "PQ-DTI", "year": 2024}), 201)
        r = _ok(req("POST", "/api/v1/dti/evidence?unit=%s&framework=PQ-DTI&year=2024"
                    "&criterion=NT.1&name=mc.pdf" % code, raw=PDF), 201)
        fx[code]["evidence"] = r["file"]["id"]

    # calendars: one named calendar (admins change it) and a schedule entry
    r = _ok(req("POST", "/api/v1/schedules", {"date": "2030-01-02", "type": "off",
                                              "kind": "extra", "name": "Nghỉ thử"}), 201)
    fx[""]["schedule"] = r["items"][0]["id"]
    # a token of the sibling officer, by id (DELETE /api/v1/tokens/{})
    r = _ok(req("GET", "/api/v1/me", token=tok["other"]), 200)
    fx[""]["token_other"] = r["token"]
    return fx
