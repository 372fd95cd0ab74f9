"""OpenAI's function-parameter dialects.

``to_openai_strict`` renders an action's flat input schema for strict mode
(Structured Outputs for function calling, ``"strict": true``):

* every object has ``additionalProperties: false`` and lists *all* its
  properties in ``required``; an optional property becomes nullable (``type``
  gains ``"null"``, an enum gains ``null``, a union gains a null branch), and
  the executor treats ``null`` as "not given";
* only the keywords strict mode supports survive (see ``ALLOWED``); what is
  dropped and matters to a model (a default, a length cap, a deprecation)
  moves into the description;
* ``oneOf`` becomes ``anyOf``; unions of one primitive type fold into it; a
  free-form object (no declared properties, which strict mode cannot
  express) travels as a JSON-encoded string;
* the result is checked against the documented caps (``LIMITS``); a schema
  over a cap raises ``Unrepresentable`` with the reason.

``to_openai`` is the non-strict form: the schema as it is, minus ``$schema``.

Limits are the ones OpenAI documents for Structured Outputs' supported
schemas: up to 5,000 object properties in total, 10 levels of nesting, 1,000
enum values in total, 120,000 characters of property names, definition
names, enum values and const values together, and 15,000 characters for the
values of one string enum with more than 250 of them.
"""

from __future__ import annotations

import json
import re

from . import schema_ops as ops
from .errors import Unrepresentable

NAME_PATTERN = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
MAX_TOOLS = 128

LIMITS = {
    "properties": 5000,
    "depth": 10,
    "enum_values": 1000,
    "string_chars": 120_000,
    "large_enum_values": 250,
    "large_enum_chars": 15_000,
}

