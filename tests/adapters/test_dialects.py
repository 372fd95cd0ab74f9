"""The provider dialect transforms, each on small hand-written schemas, and
the independent checkers that re-read each provider's documented rules."""

from __future__ import annotations

import pytest

from zoom_actions.adapters import dialect_anthropic as anth
from zoom_actions.adapters import dialect_gemini as gem
from zoom_actions.adapters import dialect_openai as oai
from zoom_actions.adapters import schema_ops as ops
from zoom_actions.adapters.errors import Unrepresentable

SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {
        "meetingId": {"type": "integer", "format": "int64", "description": "The meeting ID."},
        "topic": {"type": "string", "maxLength": 200, "description": "Topic."},
        "type": {"type": "integer", "enum": [1, 2, 3], "default": 2, "description": "1=Instant; 2=Scheduled; 3=Recurring."},
        "audio": {"type": "string", "enum": ["both", "voip"], "examples": ["voip"]},
        "start_time": {"type": "string", "format": "date-time"},
        "page_size": {"type": "integer", "minimum": 1, "maximum": 300, "exclusiveMinimum": 0},
        "tags": {"type": "array", "items": {"type": "string"}, "uniqueItems": True, "maxItems": 5},
        "invitees": {"type": "array", "items": {"type": "object", "properties": {
            "email": {"type": "string", "format": "email"}, "name": {"type": "string"}}, "required": ["email"]}},
        "metadata": {"type": "object", "description": "Free-form key/value pairs."},
        "target": {"description": "Who.", "oneOf": [
            {"type": "object", "properties": {"user": {"type": "string"}}, "required": ["user"]},
            {"type": "object", "properties": {"group": {"type": "string"}}, "required": ["group"]}]},
        "who": {"description": "A user.", "oneOf": [{"type": "string"}, {"type": "string", "format": "email"},
                                                   {"type": "string", "enum": ["me"]}]},
        "kind": {"anyOf": [{"type": "string", "enum": ["a"]}, {"type": "string", "enum": ["b", "a"]}]},
        "privileges": {"type": "array", "enum": [1, 2, 3], "items": {"type": "integer"}},
        "old": {"type": "boolean", "deprecated": True},
    },
    "required": ["meetingId"],
    "additionalProperties": False,
}


# --- shared operations ----------------------------------------------------------------

def test_simplify_unions_folds_one_primitive_type():
    assert ops.simplify_unions(SCHEMA["properties"]["who"]) == {"type": "string", "description": "A user."}
    assert ops.simplify_unions(SCHEMA["properties"]["kind"]) == {"type": "string", "enum": ["a", "b"]}


def test_simplify_unions_keeps_object_unions_as_any_of():
    out = ops.simplify_unions(SCHEMA["properties"]["target"])
    assert "oneOf" not in out and len(out["anyOf"]) == 2 and out["description"] == "Who."


def test_misplaced_enum_moves_to_items():
    out = ops.fix_misplaced_enum(SCHEMA["properties"]["privileges"])
    assert "enum" not in out and out["items"]["enum"] == [1, 2, 3]


def test_free_object_becomes_json_string():
    out = ops.free_object_as_json_string(SCHEMA["properties"]["metadata"])
    assert out["type"] == "string" and "JSON-encoded" in out["description"]
    assert ops.free_object_as_json_string({"type": "string"}) == {"type": "string"}


def test_transform_does_not_mutate_its_input():
    import copy
    before = copy.deepcopy(SCHEMA)
    oai.to_openai_strict(SCHEMA)
    gem.to_gemini(SCHEMA)
    anth.to_anthropic_strict(SCHEMA)
    assert SCHEMA == before


# --- OpenAI strict --------------------------------------------------------------------

def test_openai_strict_requires_everything_and_nulls_the_optional():
    out = oai.to_openai_strict(SCHEMA)
    assert out["additionalProperties"] is False
    assert set(out["required"]) == set(out["properties"])
    props = out["properties"]
    assert props["meetingId"]["type"] == "integer"                      # required: not nullable
    assert props["topic"]["type"] == ["string", "null"]
    assert props["type"]["enum"] == [1, 2, 3, None]
    assert {"type": "null"} in props["target"]["anyOf"]
    # nested objects are strict too, optional ones nullable
    item = props["invitees"]["items"]
    assert item["additionalProperties"] is False and set(item["required"]) == {"email", "name"}
    assert item["properties"]["name"]["type"] == ["string", "null"]
    assert item["properties"]["email"]["type"] == "string"


