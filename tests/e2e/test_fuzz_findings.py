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
