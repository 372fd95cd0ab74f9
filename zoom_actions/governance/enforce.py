"""Policies, approvals, dry runs and the audit trail, attached to a Toolkit
through its hooks (before anything is sent; after every outcome).

``Governor(policy, agent=..., approver=..., audit=...)``; ``Toolkit(policy=,
agent=, approver=, dry_run=)`` builds one. The agent of a call is the
Toolkit's, or (over MCP) the authenticated client's (``current_agent``).
"""

from __future__ import annotations

import contextvars
import copy
import re
import time
from typing import Callable

from .audit import AuditLog, mask_params
from .policy import Decision, Policy, load_policy

current_agent: contextvars.ContextVar[str | None] = contextvars.ContextVar("zoom_actions_agent", default=None)
_call: contextvars.ContextVar[dict | None] = contextvars.ContextVar("zoom_actions_governed_call", default=None)
# Set by the MCP server once the client's user approved this very call through elicitation (approver="mcp"):
# (fingerprint of the call, who approved). Any other call still needs its own approval.
mcp_grant: contextvars.ContextVar[tuple[str, str] | None] = contextvars.ContextVar("zoom_actions_mcp_grant",
                                                                                    default=None)

APPROVAL_TIMEOUT = 120.0


def refused(decision: Decision, action: str, extra: str = "") -> dict:
    return {"data": {"policy": {"agent": decision.agent, "rule": decision.rule, "effect": decision.effect}},
            "successful": False,
            "error": f"Denied by policy: agent {decision.agent!r} may not call {action} ({decision.reason}){extra}. "
                     "Nothing was sent to Zoom."}


