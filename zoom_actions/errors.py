"""The envelope, and turning every failure into one actionable message.

An envelope is ``{"data": ..., "successful": bool, "error": str | None}``.
HTTP errors are explained from four sources, most specific first: Zoom's
own ``code``/``message`` (and ``errors`` list for code 300), the action's
documented error table, the project's diagnostics for codes that need
context (124, 200, 300, 1001, 3000, 3001, 4711, 429) and for the meeting
summary endpoints, and finally the HTTP status.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

from .redact import scrub, scrub_data


def ok(data: Any) -> dict:
    return {"data": data, "successful": True, "error": None}


def fail(message: str, data: Any = None) -> dict:
    return {"data": {} if data is None else scrub_data(data), "successful": False, "error": scrub(message)}


class InputError(Exception):
    """Bad input: a list of ``(parameter, problem)`` pairs; nothing is sent."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{p}: {m}" for p, m in problems))
        self.problems = problems


def input_failure(action_name: str, problems: list[tuple[str, str]]) -> dict:
    parts = []
    for param, problem in problems:
        parts.append(f"`{param}`: {problem}" if param else problem)
    noun = "1 problem" if len(parts) == 1 else f"{len(parts)} problems"
    text = "; ".join(p.rstrip(" .;") for p in parts)
    return fail(f"Invalid input for {action_name} ({noun}; nothing was sent to Zoom): " + text
                + ("" if text.endswith(("?", "!")) else "."))


# --- Zoom error bodies --------------------------------------------------------

def zoom_code(body: Any) -> tuple[int | None, str | None]:
    if isinstance(body, dict):
        code = body.get("code")
        if isinstance(code, str) and code.isdigit():
            code = int(code)
        msg = body.get("message")
        if msg is None and "reason" in body:  # the OAuth endpoint's shape
            msg = body.get("reason")
        return (code if isinstance(code, int) and not isinstance(code, bool) else None,
                msg if isinstance(msg, str) else None)
    return None, None


_SCOPES_IN_MESSAGE = re.compile(r"\[([^\]]*)\]")


def _scopes_named(message: str | None) -> list[str]:
    if not message:
        return []
    m = _SCOPES_IN_MESSAGE.search(message)
    if not m:
        return []
    return [s.strip().strip("'\"") for s in m.group(1).split(",") if s.strip()]


def _action_scopes(action: dict) -> str:
    scopes = action.get("scopes") or {}
    bits = []
    if scopes.get("granular"):
        bits.append("granular: " + ", ".join(scopes["granular"]))
    if scopes.get("classic"):
        bits.append("classic: " + ", ".join(scopes["classic"]))
    return "; ".join(bits)


def _is_summary(action: dict) -> bool:
    return "meeting_summar" in action["operation"]["path"]


_SUMMARY_CAUSES = (
    "The meeting summary endpoint exists; a 4xx from it does not mean the endpoint is missing. Causes, in order "
    "of likelihood: (1) the token lacks a meeting-summary scope ({scopes}): add it to the app and re-authorize; "
    "(2) AI Companion meeting summary is turned off for the host, or the host's plan is below Pro: enable "
    "\"Meeting summary with AI Companion\" in the Zoom web settings; (3) the meeting was end-to-end encrypted, "
    "which Zoom never summarizes. For a specific past occurrence pass its meeting UUID.")


