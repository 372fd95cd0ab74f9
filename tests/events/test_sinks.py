"""Event sinks against real servers: forwarding to a Starlette receiver under
uvicorn (loopback) that verifies Standard Webhooks signatures with the
``standardwebhooks`` package and dedupes on ``webhook-id``; retries, backoff,
Retry-After, refusals; JSONL written by two processes at once; the CLI flags."""

from __future__ import annotations

import base64
import json
import logging
import os
import socket
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict

import httpx2
import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from zoom_actions.events import Events, from_webhook
from zoom_actions.events.sinks import Forward, ForwardError, JsonlSink, attach, read_jsonl

SECRET = "whsec_" + base64.b64encode(b"a-32-byte-standard-webhooks-key!").decode()


class Receiver:
    """A Standard Webhooks receiver: ``plan(webhook_id, attempt)`` says what to answer
    (status, headers); verified deliveries are kept once per webhook-id."""

    def __init__(self, secret=SECRET, plan=None) -> None:
        self.webhook = Webhook(secret)
        self.plan = plan or (lambda wid, n: (200, {}))
        self.attempts: Counter = Counter()
        self.times: dict[str, list[float]] = defaultdict(list)
        self.accepted: dict[str, dict] = {}     # webhook-id -> body, once
        self.bad = 0
        self.lock = threading.Lock()

    def app(self):
        from starlette.applications import Starlette
        from starlette.responses import PlainTextResponse
        from starlette.routing import Route

        async def hook(request):
            body = await request.body()
            try:
                payload = self.webhook.verify(body, dict(request.headers))
            except WebhookVerificationError:
                with self.lock:
                    self.bad += 1
                return PlainTextResponse("bad signature", status_code=401)
            wid = request.headers["webhook-id"]
            with self.lock:
                self.attempts[wid] += 1
                self.times[wid].append(time.monotonic())
                status, headers = self.plan(wid, self.attempts[wid])
                if 200 <= status < 300:
                    self.accepted.setdefault(wid, payload)   # dedupe by webhook-id
            return PlainTextResponse("ok" if status < 300 else "no", status_code=status, headers=headers)

        return Starlette(routes=[Route("/hook", hook, methods=["POST"])])


@pytest.fixture()
def serve():
    import uvicorn
    running = []

    def start(receiver: Receiver) -> str:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        server = uvicorn.Server(uvicorn.Config(receiver.app(), log_level="warning", lifespan="off"))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        running.append((server, thread, sock))
        assert _wait(lambda: server.started, 10)
        return f"http://127.0.0.1:{sock.getsockname()[1]}/hook"
    yield start
    for server, thread, sock in running:
        server.should_exit = True
        thread.join(5)
        sock.close()


@pytest.fixture()
def events(tmp_path):
    ev = Events(tmp_path / "events.db")
    yield ev
    ev.log.close()


def _wait(cond, timeout=10.0):
    end = time.monotonic() + timeout
    while not cond() and time.monotonic() < end:
        time.sleep(0.01)
    return cond()


def _accept(events, n, kind="meeting.participant_joined", start=0):
    made = []
    for i in range(start, start + n):
        event = from_webhook({"event": kind, "event_ts": 1767225600000 + i,
                              "payload": {"account_id": "acc1", "object": {"id": i}}})
        assert events.accept(event)
        made.append(event)
    return made


def _fast(url, secret=SECRET, **kw):
    return Forward(url, secret, **{"timeout": 5, "backoff": 0.01, "backoff_max": 0.05, **kw})


