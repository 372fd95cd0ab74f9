"""Gateways: where a request goes, straight to Zoom or through a hosted gateway.

A gateway is one class: ``url()`` maps an encoded Zoom path + query to the
URL to request, ``key`` is the gateway's bearer (None: Zoom's own auth),
``key_env`` names the environment variable its key comes from. ``GATEWAYS``
is the registry ``Toolkit(gateway="name")`` reads; a new gateway is one
class and one line there.

- ``Direct``: ``https://api.zoom.us/v2`` + path (or a ``base_url`` override,
  or the regional ``api_url`` a Server-to-Server token came with); the Zoom
  access token is the bearer.
- ``Lava``: Lava's forward endpoint, ``https://api.lava.so/v1/forward?u=<the
  full Zoom URL, percent-encoded>``; the Lava secret key is the bearer, Lava
  attaches the connected Zoom account's token, and every non-GET call
  carries a JSON body (``{}`` when the operation has none).
- ``Maton``: ``https://gateway.maton.ai/zoom/v2`` + path; the Maton API key
  is the bearer; ``Maton-Connection`` picks one of several connections.

Every URL the runtime sends credentials to must be ``https``; plain
``http`` is accepted only for loopback hosts (tests, a local sandbox).
"""

from __future__ import annotations

import ipaddress
import os
from urllib.parse import quote, urlsplit

from .redact import Secret, check_credential

ZOOM_API = "https://api.zoom.us/v2"
LAVA_FORWARD = "https://api.lava.so/v1/forward"
MATON_GATEWAY = "https://gateway.maton.ai/zoom/v2"


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str, what: str) -> str:
    """``url`` without a trailing slash, if it is safe to send credentials to."""
    if not isinstance(url, str) or not url:
        raise ValueError(f"{what} must be a URL")
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError as exc:
        raise ValueError(f"{what} is not a valid URL: {exc}") from None
    if parts.scheme not in ("https", "http") or not host:
        raise ValueError(f"{what} must be an https:// URL, got {url!r}")
    if parts.scheme == "http" and not is_loopback(host):
        raise ValueError(f"{what} uses plain http, which would expose credentials; use https "
                         "(http is allowed only for loopback addresses)")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise ValueError(f"{what} must not carry credentials in the URL")
    if parts.query or parts.fragment:
        raise ValueError(f"{what} must not have a query or fragment")
    return url.rstrip("/")


class Gateway:
    """How to reach Zoom."""

    name = "gateway"
    key: Secret | None = None
    key_env: str | None = None          # where its key comes from, for gateways that need one
    json_body_on_non_get = False
    headers: dict[str, str] = {}

    def __init__(self, url: str) -> None:
        self.base = check_url(url, f"{self.name} URL")

    @classmethod
    def from_settings(cls, base_url: str | None) -> "Gateway":
        return cls(url=base_url) if base_url else cls()

    def with_base(self, url: str) -> "Gateway":
        raise NotImplementedError

    def url(self, zoom_base: str | None, path: str, query: str, server: str | None = None) -> str:
        """``server``: the operation's own server when it is not Zoom's ``/v2`` base (SCIM2, Clips)."""
        raise NotImplementedError


class Direct(Gateway):
    name = "direct"

    def __init__(self, url: str = ZOOM_API, *, explicit: bool = False) -> None:
        super().__init__(url)
        self.explicit = explicit   # a user-set base_url wins over a token's regional api_url

    @classmethod
    def from_settings(cls, base_url: str | None) -> "Direct":
        return cls(base_url, explicit=True) if base_url else cls()

    def with_base(self, url: str) -> "Direct":
        return Direct(url, explicit=True)

    def url(self, zoom_base: str | None, path: str, query: str, server: str | None = None) -> str:
        base = self.base if (self.explicit or not zoom_base) else zoom_base
        if server and not self.explicit and server.rstrip("/") != ZOOM_API:
            base = server.rstrip("/")
        return f"{base}{path}?{query}" if query else base + path

    def __repr__(self) -> str:
        return f"Direct({self.base!r})"


class Lava(Gateway):
    name = "lava"
    key_env = "LAVA_SECRET_KEY"
    json_body_on_non_get = True

    def __init__(self, secret_key: str | Secret | None = None, url: str = LAVA_FORWARD,
                 zoom_base: str = ZOOM_API) -> None:
        super().__init__(url)
        secret_key = secret_key or os.environ.get("LAVA_SECRET_KEY")
        self.key = Secret(check_credential(secret_key, "the Lava secret key")) if secret_key else None
        self.zoom_base = zoom_base.rstrip("/")

    def with_base(self, url: str) -> "Lava":
        return Lava(self.key, url, self.zoom_base)

    def url(self, zoom_base: str | None, path: str, query: str, server: str | None = None) -> str:
        zoom = server.rstrip("/") if server else self.zoom_base
        target = f"{zoom}{path}?{query}" if query else zoom + path
        return f"{self.base}?u={quote(target, safe='')}"

    def __repr__(self) -> str:
        return f"Lava({self.base!r}, secret_key=***)"


class Maton(Gateway):
    name = "maton"
    key_env = "MATON_API_KEY"

    def __init__(self, api_key: str | Secret | None = None, connection: str | None = None,
                 url: str = MATON_GATEWAY) -> None:
        super().__init__(url)
        api_key = api_key or os.environ.get("MATON_API_KEY")
        self.key = Secret(check_credential(api_key, "the Maton API key")) if api_key else None
        connection = connection if connection is not None else os.environ.get("MATON_CONNECTION")
        if connection is not None and (not connection or any(c in connection for c in "\r\n\0")):
            raise ValueError("the Maton connection ID must be a non-empty single-line string")
        self.connection = connection
        self.headers = {"Maton-Connection": connection} if connection else {}

    def with_base(self, url: str) -> "Maton":
        return Maton(self.key, self.connection, url)

    def url(self, zoom_base: str | None, path: str, query: str, server: str | None = None) -> str:
        return f"{self.base}{path}?{query}" if query else self.base + path

    def __repr__(self) -> str:
        return f"Maton({self.base!r}, api_key=***, connection={self.connection!r})"


GATEWAYS: dict[str, type[Gateway]] = {"direct": Direct, "lava": Lava, "maton": Maton}


def resolve(gateway: "Gateway | str | None", base_url: str | None) -> Gateway:
    """A Gateway from the toolkit's ``gateway`` (or ``route``) and ``base_url`` arguments."""
    if gateway is None:
        gateway = os.environ.get("ZOOM_GATEWAY") or os.environ.get("ZOOM_ROUTE") or "direct"
    if isinstance(gateway, str):
        cls = GATEWAYS.get(gateway.strip().lower())
        if cls is None:
            raise ValueError(f"unknown gateway {gateway!r}; use one of: {', '.join(GATEWAYS)}")
        return cls.from_settings(base_url)
    if not isinstance(gateway, Gateway):
        raise TypeError(f"gateway must be one of {', '.join(map(repr, GATEWAYS))} or a Gateway instance")
    return gateway.with_base(base_url) if base_url else gateway


Route = Gateway   # the name before gateways had their own module
