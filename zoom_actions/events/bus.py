"""Handlers, delivered at least once, in log order.

An event is marked delivered to a handler only after the handler returns,
so a process killed mid-handler delivers it again on restart: a handler
that keys its effects on ``event.dedupe_key`` is exactly-once. A handler
that raises is retried on the next run (its later events wait, keeping
order per handler).

The log is picked from ``ZOOM_ACTIONS_STORE`` (or ``Events(store=...)``):
SQLite beside the store by default (:mod:`.log`; one host, order per
handler is the log's), or a Redis stream with a consumer group per handler
when the store is ``redis://`` (:mod:`.redis_log`: several workers share
the work, a dead worker's events are taken over; order holds per worker,
not across workers). An explicit ``log_path`` always means SQLite. Both
logs have the same interface, so one delivery loop (``_deliveries``) drives
either, from ``run_pending``, ``arun_pending`` or a worker's
``serve_forever``.
"""

from __future__ import annotations

import fnmatch
import logging
import os
import threading
from pathlib import Path
from typing import Any, Callable, NamedTuple

from .envelope import Event
from .log import EventLog

log = logging.getLogger("zoom_actions")


def default_log_path() -> Path:
    """The event log beside the store: the store's SQLite file's directory, else the user data directory."""
    url = os.environ.get("ZOOM_ACTIONS_STORE", "").strip()
    if url.startswith("sqlite:"):
        from ..store import sqlite_path
        return sqlite_path(url).with_name("events.db")    # read as the store reads it: sqlite:///tmp/x is /tmp/x
    from ..locations import data_dir
    return data_dir() / "events.db"


def _store_url(store: Any) -> str:
    """A store given as a URL, a path or a store object (its ``url``), else ``ZOOM_ACTIONS_STORE``."""
    if store is None:
        return os.environ.get("ZOOM_ACTIONS_STORE", "").strip()
    return str(getattr(store, "url", store))


def open_log(log_path: str | Path | None = None, store: Any = None, **redis_options):
    """The event log: SQLite at ``log_path`` when given; else a Redis stream when the store is
    ``redis://`` (``redis_options``: see :class:`.redis_log.RedisEventLog`); else SQLite beside the store."""
    if log_path is not None:
        return EventLog(log_path)
    url = _store_url(store)
    if url.split(":", 1)[0] in ("redis", "rediss", "unix"):
        from .redis_log import RedisEventLog
        return RedisEventLog(url, **redis_options)
    if store is not None and url:
        from ..store import ENV, StoreError, sqlite_path
        if url.startswith("sqlite:"):
            return EventLog(sqlite_path(url).with_name("events.db"))
        if "://" in url:
            raise StoreError(f"{ENV}: unknown store {url.split('://', 1)[0]}://...: use sqlite:///PATH or "
                             "redis://HOST:PORT/DB")
        return EventLog(Path(url).expanduser().with_name("events.db"))   # a bare path is a SQLite store file
    return EventLog(default_log_path())


class Round(NamedTuple):
    """One pass of the delivery loop: handler calls that returned, events looked at, calls that raised."""
    calls: int
    seen: int
    failed: int


