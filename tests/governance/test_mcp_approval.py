"""approver="mcp": a destructive call waits for the MCP client's user, asked through form elicitation;
a yes sends it once and is recorded with who approved, a no or a client that cannot ask sends nothing."""

from __future__ import annotations

import asyncio

import httpx2
import pytest

from zoom_actions import Toolkit
from zoom_actions.governance import AuditLog
from zoom_actions.mcp_server import build_server, start_http_in_thread

POLICY = """
[agents.bot]
default = "deny"
[[agents.bot.rules]]
name = "deletes-need-a-person"
effect = "approve"
actions = ["ZOOM_DELETE_A_MEETING"]
[[agents.bot.rules]]
name = "reads"
effect = "allow"
actions = ["ZOOM_GET_A_MEETING"]
"""


def _run(tmp_path, answer, *, declares: bool = True, tool: str = "ZOOM_DELETE_A_MEETING"):
    from mcp import types
    from mcp.client import Client
    (tmp_path / "p.toml").write_text(POLICY)
    sent, asked = [], []

    def zoom(request):
        sent.append(request.method)
        return httpx2.Response(204 if request.method == "DELETE" else 200, json={"id": 85746065})

    async def on_elicit(context, params):
        asked.append(params.message)
        return answer

    tk = Toolkit(access_token="mcp-approval-test-token-51f0", base_url="https://api.zoom.us/v2",
                 transport=httpx2.MockTransport(zoom), account_plan=None, policy=str(tmp_path / "p.toml"), agent="bot", approver="mcp")
    tk.governor.audit = AuditLog(tmp_path / "audit.jsonl")
    server = build_server(tk, names=["ZOOM_DELETE_A_MEETING", "ZOOM_GET_A_MEETING"])
    with start_http_in_thread(server, auth=False) as running:
        async def call():
            kwargs = {"elicitation_callback": on_elicit} if declares else {}
            async with Client(running.url, **kwargs) as c:
                return (await c.call_tool(tool, {"meetingId": 85746065})).structured_content
        env = asyncio.run(call())
    tk.close()
    return env, sent, asked, list(AuditLog(tmp_path / "audit.jsonl").records())


def test_a_yes_sends_the_call_once_and_records_the_approver(tmp_path):
    from mcp import types
    env, sent, asked, records = _run(tmp_path, types.ElicitResult(action="accept", content={"approve": True}))
    assert env["successful"] and sent == ["DELETE"]
    assert len(asked) == 1 and "ZOOM_DELETE_A_MEETING" in asked[0] and "cannot be undone" in asked[0]
    assert "85746065" in asked[0] and "agent bot" in asked[0]
    [rec] = records
    assert rec["decision"] == "approve" and rec["outcome"] == "sent" and "MCP elicitation" in rec["approver"]


@pytest.mark.parametrize("answer", [("decline", None), ("accept", {"approve": False}), ("cancel", None)])
def test_a_no_sends_nothing_and_is_recorded_as_denied(tmp_path, answer):
    from mcp import types
    env, sent, asked, records = _run(tmp_path, types.ElicitResult(action=answer[0], content=answer[1]))
    assert env["successful"] is False and "Denied by policy" in env["error"] and sent == [] and len(asked) == 1
    assert [r["decision"] for r in records] == ["deny"] and records[0]["approver"] is None


def test_a_client_that_cannot_ask_gets_a_denial(tmp_path):
    env, sent, asked, records = _run(tmp_path, None, declares=False)
    assert env["successful"] is False and "through the MCP client" in env["error"] and sent == [] and asked == []


def test_a_call_that_needs_no_approval_is_not_asked_about(tmp_path):
    env, sent, asked, _ = _run(tmp_path, None, tool="ZOOM_GET_A_MEETING")
    assert env["successful"] and sent == ["GET"] and asked == []
