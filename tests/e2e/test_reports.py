"""Biểu II.06a on a hand-built set of dossiers whose counts are worked out by
hand below (issue 5, golden test)."""
from test_dossiers import ev, received, setup

from harness import expect_error

# Period: March 2025, unit VT-P1. Procedures: Hộ tịch 3 working days, Chứng thực 2.
#  A  Hộ tịch  online   received 26/2 08:00, due 3/3 08:00, processed 3/3 09:00 -> carried, late
#  B  Hộ tịch  counter  received 20/2, processed 21/2                          -> not in March
#  C  Hộ tịch  online   received 10/3 08:00, due 13/3, processed 11/3          -> early
#  D  Chứng thực counter received 12/3 08:00, due 14/3 08:00, processed 14/3 07:45 -> on time
#  E  Chứng thực postal  received 27/3 08:00, due 31/3 08:00, processed 2/4    -> in progress, overdue
#  F  Hộ tịch  online   received 31/3 10:00, due 3/4                          -> in progress, within
#  G  Hộ tịch  online   received 20/3 08:00, refused 20/3 09:00                -> resolved early
#  H  Chứng thực online  received 24/3 08:00, supplement asked 24/3 09:00, back 3/4
#                                                  -> paused at the end: in progress, within
#  I  Hộ tịch  online   received 1/4                                           -> not in March
HT, CT = "1.004227", "2.000908"
EVENTS = [
    received("A1", "A", "2025-02-26T08:00:00+07:00", proc=HT, channel="online"),
    ev("A2", "A", "processed", "2025-03-03T09:00:00+07:00"),
    received("B1", "B", "2025-02-20T08:00:00+07:00", proc=HT),
    ev("B2", "B", "processed", "2025-02-21T08:00:00+07:00"),
    received("C1", "C", "2025-03-10T08:00:00+07:00", proc=HT, channel="online"),
    ev("C2", "C", "processed", "2025-03-11T10:00:00+07:00"),
    received("D1", "D", "2025-03-12T08:00:00+07:00", proc=CT, channel="counter"),
    ev("D2", "D", "processed", "2025-03-14T07:45:00+07:00"),
    received("E1", "E", "2025-03-27T08:00:00+07:00", proc=CT, channel="postal"),
    ev("E2", "E", "processed", "2025-04-02T08:00:00+07:00"),
    received("F1", "F", "2025-03-31T10:00:00+07:00", proc=HT, channel="online"),
    received("G1", "G", "2025-03-20T08:00:00+07:00", proc=HT, channel="online"),
    ev("G2", "G", "refused", "2025-03-20T09:00:00+07:00"),
    received("H1", "H", "2025-03-24T08:00:00+07:00", proc=CT, channel="online",
             by_applicant=True),
    ev("H2", "H", "supplement_requested", "2025-03-24T09:00:00+07:00"),
    ev("H3", "H", "supplement_completed", "2025-04-03T09:00:00+07:00"),
    received("I1", "I", "2025-04-01T08:00:00+07:00", proc=HT, channel="online"),
]

KEYS = ["received_total", "received_online", "received_counter_postal", "carried_over",
        "resolved_total", "early", "on_time", "late", "in_progress_total", "within", "overdue"]
WANT = {
    "Chứng thực": [3, 1, 2, 0, 1, 0, 1, 0, 2, 1, 1],
    "Hộ tịch": [4, 3, 0, 1, 3, 2, 0, 1, 1, 1, 0],
}
TOTAL = [7, 4, 2, 1, 4, 2, 1, 1, 3, 2, 1]


