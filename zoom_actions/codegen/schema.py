"""OpenAPI 3.0 schema objects -> JSON Schema 2020-12.

Zoom's specs inline every schema (no ``$ref``), so conversion is a pure
recursive rewrite: ``nullable`` becomes a ``null`` type, ``example`` becomes
``examples``, boolean ``exclusiveMinimum``/``exclusiveMaximum`` become their
numeric 2020-12 form, vendor extensions and OpenAPI-only keywords go away,
and ``allOf`` of objects is merged into one object so that it can be
flattened.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from .normalize import note
from .text import clean_description

# Keywords that mean something in JSON Schema 2020-12 and are kept as they are.
_KEEP = {
    "type", "enum", "const", "format", "default", "minimum", "maximum",
    "minLength", "maxLength", "pattern", "minItems", "maxItems", "uniqueItems",
    "minProperties", "maxProperties", "multipleOf", "deprecated", "readOnly",
    "writeOnly", "title", "required",
}
_SUBSCHEMA_LISTS = ("allOf", "oneOf", "anyOf")
_JSON_TYPES = {"string", "number", "integer", "boolean", "array", "object", "null"}
# type names real Zoom documents use that JSON Schema does not: -> (type, format)
_TYPE_ALIASES = {
    "int": ("integer", None), "int32": ("integer", "int32"), "long": ("integer", "int64"),
    "int64": ("integer", "int64"), "float": ("number", "float"), "double": ("number", "double"),
    "bool": ("boolean", None), "date": ("string", "date"), "datetime": ("string", "date-time"),
    "date-time": ("string", "date-time"), "file": ("string", "binary"), "binary": ("string", "binary"),
    "str": ("string", None), "text": ("string", None),
}


def to_json_schema(s: Any, *, request: bool = False) -> dict:
    """Convert one OpenAPI 3.0 schema object to JSON Schema 2020-12.

    ``request=True`` drops ``readOnly`` properties (they are never sent).
    """
    if not isinstance(s, dict):
        return {}
    out: dict[str, Any] = {}
    for key, value in s.items():
        if key in _KEEP:
            out[key] = copy.deepcopy(value)
        elif key == "description":
            text = clean_description(value) if isinstance(value, str) else ""
            if text:
                out["description"] = text
        elif key == "example":
            out["examples"] = [copy.deepcopy(value)]
        elif key == "properties" and isinstance(value, dict):
            props = {}
            for name, sub in value.items():
                if request and isinstance(sub, dict) and sub.get("readOnly"):
                    continue
                props[name] = to_json_schema(sub, request=request)
            out["properties"] = props
        elif key == "items":
            out["items"] = to_json_schema(value, request=request)
        elif key == "additionalProperties":
            out[key] = value if isinstance(value, bool) else to_json_schema(value, request=request)
        elif key in _SUBSCHEMA_LISTS and isinstance(value, list):
            out[key] = [to_json_schema(v, request=request) for v in value]
        elif key == "not":
            out["not"] = to_json_schema(value, request=request)
    _fix_numbers(out)
    _fix_bounds(s, out)
    _fix_type(out, nullable=bool(s.get("nullable")))
    _fix_required(out)
    if "allOf" in out:
        out = merge_all_of(out)
    _fix_undeclared_required(out)
    _fix_picture_pattern(out)
    return out


def _fix_undeclared_required(out: dict) -> None:
    """``required`` naming a property the object does not declare (Zoom's
    address-book contact requires ``email`` and declares ``emails``): no
    parameter could ever send it, so every call would be refused. Dropped."""
    props, req = out.get("properties"), out.get("required")
    if not isinstance(props, dict) or not props or not isinstance(req, list) or out.get("additionalProperties") not in (
            None, False):
        return
    missing = [r for r in req if r not in props]
    if missing:
        kept = [r for r in req if r in props]
        if kept:
            out["required"] = kept
        else:
            out.pop("required")
        note(f"required {', '.join(f'`{m}`' for m in missing)} not among the declared properties; dropped")


_PICTURE = re.compile(r"^[YyMDdHhmsSTZz:\-/ .]+$")


def _fix_picture_pattern(out: dict) -> None:
    """A ``pattern`` that pictures a date format (``YYYY-MM-DDTHH:MM:SSZ``)
    beside ``format: date-time`` matches no real value; the format stays."""
    pattern = out.get("pattern")
    if isinstance(pattern, str) and out.get("format") in ("date", "date-time") and _PICTURE.match(pattern) \
            and any(tok in pattern for tok in ("YYYY", "yyyy", "MM", "DD", "dd", "HH")):
        out.pop("pattern")
        note(f"pattern {pattern!r} pictures the {out['format']} format rather than matching it; dropped")


_NUMERIC = ("minimum", "maximum", "multipleOf", "minLength", "maxLength", "minItems", "maxItems", "minProperties",
            "maxProperties")
_WHOLE = ("minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties")


def _fix_numbers(out: dict) -> None:
    """Bounds written as strings (``"maximum": "65535"`` in an events document): numbers, else dropped."""
    for key in _NUMERIC:
        value = out.get(key)
        if isinstance(value, str) or isinstance(value, bool) or (key in _WHOLE and isinstance(value, float)):
            try:
                number = float(value)
                out[key] = int(number) if number.is_integer() or key in _WHOLE else number
                note(f"`{key}` written as {value!r}; read as {out[key]}")
            except (TypeError, ValueError):
                out.pop(key)
                note(f"`{key}` is {value!r}, not a number; dropped")
        if key in _WHOLE and isinstance(out.get(key), int) and out[key] < 0:
            out.pop(key)


def _fix_bounds(src: dict, out: dict) -> None:
    for bound, flag in (("minimum", "exclusiveMinimum"), ("maximum", "exclusiveMaximum")):
        excl = src.get(flag)
        if excl is True and bound in out:
            out[flag] = out.pop(bound)
        elif isinstance(excl, (int, float)) and not isinstance(excl, bool):
            out[flag] = excl


def _fix_type(out: dict, *, nullable: bool) -> None:
    t = out.get("type")
    if isinstance(t, str) and t not in _JSON_TYPES:
        _normalize_type(out, t)
    elif isinstance(t, list) and not all(isinstance(x, str) and x in _JSON_TYPES for x in t):
        out.pop("type")
        if "enum" not in out and t and all(isinstance(x, str) for x in t):
            out["enum"] = list(t)   # an enum written as a type (an events document does it)
        note(f"schema type {t!r} is not a JSON Schema type list; read as " + ("an enum" if "enum" in out else "any"))
    if isinstance(out.get("type"), str) and out["type"] == "object" and "items" in out:
        out.pop("items")
    if out.get("type") == "array" and "items" not in out:
        fmt = out.get("format")
        if isinstance(fmt, str) and fmt in _JSON_TYPES - {"null"}:   # `type: array, format: string`
            out["items"] = {"type": out.pop("format")}
            note(f"array without `items` but `format: {fmt}`; read as an array of {fmt}")
        else:
            out["items"] = {}
            note("array without `items`; its items read as any value")
    enum = out.get("enum")
    if out.get("type") == "array" and isinstance(enum, list) and not any(isinstance(v, (list, dict)) for v in enum):
        # the allowed values of the items written on the array (2018's webhook `events`): no array could match
        items = out.setdefault("items", {})
        if isinstance(items, dict) and "enum" not in items:
            items["enum"] = out.pop("enum")
            note("array `enum` lists item values; moved to `items`")
    if nullable:
        if isinstance(out.get("type"), str):
            out["type"] = [out["type"], "null"]
        if isinstance(out.get("enum"), list) and None not in out["enum"]:
            out["enum"] = out["enum"] + [None]


def _normalize_type(out: dict, t: str) -> None:
    """``Integer``, ``Date``, ``long``...: the JSON Schema type they mean, else no type (any value)."""
    low = t.strip().lower()
    if low in _JSON_TYPES:
        out["type"] = low
        note(f"schema type {t!r} read as {low!r}")
        return
    alias = _TYPE_ALIASES.get(low)
    if alias:
        out["type"] = alias[0]
        if alias[1]:
            out.setdefault("format", alias[1])
        note(f"schema type {t!r} read as {alias[0]!r}" + (f" (format {alias[1]})" if alias[1] else ""))
        return
    out.pop("type")
    note(f"schema type {t!r} is unknown; read as any value")


def _fix_required(out: dict) -> None:
    req = out.get("required")
    if req is None:
        return
    if not isinstance(req, list):
        out.pop("required")  # OpenAPI misuse: `required: true` on a property
        return
    seen: list[str] = []
    for r in req:
        if isinstance(r, str) and r not in seen:
            seen.append(r)
    if seen:
        out["required"] = seen
    else:
        out.pop("required")


def is_objectish(s: dict) -> bool:
    t = s.get("type")
    return t == "object" or (t is None and "properties" in s)


def merge_all_of(s: dict) -> dict:
    """Merge an ``allOf`` whose members are all objects into one object schema.

    Members that are not objects (or carry unions) are left in ``allOf``.
    """
    members = s.get("allOf")
    if not isinstance(members, list):
        return s
    if not all(isinstance(m, dict) and is_objectish(m) and not _has_union(m) for m in members):
        return s
    merged: dict[str, Any] = {k: v for k, v in s.items() if k != "allOf"}
    merged["type"] = "object"
    props: dict[str, Any] = dict(merged.get("properties", {}))
    required: list[str] = list(merged.get("required", []))
    for m in members:
        m = merge_all_of(m)
        for name, sub in m.get("properties", {}).items():
            if name in props and is_objectish(props[name]) and is_objectish(sub):
                props[name] = merge_all_of({"allOf": [props[name], sub]})
            else:
                props[name] = sub
        for r in m.get("required", []):
            if r not in required:
                required.append(r)
        for key in ("description", "title"):
            if key in m and key not in merged:
                merged[key] = m[key]
        if m.get("additionalProperties") is not None and "additionalProperties" not in merged:
            merged["additionalProperties"] = m["additionalProperties"]
    merged["properties"] = props
    if required:
        merged["required"] = required
    return merged


def _has_union(s: dict) -> bool:
    return any(k in s for k in ("oneOf", "anyOf"))


def is_plain_object(s: dict) -> bool:
    """An object that flattening descends into: declared properties, no map, no union."""
    if not isinstance(s, dict) or not is_objectish(s):
        return False
    props = s.get("properties")
    if not isinstance(props, dict) or not props:
        return False
    if _has_union(s) or "allOf" in s:
        return False
    ap = s.get("additionalProperties")
    if ap not in (None, False):
        return False
    t = s.get("type")
    if isinstance(t, list):
        return False
    return True
