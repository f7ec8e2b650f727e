"""The permission matrix (issue 18, point 4): every route the server answers, asked by
every role (and by nobody) about units in every relation to the asker's unit: its own, a
child, a sibling, the parent, a dissolved unit inside its subtree and one outside. The
expected answer of a scoped cell comes from perm_fixture.allows, a transcription of the role
table of src/core/access.c; the routes come from `dieuhanh routes --json`, the table the
server walks, and a route without an entry in MATRIX fails the test, as does an entry for a
route that no longer exists. Every refusal must leave a "denied" row in the audit log.

One database and one server for the whole module; the requests run in a loop.

Reading a cell:
  rule "public"  anyone, signed in or not, gets `ok`;
       "any"     every signed-in role gets `ok`; nobody: 401 (a page: 303 to the sign-in);
       "manage"  the admin gets `ok`, every other role `deny`;
       "read", "write", "submit"
                 scoped: for each relation, allows(role, rule, unit) says `ok` or `deny`;
       a function (role, unit) -> bool: a rule of the domain stated beside the entry.
  `ok` of a read is the exact status; a write that is allowed must not be refused (401,
  403, 404) nor fail (5xx): its 2xx, 409 or 422 depends on what earlier cells did.
  Within a route the refused cells are asked first, so that a refusal never depends on
  state an allowed write left behind.
"""
import json
import os
import re
import sqlite3
import subprocess
import tempfile
from urllib.parse import quote

import harness
import perm_fixture as pf
from harness import db_rows

SCOPED = ("read", "write", "submit")
U = "{unit}"  # a path or query placeholder: the unit of the relation asked about


def E(method, pattern, rule, path=None, body=None, raw=None, ok=None, deny=403, audit=True,
      rels=None, last=False, ctype=None, only_nobody=False, filtered=False, cache="no-store"):
    return {"only_nobody": only_nobody, "filtered": filtered, "cache": cache, "method": method, "pattern": pattern, "rule": rule, "path": path or pattern,
            "body": body, "raw": raw, "ok": ok, "deny": deny, "audit": audit, "rels": rels,
            "last": last, "ctype": ctype}


def approver(role, unit):
    """Approvals of report obligations are the parent's (docs/INDICATORS.md): leaders and
    officers of a unit above the reporting one, admins; never the unit itself."""
    return role == "admin" or (role in ("leader", "officer") and unit != pf.OWN and
                               pf.in_subtree(unit, pf.OWN))


def index_writer(role, unit):
    """Manual values of the 766 index: admins, and leaders within their scope (API.md)."""
    return role == "admin" or (role == "leader" and pf.in_subtree(unit, pf.OWN))


def audit_reader(role, unit):
    """The audit trail: admins; leaders for their own unit (API.md, Audit)."""
    return role == "admin" or (role == "leader" and unit == pf.OWN)


def appraiser(role, unit):
    """DTI appraisal steps: an officer of a unit above the assessed one, or an admin."""
    return role == "admin" or (role == "officer" and unit != pf.OWN and
                               pf.in_subtree(unit, pf.OWN))


def director(role, unit):
    """Directives: admins, leaders over their subtree, officers with write access."""
    return role == "admin" or (role in ("leader", "officer") and pf.in_subtree(unit, pf.OWN))


def commenter(role, unit):
    """A comment on a task led by `unit`, posted for `unit`: someone of the lead unit itself,
    officers for units of their subtree, admins (app/tasks.c task_update_tx)."""
    return pf.allows(role, "write", unit) or unit == pf.OWN


def page_progress(role, unit):
    """The task page's progress form acts for the user's own unit (it sends no "unit"):
    officers and reporters of the lead unit."""
    return role in ("officer", "reporter") and unit == pf.OWN


def fb_images(role, unit):
    """Images of feedback may show people: the handling unit's officers and admins."""
    return pf.allows(role, "write", unit)


def not_viewer(role, unit):
    return role != "viewer"


def file_of(owner):
    """A stored file: its uploader and admins read it (issue 13, finding 8)."""
    return lambda role, unit: role in ("admin", owner)


_n = [0]


def seq():
    _n[0] += 1
    return _n[0]


CSV = {"Content-Type": "text/csv"}
CAL_HOURS = {"mon": "07:30-11:30,13:30-17:00", "tue": "07:30-11:30,13:30-17:00",
             "wed": "07:30-11:30,13:30-17:00", "thu": "07:30-11:30,13:30-17:00",
             "fri": "07:30-11:30,13:30-17:00", "sat": "", "sun": ""}
DTI_Q = "framework=PQ-DTI&year=2024"


def event(u, fx):
    n = seq()
    return {"id": "m-%d" % n, "source": "pq", "dossier": "HS-M-%d" % n, "type": "received",
            "at": pf.OLD_DAY + "T09:00:00+07:00", "unit": u, "procedure": "9.000100",
            "channel": "counter", "by_applicant": False}


