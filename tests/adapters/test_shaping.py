"""Lean answers: ``select=`` and ``budget=`` on Toolkit.execute, in tool calls
and over MCP (the official client), against the in-process sandbox (300
meetings seeded through the toolkit) and the recording stand-in (to see that
a bad selection sends nothing)."""

from __future__ import annotations

import asyncio
import json
import warnings

import pytest

from zoom_actions.shaping import MIN_BUDGET, NOTE_KEY, RESERVED, dumps, estimate_tokens, tokens_of

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # bpe-openai's importlib.resources use
MEETINGS = 300


@pytest.fixture(scope="module")
def sandbox(catalog):
    from zoom_actions import Toolkit
    tk = Toolkit(sandbox=True, catalog=catalog)
    for i in range(MEETINGS):
        env = tk.execute("ZOOM_CREATE_A_MEETING", {"userId": "me", "topic": f"Sync {i}", "type": 2,
                                                   "start_time": "2031-03-01T10:00:00Z", "duration": 30})
        assert env["successful"], env
    yield tk
    tk.close()


@pytest.fixture(scope="module")
def o200k():
    import bpe_openai
    enc = bpe_openai.get_encoding("o200k_base")
    return lambda value: len(enc.encode(dumps(value)))


def _list(tk, **kw):
    return tk.execute("ZOOM_LIST_MEETINGS", {"userId": "me", "page_size": 300}, **kw)


def test_field_paths_keep_only_what_they_name(sandbox):
    env = _list(sandbox, select=["meetings[].id", "meetings[].topic", "next_page_token"])
    assert env["successful"] and env["error"] is None
    data = env["data"]
    assert list(data) == ["meetings", "next_page_token"] and len(data["meetings"]) == 300
    assert all(set(m) == {"id", "topic"} for m in data["meetings"])
    nested = sandbox.execute("ZOOM_GET_A_MEETING", {"meetingId": data["meetings"][0]["id"]},
                             select=["topic", "settings.host_video"])["data"]
    assert nested == {"topic": data["meetings"][0]["topic"], "settings": {"host_video": nested["settings"]["host_video"]}}


def test_a_jmespath_expression_is_applied_to_data(sandbox):
    env = _list(sandbox, select="meetings[?starts_with(topic, 'Sync 1')].id | length(@)")
    assert env["successful"] and env["data"] == 111   # Sync 1, Sync 10-19, Sync 100-199


@pytest.mark.parametrize("kw,needle", [
    ({"select": "meetings[?id =="}, "is not a valid JMESPath expression"),
    ({"select": ["meetings[].topc"]}, "did you mean 'topic'"),
    ({"select": ["meetings..id"]}, "dotted names"),
    ({"select": []}, "empty list"),
    ({"select": 42}, "not int"),
    ({"budget": 5}, f"at least {MIN_BUDGET}"),
    ({"budget": "lots"}, "whole number"),
    ({"budget": True}, "whole number"),
])
def test_a_bad_selection_or_budget_is_an_input_error_and_sends_nothing(toolkit, standin, kw, needle):
    before = len(standin.requests)
    env = toolkit.execute("ZOOM_LIST_MEETINGS", {"userId": "me"}, **kw)
    assert env["successful"] is False and needle in env["error"], env["error"]
    assert "nothing was sent" in env["error"] and next(iter(kw)) in env["error"]
    assert len(standin.requests) == before


def test_over_budget_a_list_keeps_its_first_items_and_says_how_to_get_the_rest(sandbox, o200k):
    seen = []
    sandbox.after_execute("ZOOM_LIST_MEETINGS")(lambda action, env: seen.append(env))   # hooks see it whole
    env = _list(sandbox, budget=2000)
    whole = seen[-1]["data"]
    data, note = env["data"], env["data"][NOTE_KEY]
    kept = len(data["meetings"])
    assert len(whole["meetings"]) == 300 and NOTE_KEY not in whole
    assert 0 < kept < 300 and data["meetings"] == whole["meetings"][:kept]
    assert note["list"] == "meetings" and note["kept"] == kept and note["left_out"] == 300 - kept
    assert note["next_page_token"] == whole["next_page_token"]
    assert f"page_size={kept}" in note["how"] and "select" in note["how"]
    assert tokens_of(data) <= 2000 and o200k(data) <= 2000   # the estimate errs on the safe side
    # the advice works: pages of `kept` meetings fit the budget and read the same meetings in order
    page = sandbox.execute("ZOOM_LIST_MEETINGS", {"userId": "me", "page_size": kept}, budget=2000)["data"]
    assert NOTE_KEY not in page and page["meetings"] == whole["meetings"][:kept]
    assert {"page_size", "total_records"} <= set(data)   # the fields beside the list stay