class Events:
    """``Events()``: the log ``ZOOM_ACTIONS_STORE`` says; ``Events(path)``: a SQLite log file;
    ``Events(store="redis://...", claim_idle=..., consumer=...)``: that store's log (the keyword
    options are the Redis log's, ignored on SQLite)."""

    def __init__(self, log_path: str | Path | None = None, *, store: Any = None, **redis_options) -> None:
        self.log = open_log(log_path, store, **redis_options)
        self._handlers: list[tuple[str, tuple[str, ...], Callable]] = []

    def on(self, *patterns: str, name: str | None = None):
        """Decorator: ``fn(event)`` for events whose type matches a pattern (glob; none: every event).
        ``name`` identifies the handler in the log (default: its module and qualified name)."""
        def register(fn: Callable) -> Callable:
            key = name or f"{fn.__module__}.{fn.__qualname__}"
            self._handlers.append((key, patterns or ("*",), fn))
            return fn
        return register

    def accept(self, event: Event) -> bool:
        """Append to the log; False for a duplicate (Zoom's retry of an event already accepted)."""
        return self.log.append(event) is not None

    def _matches(self, patterns: tuple[str, ...], kind: str) -> bool:
        return any(fnmatch.fnmatchcase(kind, p) for p in patterns)

    def forward(self, url: str, secret: str | bytes | None = None, *patterns: str, **options):
        """Forward events matching ``patterns`` (none: all) to ``url``, signed with Standard Webhooks:
        ``sinks.Forward(url, secret, **options)`` registered under its stable name; the sink."""
        from .sinks import Forward, attach
        return attach(self, Forward(url, secret, **options), *patterns)

    def to_jsonl(self, path: str | Path, *patterns: str, **options):
        """Append events matching ``patterns`` (none: all) to a JSON Lines file: ``sinks.JsonlSink``."""
        from .sinks import JsonlSink, attach
        return attach(self, JsonlSink(path, **options), *patterns)

    def _deliveries(self, limit: int):
        """The delivery order, sans I/O: yields ``(handler, event)`` for each call to make and is
        sent back whether it succeeded; a handler's event is marked delivered only after that (or
        when the handler does not take the event), and a failure leaves its later events waiting.
        Up to ``limit`` events per handler, fetched in the log's batches (Redis hands out a few at a
        time, so workers share them). Returns how many events it looked at (0: nothing pending)."""
        seen = 0
        for key, patterns, fn in self._handlers:
            taken, failed = 0, False
            while taken < limit and not failed:
                batch = self.log.pending(key, limit - taken)
                if not batch:
                    break
                for seq, event in batch:
                    seen, taken = seen + 1, taken + 1
                    if self._matches(patterns, event.type):
                        ok = yield fn, event
                        if not ok:
                            log.error("event handler %s failed on %s: will retry", key, event.id)
                            failed = True
                            break
                    self.log.delivered(key, seq)
        return seen

    def run_pending(self, limit: int = 1000) -> int:
        """Deliver what each handler has not had yet; the number of handler calls."""
        return self._round(limit).calls

    def _round(self, limit: int) -> Round:
        from ..hooks import run_sync
        return _drive(self._deliveries(limit), lambda fn, event: run_sync(fn(event)))

    async def arun_pending(self, limit: int = 1000) -> int:
        from ..hooks import run_async
        calls, flow = 0, self._deliveries(limit)
        step = next(flow, None)
        while step is not None:
            try:
                await run_async(step[0](step[1]))
                ok = True
            except Exception:  # noqa: BLE001 - a failing handler is retried, not fatal
                ok = False
            calls += ok
            try:
                step = flow.send(ok)
            except StopIteration:
                step = None
        return calls

    def work(self, stop: threading.Event | None = None, *, block_ms: int = 1000, limit: int = 100) -> int:
        """One worker round: deliver what is pending; when there was nothing, wait up to ``block_ms``
        for a new event (Redis: a blocking ``XREAD``; SQLite: polling); after a round whose calls all
        failed, wait ``block_ms`` before the retry. The number of handler calls that returned."""
        mark = self.log.mark()
        done = self._round(limit)
        if stop is not None and stop.is_set():
            return done.calls
        if done.failed and not done.calls:
            (stop or threading.Event()).wait(block_ms / 1000)
        elif not done.seen:
            self.log.wait(mark, block_ms / 1000, stop)
        return done.calls

    def serve_forever(self, stop: threading.Event | None = None, *, block_ms: int = 1000, limit: int = 100) -> None:
        """A worker: ``work`` until ``stop`` is set. Without ``stop``, SIGTERM and SIGINT stop it after
        the call in flight (when run in the main thread). Run as many as you like on one Redis: each
        handler's events are shared between them. An unreachable store is logged and retried with
        backoff (up to 30 s), not fatal."""
        from ..store import StoreError
        if stop is None:
            stop = threading.Event()
            if threading.current_thread() is threading.main_thread():
                import signal
                for sig in (signal.SIGTERM, signal.SIGINT):
                    signal.signal(sig, lambda *_: stop.set())
        backoff = 0.5
        while not stop.is_set():
            try:
                self.work(stop, block_ms=block_ms, limit=limit)
                backoff = 0.5
            except StoreError as exc:
                log.warning("event delivery paused: %s; retrying in %.1f s", exc, backoff)
                stop.wait(backoff)
                backoff = min(backoff * 2, 30.0)

    def webhook_app(self, secret_tokens: list[str] | None = None, *, path: str = "/zoom/events", **options):
        from .receiver import webhook_app
        return webhook_app(self, secret_tokens, path=path, **options)


def _drive(flow, call) -> Round:
    """Run ``_deliveries`` with a synchronous ``call(handler, event)``: what the round did."""
    calls = failed = seen = 0
    try:
        step = next(flow)
        while True:
            try:
                call(*step)
                ok = True
            except Exception:  # noqa: BLE001 - a failing handler is retried, not fatal
                ok = False
            calls += ok
            failed += not ok
            step = flow.send(ok)
    except StopIteration as end:
        seen = end.value or 0
    return Round(calls, seen, failed)
