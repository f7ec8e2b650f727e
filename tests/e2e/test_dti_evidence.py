"""Evidence files per DTI criterion (issue 16, point 2): the unit's officer attaches files
while it assesses itself, the appraiser (an officer of a unit above it) during the
appraisal; both are listed on the assessment and the scorecard, downloaded by those who
read the unit (its officers, the units above it, admins) and by nobody else (404 as for an
unknown file); a submitted or published assessment keeps its files and takes no more."""
import json

from harness import db_rows, expect_error
from test_dti import import_framework

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
WHO = {"unit": "BRVT-VT", "framework": "DTI-T", "year": 2023}
Q = "unit=BRVT-VT&framework=DTI-T&year=2023"


def upload(s, tok, crit, name, data, q=Q):
    return s.request("POST", "/api/v1/dti/evidence?%s&criterion=%s&name=%s" % (q, crit, name),
                     token=tok, raw=data,
                     headers={"Content-Type": "application/octet-stream"})


def download(s, tok, fid, q=Q):
    return s.request("GET", "/api/v1/dti/evidence/%d?%s" % (fid, q), token=tok)


def entries(s, tok):
    a = s.request("GET", "/api/v1/dti/assessment?" + Q, token=tok)
    assert a.status == 200, a
    return {x["criterion"]: x for x in a.json["entries"]}


