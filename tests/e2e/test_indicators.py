"""Indicators, the data hub, targets and report obligations (issue 8)."""
import datetime
import os
import tempfile

import harness
from harness import expect_error


def indicator(code, **kw):
    d = {"code": code, "name": "Chỉ tiêu " + code, "uom": "%", "direction": "higher",
         "aggregation": "ratio", "source": "pushed", "period_type": "month",
         "freshness": "monthly:10"}
    d.update(kw)
    return d


def val(i, ind, unit, period, value=None, **kw):
    d = {"indicator": ind, "unit": unit, "period": period, "source": "hub", "id": "v%s" % i}
    if value is not None:
        d["value"] = value
    d.update(kw)
    return d


def setup(ctx):
    s = ctx.server(demo=True)
    admin = s.login("admin")
    for body in (indicator("ratio_test"),
                 indicator("stations", uom="trạm", aggregation="sum", source="reported")):
        r = s.request("POST", "/api/v1/indicators", body, token=admin)
        assert r.status == 201, r
    return s, admin


def test_push_values_idempotent_and_refusals(ctx):
    s, admin = setup(ctx)
    batch = {"values": [val(1, "ratio_test", "VT-P1", "2024-07", numerator=1, denominator=1),
                        val(2, "ratio_test", "VT-P2", "2024-07", numerator=10, denominator=100)]}
    r = s.request("POST", "/api/v1/indicator-values", batch, token=admin)
    assert r.status == 200 and r.json["accepted"] == 2, r
    r = s.request("POST", "/api/v1/indicator-values", batch, token=admin)
    assert r.status == 200 and r.json == {"accepted": 0, "duplicates": 2, "replaced": 0}, r
    # the same id with other content: 409, and nothing of the batch is kept
    bad = {"values": [val(3, "ratio_test", "VT-P3", "2024-07", 50),
                      val(1, "ratio_test", "VT-P1", "2024-07", 60)]}
    err = expect_error(s.request("POST", "/api/v1/indicator-values", bad, token=admin), 409,
                       "duplicate_id", "id")
    assert err["message"].startswith("values[1]:"), err
    r = s.request("GET", "/api/v1/indicator-values?indicator=ratio_test&unit=BRVT-VT&subtree=1",
                  token=admin)
    assert r.status == 200 and len(r.json["items"]) == 2, r
    for v, code, field in [
            (val(4, "nope", "VT-P1", "2024-07", 1), "unknown_indicator", "indicator"),
            (val(5, "ratio_test", "NOPE", "2024-07", 1), "unknown_unit", "unit"),
            (val(6, "ratio_test", "VT-P1", "2024-Q3", 1), "period_type_mismatch", "period"),
            (val(7, "ratio_test", "VT-P1", "2024-08", 101), "out_of_range", "value"),
            (val(8, "ratio_test", "VT-P1", "2024-08", numerator=5, denominator=4),
             "numerator_above_denominator", "numerator")]:
        expect_error(s.request("POST", "/api/v1/indicator-values", {"values": [v]},
                               token=admin), 422, code, field)
    # a reporter writes for its own unit only (403, audited)
    rep = s.login("baocao.viettel")
    r = s.request("POST", "/api/v1/indicator-values",
                  {"values": [val(9, "stations", "BRVT-VIETTEL", "2024-07", 60)]}, token=rep)
    assert r.status == 200 and r.json["accepted"] == 1, r
    expect_error(s.request("POST", "/api/v1/indicator-values",
                           {"values": [val(10, "stations", "BRVT-VNPT", "2024-07", 10)]},
                           token=rep), 403, "forbidden")
    r = s.request("GET", "/api/v1/audit?entity=indicator_value", token=admin)
    assert any(x["outcome"] == "denied" for x in r.json["items"]), r


