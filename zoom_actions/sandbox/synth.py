"""Values built from JSON Schemas: sample responses, and stored documents
shaped to fit an operation's response schema.

``synthesize(schema)`` prefers the spec's own examples (when they are valid
against their schema: Zoom's are not always), then enums, then a value made
from the type, format and the property's name. ``conform(value, schema)``
projects a stored document onto a response schema: undeclared keys go,
values that do not fit go, missing required ones are synthesized, so the
answer is always valid against the action's ``output_schema``.
"""

from __future__ import annotations

from ..schema import types_of  # noqa: F401  (re-exported for the sandbox modules)

import copy
import random
import re
from datetime import date, datetime, timedelta, timezone
from typing import Any

from . import ids

_DROP = object()
_MAX_DEPTH = 12
_BASE_TIME = datetime(2025, 3, 25, 7, 30, tzinfo=timezone.utc)


# --- validity of one value against one schema level -------------------------

_TYPE_CHECKS = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
    "null": lambda v: v is None,
}

_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME = re.compile(r"^\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


def format_ok(value: Any, fmt: str | None) -> bool:
    """The formats Zoom's specs use, checked as strictly as common validators do."""
    if not isinstance(value, str) or not fmt:
        return True
    if fmt == "date-time":
        if not _DATE_TIME.match(value):
            return False
        try:
            datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            return False
        return True
    if fmt == "date":
        if not _DATE.match(value):
            return False
        try:
            date.fromisoformat(value)
        except ValueError:
            return False
        return True
    if fmt == "time":
        return bool(_TIME.match(value))
    if fmt == "email":
        return bool(_EMAIL.match(value))
    if fmt in ("uri", "url"):
        return bool(re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:\S*$", value))
    return True




def scalar_ok(value: Any, schema: dict, formats: bool = True) -> bool:
    """Whether ``value`` satisfies this schema level (not its sub-schemas)."""
    ts = types_of(schema)
    if ts and not any(_TYPE_CHECKS.get(t, lambda v: True)(value) for t in ts):
        return False
    if "const" in schema and value != schema["const"]:
        return False
    if "enum" in schema and not any(value == e and type(value) is type(e) or (value == e and
                                    isinstance(value, (int, float)) and not isinstance(value, bool)
                                    and isinstance(e, (int, float)) and not isinstance(e, bool))
                                    for e in schema["enum"]):
        return False
    if isinstance(value, str):
        if "minLength" in schema and len(value) < schema["minLength"]:
            return False
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            return False
        if "pattern" in schema:
            try:
                if not re.search(schema["pattern"], value):
                    return False
            except re.error:
                pass
        if formats and not format_ok(value, schema.get("format")):
            return False
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            return False
        if "maximum" in schema and value > schema["maximum"]:
            return False
        if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
            return False
        if "exclusiveMaximum" in schema and value >= schema["exclusiveMaximum"]:
            return False
        if schema.get("multipleOf") and value % schema["multipleOf"]:
            return False
    if isinstance(value, list):
        if "minItems" in schema and len(value) < schema["minItems"]:
            return False
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            return False
    return True


def is_valid(value: Any, schema: dict, formats: bool = True) -> bool:
    """A compact validator for the keywords the catalog's schemas use
    (``formats=False``: ``format`` as an annotation only)."""
    if not isinstance(schema, dict) or not schema:
        return True
    if "oneOf" in schema:
        if sum(1 for b in schema["oneOf"] if is_valid(value, b, formats)) != 1:
            return False
    if "anyOf" in schema and not any(is_valid(value, b, formats) for b in schema["anyOf"]):
        return False
    if "allOf" in schema and not all(is_valid(value, b, formats) for b in schema["allOf"]):
        return False
    if not scalar_ok(value, schema, formats):
        return False
    if isinstance(value, dict):
        props = schema.get("properties", {})
        for r in schema.get("required", ()):
            if r not in value:
                return False
        ap = schema.get("additionalProperties")
        for k, v in value.items():
            if k in props:
                if not is_valid(v, props[k], formats):
                    return False
            elif ap is False:
                return False
            elif isinstance(ap, dict) and not is_valid(v, ap, formats):
                return False
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        if not all(is_valid(v, schema["items"], formats) for v in value):
            return False
        if schema.get("uniqueItems"):
            seen = [repr(v) for v in value]
            if len(seen) != len(set(seen)):
                return False
    return True


# --- synthesis ---------------------------------------------------------------

class Synth:
    """Builds sample values; ``seed`` makes the output repeatable."""

    def __init__(self, seed: Any = 0) -> None:
        self.rng = random.Random(str(seed))

    def value(self, schema: dict, name: str = "", depth: int = 0) -> Any:
        if not isinstance(schema, dict):
            return None
        if "const" in schema:
            return copy.deepcopy(schema["const"])
        for key in ("oneOf", "anyOf"):
            if key in schema:
                return self._union(schema, key, name, depth)
        if "allOf" in schema:
            merged = {k: v for k, v in schema.items() if k != "allOf"}
            for part in schema["allOf"]:
                merged = _merge(merged, part)
            return self.value(merged, name, depth + 1)
        for ex in schema.get("examples", ()):
            if is_valid(ex, schema):
                return copy.deepcopy(ex)
        enum = [e for e in schema.get("enum", ()) if e is not None and e != ""]
        if enum:
            return copy.deepcopy(enum[0])
        if schema.get("enum") and "" in schema["enum"]:
            return ""
        ts = [t for t in types_of(schema) if t != "null"] or (["null"] if types_of(schema) else ["string"])
        t = ts[0]
        if t == "object":
            if depth >= _MAX_DEPTH:
                return {}
            return self.object(schema, depth)
        if t == "array":
            if depth >= _MAX_DEPTH:
                return []
            items = schema.get("items") or {"type": "string"}
            n = max(1, schema.get("minItems", 1))
            if "maxItems" in schema:
                n = min(n, schema["maxItems"])
            out = []
            for i in range(n):
                out.append(self.value(items, name, depth + 1))
            if schema.get("uniqueItems") and len({repr(v) for v in out}) != len(out):
                out = out[:1]
            return out
        if t == "integer":
            return self._number(schema, name, integer=True)
        if t == "number":
            return float(self._number(schema, name, integer=False))
        if t == "boolean":
            return False
        if t == "null":
            return None
        return self.string(schema, name)

    def _union(self, schema: dict, key: str, name: str, depth: int) -> Any:
        base = {k: v for k, v in schema.items() if k not in (key, "examples")}
        branches = [_merge(base, b) for b in schema[key]]
        # Zoom's specs use oneOf where branches overlap (any object matches
        # several): then a value is made to fail the other branches by
        # setting one of their own keys to null.
        for formats in (True, False):
            for i, branch in enumerate(branches):
                v = self.value(branch, name, depth + 1)
                if key == "oneOf":
                    v = _exclusive(v, branches, i, formats)
                if is_valid(v, schema, formats):
                    return v
        return self.value(branches[0], name, depth + 1)

    def object(self, schema: dict, depth: int) -> dict:
        out = {}
        for pname, sub in (schema.get("properties") or {}).items():
            v = self.value(sub, pname, depth + 1)
            out[pname] = v
        for r in schema.get("required", ()):
            if r not in out:
                out[r] = "sample"
        return out

    def _number(self, schema: dict, name: str, integer: bool) -> int | float:
        lo = schema.get("minimum", schema.get("exclusiveMinimum", None))
        hi = schema.get("maximum", schema.get("exclusiveMaximum", None))
        n = name.lower()
        if n.endswith("id") or n in ("pmi",) or schema.get("format") == "int64":
            v = ids.meeting_number(self.rng) if lo is None and hi is None else None
        elif "count" in n or "total" in n or n.startswith("page"):
            v = 1
        elif "duration" in n:
            v = 60
        else:
            v = 1
        if v is None:
            v = 1
        if lo is not None and v < lo:
            v = lo + (1 if "exclusiveMinimum" in schema and "minimum" not in schema else 0)
        if hi is not None and v > hi:
            v = hi - (1 if "exclusiveMaximum" in schema and "maximum" not in schema else 0)
        if schema.get("multipleOf"):
            m = schema["multipleOf"]
            v = (v // m) * m or m
        return int(v) if integer else v

    def string(self, schema: dict, name: str) -> str:
        fmt = schema.get("format")
        n = name.lower()
        when = _BASE_TIME + timedelta(minutes=self.rng.randint(0, 60 * 24 * 30))
        if fmt == "date-time":
            s = ids.iso(when)
        elif fmt == "date":
            s = when.date().isoformat()
        elif fmt == "time":
            s = "09:30:00Z"
        elif fmt == "email" or n.endswith("email") or n == "email":
            s = "avery.chen@example.com"
        elif fmt in ("uri", "url") or n.endswith("url") or n.endswith("uri"):
            s = f"https://example.com/{ids.token(self.rng, 12)}"
        elif n.endswith("_id") or n == "id" or n.endswith("id"):
            s = ids.short_id(self.rng)
        elif "time" in n or n.endswith("_at"):
            s = ids.iso(when)
        elif "phone" in n or "number" in n:
            s = "+12055550100"
        elif "name" in n:
            s = "Avery Chen"
        elif "color" in n:
            s = "#0E72ED"
        else:
            s = "sample"
        if "pattern" in schema and not scalar_ok(s, {"pattern": schema["pattern"]}):
            s = _pattern_sample(schema["pattern"], s)
        lo, hi = schema.get("minLength", 0), schema.get("maxLength")
        if len(s) < lo:
            s = s + "x" * (lo - len(s))
        if hi is not None and len(s) > hi:
            s = s[:hi]
        return s


_PATTERN_SAMPLES = ("00:1A:2B:3C:4D:5E", "avery.chen@example.com", "", "sample", "1", "A")


def _pattern_sample(pattern: str, fallback: str) -> str:
    for cand in (fallback,) + _PATTERN_SAMPLES:
        try:
            if re.search(pattern, cand):
                return cand
        except re.error:
            return fallback
    return fallback


_SPOILERS = (None, "", 0, False, [], {})


def _declared(schema: dict) -> set[str]:
    keys = set(schema.get("properties") or ())
    for k in ("oneOf", "anyOf", "allOf"):
        for b in schema.get(k, ()):
            keys |= _declared(b)
    return keys


def _exclusive(value: Any, branches: list[dict], i: int, formats: bool) -> Any:
    """``value`` (valid for branch ``i``) changed to fail every other branch."""
    if not isinstance(value, dict):
        return value
    value = dict(value)
    own = _declared(branches[i])
    for _ in range(len(branches)):
        others = [j for j, b in enumerate(branches) if j != i and is_valid(value, b, formats)]
        if not others:
            return value
        j = others[0]
        for k in sorted(_declared(branches[j]) - own - set(value)):
            for bad in _SPOILERS:
                trial = dict(value, **{k: bad})
                if is_valid(trial, branches[i], formats) and not is_valid(trial, branches[j], formats):
                    value = trial
                    break
            else:
                continue
            break
        else:
            return value
    return value


def _merge(base: dict, extra: dict) -> dict:
    out = dict(base)
    for k, v in extra.items():
        if k == "properties" and "properties" in out:
            out["properties"] = {**out["properties"], **v}
        elif k == "required" and "required" in out:
            out["required"] = list(dict.fromkeys(out["required"] + v))
        else:
            out[k] = v
    return out


def synthesize(schema: dict, seed: Any = 0) -> Any:
    return Synth(seed).value(schema)


# --- conform -----------------------------------------------------------------

def conform(value: Any, schema: dict, synth: Synth | None = None) -> Any:
    """``value`` reshaped to be valid against ``schema`` (see module doc)."""
    synth = synth or Synth(0)
    out = _conform(value, schema, synth, 0)
    return synth.value(schema) if out is _DROP else out


def _conform(value: Any, schema: dict, synth: Synth, depth: int) -> Any:
    if not isinstance(schema, dict) or not schema:
        return value
    if any(k in schema for k in ("oneOf", "anyOf", "allOf")):
        return value if is_valid(value, schema) else _DROP
    if value is None:
        return None if "null" in types_of(schema) else _DROP
    if not scalar_ok(value, schema):
        return _DROP
    if isinstance(value, dict):
        props = schema.get("properties")
        if props is None:
            return value if is_valid(value, schema) else _DROP
        out = {}
        for k, v in value.items():
            if k in props:
                c = _conform(v, props[k], synth, depth + 1)
                if c is not _DROP:
                    out[k] = c
        for r in schema.get("required", ()):
            if r not in out:
                out[r] = synth.value(props.get(r, {}), r, depth + 1)
        return out
    if isinstance(value, list):
        items = schema.get("items")
        if not isinstance(items, dict):
            return value
        out = [c for c in (_conform(v, items, synth, depth + 1) for v in value) if c is not _DROP]
        if not scalar_ok(out, schema):
            return _DROP
        return out
    return value
