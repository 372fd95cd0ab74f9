"""Asking a person before a call that cannot be undone.

An approver is a Python callable (``fn(request) -> bool``, or ``(bool,
who)``, or ``{"approved": bool, "approver": who}``), an ``https://`` (or
loopback ``http://``) URL that receives the request as JSON and answers in
that same shape, ``"cli"`` (a prompt on the terminal), or ``"mcp"``: over
the MCP server, the client's user is asked through elicitation (a form with
one yes/no field), where the client declares it can; elsewhere, or if the
client cannot ask, the call is denied. ``"mcp"`` is opted into, never
assumed: a client may answer for its user, so an operator chooses to trust
that. No answer within the timeout, an error, or anything but a clear yes
is a no.
"""

from __future__ import annotations

import concurrent.futures
import sys
from typing import Any, Callable

MCP = "mcp"

_pool = concurrent.futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="zoom-approval")


def _read(answer: Any, default_who: str) -> tuple[bool, str | None]:
    if isinstance(answer, dict):
        return answer.get("approved") is True, str(answer.get("approver") or default_who)
    if isinstance(answer, tuple) and len(answer) == 2:
        return answer[0] is True, str(answer[1])
    return answer is True, default_who


def ask(approver: Callable | str, request: dict, timeout: float) -> tuple[bool, str | None, str]:
    """(approved, who approved, why not)."""
    if approver == MCP:
        return False, None, "approval through the MCP client is only available over the MCP server"
    if approver == "cli":
        fn, who = _prompt, "the terminal user"
    elif isinstance(approver, str):
        fn, who = (lambda req: _webhook(approver, req, timeout)), approver
    else:
        fn, who = approver, getattr(approver, "__name__", "an approver")
    future = _pool.submit(fn, request)
    try:
        answer = future.result(timeout=timeout)
    except concurrent.futures.TimeoutError:
        return False, None, f"no approval within {timeout:g} s"
    except Exception as exc:  # noqa: BLE001 - a failing approver is a no
        return False, None, f"the approver failed ({type(exc).__name__})"
    approved, by = _read(answer, who)
    return approved, by if approved else None, "approved" if approved else f"{by} did not approve"


def fingerprint(action: str, params: dict) -> str:
    """One call's identity: an approval granted for it does not cover another action or other parameters."""
    import hashlib
    import json
    text = json.dumps([action, params], sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _webhook(url: str, request: dict, timeout: float) -> Any:
    from ..gateways import check_url
    from ..transport import http
    check_url(url, "the approver URL")
    with http().Client(timeout=timeout, follow_redirects=False) as client:
        resp = client.post(url, json=request)
    if resp.status_code != 200:
        return False
    return resp.json()


def _prompt(request: dict) -> bool:
    if not sys.stdin or not sys.stdin.isatty():
        return False
    print(f"\nApprove {request['action']} for agent {request['agent']!r}? params={request['params']} [y/N] ",
          end="", file=sys.stderr, flush=True)
    return sys.stdin.readline().strip().lower() in ("y", "yes")