def test_over_budget_an_object_keeps_its_top_level_scalars(sandbox, o200k):
    meeting_id = _list(sandbox)["data"]["meetings"][0]["id"]
    whole = sandbox.execute("ZOOM_GET_A_MEETING", {"meetingId": meeting_id})["data"]
    data = sandbox.execute("ZOOM_GET_A_MEETING", {"meetingId": meeting_id}, budget=300)["data"]
    note = data.pop(NOTE_KEY)
    assert data and all(not isinstance(v, (dict, list)) and whole[k] == v for k, v in data.items())
    assert "settings" in note["left_out_fields"] and set(data) | set(note["left_out_fields"]) == set(whole)
    assert "select" in note["how"] and o200k({**data, NOTE_KEY: note}) <= 300


def test_a_selected_list_over_budget_comes_back_wrapped_with_the_note(sandbox):
    data = _list(sandbox, select="meetings[].topic", budget=200)["data"]
    assert set(data) == {"items", NOTE_KEY} and data["items"][0].startswith(("Sync", "Weekly", "Product"))
    assert data[NOTE_KEY]["kept"] == len(data["items"]) and tokens_of(data) <= 200


def test_within_budget_nothing_changes(sandbox):
    meeting_id = _list(sandbox)["data"]["meetings"][0]["id"]
    assert sandbox.execute("ZOOM_GET_A_MEETING", {"meetingId": meeting_id}, budget=50_000) == \
        sandbox.execute("ZOOM_GET_A_MEETING", {"meetingId": meeting_id})


def test_failures_are_not_shaped(toolkit):
    env = toolkit.execute("ZOOM_GET_A_MEETING", {"meetingId": 404}, select=["id"], budget=100)
    assert env["successful"] is False and "3001" in env["error"]


def test_the_estimate_never_counts_fewer_tokens_than_o200k(sandbox, o200k):
    meeting_id = _list(sandbox)["data"]["meetings"][0]["id"]
    answers = [_list(sandbox)["data"], sandbox.execute("ZOOM_GET_A_MEETING", {"meetingId": meeting_id})["data"],
               sandbox.execute("ZOOM_LIST_USERS", {})["data"], {"text": "Welcome to the weekly sync. " * 50}]
    for answer in answers:
        real, est = o200k(answer), estimate_tokens(dumps(answer))
        assert real <= est <= 1.5 * real, (real, est)


def test_tool_calls_carry_select_and_budget_in_their_arguments(sandbox):
    from zoom_actions.adapters import aexecute_tool_call, execute_tool_call
    args = json.dumps({"userId": "me", "page_size": 300, "select": ["meetings[].id"], "budget": 500.0})
    env = execute_tool_call(sandbox, "ZOOM_LIST_MEETINGS", args)   # Gemini's float is fine
    assert env["successful"] and set(env["data"]) == {"meetings", NOTE_KEY}
    assert all(set(m) == {"id"} for m in env["data"]["meetings"])
    strict_nulls = {"userId": "me", "page_size": 5, "select": None, "budget": None}   # OpenAI strict's "not given"
    env = asyncio.run(aexecute_tool_call(sandbox, "ZOOM_LIST_MEETINGS", strict_nulls))
    assert env["successful"] and len(env["data"]["meetings"]) == 5
    # the keyword argument wins over the key in params
    env = sandbox.execute("ZOOM_LIST_MEETINGS", {"userId": "me", "page_size": 3, "select": ["page_size"]},
                          select=["total_records"])
    assert list(env["data"]) == ["total_records"]


