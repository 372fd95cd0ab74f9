"""Zoom's limits shared by every process on one account, on Redis.

Zoom counts requests per account, whichever process sends them.
``RedisRateLimiter`` keeps what :class:`~zoom_actions.limiter.RateLimiter`
keeps in process on Redis instead, and decides each request atomically in
one round trip (one Lua script, on Redis's own clock so that hosts with
skewed clocks agree): the daily caps of the account's pool and of the
user a meeting create or update counts against (refused with
:class:`~zoom_actions.limiter.CapReached`), any block a 429 put on the
label, then the label's sliding window (a slot now, or the earliest free
one and the seconds to wait).

Requests from many processes reach Zoom a little late and unevenly (a
process that is descheduled, a burst that queues behind itself), and a
late request shares Zoom's window with the next window's first ones. So
each window is widened by ``margin`` (80 ms: up to 60 ms of lateness was
measured when eight processes on two cores start at once, ``make load``),
a per-second limit's slots are spaced evenly (window / limit apart) instead of handed out as one
burst at the start of each window (a single call still never waits, but
a burst is paced), and the wait is counted to the slot on this process's
clock (Redis's clock less their offset, measured on the fastest recent
round trips), so that an answer slow to come back does not make the
request late by as much.

What Zoom's answers say (:func:`~zoom_actions.limiter.observe`) is written
back in one more round trip, only when it is news to this process: a 429
blocks its label for every worker until its reset, a daily count from
``X-RateLimit-Remaining`` higher than ours replaces ours, a meeting just
created is remembered with its host.

The budget is the account's: :func:`limiter_account` keys it by the Zoom
account ID (a Server-to-Server credential's, a stored connection's, or the
account a user-OAuth connection records), so toolkits with different
credentials or connection names on one account share it; only where no
account is known does it fall back to the app, the connection or the token.

When Redis cannot be reached the limiter fails the way it was told
(``on_unavailable``: ``Toolkit(limiter_fallback=)``, else
``$ZOOM_ACTIONS_LIMITER_FALLBACK``):
``"local"`` (the default) paces in this process at its share of each
limit (the limit divided by the processes Redis last saw), after waiting
out one window (what the others sent in the last one is unknown), and
logs it;
``"refuse"`` raises ``LimiterUnavailable``, which the call turns into an
envelope that says so. Never silently unlimited. Redis is tried again
every ``retry_every`` seconds; when it answers, what this process spent
meanwhile is added to the shared daily counts and its slots of the last
window to the shared windows, and for one more window it keeps to its
share (the others may still be pacing on their own).

The scripts derive an account's keys from the prefix they are given; all
of them share its hash tag (``{...}``), so they live in one slot of a
Redis Cluster (Redis recommends declaring every key; this keeps the
script's arguments short).
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import socket
import threading
import time
from collections import OrderedDict, deque

from .limiter import (USER_CAP, BeyondDeadline, CapReached, CapSubject, LimiterUnavailable, RateLimiter,
                      daily_limits, observe, plan_limits, pool_of)

log = logging.getLogger("zoom_actions")

FALLBACK_ENV = "ZOOM_ACTIONS_LIMITER_FALLBACK"
MARGIN = 0.08        # s added to each window: requests from several processes reach Zoom unevenly late
PEERS_SEEN_FOR = 10  # s: a process that reserved within this long counts as one of the account's

_RESERVE = """
local p, wkey, label = KEYS[1], KEYS[2], ARGV[1]
local span, limit = tonumber(ARGV[2]) + tonumber(ARGV[4]), tonumber(ARGV[3])
local pool, pool_cap, subject = ARGV[5], tonumber(ARGV[6]), ARGV[7]
local max_wait = tonumber(ARGV[9])
local t = redis.call('TIME')
local now_s = tonumber(t[1])
local now = now_s * 1000 + math.floor(tonumber(t[2]) / 1000)
local day = math.floor(now_s / 86400)
local midnight = (day + 1) * 86400
local learned = redis.call('HMGET', p .. 'learned', 'qps:' .. label, 'cap:' .. pool)
if learned[1] then limit = tonumber(learned[1]) end
if learned[2] then pool_cap = tonumber(learned[2]) end
if subject ~= '' and string.sub(subject, 1, 5) ~= 'user:' then
  local host = redis.call('HGET', p .. 'hosts', subject)
  if host then subject = host end
