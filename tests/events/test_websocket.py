"""Zoom's event WebSocket, client and sandbox endpoint, on a real stack: the
sandbox served by uvicorn on 127.0.0.1, tokens from its OAuth server, the
client (``zoom_actions.events.websocket``) on its own event loop in a thread.
Tests wait on the hub's counters, on handler deliveries or on log records,
never on the clock."""

from __future__ import annotations

import asyncio
import json
import logging
import threading

import httpx2
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from zoom_actions.auth import ServerToServer
from zoom_actions.events import Events, from_webhook
from zoom_actions.events.websocket import CLOSE_IDLE, Backoff, WebSocketSubscription
from zoom_actions.sandbox import start_in_thread
from zoom_actions.sandbox.oauth import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET

SUB = "ws-sub-1"


@pytest.fixture()
def srv(catalog):
    running = start_in_thread(catalog=catalog)
    yield running
    running.close()


@pytest.fixture()
def hub(srv):
    return srv.app.websocket


@pytest.fixture()
def clients(srv, tmp_path):
    """``make(**options)`` -> (subscription, its deliveries), started; stopped after the test."""
    runners, logs = [], []

    def make(token=None, *, subscription=SUB, events=None, start=True, **options):
        if events is None:
            events = Events(tmp_path / f"events-{len(logs)}.db")
            logs.append(events)
        got = Deliveries(events)
        settings = dict(heartbeat_interval=0.2, heartbeat_timeout=5.0, healthy_after=0.0,
                        backoff=Backoff(0.05, 0.4), url=ws_url(srv))
        settings.update(options)
        sub = WebSocketSubscription(subscription, events, token=token or s2s(srv), **settings)
        runner = Runner(sub)
        runners.append(runner)
        if start:
            runner.start()
        return sub, got, runner

    yield make
    for runner in runners:
        runner.stop()
    for events in logs:
        events.log.close()


class Deliveries:
    """What a handler received (each event's ``n``), waitable."""

    def __init__(self, events: Events) -> None:
        self.items: list[int] = []
        self._cond = threading.Condition()
        events.on("meeting.*", name=f"test-handler-{id(self)}")(self._got)

    def _got(self, event) -> None:
        with self._cond:
            self.items.append(event.payload["object"]["n"])
            self._cond.notify_all()

    def wait(self, count: int, timeout: float = 10.0) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: len(self.items) >= count, timeout)


class Runner:
    """``sub.run(stop)`` on its own event loop, in a thread."""

    def __init__(self, sub: WebSocketSubscription) -> None:
        self.sub, self.outcome = sub, None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._main, daemon=True)

    def start(self) -> "Runner":
        self._thread.start()
        assert self._ready.wait(5)
        return self

    def _main(self) -> None:
        async def go():
            self.loop, self.stop_event = asyncio.get_running_loop(), asyncio.Event()
            self._ready.set()
            return await self.sub.run(self.stop_event)
        self.outcome = asyncio.run(go())

    def stop(self):
        if self._thread.is_alive():
            self.loop.call_soon_threadsafe(self.stop_event.set)
        if self._thread.ident is not None:
            self._thread.join(15)
            assert not self._thread.is_alive(), "run() did not stop"
        return self.outcome

    def join(self, timeout: float = 10.0):
        self._thread.join(timeout)
        return None if self._thread.is_alive() else self.outcome


def ws_url(srv) -> str:
    return srv.origin.replace("http://", "ws://") + "/ws"


def s2s(srv) -> ServerToServer:
    return ServerToServer("acct-1", SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, token_url=srv.origin + "/oauth/token")


def fetch_token(srv) -> str:
    answer = httpx2.post(srv.origin + "/oauth/token", data={"grant_type": "account_credentials", "account_id": "a"},
                         auth=(SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET), timeout=10)
    assert answer.status_code == 200
    return answer.json()["access_token"]


def event(n: int, **extra) -> dict:
    return {"event": "meeting.participant_joined", "event_ts": 1767225600000 + n,
            "payload": {"account_id": "acct-1", "object": {"n": n, **extra}}}


def stat(hub, key: str, subscription: str = SUB) -> int:
    return hub.stats(subscription)[key]


# --- delivery -------------------------------------------------------------------------------

def test_published_events_arrive_once_each_in_order(hub, clients):
    sub, got, _ = clients()
    assert hub.wait(lambda: hub.holding(SUB))
    for n in range(20):
        assert hub.publish(event(n)) == 1
    hub.publish(event(7))   # the same event again: the log keeps it once
    assert got.wait(20)
    assert hub.wait(lambda: sub.stats["duplicates"] == 1)
    assert got.items == list(range(20))
    assert sub.stats["accepted"] == 20 and sub.stats["messages"] == 21
    assert all(e.source == "websocket" for e in sub.events.log.recent(50))


