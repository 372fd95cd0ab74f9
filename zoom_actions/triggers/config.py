"""Checking a subscription's configuration against its trigger, before
anything is polled: an unknown trigger or field, a missing required field,
a wrong type or a value out of range is a :class:`TriggerConfigError` that
names each problem (and, for a misspelled name, the closest names first)."""

from __future__ import annotations

import math
from typing import Any

from ..suggest import closest, ranked
from .definitions import TRIGGERS, Field, Trigger


class TriggerConfigError(ValueError):
    """``problems``: ``(field, message)`` pairs (field "" for the trigger itself)."""

    def __init__(self, slug: str, problems: list[tuple[str, str]]) -> None:
        self.slug, self.problems = slug, problems
        text = "; ".join(f"`{f}`: {m}" if f else m for f, m in problems)
        super().__init__(f"Invalid configuration for {slug}: {text}")


def find(slug: Any) -> Trigger:
    """The trigger named ``slug``; case, the ``ZOOM_`` prefix and the ``_TRIGGER`` suffix may be left out."""
    text = str(slug).strip().upper() if isinstance(slug, str) else ""
    for candidate in (text, "ZOOM_" + text, text + "_TRIGGER", "ZOOM_" + text + "_TRIGGER"):
        if candidate in TRIGGERS:
            return TRIGGERS[candidate]
    hint = closest(text[:200] or "?", TRIGGERS) or closest(("ZOOM_" + text + "_TRIGGER")[:200], TRIGGERS)
    raise TriggerConfigError(str(slug)[:200], [("", "no such trigger" + (
        f"; did you mean {', '.join(hint)}?" if hint else f"; the triggers are {', '.join(TRIGGERS)}"))])


_TYPE_NAMES = {"string": "a string", "integer": "an integer", "number": "a number", "boolean": "true or false"}


def _typed(f: Field, value: Any) -> bool:
    if f.type == "string":
        return isinstance(value, str)
    if f.type == "boolean":
        return isinstance(value, bool)
    if isinstance(value, bool):
        return False
    if f.type == "integer":
        return isinstance(value, int)
    return isinstance(value, (int, float)) and math.isfinite(value)


def _check(f: Field, value: Any) -> str | None:
    if not _typed(f, value):
        return f"must be {_TYPE_NAMES[f.type]}, got {type(value).__name__} {str(value)[:80]!r}"
    if f.type == "string" and f.required and not value.strip():
        return "must not be empty"
    if f.enum and value not in f.enum:
        options = ranked(value, [str(e) for e in f.enum]) if isinstance(value, str) else [str(e) for e in f.enum]
        return f"must be one of {', '.join(options)}; got {value!r}"
    if f.minimum is not None and (value <= f.minimum if f.exclusive_minimum else value < f.minimum):
        return f"must be {'more than' if f.exclusive_minimum else 'at least'} {f.minimum:g}, got {value}"
    if f.maximum is not None and value > f.maximum:
        return f"must be at most {f.maximum:g}, got {value}"
    return None


def validate(t: Trigger, config: dict | None) -> dict:
    """The configuration with defaults filled in, or a TriggerConfigError listing every problem."""
    if config is None:
        config = {}
    if not isinstance(config, dict):
        raise TriggerConfigError(t.slug, [("", f"the configuration must be an object, got {type(config).__name__}")])
    problems: list[tuple[str, str]] = []
    for name in config:
        if t.field(str(name)) is None:
            hint = closest(str(name)[:200], t.names)
            others = ranked(str(name)[:200], t.names)
            problems.append((str(name)[:200], "no such field" + (f"; did you mean {', '.join(hint)}?" if hint else "")
                             + f" ({t.slug} takes {', '.join(others)})"))
    clean: dict[str, Any] = {}
    for f in t.fields:
        value = config.get(f.name)
        if value is None:
            if f.required:
                problems.append((f.name, f"required ({f.type}): {f.description}"))
            elif f.default is not None:
                clean[f.name] = f.default
            continue
        problem = _check(f, value)
        if problem:
            problems.append((f.name, problem))
        else:
            clean[f.name] = value
    if problems:
        raise TriggerConfigError(t.slug, problems)
    return clean
