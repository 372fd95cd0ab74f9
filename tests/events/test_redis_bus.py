"""The event bus on a real Redis: worker processes share each handler's
events through consumer groups; one SIGKILLed mid-run has its unacknowledged
events taken over, so nothing is lost and a handler that keys its effect on
the idempotency key applies each event exactly once."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest

from zoom_actions.events import Events, EventLog, from_webhook
from zoom_actions.events.redis_log import RedisEventLog
from zoom_actions.store import StoreError

GROUP = "recorder"
STREAM = "zoom-actions:events"

# One handler call is one atomic script: the raw call is counted (per key and per worker) and the effect
# is applied only if absent (SADD), the way a handler makes itself exactly-once with event.dedupe_key.
WORKER = r"""
import sys, time, redis
from zoom_actions.events import Events
url, consumer, claim_idle = sys.argv[1], sys.argv[2] or None, float(sys.argv[3])
effects = redis.Redis.from_url(url, decode_responses=True)
apply = effects.register_script('''
if redis.call('SADD', 'test:effects', ARGV[1]) == 1 then redis.call('INCR', 'test:applied') end
redis.call('HINCRBY', 'test:calls', ARGV[1], 1)
redis.call('HINCRBY', 'test:by_worker', ARGV[2], 1)
''')
events = Events(store=url, consumer=consumer, claim_idle=claim_idle)
me = events.log.consumer

@events.on("meeting.*", name="recorder")
def record(event):
    apply(args=[event.dedupe_key, me])
    if effects.get("test:freeze") == me:  # the test is about to kill us: stop here, effect applied, not acked
        effects.set("test:frozen", event.dedupe_key)
        time.sleep(60)
    time.sleep(0.003)

