"""One audit chain across threads, processes (the JSONL file's flock, SQLite's immediate transaction)
and a fork, each record on file before its call returns."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading

import pytest

from zoom_actions.governance import AuditLog

CHILD = textwrap.dedent("""
    import sys
    from zoom_actions.governance import AuditLog
    log = AuditLog(sys.argv[1])
    for i in range(int(sys.argv[2])):
        log.append(agent=sys.argv[3], action="ZOOM_GET_A_MEETING", params={"meetingId": i}, decision="allow")
    # no close(): nothing is left to write
""")


def _lines(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.mark.parametrize("name", ["a.jsonl", "audit.db"])
def test_four_processes_exiting_without_close_leave_one_whole_chain(tmp_path, name):
    path = tmp_path / name
    procs = [subprocess.Popen([sys.executable, "-c", CHILD, str(path), "250", f"agent-{n}"]) for n in range(4)]
    assert [p.wait(60) for p in procs] == [0, 0, 0, 0]
    log = AuditLog(path)
    records = list(log.records())
    assert len(records) == 1000 and [r["seq"] for r in records] == list(range(1, 1001))
    for n in range(4):   # each process's records in its own order
        mine = [r["params"]["meetingId"] for r in records if r["agent"] == f"agent-{n}"]
        assert mine == list(range(250))
    assert log.verify() == []
    log.close()


@pytest.mark.parametrize("name", ["a.jsonl", "audit.db"])
def test_threads_share_one_chain(tmp_path, name):
    log = AuditLog(tmp_path / name)

    def work(n):
        for i in range(200):
            log.append(agent=f"t{n}", action="ZOOM_GET_A_MEETING", params={"i": i}, decision="allow")
    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    records = list(log.records())   # before close: every record is written when its append returns
    assert [r["seq"] for r in records] == list(range(1, 801))
    assert log.verify() == []
    log.close()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork")
@pytest.mark.parametrize("name", ["a.jsonl", "audit.db"])
def test_a_forked_child_and_its_parent_append_to_one_chain_at_once(tmp_path, name):
    log = AuditLog(tmp_path / name)
    log.append(agent="parent", action="X", params={}, decision="allow")   # the parent's descriptor is open
    pid = os.fork()
    if pid == 0:   # the child gets a descriptor and a lock of its own: the parent's flock would not exclude it
        ok = False
        try:
            for i in range(300):
                log.append(agent="child", action="X", params={"i": i}, decision="allow")
            ok = True
        finally:
            os._exit(0 if ok else 1)
    for i in range(300):
        log.append(agent="parent", action="Y", params={"i": i}, decision="allow")
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    records = list(log.records())
    assert len(records) == 601 and [r["seq"] for r in records] == list(range(1, 602))
    assert sum(r["agent"] == "child" for r in records) == 300
    assert log.verify() == []
    log.close()
