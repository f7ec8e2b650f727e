"""Open311 GeoReport v2 over citizen feedback (issue 17), in JSON and XML, as a client of the
specification would use it (http://wiki.open311.org/GeoReport_v2): discovery, services and a
service definition, a form-encoded POST with an API token as api_key (refused in the spec's
error format when unknown or revoked), then the request read back in both formats after an
officer answered it, with no personal data, the filters and the 90-day default window."""
import time
import urllib.parse
import xml.etree.ElementTree as ET

from harness import db_rows
from test_feedback import configure


def form(s, path, fields):
    return s.request("POST", path, raw=urllib.parse.urlencode(fields).encode("utf-8"),
                     headers={"Content-Type": "application/x-www-form-urlencoded"})


def xml(r):
    assert r.header("Content-Type").startswith("text/xml"), r
    assert r.raw.startswith(b'<?xml version="1.0" encoding="UTF-8"?>'), r
    return ET.fromstring(r.raw)


def test_open311_json_xml_post_get_no_personal_data(ctx):
    s = ctx.server(demo=True)
    admin = s.login("admin")
    configure(s, admin)
    officer = s.login("canbo.vungtau")
    r = s.request("POST", "/api/v1/tokens", {"name": "ung-dung-311"}, token=officer)
    assert r.status in (200, 201), r
    key, key_id = r.json["token"], r.json["id"]

    # discovery and services, both formats
    r = s.request("GET", "/open311/discovery.json")
    assert r.status == 200 and r.json["endpoints"][0]["specification"] == \
        "http://wiki.open311.org/GeoReport_v2", r
    d = xml(s.request("GET", "/open311/discovery.xml"))
    assert d.tag == "discovery"
    assert [f.text for f in d.find("endpoints/endpoint/formats")] == ["text/xml",
                                                                      "application/json"]
    r = s.request("GET", "/open311/v2/services.json")
    assert r.status == 200, r
    svc = {x["service_code"]: x for x in r.json}
    assert svc["light"] == {"service_code": "light", "service_name": "Chiếu sáng công cộng",
                            "description": "", "metadata": True, "type": "realtime",
                            "keywords": "đèn,chiếu sáng", "group": "Hạ tầng đô thị"}
    root = xml(s.request("GET", "/open311/v2/services.xml"))
    assert root.tag == "services"
    light = [x for x in root.findall("service") if x.findtext("service_code") == "light"][0]
    assert light.findtext("service_name") == "Chiếu sáng công cộng"
    assert light.findtext("type") == "realtime" and light.findtext("metadata") == "true"
    r = s.request("GET", "/open311/v2/services/light.json")
    assert r.status == 200 and r.json["attributes"][0]["code"] == "commune", r
    dx = xml(s.request("GET", "/open311/v2/services/light.xml"))
    assert dx.tag == "service_definition" and dx.findtext("attributes/attribute/code") == "commune"
    r = s.request("GET", "/open311/v2/services/nope.json")
    assert r.status == 404 and r.json[0]["code"] == 404, r
    r = s.request("GET", "/open311/v2/services.html")
    assert r.status == 404

    # POST requests, form-encoded as the spec's example
    fields = {"api_key": key, "service_code": "light", "lat": "10.3461", "long": "107.0843",
              "address_string": "5 Trần Phú", "email": "an@example.vn", "first_name": "An",
              "last_name": "Nguyễn", "phone": "0901234567",
              "description": "Đèn đường hỏng trước nhà", "attribute[commune]": "HCM-VUNGTAU",
              "media_url": "http://example.vn/den.jpg"}
    r = form(s, "/open311/v2/requests.json", fields)
    assert r.status == 201, r
    assert set(r.json[0]) == {"service_request_id", "service_notice", "account_id"}
    rid = r.json[0]["service_request_id"]
    assert db_rows(s.db, "SELECT channel, unit, contact_phone FROM fb_records WHERE code = ?",
                   rid) == [("open311", "HCM-VUNGTAU", "0901234567")]
    # text that JSON and XML must escape, read back below in both (line breaks and tabs
    # are spaces once stored)
    tricky = 'Đèn "chập chờn"\\ <b>&amp; a/cột 5'
    r = form(s, "/open311/v2/requests.xml", dict(fields, description=tricky))
    assert r.status == 201, r
    rid2 = xml(r).findtext("request/service_request_id")
    assert rid2 and rid2 != rid

    # refusals in the spec's format: nothing written
    n = db_rows(s.db, "SELECT count(*) FROM fb_records")[0][0]
    r = form(s, "/open311/v2/requests.json", dict(fields, api_key="dht_wrong"))
    assert r.status == 403 and r.json == [{"code": 403, "description":
                                           "Invalid api_key received -- can't proceed with "
                                           "create_request."}], r
    e = xml(form(s, "/open311/v2/requests.xml", dict(fields, api_key="")))
    assert e.tag == "errors" and e.findtext("error/code") == "403"
    r = form(s, "/open311/v2/requests.json", dict(fields, service_code="nope"))
    assert r.status == 404 and r.json[0]["code"] == 404, r
    r = form(s, "/open311/v2/requests.json", {k: v for k, v in fields.items()
                                               if k not in ("lat", "long", "address_string")})
    assert r.status == 400 and "location" in r.json[0]["description"], r
    r = form(s, "/open311/v2/requests.json", dict(fields, description=""))
    assert r.status == 400 and r.json[0]["code"] == 400, r
    assert db_rows(s.db, "SELECT count(*) FROM fb_records")[0][0] == n

    # an officer answers the first; read it back: closed, the answer as status_notes
    for action, body in (("accept", None), ("answer", {"answer": "Đã thay bóng đèn."})):
        r = s.request("POST", "/api/v1/feedback/%s/%s" % (rid, action), body, token=officer)
        assert r.status == 200, r
    r = s.request("GET", "/open311/v2/requests/%s.json" % rid)
    assert r.status == 200, r
    req = r.json[0]
    assert req["service_request_id"] == rid and req["status"] == "closed"
    assert req["status_notes"] == "Đã thay bóng đèn." and req["service_code"] == "light"
    assert req["service_name"] == "Chiếu sáng công cộng"
    assert req["agency_responsible"] == "Phường Vũng Tàu"
    recv = int(db_rows(s.db, "SELECT received_at FROM fb_records WHERE code = ?", rid)[0][0])
    assert req["requested_datetime"] == time.strftime("%Y-%m-%dT%H:%M:%S+07:00",
                                                      time.gmtime(recv + 7 * 3600)), req
    assert req["expected_datetime"].endswith("+07:00")
    assert req["address"] == "5 Trần Phú" and abs(req["lat"] - 10.3461) < 1e-9
    for personal in ("0901234567", "an@example.vn", "Nguyễn", "email", "phone", "first_name"):
        assert personal not in r.raw.decode(), personal
    x = xml(s.request("GET", "/open311/v2/requests/%s.xml" % rid))
    assert x.tag == "service_requests" and x.findtext("request/status") == "closed"
    assert x.findtext("request/status_notes") == "Đã thay bóng đèn."
    assert "0901234567" not in ET.tostring(x, encoding="unicode")
    r = s.request("GET", "/open311/v2/requests/PA-0000-NOPE.json")
    assert r.status == 404 and r.json[0]["code"] == 404, r

    # GET requests: the default window holds both; filters
    r = s.request("GET", "/open311/v2/requests.json")
    assert {q["service_request_id"] for q in r.json} == {rid, rid2}, r
    r = s.request("GET", "/open311/v2/requests.json?status=open")
    assert [q["service_request_id"] for q in r.json] == [rid2]
    assert r.json[0]["description"] == tricky, (r.json[0]["description"], tricky)
    assert r.json[0]["status_notes"] == "", r.json[0]
    assert set(r.json[0]) == {"service_request_id", "status", "status_notes", "service_name",
                              "service_code", "description", "agency_responsible",
                              "service_notice", "requested_datetime", "updated_datetime",
                              "expected_datetime", "address", "address_id", "zipcode", "lat",
                              "long", "media_url"}
    assert isinstance(r.json[0]["lat"], float) and abs(r.json[0]["long"] - 107.0843) < 1e-9
    r = s.request("GET", "/open311/v2/requests.json?status=closed&service_code=light")
    assert [q["service_request_id"] for q in r.json] == [rid]
    r = s.request("GET", "/open311/v2/requests.json?service_request_id=%s,%s" % (rid, rid2))
    assert {q["service_request_id"] for q in r.json} == {rid, rid2}
    r = s.request("GET", "/open311/v2/requests.json?service_code=roads")
    assert r.json == []
    # a window that ended before they came: none
    r = s.request("GET", "/open311/v2/requests.json?" + urllib.parse.urlencode(
        {"start_date": "2020-01-01T00:00:00+07:00", "end_date": "2020-03-01T00:00:00Z"}))
    assert r.status == 200 and r.json == [], r
    x = xml(s.request("GET", "/open311/v2/requests.xml?status=open"))
    assert [q.findtext("service_request_id") for q in x.findall("request")] == [rid2]
    assert x.findtext("request/description") == tricky
    assert x.findtext("request/lat") == "10.3461" and x.findtext("request/status") == "open"
    r = s.request("GET", "/open311/v2/requests.json?status=maybe")
    assert r.status == 400 and r.json[0]["code"] == 400
    e = xml(s.request("GET", "/open311/v2/requests.xml?start_date=yesterday"))
    assert e.tag == "errors" and e.findtext("error/code") == "400"

    # a revoked token is refused
    r = s.request("DELETE", "/api/v1/tokens/%s" % key_id, token=officer)
    assert r.status in (200, 204), r
    r = form(s, "/open311/v2/requests.json", fields)
    assert r.status == 403 and r.json[0]["code"] == 403, r
    assert db_rows(s.db, "SELECT count(*) FROM fb_records")[0][0] == n
