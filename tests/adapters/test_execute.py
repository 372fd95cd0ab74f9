"""The executor accepts what each dialect lets a model send: nulls for
omitted fields (OpenAI strict), JSON-encoded objects, floats for integers
(Gemini), argument strings (OpenAI). Checked on what reaches a loopback Zoom
stand-in."""

from __future__ import annotations

import asyncio
import json

from zoom_actions.adapters import aexecute_tool_call, build_tools, execute_tool_call, prepare_arguments

ACTION = {"input_schema": {"type": "object", "properties": {
    "id": {"type": "integer"},
    "note": {"type": "string"},
    "maybe": {"type": ["string", "null"]},
    "meta": {"type": "object"},
    "rows": {"type": "array", "items": {"type": "object", "properties": {
        "email": {"type": "string"}, "name": {"type": "string"}}}},
    "blobs": {"type": "array", "items": {"type": "object"}},
    "settings": {"type": "object", "properties": {"a": {"type": "boolean"}, "b": {"type": "integer"}}},
    "choice": {"anyOf": [{"type": "object", "properties": {"x": {"type": "string"}, "y": {"type": "string"}}},
                         {"type": "object", "properties": {"z": {"type": "integer"}}}]},
    "words": {"type": "string"},
}}}


def test_nulls_for_omitted_fields_are_dropped_at_every_level():
    out = prepare_arguments(ACTION, {
        "id": 5, "note": None, "maybe": None,
        "rows": [{"email": "a@example.com", "name": None}],
        "settings": {"a": True, "b": None},
        "choice": {"x": "1", "y": None},
    })
    assert out == {"id": 5, "maybe": None, "rows": [{"email": "a@example.com"}], "settings": {"a": True},
                   "choice": {"x": "1"}}


def test_json_encoded_objects_are_decoded_only_where_the_schema_wants_objects():
    out = prepare_arguments(ACTION, {"meta": '{"k": 1}', "blobs": ['{"a": 2}'], "words": '{"not": "decoded"}'})
    assert out == {"meta": {"k": 1}, "blobs": [{"a": 2}], "words": '{"not": "decoded"}'}
    # undecodable text is left for the executor to name
    assert prepare_arguments(ACTION, {"meta": "{oops"}) == {"meta": "{oops"}


def test_gemini_floats_become_integers_and_argument_strings_parse():
    assert prepare_arguments(ACTION, '{"id": 60.0, "settings": {"b": 2.0}}') == {"id": 60, "settings": {"b": 2}}
    assert prepare_arguments(ACTION, {"id": 1.5}) == {"id": 1.5}   # not an integer: the executor says so
    assert prepare_arguments(ACTION, None) == {} and prepare_arguments(ACTION, "") == {}


def test_strict_mode_call_reaches_zoom_without_nulls(toolkit, standin):
    tool = build_tools(toolkit, "openai", names=["ZOOM_GET_A_MEETING"], strict=True)[0]
    params = tool["function"]["parameters"]
    # What a strict-mode model sends: every property, null for the ones it leaves out.
    arguments = {k: None for k in params["properties"]}
    arguments["meetingId"] = 85746065
    env = execute_tool_call(toolkit, "ZOOM_GET_A_MEETING", json.dumps(arguments))
    assert env["successful"] is True, env["error"]
    assert env["data"]["id"] == 85746065
    sent = standin.last("GET")
    assert sent["path"] == "/v2/meetings/85746065" and sent["query"] == {}


def test_strict_mode_create_rebuilds_the_nested_body(toolkit, standin):
    tool = build_tools(toolkit, "openai", names=["ZOOM_CREATE_A_MEETING"], strict=True)[0]
    arguments = {k: None for k in tool["function"]["parameters"]["properties"]}
    arguments.update({"userId": "me", "topic": "Sync", "type": 2, "duration": 30.0,
                      "settings__waiting_room": True})
    env = asyncio.run(aexecute_tool_call(toolkit, "ZOOM_CREATE_A_MEETING", arguments))
    assert env["successful"] is True, env["error"]
    sent = standin.last("POST")
    assert sent["path"] == "/v2/users/me/meetings"
    assert sent["body"] == {"topic": "Sync", "type": 2, "duration": 30, "settings": {"waiting_room": True}}


def test_unknown_tool_call_gets_an_envelope(toolkit):
    env = execute_tool_call(toolkit, "ZOOM_GET_A_MEETNG", {})
    assert env["successful"] is False and "ZOOM_GET_A_MEETING" in env["error"]


def test_langchain_tool_invocation_executes_the_action(toolkit, standin):
    tool = build_tools(toolkit, "langchain", names=["ZOOM_GET_A_MEETING"])[0]
    env = tool.invoke({"meetingId": 85746065, "occurrence_id": None})
    assert env["successful"] is True and env["data"]["topic"] == "Weekly sync"
    assert standin.last("GET")["query"] == {}
    env = asyncio.run(tool.ainvoke({"meetingId": 404}))
    assert env["successful"] is False and "3001" in env["error"]
