"""Where events go besides Python handlers: another service over HTTP
(``Forward``, signed with Standard Webhooks) or a file (``JsonlSink``).

A sink is a handler object: register it with its stable ``name``, which is
the handler key in the log (which events it has had), so a restarted process
resumes where it stopped instead of sending the whole log again::

    sink = Forward("https://hooks.example.com/zoom", os.environ["ZOOM_ACTIONS_FORWARD_SECRET"])
    events.on("meeting.*", name=sink.name)(sink)       # or attach(events, sink, "meeting.*")

Both are at least once, like every handler: a process killed after the
receiver answered and before the bus recorded the delivery sends the event
again. ``Forward`` sets ``webhook-id`` to ``event.id`` and a JSONL line
carries the envelope's ``id``, so the far side dedupes on it.

What ``Forward`` does when the receiver does not take an event:

* **transient** (a connection error or timeout, 408, 429, 5xx): retried
  within the call, with exponential backoff and jitter (``RetryPolicy``) or
  the ``Retry-After`` the receiver asks for, at most ``max_attempts`` times
  and never past ``max_elapsed`` seconds in all. If it still fails, the call
  raises :class:`ForwardError`: the event stays pending for this sink and the
  bus offers it again on its next run, before any later event (order is
  kept per handler). Between such runs the sink cools down (``cooldown``,
  doubling up to ``max_cooldown``), raising at once without a request, so
  a receiver that is down for an hour is not hammered; nothing is dropped.
* **permanent** (any other 4xx, and 3xx since redirects are not followed):
  the receiver understood and refused it, and resending the same bytes will
  not change its mind. The call is **not** retried: it logs the status and
  the event id, counts it in ``stats["refused"]``, appends the event to the
  ``dead_letter`` JSONL file when one is given, and returns, so the event is
  marked delivered to this sink and later events flow. Leaving it pending
  would block every later event behind it forever (order per handler).

Each attempt is signed afresh (a new ``webhook-timestamp``), so an event
retried minutes later still passes the receiver's 5-minute tolerance. The
secret is never logged, never in a repr or an exception; a URL's query string
and user info are left out of the sink's name and its log lines.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .envelope import Event

log = logging.getLogger("zoom_actions")

SECRET_ENV = "ZOOM_ACTIONS_FORWARD_SECRET"
TRANSIENT_STATUSES = frozenset({408, 429})


class ForwardError(Exception):
    """A transient failure that outlasted the retries of one call: the event stays pending."""


def attach(events, sink, *patterns: str):
    """Register ``sink`` on ``events`` for ``patterns`` (glob; none: every event) under its stable name."""
    events.on(*patterns, name=sink.name)(sink)
    return sink


# --- Standard Webhooks forwarding --------------------------------------------------------

def _signing_key(secret: str | bytes) -> bytes:
    """The HMAC key: ``whsec_`` + base64 (Standard Webhooks' form, as Svix and
    Composio issue them) is decoded; anything else is used as its UTF-8 bytes
    (a receiver verifies with ``Webhook(secret.encode())``)."""
    import base64
    import binascii
    if isinstance(secret, bytes):
        key = secret
    else:
        from ..redact import check_credential
        text = check_credential(secret, "the forward secret")
        if text.startswith("whsec_"):
            try:
                body = text[len("whsec_"):].rstrip("=")
                key = base64.b64decode(body + "=" * (-len(body) % 4), validate=True)   # padded or not
            except (binascii.Error, ValueError):
                raise ValueError("the forward secret starts with whsec_ but the rest is not base64") from None
        else:
            key = text.encode()
    if not key:
        raise ValueError("the forward secret is empty")
    return key


def _check_url(url: str) -> str:
    if not isinstance(url, str) or not url.strip():
        raise ValueError("the forward URL is empty")
    url = url.strip()
    if any(c.isspace() or ord(c) < 0x20 for c in url):
        raise ValueError("the forward URL contains whitespace or control characters")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        given = f"{parts.scheme}://" if parts.scheme else "a bare path"
        raise ValueError(f"the forward URL must be http(s)://, not {given}")
    if not parts.hostname:
        raise ValueError("the forward URL has no host")
    return url


def _shown(url: str) -> str:
    """The URL without user info or query (either may carry a credential), with a digest so two differ."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    base = f"{parts.scheme}://{host}" + (f":{parts.port}" if parts.port else "") + (parts.path or "/")
    if parts.query or parts.username or parts.password or parts.fragment:
        base += "#" + hashlib.sha256(url.encode()).hexdigest()[:12]
    return base