def test_an_event_seen_by_webhook_and_websocket_reaches_handlers_once(tmp_path, hub, clients):
    events = Events(tmp_path / "shared.db")
    events.accept(from_webhook(event(1)))   # what the webhook receiver stores for Zoom's POST
    sub, got, _ = clients(events=events)
    assert hub.wait(lambda: hub.holding(SUB))
    hub.publish(event(1))
    hub.publish(event(2))
    assert got.wait(2)
    assert hub.wait(lambda: sub.stats["messages"] == 2)
    assert got.items == [1, 2]
    assert sub.stats["duplicates"] == 1 and events.log.count() == 2
    events.log.close()


def test_events_published_while_no_connection_is_open_are_not_delivered(hub, clients, tmp_path):
    """Zoom delivers only while a connection is open (no replay after a reconnect); the sandbox too."""
    events = Events(tmp_path / "events.db")
    _, _, first = clients(events=events)
    assert hub.wait(lambda: hub.holding(SUB))
    first.stop()
    assert hub.wait(lambda: not hub.holding(SUB))
    assert hub.publish(event(0)) == 0
    assert stat(hub, "dropped") == 1
    _, got, _ = clients(events=events)
    assert hub.wait(lambda: hub.holding(SUB))
    hub.publish(event(1))
    assert got.wait(1)
    assert got.items == [1] and events.log.count() == 1
    events.log.close()


# --- heartbeats -------------------------------------------------------------------------------

def test_heartbeats_keep_the_connection_open(hub, clients):
    hub.idle_timeout = 1.0
    sub, _, _ = clients(heartbeat_interval=0.1)
    assert hub.wait(lambda: stat(hub, "heartbeats") >= 25, 20)   # well past the idle window, many times
    assert stat(hub, "connected") == 1 and stat(hub, "idle_closed") == 0
    assert sub.stats["heartbeats_missed"] == 0 and sub.stats["heartbeats_answered"] >= 20


def test_a_connection_that_sends_no_heartbeat_is_closed(srv, hub):
    hub.idle_timeout = 0.3

    async def silent():
        async with connect(ws_url(srv) + f"?subscriptionId={SUB}&access_token={fetch_token(srv)}",
                           ping_interval=None) as ws:
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(ws.recv(), 10)
            return ws.close_code

    assert asyncio.run(silent()) == CLOSE_IDLE
    assert stat(hub, "idle_closed") == 1


def test_a_connection_that_stops_answering_heartbeats_is_replaced(hub, clients):
    sub, got, _ = clients(heartbeat_interval=0.1, heartbeat_timeout=1.0)
    assert hub.wait(lambda: hub.holding(SUB))
    assert hub.mute(SUB)
    assert hub.wait(lambda: stat(hub, "connected") >= 2 and hub.holding(SUB))
    hub.publish(event(0))
    assert got.wait(1) and got.items == [0]
    assert sub.stats["heartbeats_missed"] >= 1 and sub.stats["reconnects"] >= 1


# --- reconnecting -------------------------------------------------------------------------------

def test_a_dropped_connection_reconnects_with_growing_backoff_then_resets(hub, clients):
    sub, got, _ = clients()
    assert hub.wait(lambda: hub.holding(SUB))
    hub.publish(event(0))
    assert got.wait(1)
    hub.fail_next(3)     # the next three connections are closed as soon as they open: never healthy
    assert hub.drop(SUB)
    assert hub.wait(lambda: stat(hub, "connected") >= 5 and hub.holding(SUB))
    for n in range(1, 6):
        hub.publish(event(n))
    assert got.wait(6)
    assert got.items == list(range(6))   # nothing published after the reconnect is lost
    waits = list(sub.delays)[-4:]        # after the drop and after each failed connection
    assert len(waits) == 4 and waits == sorted(waits) and waits[-1] > waits[0]
    assert all(w <= 0.4 for w in waits) and sub.stats["reconnects"] == 4

    beats = stat(hub, "heartbeats")      # a second heartbeat means the first was answered: healthy
    assert hub.wait(lambda: stat(hub, "heartbeats") >= beats + 2)
    assert hub.drop(SUB)
    assert hub.wait(lambda: stat(hub, "connected") >= 6 and hub.holding(SUB))
    assert sub.delays[-1] <= 0.05        # the backoff started over


