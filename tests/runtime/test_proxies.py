"""Proxies from the environment (zoom_actions/proxies.py): HTTPS_PROXY routes Zoom traffic through the
proxy (a CONNECT tunnel, the proxy's credentials sent as Proxy-Authorization and masked in the envelope),
NO_PROXY and loopback hosts go direct, and a transport passed in is used as it is. The proxy here is a
loopback server that records what it is asked and refuses the tunnel (no network is needed)."""

from __future__ import annotations

import asyncio
import base64
import socket
import threading

import pytest

from zoom_actions import Toolkit

PROXY_PASSWORD = "proxy-pw-Zx81kQ"


class RecordingProxy:
    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)   # here, not in the thread: a test may close the socket before it runs
        self.seen: list[tuple[str, dict]] = []
        self._stop = threading.Event()
        threading.Thread(target=self._run, daemon=True).start()

    @property
    def port(self) -> int:
        return self.sock.getsockname()[1]

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(5)
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(4096)
                    if not chunk:
                        break
                    data += chunk
                head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
                headers = dict(line.split(": ", 1) for line in head[1:] if ": " in line)
                self.seen.append((head[0], {k.lower(): v for k, v in headers.items()}))
                conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")

    def close(self) -> None:
        self._stop.set()
        self.sock.close()


@pytest.fixture()
def proxy(monkeypatch):
    p = RecordingProxy()
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY",
                 "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", f"http://agent:{PROXY_PASSWORD}@127.0.0.1:{p.port}")
    yield p
    p.close()


def _zoom(**kw) -> Toolkit:
    return Toolkit(access_token="proxy-test-token-123", base_url="https://api.zoom.test/v2", account_plan=None,
                   max_retries=0, timeout=5, **kw)


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_https_proxy_carries_zoom_traffic_and_its_password_is_masked(proxy, mode):
    with _zoom() as tk:
        if mode == "sync":
            env = tk.execute("ZOOM_GET_A_MEETING", {"meetingId": 1})
        else:
            env = asyncio.run(tk.aexecute("ZOOM_GET_A_MEETING", {"meetingId": 1}))
    assert not env["successful"]
    (line, headers), = proxy.seen
    assert line == "CONNECT api.zoom.test:443 HTTP/1.1"
    assert headers["proxy-authorization"] == "Basic " + base64.b64encode(f"agent:{PROXY_PASSWORD}".encode()).decode()
    assert "proxy-test-token" not in str(headers)   # the bearer token goes inside the tunnel only
    assert PROXY_PASSWORD not in str(env)


def test_no_proxy_and_loopback_go_direct(proxy, monkeypatch, server, catalog):
    monkeypatch.setenv("NO_PROXY", "localhost,.zoom.test")
    with _zoom() as tk:
        env = tk.execute("ZOOM_GET_A_MEETING", {"meetingId": 1})
    assert not env["successful"] and "could not connect" in env["error"]   # no such host, and no proxy asked
    with Toolkit(access_token="proxy-test-token-123", base_url=server.url, catalog=catalog, max_retries=0) as tk:
        assert tk.execute("ZOOM_GET_A_MEETING", {"meetingId": 2})["successful"]   # loopback: never proxied
    assert proxy.seen == [] and len(server.api_requests()) == 1


def test_a_transport_passed_in_is_used_as_it_is(proxy):
    import httpx2
    seen = []
    transport = httpx2.MockTransport(lambda r: seen.append(r) or httpx2.Response(200, json={"id": 1}))
    with _zoom(transport=transport) as tk:
        assert tk.execute("ZOOM_GET_A_MEETING", {"meetingId": 1})["successful"]
    assert len(seen) == 1 and proxy.seen == []


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_call_the_proxy_refuses_names_the_proxy_but_not_its_password(proxy, mode):
    with _zoom() as tk:
        env = tk.execute("ZOOM_GET_A_MEETING", {"meetingId": 1}) if mode == "sync" else \
            asyncio.run(tk.aexecute("ZOOM_GET_A_MEETING", {"meetingId": 1}))
    assert not env["successful"]
    assert f"through the proxy http://127.0.0.1:{proxy.port}, from HTTPS_PROXY" in env["error"], env["error"]
    assert PROXY_PASSWORD not in str(env) and "agent:" not in str(env)


def test_a_proxy_nobody_listens_on_is_named_in_the_connect_error(monkeypatch):
    from tests.ports import unused_port
    port = unused_port()
    for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", f"http://agent:{PROXY_PASSWORD}@127.0.0.1:{port}")
    with _zoom() as tk:
        env = tk.execute("ZOOM_GET_A_MEETING", {"meetingId": 1})
    assert "could not connect to Zoom" in env["error"] and "Nothing reached Zoom" in env["error"]
    assert f"through the proxy http://127.0.0.1:{port}" in env["error"] and PROXY_PASSWORD not in env["error"]


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_event_forwarding_goes_through_the_environment_s_proxy(proxy, mode, tmp_path):
    """Forward builds its own client: it reads HTTPS_PROXY as the runtime does (a client given a transport
    reads no proxy of its own)."""
    from zoom_actions.events import from_webhook
    from zoom_actions.events.sinks import Forward
    sink = Forward("https://hooks.example.test/zoom", "whsec_" + base64.b64encode(b"k" * 24).decode(),
                   max_attempts=1, timeout=5, max_elapsed=5)
    event = from_webhook({"event": "meeting.started", "event_ts": 1767225600000, "payload": {"object": {"id": 1}}})
    try:
        with pytest.raises(Exception) as raised:
            sink.deliver(event) if mode == "sync" else asyncio.run(sink.adeliver(event))
    finally:
        sink.close()
    (line, headers), = proxy.seen
    assert line == "CONNECT hooks.example.test:443 HTTP/1.1"
    assert "through the proxy" in str(raised.value) and PROXY_PASSWORD not in str(raised.value)
