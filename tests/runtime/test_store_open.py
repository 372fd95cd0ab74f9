"""Processes that open one new SQLite file at the same moment (zoom_actions.store.connect_sqlite).

Each asks SQLite for WAL mode on a file that has none yet; SQLite answers all
but one "database is locked" at once, without waiting on the busy timeout.
Two workers started together on a fresh store (tests/runtime/test_shared_token.py)
had one of them fail its calls in about one run in ten ("cannot open the store
...: database is locked. Nothing was sent to Zoom.") before the switch was
retried.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from zoom_actions.store import connect_sqlite, open_store

ROOT = Path(__file__).resolve().parents[2]
OPENER = r"""
import sys, time
from zoom_actions.store import connect_sqlite, open_store
path, start, me = sys.argv[1], float(sys.argv[2]), sys.argv[3]
while time.time() < start:
    pass
store = open_store("sqlite:///" + path)
store.put("workers", me, {"me": me})
store.close()
print("ok", flush=True)
"""


def _at_once(path: Path, n: int) -> list[tuple[str, str]]:
    start = time.time() + 1.5   # every process spinning by then, the file not yet there
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([sys.executable, "-c", OPENER, str(path), str(start), str(i)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=env) for i in range(n)]
    return [p.communicate(timeout=60) for p in procs]


def test_processes_opening_a_new_store_at_once_all_open_it(tmp_path):
    path = tmp_path / "new" / "store.db"
    outs = _at_once(path, 6)
    assert [out.strip() for out, _ in outs] == ["ok"] * 6, [err[-600:] for _, err in outs if err]
    store = open_store(f"sqlite:///{path}")
    assert sorted(k for k, _ in store.items("workers")) == [str(i) for i in range(6)]
    store.close()


def test_connections_opening_new_stores_at_once_never_find_them_locked(tmp_path):
    # the race, many times over: 8 connections (threads, as SQLite's locks see them) open each of 100 new
    # files at one moment. Before the retry, one to three files in a hundred had a connection told "database is
    # locked"; a process races the same way, only less often (two failures in sixty opens, measured)
    from zoom_actions.store import SQLiteStore
    failures: list[str] = []
    for n in range(100):
        path = tmp_path / f"s{n}.db"
        barrier = threading.Barrier(8)

        def open_it() -> None:
            barrier.wait()
            try:
                SQLiteStore(path).close()
            except Exception as exc:   # StoreError, naming the lock
                failures.append(str(exc))
        threads = [threading.Thread(target=open_it) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    assert failures == []


def test_the_connection_is_in_wal_mode_and_waits_on_a_lock(tmp_path):
    db = connect_sqlite(tmp_path / "a.db", timeout=2.5, isolation_level=None)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] == 2500
    db.close()


def test_an_error_that_is_no_lock_is_not_retried(tmp_path):
    started = time.monotonic()
    with pytest.raises(sqlite3.Error):
        connect_sqlite(tmp_path / "missing-dir" / "a.db", timeout=30)   # no such directory: at once
    assert time.monotonic() - started < 5
