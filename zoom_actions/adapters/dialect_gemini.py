"""Gemini's function-declaration dialect (its OpenAPI-3.0-subset ``Schema``).

Gemini rejects schema keywords its ``Schema`` message does not have with
``Invalid JSON payload received. Unknown name ...``: ``additionalProperties``,
``$schema``, ``const``, ``exclusiveMinimum``/``exclusiveMaximum``,
``examples``; it also rejects ``anyOf`` beside other fields, ``properties``
on a node whose type is not ``OBJECT``, an ``OBJECT`` without properties,
and ``enum`` on anything but a string. ``to_gemini`` therefore:

* keeps only ``ALLOWED`` keywords and spells types in Gemini's enum
  (``STRING``, ``OBJECT``...);
* turns ``["T", "null"]`` into ``nullable: true``;
* moves a non-string enum into the description ("One of: 1, 2, 3.") unless
  the description already explains every value, and folds ``const`` and
  exclusive bounds into what Gemini takes;
* makes unions a bare ``anyOf`` (the union's description moves into its
  branches) after folding unions of one primitive type;
* carries a free-form object (a map, or an object without declared
  properties) as a JSON-encoded string, decoded before execution;
* drops ``""`` from a string enum (Gemini rejects an empty enum value) and
  says in the description to leave the field out for it.

``mcp_compatible`` is the Gemini fix for the other way Gemini meets these
tools: google-genai converting an MCP server's ``inputSchema`` itself.

``check_gemini`` re-reads those rules independently of the transform.
"""

from __future__ import annotations

import re

from . import schema_ops as ops
from .errors import Unrepresentable

NAME_PATTERN = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_.:-]{0,63}$")
MAX_TOOLS = 128

TYPES = {"string": "STRING", "integer": "INTEGER", "number": "NUMBER", "boolean": "BOOLEAN",
         "array": "ARRAY", "object": "OBJECT", "null": "NULL"}
ALLOWED = {"type", "format", "description", "nullable", "enum", "items", "properties", "required",
           "minItems", "maxItems", "minLength", "maxLength", "pattern", "minimum", "maximum",
           "default", "example", "anyOf", "minProperties", "maxProperties", "propertyOrdering", "title"}
FORMATS = {"STRING": {"date-time", "enum"}, "INTEGER": {"int32", "int64"}, "NUMBER": {"float", "double"}}
EMPTY_ENUM_NOTE = 'Leave it out for an empty value ("").'
REJECTED = {"additionalProperties", "$schema", "const", "exclusiveMinimum", "exclusiveMaximum", "examples",
            "oneOf", "allOf", "$ref", "$defs", "not"}


def to_gemini(schema: dict) -> dict | None:
    """Gemini ``parameters`` for ``schema``, or None when it takes no parameters
    (Gemini wants the field omitted rather than an empty object)."""
    if not schema.get("properties"):
        return None
    out = ops.transform(ops.normalize(schema), _node)
    if "anyOf" in out or out.get("type") != "OBJECT":
        raise Unrepresentable("Gemini: the parameters are not a plain object")
    problems = check_gemini(out)
    if problems:
        raise Unrepresentable("Gemini: " + problems[0])
    return out


def _node(node: dict) -> dict:
    node = ops.free_object_as_json_string(node)
    notes: list[str] = []
    if node.get("deprecated"):
        notes.append("Deprecated.")

    if "const" in node:
        node = {**{k: v for k, v in node.items() if k != "const"}, "enum": [node["const"]]}
    if "examples" in node and "example" not in node and node["examples"]:
        node = {**node, "example": node["examples"][0]}

    if "anyOf" in node:
        return _bare_union(node, notes)

    types = ops.types_of(node)
    if types == ["null"]:
        return {"type": "NULL"}  # a union's null branch: _bare_union turns it into nullable
    nullable = "null" in types
    types = [t for t in types if t != "null"]
    if len(types) > 1:
        branches = [_node({**{k: v for k, v in node.items() if k not in ("type", "description")}, "type": t})
                    for t in types]
        return _bare_union({"anyOf": branches, "description": node.get("description")}, notes)

    out = ops.keep_keys(node, ALLOWED)
    if types:
        out["type"] = TYPES.get(types[0], types[0])
    elif "properties" in out:
        out["type"] = "OBJECT"
    if nullable:
        out["nullable"] = True
    out.pop("title", None)

    gtype = out.get("type")
    if "format" in out and out["format"] not in FORMATS.get(gtype, ()):
        del out["format"]
    if "enum" in out:
        values = [v for v in out["enum"] if v is not None]
        if gtype == "STRING" and all(isinstance(v, str) for v in values):
            if "" in values:   # Gemini rejects an empty string in an enum (and LiteLLM's null in its place)
                values = [v for v in values if v != ""]
                notes.append(EMPTY_ENUM_NOTE)
            if values:
                out["enum"] = values
            else:
                del out["enum"]
        else:
            del out["enum"]
            if not ops.describes_all(out.get("description"), values):
                notes.append(ops.enum_note(values))
    for key, bound, step in (("exclusiveMinimum", "minimum", 1), ("exclusiveMaximum", "maximum", -1)):
        if key in node and isinstance(node[key], (int, float)):
            if gtype == "INTEGER":
                out[bound] = node[key] + step
            else:
                out[bound] = node[key]
                notes.append(f"{'Greater' if step > 0 else 'Less'} than {node[key]}.")
    if "default" in out and (out["default"] is None or isinstance(out["default"], (dict, list))):
        del out["default"]
    if "required" in out:
        props = out.get("properties") or {}
        req = [r for r in out["required"] if r in props]
        if req:
            out["required"] = req
        else:
            del out["required"]
    for note in notes:
        out = ops.append_note(out, note)
    return out