MATRIX = [
    # ---- health, session
    E("GET", "/api/v1/health", "public"),
    E("POST", "/api/v1/login", "public", ok=401, only_nobody=True,
      body=lambda u, fx: {"login": "pq.nobody", "password": "sai-mat-khau-1"}),
    E("POST", "/api/v1/logout", "any", last=True),
    E("GET", "/api/v1/me", "any"),
    # ---- units: the organisation chart is readable by every signed-in user
    E("GET", "/api/v1/units", "any", path="/api/v1/units?parent=" + U, rels="all"),
    E("POST", "/api/v1/units", "write",
      body=lambda u, fx: {"code": "PV-N%d" % seq(), "name": "Xã Mới", "kind": "commune",
                          "parent": u, "valid_from": "2024-01-01"}),
    E("GET", "/api/v1/units/{}", "any", path="/api/v1/units/" + U, rels="all"),
    E("PATCH", "/api/v1/units/{}", "write", path="/api/v1/units/" + U,
      body=lambda u, fx: {"short_name": "Tên ngắn %d" % seq()}),
    E("GET", "/api/v1/units/{}/children", "any", path="/api/v1/units/%s/children" % U,
      rels="all"),
    E("GET", "/api/v1/units/{}/ancestors", "any", path="/api/v1/units/%s/ancestors" % U,
      rels="all"),
    E("GET", "/api/v1/units/{}/descendants", "any", path="/api/v1/units/%s/descendants" % U,
      rels="all"),
    E("GET", "/api/v1/units/{}/lineage", "any", path="/api/v1/units/%s/lineage" % U, rels="all"),
    E("POST", "/api/v1/unit-events", "write",
      body=lambda u, fx: {"kind": "rename", "effective": "2024-03-%02d" % (seq() % 28 + 1),
                          "unit": u, "name": "Tên mới %d" % seq()}),
    E("GET", "/api/v1/unit-tree", "any"),
    # ---- people and tokens
    E("GET", "/api/v1/users", "manage"),
    E("POST", "/api/v1/users", "manage",
      body=lambda u, fx: {"login": "pq.new%d" % seq(), "password": "Mat-khau-dai-123!",
                          "role": "viewer", "unit": pf.OWN}, ok=201),
    E("POST", "/api/v1/users/{}/password", "manage", path="/api/v1/users/pq.other/password",
      body=lambda u, fx: {"password": "Mat-khau-moi-456!"}),
    E("POST", "/api/v1/users/{}/unlock", "manage", path="/api/v1/users/pq.other/unlock"),
    E("POST", "/api/v1/tokens", "any", body=lambda u, fx: {"name": "t%d" % seq()}, ok=201),
    E("DELETE", "/api/v1/tokens/{}", "manage", path="/api/v1/tokens/{token_other}", last=True),
    E("GET", "/api/v1/audit", audit_reader, path="/api/v1/audit?limit=1&unit=" + U),
    # ---- calendars and schedules: read by all, changed by admins (scoped for units)
    E("GET", "/api/v1/calendars", "any"),
    E("POST", "/api/v1/calendars", "manage",
      body=lambda u, fx: {"name": "pq%d" % seq(), "label": "Lịch thử", "hours": CAL_HOURS},
      ok=201),
    E("GET", "/api/v1/calendars/{}", "any", path="/api/v1/calendars/default"),
    E("PATCH", "/api/v1/calendars/{}", "manage", path="/api/v1/calendars/default",
      body=lambda u, fx: {"label": "Lịch hành chính"}),
    E("GET", "/api/v1/calendars/{}/holidays", "any",
      path="/api/v1/calendars/default/holidays?year=2025"),
    E("GET", "/api/v1/calendars/{}/add", "any",
      path="/api/v1/calendars/default/add?start=2025-03-03&days=3"),
    E("GET", "/api/v1/calendars/{}/between", "any",
      path="/api/v1/calendars/default/between?from=2025-03-03&to=2025-03-05"),
    E("GET", "/api/v1/schedules", "any", path="/api/v1/schedules?year=2030"),
    E("POST", "/api/v1/schedules", "manage",
      body=lambda u, fx: {"date": "2030-02-%02d" % (seq() % 20 + 4), "type": "off",
                          "kind": "extra", "name": "Nghỉ thêm"}),
    E("POST", "/api/v1/schedules/import", "manage", path="/api/v1/schedules/import?name=l.csv",
      raw=lambda u, fx: b"date,type,kind,name\n2030-03-04,off,extra,Nghi\n", ctype=CSV),
    E("PATCH", "/api/v1/schedules/{}", "manage", path="/api/v1/schedules/{schedule}",
      body=lambda u, fx: {"confirmed": True}),
    E("DELETE", "/api/v1/schedules/{}", "manage", path="/api/v1/schedules/{schedule}",
      last=True),
    E("GET", "/api/v1/units/{}/calendar", "any", path="/api/v1/units/%s/calendar" % U,
      rels="all"),
    E("POST", "/api/v1/units/{}/calendar", "write", path="/api/v1/units/%s/calendar" % U,
      body=lambda u, fx: {"calendar": "default", "from": "2024-02-01"}),
    # ---- dossiers
    E("POST", "/api/v1/dossier-events", "submit", body=lambda u, fx: {"events": [event(u, fx)]}),
    E("GET", "/api/v1/dossiers", "read", filtered=True, path="/api/v1/dossiers?unit=" + U),
    E("GET", "/api/v1/dossiers/{}", "read", path="/api/v1/dossiers/{dossier}", deny=404),
    E("GET", "/api/v1/dossiers/{}/apology.pdf", "read",
      path="/api/v1/dossiers/{dossier}/apology.pdf", deny=404, ok=(200, 409, 422)),
    E("GET", "/api/v1/dossiers/{}/apology.html", "read",
      path="/api/v1/dossiers/{dossier}/apology.html", deny=404, ok=(200, 409, 422)),
    E("GET", "/api/v1/procedures", "any"),
    E("POST", "/api/v1/procedures", "manage",
      body=lambda u, fx: {"code": "9.0002%02d" % (seq() % 100), "name": "Thủ tục mới",
                          "field": "Hộ tịch", "level": "commune", "duration": 3,
                          "duration_unit": "working_days", "online_level": "full",
                          "fee_bearing": False, "paper_result": True}),
    E("GET", "/tra-cuu", "public", path="/tra-cuu?ma=HS-PV-A"),
    # ---- service index, reports
    E("GET", "/api/v1/index/766", "read", path="/api/v1/index/766?unit=%s&period=2024" % U),
    E("PUT", "/api/v1/index/766/values", index_writer,
      body=lambda u, fx: {"unit": u, "period": "2024", "indicator": "CK.1", "value": 80}),
    E("GET", "/api/v1/index/766/config", "any"),
    E("GET", "/api/v1/full-online", "read", path="/api/v1/full-online?unit=%s&period=2024" % U),
    E("GET", "/api/v1/kpis", "read", path="/api/v1/kpis?unit=%s&subtree=1&period=2024" % U),
    E("GET", "/api/v1/kpis/trend", "read",
      path="/api/v1/kpis/trend?unit=%s&subtree=1&same=2024-Q2&years=3" % U),
    E("GET", "/api/v1/reports/ii06a", "read",
      path="/api/v1/reports/ii06a?unit=%s&period=2024" % U),
    E("GET", "/api/v1/reports/late-daily", "read",
      path="/api/v1/reports/late-daily?unit=%s&date=2024-06-20" % U),
    # ---- indicators, values, targets, obligations
    E("GET", "/api/v1/indicators", "any"),
    E("POST", "/api/v1/indicators", "manage",
      body=lambda u, fx: {"code": "pq_i%d" % seq(), "name": "Chỉ tiêu", "uom": "%",
                          "direction": "higher", "aggregation": "mean", "source": "pushed",
                          "period_type": "month"}, ok=201),
    E("POST", "/api/v1/indicator-values", "submit",
      body=lambda u, fx: {"values": [{"indicator": "pq_ind", "unit": u, "period": "2024-04",
                                      "value": 40 + seq() % 50, "source": "pq",
                                      "id": "m%d" % seq()}]}),
    E("GET", "/api/v1/indicator-values", "read", filtered=True,
      path="/api/v1/indicator-values?indicator=pq_ind&unit=" + U),
    E("POST", "/api/v1/indicator-values/import", "submit",
      path="/api/v1/indicator-values/import?name=v.csv", ctype=CSV,
      raw=lambda u, fx: ("indicator,unit,period,value,source,id\npq_ind,%s,2024-03,%d,pq,f%d\n"
                         % (u, 30 + seq() % 50, seq())).encode()),
    E("GET", "/api/v1/targets", "read", filtered=True, path="/api/v1/targets?unit=" + U),
    E("POST", "/api/v1/targets", "write",
      body=lambda u, fx: {"indicator": "pq_ind", "unit": u, "value": 95,
                          "due": "2025-%02d-28" % (seq() % 12 + 1)}),
    E("GET", "/api/v1/obligations", "any"),
    E("POST", "/api/v1/obligations", "write",
      body=lambda u, fx: {"code": "PQ-O%d" % seq(), "name": "Báo cáo", "indicators": ["pq_ind"],
                          "period_type": "month", "due_rule": "next_month_day:10",
                          "units": [u]}),
    E("POST", "/api/v1/obligations/{}/approvals", approver,
      path="/api/v1/obligations/{obligation}/approvals",
      body=lambda u, fx: {"unit": u, "period": "2024-05"}),
    E("GET", "/api/v1/obligations/{}/completeness", "any",
      path="/api/v1/obligations/{obligation}/completeness?period=2024-05"),
    E("GET", "/api/v1/sources/freshness", "read", filtered=True, path="/api/v1/sources/freshness?unit=" + U),
    # ---- public pages and static files
    E("GET", "/", "public", ok=(200, 303)),
    E("GET", "/static/app.css", "public"),
    E("GET", "/static/app.js", "public"),
    E("GET", "/static/doc.css", "public"),
    E("GET", "/static/icon.svg", "public"),
    # versioned URLs: any version answers with the current file
    E("GET", "/static/{}/app.css", "public", path="/static/0123456789ab/app.css"),
    E("GET", "/static/{}/app.js", "public", path="/static/0123456789ab/app.js"),
    E("GET", "/static/{}/doc.css", "public", path="/static/0123456789ab/doc.css"),
    # metrics: open to every client on the server's machine, as this test is; from
    # elsewhere admins only (tests/e2e/test_metrics.py holds that part)
    E("GET", "/metrics", "public"),
    E("GET", "/favicon.ico", "public"),
    E("GET", "/ngon-ngu", "public", path="/ngon-ngu?lang=en&to=/", ok=303),
    E("GET", "/dang-nhap", "public"),
    E("POST", "/dang-nhap", "public", ok=(200, 401, 422), only_nobody=True,
      raw=lambda u, fx: b"login=pq.nobody&password=sai-mat-khau-1",
      ctype={"Content-Type": "application/x-www-form-urlencoded"}),
    E("POST", "/dang-xuat", "any", ok=303, last=True),
    E("GET", "/cong-khai/chi-so/{}", "public", path="/cong-khai/chi-so/PV"),
    # ---- pages for signed-in users
    E("GET", "/tong-quan", "read", path="/tong-quan?unit=" + U),
    E("GET", "/don-vi/{}", "read", path="/don-vi/" + U),
    E("GET", "/chi-so-766", "read", path="/chi-so-766?unit=%s&period=2024" % U),
    E("GET", "/quan-tri", "manage"),
    E("GET", "/quan-tri/nhap-lieu", "manage"),
    E("GET", "/ho-so", "read", filtered=True, path="/ho-so?unit=" + U),
    E("GET", "/ho-so/{}", "read", path="/ho-so/{dossier}", deny=404),
    E("GET", "/bao-cao", "read", path="/bao-cao?unit=%s&period=2024" % U),
    E("GET", "/bao-cao/qua-han-trong-ngay", "read",
      path="/bao-cao/qua-han-trong-ngay?unit=%s&date=2024-06-20" % U),
    E("GET", "/ke-hoach", "any"),
    E("GET", "/ke-hoach/{}", "any", path="/ke-hoach/{plan}", rels="all"),
    E("GET", "/ke-hoach/{}/chu-tri", "any", path="/ke-hoach/{plan}/chu-tri", rels="all"),
    E("GET", "/nhiem-vu", "any"),
    E("GET", "/nhiem-vu/{}", "any", path="/nhiem-vu/{task}", rels="all"),
    E("POST", "/nhiem-vu/{}/cap-nhat", page_progress, path="/nhiem-vu/{task}/cap-nhat",
      raw=lambda u, fx: ("percent=%d&note=ok" % (seq() % 90 + 1)).encode(), ok=303,
      ctype={"Content-Type": "application/x-www-form-urlencoded"}),
    E("POST", "/chi-dao", director, ok=303,
      raw=lambda u, fx: ("source=unit&unit=%s&assignee=%s&content=Chi+dao+%d&deadline=2030-12-31"
                         % (u, u, seq())).encode(),
      ctype={"Content-Type": "application/x-www-form-urlencoded"}),
    E("GET", "/chi-tieu", "read", path="/chi-tieu?unit=" + U),
    E("GET", "/chi-tieu/chi-so/{}", "read", path="/chi-tieu/chi-so/pq_ind?unit=" + U),
    E("GET", "/bao-cao/day-du", "any", path="/bao-cao/day-du?obligation=PQ-BC&period=2024-05"),
    E("GET", "/nhap-so-lieu", "any"),
    E("POST", "/nhap-so-lieu", "submit", ok=200,
      raw=lambda u, fx: ("indicator=pq_ind&unit=%s&period=2024-02&value=%d" % (u, seq() % 90))
      .encode(),
      ctype={"Content-Type": "application/x-www-form-urlencoded"}),
    E("GET", "/nhap-so-lieu/tai-len", "any"),
    # ---- plans, tasks, files
    E("GET", "/api/v1/plans", "any"),
    E("POST", "/api/v1/plans", "write",
      body=lambda u, fx: {"key": "KH-M%d" % seq(), "issuer": u, "title": "Kế hoạch 2025"}),
    E("GET", "/api/v1/plans/{}", "any", path="/api/v1/plans/{plan}", rels="all"),
    E("PATCH", "/api/v1/plans/{}", "write", path="/api/v1/plans/{plan}",
      body=lambda u, fx: {"title": "Kế hoạch thử quyền năm 2024 (sửa %d)" % seq()}),
    E("GET", "/api/v1/plans/{}/coverage", "any", rels="all",
      path="/api/v1/plans/{plan}/coverage?unit=" + U),
    E("POST", "/api/v1/plans/{}/import", "write", path="/api/v1/plans/{plan}/import?name=p.csv",
      ctype=CSV, raw=lambda u, fx: ("STT,Nội dung,Đơn vị chủ trì,Thời gian hoàn thành\n"
                                    "%d,Nhiệm vụ nhập,%s,2030\n" % (seq() + 10, u)).encode()),
    E("POST", "/api/v1/files", not_viewer, path="/api/v1/files?name=x.pdf", raw=lambda u, fx:
      pf.PDF, ok=201, rels="own"),
    E("GET", "/api/v1/files/{}", file_of("admin"), path="/api/v1/files/{file_admin}", deny=404),
    E("GET", "/api/v1/tasks", "any"),
    E("POST", "/api/v1/tasks", "write",
      body=lambda u, fx: {"plan": fx["plan_key"], "ordinal": str(seq() + 10),
                          "content": "Nhiệm vụ thêm", "lead": [u], "deadline": "2030"}),
    E("GET", "/api/v1/tasks/{}", "any", path="/api/v1/tasks/{task}", rels="all"),
    E("PATCH", "/api/v1/tasks/{}", "write", path="/api/v1/tasks/{task}",
      body=lambda u, fx: {"content": "Nhiệm vụ sửa %d" % seq()}),
    E("POST", "/api/v1/tasks/{}/updates", "submit", path="/api/v1/tasks/{task}/updates",
      body=lambda u, fx: {"percent": seq() % 90 + 1, "unit": u}),
    E("POST", "/api/v1/tasks/{}/comments", commenter, path="/api/v1/tasks/{task}/comments",
      body=lambda u, fx: {"text": "Ý kiến %d" % seq(), "unit": u}),
    E("POST", "/api/v1/directives", director,
      body=lambda u, fx: {"source": {"kind": "unit", "unit": u}, "assignee": u,
                          "content": "Chỉ đạo %d" % seq(), "deadline": "2030-12-31"}),
    E("GET", "/api/v1/inbox", "read", filtered=True, path="/api/v1/inbox?unit=" + U),
    E("POST", "/api/v1/reminders/run", "manage"),
    E("PUT", "/api/v1/contacts/{}", "manage", path="/api/v1/contacts/" + U,
      body=lambda u, fx: {"email": "lienhe@example.vn"}),
    # ---- DTI
    E("POST", "/api/v1/dti/evidence", "write",
      path="/api/v1/dti/evidence?unit=%s&%s&criterion=NT.1&name=e.pdf" % (U, DTI_Q),
      raw=lambda u, fx: pf.PDF, ctype={"Content-Type": "application/pdf"}),
    E("GET", "/api/v1/dti/evidence/{}", "read",
      path="/api/v1/dti/evidence/{evidence}?unit=%s&%s" % (U, DTI_Q), deny=404),
    E("POST", "/api/v1/dti/assessments", "write",
      body=lambda u, fx: {"unit": u, "framework": "PQ-DTI", "year": 2024}),
    E("POST", "/api/v1/dti/assessments/step", "write", last=True,
      body=lambda u, fx: {"unit": u, "framework": "PQ-DTI", "year": 2024, "action": "submit"}),
    E("PUT", "/api/v1/dti/entries", "write",
      body=lambda u, fx: {"unit": u, "framework": "PQ-DTI", "year": 2024, "criterion": "NT.1",
                          "points": seq() % 6}),
    E("GET", "/api/v1/dti/assessment", "read",
      path="/api/v1/dti/assessment?unit=%s&%s" % (U, DTI_Q)),
    E("POST", "/api/v1/dti/remediation", "write",
      body=lambda u, fx: {"unit": u, "framework": "PQ-DTI", "year": 2024}),
    E("GET", "/api/v1/dti/frameworks", "any"),
    E("POST", "/api/v1/dti/frameworks", "manage", ok=201, ctype=CSV,
      path="/api/v1/dti/frameworks?code=PQ-F2&name=K&level=district&year=2025",
      raw=lambda u, fx: pf.FRAMEWORK_CSV),
    E("POST", "/api/v1/dti/results", "write", path="/api/v1/dti/results?" + DTI_Q, ctype=CSV,
      raw=lambda u, fx: ("unit,criterion,points\n%s,NT.1,3\n" % u).encode()),
    E("GET", "/api/v1/dti/score", "read", path="/api/v1/dti/score?unit=%s&%s" % (U, DTI_Q),
      ok=(200, 404)),
    E("GET", "/api/v1/dti/rank", "any", path="/api/v1/dti/rank?" + DTI_Q),
    E("GET", "/chuyen-doi-so", "any", path="/chuyen-doi-so?" + DTI_Q),
    E("GET", "/chuyen-doi-so/don-vi", "read",
      path="/chuyen-doi-so/don-vi?unit=%s&%s" % (U, DTI_Q), ok=(200, 404)),
    E("GET", "/chuyen-doi-so/danh-gia", "read",
      path="/chuyen-doi-so/danh-gia?unit=%s&%s" % (U, DTI_Q)),
    E("POST", "/chuyen-doi-so/danh-gia", appraiser, ok=303,
      path="/chuyen-doi-so/danh-gia?unit=%s&%s" % (U, DTI_Q),
      raw=lambda u, fx: ("unit=%s&framework=PQ-DTI&year=2024&criterion=NT.1&points=2" % u)
      .encode(), ctype={"Content-Type": "application/x-www-form-urlencoded"}),
    E("POST", "/chuyen-doi-so/khac-phuc", "write", ok=303,
      raw=lambda u, fx: ("unit=%s&framework=PQ-DTI&year=2024" % u).encode(),
      ctype={"Content-Type": "application/x-www-form-urlencoded"}),
    # ---- feedback
    E("GET", "/api/v1/feedback/categories", "public"),
    E("PUT", "/api/v1/feedback/categories", "manage",
      body=lambda u, fx: {"code": "pq-m%d" % seq(), "name": "Nhóm", "group": "Thử"}),
    E("PUT", "/api/v1/feedback/routes", "manage",
      body=lambda u, fx: {"category": "pq", "commune": "PV-A1", "unit": pf.OWN}),
    # the figures of every unit the reader reads (no ?unit=)
    E("GET", "/api/v1/feedback/kpis", "any", filtered=True,
      path="/api/v1/feedback/kpis?from=2026-01-01&to=2026-12-31"),
    E("POST", "/api/v1/feedback", not_viewer, ok=201, rels="own",
      body=lambda u, fx: {"category": "pq", "description": "Phản ánh %d" % seq(),
                          "commune": "PV-A1", "channel": "hotline"}),
    E("GET", "/api/v1/feedback/reminders", "read", filtered=True,
      path="/api/v1/feedback/reminders?unit=" + U),
    E("POST", "/api/v1/feedback/job/run", "manage"),
    E("GET", "/api/v1/feedback", "read", filtered=True, path="/api/v1/feedback?unit=" + U),
    E("GET", "/api/v1/feedback/{}", "read", path="/api/v1/feedback/{feedback}", deny=404,
      rels="open"),
    E("POST", "/api/v1/feedback/{}/attachments", "write", rels="open",
      path="/api/v1/feedback/{feedback}/attachments?name=b.png",
      raw=lambda u, fx: pf.PNG + bytes([seq() % 256]),
      ctype={"Content-Type": "application/octet-stream"}),
    # an image is named by its hash: kept by the browser an hour, never by a shared cache
    E("GET", "/api/v1/feedback/{}/attachments/{}", fb_images, rels="open",
      cache="private, max-age=3600",
      deny=lambda role, unit: 403 if pf.allows(role, "read", unit) else 404,
      path="/api/v1/feedback/{feedback}/attachments/{fb_attachment}"),
    E("POST", "/api/v1/feedback/{}/{}", "write", rels="open",
      path="/api/v1/feedback/{feedback}/accept"),
    # 429: the fixture's own submissions from this address spent its hourly budget
    E("POST", "/api/v1/public/feedback", "public", ok=(201, 429), only_nobody=True,
      body=lambda u, fx: {"category": "pq", "description": "Đèn hỏng %d" % seq(),
                          "commune": "PV-A1"}),
    # 429: lookups by code share one budget of 30 a minute per address (http/public.c)
    E("GET", "/api/v1/public/feedback/{}", "public", ok=(200, 429),
      path="/api/v1/public/feedback/{feedback}", rels="open"),
    E("POST", "/api/v1/public/feedback/{}/rate", "public", ok=(409, 422),
      path="/api/v1/public/feedback/{feedback}/rate", rels="open",
      body=lambda u, fx: {"rating": 5}),
    E("GET", "/open311/discovery.{}", "public", path="/open311/discovery.json"),
    E("GET", "/open311/v2/services.{}", "public", path="/open311/v2/services.json"),
    E("GET", "/open311/v2/services/{}", "public", path="/open311/v2/services/pq.json"),
    E("POST", "/open311/v2/requests.{}", "public", path="/open311/v2/requests.json",
      ok=(400, 403), raw=lambda u, fx: b"service_code=pq&description=x",
      ctype={"Content-Type": "application/x-www-form-urlencoded"}),
    E("GET", "/open311/v2/requests.{}", "public", path="/open311/v2/requests.json"),
    E("GET", "/open311/v2/requests/{}", "public", path="/open311/v2/requests/{feedback}.json",
      rels="open", ok=(200, 404)),
    E("GET", "/phan-anh", "public"),
    E("POST", "/phan-anh", "public", ok=(200, 303, 422, 429), only_nobody=True,
      raw=lambda u, fx: ("category=pq&description=Den+hong+%d&commune=PV-A1" % seq()).encode(),
      ctype={"Content-Type": "application/x-www-form-urlencoded"}),
    E("GET", "/phan-anh/tra-cuu", "public", path="/phan-anh/tra-cuu?ma={feedback}",
      rels="open", ok=(200, 429)),
    E("GET", "/phan-anh/da-tra-loi", "public"),
    E("GET", "/phan-anh-tong-hop", "any", filtered=True),
    E("GET", "/xu-ly-phan-anh", "read", filtered=True, path="/xu-ly-phan-anh?unit=" + U),
    E("GET", "/nhac-viec", "read", filtered=True, path="/nhac-viec?unit=" + U),
    E("GET", "/xu-ly-phan-anh/{}", "read", path="/xu-ly-phan-anh/{feedback}", rels="open",
      deny=404),
    E("POST", "/xu-ly-phan-anh/{}", "write", path="/xu-ly-phan-anh/{feedback}", rels="open",
      ok=303, deny=lambda role, unit: 403 if pf.allows(role, "read", unit) else 404, raw=lambda u, fx: b"action=start",
      ctype={"Content-Type": "application/x-www-form-urlencoded"}),
    # ---- 5G stations
    E("POST", "/api/v1/stations", "submit",
      body=lambda u, fx: {"stations": [{"site_code": "PQ-%d" % seq(), "operator": u,
                                        "commune": u, "address": "Số 1",
                                        "lat": 10.4, "long": 107.1, "technology": "5G",
                                        "status": "planned", "status_date": "2024-06-01",
                                        "source": "pq"}]}),
    E("GET", "/api/v1/stations", "read", filtered=True, path="/api/v1/stations?unit=%s&as_of=2024-12-31" % U),
    E("GET", "/api/v1/stations/count", "read",
      path="/api/v1/stations/count?unit=%s&as_of=2024-12-31" % U),
    E("GET", "/tram-5g", "read", path="/tram-5g?unit=%s&as_of=2024-12-31" % U),
]


