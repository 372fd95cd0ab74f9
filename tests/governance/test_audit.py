"""The audit trail: every call of a 1,000-call run recorded, no secret in
it, personal fields masked, one plain-English line per record, and
`audit verify` finds a changed byte, a deleted record and an inserted one."""

from __future__ import annotations

import json
import subprocess
import sys

import httpx2
import pytest

from zoom_actions import Toolkit
from zoom_actions.governance import AuditLog, describe_record

POLICY = """
[agents.bot]
[[agents.bot.rules]]
name = "meetings-write"
effect = "allow"
actions = ["ZOOM_CREATE_A_MEETING", "ZOOM_GET_A_MEETING"]
mask = ["settings__meeting_invitees"]
"""
TOKEN = "audit-secret-token-9f8e7d6c5b"


@pytest.mark.parametrize("kind", ["jsonl", "sqlite"])
def test_a_thousand_calls_are_all_recorded_without_secrets(tmp_path, kind):
    (tmp_path / "p.toml").write_text(POLICY)
    log_path = tmp_path / ("audit.jsonl" if kind == "jsonl" else "audit.db")

    def zoom(request):
        return httpx2.Response(201 if request.method == "POST" else 200, json={"id": 89012345678, "topic": "Sync"})
    with Toolkit(access_token=TOKEN, base_url="https://api.zoom.us/v2", transport=httpx2.MockTransport(zoom),
                 account_plan=None, policy=str(tmp_path / "p.toml"), agent="bot") as tk:
        tk.governor.audit = AuditLog(log_path)
        for i in range(998):
            assert tk.execute("ZOOM_GET_A_MEETING", {"meetingId": 85746065 + i})["successful"]
        tk.execute("ZOOM_CREATE_A_MEETING", {"userId": "alice@example.com", "topic": "Project sync",
                                             "start_time": "2026-12-03T15:00:00Z",
                                             "settings__meeting_invitees": [{"email": "bob@example.com"}]})
        tk.execute("ZOOM_DELETE_A_MEETING", {"meetingId": 1})   # denied: recorded too
    log = AuditLog(log_path)
    records = list(log.records())
    assert len(records) == 1000 and [r["seq"] for r in records] == list(range(1, 1001))
    raw = log_path.read_bytes() if kind == "jsonl" else b"".join(p.read_bytes() for p in tmp_path.glob("audit.db*"))
    assert TOKEN.encode() not in raw and b"bob@example.com" not in raw
    create, denied = records[-2], records[-1]
    assert create["params"]["settings__meeting_invitees"] == "***" and create["outcome"] == "sent"
    assert denied["decision"] == "deny" and denied["outcome"] == "refused"
    line = describe_record(create)
    assert "bot created a meeting 89012345678 'Project sync' for alice@example.com at 2026-12-03T15:00:00Z" in line
    assert "allowed by rule meetings-write" in line
    assert "DENIED" in describe_record(denied)
    assert log.verify() == []


def _jsonl(tmp_path, n=5):
    log = AuditLog(tmp_path / "a.jsonl")
    for i in range(n):
        log.append(agent="bot", action="ZOOM_GET_A_MEETING", params={"meetingId": i}, decision="allow")
    log.flush()   # the file is read directly below: what is still to be written goes now
    return log, (tmp_path / "a.jsonl")


