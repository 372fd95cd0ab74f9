"""Valid inputs for an action, built from its flat input schema.

Every value comes from the schema itself: an ``examples`` entry that the
property's own schema accepts first, then ``const``/``enum``/``default``,
and a generated value otherwise (by type, format and bounds). Generation is
deterministic, so a contract run is reproducible.

``candidates(action)`` yields parameter sets, each tagged with how it was
made; ``choose(action)`` picks, per variant, the first whose rebuilt request
body also validates against the action's original (nested) request schema:

- ``full``: every parameter the action takes (for a union body, the
  parameters of one branch at a time), so every flat name is sent once;
- ``minimal``: only the required parameters.

A candidate counts only if the runtime would send it too (``runtime_errors``:
the toolkit's own request builder, which also checks formats, integer
ranges, header text and files). ``defects(action)`` names what Zoom's spec
makes impossible to send (a body that requires a property it never
declares; a parameter whose ``pattern`` admits no value of its ``format``):
such an optional parameter is left out of ``full``; each finding must be
covered by an ``inputs`` entry of ``allowlist.json``.
"""

from __future__ import annotations

import base64
import functools
import re
from types import SimpleNamespace
from typing import Any, Iterator

import jsonschema

from zoom_actions.errors import InputError
from zoom_actions.flat import unflatten
from zoom_actions.inputs import relax, value_checks
from zoom_actions.schema import types_of

# A one-pixel PNG: what a generated upload sends.
PNG_1PX = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=")

_FORMAT_VALUES = {
    "date-time": "2026-01-15T10:00:00Z",
    "date": "2026-01-15",
    "time": "10:00:00Z",
    "email": "jchill@example.com",
    "uri": "https://example.com/zoom",
    "url": "https://example.com/zoom",
    "uuid": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
    "int64": "85746065",
    "int32": "1234",
    "password": "Pa55word",
    "Hex color code": "#0E72ED",
    "ipv4": "192.0.2.10",
    "hostname": "example.com",
}
_MAX_DEPTH = 8


def _validator(schema: dict) -> jsonschema.protocols.Validator:
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def is_valid(value: Any, schema: dict) -> bool:
    try:
        return _validator(schema).is_valid(value)
    except jsonschema.exceptions.SchemaError:
        return False


def _types(schema: dict) -> list[str]:
    found = types_of(schema)
    if found:
        return [x for x in found if x != "null"] or ["null"]
    return ["string"]


@functools.lru_cache(maxsize=None)
def _from_regex(pattern: str) -> str:
    """A string matching ``pattern`` (deterministic; hypothesis does the regex work)."""
    from hypothesis import find, settings, strategies as st
    return find(st.from_regex(pattern, fullmatch=True), lambda s: True,
                settings=settings(database=None, derandomize=True, max_examples=50))


def _runtime_check(schema: dict):
    """The runtime's own check of a flat value (format, integer range), or None."""
    return value_checks({"_": schema}).get("_")


def _searches(pattern: str, value: str) -> bool:
    try:
        return re.search(pattern, value) is not None
    except re.error:
        return True   # a pattern Python cannot read: jsonschema decides


def _patterned(schema: dict) -> str | None:
    """A string that matches ``pattern`` and passes the runtime's ``format``
    check, or None when none of the natural candidates does."""
    pattern, check = schema["pattern"], _runtime_check(schema)
    lo, hi = schema.get("minLength", 0), schema.get("maxLength", 10 ** 9)
    options = [e for e in schema.get("examples", ()) if isinstance(e, str)]
    if schema.get("format") in _FORMAT_VALUES:
        options.append(_FORMAT_VALUES[schema["format"]])
    options.append(_from_regex(pattern))
    for value in options:
        if _searches(pattern, value) and lo <= len(value) <= hi and (check is None or check(value) is None):
            return value
    return None


def admits_no_value(schema: dict) -> str | None:
    """Why no value can satisfy a flat parameter's schema as the runtime reads
    it, or None. Only what is decidable from the schema alone: a ``pattern``
    that no value of the (runtime-checked) ``format`` matches, such as
    Zoom's ``"pattern": "YYYY-MM-DDTHH:MM:SSZ"`` on a ``date-time``."""
    if "pattern" in schema and _runtime_check(schema) is not None and "string" in _types(schema):
        if _patterned(schema) is None:
            return f"pattern {schema['pattern']!r} admits no {schema.get('format')} value"
    return None


def _string(schema: dict) -> str:
    if "pattern" in schema:
        found = _patterned(schema)
        return found if found is not None else _from_regex(schema["pattern"])
    value = _FORMAT_VALUES.get(schema.get("format", ""), "example")
    lo, hi = schema.get("minLength", 0), schema.get("maxLength")
    if hi is not None and len(value) > hi:
        value = value[:hi]
    if len(value) < lo:
        value = value + "x" * (lo - len(value))
    return value


