"""MCP that fits its client: a selection larger than the client's profile is
served as the three discovery tools (and says so); smaller ones are listed
in pages with cursors; an invalid cursor is error -32602."""

from __future__ import annotations

import asyncio
import json

import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError

from zoom_actions.mcp_server import build_server


def _list(server, client_name=None, cursor=None):
    async def go():
        kwargs = {}
        if client_name:
            from mcp import types
            kwargs["client_info"] = types.Implementation(name=client_name, version="1")
        async with Client(server.server, **kwargs) as c:
            first = await c.list_tools(cursor=cursor) if cursor else await c.list_tools()
            return first
    return asyncio.run(go())


@pytest.mark.parametrize("profile,cap", [("cursor", 40), ("vscode", 128)])
def test_a_selection_past_the_profile_is_served_as_discovery(toolkit, profile, cap):
    server = build_server(toolkit, products="meetings", profile=profile)
    assert len(server.names) > cap
    listing = _list(server)
    assert [t.name for t in listing.tools] == ["search_actions", "get_action_schema", "execute_action"]
    assert f"{cap}-tool profile ({profile})" in listing.tools[0].description
    size = len(json.dumps([t.model_dump(by_alias=True, exclude_none=True) for t in listing.tools]))
    assert size < 50_000

    async def find_and_run():
        async with Client(server.server) as c:
            found = await c.call_tool("search_actions", {"query": "get a meeting's details", "k": 5})
            return [r["name"] for r in found.structured_content["results"]]
    assert "ZOOM_GET_A_MEETING" in asyncio.run(find_and_run())


def test_the_client_name_picks_the_profile(toolkit):
    server = build_server(toolkit, products="meetings", search="meeting recordings", limit=60)
    assert len(_list(server, "Cursor").tools) == 3              # Cursor: about 40
    assert len(_list(server, "Visual Studio Code").tools) == 60  # VS Code: 128


def test_pages_and_cursors(toolkit):
    server = build_server(toolkit, products="meetings", profile="full")
    first = _list(server)
    assert len(first.tools) == 100 and first.next_cursor
    second = _list(server, cursor=first.next_cursor)
    names = [t.name for t in first.tools] + [t.name for t in second.tools]
    assert len(set(names)) == len(names) and len(names) == min(len(server.names), 200)
    try:
        _list(server, cursor="bm90LWEtY3Vyc29y")
    except BaseException as exc:   # the client's task group may wrap it
        errors = exc.exceptions if isinstance(exc, BaseExceptionGroup) else [exc]
        while any(isinstance(e, BaseExceptionGroup) for e in errors):
            errors = [x for e in errors for x in (e.exceptions if isinstance(e, BaseExceptionGroup) else [e])]
        [error] = [e for e in errors if isinstance(e, MCPError)]
        assert error.error.code == -32602 and "Invalid cursor" in error.error.message
    else:
        pytest.fail("an invalid cursor was accepted")
