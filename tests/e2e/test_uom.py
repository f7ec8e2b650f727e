"""Units of measure that exceed 100 (issue 19, point 9): "per 100 inhabitants" is
its own unit, not a percentage capped at 100."""
from harness import expect_error
from test_indicators import indicator, val


def test_per_100_inhabitants_exceeds_100(ctx):
    s = ctx.server(demo=True)
    admin = s.login("admin")
    for body in (indicator("phones_per_100", uom="máy/100 dân", aggregation="ratio"),
                 indicator("pct_test")):
        r = s.request("POST", "/api/v1/indicators", body, token=admin)
        assert r.status == 201, r
    # two smartphones a person: 200 per 100 inhabitants; a percentage cannot
    r = s.request("POST", "/api/v1/indicator-values",
                  {"values": [val(1, "phones_per_100", "VT-P1", "2025-03", 180),
                              val(2, "phones_per_100", "VT-P2", "2025-03", numerator=3000,
                                  denominator=1500, value=200)]}, token=admin)
    assert r.status == 200 and r.json["accepted"] == 2, r
    err = expect_error(s.request("POST", "/api/v1/indicator-values",
                                 {"values": [val(3, "pct_test", "VT-P1", "2025-03", 180)]},
                                 token=admin), 422)
    assert "percentage" in err["message"], err
    # numerator / denominator x 100, as for "%": 3000 phones for 1500 people is 200, not 2
    expect_error(s.request("POST", "/api/v1/indicator-values",
                           {"values": [val(4, "phones_per_100", "VT-P3", "2025-03",
                                           numerator=3000, denominator=1500, value=2)]},
                           token=admin), 422)
    # the demo's seed: smartphones per 100 people in Vũng Tàu is its own unit
    r = s.request("GET", "/api/v1/indicators", token=admin)
    got = {x["code"]: x for x in r.json["items"]}
    assert got["smartphones_per_100_people"]["uom"] == "máy/100 dân", got.get(
        "smartphones_per_100_people")
    r = s.request("POST", "/api/v1/indicator-values",
                  {"values": [val(5, "smartphones_per_100_people", "BRVT-VT", "2025-03", 135)]},
                  token=admin)
    assert r.status == 200 and r.json["accepted"] == 1, r
