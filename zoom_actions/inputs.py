"""Turning what an LLM sends into validated flat parameters.

Per action, an :class:`InputPlan` is built once and cached: the coercion
function for each parameter, the alias table, and validators compiled with
``fastjsonschema`` for the flat input and for the rebuilt nested JSON body.
The happy path is a loop over the given keys plus one compiled validator
call; ``jsonschema`` runs only after a failure, to name every offending
parameter.

What is accepted beyond the schema's letter:

- ``None`` for any parameter means "omitted" (OpenAI strict mode sends nulls).
- ``"123"`` for an integer, ``"1.5"`` for a number, ``"true"``/``"false"``
  (also yes/no/1/0) for a boolean, a number for a string, a JSON string for
  an array or object, a lone scalar for an array of scalars.
- Composio's spellings with doubled underscores (``settings__waiting__room``).
- A nested object for a flattened container: ``{"settings": {"waiting_room":
  true}}`` is read as ``settings__waiting_room``.

Validation follows the schema with two deliberate relaxations: ``format`` is
an annotation (Zoom accepts local times without an offset, for instance),
and ``oneOf`` is read as ``anyOf`` (Zoom's unions overlap, so a valid value
often matches several branches). One check goes beyond it: a header
parameter must fit in an HTTP header (one line of visible ASCII), or it is
refused here, with nothing sent.
"""

from __future__ import annotations

import json
import logging
import math
import re
from typing import Any, Callable


from .errors import InputError
from .schema import relax, type_set as _types
from .suggest import closest

log = logging.getLogger("zoom_actions")

_INT_RE = re.compile(r"^\s*[+-]?\d+\s*$")
_TRUE = frozenset({"true", "yes", "1", "on"})
_FALSE = frozenset({"false", "no", "0", "off"})
_MAX_REPR = 120


# --- schema helpers -------------------------------------------------------------

def compile_validator(schema: dict) -> Callable[[Any], Any] | None:
    import fastjsonschema   # lazily: 7 ms of imports that building tool definitions never needs
    try:
        return fastjsonschema.compile(relax(schema), use_default=False, use_formats=False)
    except Exception as exc:  # a schema fastjsonschema cannot handle: jsonschema does it all
        log.debug("fastjsonschema cannot compile a schema (%s); using jsonschema", type(exc).__name__)
        return None


def _detailed(schema: dict, instance: Any):
    import jsonschema
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    return cls(relax(schema)).iter_errors(instance)


def _short(value: Any) -> str:
    if type(value) is int and value.bit_length() > 200:
        return f"an integer of about {int(value.bit_length() * 0.30103)} digits"
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):
        try:
            text = repr(value)
        except (ValueError, RecursionError):
            text = f"a {type(value).__name__} that cannot be shown"
    return text if len(text) <= _MAX_REPR else text[:_MAX_REPR] + "..."


def _problem(err) -> str:
    v = err.validator
    if v == "type":
        want = err.validator_value
        want = " or ".join(want) if isinstance(want, list) else want
        return f"expected {want}, got {_short(err.instance)}"
    if v == "enum":
        opts = err.validator_value
        shown = ", ".join(_short(o) for o in opts[:15]) + (", ..." if len(opts) > 15 else "")
        return f"must be one of {shown}; got {_short(err.instance)}"
    if v in ("anyOf", "oneOf"):
        branches = err.validator_value if isinstance(err.validator_value, list) else []
        enums = [b.get("enum") for b in branches if isinstance(b, dict)]
        if enums and all(isinstance(e, list) for e in enums):
            opts = [o for e in enums for o in e]
            shown = ", ".join(_short(o) for o in opts[:15]) + (", ..." if len(opts) > 15 else "")
            return f"must be one of {shown}; got {_short(err.instance)}"
        types = sorted({t for b in branches if isinstance(b, dict) for t in (_types(b) or ())})
        want = f" (expected {' or '.join(types)})" if types else ""
        return f"{_short(err.instance)} matches none of the allowed shapes{want}"
    if v == "additionalProperties":
        return err.message if len(err.message) < 300 else err.message[:300] + "..."
    msg = err.message
    return msg if len(msg) < 300 else msg[:300] + "..."