def test_openai_strict_drops_unsupported_keywords_into_the_description():
    props = oai.to_openai_strict(SCHEMA)["properties"]
    assert "maxLength" not in props["topic"] and "Max 200 chars." in props["topic"]["description"]
    assert "default" not in props["type"] and 'Default: 2.' in props["type"]["description"]
    assert "format" not in props["meetingId"]                               # int64 is not a strict format
    assert props["start_time"]["format"] == "date-time"
    assert "uniqueItems" not in props["tags"] and props["tags"]["maxItems"] == 5
    assert "examples" not in props["audio"]
    assert props["old"]["description"].startswith("Deprecated")
    assert props["metadata"]["type"] == ["string", "null"]                  # free object as JSON text
    assert "oneOf" not in str(props)


def test_openai_strict_output_passes_its_checker_and_the_checker_catches_each_rule():
    assert oai.check_openai_strict(oai.to_openai_strict(SCHEMA)) == []
    bad = {"type": "object", "properties": {"a": {"type": "string", "maxLength": 3}, "b": {"type": "object"}},
           "required": ["a"]}
    problems = " | ".join(oai.check_openai_strict(bad))
    assert "additionalProperties must be false" in problems
    assert "every property must be required" in problems
    assert "unsupported keywords ['maxLength']" in problems
    assert "object without properties" in problems


def test_openai_strict_limits_are_reported_not_sent():
    wide = {"type": "object", "properties": {f"p{i}": {"type": "string"} for i in range(oai.LIMITS["properties"] + 1)}}
    with pytest.raises(Unrepresentable, match="object properties"):
        oai.to_openai_strict(wide)
    deep = inner = {"type": "object", "properties": {}}
    for _ in range(oai.LIMITS["depth"]):
        child = {"type": "object", "properties": {}}
        inner["properties"]["x"] = child
        inner = child
    inner["properties"]["leaf"] = {"type": "string"}
    with pytest.raises(Unrepresentable, match="levels of nesting"):
        oai.to_openai_strict(deep)
    enums = {"type": "object", "properties": {
        f"e{i}": {"type": "string", "enum": [f"v{j}" for j in range(300)]} for i in range(4)}}
    with pytest.raises(Unrepresentable, match="enum values"):
        oai.to_openai_strict(enums)
    big = {"type": "object", "properties": {"e": {"type": "string", "enum": ["x" * 60 + str(j) for j in range(260)]}}}
    with pytest.raises(Unrepresentable, match="enum of 260 strings"):
        oai.to_openai_strict(big)


def test_openai_non_strict_is_the_schema_minus_meta():
    out = oai.to_openai(SCHEMA)
    assert "$schema" not in out and out["properties"] == SCHEMA["properties"]
    assert oai.to_openai({"type": "object"}) == {"type": "object", "properties": {}}


def test_openai_strict_empty_object():
    assert oai.to_openai_strict({"type": "object", "properties": {}, "additionalProperties": False}) == {
        "type": "object", "properties": {}, "required": [], "additionalProperties": False}


def test_function_names():
    assert oai.check_name("ZOOM_GET_A_MEETING") is None
    assert oai.check_name("ZOOM GET") and oai.check_name("Z" * 65)
    assert gem.check_name("9STARTS_WITH_DIGIT")


# --- Gemini ---------------------------------------------------------------------------

def test_gemini_shapes():
    out = gem.to_gemini(SCHEMA)
    props = out["properties"]
    assert out["type"] == "OBJECT" and out["required"] == ["meetingId"]
    assert props["topic"] == {"type": "STRING", "maxLength": 200, "description": "Topic."}
    assert props["meetingId"]["format"] == "int64"
    assert props["start_time"]["format"] == "date-time"
    assert props["audio"]["enum"] == ["both", "voip"] and props["audio"]["example"] == "voip"
    # integer enum: not a Gemini enum; the description already explains every value
    assert "enum" not in props["type"] and props["type"]["description"] == "1=Instant; 2=Scheduled; 3=Recurring."
    assert props["privileges"]["items"]["description"] == "One of: 1, 2, 3."
    # exclusive bound folded into minimum (integers)
    assert props["page_size"]["minimum"] == 1 and "exclusiveMinimum" not in props["page_size"]
    # unions: a bare anyOf with the description pushed into the branches
    assert set(props["target"]) == {"anyOf"}
    assert all(b["type"] == "OBJECT" and b["description"] == "Who." for b in props["target"]["anyOf"])
    assert props["who"] == {"type": "STRING", "description": "A user."}
    assert props["metadata"]["type"] == "STRING"
    assert gem.check_gemini(out) == []