class Forward:
    """POST each event's envelope JSON to ``url``, signed with Standard Webhooks
    (``webhook-id``, ``webhook-timestamp``, ``webhook-signature: v1,<base64>``).

    ``timeout``: seconds per attempt (a hard bound, whatever the server
    trickles); ``max_attempts``: attempts per call; ``backoff``: the first
    backoff ceiling in seconds, doubled per retry up to ``backoff_max``;
    ``max_elapsed``: the most one call spends, waits included; ``cooldown``:
    the pause after a call that gave up, doubled per further one up to
    ``max_cooldown`` (calls meanwhile raise at once); ``dead_letter``:
    a JSONL file for refused events; ``transport``: an httpx2 transport
    (tests, proxies). Usable from sync code and, without blocking the loop,
    from ``Events.arun_pending``: called inside a running event loop it
    returns an awaitable, so from async code use ``arun_pending`` (or run
    ``run_pending`` in a thread, as the receiver and the WebSocket do)."""

    def __init__(self, url: str, secret: str | bytes | None = None, *, timeout: float = 10.0, max_attempts: int = 5,
                 backoff: float = 0.5, backoff_max: float = 8.0, max_elapsed: float = 60.0,
                 cooldown: float = 5.0, max_cooldown: float = 300.0, dead_letter: str | Path | None = None,
                 name: str | None = None, transport=None) -> None:
        from standardwebhooks.webhooks import Webhook

        from ..redact import remember
        from ..retry import RetryPolicy
        self.url = _check_url(url)
        if secret is None:
            secret = os.environ.get(SECRET_ENV, "")
            if not secret.strip():
                raise ValueError(f"forwarding to {_shown(self.url)} needs a Standard Webhooks secret: set "
                                 f"{SECRET_ENV} or pass one")
        if isinstance(secret, str):
            remember(secret.strip(), pinned=True)   # scrubbed from any log line or error text
        self._webhook = Webhook(_signing_key(secret))
        if max_attempts < 1 or timeout <= 0 or max_elapsed <= 0 or backoff < 0:
            raise ValueError("Forward needs max_attempts >= 1, timeout > 0, max_elapsed > 0 and backoff >= 0")
        self.timeout, self.max_attempts, self.max_elapsed = float(timeout), int(max_attempts), float(max_elapsed)
        self.policy = RetryPolicy(max_retries=self.max_attempts - 1, max_wait=self.max_elapsed,
                                  backoff_base=backoff, backoff_max=backoff_max)
        self.cooldown, self.max_cooldown = float(cooldown), float(max_cooldown)
        self.shown = _shown(self.url)
        self.name = name or f"forward:{self.shown}"
        self.dead_letter = JsonlSink(dead_letter) if dead_letter else None
        self.stats: dict[str, int] = {"delivered": 0, "refused": 0, "deferred": 0, "attempts": 0, "retries": 0}
        self._transport = transport
        self._client = None
        self._lock = threading.Lock()
        self._failed_runs = 0
        self._cool_until = 0.0

    def __repr__(self) -> str:
        return f"Forward({self.shown!r})"

    # the request ------------------------------------------------------------------------

    def _request(self, event: Event) -> tuple[bytes, dict[str, str]]:
        body = event.to_json()
        now = int(time.time())
        signature = self._webhook.sign(event.id, datetime.fromtimestamp(now, tz=timezone.utc), body)
        from .. import __version__
        return body.encode(), {"content-type": "application/json", "user-agent": f"zoom-actions/{__version__}",
                               "webhook-id": event.id, "webhook-timestamp": str(now), "webhook-signature": signature}

    # sans I/O: what an outcome means ---------------------------------------------------

    def _next(self, attempt: int, started: float, status: int | None, retry_after: str | None,
              error: BaseException | None) -> tuple[str, float]:
        """``("delivered" | "refused" | "retry" | "deferred", seconds to wait)`` after attempt number ``attempt``."""
        if error is None and status is not None:
            if 200 <= status < 300:
                return "delivered", 0.0
            if not (status >= 500 or status in TRANSIENT_STATUSES):
                return "refused", 0.0
        elif error is not None and _permanent_error(error):
            return "refused", 0.0
        if attempt >= self.max_attempts:
            return "deferred", 0.0
        from ..retry import _parse_retry_after
        secs, when = _parse_retry_after(retry_after)
        if secs is None and when is not None:
            secs = max(0.0, (when - datetime.now(timezone.utc)).total_seconds())
        wait = secs if secs is not None else self.policy.backoff(attempt)
        if time.monotonic() + wait - started > self.max_elapsed:
            return "deferred", 0.0   # Retry-After past this call's budget: the next run tries again
        return "retry", wait

    def _settle(self, event: Event, verdict: str, attempts: int, status: int | None,
                error: BaseException | None) -> None:
        if error is None:
            what = f"HTTP {status}"
        else:   # the error's own words say what failed (a proxy that refused, a name not found), secrets masked
            from ..redact import scrub
            text = scrub(str(error))
            what = f"{type(error).__name__}: {text[:300]}" if text else type(error).__name__
        if verdict == "delivered":
            self.stats["delivered"] += 1
            self._failed_runs, self._cool_until = 0, 0.0
            return
        if verdict == "refused":
            self.stats["refused"] += 1
            self._failed_runs, self._cool_until = 0, 0.0
            log.error("forward to %s refused event %s (%s) with %s: not retried, marked delivered%s", self.shown,
                      event.id, event.type, what, "; kept in the dead-letter file" if self.dead_letter else "")
            if self.dead_letter is not None:
                self.dead_letter(event)
            return
        self.stats["deferred"] += 1
        self._failed_runs += 1
        cooldown = min(self.max_cooldown, self.cooldown * 2 ** min(self._failed_runs - 1, 30))
        self._cool_until = time.monotonic() + cooldown
        raise ForwardError(f"forward to {self.shown} failed for event {event.id} ({what}) after {attempts} "
                           f"attempt(s); it stays pending, next try in {cooldown:.0f} s or later")

    def _check_cooldown(self, event: Event) -> None:
        left = self._cool_until - time.monotonic()
        if left > 0:
            raise ForwardError(f"forward to {self.shown} is cooling down after failures ({left:.0f} s left); "
                               f"event {event.id} stays pending")

    # the calls --------------------------------------------------------------------------

    def __call__(self, event: Event):
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return self.deliver(event)
        return self.adeliver(event)

    def _attempts(self, event: Event):
        """One delivery, sans I/O: yields ``("send", body, headers)`` and is sent back ``(status,
        retry_after, error)``; yields ``("sleep", seconds)`` between attempts; ends with the verdict
        settled (``ForwardError`` when the event stays pending). Raises at once while cooling down."""
        self._check_cooldown(event)
        started, attempt = time.monotonic(), 0
        while True:
            attempt += 1
            self.stats["attempts"] += 1
            body, headers = self._request(event)
            status, retry_after, error = yield "send", body, headers
            verdict, wait = self._next(attempt, started, status, retry_after, error)
            if verdict != "retry":
                return self._settle(event, verdict, attempt, status, error)
            self.stats["retries"] += 1
            yield "sleep", wait

    def deliver(self, event: Event) -> None:
        from ..transport import attempt_deadline, sync_client
        flow = self._attempts(event)
        step = next(flow)   # the cooldown is checked before any client is made
        with self._lock:
            if self._client is None:
                self._client = sync_client(self.timeout, self._transport)
            client = self._client
        try:
            while True:
                if step[0] == "sleep":
                    time.sleep(step[1])
                    step = next(flow)
                    continue
                outcome = (None, None, None)
                token = attempt_deadline.set(time.monotonic() + self.timeout)
                try:
                    with client.stream("POST", self.url, content=step[1], headers=step[2]) as response:
                        outcome = (response.status_code, response.headers.get("retry-after"), None)
                except _transient_errors() as exc:   # anything else is a bug: it propagates
                    outcome = (None, None, exc)
                finally:
                    attempt_deadline.reset(token)
                step = flow.send(outcome)
        except StopIteration:
            return

    async def adeliver(self, event: Event) -> None:
        from ..transport import async_client, attempt_deadline
        flow = self._attempts(event)
        step = next(flow)
        async with async_client(self.timeout, self._transport) as client:
            try:
                while True:
                    if step[0] == "sleep":
                        await asyncio.sleep(step[1])
                        step = next(flow)
                        continue
                    outcome = (None, None, None)
                    token = attempt_deadline.set(time.monotonic() + self.timeout)
                    try:
                        async with client.stream("POST", self.url, content=step[1], headers=step[2]) as response:
                            outcome = (response.status_code, response.headers.get("retry-after"), None)
                    except _transient_errors() as exc:
                        outcome = (None, None, exc)
                    finally:
                        attempt_deadline.reset(token)
                    step = flow.send(outcome)
            except StopIteration:
                return

    def close(self) -> None:
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()

    def __enter__(self) -> "Forward":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _transient_errors() -> tuple[type, ...]:
    """What a failed attempt may raise: httpx's transport errors and the OS's (a refused connection)."""
    from ..retry import _transport_errors
    return (_transport_errors()[2], OSError)


