"""One audit chain across threads, processes (the JSONL file's flock, SQLite's immediate transaction)
and a fork; records are written during later requests' waits, within 50 ms, at flush, close and exit,
and before a reader in the process reads; durable=True writes each before its call returns."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from zoom_actions.governance import AuditLog

CHILD = textwrap.dedent("""
    import sys
    from zoom_actions.governance import AuditLog
    log = AuditLog(sys.argv[1])
    for i in range(int(sys.argv[2])):
        log.append(agent=sys.argv[3], action="ZOOM_GET_A_MEETING", params={"meetingId": i}, decision="allow")
    # no close(): the interpreter's exit writes what is left
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
            log.flush()   # os._exit skips the exit's flush, as a kill would
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


# --- when records reach the file ------------------------------------------------------------------

def _append(log, i=0):
    return log.append(agent="bot", action="ZOOM_GET_A_MEETING", params={"i": i}, decision="allow")


@pytest.fixture()
def server():
    from tests.runtime.recorder import Recorder
    srv = Recorder()
    yield srv
    srv.close()


def test_a_record_is_written_while_the_next_request_waits_for_its_answer(tmp_path, server, catalog, monkeypatch):
    """The work overlaps the network: once the next call is back, the call before it is on file, written
    while that next request waited for its answer (the late writer is held off here: 10 s)."""
    from zoom_actions import Toolkit
    from zoom_actions.governance import audit
    monkeypatch.setattr(audit, "LATEST", 10.0)
    (tmp_path / "p.toml").write_text('[agents.bot]\n[[agents.bot.rules]]\nname = "read"\neffect = "allow"\n'
                                     'actions = ["ZOOM_GET_A_MEETING"]\n')
    path = tmp_path / "a.jsonl"
    on_file = []
    with Toolkit(access_token="audit-wait-token-1234", base_url=server.url, catalog=catalog,
                 policy=str(tmp_path / "p.toml"), agent="bot") as tk:
        tk.governor.audit = AuditLog(path)
        for i in range(4):
            assert tk.execute("ZOOM_GET_A_MEETING", {"meetingId": i + 1})["successful"]
            on_file.append(len(_lines(path)) if path.exists() else 0)
    assert on_file == [0, 1, 2, 3]   # each call wrote its predecessor's record; the last waits...
    assert [r["params"]["meetingId"] for r in _lines(path)] == [1, 2, 3, 4]   # ...for close


def test_a_record_no_request_writes_is_on_file_within_fifty_ms(tmp_path):
    from zoom_actions.governance.audit import LATEST
    log = AuditLog(tmp_path / "a.jsonl")
    _append(log)
    deadline = time.monotonic() + LATEST + 1.0
    while not (tmp_path / "a.jsonl").exists() or not _lines(tmp_path / "a.jsonl"):
        assert time.monotonic() < deadline, "not written by the late writer"
        time.sleep(0.005)
    log.close()


def test_a_reader_in_the_process_sees_what_is_still_to_be_written(tmp_path):
    writer = AuditLog(tmp_path / "a.jsonl")
    for i in range(300):
        _append(writer, i)
    assert len(list(AuditLog(tmp_path / "a.jsonl").records())) == 300
    writer.close()


@pytest.mark.parametrize("how", ["argument", "environment"])
def test_durable_writes_before_the_call_returns(tmp_path, monkeypatch, how):
    from zoom_actions.governance.audit import DURABLE_ENV
    if how == "environment":
        monkeypatch.setenv(DURABLE_ENV, "1")
    log = AuditLog(tmp_path / "a.jsonl", durable=True if how == "argument" else None)
    for i in range(5):
        record = _append(log, i)
        assert record["seq"] == i + 1 and _lines(tmp_path / "a.jsonl")[-1] == record
    log.close()