def test_upload_with_a_bad_line(ctx):
    s, admin = setup(ctx)
    csv = ("indicator,unit,period,value,numerator,denominator,source,id\n"
           "stations,BRVT-VIETTEL,2024-07,60,,,telco,a1\n"
           "stations,BRVT-VNPT,2024-Q3,10,,,telco,a2\n"
           "ratio_test,VT-P1,2024-07,\"65,5\",,,telco,a3\n")
    r = s.request("POST", "/api/v1/indicator-values/import?name=so-lieu.csv",
                  raw=csv.encode("utf-8"), token=admin)
    err = expect_error(r, 422)
    assert err["rows"] == ["so-lieu.csv:3: period: period '2024-Q3' does not fit indicator "
                           "stations: it is reported by month (a month YYYY-MM)"], err
    r = s.request("GET", "/api/v1/indicator-values?indicator=stations", token=admin)
    assert r.json["items"] == [], r  # all or nothing
    fixed = csv.replace("2024-Q3", "2024-07")
    r = s.request("POST", "/api/v1/indicator-values/import?name=so-lieu.csv",
                  raw=fixed.encode("utf-8"), token=admin)
    assert r.status == 200 and r.json["accepted"] == 3, r
    # the same through the command line, and an indicator file
    s.stop()
    d = tempfile.mkdtemp()
    p = os.path.join(d, "chi-tieu.csv")
    with open(p, "w") as f:
        f.write("code,name,uom,direction,aggregation,source,period_type\n"
                "fibre,Tỷ lệ hộ có cáp quang,%,higher,mean,reported,year\n"
                "bad,X,%,sideways,sum,reported,month\n")
    r = s.cli("indicator", "import", p, "--db", s.db)
    assert r.returncode == 1 and "chi-tieu.csv:3: direction 'sideways'" in r.stderr, r.stderr


def test_approve_locks_and_completeness(ctx):
    s, admin = setup(ctx)
    ob = {"code": "BC-TEST", "name": "Báo cáo thử", "indicators": ["stations"],
          "period_type": "month", "due_rule": "days_after_end:36500", "approval": True,
          "units": ["BRVT-VIETTEL", "BRVT-VNPT"]}
    r = s.request("POST", "/api/v1/obligations", ob, token=admin)
    assert r.status == 201, r
    oid = r.json["id"]
    r = s.request("POST", "/api/v1/indicator-values",
                  {"values": [val(1, "stations", "BRVT-VIETTEL", "2024-07", 60)]}, token=admin)
    assert r.status == 200, r
    r = s.request("GET", "/api/v1/obligations/%d/completeness?period=2024-07" % oid, token=admin)
    assert r.status == 200, r
    c = r.json
    assert (c["expected"], c["received"], c["on_time"], c["missing"]) == (2, 1, 1, 1), c
    assert c["completeness_rate"] == 50 and c["on_time_rate"] == 50, c
    # the reporter may not approve its own report; the parent (province) may
    rep = s.login("baocao.viettel")
    expect_error(s.request("POST", "/api/v1/obligations/BC-TEST/approvals",
                           {"unit": "BRVT-VIETTEL", "period": "2024-07"}, token=rep), 403)
    r = s.request("POST", "/api/v1/obligations/BC-TEST/approvals",
                  {"unit": "BRVT-VIETTEL", "period": "2024-07"}, token=admin)
    assert r.status == 201 and r.json["locked"], r
    expect_error(s.request("POST", "/api/v1/indicator-values",
                           {"values": [val(2, "stations", "BRVT-VIETTEL", "2024-07", 65)]},
                           token=admin), 409, "period_locked", "period")
    expect_error(s.request("GET", "/api/v1/obligations/BC-TEST/completeness?period=2024-Q3",
                           token=admin), 422, "period_type_mismatch")
    # the CLI gives the same figures
    s.stop()
    r = s.cli("report", "completeness", "--obligation", "BC-TEST", "--period", "2024-07",
              "--db", s.db)
    assert r.returncode == 0 and "Phải báo cáo: 2; đã báo cáo: 1 (đúng hạn 1" in r.stdout, r