def test_every_tool_offers_them_and_no_action_has_such_a_parameter(catalog):
    from zoom_actions.adapters import build_tools
    for name in catalog.names():
        assert not set(RESERVED) & set(catalog.get(name)["input_schema"].get("properties") or {}), name
    names = ["ZOOM_LIST_MEETINGS", "ZOOM_GET_A_MEETING", "ZOOM_CREATE_A_MEETING", "ZOOM_DELETE_A_MEETING"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for fmt, strict in (("openai", False), ("openai", True), ("gemini", None), ("anthropic", False), ("mcp", None)):
            for tool in build_tools(catalog, fmt, names=names, strict=strict):
                fn = tool.get("function", tool)
                props = (fn.get("parameters") or fn.get("input_schema") or fn.get("inputSchema"))["properties"]
                offered = set(RESERVED) <= set(props)
                assert offered is (fn["name"] != "ZOOM_DELETE_A_MEETING"), (fmt, fn["name"])   # 204: nothing to shape
        assert "select" not in build_tools(catalog, "openai", names=names, shaping=False)[0]["function"]["parameters"][
            "properties"]


# --- MCP ------------------------------------------------------------------------------

def _mcp(server, go):
    from mcp import Client

    async def run():
        async with Client(server.server) as client:
            return await go(client)
    return asyncio.run(run())


def test_mcp_tools_take_select_and_budget_and_the_text_is_the_selected_json(sandbox):
    from zoom_actions.mcp_server import build_server
    server = build_server(sandbox, names=["ZOOM_LIST_MEETINGS", "ZOOM_GET_A_MEETING"])

    async def go(client):
        listing = await client.list_tools()
        result = await client.call_tool("ZOOM_LIST_MEETINGS", {"userId": "me", "page_size": 300,
                                                               "select": ["meetings[].topic"], "budget": 400})
        bad = await client.call_tool("ZOOM_LIST_MEETINGS", {"userId": "me", "select": "meetings[?"})
        return listing, result, bad
    listing, result, bad = _mcp(server, go)
    schema = {t.name: t.input_schema for t in listing.tools}["ZOOM_LIST_MEETINGS"]
    assert set(RESERVED) <= set(schema["properties"])
    env = result.structured_content
    assert result.is_error is False and json.loads(result.content[0].text) == env
    assert result.content[0].text == dumps(env)   # compact JSON: no spaces to pay for
    assert all(set(m) == {"topic"} for m in env["data"]["meetings"]) and env["data"][NOTE_KEY]["left_out"] > 0
    assert bad.is_error is True and "JMESPath" in bad.structured_content["error"]


def test_mcp_describes_the_envelope_once(sandbox):
    from zoom_actions.mcp_server import build_server
    server = build_server(sandbox, products="meetings", limit=40)

    async def go(client):
        return client.instructions, await client.list_tools()
    instructions, listing = _mcp(server, go)
    assert "{data, successful, error}" in instructions and "budget" in instructions
    schemas = {json.dumps(t.output_schema, sort_keys=True) for t in listing.tools}
    assert len(schemas) == 1 and len(schemas.pop()) < 80   # only the three keys, the same on every tool


def test_mcp_full_output_schema_refuses_a_selection(sandbox):
    from zoom_actions.mcp_server import build_server
    server = build_server(sandbox, names=["ZOOM_GET_A_MEETING"], output_schema="full")

    async def go(client):
        listing = await client.list_tools()
        return listing, await client.call_tool("ZOOM_GET_A_MEETING", {"meetingId": 1, "select": ["id"]})
    listing, result = _mcp(server, go)
    assert "select" not in listing.tools[0].input_schema["properties"]
    assert result.is_error is True and "output_schema='full'" in result.structured_content["error"]


def test_default_tools_list_is_under_50_kb(catalog):
    """The default selection (every standard product) for the default, Cursor and VS Code profiles,
    measured as the official client receives it."""
    from zoom_actions import Toolkit
    from zoom_actions.mcp_server import build_server
    with Toolkit(sandbox=True, catalog=catalog) as tk:
        server = build_server(tk)

        async def go(client):
            size, cursor = 0, None
            while True:
                page = await (client.list_tools(cursor=cursor) if cursor else client.list_tools())
                size += len(page.model_dump_json(by_alias=True, exclude_none=True))
                cursor = page.next_cursor
                if not cursor:
                    return size
        for profile in (None, "cursor", "vscode"):
            server.profile = profile   # one server: its tool definitions are built once
            assert _mcp(server, go) < 50_000, profile