print(me, flush=True)
events.serve_forever(block_ms=100)      # until SIGTERM
events.log.close()
effects.close()
"""


def webhook(i: int) -> dict:
    return {"event": "meeting.participant_joined", "event_ts": 1767225600000 + i, "payload": {"object": {"id": i}}}


@pytest.fixture
def r(redis_url):
    import redis
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    client.flushdb()
    yield client
    client.close()


def fill(redis_url: str, n: int = 1000) -> list[bool]:
    """``n`` events, then every tenth again (Zoom's retries): what ``accept`` answered for the repeats."""
    events = Events(store=redis_url)
    try:
        assert all(events.accept(from_webhook(webhook(i))) for i in range(n))
        repeats = [events.accept(from_webhook(webhook(i))) for i in range(0, n, 10)]
        assert events.log.count() == n
        return repeats
    finally:
        events.log.close()


def start(redis_url: str, consumer: str = "", claim_idle: float = 1.0) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-c", WORKER, redis_url, consumer, str(claim_idle)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    name = proc.stdout.readline().strip()
    assert name, proc.stderr.read()[-2000:]
    return proc, name


def wait_for(condition, timeout: float = 30.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def by_worker(r, name: str) -> int:
    return int(r.hget("test:by_worker", name) or 0)


def kill(r, proc: subprocess.Popen, name: str) -> str:
    """SIGKILL the worker ``name`` in the middle of a handler call, after its effect and before its ack
    (the worst moment); the dedupe key of that call's event."""
    r.set("test:freeze", name)
    wait_for(lambda: r.get("test:frozen"), what="the worker to be inside its handler")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    proc.stdout.close()
    proc.stderr.close()
    r.delete("test:freeze")
    return r.get("test:frozen")


def held_keys(r, consumer: str) -> set[str]:
    """The dedupe keys of the entries ``consumer`` holds unacknowledged."""
    ids = [p["message_id"] for p in r.xpending_range(STREAM, GROUP, "-", "+", 1000, consumername=consumer)]
    return {json.loads(r.xrange(STREAM, i, i)[0][1]["body"])["dedupe_key"] for i in ids}


def drained(r) -> bool:
    return int(r.get("test:applied") or 0) >= 1000 and r.xpending(STREAM, GROUP)["pending"] == 0


def stop(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        p.send_signal(signal.SIGTERM)
    for p in procs:
        _, err = p.communicate(timeout=20)
        assert p.returncode == 0, err[-2000:]


def check_effects(r, held: set[str], in_flight: str) -> None:
    """0 lost, 0 applied twice; the only raw call beyond 1,000 is the one the kill interrupted after its
    effect (delivered again, since it was never acknowledged: the idempotency key absorbs it)."""
    assert r.scard("test:effects") == 1000 and int(r.get("test:applied")) == 1000
    calls = {k: int(v) for k, v in r.hgetall("test:calls").items()}
    assert len(calls) == 1000                                     # every event reached the handler
    assert in_flight in held                                      # it held the interrupted call's entry...
    assert {k for k, n in calls.items() if n > 1} == {in_flight}  # ...and only that one was called twice
    assert sum(calls.values()) == 1001


def test_three_workers_share_the_work_and_survive_one_killed(redis_url, r):
    assert fill(redis_url) == [False] * 100                       # the repeats were dropped as duplicates
    procs, names = zip(*(start(redis_url, claim_idle=1.0) for _ in range(3)))
    victim, survivors = procs[0], list(procs[1:])
    try:
        wait_for(lambda: by_worker(r, names[0]) >= 40, what="the first worker to handle some events")
        in_flight = kill(r, victim, names[0])
        held = held_keys(r, names[0])
        done_by_victim = by_worker(r, names[0])
        assert int(r.get("test:applied") or 0) < 900              # killed in the middle
        wait_for(lambda: drained(r), what="the survivors to finish")
        stop(survivors)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.communicate()
    check_effects(r, held, in_flight)
    assert by_worker(r, names[0]) == done_by_victim
    assert all(by_worker(r, n) > 0 for n in names[1:])             # the survivors shared the rest
    assert not r.xpending_range(STREAM, GROUP, "-", "+", 10, consumername=names[0])   # its entries were taken


@pytest.mark.parametrize("restart", ["same name", "new name"])
def test_a_restarted_worker_loses_nothing(redis_url, r, restart):
    """Under its old consumer name it resumes its own pending entries first (claim_idle is a minute, so
    no takeover could explain it); under a new one it takes them over once they are idle."""
    fill(redis_url)
    name, claim_idle = ("worker-1", 60.0) if restart == "same name" else ("", 0.5)
    first, first_name = start(redis_url, name, claim_idle)
    try:
        wait_for(lambda: by_worker(r, first_name) >= 300, what="the worker to handle 300 events")
        in_flight = kill(r, first, first_name)
        held = held_keys(r, first_name)
        assert int(r.get("test:applied")) < 1000
        second, second_name = start(redis_url, name, claim_idle)
        assert (second_name == first_name) == (restart == "same name")
        try:
            wait_for(lambda: drained(r), what="the restarted worker to finish")
            stop([second])
        finally:
            if second.poll() is None:
                second.kill()
                second.communicate()
    finally:
        if first.poll() is None:
            first.kill()
    check_effects(r, held, in_flight)


def test_unreachable_redis_is_a_clear_error_naming_the_url_without_its_password():
    with socket.socket() as s:                                    # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    started = time.monotonic()
    with pytest.raises(StoreError) as refused:
        Events(store=f"redis://:s3cret-pw@127.0.0.1:{closed}/0")
    text = str(refused.value)
    assert f"127.0.0.1:{closed}" in text and "unreachable" in text and "s3cret-pw" not in text
    with socket.socket() as silent:                               # accepts the connection, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        with pytest.raises(StoreError) as mute:
            Events(store=f"redis://user:s3cret-pw@127.0.0.1:{port}/0", timeout=0.5)
    assert f"127.0.0.1:{port}" in str(mute.value) and "s3cret-pw" not in str(mute.value)
    assert time.monotonic() - started < 5                         # not a hang


def test_the_store_setting_picks_the_log(redis_url, r, tmp_path, monkeypatch):
    monkeypatch.setenv("ZOOM_ACTIONS_STORE", redis_url)
    on_redis = Events()
    assert isinstance(on_redis.log, RedisEventLog) and on_redis.log.path == redis_url
    on_redis.log.close()
    explicit = Events(tmp_path / "events.db")                     # an explicit path keeps SQLite
    assert isinstance(explicit.log, EventLog)
    explicit.log.close()
    monkeypatch.setenv("ZOOM_ACTIONS_STORE", f"sqlite://{tmp_path / 'state' / 'store.db'}")
    beside = Events()
    assert isinstance(beside.log, EventLog) and beside.log.path == tmp_path / "state" / "events.db"
    beside.log.close()


def test_one_worker_keeps_order_and_retries_a_failure_first(redis_url, r):
    events = Events(store=redis_url, batch=3)
    seen, failures = [], [2]
    for i in range(8):
        events.accept(from_webhook(webhook(i)))

    @events.on("meeting.*", name="ordered")
    def ordered(event):
        i = event.payload["object"]["id"]
        if i == 4 and failures[0]:
            failures[0] -= 1
            raise RuntimeError("not yet")
        seen.append(i)

    other = []
    events.on("recording.*", name="other")(lambda event: other.append(event))   # takes none: all acked
    try:
        while events._round(100).seen:
            pass
        assert seen == list(range(8)) and other == []
        assert r.xpending(STREAM, "ordered")["pending"] == 0 and r.xpending(STREAM, "other")["pending"] == 0
        assert not events.accept(from_webhook(webhook(3)))
        for i in range(8, 13):
            events.accept(from_webhook(webhook(i)))
        assert events.run_pending(limit=4) == 4 and events.run_pending() == 1   # batches of 3, up to limit
        assert seen == list(range(13))
    finally:
        events.log.close()


def test_a_slow_handler_keeps_its_event_from_other_workers(redis_url, r):
    """A call longer than claim_idle: the heartbeat re-claims the entry, so no other worker takes it."""
    slow = Events(store=redis_url, consumer="slow", claim_idle=0.3)
    other = Events(store=redis_url, consumer="other", claim_idle=0.3)
    calls = {"slow": 0, "other": 0}
    inside = threading.Event()

    @slow.on(name="h")
    def take_long(event):
        calls["slow"] += 1
        inside.set()
        time.sleep(1.2)                                           # four times claim_idle

    @other.on(name="h")
    def quick(event):
        calls["other"] += 1

    slow.accept(from_webhook(webhook(1)))
    done = threading.Event()
    worker = threading.Thread(target=lambda: (slow.run_pending(), done.set()))
    worker.start()
    try:
        assert inside.wait(5)
        while not done.is_set():
            other.work(done, block_ms=50)
        worker.join(5)
        assert calls == {"slow": 1, "other": 0}
        assert r.xpending(STREAM, "h")["pending"] == 0
    finally:
        done.set()
        worker.join(5)
        slow.log.close()
        other.log.close()


def test_serve_forever_wakes_for_a_new_event_and_stops(redis_url, r):
    events = Events(store=redis_url)
    got, stopping = [], threading.Event()
    events.on(name="h")(lambda event: (got.append(event.id), stopping.set()))
    worker = threading.Thread(target=events.serve_forever, args=(stopping,), kwargs={"block_ms": 2000})
    worker.start()
    try:
        time.sleep(0.2)                                           # let it block in XREAD first
        started = time.monotonic()
        event = from_webhook(webhook(7))
        producer = Events(store=redis_url)
        producer.accept(event)
        producer.log.close()
        worker.join(5)
        assert got == [event.id] and time.monotonic() - started < 1.5   # woken, not at the end of its wait
    finally:
        stopping.set()
        worker.join(5)
        events.log.close()


def test_sinks_register_in_one_line(redis_url, r, tmp_path):
    from zoom_actions.events.sinks import read_jsonl
    events = Events(store=redis_url)
    try:
        sink = events.to_jsonl(tmp_path / "out.jsonl", "meeting.*")
        assert events._handlers[-1][0] == sink.name == f"jsonl:{tmp_path / 'out.jsonl'}"
        forward = events.forward("http://127.0.0.1:9/hook", "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "x.*")
        assert events._handlers[-1][0] == forward.name and events._handlers[-1][1] == ("x.*",)
        events.accept(from_webhook(webhook(1)))
        assert events.run_pending() == 1                          # the forward takes no meeting event
        assert [e.payload["object"]["id"] for e in read_jsonl(tmp_path / "out.jsonl")] == [1]
        forward.close()
    finally:
        events.log.close()


def test_dead_consumers_holding_nothing_are_forgotten(redis_url, r, monkeypatch):
    from zoom_actions.events import redis_log
    monkeypatch.setattr(redis_log, "FORGET_AFTER_S", 0.0)        # an hour, in production
    events = Events(store=redis_url, consumer="alive", claim_idle=0.05)
    events.on(name="h")(lambda event: None)
    try:
        for i in range(2):
            events.accept(from_webhook(webhook(i)))
        r.xgroup_create(STREAM, "h", id="0")
        [(_, [(first, _), (second, _)])] = r.xreadgroup("h", "gone", {STREAM: ">"}, count=2)
        r.xack(STREAM, "h", first)                                # "gone" died holding one entry
        assert events.log._forget(keys=[STREAM], args=["h", "gone"]) == 0   # never while it holds one
        wait_for(lambda: r.xpending(STREAM, "h")["consumers"][0]["pending"] == 1 and
                 int(r.xinfo_consumers(STREAM, "h")[0]["idle"]) > 600, what="it to be idle")
        assert events.run_pending() == 1                          # taken over, then its name forgotten
        assert [c["name"] for c in r.xinfo_consumers(STREAM, "h")] == ["alive"]
    finally:
        events.log.close()