def test_ii06a_golden(ctx):
    s, admin = setup(ctx)
    r = s.request("POST", "/api/v1/dossier-events", {"events": EVENTS}, token=admin)
    assert r.status == 201, r
    t = s.login("vanphong.vt")
    r = s.request("GET", "/api/v1/reports/ii06a?unit=VT-P1&from=2025-03-01&to=2025-03-31",
                  token=t)
    assert r.status == 200, r
    rep = r.json
    assert rep["unit"] == "VT-P1" and rep["from"] == "2025-03-01" and rep["to"] == "2025-03-31"
    got = {row["field"]: [row[k] for k in KEYS] for row in rep["rows"]}
    assert got == WANT, got
    assert [rep["total"][k] for k in KEYS] == TOTAL
    assert [row["field"] for row in rep["rows"]] == ["Chứng thực", "Hộ tịch"]
    # the same through the city's subtree, a named period and the CLI
    r = s.request("GET", "/api/v1/reports/ii06a?unit=BRVT-VT&period=2025-03", token=t)
    assert [r.json["total"][k] for k in KEYS] == TOTAL
    r = s.cli("report", "ii06a", "--unit", "VT-P1", "--period", "2025-03", "--format", "csv",
              "--db", s.db)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.strip().splitlines()
    assert lines[0].startswith("STT,Lĩnh vực,Tổng số hồ sơ tiếp nhận")
    assert lines[-1] == ",Tổng cộng," + ",".join(str(x) for x in TOTAL), lines[-1]
    r = s.request("GET", "/api/v1/reports/ii06a?unit=VT-P1&period=2025-03&format=html", token=t)
    assert r.status == 200 and "Biểu số II.06a" in r.raw.decode("utf-8")
    # February: A is received then, B too (and finished); nothing carried in
    r = s.request("GET", "/api/v1/reports/ii06a?unit=VT-P1&period=2025-02", token=t)
    tot = r.json["total"]
    assert tot["received_total"] == 2 and tot["resolved_total"] == 1
    assert tot["in_progress_total"] == 1 and tot["within"] == 1  # A: due 3/3, still within


def test_ii06a_bad_input(ctx):
    s, admin = setup(ctx)
    for q, field in (("unit=VT-P1&from=2025-03-31&to=2025-03-01", "to"),
                     ("unit=VT-P1&period=2025-Q5", "period"),
                     ("unit=VT-P1&from=2025-02-30&to=2025-03-01", "from"),
                     ("from=2025-03-01&to=2025-03-31", "unit"),
                     ("unit=VT-P1&period=2025-03&format=doc", "format")):
        expect_error(s.request("GET", "/api/v1/reports/ii06a?" + q, token=admin), 422,
                     field=field)
    expect_error(s.request("GET", "/api/v1/reports/ii06a?unit=KHONG&period=2025-03",
                           token=admin), 422, field="unit")
    other = s.login("canbo.stttt")
    expect_error(s.request("GET", "/api/v1/reports/ii06a?unit=VT-P1&period=2025-03",
                           token=other), 403)
    r = s.cli("report", "ii06a", "--unit", "VT-P1", "--period", "2025-13", "--db", s.db)
    assert r.returncode == 1 and "period" in r.stderr
    r = s.cli("report", "ii06a", "--unit", "VT-P1", "--db", s.db)
    assert r.returncode == 2