def test_targets_split_and_status(ctx):
    s, admin = setup(ctx)
    t = {"indicator": "stations", "unit": "BRVT", "value": 200, "due": "2024-12-31"}
    r = s.request("POST", "/api/v1/targets", t, token=admin)
    assert r.status == 201 and r.json["warnings"] == [], r
    whole = r.json["id"]
    r = s.request("POST", "/api/v1/targets", dict(t, unit="BRVT-VIETTEL", value=140,
                                                  split_of=whole), token=admin)
    assert r.status == 201, r
    r = s.request("POST", "/api/v1/targets", dict(t, unit="BRVT-VNPT", value=50,
                                                  split_of="stations/BRVT"), token=admin)
    assert r.status == 201, r
    w = r.json["warnings"]
    assert len(w) == 1 and w[0]["code"] == "split_mismatch", w
    assert "BRVT-VIETTEL 140 + BRVT-VNPT 50 = 190, not 200" in w[0]["message"], w
    vals = []
    for i, (m, a, b) in enumerate([("07", 60, 10), ("08", 80, 14), ("09", 95, 18),
                                   ("10", 110, 22), ("11", 125, 26)]):
        vals.append(val("a%d" % i, "stations", "BRVT-VIETTEL", "2024-" + m, a))
        vals.append(val("b%d" % i, "stations", "BRVT-VNPT", "2024-" + m, b))
    r = s.request("POST", "/api/v1/indicator-values", {"values": vals}, token=admin)
    assert r.status == 200 and r.json["accepted"] == 10, r
    r = s.request("GET", "/api/v1/targets?unit=BRVT&subtree=1&indicator=stations&as_of=2024-11-30&detailed=1",
                  token=admin)
    assert r.status == 200, r
    by = {x["unit"]: x for x in r.json["items"]}
    v = by["BRVT-VIETTEL"]
    assert v["status"] == "on_track" and v["projection"] == 142, v
    assert v["method"] == "linear_least_squares" and v["status_label"] == "Đúng tiến độ", v
    assert by["BRVT-VNPT"]["status"] == "off_track", by["BRVT-VNPT"]
    assert by["BRVT"]["actual"] == 151 and by["BRVT"]["status"] == "off_track", by["BRVT"]
    assert len(v["series"]) == 5, v
    assert r.json["counts"]["on_track"] == 1 and r.json["counts"]["off_track"] == 2, r.json
    assert r.json["split_warnings"][0]["parts_sum"] == 190, r.json
    # today (after the date, December never came): off track for all three
    r = s.request("GET", "/api/v1/targets?unit=BRVT&subtree=1&indicator=stations&status=off_track", token=admin)
    assert r.status == 200 and r.json["counts"]["off_track"] == 3, r
    assert all(x["status"] == "off_track" for x in r.json["items"]), r
    s.stop()
    r = s.cli("target", "status", "--unit", "BRVT", "--as-of", "2024-11-30", "--db", s.db)
    assert r.returncode == 0 and "Đúng tiến độ BRVT-VIETTEL" in r.stdout, r.stdout
    r = s.cli("target", "status", "--unit", "BRVT", "--indicator", "stations", "--json",
              "--db", s.db)
    assert r.returncode == 0 and '"off_track": 3' in r.stdout, r.stdout


def test_demo_targets(ctx):
    s = ctx.server(demo=True)
    admin = s.login("admin")
    r = s.request("GET", "/api/v1/targets?as_of=2024-11-30", token=admin)
    assert r.status == 200, r
    # 62 rows of data/plans/targets.csv, the wards' row as 17 targets
    assert r.json["total"] == 78, r.json["total"]
    c = r.json["counts"]
    assert c["on_track"] >= 1 and c["at_risk"] >= 1 and c["off_track"] >= 1, c
    r = s.request("GET", "/api/v1/obligations/BC-5G-THANG/completeness?period=2024-08",
                  token=admin)
    assert r.status == 200 and r.json["on_time"] == 1 and r.json["late"] == 1, r


