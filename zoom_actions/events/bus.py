"""Handlers, delivered at least once, in log order.

An event is marked delivered to a handler only after the handler returns,
so a process killed mid-handler delivers it again on restart: a handler
that keys its effects on ``event.dedupe_key`` is exactly-once. A handler
that raises is retried on the next run (its later events wait, keeping
order per handler).
"""

from __future__ import annotations

import fnmatch
import logging
import os
from pathlib import Path
from typing import Callable

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


class Events:
    def __init__(self, log_path: str | Path | None = None) -> None:
        self.log = EventLog(log_path or default_log_path())
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

    def _deliveries(self, limit: int):
        """The delivery order, sans I/O: yields ``(handler, event)`` for each call to make and is
        sent back whether it succeeded; a handler's event is marked delivered only after that (or
        when the handler does not take the event), and a failure leaves its later events waiting."""
        for key, patterns, fn in self._handlers:
            for seq, event in self.log.pending(key, limit):
                if self._matches(patterns, event.type):
                    ok = yield fn, event
                    if not ok:
                        log.error("event handler %s failed on %s: will retry", key, event.id)
                        break
                self.log.delivered(key, seq)

    def run_pending(self, limit: int = 1000) -> int:
        """Deliver what each handler has not had yet; the number of handler calls."""
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

    def webhook_app(self, secret_tokens: list[str] | None = None, *, path: str = "/zoom/events", **options):
        from .receiver import webhook_app
        return webhook_app(self, secret_tokens, path=path, **options)


def _drive(flow, call) -> int:
    """Run ``_deliveries`` with a synchronous ``call(handler, event)``; the number of calls made."""
    calls = 0
    step = next(flow, None)
    while step is not None:
        try:
            call(*step)
            ok = True
        except Exception:  # noqa: BLE001 - a failing handler is retried, not fatal
            ok = False
        calls += ok
        try:
            step = flow.send(ok)
        except StopIteration:
            step = None
    return calls
