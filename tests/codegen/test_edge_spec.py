"""The build step on a small spec of our own (tests/specs/edge.json) that holds
one of each edge case: allOf, oneOf, arrays of objects, maps, deep nesting,
name collisions, keys holding `__`, required propagation, optional path
parameters, multipart uploads, long summaries."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from zoom_actions.codegen import build
from zoom_actions.codegen.flatten import FLAT_NAME_RE
from zoom_actions.codegen.naming import NAME_RE
from zoom_actions.flat import unflatten

SPECS = Path(__file__).resolve().parent.parent / "specs"


@pytest.fixture(scope="module")
def edge(tmp_path_factory):
    spec_dir = tmp_path_factory.mktemp("spec")
    shutil.copy(SPECS / "sources.json", spec_dir / "sources.json")
    (spec_dir / "overlay.json").write_text(json.dumps({"patches": [
        {"reason": "path parameters are required", "path": ".*", "parameter": "*", "in": "path",
         "merge": {"required": True}}]}))
    out = tmp_path_factory.mktemp("actions")
    result = build.build(SPECS, out, spec_dir=spec_dir)
    by_op = {(a["operation"]["method"], a["operation"]["path"]): a for a in result.actions}
    return result, by_op, out, spec_dir


def test_every_operation_becomes_one_action(edge):
    result, by_op, out, _ = edge
    assert len(result.actions) == 8
    assert set(by_op) == {("POST", "/things/{thingId}"), ("GET", "/things"), ("PUT", "/things"),
                          ("GET", "/admin/things"), ("PATCH", "/union/{id}"), ("DELETE", "/union/{id}"),
                          ("POST", "/upload"), ("GET", "/long")}
    index = json.loads((out / "index.json").read_text())
    assert index["count"] == 8
    for a in result.actions:
        assert NAME_RE.match(a["name"])
        assert json.loads((out / f"{a['name']}.json").read_text()) == a


def test_name_collision_gets_path_qualifier(edge):
    _, by_op, _, _ = edge
    assert by_op[("GET", "/things")]["name"] == "ZOOM_LIST_THINGS"
    assert by_op[("GET", "/admin/things")]["name"] == "ZOOM_LIST_THINGS_ADMIN"


def test_long_summary_drops_fillers_and_cuts_at_a_word(edge):
    _, by_op, _, _ = edge
    name = by_op[("GET", "/long")]["name"]
    assert len(name) <= 64
    assert name.startswith("ZOOM_GET_LIST_OF_ALL_OF_EXTREMELY_LONG_NAMED_RESOURCES_FOR")
    assert not name.endswith("_")
    # cut at a word boundary: the last word is a whole word of the summary
    assert name.rsplit("_", 1)[1] in "GET LIST OF ALL EXTREMELY LONG NAMED RESOURCES FOR ACCOUNT CUSTOMIZED".split()


def test_description_cleaned_and_boilerplate_moved_to_fields(edge):
    _, by_op, _, _ = edge
    a = by_op[("POST", "/things/{thingId}")]
    assert a["description"] == "Make a thing\nnow."
    assert a["scopes"] == {"classic": ["thing:write"], "granular": ["thing:write:thing"]}
    assert a["rate_limit"] == "MEDIUM"
    assert by_op[("GET", "/things")]["rate_limit"] == "LIGHT"
    assert by_op[("GET", "/admin/things")]["rate_limit"] is None
    assert a["errors"]["404"] == [{"code": 3001, "message": "Thing does not exist: {thingId}."},
                                  {"code": 1001, "message": "User does not exist."}]


def test_flat_names_locations_and_key_paths(edge):
    _, by_op, _, _ = edge
    a = by_op[("POST", "/things/{thingId}")]
    p = a["parameters"]
    assert p["thingId"] == {"in": "path", "name": "thingId"}
    assert p["fields"] == {"in": "query", "name": "fields"}
    assert p["X_Trace"] == {"in": "header", "name": "X-Trace"}
    # body field colliding with a path parameter
    assert p["body_thingId"] == {"in": "body", "path": ["thingId"]}
    # allOf merged, deep nesting joined with __
    assert p["settings__mode"] == {"in": "body", "path": ["settings", "mode"]}
    assert p["settings__a__b__c"] == {"in": "body", "path": ["settings", "a", "b", "c"]}
    # passed whole: arrays of objects, maps, unions, objects without properties
    assert p["items"] == {"in": "body", "path": ["items"]}
    assert p["labels"] == {"in": "body", "path": ["labels"]}
    assert p["choice"] == {"in": "body", "path": ["choice"]}
    assert p["free"] == {"in": "body", "path": ["free"]}
    # a key holding `__` keeps its name; the nested x.y that would spell the same gets the suffix
    assert p["x__y"] == {"in": "body", "path": ["x__y"]}
    assert p["x__y_2"] == {"in": "body", "path": ["x", "y"]}
    assert "created" not in p  # readOnly fields are never sent
    for name in a["input_schema"]["properties"]:
        assert FLAT_NAME_RE.match(name)


def test_required_propagates_only_through_required_ancestors(edge):
    _, by_op, _, _ = edge
    a = by_op[("POST", "/things/{thingId}")]
    req = set(a["input_schema"]["required"])
    assert req == {"thingId", "name", "settings__mode"}
    # settings.a is required but a.b is not: c is required inside b only
    assert "settings__a__b__c" not in req
    assert "settings__opt__must" not in req
    assert a["request_body"]["containers"] == [["settings"], ["settings", "a"]]


def test_flat_property_keeps_constraints(edge):
    _, by_op, _, _ = edge
    props = by_op[("POST", "/things/{thingId}")]["input_schema"]["properties"]
    assert props["settings__mode"] == {"type": "string", "enum": ["fast", "slow"], "default": "fast"}
    assert props["settings__a__b__c"] == {"type": "integer", "minimum": 1, "maximum": 9}
    assert props["old"] == {"type": "string", "pattern": "^[a-z]+$", "deprecated": True}
    assert props["settings__opt__may"] == {"type": ["string", "null"]}
    assert props["thingId"]["type"] == "integer" and props["thingId"]["format"] == "int64"
    assert props["fields"] == {"type": "array", "items": {"type": "string"}}


def test_optional_path_parameter_is_required_after_overlay(edge):
    _, by_op, _, _ = edge
    assert "thingId" in by_op[("POST", "/things/{thingId}")]["input_schema"]["required"]


def test_union_body_exposes_variant_properties_whole(edge):
    _, by_op, _, _ = edge
    a = by_op[("PATCH", "/union/{id}")]
    assert a["request_body"]["kind"] == "union"
    props = a["input_schema"]["properties"]
    assert set(props) == {"id", "status", "duration"}
    assert set(a["input_schema"]["required"]) == {"id", "status"}  # duration is required by one variant only
    assert props["status"]["anyOf"][0]["enum"] == ["Away", "Available"]
    parts = unflatten(a, {"id": "u1", "status": "Do_No_Disturb", "duration": 30})
    assert parts.path == {"id": "u1"} and parts.body == {"status": "Do_No_Disturb", "duration": 30}


def test_array_body_is_one_whole_parameter(edge):
    _, by_op, _, _ = edge
    a = by_op[("PUT", "/things")]
    assert a["parameters"] == {"body": {"in": "body", "path": []}}
    assert unflatten(a, {"body": ["a", "b"]}).body == ["a", "b"]


def test_multipart_file_parameter_is_described_as_a_file(edge):
    _, by_op, _, _ = edge
    a = by_op[("POST", "/upload")]
    assert a["request_body"]["content_type"] == "multipart/form-data"
    assert a["parameters"]["pic_file"] == {"in": "multipart", "path": ["pic_file"], "file": True}
    schema = a["input_schema"]["properties"]["pic_file"]
    assert schema["type"] == "object" and {"filename", "content_base64", "path"} <= set(schema["properties"])
    assert "The picture." in schema["description"] and "base64" in schema["description"]
    assert a["input_schema"]["required"] == ["pic_file"]


def test_output_schema_is_the_envelope(edge):
    _, by_op, _, _ = edge
    out = by_op[("POST", "/things/{thingId}")]["output_schema"]
    assert out["required"] == ["data", "successful", "error"]
    assert out["properties"]["data"]["properties"]["note"] == {"type": ["string", "null"]}
    assert by_op[("POST", "/things/{thingId}")]["success_status"] == 201
    assert by_op[("PUT", "/things")]["output_schema"]["properties"]["data"]["type"] == "object"
    csv = by_op[("GET", "/long")]["output_schema"]["properties"]["data"]
    assert set(csv["properties"]) == {"content", "content_type"}


def test_annotations(edge):
    _, by_op, _, _ = edge
    assert by_op[("GET", "/things")]["annotations"] == {"read_only": True, "destructive": False, "idempotent": True}
    assert by_op[("DELETE", "/union/{id}")]["annotations"] == {"read_only": False, "destructive": True, "idempotent": True}
    assert by_op[("POST", "/upload")]["annotations"] == {"read_only": False, "destructive": False, "idempotent": False}


def test_unflatten_builds_the_nested_body_and_required_containers(edge):
    _, by_op, _, _ = edge
    a = by_op[("POST", "/things/{thingId}")]
    parts = unflatten(a, {"thingId": 7, "fields": ["a"], "name": "n", "settings__mode": "slow",
                          "body_thingId": "t", "x__y": "literal", "x__y_2": "nested", "X_Trace": "abc"})
    assert parts.path == {"thingId": 7}
    assert parts.query == {"fields": ["a"]}
    assert parts.headers == {"X-Trace": "abc"}
    assert parts.body == {"name": "n", "thingId": "t", "settings": {"mode": "slow", "a": {}},
                          "x__y": "literal", "x": {"y": "nested"}}


def test_lock_pins_names_and_changes_only_on_flag(edge, tmp_path):
    result, by_op, _, spec_dir = edge
    assert not (spec_dir / "names.lock").exists()
    build.build(SPECS, tmp_path / "a", spec_dir=spec_dir, update_lock=True)
    lock = json.loads((spec_dir / "names.lock").read_text())["names"]
    assert lock["edge GET /things"] == "ZOOM_LIST_THINGS"
    assert json.loads((spec_dir / "spec.lock").read_text())["specs"]["edge"]["sha256"] == result.spec_hashes["edge"]

    # Zoom rewords a summary: the pinned name survives
    reworded = json.loads((SPECS / "edge.json").read_text())
    reworded["paths"]["/things/{thingId}"]["post"]["summary"] = "Make a brand new thing"
    reworded["paths"]["/new"] = {"get": {"summary": "Create a thing", "responses": {"200": {"description": "OK"}}}}
    src = tmp_path / "src"
    src.mkdir()
    (src / "edge.json").write_text(json.dumps(reworded))
    before = (spec_dir / "names.lock").read_text()
    again = build.build(src, tmp_path / "b", spec_dir=spec_dir)
    names = {(a["operation"]["method"], a["operation"]["path"]): a["name"] for a in again.actions}
    assert names[("POST", "/things/{thingId}")] == "ZOOM_CREATE_A_THING"
    # a new operation whose summary collides with a pinned name gets a qualified one
    assert names[("GET", "/new")] == "ZOOM_CREATE_A_THING_NEW"
    assert again.new_names == {"edge GET /new": "ZOOM_CREATE_A_THING_NEW"}
    assert (spec_dir / "names.lock").read_text() == before  # no flag, no change
    build.build(src, tmp_path / "c", spec_dir=spec_dir, update_lock=True)
    assert json.loads((spec_dir / "names.lock").read_text())["names"]["edge GET /new"] == "ZOOM_CREATE_A_THING_NEW"
