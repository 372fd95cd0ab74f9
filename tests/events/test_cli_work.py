"""`zoom-actions events work`: delivery workers from the command line; two of them on one Redis share the
log's events, each written once to the sink between them, and stop cleanly on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from zoom_actions.events import Events, from_webhook


def _lines(path) -> list[dict]:
    return [json.loads(x) for x in path.read_text().splitlines() if x.strip()] if path.exists() else []


def test_two_workers_on_redis_write_each_event_once(redis_url, tmp_path):
    import redis
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    client.close()
    out = tmp_path / "events.jsonl"
    env = {**os.environ, "ZOOM_ACTIONS_STORE": redis_url}
    workers = [subprocess.Popen([sys.executable, "-m", "zoom_actions", "events", "work", "--jsonl", str(out)],
                                env=env, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    try:
        events = Events(store=redis_url)
        for i in range(200):
            events.accept(from_webhook({"event": "meeting.started", "event_ts": 1767225600000 + i,
                                        "payload": {"object": {"id": i}}}))
        events.log.close()
        deadline = time.monotonic() + 30
        while len(_lines(out)) < 200 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)   # nothing more arrives: no event written twice
        lines = _lines(out)
        assert len(lines) == 200 and len({x["id"] for x in lines}) == 200
        assert {x["payload"]["object"]["id"] for x in lines} == set(range(200))
    finally:
        for w in workers:
            w.send_signal(signal.SIGTERM)
        errs = [w.communicate(timeout=20)[1] for w in workers]
        codes = [w.returncode for w in workers]
    assert codes == [0, 0], errs
    assert all("delivering" in e for e in errs)


def test_work_without_a_sink_says_what_to_give(tmp_path):
    done = subprocess.run([sys.executable, "-m", "zoom_actions", "events", "work", "--log", str(tmp_path / "e.db")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "--forward URL or --jsonl PATH" in done.stderr
