"""The MCP server with the official ``mcp`` client: over stdio (the
``zoom-actions mcp`` command in a subprocess) and over streamable HTTP
(loopback, ephemeral port), against the recording Zoom stand-in."""

from __future__ import annotations

import asyncio
import json
import os

import pytest

from mcp import Client

from .conftest import cli_stdio
from zoom_actions.mcp_server import ENVELOPE_SCHEMA, build_server, start_http_in_thread

MEETING = 85746065


def _check_listing(tools) -> dict:
    by_name = {t.name: t for t in tools}
    tool = by_name["ZOOM_GET_A_MEETING"]
    ann = tool.annotations
    assert (ann.read_only_hint, ann.destructive_hint, ann.idempotent_hint, ann.open_world_hint) == (
        True, False, True, True)
    assert tool.output_schema["required"] == ["data", "successful", "error"]
    assert tool.input_schema["required"] == ["meetingId"]
    delete = by_name.get("ZOOM_DELETE_A_MEETING")
    if delete is not None:
        assert delete.annotations.read_only_hint is False and delete.annotations.destructive_hint is True
    return by_name


def _check_envelope(result, meeting_id: int = MEETING) -> dict:
    assert result.is_error is False
    envelope = result.structured_content
    assert envelope["successful"] is True and envelope["error"] is None
    assert envelope["data"]["id"] == meeting_id
    assert json.loads(result.content[0].text) == envelope   # the same JSON as text, for text-only clients
    return envelope


def test_stdio_lists_and_calls(standin, catalog):
    env = {**os.environ, "ZOOM_ACCESS_TOKEN": "stdio-token", "ZOOM_BASE_URL": standin.base_url,
           "ZOOM_ACTIONS_DIR": str(catalog.directory)}
    for key in ("ZOOM_ACCOUNT_ID", "ZOOM_CLIENT_ID", "ZOOM_CLIENT_SECRET", "ZOOM_REFRESH_TOKEN"):
        env.pop(key, None)
    params = cli_stdio(env, "mcp", "--product", "meetings", "--tag", "Meetings")

    async def run():
        async with Client(params, read_timeout_seconds=60) as client:
            listing = await client.list_tools()
            by_name = _check_listing(listing.tools)
            assert all(catalog.entry(n)["product"] == "meetings" for n in by_name)
            result = await client.call_tool("ZOOM_GET_A_MEETING", {"meetingId": MEETING, "occurrence_id": None})
            _check_envelope(result)
            missing = await client.call_tool("ZOOM_GET_A_MEETING", {"meetingId": 404})
            assert missing.is_error is True and "3001" in missing.structured_content["error"]
            unknown = await client.call_tool("ZOOM_LIST_USERS", {})
            assert unknown.is_error is True and "No tool named" in unknown.structured_content["error"]
    asyncio.run(run())
    sent = [r for r in standin.requests if r["authorization"] == "Bearer stdio-token"]
    assert sent and sent[0]["path"] == f"/v2/meetings/{MEETING}" and sent[0]["query"] == {}


def test_streamable_http_lists_and_calls(toolkit, standin):
    server = build_server(toolkit, names=["ZOOM_GET_A_MEETING", "ZOOM_DELETE_A_MEETING", "ZOOM_LIST_MEETINGS"],
                          output_schema="full")
    with start_http_in_thread(server, auth=False) as running:
        assert running.url.startswith("http://127.0.0.1:")

        async def run():
            async with Client(running.url, read_timeout_seconds=30) as client:
                listing = await client.list_tools()
                assert sorted(t.name for t in listing.tools) == [
                    "ZOOM_DELETE_A_MEETING", "ZOOM_GET_A_MEETING", "ZOOM_LIST_MEETINGS"]
                by_name = _check_listing(listing.tools)
                # "full": Zoom's documented response schema under data; the client validates against it
                assert "properties" in by_name["ZOOM_GET_A_MEETING"].output_schema["properties"]["data"]
                _check_envelope(await client.call_tool("ZOOM_GET_A_MEETING", {"meetingId": MEETING}))
        asyncio.run(run())


def test_discovery_finds_and_executes_in_three_calls(toolkit, standin):
    server = build_server(toolkit, products="meetings", discovery=True)
    with start_http_in_thread(server, auth=False) as running:
        async def run():
            async with Client(running.url, read_timeout_seconds=30) as client:
                listing = await client.list_tools()
                assert [t.name for t in listing.tools] == ["search_actions", "get_action_schema", "execute_action"]
                found = await client.call_tool("search_actions", {"query": "get a meeting's details", "k": 5})
                names = [r["name"] for r in found.structured_content["results"]]
                assert "ZOOM_GET_A_MEETING" in names
                schema = await client.call_tool("get_action_schema", {"name": "ZOOM_GET_A_MEETING"})
                assert schema.structured_content["input_schema"]["required"] == ["meetingId"]
                result = await client.call_tool("execute_action", {"name": "ZOOM_GET_A_MEETING",
                                                                   "arguments": {"meetingId": MEETING}})
                _check_envelope(result)
                outside = await client.call_tool("execute_action", {"name": "ZOOM_LIST_USERS", "arguments": {}})
                assert outside.is_error is True and "search_actions" in outside.structured_content["error"]
        asyncio.run(run())


def test_in_process_listing_modes_and_filters(toolkit):
    async def listing(**options):
        server = build_server(toolkit, **options)
        async with Client(server.server) as client:
            return (await client.list_tools()).tools

    tools = asyncio.run(listing(read_only=True, products="users"))
    assert tools and all(t.annotations.read_only_hint for t in tools)
    envelope_only = asyncio.run(listing(names=["ZOOM_GET_A_MEETING"]))[0]
    assert envelope_only.output_schema == ENVELOPE_SCHEMA
    none = asyncio.run(listing(names=["ZOOM_GET_A_MEETING"], output_schema="none"))[0]
    assert none.output_schema is None
    searched = asyncio.run(listing(search="who attended my last meeting", limit=3))
    assert [t.name for t in searched][0] == "ZOOM_GET_PAST_MEETING_PARTICIPANTS" and len(searched) == 3
    verbatim = asyncio.run(listing(names=["ZOOM_CREATE_A_MEETING"], description="verbatim"))[0]
    assert "Prerequisites" in verbatim.description
    with pytest.raises(ValueError):
        build_server(toolkit, output_schema="partial")
