"""What a model sends through a dialect -> what the executor expects.

The dialects ask models for a few things the action's own schema does not:
``null`` for an optional field left out (OpenAI strict mode), a free-form
object JSON-encoded in a string (OpenAI strict, Gemini, Anthropic strict),
and some providers hand back numbers as floats (Gemini: ``60.0``) or the
whole argument object as a JSON string (OpenAI). ``prepare_arguments``
undoes exactly those, guided by the action's original input schema, and
leaves everything else for the executor to validate. It never guesses a
value the schema does not call for.
"""

from __future__ import annotations

import json
from typing import Any

from .schema import declared_types


def parse_arguments(arguments: Any) -> dict:
    """A tool call's arguments as a dict (OpenAI sends a JSON string)."""
    if arguments is None or arguments == "" or arguments == b"":
        return {}
    if isinstance(arguments, (str, bytes)):
        try:
            arguments = json.loads(arguments)
        except RecursionError:
            raise ValueError("tool-call arguments are nested too deeply") from None
        except ValueError as exc:
            raise ValueError(f"tool-call arguments are not valid JSON ({exc})") from None
    if not isinstance(arguments, dict):
        kind = "null" if arguments is None else "an array" if isinstance(arguments, list) else type(arguments).__name__
        raise ValueError(f"tool-call arguments must be a JSON object, not {kind}")
    return dict(arguments)


def prepare_arguments(action: dict, arguments: Any) -> dict:
    """Arguments from a model, ready for ``Toolkit.execute``."""
    args = parse_arguments(arguments)
    schema = action.get("input_schema") or {}
    out = _object(schema, args)
    return out if isinstance(out, dict) else args


def _allows_null(schema: dict) -> bool:
    if "null" in declared_types(schema):
        return True
    if None in (schema.get("enum") or ()):
        return True
    return any(isinstance(b, dict) and _allows_null(b) for b in (schema.get("anyOf") or schema.get("oneOf") or ()))


def _wants(schema: dict, kind: str) -> bool:
    if kind in declared_types(schema):
        return True
    if kind == "object" and "properties" in schema and not declared_types(schema):
        return True
    return any(isinstance(b, dict) and _wants(b, kind) for b in (schema.get("anyOf") or schema.get("oneOf") or ()))


def _object(schema: dict, value: dict) -> dict:
    props = schema.get("properties") or {}
    extra = schema.get("additionalProperties")
    out: dict = {}
    for key, item in value.items():
        sub = props.get(key)
        if sub is None and isinstance(extra, dict):
            sub = extra
        if item is None and not (sub is not None and _allows_null(sub)):
            continue  # strict mode's "not given"
        out[key] = _value(sub, item) if isinstance(sub, dict) else item
    return out


def _value(schema: dict, value: Any) -> Any:
    if isinstance(value, str) and not _wants(schema, "string") and (_wants(schema, "object") or _wants(schema, "array")):
        try:
            decoded = json.loads(value)
        except (ValueError, RecursionError):
            return value  # let the executor name the bad parameter
        value = decoded
    if isinstance(value, float) and value.is_integer() and _wants(schema, "integer") and not _wants(schema, "number"):
        return int(value)
    if isinstance(value, dict):
        branches = [b for b in (schema.get("anyOf") or schema.get("oneOf") or ()) if isinstance(b, dict)]
        if "properties" in schema or schema.get("additionalProperties") not in (None, False, True):
            return _object(schema, value)
        for branch in branches:  # a union of objects: strip nulls by the branch whose keys fit
            if "properties" in branch and set(value) <= set(branch["properties"]):
                return _object(branch, value)
        if branches:
            return {k: v for k, v in value.items() if v is not None}
        return value
    if isinstance(value, list):
        items = schema.get("items")
        if isinstance(items, dict):
            return [_value(items, v) for v in value]
    return value
