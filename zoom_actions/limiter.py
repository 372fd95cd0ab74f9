"""Client-side pacing under Zoom's per-second rate limits.

Zoom limits requests per account by the operation's rate-limit label and
the account's plan. The limiter keeps a sliding window per label: a call
that fits in the window goes at once (a single call never waits); one that
does not is given the earliest free slot and told how long to sleep. The
reservation is a few arithmetic steps under a lock, shared by threads and
coroutines alike.

Plans (requests per second for LIGHT / MEDIUM / HEAVY, and per minute for
RESOURCE-INTENSIVE), from Zoom's rate-limit documentation:

    free      4 / 2 / 1,    10 a minute
    pro      30 / 20 / 10,  10 a minute     (the default)
    business 80 / 60 / 40,  20 a minute     (also Business+, Enterprise, Education)

Actions without a label are paced as MEDIUM. ``plan=None`` turns pacing off.
"""

from __future__ import annotations

import threading
import time
from collections import deque

# label -> (requests, window in seconds)
PLANS: dict[str, dict[str, tuple[int, float]]] = {
    "free": {"LIGHT": (4, 1.0), "MEDIUM": (2, 1.0), "HEAVY": (1, 1.0), "RESOURCE-INTENSIVE": (10, 60.0)},
    "pro": {"LIGHT": (30, 1.0), "MEDIUM": (20, 1.0), "HEAVY": (10, 1.0), "RESOURCE-INTENSIVE": (10, 60.0)},
    "business": {"LIGHT": (80, 1.0), "MEDIUM": (60, 1.0), "HEAVY": (40, 1.0), "RESOURCE-INTENSIVE": (20, 60.0)},
}
_PLAN_ALIASES = {"basic": "free", "business+": "business", "business_plus": "business",
                 "enterprise": "business", "education": "business"}
DEFAULT_PLAN = "pro"


def plan_limits(plan: str) -> dict[str, tuple[int, float]]:
    key = plan.strip().lower()
    key = _PLAN_ALIASES.get(key, key)
    try:
        return PLANS[key]
    except KeyError:
        raise ValueError(f"unknown plan {plan!r}; use one of: free, pro, business (or None to turn pacing off)") from None


class LimiterUnavailable(RuntimeError):
    """A shared limiter whose state cannot be reached, told to refuse rather than guess."""


class RateLimiter:
    """Sliding-window pacing per rate-limit label."""

    def __init__(self, plan: str = DEFAULT_PLAN, clock=time.monotonic) -> None:
        self.plan = plan
        self.limits = plan_limits(plan)
        self._clock = clock
        self._lock = threading.Lock()
        self._windows: dict[str, deque] = {label: deque() for label in self.limits}

    def reserve(self, label: str | None) -> float:
        """Take a slot for one request; return the seconds to wait before sending."""
        if label not in self.limits:
            label = "MEDIUM"
        limit, window = self.limits[label]
        with self._lock:
            now = self._clock()
            q = self._windows[label]
            horizon = now - window
            while q and q[0] <= horizon:
                q.popleft()
            if len(q) < limit:
                q.append(now)
                return 0.0
            at = max(now, q[-limit] + window)
            q.append(at)
            return at - now

    def __repr__(self) -> str:
        return f"RateLimiter(plan={self.plan!r})"
