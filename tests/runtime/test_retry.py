"""Retries, throttling and the no-duplicate rule, against a real server."""

from __future__ import annotations

import socket
import time
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from zoom_actions.limiter import RateLimiter
from zoom_actions.retry import RetryPolicy, classify_429

from .recorder import Reply

FAST = RetryPolicy(max_retries=2, backoff_base=0.01, backoff_max=0.02)


def _wait_quiet(server, n_expected, seconds):
    """Give a client time to (wrongly) resend, then count."""
    time.sleep(seconds)
    return len(server.api_requests())


@pytest.mark.parametrize("name,params", [
    ("ZOOM_CREATE_A_MEETING", {"userId": "me", "topic": "Once"}),
    ("ZOOM_UPDATE_A_MEETING", {"meetingId": 1, "topic": "Once"}),
    ("ZOOM_ADD_A_MEETING_REGISTRANT", {"meetingId": 1, "first_name": "A", "email": "a@example.com"}),
])
def test_post_and_patch_that_time_out_are_sent_exactly_once(make_tk, server, name, params):
    tk = make_tk(timeout=0.15, retry=FAST)
    server.respond(lambda seen: Reply(201, {"id": 1}, delay=0.5))
    env = tk.execute(name, params)
    assert not env["successful"]
    assert "may have reached Zoom" in env["error"] and "not resent" in env["error"]
    assert _wait_quiet(server, 1, 0.6) == 1


def test_get_that_times_out_is_resent(make_tk, server):
    tk = make_tk(timeout=0.2, retry=FAST)
    server.respond(lambda seen: Reply(200, {"ok": True}, delay=0.5))
    env = tk.execute("ZOOM_GET_A_MEETING", {"meetingId": 1})
    assert not env["successful"] and "did not answer in time" in env["error"]
    assert len(server.api_requests()) == 3   # 1 + max_retries


def test_429_with_retry_after_succeeds_on_second_attempt(tk, server):
    server.queue(Reply(429, {"code": 429, "message": "You have reached the maximum per-second rate limit for this API. Try again later."},
                       headers={"Retry-After": "1", "X-RateLimit-Type": "QPS", "X-RateLimit-Category": "Light"}))
    t0 = time.monotonic()
    env = tk.execute("ZOOM_GET_A_MEETING", {"meetingId": 1})
    elapsed = time.monotonic() - t0
    assert env == {"data": {"ok": True}, "successful": True, "error": None}
    assert len(server.api_requests()) == 2
    assert 0.95 <= elapsed < 3


def test_429_on_post_is_resent_because_zoom_rejected_it(make_tk, server):
    tk = make_tk(retry=FAST)
    server.queue(Reply(429, {"code": 429, "message": "per-second rate limit"}, headers={"Retry-After": "0"}))
    env = tk.execute("ZOOM_CREATE_A_MEETING", {"userId": "me", "topic": "x"})
    assert env["successful"], env
    assert [r.method for r in server.api_requests()] == ["POST", "POST"]


def test_daily_limit_header_returns_at_once(tk, server):
    server.queue(Reply(429, {"code": 429, "message": "You have reached the maximum daily rate limit for this API."},
                       headers={"X-RateLimit-Type": "Daily-limit", "X-RateLimit-Category": "Heavy"}))
    t0 = time.monotonic()
    env = tk.execute("ZOOM_GET_A_MEETING", {"meetingId": 1})
    assert time.monotonic() - t0 < 0.5
    assert not env["successful"]
    assert len(server.api_requests()) == 1
    tomorrow = (datetime.now(timezone.utc) + timedelta(days=1)).strftime("%Y-%m-%dT00:00:00Z")
    assert "daily rate limit" in env["error"] and tomorrow in env["error"] and "heavy" in env["error"]
    assert env["data"]["code"] == 429


def test_daily_limit_retry_after_datetime(tk, server):
    server.queue(Reply(429, {"code": 429, "message": "Too many requests"},
                       headers={"Retry-After": "2030-01-02T00:00:00Z"}))
    env = tk.execute("ZOOM_GET_A_MEETING", {"meetingId": 1})
    assert not env["successful"] and "2030-01-02T00:00:00Z" in env["error"]
    assert len(server.api_requests()) == 1


def test_daily_limit_by_message_only(tk, server):
    server.queue(Reply(429, {"code": 429, "message": "You have reached the maximum daily rate limit for this API."}))
    env = tk.execute("ZOOM_LIST_MEETINGS", {"userId": "me"})
    assert not env["successful"] and "resets at" in env["error"]
    assert len(server.api_requests()) == 1


def test_per_second_429_beyond_bound_returns_with_wait(make_tk, server):
    tk = make_tk(retry=RetryPolicy(max_retries=3, max_wait=2.0))
    server.queue(Reply(429, {"code": 429, "message": "per-second rate limit"}, headers={"Retry-After": "60"}))
    env = tk.execute("ZOOM_GET_A_MEETING", {"meetingId": 1})
    assert not env["successful"] and "Retry after 60.0 s" in env["error"]
    assert len(server.api_requests()) == 1


def test_per_second_429_exhausting_retries(make_tk, server):
    tk = make_tk(retry=FAST)
    server.respond(lambda s: Reply(429, {"code": 429, "message": "per-second"}, headers={"Retry-After": "0"}))
    env = tk.execute("ZOOM_GET_A_MEETING", {"meetingId": 1})
    assert not env["successful"] and "per-second rate limit" in env["error"]
    assert len(server.api_requests()) == 3


