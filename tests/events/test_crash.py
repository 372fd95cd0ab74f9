"""A worker killed with SIGKILL in the middle of 1,000 events, then
restarted: no event lost, and a handler that keys its effect on the
idempotency key applies each exactly once."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

from zoom_actions.events import Events, from_webhook

WORKER = r"""
import sqlite3, sys, time
from zoom_actions.events import Events
events = Events(sys.argv[1])
effects = sqlite3.connect(sys.argv[2], isolation_level=None)
effects.execute("CREATE TABLE IF NOT EXISTS effects (key TEXT PRIMARY KEY)")
effects.execute("CREATE TABLE IF NOT EXISTS calls (n INTEGER)")

@events.on("meeting.*", name="recorder")
def record(event):
    effects.execute("INSERT INTO calls VALUES (1)")
    effects.execute("INSERT OR IGNORE INTO effects VALUES (?)", (event.dedupe_key,))   # exactly-once effect
    time.sleep(0.002)

while events.run_pending(limit=50):
    pass
"""


def test_sigkill_mid_run_loses_nothing_and_applies_nothing_twice(tmp_path):
    log_path, effects_path = tmp_path / "events.db", tmp_path / "effects.db"
    events = Events(log_path)
    for i in range(1000):
        assert events.accept(from_webhook({"event": "meeting.participant_joined", "event_ts": 1767225600000 + i,
                                           "payload": {"object": {"id": i}}}))
    events.log.close()
    worker = [sys.executable, "-c", WORKER, str(log_path), str(effects_path)]
    first = subprocess.Popen(worker)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        time.sleep(0.1)
        if effects_path.exists():
            try:
                n = sqlite3.connect(effects_path).execute("SELECT COUNT(*) FROM calls").fetchone()[0]
            except sqlite3.OperationalError:
                continue
            if n >= 300:
                break
    os.kill(first.pid, signal.SIGKILL)
    first.wait(10)
    done_before = sqlite3.connect(effects_path).execute("SELECT COUNT(*) FROM effects").fetchone()[0]
    assert 300 <= done_before < 1000   # killed in the middle
    assert subprocess.run(worker, timeout=120).returncode == 0
    db = sqlite3.connect(effects_path)
    assert db.execute("SELECT COUNT(*) FROM effects").fetchone()[0] == 1000        # nothing lost
    calls = db.execute("SELECT COUNT(*) FROM calls").fetchone()[0]
    assert 1000 <= calls <= 1001   # at most the one in flight at the kill is delivered again
