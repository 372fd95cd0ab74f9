"""Where shared state lives: one setting for every feature that keeps state
(MCP client tokens today; connections, events, budgets and limits plug in
here).

``ZOOM_ACTIONS_STORE`` (or ``open_store(url)``):

- ``sqlite:///PATH`` (the default: ``<user data dir>/zoom-actions/store.db``),
  one file, safe for several threads and processes on one host (WAL, busy
  timeout; each write is one transaction);
- ``redis://HOST:PORT/DB`` when several processes or hosts share it (the
  ``redis`` package: ``pip install "zoom-actions[redis]"``).

The store holds JSON records by ``(namespace, key)``. It never decides what
is secret: a caller that keeps a secret hashes it (MCP tokens) or encrypts
it before ``put``.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

ENV = "ZOOM_ACTIONS_STORE"


class StoreError(RuntimeError):
    """The store cannot be opened or reached; the message says which and why."""


class Store(Protocol):
    url: str

    def get(self, namespace: str, key: str) -> dict | None: ...
    def put(self, namespace: str, key: str, value: dict) -> None: ...
    def add(self, namespace: str, key: str, value: dict) -> bool: ...
    def delete(self, namespace: str, key: str) -> bool: ...
    def items(self, namespace: str) -> list[tuple[str, dict]]: ...
    def lock(self, name: str, timeout: float = 30.0) -> Any: ...
    def take(self, namespace: str, key: str, limit: int, expires_at: float) -> int | None: ...
    def close(self) -> None: ...


def default_url() -> str:
    from .locations import data_dir
    return f"sqlite:///{data_dir() / 'store.db'}"


def sqlite_path(url: str) -> Path:
    """The file of a ``sqlite:`` store URL: ``sqlite:///tmp/x.db`` is ``/tmp/x.db``."""
    return (Path(url.split("sqlite://", 1)[1]) if url.startswith("sqlite:///") else Path(url[len("sqlite:"):])).expanduser()


def open_store(url: str | os.PathLike | None = None) -> Store:
    """The store at ``url``, else ``$ZOOM_ACTIONS_STORE``, else the SQLite default."""
    text = str(url or os.environ.get(ENV, "").strip() or default_url())
    scheme = urlsplit(text).scheme
    if scheme == "sqlite":
        return SQLiteStore(sqlite_path(text))
    if scheme in ("redis", "rediss", "unix"):
        return RedisStore(text)
    if scheme == "" and text:
        return SQLiteStore(Path(text).expanduser())   # a bare path is a SQLite file
    raise StoreError(f"{ENV}: unknown store {text!r}: use sqlite:///PATH or redis://HOST:PORT/DB")


_inherited: list[sqlite3.Connection] = []   # a parent's connections, held in a forked child: never used or closed


class ThreadConnections:
    """A SQLite connection per thread and per process, made by ``opener()`` on first use. A forked child
    opens its own: no connection crosses a fork (SQLite forbids it; a child closing its copy could run a
    checkpoint under the parent), and the copy it inherited is kept, unused and unclosed, for the life of
    the process."""

    def __init__(self, opener) -> None:
        self._opener, self._local = opener, threading.local()

    def get(self) -> sqlite3.Connection:
        local = self._local
        db = getattr(local, "db", None)
        if db is not None and local.pid != os.getpid():
            _inherited.append(db)
            db = None
        if db is None:
            db = local.db = self._opener()
            local.pid = os.getpid()
        return db

    def close(self) -> None:
        """Close this thread's connection (one inherited from a parent process is left alone)."""
        db = getattr(self._local, "db", None)
        if db is not None:
            if self._local.pid == os.getpid():
                db.close()
            else:
                _inherited.append(db)
            self._local.db = None