def test_gemini_nullable_and_const():
    out = gem.to_gemini({"type": "object", "properties": {
        "a": {"type": ["string", "null"]}, "b": {"const": "fixed", "type": "string"},
        "c": {"anyOf": [{"type": "integer"}, {"type": "null"}], "description": "C."}}})
    assert out["properties"]["a"] == {"type": "STRING", "nullable": True}
    assert out["properties"]["b"] == {"type": "STRING", "enum": ["fixed"]}
    assert out["properties"]["c"] == {"type": "INTEGER", "description": "C.", "nullable": True}


def test_gemini_no_parameters_means_no_field():
    assert gem.to_gemini({"type": "object", "properties": {}}) is None


def test_gemini_checker_names_each_rejection():
    bad = {"type": "OBJECT", "additionalProperties": False, "$schema": "x", "properties": {
        "a": {"type": "STRING", "const": "x"},
        "b": {"type": "INTEGER", "exclusiveMinimum": 0, "enum": [1]},
        "c": {"anyOf": [{"type": "STRING"}], "description": "beside"},
        "d": {"type": "STRING", "properties": {"x": {"type": "STRING"}}},
        "e": {"type": "OBJECT"},
        "f": {"type": "ARRAY"}}}
    problems = " | ".join(gem.check_gemini(bad))
    for needle in ("additionalProperties", "$schema", "const", "exclusiveMinimum", "anyOf beside",
                   "properties without type OBJECT", "OBJECT without properties", "ARRAY without items",
                   "enum on INTEGER"):
        assert needle in problems, needle


# --- Anthropic ------------------------------------------------------------------------

def test_anthropic_non_strict_checks_property_keys():
    assert anth.to_anthropic(SCHEMA)["properties"] == SCHEMA["properties"]
    with pytest.raises(Unrepresentable, match="does not match"):
        anth.to_anthropic({"type": "object", "properties": {"bad key": {"type": "string"}}})
    with pytest.raises(Unrepresentable):
        anth.to_anthropic({"type": "object", "properties": {"x": {"type": "object", "properties": {
            "k" * 65: {"type": "string"}}}}})


def test_anthropic_strict_subset():
    out = anth.to_anthropic_strict({"type": "object", "properties": {
        "a": {"type": "integer", "minimum": 1, "maximum": 300},
        "b": {"type": "array", "items": {"type": "string"}, "minItems": 2, "maxItems": 4},
        "c": {"type": "object", "properties": {"x": {"type": "string"}}}},
        "required": ["a"]})
    a, b, c = (out["properties"][k] for k in "abc")
    assert "minimum" not in a and a["description"] == "Between 1 and 300."
    assert "minItems" not in b and "maxItems" not in b and "At most 4 items." in b["description"]
    assert c["additionalProperties"] is False and out["additionalProperties"] is False
    assert out["required"] == ["a"]          # optional stays optional (not nullable) in Anthropic strict
    assert anth.check_anthropic_strict(out) == []


def test_anthropic_strict_budgets():
    many = {"type": "object", "properties": {f"p{i}": {"type": "string"} for i in range(anth.MAX_OPTIONAL + 1)}}
    with pytest.raises(Unrepresentable, match="optional parameters"):
        anth.to_anthropic_strict(many)
    unions = {"type": "object", "required": [f"u{i}" for i in range(anth.MAX_UNIONS + 1)], "properties": {
        f"u{i}": {"anyOf": [{"type": "string"}, {"type": "integer"}]} for i in range(anth.MAX_UNIONS + 1)}}
    with pytest.raises(Unrepresentable, match="union-typed"):
        anth.to_anthropic_strict(unions)
    assert anth.strict_budget({"type": "object", "properties": {"a": {"type": "string"}, "b": {
        "type": ["string", "null"]}}, "required": ["b"]}) == (1, 1)
