"""Policies decide as documented (first matching rule; parameters
constrained; default deny), refuse with nothing sent, hide what an agent may
not call from tools() and from MCP tools/list per client, and ask a person
for what cannot be undone; every call lands in a chained audit log."""

from __future__ import annotations

import asyncio
import json
import threading
import time

import httpx2
import pytest

from zoom_actions import Toolkit
from zoom_actions.governance import AuditLog, Policy, PolicyError

POLICY = """
[agents.scheduler]
default = "deny"
[[agents.scheduler.rules]]
name = "no-deletes"
effect = "deny"
annotations = ["destructive"]
[[agents.scheduler.rules]]
name = "meetings-read"
effect = "allow"
actions = ["ZOOM_GET_A_MEETING", "ZOOM_LIST_MEETINGS"]
[agents.scheduler.rules.params]
userId = "me"
[[agents.scheduler.rules]]
name = "meetings-write"
effect = "allow"
actions = ["ZOOM_CREATE_A_MEETING"]
mask = ["settings__meeting_invitees"]
[agents.scheduler.rules.params]
userId = "me"
duration = { max = 120 }
"settings__*" = { forbid = true }
"settings__meeting_invitees" = {}

[agents.admin]
default = "allow"
[[agents.admin.rules]]
name = "deletes-need-a-person"
effect = "approve"
annotations = ["destructive"]
[[agents.admin.rules]]
name = "users-in-a-set"
effect = "allow"
actions = ["ZOOM_GET_A_USER"]
[agents.admin.rules.params]
userId = { in = ["me", "alice@example.com"] }
[[agents.admin.rules]]
name = "no-other-users"
effect = "deny"
actions = ["ZOOM_GET_A_USER"]

[agents.reporter]
[[agents.reporter.rules]]
name = "phone-reads"
effect = "allow"
products = ["phone"]
annotations = ["read_only"]
[[agents.reporter.rules]]
name = "preview-creates"
effect = "dry-run"
actions = ["ZOOM_CREATE_A_MEETING"]
"""


@pytest.fixture()
def policy_file(tmp_path):
    path = tmp_path / "policy.toml"
    path.write_text(POLICY)
    return path


@pytest.fixture()
def zoom():
    sent: list[httpx2.Request] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        sent.append(request)
        return httpx2.Response(201 if request.method == "POST" else 200, json={"id": 89012345678})
    return sent, httpx2.MockTransport(handler)


def _tk(policy_file, zoom, tmp_path, agent, **kw):
    return Toolkit(access_token="governed-token-123456", base_url="https://api.zoom.us/v2", account_plan=None,
                   transport=zoom[1], policy=str(policy_file), agent=agent, **kw)


MATRIX = [
    ("scheduler", "ZOOM_GET_A_MEETING", {"meetingId": 1, "userId": "me"}, "allow"),   # userId not a param of GET
    ("scheduler", "ZOOM_LIST_MEETINGS", {"userId": "me"}, "allow"),
    ("scheduler", "ZOOM_LIST_MEETINGS", {"userId": "bob@example.com"}, "deny"),
    ("scheduler", "ZOOM_CREATE_A_MEETING", {"userId": "me", "topic": "Sync", "duration": 60}, "allow"),
    ("scheduler", "ZOOM_CREATE_A_MEETING", {"userId": "me", "duration": 240}, "deny"),
    ("scheduler", "ZOOM_CREATE_A_MEETING", {"userId": "me", "settings__waiting_room": True}, "deny"),
    ("scheduler", "ZOOM_DELETE_A_MEETING", {"meetingId": 1}, "deny"),
    ("scheduler", "ZOOM_LIST_USERS", {}, "deny"),
    ("admin", "ZOOM_GET_A_USER", {"userId": "alice@example.com"}, "allow"),
    ("admin", "ZOOM_GET_A_USER", {"userId": "mallory@example.com"}, "deny"),
    ("admin", "ZOOM_LIST_USERS", {}, "allow"),
    ("reporter", "ZOOM_LIST_MEETINGS", {"userId": "me"}, "deny"),
    ("nobody", "ZOOM_LIST_MEETINGS", {"userId": "me"}, "deny"),
]