def test_verify_finds_a_changed_byte_a_deleted_and_an_inserted_record(tmp_path):
    log, path = _jsonl(tmp_path)
    lines = path.read_text().splitlines()
    path.write_text("\n".join([lines[0], lines[1].replace('"meetingId":1', '"meetingId":7'), *lines[2:]]) + "\n")
    assert any("changed" in p for p in log.verify())
    path.write_text("\n".join([lines[0], *lines[2:]]) + "\n")
    assert any("deleted or inserted" in p for p in log.verify())
    forged = json.loads(lines[1])
    forged["seq"] = 2
    path.write_text("\n".join([lines[0], json.dumps(forged), lines[1], *lines[2:]]) + "\n")
    assert log.verify()
    path.write_text("\n".join(lines) + "\n")
    assert log.verify() == []
    cli = subprocess.run([sys.executable, "-m", "zoom_actions", "audit", "verify", "--log", str(path)],
                         capture_output=True, text=True)
    assert cli.returncode == 0 and "5 records, chain intact" in cli.stderr
    path.write_text("\n".join([lines[0], lines[1].replace("bot", "bat"), *lines[2:]]) + "\n")
    cli = subprocess.run([sys.executable, "-m", "zoom_actions", "audit", "verify", "--log", str(path)],
                         capture_output=True, text=True)
    assert cli.returncode == 1 and "record 2" in cli.stdout


def test_the_audit_command_filters_and_prints_lines(tmp_path):
    log, path = _jsonl(tmp_path, 3)
    log.append(agent="other", action="ZOOM_DELETE_A_MEETING", params={"meetingId": 9}, decision="deny")
    out = subprocess.run([sys.executable, "-m", "zoom_actions", "audit", "--log", str(path), "--decision", "deny"],
                         capture_output=True, text=True).stdout.splitlines()
    assert len(out) == 1 and "other" in out[0] and "DENIED" in out[0]
    out = subprocess.run([sys.executable, "-m", "zoom_actions", "audit", "--log", str(path), "--agent", "bot", "--json"],
                         capture_output=True, text=True).stdout.splitlines()
    assert [json.loads(x)["seq"] for x in out] == [1, 2, 3]


def test_a_call_refused_for_its_input_is_recorded_and_sends_nothing(tmp_path):
    (tmp_path / "p.toml").write_text(POLICY)
    sent = []

    def zoom(request):
        sent.append(request)
        return httpx2.Response(200, json={"id": 1})
    with Toolkit(access_token=TOKEN, base_url="https://api.zoom.us/v2", transport=httpx2.MockTransport(zoom),
                 account_plan=None, policy=str(tmp_path / "p.toml"), agent="bot") as tk:
        tk.governor.audit = AuditLog(tmp_path / "a.jsonl")
        env = tk.execute("ZOOM_GET_A_MEETING", {"meetingId": 1, "no_such_field": True})
        assert env["successful"] is False and "no_such_field" in env["error"]
        assert tk.execute("ZOOM_GET_A_MEETING", {"meetingId": 2})["successful"]
    records = list(AuditLog(tmp_path / "a.jsonl").records())
    assert len(sent) == 1 and [r["decision"] for r in records] == ["invalid", "allow"]
    refused = records[0]
    assert refused["agent"] == "bot" and refused["outcome"] == "refused" and "no_such_field" in refused["error"]
    assert "refused: the input did not validate" in describe_record(refused)


def test_approval_through_mcp_outside_the_mcp_server_is_a_denial(tmp_path):
    (tmp_path / "p.toml").write_text("""
[agents.bot]
[[agents.bot.rules]]
name = "deletes-need-a-person"
effect = "approve"
actions = ["ZOOM_DELETE_A_MEETING"]
""")
    sent = []
    with Toolkit(access_token=TOKEN, base_url="https://api.zoom.us/v2",
                 transport=httpx2.MockTransport(lambda r: sent.append(r) or httpx2.Response(204)),
                 account_plan=None, policy=str(tmp_path / "p.toml"), agent="bot", approver="mcp") as tk:
        tk.governor.audit = AuditLog(tmp_path / "a.jsonl")
        env = tk.execute("ZOOM_DELETE_A_MEETING", {"meetingId": 1})
        pending = tk.governor.pending_approval("ZOOM_DELETE_A_MEETING", {"meetingId": "1"})
    assert env["successful"] is False and "through the MCP client" in env["error"] and sent == []
    assert pending["rule"] == "deletes-need-a-person" and len(pending["fingerprint"]) == 64
