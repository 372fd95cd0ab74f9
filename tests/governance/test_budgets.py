"""A budget of 10 calls shared by 4 processes making 40: exactly 10 sent,
on the SQLite store and on a real Redis; the refusal says when it renews."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

POLICY = """
[agents.scheduler]
[[agents.scheduler.rules]]
name = "creates"
effect = "allow"
actions = ["ZOOM_CREATE_A_MEETING"]
[[agents.scheduler.budgets]]
name = "daily-creates"
actions = ["ZOOM_CREATE_A_MEETING"]
limit = 10
per = "day"
"""

WORKER = r"""
import json, sys, time, httpx2
from zoom_actions import Toolkit
policy, store, start = sys.argv[1], sys.argv[2], float(sys.argv[3])
sent = []
def zoom(request):
    sent.append(1)
    return httpx2.Response(201, json={"id": 1})
tk = Toolkit(access_token="budget-token-123456", base_url="https://api.zoom.us/v2", account_plan=None,
             transport=httpx2.MockTransport(zoom), policy=policy, agent="scheduler", store=store)
while time.time() < start:
    time.sleep(0.001)
envs = [tk.execute("ZOOM_CREATE_A_MEETING", {"userId": "me", "topic": f"t{i}"}) for i in range(10)]
print(json.dumps({"sent": len(sent), "ok": sum(e["successful"] for e in envs),
                  "refusal": next((e["error"] for e in envs if not e["successful"]), None)}))
"""


@pytest.mark.parametrize("backend", ["sqlite", "redis"])
def test_four_processes_share_one_budget(tmp_path, backend, request):
    (tmp_path / "p.toml").write_text(POLICY)
    if backend == "sqlite":
        store = f"sqlite:///{tmp_path / 'store.db'}"
    else:
        store = request.getfixturevalue("redis_url")
        import redis
        redis.Redis.from_url(store).flushdb()
    env = {**os.environ, "ZOOM_ACTIONS_AUDIT": str(tmp_path / "audit.jsonl")}
    start = time.time() + 2.5
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, str(tmp_path / "p.toml"), store, str(start)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) for _ in range(4)]
    results = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err[-2000:]
        results.append(json.loads(out.strip().splitlines()[-1]))
    assert sum(r["sent"] for r in results) == 10 and sum(r["ok"] for r in results) == 10
    refusal = next(r["refusal"] for r in results if r["refusal"])
    assert "budget 'daily-creates' is spent (10 per day); it renews at " in refusal and "T00:00:00Z" in refusal