def _bare_union(node: dict, notes: list[str]) -> dict:
    desc = node.get("description")
    branches = []
    for b in node["anyOf"]:
        b = dict(b)
        if desc and not b.get("description"):
            b["description"] = desc
        if b.get("type") == "NULL":
            continue
        branches.append(b)
    if len(branches) == 1:
        out = dict(branches[0])
        if len(branches) != len(node["anyOf"]):
            out["nullable"] = True
        for note in notes:
            out = ops.append_note(out, note)
        return out
    if notes:
        branches = [ops.append_note(b, " ".join(notes)) for b in branches]
    return {"anyOf": branches}


def check_gemini(schema: dict) -> list[str]:
    """What Gemini would reject in ``schema``; empty when it is fine."""
    problems: list[str] = []
    valid_types = set(TYPES.values()) - {"NULL"}

    def visit(node: dict, path: tuple) -> None:
        where = "/".join(map(str, path)) or "root"
        rejected = set(node) & REJECTED
        if rejected:
            problems.append(f"{where}: unknown name(s) {sorted(rejected)}")
        unknown = set(node) - ALLOWED - REJECTED
        if unknown:
            problems.append(f"{where}: unknown name(s) {sorted(unknown)}")
        if "anyOf" in node:
            if len(node) > 1:
                problems.append(f"{where}: anyOf beside {sorted(set(node) - {'anyOf'})}")
            return
        t = node.get("type")
        if t not in valid_types:
            problems.append(f"{where}: type {t!r} is not one of {sorted(valid_types)}")
        if "properties" in node and t != "OBJECT":
            problems.append(f"{where}: properties without type OBJECT")
        if t == "OBJECT" and not node.get("properties"):
            problems.append(f"{where}: OBJECT without properties")
        if t == "ARRAY" and not isinstance(node.get("items"), dict):
            problems.append(f"{where}: ARRAY without items")
        if "enum" in node and (t != "STRING" or not all(isinstance(v, str) for v in node["enum"])):
            problems.append(f"{where}: enum on {t} (Gemini takes string enums only)")
        elif "" in (node.get("enum") or ()):
            problems.append(f"{where}: an empty string in an enum")
        if "format" in node and node["format"] not in FORMATS.get(t, ()):
            problems.append(f"{where}: format {node['format']!r} on {t}")
        missing = set(node.get("required") or ()) - set(node.get("properties") or {})
        if missing:
            problems.append(f"{where}: required names without properties {sorted(missing)}")

    ops.walk(schema, visit)
    return problems


def check_name(name: str) -> str | None:
    if not NAME_PATTERN.match(name):
        return f"function name {name!r} does not match {NAME_PATTERN.pattern}"
    return None


def mcp_compatible(schema: dict) -> dict:
    """``schema`` (a JSON Schema, as MCP's ``inputSchema`` carries it) without
    boolean ``additionalProperties``. google-genai turns an MCP session's tools
    into function declarations itself (``_mcp_utils.mcp_to_gemini_tool``) and
    reads every ``additionalProperties`` as a schema: ``false`` (our closed
    upload-file objects) or ``true`` crashes it with ``'bool' object has no
    attribute 'items'``. Leaving the keyword out loses nothing a model needs:
    the executor still refuses a key the action does not have, naming it."""
    def drop(node: dict) -> dict:
        if isinstance(node.get("additionalProperties"), bool):
            node = {k: v for k, v in node.items() if k != "additionalProperties"}
        return node
    return ops.transform(schema, drop)
