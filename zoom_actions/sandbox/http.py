"""The sandbox's HTTP layer: an ASGI app over :func:`~.server.dispatch`, served by uvicorn.

uvicorn (h11) frames requests: a malformed ``Content-Length`` or chunk is a
400 and never read as a second request; connections cost a coroutine, not
a thread; idle keep-alive connections close after ``timeout_keep_alive``.
The app adds what the sandbox needs on top: a body limit (413), a timeout
for a body that stops arriving (408), the Sandbox's synchronous work run
in a worker thread so the loop stays free, and a request log that never
shows a token. It binds loopback addresses only.
"""

from __future__ import annotations

import asyncio
import re
import socket
import sys
import threading
from datetime import datetime
from typing import Any

from .server import API_PREFIX, Sandbox, _is_loopback, _json, dispatch

MAX_BODY = 32 * 1024 * 1024
BODY_TIMEOUT = 10.0          # seconds between two parts of a request body
_TOKEN_IN_QUERY = re.compile(r"((?:access_token|token|tk|zak|pwd)=)[^&\s\"]+", re.IGNORECASE)


class Headers(dict):
    """Request headers, looked up case-insensitively (what the Sandbox reads)."""

    def get(self, key: str, default: Any = None) -> Any:
        return super().get(key.lower(), default)

    def __getitem__(self, key: str) -> Any:
        return super().__getitem__(key.lower())

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and super().__contains__(key.lower())


class SandboxASGI:
    def __init__(self, app: Sandbox, *, max_body: int = MAX_BODY, body_timeout: float = BODY_TIMEOUT,
                 verbose: bool = False) -> None:
        self.app = app
        self.max_body = max_body
        self.body_timeout = body_timeout
        self.verbose = verbose

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "websocket":   # Zoom's event WebSocket: sandbox/websocket.py
            await self.app.websocket.serve(scope, receive, send)
            return
        if scope["type"] != "http":
            return
        headers = Headers((k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in scope["headers"])
        status, out_headers, data = await self._answer(scope, receive, headers)
        await send({"type": "http.response.start", "status": status,
                    "headers": [(k.encode("latin-1"), str(v).encode("latin-1")) for k, v in out_headers.items()]
                    + [(b"content-length", str(len(data)).encode())]})
        await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else data})
        if self.verbose:
            target = scope.get("raw_path", b"").decode("latin-1")
            if scope.get("query_string"):
                target += "?" + scope["query_string"].decode("latin-1")
            line = _TOKEN_IN_QUERY.sub(r"\1***", f'"{scope["method"]} {target}" {status}')
            sys.stderr.write(f"[{datetime.now().strftime('%H:%M:%S')}] {line}\n")

    async def _answer(self, scope, receive, headers: Headers) -> tuple[int, dict[str, str], bytes]:
        length = headers.get("content-length")
        if length is not None and length.isdigit() and (len(length) > 12 or int(length) > self.max_body):
            return _too_large(self.max_body)
        chunks, size = [], 0
        while True:
            try:
                message = await asyncio.wait_for(receive(), self.body_timeout)
            except asyncio.TimeoutError:
                return _json(408, {"code": 408, "message": "The request body stopped arriving; closing."},
                             {"Connection": "close"})
            if message["type"] == "http.disconnect":
                return _json(400, {"code": 400, "message": "The client went away."})
            size += len(message.get("body", b""))
            if size > self.max_body:
                return _too_large(self.max_body)
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        host, port = scope.get("server") or ("127.0.0.1", 0)
        origin = f"http://[{host}]:{port}" if ":" in str(host) else f"http://{host}:{port}"
        target = scope.get("raw_path", b"").decode("latin-1") or scope["path"]
        if scope.get("query_string"):
            target += "?" + scope["query_string"].decode("latin-1")
        return await asyncio.to_thread(dispatch, self.app, scope["method"], target, headers, b"".join(chunks),
                                       origin)


def _too_large(cap: int) -> tuple[int, dict[str, str], bytes]:
    return _json(413, {"code": 413, "message": f"The request body is larger than the sandbox's {cap:,}-byte limit."},
                 {"Connection": "close"})


class SandboxServer:
    """uvicorn serving one Sandbox on a socket bound at construction (so a busy port fails at once)."""

    def __init__(self, app: Sandbox, host: str = "127.0.0.1", port: int = 0, verbose: bool = False,
                 max_body: int = MAX_BODY, body_timeout: float = BODY_TIMEOUT) -> None:
        if not _is_loopback(host):
            raise ValueError(f"the sandbox binds loopback only (127.0.0.1, ::1, localhost), not {host!r}")
        import uvicorn
        self.app = app
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        # IPPROTO_TCP, not 0: asyncio turns Nagle off only on sockets that say they are TCP,
        # and with Nagle on, every answer (headers, then body) waits ~40 ms for a delayed ACK.
        self.socket = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        try:
            self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.socket.bind((host, port))
            self.socket.listen(1024)
        except OSError:
            self.socket.close()
            raise
        self.server_address = self.socket.getsockname()[:2]
        app.origin = self.origin   # the URLs the sandbox hands out for itself (recording files in events)
        config = uvicorn.Config(SandboxASGI(app, max_body=max_body, body_timeout=body_timeout, verbose=verbose),
                                log_level="warning", access_log=False, lifespan="off", timeout_keep_alive=5,
                                h11_max_incomplete_event_size=64 * 1024, limit_concurrency=1000,
                                server_header=False, timeout_graceful_shutdown=2,
                                # WebSockets through the websockets package (its sans-I/O protocol, which
                                # uvicorn's deprecated "websockets" option will point at); clients only send
                                # heartbeats, and Zoom's keep-alive is the heartbeat, not protocol pings
                                ws="websockets-sansio", ws_max_size=64 * 1024, ws_ping_interval=None)
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    @property
    def origin(self) -> str:
        host, port = self.server_address
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    def serve_forever(self) -> None:
        """Serve in the foreground until Ctrl-C."""
        self._server.run(sockets=[self.socket])

    def start(self) -> None:
        """Serve in a daemon thread; returns once it accepts connections."""
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self.socket]},
                                        name=f"zoom-sandbox-{self.server_address[1]}", daemon=True)
        self._thread.start()
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError("the sandbox server did not start")
            self._thread.join(0.01)

    def shutdown(self) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(5)

    def server_close(self) -> None:
        self.socket.close()


__all__ = ["SandboxASGI", "SandboxServer", "MAX_BODY", "API_PREFIX"]
