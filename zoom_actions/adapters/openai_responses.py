"""OpenAI Responses API function tools: ``{"type": "function", "name", ...}``
(flat, unlike Chat Completions; ``strict`` defaults to true on the API side,
so it is always spelled out)."""

from __future__ import annotations

# same provider, dialects and tool cap as Chat Completions; only the envelope differs
from .openai_chat import DEFAULT_STRICT, PROVIDER, dialect, max_tools  # noqa: F401


def render(spec, toolkit=None) -> dict:
    return {"type": "function", "name": spec.name, "description": spec.description,
            "parameters": spec.parameters, "strict": bool(spec.strict)}
