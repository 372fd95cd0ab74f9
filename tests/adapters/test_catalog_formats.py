"""Every action of the built catalog, in every format and dialect: the
official SDK type models accept the definition (and it round-trips through
them unchanged), our checker of the provider's documented rules finds
nothing, or the action is on the dialect's unrepresentable list with a
reason. LangChain tools convert back to the same OpenAI parameters."""

from __future__ import annotations

import re

import pytest

from zoom_actions.adapters import dialect_anthropic, dialect_gemini, dialect_openai, dialect_report

FORMATS = [
    ("openai", False, "openai"), ("openai", True, "openai-strict"),
    ("openai-responses", False, "openai"), ("openai-responses", True, "openai-strict"),
    ("anthropic", False, "anthropic"), ("anthropic", True, "anthropic-strict"),
    ("gemini", None, "gemini"), ("mcp", None, "jsonschema"),
]


def _name(tool: dict) -> str:
    return tool.get("function", tool)["name"]


@pytest.mark.parametrize("fmt,strict,dialect", FORMATS)
def test_every_action_is_built_or_reported(catalog, built, fmt, strict, dialect):
    tools = built(fmt, strict)
    report = dialect_report(dialect, catalog)
    names = [_name(t) for t in tools]
    assert len(names) == len(set(names))
    assert set(names) | set(report) == set(catalog.names())
    assert not set(names) & set(report)
    assert all(reason.strip() for reason in report.values())


def _roundtrip_typed_dict(adapter, tool):
    # TypedDict validation drops unknown keys: equality proves there were none.
    assert adapter.validate_python(tool) == tool, _name(tool)


@pytest.mark.parametrize("strict", [False, True])
def test_openai_sdk_accepts_chat_tools(built, strict):
    from openai.types.chat import ChatCompletionFunctionTool, ChatCompletionFunctionToolParam
    from pydantic import TypeAdapter
    adapter = TypeAdapter(ChatCompletionFunctionToolParam)
    for tool in built("openai", strict):
        _roundtrip_typed_dict(adapter, tool)
        model = ChatCompletionFunctionTool.model_validate(tool)
        assert model.function.name == tool["function"]["name"]
        assert bool(model.function.strict) is strict
        assert dialect_openai.NAME_PATTERN.match(model.function.name)
        check = dialect_openai.check_openai_strict if strict else (lambda p: [] if p.get("type") == "object" else ["root"])
        assert check(tool["function"]["parameters"]) == [], tool["function"]["name"]


@pytest.mark.parametrize("strict", [False, True])
def test_openai_sdk_accepts_responses_tools(built, strict):
    from openai.types.responses import FunctionTool, FunctionToolParam
    from pydantic import TypeAdapter
    adapter = TypeAdapter(FunctionToolParam)
    for tool in built("openai-responses", strict):
        _roundtrip_typed_dict(adapter, tool)
        assert FunctionTool.model_validate(tool).strict is strict


@pytest.mark.parametrize("strict", [False, True])
def test_anthropic_sdk_accepts_tools(built, strict):
    from anthropic.types import ToolParam
    from pydantic import TypeAdapter
    adapter = TypeAdapter(ToolParam)
    check = dialect_anthropic.check_anthropic_strict if strict else dialect_anthropic.check_anthropic
    for tool in built("anthropic", strict):
        _roundtrip_typed_dict(adapter, tool)
        assert tool["input_schema"]["type"] == "object"
        assert check(tool["input_schema"]) == [], tool["name"]


def test_gemini_sdk_accepts_declarations(built):
    from google.genai import types
    for decl in built("gemini"):
        model = types.FunctionDeclaration.model_validate(decl)   # extra="forbid": unknown keys fail
        assert model.model_dump(mode="json", by_alias=True, exclude_none=True) == decl
        if "parameters" in decl:
            assert dialect_gemini.check_gemini(decl["parameters"]) == [], decl["name"]
        assert dialect_gemini.NAME_PATTERN.match(decl["name"])


