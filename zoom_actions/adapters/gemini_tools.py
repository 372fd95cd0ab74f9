"""Gemini function declarations: ``{"name", "description", "parameters"?}``.

Pass them as ``types.Tool(function_declarations=tk.tools(format="gemini"))``
(google-genai) or as ``{"functionDeclarations": [...]}`` in a REST request.
An action without parameters has no ``parameters`` field at all."""

from __future__ import annotations

from .dialect_gemini import MAX_TOOLS

PROVIDER = "Gemini"
DEFAULT_STRICT = False


def dialect(strict: bool) -> str:
    return "gemini"


def max_tools(strict: bool) -> int:
    return MAX_TOOLS


def render(spec, toolkit=None) -> dict:
    decl = {"name": spec.name, "description": spec.description}
    if spec.parameters is not None:
        decl["parameters"] = spec.parameters
    return decl
