"""The audit trail: every call, allowed or not, one record each, chained.

Each record carries ``seq`` (1, 2, ...), the hash of the record before it
(``prev``) and its own ``hash`` (SHA-256 over its canonical JSON without
``hash``), so a changed, inserted or deleted record breaks the chain
(``verify``; ``zoom-actions audit verify``). Parameters are stored with
secrets masked and with the fields a policy marks personal masked too.

Where: ``ZOOM_ACTIONS_AUDIT=PATH.jsonl`` (one JSON object per line), else a
SQLite file beside the store (``audit.db``). Appends from several
processes are serialized by a file lock, so the chain stays one chain.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import sqlite3
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

ENV = "ZOOM_ACTIONS_AUDIT"
GENESIS = "0" * 64


def _digest(record: dict) -> str:
    body = {k: v for k, v in record.items() if k != "hash"}
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()).hexdigest()


def mask_params(params: dict, personal: set[str]) -> dict:
    from ..redact import scrub_data
    out = {}
    for key, value in (params or {}).items():
        if any(fnmatch.fnmatchcase(key, p) for p in personal):
            out[key] = "***"
        else:
            out[key] = scrub_data(value)
    return out


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
    def __init__(self, path: str | os.PathLike | None = None) -> None:
        self.path = Path(path) if path else default_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.jsonl = self.path.suffix == ".jsonl"
        from filelock import FileLock
        self._lock = FileLock(str(self.path) + ".lock", timeout=60)
        if not self.jsonl:
            with self._db() as db:
                db.execute("CREATE TABLE IF NOT EXISTS audit (seq INTEGER PRIMARY KEY, record TEXT NOT NULL)")

    def _db(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30)
        db.execute("PRAGMA journal_mode=WAL")
        return db

    def append(self, **fields: Any) -> dict:
        with self._lock:
            last = self._last()
            record = {"seq": (last["seq"] + 1) if last else 1,
                      "time": datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                      **fields, "prev": last["hash"] if last else GENESIS}
            record["hash"] = _digest(record)
            line = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
            if self.jsonl:
                with open(self.path, "a", encoding="utf-8") as fh:
                    fh.write(line + "\n")
                    fh.flush()
                    os.fsync(fh.fileno())
            else:
                db = self._db()
                try:
                    with db:
                        db.execute("INSERT INTO audit (seq, record) VALUES (?, ?)", (record["seq"], line))
                finally:
                    db.close()
        return record

    def _last(self) -> dict | None:
        if self.jsonl:
            if not self.path.exists():
                return None
            with open(self.path, "rb") as fh:
                fh.seek(0, os.SEEK_END)
                size = fh.tell()
                fh.seek(max(0, size - 65536))
                lines = [ln for ln in fh.read().splitlines() if ln.strip()]
            return json.loads(lines[-1]) if lines else None
        db = self._db()
        try:
            row = db.execute("SELECT record FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
        finally:
            db.close()
        return json.loads(row[0]) if row else None

    def records(self) -> Iterator[dict]:
        if self.jsonl:
            if not self.path.exists():
                return
            with open(self.path, encoding="utf-8") as fh:
                for line in fh:
                    if line.strip():
                        yield json.loads(line)
            return
        db = self._db()
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
            f"({by})", "dry-run": f"dry run {by}"}.get(decision, decision)
    if decision == "deny":
        what = f"tried to {verb.lower()} {rest}".strip() + (" " + " ".join(bits) if bits else "")
    outcome = ""
    if rec.get("outcome") == "sent":
        outcome = "; Zoom answered " + (f"{rec.get('status')}" if rec.get("status") else "") + \
            ("" if rec.get("successful") else f" (failed{': code ' + str(rec['code']) if rec.get('code') else ''})")
    when = str(rec.get("time", ""))[11:16]
    return f"{rec.get('time', '')[:10]} {when} UTC {rec.get('agent') or 'an agent'} {what}, {tail}{outcome}"


def now_ms() -> float:
    return time.perf_counter() * 1000