end
local function closed(key, cap)
  local ttl = redis.call('PTTL', p .. 'closed:' .. key)
  if ttl > 0 then return {-1, key, math.floor((now + ttl + 999) / 1000), cap, 1} end
  if cap > 0 and tonumber(redis.call('GET', p .. 'day:' .. key .. ':' .. day) or '0') >= cap then
    return {-1, key, midnight, cap, 0}
  end
  return nil
end
local refused = closed(pool, pool_cap)
if refused then return refused end
if subject ~= '' then
  refused = closed(subject, tonumber(ARGV[8]))
  if refused then return refused end
end
if limit < 1 then limit = 1 end
redis.call('ZREMRANGEBYSCORE', wkey, '-inf', now - span)
local count = redis.call('ZCARD', wkey)
local at = now
if count >= limit then
  local kth = redis.call('ZRANGE', wkey, count - limit, count - limit, 'WITHSCORES')
  at = math.max(now, tonumber(kth[2]) + span)
end
if tonumber(ARGV[2]) <= 1000 and count > 0 then   -- per-second limits: slots evenly spaced, never a burst
  local last = redis.call('ZRANGE', wkey, -1, -1, 'WITHSCORES')
  at = math.max(at, math.floor(tonumber(last[2]) + span / limit + 0.5))
end
local blocked = redis.call('PTTL', p .. 'block:' .. label)
if blocked > 0 then at = math.max(at, now + blocked) end
at = math.max(at, now + tonumber(ARGV[13]))
if max_wait >= 0 and at - now > max_wait then return {-2, at - now} end
local seq = redis.call('INCR', wkey .. ':seq')
redis.call('ZADD', wkey, at, at .. ':' .. seq)
redis.call('PEXPIRE', wkey, span + (at - now) + 1000)
redis.call('PEXPIRE', wkey .. ':seq', span + (at - now) + 1000)
local used = redis.call('INCR', p .. 'day:' .. pool .. ':' .. day)
redis.call('EXPIREAT', p .. 'day:' .. pool .. ':' .. day, midnight + 3600)
local user_used = -1
if subject ~= '' then
  user_used = redis.call('INCR', p .. 'day:' .. subject .. ':' .. day)
  redis.call('EXPIREAT', p .. 'day:' .. subject .. ':' .. day, midnight + 3600)
end
local peers = -1
if ARGV[11] == '1' then
  redis.call('ZADD', p .. 'peers', now, ARGV[10])
  redis.call('ZREMRANGEBYSCORE', p .. 'peers', '-inf', now - tonumber(ARGV[12]))
  redis.call('PEXPIRE', p .. 'peers', tonumber(ARGV[12]) * 2)
  peers = redis.call('ZCARD', p .. 'peers')