@pytest.mark.parametrize("status", [502, 503, 504])
def test_gateway_errors_resend_idempotent_methods(make_tk, server, status):
    tk = make_tk(retry=FAST)
    for name, params, method in [("ZOOM_GET_A_MEETING", {"meetingId": 1}, "GET"),
                                 ("ZOOM_UPDATE_MEETING_STATUS", {"meetingId": 1, "action": "end"}, "PUT"),
                                 ("ZOOM_DELETE_A_MEETING", {"meetingId": 1}, "DELETE")]:
        server.reset()
        server.queue(Reply(status, {"code": status, "message": "busy"}))
        env = tk.execute(name, params)
        assert env["successful"], env
        assert [r.method for r in server.api_requests()] == [method, method]


@pytest.mark.parametrize("name,params", [("ZOOM_CREATE_A_MEETING", {"userId": "me", "topic": "x"}),
                                         ("ZOOM_UPDATE_A_MEETING", {"meetingId": 1, "topic": "x"})])
def test_gateway_errors_never_resend_post_or_patch(make_tk, server, name, params):
    tk = make_tk(retry=FAST)
    server.respond(lambda s: Reply(503, {"code": 503, "message": "busy"}))
    env = tk.execute(name, params)
    assert not env["successful"] and "HTTP 503" in env["error"]
    assert len(server.api_requests()) == 1


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_connection_refused_is_retried_then_reported(make_tk):
    tk = make_tk(base_url=f"http://127.0.0.1:{_closed_port()}", retry=FAST)
    for name, params in [("ZOOM_GET_A_MEETING", {"meetingId": 1}),
                         ("ZOOM_CREATE_A_MEETING", {"userId": "me", "topic": "x"})]:
        env = tk.execute(name, params)
        assert not env["successful"]
        assert "could not connect" in env["error"] and "after 3 attempts" in env["error"]


def test_retry_policy_backoff_is_bounded_and_jittered():
    p = RetryPolicy(backoff_base=0.5, backoff_max=8.0)
    for attempt in range(1, 10):
        waits = {p.backoff(attempt) for _ in range(20)}
        ceiling = min(8.0, 0.5 * 2 ** (attempt - 1))
        assert all(ceiling / 2 <= w <= ceiling for w in waits) and len(waits) > 1


def test_classify_429():
    h = httpx.Headers
    assert classify_429(h({"X-RateLimit-Type": "QPS", "Retry-After": "2"}), None).wait == 2.0
    assert classify_429(h({"X-RateLimit-Type": "Daily-limit"}), None).daily
    d = classify_429(h({"Retry-After": "Wed, 21 Oct 2037 07:28:00 GMT"}), None)
    assert d.daily and d.reset.year == 2037
    assert classify_429(h({}), "You have reached the maximum daily rate limit").daily
    qps = classify_429(h({}), "You have reached the maximum per-second rate limit")
    assert not qps.daily and qps.wait is None


# --- the client-side limiter -----------------------------------------------------------

class FakeClock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t


def test_limiter_single_call_never_waits():
    for plan in ("free", "pro", "business"):
        assert RateLimiter(plan).reserve("HEAVY") == 0.0


def test_limiter_paces_by_plan_and_label():
    clock = FakeClock()
    lim = RateLimiter("free", clock=clock)
    assert [lim.reserve("LIGHT") for _ in range(4)] == [0, 0, 0, 0]
    assert lim.reserve("LIGHT") == pytest.approx(1.0)
    assert lim.reserve("MEDIUM") == 0 and lim.reserve("MEDIUM") == 0
    assert lim.reserve("MEDIUM") == pytest.approx(1.0)
    clock.t += 1.0
    assert lim.reserve("HEAVY") == 0 and lim.reserve("HEAVY") == pytest.approx(1.0)
    ri = [lim.reserve("RESOURCE-INTENSIVE") for _ in range(11)]
    assert ri[:10] == [0] * 10 and ri[10] == pytest.approx(60.0)
    assert RateLimiter("business", clock=clock).limits["LIGHT"] == (80, 1.0)
    assert RateLimiter("Business+").limits["HEAVY"] == (40, 1.0)
    with pytest.raises(ValueError):
        RateLimiter("platinum")


def test_limiter_keeps_concurrent_callers_under_the_limit(make_tk, server):
    import threading
    tk = make_tk(plan="free")   # LIGHT: 4 a second
    assert tk.limiter is not None and tk.limiter.plan == "free"
    threads = [threading.Thread(target=tk.execute, args=("ZOOM_GET_A_MEETING", {"meetingId": 1})) for _ in range(6)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    arrivals = sorted(r.at for r in server.api_requests())
    assert len(arrivals) == 6
    # 4 may go at once; the 5th and 6th are held for the next second. (Measured from
    # the start, not between arrivals: on a loaded machine the first four can be late.)
    assert sum(1 for u in arrivals if u < start + 0.95) <= 4
    assert arrivals[-1] >= start + 0.95


def test_auto_plan_is_off_on_loopback_and_pro_elsewhere(make_tk, catalog):
    from zoom_actions import Toolkit
    assert make_tk().limiter is None
    assert Toolkit(access_token="x" * 12, catalog=catalog).limiter.plan == "pro"
    assert Toolkit(access_token="x" * 12, catalog=catalog, plan=None).limiter is None
