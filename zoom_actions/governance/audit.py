"""The audit trail: every call, allowed or not, one record each, chained.

Each record carries ``seq`` (1, 2, ...), the hash of the record before it
(``prev``) and its own ``hash`` (SHA-256 over its canonical JSON without
``hash``), so a changed, inserted or deleted record breaks the chain
(``verify``; ``zoom-actions audit verify``). Parameters are stored with
secrets masked and with the fields a policy marks personal masked too.

Where: ``ZOOM_ACTIONS_AUDIT=PATH.jsonl`` (one JSON object per line), else a
SQLite file beside the store (``audit.db``). Appends from several
processes are serialized (an flock on the JSONL file, an immediate
transaction on SQLite), so the chain stays one chain.

When: a call's record is written while the next request waits for Zoom's
answer (the runtime's transport runs :func:`write_pending` then: the work
overlaps the network instead of adding to the call), or at the latest
``LATEST`` (50 ms) after the call, by a thread that is idle otherwise; and
by ``flush()``, ``close()`` (``Toolkit.close``), at interpreter exit and
before any reader in the process reads the same log. What a SIGKILL can
take is the records of the last 50 ms. ``durable=True``
(``ZOOM_ACTIONS_AUDIT_DURABLE=1``) writes each record before its call
returns instead.
"""

from __future__ import annotations

import atexit
import collections
import fnmatch
import hashlib
import json
import logging
import os
import sqlite3
import threading
import time
import weakref
from pathlib import Path
from typing import Any, Callable, Iterator

from ..redact import scrub_data
from ..store import connect_sqlite

ENV = "ZOOM_ACTIONS_AUDIT"
DURABLE_ENV = "ZOOM_ACTIONS_AUDIT_DURABLE"
GENESIS = "0" * 64
LATEST = 0.05   # s: a record not written during a later request's wait is written by then
log = logging.getLogger("zoom_actions.audit")
_live: "weakref.WeakSet[AuditLog]" = weakref.WeakSet()   # logs with records to write
_every: "weakref.WeakSet[AuditLog]" = weakref.WeakSet()  # every log of the process (fork hooks)


def _canonical(record: dict) -> str:
    body = {k: v for k, v in record.items() if k != "hash"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _digest(record: dict) -> str:
    return hashlib.sha256(_canonical(record).encode()).hexdigest()


def _sealed(record: dict) -> tuple[dict, str]:
    """The record with its hash, and its line: the canonical JSON with the hash last (one serialization)."""
    text = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)   # no "hash" yet
    record["hash"] = digest = hashlib.sha256(text.encode()).hexdigest()
    return record, text[:-1] + f',"hash":"{digest}"}}'



def mask_params(params: dict, personal: set[str]) -> dict:
    """The call's flat params with secrets masked in their values (their names are the action's own
    parameters: validated, never a secret) and the personal ones (``personal``: globs) masked whole."""
    return {key: "***" if personal and any(fnmatch.fnmatchcase(key, p) for p in personal) else
            (value if type(value) in _PLAIN else scrub_data(value)) for key, value in (params or {}).items()}


_PLAIN = frozenset({int, float, bool, type(None)})   # nothing in them to mask
_second: tuple[int, str] = (-1, "")   # the last whole second stamped, and its text (swapped whole)


def _stamp(at: float) -> str:
    """``at`` as ISO 8601 UTC to the millisecond (``2026-12-03T10:00:00.123Z``), as ``datetime`` writes it."""
    global _second
    whole = int(at)
    micro = round((at - whole) * 1e6)   # as datetime rounds a timestamp, then cut to the millisecond
    if micro >= 1_000_000:
        whole, micro = whole + 1, micro - 1_000_000
    second = _second
    if second[0] != whole:
        second = _second = (whole, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)))
    return f"{second[1]}.{micro // 1000:03d}Z"


def default_path() -> Path:
    env = os.environ.get(ENV, "").strip()
    if env:
        return Path(env).expanduser()
    url = os.environ.get("ZOOM_ACTIONS_STORE", "")
    if url.startswith("sqlite:///"):
        return Path(url[len("sqlite:///"):]).expanduser().with_name("audit.db")
    from ..locations import data_dir
    return data_dir() / "audit.db"


