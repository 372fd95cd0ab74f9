"""The sandbox in process: an HTTP client transport over its request handler.

``Toolkit(sandbox=True)`` uses it: requests go straight from the client to
:func:`~zoom_actions.sandbox.server.dispatch` (the same routing the socket
server uses), with no thread, no socket and no port. It is a transport of
the runtime's HTTP client (httpx2), for sync and async clients alike.
"""

from __future__ import annotations

from typing import Any

from .server import API_PREFIX, Sandbox, SandboxHandle, dispatch
from .store import Store, open_store

ORIGIN = "http://sandbox.localhost"   # a loopback name (RFC 6761): never resolved, never dialled


class SandboxTransport:
    """``handle_request`` / ``handle_async_request`` for the HTTP client."""

    def __init__(self, sandbox: Sandbox, origin: str = ORIGIN, http=None) -> None:
        if http is None:
            from ..transport import http as client_module
            http = client_module()
        self.sandbox = sandbox
        self.origin = origin
        self._http = http

    def _answer(self, request) -> Any:
        target = request.url.raw_path.decode("ascii")
        status, headers, data = dispatch(self.sandbox, request.method, target, request.headers, request.read(),
                                         self.origin)
        return self._http.Response(status, headers=headers, content=data, request=request)

    def handle_request(self, request):
        return self._answer(request)

    async def handle_async_request(self, request):
        await request.aread()
        return self._answer(request)   # in-memory SQLite: fast enough to answer inline

    def close(self) -> None:
        pass

    async def aclose(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        pass

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc) -> None:
        pass


class InProcessSandbox(SandboxHandle):
    """A sandbox reached through :attr:`transport`; same surface as ``RunningSandbox``."""

    def __init__(self, db=None, catalog=None, faults=None, origin: str = ORIGIN) -> None:
        self._owns_store = not isinstance(db, Store)
        store = db if isinstance(db, Store) else open_store(db)
        self.app = Sandbox(store, catalog, faults)
        self.app.origin = origin
        self.origin = origin
        self.base_url = origin + API_PREFIX
        self.transport = SandboxTransport(self.app, origin)
        self._closed = False

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self.app.close()
            if self._owns_store:
                self.store.close()

    def __enter__(self) -> "InProcessSandbox":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def open_in_process(db=None, catalog=None, faults=None) -> InProcessSandbox:
    """A sandbox in this process: ``db`` None (in memory), a SQLite path, or a Store."""
    return InProcessSandbox(db, catalog, faults)