# --- coercion -------------------------------------------------------------------

def _to_int(v: Any) -> Any:
    t = type(v)
    if t is int:
        return v
    if t is str and _INT_RE.match(v):
        try:
            return int(v)
        except ValueError:   # past Python's digit limit: no integer Zoom accepts is that long
            return v
    if t is float and math.isfinite(v) and v.is_integer():
        return int(v)
    if t is str:
        try:
            f = float(v)
        except ValueError:
            return v
        if math.isfinite(f) and f.is_integer() and abs(f) < 2 ** 63:
            return int(f)
    return v


def _to_number(v: Any) -> Any:
    t = type(v)
    if t is int or t is float:
        return v
    if t is str:
        s = v.strip()
        if _INT_RE.match(s):
            try:
                return int(s)
            except ValueError:
                return v
        try:
            f = float(s)
        except ValueError:
            return v
        return f if math.isfinite(f) else v
    return v


def _to_bool(v: Any) -> Any:
    t = type(v)
    if t is bool:
        return v
    if t is str:
        s = v.strip().lower()
        if s in _TRUE:
            return True
        if s in _FALSE:
            return False
    elif t is int and v in (0, 1):
        return bool(v)
    return v


def _to_string(v: Any) -> Any:
    t = type(v)
    if t is int or (t is float and math.isfinite(v)):
        return str(v) if t is int else (str(int(v)) if v.is_integer() else repr(v))
    return v


def _json_if(v: Any, start: str) -> Any:
    if type(v) is str:
        s = v.strip()
        if s.startswith(start):
            try:
                return json.loads(s)
            except (ValueError, RecursionError):
                return v
    return v


_SCALAR_COERCERS = {"integer": _to_int, "number": _to_number, "boolean": _to_bool, "string": _to_string}


def coercer_for(schema: dict) -> Callable[[Any], Any] | None:
    types = _types(schema)
    if not types:
        return None
    if len(types) == 1:
        (t,) = types
        if t in _SCALAR_COERCERS:
            return _SCALAR_COERCERS[t]
        if t == "object":
            return lambda v: _json_if(v, "{")
        if t == "array":
            items = schema.get("items") if isinstance(schema.get("items"), dict) else {}
            item_types = _types(items) or set()
            item = coercer_for(items) if item_types & set(_SCALAR_COERCERS) else None

            def to_array(v: Any, item=item) -> Any:
                if type(v) is list:
                    return [item(x) for x in v] if item else v
                v2 = _json_if(v, "[")
                if type(v2) is list:
                    return [item(x) for x in v2] if item else v2
                if item is not None and v2 is not None and not isinstance(v2, (dict, list)):
                    return [item(v2)]
                return v2
            return to_array
        return None
    if "string" in types:
        return None   # a string is acceptable as is; nothing to guess
    if "integer" in types or "number" in types:
        return _to_number
    if "boolean" in types:
        return _to_bool
    return None


def _container_problem(key: str, value: Any, container: dict) -> str:
    fields = ", ".join(f"`{key}__{k}`" for k in list(container)[:3])
    if isinstance(value, str):
        try:
            json.loads(value)
            why = "is JSON but not an object"
        except RecursionError:
            why = "is JSON nested too deeply"
        except ValueError as exc:
            why = f"is not valid JSON ({exc.msg} at character {exc.pos})"
    else:
        why = f"must be an object, got {_short(value)}"
    return f"{why}; give an object such as {{\"{next(iter(container), 'field')}\": ...}}, or its flat fields ({fields}, ...)"


# --- formats and bounds the validator leaves to us -------------------------------------

INT64 = (-(2 ** 63), 2 ** 63 - 1)   # JSON integers Zoom accepts, unless the schema says narrower
INT32 = (-(2 ** 31), 2 ** 31 - 1)
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}(:?\d{2})?)?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s]+$")


