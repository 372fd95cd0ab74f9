"""Injected faults, for testing an agent's backoff: 429s shaped like Zoom's
and added latency.

``Faults.from_value({"rate_limit_every": 3, "latency_ms": 50})``:

- ``rate_limit_every`` N: every Nth API request answers 429 (0: never).
- ``rate_limit_first`` N: the first N API requests answer 429.
- ``rate_limit_type``: ``"QPS"`` (per-second limit; default) or
  ``"Daily-limit"``. Zoom sends ``Retry-After`` only on a daily cap, as the
  ISO-8601 time the cap resets (next 00:00 UTC); ``retry_after_seconds``
  adds ``Retry-After: <seconds>`` to per-second 429s too.
- ``latency_ms`` (+ ``jitter_ms``): delay before every answer.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, fields
from datetime import datetime, timedelta, timezone
from typing import Any

from .errors import ZoomError

# Per-second limits of a Pro account by the operation's label (Zoom's table).
_PRO_LIMITS = {"LIGHT": 30, "MEDIUM": 20, "HEAVY": 10, "RESOURCE-INTENSIVE": 10}
_DAILY_LIMITS = {"LIGHT": 6000, "MEDIUM": 2000, "HEAVY": 1000, "RESOURCE-INTENSIVE": 1000}
_CATEGORY = {"LIGHT": "Light", "MEDIUM": "Medium", "HEAVY": "Heavy", "RESOURCE-INTENSIVE": "Resource-intensive"}


@dataclass
class Faults:
    rate_limit_every: int = 0
    rate_limit_first: int = 0
    rate_limit_type: str = "QPS"
    retry_after_seconds: int | None = None
    latency_ms: int = 0
    jitter_ms: int = 0

    def __post_init__(self) -> None:
        self._count = 0
        self._lock = threading.Lock()
        if self.rate_limit_type.lower().startswith("daily"):
            self.rate_limit_type = "Daily-limit"
        elif self.rate_limit_type.upper() == "QPS":
            self.rate_limit_type = "QPS"
        else:
            raise ValueError(f"rate_limit_type must be 'QPS' or 'Daily-limit', not {self.rate_limit_type!r}")

    @classmethod
    def from_value(cls, value: "Faults | dict[str, Any] | None") -> "Faults":
        if isinstance(value, Faults):
            return value
        if not value:
            return cls()
        known = {f.name for f in fields(cls)}
        unknown = set(value) - known
        if unknown:
            raise ValueError(f"unknown fault setting(s): {', '.join(sorted(unknown))}; known: {', '.join(sorted(known))}")
        return cls(**value)

    def delay(self) -> None:
        ms = self.latency_ms + (random.randint(0, self.jitter_ms) if self.jitter_ms else 0)
        if ms > 0:
            time.sleep(ms / 1000)

    def check(self, action: dict | None, now: datetime | None = None) -> None:
        """Count one API request; raise the 429 when it is due."""
        with self._lock:
            self._count += 1
            n = self._count
        due = (self.rate_limit_first and n <= self.rate_limit_first) or \
              (self.rate_limit_every and n % self.rate_limit_every == 0)
        if due:
            raise rate_limited(action, self.rate_limit_type, self.retry_after_seconds, now)


def rate_limited(action: dict | None, kind: str = "QPS", retry_after_seconds: int | None = None,
                 now: datetime | None = None) -> ZoomError:
    label = (action or {}).get("rate_limit") or "LIGHT"
    headers = {"X-RateLimit-Category": _CATEGORY.get(label, "Light"), "X-RateLimit-Type": kind}
    if kind == "Daily-limit":
        now = now or datetime.now(timezone.utc)
        reset = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        headers["X-RateLimit-Limit"] = str(_DAILY_LIMITS.get(label, 6000))
        headers["X-RateLimit-Remaining"] = "0"
        headers["Retry-After"] = reset.strftime("%Y-%m-%dT%H:%M:%SZ")
        message = ("You have reached the maximum daily rate limit for this API. "
                   "Refer to the response header for details on when you can make another request.")
    else:
        headers["X-RateLimit-Limit"] = str(_PRO_LIMITS.get(label, 30))
        headers["X-RateLimit-Remaining"] = "0"
        if retry_after_seconds is not None:
            headers["Retry-After"] = str(retry_after_seconds)
        message = "You have reached the maximum per-second rate limit for this API. Try again later."
    return ZoomError(429, 429, message, headers=headers)