@pytest.mark.parametrize("agent,action,params,want", MATRIX)
def test_the_matrix_and_a_denied_call_sends_nothing(policy_file, zoom, tmp_path, monkeypatch, agent, action, params,
                                                     want):
    monkeypatch.setenv("ZOOM_ACTIONS_AUDIT", str(tmp_path / "audit.jsonl"))
    sent = zoom[0]
    with _tk(policy_file, zoom, tmp_path, agent) as tk:
        params = {k: v for k, v in params.items() if k in tk.catalog.get(action)["input_schema"]["properties"]}
        env = tk.execute(action, params)
    if want == "allow":
        assert env["successful"], env
        assert len(sent) == 1
    else:
        assert env["successful"] is False and "Denied by policy" in env["error"] and repr(agent) in env["error"]
        assert sent == []
    [record] = list(AuditLog(tmp_path / "audit.jsonl").records())
    assert record["agent"] == agent and record["decision"] == want and record["action"] == action


def test_the_decision_names_the_rule_and_the_failed_constraint(policy_file, tmp_path, zoom, monkeypatch):
    monkeypatch.setenv("ZOOM_ACTIONS_AUDIT", str(tmp_path / "a.jsonl"))
    with _tk(policy_file, zoom, tmp_path, "scheduler") as tk:
        env = tk.execute("ZOOM_CREATE_A_MEETING", {"userId": "me", "duration": 240})
    assert "rule 'meetings-write' matched the action but `duration` must be at most 120" in env["error"]
    assert env["data"]["policy"] == {"agent": "scheduler", "rule": None, "effect": "deny"}


def test_what_an_agent_may_not_call_it_does_not_see(policy_file, zoom, tmp_path, monkeypatch):
    monkeypatch.setenv("ZOOM_ACTIONS_AUDIT", str(tmp_path / "a.jsonl"))
    with _tk(policy_file, zoom, tmp_path, "scheduler") as tk:
        names = {t["function"]["name"] for t in tk.tools(names=["ZOOM_GET_A_MEETING", "ZOOM_DELETE_A_MEETING",
                                                                 "ZOOM_LIST_USERS", "ZOOM_CREATE_A_MEETING"])}
    assert names == {"ZOOM_GET_A_MEETING", "ZOOM_CREATE_A_MEETING"}
    with _tk(policy_file, zoom, tmp_path, "reporter") as tk:
        shown = [t["function"]["name"] for t in tk.tools(products="phone", limit=500, allow_many=True)]
        assert shown and all(tk.catalog.entry(n)["annotations"]["read_only"] for n in shown)


def test_mcp_tools_list_and_calls_follow_each_clients_policy(policy_file, zoom, tmp_path, monkeypatch):
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client
    from zoom_actions import mcp_auth
    from zoom_actions.mcp_server import build_server, start_http_in_thread
    from zoom_actions.store import open_store
    monkeypatch.setenv("ZOOM_ACTIONS_AUDIT", str(tmp_path / "a.jsonl"))
    store = open_store(f"sqlite:///{tmp_path / 's.db'}")
    sched = mcp_auth.create_token(store, "scheduler")
    admin = mcp_auth.create_token(store, "admin")
    names = ["ZOOM_LIST_USERS", "ZOOM_LIST_MEETINGS", "ZOOM_DELETE_A_MEETING"]
    with _tk(policy_file, zoom, tmp_path, None) as tk, \
            start_http_in_thread(build_server(tk, names=names), store=store) as running:
        async def as_client(token):
            async with httpx2.AsyncClient(headers={"authorization": f"Bearer {token}"}) as http:
                async with Client(streamable_http_client(running.url, http_client=http), read_timeout_seconds=30) as c:
                    listed = sorted(t.name for t in (await c.list_tools()).tools)
                    called = (await c.call_tool("ZOOM_LIST_USERS", {})).structured_content
                    return listed, called
        s_listed, s_called = asyncio.run(as_client(sched))
        a_listed, a_called = asyncio.run(as_client(admin))
    store.close()
    assert s_listed == ["ZOOM_LIST_MEETINGS"] and "Denied by policy" in s_called["error"]
    assert a_listed == sorted(names) and a_called["successful"]
    assert len(zoom[0]) == 1   # only the admin's call went out