class Governor:
    def __init__(self, policy: Policy | str | None = None, *, agent: str | None = None,
                 approver: Callable | str | None = None, approval_timeout: float = APPROVAL_TIMEOUT,
                 audit: AuditLog | str | bool | None = True, dry_run: bool = False, catalog=None) -> None:
        self.policy = policy if isinstance(policy, Policy) or policy is None else Policy.load(policy)
        if self.policy is None and policy is None:
            self.policy = load_policy()
        self.agent = agent
        self.approver = approver
        self.approval_timeout = approval_timeout
        self.audit = audit if isinstance(audit, AuditLog) else (AuditLog(audit if isinstance(audit, str) else None)
                                                                  if audit else None)
        self.dry_run = dry_run
        self.catalog = catalog
        self.toolkit = None
        self.store = None   # opened on the first budget (the Toolkit's store, else ZOOM_ACTIONS_STORE)

    # --- wiring ---------------------------------------------------------------------------

    def attach(self, toolkit) -> "Governor":
        self.toolkit = toolkit
        self.catalog = toolkit.catalog
        toolkit.hooks.add("before_execute", None, self._before)
        toolkit.hooks.add("after_execute", None, self._after)
        toolkit.governor = self
        return self

    def close(self) -> None:
        if self.audit is not None:
            self.audit.close()
        if self.store is not None:
            self.store.close()

    def agent_now(self) -> str | None:
        return current_agent.get() or self.agent

    def visible(self, name: str, agent: str | None = None) -> bool:
        agent = agent or self.agent_now()
        if self.policy is None:
            return True
        return self.policy.visible(agent or "", name, self.catalog.entry(name))

    # --- before: decide ---------------------------------------------------------------------

    def _before(self, action: dict, params: dict):
        name, agent = action["name"], self.agent_now()
        entry = self.catalog.entry(name)
        call = {"t0": time.perf_counter(), "params": params, "agent": agent, "approver": None, "decision": None}
        _call.set(call)
        if self.policy is None:
            decision = Decision("dry-run" if self.dry_run else "allow", agent or "", None, "no policy")
        else:
            decision = self.policy.decide(agent or "", name, entry, params)
        call["decision"] = decision
        if decision.effect == "deny":
            return refused(decision, name)
        if decision.effect == "approve":
            approved, who, why = self._approve(agent, action, params, decision)
            call["approver"] = who
            if not approved:
                call["decision"] = Decision("deny", decision.agent, decision.rule, why)
                return refused(call["decision"], name, "")
        if decision.effect == "dry-run" or self.dry_run:
            call["dry_run"] = True
            return self.toolkit.dry_run_envelope(name, params)
        spent = self._spend(agent or "", name, entry)
        if spent is not None:
            call["decision"] = Decision("deny", agent or "", decision.rule, spent)
            return refused(call["decision"], name)
        return None

    def _spend(self, agent: str, name: str, entry: dict) -> str | None:
        """Take one unit of every budget that covers this call; why not, when one is spent."""
        if self.policy is None:
            return None
        for budget in self.policy.budgets_for(agent, name, entry):
            window, ends = budget.window(time.time())
            if self.store is None:
                from ..store import open_store
                self.store = open_store(getattr(self.toolkit, "_store_url", None))
            if self.store.take("budgets", f"{agent}:{budget.name}:{window}", budget.limit, ends) is None:
                from datetime import datetime, timezone
                renews = datetime.fromtimestamp(ends, tz=timezone.utc).isoformat().replace("+00:00", "Z")
                return (f"budget {budget.name!r} is spent ({budget.limit} per {budget.per}); it renews at {renews}")
        return None

    def _approve(self, agent, action: dict, params: dict, decision: Decision) -> tuple[bool, str | None, str]:
        if self.approver is None:
            return False, None, f"rule {decision.rule!r} needs a person's approval and no approver is configured"
        from .approval import MCP, ask, fingerprint
        if self.approver == MCP:
            grant = mcp_grant.get()
            if grant is not None and grant[0] == fingerprint(action["name"], params):
                return True, grant[1], "approved"
            return False, None, (f"rule {decision.rule!r} needs a person's approval through the MCP client, "
                                 "which did not give it (its client cannot ask, or the user declined)")
        return ask(self.approver, self.approval_request(agent, action, params, decision), self.approval_timeout)

    def approval_request(self, agent, action: dict, params: dict, decision: Decision) -> dict:
        """What an approver is shown: never a secret (masked like the audit)."""
        return {"agent": agent, "action": action["name"], "title": action.get("title"),
                "destructive": action["annotations"]["destructive"],
                "params": mask_params(params, set()), "rule": decision.rule}

    def pending_approval(self, name: str, params: dict) -> dict | None:
        """For the MCP server with ``approver="mcp"``: the approval request this call needs first (None: it
        needs none, or the policy denies it anyway and will say so)."""
        from .approval import MCP
        if self.policy is None or self.approver != MCP:
            return None
        from ..errors import InputError
        from .approval import fingerprint
        try:
            clean = self.toolkit.plan(name).inputs.normalize(params)   # as _before will see them
        except InputError:
            return None    # the call's own envelope will name the problem
        agent = self.agent_now()
        decision = self.policy.decide(agent or "", name, self.catalog.entry(name), clean)
        if decision.effect != "approve":
            return None
        return {**self.approval_request(agent, self.catalog.get(name), clean, decision),
                "fingerprint": fingerprint(name, clean)}

    # --- tools that are not Zoom actions (the MCP event tools) --------------------------------

    def tool_visible(self, entry: dict, agent: str | None = None) -> bool:
        return self.policy is None or self.policy.visible(agent or self.agent_now() or "", entry["name"], entry)

    def check_tool(self, entry: dict, params: dict) -> tuple[Decision, dict | None]:
        """The decision for a server-side tool described by ``entry`` (``mcp_events.policy_entry``), and the
        refusal envelope unless an allow rule lets it run (approval and dry runs are for Zoom calls)."""
        agent = self.agent_now() or ""
        if self.policy is None:
            return Decision("allow", agent, None, "no policy"), None
        decision = self.policy.decide(agent, entry["name"], entry, params)
        if decision.effect != "allow":
            if decision.effect != "deny":
                decision = Decision("deny", agent, decision.rule, f"{decision.reason}; only allow lets it run")
            return decision, refused(decision, entry["name"])
        return decision, None

    def record_tool(self, entry: dict, params: dict, decision: Decision, envelope: dict, started: float) -> None:
        if self.audit is None:
            return
        self._record(entry["name"], entry, decision.agent or None, params, decision, envelope, started,
                     dict(title=entry["name"].replace("_", " "), connection=None, approver=None,
                          outcome="read" if decision.effect == "allow" else "refused", status=None, code=None,
                          result_id=None))

    def _record(self, name: str, entry: dict, agent: str | None, params: dict, decision: Decision,
                envelope: dict, started: float, what: dict) -> None:
        """One audit record: who, which action, the params masked (secrets, and the fields the agent's
        rules mark personal), the decision, the outcome (``what``), latency and the error. What is read of
        the call is taken now (a copy of the params: the caller's objects may change once the call
        returns); the record is built when it is written, off the call's path (``AuditLog.append_built``),
        and is written even when its params cannot be (they are then said to be unrecorded, never raw)."""
        latency_ms = round((time.perf_counter() - started) * 1000, 2)
        error = envelope.get("error") or ""
        successful = bool(envelope.get("successful"))
        params = {k: copy.deepcopy(v) if isinstance(v, (dict, list)) else v for k, v in params.items()}
        policy = self.policy

        def build() -> dict:
            record = dict(agent=agent, action=name, params=None, decision=decision.effect, rule=decision.rule,
                          reason=decision.reason, successful=successful, latency_ms=latency_ms,
                          error=error[:300] or None, **what)
            try:
                personal = policy.masked(agent or "", name, entry) if policy else set()
                record["params"] = mask_params(params, personal)
            except Exception as exc:   # noqa: BLE001 - the call is on record whatever its params hold
                record["params"] = {"unrecorded": f"the params could not be recorded ({type(exc).__name__})"}
            return record
        self.audit.append_built(build)

    # --- after: record ----------------------------------------------------------------------

    def _after(self, action: dict, env: dict):
        call = _call.get()
        _call.set(None)
        if self.audit is None:
            return None
        if call is None:   # refused before the policy ran: the input did not validate (nothing was sent)
            call = {"t0": time.perf_counter(), "params": {}, "agent": self.agent_now(), "approver": None,
                    "decision": Decision("invalid", self.agent_now() or "", None, "the input did not validate")}
        decision: Decision = call["decision"]
        error = env.get("error") or ""
        sent = not call.get("dry_run") and decision.effect not in ("deny", "invalid") \
            and "Nothing was sent" not in error \
            and "nothing was sent" not in error
        data = env.get("data") if isinstance(env.get("data"), dict) else {}
        name = action["name"]
        self._record(name, self.catalog.entry(name), call["agent"], call["params"], decision, env, call["t0"],
                     dict(title=action.get("title"), connection=getattr(self.toolkit, "connection", None),
                          approver=call["approver"],
                          outcome="dry-run" if call.get("dry_run") else ("sent" if sent else "refused"),
                          status=_status(error, bool(env.get("successful"))), code=_code(error),
                          result_id=data.get("id") if isinstance(data.get("id"), (str, int)) else None))
        return None


_HTTP_STATUS = re.compile(r"HTTP (\d{3})")
_ZOOM_CODE = re.compile(r"[Cc]ode (\d{3,5})")


def _status(error: str, successful: bool) -> int | None:
    m = _HTTP_STATUS.search(error) if error else None
    return int(m.group(1)) if m else (200 if successful else None)


def _code(error: str) -> int | None:
    m = _ZOOM_CODE.search(error) if error else None
    return int(m.group(1)) if m else None
