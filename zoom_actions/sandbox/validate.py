"""Checking a request against its action's schemas, answering like Zoom.

Path, query and header values arrive as text: each is coerced to the type
its flat input property declares, then validated against that property.
A JSON body is validated against the operation's original nested request
schema. Every failure is collected and answered at once as Zoom does:
HTTP 400, ``{"code": 300, "message": "Validation Failed.", "errors": [{field, message}]}``.
Unknown query and body keys are ignored, as Zoom ignores them.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import ValidationError

from .errors import ZoomError, validation_failed
from .synth import types_of

_FORMATS = Draft202012Validator.FORMAT_CHECKER
# Zoom's specs write oneOf where the branches overlap ("me" is both a plain
# string and the enum ["me"]): read as anyOf, so valid requests pass.
def _one_of_as_any_of(validator, branches, instance, schema):
    if not any(validator.evolve(schema=b).is_valid(instance) for b in branches):
        yield ValidationError(f"{instance!r} matches none of the accepted shapes")


_RequestValidator = validators.extend(Draft202012Validator, {"oneOf": _one_of_as_any_of})
_cache: dict[int, tuple[dict, Draft202012Validator]] = {}
_cache_lock = threading.Lock()


@dataclass
class Checked:
    """A request's parts after coercion and validation."""
    path: dict[str, Any] = field(default_factory=dict)     # original names
    query: dict[str, Any] = field(default_factory=dict)    # original names
    headers: dict[str, Any] = field(default_factory=dict)
    body: Any = None
    files: dict[str, Any] = field(default_factory=dict)    # multipart parts


def _validator(schema: dict) -> Draft202012Validator:
    key = id(schema)
    with _cache_lock:
        hit = _cache.get(key)
        if hit is None or hit[0] is not schema:
            # the schema is kept with its validator so that its id is never reused
            hit = _cache[key] = (schema, _RequestValidator(schema, format_checker=_FORMATS))
        return hit[1]


def coerce(raw: Any, schema: dict) -> Any:
    """Text from a URL -> the type the schema asks for (unchanged when it cannot)."""
    if not isinstance(raw, str):
        return raw
    for t in types_of(schema) or ["string"]:
        if t == "integer" and re.fullmatch(r"[+-]?\d+", raw.strip()):
            return int(raw)
        if t == "number":
            try:
                return float(raw) if not re.fullmatch(r"[+-]?\d+", raw.strip()) else int(raw)
            except ValueError:
                continue
        if t == "boolean" and raw.lower() in ("true", "false"):
            return raw.lower() == "true"
        if t == "array":
            items = schema.get("items") or {}
            return [coerce(x, items) for x in raw.split(",") if x != ""]
        if t == "string":
            return raw
    return raw


def _describe(err) -> str:
    v = err.validator
    if v == "type":
        want = err.validator_value
        want = " or ".join(want) if isinstance(want, list) else want
        return f"Invalid field: expected {want}, got {json.dumps(err.instance)[:60]}."
    if v == "enum":
        return f"Invalid field: {json.dumps(err.instance)[:60]} is not one of {json.dumps(err.validator_value)[:200]}."
    if v == "format":
        return f"Invalid field: {json.dumps(err.instance)[:60]} is not a valid {err.validator_value}."
    if v in ("maxLength", "minLength", "maximum", "minimum", "maxItems", "minItems",
             "exclusiveMaximum", "exclusiveMinimum", "pattern"):
        return f"Invalid field: {err.message}."
    if v in ("oneOf", "anyOf"):
        return "Invalid field: matches none of the accepted shapes."
    return f"Invalid field: {err.message}."


def _field(prefix: str, path) -> str:
    out = prefix
    for p in path:
        if isinstance(p, int):
            out += f"[{p}]"
        else:
            out = f"{out}.{p}" if out else str(p)
    return out


def schema_errors(schema: dict, value: Any, prefix: str = "") -> list[dict]:
    errors = []
    for err in sorted(_validator(schema).iter_errors(value), key=lambda e: list(map(str, e.absolute_path))):
        if err.validator == "required":
            missing = re.match(r"'([^']+)' is a required property", err.message)
            name = missing.group(1) if missing else "?"
            if name not in (err.schema.get("properties") or {}):
                continue  # the spec requires a key it never declares: no request could send it
            errors.append({"field": _field(prefix, list(err.absolute_path) + [name]),
                           "message": "This field is required."})
        else:
            errors.append({"field": _field(prefix, err.absolute_path) or "body", "message": _describe(err)})
    return errors


def check_request(action: dict, path: dict[str, str], query: dict[str, list[str]], headers,
                  raw_body: bytes, content_type: str) -> Checked:
    out = Checked()
    errors: list[dict] = []
    props = action["input_schema"].get("properties", {})
    required = set(action["input_schema"].get("required", ()))
    for flat, loc in action["parameters"].items():
        where = loc["in"]
        if where not in ("path", "query", "header"):
            continue
        name = loc["name"]
        if where == "path":
            raw = path.get(name)
        elif where == "query":
            vals = query.get(name)
            raw = vals[-1] if vals else None
        else:
            raw = headers.get(name)
        if raw is None:
            if flat in required:
                errors.append({"field": name, "message": "This field is required."})
            continue
        schema = props.get(flat, {})
        value = coerce(raw, schema)
        errors.extend(schema_errors(schema, value, name) if schema else ())
        getattr(out, {"path": "path", "query": "query", "header": "headers"}[where])[name] = value

    rb = action.get("request_body")
    if rb:
        ctype = rb.get("content_type", "")
        if ctype.startswith("multipart/"):
            out.files = parse_multipart(raw_body, content_type)
            for r in rb.get("schema", {}).get("required", ()):
                if r not in out.files:
                    errors.append({"field": r, "message": "This field is required."})
        else:
            body = None
            if raw_body.strip():
                try:
                    body = json.loads(raw_body)
                except ValueError:
                    raise ZoomError(400, 300, "Request Body should be a valid JSON object.") from None
            schema = rb.get("schema") or {}
            if body is None and schema.get("required"):
                body = {}
            if body is not None:
                if rb.get("kind") == "object" and not isinstance(body, dict):
                    raise ZoomError(400, 300, "Request Body should be a valid JSON object.")
                errors.extend(schema_errors(schema, body))
            out.body = body
    if errors:
        raise validation_failed(errors)
    return out


def parse_multipart(raw: bytes, content_type: str) -> dict[str, Any]:
    if "multipart/" not in (content_type or ""):
        return {}
    msg = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + raw)
    parts: dict[str, Any] = {}
    if not msg.is_multipart():
        return parts
    for part in msg.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        payload = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        parts[name] = {"filename": filename, "size": len(payload)} if filename else payload.decode("utf-8", "replace")
    return parts
