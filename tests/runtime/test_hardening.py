"""The runtime tried as an attacker would: redirects, secrets, time, size, single-flight, hostile values.

Every server here listens on 127.0.0.1 only and stops with its test.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import socket
import threading
import time
import warnings

import pytest

from zoom_actions import Toolkit
from zoom_actions import redact
from zoom_actions.auth import UserOAuth

from .conftest import SECRET_TOKEN
from .recorder import Recorder, Reply


class RawServer:
    """Accepts connections on 127.0.0.1 and hands each socket to ``handle``."""

    def __init__(self, handle) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.handle = handle
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def _run(self) -> None:
        self.sock.settimeout(0.2)
        while not self.stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except (socket.timeout, OSError):
                continue
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn) -> None:
        with conn:
            try:
                conn.settimeout(5)
                conn.recv(65536)
                self.handle(conn, self.stopped)
            except OSError:
                pass

    def close(self) -> None:
        self.stopped.set()
        self.thread.join(2)
        self.sock.close()


@pytest.fixture
def other():
    srv = Recorder()
    yield srv
    srv.close()


# --- redirects ---------------------------------------------------------------------------

def test_token_request_never_follows_a_redirect(server, other, make_tk):
    server.token_extra = Reply(307, {}, headers={"Location": other.url + "/oauth/token"})
    tk = make_tk(account_id="acc", client_id="cid", client_secret="client-SECRET-abcdef",
                 token_url=server.url + "/oauth/token")
    env = tk.execute("ZOOM_GET_A_MEETING", {"meetingId": 1})
    assert not env["successful"] and "redirect" in env["error"]
    assert other.requests == []                      # the credentials went nowhere else


def test_post_body_is_not_resent_to_another_origin(server, other, tk):
    server.queue(Reply(307, {}, headers={"Location": other.url + "/v2/users/me/meetings"}))
    env = tk.execute("ZOOM_CREATE_A_MEETING", {"userId": "me", "topic": "x"})
    assert not env["successful"] and "another origin" in env["error"]
    assert other.requests == []


def test_same_origin_redirect_is_followed(server, tk):
    server.queue(Reply(307, {}, headers={"Location": server.url + "/meetings/2"}))
    env = tk.execute("ZOOM_GET_A_MEETING", {"meetingId": 1})
    assert env["successful"]
    assert [r.path for r in server.api_requests()] == ["/meetings/1", "/meetings/2"]


def test_cross_origin_get_redirect_drops_the_token(server, other, tk):
    server.queue(Reply(302, {}, headers={"Location": other.url + "/file"}))
    env = tk.execute("ZOOM_GET_A_MEETING", {"meetingId": 1})
    assert env["successful"]
    assert len(other.requests) == 1 and "authorization" not in other.requests[0].headers


def test_redirect_to_plain_http_elsewhere_is_refused(server, tk):
    server.queue(Reply(302, {}, headers={"Location": "http://example.com/steal"}))
    env = tk.execute("ZOOM_GET_A_MEETING", {"meetingId": 1})
    assert not env["successful"] and "not followed" in env["error"]


@pytest.mark.parametrize("url", ["https://user:pw@api.zoom.us/v2", "https://:pw@api.zoom.us/v2",
                                 "https://user@api.zoom.us/v2"])
def test_base_url_with_userinfo_is_refused(url, catalog):
    with pytest.raises(ValueError, match="credentials"):
        Toolkit(access_token=SECRET_TOKEN, base_url=url, catalog=catalog)


# --- secrets -----------------------------------------------------------------------------

def test_secret_echoed_past_the_cut_is_masked_not_left_as_a_prefix(server, make_tk):
    secret = "client-SECRET-" + os.urandom(12).hex()
    server.token_extra = Reply(401, raw=("x" * 185 + secret).encode(), headers={"Content-Type": "text/plain"})
    tk = make_tk(account_id="acc", client_id="cid", client_secret=secret, token_url=server.url + "/oauth/token")
    env = tk.execute("ZOOM_GET_A_MEETING", {"meetingId": 1})
    assert not env["successful"]
    assert secret[:8] not in env["error"]


def test_configured_credentials_are_never_evicted(catalog):
    secret = "first-configured-" + os.urandom(8).hex()
    tk = Toolkit(access_token=secret, base_url="http://127.0.0.1:9", catalog=catalog)
    for i in range(5000):                            # tokens fetched later, more than the rotating list keeps
        redact.remember(f"rotating-token-{i:05d}-abcdefgh")
    assert secret not in redact.scrub(f"echo: {secret}")
    tk.close()


def test_short_secret_is_masked(server, make_tk):
    tk = make_tk(access_token="pw4x1")
    server.queue(Reply(400, {"code": 300, "message": "bad token pw4x1"}))
    env = tk.execute("ZOOM_GET_A_MEETING", {"meetingId": 1})
    assert "pw4x1" not in env["error"] and "***" in env["error"]


def test_masking_is_linear_in_the_body(catalog):
    for i in range(4096):
        redact.remember(f"tok-linear-{i:05d}-" + "q" * 24)
    body = "z" * 1_000_000 + " tok-linear-00042-" + "q" * 24
    redact.scrub("warm")                             # the matcher is built once per change
    start = time.perf_counter()
    out = redact.scrub(body)
    assert time.perf_counter() - start < 1.0
    assert out.endswith(" ***")


def test_http_client_debug_loggers_are_filtered(tk, caplog):
    caplog.set_level(logging.DEBUG)
    for name in ("httpcore2.http11", "httpcore2.connection", "httpx2"):
        logging.getLogger(name).debug("request headers %s", [(b"Authorization", f"Bearer {SECRET_TOKEN}")])
    assert tk.execute("ZOOM_GET_A_MEETING", {"meetingId": 1})["successful"]
    assert caplog.records and all(SECRET_TOKEN not in r.getMessage() for r in caplog.records)


# --- time --------------------------------------------------------------------------------

def _trickle(conn, stopped):
    for ch in b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Pad: " + b"a" * 200:
        if stopped.is_set():
            return
        conn.sendall(bytes([ch]))
        time.sleep(0.5)


def test_trickling_server_cannot_hold_a_call_past_its_timeout(catalog):
    srv = RawServer(_trickle)
    try:
        tk = Toolkit(access_token=SECRET_TOKEN, base_url=srv.url + "/v2", catalog=catalog, timeout=1,
                     max_retries=0)
        start = time.monotonic()
        env = tk.execute("ZOOM_GET_A_MEETING", {"meetingId": 1})
        took = time.monotonic() - start
        tk.close()
    finally:
        srv.close()
    assert not env["successful"] and took < 3, (took, env)


def test_trickling_server_async(catalog):
    srv = RawServer(_trickle)

    async def main():
        async with Toolkit(access_token=SECRET_TOKEN, base_url=srv.url + "/v2", catalog=catalog, timeout=1,
                           max_retries=0) as tk:
            return await tk.aexecute("ZOOM_GET_A_MEETING", {"meetingId": 1})
    try:
        start = time.monotonic()
        env = asyncio.run(main())
        took = time.monotonic() - start
    finally:
        srv.close()
    assert not env["successful"] and took < 3, (took, env)


def test_deadline_bounds_retries_and_waits(server, make_tk):
    server.respond(lambda seen: Reply(429, {"code": 429, "message": "slow down"}, headers={"Retry-After": "1.5"}))
    tk = make_tk(max_retries=10, deadline=2.0)
    start = time.monotonic()
    env = tk.execute("ZOOM_GET_A_MEETING", {"meetingId": 1})
    assert not env["successful"] and time.monotonic() - start < 2.5
    assert len(server.api_requests()) <= 2


# --- size ----------------------------------------------------------------------------------

def test_response_is_read_with_a_cap(server, make_tk):
    server.queue(Reply(200, raw=b'{"x":"' + b"a" * 3_000_000 + b'"}'))
    tk = make_tk(max_response_bytes=1_000_000)
    env = tk.execute("ZOOM_GET_A_MEETING", {"meetingId": 1})
    assert not env["successful"] and "1,000,000-byte cap" in env["error"]


def test_chunked_response_without_length_is_capped(catalog):
    def chunked(conn, stopped):
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
        chunk = b"a" * 65536
        for _ in range(100):                         # 6.5 MB, more than the cap
            if stopped.is_set():
                return
            conn.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
    srv = RawServer(chunked)
    try:
        with Toolkit(access_token=SECRET_TOKEN, base_url=srv.url + "/v2", catalog=catalog,
                     max_response_bytes=500_000) as tk:
            env = tk.execute("ZOOM_GET_A_MEETING", {"meetingId": 1})
    finally:
        srv.close()
    assert not env["successful"] and "500,000-byte cap" in env["error"]


UPLOAD = "ZOOM_UPLOAD_A_WEBINAR_S_BRANDING_VIRTUAL_BACKGROUND"


def test_upload_over_the_cap_is_refused_with_nothing_sent(server, make_tk, catalog, tmp_path):
    (tmp_path / "big.bin").write_bytes(b"0" * 5000)
    tk = make_tk(upload_dir=tmp_path, max_upload_bytes=1000)
    env = tk.execute(UPLOAD, {"webinarId": 5, "file": {"path": "big.bin"}})
    assert not env["successful"] and "upload cap" in env["error"]
    assert server.api_requests() == []


def test_hard_linked_upload_is_refused(server, make_tk, catalog, tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("secret")
    inside = tmp_path / "up"
    inside.mkdir()
    os.link(outside, inside / "link.txt")
    tk = make_tk(upload_dir=inside)
    env = tk.execute(UPLOAD, {"webinarId": 5, "file": {"path": "link.txt"}})
    assert not env["successful"] and "hard link" in env["error"]
    assert server.api_requests() == []


def test_explicit_filename_is_reduced_to_its_base_name(server, make_tk, catalog, tmp_path):
    (tmp_path / "a.txt").write_text("hello")
    tk = make_tk(upload_dir=tmp_path)
    tk.execute(UPLOAD, {"webinarId": 5, "file": {"path": "a.txt", "filename": "../../etc/passwd"}})
    body = server.last.body
    assert b'filename="passwd"' in body and b"../" not in body


def test_upload_dir_is_resolved_once(server, make_tk, catalog, tmp_path, monkeypatch):
    (tmp_path / "up").mkdir()
    (tmp_path / "up" / "a.txt").write_text("hello")
    monkeypatch.chdir(tmp_path)
    tk = make_tk(upload_dir="up")
    monkeypatch.chdir("/")
    tk.execute(UPLOAD, {"webinarId": 5, "file": {"path": "a.txt"}})
    assert server.api_requests() and b"hello" in server.last.body


# --- single flight across threads and event loops -------------------------------------------

def test_thread_and_event_loop_refresh_once(server, make_tk):
    rotated = []
    server.token_delay = 0.4
    server.token_extra = lambda n: {"refresh_token": f"refresh-{n}-rotatedvalue"}
    tk = make_tk(client_id="cid", client_secret="client-SECRET-xyz123", refresh_token="refresh-0-original",
                 token_url=server.url + "/oauth/token", on_refresh_token=rotated.append)
    results = []

    def in_thread():
        results.append(tk.execute("ZOOM_GET_A_MEETING", {"meetingId": 1}))

    async def in_loop():
        return await tk.aexecute("ZOOM_GET_A_MEETING", {"meetingId": 2})

    t = threading.Thread(target=in_thread)
    t.start()
    results.append(asyncio.run(in_loop()))
    t.join()
    assert all(r["successful"] for r in results), results
    assert server.tokens_issued == 1
    forms = [r.form() for r in server.token_requests()]
    assert [f["refresh_token"] for f in forms] == ["refresh-0-original"]
    assert rotated == ["refresh-1-rotatedvalue"]


def test_async_client_is_closed_with_its_loop(server, make_tk):
    tk = make_tk()

    async def call():
        return await tk.aexecute("ZOOM_GET_A_MEETING", {"meetingId": 1})
    with warnings.catch_warnings():
        warnings.simplefilter("error", ResourceWarning)
        for _ in range(3):                           # three loops, no aclose(): each transport dies with its loop
            assert asyncio.run(call())["successful"]
        gc.collect()
    assert len(tk._http._loops) == 0 or all(not e.transport._pool.connections for e in tk._http._loops.values())


# --- hostile but plausible values ------------------------------------------------------------

def test_retry_after_far_beyond_any_calendar(server, tk):
    server.queue(Reply(429, {"code": 429, "message": "daily"}, headers={"Retry-After": "1e20",
                                                                        "X-RateLimit-Type": "Daily-limit"}))
    env = tk.execute("ZOOM_GET_A_MEETING", {"meetingId": 1})
    assert not env["successful"] and "daily" in env["error"].lower() and "Internal error" not in env["error"]


def test_deeply_nested_json_from_zoom(server, tk):
    server.queue(Reply(200, raw=b"[" * 200_000 + b"]" * 200_000))
    env = tk.execute("ZOOM_GET_A_MEETING", {"meetingId": 1})
    assert "Internal error" not in (env["error"] or "")


def test_deeply_nested_json_from_the_token_endpoint(server, make_tk):
    server.token_extra = Reply(200, raw=b"[" * 200_000 + b"]" * 200_000)
    tk = make_tk(account_id="acc", client_id="cid", client_secret="client-SECRET-deep12",
                 token_url=server.url + "/oauth/token")
    env = tk.execute("ZOOM_GET_A_MEETING", {"meetingId": 1})
    assert not env["successful"] and "Internal error" not in env["error"]
    assert "access token" in env["error"]


# --- auth objects and hooks ----------------------------------------------------------------------

def test_auth_object(server, make_tk):
    auth = UserOAuth("cid", "client-SECRET-obj123", "refresh-obj-original", token_url=server.url + "/oauth/token")
    tk = make_tk(auth=auth)
    assert tk.execute("ZOOM_GET_A_MEETING", {"meetingId": 1})["successful"]
    assert server.last.headers["authorization"] == "Bearer tok-1-secretvalue"


def test_before_hook_refuses_with_nothing_sent(server, tk):
    @tk.before_execute("ZOOM_*_MEETING")
    def no_deletes(action, params):
        if action["name"] == "ZOOM_DELETE_A_MEETING":
            return {"data": {}, "successful": False, "error": "deleting meetings is not allowed"}
        return None
    env = tk.execute("ZOOM_DELETE_A_MEETING", {"meetingId": 1})
    assert env == {"data": {}, "successful": False, "error": "deleting meetings is not allowed"}
    assert server.api_requests() == []
    assert tk.execute("ZOOM_GET_A_MEETING", {"meetingId": 1})["successful"]


def test_before_hook_changes_params_and_they_are_checked(server, tk):
    tk.before_execute("product:meetings")(lambda action, params: {**params, "meetingId": "42"})
    assert tk.execute("ZOOM_GET_A_MEETING", {"meetingId": 1})["successful"]
    assert server.last.path == "/meetings/42"
    tk.before_execute("ZOOM_GET_A_MEETING")(lambda action, params: {**params, "nope": 1})
    env = tk.execute("ZOOM_GET_A_MEETING", {"meetingId": 1})
    assert not env["successful"] and "nope" in env["error"]


def test_after_hook_reshapes_the_envelope_async_too(server, tk):
    @tk.after_execute("tag:Meetings")
    async def only_topic(action, env):
        return {**env, "data": {"ok": env["data"].get("ok")}}
    server.queue(Reply(200, {"ok": True, "extra": "dropped"}))
    assert asyncio.run(tk.aexecute("ZOOM_GET_A_MEETING", {"meetingId": 1}))["data"] == {"ok": True}
    server.queue(Reply(200, {"ok": True, "extra": "dropped"}))
    assert tk.execute("ZOOM_GET_A_MEETING", {"meetingId": 1})["data"] == {"ok": True}


def test_schema_modifier_changes_tools(tk):
    @tk.schema_modifier("ZOOM_GET_A_MEETING")
    def hide(action, schema):
        schema["properties"].pop("occurrence_id", None)
        return schema
    (tool,) = tk.tools("openai", names=["ZOOM_GET_A_MEETING"])
    assert "occurrence_id" not in tool["function"]["parameters"]["properties"]
    assert "meetingId" in tool["function"]["parameters"]["properties"]


def test_unknown_gateway_names_the_valid_ones(catalog):
    with pytest.raises(ValueError, match="direct, lava, maton"):
        Toolkit(access_token=SECRET_TOKEN, gateway="nowhere", catalog=catalog)


def test_account_plan_and_old_plan_keyword(catalog):
    assert Toolkit(access_token=SECRET_TOKEN, account_plan="business", catalog=catalog).limiter.plan == "business"
    assert Toolkit(access_token=SECRET_TOKEN, plan="free", catalog=catalog).limiter.plan == "free"
    assert Toolkit(access_token=SECRET_TOKEN, account_plan=None, catalog=catalog).limiter is None


@pytest.mark.parametrize("api_url", ["https://user:pw@api.zoom.us", "https://user@eu01api-www4local.zoom.us",
                                     "https://:pw@api.zoom.us/v2"])
def test_token_api_url_with_userinfo_is_ignored(api_url):
    from zoom_actions.auth import _trusted_api_base
    assert _trusted_api_base(api_url) is None
    assert _trusted_api_base("https://eu01api-www4local.zoom.us") == "https://eu01api-www4local.zoom.us/v2"