def test_dti_evidence_files(ctx):
    s = ctx.server(demo=True)
    assert import_framework(s).returncode == 0
    admin, vt = s.login("admin"), s.login("vanphong.vt")
    # an appraiser: an officer of the province, the unit above the city
    r = s.request("POST", "/api/v1/users", {"login": "thamdinh.tinh", "password": "mat-khau-dai",
                                            "role": "officer", "unit": "BRVT"}, token=admin)
    assert r.status == 201, r
    appr = s.login("thamdinh.tinh", "mat-khau-dai")
    sibling, leader = s.login("canbo.stttt"), s.login("lanhdao.tinh")
    # no assessment yet: nothing to attach to
    expect_error(upload(s, vt, "NT.K", "a.pdf", PDF), 404, "no_assessment")
    assert s.request("POST", "/api/v1/dti/assessments", WHO, token=vt).status == 201
    r = s.request("PUT", "/api/v1/dti/entries", dict(WHO, criterion="NT.K", points=6,
                                                     evidence="Báo cáo số 12/BC-UBND"), token=vt)
    assert r.status == 200, r

    # the unit's officer attaches two files to NT.K and one to a criterion without figures
    r = upload(s, vt, "NT.K", "bao-cao-12.pdf", PDF)
    assert r.status == 201 and r.json["file"]["type"] == "pdf" and r.json["files"] == 1, r
    f1 = r.json["file"]["id"]
    txt = "Kế hoạch tập huấn chuyển đổi số năm 2023\n".encode()
    r = upload(s, vt, "NT.K", "ke-hoach.txt", txt)
    assert r.status == 201 and r.json["files"] == 2, r
    f2 = r.json["file"]["id"]
    r = upload(s, vt, "TC.1", "quy-che.pdf", PDF)
    assert r.status == 201 and r.json["criterion"] == "TC.1", r
    f3 = r.json["file"]["id"]
    # refused: a sibling unit's officer, an unknown criterion, a type judged by the bytes,
    # an empty file, a file above 20 MB (413)
    expect_error(upload(s, sibling, "NT.K", "x.pdf", PDF), 403, "forbidden")
    expect_error(upload(s, vt, "ZZ", "x.pdf", PDF), 422, "unknown_criterion", "criterion")
    expect_error(upload(s, vt, "NT.K", "x.pdf", b"MZ\x90\x00 not a pdf"), 422,
                 "unsupported_type", "file")
    expect_error(upload(s, vt, "NT.K", "x.pdf", b""), 422, "empty_file")
    big = PDF + b"\0" * (20 * 1024 * 1024)
    expect_error(upload(s, vt, "NT.K", "lon.pdf", big), 413, "file_too_large", "file")

    # listed on the assessment (names, types, sizes) with the evidence text kept
    ents = entries(s, vt)
    nt = ents["NT.K"]
    assert nt["evidence"] == "Báo cáo số 12/BC-UBND" and nt["self_points"] == 6, nt
    assert [(f["id"], f["name"], f["type"], f["size"]) for f in nt["evidence_files"]] == \
        [(f1, "bao-cao-12.pdf", "pdf", len(PDF)), (f2, "ke-hoach.txt", "txt", len(txt))]
    assert nt["evidence_files"][0]["uploaded_by"] == "vanphong.vt"
    assert ents["TC.1"]["self_points"] is None and len(ents["TC.1"]["evidence_files"]) == 1
    # changing the evidence text keeps the files
    r = s.request("PUT", "/api/v1/dti/entries", dict(WHO, criterion="NT.K", points=5.5,
                                                     evidence="{Báo cáo 12 và kế hoạch}"),
                  token=vt)
    assert r.status == 200 and r.json["evidence"] == "{Báo cáo 12 và kế hoạch}", r
    assert r.json["evidence_files"] == [f1, f2], r
    nt = entries(s, vt)["NT.K"]
    assert nt["evidence"] == "{Báo cáo 12 và kế hoạch}" and len(nt["evidence_files"]) == 2

    # downloads: the unit's officer, the appraiser above it, the province's leader, an admin
    for tok in (vt, appr, leader, admin):
        r = download(s, tok, f2)
        assert r.status == 200 and r.raw == txt, r
        assert r.header("Content-Type").startswith("text/plain"), r.headers
    assert download(s, appr, f1).raw == PDF
    # nobody else: a sibling unit's officer gets 404 as for an unknown file, by either route
    expect_error(download(s, sibling, f1), 404, "unknown_file")
    expect_error(s.request("GET", "/api/v1/files/%d" % f1, token=sibling), 404, "unknown_file")
    # a file not attached to this assessment is unknown here even to an admin
    other = s.request("POST", "/api/v1/files?name=khac.pdf", token=vt, raw=PDF,
                      headers={"Content-Type": "application/octet-stream"}).json["id"]
    expect_error(download(s, admin, other), 404, "unknown_file")
    expect_error(download(s, vt, f1, "unit=BRVT-BR&framework=DTI-T&year=2023"), 404,
                 "unknown_file")
    # evidence text cannot forge an attachment: it is kept as text, the file stays unknown here
    forged = '{"text":"x","files":[%d]}' % other
    r = s.request("PUT", "/api/v1/dti/entries", dict(WHO, criterion="TC.2", points=1,
                                                     evidence=forged), token=vt)
    assert r.status == 200 and r.json["evidence"] == forged and r.json["evidence_files"] == [], r
    expect_error(download(s, admin, other), 404, "unknown_file")

    # the CLI attaches too (as an administrator), and shows the files
    import os
    path = os.path.join(s.dir, "so-lieu-cq3.txt")
    with open(path, "wb") as fh:
        fh.write("Số liệu giao dịch trực tuyến\n".encode())
    r = s.cli("dti", "evidence", path, "--unit", "BRVT-VT", "--framework", "DTI-T", "--year",
              "2023", "--criterion", "CQ.3", "--db", s.db)
    assert r.returncode == 0 and "CQ.3: attached so-lieu-cq3.txt as file" in r.stdout, r.stderr
    r = s.cli("dti", "evidence", path, "--unit", "BRVT-VT", "--framework", "DTI-T", "--year",
              "2023", "--criterion", "ZZ", "--db", s.db)
    assert r.returncode != 0 and "not a criterion" in r.stderr, r.stderr
    r = s.cli("dti", "show", "--unit", "BRVT-VT", "--framework", "DTI-T", "--year", "2023",
              "--db", s.db, "--json")
    shown = {x["criterion"]: x for x in json.loads(r.stdout)["entries"]}
    assert [f["name"] for f in shown["CQ.3"]["evidence_files"]] == ["so-lieu-cq3.txt"]
    assert len(shown["NT.K"]["evidence_files"]) == 2

    # submitted: the files stay, no more are taken
    assert s.request("POST", "/api/v1/dti/assessments/step", dict(WHO, action="submit"),
                     token=vt).status == 200
    expect_error(upload(s, vt, "NT.K", "muon.pdf", PDF), 409, "submitted", "status")
    assert s.request("POST", "/api/v1/dti/assessments/step", dict(WHO, action="appraise"),
                     token=appr).status == 200
    # during the appraisal the appraiser attaches (the unit may not)
    expect_error(upload(s, vt, "NT.K", "muon.pdf", PDF), 403, "forbidden")
    r = upload(s, appr, "NT.K", "bien-ban-tham-dinh.pdf", PDF)
    assert r.status == 201 and r.json["status"] == "appraisal" and r.json["files"] == 3, r
    f4 = r.json["file"]["id"]
    assert download(s, vt, f4).status == 200
    assert s.request("POST", "/api/v1/dti/assessments/step", dict(WHO, action="publish"),
                     token=appr).status == 200

    # published: locked, every file kept and still downloadable
    for tok in (vt, appr, admin):
        expect_error(upload(s, tok, "NT.K", "sau.pdf", PDF), 409, "published", "status")
    ents = entries(s, leader)
    assert [f["id"] for f in ents["NT.K"]["evidence_files"]] == [f1, f2, f4]
    assert ents["NT.K"]["evidence_files"][2]["uploaded_by"] == "thamdinh.tinh"
    assert download(s, leader, f3).raw == PDF
    # the scorecard names the files of each criterion
    sc = s.request("GET", "/api/v1/dti/score?" + Q, token=appr).json
    assert [f["id"] for f in sc["notes"]["NT.K"]["evidence_files"]] == [f1, f2, f4], sc
    assert sc["notes"]["NT.K"]["evidence_files"][2]["name"] == "bien-ban-tham-dinh.pdf"
    assert sc["notes"]["NT.K"]["evidence"] == "{Báo cáo 12 và kế hoạch}"
    # a correction after publication keeps the files too
    r = s.request("PUT", "/api/v1/dti/entries", dict(WHO, criterion="NT.K", points=5,
                                                     reason="Thiếu minh chứng"), token=appr)
    assert r.status == 200 and r.json["evidence_files"] == [f1, f2, f4], r

    # audited: four attachments by the API (one more by the CLI), the refusals (the sibling's upload and downloads)
    rows = db_rows(s.db, "SELECT actor, entity_key FROM audit_log WHERE action = "
                         "'attach_evidence' AND outcome = 'ok' AND actor NOT LIKE 'cli:%' "
                         "ORDER BY id")
    assert [r[0] for r in rows] == ["vanphong.vt"] * 3 + ["thamdinh.tinh"], rows
    assert rows[0][1] == "DTI-T/2023/BRVT-VT/NT.K", rows
    denied = db_rows(s.db, "SELECT count(*) FROM audit_log WHERE outcome <> 'ok' AND "
                           "actor = 'canbo.stttt'")[0][0]
    assert denied >= 3, denied


