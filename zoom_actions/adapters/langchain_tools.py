"""LangChain ``StructuredTool``s whose invocation executes the action.

Each tool's ``args_schema`` is the action's flat JSON Schema (what
``convert_to_openai_tool`` turns back into the same OpenAI parameters), and
its sync and async functions run ``Toolkit.execute``/``aexecute`` after
``prepare_arguments`` (nulls for omitted fields, JSON-encoded objects). The
tool returns the envelope ``{"data", "successful", "error"}``; LangChain
serialises it to JSON for the ``ToolMessage``. Needs ``langchain-core``
(the ``langchain`` extra).
"""

from __future__ import annotations

from ..arguments import prepare_arguments

PROVIDER = "LangChain"
DEFAULT_STRICT = False


def dialect(strict: bool) -> str:
    return "openai-strict" if strict else "jsonschema"


def max_tools(strict: bool) -> None:
    return None


def _require_langchain():
    try:
        from langchain_core.tools import StructuredTool
    except ImportError:
        raise ImportError("format='langchain' needs langchain-core: pip install 'zoom-actions[langchain]'") from None
    return StructuredTool


def render(spec, toolkit=None):
    StructuredTool = _require_langchain()
    if not hasattr(toolkit, "execute"):
        raise TypeError("format='langchain' needs a Toolkit (something with execute/aexecute) to run the actions")
    name, action = spec.name, spec.action

    def run(**kwargs):
        return toolkit.execute(name, prepare_arguments(action, kwargs))

    async def arun(**kwargs):
        aexecute = getattr(toolkit, "aexecute", None)
        if aexecute is None:
            import asyncio
            return await asyncio.to_thread(toolkit.execute, name, prepare_arguments(action, kwargs))
        return await aexecute(name, prepare_arguments(action, kwargs))

    return StructuredTool(
        name=name,
        description=spec.description or action.get("title") or name,
        args_schema=spec.parameters,
        func=run,
        coroutine=arun,
        metadata={"zoom_action": name, "read_only": bool((action.get("annotations") or {}).get("read_only"))},
    )