end
return {at - now, used, user_used, peers, subject, now}
"""

_LEARN = """
local p = KEYS[1]
local now_s = tonumber(redis.call('TIME')[1])
local day = math.floor(now_s / 86400)
local midnight = (day + 1) * 86400
for i = 1, #ARGV, 4 do
  local op, a, b, c = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  if op == 'block' then
    local k = p .. 'block:' .. a
    if redis.call('PTTL', k) < tonumber(b) then redis.call('SET', k, '1', 'PX', b) end
  elseif op == 'close' then
    if tonumber(b) > now_s then redis.call('SET', p .. 'closed:' .. a, '1', 'EXAT', b) end
  elseif op == 'used' then
    local k = p .. 'day:' .. a .. ':' .. day
    if tonumber(b) > tonumber(redis.call('GET', k) or '0') then redis.call('SET', k, b, 'EXAT', midnight + 3600) end
    if c ~= '' then redis.call('HSET', p .. 'learned', 'cap:' .. a, c) end
  elseif op == 'add' then
    local k = p .. 'day:' .. a .. ':' .. day
    redis.call('INCRBY', k, b)
    redis.call('EXPIREAT', k, midnight + 3600)
  elseif op == 'qps' then
    redis.call('HSET', p .. 'learned', 'qps:' .. a, b)
  elseif op == 'host' then
    redis.call('HSET', p .. 'hosts', a, b)
  elseif op == 'slot' then
    redis.call('ZADD', p .. a, b, b .. ':' .. c .. ':' .. i)
    redis.call('PEXPIRE', p .. a, 120000)
  end