def test_deliveries_are_signed_with_standard_webhooks_and_verify(serve, events):
    receiver = Receiver()
    url = serve(receiver)
    made = _accept(events, 3)
    with _fast(url) as sink:
        assert sink.name == f"forward:{url}"
        attach(events, sink, "meeting.*")
        assert events.run_pending() == 3
    assert receiver.bad == 0 and list(receiver.accepted) == [e.id for e in made]   # webhook-id = event id, in order
    assert receiver.accepted[made[0].id] == json.loads(made[0].to_json())           # the envelope, verbatim
    assert events.run_pending() == 0                                                # nothing sent twice

    raw = Receiver(secret=b"a raw secret")                 # a raw secret is used as its bytes
    raw_url = serve(raw)
    with _fast(raw_url, "a raw secret") as sink:
        sink(made[0])
    assert list(raw.accepted) == [made[0].id]
    wrong = Receiver(secret="whsec_" + base64.b64encode(b"someone else's key").decode())
    with _fast(serve(wrong), SECRET) as sink:
        sink(made[0])                                      # 401 from the receiver: a refusal, not retried
        assert sink.stats["refused"] == 1 and sink.stats["attempts"] == 1
    assert wrong.bad == 1 and wrong.accepted == {}


def test_a_receiver_failing_twice_with_503_gets_each_event_once(serve, events):
    receiver = Receiver(plan=lambda wid, n: (503, {"retry-after": "0"} if n == 1 else {}) if n <= 2 else (200, {}))
    url = serve(receiver)
    made = _accept(events, 5)
    with _fast(url) as sink:
        attach(events, sink)
        assert events.run_pending() == 5
        assert sink.stats == {"delivered": 5, "refused": 0, "deferred": 0, "attempts": 15, "retries": 10}
    assert list(receiver.accepted) == [e.id for e in made]            # each once, in order
    assert all(receiver.attempts[e.id] == 3 for e in made)
    assert events.log.pending(sink.name) == []


def test_retry_after_is_honoured_and_one_past_the_budget_defers(serve, events):
    receiver = Receiver(plan=lambda wid, n: (429, {"retry-after": "1"}) if n == 1 else (200, {}))
    url = serve(receiver)
    [event] = _accept(events, 1)
    with _fast(url) as sink:
        sink(event)
    first, second = receiver.times[event.id]
    assert 0.95 <= second - first < 5

    slow = Receiver(plan=lambda wid, n: (503, {"retry-after": "3600"}))
    with _fast(serve(slow), max_elapsed=5) as sink:
        started = time.monotonic()
        with pytest.raises(ForwardError, match="stays pending"):
            sink(event)
        assert time.monotonic() - started < 2 and slow.attempts[event.id] == 1


def test_a_receiver_down_longer_than_one_call_gets_the_event_on_a_later_run(serve, events):
    made = _accept(events, 2)
    receiver = Receiver(plan=lambda wid, n: (502, {}) if wid == made[0].id and n <= 2 else (200, {}))
    url = serve(receiver)
    with _fast(url, max_attempts=2, cooldown=1.0) as sink:
        attach(events, sink)
        assert events.run_pending() == 0                      # 2 attempts, then ForwardError: left pending
        assert [e.id for _, e in events.log.pending(sink.name)] == [e.id for e in made]
        assert receiver.attempts[made[1].id] == 0             # the later event waits behind it (order)
        with pytest.raises(ForwardError, match="cooling down"):
            sink(made[0])                                     # no request while cooling down
        assert receiver.attempts[made[0].id] == 2
        delivered = []
        assert _wait(lambda: delivered.append(events.run_pending()) or sum(delivered) == 2, 10)
    assert list(receiver.accepted) == [e.id for e in made]


def test_a_400_is_a_refusal_marked_delivered_and_dead_lettered(serve, events, tmp_path, caplog):
    receiver = Receiver(plan=lambda wid, n: (400, {}) if wid == first.id else (200, {}))
    url = serve(receiver)
    first, second = _accept(events, 2)
    dead = tmp_path / "dead.jsonl"
    with _fast(url, dead_letter=dead) as sink, caplog.at_level(logging.ERROR, logger="zoom_actions"):
        attach(events, sink)
        assert events.run_pending() == 2                      # the refusal returns: the next event is not blocked
        assert events.run_pending() == 0 and events.log.pending(sink.name) == []
        assert sink.stats["refused"] == 1 and sink.stats["attempts"] == 2
    assert receiver.attempts[first.id] == 1                   # not retried
    assert list(receiver.accepted) == [second.id]
    assert [e.id for e in read_jsonl(dead)] == [first.id]
    assert any("refused" in r.getMessage() and first.id in r.getMessage() for r in caplog.records)


