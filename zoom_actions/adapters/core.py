"""The adapters' engine: dialect transforms per action (cached), the
unrepresentable report, and ``build_tools``."""

from __future__ import annotations

import importlib
import json
import threading
import warnings
from dataclasses import dataclass
from typing import Any, Callable

from .. import describe
from ..shaping import response_args
from . import dialect_anthropic, dialect_gemini, dialect_openai
from . import schema_ops as ops
from .errors import TooManyTools, Unrepresentable
from .selection import select_names


def _json_schema(schema: dict) -> dict:
    """The portable form (MCP, LangChain): the schema minus ``$schema``."""
    out = ops.strip_meta(schema)
    out.setdefault("type", "object")
    out.setdefault("properties", {})
    return out


def _mcp_name(name: str) -> str | None:
    import re
    if not re.match(r"^[A-Za-z0-9_.-]{1,128}$", name):
        return f"tool name {name!r} does not match ^[A-Za-z0-9_.-]{{1,128}}$"
    return None


# dialect -> (schema transform, name check)
DIALECTS: dict[str, tuple[Callable[[dict], Any], Callable[[str], str | None]]] = {
    "jsonschema": (_json_schema, _mcp_name),
    "openai": (dialect_openai.to_openai, dialect_openai.check_name),
    "openai-strict": (dialect_openai.to_openai_strict, dialect_openai.check_name),
    "gemini": (dialect_gemini.to_gemini, dialect_gemini.check_name),
    "anthropic": (dialect_anthropic.to_anthropic, dialect_anthropic.check_name),
    "anthropic-strict": (dialect_anthropic.to_anthropic_strict, dialect_anthropic.check_name),
}

# Strict Anthropic tools share small per-request budgets of optional and union-typed parameters
# (dialect_anthropic.MAX_OPTIONAL, MAX_UNIONS): select and budget would spend them on every tool.
WITHOUT_SHAPING = {"anthropic-strict"}

# format -> module with dialect(strict), DEFAULT_STRICT, max_tools(strict), render(spec, toolkit)
# and optionally check_request(specs)
FORMATS = {
    "openai": "openai_chat",
    "openai-responses": "openai_responses",
    "anthropic": "anthropic_tools",
    "gemini": "gemini_tools",
    "mcp": "mcp_tools",
    "langchain": "langchain_tools",
}


def format_module(fmt: str):
    try:
        return importlib.import_module(f"{__package__}.{FORMATS[fmt]}")
    except KeyError:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}") from None


_lock = threading.Lock()
_cache: dict[tuple, tuple[bool, str]] = {}


def _catalog_key(catalog) -> str:
    return str(getattr(catalog, "directory", id(catalog)))


_rendered: dict[tuple, str] = {}


def rendered_schema(catalog, name: str, description: str) -> dict:
    """``name``'s input schema with ``description``-mode texts (a fresh copy). Compact texts take regex
    work (a quarter of a millisecond a description): they are kept in memory, and on disk for the next
    process (:mod:`.rendered_cache`)."""
    key = (_catalog_key(catalog), name, description)
    hit = _rendered.get(key)
    if hit is not None:
        return json.loads(hit)
    from . import rendered_cache
    hit = rendered_cache.load(catalog, name, description) if description == "compact" else None
    try:
        value = json.loads(hit) if hit is not None else None
    except ValueError:   # not what this module wrote: render it again
        value = None
    if not isinstance(value, dict):
        value = describe.render_schema(catalog.get(name)["input_schema"], description)
        hit = json.dumps(value)
        if description == "compact":
            rendered_cache.save(catalog, name, description, hit)
    with _lock:
        _rendered[key] = hit
    return value


def parameters(catalog, name: str, dialect: str, description: str = "compact", shaping: bool = True) -> Any:
    """``name``'s input schema in ``dialect`` with ``description``-mode texts
    (a fresh copy each call), with the optional ``select`` and ``budget`` a
    tool call may add (``shaping``; see ``zoom_actions.shaping``). Raises
    ``Unrepresentable`` with the reason."""
    if dialect not in DIALECTS:
        raise ValueError(f"unknown dialect {dialect!r}; choose one of {', '.join(DIALECTS)}")
    shaping = shaping and dialect not in WITHOUT_SHAPING
    key = (_catalog_key(catalog), name, dialect, description, shaping)
    hit = _cache.get(key)
    if hit is None:
        transform, check_name = DIALECTS[dialect]
        try:
            problem = check_name(name)
            if problem:
                raise Unrepresentable(problem)
            schema = rendered_schema(catalog, name, description)
            hit = (True, json.dumps(transform(response_args(schema, catalog.get(name)) if shaping else schema)))
        except Unrepresentable as exc:
            hit = (False, exc.reason)
        with _lock:
            _cache[key] = hit
    ok, payload = hit
    if not ok:
        raise Unrepresentable(payload, name)
    return json.loads(payload)


