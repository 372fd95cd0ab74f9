"""Client-side pacing under Zoom's rate limits, and what Zoom's answers teach it.

Zoom limits requests per account by the operation's rate-limit label and
the account's plan, per second (a minute for RESOURCE-INTENSIVE) and per
day; meeting and webinar creates and updates are also capped at 100 per
user per day. The limiter keeps a sliding window per label: a call that
fits goes at once (a single call never waits); one that does not is given
the earliest free slot and told how long to sleep. A call that would pass
a daily cap is refused before anything is sent (:class:`CapReached`, which
says which cap and when it resets at 00:00 UTC).

Other apps on the account spend the same budget, so the limiter also
learns from Zoom's answers (:func:`observe`): a 429 blocks its label until
``Retry-After`` / ``X-RateLimit-Reset`` for every caller; a daily 429 closes
the cap until it resets; ``X-RateLimit-Remaining`` on a daily limit raises
the day's count to what Zoom has seen; ``X-RateLimit-Limit`` replaces the
plan's figure. :class:`RateLimiter` keeps all of it in this process (the
embedded default); :mod:`.shared_limits` keeps the same state on Redis.

Per-second limits (LIGHT / MEDIUM / HEAVY, and RESOURCE-INTENSIVE a
minute) and daily caps by plan, from Zoom's rate-limit documentation:

    free      4 / 2 / 1,    10 a minute;  6,000 / 2,000 / 1,000 a day, 30,000 resource-intensive
    pro      30 / 20 / 10,  10 a minute;  30,000 a day heavy and resource-intensive together
    business 80 / 60 / 40,  20 a minute;  60,000 a day heavy and resource-intensive together
                                          (also Business+, Enterprise, Education)

Actions without a label are paced as MEDIUM. ``plan=None`` turns pacing off.
"""

from __future__ import annotations

import bisect
import math
import os
import re
import threading
import time
from collections import OrderedDict
from datetime import datetime, timezone
from typing import NamedTuple
from urllib.parse import unquote

from .errors import zoom_code
from .retry import classify_429

# label -> (requests, window in seconds)
PLANS: dict[str, dict[str, tuple[int, float]]] = {
    "free": {"LIGHT": (4, 1.0), "MEDIUM": (2, 1.0), "HEAVY": (1, 1.0), "RESOURCE-INTENSIVE": (10, 60.0)},
    "pro": {"LIGHT": (30, 1.0), "MEDIUM": (20, 1.0), "HEAVY": (10, 1.0), "RESOURCE-INTENSIVE": (10, 60.0)},
    "business": {"LIGHT": (80, 1.0), "MEDIUM": (60, 1.0), "HEAVY": (40, 1.0), "RESOURCE-INTENSIVE": (20, 60.0)},
}
_HEAVY_AND_RI = "HEAVY+RESOURCE-INTENSIVE"
# label -> (the daily pool it spends, that pool's requests a day); two labels may share a pool
DAILY: dict[str, dict[str, tuple[str, int]]] = {
    "free": {"LIGHT": ("LIGHT", 6000), "MEDIUM": ("MEDIUM", 2000), "HEAVY": ("HEAVY", 1000),
             "RESOURCE-INTENSIVE": ("RESOURCE-INTENSIVE", 30000)},
    "pro": {"HEAVY": (_HEAVY_AND_RI, 30000), "RESOURCE-INTENSIVE": (_HEAVY_AND_RI, 30000)},
    "business": {"HEAVY": (_HEAVY_AND_RI, 60000), "RESOURCE-INTENSIVE": (_HEAVY_AND_RI, 60000)},
}
USER_CAP = 100          # meeting and webinar creates + updates, per user per day
_PLAN_ALIASES = {"basic": "free", "business+": "business", "business_plus": "business",
                 "enterprise": "business", "education": "business"}
DEFAULT_PLAN = "pro"
_HOSTS_KEPT = 10_000    # meeting -> host pairs remembered in process


def _plan_key(plan: str) -> str:
    key = plan.strip().lower()
    key = _PLAN_ALIASES.get(key, key)
    if key not in PLANS:
        raise ValueError(f"unknown plan {plan!r}; use one of: free, pro, business (or None to turn pacing off)")
    return key


def plan_limits(plan: str) -> dict[str, tuple[int, float]]:
    return PLANS[_plan_key(plan)]


def daily_limits(plan: str) -> dict[str, tuple[str, int]]:
    return DAILY[_plan_key(plan)]


class LimiterUnavailable(RuntimeError):
    """A shared limiter whose state cannot be reached, told to refuse rather than guess."""


