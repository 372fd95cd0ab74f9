"""A person's approval through the MCP client (``approver="mcp"``).

When a policy rule says ``approve`` and the operator chose ``approver="mcp"``
(``Toolkit(approver="mcp")``), the server asks the client's user before the
call, with form-mode elicitation: the tool call answers "input required" with
a one-field form (approve: yes/no) that shows the action, the agent and the
parameters (masked like the audit log); the client shows it and calls again
with the answer. A yes covers that one call (the action and its normalized
parameters), recorded as approved by the client's user; a no, or a client
that does not declare form elicitation, leaves the governor to deny the call
with its reason. Nothing is sent before the answer.
"""

from __future__ import annotations

import json
from typing import Any

RESPONSE_KEY = "approve"


def _pending(toolkit, name: str, params: dict) -> dict | None:
    governor = getattr(toolkit, "governor", None)
    if governor is None:
        return None
    from .governance.approval import MCP
    if governor.approver != MCP:
        return None
    return governor.pending_approval(name, params)


def _client_name(ctx) -> str:
    info = getattr(getattr(getattr(ctx, "session", None), "client_params", None), "client_info", None)
    return str(getattr(info, "name", "") or "an MCP client")


def _declares_forms(ctx, types) -> bool:
    try:
        return bool(ctx.session.check_client_capability(
            types.ClientCapabilities(elicitation=types.ElicitationCapability(form=types.FormElicitationCapability()))))
    except Exception:  # noqa: BLE001 - a session that cannot say cannot ask
        return False


def gate(ctx, types, params, toolkit, name: str, prepared: dict) -> tuple[Any, tuple[str, str] | None]:
    """(what to answer instead of running the call, or None; the grant to run it with, or None)."""
    pending = _pending(toolkit, name, prepared)
    if pending is None:
        return None, None
    answered = (getattr(params, "input_responses", None) or {}).get(RESPONSE_KEY)
    if answered is not None:
        content = getattr(answered, "content", None) or {}
        if getattr(answered, "action", None) == "accept" and content.get(RESPONSE_KEY) is True:
            return None, (pending["fingerprint"], f"the user of {_client_name(ctx)} (MCP elicitation)")
        return None, None   # declined or cancelled: the governor denies it and records why
    if not _declares_forms(ctx, types):
        return None, None
    shown = json.dumps(pending["params"], ensure_ascii=False, default=str)[:800]
    message = (f"Approve {pending['title'] or name} ({name}) for agent {pending['agent'] or 'unnamed'}?"
               + (" It cannot be undone." if pending["destructive"] else "")
               + f" Parameters: {shown}. Rule: {pending['rule']}.")
    ask = types.ElicitRequest(params=types.ElicitRequestFormParams(message=message, requested_schema={
        "type": "object", "required": [RESPONSE_KEY],
        "properties": {RESPONSE_KEY: {"type": "boolean", "title": "Approve this call",
                                      "description": "Yes sends it to Zoom once; no refuses it."}}}))
    return types.InputRequiredResult(input_requests={RESPONSE_KEY: ask}), None
