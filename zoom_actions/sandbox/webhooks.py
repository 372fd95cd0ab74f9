"""The sandbox's webhooks: Zoom's events, signed and sent to the endpoints
subscribed to it, as Zoom's Marketplace sends them.

    hooks = sandbox.app.webhooks
    sub = hooks.subscribe("http://127.0.0.1:8000/zoom/events", "secret-token", events=["meeting.*"])
    hooks.status(sub)        # {"state": "active", "counts": {"sent": 3, "retried": 0, ...}, ...}
    hooks.speed = 12_000     # Zoom's 5/20/60-minute retry schedule in well under a second

What Zoom does, the sandbox does:

- **Validation first.** ``subscribe`` sends ``endpoint.url_validation``
  (signed, with a random ``plainToken``) and checks the answer's
  ``encryptedToken`` = hex HMAC-SHA256(secret token, plainToken). A
  subscription whose endpoint fails is not active (``status()`` says why)
  and is sent nothing. Zoom repeats the validation every 72 hours; so does
  the sandbox (``revalidate_every``, on the sped-up clock).
- **Zoom's request.** The body is ``{"event", "event_ts" (ms), "payload"}``
  (``recording.completed`` adds ``download_token``) with ``x-zm-signature:
  v0=<hex HMAC-SHA256(secret, "v0:{ts}:{body}")>``, ``x-zm-request-timestamp``
  (seconds, taken at each attempt), ``content-type: application/json`` and
  ``user-agent: Zoom Marketplace/1.0a``. No redirect is followed.
- **Zoom's retries.** A non-2xx answer, a connection error or no answer
  within 3 seconds is retried 5 minutes after the first attempt, 20 minutes
  after that retry and 60 minutes after the second (Zoom's published
  schedule); after the third retry fails the event is dropped and counted.
  Each retry carries the same body, so a receiver can drop it as a duplicate.
- **Order.** Each subscription has its own queue and worker thread: its
  events go out one at a time in the order they happened (an event waiting
  for a retry holds back the later ones), and a slow endpoint delays no
  other subscription.

The emitter is fed only after a change has committed (``Sandbox.change``),
never from inside the API request's transaction, and every body also goes
to the sandbox's event WebSocket (``publish``), so both see the same events.
Endpoints must be on loopback unless ``loopback_only`` is turned off: the
sandbox is offline, and its control routes must not turn it into a way to
make requests elsewhere. The secret token is never logged or shown.
"""

from __future__ import annotations

import fnmatch
import hmac
import json
import math
import secrets
import threading
import time
from collections import Counter, deque
from typing import Callable, Iterable
from urllib.parse import urlsplit

from ..events.receiver import encrypted_token, signature
from ..gateways import is_loopback

ZOOM_RETRY_DELAYS = (300.0, 1200.0, 3600.0)   # seconds: each after the attempt before it
DELIVERY_TIMEOUT = 3.0                         # Zoom waits 3 seconds for the 2xx
REVALIDATE_EVERY = 72 * 3600.0                 # Zoom validates the endpoint again every 72 hours
USER_AGENT = "Zoom Marketplace/1.0a"
MAX_ANSWER = 64 * 1024                         # what is read of an endpoint's answer
COUNTS = ("sent", "retried", "failed", "dropped", "attempts", "queued", "discarded", "validations")


class _Subscription:
    """One endpoint: its queue, its state, its counters. Guarded by the emitter's lock."""

    def __init__(self, sid: str, url: str, secret: str, patterns: tuple[str, ...] | None) -> None:
        self.id, self.url, self.patterns = sid, url, patterns
        self._secret = secret
        self.state = "validating"       # -> active | failed | closed
        self.reason: str | None = None
        self.counts: Counter = Counter()
        self.queue: deque[tuple[str, bytes]] = deque()
        self.busy = False               # validating or delivering (retry waits included)
        self.validated_at: float | None = None   # monotonic
        self.attempts: deque[dict] = deque(maxlen=2000)
        self.thread: threading.Thread | None = None

    def wants(self, event: str) -> bool:
        return self.patterns is None or any(fnmatch.fnmatchcase(event, p) for p in self.patterns)

    def __repr__(self) -> str:   # never the secret
        return f"<webhook subscription {self.id} {self.url} {self.state}>"


