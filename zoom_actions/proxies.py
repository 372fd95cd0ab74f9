"""HTTP proxies from the environment, read as curl and the usual HTTP clients read them.

``HTTPS_PROXY`` / ``HTTP_PROXY`` / ``ALL_PROXY`` (either case; a proxy URL
``http://user:pass@proxy:3128``, or ``socks5://`` with the ``socksio``
package), minus the hosts ``NO_PROXY`` names (``*``, names, domain
suffixes); a loopback host (the sandbox, a local stand-in) never goes
through a proxy. Read once, when the toolkit's first request is made. Only
when the toolkit builds its own transport: one passed in
(``Toolkit(transport=...)``) is used as it is.

:class:`ProxyRoutes` picks the transport for a URL: a proxy's (made on first
use, bounded by the attempt's deadline like the direct one) or None, for the
direct pool. The proxy's password is masked like any secret, and a request
that fails to get through a proxy says which proxy (without its password)
and where it was configured. :class:`Routed` puts the same choice behind one
transport, for the senders that use a client's API (event forwarding, the
sandbox's webhooks).
"""

from __future__ import annotations

import threading
from typing import Callable
from urllib.parse import urlsplit

from .gateways import is_loopback


def from_environment() -> tuple[dict[str, str], str]:
    """(scheme -> proxy URL, the NO_PROXY list) as the environment says."""
    import urllib.request   # lazily: a toolkit that never sends never pays for it
    env = urllib.request.getproxies_environment()   # lower-cased keys: https, http, all, no
    proxies = {}
    for scheme in ("https", "http"):
        url = (env.get(scheme) or env.get("all") or "").strip()
        if url:
            proxies[scheme] = url if "://" in url else "http://" + url
    return proxies, env.get("no", "")


class ProxyRoutes:
    """Which transport a URL's request goes through, for one client (sync, or one event loop's)."""

    def __init__(self, proxies: dict[str, str], no_proxy: str, make: Callable[[str], object]) -> None:
        from .redact import remember
        for url in proxies.values():
            password = urlsplit(url).password
            if password:
                remember(password, pinned=True)
        self.proxies, self.no_proxy, self._make = proxies, no_proxy, make
        self._by_host: dict[tuple[str, str], str | None] = {}   # (scheme, netloc) -> proxy URL or None
        self._transports: dict[str, object] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_environment(cls, make: Callable[[str], object]) -> "ProxyRoutes | None":
        proxies, no_proxy = from_environment()
        return cls(proxies, no_proxy, make) if proxies else None

    def _proxy_for(self, scheme: str, netloc: str) -> str | None:
        proxy = self.proxies.get(scheme)
        if proxy is None:
            return None
        host = netloc.rsplit("@", 1)[-1]
        host = host[1:host.index("]")] if host.startswith("[") else host.rsplit(":", 1)[0]
        if is_loopback(host.lower()):
            return None
        import urllib.request
        if self.no_proxy and urllib.request.proxy_bypass_environment(host, {"no": self.no_proxy}):
            return None
        return proxy

    def pick(self, url: str):
        """The proxy transport for ``url``, or None for the direct one."""
        scheme, _, rest = url.partition("://")
        netloc = rest.split("/", 1)[0].split("?", 1)[0]
        key = (scheme.lower(), netloc)
        proxy = self._by_host.get(key, ...)
        if proxy is ...:
            proxy = self._by_host[key] = self._proxy_for(*key)
        if proxy is None:
            return None
        transport = self._transports.get(proxy)
        if transport is None:
            with self._lock:
                transport = self._transports.get(proxy)
                if transport is None:
                    transport = self._transports[proxy] = Proxied(self._make(proxy), proxy)
        return transport

    def all(self) -> list:
        return list(self._transports.values())


def shown(proxy: str) -> str:
    """A proxy URL as it may be shown: scheme, host and port, never its credentials."""
    parts = urlsplit(proxy)
    return f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}"


class Proxied:
    """A proxy's transport whose failures to connect say so: "... (through the proxy http://proxy:3128,
    from HTTPS_PROXY / HTTP_PROXY / ALL_PROXY)". The error keeps its type, so what retries it still does."""

    __slots__ = ("inner", "proxy")

    def __init__(self, inner, proxy: str) -> None:
        self.inner, self.proxy = inner, proxy

    def _explained(self, exc: Exception) -> Exception:
        note = f"through the proxy {shown(self.proxy)}, from HTTPS_PROXY / HTTP_PROXY / ALL_PROXY; NO_PROXY " \
               "lists hosts that go direct"
        return type(exc)(f"{exc} ({note})" if str(exc) else note)

    def handle_request(self, request):
        try:
            return self.inner.handle_request(request)
        except _connect_errors() as exc:
            raise self._explained(exc) from exc

    async def handle_async_request(self, request):
        try:
            return await self.inner.handle_async_request(request)
        except _connect_errors() as exc:
            raise self._explained(exc) from exc

    def close(self) -> None:
        self.inner.close()

    async def aclose(self) -> None:
        await self.inner.aclose()


def _connect_errors() -> tuple:
    from .transport import http
    httpx = http()
    return (httpx.ConnectError, httpx.ConnectTimeout, httpx.ProxyError)


class Routed:
    """One transport over a direct one and the environment's proxies, as :class:`ProxyRoutes` picks for each
    request's URL: what a client (``httpx2.Client(transport=...)``, which then reads no proxy of its own) is
    given by :func:`zoom_actions.transport.sync_client` and ``async_client``."""

    def __init__(self, direct, routes: ProxyRoutes) -> None:
        self.direct, self.routes = direct, routes

    def _for(self, request):
        return self.routes.pick(str(request.url)) or self.direct

    def handle_request(self, request):
        return self._for(request).handle_request(request)

    async def handle_async_request(self, request):
        return await self._for(request).handle_async_request(request)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc) -> None:
        await self.aclose()

    def close(self) -> None:
        for t in (self.direct, *self.routes.all()):
            t.close()

    async def aclose(self) -> None:
        for t in (self.direct, *self.routes.all()):
            await t.aclose()
