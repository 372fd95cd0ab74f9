"""Static tokens, Server-to-Server OAuth, user OAuth with rotating refresh
tokens: fetched once, cached, refreshed exactly once on 401/124."""

from __future__ import annotations

import asyncio
import base64
import threading
import time

import pytest

from zoom_actions.auth import _trusted_api_base

from .recorder import Reply

CLIENT_SECRET = "client-secret-XYZ-0987654321"
REFRESH = "refresh-token-ONE-1234567890"
EXPIRED = {"code": 124, "message": "Invalid access token."}


@pytest.fixture
def s2s(make_tk, server):
    def make(**kw):
        return make_tk(account_id="acct-1", client_id="cid-1", client_secret=CLIENT_SECRET,
                       token_url=server.url + "/oauth/token", **kw)
    return make


def test_server_to_server_token_request_and_cache(s2s, server):
    tk = s2s()
    for _ in range(3):
        assert tk.execute("ZOOM_GET_A_MEETING", {"meetingId": 1})["successful"]
    (tok,) = server.token_requests()
    assert tok.method == "POST"
    assert tok.form() == {"grant_type": "account_credentials", "account_id": "acct-1"}
    assert tok.headers["authorization"] == "Basic " + base64.b64encode(f"cid-1:{CLIENT_SECRET}".encode()).decode()
    assert tok.headers["content-type"] == "application/x-www-form-urlencoded"
    assert {r.headers["authorization"] for r in server.api_requests()} == {"Bearer tok-1-secretvalue"}


def test_token_is_renewed_shortly_before_expiry(s2s, server):
    server.token_expires_in = 1          # margin: a tenth of its life
    tk = s2s()
    assert tk.execute("ZOOM_GET_A_MEETING", {"meetingId": 1})["successful"]
    assert tk.execute("ZOOM_GET_A_MEETING", {"meetingId": 1})["successful"]
    assert len(server.token_requests()) == 1
    time.sleep(0.95)
    assert tk.execute("ZOOM_GET_A_MEETING", {"meetingId": 1})["successful"]
    assert len(server.token_requests()) == 2
    assert server.last.headers["authorization"] == "Bearer tok-2-secretvalue"


def test_200_concurrent_aexecute_fetch_one_token(s2s, server):
    server.token_delay = 0.2
    tk = s2s()

    async def main():
        try:
            return await asyncio.gather(*[tk.aexecute("ZOOM_GET_A_MEETING", {"meetingId": i + 1})
                                          for i in range(200)])
        finally:
            await tk.aclose()

    envs = asyncio.run(main())
    assert all(e["successful"] for e in envs), [e for e in envs if not e["successful"]][:2]
    assert len(server.token_requests()) == 1
    assert len(server.api_requests()) == 200


