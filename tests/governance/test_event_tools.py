"""The MCP event tools under the policy: an agent whose policy does not allow them neither sees nor
calls them (event payloads name participants and meetings); one allowed sees them, and a constraint on
their arguments holds; each call is audited; `policy check` and `policy lint` know them."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys

import httpx2
import pytest

from zoom_actions import Toolkit
from zoom_actions.events import Events, from_webhook
from zoom_actions.governance import AuditLog

POLICY = """
[agents.watcher]
[[agents.watcher.rules]]
name = "recordings-events"
effect = "allow"
actions = ["zoom_events_*"]
[agents.watcher.rules.params]
types = { in = [["recording.*"]] }

[agents.scheduler]
[[agents.scheduler.rules]]
name = "meetings-read"
effect = "allow"
actions = ["ZOOM_LIST_MEETINGS"]

[agents.reader]
[[agents.reader.rules]]
name = "anything-read-only"
effect = "allow"
annotations = ["read_only"]
"""
EVENT_TOOLS = ["zoom_events_recent", "zoom_events_wait"]


@pytest.fixture()
def setup(tmp_path, monkeypatch):
    from zoom_actions import mcp_auth
    from zoom_actions.store import open_store
    (tmp_path / "p.toml").write_text(POLICY)
    monkeypatch.setenv("ZOOM_ACTIONS_AUDIT", str(tmp_path / "audit.jsonl"))
    events = Events(tmp_path / "events.db")
    assert events.accept(from_webhook({"event": "recording.completed", "event_ts": 1767225600000,
                                       "payload": {"account_id": "a", "object": {"id": 7, "topic": "Board"}}}))
    store = open_store(f"sqlite:///{tmp_path / 's.db'}")
    tokens = {agent: mcp_auth.create_token(store, agent) for agent in ("watcher", "scheduler", "reader")}
    tk = Toolkit(access_token="governed-token-123456", base_url="https://api.zoom.us/v2", account_plan=None,
                 transport=httpx2.MockTransport(lambda r: httpx2.Response(200, json={})),
                 policy=str(tmp_path / "p.toml"))
    yield tk, events, store, tokens, tmp_path
    tk.close()
    events.log.close()
    store.close()


def _session(running, token, calls):
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client

    async def go():
        async with httpx2.AsyncClient(headers={"authorization": f"Bearer {token}"}) as http:
            async with Client(streamable_http_client(running.url, http_client=http), read_timeout_seconds=30) as c:
                listed = sorted(t.name for t in (await c.list_tools()).tools)
                return listed, [await c.call_tool(name, args) for name, args in calls]
    return asyncio.run(go())


def test_each_client_sees_and_calls_the_event_tools_its_policy_allows(setup):
    from zoom_actions.mcp_server import build_server, start_http_in_thread
    tk, events, store, tokens, tmp_path = setup
    recent = ("zoom_events_recent", {"types": ["recording.*"]})
    with start_http_in_thread(build_server(tk, names=["ZOOM_LIST_MEETINGS"], events=events), store=store) as running:
        w_listed, (w_ok, w_other) = _session(running, tokens["watcher"],
                                             [recent, ("zoom_events_recent", {"types": ["meeting.*"]})])
        s_listed, (s_call,) = _session(running, tokens["scheduler"], [recent])
        r_listed, (r_call,) = _session(running, tokens["reader"], [recent])
    assert w_listed == EVENT_TOOLS            # its only rule selects the event tools, not the action
    assert not w_ok.is_error and w_ok.structured_content["events"][0]["payload"]["object"]["topic"] == "Board"
    assert w_other.is_error or not w_other.structured_content.get("successful", True)   # types outside its set
    assert "Denied by policy" in json.dumps(w_other.structured_content)
    assert s_listed == ["ZOOM_LIST_MEETINGS"]   # default deny: no event tools listed...
    text = json.dumps(s_call.structured_content)
    assert "Denied by policy" in text and "Board" not in text   # ...and none served
    assert r_listed == sorted(["ZOOM_LIST_MEETINGS", *EVENT_TOOLS])   # read-only: the event tools are read-only
    assert not r_call.is_error
    records = [r for r in AuditLog(tmp_path / "audit.jsonl").records() if r["action"].startswith("zoom_events")]
    assert [(r["agent"], r["decision"], r["outcome"]) for r in records] == [
        ("watcher", "allow", "read"), ("watcher", "deny", "refused"), ("scheduler", "deny", "refused"),
        ("reader", "allow", "read")]


def test_policy_check_and_lint_know_the_event_tools(tmp_path, catalog):
    (tmp_path / "p.toml").write_text(POLICY)
    def cli(*args):
        return subprocess.run([sys.executable, "-m", "zoom_actions", "policy", *args, "--policy",
                               str(tmp_path / "p.toml")], capture_output=True, text=True)
    allowed = cli("check", "watcher", "zoom_events_wait", "-p", 'types=["recording.*"]')
    assert allowed.returncode == 0 and allowed.stdout.startswith("allow"), allowed
    denied = cli("check", "scheduler", "zoom_events_recent")
    assert denied.returncode == 1 and "hidden from its tools" in denied.stdout
    from zoom_actions.governance import Policy
    assert Policy.load(tmp_path / "p.toml").lint(catalog) == []
    (tmp_path / "bad.toml").write_text(POLICY.replace('types = { in', 'kinds = { in'))
    assert any("kinds" in p for p in Policy.load(tmp_path / "bad.toml").lint(catalog))
