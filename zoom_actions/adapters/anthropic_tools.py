"""Anthropic Messages API tools: ``{"name", "description", "input_schema"}``
(plus ``"strict": true`` in strict mode, whose per-request budgets
``check_request`` enforces)."""

from __future__ import annotations

from .dialect_anthropic import MAX_OPTIONAL, MAX_STRICT_TOOLS, MAX_UNIONS, strict_budget

PROVIDER = "Anthropic"
DEFAULT_STRICT = False


def dialect(strict: bool) -> str:
    return "anthropic-strict" if strict else "anthropic"


def max_tools(strict: bool) -> int | None:
    return MAX_STRICT_TOOLS if strict else None


def check_request(specs) -> str | None:
    strict = [s for s in specs if s.strict]
    if not strict:
        return None
    optional = unions = 0
    for s in strict:
        o, u = strict_budget(s.parameters)
        optional += o
        unions += u
    if optional > MAX_OPTIONAL:
        return (f"these strict tools have {optional} optional parameters together; "
                f"Anthropic allows {MAX_OPTIONAL} across the strict tools of one request")
    if unions > MAX_UNIONS:
        return (f"these strict tools have {unions} union-typed parameters together; "
                f"Anthropic allows {MAX_UNIONS} across the strict tools of one request")
    return None


def render(spec, toolkit=None) -> dict:
    tool = {"name": spec.name, "description": spec.description, "input_schema": spec.parameters}
    if spec.strict:
        tool["strict"] = True
    return tool
