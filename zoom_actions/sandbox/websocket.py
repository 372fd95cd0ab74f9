"""Zoom's event WebSocket, offline: ``/ws`` on the sandbox's own host,
behaving as Zoom documents it, so clients (``zoom_actions.events.websocket``
and anyone's) are tested against something that pushes back.

    hub = running_sandbox.app.websocket
    hub.publish({"event": "meeting.started", "event_ts": 1767225600000, "payload": {...}})   # any thread

- ``ws://HOST:PORT/ws?subscriptionId=ID&access_token=TOKEN`` opens when TOKEN
  was issued by the sandbox's OAuth server (``POST /oauth/token``) and still
  works (not expired, not revoked); anything else is refused at the
  handshake (HTTP 403). Any subscription ID is taken: there is no
  Marketplace here to create one in.
- ``{"module": "heartbeat"}`` is answered ``{"module": "heartbeat",
  "success": true, "content": "live"}``. A connection that sends none for
  ``idle_timeout`` seconds is closed (``CLOSE_IDLE``): Zoom asks for one
  every 30 s and does not say how long it waits; 60 s is our assumption.
- ``publish`` sends a webhook body to the connection holding each
  subscription as ``{"module": "message", "success": true, "content": "<the
  body as JSON text>"}``. A subscription with no connection drops it
  (counted), as Zoom drops what happens while no connection is open.
- A second connection for a subscription takes it over: what was already
  queued for the older one is still sent to it, then it is closed
  (``CLOSE_REPLACED``), and later events go to the newer one; a client that
  connects anew before closing the old connection loses nothing.
- A connection is closed (``CLOSE_TOKEN_EXPIRED``) when its token expires,
  or at its next heartbeat once the token is revoked.

The close codes are the client module's assumptions (Zoom documents none).
Faults for testing clients: ``drop``, ``fail_next``, ``mute``, ``inject``.
``stats(subscription)`` counts what happened; ``wait(predicate)`` blocks
until it holds (tests wait on the hub instead of sleeping).
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import Counter, defaultdict
from typing import Callable
from urllib.parse import parse_qsl

from ..events.websocket import CLOSE_IDLE, CLOSE_REPLACED, CLOSE_TOKEN_EXPIRED

IDLE_TIMEOUT = 60.0
MAX_QUEUE = 10_000    # frames waiting for one slow client before it is closed
HEARTBEAT_ANSWER = json.dumps({"module": "heartbeat", "success": True, "content": "live"})


class _Conn:
    """One accepted connection; its queue is used on the server's loop only."""

    def __init__(self, subscription: str, token: str, expires: float, loop: asyncio.AbstractEventLoop) -> None:
        self.subscription, self.token, self.expires, self.loop = subscription, token, expires, loop
        self.queue: asyncio.Queue = asyncio.Queue()
        self.last_heartbeat = time.monotonic()
        self.muted = False
        self.full = False

    def put(self, item: tuple) -> None:
        if self.full:
            return
        if self.queue.qsize() >= MAX_QUEUE:
            self.full = True
            item = ("close", 1013, "sandbox: the client reads too slowly")
        self.queue.put_nowait(item)

    def put_threadsafe(self, item: tuple) -> bool:
        try:
            self.loop.call_soon_threadsafe(self.put, item)
        except RuntimeError:   # the server's loop is gone
            return False
        return True


