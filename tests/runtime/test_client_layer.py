"""What the runtime does without the HTTP client's layer (it sends straight to the transport):
compressed answers are still asked for and decoded, under the same size cap, and no cookie a
server sets is ever sent back."""

from __future__ import annotations

import gzip
import json
import zlib

import pytest

from .recorder import Reply

MEETING = {"id": 85746065432, "topic": "Weekly sync", "agenda": "x" * 2000}


def test_compression_is_asked_for(server, tk):
    assert tk.execute("ZOOM_GET_A_MEETING", {"meetingId": 1})["successful"]
    (seen,) = server.api_requests()
    assert "gzip" in seen.headers["accept-encoding"]


@pytest.mark.parametrize("coding,compress", [("gzip", gzip.compress), ("deflate", zlib.compress)])
def test_compressed_answer_is_decoded(server, tk, coding, compress):
    body = compress(json.dumps(MEETING).encode())
    server.queue(Reply(200, raw=body, headers={"Content-Encoding": coding, "Content-Type": "application/json"}))
    env = tk.execute("ZOOM_GET_A_MEETING", {"meetingId": 1})
    assert env["successful"] and env["data"] == MEETING, env


def test_compression_bomb_is_capped_once_decoded(server, make_tk):
    bomb = gzip.compress(b'{"x":"' + b"a" * 5_000_000 + b'"}')   # about 5 KB on the wire
    assert len(bomb) < 100_000
    server.queue(Reply(200, raw=bomb, headers={"Content-Encoding": "gzip", "Content-Type": "application/json"}))
    tk = make_tk(max_response_bytes=1_000_000)
    env = tk.execute("ZOOM_GET_A_MEETING", {"meetingId": 1})
    assert not env["successful"] and "1,000,000-byte cap" in env["error"], env


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_cookies_set_by_the_server_are_not_sent_back(server, make_tk, mode):
    import asyncio
    server.queue(Reply(200, {"ok": True}, headers={"Set-Cookie": "zm_session=tracking-value; Path=/"}))
    tk = make_tk()

    def call(i):
        if mode == "sync":
            return tk.execute("ZOOM_GET_A_MEETING", {"meetingId": i})
        return asyncio.run(tk.aexecute("ZOOM_GET_A_MEETING", {"meetingId": i}))
    assert call(1)["successful"] and call(2)["successful"]
    first, second = server.api_requests()
    assert "cookie" not in second.headers and "cookie" not in first.headers
