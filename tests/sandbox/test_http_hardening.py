"""The sandbox's HTTP server tried as an attacker would, over raw sockets on 127.0.0.1."""

from __future__ import annotations

import json
import resource
import socket
import time

import pytest


@pytest.fixture
def srv(catalog):
    from zoom_actions.sandbox import make_server
    from zoom_actions.sandbox.server import RunningSandbox
    httpd = make_server(None, 0, catalog=catalog, max_body=64 * 1024)
    httpd.app  # noqa: B018
    running = RunningSandbox(httpd, owns_store=True)
    yield running
    running.close()


def _raw(srv, data: bytes, timeout: float = 5) -> bytes:
    with socket.create_connection((srv.host, srv.port), timeout=timeout) as s:
        s.sendall(data)
        out = b""
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                out += chunk
        except socket.timeout:
            pass
    return out


def _meetings(srv) -> int:
    with srv.store.transaction():
        return len(srv.store.list("meeting"))


def test_negative_content_length_is_400_and_nothing_is_smuggled(srv):
    before = _meetings(srv)
    smuggled = (b"POST /v2/users/me/meetings HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\n"
                b"Content-Type: application/json\r\nContent-Length: 15\r\n\r\n{\"topic\":\"sm\"}")
    out = _raw(srv, b"POST /v2/users/me/meetings HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n" + smuggled)
    assert out.startswith(b"HTTP/1.1 400")
    assert out.count(b"HTTP/1.1 ") == 1
    assert _meetings(srv) == before


def test_body_over_the_limit_is_413_with_nothing_stored(srv):
    before = _meetings(srv)
    body = json.dumps({"topic": "x" * 100_000}).encode()
    out = _raw(srv, b"POST /v2/users/me/meetings HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\n"
                    b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    assert out.startswith(b"HTTP/1.1 413")
    assert _meetings(srv) == before


def test_half_sent_connections_do_not_starve_the_server(srv):
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    n = min(800, soft - 200)
    stalled = []
    try:
        for _ in range(n):
            s = socket.create_connection((srv.host, srv.port), timeout=5)
            s.sendall(b"POST /v2/users/me/meetings HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789")
            stalled.append(s)
        start = time.monotonic()
        out = _raw(srv, b"GET /_sandbox/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert out.startswith(b"HTTP/1.1 200") and time.monotonic() - start < 3
    finally:
        for s in stalled:
            s.close()
    assert n >= 300


def test_stalled_body_is_answered_408_and_closed(catalog):
    from zoom_actions.sandbox.http import SandboxServer
    from zoom_actions.sandbox.server import RunningSandbox, Sandbox
    from zoom_actions.sandbox.store import open_store
    running = RunningSandbox(SandboxServer(Sandbox(open_store(None), catalog), body_timeout=0.5), owns_store=True)
    try:
        with socket.create_connection((running.host, running.port), timeout=5) as s:
            s.sendall(b"POST /v2/users/me/meetings HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123")
            start = time.monotonic()
            out = s.recv(65536)
            assert out.startswith(b"HTTP/1.1 408") and time.monotonic() - start < 3
    finally:
        running.close()
