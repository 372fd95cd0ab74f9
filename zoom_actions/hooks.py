"""Hooks: the seam where policies, approvals, audit and connections attach.

Three kinds, each registered with a selector:

- ``before_execute(action, params)``: gets the action document and the
  validated flat params; returns params (possibly changed; they are
  validated again), ``None`` (unchanged), or an envelope, which ends the
  call with nothing sent.
- ``after_execute(action, envelope)``: returns an envelope (or ``None``:
  unchanged). Runs on every outcome of a known action, failures included.
- ``schema_modifier(action, schema)``: returns the input schema a tool
  definition shows (or ``None``: unchanged); the schema given is a copy.

A selector is a name glob (``ZOOM_*_MEETING``), ``tag:Cloud Recording``,
``product:meetings``, or a list of these (any may match). Hooks run in the
order they were registered. A hook may be a coroutine function: ``aexecute``
awaits it; ``execute`` runs it to completion on a private event loop (or
refuses, inside a running loop, with an envelope).
"""

from __future__ import annotations

import fnmatch
import inspect
import threading
from typing import Any, Callable, Iterable

KINDS = ("before_execute", "after_execute", "schema_modifier")


def is_envelope(value: Any) -> bool:
    return type(value) is dict and value.keys() == {"data", "successful", "error"}


class Selector:
    __slots__ = ("text", "_globs", "_tags", "_products")

    def __init__(self, spec: str | Iterable[str] | None) -> None:
        items = ["*"] if spec is None else ([spec] if isinstance(spec, str) else list(spec))
        self.text = ", ".join(items)
        self._globs, self._tags, self._products = [], set(), set()
        for item in items:
            if not isinstance(item, str) or not item.strip():
                raise ValueError("a hook selector is a name glob, 'tag:NAME' or 'product:ID'")
            kind, sep, value = item.partition(":")
            if sep and kind == "tag":
                self._tags.add(value.strip().lower())
            elif sep and kind == "product":
                self._products.add(value.strip().lower())
            else:
                self._globs.append(item.strip().upper())

    def matches(self, action: dict) -> bool:
        name = action["name"]
        if any(fnmatch.fnmatchcase(name, g) for g in self._globs):
            return True
        if self._products and str(action.get("product", "")).lower() in self._products:
            return True
        return bool(self._tags) and any(str(t).lower() in self._tags for t in action.get("tags") or ())


class HookMethods:
    """The hook decorators of a Toolkit (``tk.before_execute(...)``, ...), over its ``hooks``."""

    hooks: "Hooks"

    def before_execute(self, selector: str | list[str] | None = None):
        """Decorator: ``fn(action, params) -> params | envelope | None`` before anything is sent."""
        return self.hooks.decorator("before_execute", selector)

    def after_execute(self, selector: str | list[str] | None = None):
        """Decorator: ``fn(action, envelope) -> envelope | None`` on every outcome."""
        return self.hooks.decorator("after_execute", selector)

    def schema_modifier(self, selector: str | list[str] | None = None):
        """Decorator: ``fn(action, schema) -> schema | None``: the parameters schema ``tools()`` shows."""
        return self.hooks.decorator("schema_modifier", selector)


class Hooks:
    """The hooks of one toolkit; per action, the matching ones are found once."""

    def __init__(self) -> None:
        self._hooks: dict[str, list[tuple[Selector, Callable]]] = {k: [] for k in KINDS}
        self._cache: dict[tuple[str, str], tuple[Callable, ...]] = {}
        self._lock = threading.Lock()

    def add(self, kind: str, selector, fn: Callable) -> Callable:
        if kind not in self._hooks:
            raise ValueError(f"unknown hook kind {kind!r}; use one of {', '.join(KINDS)}")
        if not callable(fn):
            raise TypeError("a hook must be callable")
        with self._lock:
            self._hooks[kind].append((Selector(selector), fn))
            self._cache.clear()
        return fn

    def decorator(self, kind: str, selector) -> Callable[[Callable], Callable]:
        sel = selector

        def register(fn: Callable) -> Callable:
            return self.add(kind, sel, fn)
        return register

    def __bool__(self) -> bool:
        return any(self._hooks.values())

    def for_action(self, kind: str, action: dict) -> tuple[Callable, ...]:
        key = (kind, action["name"])
        found = self._cache.get(key)
        if found is None:
            found = tuple(fn for sel, fn in self._hooks[kind] if sel.matches(action))
            self._cache[key] = found
        return found


def run_sync(value: Any) -> Any:
    """The result of a hook called from synchronous code."""
    if value is None or not inspect.isawaitable(value):   # None: most hooks, and the cheapest test
        return value
    import asyncio  # lazily: building tool definitions never needs it
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        async def wait():
            return await value
        return asyncio.run(wait())
    if inspect.iscoroutine(value):
        value.close()
    raise RuntimeError("an async hook cannot run inside execute() while an event loop is running in this "
                       "thread; use aexecute()")


async def run_async(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


# --- running them around a call -------------------------------------------------------

def _params_or_envelope(plan, clean: dict, result: Any) -> tuple[dict, dict | None]:
    if result is None:   # before the import below: a function-level import costs a microsecond a call
        return clean, None
    from .errors import InputError, fail, input_failure
    if is_envelope(result):
        return clean, result
    if not isinstance(result, dict):
        return clean, fail(f"A before_execute hook for {plan.name} returned {type(result).__name__}, not "
                           "params or an envelope. Nothing was sent to Zoom.")
    try:
        return plan.inputs.normalize(result), None   # what a hook returns is checked like any input
    except InputError as exc:
        return clean, input_failure(plan.name, exc.problems)


def before(hooks: Hooks, plan, clean: dict) -> tuple[dict, dict | None]:
    """The params to send, or an envelope that ends the call with nothing sent."""
    for fn in hooks.for_action("before_execute", plan.action):
        clean, env = _params_or_envelope(plan, clean, run_sync(fn(plan.action, dict(clean))))
        if env is not None:
            return clean, env
    return clean, None


async def abefore(hooks: Hooks, plan, clean: dict) -> tuple[dict, dict | None]:
    for fn in hooks.for_action("before_execute", plan.action):
        clean, env = _params_or_envelope(plan, clean, await run_async(fn(plan.action, dict(clean))))
        if env is not None:
            return clean, env
    return clean, None


def after(hooks: Hooks, plan, env: dict) -> dict:
    for fn in hooks.for_action("after_execute", plan.action):
        changed = run_sync(fn(plan.action, env))
        env = changed if is_envelope(changed) else env
    return env


async def aafter(hooks: Hooks, plan, env: dict) -> dict:
    for fn in hooks.for_action("after_execute", plan.action):
        changed = await run_async(fn(plan.action, env))
        env = changed if is_envelope(changed) else env
    return env
