"""The I/O a flow asks for, done with the HTTP client: the flow's drivers call it.

Requests go straight to the HTTP client's transport (the client layer's
redirects, auth, cookies and logging are the flow's business or unwanted).
One synchronous transport for every thread; one asynchronous transport per
event loop, closed when that loop shuts down (an async generator registered on
the loop is finalized by ``asyncio.run``'s ``shutdown_asyncgens``), and
with no more requests in flight on it than its pool has connections.
"""

from __future__ import annotations

import threading
import time
import weakref
from typing import Any

from .flow import Answer, Send
from .proxies import ProxyRoutes
from .transport import (ASYNC_POOL, aread_capped, async_transport, attempt_deadline, attempt_seconds, build,
                        read_capped, sync_transport, timeouts)

TOKEN_RESPONSE_CAP = 1024 * 1024


class _LoopClient:
    __slots__ = ("transport", "semaphore", "keeper", "routes")

    def __init__(self, transport, semaphore, routes) -> None:
        self.transport, self.semaphore, self.keeper, self.routes = transport, semaphore, None, routes

    def for_url(self, url: str):
        """The transport ``url``'s request goes through: a proxy's (proxies.py) or the direct one."""
        return self.transport if self.routes is None else (self.routes.pick(url) or self.transport)

    async def aclose(self) -> None:
        await self.transport.aclose()
        for proxied in self.routes.all() if self.routes is not None else ():
            await proxied.aclose()


class HTTPSession:
    def __init__(self, timeout: Any, transport: Any, max_response: int, tokens) -> None:
        self.timeout = timeout
        self.transport = transport
        self.max_response = max_response
        self.tokens = tokens
        self._timeouts = None
        self._sync_transport = None   # made on the first call
        self._sync_routes = None      # proxies from the environment (proxies.py), when the transport is ours
        self._lock = threading.Lock()
        self._loops: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopClient]" = \
            weakref.WeakKeyDictionary()

    # --- sync -----------------------------------------------------------------------

    def _sync(self):
        transport = self._sync_transport
        if transport is None:
            with self._lock:
                transport = self._sync_transport
                if transport is None:
                    self._timeouts = timeouts(self.timeout)
                    if self.transport is None:
                        self._sync_routes = ProxyRoutes.from_environment(lambda url: sync_transport(proxy=url))
                    transport = self._sync_transport = sync_transport(self.transport)
        return transport

    def _sync_for(self, url: str):
        transport = self._sync()
        routes = self._sync_routes
        return transport if routes is None else (routes.pick(url) or transport)

    def send(self, ev: Send) -> Answer:
        transport = self._sync_for(ev.url)
        mark = attempt_deadline.set(ev.deadline)
        try:
            resp = transport.handle_request(build(ev.method, ev.url, ev.headers, self._timeouts, ev.content,
                                                  ev.data, ev.files))
            return Answer(resp.status_code, resp.headers, read_capped(resp, self.max_response))
        finally:
            attempt_deadline.reset(mark)

    def _fetch(self, url: str, headers: dict, body: bytes) -> tuple[int, bytes]:
        transport = self._sync_for(url)
        mark = attempt_deadline.set(time.monotonic() + attempt_seconds(self.timeout))
        try:
            resp = transport.handle_request(build("POST", url, headers, self._timeouts, body))
            return resp.status_code, read_capped(resp, TOKEN_RESPONSE_CAP)
        finally:
            attempt_deadline.reset(mark)

    def token(self, failed: str | None, tokens=None) -> str:
        self._sync()   # the transport exists before the rate limiter's slot is taken: its first send is not late
        return (tokens or self.tokens).get(self._fetch, failed)

    # --- async ----------------------------------------------------------------------

    async def _async(self) -> _LoopClient:
        import asyncio  # lazily: building tool definitions never needs it
        loop = asyncio.get_running_loop()
        entry = self._loops.get(loop)
        if entry is None:
            if self._timeouts is None:
                self._timeouts = timeouts(self.timeout)
            routes = ProxyRoutes.from_environment(lambda url: async_transport(proxy=url)) \
                if self.transport is None else None
            entry = _LoopClient(async_transport(self.transport), asyncio.Semaphore(ASYNC_POOL), routes)
            self._loops[loop] = entry
            keeper = _close_with_loop(entry)
            await keeper.__anext__()
            entry.keeper = keeper
        return entry

    async def asend(self, ev: Send) -> Answer:
        entry = await self._async()
        transport = entry.for_url(ev.url)
        async with entry.semaphore:
            mark = attempt_deadline.set(ev.deadline)
            try:
                resp = await transport.handle_async_request(
                    build(ev.method, ev.url, ev.headers, self._timeouts, ev.content, ev.data, ev.files))
                return Answer(resp.status_code, resp.headers, await aread_capped(resp, self.max_response))
            finally:
                attempt_deadline.reset(mark)

    async def _afetch(self, url: str, headers: dict, body: bytes) -> tuple[int, bytes]:
        transport = (await self._async()).for_url(url)
        mark = attempt_deadline.set(time.monotonic() + attempt_seconds(self.timeout))
        try:
            resp = await transport.handle_async_request(build("POST", url, headers, self._timeouts, body))
            return resp.status_code, await aread_capped(resp, TOKEN_RESPONSE_CAP)
        finally:
            attempt_deadline.reset(mark)

    async def atoken(self, failed: str | None, tokens=None) -> str:
        await self._async()   # as in token(): the loop's transport exists before a slot is taken
        return await (tokens or self.tokens).aget(self._afetch, failed)

    # --- closing --------------------------------------------------------------------

    def close(self) -> None:
        transport, self._sync_transport = self._sync_transport, None
        routes, self._sync_routes = self._sync_routes, None
        if transport is not None:
            transport.close()
        for proxied in routes.all() if routes is not None else ():
            proxied.close()

    async def aclose(self) -> None:
        try:
            import asyncio  # lazily: building tool definitions never needs it
            loop = asyncio.get_running_loop()
            entry = self._loops.pop(loop, None)
            if entry is not None:   # the keeper closes the entry's transports as it ends
                await (entry.keeper.aclose() if entry.keeper is not None else entry.aclose())
        finally:
            self.close()


async def _close_with_loop(entry: _LoopClient):
    """Finalized by the loop's shutdown_asyncgens: closes the loop's transports there."""
    try:
        yield
    finally:
        await entry.aclose()
