"""The MCP server over HTTP authenticates its clients and answers only to its
own names: tokens it issued (kept hashed), 401 with WWW-Authenticate
without one, 421 for a foreign Host and 403 for a foreign Origin on every
address, and no unauthenticated listening beyond loopback."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from zoom_actions import mcp_auth
from zoom_actions.mcp_server import build_server, start_http_in_thread
from zoom_actions.store import open_store

INIT = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
    "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}
HEADERS = {"accept": "application/json, text/event-stream", "content-type": "application/json"}


@pytest.fixture()
def store(tmp_path):
    s = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    yield s
    s.close()


def test_tokens_are_issued_once_and_kept_only_as_digests(store, tmp_path):
    token = mcp_auth.create_token(store, "cursor-laptop")
    assert token.startswith("zat_") and len(token) > 40
    assert mcp_auth.client_for(store, token) == "cursor-laptop"
    assert mcp_auth.client_for(store, token + "x") is None and mcp_auth.client_for(store, "zat_") is None
    listed = mcp_auth.list_tokens(store)
    assert [t["name"] for t in listed] == ["cursor-laptop"] and token not in repr(listed)
    with pytest.raises(ValueError, match="exists"):
        mcp_auth.create_token(store, "cursor-laptop")
    with pytest.raises(ValueError):
        mcp_auth.create_token(store, "bad name/..")
    raw = (tmp_path / "store.db").read_bytes() + b"".join(p.read_bytes() for p in tmp_path.glob("store.db-*"))
    assert token.encode() not in raw and token[4:].encode() not in raw
    assert mcp_auth.revoke_token(store, "cursor-laptop") and mcp_auth.client_for(store, token) is None
    assert not mcp_auth.revoke_token(store, "cursor-laptop")


def _post(url: str, **headers) -> httpx2.Response:
    return httpx2.post(url, json=INIT, headers={**HEADERS, **headers}, timeout=10)


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2"])
def test_http_needs_a_token_and_checks_host_and_origin(toolkit, store, host):
    token = mcp_auth.create_token(store, "agent-1")
    server = build_server(toolkit, names=["ZOOM_GET_A_MEETING", "ZOOM_LIST_MEETINGS"])
    with start_http_in_thread(server, host=host, store=store) as running:
        url = running.url
        missing = _post(url)
        assert missing.status_code == 401
        assert missing.headers["www-authenticate"].startswith("Bearer")
        assert "resource_metadata=" in missing.headers["www-authenticate"]
        assert _post(url, authorization="Bearer zat_forged").status_code == 401
        assert _post(url, authorization=f"Bearer {token}").status_code == 200
        # DNS rebinding: a page on another name that resolves here, with or without the token
        assert _post(url, authorization=f"Bearer {token}", host="evil.example").status_code == 421
        assert _post(url, host="evil.example:8000").status_code == 421
        assert _post(url, authorization=f"Bearer {token}", origin="https://evil.example").status_code == 403

        async def listed() -> list[str]:
            async with httpx2.AsyncClient(headers={"authorization": f"Bearer {token}"}) as http:
                async with Client(streamable_http_client(url, http_client=http), read_timeout_seconds=30) as c:
                    return sorted(t.name for t in (await c.list_tools()).tools)
        assert asyncio.run(listed()) == ["ZOOM_GET_A_MEETING", "ZOOM_LIST_MEETINGS"]
        mcp_auth.revoke_token(store, "agent-1")
        assert _post(url, authorization=f"Bearer {token}").status_code == 401


def test_no_unauthenticated_listening_beyond_loopback(toolkit):
    server = build_server(toolkit, names=["ZOOM_GET_A_MEETING"])
    for host in ("0.0.0.0", "192.168.1.20", "::"):
        with pytest.raises(mcp_auth.AuthConfigError, match="without authentication"):
            start_http_in_thread(server, host=host, auth=False)
    for host in ("127.0.0.1", "127.0.0.2", "::1", "localhost"):
        mcp_auth.check_listen(host, authenticated=False)   # loopback may go without
    run = subprocess.run([sys.executable, "-m", "zoom_actions", "mcp", "--transport", "http", "--host", "0.0.0.0",
                          "--no-auth", "--sandbox"], capture_output=True, text=True, timeout=60)
    assert run.returncode == 2 and "refusing to listen on 0.0.0.0 without authentication" in run.stderr


def test_every_address_has_its_own_names_only():
    hosts, origins = mcp_auth.allowed_hosts("0.0.0.0")
    assert "127.0.0.1:*" in hosts and "0.0.0.0:*" not in hosts and "evil.example:*" not in hosts
    hosts, _ = mcp_auth.allowed_hosts("10.1.2.3", ["zoom-tools.internal"])
    assert hosts[:1] == ["10.1.2.3:*"] and "zoom-tools.internal:*" in hosts and "localhost:*" not in hosts
    check = mcp_auth.HostCheck(None, hosts, [])
    assert check._match("10.1.2.3:8000", hosts) and not check._match("10.1.2.3:80x", hosts)
    assert not check._match("10.1.2.3.evil.example", hosts)


def test_the_tokens_command(tmp_path):
    env = {"ZOOM_ACTIONS_STORE": f"sqlite:///{tmp_path / 's.db'}", "PATH": "/usr/bin:/bin"}

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "zoom_actions", "mcp", "tokens", *args], capture_output=True,
                              text=True, env=env, timeout=60)
    made = cli("create", "--name", "cursor-laptop")
    assert made.returncode == 0 and made.stdout.strip().startswith("zat_")
    listed = cli("list")
    assert "cursor-laptop" in listed.stdout and made.stdout.strip() not in listed.stdout
    assert cli("revoke", "cursor-laptop").returncode == 0 and cli("revoke", "cursor-laptop").returncode == 2


def test_each_client_calls_with_its_own_connection(store, monkeypatch):
    from zoom_actions import Toolkit
    from zoom_actions.connections import Connection, Connections
    from zoom_actions.vault import new_key
    monkeypatch.setenv("ZOOM_ACTIONS_SECRET_KEY", new_key())
    conns = Connections(store)
    conns.save(Connection("alice", "work", "token"), {"access_token": "alice-zoom-token"})
    conns.save(Connection("bob", "work", "token"), {"access_token": "bob-zoom-token"})
    seen = []

    def zoom(request: httpx2.Request) -> httpx2.Response:
        seen.append(request.headers["authorization"])
        return httpx2.Response(200, json={"id": "u", "email": "x@example.com"})
    alice = mcp_auth.create_token(store, "alice-laptop", connection="work", user_id="alice")
    bob = mcp_auth.create_token(store, "bob-phone", connection="work", user_id="bob")
    carol = mcp_auth.create_token(store, "carol-tablet", connection="work", user_id="carol")   # never connected
    tk = Toolkit(transport=httpx2.MockTransport(zoom), base_url="http://127.0.0.1:9/v2", store=store)
    server = build_server(tk, names=["ZOOM_GET_A_USER"])
    with start_http_in_thread(server, store=store) as running:
        async def call(token: str):
            async with httpx2.AsyncClient(headers={"authorization": f"Bearer {token}"}) as http:
                async with Client(streamable_http_client(running.url, http_client=http), read_timeout_seconds=30) as c:
                    return (await c.call_tool("ZOOM_GET_A_USER", {"userId": "me"})).structured_content
        assert asyncio.run(call(alice))["successful"] and asyncio.run(call(bob))["successful"]
        refused = asyncio.run(call(carol))
    tk.close()
    assert seen == ["Bearer alice-zoom-token", "Bearer bob-zoom-token"]
    assert refused["successful"] is False and refused["error"].startswith("Authorization required")


@pytest.mark.parametrize("declares", [True, False])
def test_url_elicitation_shows_the_connect_page_where_the_client_declares_it(store, monkeypatch, declares):
    from mcp import types
    from zoom_actions import Toolkit
    from zoom_actions.vault import new_key
    monkeypatch.setenv("ZOOM_ACTIONS_SECRET_KEY", new_key())
    tk = Toolkit(base_url="http://127.0.0.1:9/v2", store=store, user_id="dana",
                 connect_url="https://app.example/zoom/connect")
    server = build_server(tk, names=["ZOOM_GET_A_USER"])
    shown = []

    async def on_elicit(context, params):
        shown.append(params.url)
        return types.ElicitResult(action="accept")

    with start_http_in_thread(server, auth=False) as running:
        async def call():
            kwargs = {"elicitation_callback": on_elicit} if declares else {}
            async with Client(running.url, **kwargs) as c:
                return (await c.call_tool("ZOOM_GET_A_USER", {"userId": "me"})).structured_content
        env = asyncio.run(call())
    tk.close()
    assert env["successful"] is False and env["data"]["authorization_required"] is True
    if declares:
        assert shown == ["https://app.example/zoom/connect?user_id=dana"]
        assert "was shown the connect page" in env["error"]
    else:
        assert shown == [] and "was shown" not in env["error"]
