"""Daily caps (per account and pool, and 100 meeting creates and updates per
user) and what Zoom's answers teach the limiter, in process and on a real
Redis, against the load's Zoom stand-in (Starlette on uvicorn, 127.0.0.1),
which enforces Zoom's limits and answers with its 429 bodies and
``X-RateLimit-*`` headers. A cap used up is an envelope that says which cap
and when it resets, and nothing is sent."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import time
from datetime import datetime, timezone
from types import SimpleNamespace

import httpx2
import pytest

from bench.load.standin import SEED_MEETING, StandIn, StandInServer, build_app
from zoom_actions import Toolkit
from zoom_actions.limiter import CapReached, CapSubject, RateLimiter, cap_subject, next_midnight
from zoom_actions.shared_limits import RedisRateLimiter

ACCOUNT, CLIENT, SECRET = "caps-account", "caps-client", "caps-client-secret-123456"
POOL = "pool:HEAVY+RESOURCE-INTENSIVE"


def _midnight_text() -> set[str]:
    """Next midnight UTC as the envelope spells it (either side of a midnight passing during the test)."""
    now = time.time()
    return {datetime.fromtimestamp(next_midnight(t), timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
            for t in (now - 5, now + 5)}


@pytest.fixture
def standin(catalog):
    state = StandIn(catalog, plan="pro", account_id=ACCOUNT, client_id=CLIENT, client_secret=SECRET,
                    control_key="caps-control-key")
    basic = "Basic " + base64.b64encode(f"{CLIENT}:{SECRET}".encode()).decode()
    _, body = state.issue(basic, {"grant_type": "account_credentials", "account_id": ACCOUNT})
    server = StandInServer(build_app(state))
    server.start()
    yield SimpleNamespace(state=state, base=server.origin + "/v2", token=body["access_token"])
    server.stop()


@pytest.fixture
def redis_client(redis_url):
    import redis
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    yield client
    client.close()


def _toolkit(standin, catalog, store=None, **kw) -> Toolkit:
    return Toolkit(access_token=standin.token, base_url=standin.base, account_plan="pro", store=store,
                   catalog=catalog, **kw)


def _limiter(kind: str, request, account: str = "acct"):
    if kind == "process":
        return RateLimiter("pro")
    return RedisRateLimiter(request.getfixturevalue("redis_client"), "pro", account)


def test_whose_cap_a_request_spends(catalog):
    create, update = catalog.get("ZOOM_CREATE_A_MEETING"), catalog.get("ZOOM_UPDATE_A_MEETING")
    assert cap_subject(create, "/users/Alice%40Example.com/meetings") == ("user:alice@example.com", "meeting")
    assert cap_subject(create, "/users/me/meetings") == ("user:me", "meeting")   # the token's own user
    assert cap_subject(catalog.get("ZOOM_CREATE_A_WEBINAR"), "/users/bob/webinars") == ("user:bob", "webinar")
    assert cap_subject(update, "/meetings/85746065432") == ("meeting:85746065432", None)
    assert cap_subject(catalog.get("ZOOM_GET_A_MEETING"), "/meetings/1") is None
    assert cap_subject(catalog.get("ZOOM_LIST_MEETINGS"), "/users/me/meetings") is None


@pytest.mark.parametrize("kind", ["process", "redis"])
def test_a_user_gets_100_meeting_creates_and_updates_a_day(kind, request):
    lim = _limiter(kind, request)
    alice = CapSubject("user:alice@example.com", "meeting")
    for _ in range(100):
        lim.reserve("MEDIUM", alice)          # the waits are returned, not slept: only the counts matter here
    with pytest.raises(CapReached) as refused:
        lim.reserve("MEDIUM", alice)
    assert refused.value.key == alice.key and refused.value.cap == 100 and not refused.value.by_zoom
    assert refused.value.data["rate_limit"]["resets_at"] in _midnight_text()
    assert "alice@example.com" in str(refused.value) and "00:00 UTC" in str(refused.value)
    # an update counts against the host the limiter learned when the meeting was created
    lim.learn("MEDIUM", alice, 201, httpx2.Headers(), {"id": 4242, "topic": "x"})
    with pytest.raises(CapReached, match="alice@example.com"):
        lim.reserve("LIGHT", CapSubject("meeting:4242", None))
    # other users, `me` (the token's own user) and a meeting of unknown host have their own counts
    for other in ("user:bob@example.com", "user:me", "meeting:777"):
        assert lim.reserve("LIGHT", CapSubject(other, None)) >= 0


def test_a_used_up_user_cap_is_an_envelope_and_nothing_is_sent(standin, catalog, redis_client, redis_url):
    tk = _toolkit(standin, catalog, redis_url)
    # another process on the account (its windows apart: another plan) already created 99 for alice today
    other = RedisRateLimiter(redis_client, "business", standin.token)
    for _ in range(99):
        other.reserve("MEDIUM", CapSubject("user:alice@example.com", "meeting"))
    made = tk.execute("ZOOM_CREATE_A_MEETING", {"userId": "alice@example.com", "topic": "hundredth", "type": 2})
    assert made["successful"], made["error"]
    refused = tk.execute("ZOOM_CREATE_A_MEETING", {"userId": "alice@example.com", "topic": "one-more", "type": 2})
    assert refused["successful"] is False and "not sent" in refused["error"]
    assert "meeting and webinar creates and updates for user 'alice@example.com'" in refused["error"]
    assert refused["data"]["rate_limit"]["resets_at"] in _midnight_text()
    update = tk.execute("ZOOM_UPDATE_A_MEETING", {"meetingId": made["data"]["id"], "agenda": "moved"})
    assert update["successful"] is False and "alice@example.com" in update["error"]
    state = standin.state
    assert state.posts_received == {"hundredth": 1}                   # the refused ones never left
    assert state.status.get(204, 0) == 0 and state.user_used["alice@example.com"] == 1
    assert tk.execute("ZOOM_CREATE_A_MEETING", {"userId": "bob@example.com", "topic": "bob's", "type": 2})["successful"]
    tk.close()


WORKER = r"""
import json, sys
from zoom_actions import Toolkit
base, store, token, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
tk = Toolkit(access_token=token, base_url=base, account_plan="pro", store=store)
sys.stdin.readline()                      # the start line
envs = [tk.execute("ZOOM_GET_DAILY_USAGE_REPORT", {"year": 2030, "month": 5}) for _ in range(n)]
print(json.dumps({"ok": sum(e["successful"] for e in envs), "errors": [e["error"] for e in envs if e["error"]]}))
tk.close()
"""


def test_the_accounts_daily_cap_is_shared_by_processes(standin, redis_client, redis_url):
    # another app already spent all but 10 of today's heavy and resource-intensive requests, and Zoom said so
    standin.state.spend("HEAVY", 29_990)
    RedisRateLimiter(redis_client, "pro", standin.token).learn(
        "HEAVY", None, 200, httpx2.Headers({"X-RateLimit-Category": "Heavy", "X-RateLimit-Type": "Daily-limit",
                                            "X-RateLimit-Limit": "30000", "X-RateLimit-Remaining": "10"}), {})
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, standin.base, redis_url, standin.token, "6"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(3)]
    for p in procs:                       # all three start together
        p.stdin.write("go\n")
        p.stdin.flush()
    results = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err[-2000:]
        results.append(json.loads(out.strip().splitlines()[-1]))
    assert sum(r["ok"] for r in results) == 10                     # exactly what was left, across the three
    errors = [e for r in results for e in r["errors"]]
    assert len(errors) == 8 and all("not sent: the account's daily cap for HEAVY and RESOURCE-INTENSIVE" in e
                                    for e in errors)
    assert len(standin.state.served["HEAVY"]) == 10 and standin.state.refused == []   # Zoom never had to say 429


def test_a_429_blocks_its_label_for_every_worker(standin, catalog, redis_client, redis_url):
    tk = _toolkit(standin, catalog, redis_url, max_retries=0)
    other_worker = RedisRateLimiter(redis_client, "pro", standin.token)
    standin.state.burst("HEAVY")          # another app on the account just spent this second's heavy budget
    env = tk.execute("ZOOM_GET_DAILY_USAGE_REPORT", {"year": 2030, "month": 5})
    assert env["successful"] is False and "per-second rate limit" in env["error"]
    wait = other_worker.reserve("HEAVY")
    assert 0.5 < wait <= 1.0 + other_worker.margin    # until Zoom's Retry-After (1 s), for a worker that never saw it
    assert other_worker.reserve("LIGHT") == 0.0        # other labels are not held
    tk.close()


def test_daily_headers_and_a_daily_429_correct_the_shared_count(standin, catalog, redis_client, redis_url):
    tk = _toolkit(standin, catalog, redis_url)
    day = int(time.time() // 86400)
    count_key = f"{tk.limiter.prefix}day:{POOL}:{day}"
    standin.state.spend("HEAVY", 29_000)  # another app's spending, which Zoom's headers reveal
    assert tk.execute("ZOOM_GET_DAILY_USAGE_REPORT", {"year": 2030, "month": 5})["successful"]
    assert int(redis_client.get(count_key)) == 29_001
    assert redis_client.hget(f"{tk.limiter.prefix}learned", f"cap:{POOL}") == b"30000"
    standin.state.spend("HEAVY", 999)     # now the pool is used up at Zoom
    env = tk.execute("ZOOM_GET_DAILY_USAGE_REPORT", {"year": 2030, "month": 5})
    assert env["successful"] is False and "daily rate limit" in env["error"]
    other_worker = RedisRateLimiter(redis_client, "pro", standin.token)
    for label in ("HEAVY", "RESOURCE-INTENSIVE"):      # one pool for both labels on the pro plan
        with pytest.raises(CapReached) as closed:
            other_worker.reserve(label)
        assert closed.value.by_zoom and closed.value.data["rate_limit"]["resets_at"] in _midnight_text()
    assert other_worker.reserve("LIGHT") == 0.0
    served = len(standin.state.served["HEAVY"])
    refused = tk.execute("ZOOM_GET_DAILY_USAGE_REPORT", {"year": 2030, "month": 5})
    assert "not sent" in refused["error"] and "Zoom answered 429" in refused["error"]
    assert len(standin.state.served["HEAVY"]) == served and len(standin.state.refused) == 1
    tk.close()


def test_only_news_costs_a_round_trip(redis_client):
    def evalsha_calls() -> int:
        return int(redis_client.info("commandstats").get("cmdstat_evalsha", {}).get("calls", 0))
    lim = RedisRateLimiter(redis_client, "pro", "acct-news")
    daily = {"X-RateLimit-Category": "Heavy", "X-RateLimit-Type": "Daily-limit", "X-RateLimit-Limit": "30000"}
    lim.reserve("HEAVY")
    before = evalsha_calls()
    lim.learn("HEAVY", None, 200, httpx2.Headers({**daily, "X-RateLimit-Remaining": "29999"}), {})  # the cap: news
    lim.learn("HEAVY", None, 200, httpx2.Headers({**daily, "X-RateLimit-Remaining": "29999"}), {})  # the same again
    lim.learn("HEAVY", None, 200, httpx2.Headers({**daily, "X-RateLimit-Remaining": "29999"}), {})
    assert evalsha_calls() - before == 1
    lim.learn("HEAVY", None, 200, httpx2.Headers({**daily, "X-RateLimit-Remaining": "29000"}), {})  # others spent
    assert evalsha_calls() - before == 2
    lim.learn("LIGHT", None, 200, httpx2.Headers(), {"id": 1})      # an answer that says nothing
    assert evalsha_calls() - before == 2
    lim.reserve("HEAVY")
    assert evalsha_calls() - before == 3                             # a decision: one round trip


def test_in_process_the_same_lessons_apply(standin, catalog):
    tk = _toolkit(standin, catalog, max_retries=0)
    assert type(tk.limiter) is RateLimiter
    standin.state.burst("HEAVY")
    assert tk.execute("ZOOM_GET_DAILY_USAGE_REPORT", {"year": 2030, "month": 5})["successful"] is False
    assert tk.limiter.reserve("HEAVY") > 0.5 and tk.limiter.reserve("LIGHT") == 0.0
    assert tk.execute("ZOOM_GET_A_MEETING", {"meetingId": SEED_MEETING})["successful"]
    standin.state.spend("HEAVY", 30_000)
    env = tk.execute("ZOOM_GET_DAILY_USAGE_REPORT", {"year": 2030, "month": 5})
    assert env["successful"] is False and "daily rate limit" in env["error"]
    with pytest.raises(CapReached) as closed:
        tk.limiter.reserve("RESOURCE-INTENSIVE")
    assert closed.value.by_zoom and closed.value.key == POOL
    tk.close()
