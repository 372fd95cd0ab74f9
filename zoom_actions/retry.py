"""When to resend a request, and how long to wait first.

- A 429 under a per-second limit waits (``Retry-After`` seconds when Zoom
  gives them, else exponential backoff with full jitter) and resends, up to
  ``max_retries`` times and never longer than ``max_wait`` in one pause. Any
  method may be resent after a 429: Zoom rejected the request unprocessed.
- A 429 under a daily cap (``X-RateLimit-Type: Daily-limit``, a
  ``Retry-After`` datetime, or Zoom's "daily" message) returns at once with
  the reset time.
- Connection failures and 502/503/504 are resent for GET, PUT, DELETE (and
  HEAD/OPTIONS). POST and PATCH are resent only when the request provably
  never left (the connection could not be opened): no duplicate meetings.
"""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass
from datetime import datetime, timezone


IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRY_STATUSES = frozenset({502, 503, 504})


@functools.cache
def _transport_errors() -> tuple[tuple, tuple, type]:
    """(not sent, permanent, any transport error). httpx is imported here, on
    the first failure, not when the package is imported: building tool
    definitions never needs it."""
    from .transport import http
    httpx = http()

    # Raised before a single byte of the request was written.
    not_sent = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
    # Failures that a resend cannot fix.
    permanent = (httpx.LocalProtocolError, httpx.UnsupportedProtocol, httpx.InvalidURL)
    return not_sent, permanent, httpx.TransportError


def not_sent(exc: BaseException) -> bool:
    """True when the request certainly never reached the server."""
    return isinstance(exc, _transport_errors()[0])


def is_timeout(exc: BaseException) -> bool:
    from .transport import http
    return isinstance(exc, http().TimeoutException)


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 3          # resends after the first attempt
    max_wait: float = 30.0        # longest single pause (s); a longer Retry-After returns at once
    backoff_base: float = 0.5     # first backoff ceiling (s), doubled per attempt
    backoff_max: float = 8.0

    def backoff(self, attempt: int) -> float:
        """Full-jitter exponential backoff for retry number ``attempt`` (1-based)."""
        ceiling = min(self.backoff_max, self.backoff_base * (2 ** (attempt - 1)))
        return random.uniform(ceiling / 2, ceiling)


def may_resend_after_error(method: str, exc: BaseException) -> bool:
    not_sent_errors, permanent, transport = _transport_errors()
    if isinstance(exc, permanent):
        return False
    if isinstance(exc, not_sent_errors):
        return True
    return method in IDEMPOTENT and isinstance(exc, transport)


def may_resend_after_status(method: str, status: int) -> bool:
    return status in RETRY_STATUSES and method in IDEMPOTENT


@dataclass
class RateLimit:
    daily: bool
    wait: float | None          # seconds to wait (per-second limits)
    reset: datetime | None      # when a daily cap resets
    category: str | None


def _parse_retry_after(value: str | None) -> tuple[float | None, datetime | None]:
    """``Retry-After`` as seconds, or as a datetime (ISO-8601 or HTTP-date)."""
    if not value:
        return None, None
    value = value.strip()
    try:
        secs = float(value)
        if secs >= 0 and secs == secs and secs != float("inf"):
            return secs, None
        return None, None
    except ValueError:
        pass
    when = None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            from email.utils import parsedate_to_datetime   # lazily: 10 ms of imports, for an HTTP-date
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None, None
    if when is not None and when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return None, when


def classify_429(headers, message: str | None) -> RateLimit:
    kind = (headers.get("x-ratelimit-type") or "").strip().lower()
    category = headers.get("x-ratelimit-category") or None
    secs, when = _parse_retry_after(headers.get("retry-after"))
    text = (message or "").lower()
    if kind:
        daily = "daily" in kind
    elif when is not None:
        daily = True
    else:
        daily = "daily" in text or "per day" in text
    if daily:
        if when is None and secs is not None:
            try:
                when = datetime.fromtimestamp(datetime.now(timezone.utc).timestamp() + secs, timezone.utc)
            except (OverflowError, OSError, ValueError):   # Retry-After: 1e20 is past any calendar
                when = None
        return RateLimit(True, None, when, category)
    if secs is None and when is not None:
        try:
            secs = max(0.0, (when - datetime.now(timezone.utc)).total_seconds())
        except (OverflowError, TypeError):
            secs = None
    return RateLimit(False, secs, None, category)
