"""Zoom's per-second limits shared by every process on one account, on Redis.

Zoom counts requests per account and rate-limit label, whichever process
sends them. ``RedisRateLimiter`` keeps the sliding window of each (account,
label) in one Redis sorted set and decides each reservation atomically in
one round trip (a Lua script, on Redis's own clock so that hosts with
skewed clocks agree): a request that fits goes at once, one that does not
gets the earliest free slot and the seconds to wait, as the in-process
``RateLimiter`` does.

When Redis cannot be reached the limiter fails the way it was told:
``on_unavailable="local"`` (the default) paces with an in-process limiter
and logs it; ``"refuse"`` raises ``LimiterUnavailable``, which the call
turns into an envelope that says so. Never silently unlimited.
"""

from __future__ import annotations

import hashlib
import logging
import time

from .limiter import LimiterUnavailable, RateLimiter, plan_limits

log = logging.getLogger("zoom_actions")

_RESERVE = """
local key, window_ms, limit = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window_ms)
local count = redis.call('ZCARD', key)
local at = now
if count >= limit then
  local kth = redis.call('ZRANGE', key, count - limit, count - limit, 'WITHSCORES')
  at = math.max(now, tonumber(kth[2]) + window_ms)
end
local seq = redis.call('INCR', key .. ':seq')
redis.call('ZADD', key, at, at .. ':' .. seq)
redis.call('PEXPIRE', key, window_ms + (at - now) + 1000)
redis.call('PEXPIRE', key .. ':seq', window_ms + (at - now) + 1000)
return at - now
"""


class RedisRateLimiter:
    """Sliding-window pacing per (account, label), shared through Redis."""

    def __init__(self, redis_url_or_client, plan: str, account: str, *, on_unavailable: str = "local") -> None:
        if on_unavailable not in ("local", "refuse"):
            raise ValueError("on_unavailable must be 'local' or 'refuse'")
        if isinstance(redis_url_or_client, str):
            import redis
            self._redis = redis.Redis.from_url(redis_url_or_client, socket_timeout=2, socket_connect_timeout=2)
        else:
            self._redis = redis_url_or_client
        self.plan = plan
        self.limits = plan_limits(plan)
        self.account = hashlib.sha256(account.encode()).hexdigest()[:16]   # never the credential itself
        self.on_unavailable = on_unavailable
        self._script = self._redis.register_script(_RESERVE)
        self._local = RateLimiter(plan)
        self._degraded_since: float | None = None

    def key(self, label: str) -> str:
        return f"zoom-actions:rl:{self.account}:{self.plan}:{label}"

    def reserve(self, label: str | None) -> float:
        if label not in self.limits:
            label = "MEDIUM"
        limit, window = self.limits[label]
        try:
            wait_ms = self._script(keys=[self.key(label)], args=[int(window * 1000), limit])
        except Exception as exc:  # noqa: BLE001 - redis errors, sockets, timeouts
            return self._unavailable(label, exc)
        if self._degraded_since is not None:
            log.warning("shared rate limiter: Redis is back after %.1f s", time.monotonic() - self._degraded_since)
            self._degraded_since = None
        return max(0.0, float(wait_ms) / 1000.0)

    def _unavailable(self, label: str, exc: Exception) -> float:
        if self.on_unavailable == "refuse":
            raise LimiterUnavailable(f"the shared rate limiter's Redis is unreachable ({type(exc).__name__}); "
                                     "nothing was sent (on_unavailable='refuse')") from None
        if self._degraded_since is None:
            self._degraded_since = time.monotonic()
            log.warning("shared rate limiter: Redis unreachable (%s); pacing in this process only until it is back",
                        type(exc).__name__)
        return self._local.reserve(label)

    def __repr__(self) -> str:
        return f"RedisRateLimiter(plan={self.plan!r}, account={self.account!r}, on_unavailable={self.on_unavailable!r})"


def shared_limiter(url: str, plan: str, provider, connection: str | None, user_id: str | None,
                   on_unavailable: str = "local") -> RedisRateLimiter:
    """The limiter of the account behind these credentials, on the Redis at ``url``."""
    account = (getattr(provider, "account_id", None) or getattr(provider, "client_id", None)
               or (f"{user_id}/{connection}" if connection or user_id else None)
               or (provider.current() if provider is not None else None) or "anonymous")
    return RedisRateLimiter(url, plan, str(account), on_unavailable=on_unavailable)