def _permanent_error(exc: BaseException) -> bool:
    """Errors a resend cannot fix (a malformed URL, an unsupported scheme); other transport errors are transient."""
    from ..retry import _transport_errors
    return isinstance(exc, _transport_errors()[1])


# --- JSON Lines -------------------------------------------------------------------------

class JsonlSink:
    """Append each event's envelope to ``path``, one JSON object per line.

    Each line is one ``write`` on a descriptor opened with ``O_APPEND``, so
    lines from several processes (or threads) never interleave: the kernel
    moves to the end and writes under the inode's lock. It is fsync'd before
    the call returns, so an event marked delivered is on disk. A crash between
    the write and the bus recording the delivery repeats the line: dedupe on
    ``id`` when reading. The file is created ``0600`` (payloads name people).
    """

    def __init__(self, path: str | Path, *, name: str | None = None) -> None:
        self.path = Path(path).expanduser().resolve()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.name = name or f"jsonl:{self.path}"

    def __repr__(self) -> str:
        return f"JsonlSink({str(self.path)!r})"

    def __call__(self, event: Event | dict[str, Any]) -> None:
        text = event.to_json() if isinstance(event, Event) else json.dumps(event, separators=(",", ":"),
                                                                           ensure_ascii=False)
        line = (text + "\n").encode()   # compact JSON escapes every newline: one event, one line
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o600)
        try:
            written = os.write(fd, line)
            if written != len(line):   # a full disk; the partial line would corrupt the file's tail
                raise OSError(f"short write to {self.path}: {written} of {len(line)} bytes (disk full?)")
            os.fsync(fd)
        finally:
            os.close(fd)


def read_jsonl(path: str | Path) -> list[Event]:
    """The events of a JSONL sink's file, each once (a repeated ``id`` after a crash is dropped)."""
    seen: set[str] = set()
    out: list[Event] = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                event = Event.from_json(line)
                if event.id not in seen:
                    seen.add(event.id)
                    out.append(event)
    return out
