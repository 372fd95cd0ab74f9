"""The sandbox's parts on their own: routing, stores, synthesis, errors."""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator

from zoom_actions.sandbox.errors import documented
from zoom_actions.sandbox.routes import Router, decode_segment
from zoom_actions.sandbox.store import MemoryStore, SqliteStore, default_db_path, open_store
from zoom_actions.sandbox.synth import Synth, conform, is_valid

ENTRIES = {
    "GET_MEETING": {"method": "GET", "path": "/meetings/{meetingId}"},
    "SUMMARIES": {"method": "GET", "path": "/meetings/meeting_summaries"},
    "PAST": {"method": "GET", "path": "/past_meetings/{meetingId}/participants"},
    "UPDATE": {"method": "PATCH", "path": "/meetings/{meetingId}"},
}


def test_literal_segments_win_and_params_decode():
    r = Router(ENTRIES)
    assert r.match("GET", "/meetings/meeting_summaries").route.name == "SUMMARIES"
    m = r.match("GET", "/meetings/123")
    assert m.route.name == "GET_MEETING" and m.params == {"meetingId": "123"}
    assert r.match("GET", "/past_meetings/%252FabC%252F%252Fd%253D%253D/participants").params == \
        {"meetingId": "/abC//d=="}
    assert r.match("GET", "/past_meetings/aDYl%2BhA%3D%3D/participants").params == {"meetingId": "aDYl+hA=="}
    assert r.match("POST", "/meetings/123") is None and r.allowed("/meetings/123") == ["GET", "PATCH"]
    assert r.match("GET", "/meetings") is None
    assert decode_segment("a+b") == "a+b"  # a path's "+" is not a space


@pytest.mark.parametrize("make", [lambda tmp: MemoryStore(), lambda tmp: SqliteStore(tmp / "s.db")])
def test_stores_behave_alike(tmp_path, make):
    s = make(tmp_path)
    s.put("k", "1", {"v": 1}, parent="p")
    s.put("k", "2", {"v": 2}, parent="q")
    s.put("k", "1", {"v": 10}, parent="p")  # an update keeps its place
    assert [d["v"] for d in s.list("k")] == [10, 2]
    assert [d["v"] for d in s.list("k", parent="q")] == [2]
    doc = s.get("k", "1")
    doc["v"] = 99
    assert s.get("k", "1") == {"v": 10}  # copies, never shared
    assert s.find("k", v=2) == {"v": 2}
    with pytest.raises(RuntimeError):
        with s.transaction():
            s.put("k", "3", {"v": 3})
            raise RuntimeError
    if isinstance(s, SqliteStore):
        assert s.get("k", "3") is None  # rolled back
    assert s.delete("k", "2") and not s.delete("k", "2")
    s.clear()
    assert s.list("k") == []
    s.close()


def test_default_db_path(monkeypatch, tmp_path):
    monkeypatch.setenv("ZOOM_SANDBOX_DB", str(tmp_path / "x.db"))
    assert default_db_path() == tmp_path / "x.db"
    monkeypatch.delenv("ZOOM_SANDBOX_DB")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_db_path() == tmp_path / "zoom-actions" / "sandbox.db"
    assert isinstance(open_store(None), MemoryStore) and isinstance(open_store(":memory:"), MemoryStore)


def test_synthesis_prefers_valid_examples_and_repairs_invalid_ones():
    schema = {"type": "object", "required": ["n"], "properties": {
        "id": {"type": "integer", "examples": ["123"]},          # an example of the wrong type
        "when": {"type": "string", "format": "date-time"},
        "kind": {"type": "string", "enum": ["a", "b"], "examples": ["b"]},
        "mac": {"type": "string", "pattern": "^([0-9A-Fa-f]{2}[:-]?){5}([0-9A-Fa-f]{2})$"},
        "n": {"type": "integer", "minimum": 5, "maximum": 9},
        "tags": {"type": "array", "items": {"type": "string", "examples": ["x"]}, "minItems": 2},
    }}
    v = Synth("t").value(schema)
    assert isinstance(v["id"], int) and v["kind"] == "b" and 5 <= v["n"] <= 9 and v["tags"] == ["x", "x"]
    assert Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER).is_valid(v)
    assert Synth("t").value(schema) == v  # repeatable


def test_overlapping_one_of_gets_a_value_matching_exactly_one():
    schema = {"oneOf": [{"type": "object", "properties": {"a": {"type": "boolean"}}},
                        {"type": "object", "properties": {"b": {"type": "object"}}}]}
    v = Synth(0).value(schema)
    assert Draft202012Validator(schema).is_valid(v) and is_valid(v, schema)


def test_conform_projects_onto_a_response_schema():
    schema = {"type": "object", "required": ["id"], "properties": {
        "id": {"type": "integer"}, "topic": {"type": "string"},
        "status": {"type": "string", "enum": ["waiting", "started"]},
        "items": {"type": "array", "items": {"type": "object", "properties": {"x": {"type": "integer"}}}}}}
    doc = {"topic": "T", "status": "finished", "secret": 1, "_internal": True,
           "items": [{"x": 1, "y": 2}, {"x": "no"}]}
    out = conform(doc, schema)
    assert out["topic"] == "T" and "status" not in out and "secret" not in out and "_internal" not in out
    assert out["items"] == [{"x": 1}, {}] and isinstance(out["id"], int)
    assert Draft202012Validator(schema).is_valid(out)


def test_documented_messages_come_from_the_action_table():
    action = {"errors": {"404": [{"code": 3001, "message": "Meeting does not exist: {meetingId}."}],
                         "400": [{"code": 300, "message": "Invalid `enforce_login_domains`."},
                                 {"code": 300, "message": "The value that you entered in the `schedule_for` field "
                                                          "is invalid."}]}}
    e = documented(action, 404, 3001, "Meeting not found {meetingId}", meetingId=42)
    assert (e.status, e.code, e.message) == (404, 3001, "Meeting does not exist: 42.")
    e = documented(action, 400, 300, "The value in the `schedule_for` field is invalid.")
    assert "schedule_for" in e.message
    e = documented(action, 400, 300, "Something else entirely happened here.")
    assert e.message == "Something else entirely happened here."


def test_binds_loopback_only(catalog):
    from zoom_actions.sandbox import start_in_thread
    with pytest.raises(ValueError, match="loopback"):
        start_in_thread(host="0.0.0.0", catalog=catalog)
    with start_in_thread(catalog=catalog) as srv:
        assert srv.base_url.startswith("http://127.0.0.1:") and srv.base_url.endswith("/v2")
        assert srv.port > 0 and srv.host == "127.0.0.1"


def test_request_log_masks_tokens_in_urls(catalog, capsys):
    import httpx
    from zoom_actions.sandbox import start_in_thread
    with start_in_thread(catalog=catalog, verbose=True) as srv:
        httpx.get(srv.origin + "/rec/download/nope", params={"access_token": "SECRET-XYZ"})
        httpx.get(srv.base_url + "/users/me", headers={"Authorization": "Bearer SECRET-ABC"})
    err = capsys.readouterr().err
    assert "/rec/download/nope?access_token=***" in err and "/v2/users/me" in err
    assert "SECRET" not in err