class CapReached(RuntimeError):
    """A daily cap is used up: nothing is sent until it resets."""

    def __init__(self, key: str, cap: int | None, reset: float, by_zoom: bool) -> None:
        self.key, self.cap, self.reset, self.by_zoom = key, cap, reset, by_zoom
        when = datetime.fromtimestamp(reset, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        kind, _, name = key.partition(":")
        source = ("Zoom answered 429 for it (another app on the account may be spending it)" if by_zoom
                  else "counted across every process sharing this limiter")
        scope = "account" if kind == "pool" else "user"
        if kind == "pool":
            what = f"the account's daily cap for {name.replace('+', ' and ')} requests"
            size = f" ({cap:,} a day)" if cap else ""
            later = "Do not retry before then."
        else:   # Zoom's documented cap per user: meeting and webinar creates and updates together
            who = f"user {name!r}" if kind == "user" else f"the host of {kind} {name} (host not known here)"
            what = f"the daily cap of meeting and webinar creates and updates for {who}"
            size = (f" (Zoom's documented cap: {cap or USER_CAP:,} creates and updates per user per day, "
                    "meetings and webinars together)")
            later = ("Do not create or update meetings or webinars for this user before then; other users and "
                     "other requests are not affected.")
        super().__init__(f"not sent: {what}{size} is used up ({source}); it resets at {when} (00:00 UTC). {later}")
        self.data = {"rate_limit": {"cap": key, "scope": scope, "limit": cap, "resets_at": when, "sent": False}}


class BeyondDeadline(RuntimeError):
    """The next free slot is later than the call's deadline; no slot was taken."""

    def __init__(self, label: str, seconds: float) -> None:
        self.label, self.seconds = label, seconds
        super().__init__(f"not sent: the next free slot for {label} requests is {seconds:.1f} s away, past the "
                         "call's deadline (deadline=). Nothing was sent; try again later or raise the deadline.")


# --- whose per-user cap a request spends ---------------------------------------------

class CapSubject(NamedTuple):
    key: str                 # "user:<id or email>" (a create) or "meeting:<id>" / "webinar:<id>" (an update)
    creates: str | None      # "meeting" / "webinar" for a create: its answer's id is learned as the host's


_CREATE = re.compile(r"/users/\{userId\}/(meetings|webinars)$")
_UPDATE = re.compile(r"/(meetings|webinars)/\{(?:meetingId|webinarId)\}$")
_KINDS: dict[str, tuple[str, str] | None] = {}


def cap_subject(action: dict, path: str) -> CapSubject | None:
    """The per-user cap a request spends, from its path: the ``userId`` of a
    create (``me``, the token's own user, counts as itself), or the meeting
    of an update, which the limiter resolves to the host it learned when
    the meeting was created (an unknown host is counted per meeting)."""
    name = action["name"]
    kind = _KINDS.get(name, ...)
    if kind is ...:
        op = action["operation"]
        method, template = op["method"].upper(), op["path"]
        m = _CREATE.search(template) if method == "POST" else _UPDATE.search(template) if method == "PATCH" else None
        kind = _KINDS[name] = (method, m.group(1)[:-1]) if m else None
    if kind is None:
        return None
    parts = path.rstrip("/").split("/")
    if kind[0] == "POST":
        return CapSubject("user:" + unquote(parts[-2]).strip().lower(), kind[1])
    return CapSubject(f"{kind[1]}:{unquote(parts[-1])}", None)


# --- what Zoom's answers say -----------------------------------------------------------

def next_midnight(now: float) -> float:
    return (math.floor(now / 86400) + 1) * 86400.0


def _label(value: str | None) -> str | None:
    if not value:
        return None
    label = value.strip().upper().replace(" ", "-").replace("_", "-")
    return label if label in PLANS["pro"] else None


def _int(value: str | None) -> int | None:
    try:
        n = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return n if n >= 0 else None


def _reset_at(headers, now: float) -> float | None:
    """``X-RateLimit-Reset`` as an epoch time: epoch seconds, seconds from now, or a datetime."""
    value = (headers.get("x-ratelimit-reset") or "").strip()
    if not value:
        return None
    try:
        n = float(value)
        return n if n > 1e9 else now + n
    except ValueError:
        pass
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (when if when.tzinfo else when.replace(tzinfo=timezone.utc)).timestamp()


def pool_of(daily: dict[str, tuple[str, int]], label: str) -> str:
    """The daily counter a label spends ("pool:<name>"); a label the plan sets no daily cap for
    still gets one when Zoom says it has one."""
    return "pool:" + (daily[label][0] if label in daily else label)


def observe(plan: str, label: str | None, subject: CapSubject | None, status: int, headers, body) -> list[tuple]:
    """What one answer teaches the limiter, as operations for :meth:`RateLimiter.apply`:

    - ``("block", label, seconds)``: a per-second 429; nobody sends on that label until then
    - ``("close", key, epoch)``: a daily 429; the cap (a pool, or a user) is closed until then
    - ``("used", key, used, cap)``: Zoom's count of the day for a daily limit, and its size
    - ``("qps", label, limit)``: Zoom's figure for a per-second limit
    - ``("host", "meeting:<id>", "user:<who>")``: who hosts a meeting just created
    """
    ops: list[tuple] = []
    if label not in PLANS["pro"]:
        label = "MEDIUM"
    category = _label(headers.get("x-ratelimit-category")) or label
    kind = (headers.get("x-ratelimit-type") or "").strip().lower()
    limit, remaining = _int(headers.get("x-ratelimit-limit")), _int(headers.get("x-ratelimit-remaining"))
    daily = daily_limits(plan)
    now = time.time()
    if status == 429:
        _, message = zoom_code(body)
        rl = classify_429(headers, message)
        if rl.daily:
            reset = rl.reset.timestamp() if rl.reset is not None else _reset_at(headers, now) or next_midnight(now)
            per_user = subject is not None and ("user" in (message or "").lower() or category not in daily)
            key = subject.key if per_user else pool_of(daily, category)
            ops.append(("close", key, reset))
            if limit and not per_user:
                ops.append(("used", key, limit, limit))
        else:
            wait = rl.wait
            if wait is None:
                reset = _reset_at(headers, now)
                wait = max(0.0, reset - now) if reset is not None else plan_limits(plan)[category][1]
            ops.append(("block", category, min(wait, 3600.0)))
            if limit and "qps" in kind:
                ops.append(("qps", category, limit))
    elif limit:
        if "daily" in kind and remaining is not None:
            ops.append(("used", pool_of(daily, category), max(0, limit - remaining), limit))
        elif "qps" in kind:
            ops.append(("qps", category, limit))
    if (200 <= status < 300 and subject is not None and subject.creates and isinstance(body, dict)
            and isinstance(body.get("id"), (int, str)) and not isinstance(body.get("id"), bool)):
        ops.append(("host", f"{subject.creates}:{body['id']}", subject.key))
    return ops


# --- the in-process limiter -------------------------------------------------------------

class RateLimiter:
    """Sliding windows per rate-limit label, daily counts, and what Zoom said, in one process.

    ``share`` paces to that fraction of each per-second limit (a process
    that knows it is one of N on the account, while their shared state is
    out of reach); ``margin`` widens each window by that many seconds, so
    that requests that reach Zoom a little late or out of order still fit;
    ``even`` spaces a per-second limit's slots evenly instead of allowing
    a burst at the start of each window (see :mod:`.shared_limits`).
    """

    def for_call(self, connection: str | None, user_id: str | None) -> "RateLimiter":
        """In process, one limiter paces every call of the Toolkit, whichever connection it is made for;
        on a shared store each connection's account has its own (``RedisRateLimiter.for_call``)."""
        return self

    def __init__(self, plan: str = DEFAULT_PLAN, clock=time.monotonic, *, share: float = 1.0,
                 margin: float = 0.0, even: bool = False, wall=time.time) -> None:
        self.plan = plan
        self.limits = plan_limits(plan)
        self.daily = daily_limits(plan)
        self.share, self.margin, self.even = share, margin, even
        self._clock, self._wall = clock, wall
        self._lock = threading.Lock()
        self._windows: dict[str, list[float]] = {label: [] for label in self.limits}
        self._blocked: dict[str, float] = {}          # label -> clock time a 429 told us to wait until
        self._qps: dict[str, int] = {}                # label -> Zoom's figure
        self._caps: dict[str, int] = {}               # daily key -> Zoom's figure
        self._closed: dict[str, float] = {}           # daily key -> epoch a daily 429 said it reopens
        self._day = -1
        self._used: dict[str, int] = {}               # daily key -> requests today
        self.spent: dict[str, int] = {}               # daily key -> requests this limiter let through
        self._hosts: OrderedDict[str, str] = OrderedDict()

    def _daily_keys(self, label: str, subject: CapSubject | None) -> list[tuple[str, int | None]]:
        key = pool_of(self.daily, label)    # counted even without a known cap: Zoom may state one
        keys: list[tuple[str, int | None]] = [(key, self._caps.get(key, self.daily[label][1] if label in
                                                                     self.daily else None))]
        if subject is not None:
            key = self._hosts.get(subject.key, subject.key)
            keys.append((key, self._caps.get(key, USER_CAP)))
        return keys

    def reserve(self, label: str | None, subject: CapSubject | None = None, *, max_wait: float = math.inf) -> float:
        """Take a slot for one request; return the seconds to wait before sending. Raises
        :class:`CapReached` for a daily cap used up, :class:`BeyondDeadline` when the slot
        would be more than ``max_wait`` away (neither takes anything)."""
        if label not in self.limits:
            label = "MEDIUM"
        limit, window = self.limits[label]
        limit = max(1, int(self._qps.get(label, limit) * self.share))
        span = window + self.margin
        with self._lock:
            wall = self._wall()
            day = int(wall // 86400)
            if day != self._day:   # a new UTC day: yesterday's counts and closed caps are over
                self._day, self._used, self.spent = day, {}, {}
                self._closed = {k: v for k, v in self._closed.items() if v > wall}
            keys = self._daily_keys(label, subject)
            for key, cap in keys:
                closed = self._closed.get(key, 0.0)
                if closed > wall:
                    raise CapReached(key, cap, closed, True)
                if cap is not None and self._used.get(key, 0) >= cap:
                    raise CapReached(key, cap, next_midnight(wall), False)
            now = self._clock()
            q = self._windows[label]
            del q[:bisect.bisect_right(q, now - span)]
            at = now if len(q) < limit else max(now, q[-limit] + span)
            if self.even and window <= 1.0 and q:
                at = max(at, q[-1] + span / limit)
            at = max(at, self._blocked.get(label, 0.0))
            if at - now > max_wait:
                raise BeyondDeadline(label, at - now)
            bisect.insort(q, at)
            for key, _ in keys:
                self._used[key] = self._used.get(key, 0) + 1
                self.spent[key] = self.spent.get(key, 0) + 1
            return at - now

    def learn(self, label: str | None, subject: CapSubject | None, status: int, headers, body) -> None:
        """Correct the state from one of Zoom's answers (see :func:`observe`)."""
        ops = observe(self.plan, label, subject, status, headers, body)
        if ops:
            self.apply(ops)

    def apply(self, ops: list[tuple]) -> None:
        with self._lock:
            now, wall = self._clock(), self._wall()
            for op, key, *rest in ops:
                if op == "block":
                    self._blocked[key] = max(self._blocked.get(key, 0.0), now + rest[0])
                elif op == "close":
                    self._closed[key] = max(self._closed.get(key, 0.0), rest[0])
                elif op == "used":
                    if int(wall // 86400) != self._day:
                        self._day, self._used = int(wall // 86400), {}
                    self._used[key] = max(self._used.get(key, 0), rest[0])
                    self._caps[key] = rest[1]
                elif op == "qps":
                    self._qps[key] = rest[0]
                elif op == "host":
                    self._hosts[key] = rest[0]
                    self._hosts.move_to_end(key)
                    while len(self._hosts) > _HOSTS_KEPT:
                        self._hosts.popitem(last=False)

    def slots(self) -> dict[str, list[float]]:
        """Each label's slots in its current window (this limiter's clock)."""
        with self._lock:
            return {label: list(q) for label, q in self._windows.items()}

    def seed(self, used: dict[str, int]) -> None:
        """Start today's counts from ``used`` (what a shared limiter last saw)."""
        with self._lock:
            self._day = int(self._wall() // 86400)
            for key, n in used.items():
                self._used[key] = max(self._used.get(key, 0), n)

    def __repr__(self) -> str:
        return f"RateLimiter(plan={self.plan!r})"


def toolkit_limiter(account_plan, base_url: str, store, provider, connection: str | None, user_id: str | None,
                    fallback: str | None):
    """A Toolkit's limiter: none for ``account_plan=None``; ``"auto"`` is the default plan, or none for a
    loopback server (Zoom's limits do not apply to the sandbox or tests); on a Redis store
    (``store``, else ``ZOOM_ACTIONS_STORE``) the account's limits shared by every process there
    (:mod:`.shared_limits`, whose ``fallback`` says what happens while Redis is away). A bad
    ``fallback`` is refused, naming it, even where no shared limiter needs it."""
    if fallback is not None:
        from .shared_limits import fallback_mode
        fallback = fallback_mode(fallback)
    if account_plan == "auto":
        from urllib.parse import urlsplit

        from .gateways import is_loopback
        account_plan = None if is_loopback(urlsplit(base_url).hostname) else DEFAULT_PLAN
    if not account_plan:
        return None
    url = str(store or os.environ.get("ZOOM_ACTIONS_STORE", ""))
    if url.startswith("redis"):
        from .shared_limits import shared_limiter
        return shared_limiter(url, account_plan, provider, connection, user_id, on_unavailable=fallback)
    return RateLimiter(account_plan)
