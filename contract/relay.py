"""A recording relay between the toolkit and Prism.

The toolkit returns only its envelope; Prism's verdict travels in response
headers. Each relay listens on its own loopback port, forwards every request
unchanged to one Prism server, and records the exchange (the request exactly
as sent on the wire, and Prism's answer), so the harness sees both without
reaching into the toolkit.
"""

from __future__ import annotations

import http.client
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "host", "te", "trailer"}


def read_request_body(handler: BaseHTTPRequestHandler) -> bytes:
    """The request body an http.server handler received: chunked (trailers
    skipped up to the blank line) or by Content-Length."""
    rfile, headers = handler.rfile, handler.headers
    if "chunked" in (headers.get("Transfer-Encoding") or "").lower():
        chunks = []
        while True:
            size = int(rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(chunks)
            chunks.append(rfile.read(size))
            rfile.readline()
    length = int(headers.get("Content-Length") or 0)
    return rfile.read(length) if length > 0 else b""


@dataclass
class Exchange:
    method: str
    target: str  # path and query as sent
    headers: dict[str, str]
    body: bytes
    status: int = 0
    response_headers: dict[str, str] = field(default_factory=dict)
    response_body: bytes = b""

    @property
    def path(self) -> str:
        return urlsplit(self.target).path

    @property
    def query(self) -> str:
        return urlsplit(self.target).query


class Relay:
    def __init__(self, upstream_port: int, host: str = "127.0.0.1") -> None:
        self.upstream = (host, upstream_port)
        self.exchanges: list[Exchange] = []
        self._lock = threading.Lock()
        relay = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, *args) -> None:  # quiet
                pass

            def _handle(self) -> None:
                body = self._read_body()
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP}
                ex = Exchange(self.command, self.path, dict(self.headers.items()), body)
                try:
                    conn = http.client.HTTPConnection(*relay.upstream, timeout=60)
                    conn.request(self.command, self.path, body=body or None, headers=headers)
                    resp = conn.getresponse()
                    ex.status = resp.status
                    ex.response_headers = {k.lower(): v for k, v in resp.getheaders()}
                    ex.response_body = resp.read()
                    conn.close()
                except OSError as exc:
                    ex.status = 599
                    ex.response_body = f"relay could not reach Prism: {exc}".encode()
                    ex.response_headers = {"content-type": "text/plain"}
                relay._record(ex)
                self.send_response(ex.status)
                for k, v in ex.response_headers.items():
                    if k not in _HOP and k != "content-length":
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(ex.response_body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(ex.response_body)

            def _read_body(self) -> bytes:
                return read_request_body(self)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle

        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://{host}:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, name=f"relay-{self.url}", daemon=True)
        self._thread.start()

    def _record(self, ex: Exchange) -> None:
        with self._lock:
            self.exchanges.append(ex)

    def take(self) -> list[Exchange]:
        with self._lock:
            out, self.exchanges = self.exchanges, []
        return out

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def close_all(relays: list[Relay]) -> None:
    """Close many relays at once. Each ``shutdown`` waits for its server's
    poll loop to notice (up to half a second); a run holds one relay per
    product per concurrency slot (270 for 45 products and 6 slots), so
    closing them one after another took a minute and a half of a whole run."""
    threads = [threading.Thread(target=r.server.shutdown, daemon=True) for r in relays]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for r in relays:
        r.server.server_close()