def dialect_report(dialect: str, catalog=None, description: str = "compact") -> dict[str, str]:
    """Every action of ``catalog`` (default: the built one) that cannot be sent
    in ``dialect``, with the reason: ``{name: reason}``."""
    if catalog is None:
        from ..catalog import load_catalog
        catalog = load_catalog()
    out = {}
    for name in catalog.names():
        try:
            parameters(catalog, name, dialect, description)
        except Unrepresentable as exc:
            out[name] = exc.reason
    return out


@dataclass
class ToolSpec:
    """What a format module needs to render one tool."""
    name: str
    action: dict
    description: str
    parameters: Any
    mode: str
    strict: bool
    catalog: Any


def _catalog_of(toolkit):
    cat = getattr(toolkit, "catalog", None)
    if cat is not None:
        return cat
    if hasattr(toolkit, "get") and hasattr(toolkit, "names"):
        return toolkit  # a bare Catalog: definitions only, nothing to execute with
    raise TypeError("build_tools needs a Toolkit (or a Catalog) as its first argument")


def _modified(toolkit, action: dict, params: Any) -> Any:
    """``params`` after the toolkit's schema modifiers (each gets its own copy)."""
    hooks = getattr(toolkit, "hooks", None)
    if not hooks:
        return params
    from ..hooks import run_sync
    for fn in hooks.for_action("schema_modifier", action):
        changed = run_sync(fn(action, params))
        params = changed if isinstance(changed, dict) else params
    return params


def build_tools(toolkit, format: str = "openai", names=None, products=None, tags=None, read_only=None,
                scopes=None, search=None, limit=None, strict: bool | None = None,
                description: str = "compact", allow_many: bool = False,
                on_unrepresentable: str = "warn", governed: bool = True, shaping: bool = True) -> list:
    """Ready-to-send tool definitions for ``format``, for the actions the
    filters select (see ``select_names``). ``strict=True`` picks the
    provider's strict dialect (OpenAI Structured Outputs, Anthropic strict tool
    use); it is off by default because strict schemas make every optional
    field required-and-nullable, so a model must write ~90 nulls to create one
    meeting. ``description`` is ``"compact"`` or ``"verbatim"``.

    More tools than one request may carry (128 for OpenAI and Gemini; 20
    strict Anthropic tools and their shared budgets) raise ``TooManyTools``
    unless ``allow_many=True``. Actions the dialect cannot represent are left
    out with a warning (``on_unrepresentable="warn"``), silently (``"skip"``),
    or raise ``Unrepresentable`` (``"raise"``); ``dialect_report`` lists them.
    With a policy on the toolkit, actions its agent may never call are left
    out (``governed=False``: not filtered, for a server that filters per client).
    Every tool takes the optional ``select`` and ``budget`` of
    ``zoom_actions.shaping`` besides the action's parameters (``shaping=False``:
    only the action's); ``execute_tool_call`` hands them to ``execute``.
    """
    if description not in describe.MODES:
        raise ValueError(f"description must be one of {describe.MODES}, not {description!r}")
    if on_unrepresentable not in ("warn", "skip", "raise"):
        raise ValueError("on_unrepresentable must be 'warn', 'skip' or 'raise'")
    mod = format_module(format)
    strict = mod.DEFAULT_STRICT if strict is None else bool(strict)
    dialect = mod.dialect(strict)
    catalog = _catalog_of(toolkit)
    selected = select_names(catalog, names=names, products=products, tags=tags, read_only=read_only,
                            scopes=scopes, search=search, limit=limit)
    governor = getattr(toolkit, "governor", None) if governed else None
    if governor is not None:   # what a policy never lets this agent call, it does not see
        selected = [n for n in selected if governor.visible(n)]
    cap = mod.max_tools(strict)
    if cap is not None and len(selected) > cap and not allow_many:
        raise TooManyTools(
            f"{len(selected)} actions selected, but one {mod.PROVIDER} request takes at most {cap} tools; "
            "narrow the selection (names=, products=, tags=, search=, limit=) or pass allow_many=True (CLI: --allow-many) "
            "and split them across requests yourself")
    specs: list[ToolSpec] = []
    skipped: dict[str, str] = {}
    for name in selected:
        try:
            params = parameters(catalog, name, dialect, description, shaping)
        except Unrepresentable as exc:
            if on_unrepresentable == "raise":
                raise
            skipped[name] = exc.reason
            continue
        action = catalog.get(name)
        params = _modified(toolkit, action, params)
        specs.append(ToolSpec(name, action, describe.tool_description(action, description), params,
                              description, strict, catalog))
    if skipped and on_unrepresentable == "warn":
        detail = "; ".join(f"{n}: {r}" for n, r in skipped.items())
        warnings.warn(f"left out {len(skipped)} action(s) that {dialect} cannot represent: {detail}",
                      stacklevel=2)
    check = getattr(mod, "check_request", None)
    if check is not None and not allow_many:
        problem = check(specs)
        if problem:
            raise TooManyTools(problem + "; narrow the selection or pass allow_many=True")
    return [mod.render(spec, toolkit) for spec in specs]
