"""A loopback HTTP/1.1 server answering two Zoom routes with canned JSON.

Run in its own process (``python -m bench.server``) so that the client being
measured has a core to itself: it prints ``PORT <n>`` once listening, serves
keep-alive connections, and exits when its stdin closes or after
``--max-seconds``. Only 127.0.0.1 is bound.

Routes: ``GET /v2/meetings/{id}`` -> 200 meeting JSON;
``POST /v2/users/{id}/meetings`` -> 201 meeting JSON (the request body must be
a JSON object); anything else -> 404 Zoom-style error body.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import sys

MEETING = {
    "uuid": "aDYlohsHRtCd4ii1uC2+hA==",
    "id": 85746065432,
    "host_id": "KDcuGIm1QgePTO8WbOqwIQ",
    "host_email": "host@example.com",
    "assistant_id": "",
    "topic": "Weekly sync",
    "type": 2,
    "status": "waiting",
    "start_time": "2030-05-04T16:00:00Z",
    "duration": 45,
    "timezone": "Europe/Berlin",
    "agenda": "Roadmap and open issues",
    "created_at": "2030-05-01T09:12:44Z",
    "start_url": "https://example.zoom.us/s/85746065432?zak=redacted",
    "join_url": "https://example.zoom.us/j/85746065432?pwd=abc123",
    "password": "k9Tq2",
    "h323_password": "123456",
    "pstn_password": "123456",
    "encrypted_password": "abc123",
    "pre_schedule": False,
    "settings": {
        "host_video": True,
        "participant_video": False,
        "join_before_host": False,
        "jbh_time": 0,
        "mute_upon_entry": True,
        "watermark": False,
        "use_pmi": False,
        "approval_type": 2,
        "audio": "voip",
        "auto_recording": "none",
        "waiting_room": True,
        "meeting_authentication": False,
        "private_meeting": False,
        "email_notification": True,
        "host_save_video_order": False,
        "alternative_hosts": "",
        "alternative_hosts_email_notification": True,
        "registrants_confirmation_email": True,
        "registrants_email_notification": True,
        "close_registration": False,
        "show_share_button": False,
        "allow_multiple_devices": False,
        "encryption_type": "enhanced_encryption",
        "approved_or_denied_countries_or_regions": {"enable": False},
        "breakout_room": {"enable": False},
        "global_dial_in_countries": ["US", "DE"],
        "continuous_meeting_chat": {"enable": False, "auto_add_invited_external_users": False},
    },
}

_GET_MEETING = re.compile(rb"^/v2/meetings/[^/?]+(\?.*)?$")
_POST_MEETING = re.compile(rb"^/v2/users/[^/?]+/meetings(\?.*)?$")


def _response(status: int, reason: str, body: bytes) -> bytes:
    head = (f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json;charset=UTF-8\r\n"
            f"content-length: {len(body)}\r\nx-zm-trackingid: bench\r\n\r\n")
    return head.encode() + body


OK_GET = _response(200, "OK", json.dumps(MEETING).encode())
OK_POST = _response(201, "Created", json.dumps(MEETING).encode())
BAD_BODY = _response(400, "Bad Request", b'{"code":300,"message":"Request body must be a JSON object."}')
NOT_FOUND = _response(404, "Not Found", b'{"code":404,"message":"No such route on the bench server."}')


class _Conn(asyncio.Protocol):
    """Parses pipelined HTTP/1.1 requests with Content-Length bodies."""

    def connection_made(self, transport):
        self.transport = transport
        self.buf = b""

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buf[:end]
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value.strip())
            if len(self.buf) < end + 4 + length:
                return
            body = self.buf[end + 4:end + 4 + length]
            self.buf = self.buf[end + 4 + length:]
            self.transport.write(self._answer(head.split(b"\r\n", 1)[0], body))

    @staticmethod
    def _answer(request_line: bytes, body: bytes) -> bytes:
        parts = request_line.split(b" ")
        if len(parts) != 3:
            return NOT_FOUND
        method, target = parts[0], parts[1]
        if method == b"GET" and _GET_MEETING.match(target):
            return OK_GET
        if method == b"POST" and _POST_MEETING.match(target):
            try:
                ok = isinstance(json.loads(body or b"null"), dict)
            except ValueError:
                ok = False
            return OK_POST if ok else BAD_BODY
        return NOT_FOUND


async def serve(port: int, max_seconds: float) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(_Conn, "127.0.0.1", port, backlog=2048)
    print(f"PORT {server.sockets[0].getsockname()[1]}", flush=True)
    stdin_closed = loop.create_future()

    def _watch_stdin() -> None:
        sys.stdin.buffer.read()  # returns at EOF: the parent went away or closed us
        loop.call_soon_threadsafe(lambda: stdin_closed.done() or stdin_closed.set_result(None))

    loop.run_in_executor(None, _watch_stdin)
    try:
        await asyncio.wait_for(stdin_closed, timeout=max_seconds)
    except asyncio.TimeoutError:
        pass
    server.close()
    os._exit(0)  # the stdin watcher thread may still be blocked in read()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.server")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--max-seconds", type=float, default=900.0)
    args = p.parse_args(argv)
    asyncio.run(serve(args.port, args.max_seconds))
    return 0


class LoopbackServer:
    """Context manager: the bench server in a child process; ``.base_url`` ends in ``/v2``."""

    def __init__(self, max_seconds: float = 900.0) -> None:
        self.max_seconds = max_seconds
        self.proc = None
        self.port = 0

    def __enter__(self) -> "LoopbackServer":
        import subprocess
        self.proc = subprocess.Popen([sys.executable, "-m", "bench.server", "--max-seconds", str(self.max_seconds)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                     cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        line = self.proc.stdout.readline()
        if not line.startswith("PORT "):
            self.proc.kill()
            raise RuntimeError(f"bench server did not start: {line!r}")
        self.port = int(line.split()[1])
        return self

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v2"

    def __exit__(self, *exc) -> None:
        if self.proc is not None:
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=10)
            except Exception:
                self.proc.kill()
                self.proc.wait()


if __name__ == "__main__":
    sys.exit(main())