def _diagnose(action: dict, status: int, code: int | None, message: str | None, body: Any,
              *, auth_kind: str | None, refreshed: bool) -> list[str]:
    """The project's own explanation for this status/code on this action."""
    notes: list[str] = []
    if _is_summary(action) and 400 <= status < 500 and status != 429 and code not in (124, 300):
        if status == 404 or code == 3001:
            notes.append("No summary exists for this meeting instance: it may not have ended yet, AI Companion "
                         "may not have been running, or the ID/UUID may be wrong (a meeting ID means its latest "
                         "instance).")
        notes.append(_SUMMARY_CAUSES.format(scopes=_action_scopes(action) or "meeting:read:summary"))
        return notes
    if code == 124 or (status == 401 and code is None):
        if auth_kind in ("lava", "maton"):
            notes.append(f"The {auth_kind} gateway rejected the credentials: check the gateway key and that "
                         "Zoom is connected in the gateway's dashboard.")
        elif refreshed:
            notes.append("The access token was rejected again right after a refresh: the app's credentials "
                         "are valid for the token endpoint but not for this API (check the app is activated "
                         "and the account matches).")
        elif auth_kind == "static":
            notes.append("The access token is invalid or expired (tokens last one hour). Supply a fresh token, "
                         "or configure Server-to-Server OAuth (ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID, "
                         "ZOOM_CLIENT_SECRET) so the runtime fetches and renews tokens itself.")
        else:
            notes.append("The access token is invalid or expired.")
    elif code == 4711 or (status in (400, 401, 403) and message and "scope" in message.lower()):
        missing = _scopes_named(message)
        want = _action_scopes(action)
        text = "The token lacks the scopes this operation needs"
        if missing:
            text += ": " + ", ".join(missing)
        text += "."
        if want:
            text += f" This action accepts any of ({want})."
        text += (" Add the scope to the app in the Zoom App Marketplace and re-authorize it (a Server-to-Server "
                 "app gets the new scopes with its next token).")
        notes.append(text)
    elif code == 300:
        errs = body.get("errors") if isinstance(body, dict) else None
        if isinstance(errs, list) and errs:
            fields = []
            for e in errs[:20]:
                if isinstance(e, dict):
                    fields.append(f"{e.get('field', '?')}: {e.get('message', '')}".strip())
            if fields:
                notes.append("Zoom rejected these fields: " + "; ".join(fields) + ".")
        notes.append("Fix the values named above (Zoom validates formats such as start_time, timezone and "
                     "passcode rules that the schema cannot express) and try again.")
    elif code == 1001:
        notes.append("The user does not exist or does not belong to this account. Server-to-Server apps cannot "
                     "use `me`: pass the user's ID or email address instead.")
    elif code == 1010:
        notes.append("The user does not belong to this account: pass a user of the account the token is for.")
    elif code == 3000:
        notes.append("Zoom cannot access this meeting or webinar: check the ID, that the host is licensed "
                     "and that the feature is enabled on the account.")
    elif code == 3001:
        meeting_id = ((action.get("input_schema") or {}).get("properties") or {}).get("meetingId") or {}
        if meeting_id.get("type") == "integer":   # this operation takes the number only: a UUID would not pass
            notes.append("The meeting does not exist or has expired. Check the meeting ID. This operation takes "
                         "the meeting ID only; an ended occurrence has its own meeting UUID, which the past-meeting "
                         "actions take (ZOOM_LIST_PAST_MEETING_OCCURRENCES lists them).")
        else:
            notes.append("The meeting does not exist or has expired. Check the meeting ID; for one past "
                         "occurrence pass its meeting UUID (the runtime double-encodes UUIDs that need it).")
    elif code == 200:
        notes.append("Zoom reports no permission: the account's plan or add-ons lack this feature (webinars "
                     "need a Webinar license, phone actions need Zoom Phone) or the user's role forbids it.")
    if not notes:
        if status == 401:
            notes.append("Authentication failed: check the credentials.")
        elif status == 403:
            notes.append("Forbidden: the token's user or role may not do this, or the plan lacks the feature.")
        elif status == 404:
            notes.append("Not found: check the IDs in the path.")
        elif status >= 500:
            notes.append("Zoom had a server error; try again later.")
    return notes


def http_failure(action: dict, status: int, body: Any, *, auth_kind: str | None = None,
                 refreshed: bool = False, note: str | None = None) -> dict:
    code, message = zoom_code(body)
    op = action["operation"]
    head = f"HTTP {status} from Zoom for {action['name']} ({op['method']} {op['path']})"
    if code is not None:
        head += f": code {code}"
        if message:
            head += f", {message.rstrip('.')}"
    elif message:
        head += f": {message.rstrip('.')}"
    elif isinstance(body, dict) and "content" in body:
        snippet = str(body["content"])[:200].strip()
        if snippet:
            head += f": {snippet}"
    parts = [head + "."]
    documented = (action.get("errors") or {}).get(str(status)) or []
    for entry in documented:
        if code is not None and entry.get("code") == code and entry.get("message"):
            parts.append(f"Zoom documents code {code} for this operation as: {entry['message']}")
            break
    parts.extend(_diagnose(action, status, code, message, body, auth_kind=auth_kind, refreshed=refreshed))
    if note:
        parts.append(note)
    return fail(" ".join(parts), data=body if isinstance(body, dict) else {"content": body})


# --- rate limits ----------------------------------------------------------------

def next_utc_midnight(now: datetime | None = None) -> datetime:
    now = now or datetime.now(timezone.utc)
    return (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)


def rate_limit_failure(action: dict, body: Any, *, daily: bool, reset: datetime | None,
                       wait: float | None, category: str | None) -> dict:
    label = category or action.get("rate_limit") or "this"
    op = action["operation"]
    _, message = zoom_code(body)
    head = f"HTTP 429 from Zoom for {action['name']} ({op['method']} {op['path']})"
    if message:
        head += f": {message.rstrip('.')}"
    if daily:
        when = (reset or next_utc_midnight()).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        text = (f"{head}. The daily rate limit for {label.lower()} requests is used up (limits are per account, "
                f"shared by every app on it; meeting and webinar create/update also cap at 100 per user per "
                f"day). It resets at {when} (daily caps reset at 00:00 UTC). Do not retry before then.")
    else:
        after = f" Retry after {wait:.1f} s." if wait is not None else " Retry in a few seconds."
        text = (f"{head}. The per-second rate limit for {label.lower()} requests is exceeded and the retries "
                f"allowed were used up.{after} Lower the concurrency, or set the toolkit's plan to match the "
                "account so its limiter paces calls.")
    return fail(text, data=body if isinstance(body, dict) else {})


def internal_failure(name: Any, exc: BaseException) -> dict:
    """The envelope for an exception that escaped a call (a bug): logged, never raised."""
    import logging
    log = logging.getLogger("zoom_actions")
    log.error("internal error in %s: %s", name if isinstance(name, str) else "?", type(exc).__name__,
              exc_info=log.isEnabledFor(logging.DEBUG))
    label = name if isinstance(name, str) else "the action"
    return fail(f"Internal error while running {label[:200]}: {type(exc).__name__}: {scrub(str(exc))[:500]}. "
                "Nothing more is known; please report it.")
