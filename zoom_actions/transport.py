"""The HTTP client under the runtime: httpx2, with every attempt bounded.

The runtime uses ``httpx2``, the maintained line of httpx (httpx 0.28 has
had no release since 2024); ``make bench`` measures both side by side.
It is imported on the first call, never when the package is imported.

Two bounds that httpx does not give:

- **Time.** httpx's timeouts apply to each socket operation, so a server
  that trickles one byte every half second never trips a one-second read
  timeout. :class:`DeadlineBackend` wraps the connection pool's network
  backend and clamps every connect, read and write to the current
  attempt's deadline (a context variable the driver sets), so an attempt
  ends at its deadline whatever the server does.
- **Size.** :func:`read_capped` reads a streamed body up to a cap and
  raises :class:`ResponseTooLarge` past it, without holding more.

Any transport of the client can be passed instead (``Toolkit(transport=...)``):
an in-process sandbox, a mock, a proxy. The size cap still applies; the
time bound applies between chunks.
"""

from __future__ import annotations

import contextvars
import functools
import math
import re
import time
from typing import Any

# monotonic deadline of the attempt in progress (None: unbounded)
attempt_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar("zoom_actions_deadline",
                                                                                 default=None)

DEFAULT_MAX_RESPONSE = 64 * 1024 * 1024   # bytes
ASYNC_POOL = 100                          # connections per AsyncClient, and requests in flight on it


class ResponseTooLarge(Exception):
    def __init__(self, cap: int) -> None:
        super().__init__(f"the response is larger than the {cap:,}-byte cap (max_response_bytes)")
        self.cap = cap


class DeadlineExceeded(Exception):
    """The attempt's deadline passed while the body was being read."""


@functools.cache
def http():
    import httpx2
    return httpx2


def attempt_seconds(timeout: Any) -> float:
    """How long one attempt may take, from a number or a client Timeout."""
    if isinstance(timeout, (int, float)) and not isinstance(timeout, bool):
        return float(timeout) if timeout > 0 else math.inf
    values = [getattr(timeout, k, None) for k in ("connect", "read", "write", "pool")]
    values = [v for v in values if isinstance(v, (int, float))]
    return float(sum(values)) if values else math.inf


def _clamp(timeout: float | None) -> float | None:
    deadline = attempt_deadline.get()
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        import httpcore2
        raise httpcore2.ReadTimeout("the attempt's time limit was reached")
    return left if timeout is None else min(timeout, left)


# Work that can wait for a moment when this process waits anyway: run before a read from the network
# (while Zoom prepares its answer), e.g. the audit records of earlier calls (governance/audit.py).
_while_waiting: list = []


def while_waiting(fn) -> None:
    """Run ``fn()`` before each read of an answer from the network (it must be quick and never raise)."""
    if fn not in _while_waiting:
        _while_waiting.append(fn)


def _idle_work() -> None:
    for fn in _while_waiting:
        fn()


