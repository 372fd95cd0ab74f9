"""Events for agents over MCP, with the official ``mcp`` client: the two event
tools listed only when enabled (also beside discovery, and counted toward a
profile's cap), zoom_events_recent with globs and a cursor, zoom_events_wait
returning an event appended from another thread, or timing out cleanly."""

from __future__ import annotations

import asyncio
import os
import threading
import time

import pytest
from mcp import Client

from .conftest import cli_stdio

from zoom_actions.events import Events, from_webhook
from zoom_actions.mcp_server import build_server, start_http_in_thread

EVENT_TOOLS = ["zoom_events_recent", "zoom_events_wait"]


@pytest.fixture()
def events(tmp_path):
    ev = Events(tmp_path / "events.db")
    yield ev
    ev.log.close()


def _emit(events, kind: str, n: int, meeting: int = 1):
    event = from_webhook({"event": kind, "event_ts": 1767225600000 + n,
                          "payload": {"account_id": "acc1", "object": {"id": meeting, "n": n}}})
    assert events.accept(event)
    return event


def _names(server, **client) -> list[str]:
    async def go():
        async with Client(server.server, **client) as c:
            return [t.name for t in (await c.list_tools()).tools]
    return asyncio.run(go())


def _calls(server, *calls):
    """Run ``(tool, arguments)`` calls in one session; their results."""
    async def go():
        async with Client(server.server, read_timeout_seconds=90) as c:
            return [await c.call_tool(name, args) for name, args in calls]
    return asyncio.run(go())


def test_event_tools_are_listed_only_when_enabled_and_obey_profiles(toolkit, events):
    assert _names(build_server(toolkit, names=["ZOOM_GET_A_MEETING"])) == ["ZOOM_GET_A_MEETING"]
    assert _names(build_server(toolkit, names=["ZOOM_GET_A_MEETING"], events=events)) == [
        "ZOOM_GET_A_MEETING", *EVENT_TOOLS]
    discovery = ["search_actions", "get_action_schema", "execute_action"]
    assert _names(build_server(toolkit, products="meetings", discovery=True, events=events)) == [
        *discovery, *EVENT_TOOLS]
    over = build_server(toolkit, products="meetings", profile="cursor", events=events)   # past Cursor's 40
    assert _names(over) == [*discovery, *EVENT_TOOLS]
    fits = build_server(toolkit, products="meetings", search="meeting recordings", limit=39, events=events)
    assert len(_names(fits, client_info=__import__("mcp").types.Implementation(name="Cursor", version="1"))) == 5
    [result] = _calls(build_server(toolkit, names=["ZOOM_GET_A_MEETING"]), ("zoom_events_recent", {}))
    assert result.is_error is True and "No tool named" in result.structured_content["error"]


def test_recent_filters_by_glob_and_pages_by_cursor(toolkit, events):
    made = [_emit(events, kind, i) for i, kind in enumerate(
        ["meeting.started", "meeting.participant_joined", "recording.completed", "meeting.participant_left",
         "meeting.ended"])]
    server = build_server(toolkit, names=["ZOOM_GET_A_MEETING"], events=events)
    latest, joined, page1, page2, tail, unknown, bad = _calls(
        server,
        ("zoom_events_recent", {"limit": 3}),
        ("zoom_events_recent", {"types": ["meeting.participant_*"]}),
        ("zoom_events_recent", {"since": made[0].id, "limit": 2}),
        ("zoom_events_recent", {"since": made[2].id, "limit": 2}),
        ("zoom_events_recent", {"since": made[4].id}),
        ("zoom_events_recent", {"since": "evt_nope"}),
        ("zoom_events_recent", {"types": "meeting.*", "limit": "many"}))
    ids = lambda r: [e["id"] for e in r.structured_content["events"]]   # noqa: E731
    assert ids(latest) == [e.id for e in made[2:]] and latest.structured_content["next_since"] == made[4].id
    assert latest.structured_content["events"][0]["payload"]["object"] == {"id": 1, "n": 2}
    assert ids(joined) == [made[1].id, made[3].id]
    assert ids(page1) == [made[1].id, made[2].id] and page1.structured_content["more"] is True
    assert page1.structured_content["next_since"] == made[2].id
    assert ids(page2) == [made[3].id, made[4].id] and page2.structured_content["more"] is False
    assert ids(tail) == [] and tail.structured_content["next_since"] == made[4].id
    assert unknown.is_error is True and "no event with id 'evt_nope'" in unknown.content[0].text
    assert bad.is_error is True and "limit must be a number" in bad.content[0].text


