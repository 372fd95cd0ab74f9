"""Schema operations the provider dialects share.

Every function takes a JSON Schema (a dict) and returns a new one; none
mutates its input. The dialect modules compose them.
"""

from __future__ import annotations

from ..schema import declared_types

import json
from typing import Any, Callable

from .errors import Unrepresentable

PRIMITIVES = ("string", "integer", "number", "boolean")
META_KEYS = ("$schema", "$id", "$comment")
# What a model sends in place of a value the dialect cannot spell as JSON:
# the value JSON-encoded in a string (see ``zoom_actions.adapters.coerce``).
JSON_STRING_NOTE = "JSON-encoded {what} as a string"


types_of = declared_types   # the dialects read only what a schema declares


def is_free_object(node: dict) -> bool:
    """An object a dialect cannot describe: no declared properties (a map, or
    any object at all)."""
    if "object" not in types_of(node):
        return False
    return not node.get("properties")


def transform(node: Any, fn: Callable[[dict], dict]) -> Any:
    """Apply ``fn`` bottom-up to every subschema (children first)."""
    if isinstance(node, list):
        return [transform(v, fn) for v in node]
    if not isinstance(node, dict):
        return node
    out = dict(node)
    props = node.get("properties")
    if isinstance(props, dict):
        out["properties"] = {k: transform(v, fn) for k, v in props.items()}
    for key in ("$defs", "definitions"):
        if isinstance(node.get(key), dict):
            out[key] = {k: transform(v, fn) for k, v in node[key].items()}
    for key in ("items", "additionalProperties", "not"):
        if isinstance(node.get(key), dict):
            out[key] = transform(node[key], fn)
    for key in ("anyOf", "oneOf", "allOf", "prefixItems"):
        if isinstance(node.get(key), list):
            out[key] = [transform(v, fn) for v in node[key]]
    return fn(out)


def strip_meta(schema: dict) -> dict:
    return {k: v for k, v in schema.items() if k not in META_KEYS}


def append_note(node: dict, note: str) -> dict:
    """Add a sentence to a node's description."""
    if not note:
        return node
    desc = node.get("description", "").rstrip()
    if desc and not desc.endswith((".", "!", "?", ":")):
        desc += "."
    node = dict(node)
    node["description"] = f"{desc} {note}".strip()
    return node


def merge_all_of(node: dict) -> dict:
    """Merge ``allOf`` of plain object schemas into one (the build step already
    does this for request bodies; this covers anything left)."""
    if "allOf" not in node:
        return node
    merged: dict = {k: v for k, v in node.items() if k != "allOf"}
    for part in node["allOf"]:
        if not isinstance(part, dict) or any(k in part for k in ("anyOf", "oneOf", "allOf", "not")):
            raise Unrepresentable("allOf with a union or negation inside")
        for key, value in part.items():
            if key == "properties":
                merged.setdefault("properties", {}).update(value)
            elif key == "required":
                merged["required"] = sorted(set(merged.get("required", [])) | set(value))
            elif key == "description" and "description" in merged:
                continue
            elif key in merged and merged[key] != value:
                raise Unrepresentable(f"allOf parts disagree on {key!r}")
            else:
                merged[key] = value
    return merged


def _branches(node: dict) -> list[dict]:
    out: list[dict] = []
    for key in ("anyOf", "oneOf"):
        for branch in node.get(key) or ():
            if isinstance(branch, dict) and ("anyOf" in branch or "oneOf" in branch) and len(branch) <= 3 \
                    and set(branch) <= {"anyOf", "oneOf", "title", "description"}:
                out.extend(_branches(branch))
            else:
                out.append(branch)
    return out