class _Stream:
    __slots__ = ("_s",)

    def __init__(self, stream) -> None:
        self._s = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        if _while_waiting:
            _idle_work()
        return self._s.read(max_bytes, _clamp(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        return self._s.write(buffer, _clamp(timeout))

    def close(self) -> None:
        self._s.close()

    def start_tls(self, ssl_context, server_hostname=None, timeout=None):
        return _Stream(self._s.start_tls(ssl_context, server_hostname, _clamp(timeout)))

    def get_extra_info(self, info: str) -> Any:
        return self._s.get_extra_info(info)


class _AsyncStream:
    __slots__ = ("_s",)

    def __init__(self, stream) -> None:
        self._s = stream

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        if _while_waiting:
            _idle_work()
        return await self._s.read(max_bytes, _clamp(timeout))

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        return await self._s.write(buffer, _clamp(timeout))

    async def aclose(self) -> None:
        await self._s.aclose()

    async def start_tls(self, ssl_context, server_hostname=None, timeout=None):
        return _AsyncStream(await self._s.start_tls(ssl_context, server_hostname, _clamp(timeout)))

    def get_extra_info(self, info: str) -> Any:
        return self._s.get_extra_info(info)


class DeadlineBackend:
    """A network backend whose streams never outlive the attempt's deadline."""

    def __init__(self, inner) -> None:
        self._inner = inner

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        return _Stream(self._inner.connect_tcp(host, port, _clamp(timeout), local_address, socket_options))

    def connect_unix_socket(self, path, timeout=None, socket_options=None):
        return _Stream(self._inner.connect_unix_socket(path, _clamp(timeout), socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class AsyncDeadlineBackend(DeadlineBackend):
    async def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        return _AsyncStream(await self._inner.connect_tcp(host, port, _clamp(timeout), local_address,
                                                          socket_options))

    async def connect_unix_socket(self, path, timeout=None, socket_options=None):
        return _AsyncStream(await self._inner.connect_unix_socket(path, _clamp(timeout), socket_options))

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def _bound(transport, backend_cls):
    pool = getattr(transport, "_pool", None)
    inner = getattr(pool, "_network_backend", None)
    if inner is not None and not isinstance(inner, DeadlineBackend):
        pool._network_backend = backend_cls(inner)
    return transport


# what a client adds to every request: the runtime sends straight to the transport (below)
CLIENT_HEADERS = {"Accept-Encoding": "gzip, deflate"}


def sync_transport(transport=None, proxy: str | None = None):
    """The transport the runtime sends through: the caller's, else a pooled one bounded by the deadline
    (through ``proxy`` when given: :mod:`.proxies`)."""
    if transport is not None:
        return transport
    return _bound(http().HTTPTransport(proxy=proxy), DeadlineBackend)


def async_transport(transport=None, proxy: str | None = None):
    if transport is not None:
        return transport
    h = http()
    limits = h.Limits(max_connections=ASYNC_POOL, max_keepalive_connections=50)
    return _bound(h.AsyncHTTPTransport(limits=limits, proxy=proxy), AsyncDeadlineBackend)


def timeouts(timeout) -> dict:
    """The per-operation timeouts a request carries to its transport (``extensions["timeout"]``)."""
    return http().Timeout(timeout).as_dict()


_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
# what the runtime builds after an origin: a path and a query made only of characters that need no
# encoding (each parameter value was percent-encoded), with no dot segment and no fragment
_TARGET_PATTERN = (r"(?:/(?!\.)(?:[A-Za-z0-9._~!$&'()*+,;=:@-]|%[0-9A-Fa-f]{2})*)+"
                   r"(?:\?(?:[A-Za-z0-9._~!$&'()*+,;=:@/?-]|%[0-9A-Fa-f]{2})*)?")


@functools.cache
def _target():   # compiled on the first request, not at import (4 ms of a cold start)
    return re.compile(_TARGET_PATTERN)


_origins: dict[str, tuple] = {}   # "https://api.zoom.us" -> (its parse, its Host header)
_ORIGINS_KEPT = 64


def _origin(prefix: str) -> tuple | None:
    base = _origins.get(prefix)
    if base is None:
        parsed = http().URL(prefix)   # the client's own parse and checks, once per origin
        if parsed.userinfo or parsed.raw_path not in (b"", b"/") or parsed.fragment:
            return None
        if len(_origins) >= _ORIGINS_KEPT:
            _origins.clear()
        base = _origins[prefix] = (parsed._uri_reference, parsed.netloc.decode("ascii"))
    return base


def _url(url: str) -> tuple | None:
    """(the client's URL, the Host header) for a URL the runtime built, without parsing it again:
    the origin's parse is reused and the target, checked above, goes in as it is. None: parse it."""
    start = url.find("://")
    cut = url.find("/", start + 3) if start > 0 else -1
    if cut < 0 or _target().fullmatch(url, cut) is None:
        return None
    base = _origin(url[:cut])
    if base is None:
        return None
    ref, host = base
    path, mark, query = url[cut:].partition("?")
    parsed = http().URL.__new__(http().URL)
    parsed._uri_reference = type(ref)(ref.scheme, ref.userinfo, ref.host, ref.port, path, query if mark else None,
                                      None)
    return parsed, host


def build(method: str, url: str, headers: dict, timeout: dict, content=None, data=None, files=None):
    """A request for a transport. The runtime skips the client layer: it follows redirects and
    authenticates itself, keeps no cookies and logs nothing per request, so the client would only
    add work (``make bench``: about a tenth of a loopback call). A URL the runtime built is not parsed
    again, and a request without a form sets its own Host and Content-Length."""
    h = http()
    target = _url(url) if data is None and files is None and _agrees() else None
    if target is None:
        return h.Request(method, url, headers={**CLIENT_HEADERS, **headers}, content=content, data=data,
                         files=files, extensions={"timeout": timeout})
    parsed, host = target
    fields = {"Host": host, **CLIENT_HEADERS, **headers}
    if content is not None or method in _BODY_METHODS:
        fields["Content-Length"] = str(len(content or b""))
    return h.Request(method, parsed, headers=fields, stream=h.ByteStream(content or b""),
                     extensions={"timeout": timeout})


@functools.cache
def _agrees() -> bool:
    """The shortcut builds what the client's own parse builds (checked once per process: a new release
    of the client that stores URLs differently turns it off)."""
    h = http()
    sample = "https://api.zoom.us/v2/users/a%40b.com/meetings?page_size=30&next_page_token=x~y"
    try:
        mine, host = _url(sample)
        theirs = h.URL(sample)
        same = (mine == theirs and mine.raw_path == theirs.raw_path and mine.netloc == theirs.netloc
                and str(mine) == str(theirs) and host == "api.zoom.us")
    except Exception:   # noqa: BLE001 - any surprise: use the client's parse
        same = False
    _origins.clear()
    return same



def _ours(make, transport):
    """``transport``, else ours: ``make()``, behind the environment's proxies when it names some."""
    if transport is not None:
        return transport
    from .proxies import ProxyRoutes, Routed
    routes = ProxyRoutes.from_environment(lambda url: make(proxy=url))
    return make() if routes is None else Routed(make(), routes)


def sync_client(timeout, transport=None):
    """A client over :func:`sync_transport` (for senders that want the client's API: event sinks, the
    sandbox's webhooks), through the environment's proxies when the transport is ours (:mod:`.proxies`)."""
    return http().Client(timeout=timeout, follow_redirects=False, transport=_ours(sync_transport, transport))


def async_client(timeout, transport=None):
    return http().AsyncClient(timeout=timeout, follow_redirects=False, transport=_ours(async_transport, transport))


def _too_late() -> bool:
    deadline = attempt_deadline.get()
    return deadline is not None and time.monotonic() > deadline


class _CappedBody:
    """The chunks of one answer, refused past ``cap`` bytes or the attempt's deadline."""

    __slots__ = ("cap", "chunks", "size")

    def __init__(self, response, cap: int) -> None:
        length = response.headers.get("content-length")
        if length is not None and length.isdigit() and (len(length) > 18 or int(length) > cap):
            raise ResponseTooLarge(cap)
        self.cap, self.chunks, self.size = cap, [], 0

    def add(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.cap:
            raise ResponseTooLarge(self.cap)
        self.chunks.append(chunk)
        if _too_late():
            raise DeadlineExceeded("the attempt's time limit was reached while reading the answer")

    def bytes(self) -> bytes:
        return b"".join(self.chunks)


def _encoded(response) -> bool:
    coding = response.headers.get("content-encoding")
    return coding is not None and coding.strip().lower() not in ("", "identity")


def read_capped(response, cap: int) -> bytes:
    """The body of a streamed response, at most ``cap`` bytes once decoded (closes it)."""
    try:
        body = _CappedBody(response, cap)
        for chunk in (response.iter_bytes() if _encoded(response) else response.stream):
            body.add(chunk)
        return body.bytes()
    finally:
        response.close()


async def aread_capped(response, cap: int) -> bytes:
    try:
        body = _CappedBody(response, cap)
        async for chunk in (response.aiter_bytes() if _encoded(response) else response.stream):
            body.add(chunk)
        return body.bytes()
    finally:
        await response.aclose()