class WebSocketHub:
    def __init__(self, oauth, *, idle_timeout: float = IDLE_TIMEOUT) -> None:
        self.oauth = oauth
        self.idle_timeout = idle_timeout
        self._cond = threading.Condition(threading.RLock())
        self._holders: dict[str, _Conn] = {}
        self._known: set[str] = set()
        self._stats: defaultdict[str, Counter] = defaultdict(Counter)
        self._fail_next: list[tuple[int, str]] = []

    # --- what tests and the event emitter call (any thread) ---------------------------

    def publish(self, message: dict) -> int:
        """Send a Zoom webhook body to each subscription's connection; the number it went to."""
        if not isinstance(message, dict) or not isinstance(message.get("event"), str):
            raise ValueError('a message is a webhook body: {"event": ..., "event_ts": ..., "payload": {...}}')
        frame = json.dumps({"module": "message", "success": True,
                            "content": json.dumps(message, separators=(",", ":"), ensure_ascii=False)})
        sent = 0
        with self._cond:
            for sub in self._known:
                conn = self._holders.get(sub)
                if conn is not None and conn.put_threadsafe(("event", frame)):
                    self._stats[sub]["published"] += 1
                    sent += 1
                else:
                    self._stats[sub]["dropped"] += 1
            self._cond.notify_all()
        return sent

    def stats(self, subscription: str) -> Counter:
        """connected, refused, replaced, expired, idle_closed, closed, heartbeats, published, sent, dropped."""
        with self._cond:
            return Counter(self._stats[subscription])

    def holding(self, subscription: str) -> bool:
        with self._cond:
            return subscription in self._holders

    def wait(self, predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
        """Block until ``predicate()`` (called under the hub's lock) holds; whether it did in time."""
        with self._cond:
            return self._cond.wait_for(predicate, timeout)

    # --- faults -----------------------------------------------------------------------------

    def drop(self, subscription: str, code: int = 1011, reason: str = "sandbox: connection dropped") -> bool:
        """Close the subscription's connection now, as a failing server would."""
        return self._to_holder(subscription, ("close", code, reason))

    def fail_next(self, count: int = 1, code: int = 1011) -> None:
        """Close each of the next ``count`` connections right after accepting it (never healthy)."""
        with self._cond:
            self._fail_next.extend([(code, "sandbox: failing on purpose")] * count)

    def mute(self, subscription: str) -> bool:
        """The subscription's current connection stops answering heartbeats (later ones answer)."""
        with self._cond:
            conn = self._holders.get(subscription)
            if conn is not None:
                conn.muted = True
            return conn is not None

    def inject(self, subscription: str, text: str) -> bool:
        """Send a raw text frame (a malformed one, say) to the subscription's connection."""
        return self._to_holder(subscription, ("text", text))

    def _to_holder(self, subscription: str, item: tuple) -> bool:
        with self._cond:
            conn = self._holders.get(subscription)
            return conn is not None and conn.put_threadsafe(item)

    # --- the ASGI side (the server's loop) -------------------------------------------------

    async def serve(self, scope, receive, send) -> None:
        """The ASGI handler for WebSocket requests (routed here by ``SandboxASGI``)."""
        if (await receive())["type"] != "websocket.connect":
            return
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True))
        sub, token = query.get("subscriptionId", ""), query.get("access_token", "")
        expires = self.oauth.valid_until(token) if token else None
        if scope.get("path") != "/ws" or not sub or len(sub) > 128 or expires is None:
            self._count(sub[:128], "refused")
            await send({"type": "websocket.close", "code": 1008})   # before accepting: HTTP 403
            return
        await send({"type": "websocket.accept"})
        conn = _Conn(sub, token, expires, asyncio.get_running_loop())
        with self._cond:
            previous = self._holders.get(sub)
            self._holders[sub] = conn
            self._known.add(sub)
            self._stats[sub]["connected"] += 1
            if previous is not None:   # after what was published to it: call_soon_threadsafe keeps the order
                previous.put_threadsafe(("close", CLOSE_REPLACED, "another connection took this subscription"))
                self._stats[sub]["replaced"] += 1
            if self._fail_next:
                conn.put(("close", *self._fail_next.pop(0)))
            self._cond.notify_all()
        reader = asyncio.create_task(self._read(conn, receive))
        try:
            await self._write(conn, send)
        finally:
            reader.cancel()
            with self._cond:
                if self._holders.get(sub) is conn:
                    del self._holders[sub]
                self._stats[sub]["closed"] += 1
                self._cond.notify_all()

    async def _read(self, conn: _Conn, receive) -> None:
        while True:
            message = await receive()
            if message["type"] == "websocket.disconnect":
                conn.put(("gone",))
                return
            try:
                frame = json.loads(message.get("text") or message.get("bytes") or b"")
            except (ValueError, RecursionError):
                continue
            if not isinstance(frame, dict) or frame.get("module") != "heartbeat":
                continue
            conn.last_heartbeat = time.monotonic()
            if self.oauth.valid_until(conn.token) is None:   # revoked: the writer closes it as expired
                conn.expires = 0.0
                conn.put(("wake",))
                continue
            self._count(conn.subscription, "heartbeats")
            if not conn.muted:
                conn.put(("text", HEARTBEAT_ANSWER))

    async def _write(self, conn: _Conn, send) -> None:
        try:
            while True:
                token_left = conn.expires - time.time()
                idle_left = conn.last_heartbeat + self.idle_timeout - time.monotonic()
                if token_left <= 0:
                    self._count(conn.subscription, "expired")
                    await send({"type": "websocket.close", "code": CLOSE_TOKEN_EXPIRED,
                                "reason": "the access token expired or was revoked"})
                    return
                if idle_left <= 0:
                    self._count(conn.subscription, "idle_closed")
                    await send({"type": "websocket.close", "code": CLOSE_IDLE, "reason": "no heartbeat"})
                    return
                try:
                    item = await asyncio.wait_for(conn.queue.get(), min(token_left, idle_left))
                except TimeoutError:
                    continue
                if item[0] == "gone":
                    return
                if item[0] == "wake":
                    continue
                if item[0] == "close":
                    await send({"type": "websocket.close", "code": item[1], "reason": item[2]})
                    return
                await send({"type": "websocket.send", "text": item[1]})
                if item[0] == "event":
                    self._count(conn.subscription, "sent")
        except OSError:   # uvicorn's ClientDisconnected: the client is gone
            return

    def _count(self, subscription: str, key: str) -> None:
        with self._cond:
            self._stats[subscription][key] += 1
            self._cond.notify_all()