def listed_routes(binary):
    r = subprocess.run([binary, "routes", "--json"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    return json.loads(r.stdout)


def test_routes_listed_and_each_in_the_matrix(ctx):
    """`dieuhanh routes --json` lists the server's table; the matrix has one entry for
    each route and none for a route that is gone."""
    routes = listed_routes(os.path.abspath(ctx.binary))
    assert len(routes) > 100, len(routes)
    listed = {(r["method"], r["pattern"]) for r in routes}
    assert len(listed) == len(routes), "a route is listed twice"
    assert {r["auth"] for r in routes} == {"public", "page", "signed-in"}, routes
    keys = [(e["method"], e["pattern"]) for e in MATRIX]
    dup = {k for k in keys if keys.count(k) > 1}
    assert not dup, "routes with two entries in the matrix: %s" % sorted(dup)
    missing = sorted(listed - set(keys))
    assert not missing, "routes without an entry in the permission matrix: %s" % missing
    stale = sorted(set(keys) - listed)
    assert not stale, "matrix entries for routes the server does not have: %s" % stale
    # the text listing is the same table
    r = subprocess.run([os.path.abspath(ctx.binary), "routes"], capture_output=True, text=True,
                       timeout=60)
    lines = [l.split()[:2] for l in r.stdout.splitlines()]
    assert [(m, p) for m, p in lines] == [(x["method"], x["pattern"]) for x in routes]


def rels_of(e):
    if e["rels"] == "own":
        return ["own"]
    if e["rels"] == "open":
        return [k for k, u in pf.REL.items() if not dict((x[0], x[5]) for x in pf.UNITS)[u]]
    if e["rule"] in SCOPED or callable(e["rule"]) or e["rels"] == "all":
        return list(pf.REL)
    return ["own"]


def expected_allowed(e, role, unit):
    rule = e["rule"]
    if rule in ("public", "any"):
        return True
    if rule == "manage":
        return role == "admin"
    if callable(rule):
        return rule(role, unit)
    return pf.allows(role, rule, unit)


def fill(template, unit, fx):
    vals = dict(fx[""])
    vals.update(fx.get(unit, {}))
    vals["unit"] = unit
    out = template
    for k, v in vals.items():
        out = out.replace("{%s}" % k, quote(str(v), safe=""))
    assert "{" not in out, out
    return out


def ask(s, e, token, unit, fx):
    path = fill(e["path"], unit, fx)
    ofx = fx.get(unit, {})
    body = e["body"](unit, ofx) if e["body"] else None
    raw = e["raw"](unit, ofx) if e["raw"] else None
    if e["method"] in ("POST", "PUT", "PATCH") and body is None and raw is None:
        body = {}
    return s.request(e["method"], path, body, token=token, raw=raw, headers=e["ctype"])


def judge(e, role, unit, allowed, r):
    """None when the answer is right, else why not."""
    page = e["pattern"].startswith("/") and not e["pattern"].startswith("/api/")
    write = e["method"] not in ("GET", "HEAD")
    if role is None:  # nobody signed in
        if e["rule"] == "public":
            allowed = True
        elif page and not e["pattern"].startswith("/open311"):
            return None if r.status in (303, 401, 403) else "expected the sign-in, got %r" % r
        else:
            return None if r.status == 401 else "expected 401, got %r" % r
    if r.status >= 500:
        return "server error %r" % r
    if not allowed:
        deny = e["deny"](role, unit) if callable(e["deny"]) else e["deny"]
        return None if r.status == deny else "expected %d, got %r" % (deny, r)
    ok = e["ok"]
    if ok is not None:
        oks = ok if isinstance(ok, tuple) else (ok,)
        if r.status in oks:
            return None
        if not write:
            return "expected %s, got %r" % (oks, r)
    if write:
        return None if (r.status < 300 or r.status in (303, 409, 422)) else \
            "an allowed write was refused: %r" % r
    return None if r.status == 200 else "expected 200, got %r" % r


def leaked(role, r):
    """Codes of units the role may not read found in an answer that should hold only
    units it reads (entries with filtered=True)."""
    if role == "admin" or r.status != 200:
        return []
    text = r.raw.decode("utf-8", "replace")
    return [u for u in pf.PARENT if not pf.allows(role, "read", u) and
            re.search(r"(?<![\w-])%s(?![\w-])" % re.escape(u), text)]


class DeniedRows:
    """Counts the "denied" rows of the audit log, twice per route: through one open
    connection (SQLite) or one psql process kept for the module (PostgreSQL), since a new
    psql per query would cost more than the requests themselves."""
    SQL = "SELECT count(*) FROM audit_log WHERE outcome = 'denied'"

    def __init__(self, db):
        self.conn = self.psql = None
        if db.startswith("sqlite:"):
            self.conn = sqlite3.connect(db[len("sqlite:"):], timeout=30)
        else:
            self.psql = subprocess.Popen(["psql", "-X", "-q", "-A", "-t", "-d", db],
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         text=True)

    def __call__(self):
        if self.conn:
            return self.conn.execute(self.SQL).fetchone()[0]
        self.psql.stdin.write(self.SQL + ";\n")
        self.psql.stdin.flush()
        return int(self.psql.stdout.readline())

    def close(self):
        if self.conn:
            self.conn.close()
        else:
            self.psql.stdin.close()
            self.psql.wait(timeout=30)


def test_permission_matrix(ctx):
    d = tempfile.mkdtemp(prefix="dh-perm-")
    db = harness.fresh_db(d)
    binary = os.path.abspath(ctx.binary)
    tok = pf.prepare_db(binary, db, d)
    s = ctx.server(db=db)
    # sessions, the usual credential of people (API tokens may not change passwords)
    sessions = {role: s.login("pq." + role) for role in pf.ROLES}
    fx = pf.build_objects(s, tok)
    fx[""]["token_other"] = db_rows(db, "SELECT id FROM credentials WHERE name = 'other'")[0][0]
    routes = {(r["method"], r["pattern"]): r for r in listed_routes(binary)}
    missing = set(routes) - {(e["method"], e["pattern"]) for e in MATRIX}
    assert not missing, "routes without an entry in the permission matrix: %s" % sorted(missing)
    denied_rows = DeniedRows(db)
    wrong = []
    asked = 0
    order = sorted(MATRIX, key=lambda e: e["last"])
    for e in order:
        if (e["method"], e["pattern"]) not in routes:
            continue  # the coverage test reports it
        cells = []
        for rel in rels_of(e):
            unit = pf.REL[rel]
            for role in pf.ROLES:
                cells.append((role, rel, unit, expected_allowed(e, role, unit)))
        # refusals first: they must not depend on what an allowed write changed
        cells.sort(key=lambda c: c[3])
        before = denied_rows()
        refused = 0
        # nobody signed in, once per route
        r = ask(s, e, None, pf.REL["own"], fx)
        asked += 1
        why = judge(e, None, pf.OWN, e["rule"] == "public", r)
        if why:
            wrong.append("%s %s as nobody: %s" % (e["method"], e["pattern"], why))
        for role, rel, unit, allowed in ([] if e["only_nobody"] else cells):
            token = sessions[role]
            if e["last"] and e["pattern"] in ("/api/v1/logout", "/dang-xuat"):
                token = s.login("pq." + role)
            r = ask(s, e, token, unit, fx)
            asked += 1
            why = judge(e, role, unit, allowed, r)
            if not why and e["rule"] != "public" and r.header("Cache-Control") != e["cache"] \
                    and r.status < 300:
                why = "an answer for a signed-in user may be cached: %r" % \
                    r.header("Cache-Control")
            if not why and e["filtered"] and leaked(role, r):
                why = "the answer shows units it may not read: %s" % leaked(role, r)
            if why:
                wrong.append("%s %s as %s on %s (%s): %s" % (e["method"], e["pattern"], role,
                                                            rel, unit, why))
            elif not allowed and e["audit"]:
                refused += 1
        if refused:
            got = denied_rows() - before
            if got < refused:
                wrong.append("%s %s: %d refusals left %d denied audit rows" %
                             (e["method"], e["pattern"], refused, got))
    denied_rows.close()
    print("permission matrix: %d requests over %d routes" % (asked, len(MATRIX)))
    # the audit log names who did what, never a credential (ASVS 7.1.1)
    trail = json.dumps(db_rows(db, "SELECT * FROM audit_log"), ensure_ascii=False)
    for secret in list(sessions.values()) + [tok[r] for r in pf.ROLES] + [pf.DEMO_PASSWORD]:
        if secret in trail:
            wrong.append("a credential is in the audit log")
    assert not wrong, "%d wrong cells:\n  %s" % (len(wrong), "\n  ".join(wrong))