def _integer(schema: dict) -> int:
    lo = schema.get("minimum", schema.get("exclusiveMinimum", 0) + 1 if "exclusiveMinimum" in schema else None)
    hi = schema.get("maximum", schema.get("exclusiveMaximum", 0) - 1 if "exclusiveMaximum" in schema else None)
    value = 1
    if lo is not None and value < lo:
        value = int(lo)
    if hi is not None and value > hi:
        value = int(hi)
    step = schema.get("multipleOf")
    if step and value % step:
        value = int(step)
    return value


def _empty(value: Any) -> bool:
    return value in ("", [], {}) or (isinstance(value, str) and not value.strip())


def sample(schema: dict, *, full: bool = True, depth: int = 0, nonempty: bool = False) -> Any:
    """One value the schema accepts (best effort; callers validate).

    ``nonempty``: skip empty examples (for path segments and required
    parameters, where an empty value sends nothing).
    """
    for example in schema.get("examples", ()):
        if is_valid(example, schema) and not (nonempty and _empty(example)):
            return example
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    if "default" in schema and is_valid(schema["default"], schema):
        return schema["default"]
    # A union: a branch's value that the schema accepts as written (Prism keeps
    # ``oneOf`` strict), else one it accepts read as the runtime reads it:
    # Zoom's branches overlap (``{date, timeZone}`` / ``{dateTime, timeZone}``
    # with no required keys), so every value of one branch matches the other
    # too and a strict ``oneOf`` accepts nothing.
    loose = None
    for key in ("oneOf", "anyOf"):
        for branch in schema.get(key, ()):
            value = sample(branch, full=full, depth=depth + 1)
            if is_valid(value, schema):
                return value
            if loose is None and is_valid(value, relax(schema)):
                loose = (value,)
    if loose is not None:
        return loose[0]
    if schema.get("allOf"):
        merged: dict = {}
        for part in schema["allOf"]:
            merged.update(part)
        return sample(merged, full=full, depth=depth + 1)
    kind = _types(schema)[0]
    if kind == "string":
        return _string(schema)
    if kind == "integer":
        return _integer(schema)
    if kind == "number":
        return float(_integer(schema)) + (0.5 if "maximum" not in schema else 0)
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    if kind == "array":
        items = schema.get("items") or {}
        count = max(1, schema.get("minItems", 0))
        if depth >= _MAX_DEPTH:
            count = schema.get("minItems", 0)
        return [sample(items, full=full, depth=depth + 1) for _ in range(count)]
    if kind == "object":
        out: dict = {}
        required = set(schema.get("required", ()))
        if depth < _MAX_DEPTH:
            for key, sub in (schema.get("properties") or {}).items():
                if key in required or full:
                    out[key] = sample(sub, full=full, depth=depth + 1)
        return out
    return "example"


def file_value() -> dict:
    return {"filename": "contract.png", "content_base64": base64.b64encode(PNG_1PX).decode(),
            "content_type": "image/png"}


def is_file(action: dict, name: str) -> bool:
    """Whether the runtime sends the parameter as a file: one marked so, or any
    object-typed multipart part (the runtime uploads a dict there as a file;
    Zoom sometimes types an upload ``object`` instead of ``string``/``binary``)."""
    loc = action["parameters"].get(name, {})
    if loc.get("file"):
        return True
    schema = action["input_schema"]["properties"].get(name, {})
    return loc.get("in") == "multipart" and "object" in types_of(schema)


def _param_value(action: dict, name: str, schema: dict, full: bool) -> Any:
    loc = action["parameters"].get(name, {})
    if is_file(action, name):
        return file_value()
    nonempty = loc.get("in") == "path" or name in action["input_schema"].get("required", ())
    return sample(schema, full=full, nonempty=nonempty)


def _union_branches(action: dict) -> list[set[str]]:
    """For a union body: the top-level body keys of each branch."""
    rb = action.get("request_body") or {}
    schema = rb.get("schema") or {}
    branches = schema.get("oneOf") or schema.get("anyOf") or []
    return [set((b.get("properties") or {}).keys()) for b in branches if isinstance(b, dict)]


def _location(action: dict, name: str) -> str:
    """A flat parameter's place in the request, dotted the way Prism reports it."""
    loc = action["parameters"].get(name, {})
    where = loc.get("in", "body")
    if where in ("body", "multipart"):
        return ".".join(["request.body", *map(str, loc.get("path") or ())])
    return f"request.{where}.{loc.get('name', name)}"


def _undeclared_required(schema: Any) -> Iterator[list[str]]:
    """For the body schema (and each branch of a union body): the required
    properties it never declares. Flat parameters are the declared top-level
    properties (the flat schema refuses any other key), so nothing can send
    these. (Deeper objects can be passed whole, so they are not judged here.)"""
    if not isinstance(schema, dict):
        return
    props = schema.get("properties")
    if isinstance(props, dict) and not schema.get("additionalProperties") and not schema.get("patternProperties"):
        missing = [r for r in schema.get("required", ()) if r not in props]
        if missing:
            yield missing
    for key in ("oneOf", "anyOf"):
        for branch in schema.get(key, ()):
            yield from _undeclared_required(branch)


