"""Compact and verbatim descriptions: compact keeps every parameter, type,
enum, bound, default and required marker plus the facts an agent needs, and
costs at most half the tokens of verbatim (o200k_base, offline)."""

from __future__ import annotations

import json
import re

import pytest

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # bpe-openai's importlib.resources use

from zoom_actions import describe
from zoom_actions.adapters import build_tools

TEXT_KEYS = {"description", "examples", "example", "title"}


def _structure(node):
    """A schema without its texts: what must survive compaction unchanged."""
    if isinstance(node, dict):
        return {k: _structure(v) for k, v in node.items() if k not in TEXT_KEYS}
    if isinstance(node, list):
        return [_structure(v) for v in node]
    return node


@pytest.fixture(scope="module")
def schemas(catalog):
    """name -> (input schema, its compact rendering), rendered once."""
    from zoom_actions.adapters.core import rendered_schema
    return {n: (catalog.get(n)["input_schema"], rendered_schema(catalog, n, "compact")) for n in catalog.names()}


def test_verbatim_is_the_catalog_text(catalog):
    for name in catalog.names():
        action = catalog.get(name)
        assert describe.tool_description(action, "verbatim") == action["description"]
        assert describe.render_schema(action["input_schema"], "verbatim") == action["input_schema"]


def test_compact_keeps_every_parameter_type_enum_and_required_marker(schemas):
    for name, (schema, compact) in schemas.items():
        want = _structure(schema)
        want.pop("additionalProperties", None)  # the root's closed-world marker is all compact drops
        assert _structure(compact) == want, name
        assert "examples" not in json.dumps(compact)


@pytest.mark.parametrize("fact", [r"`me`", r"(?i)uuid", r"(?i)yyyy", r"\b(?:UTC|GMT)\b", r"(?i)\bminutes?\b",
                                  r"(?i)\bseconds?\b", r"(?i)comma[- ]separated", r"(?i)semicolon"])
def test_compact_keeps_the_facts_an_agent_needs(schemas, fact):
    """Wherever a parameter's own text states `me`, a UUID, a date format, a
    time zone, a unit or a separator, its compact definition still does (in
    its text, or in the `default` the schema keeps)."""
    missing = []
    for name, (schema, rendered) in schemas.items():
        compact = rendered["properties"]
        for key, prop in schema["properties"].items():
            kept = " ".join(str(compact[key].get(k, "")) for k in ("description", "default"))
            if re.search(fact, prop.get("description") or "") and not re.search(fact, kept):
                missing.append(f"{name}.{key}")
    assert not missing, missing[:10]


def test_compact_explains_every_integer_enum_value_it_was_told(schemas):
    """An integer enum's values are codes: when Zoom explains each one, the
    compact text keeps an explanation for each."""
    checked = 0
    for name, (schema, rendered) in schemas.items():
        compact = rendered["properties"]
        for key, prop in schema["properties"].items():
            values = prop.get("enum")
            text = prop.get("description") or ""
            if prop.get("type") != "integer" or not values:
                continue
            if not all(re.search(rf"`{v}`\s*[-–:]", text) for v in values):
                continue
            checked += 1
            out = compact[key]["description"]
            for v in values:
                assert re.search(rf"(?:^|[ ;(]){re.escape(str(v))}(?:=|;|\.|$)", out), (name, key, out)
    assert checked >= 20


def test_compact_tool_description_keeps_per_day_caps_and_drops_prerequisites(catalog):
    action = catalog.get("ZOOM_CREATE_A_MEETING")
    text = describe.tool_description(action, "compact")
    assert text.startswith("Create a meeting") and "100 requests per day" in text
    assert len(text) < len(action["description"]) / 2
    deprecated = next((catalog.get(n) for n in catalog.names() if catalog.get(n).get("deprecated")), None)
    if deprecated is not None:
        assert describe.tool_description(deprecated, "compact").startswith("Deprecated")


def test_compact_text_rules():
    text = ("The meeting type.\n* `1` - An instant meeting.\n* `2` - A scheduled meeting.\n\n"
            "This value defaults to `2`. For more information, see [the docs](https://example.com).")
    assert describe.compact_text(text, {"type": "integer", "enum": [1, 2]}) == \
        "The meeting type. 1=An instant meeting; 2=A scheduled meeting."
    assert describe.compact_text("The meeting's topic.", {"type": "string"}, key="topic") == ""
    assert describe.compact_text("Whether to enable the waiting room.", {"type": "boolean"}, key="waiting_room") == ""
    assert describe.compact_text("Whether to mute participants on entry and play a chime.", {"type": "boolean"},
                                 key="mute") == "Mute participants on entry and play a chime."
    kept = describe.compact_text("The start time. Use the `yyyy-MM-ddTHH:mm:ssZ` format in UTC. Example: 2020.")
    assert "yyyy-MM-ddTHH:mm:ssZ" in kept and "Example" not in kept
    with pytest.raises(ValueError):
        describe.render_schema({}, "short")


def test_enum_meanings_share_their_common_words():
    items = describe.enum_pairs([("0", "No plan."), ("1", "Send 1 day after the end date."),
                                 ("2", "Send 2 days after the end date."), ("3", "Send 3 days after the end date.")])
    assert items[0] == "0=No plan"
    assert items[1].startswith("(Send … after the end date) 1=1 day") and items[3] == "3=3 days"


def _tokens(tools) -> int:
    import bpe_openai
    enc = bpe_openai.get_encoding("o200k_base")
    return sum(len(enc.encode(json.dumps(t, separators=(",", ":"), ensure_ascii=False))) for t in tools)


@pytest.mark.parametrize("fmt", ["openai", "anthropic", "gemini", "mcp"])
def test_compact_meetings_catalog_costs_at_most_half_of_verbatim(catalog, fmt):
    names = catalog.filter(products="meetings")
    assert len([n for n in names if not catalog.is_workflow(n)]) == 181
    # select/budget (the same in both modes) left out: this measures what the description modes change
    compact = _tokens(build_tools(catalog, fmt, names=names, description="compact", allow_many=True, shaping=False))
    verbatim = _tokens(build_tools(catalog, fmt, names=names, description="verbatim", allow_many=True, shaping=False))
    assert compact <= verbatim / 2, (fmt, compact, verbatim)
