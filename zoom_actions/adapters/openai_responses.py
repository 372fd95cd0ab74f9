"""OpenAI Responses API function tools: ``{"type": "function", "name", ...}``
(flat, unlike Chat Completions; ``strict`` defaults to true on the API side,
so it is always spelled out)."""

from __future__ import annotations

from .dialect_openai import MAX_TOOLS

PROVIDER = "OpenAI"
DEFAULT_STRICT = False


def dialect(strict: bool) -> str:
    return "openai-strict" if strict else "openai"


def max_tools(strict: bool) -> int:
    return MAX_TOOLS


def render(spec, toolkit=None) -> dict:
    return {"type": "function", "name": spec.name, "description": spec.description,
            "parameters": spec.parameters, "strict": bool(spec.strict)}