def connect_sqlite(path, *, timeout: float = 30.0, **kwargs) -> sqlite3.Connection:
    """A connection to the SQLite file at ``path`` in WAL mode, waiting up to ``timeout`` seconds on a lock.
    Processes opening a new file at once each ask for WAL; SQLite answers all but one "database is locked"
    at once, without waiting on its busy timeout, so the switch is retried (with a short back-off) until
    ``timeout``: a second worker starting beside the first never fails to open the store."""
    db = sqlite3.connect(path, timeout=timeout, **kwargs)
    try:
        db.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
        deadline, delay = time.monotonic() + timeout, 0.005
        while True:
            try:
                db.execute("PRAGMA journal_mode=WAL")
                return db
            except sqlite3.OperationalError as exc:
                if not _LOCKED.search(str(exc)) or time.monotonic() + delay > deadline:
                    raise
            time.sleep(delay)
            delay = min(delay * 2, 0.1)
    except BaseException:
        db.close()
        raise


_LOCKED = re.compile(r"\b(?:locked|busy)\b")


class SQLiteStore:
    """One SQLite file; a connection per thread (and per process: :class:`ThreadConnections`)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.url = f"sqlite:///{self.path}"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if not self.path.exists():
                self.path.touch(mode=0o600)   # may hold hashes and ciphertext: the user's alone
        except OSError as exc:
            raise StoreError(f"cannot create the store {self.path}: {exc.strerror or exc}") from None
        self._connections = ThreadConnections(self._open)
        with self._conn() as db:
            db.execute("CREATE TABLE IF NOT EXISTS records (namespace TEXT NOT NULL, key TEXT NOT NULL, "
                       "value TEXT NOT NULL, PRIMARY KEY (namespace, key))")

    def _open(self) -> sqlite3.Connection:
        try:
            db = connect_sqlite(self.path, isolation_level=None)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the store {self.path}: {exc}") from None
        return db

    def _conn(self) -> sqlite3.Connection:
        return _Transaction(self._connections.get())  # type: ignore[return-value]

    def get(self, namespace: str, key: str) -> dict | None:
        with self._conn() as db:
            row = db.execute("SELECT value FROM records WHERE namespace=? AND key=?", (namespace, key)).fetchone()
        return json.loads(row[0]) if row else None

    def put(self, namespace: str, key: str, value: dict) -> None:
        with self._conn() as db:
            db.execute("INSERT INTO records (namespace, key, value) VALUES (?, ?, ?) ON CONFLICT (namespace, key) "
                       "DO UPDATE SET value=excluded.value", (namespace, key, json.dumps(value)))

    def add(self, namespace: str, key: str, value: dict) -> bool:
        """Insert only if absent; False when the key exists."""
        with self._conn() as db:
            cur = db.execute("INSERT OR IGNORE INTO records (namespace, key, value) VALUES (?, ?, ?)",
                             (namespace, key, json.dumps(value)))
        return cur.rowcount == 1

    def delete(self, namespace: str, key: str) -> bool:
        with self._conn() as db:
            cur = db.execute("DELETE FROM records WHERE namespace=? AND key=?", (namespace, key))
        return cur.rowcount > 0

    def items(self, namespace: str) -> list[tuple[str, dict]]:
        with self._conn() as db:
            rows = db.execute("SELECT key, value FROM records WHERE namespace=? ORDER BY key", (namespace,)).fetchall()
        return [(k, json.loads(v)) for k, v in rows]

    def take(self, namespace: str, key: str, limit: int, expires_at: float) -> int | None:
        """Atomically count one more use of ``key`` if fewer than ``limit``
        were counted: the new count, or None when the limit is reached. The
        count is forgotten at ``expires_at`` (epoch seconds)."""
        import time as _time
        with self._conn() as db:   # BEGIN IMMEDIATE: one writer at a time, across processes
            row = db.execute("SELECT value FROM records WHERE namespace=? AND key=?", (namespace, key)).fetchone()
            state = json.loads(row[0]) if row else None
            if state is None or state.get("expires_at", 0) <= _time.time():
                state = {"n": 0, "expires_at": expires_at}
            if state["n"] >= limit:
                return None
            state["n"] += 1
            db.execute("INSERT INTO records (namespace, key, value) VALUES (?, ?, ?) ON CONFLICT (namespace, key) "
                       "DO UPDATE SET value=excluded.value", (namespace, key, json.dumps(state)))
        return state["n"]

    def lock(self, name: str, timeout: float = 30.0):
        """A lock across threads and processes of this host (a file lock beside the store)."""
        import hashlib

        from filelock import FileLock
        locks = self.path.with_name(self.path.name + ".locks")
        locks.mkdir(exist_ok=True)
        # thread_local=False: an async caller may take the lock in one worker thread and release it in another
        return FileLock(str(locks / (hashlib.sha256(name.encode()).hexdigest()[:32] + ".lock")), timeout=timeout,
                        thread_local=False)

    def close(self) -> None:
        self._connections.close()


class _Transaction:
    """``with``: one immediate transaction on the thread's connection."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> sqlite3.Connection:
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, exc_type, *_: Any) -> None:
        self.db.execute("ROLLBACK" if exc_type else "COMMIT")