FORMATS = {"date-time", "time", "date", "duration", "email", "hostname", "ipv4", "ipv6", "uuid"}
_COMMON = {"type", "description", "enum", "const", "anyOf", "$ref", "$defs"}
ALLOWED = {
    "object": _COMMON | {"properties", "required", "additionalProperties"},
    "array": _COMMON | {"items", "minItems", "maxItems"},
    "string": _COMMON | {"pattern", "format"},
    "integer": _COMMON | {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"},
    "number": _COMMON | {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"},
    "boolean": _COMMON,
    "null": _COMMON,
}


def to_openai(schema: dict) -> dict:
    """Non-strict parameters: the schema minus ``$schema``, always an object."""
    out = ops.strip_meta(schema)
    out.setdefault("type", "object")
    out.setdefault("properties", {})
    return out


def to_openai_strict(schema: dict) -> dict:
    root = ops.normalize(schema)
    if root.get("properties"):
        out = ops.transform(root, _node)
    else:
        out = {"type": "object", "properties": {}}
    out = _strict_object(out)
    problems = check_openai_strict(out)
    if problems:
        raise Unrepresentable("OpenAI strict mode: " + problems[0])
    return out


def _notes_for_dropped(node: dict) -> list[str]:
    notes = []
    if node.get("deprecated"):
        notes.append("Deprecated.")
    if "default" in node and node["default"] not in (None, "", [], {}):
        notes.append(f"Default: {json.dumps(node['default'], ensure_ascii=False)}.")
    if "maxLength" in node:
        notes.append(f"Max {node['maxLength']} chars.")
    if "minLength" in node and node["minLength"] > 0:
        notes.append(f"Min {node['minLength']} chars.")
    return notes


def _node(node: dict) -> dict:
    node = ops.free_object_as_json_string(node)
    notes = _notes_for_dropped(node)
    types = ops.types_of(node)
    allowed: set[str] = set(_COMMON)
    for t in types:
        allowed |= ALLOWED.get(t, set())
    if "anyOf" in node:
        allowed = {"anyOf", "description", "$defs"}
    out = ops.keep_keys(node, allowed)
    if out.get("format") not in FORMATS:
        out.pop("format", None)
    for note in notes:
        out = ops.append_note(out, note)
    if "properties" in out:
        out["type"] = "object"
        out = _strict_object(out)
    return out


def _strict_object(node: dict) -> dict:
    props = node.get("properties") or {}
    required = set(node.get("required") or ())
    node = dict(node)
    node["properties"] = {k: (v if k in required else nullable(v)) for k, v in props.items()}
    node["required"] = list(props)
    node["additionalProperties"] = False
    return node


def nullable(node: dict) -> dict:
    """``node`` widened to also accept ``null``."""
    node = dict(node)
    if "anyOf" in node:
        if not any(b.get("type") == "null" for b in node["anyOf"]):
            node["anyOf"] = node["anyOf"] + [{"type": "null"}]
        return node
    types = ops.types_of(node)
    if not types or "null" in types:
        return node
    if "object" in types:
        desc = node.pop("description", None)
        out: dict = {"anyOf": [node, {"type": "null"}]}
        if desc:
            out["description"] = desc
        return out
    node["type"] = types + ["null"] if len(types) > 1 else [types[0], "null"]
    if "enum" in node and None not in node["enum"]:
        node["enum"] = list(node["enum"]) + [None]
    return node


def check_openai_strict(schema: dict) -> list[str]:
    """What in ``schema`` strict mode would reject; empty when it is fine.
    Independent of the transform: it re-reads the documented rules."""
    problems: list[str] = []
    totals = {"properties": 0, "enum_values": 0, "string_chars": 0}
    if schema.get("type") != "object" or "anyOf" in schema:
        problems.append("the root must be a plain object")

    def visit(node: dict, path: tuple) -> None:
        where = "/".join(map(str, path)) or "root"
        types = ops.types_of(node)
        if "anyOf" in node:
            extra = set(node) - {"anyOf", "description", "$defs"}
            if extra:
                problems.append(f"{where}: anyOf beside {sorted(extra)}")
        elif not types and "enum" not in node and "const" not in node and "$ref" not in node:
            problems.append(f"{where}: no type")
        allowed: set[str] = set(_COMMON)
        for t in types:
            if t not in ALLOWED:
                problems.append(f"{where}: unknown type {t!r}")
            allowed |= ALLOWED.get(t, set())
        unsupported = set(node) - allowed - ({"anyOf", "description"} if "anyOf" in node else set())
        if unsupported:
            problems.append(f"{where}: unsupported keywords {sorted(unsupported)}")
        if "format" in node and node["format"] not in FORMATS:
            problems.append(f"{where}: unsupported format {node['format']!r}")
        if "object" in types or "properties" in node:
            props = node.get("properties")
            if props is None:
                problems.append(f"{where}: object without properties")
                props = {}
            if node.get("additionalProperties") is not False:
                problems.append(f"{where}: additionalProperties must be false")
            if set(node.get("required") or ()) != set(props):
                problems.append(f"{where}: every property must be required")
            totals["properties"] += len(props)
            totals["string_chars"] += sum(len(k) for k in props)
        if "array" in types and not isinstance(node.get("items"), dict):
            problems.append(f"{where}: array without items")
        if "enum" in node:
            values = [v for v in node["enum"] if v is not None]
            totals["enum_values"] += len(values)
            chars = sum(len(str(v)) for v in values)
            totals["string_chars"] += chars
            if len(values) > LIMITS["large_enum_values"] and all(isinstance(v, str) for v in values) \
                    and chars > LIMITS["large_enum_chars"]:
                problems.append(f"{where}: enum of {len(values)} strings totals {chars} chars "
                                f"(limit {LIMITS['large_enum_chars']})")
        if "const" in node:
            totals["string_chars"] += len(str(node["const"]))
        for key in ("$defs", "definitions"):
            totals["string_chars"] += sum(len(k) for k in node.get(key) or ())

    ops.walk(schema, visit)
    depth = ops.object_depth(schema)
    if depth > LIMITS["depth"]:
        problems.append(f"{depth} levels of nesting (limit {LIMITS['depth']})")
    if totals["properties"] > LIMITS["properties"]:
        problems.append(f"{totals['properties']} object properties (limit {LIMITS['properties']})")
    if totals["enum_values"] > LIMITS["enum_values"]:
        problems.append(f"{totals['enum_values']} enum values (limit {LIMITS['enum_values']})")
    if totals["string_chars"] > LIMITS["string_chars"]:
        problems.append(f"{totals['string_chars']} characters of names and enum values "
                        f"(limit {LIMITS['string_chars']})")
    return problems


def check_name(name: str) -> str | None:
    if not NAME_PATTERN.match(name):
        return f"function name {name!r} does not match {NAME_PATTERN.pattern}"
    return None

