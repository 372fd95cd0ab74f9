"""Provider quirks, each checked with that provider's own converter or types.
The actions concerned are found by scanning the catalog, not listed by hand.

- Gemini rejects an empty string in an enum (and LiteLLM's null in its
  place): the gemini dialect drops it and says to leave the field out.
- google-genai, handed an MCP session, converts the tools itself and crashes
  on a boolean ``additionalProperties`` (the closed upload-file objects): the
  MCP tools carry none.
- The OpenAI Agents SDK makes a function tool's schema strict unless told
  not to: our strict dialect is already what it produces (nothing to change),
  the plain dialect is not strict (pass ``strict_json_schema=False`` with it).
"""

from __future__ import annotations

import json
import warnings

import pytest

from zoom_actions.adapters import build_tools, dialect_gemini, dialect_openai
from zoom_actions.adapters.core import parameters


def _enums(node, path=""):
    """(path, enum) of every enum in a JSON Schema."""
    if isinstance(node, dict):
        if isinstance(node.get("enum"), list):
            yield path, node["enum"]
        for key, value in node.items():
            yield from _enums(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _enums(value, f"{path}/{i}")


def _tools(catalog, fmt, names, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return build_tools(catalog, fmt, names=names, allow_many=True, on_unrepresentable="skip", **kw)


@pytest.fixture(scope="module")
def empty_enum_actions(catalog):
    found = sorted(n for n in catalog.names()
                   if any("" in values for _, values in _enums(catalog.get(n)["input_schema"])))
    assert {"ZOOM_ADD_A_MEETING_REGISTRANT", "ZOOM_ADD_A_WEBINAR_REGISTRANT"} <= set(found)
    return found


def test_gemini_gets_no_empty_string_in_any_enum(catalog, empty_enum_actions):
    from google.genai import types
    decls = _tools(catalog, "gemini", empty_enum_actions)
    assert len(decls) == len(empty_enum_actions)
    for decl in decls:
        model = types.FunctionDeclaration.model_validate(decl)   # google-genai's own type (extra keys refused)
        types.Tool(function_declarations=[model])
        enums = list(_enums(decl["parameters"]))
        assert enums and all("" not in values and None not in values for _, values in enums), decl["name"]
        assert dialect_gemini.check_gemini(decl["parameters"]) == []
        assert json.dumps(dialect_gemini.EMPTY_ENUM_NOTE)[1:-1] in json.dumps(decl["parameters"]), decl["name"]
    registrant = next(d for d in decls if d["name"] == "ZOOM_ADD_A_MEETING_REGISTRANT")["parameters"]
    employees = registrant["properties"]["no_of_employees"]
    assert employees["enum"][0] == "1-20" and 'empty value ("")' in employees["description"]


def test_gemini_check_names_an_empty_enum_value():
    problems = dialect_gemini.check_gemini({"type": "OBJECT", "properties": {
        "size": {"type": "STRING", "enum": ["", "small"]}}})
    assert problems == ["properties/size: an empty string in an enum"]
    only_empty = dialect_gemini.to_gemini({"type": "object", "properties": {"x": {"type": "string", "enum": [""]}}})
    assert "enum" not in only_empty["properties"]["x"]


def _bool_additional(node) -> bool:
    if isinstance(node, dict):
        if isinstance(node.get("additionalProperties"), bool):
            return True
        return any(_bool_additional(v) for v in node.values())
    return isinstance(node, list) and any(_bool_additional(v) for v in node)


def test_google_genai_converts_every_mcp_tool_that_had_a_boolean_additional_properties(catalog):
    import mcp.types as mcp_types
    from google.genai import _mcp_utils, types
    portable = {n: parameters(catalog, n, "jsonschema") for n in catalog.names()}
    affected = sorted(n for n, schema in portable.items() if _bool_additional(schema))
    assert len(affected) >= 5
    # the quirk is real: google-genai's conversion fails on the schema as the catalog has it
    raw = mcp_types.Tool(name=affected[0], description="x", input_schema=portable[affected[0]])
    with pytest.raises(AttributeError):
        _mcp_utils.mcp_to_gemini_tool(raw)
    tools = _tools(catalog, "mcp", affected)
    assert [t["name"] for t in tools] == affected
    converted = _mcp_utils.mcp_to_gemini_tools([mcp_types.Tool.model_validate(t) for t in tools])
    for tool in converted:
        assert isinstance(tool, types.Tool) and tool.function_declarations[0].parameters.properties


def test_the_mcp_server_lists_tools_google_genai_can_convert(toolkit, catalog):
    """Through the official MCP client, as google-genai would list them from a session."""
    import asyncio

    from google.genai import _mcp_utils
    from mcp import Client

    from zoom_actions.mcp_server import build_server
    names = [n for n in catalog.filter(products="meetings") if _bool_additional(parameters(catalog, n, "jsonschema"))]
    server = build_server(toolkit, names=names + ["ZOOM_LIST_MEETINGS"])

    async def go():
        async with Client(server.server) as client:
            return (await client.list_tools()).tools
    tools = asyncio.run(go())
    assert len(_mcp_utils.mcp_to_gemini_tools(tools)) == len(names) + 1


def test_openai_strict_tools_are_what_the_agents_sdk_would_make_them(catalog):
    """The Agents SDK (``FunctionTool(strict_json_schema=True)``, its default) makes every object
    closed and every property required. Our strict dialect already is (select and budget required
    and nullable, so a model sends null for them); the plain dialect is not, so with it pass
    ``strict_json_schema=False``, or the SDK will make a model fill every optional field."""
    names = ["ZOOM_LIST_MEETINGS", "ZOOM_CREATE_A_MEETING", "ZOOM_GET_A_MEETING"]
    for tool in _tools(catalog, "openai", names, strict=True):
        params = tool["function"]["parameters"]
        assert dialect_openai.check_openai_strict(params) == [], tool["function"]["name"]
        assert set(params["required"]) == set(params["properties"]) and params["additionalProperties"] is False
        for key in ("select", "budget"):
            assert "null" in json.dumps(params["properties"][key]), key
    plain = _tools(catalog, "openai", ["ZOOM_LIST_MEETINGS"])[0]["function"]["parameters"]
    assert dialect_openai.check_openai_strict(plain) != []
