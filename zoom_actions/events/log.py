"""The durable event log: every accepted event once (by its dedupe key), in
order, and which handler has had which; on SQLite (the store's file, WAL),
so an event is on disk before Zoom gets its 200 and survives a crash.

One host (several processes share the file). For workers on several hosts
the same interface sits on a Redis stream: :mod:`.redis_log`."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

from ..store import connect_sqlite
from .envelope import Event


class EventLog:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        from ..store import ThreadConnections
        self._connections = ThreadConnections(self._open)
        db = self._db()
        db.executescript("""
            CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY AUTOINCREMENT, dedupe_key TEXT NOT NULL UNIQUE,
                                               type TEXT NOT NULL, body TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS deliveries (handler TEXT NOT NULL, seq INTEGER NOT NULL,
                                                   PRIMARY KEY (handler, seq));
        """)

    def _open(self) -> sqlite3.Connection:
        db = connect_sqlite(self.path, isolation_level=None)
        db.execute("PRAGMA synchronous=FULL")   # on disk before the 200
        return db

    def _db(self) -> sqlite3.Connection:
        """This thread's connection (a forked child opens its own: ``zoom_actions.store.ThreadConnections``)."""
        return self._connections.get()

    def append(self, event: Event) -> int | None:
        """The event's sequence number, or None when its dedupe key is already in the log."""
        cur = self._db().execute("INSERT OR IGNORE INTO events (dedupe_key, type, body) VALUES (?, ?, ?)",
                                 (event.dedupe_key, event.type, event.to_json()))
        return cur.lastrowid if cur.rowcount == 1 else None

    def pending(self, handler: str, limit: int = 100) -> list[tuple[int, Event]]:
        """Events ``handler`` has not had yet, oldest first."""
        rows = self._db().execute(
            "SELECT seq, body FROM events WHERE seq NOT IN (SELECT seq FROM deliveries WHERE handler = ?) "
            "ORDER BY seq LIMIT ?", (handler, limit)).fetchall()
        return [(seq, Event.from_json(body)) for seq, body in rows]

    def delivered(self, handler: str, seq: int) -> None:
        self._db().execute("INSERT OR IGNORE INTO deliveries (handler, seq) VALUES (?, ?)", (handler, seq))

    def recent(self, limit: int = 50, types: set[str] | None = None) -> list[Event]:
        rows = self._db().execute("SELECT type, body FROM events ORDER BY seq DESC LIMIT ?", (limit * 10,)).fetchall()
        return [Event.from_json(b) for t, b in rows if types is None or t in types][:limit]

    def count(self) -> int:
        return self._db().execute("SELECT COUNT(*) FROM events").fetchone()[0]

    def mark(self) -> int:
        """The newest sequence number now (0 for none): ``wait`` returns when a newer one is logged."""
        return self._db().execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()[0]

    def wait(self, after: int, timeout_s: float, stop: threading.Event | None = None) -> bool:
        """Until an event newer than ``after`` is logged (by any process), at most ``timeout_s``;
        polled every 50 ms, since SQLite cannot notify. True when one is."""
        deadline = time.monotonic() + timeout_s
        pause = stop.wait if stop is not None else time.sleep
        while self.mark() <= after:
            left = deadline - time.monotonic()
            if left <= 0 or (stop is not None and stop.is_set()):
                return False
            pause(min(0.05, left))
        return True

    def close(self) -> None:
        self._connections.close()
