"""Handlers, delivered at least once, in log order.

An event is marked delivered to a handler only after the handler returns,
so a process killed mid-handler delivers it again on restart: a handler
that keys its effects on ``event.dedupe_key`` is exactly-once. A handler
that raises is retried on the next run (its later events wait, keeping
order per handler).
"""

from __future__ import annotations

import fnmatch
import inspect
import logging
import os
from pathlib import Path
from typing import Callable

from .envelope import Event
from .log import EventLog

log = logging.getLogger("zoom_actions")


def default_log_path() -> Path:
    """The event log beside the store: the store's SQLite file's directory, else the user data directory."""
    url = os.environ.get("ZOOM_ACTIONS_STORE", "")
    if url.startswith("sqlite:///"):
        return Path(url[len("sqlite:///"):]).expanduser().with_name("events.db")
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

    def run_pending(self, limit: int = 1000) -> int:
        """Deliver what each handler has not had yet; the number of handler calls."""
        calls = 0
        for key, patterns, fn in self._handlers:
            for seq, event in self.log.pending(key, limit):
                if self._matches(patterns, event.type):
                    try:
                        result = fn(event)
                        if inspect.isawaitable(result):
                            import asyncio
                            asyncio.run(_await(result))
                    except Exception as exc:  # noqa: BLE001 - a failing handler is retried, not fatal
                        log.error("event handler %s failed on %s (%s): will retry", key, event.id, type(exc).__name__)
                        break
                    calls += 1
                self.log.delivered(key, seq)
        return calls

    async def arun_pending(self, limit: int = 1000) -> int:
        calls = 0
        for key, patterns, fn in self._handlers:
            for seq, event in self.log.pending(key, limit):
                if self._matches(patterns, event.type):
                    try:
                        result = fn(event)
                        if inspect.isawaitable(result):
                            await result
                    except Exception as exc:  # noqa: BLE001
                        log.error("event handler %s failed on %s (%s): will retry", key, event.id, type(exc).__name__)
                        break
                    calls += 1
                self.log.delivered(key, seq)
        return calls

    def webhook_app(self, secret_tokens: list[str] | None = None, *, path: str = "/zoom/events", **options):
        from .receiver import webhook_app
        return webhook_app(self, secret_tokens, path=path, **options)


async def _await(awaitable):
    return await awaitable