def test_a_failed_write_is_counted_and_logged_and_later_records_still_go(tmp_path, caplog, monkeypatch):
    import logging
    log = AuditLog(tmp_path / "a.jsonl")
    real, calls = log._append_jsonl, []

    def flaky(items):
        calls.append(len(items))
        if len(calls) == 1:
            raise OSError(28, "No space left on device")
        return real(items)
    monkeypatch.setattr(log, "_append_jsonl", flaky)
    with caplog.at_level(logging.ERROR, logger="zoom_actions.audit"):
        log.append(agent="bot", action="X", params={"token": "never-logged-value"}, decision="allow")
        log.flush()
        log.append(agent="bot", action="Y", params={}, decision="allow")
        log.flush()
    assert log.write_errors == 1 and "could not be written" in caplog.text and "never-logged" not in caplog.text
    assert [r["action"] for r in _lines(tmp_path / "a.jsonl")] == ["Y"]
    log.close()


def test_a_reopened_connection_chains_onto_what_another_wrote_meanwhile(tmp_path):
    """As around a fork: the log's SQLite connection is closed and opened again while another connection
    appends; the next record follows that one (a data_version read on the old connection means nothing)."""
    mine, other = AuditLog(tmp_path / "audit.db", durable=True), AuditLog(tmp_path / "audit.db", durable=True)
    _append(mine, 1)
    mine._before_fork()
    _append(other, 2)
    mine._after_fork_in_parent()
    _append(mine, 3)
    records = list(mine.records())
    assert [r["seq"] for r in records] == [1, 2, 3] and [r["params"]["i"] for r in records] == [1, 2, 3]
    assert mine.verify() == []
    mine.close()
    other.close()


def _allow_all(tmp_path, server, catalog, monkeypatch, token: str):
    """A toolkit whose agent may call anything, auditing to a.jsonl (the late writer held off: 10 s)."""
    from zoom_actions import Toolkit
    from zoom_actions.governance import audit
    monkeypatch.setattr(audit, "LATEST", 10.0)
    (tmp_path / "p.toml").write_text('[agents.bot]\n[[agents.bot.rules]]\nname = "all"\neffect = "allow"\n'
                                     'actions = ["ZOOM_*"]\n')
    tk = Toolkit(access_token=token, base_url=server.url, catalog=catalog, policy=str(tmp_path / "p.toml"),
                 agent="bot")
    tk.governor.audit = AuditLog(tmp_path / "a.jsonl")
    return tk, tmp_path / "a.jsonl"


def test_a_record_built_when_written_shows_the_call_as_it_was(tmp_path, server, catalog, monkeypatch):
    """A record is built off the call's path, when it is written: what it says was taken at the call
    (the caller changing its params dict afterwards changes nothing), its secrets still masked."""
    tk, path = _allow_all(tmp_path, server, catalog, monkeypatch, "audit-built-token-1234")
    with tk:
        params = {"meetingId": 7, "settings": {"join_before_host": True}, "tracking_fields": [{"field": "a"}]}
        assert tk.execute("ZOOM_UPDATE_A_MEETING", params)["successful"]
        assert not path.exists() or _lines(path) == []   # not written yet: built later
        params["meetingId"] = 999
        params["settings"]["join_before_host"] = False
        params["tracking_fields"][0]["field"] = "changed"
        assert tk.execute("ZOOM_GET_A_MEETING", {"meetingId": 8})["successful"]
    first, second = _lines(path)
    assert first["action"] == "ZOOM_UPDATE_A_MEETING" and first["params"]["meetingId"] == 7
    assert first["params"]["settings__join_before_host"] is True   # the flat params, as they were
    assert first["params"]["tracking_fields"] == [{"field": "a"}]
    assert first["outcome"] == "sent" and first["status"] == 200 and first["successful"] is True
    assert second["params"] == {"meetingId": 8} and "audit-built-token" not in path.read_text()


def test_params_that_cannot_be_masked_still_leave_the_call_on_record(tmp_path, server, catalog, monkeypatch):
    from zoom_actions.governance import enforce

    def broken(params, personal):
        raise RecursionError("too deep")
    monkeypatch.setattr(enforce, "mask_params", broken)
    tk, path = _allow_all(tmp_path, server, catalog, monkeypatch, "audit-unmasked-token-1234")
    with tk:
        assert tk.execute("ZOOM_GET_A_MEETING", {"meetingId": 5})["successful"]
    (record,) = _lines(path)
    assert record["action"] == "ZOOM_GET_A_MEETING" and record["outcome"] == "sent"
    assert record["params"] == {"unrecorded": "the params could not be recorded (RecursionError)"}
