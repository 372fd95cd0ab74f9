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
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any, Iterator

from ..redact import scrub_data

ENV = "ZOOM_ACTIONS_AUDIT"
GENESIS = "0" * 64


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
    def __init__(self, path: str | os.PathLike | None = None, *, fsync: bool = False) -> None:
        self.path = Path(path) if path else default_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.jsonl = self.path.suffix == ".jsonl"
        self.fsync = fsync   # flushed to the OS on every append (a killed process loses nothing); fsync: power loss too
        self._mutex = threading.Lock()
        # (file size after our last write, or the database's data_version then; that record)
        self._last_seen: tuple[int, dict] | None = None
        self._db = None
        self._fd: int | None = None
        self._pid = os.getpid()
        if not self.jsonl:
            self._open_db()

    def _open_db(self) -> None:
        self._db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(f"PRAGMA synchronous={'FULL' if self.fsync else 'NORMAL'}")
        self._db.execute("CREATE TABLE IF NOT EXISTS audit (seq INTEGER PRIMARY KEY, record TEXT NOT NULL)")

    def append(self, **fields: Any) -> dict:
        """Add one record at the end of the chain (one chain across threads and processes)."""
        if self._pid != os.getpid():
            self._forked()
        with self._mutex:
            return self._append_jsonl(fields) if self.jsonl else self._append_sqlite(fields)

    def _forked(self) -> None:
        """In a forked child: a descriptor and a lock of its own (an flock on the parent's open file would
        not keep the two apart), and a SQLite connection of its own."""
        self._pid, self._mutex, self._last_seen = os.getpid(), threading.Lock(), None
        if self._fd is not None:
            os.close(self._fd)   # the child's copy; the parent's stays open
            self._fd = None
        if not self.jsonl:
            self._db = None   # the parent's connection must not be used here, nor closed
            self._open_db()

    def _record(self, last: dict | None, fields: dict) -> tuple[dict, str]:
        record = {"seq": (last["seq"] + 1) if last else 1, "time": _stamp(time.time()),
                  **fields, "prev": last["hash"] if last else GENESIS}
        return _sealed(record)

    def _append_jsonl(self, fields: dict) -> dict:
        import fcntl
        if self._fd is None:   # a raw descriptor, kept: O_APPEND makes every write land at the end
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        fd = self._fd
        fcntl.flock(fd, fcntl.LOCK_EX)   # other processes append to the same chain
        try:
            size = os.fstat(fd).st_size
            last = self._last_seen[1] if self._last_seen and self._last_seen[0] == size else self._tail(size)
            record, line = self._record(last, fields)
            data = (line + "\n").encode()
            os.write(fd, data)
            if self.fsync:
                os.fsync(fd)
            self._last_seen = (size + len(data), record)
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
        return record

    def _tail(self, size: int) -> dict | None:
        if size == 0:
            return None
        with open(self.path, "rb") as fh:
            fh.seek(max(0, size - 65536))
            lines = [ln for ln in fh.read().splitlines() if ln.strip()]
        return json.loads(lines[-1]) if lines else None

    def _append_sqlite(self, fields: dict) -> dict:
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
            record, line = self._record(last, fields)
            db.execute("INSERT INTO audit (seq, record) VALUES (?, ?)", (record["seq"], line))
            db.execute("COMMIT")
        except BaseException:
            self._last_seen = None
            db.execute("ROLLBACK")
            raise
        self._last_seen = (version, record)
        return record

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        if self._db is not None:
            self._db.close()
            self._db = None

    def records(self) -> Iterator[dict]:
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


def now_ms() -> float:
    return time.perf_counter() * 1000