def test_concurrent_threads_fetch_one_token(s2s, server):
    server.token_delay = 0.2
    tk = s2s()
    out = []
    threads = [threading.Thread(target=lambda: out.append(tk.execute("ZOOM_GET_A_MEETING", {"meetingId": 1})))
               for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(out) == 20 and all(e["successful"] for e in out)
    assert len(server.token_requests()) == 1


def _expire(server, bad_tokens):
    def respond(seen):
        if seen.headers.get("authorization") in bad_tokens:
            return Reply(401, EXPIRED)
        return None
    server.respond(respond)


def test_token_expiring_mid_run_is_refreshed_once(s2s, server):
    tk = s2s()
    assert tk.execute("ZOOM_GET_A_MEETING", {"meetingId": 1})["successful"]
    _expire(server, {"Bearer tok-1-secretvalue"})
    env = tk.execute("ZOOM_CREATE_A_MEETING", {"userId": "u@example.com", "topic": "x"})
    assert env["successful"], env
    assert len(server.token_requests()) == 2
    assert [r.headers["authorization"] for r in server.api_requests()] == [
        "Bearer tok-1-secretvalue", "Bearer tok-1-secretvalue", "Bearer tok-2-secretvalue"]


def test_concurrent_callers_hitting_124_refresh_once(s2s, server):
    tk = s2s()
    assert tk.execute("ZOOM_GET_A_MEETING", {"meetingId": 1})["successful"]
    _expire(server, {"Bearer tok-1-secretvalue"})
    server.token_delay = 0.1

    async def main():
        try:
            return await asyncio.gather(*[tk.aexecute("ZOOM_GET_A_MEETING", {"meetingId": 1}) for _ in range(50)])
        finally:
            await tk.aclose()

    envs = asyncio.run(main())
    assert all(e["successful"] for e in envs)
    assert len(server.token_requests()) == 2


def test_refresh_happens_only_once_per_call(s2s, server):
    tk = s2s()
    server.respond(lambda seen: Reply(401, EXPIRED))   # every token is rejected
    env = tk.execute("ZOOM_GET_A_MEETING", {"meetingId": 1})
    assert not env["successful"] and "HTTP 401" in env["error"] and "code 124" in env["error"]
    assert "rejected again right after a refresh" in env["error"]
    assert len(server.token_requests()) == 2 and len(server.api_requests()) == 2


def test_static_token_401_is_explained_not_retried(tk, server):
    server.respond(lambda seen: Reply(401, EXPIRED))
    env = tk.execute("ZOOM_GET_A_MEETING", {"meetingId": 1})
    assert not env["successful"]
    assert "invalid or expired" in env["error"] and "Server-to-Server" in env["error"]
    assert len(server.api_requests()) == 1 and server.token_requests() == []


def test_regional_api_url_is_honoured(make_tk, server, monkeypatch):
    monkeypatch.delenv("ZOOM_BASE_URL", raising=False)
    server.token_extra = {"api_url": server.url}
    tk = make_tk(account_id="a", client_id="c", client_secret=CLIENT_SECRET, token_url=server.url + "/oauth/token",
                 base_url=None)
    assert tk.execute("ZOOM_GET_A_MEETING", {"meetingId": 7})["successful"]
    assert server.last.target == "/v2/meetings/7"


def test_untrusted_api_url_is_ignored():
    assert _trusted_api_base("https://api-eu.zoom.us") == "https://api-eu.zoom.us/v2"
    assert _trusted_api_base("https://api.zoomgov.com/") == "https://api.zoomgov.com/v2"
    assert _trusted_api_base("https://evil.example.com") is None
    assert _trusted_api_base("http://api.zoom.us") is None
    assert _trusted_api_base("https://zoom.us.evil.com") is None


def test_user_oauth_rotates_refresh_tokens(make_tk, server):
    stored = []
    server.token_extra = lambda n: {"refresh_token": f"refresh-rotated-{n}-abcdef"}
    tk = make_tk(client_id="cid", client_secret=CLIENT_SECRET, refresh_token=REFRESH,
                 token_url=server.url + "/oauth/token", on_refresh_token=stored.append)
    assert tk.execute("ZOOM_GET_A_USER", {"userId": "me"})["successful"]
    _expire(server, {"Bearer tok-1-secretvalue"})
    assert tk.execute("ZOOM_GET_A_USER", {"userId": "me"})["successful"]
    forms = [r.form() for r in server.token_requests()]
    assert forms == [{"grant_type": "refresh_token", "refresh_token": REFRESH},
                     {"grant_type": "refresh_token", "refresh_token": "refresh-rotated-1-abcdef"}]
    assert stored == ["refresh-rotated-1-abcdef", "refresh-rotated-2-abcdef"]


def test_user_oauth_with_initial_access_token_and_async_callback(make_tk, server):
    stored = []

    async def store(rt):
        await asyncio.sleep(0)
        stored.append(rt)

    server.token_extra = {"refresh_token": "refresh-new-7777777"}
    tk = make_tk(access_token="initial-access-token-111", client_id="cid", client_secret=CLIENT_SECRET,
                 refresh_token=REFRESH, token_url=server.url + "/oauth/token", on_refresh_token=store)
    _expire(server, {"Bearer initial-access-token-111"})

    async def main():
        try:
            return await tk.aexecute("ZOOM_GET_A_USER", {"userId": "me"})
        finally:
            await tk.aclose()

    assert asyncio.run(main())["successful"]
    assert stored == ["refresh-new-7777777"]
    assert [r.headers["authorization"] for r in server.api_requests()] == [
        "Bearer initial-access-token-111", "Bearer tok-1-secretvalue"]


def test_token_endpoint_failure_is_an_envelope(s2s, server):
    server.token_extra = lambda n: Reply(401, {"reason": "Invalid client_id or client_secret", "error": "invalid_client"})
    env = s2s().execute("ZOOM_GET_A_MEETING", {"meetingId": 1})
    assert not env["successful"]
    assert "invalid_client" in env["error"] and "ZOOM_CLIENT_SECRET" in env["error"]
    assert CLIENT_SECRET not in env["error"]
    assert server.api_requests() == []


def test_env_fallback_and_missing_credentials(monkeypatch, catalog, server):
    from zoom_actions import Toolkit
    for k in ("ZOOM_ACCESS_TOKEN", "ZOOM_ACCOUNT_ID", "ZOOM_CLIENT_ID", "ZOOM_CLIENT_SECRET", "ZOOM_REFRESH_TOKEN"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("ZOOM_BASE_URL", server.url)
    with Toolkit(catalog=catalog) as tk:
        env = tk.execute("ZOOM_GET_A_MEETING", {"meetingId": 1})
        assert not env["successful"] and "No Zoom credentials" in env["error"] and "sandbox" in env["error"]
    monkeypatch.setenv("ZOOM_ACCOUNT_ID", "acct")
    monkeypatch.setenv("ZOOM_CLIENT_ID", "cid")
    monkeypatch.setenv("ZOOM_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.setenv("ZOOM_TOKEN_URL", server.url + "/oauth/token")
    with Toolkit(catalog=catalog) as tk:
        assert tk.auth_kind == "server_to_server"
        assert tk.execute("ZOOM_GET_A_MEETING", {"meetingId": 1})["successful"]
    monkeypatch.setenv("ZOOM_ACCESS_TOKEN", "env-access-token-1234")
    with Toolkit(access_token="explicit-token-5678", catalog=catalog) as tk:   # explicit replaces the env
        assert tk.auth_kind == "static"
        assert tk.execute("ZOOM_GET_A_MEETING", {"meetingId": 1})["successful"]
        assert server.last.headers["authorization"] == "Bearer explicit-token-5678"
    with Toolkit(account_id="a", catalog=catalog) as tk:
        assert "Incomplete" in tk.execute("ZOOM_GET_A_MEETING", {"meetingId": 1})["error"]