def test_redirects_are_not_followed(serve, events):
    target = Receiver()
    elsewhere = serve(target)
    redirecting = Receiver(plan=lambda wid, n: (307, {"location": elsewhere}))
    [event] = _accept(events, 1)
    with _fast(serve(redirecting)) as sink:
        sink(event)
        assert sink.stats["refused"] == 1
    assert target.attempts == Counter() and redirecting.attempts[event.id] == 1


def test_connection_refused_is_transient_and_bounded(events):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]                             # closed again: nothing listens there
    [event] = _accept(events, 1)
    with _fast(f"http://127.0.0.1:{port}/hook", max_attempts=3) as sink:
        started = time.monotonic()
        with pytest.raises(ForwardError, match="ConnectError"):
            sink(event)
        assert time.monotonic() - started < 3 and sink.stats["attempts"] == 3 and sink.stats["retries"] == 2


def test_the_async_path_does_not_block_the_loop(serve, events):
    import asyncio
    receiver = Receiver(plan=lambda wid, n: (503, {}) if n == 1 else (200, {}))
    made = _accept(events, 2)
    sink = _fast(serve(receiver))
    attach(events, sink)

    async def run():
        ticks = 0

        async def tick():
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.001)
        ticker = asyncio.create_task(tick())
        calls = await events.arun_pending()
        ticker.cancel()
        return calls, ticks
    calls, ticks = asyncio.run(run())
    assert calls == 2 and ticks > 2 and list(receiver.accepted) == [e.id for e in made]


def test_bad_configuration_is_refused_clearly_and_the_secret_never_shows(monkeypatch, serve, events, caplog):
    monkeypatch.delenv("ZOOM_ACTIONS_FORWARD_SECRET", raising=False)
    with pytest.raises(ValueError, match="http"):
        Forward("ftp://example.com/x", SECRET)
    with pytest.raises(ValueError, match="no host"):
        Forward("http:///x", SECRET)
    with pytest.raises(ValueError, match="ZOOM_ACTIONS_FORWARD_SECRET"):
        Forward("https://example.com/x")
    with pytest.raises(ValueError, match="not base64"):
        Forward("https://example.com/x", "whsec_***not base64***")
    with pytest.raises(ValueError, match="empty"):
        Forward("https://example.com/x", "  ")
    monkeypatch.setenv("ZOOM_ACTIONS_FORWARD_SECRET", SECRET)
    secret_url = "https://user:pw@example.com/x?token=qs-credential"
    sink = Forward(secret_url)                                # from the environment
    assert "qs-credential" not in sink.name and "pw" not in sink.name and SECRET not in repr(sink)
    assert Forward(secret_url).name == sink.name != Forward("https://example.com/x?token=other").name

    receiver = Receiver(plan=lambda wid, n: (500, {}))
    [event] = _accept(events, 1)
    with _fast(serve(receiver), max_attempts=2) as failing, caplog.at_level(logging.DEBUG):
        attach(events, failing)
        with pytest.raises(ForwardError) as raised:
            failing(event)
        events.run_pending()
    text = str(raised.value) + "".join(r.getMessage() for r in caplog.records)
    assert "HTTP 500" in str(raised.value) and SECRET not in text and SECRET[6:] not in text


WRITER = r"""
import sys
from zoom_actions.events import from_webhook
from zoom_actions.events.sinks import JsonlSink
sink = JsonlSink(sys.argv[1])
who = sys.argv[2]
for i in range(int(sys.argv[3])):
    sink(from_webhook({"event": "meeting.updated", "event_ts": i + 1,
                       "payload": {"writer": who, "n": i, "blob": who * 20000}}))
"""