class AuditLog:
    def __init__(self, path: str | os.PathLike | None = None, *, fsync: bool = False,
                 durable: bool | None = None) -> None:
        self.path = Path(path) if path else default_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.jsonl = self.path.suffix == ".jsonl"
        self.fsync = fsync   # flushed to the OS on every write; fsync: to the disk too (power loss)
        self.durable = durable if durable is not None else os.environ.get(DURABLE_ENV, "") not in ("", "0")
        self.write_errors = 0
        self._pending: collections.deque = collections.deque()   # (time, fields) not written yet
        self._latest: threading.Thread | None = None
        self._wake, self._parked = threading.Event(), False
        self._mutex = threading.Lock()
        # (file size after our last write, or the database's data_version then; that record)
        self._last_seen: tuple[int, dict] | None = None
        self._db = None
        self._fd: int | None = None
        self._closed = False
        self._pid = os.getpid()
        _every.add(self)
        if not self.jsonl:
            self._open_db()

    def _open_db(self) -> None:
        self._last_seen = None   # a data_version is only comparable on the connection that read it
        self._db = connect_sqlite(self.path, isolation_level=None, check_same_thread=False)
        self._db.execute(f"PRAGMA synchronous={'FULL' if self.fsync else 'NORMAL'}")
        self._db.execute("CREATE TABLE IF NOT EXISTS audit (seq INTEGER PRIMARY KEY, record TEXT NOT NULL)")

    def append(self, **fields: Any) -> dict | None:
        """Add one record at the end of the chain (one chain across threads and processes): written now
        and returned when durable, else written soon (see the module's docstring) and None."""
        return self.append_built(fields)

    def append_built(self, fields: "dict | Callable[[], dict]") -> dict | None:
        """As :meth:`append`, with the record's fields, or a function that returns them: called when the
        record is written (during a later request's wait, unless durable), so what it costs to build a
        record (masking the params, reading the error) is off the call's path too."""
        if self._pid != os.getpid():
            self._forked()
        item = (time.time(), fields)
        if self.durable:
            with self._mutex:
                return self._write([item])[0]
        self._pending.append(item)
        if self._latest is None:
            self._start()
        if self._parked:   # the thread sleeps with nothing to do: it writes this one if no request does
            self._wake.set()
        return None

    def write_pending(self, wait: bool = False) -> None:
        """Write the records appended so far (``wait``: even if another thread is writing now)."""
        if not self._pending or self._pid != os.getpid():
            return
        if not self._mutex.acquire(blocking=wait):
            return   # another thread is writing them
        try:
            items = []
            while self._pending:
                items.append(self._pending.popleft())
            if items:
                try:
                    self._write(items)
                except Exception as exc:   # noqa: BLE001 - reported, and the next records still go
                    self.write_errors += len(items)
                    log.error("audit: %d record(s) could not be written to %s: %s", len(items), self.path,
                              type(exc).__name__)
        finally:
            self._mutex.release()

    def flush(self) -> None:
        """Every record appended so far is written when this returns."""
        self.write_pending(wait=True)

    def _start(self) -> None:
        with self._mutex:
            if self._latest is None:
                _live.add(self)
                from .. import transport
                transport.while_waiting(write_all_pending)
                self._latest = threading.Thread(target=self._write_late, daemon=True,
                                                name=f"zoom-actions audit {self.path.name}")
                self._latest.start()

    def _write_late(self) -> None:
        """What no request's wait has written within ``LATEST`` of its call (the last call of a burst)."""
        ref = weakref.ref(self)
        wake = self._wake
        del self
        while True:
            log_ = ref()
            if log_ is None:
                return
            log_._parked = True   # before looking: an append from now on wakes us
            pending = bool(log_._pending)
            del log_
            if not pending:
                wake.wait(LATEST * 20)
                wake.clear()
                continue
            time.sleep(LATEST)
            log_ = ref()
            if log_ is None:
                return
            log_._parked = False
            log_.write_pending(wait=True)
            del log_

    def _forked(self) -> None:
        """In a forked child: a descriptor and a lock of its own (an flock on the parent's open file would
        not keep the two apart), and a SQLite connection of its own (none crosses a fork: see
        ``_before_fork``); the parent writes its own pending records."""
        self._pid, self._mutex, self._last_seen = os.getpid(), threading.Lock(), None
        self._pending, self._latest, self._wake, self._parked = collections.deque(), None, threading.Event(), False
        if self._fd is not None:
            os.close(self._fd)   # the child's copy; the parent's stays open
            self._fd = None
        if not self.jsonl and self._db is None and not self._closed:
            self._open_db()

    # SQLite must not see a connection cross a fork (a child that closes its copy can check-point and
    # reset the parent's WAL under it): each log's connection is closed just before a fork, while no
    # thread is writing (its lock held), and opened again on both sides after it.
    def _before_fork(self) -> None:
        self._mutex.acquire()
        if self._db is not None:
            self._db.close()
            self._db = None

    def _after_fork_in_parent(self) -> None:
        try:
            if not self.jsonl and not self._closed:
                self._open_db()
        finally:
            self._mutex.release()

    def _write(self, items: list) -> list[dict]:
        return self._append_jsonl(items) if self.jsonl else self._append_sqlite(items)

    @staticmethod
    def _chain(last: dict | None, items: list) -> tuple[list[dict], list[str]]:
        records, lines = [], []
        for at, fields in items:
            if callable(fields):
                fields = fields()
            record, line = _sealed({"seq": (last["seq"] + 1) if last else 1, "time": _stamp(at),
                                    **fields, "prev": last["hash"] if last else GENESIS})
            records.append(record)
            lines.append(line)
            last = record
        return records, lines

    def _append_jsonl(self, items: list) -> list[dict]:
        import fcntl
        if self._fd is None:   # a raw descriptor, kept: O_APPEND makes every write land at the end
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        fd = self._fd
        fcntl.flock(fd, fcntl.LOCK_EX)   # other processes append to the same chain
        try:
            size = os.fstat(fd).st_size
            last = self._last_seen[1] if self._last_seen and self._last_seen[0] == size else self._tail(size)
            records, lines = self._chain(last, items)
            data = ("\n".join(lines) + "\n").encode()
            os.write(fd, data)
            if self.fsync:
                os.fsync(fd)
            self._last_seen = (size + len(data), records[-1])
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
        return records

    def _tail(self, size: int) -> dict | None:
        if size == 0:
            return None
        with open(self.path, "rb") as fh:
            fh.seek(max(0, size - 65536))
            lines = [ln for ln in fh.read().splitlines() if ln.strip()]
        return json.loads(lines[-1]) if lines else None

    def _append_sqlite(self, items: list) -> list[dict]:
        try:
            return self._append_sqlite_once(items)
        except sqlite3.IntegrityError:   # a seq another process took: chain onto the record it wrote
            self._last_seen = None
            return self._append_sqlite_once(items)

    def _append_sqlite_once(self, items: list) -> list[dict]:
        db = self._db
        db.execute("BEGIN IMMEDIATE")   # one writer across processes: the chain stays one chain
        try:
            # the last record is the one we wrote unless another connection has committed since
            # (data_version changes only for other connections' commits)
            version = db.execute("PRAGMA data_version").fetchone()[0]
            if self._last_seen is not None and self._last_seen[0] == version:
                last = self._last_seen[1]
            else:
                row = db.execute("SELECT record FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
                last = json.loads(row[0]) if row else None
            records, lines = self._chain(last, items)
            db.executemany("INSERT INTO audit (seq, record) VALUES (?, ?)",
                           [(r["seq"], line) for r, line in zip(records, lines)])
            db.execute("COMMIT")
        except BaseException:
            self._last_seen = None
            db.execute("ROLLBACK")
            raise
        self._last_seen = (version, records[-1])
        return records

    def close(self) -> None:
        self.flush()
        _live.discard(self)
        self._closed = True
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        if self._db is not None:
            self._db.close()
            self._db = None

    def records(self) -> Iterator[dict]:
        write_all_pending(self.path)   # what this process has yet to write to this log is read too
        if self.jsonl:
            if not self.path.exists():
                return
            with open(self.path, encoding="utf-8") as fh:
                for line in fh:
                    if line.strip():
                        yield json.loads(line)
            return
        db = sqlite3.connect(self.path, timeout=30)
        try:
            for (text,) in db.execute("SELECT record FROM audit ORDER BY seq"):
                yield json.loads(text)
        finally:
            db.close()

    def verify(self) -> list[str]:
        """Every break in the chain: a changed, inserted or deleted record."""
        problems, prev, expected = [], GENESIS, 1
        for rec in self.records():
            seq = rec.get("seq")
            if seq != expected:
                problems.append(f"record {seq}: expected record {expected} here (a record was deleted or inserted)")
            if rec.get("prev") != prev:
                problems.append(f"record {seq}: does not follow the record before it (chain broken)")
            if rec.get("hash") != _digest(rec):
                problems.append(f"record {seq}: its content does not match its hash (changed)")
            prev, expected = rec.get("hash"), (seq or expected) + 1
        return problems


_PAST = {"create": "created", "add": "added", "update": "updated", "delete": "deleted", "get": "read",
         "list": "listed", "remove": "removed", "end": "ended", "send": "sent", "upload": "uploaded",
         "assign": "assigned", "unassign": "unassigned", "set": "set", "change": "changed", "batch": "batched",
         "register": "registered", "recover": "recovered", "cancel": "cancelled", "reset": "reset"}
_KEY_PARAMS = ("meetingId", "webinarId", "userId", "topic", "start_time", "email", "id")


def describe_record(rec: dict) -> str:
    """One plain-English line: who did what, on what, when, decided by which rule."""
    title = str(rec.get("title") or rec.get("action") or "")
    verb, _, rest = title.partition(" ")
    done = _PAST.get(verb.lower(), verb.lower() + ("d" if verb.lower().endswith("e") else "ed"))
    params = rec.get("params") or {}
    bits = []
    ident = rec.get("result_id") or params.get("meetingId") or params.get("webinarId")
    if ident:
        bits.append(str(ident))
    if params.get("topic"):
        bits.append(f"'{params['topic']}'")
    if params.get("userId"):
        bits.append(f"for {params['userId']}")
    if params.get("start_time"):
        bits.append(f"at {params['start_time']}")
    what = f"{done} {rest}".strip() + (" " + " ".join(bits) if bits else "")
    decision = rec.get("decision", "")
    by = f"by rule {rec['rule']}" if rec.get("rule") else "by the default"
    tail = {"allow": f"allowed {by}", "deny": f"DENIED {by}", "approve": f"approved by {rec.get('approver')} "
            f"({by})", "dry-run": f"dry run {by}",
            "invalid": "refused: the input did not validate"}.get(decision, decision)
    if decision in ("deny", "invalid"):
        what = f"tried to {verb.lower()} {rest}".strip() + (" " + " ".join(bits) if bits else "")
    outcome = ""
    if rec.get("outcome") == "sent":
        outcome = "; Zoom answered " + (f"{rec.get('status')}" if rec.get("status") else "") + \
            ("" if rec.get("successful") else f" (failed{': code ' + str(rec['code']) if rec.get('code') else ''})")
    when = str(rec.get("time", ""))[11:16]
    return f"{rec.get('time', '')[:10]} {when} UTC {rec.get('agent') or 'an agent'} {what}, {tail}{outcome}"


def write_all_pending(path: Path | None = None) -> None:
    """Write what this process's logs (``path``'s only, when given) hold; the transport calls it while a
    request waits for its answer (without waiting for a log another thread is writing)."""
    for audit in list(_live):
        if path is None:
            audit.write_pending()
        elif audit.path.resolve() == path.resolve():
            audit.flush()


atexit.register(lambda: [audit.flush() for audit in list(_live)])
_forking: list = []   # the logs held across the fork in progress


def _before_fork() -> None:
    _forking[:] = list(_every)
    for audit in _forking:
        audit._before_fork()


def _after_fork(side: str) -> None:
    held, _forking[:] = list(_forking), []
    for audit in held:
        audit._after_fork_in_parent() if side == "parent" else audit._forked()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=_before_fork, after_in_parent=lambda: _after_fork("parent"),
                        after_in_child=lambda: _after_fork("child"))
