"""Hypothesis strategies from the catalog's flat JSON Schemas.

Covers what the flat input schemas use: ``type`` (one or several), ``enum``,
``const``, ``format``, length/size/number bounds, ``pattern``, ``items``,
``properties``/``required``/``additionalProperties``, ``anyOf``/``oneOf``.
Values are kept small (short strings and arrays, shallow objects: below a
few levels only what the schema requires) so that hundreds of actions run
in seconds; every value is meant to satisfy its schema.

What the runtime checks beyond the schema's keywords is generated the way
the runtime reads it: a ``pattern`` together with a checked ``format`` (both
must hold), integer ranges of ``int32``/``int64``, and an object-typed
multipart part as a file. A parameter Zoom's spec admits no value for
(``contract.inputs.admits_no_value``; allow-listed there) is never generated.
"""

from __future__ import annotations

import base64
import re
import string

from hypothesis import strategies as st

from contract import inputs as contract_inputs
from zoom_actions.inputs import INT32, INT64, value_checks

_MAX_TEXT = 24
_MAX_ITEMS = 3
_MAX_DEPTH = 4
_SMALL_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-1000, 1000) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=2) | st.dictionaries(st.text(max_size=6), inner, max_size=2),
    max_leaves=4)


def _formatted(fmt: str | None) -> st.SearchStrategy[str] | None:
    if fmt == "date-time":
        return st.datetimes().map(lambda d: d.replace(microsecond=0).isoformat() + "Z")
    if fmt == "date":
        return st.dates().map(lambda d: d.isoformat())
    if fmt == "time":
        return st.times().map(lambda t: t.replace(microsecond=0).isoformat())
    if fmt == "email":
        return st.from_regex(r"[a-z0-9._-]{1,12}@[a-z0-9-]{1,12}\.(com|org|io)", fullmatch=True)
    if fmt in ("uri", "url"):
        return st.from_regex(r"https://[a-z]{1,10}\.example/[a-zA-Z0-9_/-]{0,12}", fullmatch=True)
    if fmt in ("int64", "int32"):
        return st.integers(0, 10**12).map(str)
    if fmt == "Hex color code":
        return st.from_regex(r"#[0-9A-F]{6}", fullmatch=True)
    return None


def _string(schema: dict) -> st.SearchStrategy[str]:
    fmt = _formatted(schema.get("format"))
    if "pattern" in schema:
        pattern = schema["pattern"]
        check = value_checks({"_": schema}).get("_")
        if check is None:
            return st.from_regex(pattern, fullmatch=True)
        if contract_inputs.admits_no_value(schema):
            return st.nothing()
        known = contract_inputs.sample(schema)   # a value both hold for
        # both must hold: matches of the pattern in the format, values of the format that match
        either = st.from_regex(pattern, fullmatch=True)
        if fmt is not None:
            either = either | fmt
        return st.just(known) | either.filter(lambda v: re.search(pattern, v) is not None and check(v) is None)
    lo = schema.get("minLength", 0)
    hi = min(schema.get("maxLength", _MAX_TEXT), max(_MAX_TEXT, lo))
    if fmt is not None:
        return fmt.filter(lambda s: lo <= len(s) <= schema.get("maxLength", 10**9))
    return st.text(min_size=lo, max_size=hi)


def _integer(schema: dict) -> st.SearchStrategy[int]:
    lo = schema.get("minimum")
    hi = schema.get("maximum")
    if "exclusiveMinimum" in schema:
        lo = schema["exclusiveMinimum"] + 1
    if "exclusiveMaximum" in schema:
        hi = schema["exclusiveMaximum"] - 1
    # the runtime holds integers to their format's range (int64 unless int32)
    fmt_lo, fmt_hi = INT32 if schema.get("format") == "int32" else INT64
    lo = max(lo if lo is not None else -(2**31), fmt_lo)
    hi = min(hi if hi is not None else 2**53, fmt_hi)
    return st.integers(min_value=lo, max_value=hi)


def from_schema(schema: dict, depth: int = 0) -> st.SearchStrategy:
    if not isinstance(schema, dict) or schema is True:
        return _SMALL_JSON
    if "const" in schema:
        return st.just(schema["const"])
    if schema.get("enum"):
        return st.sampled_from(schema["enum"])
    branches = schema.get("anyOf") or schema.get("oneOf")
    if branches:
        return st.one_of([from_schema(b, depth + 1) for b in branches if isinstance(b, dict)])
    kind = schema.get("type")
    if isinstance(kind, list):
        return st.one_of([from_schema({**schema, "type": k}, depth) for k in kind])
    if kind is None:
        kind = "object" if "properties" in schema else "array" if "items" in schema else None
    if kind == "string":
        return _string(schema)
    if kind == "integer":
        return _integer(schema)
    if kind == "number":
        return st.floats(min_value=schema.get("minimum"), max_value=schema.get("maximum"),
                         allow_nan=False, allow_infinity=False)
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    if kind == "array":
        lo = schema.get("minItems", 0)
        hi = max(lo, min(schema.get("maxItems", _MAX_ITEMS), _MAX_ITEMS)) if depth < _MAX_DEPTH else lo
        if hi == 0:
            return st.just([])
        items = from_schema(schema.get("items", {}), depth + 1)
        if schema.get("uniqueItems"):
            import json
            return st.lists(items, min_size=lo, max_size=hi, unique_by=lambda v: json.dumps(v, sort_keys=True))
        return st.lists(items, min_size=lo, max_size=hi)
    if kind == "object":
        return object_strategy(schema, depth)
    return _SMALL_JSON


def object_strategy(schema: dict, depth: int = 0, overrides: dict | None = None) -> st.SearchStrategy[dict]:
    props = schema.get("properties") or {}
    required = set(schema.get("required", ()))
    overrides = overrides or {}
    if not props:
        extra = schema.get("additionalProperties", True)
        if extra is False or depth >= _MAX_DEPTH:
            return st.just({})
        values = _SMALL_JSON if extra is True else from_schema(extra, depth + 1)
        return st.dictionaries(st.text(string.ascii_lowercase, min_size=1, max_size=8), values, max_size=2)
    if depth >= _MAX_DEPTH:   # deep down: only what is required (still valid, and small)
        props = {k: v for k, v in props.items() if k in required}
    strat = {k: overrides[k] if k in overrides else from_schema(v, depth + 1) for k, v in props.items()}
    return st.fixed_dictionaries({k: s for k, s in strat.items() if k in required},
                                 optional={k: s for k, s in strat.items() if k not in required})


def file_values() -> st.SearchStrategy[dict]:
    return st.fixed_dictionaries({
        "filename": st.from_regex(r"[a-z]{1,8}\.(png|jpg)", fullmatch=True),
        "content_base64": st.binary(min_size=1, max_size=64).map(lambda b: base64.b64encode(b).decode()),
    })


def action_inputs(action: dict) -> st.SearchStrategy[dict]:
    """Flat parameters for one action: path values not blank (the runtime
    refuses a blank path segment), file parameters (as the runtime tells
    them) as base64 content."""
    overrides = {}
    schema = action["input_schema"]
    for name, loc in action["parameters"].items():
        prop = schema["properties"][name]
        if contract_inputs.is_file(action, name):
            overrides[name] = file_values()
        elif loc["in"] == "path":
            plain = prop.get("type") == "string" and "enum" not in prop and "pattern" not in prop
            base = _string({**prop, "minLength": max(1, prop.get("minLength", 0))}) if plain else from_schema(prop)
            overrides[name] = base.filter(lambda v: not isinstance(v, str) or v.strip())
    return object_strategy(schema, 0, overrides)