def test_a_token_due_for_replacement_is_replaced_before_it_expires_without_losing_events(srv, hub, clients):
    srv.app.oauth.access_ttl = 4         # the runtime replaces it 0.4 s before expiry
    sub, got, runner = clients()
    assert hub.wait(lambda: hub.holding(SUB))
    n = 0
    while stat(hub, "replaced") == 0 and n < 5000:   # one event at a time, through the handover
        hub.publish(event(n))
        n += 1
        assert got.wait(n)
    for _ in range(5):
        hub.publish(event(n))
        n += 1
    assert got.wait(n)
    assert got.items == list(range(n))
    counts = hub.stats(SUB)
    assert counts["replaced"] == 1 and counts["dropped"] == 0 and counts["expired"] == 0
    assert counts["sent"] == n
    assert sub.stats["token_refreshes"] == 1 and sub.stats["takeovers"] == 0 and sub.stats["token_expired"] == 0
    assert runner.join(0) is None        # still running: replacing itself is not a takeover


def test_an_expired_token_closes_the_connection_and_a_fresh_one_reopens_it(srv, hub, clients):
    srv.app.oauth.access_ttl = 1
    handed: list[str] = []

    def token():   # a plain callable that says nothing about expiry: no early replacement
        handed.append(fetch_token(srv))
        return handed[-1]

    sub, got, _ = clients(token)
    assert hub.wait(lambda: stat(hub, "expired") >= 1 and stat(hub, "connected") >= 2 and hub.holding(SUB))
    srv.app.oauth.access_ttl = 3600
    hub.publish(event(0))
    assert got.wait(1) and got.items == [0]
    assert sub.stats["token_expired"] >= 1 and len(set(handed)) >= 2


def test_a_revoked_token_closes_the_connection_at_its_next_heartbeat(srv, hub, clients):
    handed: list[str] = []

    def token():
        handed.append(fetch_token(srv))
        return handed[-1], 3600

    sub, got, _ = clients(token)
    assert hub.wait(lambda: hub.holding(SUB))
    revoked = httpx2.post(srv.origin + "/oauth/revoke", data={"token": handed[0]},
                          auth=(SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET), timeout=10)
    assert revoked.status_code == 200
    assert hub.wait(lambda: stat(hub, "expired") == 1 and stat(hub, "connected") == 2 and hub.holding(SUB))
    hub.publish(event(0))
    assert got.wait(1) and got.items == [0]
    assert sub.stats["token_expired"] == 1 and len(handed) == 2


# --- one connection per subscription -----------------------------------------------------------

def test_a_second_connection_takes_the_subscription_and_the_first_stops(hub, clients):
    first, first_got, first_runner = clients()
    assert hub.wait(lambda: hub.holding(SUB))
    second, second_got, _ = clients()
    assert first_runner.join(10) == "taken_over"
    assert first.stats["takeovers"] == 1 and first.stats["connects"] == 1
    hub.publish(event(0))
    assert second_got.wait(1) and second_got.items == [0] and first_got.items == []
    assert stat(hub, "connected") == 2 and stat(hub, "replaced") == 1


def test_the_wait_policy_waits_instead_of_taking_the_subscription_back(hub, clients):
    noticed = threading.Event()

    class Notice(logging.Handler):
        def emit(self, record):
            if "on_takeover='wait'" in record.getMessage():
                noticed.set()

    handler = Notice()
    logging.getLogger("zoom_actions").addHandler(handler)
    try:
        first, _, first_runner = clients(on_takeover="wait", takeover_wait=60.0)
        assert hub.wait(lambda: hub.holding(SUB))
        clients()
        assert noticed.wait(10)
        assert first_runner.stop() == "stopped"          # the wait ends at once when stopped
        assert first.stats["takeovers"] == 1 and first.stats["connects"] == 1
        assert stat(hub, "connected") == 2 and hub.holding(SUB)   # the second still holds it
    finally:
        logging.getLogger("zoom_actions").removeHandler(handler)


# --- refusing -----------------------------------------------------------------------------------

def test_forged_expired_and_missing_tokens_are_refused(srv, hub, clients):
    async def status(query: str) -> int:
        with pytest.raises(InvalidStatus) as refused:
            async with connect(ws_url(srv) + query, ping_interval=None):
                pass
        return refused.value.response.status_code

    stale = fetch_token(srv)
    srv.app.oauth.expire_access_tokens()
    assert asyncio.run(status(f"?subscriptionId={SUB}&access_token=forged-token-123")) == 403
    assert asyncio.run(status(f"?subscriptionId={SUB}&access_token={stale}")) == 403
    assert asyncio.run(status(f"?subscriptionId={SUB}")) == 403
    assert asyncio.run(status(f"?access_token={fetch_token(srv)}")) == 403
    assert stat(hub, "refused") == 3 and stat(hub, "connected") == 0

    sub, _, runner = clients(lambda: "forged-token-456")
    assert hub.wait(lambda: stat(hub, "refused") >= 5)
    runner.stop()
    assert sub.stats["auth_failures"] >= 2 and sub.stats["connects"] == 0