def _check_date_time(v: Any) -> str | None:
    if type(v) is not str:
        return None
    ok = bool(_DATE_TIME.match(v))
    if ok:
        from datetime import datetime
        try:
            datetime.fromisoformat(v.replace("z", "Z").replace("Z", "+00:00").replace(" ", "T"))
        except ValueError:
            ok = False
    return None if ok else (f"expected a date-time such as 2026-06-25T15:00:00Z (UTC) or 2026-06-25T15:00:00 "
                            f"(in the given timezone), got {_short(v)}")


def _check_date(v: Any) -> str | None:
    if type(v) is not str:
        return None
    from datetime import date
    try:
        if _DATE.match(v):
            date.fromisoformat(v)
            return None
    except ValueError:
        pass
    return f"expected a date such as 2026-06-25, got {_short(v)}"


def _check_email(v: Any) -> str | None:
    return None if type(v) is not str or _EMAIL.match(v) else f"expected an email address, got {_short(v)}"


def _check_uri(v: Any) -> str | None:
    return None if type(v) is not str or _SCHEME.match(v) else \
        f"expected an absolute URI such as https://example.com/path, got {_short(v)}"


_FORMATS = {"date-time": _check_date_time, "date": _check_date, "email": _check_email, "uri": _check_uri}


def _bounds_check(schema: dict) -> Callable[[Any], str | None] | None:
    types = _types(schema) or set()
    if "integer" not in types:
        return None
    lo, hi = INT32 if schema.get("format") == "int32" else INT64
    lo = schema["minimum"] if isinstance(schema.get("minimum"), int) and schema["minimum"] > lo else lo
    hi = schema["maximum"] if isinstance(schema.get("maximum"), int) and schema["maximum"] < hi else hi

    def check(v: Any) -> str | None:
        if type(v) is int and not lo <= v <= hi:
            return f"must be an integer from {lo} to {hi}, got {_short(v)}"
        return None
    return check


# What an HTTP/1.1 client can put in a header field: visible ASCII, with spaces
# or tabs only between visible characters (RFC 9110 field-value; httpx encodes
# header text as ASCII and h11 refuses control characters and edge whitespace).
_HEADER_TEXT = re.compile(r"^(?:[\x21-\x7e](?:[ \t]*[\x21-\x7e])*)?$")


def _check_header(v: Any) -> str | None:
    if type(v) is str:
        text = v
    elif isinstance(v, (dict, list)):
        try:
            text = json.dumps(v, separators=(",", ":"), ensure_ascii=False)
        except (TypeError, ValueError, RecursionError):
            return None
    else:
        return None
    if _HEADER_TEXT.match(text):
        return None
    return ("must be one line of visible ASCII text, without leading or trailing spaces "
            f"(it is sent as an HTTP header); got {_short(v)}")


def value_checks(props: dict[str, dict]) -> dict[str, Callable[[Any], str | None]]:
    """Per flat parameter, the checks of its format and integer range."""
    out = {}
    for name, schema in props.items():
        checks = [c for c in (_FORMATS.get(schema.get("format")), _bounds_check(schema)) if c is not None]
        if len(checks) == 1:
            out[name] = checks[0]
        elif checks:
            out[name] = lambda v, cs=tuple(checks): next((p for c in cs if (p := c(v))), None)
    return out


# --- the plan -------------------------------------------------------------------