def _append_later(events, delay: float, *kinds: str):
    """Append events from another thread (its own SQLite connection) once ``delay`` has passed."""
    def run():
        time.sleep(delay)
        other = Events(events.log.path)
        for i, kind in enumerate(kinds):
            _emit(other, kind, 100 + i)
        other.log.close()
    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_wait_returns_the_next_matching_event_from_another_thread(toolkit, events):
    _emit(events, "meeting.ended", 1)                         # before the call: not "next"
    server = build_server(toolkit, names=["ZOOM_GET_A_MEETING"], events=events)
    writer = _append_later(events, 0.5, "meeting.participant_left", "meeting.ended")
    started = time.monotonic()
    [got] = _calls(server, ("zoom_events_wait", {"types": ["meeting.ended"], "timeout": 20}))
    elapsed = time.monotonic() - started
    writer.join()
    assert got.is_error is False and got.structured_content["timed_out"] is False
    event = got.structured_content["event"]
    assert event["type"] == "meeting.ended" and event["payload"]["object"]["n"] == 101   # skipped the 'left'
    assert 0.4 < elapsed < 10
    # `after`: the first matching event after a cursor, even one already received; then nothing more
    first = events.log.recent(10)[-1]
    again, timed_out = _calls(server, ("zoom_events_wait", {"after": first.id, "types": ["meeting.*"]}),
                              ("zoom_events_wait", {"after": event["id"], "timeout": 0.3}))
    assert again.structured_content["event"]["type"] == "meeting.participant_left"
    assert timed_out.structured_content["timed_out"] is True and timed_out.structured_content["after"] == event["id"]


def test_wait_times_out_cleanly_and_is_bounded(toolkit, events):
    server = build_server(toolkit, names=["ZOOM_GET_A_MEETING"], events=events)
    writer = _append_later(events, 0.1, "user.updated")       # arrives, but does not match
    started = time.monotonic()
    got, unknown = _calls(server, ("zoom_events_wait", {"types": ["recording.completed"], "timeout": 1}),
                          ("zoom_events_wait", {"after": "evt_missing", "timeout": 1}))
    elapsed = time.monotonic() - started
    writer.join()
    assert got.is_error is False and got.structured_content["event"] is None
    assert got.structured_content["timed_out"] is True
    assert got.structured_content["message"].startswith("no event matching recording.completed within 1 s")
    assert got.structured_content["after"] == events.log.recent(1)[0].id   # the cursor moved past 'user.updated'
    assert unknown.is_error is True and "evt_missing" in unknown.content[0].text
    assert 0.9 < elapsed < 5
    from zoom_actions.mcp_events import MAX_WAIT, EventTools
    tools = EventTools(events.log, max_wait=0.5)
    started = time.monotonic()
    capped = asyncio.run(tools.wait({"timeout": 3600}))
    assert capped["timed_out"] is True and "capped at 0.5 s" in capped["message"]
    assert time.monotonic() - started < 3 and MAX_WAIT < 60   # below the TypeScript SDK's 60 s request timeout


def test_wait_over_streamable_http(toolkit, events):
    server = build_server(toolkit, names=["ZOOM_GET_A_MEETING"], events=events)
    with start_http_in_thread(server, auth=False) as running:
        async def run():
            async with Client(running.url, read_timeout_seconds=30) as client:
                writer = _append_later(events, 0.3, "recording.completed")
                got = await client.call_tool("zoom_events_wait", {"types": ["recording.*"], "timeout": 15})
                await asyncio.to_thread(writer.join)
                return got
        got = asyncio.run(run())
    assert got.structured_content["event"]["type"] == "recording.completed"


def test_cli_mcp_events_over_stdio(tmp_path, catalog):
    log = tmp_path / "events.db"
    seeded = Events(log)
    made = _emit(seeded, "meeting.started", 1)
    seeded.log.close()
    env = {**os.environ, "ZOOM_ACCESS_TOKEN": "t", "ZOOM_ACTIONS_DIR": str(catalog.directory)}
    params = cli_stdio(env, "mcp", "--name", "ZOOM_GET_A_MEETING", "--events-log", str(log))

    async def run():
        async with Client(params, read_timeout_seconds=60) as client:
            names = [t.name for t in (await client.list_tools()).tools]
            recent = await client.call_tool("zoom_events_recent", {})
            return names, recent
    names, recent = asyncio.run(run())
    assert names == ["ZOOM_GET_A_MEETING", *EVENT_TOOLS]
    assert [e["id"] for e in recent.structured_content["events"]] == [made.id]