def test_a_destructive_call_waits_for_a_person(policy_file, zoom, tmp_path, monkeypatch):
    monkeypatch.setenv("ZOOM_ACTIONS_AUDIT", str(tmp_path / "a.jsonl"))
    sent = zoom[0]
    with _tk(policy_file, zoom, tmp_path, "admin") as tk:
        no_one = tk.execute("ZOOM_DELETE_A_MEETING", {"meetingId": 85746065})
    assert not no_one["successful"] and "no approver is configured" in no_one["error"] and sent == []

    def late(request):
        time.sleep(2)
        return True
    with _tk(policy_file, zoom, tmp_path, "admin", approver=late) as tk:
        tk.governor.approval_timeout = 0.3
        env = tk.execute("ZOOM_DELETE_A_MEETING", {"meetingId": 85746065})
    assert not env["successful"] and "no approval within 0.3 s" in env["error"] and sent == []

    asked = []

    def dana(request):
        asked.append(request)
        return {"approved": True, "approver": "dana@example.com"}
    with _tk(policy_file, zoom, tmp_path, "admin", approver=dana) as tk:
        env = tk.execute("ZOOM_DELETE_A_MEETING", {"meetingId": 85746065})
    assert env["successful"] and len(sent) == 1 and sent[0].method == "DELETE"
    assert asked[0]["destructive"] is True and asked[0]["action"] == "ZOOM_DELETE_A_MEETING"
    last = list(AuditLog(tmp_path / "a.jsonl").records())[-1]
    assert last["approver"] == "dana@example.com" and last["decision"] == "approve" and last["outcome"] == "sent"


def test_dry_run_returns_the_request_and_sends_nothing(policy_file, zoom, tmp_path, monkeypatch):
    monkeypatch.setenv("ZOOM_ACTIONS_AUDIT", str(tmp_path / "a.jsonl"))
    with _tk(policy_file, zoom, tmp_path, "reporter") as tk:   # the policy's dry-run effect
        env = tk.execute("ZOOM_CREATE_A_MEETING", {"userId": "me", "topic": "Preview"})
    with Toolkit(access_token="dry-run-token-123456", base_url="https://api.zoom.us/v2", transport=zoom[1],
                 dry_run=True) as tk:
        env2 = tk.execute("ZOOM_DELETE_A_MEETING", {"meetingId": 85746065})
    assert zoom[0] == []
    assert env["data"]["dry_run"] and env["data"]["method"] == "POST"
    assert env["data"]["url"] == "https://api.zoom.us/v2/users/me/meetings" and env["data"]["body"] == {"topic": "Preview"}
    assert env2["data"]["url"].endswith("/meetings/85746065") and env2["data"]["headers"]["Authorization"] == "Bearer ***"
    assert "dry-run-token" not in json.dumps(env2)


def test_lint_and_bad_files(policy_file, catalog, tmp_path):
    assert Policy.load(policy_file).lint(catalog) == []
    bad = Policy.from_dict({"agents": {"x": {"rules": [{"name": "r", "effect": "allow", "actions": ["ZOOM_GET_A_MEETNG"],
                                                        "products": ["meeting"], "tags": ["Nope"],
                                                        "params": {"userid": "me"}}]}}})
    problems = "\n".join(bad.lint(catalog))
    assert "no action matches 'ZOOM_GET_A_MEETNG' (did you mean ZOOM_GET_A_MEETING" in problems
    assert "unknown product 'meeting'" in problems and "tag 'Nope'" in problems
    with pytest.raises(PolicyError, match="effect must be one of"):
        Policy.from_dict({"agents": {"x": {"rules": [{"effect": "maybe"}]}}})
    with pytest.raises(PolicyError, match="unknown key"):
        Policy.from_dict({"agents": {"x": {"rules": [{"effect": "allow", "action": ["X"]}]}}})
    (tmp_path / "broken.toml").write_text("[agents")
    with pytest.raises(PolicyError, match="not valid TOML"):
        Policy.load(tmp_path / "broken.toml")
