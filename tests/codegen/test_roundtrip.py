"""Property: for every action with a JSON body, bodies generated from the
original (nested) body schema survive flatten -> unflatten unchanged."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zoom_actions.codegen.schema import is_plain_object, merge_all_of
from zoom_actions.flat import flatten_body, unflatten

_LEAF = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.text(max_size=5))
_JSON = st.recursive(_LEAF, lambda c: st.lists(c, max_size=2) | st.dictionaries(st.text(max_size=3), c, max_size=2),
                     max_leaves=4)


def _value(schema: dict, depth: int = 0):
    """Values for a field that is passed whole: shaped by its schema where
    that matters (objects, arrays), any JSON otherwise."""
    t = schema.get("type")
    t = t[0] if isinstance(t, list) else t
    if depth > 2:
        return _LEAF
    if t == "array":
        return st.lists(_value(schema.get("items", {}), depth + 1), max_size=2)
    if t == "object" or "properties" in schema:
        props = schema.get("properties") or {}
        if props:
            return st.fixed_dictionaries({}, optional={k: _value(v, depth + 1) for k, v in props.items()})
        return st.dictionaries(st.text(max_size=4), _JSON, max_size=2)
    if t == "integer":
        return st.integers()
    if t == "boolean":
        return st.booleans()
    if t == "string":
        return st.text(max_size=8)
    return _JSON


def _object(schema: dict, required_container: bool):
    """A flattened object: required keys always there, others sometimes;
    never empty unless the schema makes it a required container (flattening
    cannot tell an absent optional object from an empty one)."""
    schema = merge_all_of(schema)
    req = set(schema.get("required", []))
    fields, optional = {}, {}
    for key, sub in schema["properties"].items():
        sub = merge_all_of(sub)
        if is_plain_object(sub):
            strat = _object(sub, required_container and key in req)
        else:
            strat = _value(sub)
        (fields if key in req else optional)[key] = strat
    s = st.fixed_dictionaries(fields, optional=optional)
    return s if required_container else s.filter(bool)


def _json_body_actions():
    from zoom_actions import CatalogNotBuilt, load_catalog
    try:
        cat = load_catalog()
    except CatalogNotBuilt:
        return []
    out = []
    for name in cat.names():
        a = cat.get(name)
        rb = a["request_body"]
        if rb and rb["content_type"] == "application/json" and rb["kind"] == "object":
            out.append(a)
    return out


ACTIONS = _json_body_actions()


def test_there_are_json_body_actions_to_check(catalog):
    assert len(ACTIONS) > 150


@pytest.mark.parametrize("action", ACTIONS, ids=[a["name"] for a in ACTIONS])
def test_flatten_unflatten_roundtrip(action):
    rb = action["request_body"]
    strategy = _object(rb["schema"], required_container=rb["required"])

    @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(strategy)
    def check(body):
        flat = flatten_body(action, body)
        assert set(flat) <= set(action["input_schema"]["properties"])
        rebuilt = unflatten(action, flat).body
        # required containers are rebuilt as {} even when the body had none of their fields
        assert rebuilt == body

    check()