def defects(action: dict) -> list[tuple[str, str, str]]:
    """(location, code, message) for each part of the action's schema that no
    input can satisfy: Zoom's spec defects, to be allow-listed with a reason."""
    out = []
    rb = action.get("request_body") or {}
    if rb.get("content_type", "").endswith("json"):
        for names in _undeclared_required(rb.get("schema")):
            out.append(("request.body", "required", "requires " + ", ".join(f"`{n}`" for n in names)
                        + ", which the schema does not declare, so no parameter can send it"))
    for name, schema in action["input_schema"]["properties"].items():
        why = admits_no_value(schema)
        if why:
            out.append((_location(action, name), "unsatisfiable", f"`{name}`: {why}"))
    return out


def candidates(action: dict) -> Iterator[tuple[str, dict]]:
    props: dict = action["input_schema"]["properties"]
    required = set(action["input_schema"].get("required", ()))
    mapping = action["parameters"]
    impossible = {n for n, p in props.items() if n not in required and admits_no_value(p)}

    def build(names, full: bool) -> dict:
        return {n: _param_value(action, n, props[n], full) for n in props if n in names and n not in impossible}

    def root(name: str) -> str | None:
        loc = mapping.get(name, {})
        if loc.get("in") not in ("body", "multipart"):
            return None
        return loc["path"][0] if loc.get("path") else ""

    yield "full", build(set(props), True)
    for i, keys in enumerate(_union_branches(action)):
        names = {n for n in props if n in required or root(n) is None or root(n) in keys}
        yield f"full/branch{i}", build(names, True)
    for i, keys in enumerate(_union_branches(action)):
        names = {n for n in props if n in required or root(n) is None or root(n) in keys}
        yield f"minimal/branch{i}", build(names, False) | build(required, False)
    yield "minimal", build(required, False)


def body_errors(action: dict, params: dict) -> list[str]:
    """Why the JSON body rebuilt from ``params`` fails the original request
    schema, read as the runtime reads it (``oneOf`` as ``anyOf``)."""
    rb = action.get("request_body")
    if not rb or not rb.get("content_type", "").endswith("json"):
        return []
    body = unflatten(action, params).body
    if body is None:
        return ["missing body"] if rb.get("required") else []
    return [f"{'/'.join(map(str, e.absolute_path)) or '(body)'}: {e.message[:200]}"
            for e in _validator(relax(rb["schema"])).iter_errors(body)]


def input_errors(action: dict, params: dict) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path)) or '(input)'}: {e.message[:200]}"
            for e in _validator(relax(action["input_schema"])).iter_errors(params)]


_GATEWAY = SimpleNamespace(json_body_on_non_get=False)


def runtime_errors(action: dict, params: dict) -> list[str]:
    """Why the toolkit would refuse ``params`` (send nothing): the runtime's
    own request builder, run without I/O."""
    from zoom_actions.prepare import build_request
    try:
        build_request(_plan(action), params, _GATEWAY, base_headers={})
    except InputError as exc:
        return [f"{p or '(input)'}: {m[:200]}" for p, m in exc.problems]
    return []


_PLANS: dict[int, tuple[dict, Any]] = {}   # id(action) -> (action, its ActionPlan): compiled once


def _plan(action: dict):
    from zoom_actions.prepare import ActionPlan
    hit = _PLANS.get(id(action))
    if hit is None or hit[0] is not action:
        hit = _PLANS[id(action)] = (action, ActionPlan(action))
    return hit[1]


def branch_matches(action: dict, params: dict) -> int | None:
    """For a union body: how many of its branches the rebuilt body satisfies."""
    rb = action.get("request_body") or {}
    schema = rb.get("schema") or {}
    branches = schema.get("oneOf") or schema.get("anyOf")
    if not branches or not rb.get("content_type", "").endswith("json"):
        return None
    body = unflatten(action, params).body
    if body is None:
        return None
    return sum(1 for b in branches if isinstance(b, dict) and is_valid(body, b))


def choose(action: dict) -> dict[str, dict]:
    """Variant ("full", "minimal") -> params valid against both schemas and
    accepted by the runtime.

    Validity is the runtime's (``oneOf`` read as ``anyOf``). For a union
    body, a candidate whose body satisfies exactly one branch is preferred:
    Zoom's union branches often overlap, and a body that fits one branch
    only is what its spec's ``oneOf`` demands. A variant that no candidate
    satisfies is absent; the caller reports it.
    """
    valid: dict[str, list[tuple[str, dict]]] = {}
    for tag, params in candidates(action):
        if not input_errors(action, params) and not body_errors(action, params) \
                and not runtime_errors(action, params):
            valid.setdefault(tag.split("/")[0], []).append((tag, params))
    chosen: dict[str, dict] = {}
    for variant, options in valid.items():
        exact = [p for _, p in options if branch_matches(action, p) == 1]
        # a body that several overlapping branches accept fails the spec's strict oneOf: an input that sends
        # no union body at all (its other parameters still checked) is the better second choice
        unambiguous = [p for _, p in options if branch_matches(action, p) in (None, 1)]
        plain = [p for t, p in options if t == variant]
        chosen[variant] = (exact or [p for p in plain if p in unambiguous] or unambiguous or plain
                           or [p for _, p in options])[0]
    return chosen
