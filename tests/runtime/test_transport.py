"""``Toolkit(transport=...)``: any transport of the HTTP client, here the recorder as an in-process handler."""

from __future__ import annotations

import asyncio
import socket

import pytest

from zoom_actions import Toolkit

from .conftest import SECRET_TOKEN

CALLS = [
    ("ZOOM_GET_A_MEETING", {"meetingId": 85746065432}, "GET", "/v2/meetings/85746065432"),
    ("ZOOM_CREATE_A_MEETING", {"userId": "me", "topic": "Sync", "settings__waiting_room": True},
     "POST", "/v2/users/me/meetings"),
    ("ZOOM_LIST_MEETINGS", {"userId": "me", "page_size": 30}, "GET", "/v2/users/me/meetings?page_size=30"),
    ("ZOOM_DELETE_A_MEETING", {"meetingId": 1}, "DELETE", "/v2/meetings/1"),
]


@pytest.fixture
def in_process(server, catalog):
    tk = Toolkit(access_token=SECRET_TOKEN, base_url="http://recorder.localhost/v2", catalog=catalog,
                 transport=server.transport())
    yield tk
    tk.close()


@pytest.fixture
def no_sockets(monkeypatch):
    def refuse(*a, **k):
        raise AssertionError("a socket was opened")
    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.mark.parametrize("name,params,method,target", CALLS)
def test_handler_sees_what_the_socket_would(server, in_process, no_sockets, name, params, method, target):
    env = in_process.execute(name, params)
    assert env["successful"], env
    seen = server.last
    assert (seen.method, seen.target) == (method, target)
    assert seen.headers["authorization"] == f"Bearer {SECRET_TOKEN}"
    if method == "POST":
        assert seen.json() == {"topic": "Sync", "settings": {"waiting_room": True}}


def test_async_through_the_handler(server, catalog, monkeypatch):
    async def main():
        def refuse(*a, **k):
            raise AssertionError("a socket was opened")
        monkeypatch.setattr(socket, "socket", refuse)        # the loop's own self-pipe exists already
        monkeypatch.setattr(socket, "create_connection", refuse)
        async with Toolkit(access_token=SECRET_TOKEN, base_url="http://recorder.localhost/v2", catalog=catalog,
                           transport=server.transport()) as tk:
            return await asyncio.gather(*(tk.aexecute("ZOOM_GET_A_MEETING", {"meetingId": i}) for i in range(20)))
    envs = asyncio.run(main())
    assert all(e["successful"] for e in envs)
    assert sorted(r.path for r in server.api_requests()) == sorted(f"/v2/meetings/{i}" for i in range(20))


def test_caps_apply_to_any_transport(server, catalog):
    from .recorder import Reply
    server.queue(Reply(200, raw=b'"' + b"a" * 20000 + b'"'))
    with Toolkit(access_token=SECRET_TOKEN, base_url="http://recorder.localhost/v2", catalog=catalog,
                 transport=server.transport(), max_response_bytes=10000) as tk:
        env = tk.execute("ZOOM_GET_A_MEETING", {"meetingId": 1})
    assert not env["successful"] and "10,000-byte cap" in env["error"]


def test_sandbox_toolkit_opens_no_socket(catalog, no_sockets):
    import threading
    before = threading.active_count()
    with Toolkit(sandbox=True, catalog=catalog) as tk:
        made = tk.execute("ZOOM_CREATE_A_MEETING", {"userId": "me", "topic": "In process", "type": 2})
        assert made["successful"], made
        got = tk.execute("ZOOM_GET_A_MEETING", {"meetingId": made["data"]["id"]})
        assert got["data"]["topic"] == "In process"
        assert threading.active_count() == before
    missing = Toolkit(sandbox=True, catalog=catalog).execute("ZOOM_GET_A_MEETING", {"meetingId": 1})
    assert not missing["successful"] and "3001" in missing["error"]


def test_sandbox_toolkit_async(catalog):
    async def main():
        async with Toolkit(sandbox=True, catalog=catalog) as tk:
            made = await tk.aexecute("ZOOM_CREATE_A_MEETING", {"userId": "me", "topic": "Async", "type": 2})
            return made, await tk.aexecute("ZOOM_GET_A_MEETING", {"meetingId": made["data"]["id"]})
    made, got = asyncio.run(main())
    assert made["successful"] and got["data"]["topic"] == "Async"