def test_sources_freshness(ctx):
    s, admin = setup(ctx)  # ratio_test: pushed, stations: reported, both monthly:10
    for body in (indicator("hub_daily", uom="", aggregation="sum", freshness="daily:17:00"),
                 indicator("quiet", uom="", aggregation="sum", source="reported",
                           freshness="")):
        r = s.request("POST", "/api/v1/indicators", body, token=admin)
        assert r.status == 201, r
    err = expect_error(s.request("POST", "/api/v1/indicators",
                                 indicator("bad_rule", freshness="weekly:1"), token=admin),
                       422, "invalid_freshness", "freshness")
    assert "monthly:N" in err["message"], err
    month = datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=7))).strftime("%Y-%m")
    r = s.request("POST", "/api/v1/indicator-values", {"values": [
        val(1, "ratio_test", "BRVT-VIETTEL", month, numerator=1, denominator=2),
        val(2, "hub_daily", "BRVT-VIETTEL", month, 5)]}, token=admin)
    assert r.status == 200 and r.json["accepted"] == 2, r
    r = s.request("GET", "/api/v1/sources/freshness?unit=BRVT-VIETTEL", token=admin)
    assert r.status == 200, r
    items = {i["indicator"]: i for i in r.json["items"]}
    assert "online_by_applicant_rate" not in items  # computed: not a source
    ok = items["ratio_test"]
    assert ok["late"] is False and ok["last_period"] == month and ok["last_value_at"], ok
    assert ok["freshness"] == "monthly:10" and ok["source"] == "pushed", ok
    assert len(ok["due"]) == 10 and ok["due"].endswith("-10"), ok
    assert items["hub_daily"]["late"] is False, items["hub_daily"]
    assert items["hub_daily"]["due"].endswith("T17:00:00+07:00"), items["hub_daily"]
    never = items["stations"]
    assert never["late"] is True and never["last_value_at"] is None, never
    assert never["late_by_days"] is None, never
    assert items["quiet"]["due"] is None and items["quiet"]["late"] is False, items["quiet"]
    assert r.json["late"] == sum(1 for i in r.json["items"] if i["late"]), r.json
    assert r.json["items"][0]["late"] is True, r.json  # the late first
    # another unit's scope has no value of the pushed source: late there
    r = s.request("GET", "/api/v1/sources/freshness?unit=BRVT-VNPT", token=admin)
    assert {i["indicator"]: i for i in r.json["items"]}["ratio_test"]["late"] is True, r
    late_before = r.json["late"]
    # the overview's section of late sources
    page = lambda: s.request("GET", "/tong-quan?unit=BRVT-VNPT", headers={
        "Cookie": "dh_session=" + admin}).raw.decode("utf-8").split('id="h-fresh"')[1].split(
            "</section>")[0]
    assert "<strong class=\"late\">%d nguồn dữ liệu chậm cập nhật" % late_before in page()
    # answers are kept only while nothing is written: a value, then a new indicator, show at
    # once (on the overview too, which kept them five minutes before)
    r = s.request("POST", "/api/v1/indicator-values", {"values": [
        val(3, "ratio_test", "BRVT-VNPT", month, numerator=1, denominator=3)]}, token=admin)
    assert r.status == 200 and r.json["accepted"] == 1, r
    r = s.request("GET", "/api/v1/sources/freshness?unit=BRVT-VNPT", token=admin)
    items = {i["indicator"]: i for i in r.json["items"]}
    assert items["ratio_test"]["late"] is False and r.json["late"] == late_before - 1, r.json
    assert ">%d nguồn dữ liệu chậm cập nhật" % (late_before - 1) in page()
    r = s.request("POST", "/api/v1/indicators", indicator("new_feed"), token=admin)
    assert r.status == 201, r
    r = s.request("GET", "/api/v1/sources/freshness?unit=BRVT-VNPT", token=admin)
    items = {i["indicator"]: i for i in r.json["items"]}
    assert items["new_feed"]["late"] is True and r.json["late"] == late_before, r.json
    assert ">%d nguồn dữ liệu chậm cập nhật" % late_before in page()
    # a reporter reads its own unit, not another's
    rep = s.login("baocao.viettel")
    r = s.request("GET", "/api/v1/sources/freshness", token=rep)
    assert r.status == 200 and {i["indicator"]: i for i in r.json["items"]}[
        "ratio_test"]["late"] is False, r
    expect_error(s.request("GET", "/api/v1/sources/freshness?unit=BRVT-VNPT", token=rep), 403)


def test_entry_window(ctx):
    s, admin = setup(ctx)
    ob = {"code": "BC-WIN", "name": "Báo cáo có hạn nhập", "indicators": ["stations"],
          "period_type": "month", "due_rule": "next_month_day:10", "window_days": 5,
          "units": ["BRVT-VIETTEL"]}
    r = s.request("POST", "/api/v1/obligations", ob, token=admin)
    assert r.status == 201 and r.json["window_days"] == 5, r
    rep = s.login("baocao.viettel")
    err = expect_error(s.request("POST", "/api/v1/indicator-values",
                                 {"values": [val(1, "stations", "BRVT-VIETTEL", "2024-07", 60)]},
                                 token=rep), 422, "entry_window_closed", "period")
    assert ("values[0]: the entry window of BC-WIN for 2024-07 closed on 2024-08-15 (5 days "
            "after the due date 2024-08-10)") in err["message"], err
    # the same in a file: the line is named, nothing is taken
    csv = ("indicator,unit,period,value,numerator,denominator,source,id\n"
           "stations,BRVT-VIETTEL,2024-07,60,,,telco,w1\n")
    err = expect_error(s.request("POST", "/api/v1/indicator-values/import?name=t.csv",
                                 raw=csv.encode("utf-8"), token=rep), 422)
    assert err["rows"][0].startswith("t.csv:2: period: the entry window of BC-WIN"), err
    # the month in progress is open; an indicator outside the obligation is not concerned
    month = datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=7))).strftime("%Y-%m")
    r = s.request("POST", "/api/v1/indicator-values",
                  {"values": [val(2, "stations", "BRVT-VIETTEL", month, 61),
                              val(3, "ratio_test", "BRVT-VIETTEL", "2024-07", numerator=1,
                                  denominator=2)]}, token=rep)
    assert r.status == 200 and r.json["accepted"] == 2, r
    # an administrator may still correct a closed period
    r = s.request("POST", "/api/v1/indicator-values",
                  {"values": [val(4, "stations", "BRVT-VIETTEL", "2024-07", 60)]}, token=admin)
    assert r.status == 200 and r.json["accepted"] == 1, r


