"""Zoom's error answers: ``{"code": int, "message": str}`` plus, for
validation failures (code 300), ``errors: [{field, message}]``.

Messages come from the action's own error table (what the spec documents
for that operation) when it has one for the code, with ``{placeholders}``
filled in, so the sandbox says what Zoom says.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from typing import Any


class ZoomError(Exception):
    def __init__(self, status: int, code: int, message: str, errors: list[dict] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors
        self.headers = headers or {}

    def body(self) -> dict:
        out: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.errors:
            out["errors"] = self.errors
        return out


_PLACEHOLDER = re.compile(r"\{(\w+)\}|\$(\w+)")


def documented(action: dict | None, status: int, code: int, default: str, **values: Any) -> ZoomError:
    """A ZoomError with the message the action's error table gives for
    ``code`` under ``status`` (placeholders filled from ``values``), else
    ``default``. The table often lists several messages under one code:
    the one closest to ``default`` is taken, when it is close at all."""
    message = default
    if action:
        candidates = [e["message"] for e in action.get("errors", {}).get(str(status), ())
                      if e.get("code") == code and e.get("message")]
        scored = sorted(((SequenceMatcher(None, default.lower(), m.lower()).ratio(), m) for m in candidates),
                        reverse=True)
        if scored and scored[0][0] >= 0.6:
            message = scored[0][1]
    return ZoomError(status, code, fill(message, values))


def fill(message: str, values: dict[str, Any]) -> str:
    lowered = {k.lower(): v for k, v in values.items()}

    def sub(m: re.Match) -> str:
        key = (m.group(1) or m.group(2)).lower()
        return str(lowered[key]) if key in lowered else m.group(0)
    return _PLACEHOLDER.sub(sub, message)


def meeting_not_found(action: dict | None, meeting_id: Any) -> ZoomError:
    return documented(action, 404, 3001, "Meeting does not exist: {meetingId}.", meetingId=meeting_id)


def webinar_not_found(action: dict | None, webinar_id: Any) -> ZoomError:
    return documented(action, 404, 3001, "Webinar does not exist: {webinarId}.", webinarId=webinar_id)


def user_not_found(action: dict | None, user_id: Any) -> ZoomError:
    err = documented(action, 404, 1001, "User does not exist: {userId}.", userId=user_id)
    if err.code != 1001:
        err = ZoomError(404, 1001, f"User does not exist: {user_id}.")
    return err


def validation_failed(errors: list[dict]) -> ZoomError:
    return ZoomError(400, 300, "Validation Failed.", errors=errors)


def invalid_token() -> ZoomError:
    return ZoomError(401, 124, "Invalid access token.")
