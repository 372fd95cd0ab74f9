"""Agent adapters: the catalog as tool definitions for OpenAI (Chat
Completions and Responses), Anthropic, Gemini, MCP and LangChain.

    from zoom_actions import Toolkit
    tk = Toolkit()
    tools = tk.tools(format="openai", products="meetings", search="recordings", limit=10)
    ...
    envelope = execute_tool_call(tk, call.function.name, call.function.arguments)

The openai/anthropic/gemini/mcp formats are plain dicts (no SDK needed);
``langchain`` needs ``langchain-core``. Provider schema dialects are in
``dialect_openai``, ``dialect_gemini`` and ``dialect_anthropic``;
``dialect_report(dialect)`` lists the actions a dialect cannot represent.
"""

from __future__ import annotations

from typing import Any

from ..arguments import parse_arguments, prepare_arguments
from .core import DIALECTS, FORMATS, build_tools, dialect_report, parameters
from .errors import SelectionError, TooManyTools, Unrepresentable
from .selection import select_names

__all__ = [
    "DIALECTS", "FORMATS", "SelectionError", "TooManyTools", "Unrepresentable", "aexecute_tool_call",
    "build_tools", "dialect_report", "execute_tool_call", "parameters", "parse_arguments",
    "prepare_arguments", "select_names",
]


def _tool_call_params(toolkit, name: Any, arguments: Any) -> tuple[dict | None, dict | None]:
    """(params, None) or (None, an envelope that says what is wrong with the arguments)."""
    from ..errors import fail
    try:
        action = toolkit.catalog.get(name) if isinstance(name, str) and name in toolkit.catalog else None
        return (prepare_arguments(action, arguments) if action else parse_arguments(arguments)), None
    except (ValueError, TypeError, RecursionError) as exc:
        label = name if isinstance(name, str) else "the tool call"
        return None, fail(f"Invalid tool call for {label[:200]}: {exc}. Nothing was sent to Zoom.")


def execute_tool_call(toolkit, name: str, arguments: Any) -> dict:
    """Run a model's tool call (arguments as a dict or a JSON string, in any
    dialect) and return the envelope. Never raises: malformed arguments are
    an envelope too, so an agent run is not ended by one bad call."""
    params, env = _tool_call_params(toolkit, name, arguments)
    return env if env is not None else toolkit.execute(name, params)


async def aexecute_tool_call(toolkit, name: str, arguments: Any) -> dict:
    params, env = _tool_call_params(toolkit, name, arguments)
    return env if env is not None else await toolkit.aexecute(name, params)
