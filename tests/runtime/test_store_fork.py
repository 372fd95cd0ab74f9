"""SQLite stores across a fork (a pre-forking server imports the app, then forks its workers): the child
opens its own connection, never the parent's copy, and both sides keep working on the one file."""

from __future__ import annotations

import os

import pytest

from zoom_actions.events import from_webhook
from zoom_actions.events.log import EventLog
from zoom_actions.store import SQLiteStore

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")


def _in_child(body) -> int:
    """Run ``body()`` in a forked child; its exit code (0: it returned True)."""
    pid = os.fork()
    if pid == 0:   # the child: never return into pytest
        code = 1
        try:
            code = 0 if body() else 3
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def test_a_forked_child_writes_the_store_through_a_connection_of_its_own(tmp_path):
    store = SQLiteStore(tmp_path / "store.db")
    store.put("ns", "parent", {"v": 1})
    parents = store._connections.get()

    def child() -> bool:
        mine = store._connections.get()
        store.put("ns", "child", {"v": 2})
        return mine is not parents and store.get("ns", "parent") == {"v": 1}

    assert _in_child(child) == 0
    assert store._connections.get() is parents   # the parent's own is untouched...
    assert store.get("ns", "child") == {"v": 2}  # ...and sees what the child wrote
    store.put("ns", "after", {"v": 3})
    assert [k for k, _ in store.items("ns")] == ["after", "child", "parent"]
    store.close()


def test_a_forked_child_appends_to_the_event_log_through_a_connection_of_its_own(tmp_path):
    log = EventLog(tmp_path / "events.db")

    def event(i: int):
        return from_webhook({"event": "meeting.started", "event_ts": 1767225600000 + i,
                             "payload": {"object": {"id": i}}})
    first = log.append(event(1))
    parents = log._db()

    def child() -> bool:
        return log._db() is not parents and log.append(event(2)) is not None

    assert _in_child(child) == 0
    assert log._db() is parents
    seqs = [seq for seq, _ in log.pending("h")]
    assert len(seqs) == 2 and seqs[0] == first
    log.close()