def test_jsonl_from_two_processes_has_every_line_whole(tmp_path):
    path = tmp_path / "out" / "events.jsonl"
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), who, "150"]) for who in "ab"]
    assert [p.wait(60) for p in procs] == [0, 0]
    lines = path.read_bytes().split(b"\n")
    assert lines[-1] == b"" and len(lines) == 301
    parsed = [json.loads(line) for line in lines[:-1]]        # every line whole: each parses
    by_writer = Counter(p["payload"]["writer"] for p in parsed)
    assert by_writer == {"a": 150, "b": 150}
    for who in "ab":
        assert [p["payload"]["n"] for p in parsed if p["payload"]["writer"] == who] == list(range(150))
    assert all(len(p["payload"]["blob"]) == 20000 for p in parsed)
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert JsonlSink(path).name == f"jsonl:{path.resolve()}"


def test_cli_serve_forwards_and_writes_jsonl(serve, tmp_path):
    from zoom_actions.events.receiver import signature
    receiver = Receiver()
    url = serve(receiver)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    jsonl = tmp_path / "sink.jsonl"
    env = {**os.environ, "ZOOM_WEBHOOK_SECRET_TOKEN": "zoom-token", "ZOOM_ACTIONS_FORWARD_SECRET": SECRET}
    cli = [sys.executable, "-m", "zoom_actions", "events"]
    bad = subprocess.run([*cli, "serve", "--log", str(tmp_path / "e.db"), "--forward", "ftp://x/y"], env=env,
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "http(s)" in bad.stderr
    no_secret = subprocess.run([*cli, "subscribe", "--subscription", "s", "--log", str(tmp_path / "e.db"),
                                "--forward", url], env={**env, "ZOOM_ACTIONS_FORWARD_SECRET": ""},
                               capture_output=True, text=True, timeout=60)
    assert no_secret.returncode == 2 and "ZOOM_ACTIONS_FORWARD_SECRET" in no_secret.stderr
    proc = subprocess.Popen([*cli, "serve", "--port", str(port), "--log", str(tmp_path / "events.db"),
                             "--forward", url, "--jsonl", str(jsonl), "--sink-type", "meeting.*"], env=env,
                            stderr=subprocess.PIPE, text=True)
    try:
        base = f"http://127.0.0.1:{port}/zoom/events"

        def up():
            try:
                return httpx2.get(base + "/stats", timeout=1).status_code == 200
            except httpx2.TransportError:
                return False
        assert _wait(up, 30)
        for kind in ("meeting.started", "user.updated"):
            body = json.dumps({"event": kind, "event_ts": 1767225600000, "payload": {"object": {"id": 1}}}).encode()
            ts = str(int(time.time()))
            r = httpx2.post(base, content=body, headers={"x-zm-request-timestamp": ts, "content-type":
                            "application/json", "x-zm-signature": signature("zoom-token", ts, body)}, timeout=10)
            assert r.json()["status"] == "accepted"
        assert _wait(lambda: len(receiver.accepted) == 1 and jsonl.exists() and len(read_jsonl(jsonl)) == 1, 15)
        assert [e["type"] for e in receiver.accepted.values()] == ["meeting.started"]
        assert read_jsonl(jsonl)[0].type == "meeting.started"
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=15)
    assert SECRET not in err and "to http://127.0.0.1" in err


def test_events_forward_and_to_jsonl_register_the_sinks_by_name(serve, events, tmp_path):
    receiver = Receiver()
    url = serve(receiver)
    sink = events.forward(url, SECRET, "meeting.*", backoff=0.01)
    lines = events.to_jsonl(tmp_path / "all.jsonl")
    made = _accept(events, 2) + _accept(events, 1, kind="user.updated", start=9)
    try:
        assert events.run_pending() == 5
    finally:
        sink.close()
    assert list(receiver.accepted) == [e.id for e in made[:2]]
    assert [e.id for e in read_jsonl(lines.path)] == [e.id for e in made]
    assert events.log.pending(sink.name) == [] and events.log.pending(lines.name) == []