def test_dti_evidence_page_in_chromium(ctx):
    """The self-assessment page lists a criterion's evidence files as download links and
    uploads one from the row's file input."""
    import os
    import tempfile
    from selenium.webdriver.common.by import By
    from test_browser import Browser, login
    s = ctx.server(demo=True)
    assert import_framework(s).returncode == 0
    vt = s.login("vanphong.vt")
    assert s.request("POST", "/api/v1/dti/assessments", WHO, token=vt).status == 201
    f1 = upload(s, vt, "NT.K", "bao-cao-12.pdf", PDF).json["file"]["id"]
    path = os.path.join(tempfile.mkdtemp(dir=s.dir), "ke-hoach-tap-huan.txt")
    with open(path, "wb") as f:
        f.write("Kế hoạch tập huấn\n".encode())
    b = Browser("http://127.0.0.1:%d" % s.port)

    def row(code):
        return [tr for tr in b.d.find_elements(By.CSS_SELECTOR, "main table tbody tr")
                if tr.find_elements(By.TAG_NAME, "td")[0].text.startswith(code + "\n")][0]

    try:
        login(b, "vanphong.vt")
        b.get("/chuyen-doi-so/danh-gia?" + Q)
        links = row("NT.K").find_elements(By.CSS_SELECTOR, "ul.dti-files a")
        assert [a.text for a in links] == ["bao-cao-12.pdf"]
        assert ("/api/v1/dti/evidence/%d?" % f1) in links[0].get_attribute("href")
        row("NT.K").find_element(By.CSS_SELECTOR, "form.dti-upload input[type=file]") \
            .send_keys(path)
        row("NT.K").find_element(By.CSS_SELECTOR, "form.dti-upload button").click()
        def listed():
            try:  # the page reloads: its rows come and go
                return len(row("NT.K").find_elements(By.CSS_SELECTOR, "ul.dti-files a"))
            except Exception:
                return -1
        b.wait(lambda: listed() == 2)
        names = [a.text for a in row("NT.K").find_elements(By.CSS_SELECTOR, "ul.dti-files a")]
        assert names == ["bao-cao-12.pdf", "ke-hoach-tap-huan.txt"], names
        b.check_console("evidence upload")
        b.shot("63-dti-minh-chung")
        # the link downloads with the session (the browser's own request)
        href = row("NT.K").find_elements(By.CSS_SELECTOR, "ul.dti-files a")[1] \
            .get_attribute("href")
        got = b.d.execute_async_script(
            "var done=arguments[1];fetch(arguments[0]).then(function(r){return r.text()})"
            ".then(done)", href)
        assert got == "Kế hoạch tập huấn\n", got
        # the scorecard's evidence table links them too
        b.get("/chuyen-doi-so/don-vi?" + Q)
        names = [a.text for a in b.d.find_elements(By.CSS_SELECTOR, "ul.dti-files a")]
        assert names == ["bao-cao-12.pdf", "ke-hoach-tap-huan.txt"], names
        b.check_console("scorecard with evidence")
    finally:
        b.close()
