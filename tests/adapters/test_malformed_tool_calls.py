"""A model's malformed tool call never ends an agent run: for each
provider's own tool-call object (OpenAI chat and Responses, Anthropic,
Gemini), LangChain's tool and MCP's call_tool, bad arguments come back as an
envelope that says what is wrong, with nothing sent."""

from __future__ import annotations

import asyncio
import json

import httpx2
import pytest

from zoom_actions import Toolkit
from zoom_actions.adapters import execute_tool_call

BAD = ['{"meetingId": 85746065', "[1, 2]", "null", "42", '"a string"', "{" * 5000 + "}" * 5000]


@pytest.fixture()
def counted():
    sent = []
    tk = Toolkit(access_token="malformed-token-12345", base_url="https://api.zoom.us/v2", account_plan=None,
                 transport=httpx2.MockTransport(lambda r: sent.append(r) or httpx2.Response(200, json={"id": 1})))
    yield tk, sent
    tk.close()


def _check(env, sent):
    assert set(env) == {"data", "successful", "error"} and env["successful"] is False
    assert env["error"] and sent == []


@pytest.mark.parametrize("raw", BAD)
def test_openai_chat_and_responses_tool_calls(counted, raw):
    from openai.types.chat import ChatCompletionMessageToolCall
    from openai.types.responses import ResponseFunctionToolCall
    tk, sent = counted
    chat = ChatCompletionMessageToolCall.model_validate(
        {"id": "call_1", "type": "function", "function": {"name": "ZOOM_GET_A_MEETING", "arguments": raw}})
    _check(execute_tool_call(tk, chat.function.name, chat.function.arguments), sent)
    resp = ResponseFunctionToolCall.model_validate(
        {"type": "function_call", "call_id": "c1", "name": "ZOOM_GET_A_MEETING", "arguments": raw})
    _check(execute_tool_call(tk, resp.name, resp.arguments), sent)


@pytest.mark.parametrize("value", [None, [1, 2], "not an object", 42, {"meetingId": {"nested": [1]}}])
def test_anthropic_and_gemini_tool_calls(counted, value):
    from anthropic.types import ToolUseBlock
    from google.genai import types as gtypes
    tk, sent = counted
    block = ToolUseBlock.model_construct(id="toolu_1", type="tool_use", name="ZOOM_GET_A_MEETING", input=value)
    _check(execute_tool_call(tk, block.name, block.input), sent)
    call = gtypes.FunctionCall.model_construct(name="ZOOM_GET_A_MEETING", args=value)
    _check(execute_tool_call(tk, call.name, call.args), sent)


def test_a_json_error_names_the_problem_and_the_good_call_still_works(counted):
    tk, sent = counted
    env = execute_tool_call(tk, "ZOOM_GET_A_MEETING", '{"meetingId": 85746065')
    assert "JSON" in env["error"] and "nothing was sent" in env["error"].lower()
    assert execute_tool_call(tk, "ZOOM_GET_A_MEETING", '{"meetingId": 85746065}')["successful"] and len(sent) == 1


def test_langchain_tool_with_bad_arguments(counted):
    from zoom_actions.adapters import build_tools
    tk, sent = counted
    [tool] = build_tools(tk, "langchain", names=["ZOOM_GET_A_MEETING"])
    out = tool.invoke({"meetingId": "not-a-number"})
    env = out if isinstance(out, dict) else json.loads(out)
    _check(env, sent)


def test_mcp_call_tool_with_bad_arguments(counted):
    from mcp import Client
    from zoom_actions.mcp_server import build_server
    tk, sent = counted
    server = build_server(tk, names=["ZOOM_GET_A_MEETING"])

    async def go():
        async with Client(server.server) as c:
            return [await c.call_tool("ZOOM_GET_A_MEETING", args) for args in
                    ({"meetingId": "x"}, {"meetingId": 1, "bogus": True}, {})]
    results = asyncio.run(go())
    assert all(r.is_error for r in results) and sent == []
    assert all(r.structured_content["successful"] is False for r in results)