def test_the_token_never_appears_in_logs(srv, hub, clients, caplog):
    caplog.set_level(logging.DEBUG)
    handed: list[str] = []

    def token():   # first a token that no longer works, then good ones
        handed.append(fetch_token(srv))
        if len(handed) == 1:
            srv.app.oauth.expire_access_tokens()
        return handed[-1], 3600

    sub, got, runner = clients(token)
    assert hub.wait(lambda: hub.holding(SUB))
    hub.publish(event(0))
    assert got.wait(1)
    runner.stop()
    assert sub.stats["auth_failures"] == 1 and len(handed) == 2
    text = caplog.text
    assert "access_token=***" in text            # the library's request line was logged, masked
    assert "refused the connection" in text
    assert not any(t in text for t in handed)
    assert not any(t in repr(sub) for t in handed)


# --- bounds -------------------------------------------------------------------------------------

def test_an_oversize_message_is_refused_and_malformed_frames_are_skipped(hub, clients):
    sub, got, _ = clients()
    assert hub.wait(lambda: hub.holding(SUB))
    for text in ("not json{", json.dumps({"module": "message", "content": "{bad"}), "[1, 2]",
                 json.dumps({"module": "message", "content": json.dumps({"payload": {}})})):
        assert hub.inject(SUB, text)
    hub.publish(event(0))
    assert got.wait(1)
    assert sub.stats["malformed"] == 4
    hub.publish(event(1, filler="x" * (1 << 20)))   # over 1 MiB: the client closes the connection
    assert hub.wait(lambda: stat(hub, "connected") >= 2 and hub.holding(SUB))
    hub.publish(event(2))
    assert got.wait(2)
    assert got.items == [0, 2] and sub.stats["oversize"] == 1 and sub.stats["accepted"] == 2


# --- the pieces ---------------------------------------------------------------------------------

def test_backoff_doubles_with_jitter_up_to_its_cap_and_resets():
    high, low = Backoff(1.0, 8.0, rng=lambda: 1.0), Backoff(1.0, 8.0, rng=lambda: 0.0)
    assert [high.next() for _ in range(5)] == [1.0, 2.0, 4.0, 8.0, 8.0]
    assert [low.next() for _ in range(5)] == [0.5, 1.0, 2.0, 4.0, 4.0]
    high.reset()
    assert high.next() == 1.0


def test_the_endpoint_is_checked_and_takes_the_subscription_id(tmp_path):
    events = Events(tmp_path / "events.db")
    make = lambda url: WebSocketSubscription("abc", events, token=lambda: "t", url=url)  # noqa: E731
    assert make("wss://ws.zoom.us/ws?subscriptionId=old").url == "wss://ws.zoom.us/ws?subscriptionId=abc"
    assert make("ws://127.0.0.1:9/ws").url == "ws://127.0.0.1:9/ws?subscriptionId=abc"
    for bad in ("ws://ws.zoom.us/ws", "https://ws.zoom.us/ws", "wss://ws.zoom.us/ws?access_token=x",
                "wss://user:pw@ws.zoom.us/ws"):
        with pytest.raises(ValueError):
            make(bad)
    with pytest.raises(ValueError):
        WebSocketSubscription("abc", events, token=lambda: "t", on_takeover="fight")
    events.log.close()


def test_from_env_uses_server_to_server_credentials(srv, hub, clients, monkeypatch, tmp_path):
    from zoom_actions.cli import main
    for name in ("ZOOM_ACCOUNT_ID", "ZOOM_CLIENT_ID", "ZOOM_CLIENT_SECRET"):
        monkeypatch.delenv(name, raising=False)
    assert main(["events", "subscribe", "--subscription", SUB, "--log", str(tmp_path / "cli.db")]) == 2

    monkeypatch.setenv("ZOOM_ACCOUNT_ID", "acct-1")
    monkeypatch.setenv("ZOOM_CLIENT_ID", SANDBOX_CLIENT_ID)
    monkeypatch.setenv("ZOOM_CLIENT_SECRET", SANDBOX_CLIENT_SECRET)
    monkeypatch.setenv("ZOOM_TOKEN_URL", srv.origin + "/oauth/token")
    events = Events(tmp_path / "events.db")
    got = Deliveries(events)
    sub = WebSocketSubscription.from_env(SUB, events, url=ws_url(srv), heartbeat_interval=0.2)
    runner = Runner(sub).start()
    try:
        assert hub.wait(lambda: hub.holding(SUB))
        hub.publish(event(0))
        assert got.wait(1)
    finally:
        runner.stop()
        events.log.close()