def test_statuses_derived_in_the_background(ctx):
    """The server's job derives the statuses after a push, before anyone
    opens the overview (DIEUHANH_TARGETS_INTERVAL seconds); read here from
    the database file, as opening the overview would derive them itself."""
    import time
    os.environ["DIEUHANH_TARGETS_INTERVAL"] = "1"
    try:
        s, admin = setup(ctx)
    finally:
        del os.environ["DIEUHANH_TARGETS_INTERVAL"]
    t = {"indicator": "stations", "unit": "BRVT-VIETTEL", "value": 140, "due": "2024-12-31"}
    r = s.request("POST", "/api/v1/targets", t, token=admin)
    assert r.status == 201, r
    tid = r.json["id"]
    vals = [val("g%d" % i, "stations", "BRVT-VIETTEL", "2024-%02d" % m, a)
            for i, (m, a) in enumerate([(7, 60), (8, 80), (9, 95)])]
    r = s.request("POST", "/api/v1/indicator-values", {"values": vals}, token=admin)
    assert r.status == 200 and r.json["accepted"] == 3, r
    deadline = time.time() + 30
    while True:
        series, status = harness.db_rows(s.db, "SELECT series, status FROM targets WHERE id = ?",
                                         tid)[0]
        # SQLite: meta counters; PostgreSQL: rows of target_marks (pending)
        meta = dict(harness.db_rows(s.db, "SELECT key, value FROM meta WHERE key IN "
                                          "('targets_dirty', 'targets_clean')"))
        if harness.on_pg():
            meta["targets_dirty"] = harness.db_rows(s.db, "SELECT count(*) FROM target_marks")[0][0]
            meta["targets_clean"] = 0
        if series.count("[") == 4 and meta.get("targets_clean") == meta.get("targets_dirty"):
            break
        assert time.time() < deadline, (series, status, meta)
        time.sleep(0.2)
    # today (after the due date, December never came): off track
    assert status == "off_track", (series, status)


def test_yearly_indicator_late_only_after_its_year(ctx):
    """Issue 19 point 2: freshness and obligations follow the indicator's period type."""
    s, admin = setup(ctx)
    r = s.request("POST", "/api/v1/indicators",
                  indicator("rank_test", uom="hạng", direction="lower", aggregation="sum",
                            source="reported", period_type="year", freshness="monthly:10"),
                  token=admin)
    assert r.status == 201, r
    now = datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=7)))
    last_year = str(now.year - 1)
    r = s.request("POST", "/api/v1/indicator-values", {"values": [
        val(1, "rank_test", "BRVT-VIETTEL", last_year, 9),
        val(2, "ratio_test", "BRVT-VIETTEL", last_year + "-12", numerator=1, denominator=2)]},
        token=admin)
    assert r.status == 200 and r.json["accepted"] == 2, r
    items = {i["indicator"]: i for i in s.request(
        "GET", "/api/v1/sources/freshness?unit=BRVT-VIETTEL", token=admin).json["items"]}
    rank = items["rank_test"]
    # Last year's value, due 10/01 this year: on time all year, whatever "monthly:10" says.
    assert rank["late"] is False and rank["due"] == "%d-01-10" % now.year, rank
    assert rank["expected_period"] == last_year, rank
    if now.month > 1:  # the monthly source with the same last value is late
        assert items["ratio_test"]["late"] is True, items["ratio_test"]
    # The demo's yearly indicators are yearly.
    inds = {i["code"]: i for i in s.request("GET", "/api/v1/indicators", token=admin).json["items"]}
    assert inds["dti_rank"]["period_type"] == "year"
    assert inds["digital_economy_grdp_share"]["period_type"] == "year"
    assert inds["online_rate"]["period_type"] == "month"
    # An obligation asking monthly reports of a yearly indicator is refused.
    ob = {"code": "BC-NAM", "name": "Báo cáo hạng", "indicators": ["stations", "rank_test"],
          "period_type": "month", "due_rule": "next_month_day:10", "units": ["BRVT-VIETTEL"]}
    err = expect_error(s.request("POST", "/api/v1/obligations", ob, token=admin), 422,
                       "period_type_mismatch", "period_type")
    assert "rank_test" in err["message"] and "indicators[1]" in err["message"], err
    ob["period_type"] = "year"
    ob["due_rule"] = "yearly:01-31"
    r = s.request("POST", "/api/v1/obligations", ob, token=admin)
    assert r.status == 201, r
