"""Findings of the fuzz harnesses (tests/fuzz, docs/FUZZING.md) seen over real HTTP: the input
that made the server answer without a body now gets its clear error."""
from harness import expect_error


def test_invalid_json_error_quoting_a_cut_character_has_a_body(ctx):
    # tests/fuzz/crashes/events: jansson's error text quotes the JSON near the error cut at a
    # byte count, here inside "ế"; the message was not UTF-8, so the error object was never
    # built and the 400 went out empty.
    s = ctx.server(demo=True)
    tok = s.login("admin")
    raw = b'{"e' + b"\\" * 13 + "ươh:ế".encode() + b"\\" * 7 + b"*" + b"\\" * 22 + b"[:}"
    r = s.request("POST", "/api/v1/dossier-events", token=tok, raw=raw,
                  headers={"Content-Type": "application/json"})
    err = expect_error(r, 400, "invalid_json")
    assert err["message"].startswith("invalid escape near"), err
    assert err["message"].endswith("…"), err


def test_open311_error_quoting_a_cut_character_has_a_body(ctx):
    # tests/fuzz/crashes/open311: an Open311 error quoting a long commune was cut at 512 bytes
    # inside "đ"; json_pack refused the message and the 400 went out empty. The message now
    # keeps its valid UTF-8 prefix and ends with "…", in JSON and in XML.
    import urllib.parse
    import xml.etree.ElementTree as ET
    from test_feedback import configure
    s = ctx.server(demo=True)
    admin = s.login("admin")
    configure(s, admin)
    officer = s.login("canbo.vungtau")
    key = s.request("POST", "/api/v1/tokens", {"name": "fz"}, token=officer).json["token"]
    for odd in range(2):  # the cut falls inside "đ" for one of the two offsets
        fields = {"api_key": key, "service_code": "light", "lat": "10.3461", "long": "107.0843",
                  "description": "x", "attribute[commune]": "x" * odd + "đ" * 300}
        for fmt in ("json", "xml"):
            r = s.request("POST", "/open311/v2/requests." + fmt,
                          raw=urllib.parse.urlencode(fields).encode("utf-8"),
                          headers={"Content-Type": "application/x-www-form-urlencoded"})
            assert r.status == 400 and r.raw, r
            desc = r.json[0]["description"] if fmt == "json" else \
                ET.fromstring(r.raw).findtext("error/description")
            assert "đđđ" in desc, desc
