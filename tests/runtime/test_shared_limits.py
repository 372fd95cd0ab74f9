"""The rate limit of one account, shared by several processes on a real
Redis: together they never exceed the label's cap, each decision is one
round trip, and a Redis that is down fails as configured (in-process pacing
or an envelope), never silently unlimited."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import httpx2
import pytest

from zoom_actions import Toolkit
from zoom_actions.limiter import LimiterUnavailable
from zoom_actions.shared_limits import RedisRateLimiter

WORKER = r"""
import json, sys, time, httpx2
from zoom_actions import Toolkit
url, start, n = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
sent = []
def zoom(request):
    sent.append(time.time())
    return httpx2.Response(200, json={"id": "u"})
tk = Toolkit(access_token="worker-token-123456", transport=httpx2.MockTransport(zoom), account_plan="free",
             account_id=None, store=url, base_url="https://api.zoom.us/v2")
while time.time() < start:
    time.sleep(0.001)
ok = sum(tk.execute("ZOOM_GET_A_USER", {"userId": "me"})["successful"] for _ in range(n))
print(json.dumps({"ok": ok, "sent": sent}))
"""


def test_three_processes_share_one_accounts_cap(redis_url):
    import redis
    redis.Redis.from_url(redis_url).flushdb()
    start = time.time() + 2.0
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, redis_url, str(start), "6"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(3)]
    sent = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err[-2000:]
        result = json.loads(out.strip().splitlines()[-1])
        assert result["ok"] == 6
        sent += result["sent"]
    sent.sort()
    # ZOOM_GET_A_USER is LIGHT: 4 a second on the free plan, for the account, whoever sends
    cap = 4
    # any window of 0.75 s: a quarter second of slack for a loaded machine waking a sleeper late
    worst = max(sum(1 for t in sent if s <= t < s + 0.75) for s in sent)
    assert len(sent) == 18 and worst <= cap
    assert sent[-1] - sent[0] >= 18 / cap - 1 - 0.1   # paced to the cap for all three, not three times it


def test_one_round_trip_per_decision_and_a_window_on_redis_time(redis_url):
    import redis
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    limiter = RedisRateLimiter(client, "free", "acct-1")
    waits = [limiter.reserve("LIGHT") for _ in range(6)]   # 4 a second
    # the 5th and 6th wait for the 1st and 2nd to leave the window: about a second (less the time elapsed)
    assert waits[:4] == [0.0] * 4 and 0.8 < waits[4] <= 1.0 and 0.8 < waits[5] <= 1.0
    other = RedisRateLimiter(client, "free", "acct-2")     # another account has its own budget
    assert other.reserve("LIGHT") == 0.0
    assert client.zcard(limiter.key("LIGHT")) == 6 and "acct-1" not in limiter.key("LIGHT")


@pytest.mark.parametrize("mode", ["local", "refuse"])
def test_an_unreachable_redis_fails_as_configured(mode):
    limiter = RedisRateLimiter("redis://127.0.0.1:9/0", "free", "acct", on_unavailable=mode)
    if mode == "local":
        waits = [limiter.reserve("LIGHT") for _ in range(5)]
        assert waits[:4] == [0.0] * 4 and waits[4] > 0.5   # still paced, in this process
        return
    with pytest.raises(LimiterUnavailable, match="nothing was sent"):
        limiter.reserve("LIGHT")
    sent = []
    tk = Toolkit(access_token="refuse-token-123456", base_url="https://api.zoom.us/v2", account_plan="free",
                 transport=httpx2.MockTransport(lambda r: sent.append(r) or httpx2.Response(200, json={})))
    tk.limiter = limiter
    env = tk.execute("ZOOM_GET_A_USER", {"userId": "me"})
    tk.close()
    assert env["successful"] is False and "unreachable" in env["error"] and sent == []