class WebhookEmitter:
    """Zoom's webhook deliveries for one sandbox.

    ``publish``: also called with every body (the sandbox's WebSocket hub).
    ``clock``: wall-clock seconds, for ``event_ts`` and the signed timestamp.
    ``speed``: how much faster than real time the retry schedule and the
    72-hour revalidation run (settable at any time). ``retry_delays``: the
    schedule, in unscaled seconds. ``timeout``: each attempt's limit.
    """

    def __init__(self, publish: Callable[[dict], object] | None = None, *, clock: Callable[[], float] = time.time,
                 speed: float = 1.0, retry_delays: Iterable[float] = ZOOM_RETRY_DELAYS,
                 timeout: float = DELIVERY_TIMEOUT, revalidate_every: float | None = REVALIDATE_EVERY,
                 loopback_only: bool = True) -> None:
        self.publish = publish
        self.clock = clock
        self.speed = speed
        self.retry_delays = tuple(float(d) for d in retry_delays)
        if any(d < 0 or not math.isfinite(d) for d in self.retry_delays):
            raise ValueError("retry_delays must be finite, non-negative seconds")
        self.timeout = float(timeout)
        self.revalidate_every = revalidate_every
        self.loopback_only = loopback_only
        self._cond = threading.Condition(threading.RLock())
        self._subs: dict[str, _Subscription] = {}
        self._last_ts = 0
        self._closed = False
        self.emitted: deque[dict] = deque(maxlen=1000)   # the newest bodies, for tests and `status`

    @property
    def speed(self) -> float:
        return self._speed

    @speed.setter
    def speed(self, value: float) -> None:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
            raise ValueError(f"speed must be a positive number (1 = real time), not {value!r}")
        self._speed = float(value)

    # --- subscriptions -------------------------------------------------------------------

    def subscribe(self, url: str, secret_token: str, events: Iterable[str] | str | None = None, *,
                  wait: bool = True) -> str:
        """Subscribe ``url`` (its events: globs such as ``"meeting.*"``; None: every event); its id.
        The endpoint is validated first; with ``wait`` this returns once that is done, and
        ``status(id)`` says whether it passed."""
        url = self._check_url(url)
        if not isinstance(secret_token, str) or not secret_token.strip():
            raise ValueError("secret_token must be the endpoint's secret token (a non-empty string)")
        patterns = _patterns(events)
        sub = _Subscription("wh_" + secrets.token_hex(8), url, secret_token, patterns)
        with self._cond:
            if self._closed:
                raise RuntimeError("this sandbox's webhook emitter is closed")
            self._subs[sub.id] = sub
            sub.busy = True
            sub.thread = threading.Thread(target=self._run, args=(sub,), name=f"zoom-sandbox-{sub.id}", daemon=True)
            sub.thread.start()
            if wait:
                self._cond.wait_for(lambda: sub.state != "validating", self.timeout + 5)
        return sub.id

    def unsubscribe(self, subscription: str) -> bool:
        """Stop delivering to a subscription (what it still had queued is discarded); whether it existed."""
        with self._cond:
            sub = self._subs.pop(subscription, None)
            if sub is None:
                return False
            self._retire(sub)
        self._join(sub)
        return True

    def reset(self) -> None:
        """Every subscription gone (a reset sandbox starts with none)."""
        with self._cond:
            subs = list(self._subs.values())
            self._subs.clear()
            for sub in subs:
                self._retire(sub)
            self.emitted.clear()
        for sub in subs:
            self._join(sub)

    def close(self) -> None:
        with self._cond:
            self._closed = True
        self.reset()

    def _retire(self, sub: _Subscription) -> None:
        sub.counts["discarded"] += len(sub.queue)
        sub.queue.clear()
        sub.state = "closed"
        self._cond.notify_all()

    def _join(self, sub: _Subscription) -> None:
        if sub.thread is not None and sub.thread is not threading.current_thread():
            sub.thread.join(self.timeout + 2)

    def _check_url(self, url: str) -> str:
        if not isinstance(url, str) or not url.strip():
            raise ValueError("url must be the endpoint's http(s) URL")
        try:
            parts = urlsplit(url.strip())
            host = parts.hostname
            parts.port   # a bad port raises here
        except ValueError as exc:
            raise ValueError(f"url is not a valid URL: {exc}") from None
        if parts.scheme not in ("http", "https") or not host:
            raise ValueError(f"url must be an http:// or https:// URL, not {url!r}")
        if parts.username is not None or parts.password is not None:
            raise ValueError("url must not carry credentials: the secret token signs every request")
        if self.loopback_only and not is_loopback(host):
            raise ValueError(f"the sandbox sends webhooks to loopback endpoints only (127.0.0.1, ::1, localhost), "
                             f"not {host!r}; set loopback_only=False on the emitter to allow others")
        return url.strip()

    # --- events -------------------------------------------------------------------------------

    def emit(self, event: str, payload: dict, **top) -> dict:
        """One event now: its body, queued for every subscription that wants it and published
        to the WebSocket hub. ``top``: fields beside ``payload`` (``download_token``)."""
        with self._cond:
            # strictly increasing, so two alike events never share Zoom's dedupe key (event, event_ts, payload)
            ts = max(int(self.clock() * 1000), self._last_ts + 1)
            self._last_ts = ts
            body = {"event": event, "event_ts": ts, "payload": payload, **top}
            raw = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
            self.emitted.append(body)
            for sub in self._subs.values():
                if sub.state in ("validating", "active") and sub.wants(event):
                    sub.queue.append((event, raw))
                    sub.counts["queued"] += 1
            self._cond.notify_all()
        if self.publish is not None:
            self.publish(body)
        return body

    def emit_all(self, emits: Iterable[tuple[str, dict, dict]]) -> list[dict]:
        return [self.emit(event, payload, **top) for event, payload, top in emits]

    # --- what happened ----------------------------------------------------------------------------

    def status(self, subscription: str | None = None):
        """One subscription's state (``validating``, ``active``, ``failed``, ``closed``), why when it
        failed, its patterns, what is pending and its counts; or a list of all of them."""
        with self._cond:
            if subscription is None:
                return [self._status(s) for s in self._subs.values()]
            return self._status(self._get(subscription))

    def stats(self, subscription: str | None = None) -> dict:
        """Counts: sent (delivered events), retried (retry attempts), failed (failed attempts),
        dropped (events given up after the last retry), attempts, queued, discarded, validations;
        per subscription id when none is named."""
        with self._cond:
            if subscription is None:
                return {s.id: _counts(s) for s in self._subs.values()}
            return _counts(self._get(subscription))

    def history(self, subscription: str) -> list[dict]:
        """Every delivery attempt, oldest first: event, attempt (0 = first), offset (seconds on the
        sped-up clock since the event's first attempt), status, error."""
        with self._cond:
            return [dict(a) for a in self._get(subscription).attempts]

    def wait(self, predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
        """Block until ``predicate()`` holds (checked whenever a subscription's state or counts change)."""
        with self._cond:
            return self._cond.wait_for(predicate, timeout)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until every subscription is validated and has nothing queued or in flight."""
        def idle() -> bool:
            return all(not s.busy and not s.queue for s in self._subs.values() if s.state != "closed")
        with self._cond:
            return self._cond.wait_for(idle, timeout)

    def _get(self, subscription: str) -> _Subscription:
        sub = self._subs.get(subscription)
        if sub is None:
            raise KeyError(f"no webhook subscription {subscription!r}")
        return sub

    def _status(self, sub: _Subscription) -> dict:
        return {"id": sub.id, "url": sub.url, "events": list(sub.patterns) if sub.patterns else None,
                "state": sub.state, "active": sub.state == "active", "reason": sub.reason,
                "pending": len(sub.queue), "counts": _counts(sub)}

    # --- the worker (one thread per subscription) ---------------------------------------------------

    def _run(self, sub: _Subscription) -> None:
        from ..transport import sync_client
        client = sync_client(self.timeout)
        try:
            if not self._validate(sub, client):
                return
            while True:
                with self._cond:
                    sub.busy = False
                    self._cond.notify_all()
                    while not sub.queue and sub.state == "active" and self._revalidation_left(sub) > 0:
                        left = self._revalidation_left(sub)
                        self._cond.wait(None if left == math.inf else left)
                    if sub.state != "active":
                        return
                    sub.busy = True
                    due = self._revalidation_left(sub) <= 0
                    item = sub.queue[0] if sub.queue else None
                if due and not self._validate(sub, client):
                    return
                if item is not None:
                    self._deliver(sub, client, *item)
                    with self._cond:
                        if sub.queue and sub.queue[0] is item:
                            sub.queue.popleft()
        finally:
            client.close()
            with self._cond:
                sub.busy = False
                self._cond.notify_all()

    def _revalidation_left(self, sub: _Subscription) -> float:
        if not self.revalidate_every or sub.validated_at is None:
            return math.inf
        return sub.validated_at + self.revalidate_every / self.speed - time.monotonic()

    def _validate(self, sub: _Subscription, client) -> bool:
        plain = secrets.token_urlsafe(16)
        with self._cond:
            ts = max(int(self.clock() * 1000), self._last_ts + 1)
            self._last_ts = ts
        raw = json.dumps({"event": "endpoint.url_validation", "payload": {"plainToken": plain}, "event_ts": ts},
                         separators=(",", ":")).encode()
        status, answer, error = self._post(sub, client, raw)
        reason = None
        if error is not None:
            reason = f"endpoint.url_validation could not be delivered: {error}"
        elif not 200 <= status < 300:
            reason = f"endpoint.url_validation was answered with HTTP {status}"
        else:
            try:
                doc = json.loads(answer)
            except (ValueError, RecursionError):
                doc = None
            expected = encrypted_token(sub._secret, plain)
            if not isinstance(doc, dict) or doc.get("plainToken") != plain:
                reason = "the answer to endpoint.url_validation is not JSON echoing the plainToken"
            elif not isinstance(doc.get("encryptedToken"), str) or \
                    not hmac.compare_digest(doc["encryptedToken"], expected):
                reason = ("the answer's encryptedToken is not HMAC-SHA256(secret token, plainToken): "
                          "the endpoint does not hold this subscription's secret token")
        with self._cond:
            sub.counts["validations"] += 1
            if sub.state != "closed":
                if reason is None:
                    sub.state, sub.reason, sub.validated_at = "active", None, time.monotonic()
                else:
                    sub.state, sub.reason = "failed", reason
                    sub.counts["discarded"] += len(sub.queue)
                    sub.queue.clear()
            self._cond.notify_all()
            return sub.state == "active"

    def _deliver(self, sub: _Subscription, client, event: str, raw: bytes) -> None:
        """One event, on Zoom's schedule: the first attempt, then a retry after each delay."""
        first = time.monotonic()
        at = first
        for attempt in range(len(self.retry_delays) + 1):
            if attempt:
                due = at + self.retry_delays[attempt - 1] / self.speed
                with self._cond:
                    while sub.state == "active" and (left := due - time.monotonic()) > 0:   # never early
                        self._cond.wait(left)
                    if sub.state != "active":
                        return
                    sub.counts["retried"] += 1
            at = time.monotonic()
            status, _, error = self._post(sub, client, raw)
            ok = error is None and 200 <= status < 300
            with self._cond:
                sub.counts["attempts"] += 1
                sub.attempts.append({"event": event, "attempt": attempt, "offset": (at - first) * self.speed,
                                     "status": status, "error": error})
                self._cond.notify_all()
                if ok:
                    sub.counts["sent"] += 1
                    return
                sub.counts["failed"] += 1
        with self._cond:
            sub.counts["dropped"] += 1
            self._cond.notify_all()

    def _post(self, sub: _Subscription, client, raw: bytes) -> tuple[int | None, bytes, str | None]:
        """(status, the answer's first bytes, None) or (None, b"", why it failed); within ``timeout``."""
        from ..transport import ResponseTooLarge, attempt_deadline, read_capped
        ts = str(int(self.clock()))
        headers = {"content-type": "application/json", "user-agent": USER_AGENT,
                   "x-zm-request-timestamp": ts, "x-zm-signature": signature(sub._secret, ts, raw),
                   "x-zm-trackingid": "v=2.0;clid=sandbox;rid=" + secrets.token_hex(12)}
        token = attempt_deadline.set(time.monotonic() + self.timeout)
        try:
            with client.stream("POST", sub.url, content=raw, headers=headers) as answer:
                try:
                    body = read_capped(answer, MAX_ANSWER)
                except ResponseTooLarge:
                    body = b""
                return answer.status_code, body, None
        except Exception as exc:  # noqa: BLE001 - any failure to deliver is a failed attempt, counted
            return None, b"", _why(exc, self.timeout)
        finally:
            attempt_deadline.reset(token)


def _why(exc: Exception, timeout: float) -> str:
    name = type(exc).__name__
    if "Timeout" in name or "Deadline" in name:
        return f"no answer within {timeout:g} s ({name})"
    return f"{name}: {exc}"[:300]


def _patterns(events) -> tuple[str, ...] | None:
    if events is None:
        return None
    if isinstance(events, str):
        events = [events]
    try:
        found = tuple(events)
    except TypeError:
        raise ValueError("events must be a list of event names or globs (such as \"meeting.*\"), or None") from None
    if not found or not all(isinstance(p, str) and p.strip() for p in found):
        raise ValueError("events must be a non-empty list of event names or globs (such as \"meeting.*\"), or None")
    return tuple(p.strip() for p in found)


def _counts(sub: _Subscription) -> dict:
    return {k: sub.counts[k] for k in COUNTS}