def test_gemini_request_shape(built):
    from google.genai import types
    tool = types.Tool(function_declarations=built("gemini")[:128])
    assert len(tool.function_declarations) == 128


def test_mcp_sdk_accepts_tools(built):
    import mcp.types as types
    for tool in built("mcp"):
        model = types.Tool.model_validate(tool)
        assert model.model_dump(mode="json", by_alias=True, exclude_none=True) == tool
        ann = tool["annotations"]
        assert set(ann) == {"title", "readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"}
        assert tool["inputSchema"]["type"] == "object" and tool["outputSchema"]["type"] == "object"
        assert set(tool["outputSchema"]["required"]) == {"data", "successful", "error"}
        assert re.match(r"^[A-Za-z0-9_.-]{1,128}$", tool["name"])


def test_mcp_annotations_follow_the_catalog(catalog, built):
    by_name = {t["name"]: t["annotations"] for t in built("mcp")}
    assert by_name["ZOOM_GET_A_MEETING"]["readOnlyHint"] is True
    assert by_name["ZOOM_DELETE_A_MEETING"] == {**by_name["ZOOM_DELETE_A_MEETING"], "readOnlyHint": False,
                                                "destructiveHint": True}
    for name, ann in by_name.items():
        assert ann["readOnlyHint"] is catalog.entry(name)["annotations"]["read_only"]


def test_langchain_tools_convert_back_to_the_same_openai_parameters(catalog, toolkit, built):
    from langchain_core.tools import StructuredTool
    from langchain_core.utils.function_calling import convert_to_openai_tool
    from zoom_actions.adapters import build_tools
    tools = build_tools(toolkit, "langchain", products="all")
    openai_params = {t["function"]["name"]: t["function"]["parameters"] for t in built("openai", False)}
    assert len(tools) == len(catalog)
    for tool in tools:
        assert isinstance(tool, StructuredTool)
        converted = convert_to_openai_tool(tool)["function"]
        assert converted["name"] == tool.name
        assert converted["parameters"] == openai_params[tool.name], tool.name


def test_every_flat_parameter_survives_every_dialect(catalog, built):
    """Compact or strict, no dialect loses a parameter (Gemini omits
    ``parameters`` only for actions that take none); each adds the response
    shaping ``select`` and ``budget`` where it offers them (not strict Anthropic)."""
    from zoom_actions.shaping import response_args
    for fmt, strict in (("openai", False), ("openai", True), ("anthropic", True), ("gemini", None), ("mcp", None)):
        for tool in built(fmt, strict):
            fn = tool.get("function", tool)
            params = fn.get("parameters") or fn.get("input_schema") or fn.get("inputSchema") or {}
            action = catalog.get(fn["name"])
            want = set((action["input_schema"] if (fmt, strict) == ("anthropic", True)
                        else response_args(action["input_schema"], action))["properties"])
            assert set(params.get("properties") or {}) == want, (fmt, strict, fn["name"])


def test_unrepresentable_counts_are_what_the_report_says(catalog):
    """The counts quoted in the docs: everything fits every dialect except
    Anthropic strict, whose 24-optional-parameter budget the widest actions
    exceed on their own."""
    for dialect in ("jsonschema", "openai", "openai-strict", "gemini"):
        assert dialect_report(dialect, catalog) == {}, dialect
    # SCIM2's group update nests a property named by a URN (`urn:ietf:params:scim:...:emailAlias`),
    # which Anthropic's key pattern refuses; no other action is left out
    anthropic = dialect_report("anthropic", catalog)
    assert set(anthropic) == {"ZOOM_UPDATE_A_GROUP_SCIM2_GROUPS"}
    assert "urn:ietf:params:scim" in anthropic["ZOOM_UPDATE_A_GROUP_SCIM2_GROUPS"]
    strict = dialect_report("anthropic-strict", catalog)
    assert strict and all("optional parameters" in r or "union-typed" in r for n, r in strict.items()
                          if n != "ZOOM_UPDATE_A_GROUP_SCIM2_GROUPS")
    assert "ZOOM_CREATE_A_MEETING" in strict and "ZOOM_GET_A_MEETING" not in strict
