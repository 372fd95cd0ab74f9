"""Zoom's event WebSocket: the second way events arrive, beside the webhook
receiver. We open the connection (no public endpoint), keep it open, and put
every event it carries into the same durable log, so an event seen both by
webhook and by WebSocket reaches each handler once (same dedupe key).

    sub = WebSocketSubscription("SUBSCRIPTION_ID", Events(), token=ServerToServer(...))
    sub.run_forever()                     # or: await sub.run(stop_event)

What Zoom documents ("Using WebSockets", developers.zoom.us/docs/api/websockets):

- the subscription's endpoint is ``wss://ws.zoom.us/ws?subscriptionId=ID``;
  the client appends the app's access token (a Server-to-Server app's,
  ``grant_type=account_credentials``, or a general app's client-credentials
  token) as ``access_token``; such a token lasts an hour;
- the client sends ``{"module": "heartbeat"}`` every 30 seconds to keep the
  connection open (Zoom's sample, github.com/zoom/websocket-js-sample, does
  the same);
- events are delivered only while a connection is open: what happens while
  none is open is never delivered, and a reopened connection carries what
  happens after it reopened. Zoom's forum says the same: the beta's replay
  of missed events was removed (devforum.zoom.us/t/84762), and WebSocket
  events are not re-fired (a reply in devforum.zoom.us/t/144332).
  So a reconnect loses the events of the gap; the webhook receiver, whose
  deliveries Zoom retries, is the source to pair with this one when every
  event matters.

What is not in Zoom's reference, and is relied on as others observed it:

- the server answers a heartbeat with ``{"module": "heartbeat", "success":
  true, "content": "live", ...}`` (devforum.zoom.us/t/94953);
- an event arrives as ``{"module": "message", "content": "<the webhook body,
  as a JSON string>", ...}`` (every public listener parses ``content`` a
  second time, e.g. github.com/Will4950/ZoomWebSocketListeners); a dict in
  ``content`` is taken as well; ``"success": false`` is logged and skipped;
- a subscription has one connection: a second one closes the first (the
  Zoom plugin's WebSocket notes, github.com/anthropics/knowledge-work-plugins,
  partner-built/zoom-plugin/skills/websockets/references/connection.md).

What we assume, each a parameter here and what the sandbox's ``/ws`` does:

- close codes: Zoom documents none. ``CLOSE_REPLACED`` (another connection
  took the subscription) and ``CLOSE_TOKEN_EXPIRED`` are the sandbox's; pass
  ``takeover_codes``/``expired_codes`` when Zoom's differ. Every close is
  logged with its code and reason, to learn them from.
- the server closes a connection whose token expired; we reconnect with a
  fresh token before that (and right after it, if it happens anyway);
- an unanswered heartbeat (``heartbeat_timeout``, 10 s) means the connection
  is dead: we drop it and reconnect. WebSocket protocol pings are off: Zoom's
  documented keep-alive is the heartbeat.

Behaviour:

- reconnects back off exponentially with jitter (``Backoff``: 1 s doubling
  to 60 s), reset once a connection has been healthy (heartbeats answered
  for ``healthy_after`` seconds), so a server that accepts and then drops us
  is not hammered;
- a token due for replacement (the runtime's margin: 60 s or a tenth of its
  life before expiry) is replaced make-before-break: the new connection is
  opened first, which makes Zoom close the old one, whose last messages are
  still read and logged before the new connection's (log order = server
  order). Opening first is what the one-connection rule makes safe: the
  server switches from the old connection to the new one, so there is no
  moment with none open (that the switch itself drops nothing is what the
  sandbox does; Zoom does not say);
- another connection taking the subscription (``on_takeover``): "stop"
  (default) ends ``run`` with "taken_over" and does not reconnect, because
  the only way back is to take the subscription from the newer holder, which
  would then take it back: two processes fighting, each losing the events
  of every switch. "wait" sleeps ``takeover_wait`` (15 min) and then takes
  the subscription back, for a holder known to be temporary (a debugging
  session), after the backoff delay as well;
- a message over 1 MiB is refused (websockets' ``max_size`` closes the
  connection, counted in ``oversize``, and we reconnect); malformed frames
  are counted and skipped;
- the token is never logged: our records name the URL without it, and the
  websockets library's records (its DEBUG lines show the request target)
  go through ``zoom_actions.websocket.wire`` with the token masked;
- ``stats`` counts connects, reconnects, messages, accepted, duplicates,
  heartbeats (sent, answered, missed), malformed, oversize, auth failures,
  token refreshes and expiries, takeovers, backoff waits.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import os
import random
import re
import signal
from collections import Counter, deque
from typing import Any, Callable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ..redact import ScrubFilter, check_credential, remember, scrub
from .envelope import from_webhook

log = logging.getLogger("zoom_actions")
WIRE_LOGGER = "zoom_actions.websocket.wire"

ZOOM_WS_URL = "wss://ws.zoom.us/ws"
MAX_MESSAGE = 1 << 20
HEARTBEAT = json.dumps({"module": "heartbeat"})
CLOSE_REPLACED = 4001        # assumed (Zoom documents no codes): another connection took the subscription
CLOSE_TOKEN_EXPIRED = 4002   # assumed: the connection's access token expired or was revoked
CLOSE_IDLE = 4003            # assumed: no heartbeat within the server's window
_TOO_BIG = 1009
_TOKEN_IN_TEXT = re.compile(r"(access_token=)[^&\s\"']+", re.IGNORECASE)


def redact(text: object) -> str:
    """``text`` with known secrets and any ``access_token=`` value masked."""
    return _TOKEN_IN_TEXT.sub(r"\1***", scrub(text))


class _RedactFilter(ScrubFilter):
    def filter(self, record: logging.LogRecord) -> bool:
        super().filter(record)
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string: leave it to logging
            return True
        record.msg, record.args = _TOKEN_IN_TEXT.sub(r"\1***", message), None
        return True


_wire = logging.getLogger(WIRE_LOGGER)
if not any(isinstance(f, _RedactFilter) for f in _wire.filters):
    _wire.addFilter(_RedactFilter())


class Backoff:
    """Delays between failed attempts: the n-th is drawn from [b/2, b] with
    b = min(cap, base * 2**n), so each failure waits longer than the one two
    before it, and clients that failed together do not retry together."""

    def __init__(self, base: float = 1.0, cap: float = 60.0, rng: Callable[[], float] = random.random) -> None:
        if base <= 0 or cap < base:
            raise ValueError("backoff needs 0 < base <= cap")
        self.base, self.cap, self.rng = base, cap, rng
        self.attempt = 0

    def next(self) -> float:
        bound = min(self.cap, self.base * 2 ** min(self.attempt, 62))
        self.attempt += 1
        return bound / 2 + self.rng() * bound / 2

    def reset(self) -> None:
        self.attempt = 0


class _Tokens:
    """Access tokens, from the runtime's auth (a Provider, a TokenManager or a
    Toolkit: one cache and one token request shared with API calls) or from a
    callable returning a token, or ``(token, expires_in seconds)``."""

    def __init__(self, source: Any) -> None:
        from ..auth import Provider, TokenManager
        if isinstance(source, Provider):
            source = TokenManager(source)
        elif not isinstance(source, TokenManager) and isinstance(getattr(source, "tokens", None), TokenManager):
            source = source.tokens
        self.manager = source if isinstance(source, TokenManager) else None
        self.fn = None if self.manager is not None else source
        if self.manager is None and not callable(source):
            raise TypeError("token must be a Provider, TokenManager, Toolkit, or a callable returning a token")
        self._session = None

    async def get(self, failed: str | None) -> tuple[str, float | None]:
        """A token and the seconds after which to replace it (None: no expiry known)."""
        if self.manager is not None:
            if self._session is None:
                from ..session import TOKEN_RESPONSE_CAP, HTTPSession
                self._session = HTTPSession(30.0, None, TOKEN_RESPONSE_CAP, self.manager)
            token = await self._session.atoken(failed)
            due = self.manager.provider.expires_in()   # already the runtime's margin before expiry
            return token, None if due is None else due + 0.05   # just past it, when the cache lets go
        if inspect.iscoroutinefunction(self.fn):
            result = await self.fn()
        else:
            result = await asyncio.to_thread(self.fn)
            if inspect.isawaitable(result):
                result = await result
        token, expires_in = result if isinstance(result, tuple) else (result, None)
        token = check_credential(token, "the access token for Zoom's event WebSocket")
        remember(token)
        if isinstance(expires_in, (int, float)) and not isinstance(expires_in, bool) and expires_in > 0:
            return token, expires_in - min(60.0, expires_in / 10)   # the runtime's margin (auth.py)
        return token, None

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.aclose()
            self._session = None


class _Link:
    """One open connection: its reader and heartbeat, and why it ended."""

    def __init__(self, ws, token: str, opened: float, refresh_at: float | None, predecessor: "_Link | None") -> None:
        self.ws, self.token, self.opened, self.refresh_at = ws, token, opened, refresh_at
        self.predecessor = predecessor
        self.answered = asyncio.Event()
        self.ended = asyncio.Event()
        self.reason = ""
        self.healthy = False
        self.tasks: list[asyncio.Task] = []

    async def close(self, reason: str) -> None:
        self.reason = self.reason or reason
        await self.ws.close()
        await asyncio.gather(*self.tasks, return_exceptions=True)


class WebSocketSubscription:
    """One Zoom WebSocket event subscription, kept connected, its events accepted into ``events``.

    ``token``: the runtime's auth (``ServerToServer``, a ``TokenManager``, a
    ``Toolkit``) or a callable (sync or async) returning a token or
    ``(token, expires_in)``. ``url``: the subscription's endpoint without the
    token (Zoom's, or the sandbox's ``ws://127.0.0.1:PORT/ws``); plain ``ws://``
    only on loopback. ``dispatch``: run the handlers (``events.run_pending``,
    off the event loop) as events arrive.
    """

    def __init__(self, subscription_id: str, events, *, token: Any, url: str = ZOOM_WS_URL,
                 heartbeat_interval: float = 30.0, heartbeat_timeout: float = 10.0,
                 backoff: Backoff | None = None, healthy_after: float = 60.0,
                 on_takeover: str = "stop", takeover_wait: float = 900.0,
                 takeover_codes: tuple[int, ...] = (CLOSE_REPLACED,),
                 expired_codes: tuple[int, ...] = (CLOSE_TOKEN_EXPIRED,),
                 handover_grace: float = 5.0, max_size: int = MAX_MESSAGE, open_timeout: float = 10.0,
                 dispatch: bool = True) -> None:
        self.subscription_id = check_credential(subscription_id, "the subscription ID")
        if on_takeover not in ("stop", "wait"):
            raise ValueError('on_takeover must be "stop" or "wait"')
        self.events = events
        self._tokens = _Tokens(token)
        self.url, self._loopback = _endpoint(url, self.subscription_id)
        self.heartbeat_interval, self.heartbeat_timeout = heartbeat_interval, heartbeat_timeout
        self.backoff = backoff or Backoff()
        self.healthy_after = healthy_after
        self.on_takeover, self.takeover_wait = on_takeover, takeover_wait
        self.takeover_codes, self.expired_codes = frozenset(takeover_codes), frozenset(expired_codes)
        self.handover_grace = handover_grace
        self.max_size, self.open_timeout = max_size, open_timeout
        self.dispatch = dispatch
        self.stats: Counter = Counter()
        self.delays: deque[float] = deque(maxlen=64)   # the backoff waits taken, newest last
        self._failed: str | None = None
        self._wake: asyncio.Event | None = None
        self._retiring: dict[_Link, asyncio.Task] = {}   # connections being replaced by a newer one of ours

    @classmethod
    def from_env(cls, subscription_id: str, events, **options) -> "WebSocketSubscription":
        """Server-to-Server OAuth from ``ZOOM_ACCOUNT_ID``, ``ZOOM_CLIENT_ID``, ``ZOOM_CLIENT_SECRET``
        (and ``ZOOM_TOKEN_URL``, as the Toolkit reads it)."""
        from ..auth import DEFAULT_TOKEN_URL, ServerToServer
        from ..gateways import check_url
        names = ("ZOOM_ACCOUNT_ID", "ZOOM_CLIENT_ID", "ZOOM_CLIENT_SECRET")
        missing = [n for n in names if not os.environ.get(n)]
        if missing:
            raise ValueError(f"Zoom's event WebSocket takes a Server-to-Server OAuth app's credentials: "
                             f"set {', '.join(missing)}")
        token_url = check_url(os.environ.get("ZOOM_TOKEN_URL") or DEFAULT_TOKEN_URL, "ZOOM_TOKEN_URL")
        provider = ServerToServer(*(os.environ[n] for n in names), token_url=token_url)
        return cls(subscription_id, events, token=provider, **options)

    # --- running ------------------------------------------------------------------------

    def run_forever(self) -> str:
        """``run`` until Ctrl-C or SIGTERM; returns its outcome."""
        async def main() -> str:
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                try:
                    loop.add_signal_handler(sig, stop.set)
                except (NotImplementedError, RuntimeError, ValueError):   # not the main thread, or Windows
                    pass
            return await self.run(stop)
        try:
            return asyncio.run(main())
        except KeyboardInterrupt:
            return "stopped"

    async def run(self, stop: asyncio.Event) -> str:
        """Keep the subscription connected until ``stop`` is set ("stopped") or another
        connection takes it with ``on_takeover="stop"`` ("taken_over")."""
        closing, self._wake = asyncio.Event(), asyncio.Event()
        deliver = asyncio.create_task(self._deliver(closing)) if self.dispatch else None
        link: _Link | None = None
        try:
            while not stop.is_set():
                if link is None:
                    link = await self._connect(stop)
                    continue
                await _first(stop, link.ended, link.refresh_at)
                if stop.is_set():
                    break
                if not link.ended.is_set():
                    link = await self._refresh(link)
                    continue
                reason, token, healthy, link = link.reason, link.token, link.healthy, None
                if reason == "taken_over":
                    self.stats["takeovers"] += 1
                    if self.on_takeover == "stop":
                        log.warning("zoom websocket: another connection took subscription %s; stopping "
                                    "(on_takeover='stop')", self.subscription_id)
                        return "taken_over"
                    log.warning("zoom websocket: another connection took subscription %s; taking it back in "
                                "%.0f s (on_takeover='wait')", self.subscription_id, self.takeover_wait)
                    if await _wait(stop, self.takeover_wait):
                        break
                    if await self._pause(stop):   # still backs off while connections keep being taken
                        break
                elif reason == "token_expired":   # with a token other than this one; at once if it was healthy
                    self.stats["token_expired"] += 1
                    self._failed = token
                    if not healthy and await self._pause(stop):
                        break
                elif await self._pause(stop):
                    break
            return "stopped"
        finally:
            for held in ([link] if link is not None else []) + list(self._retiring):
                await held.close("stopped")
            await asyncio.gather(*list(self._retiring.values()), return_exceptions=True)
            closing.set()
            self._wake.set()
            if deliver is not None:
                await deliver
            await self._tokens.aclose()

    async def _pause(self, stop: asyncio.Event) -> bool:
        """Wait the next backoff delay; True when stopped meanwhile."""
        delay = self.backoff.next()
        self.delays.append(delay)
        self.stats["backoff_waits"] += 1
        return await _wait(stop, delay)

    async def _connect(self, stop: asyncio.Event) -> _Link | None:
        try:
            token, refresh_in = await self._tokens.get(self._failed)
        except Exception as exc:  # noqa: BLE001 - AuthFailure, the network, a broken callable: retried
            self.stats["token_errors"] += 1
            log.error("zoom websocket: no access token: %s", redact(f"{type(exc).__name__}: {exc}"))
            await self._pause(stop)
            return None
        self._failed = None
        link = await self._open(token, refresh_in, None)
        if link is None:
            await self._pause(stop)
        return link

    async def _open(self, token: str, refresh_in: float | None, predecessor: _Link | None) -> _Link | None:
        from websockets.asyncio.client import connect
        from websockets.exceptions import InvalidStatus, WebSocketException
        target = self.url + "&" + urlencode({"access_token": token})
        try:
            ws = await connect(target, max_size=self.max_size, ping_interval=None, open_timeout=self.open_timeout,
                               close_timeout=self.heartbeat_timeout, proxy=None if self._loopback else True,
                               logger=_wire)
        except InvalidStatus as exc:
            status = exc.response.status_code
            if status in (401, 403):
                self.stats["auth_failures"] += 1
                self._failed = token   # the next token request replaces it
            else:
                self.stats["connect_failures"] += 1
            log.error("zoom websocket: %s refused the connection (HTTP %s)", self.url, status)
            return None
        except (OSError, TimeoutError, WebSocketException) as exc:
            self.stats["connect_failures"] += 1
            log.warning("zoom websocket: could not connect to %s: %s", self.url,
                        redact(f"{type(exc).__name__}: {exc}"))
            return None
        loop = asyncio.get_running_loop()
        now = loop.time()
        if self.stats["connects"]:
            self.stats["reconnects"] += 1
        self.stats["connects"] += 1
        link = _Link(ws, token, now, None if refresh_in is None else now + max(refresh_in, 1.0), predecessor)
        link.tasks = [asyncio.create_task(self._read(link)), asyncio.create_task(self._beat(link))]
        log.info("zoom websocket: connected to %s", self.url)
        return link

    async def _refresh(self, link: _Link) -> _Link:
        """Replace ``link`` by a connection with a fresh token, opened before the old one closes."""
        now = asyncio.get_running_loop().time()
        try:
            token, refresh_in = await self._tokens.get(None)
        except Exception as exc:  # noqa: BLE001 - keep the connection we have and try again shortly
            log.warning("zoom websocket: could not refresh the access token: %s",
                        redact(f"{type(exc).__name__}: {exc}"))
            link.refresh_at = now + 5.0
            return link
        if token == link.token:   # nothing newer yet (a cache not due, or a token without expiry)
            link.refresh_at = None if refresh_in is None else now + max(refresh_in, 1.0)
            return link
        link.reason = "replaced_by_us"   # from here on its close is our doing, not a takeover
        new = await self._open(token, refresh_in, link)
        if new is None:
            if not link.ended.is_set():
                link.reason = ""
            link.refresh_at = now + 5.0   # the old token still works for now; the server closes it at expiry
            return link
        self.stats["token_refreshes"] += 1
        self._retiring[link] = asyncio.create_task(self._retire(link))   # held: a task is only weakly referenced
        return new

    async def _retire(self, link: _Link) -> None:
        """The server closes the old connection when the new one arrives; close it ourselves if not."""
        try:
            await asyncio.wait_for(link.ended.wait(), self.handover_grace)
        except TimeoutError:
            await link.close("replaced_by_us")
        self._retiring.pop(link, None)

    # --- one connection -----------------------------------------------------------------

    async def _read(self, link: _Link) -> None:
        from websockets.exceptions import ConnectionClosed
        try:
            async for raw in link.ws:
                if link.predecessor is not None:   # the old connection's last messages first: log order
                    try:
                        await asyncio.wait_for(link.predecessor.ended.wait(), self.handover_grace)
                    except TimeoutError:
                        pass
                    link.predecessor = None
                await self._handle(link, raw)
        except ConnectionClosed:
            pass
        finally:
            for task in link.tasks:
                if task is not asyncio.current_task():
                    task.cancel()
            self._ended(link)

    def _ended(self, link: _Link) -> None:
        protocol = link.ws.protocol
        rcvd, sent = protocol.close_rcvd, protocol.close_sent
        if not link.reason:
            if sent is not None and sent.code == _TOO_BIG and protocol.close_rcvd_then_sent is not True:
                link.reason = "oversize"
                self.stats["oversize"] += 1
            elif rcvd is not None and rcvd.code in self.takeover_codes:
                link.reason = "taken_over"
            elif rcvd is not None and rcvd.code in self.expired_codes:
                link.reason = "token_expired"
            else:
                link.reason = "closed"
        code = rcvd.code if rcvd is not None else (sent.code if sent is not None else 1006)
        why = redact(rcvd.reason)[:200] if rcvd is not None else ""
        level = logging.INFO if link.reason in ("stopped", "replaced_by_us") else logging.WARNING
        log.log(level, "zoom websocket: connection to %s ended (%s; close code %s%s)", self.url, link.reason, code,
                f", {why!r}" if why else "")
        link.ended.set()

    async def _handle(self, link: _Link, raw: str | bytes) -> None:
        frame = _json_object(raw)
        if frame is None:
            self.stats["malformed"] += 1
            return
        module = frame.get("module")
        if module == "heartbeat":
            self.stats["heartbeats_answered"] += 1
            link.answered.set()
            if not link.healthy and asyncio.get_running_loop().time() - link.opened >= self.healthy_after:
                link.healthy = True
                self.backoff.reset()
            return
        if module != "message":
            self.stats["other_frames"] += 1
            log.debug("zoom websocket: %s frame ignored", redact(str(module))[:40])
            return
        if frame.get("success") is False:
            self.stats["errors"] += 1
            log.warning("zoom websocket: the server reported an error: %s", redact(str(frame.get("content")))[:200])
            return
        content = frame.get("content")
        body = content if isinstance(content, dict) else _json_object(content) if isinstance(content, str) else None
        if body is None or not isinstance(body.get("event"), str) or not body["event"]:
            self.stats["malformed"] += 1
            return
        self.stats["messages"] += 1
        event = from_webhook(body, source="websocket")
        try:
            fresh = await asyncio.to_thread(self.events.accept, event)
        except Exception as exc:  # noqa: BLE001 - a log that cannot write: say so, keep the connection
            self.stats["log_errors"] += 1
            log.error("zoom websocket: could not store event %s: %s", event.id, redact(f"{type(exc).__name__}: {exc}"))
            return
        self.stats["accepted" if fresh else "duplicates"] += 1
        if fresh and self._wake is not None:
            self._wake.set()

    async def _beat(self, link: _Link) -> None:
        from websockets.exceptions import ConnectionClosed
        loop = asyncio.get_running_loop()
        try:
            while True:
                link.answered.clear()
                started = loop.time()
                await link.ws.send(HEARTBEAT)
                self.stats["heartbeats_sent"] += 1
                try:
                    await asyncio.wait_for(link.answered.wait(), self.heartbeat_timeout)
                except TimeoutError:
                    self.stats["heartbeats_missed"] += 1
                    log.warning("zoom websocket: no heartbeat answer from %s in %.0f s; reconnecting", self.url,
                                self.heartbeat_timeout)
                    link.reason = link.reason or "dead"
                    link.ws.transport.abort()   # a dead peer would not finish a closing handshake
                    return
                await asyncio.sleep(max(0.0, self.heartbeat_interval - (loop.time() - started)))
        except ConnectionClosed:
            return

    async def _deliver(self, closing: asyncio.Event) -> None:
        """Handlers, off the loop: on each new event, and every second for ones that failed."""
        while True:
            try:
                await asyncio.wait_for(self._wake.wait(), 1.0)
            except TimeoutError:
                pass
            self._wake.clear()
            try:
                await asyncio.to_thread(self.events.run_pending)
            except Exception as exc:  # noqa: BLE001 - the log keeps what was not delivered
                log.error("zoom websocket: event delivery failed: %s", redact(f"{type(exc).__name__}: {exc}"))
            if closing.is_set():
                return

    def __repr__(self) -> str:
        return f"<WebSocketSubscription {self.url}>"


def _endpoint(url: str, subscription_id: str) -> tuple[str, bool]:
    """The endpoint with our ``subscriptionId`` (Marketplace shows the URL with it), and whether it is loopback."""
    from ..gateways import is_loopback
    parts = urlsplit(url)
    loopback = is_loopback(parts.hostname)
    if parts.scheme != "wss" and not (parts.scheme == "ws" and loopback):
        raise ValueError(f"the event WebSocket URL must be wss:// (ws:// only on loopback), not {redact(url)!r}")
    if parts.username is not None or parts.password is not None:
        raise ValueError("the event WebSocket URL must not carry credentials")
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    if any(k.lower() == "access_token" for k, _ in query):
        raise ValueError("pass the token as token=, not in the URL")
    query = [(k, v) for k, v in query if k != "subscriptionId"] + [("subscriptionId", subscription_id)]
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", urlencode(query), "")), loopback


def _json_object(raw: Any) -> dict | None:
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            return None
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError, TypeError):
        return None
    return value if isinstance(value, dict) else None


async def _first(stop: asyncio.Event, ended: asyncio.Event, at: float | None) -> None:
    """Until ``stop`` or ``ended`` is set, or the loop's clock reaches ``at``."""
    waiters = [asyncio.create_task(stop.wait()), asyncio.create_task(ended.wait())]
    timeout = None if at is None else max(0.0, at - asyncio.get_running_loop().time())
    try:
        await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waiters:
            w.cancel()


async def _wait(stop: asyncio.Event, seconds: float) -> bool:
    """Sleep ``seconds`` unless stopped first; True when stopped."""
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        pass
    return stop.is_set()
