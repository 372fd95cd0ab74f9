"""The I/O a flow asks for, done with the HTTP client: the flow's drivers call it.

One synchronous client for every thread; one asynchronous client per event
loop, closed when that loop shuts down (an async generator registered on
the loop is finalized by ``asyncio.run``'s ``shutdown_asyncgens``), and
with no more requests in flight on it than its pool has connections.
"""

from __future__ import annotations

import threading
import time
import weakref
from typing import Any

from .flow import Answer, Send
from .transport import (ASYNC_POOL, aread_capped, async_client, attempt_deadline, attempt_seconds, read_capped,
                        sync_client)

TOKEN_RESPONSE_CAP = 1024 * 1024


class _LoopClient:
    __slots__ = ("client", "semaphore", "keeper")

    def __init__(self, client, semaphore) -> None:
        self.client, self.semaphore, self.keeper = client, semaphore, None


class HTTPSession:
    def __init__(self, timeout: Any, transport: Any, max_response: int, tokens) -> None:
        self.timeout = timeout
        self.transport = transport
        self.max_response = max_response
        self.tokens = tokens
        self._client = None
        self._lock = threading.Lock()
        self._loops: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopClient]" = \
            weakref.WeakKeyDictionary()

    # --- sync -----------------------------------------------------------------------

    def _sync(self):
        client = self._client
        if client is None:
            with self._lock:
                client = self._client
                if client is None:
                    client = self._client = sync_client(self.timeout, self.transport)
        return client

    def send(self, ev: Send) -> Answer:
        client = self._sync()
        mark = attempt_deadline.set(ev.deadline)
        try:
            req = client.build_request(ev.method, ev.url, headers=ev.headers, content=ev.content, data=ev.data,
                                       files=ev.files)
            resp = client.send(req, stream=True)
            return Answer(resp.status_code, resp.headers, read_capped(resp, self.max_response))
        finally:
            attempt_deadline.reset(mark)

    def _fetch(self, url: str, headers: dict, body: bytes) -> tuple[int, bytes]:
        client = self._sync()
        mark = attempt_deadline.set(time.monotonic() + attempt_seconds(self.timeout))
        try:
            resp = client.send(client.build_request("POST", url, headers=headers, content=body), stream=True)
            return resp.status_code, read_capped(resp, TOKEN_RESPONSE_CAP)
        finally:
            attempt_deadline.reset(mark)

    def token(self, failed: str | None, tokens=None) -> str:
        self._sync()   # the client exists before the rate limiter's slot is taken: its first send is not late
        return (tokens or self.tokens).get(self._fetch, failed)

    # --- async ----------------------------------------------------------------------

    async def _async(self) -> _LoopClient:
        import asyncio  # lazily: building tool definitions never needs it
        loop = asyncio.get_running_loop()
        entry = self._loops.get(loop)
        if entry is None:
            entry = _LoopClient(async_client(self.timeout, self.transport), asyncio.Semaphore(ASYNC_POOL))
            self._loops[loop] = entry
            keeper = _close_with_loop(entry.client)
            await keeper.__anext__()
            entry.keeper = keeper
        return entry

    async def asend(self, ev: Send) -> Answer:
        entry = await self._async()
        client = entry.client
        async with entry.semaphore:
            mark = attempt_deadline.set(ev.deadline)
            try:
                req = client.build_request(ev.method, ev.url, headers=ev.headers, content=ev.content,
                                           data=ev.data, files=ev.files)
                resp = await client.send(req, stream=True)
                return Answer(resp.status_code, resp.headers, await aread_capped(resp, self.max_response))
            finally:
                attempt_deadline.reset(mark)

    async def _afetch(self, url: str, headers: dict, body: bytes) -> tuple[int, bytes]:
        client = (await self._async()).client
        mark = attempt_deadline.set(time.monotonic() + attempt_seconds(self.timeout))
        try:
            resp = await client.send(client.build_request("POST", url, headers=headers, content=body), stream=True)
            return resp.status_code, await aread_capped(resp, TOKEN_RESPONSE_CAP)
        finally:
            attempt_deadline.reset(mark)

    async def atoken(self, failed: str | None, tokens=None) -> str:
        await self._async()   # as in token(): the loop's client exists before a slot is taken
        return await (tokens or self.tokens).aget(self._afetch, failed)

    # --- closing --------------------------------------------------------------------

    def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            client.close()

    async def aclose(self) -> None:
        try:
            import asyncio  # lazily: building tool definitions never needs it
            loop = asyncio.get_running_loop()
            entry = self._loops.pop(loop, None)
            if entry is not None:
                await entry.client.aclose()
                if entry.keeper is not None:
                    await entry.keeper.aclose()
        finally:
            self.close()


async def _close_with_loop(client):
    """Finalized by the loop's shutdown_asyncgens: closes the loop's client there."""
    try:
        yield
    finally:
        await client.aclose()