def simplify_unions(node: dict) -> dict:
    """``oneOf`` -> ``anyOf`` (a model cannot honour exclusivity; the executor
    still validates the original), nested unions flattened, and unions of one
    primitive type folded into that type: string enums merge into one enum,
    a branch without an enum widens the result to the plain type."""
    if "oneOf" not in node and "anyOf" not in node:
        return node
    branches = _branches(node)
    rest = {k: v for k, v in node.items() if k not in ("oneOf", "anyOf")}
    if not branches:
        return rest
    kinds = {tuple(types_of(b)) for b in branches}
    if len(kinds) == 1 and len(next(iter(kinds))) == 1 and next(iter(kinds))[0] in PRIMITIVES:
        (t,) = next(iter(kinds))
        folded: dict = {"type": t}
        if all("enum" in b for b in branches):
            values: list = []
            for b in branches:
                values += [v for v in b["enum"] if v not in values]
            folded["enum"] = values
        formats = {b.get("format") for b in branches}
        if len(formats) == 1 and None not in formats:
            folded["format"] = formats.pop()
        out = {**folded, **rest}
        if "description" not in out:
            descs = [b["description"] for b in branches if b.get("description")]
            if descs:
                out["description"] = " ".join(dict.fromkeys(descs))
        return out
    if len(branches) == 1:
        merged = dict(branches[0])
        merged.update(rest)
        return merged
    return {**rest, "anyOf": branches}


def fix_misplaced_enum(node: dict) -> dict:
    """An ``enum`` of scalars on an array (a spec slip) constrains the items."""
    if "array" in types_of(node) and isinstance(node.get("enum"), list) \
            and node["enum"] and not any(isinstance(v, list) for v in node["enum"]):
        out = {k: v for k, v in node.items() if k != "enum"}
        items = dict(out.get("items") or {})
        items.setdefault("enum", node["enum"])
        out["items"] = items
        return out
    return node


def free_object_as_json_string(node: dict) -> dict:
    """A free-form object (no declared properties) as a JSON-encoded string,
    which every dialect can carry; ``coerce`` decodes it before execution."""
    if not is_free_object(node):
        return node
    out: dict = {"type": "string"}
    if "description" in node:
        out["description"] = node["description"]
    return append_note(out, JSON_STRING_NOTE.format(what="object") + ".")


def _normalize_node(node: dict) -> dict:
    return fix_misplaced_enum(simplify_unions(merge_all_of(node)))


def normalize(schema: dict) -> dict:
    """``$schema`` dropped, ``allOf`` merged, unions simplified, misplaced enums
    moved: the common first pass of the strict dialects."""
    return transform(strip_meta(schema), _normalize_node)


def keep_keys(node: dict, allowed: set[str]) -> dict:
    return {k: v for k, v in node.items() if k in allowed}


def walk(node: Any, visit: Callable[[dict, tuple], None], path: tuple = ()) -> None:
    """Call ``visit(subschema, path)`` for every subschema, parents first."""
    if not isinstance(node, dict):
        return
    visit(node, path)
    for k, v in (node.get("properties") or {}).items():
        walk(v, visit, path + ("properties", k))
    for key in ("$defs", "definitions"):
        for k, v in (node.get(key) or {}).items():
            walk(v, visit, path + (key, k))
    for key in ("items", "additionalProperties", "not"):
        if isinstance(node.get(key), dict):
            walk(node[key], visit, path + (key,))
    for key in ("anyOf", "oneOf", "allOf", "prefixItems"):
        for i, v in enumerate(node.get(key) or ()):
            walk(v, visit, path + (key, i))


def object_depth(node: Any) -> int:
    """Nesting levels of objects (the root object is level 1)."""
    if not isinstance(node, dict):
        return 0
    below = 0
    for v in (node.get("properties") or {}).values():
        below = max(below, object_depth(v))
    for key in ("items", "additionalProperties"):
        if isinstance(node.get(key), dict):
            below = max(below, object_depth(node[key]))
    for key in ("anyOf", "oneOf", "allOf"):
        for v in node.get(key) or ():
            below = max(below, object_depth(v))
    return below + (1 if "properties" in node or "object" in types_of(node) else 0)


def dumps(schema: Any) -> str:
    return json.dumps(schema, separators=(",", ":"), ensure_ascii=False)


def enum_note(values: list) -> str:
    return "One of: " + ", ".join(json.dumps(v, ensure_ascii=False) for v in values) + "."


def describes_all(description: str | None, values: list) -> bool:
    """Whether a description already lists every enum value (as ``v=``)."""
    if not description:
        return False
    return all(f"{v}=" in description or f"`{v}`" in description for v in values)
