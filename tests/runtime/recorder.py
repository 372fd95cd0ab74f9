"""A real HTTP server on 127.0.0.1 that records every request it gets.

Each test programs answers with ``server.respond(fn)`` (fn(request) ->
``Reply``) or queues them with ``server.queue(...)``; by default every
request gets ``200 {"ok": true}`` and ``POST /oauth/token`` issues tokens.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Seen:
    method: str
    target: str                 # the raw request target: path + "?" + query, as sent
    headers: dict[str, str]     # lower-cased names
    body: bytes
    at: float = field(default_factory=time.monotonic)   # arrival time

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]

    @property
    def query(self) -> str:
        return self.target.split("?", 1)[1] if "?" in self.target else ""

    @property
    def query_pairs(self) -> list[tuple[str, str]]:
        return parse_qsl(urlsplit(self.target).query, keep_blank_values=True)

    def json(self) -> Any:
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body.decode()))


@dataclass
class Reply:
    status: int = 200
    body: Any = field(default_factory=lambda: {"ok": True})
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0          # seconds before answering
    raw: bytes | None = None    # send these bytes as the body instead of JSON


class _Server(ThreadingHTTPServer):
    request_queue_size = 512   # hundreds of concurrent clients connect at once
    daemon_threads = True


class Recorder:
    def __init__(self) -> None:
        self.requests: list[Seen] = []
        self.lock = threading.Lock()
        self._queue: list[Reply] = []
        self._fn: Callable[[Seen], Reply | None] | None = None
        self.tokens_issued = 0
        self.token_expires_in = 3600
        self.token_extra: dict[str, Any] = {}
        self.token_delay = 0.0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True   # headers and body go out in two writes

            def log_message(self, *args) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                seen = Seen(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                reply = outer._answer(seen)
                if reply.delay:
                    time.sleep(reply.delay)
                payload = reply.raw if reply.raw is not None else (
                    b"" if reply.status == 204 else json.dumps(reply.body).encode())
                try:
                    self.send_response(reply.status)
                    headers = {"Content-Type": "application/json", **reply.headers}
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def _answer(self, seen: Seen) -> Reply:
        with self.lock:
            is_token = seen.method == "POST" and seen.path == "/oauth/token"
            if is_token:
                self.tokens_issued += 1
                n = self.tokens_issued
            self.requests.append(seen)
            fn = self._fn
            queued = self._queue.pop(0) if (self._queue and not is_token) else None
        if is_token:
            if self.token_delay:
                time.sleep(self.token_delay)
            extra = self.token_extra(n) if callable(self.token_extra) else self.token_extra
            if isinstance(extra, Reply):
                return extra
            body = {"access_token": f"tok-{n}-secretvalue", "token_type": "bearer",
                    "expires_in": self.token_expires_in, "scope": "meeting:read", **extra}
            return Reply(200, body)
        if queued is not None:
            return queued
        if fn is not None:
            r = fn(seen)
            if r is not None:
                return r
        return Reply()

    # --- as a handler: the same answers in process, through Toolkit(transport=...) ---------

    def handle(self, request):
        """An httpx2 request -> an httpx2 response, recorded like a request on the socket."""
        import httpx2
        target = request.url.raw_path.decode("ascii")
        seen = Seen(request.method, target, {k.lower(): v for k, v in request.headers.items()}, request.read())
        reply = self._answer(seen)
        payload = reply.raw if reply.raw is not None else (b"" if reply.status == 204 else json.dumps(reply.body).encode())
        return httpx2.Response(reply.status, headers={"Content-Type": "application/json", **reply.headers},
                               content=payload)

    def transport(self):
        import httpx2
        return httpx2.MockTransport(self.handle)

    def respond(self, fn: Callable[[Seen], Reply | None] | None) -> None:
        self._fn = fn

    def queue(self, *replies: Reply) -> None:
        with self.lock:
            self._queue.extend(replies)

    def api_requests(self) -> list[Seen]:
        with self.lock:
            return [r for r in self.requests if r.path != "/oauth/token"]

    def token_requests(self) -> list[Seen]:
        with self.lock:
            return [r for r in self.requests if r.path == "/oauth/token"]

    @property
    def last(self) -> Seen:
        return self.api_requests()[-1]

    def reset(self) -> None:
        with self.lock:
            self.requests.clear()
            self._queue.clear()
            self._fn = None
            self.tokens_issued = 0
            self.token_expires_in = 3600
            self.token_extra = {}
            self.token_delay = 0.0

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
