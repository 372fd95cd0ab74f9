"""OpenAI Chat Completions tools: ``{"type": "function", "function": {...}}``."""

from __future__ import annotations

from .dialect_openai import MAX_TOOLS

PROVIDER = "OpenAI"
DEFAULT_STRICT = False


def dialect(strict: bool) -> str:
    return "openai-strict" if strict else "openai"


def max_tools(strict: bool) -> int:
    return MAX_TOOLS


def function(spec) -> dict:
    fn = {"name": spec.name, "description": spec.description, "parameters": spec.parameters}
    if spec.strict:
        fn["strict"] = True
    return fn


def render(spec, toolkit=None) -> dict:
    return {"type": "function", "function": function(spec)}