class InputPlan:
    """Everything needed to check one action's input, computed once."""

    def __init__(self, action: dict) -> None:
        self.action = action
        self.name = action["name"]
        schema = action["input_schema"]
        self.schema = schema
        self.props: dict[str, dict] = schema.get("properties", {})
        self.required: tuple[str, ...] = tuple(schema.get("required", ()))
        self.aliases: dict[str, str] = dict(action.get("aliases") or {})
        self.coercers = {n: c for n, p in self.props.items() if (c := coercer_for(p)) is not None}
        self.path_params = frozenset(n for n, loc in action["parameters"].items() if loc["in"] == "path")
        # Flattened containers: "settings" -> {"waiting_room": "settings__waiting_room", "breakout_room": {...}}
        self.containers: dict[str, dict] = {}
        by_path: dict[tuple, str] = {}
        for flat, loc in action["parameters"].items():
            if loc["in"] == "body":
                by_path[tuple(loc["path"])] = flat
                if len(loc["path"]) > 1:
                    node = self.containers
                    for key in loc["path"][:-1]:
                        node = node.setdefault(key, {})
                        if not isinstance(node, dict):
                            break
                    else:
                        node.setdefault(loc["path"][-1], flat)
        self.body_paths = by_path
        rb = action.get("request_body")
        self.body_schema = None
        if rb and str(rb.get("content_type", "")).endswith("json") and isinstance(rb.get("schema"), dict):
            self.body_schema = rb["schema"]
        self.checks = value_checks(self.props)
        for name, loc in action["parameters"].items():   # a header must be sendable as one
            if loc["in"] == "header" and name in self.props:
                other = self.checks.get(name)
                self.checks[name] = _check_header if other is None else \
                    (lambda v, a=other: a(v) or _check_header(v))
        self._validate = compile_validator(schema)
        self._validate_body = compile_validator(self.body_schema) if self.body_schema is not None else None

    # The hot path --------------------------------------------------------------

    def normalize(self, params: Any) -> dict[str, Any]:
        """Validated flat params; raises InputError naming every problem."""
        if params is None:
            params = {}
        elif type(params) is not dict:
            params = self._parse_params(params)
        props = self.props
        coercers = self.coercers
        out: dict[str, Any] = {}
        problems: list[tuple[str, str]] | None = None
        for key, value in params.items():
            if value is None:
                continue
            name = key if key in props else None
            if name is None:
                if problems is None:
                    problems = []
                name = self._resolve(key, value, out, problems)
                if name is None:
                    continue
            conv = coercers.get(name)
            if conv is not None:
                value = conv(value)
            if type(value) is float and not math.isfinite(value):
                problems = (problems or []) + [(name, "must be a finite number (JSON has no NaN or Infinity)")]
                continue
            if name in out and out[name] != value:
                problems = (problems or []) + [(name, f"given twice with different values (also as `{key}`)")]
                continue
            out[name] = value
        for name in self.required:
            if name not in out:
                problems = (problems or []) + [(name, "missing (required)")]
        for name, check in self.checks.items():
            if name in out:
                problem = check(out[name])
                if problem is not None:
                    problems = (problems or []) + [(name, problem)]
        if problems:
            if not self._valid(out):   # the call's other problems, reported in the same envelope
                try:
                    self._explain(self.schema, out, flat=True)
                except InputError as more:
                    problems += more.problems
            raise InputError(self._dedupe(problems))
        if not self._valid(out):
            # Slow path only: what a provider dialect lets a model send (nulls for
            # omitted nested fields in strict mode, JSON-encoded free-form objects,
            # 60.0 for 60) is undone, guided by the schema, and checked once more.
            from .arguments import prepare_arguments
            cleaned = prepare_arguments(self.action, out)
            if cleaned != out and self._valid(cleaned):
                out = cleaned
            else:
                self._explain(self.schema, out, flat=True)
        for name in self.path_params:
            v = out.get(name)
            if type(v) is str and not v.strip():
                raise InputError([(name, "must not be empty (it is part of the URL path)")])
        return out

    def _valid(self, out: dict) -> bool:
        if self._validate is None:
            return False
        try:
            self._validate(out)
            return True
        except Exception:  # JsonSchemaException, or a compiled validator choking on a hostile value
            return False

    def check_body(self, body: Any) -> None:
        if self.body_schema is None or body is None:
            return
        if self._validate_body is not None:
            try:
                self._validate_body(body)
                return
            except Exception:
                pass
        self._explain(self.body_schema, body, flat=False)

    # Slow paths ------------------------------------------------------------------

    def _parse_params(self, params: Any) -> dict:
        if isinstance(params, (str, bytes, bytearray)):
            try:
                parsed = json.loads(params)
            except RecursionError:
                raise InputError([("", "params are nested too deeply to read")]) from None
            except (ValueError, UnicodeDecodeError):
                raise InputError([("", "params must be a JSON object (got a string that is not JSON)")]) from None
            if isinstance(parsed, dict):
                return parsed
        elif hasattr(params, "keys") and hasattr(params, "__getitem__"):
            return {k: params[k] for k in params.keys()}
        raise InputError([("", f"params must be a JSON object, got {type(params).__name__}")])

    def _resolve(self, key: Any, value: Any, out: dict, problems: list) -> str | None:
        """The flat name for a non-canonical key, or None (after expanding a
        nested container into ``out``, or recording a problem)."""
        if not isinstance(key, str):
            problems.append((_short(key), "parameter names must be strings"))
            return None
        alias = self.aliases.get(key)
        if alias is not None:
            return alias
        container = self.containers.get(key)
        if container is not None:
            parsed = _json_if(value, "{")
            if isinstance(parsed, dict):
                self._expand(container, parsed, key, out, problems)
                return None
            problems.append((key, _container_problem(key, value, container)))
            return None
        hint = closest(key, list(self.props) + list(self.containers)) if len(key) <= 200 else []
        msg = "unknown parameter"
        if hint:
            msg += "; did you mean " + " or ".join(f"`{h}`" for h in hint) + "?"
        problems.append((key[:200] if key else '""', msg))
        return None

    def _expand(self, node: dict, value: dict, prefix: str, out: dict, problems: list) -> None:
        for k, v in value.items():
            if v is None:
                continue
            target = node.get(k) if isinstance(k, str) else None
            where = f"{prefix}.{k}"
            if isinstance(target, str):
                conv = self.coercers.get(target)
                v = conv(v) if conv is not None else v
                if target in out and out[target] != v:
                    problems.append((target, f"given twice with different values (also as `{where}`)"))
                else:
                    out[target] = v
            elif isinstance(target, dict) and isinstance(_json_if(v, "{"), dict):
                self._expand(target, _json_if(v, "{"), where, out, problems)
            else:
                hint = closest(str(k), [n for n in node if isinstance(n, str)])
                msg = "unknown field"
                if hint:
                    msg += "; did you mean " + " or ".join(f"`{prefix}.{h}`" for h in hint) + "?"
                problems.append((where, msg))

    def _explain(self, schema: dict, instance: Any, *, flat: bool) -> None:
        problems: list[tuple[str, str]] = []
        try:
            errors = list(_detailed(schema, instance))
        except Exception as exc:  # jsonschema itself failing on a hostile value
            raise InputError([("", f"the input could not be validated ({type(exc).__name__})")]) from None
        for err in errors:
            path = list(err.absolute_path)
            if err.validator == "required" and isinstance(err.instance, dict):
                missing = [r for r in err.validator_value if r not in err.instance]
                for m in missing:
                    problems.append((self._name_for(path + [m], flat), "missing (required)"))
                continue
            problems.append((self._name_for(path, flat), _problem(err)))
        if problems:
            raise InputError(self._dedupe(problems))
        # fastjsonschema and jsonschema disagree: the 2020-12 reading wins.

    def _name_for(self, path: list, flat: bool) -> str:
        if flat:
            if not path:
                return ""
            head = str(path[0])
            rest = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path[1:])
            return head + rest
        # A nested body path: the longest prefix that is a flat parameter.
        keys = [p for p in path]
        for cut in range(len(keys), -1, -1):
            prefix = tuple(keys[:cut])
            flat_name = self.body_paths.get(prefix)
            if flat_name is not None:
                rest = keys[cut:]
                return flat_name + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in rest)
        return "body" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in keys) if keys else "body"

    @staticmethod
    def _dedupe(problems: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """The first problem per parameter (a wrong type also fails its enum)."""
        seen = set()
        out = []
        for param, problem in problems:
            if param not in seen:
                seen.add(param)
                out.append((param, problem))
        return out[:50]
