"""Issue 13, finding 3: hostile XLSX uploads.

A viewer or leader is refused before the file is read; an officer's hostile
workbook is refused by the limit it breaks, about as fast as a normal small
upload (a ratio measured in the same run), while /api/v1/health answers; the
server's memory stays bounded and SIGTERM is not held by a parse."""
import io
import os
import threading
import time
import zipfile

from harness import expect_error

SHEET = '<?xml version="1.0"?><worksheet><sheetData>%s</sheetData></worksheet>'
VALUES = "/api/v1/indicator-values/import?name=%s"
OFFICER_UNIT = "BRVT-STTTT"  # canbo.stttt


def xlsx(parts):
    """A workbook of the given parts (name -> str or bytes), deflated."""
    bio = io.BytesIO()
    with zipfile.ZipFile(bio, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return bio.getvalue()


def sheet(rows, strings=None):
    parts = {}
    if strings is not None:
        parts["xl/sharedStrings.xml"] = "<sst>" + strings + "</sst>"
    parts["xl/worksheets/sheet1.xml"] = SHEET % rows
    return xlsx(parts)


def shared_strings_file(n):
    return sheet("", "<si/>" * n)


def far_column_file(n=80000):
    return sheet("".join('<row r="%d"><c r="IV%d"><v>1</v></c></row>' % (r, r)
                         for r in range(1, n + 1)))


def bomb_file(mib=100):
    """sheet1.xml of mib MiB of spaces: a few hundred KB zipped."""
    bio = io.BytesIO()
    with zipfile.ZipFile(bio, "w", zipfile.ZIP_DEFLATED) as z:
        with z.open("xl/worksheets/sheet1.xml", "w") as f:
            chunk = b" " * (1 << 20)
            for _ in range(mib):
                f.write(chunk)
    return bio.getvalue()


def many_cells_file(rows=20001, cols=50):
    row = "".join("<c><v>1</v></c>" for _ in range(cols))
    return sheet("".join('<row r="%d">%s</row>' % (r, row) for r in range(1, rows + 1)))


def normal_values_file(i):
    head = ["indicator", "unit", "period", "value", "source", "id"]
    vals = ["ratio_sec", OFFICER_UNIT, "2024-07", "50", "test", "sec-%d" % i]
    cells = lambda r, vs: "".join(
        '<c r="%s%d" t="inlineStr"><is><t>%s</t></is></c>' % (chr(65 + k), r, v)
        for k, v in enumerate(vs))
    return sheet('<row r="1">%s</row><row r="2">%s</row>' % (cells(1, head), cells(2, vals)))


def setup(ctx):
    s = ctx.server(demo=True)
    admin = s.login("admin")
    r = s.request("POST", "/api/v1/indicators",
                  {"code": "ratio_sec", "name": "Chỉ tiêu thử", "uom": "%", "direction": "higher",
                   "aggregation": "mean", "source": "pushed", "period_type": "month",
                   "freshness": "monthly:10"}, token=admin)
    assert r.status == 201, r
    r = s.request("POST", "/api/v1/plans",
                  {"key": "SEC-XLSX", "type": "Quyết định", "issuer": OFFICER_UNIT,
                   "title": "Kế hoạch thử", "period_from": "2024-01-01",
                   "period_to": "2025-12-31"}, token=admin)
    assert r.status == 201, r
    plan = "/api/v1/plans/%d/import?name=%%s" % r.json["id"]
    return s, admin, plan


def post(s, path, name, data, token):
    t0 = time.monotonic()
    r = s.request("POST", path % name, raw=data, token=token)
    return r, time.monotonic() - t0


def rss_kib(s):
    with open("/proc/%d/status" % s.proc.pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_xlsx_import_refused_before_parsing_for_viewer_and_leader(ctx):
    """Finding 3: files were parsed before the permission check."""
    s, admin, plan = setup(ctx)
    # Not a workbook at all: had it been read, the answer would be 422.
    junk = b"PK\x03\x04 not a workbook"
    for login in ("xem.tinh", "lanhdao.tinh"):
        t = s.login(login)
        for path in (VALUES, plan):
            r, _ = post(s, path, "x.xlsx", junk, t)
            expect_error(r, 403, "forbidden")
            r, _ = post(s, path, "ss.xlsx", shared_strings_file(80000), t)
            expect_error(r, 403, "forbidden")
    # An officer of another unit is refused the plan before its file is read.
    other = s.login("vanphong.vt")
    r, _ = post(s, plan, "x.xlsx", junk, other)
    expect_error(r, 403, "forbidden")
    # The officer of the plan's unit does get the file read.
    t = s.login("canbo.stttt")
    r, _ = post(s, plan, "x.xlsx", junk, t)
    expect_error(r, 422, "invalid_file")
    # The refusals are audited.
    for entity in ("indicator_value", "plan"):
        r = s.request("GET", "/api/v1/audit?entity=%s" % entity, token=admin)
        assert any(x["outcome"] == "denied" for x in r.json["items"]), r


def test_xlsx_hostile_workbooks_refused_fast_with_bounded_memory(ctx):
    """Finding 3: quadratic shared strings, dense far columns, zip bombs."""
    s, admin, plan = setup(ctx)
    t = s.login("canbo.stttt")
    # A normal small upload, several times: the baseline of the ratio.
    normal = []
    for i in range(5):
        r, dt = post(s, VALUES, "so-lieu.xlsx", normal_values_file(i), t)
        assert r.status == 200 and r.json["accepted"] == 1, r
        normal.append(dt)
    base = sorted(normal)[len(normal) // 2]
    rss0 = rss_kib(s)
    hostile = [
        ("ss80k.xlsx", shared_strings_file(80000), None, None),
        ("ss.xlsx", shared_strings_file(250000), "max_strings", "xl/sharedStrings.xml"),
        ("iv.xlsx", far_column_file(), "max_columns", "row 1: cell IV1"),
        ("bomb.xlsx", bomb_file(), "max_part_bytes", "xl/worksheets/sheet1.xml: inflates to"),
        ("cells.xlsx", many_cells_file(), "max_cells", "more than 1000000 cells"),
    ]
    for _, data, _, _ in hostile:
        assert len(data) < 400 * 1024, len(data)
    worst = 0.0
    bound = max(20 * base, 2.0)
    for path in (VALUES, plan):
        for name, data, field, text in hostile:
            r, dt = post(s, path, name, data, t)
            # A load spike on a shared machine can slow one request; a
            # quadratic reader is slow every time: the best of three counts.
            for _ in range(2):
                if dt <= bound:
                    break
                dt = min(dt, post(s, path, name, data, t)[1])
            worst = max(worst, dt)
            if field is None:
                # 80,000 empty strings are within the limits: read in one
                # pass, then refused for what the sheet lacks (a header).
                expect_error(r, 422, "invalid_file")
                continue
            err = expect_error(r, 413, "file_limit", field)
            assert err["message"].startswith(name + ": "), err
            assert text in err["message"] and "(%s)" % field in err["message"], err
        assert s.request("GET", "/api/v1/health").status == 200
    # Quick: at most 20 times a normal small upload (or 2 s, whichever is
    # more, so that a very fast baseline does not make the test flaky). The
    # 80,000 <si/> alone took 18.5 s before.
    assert worst <= bound, (worst, base)
    # Memory follows the limits, not the declared shapes (the far column
    # file took RSS to 2 GB before).
    # Under AddressSanitizer freed memory waits in a quarantine of up to
    # 256 MiB before it is reused, so the sanitizer build may keep that much
    # more; still far below the 2 GB of the far column file.
    rss1 = rss_kib(s)
    limit = 256 * 1024
    if "asan" in os.path.dirname(s.binary):
        limit += 256 * 1024
    assert rss1 - rss0 < limit, (rss0, rss1, limit)


def test_xlsx_hostile_uploads_keep_health_and_sigterm(ctx):
    """Finding 3: five uploads stalled /api/v1/health; SIGTERM was ignored."""
    s, admin, plan = setup(ctx)
    t = s.login("canbo.stttt")
    files = [shared_strings_file(80000), shared_strings_file(250000), far_column_file()]
    results = []

    def upload(data, path):
        try:
            r = s.request("POST", path % "h.xlsx", raw=data, token=t)
            results.append(r.status)
        except OSError as ex:  # the server went away under SIGTERM
            results.append(str(ex))

    threads = [threading.Thread(target=upload, args=(files[i % 3], (VALUES, plan)[i % 2]))
               for i in range(5)]
    for th in threads:
        th.start()
    # Health answers while the uploads run.
    for _ in range(5):
        assert s.request("GET", "/api/v1/health").status == 200
    for th in threads:
        th.join(60)
    assert sorted(results) == sorted([422, 413, 413, 422, 413]), results
    assert s.request("GET", "/api/v1/health").status == 200
    # SIGTERM with hostile uploads in flight: the server still stops cleanly.
    threads = [threading.Thread(target=upload, args=(f, VALUES)) for f in files * 2]
    for th in threads:
        th.start()
    s.proc.terminate()
    assert s.proc.wait(timeout=60) == 0
    for th in threads:
        th.join(60)