end
redis.call('EXPIRE', p .. 'learned', 172800)
redis.call('EXPIRE', p .. 'hosts', 172800)
return 1
"""


class RedisRateLimiter:
    """Per-second windows, daily caps and what Zoom said, per account, shared through Redis."""

    def __init__(self, redis_url_or_client, plan: str, account: str, *, on_unavailable: str | None = None,
                 margin: float = MARGIN, retry_every: float = 0.5) -> None:
        on_unavailable = fallback_mode(on_unavailable)
        if isinstance(redis_url_or_client, str):
            import redis
            self._redis = redis.Redis.from_url(redis_url_or_client, socket_timeout=1, socket_connect_timeout=1)
        else:
            self._redis = redis_url_or_client
        self.plan = plan
        self.limits = plan_limits(plan)
        self.daily = daily_limits(plan)
        self.margin, self.retry_every = margin, retry_every
        self.account = hashlib.sha256(account.encode()).hexdigest()[:16]   # never the credential itself
        self.prefix = f"zoom-actions:rl:{{{self.account}}}:"
        self.on_unavailable = on_unavailable
        self._reserve = self._redis.register_script(_RESERVE)
        self._learn = self._redis.register_script(_LEARN)
        self._member = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self._lock = threading.Lock()
        self._peers, self._beat = 1, -math.inf
        self._seen: dict[str, tuple[int, int]] = {}    # daily key -> (day, the count Redis last returned)
        self._told: dict[tuple, object] = {}           # what this process already wrote back
        self._local: RateLimiter | None = None         # pacing while Redis is out of reach
        self._down_since: float | None = None
        self._next_try = 0.0
        self._recovered_at: float | None = None
        self._last_slot: dict[str, float] = {}         # label -> the latest slot Redis gave this process
        self._clock: deque = deque(maxlen=32)          # (round trip, Redis's clock - ours): the fastest is truest
        self.degraded = False                          # True while deciding without Redis

    def key(self, label: str) -> str:
        return f"{self.prefix}{self.plan}:{label}"

    def for_call(self, connection: str | None, user_id: str | None) -> "RedisRateLimiter":
        """The limiter of a call made for another stored connection (``execute(connection=, user_id=)``):
        that connection's account's budget (:func:`limiter_account`), on the same Redis; kept for the
        next call (the most recent 1,024 connections)."""
        url = getattr(self, "url", None)
        if url is None:
            return self
        cache = self.__dict__.setdefault("_per_call", OrderedDict())
        key = (connection, user_id)
        with self._lock:
            found = cache.get(key)
            if found is not None:
                cache.move_to_end(key)
                return found
        found = RedisRateLimiter(self._redis, self.plan, limiter_account(url, None, connection, user_id),
                                 on_unavailable=self.on_unavailable, margin=self.margin, retry_every=self.retry_every)
        with self._lock:
            cache[key] = found
            while len(cache) > 1024:
                cache.popitem(last=False)
        return found

    # --- reserving --------------------------------------------------------------------

    def reserve(self, label: str | None, subject: CapSubject | None = None, *, max_wait: float = math.inf) -> float:
        """As :meth:`RateLimiter.reserve`, decided on Redis in one round trip."""
        if label not in self.limits:
            label = "MEDIUM"
        now = time.monotonic()
        if self._down_since is not None and now < self._next_try:
            return self._unavailable(label, subject, max_wait, None)
        limit, window = self.limits[label]
        not_before = self._after_outage(label, now)
        pool = pool_of(self.daily, label)
        beat = now - self._beat >= 1.0
        args = [label, int(window * 1000), limit, int(self.margin * 1000), pool,
                self.daily[label][1] if label in self.daily else 0, subject.key if subject else "", USER_CAP,
                -1 if max_wait == math.inf else max(0, int(max_wait * 1000)), self._member, int(beat),
                PEERS_SEEN_FOR * 1000, int(not_before * 1000)]
        try:
            res = self._reserve(keys=[self.prefix, self.key(label)], args=args)
        except Exception as exc:  # noqa: BLE001 - redis errors, sockets, timeouts
            return self._unavailable(label, subject, max_wait, exc)
        done = time.monotonic()
        if self._down_since is not None:
            self._recover(now)
        if int(res[0]) == -1:
            key = res[1].decode() if isinstance(res[1], bytes) else str(res[1])
            raise CapReached(key, int(res[3]) or None, float(res[2]), bool(int(res[4])))
        if int(res[0]) == -2:
            raise BeyondDeadline(label, int(res[1]) / 1000)
        wait_ms, used, user_used, peers, who, redis_now = (int(res[0]), int(res[1]), int(res[2]), int(res[3]),
                                                           res[4], int(res[5]))
        day = int(time.time() // 86400)
        if len(self._seen) > 10_000:      # users come and go: keep the pools
            self._seen = {k: v for k, v in self._seen.items() if k.startswith("pool:")}
        self._seen[pool] = (day, used)
        if user_used >= 0:
            self._seen[who.decode() if isinstance(who, bytes) else str(who)] = (day, user_used)
        if beat:
            self._beat, self._peers = now, max(1, peers)
        # the slot on this process's clock: an answer that was slow to come back (a busy host) leaves less to wait
        self._clock.append((done - now, redis_now / 1000 - (now + done) / 2))
        slot = (redis_now + wait_ms) / 1000 - min(self._clock)[1]
        self._last_slot[label] = max(self._last_slot.get(label, 0.0), slot)
        return min(max(0.0, slot - time.monotonic()), wait_ms / 1000)

    def _after_outage(self, label: str, now: float) -> float:
        """For one window after Redis is back, this process still keeps to its outage share (the others
        may not have noticed yet): the local slot, which the shared one may not precede."""
        local, since = self._local, self._recovered_at
        if local is None or since is None:
            return 0.0
        if now - since < self.limits[label][1] + self.margin:
            return local.reserve(label, None)
        if now - since > max(w for _, w in self.limits.values()) + self.margin:
            self._local = self._recovered_at = None
        return 0.0

    def _unavailable(self, label: str, subject: CapSubject | None, max_wait: float, exc: Exception | None) -> float:
        with self._lock:
            now = time.monotonic()
            if self._down_since is None:
                self._down_since, self.degraded = now, True
                log.warning("shared rate limiter: Redis unreachable (%s); %s", _why(exc),
                            "refusing calls until it is back" if self.on_unavailable == "refuse" else
                            f"pacing in this process at 1/{self._peers} of each limit until it is back")
            if exc is not None:
                self._next_try = now + self.retry_every
            if self.on_unavailable == "local" and (self._local is None or self._recovered_at is not None):
                self._local, self._recovered_at = self._fallback(), None
            local = self._local
        if self.on_unavailable == "refuse":
            raise LimiterUnavailable("the shared rate limiter's Redis is unreachable; nothing was sent "
                                     "(on_unavailable='refuse'); try again when it is back")
        return local.reserve(label, subject, max_wait=max_wait)

    def _fallback(self) -> RateLimiter:
        """In-process pacing at this process's share of the account's limits. It starts by waiting
        out one window after the latest shared slot it was given (what the others sent, or were given
        a slot for, is unknown: their slots come due as late as its own), and its daily counts start
        from the last shared ones plus every other process's share of what remained."""
        share, now = 1.0 / self._peers, time.monotonic()
        local = RateLimiter(self.plan, share=share, margin=self.margin, even=True)
        local.apply([("block", label, max(0.0, self._last_slot.get(label, 0.0) - now) + window + self.margin)
                     for label, (_, window) in self.limits.items()])
        day = int(time.time() // 86400)
        start = {}
        for key, (seen_day, used) in self._seen.items():
            if seen_day != day:
                continue
            cap = USER_CAP if not key.startswith("pool:") else next(
                (c for label, (name, c) in self.daily.items() if pool_of(self.daily, label) == key), None)
            start[key] = used if cap is None else int(cap - (cap - used) * share)
        local.seed(start)
        return local

    def _recover(self, now: float) -> None:
        """Redis answers again: add what this process spent meanwhile to the shared counts, and its
        slots of the last window to the shared windows."""
        with self._lock:
            if self._down_since is None:
                return
            down, self._down_since, self.degraded = now - self._down_since, None, False
            local = self._local
            if local is not None:
                self._recovered_at = now
        log.warning("shared rate limiter: Redis is back after %.1f s", down)
        if local is None:
            return
        ops: list[tuple] = [("add", key, n) for key, n in local.spent.items()]
        local.spent.clear()
        wall = time.time() - time.monotonic()
        for label, slots in local.slots().items():
            window = self.limits[label][1] + self.margin
            ops += [("slot", f"{self.plan}:{label}", int((t + wall) * 1000), self._member) for t in slots
                    if t > now - window]
        if ops:
            self._write(ops)

    # --- learning -----------------------------------------------------------------------

    def learn(self, label: str | None, subject: CapSubject | None, status: int, headers, body) -> None:
        """Write what Zoom's answer says to Redis, when it is news to this process."""
        ops = observe(self.plan, label, subject, status, headers, body)
        if not ops:
            return
        local = self._local
        if local is not None:
            local.apply(ops)
        if self._down_since is not None:   # kept in process: Redis is out of reach
            return
        news = [op for op in ops if self._news(op)]
        if news:
            self._write(news)

    def _news(self, op: tuple) -> bool:
        kind, key, *rest = op
        now = time.monotonic()
        if kind == "block":
            end = now + rest[0]
            if end <= self._told.get(("block", key), 0.0) + 0.05:
                return False
            self._told[("block", key)] = end
            return True
        if kind == "used":
            day, seen = self._seen.get(key, (-1, -1))
            if (day == int(time.time() // 86400) and rest[0] <= seen) and self._told.get(("cap", key)) == rest[1]:
                return False
            self._seen[key] = (int(time.time() // 86400), max(seen, rest[0]))
            self._told[("cap", key)] = rest[1]
            return True
        told = self._told.get((kind, key))
        if told == rest[0]:
            return False
        if len(self._told) > 10_000:
            self._told.clear()
        self._told[(kind, key)] = rest[0]
        return True

    def _write(self, ops: list[tuple]) -> None:
        args: list = []
        for kind, key, *rest in ops:
            if kind == "block":
                rest = [max(1, int(rest[0] * 1000))]
            elif kind == "close":
                rest = [int(math.ceil(rest[0]))]
            args += [kind, key, *rest, *([""] * (2 - len(rest)))]
        try:
            self._learn(keys=[self.prefix], args=args)
        except Exception as exc:  # noqa: BLE001 - Redis went away meanwhile: Zoom will say it again
            log.warning("shared rate limiter: could not record what Zoom said (%s)", _why(exc))
            self._told.clear()

    def __repr__(self) -> str:
        return f"RedisRateLimiter(plan={self.plan!r}, account={self.account!r}, on_unavailable={self.on_unavailable!r})"


def _why(exc: Exception | None) -> str:
    """An error's class, and for an error Redis answered (a full memory, a replica, a script) its first words."""
    name = type(exc).__name__
    text = str(exc).split("\n")[0][:80] if exc is not None and "ResponseError" in name else ""
    return f"{name}: {text}" if text else name


def fallback_mode(value: str | None) -> str:
    """What a shared limiter does without Redis: ``value`` (``Toolkit(limiter_fallback=)``), else
    ``$ZOOM_ACTIONS_LIMITER_FALLBACK``, else ``"local"``; anything else is refused, naming it."""
    if value is not None and not isinstance(value, str):
        raise ValueError(f"limiter_fallback must be 'local' or 'refuse' (got {type(value).__name__})")
    chosen = (value or "").strip().lower() or os.environ.get(FALLBACK_ENV, "").strip().lower() or "local"
    if chosen not in ("local", "refuse"):
        where = "limiter_fallback" if (value or "").strip() else f"${FALLBACK_ENV}"
        raise ValueError(f"{where} must be 'local' (pace in this process at its share) or 'refuse' (an "
                         f"envelope, nothing sent) while Redis is unreachable; got {chosen[:40]!r}")
    return chosen


def limiter_account(url: str, provider, connection: str | None, user_id: str | None) -> str:
    """Whose budget a toolkit spends: Zoom's limits belong to the account, so the key is the
    account wherever it is known, and two toolkits on one account share a budget whatever
    their credentials or connection names. The key is the Zoom account ID itself (so
    ``RedisRateLimiter(url, plan, account_id)`` is that account's budget); the fallbacks are
    prefixed so that they never meet an account's:

    - a stored connection (``connection=`` / ``user_id=``): its ``account_id`` (Server-to-Server),
      or for user OAuth the account Zoom said the user belongs to (``zoom_user["account_id"]``);
      a connection that records no account is its own budget (``connection:<user>/<name>``);
    - direct Server-to-Server credentials: ``account_id``;
    - direct user OAuth (no account known): the app's ``client_id``, shared by its users;
    - a bearer token or a gateway key: that token (hashed by the limiter, like every key).
    """
    if connection or user_id:
        from .connections import Connections
        from .store import open_store
        from .vault import Vault
        try:
            store = open_store(url)
            try:   # records only (a vault without a key): no secret is opened here
                conn = Connections(store, Vault("")).resolve(connection, user_id)
            finally:
                store.close()
        except Exception as exc:  # noqa: BLE001 - no such connection yet, or the store is unreachable
            who = f"{user_id or 'default'}/{connection or '*'}"
            log.warning("shared rate limiter: the account of connection %s is not known (%s); its calls are "
                        "counted on their own until it is", who, _why(exc) if not isinstance(exc, LookupError)
                        else "not connected")
            return f"connection:{who}"
        account = conn.account_id or (conn.zoom_user or {}).get("account_id")
        return str(account) if account else f"connection:{conn.user_id}/{conn.name}"
    if getattr(provider, "account_id", None):
        return str(provider.account_id)
    if getattr(provider, "client_id", None):
        return f"client:{provider.client_id}"
    token = provider.current() if provider is not None else None
    return token or "anonymous"


def shared_limiter(url: str, plan: str, provider, connection: str | None, user_id: str | None,
                   on_unavailable: str | None = None) -> RedisRateLimiter:
    """The limiter of the account behind these credentials (:func:`limiter_account`), on the Redis at ``url``."""
    limiter = RedisRateLimiter(url, plan, limiter_account(url, provider, connection, user_id),
                               on_unavailable=on_unavailable)
    limiter.url = url   # for the calls made for other connections (for_call)
    return limiter
