"""Injected 429s shaped like Zoom's, and latency, for testing backoff."""

from __future__ import annotations

import re
import time

import pytest


def test_every_nth_request_is_rate_limited_like_zoom(sandbox, client):
    sandbox.faults = {"rate_limit_every": 3}
    codes = [client.get("/users/me").status_code for _ in range(6)]
    assert codes == [200, 200, 429, 200, 200, 429]
    sandbox.faults = {"rate_limit_every": 1}
    r = client.get("/users/me/meetings")
    assert r.json() == {"code": 429, "message": "You have reached the maximum per-second rate limit for this API. "
                                                "Try again later."}
    assert r.headers["X-RateLimit-Category"] == "Medium" and r.headers["X-RateLimit-Type"] == "QPS"
    assert r.headers["X-RateLimit-Remaining"] == "0" and "Retry-After" not in r.headers
    assert client.get("/users/me").headers["X-RateLimit-Category"] == "Light"


def test_daily_limit_says_when_it_resets(sandbox, client):
    sandbox.faults = {"rate_limit_first": 1, "rate_limit_type": "Daily-limit"}
    r = client.get("/users/me")
    assert r.status_code == 429 and r.headers["X-RateLimit-Type"] == "Daily-limit"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT00:00:00Z", r.headers["Retry-After"])
    assert "daily" in r.json()["message"]
    assert client.get("/users/me").status_code == 200


def test_retry_after_seconds_on_per_second_limits_when_asked(sandbox, client):
    sandbox.faults = {"rate_limit_first": 1, "retry_after_seconds": 1}
    assert client.get("/users/me").headers["Retry-After"] == "1"


def test_latency(sandbox, client):
    client.get("/users/me")
    sandbox.faults = {"latency_ms": 150}
    started = time.monotonic()
    assert client.get("/users/me").status_code == 200
    assert time.monotonic() - started >= 0.15


def test_unknown_fault_settings_are_refused(sandbox):
    with pytest.raises(ValueError, match="rate_limit_evry"):
        sandbox.faults = {"rate_limit_evry": 2}
    with pytest.raises(ValueError):
        sandbox.faults = {"rate_limit_type": "hourly"}


def test_the_toolkit_backs_off_and_succeeds(sandbox, catalog):
    from zoom_actions import Toolkit
    from zoom_actions.retry import RetryPolicy
    sandbox.faults = {"rate_limit_first": 2}
    with Toolkit(base_url=sandbox.base_url, access_token="sandbox-test-token", plan=None, catalog=catalog,
                 retry=RetryPolicy(max_retries=3, backoff_base=0.01, backoff_max=0.05)) as tk:
        env = tk.execute("ZOOM_GET_A_USER", {"userId": "me"})
    assert env["successful"], env["error"]
    assert env["data"]["email"] == "avery.chen@example.com"
