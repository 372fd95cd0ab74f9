"""The event log on Redis, for several workers on several hosts: a stream
with one consumer group per handler.

Same interface as :class:`~zoom_actions.events.log.EventLog` (``append``,
``pending``, ``delivered``, ``recent``, ``count``, ``mark``, ``wait``), so
:class:`~zoom_actions.events.bus.Events` drives both with one delivery loop.

Keys (one Redis database; not Redis Cluster, the append script touches two
keys that would sit in different slots):

- ``zoom-actions:events``, the stream (the store's ``zoom-actions:`` prefix):
  one entry per accepted event, fields ``type`` and ``body`` (the
  envelope's JSON). ``XADD MAXLEN ~ maxlen`` (default 100,000) bounds its
  memory: the oldest entries go first, delivered or not, so keep the cap far
  above any backlog a handler may build up (a pending entry trimmed away is
  logged and acknowledged: it is lost to the handlers that had not had it).
- ``zoom-actions:events:seen:<dedupe key>``: set with ``NX`` and a TTL
  (default 7 days, far beyond Zoom's last retry after 85 minutes) in the same
  Lua script as the ``XADD``, so an event is either both remembered and
  logged or neither: a crash between the two cannot drop it.

Delivery: a consumer group per handler key (created at ``0``, so a handler
registered later gets every event still in the stream, as on SQLite), a
consumer per worker (``host:pid:random`` unless ``consumer=`` names it).
Each round, per handler, a worker takes the first non-empty of:

1. its own pending entries (``XREADGROUP ... 0``): a failed handler's event
   is retried before anything later, and a worker restarted under the same
   ``consumer`` name resumes what it held;
2. entries idle longer than ``claim_idle`` seconds in other consumers'
   pending lists (``XAUTOCLAIM``): a worker that died (SIGKILL, a lost host)
   has its events taken over by the others;
3. new entries (``XREADGROUP ... >``), at most ``batch`` at a time.

``XACK`` follows only the handler's return. While this worker holds
entries, a heartbeat thread re-claims them for itself every
``claim_idle / 3`` seconds, so a handler slower than ``claim_idle`` (a
forward retrying for a minute) keeps its events; only a worker that stopped
running loses them.

What is guaranteed: every event reaches every handler at least once (more
than once only for the events a dead or stalled worker held unacknowledged:
at most its in-flight call per handler, since the rest were never called);
``event.dedupe_key`` makes a handler's effects exactly-once. Order: within
one worker, a handler sees events in stream order, and a failure holds that
worker's later events back (as on SQLite); across workers there is no
global order per handler (two workers handle neighbouring events at once,
and a taken-over event is handled after later ones). A handler that needs
order keys on the payload (the meeting, ``occurred_at``) or runs one worker.

Durability is Redis's: run it with ``appendonly yes`` for the receiver's
"on disk before the 200" (``appendfsync everysec`` risks the last second).
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time

from .envelope import Event

log = logging.getLogger("zoom_actions")

STREAM = "zoom-actions:events"
MAXLEN = 100_000
DEDUPE_TTL_S = 7 * 24 * 3600
CLAIM_IDLE_S = 30.0
BATCH = 10

# KEYS: stream, seen-key. ARGV: ttl, maxlen, type, body. The stream id, or nil for a duplicate.
_APPEND = """
if not redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[1]) then return false end
return redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*', 'type', ARGV[3], 'body', ARGV[4])
"""

# KEYS: stream. ARGV: group, consumer. Deletes the consumer only if it holds nothing (atomically: a
# consumer deleted while holding entries would strand them, unclaimable).
_FORGET = """
if #redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2]) > 0 then return 0 end
return redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2]) + 1
"""
FORGET_AFTER_S = 3600.0


def worker_name() -> str:
    """This process's consumer name: unique per process, readable in ``XINFO CONSUMERS``."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class RedisEventLog:
    """``url``: ``redis://[:password@]host:port/db``. ``claim_idle``: seconds before another worker
    takes over an unacknowledged entry. ``timeout``: seconds per Redis call (a blocking wait is kept
    well inside it). Raises :class:`~zoom_actions.store.StoreError`, naming the URL without its
    password, when Redis cannot be reached."""

    def __init__(self, url: str, *, stream: str = STREAM, consumer: str | None = None,
                 claim_idle: float = CLAIM_IDLE_S, batch: int = BATCH, maxlen: int = MAXLEN,
                 dedupe_ttl: float = DEDUPE_TTL_S, timeout: float = 10.0) -> None:
        from ..store import ENV, StoreError, _safe
        try:
            import redis
        except ImportError:
            raise StoreError(f'{ENV}={_safe(url)}: the redis package is needed: pip install "zoom-actions[redis]"') \
                from None
        if claim_idle <= 0 or batch < 1 or maxlen < 1 or dedupe_ttl < 1 or timeout <= 0:
            raise ValueError("RedisEventLog needs claim_idle > 0, batch >= 1, maxlen >= 1, dedupe_ttl >= 1 "
                             "and timeout > 0")
        self.url = self.path = _safe(url)      # ``path``: what the CLI shows as the log's place
        self.stream, self.consumer = stream, consumer or worker_name()
        self.claim_idle, self.batch, self.maxlen = float(claim_idle), int(batch), int(maxlen)
        self.dedupe_ttl, self.timeout = int(dedupe_ttl), float(timeout)
        self._unreachable = (redis.ConnectionError, redis.TimeoutError, OSError)
        self._error, self._response_error = StoreError, redis.ResponseError
        self._redis = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=min(timeout, 5.0),
                                           decode_responses=True)
        self._groups: set[str] = set()
        self._cursors: dict[str, str] = {}          # XAUTOCLAIM's scan position per group
        self._held: dict[str, set[str]] = {}        # group -> ids this worker holds unacknowledged
        self._lock = threading.Lock()
        self._beat: threading.Thread | None = None
        self._closing = threading.Event()
        try:
            self._call("ping")                      # fail now, with the URL, rather than at the first event
        except self._error:
            self._redis.close()
            raise
        self._append = self._redis.register_script(_APPEND)
        self._forget = self._redis.register_script(_FORGET)
        self._swept: dict[str, float] = {}          # group -> when its dead consumers were last forgotten

    # --- plumbing -----------------------------------------------------------------------

    def _call(self, method: str, *args, **kwargs):
        try:
            return getattr(self._redis, method)(*args, **kwargs)
        except self._unreachable as exc:
            raise self._error(f"the event log at {self.url} is unreachable: {type(exc).__name__}") from None

    def _group(self, handler: str) -> str:
        if handler not in self._groups:
            try:
                self._call("xgroup_create", self.stream, handler, id="0", mkstream=True)
            except self._response_error as exc:
                if "BUSYGROUP" not in str(exc):
                    raise
            self._groups.add(handler)
        return handler

    def _grouped(self, handler: str, method: str, *args, **kwargs):
        """A group command; recreates the group once if it vanished (the stream deleted or flushed)."""
        group = self._group(handler)
        try:
            return self._call(method, *args, **kwargs)
        except self._response_error as exc:
            if "NOGROUP" not in str(exc):
                raise
            self._groups.discard(group)
            self._group(handler)
            return self._call(method, *args, **kwargs)

    # --- the log --------------------------------------------------------------------------

    def append(self, event: Event) -> str | None:
        """The event's stream id, or None when its dedupe key was seen within ``dedupe_ttl``."""
        try:
            return self._append(keys=[self.stream, f"{self.stream}:seen:{event.dedupe_key}"],
                                args=[self.dedupe_ttl, self.maxlen, event.type, event.to_json()])
        except self._unreachable as exc:
            raise self._error(f"the event log at {self.url} is unreachable: {type(exc).__name__}") from None

    def pending(self, handler: str, limit: int = 100) -> list[tuple[str, Event]]:
        """Up to ``min(limit, batch)`` entries for ``handler`` to have now, oldest first: this worker's own
        unacknowledged ones, else a dead worker's, else new ones (see the module's docstring)."""
        n = max(1, min(limit, self.batch))
        entries = self._read(handler, "0", n) or self._claim(handler, n) or self._read(handler, ">", n)
        with self._lock:
            self._held.setdefault(handler, set()).update(entry_id for entry_id, _ in entries)
        self._start_heartbeat()
        return entries

    def delivered(self, handler: str, seq: str) -> None:
        self._grouped(handler, "xack", self.stream, handler, seq)
        with self._lock:
            self._held.get(handler, set()).discard(seq)

    def _read(self, handler: str, start: str, n: int) -> list[tuple[str, Event]]:
        reply = self._grouped(handler, "xreadgroup", handler, self.consumer, {self.stream: start}, count=n)
        return self._events(handler, reply[0][1] if reply else [])

    def _claim(self, handler: str, n: int) -> list[tuple[str, Event]]:
        start = self._cursors.get(handler, "0-0")
        reply = self._grouped(handler, "xautoclaim", self.stream, handler, self.consumer,
                              int(self.claim_idle * 1000), start_id=start, count=n)
        self._cursors[handler] = reply[0]
        if reply[0] == "0-0":
            self._forget_dead(handler)
        if len(reply) > 2 and reply[2]:
            log.warning("event handler %s: %d pending events were trimmed from %s (MAXLEN %d) before "
                        "delivery", handler, len(reply[2]), self.stream, self.maxlen)
        entries = self._events(handler, reply[1])
        if entries:
            log.info("event handler %s: took over %d events idle > %.0f s", handler, len(entries), self.claim_idle)
        return entries

    def _forget_dead(self, handler: str) -> None:
        """Every restart adds a consumer name to each group; those idle an hour and holding nothing go
        (at most once per ``FORGET_AFTER_S`` per group), so ``XINFO CONSUMERS`` stays readable."""
        now = time.monotonic()
        if now - self._swept.get(handler, -FORGET_AFTER_S) < FORGET_AFTER_S:
            return
        self._swept[handler] = now
        idle_ms = max(FORGET_AFTER_S, 10 * self.claim_idle) * 1000
        for c in self._call("xinfo_consumers", self.stream, handler):
            if c["name"] != self.consumer and int(c["pending"]) == 0 and int(c["idle"]) > idle_ms:
                self._forget(keys=[self.stream], args=[handler, c["name"]])

    def _events(self, handler: str, raw) -> list[tuple[str, Event]]:
        out = []
        for entry_id, fields in raw:
            if not fields:   # trimmed away while pending: nothing left to deliver
                log.warning("event %s was trimmed from %s before handler %s had it", entry_id, self.stream, handler)
                self._call("xack", self.stream, handler, entry_id)
                continue
            out.append((entry_id, Event.from_json(fields["body"])))
        return out

    def recent(self, limit: int = 50, types: set[str] | None = None) -> list[Event]:
        rows = self._call("xrevrange", self.stream, count=limit * 10)
        return [Event.from_json(f["body"]) for _, f in rows if types is None or f.get("type") in types][:limit]

    def count(self) -> int:
        """The events in the stream (every one accepted, until ``maxlen`` trims the oldest)."""
        return int(self._call("xlen", self.stream))

    def mark(self) -> str:
        """The newest entry's id now ("0-0" for none): ``wait`` returns when one newer arrives."""
        rows = self._call("xrevrange", self.stream, count=1)
        return rows[0][0] if rows else "0-0"

    def wait(self, after: str, timeout_s: float, stop: threading.Event | None = None) -> bool:
        """Block until an entry newer than ``after`` is in the stream, at most ``timeout_s`` (kept
        within the socket timeout); True when one is."""
        block = max(1, int(min(timeout_s, self.timeout / 2) * 1000))
        return bool(self._call("xread", {self.stream: after}, count=1, block=block))

    # --- heartbeat: a slow handler keeps its entries -------------------------------------------

    def _start_heartbeat(self) -> None:
        with self._lock:
            if self._beat is None and not self._closing.is_set():
                self._beat = threading.Thread(target=self._heartbeat, name="zoom-events-claims", daemon=True)
                self._beat.start()

    def _heartbeat(self) -> None:
        while not self._closing.wait(self.claim_idle / 3):
            with self._lock:
                held = {group: sorted(ids) for group, ids in self._held.items() if ids}
            for group, ids in held.items():
                try:   # XCLAIM to ourselves resets the idle time others' XAUTOCLAIM looks at
                    self._call("xclaim", self.stream, group, self.consumer, 0, ids, justid=True)
                except Exception as exc:  # noqa: BLE001 - the next beat tries again; worst case, a takeover
                    log.warning("event claims not renewed for %s: %s", group, exc)

    def close(self) -> None:
        self._closing.set()
        beat, self._beat = self._beat, None
        if beat is not None:
            beat.join(5)
        self._redis.close()