def test_ii06a_xlsx_read_back(ctx):
    import os
    import subprocess
    import tempfile
    s, admin = setup(ctx)
    assert s.request("POST", "/api/v1/dossier-events", {"events": EVENTS},
                     token=admin).status == 201
    r = s.request("GET", "/api/v1/reports/ii06a?unit=VT-P1&period=2025-03&format=xlsx",
                  token=admin)
    assert r.status == 200 and r.raw[:2] == b"PK", r
    d = tempfile.mkdtemp(prefix="dh-xlsx-")
    p = os.path.join(d, "ii06a.xlsx")
    with open(p, "wb") as f:
        f.write(r.raw)
    # read it with a real reader: Debian's openpyxl under the system python
    code = ("import json, openpyxl, sys\n"
            "ws = openpyxl.load_workbook(sys.argv[1]).active\n"
            "print(json.dumps([list(r) for r in ws.iter_rows(values_only=True)]))\n")
    out = subprocess.run(["/usr/bin/python3", "-c", code, p], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    rows = __import__("json").loads(out.stdout)
    # the corner of the form: who reports to whom (issue 19, point 10)
    corner = [c for row in rows[:2] for c in row if c]
    assert corner == ["Đơn vị báo cáo: Phường 1",
                      "Đơn vị nhận báo cáo: Thành phố Vũng Tàu"], rows[:2]
    rows = rows[2:]
    assert rows[0][0] == "Biểu số II.06a/VPCP/KSTT"
    assert "Phường 1" in rows[1][0] and "01/03/2025" in rows[1][0] and "31/03/2025" in rows[1][0]
    assert rows[3][:3] == ["STT", "Lĩnh vực", "Tổng số hồ sơ tiếp nhận"]
    body = {row[1]: row[2:] for row in rows[5:]}
    # place and date, then the signatures, below the total
    tail = [c for row in rows[5:] for c in row if isinstance(c, str)]
    assert any(c.startswith("Bà Rịa – Vũng Tàu, ngày ") and " tháng " in c for c in tail), tail
    assert tail.index("NGƯỜI LẬP BIỂU") > tail.index("Tổng cộng"), tail
    assert "THỦ TRƯỞNG ĐƠN VỊ" in tail and "(Ký, đóng dấu, ghi rõ họ tên)" in tail, tail
    assert body["Chứng thực"] == WANT["Chứng thực"]
    assert body["Hộ tịch"] == WANT["Hộ tịch"]
    assert body["Tổng cộng"] == TOTAL
    r = s.cli("report", "ii06a", "--unit", "VT-P1", "--period", "2025-03", "--format", "xlsx",
              "-o", os.path.join(d, "cli.xlsx"), "--db", s.db)
    assert r.returncode == 0 and os.path.getsize(os.path.join(d, "cli.xlsx")) > 1000
    r = s.cli("report", "ii06a", "--unit", "VT-P1", "--period", "2025-03", "--format", "xlsx",
              "--db", s.db)
    assert r.returncode == 2


def test_kpis_on_the_golden_set(ctx):
    s, admin = setup(ctx)
    assert s.request("POST", "/api/v1/dossier-events", {"events": EVENTS},
                     token=admin).status == 201
    t = s.login("vanphong.vt")
    r = s.request("GET", "/api/v1/kpis?unit=VT-P1&period=2025-03", token=t)
    assert r.status == 200, r
    k = r.json["items"][0]
    assert [k[x] for x in KEYS] == TOTAL and r.json["total"]["received_total"] == 7
    # six dossiers received in March (A was carried over): C F G H online, H by the applicant
    assert k["on_time_rate"] == 75.0            # (2 early + 1 on time) / 4 resolved
    assert k["online_rate"] == 66.67            # 4 / 6
    assert k["online_by_applicant_rate"] == 16.67  # 1 / 6
    assert k["online_payment_rate"] is None     # nothing paid: N/A, not 0%
    assert k["satisfaction_rate"] is None       # nothing rated
    assert k["digitisation_rate"] == 0.0
    # working minutes: A 1410, C 570, D 885, G 60 -> 2925 / 4
    assert k["average_working_minutes_to_resolve"] == 731
    r = s.request("GET", "/api/v1/kpis?unit=VT-P1&period=2025-03&group_by=field", token=t)
    by = {i["key"]: i for i in r.json["items"]}
    assert by["Hộ tịch"]["on_time_rate"] == 66.67 and by["Chứng thực"]["on_time_rate"] == 100.0
    r = s.request("GET", "/api/v1/kpis?unit=BRVT-VT&subtree=1&period=2025-03&group_by=unit",
                  token=t)
    assert [(i["key"], i["name"]) for i in r.json["items"]] == [("VT-P1", "Phường 1")]
    r = s.request("GET", "/api/v1/kpis?unit=VT-P1&from=2025-02-01&to=2025-03-31&group_by=month",
                  token=t)
    months = {i["key"]: i for i in r.json["items"]}
    assert set(months) == {"2025-02", "2025-03"}
    assert months["2025-02"]["received_total"] == 2 and months["2025-03"]["carried_over"] == 1
    expect_error(s.request("GET", "/api/v1/kpis?unit=VT-P1&period=2025-03&group_by=colour",
                           token=t), 422, field="group_by")
    expect_error(s.request("GET", "/api/v1/kpis?unit=VT-P1&from=2025-03-31&to=2025-03-01",
                           token=t), 422, field="to")
    expect_error(s.request("GET", "/api/v1/kpis?unit=KHONG&period=2025-03", token=t), 422,
                 field="unit")


def test_ii06a_pdf_read_back(ctx):
    import subprocess
    s, admin = setup(ctx)
    assert s.request("POST", "/api/v1/dossier-events", {"events": EVENTS},
                     token=admin).status == 201
    r = s.request("GET", "/api/v1/reports/ii06a?unit=VT-P1&period=2025-03&format=pdf",
                  token=admin)
    assert r.status == 200 and r.raw[:5] == b"%PDF-", r
    out = subprocess.run(["pdftotext", "-layout", "-", "-"], input=r.raw, capture_output=True)
    text = out.stdout.decode("utf-8")
    assert "Biểu số II.06a/VPCP/KSTT" in text and "01/03/2025" in text and "Phường 1" in text
    total = [line for line in text.splitlines() if "Tổng cộng" in line][0]
    assert total.split()[2:] == [str(x) for x in TOTAL], total
    # the header and the signature block as in the Circular (issue 19, point 10)
    assert "Đơn vị báo cáo: Phường 1" in text, text
    assert "Đơn vị nhận báo cáo: Thành phố Vũng Tàu" in text, text
    assert "Bà Rịa – Vũng Tàu, ngày " in text, text
    assert text.index("NGƯỜI LẬP BIỂU") > text.index("Tổng cộng"), text
    assert "THỦ TRƯỞNG ĐƠN VỊ" in text and "(Ký, đóng dấu, ghi rõ họ tên)" in text, text
    r = s.cli("report", "ii06a", "--unit", "VT-P1", "--period", "2025-03", "--format", "pdf",
              "--db", s.db)
    assert r.returncode == 2  # a PDF needs -o FILE


def test_dossier_list_by_field_and_channel(ctx):
    s, admin = setup(ctx)
    assert s.request("POST", "/api/v1/dossier-events", {"events": EVENTS},
                     token=admin).status == 201

    def codes(q):
        r = s.request("GET", "/api/v1/dossiers?unit=VT-P1&subtree=1&" + q, token=admin)
        assert r.status == 200, r
        return sorted(d["code"] for d in r.json["items"])
    from urllib.parse import quote
    ct, ht = quote("Chứng thực"), quote("Hộ tịch")
    assert codes("field=" + ct) == ["D", "E", "H"]
    assert codes("channel=postal") == ["E"]
    assert codes("field=%s&channel=online" % ct) == ["H"]
    # the open-dossier path (an index) filters the same way
    assert codes("state=in_progress&field=" + ht) == ["F", "I"]
    assert codes("state=in_progress&channel=online&field=" + ht) == ["F", "I"]
    assert codes("state=in_progress&channel=counter") == []
    expect_error(s.request("GET", "/api/v1/dossiers?channel=fax", token=admin), 422,
                 field="channel")
    expect_error(s.request("GET", "/api/v1/dossiers?field=" + quote("Không có"), token=admin),
                 422, field="field")


def test_kpis_for_one_field_or_procedure(ctx):
    from urllib.parse import quote
    s, admin = setup(ctx)
    assert s.request("POST", "/api/v1/dossier-events", {"events": EVENTS},
                     token=admin).status == 201
    base = "/api/v1/kpis?unit=VT-P1&period=2025-03"
    for q in ("&field=" + quote("Chứng thực"), "&procedure=2.000908"):
        for exact in ("", "&exact=1"):
            k = s.request("GET", base + q + exact, token=admin).json["items"][0]
            assert [k[x] for x in KEYS] == WANT["Chứng thực"], (q, exact, k)
    k = s.request("GET", base, token=admin).json["items"][0]
    assert (k["received_counter"], k["received_postal"]) == (1, 1)  # D at the counter, E by post
    by = s.request("GET", base + "&field=" + quote("Hộ tịch") + "&group_by=unit",
                   token=admin).json["items"]
    assert [(i["key"], i["received_total"]) for i in by] == [("VT-P1", 4)]
    expect_error(s.request("GET", base + "&procedure=9.999999", token=admin), 422,
                 field="procedure")
    expect_error(s.request("GET", base + "&field=" + quote("Không có"), token=admin), 422,
                 field="field")


def test_kpis_by_field_see_keys_added_after_a_query(ctx):
    """The readers' copy lists each unit's keys for queries by key (aggs.c); a key
    made by a later batch (a new procedure of the unit) is in the next answer. A
    scope's total is read from the sum of its units' rollups, kept cell by cell
    (here for a scope of one unit)."""
    from test_dossiers import PROCS
    s = ctx.server(demo=True, env={"DIEUHANH_AGG_SCOPE_TOTAL_MIN": "1"})
    admin = s.login("admin")
    assert s.request("POST", "/api/v1/procedures", PROCS, token=admin).status == 201
    first = [e for e in EVENTS if e["dossier"] in ("A", "B", "C")]  # Hộ tịch only
    assert s.request("POST", "/api/v1/dossier-events", {"events": first},
                     token=admin).status == 201
    base = "/api/v1/kpis?unit=VT-P1&period=2025-03&group_by=field"
    total = "/api/v1/kpis?unit=VT-P1&period=2025-03"
    by = {i["key"]: i for i in s.request("GET", base, token=admin).json["items"]}
    assert set(by) == {"Hộ tịch"}
    # the scope holds every unit of the copy: the total of every unit's rollup,
    # kept up to date by the next batch
    k = s.request("GET", total, token=admin).json["items"][0]
    assert k["received_total"] == 2
    rest = [e for e in EVENTS if e not in first]
    assert s.request("POST", "/api/v1/dossier-events", {"events": rest},
                     token=admin).status == 201
    by = {i["key"]: i for i in s.request("GET", base, token=admin).json["items"]}
    assert {k: [v[x] for x in KEYS] for k, v in by.items()} == WANT
    k = s.request("GET", total, token=admin).json["items"][0]
    assert [k[x] for x in KEYS] == TOTAL