class RedisStore:
    """A Redis hash per namespace: ``zoom-actions:<namespace>``."""

    PREFIX = "zoom-actions:"

    def __init__(self, url: str) -> None:
        try:
            import redis
        except ImportError:
            raise StoreError(f'{ENV}={url}: the redis package is needed: pip install "zoom-actions[redis]"') from None
        self.url = url
        self._redis = redis.Redis.from_url(url, socket_timeout=10, socket_connect_timeout=5)
        self._errors = (redis.RedisError, OSError)

    def _call(self, method: str, *args: Any) -> Any:
        try:
            return getattr(self._redis, method)(*args)
        except self._errors as exc:
            raise StoreError(f"the store at {_safe(self.url)} is unreachable: {type(exc).__name__}") from None

    def get(self, namespace: str, key: str) -> dict | None:
        raw = self._call("hget", self.PREFIX + namespace, key)
        return json.loads(raw) if raw else None

    def put(self, namespace: str, key: str, value: dict) -> None:
        self._call("hset", self.PREFIX + namespace, key, json.dumps(value))

    def add(self, namespace: str, key: str, value: dict) -> bool:
        return bool(self._call("hsetnx", self.PREFIX + namespace, key, json.dumps(value)))

    def delete(self, namespace: str, key: str) -> bool:
        return bool(self._call("hdel", self.PREFIX + namespace, key))

    def items(self, namespace: str) -> list[tuple[str, dict]]:
        raw = self._call("hgetall", self.PREFIX + namespace)
        return sorted((k.decode(), json.loads(v)) for k, v in raw.items())

    _TAKE = ("local n = tonumber(redis.call('GET', KEYS[1]) or '0') "
             "if n >= tonumber(ARGV[1]) then return -1 end "
             "n = redis.call('INCR', KEYS[1]) redis.call('EXPIREAT', KEYS[1], ARGV[2]) return n")

    def take(self, namespace: str, key: str, limit: int, expires_at: float) -> int | None:
        """As ``SQLiteStore.take``, in one Lua script (atomic on the server)."""
        n = self._call("eval", self._TAKE, 1, f"{self.PREFIX}{namespace}:{key}", limit, int(expires_at) + 1)
        return None if int(n) < 0 else int(n)

    def lock(self, name: str, timeout: float = 30.0):
        """A lock across every process and host on this Redis (expires if its holder dies)."""
        return self._redis.lock(self.PREFIX + "lock:" + name, timeout=max(timeout, 30.0), blocking_timeout=timeout)

    def close(self) -> None:
        self._redis.close()


def _safe(url: str) -> str:
    """A store URL without its password."""
    parts = urlsplit(url)
    if parts.password:
        netloc = f"{parts.username or ''}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
        return parts._replace(netloc=netloc).geturl()
    return url
