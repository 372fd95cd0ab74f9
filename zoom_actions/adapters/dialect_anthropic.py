"""Anthropic's tool ``input_schema`` dialects.

Non-strict (``to_anthropic``): Anthropic takes JSON Schema as it is; what it
checks is the shape (an object at the root) and every property key against
``^[a-zA-Z0-9_.-]{1,64}$``. An action with a key outside that pattern is
unrepresentable (renaming keys would change the request).

Strict tool use (``to_anthropic_strict``, ``"strict": true``) compiles the
schema into a grammar and documents a narrower subset: objects must say
``additionalProperties: false``; numeric bounds, string lengths, ``maxItems``
and ``minItems`` above 1 are not supported (they move into the description);
formats are limited to ``FORMATS``. Strict schemas also share per-request
budgets: at most ``MAX_STRICT_TOOLS`` strict tools, ``MAX_OPTIONAL`` optional
parameters and ``MAX_UNIONS`` parameters with ``anyOf`` or a type array,
counted across all of them. An action whose own schema already exceeds a
budget is unrepresentable in strict mode; ``build_tools`` checks the sums.
"""

from __future__ import annotations

import json
import re

from . import schema_ops as ops
from .errors import Unrepresentable

NAME_PATTERN = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
KEY_PATTERN = re.compile(r"^[a-zA-Z0-9_.-]{1,64}$")
MAX_STRICT_TOOLS = 20
MAX_OPTIONAL = 24
MAX_UNIONS = 16

FORMATS = {"date-time", "time", "date", "duration", "email", "hostname", "uri", "ipv4", "ipv6", "uuid"}
STRICT_ALLOWED = {"type", "description", "enum", "const", "anyOf", "properties", "required",
                  "additionalProperties", "items", "minItems", "format", "pattern", "$ref", "$defs"}
_LOOKAROUND = re.compile(r"\(\?[=!<]|\\[1-9]|\\b")


def bad_keys(schema: dict) -> list[str]:
    found: list[str] = []

    def visit(node: dict, path: tuple) -> None:
        for key in node.get("properties") or {}:
            if not KEY_PATTERN.match(key):
                found.append("/".join(map(str, path + (key,))))

    ops.walk(schema, visit)
    return found


def to_anthropic(schema: dict) -> dict:
    out = ops.strip_meta(schema)
    out.setdefault("type", "object")
    out.setdefault("properties", {})
    problems = check_anthropic(out)
    if problems:
        raise Unrepresentable("Anthropic: " + problems[0])
    return out


def check_anthropic(schema: dict) -> list[str]:
    problems = []
    if schema.get("type") != "object":
        problems.append("input_schema must be an object")
    for key in bad_keys(schema):
        problems.append(f"property key {key!r} does not match {KEY_PATTERN.pattern}")
    return problems


def _bound_notes(node: dict) -> list[str]:
    notes = []
    lo, hi = node.get("minimum"), node.get("maximum")
    if lo is not None and hi is not None:
        notes.append(f"Between {lo} and {hi}.")
    elif lo is not None:
        notes.append(f"At least {lo}.")
    elif hi is not None:
        notes.append(f"At most {hi}.")
    if "exclusiveMinimum" in node:
        notes.append(f"Greater than {node['exclusiveMinimum']}.")
    if "exclusiveMaximum" in node:
        notes.append(f"Less than {node['exclusiveMaximum']}.")
    if "maxLength" in node:
        notes.append(f"Max {node['maxLength']} chars.")
    if node.get("minLength"):
        notes.append(f"Min {node['minLength']} chars.")
    if "maxItems" in node:
        notes.append(f"At most {node['maxItems']} items.")
    if node.get("minItems", 0) > 1:
        notes.append(f"At least {node['minItems']} items.")
    if "default" in node and node["default"] not in (None, "", [], {}):
        notes.append(f"Default: {json.dumps(node['default'], ensure_ascii=False)}.")
    if node.get("deprecated"):
        notes.append("Deprecated.")
    return notes


def _strict_node(node: dict) -> dict:
    node = ops.free_object_as_json_string(node)
    notes = _bound_notes(node)
    out = ops.keep_keys(node, STRICT_ALLOWED)
    if out.get("minItems", 0) > 1:
        del out["minItems"]
    if "format" in out and out["format"] not in FORMATS:
        del out["format"]
    if "pattern" in out and _LOOKAROUND.search(out["pattern"]):
        notes.append(f"Pattern: {out.pop('pattern')}.")
    if "properties" in out:
        out["type"] = "object"
        out["additionalProperties"] = False
        props = out["properties"]
        req = [r for r in out.get("required") or () if r in props]
        if req:
            out["required"] = req
        else:
            out.pop("required", None)
    for note in notes:
        out = ops.append_note(out, note)
    return out


def strict_budget(schema: dict) -> tuple[int, int]:
    """(optional parameters, union-typed parameters) in ``schema``."""
    optional = unions = 0

    def visit(node: dict, path: tuple) -> None:
        nonlocal optional, unions
        props = node.get("properties") or {}
        req = set(node.get("required") or ())
        optional += sum(1 for k in props if k not in req)
        if "anyOf" in node or len(ops.types_of(node)) > 1:
            unions += 1

    ops.walk(schema, visit)
    return optional, unions


def to_anthropic_strict(schema: dict) -> dict:
    root = ops.normalize(schema)
    if root.get("properties"):
        out = ops.transform(root, _strict_node)
    else:
        out = {"type": "object", "properties": {}}
    out["additionalProperties"] = False
    problems = check_anthropic_strict(out)
    if problems:
        raise Unrepresentable("Anthropic strict: " + problems[0])
    return out


def check_anthropic_strict(schema: dict) -> list[str]:
    problems = check_anthropic(schema)

    def visit(node: dict, path: tuple) -> None:
        where = "/".join(map(str, path)) or "root"
        unsupported = set(node) - STRICT_ALLOWED
        if unsupported:
            problems.append(f"{where}: unsupported keywords {sorted(unsupported)}")
        if ("properties" in node or "object" in ops.types_of(node)) and node.get("additionalProperties") is not False:
            problems.append(f"{where}: additionalProperties must be false")
        if node.get("minItems", 0) > 1:
            problems.append(f"{where}: minItems above 1")
        if "format" in node and node["format"] not in FORMATS:
            problems.append(f"{where}: unsupported format {node['format']!r}")

    ops.walk(schema, visit)
    optional, unions = strict_budget(schema)
    if optional > MAX_OPTIONAL:
        problems.append(f"{optional} optional parameters (strict tools share {MAX_OPTIONAL} per request)")
    if unions > MAX_UNIONS:
        problems.append(f"{unions} union-typed parameters (strict tools share {MAX_UNIONS} per request)")
    return problems


def check_name(name: str) -> str | None:
    if not NAME_PATTERN.match(name):
        return f"tool name {name!r} does not match {NAME_PATTERN.pattern}"
    return None
