"""Three worker processes sharing one subscription on a real Redis poll it
once per interval window between them, and a change they all could see is
emitted once."""

from __future__ import annotations

import json
import subprocess
import sys

from zoom_actions import Toolkit
from zoom_actions.events import Events
from zoom_actions.sandbox import open_in_process
from zoom_actions.triggers import Triggers

USER = "ZOOM_USER_INFORMATION_CHANGED_TRIGGER"
CONFIG = {"user_id": "me", "interval": 1 / 60}     # 1 s windows
WINDOWS = 10

WORKER = r"""
import json, sys
from zoom_actions import Toolkit
from zoom_actions.events import Events
from zoom_actions.triggers import Triggers
redis_url, sandbox_db, log_path = sys.argv[1:4]
t0, windows = float(sys.argv[4]), int(sys.argv[5])
now = [t0]
tk = Toolkit(sandbox=sandbox_db)
calls = []
tk.after_execute("ZOOM_GET_A_USER")(lambda action, env: calls.append(env["successful"]))
triggers = Triggers(tk, Events(log_path), redis_url, clock=lambda: now[0])
triggers.subscribe(sys.argv[6], json.loads(sys.argv[7]))
print("ready", flush=True)
sys.stdin.readline()                      # all three start polling together
polled, emitted, failed = [], 0, []
for w in range(windows):                  # each worker's clock goes through the same ten windows
    now[0] = t0 + w
    for result in triggers.poll_due():
        polled.append(w)
        emitted += len(result.events)
        failed += [result.error] if not result.ok else []
print(json.dumps({"polled": polled, "calls": calls, "emitted": emitted, "failed": failed}), flush=True)
"""


def test_three_workers_poll_one_subscription_once_per_interval(redis_url, tmp_path, catalog):
    import redis
    redis.Redis.from_url(redis_url).flushdb()
    sandbox_db, log_path = tmp_path / "sandbox.db", tmp_path / "events.db"
    open_in_process(db=sandbox_db, catalog=catalog).close()        # seeded once, before the workers open it
    t0 = float(10_000_000)                                          # a clock of their own, from a whole minute
    with Toolkit(sandbox=sandbox_db, catalog=catalog) as tk:
        setup = Triggers(tk, Events(log_path), redis_url, clock=lambda: t0 - 1)
        sub = setup.subscribe(USER, CONFIG)
        [first] = setup.poll_due()                                  # the baseline, in the window before
        assert first.baseline
        assert tk.execute("ZOOM_UPDATE_A_USER", {"userId": "me", "dept": "Platform"})["successful"]
        setup.close()
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, redis_url, str(sandbox_db), str(log_path), str(t0),
                               str(WINDOWS), USER, json.dumps(CONFIG)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(3)]
    try:
        for p in procs:
            assert p.stdout.readline().strip() == "ready", p.stderr.read()[-2000:]
        for p in procs:
            p.stdin.write("go\n")
            p.stdin.flush()
        reports = []
        for p in procs:
            out, err = p.communicate(timeout=120)
            assert p.returncode == 0, err[-2000:]
            reports.append(json.loads(out.strip().splitlines()[-1]))
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    polled = sorted(w for r in reports for w in r["polled"])
    assert polled == list(range(WINDOWS))                           # every window once, by one of the three
    assert sum(len(r["calls"]) for r in reports) == WINDOWS          # Zoom was asked once per window
    assert all(r["failed"] == [] for r in reports)
    assert sum(r["emitted"] for r in reports) == 1                   # the one change, once
    log = Events(log_path).log
    [event] = log.recent(10)
    assert event.type == USER and event.payload["changes_detected"]["dept"]["new"] == "Platform"
    assert sub.startswith("trg_")
    log.close()
