"""The sandbox's state: JSON documents by kind and key, in memory or SQLite.

Both backends keep documents in insertion order (an update keeps a
document's place), hand out copies (a handler can never change state by
mutating what it read), and run each request inside ``transaction()``: one
lock per store and, for SQLite, ``BEGIN IMMEDIATE`` so that processes
sharing a database file serialise their writes too.
"""

from __future__ import annotations

import json
import os
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from ..store import connect_sqlite


class Store:
    """Interface shared by the backends."""

    def get(self, kind: str, key: str) -> dict | None:
        raise NotImplementedError

    def put(self, kind: str, key: str, doc: dict, parent: str = "") -> None:
        raise NotImplementedError

    def delete(self, kind: str, key: str) -> bool:
        raise NotImplementedError

    def list(self, kind: str, parent: str | None = None) -> list[dict]:
        raise NotImplementedError

    def clear(self) -> None:
        raise NotImplementedError

    @contextmanager
    def transaction(self) -> Iterator["Store"]:
        raise NotImplementedError
        yield self

    def close(self) -> None:
        pass

    # helpers shared by both backends
    def find(self, kind: str, parent: str | None = None, **match: Any) -> dict | None:
        for doc in self.list(kind, parent):
            if all(doc.get(k) == v for k, v in match.items()):
                return doc
        return None


def _copy(doc: dict) -> dict:
    return json.loads(json.dumps(doc))


class MemoryStore(Store):
    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._docs: dict[str, dict[str, tuple[str, str]]] = {}

    def get(self, kind, key):
        with self._lock:
            row = self._docs.get(kind, {}).get(str(key))
            return json.loads(row[1]) if row else None

    def put(self, kind, key, doc, parent=""):
        with self._lock:
            self._docs.setdefault(kind, {})[str(key)] = (str(parent), json.dumps(doc))

    def delete(self, kind, key):
        with self._lock:
            return self._docs.get(kind, {}).pop(str(key), None) is not None

    def list(self, kind, parent=None):
        with self._lock:
            return [json.loads(body) for p, body in self._docs.get(kind, {}).values()
                    if parent is None or p == str(parent)]

    def clear(self):
        with self._lock:
            self._docs.clear()

    @contextmanager
    def transaction(self):
        with self._lock:
            yield self


_SCHEMA = """
CREATE TABLE IF NOT EXISTS docs (
    seq    INTEGER PRIMARY KEY AUTOINCREMENT,
    kind   TEXT NOT NULL,
    key    TEXT NOT NULL,
    parent TEXT NOT NULL DEFAULT '',
    body   TEXT NOT NULL,
    UNIQUE (kind, key)
);
CREATE INDEX IF NOT EXISTS docs_parent ON docs (kind, parent);
"""


class SqliteStore(Store):
    """State in a SQLite file, shared by every process that opens it."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path).expanduser()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._depth = 0
        self._conn = connect_sqlite(str(self.path), check_same_thread=False, isolation_level=None)
        self._conn.executescript(_SCHEMA)

    def get(self, kind, key):
        with self._lock:
            row = self._conn.execute("SELECT body FROM docs WHERE kind=? AND key=?", (kind, str(key))).fetchone()
            return json.loads(row[0]) if row else None

    def put(self, kind, key, doc, parent=""):
        with self.transaction():
            self._conn.execute(
                "INSERT INTO docs (kind, key, parent, body) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (kind, key) DO UPDATE SET parent=excluded.parent, body=excluded.body",
                (kind, str(key), str(parent), json.dumps(doc)))

    def delete(self, kind, key):
        with self.transaction():
            cur = self._conn.execute("DELETE FROM docs WHERE kind=? AND key=?", (kind, str(key)))
            return cur.rowcount > 0

    def list(self, kind, parent=None):
        with self._lock:
            if parent is None:
                rows = self._conn.execute("SELECT body FROM docs WHERE kind=? ORDER BY seq", (kind,))
            else:
                rows = self._conn.execute("SELECT body FROM docs WHERE kind=? AND parent=? ORDER BY seq",
                                          (kind, str(parent)))
            return [json.loads(r[0]) for r in rows.fetchall()]

    def clear(self):
        with self.transaction():
            self._conn.execute("DELETE FROM docs")

    @contextmanager
    def transaction(self):
        with self._lock:
            outer = self._depth == 0
            if outer:
                self._conn.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield self
            except BaseException:
                self._depth -= 1
                if outer:
                    self._conn.execute("ROLLBACK")
                raise
            self._depth -= 1
            if outer:
                self._conn.execute("COMMIT")

    def close(self):
        with self._lock:
            self._conn.close()


def open_store(db: str | os.PathLike | None) -> Store:
    """``None`` or ``":memory:"``: a fresh in-memory store; else a SQLite file."""
    if db is None or str(db) == ":memory:":
        return MemoryStore()
    return SqliteStore(db)


def default_db_path() -> Path:
    """Where ``zoom-actions run --sandbox`` keeps state between invocations:
    ``$ZOOM_SANDBOX_DB``, else ``$XDG_CACHE_HOME/zoom-actions/sandbox.db``
    (``~/.cache/zoom-actions/sandbox.db``)."""
    env = os.environ.get("ZOOM_SANDBOX_DB")
    if env:
        return Path(env).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache).expanduser() / "zoom-actions" / "sandbox.db"
