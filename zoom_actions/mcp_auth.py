"""Who may talk to the MCP server over HTTP, and from where.

Clients present a bearer token the server issued (``zoom-actions mcp tokens
create --name cursor-laptop``): a random 256-bit secret shown once, kept in
the store only as its SHA-256 digest beside its name. The token's name is
the client's identity (the tool calls it makes can later pick a connection
and a policy by it). A request without a valid token gets 401 with
``WWW-Authenticate: Bearer`` and the protected-resource metadata URL (the MCP
authorization spec's resource-server half, served by the SDK).

Host and Origin are checked on every address the server listens on
(DNS-rebinding protection): a request whose ``Host`` is not one of the
server's own names gets 421, a browser ``Origin`` that is not one of them
403, before anything else runs. Listening beyond loopback without
authentication is refused.
"""

from __future__ import annotations

import hashlib
import ipaddress
import secrets
import time
from typing import Any

from .store import Store

NAMESPACE = "mcp-tokens"        # name -> {sha256, created, prefix}
BY_DIGEST = "mcp-token-digests"  # sha256 -> {name}
TOKEN_PREFIX = "zat_"


class AuthConfigError(ValueError):
    """A server configuration that would expose the actions; the message says what to do."""


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(store: Store, name: str, *, connection: str | None = None, user_id: str | None = None) -> str:
    """A new token for client ``name`` (shown once: only its digest is kept).
    ``connection`` / ``user_id``: the stored Zoom connection this client's
    calls use (default: the server's own credentials)."""
    name = name.strip()
    if not name or len(name) > 100 or not all(c.isalnum() or c in "-_." for c in name):
        raise ValueError("a token name is 1-100 letters, digits, '-', '_' or '.'")
    if store.get(NAMESPACE, name) is not None:
        raise ValueError(f"a token named {name!r} exists; revoke it first (`zoom-actions mcp tokens revoke {name}`)")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    digest = _digest(token)
    store.put(BY_DIGEST, digest, {"name": name})
    store.put(NAMESPACE, name, {"sha256": digest, "created": int(time.time()), "hint": token[:8] + "...",
                                "connection": connection, "user_id": user_id})
    return token


def list_tokens(store: Store) -> list[dict]:
    """Every token's name, creation time and first characters (never the secret)."""
    return [{"name": n, "created": r["created"], "hint": r["hint"], "connection": r.get("connection"),
             "user_id": r.get("user_id")} for n, r in store.items(NAMESPACE)]


def revoke_token(store: Store, name: str) -> bool:
    record = store.get(NAMESPACE, name)
    if record is None:
        return False
    store.delete(BY_DIGEST, record["sha256"])
    return store.delete(NAMESPACE, name)


def client_for(store: Store, token: str) -> str | None:
    """The name of the client holding ``token``, or None."""
    record = client_record(store, token)
    return record["name"] if record else None


def client_record(store: Store, token: str) -> dict | None:
    """The client holding ``token``: ``{name, connection, user_id}``, or None."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    digest = _digest(token)
    record = store.get(BY_DIGEST, digest)
    if record is None:
        return None
    current = store.get(NAMESPACE, record["name"])   # revoked tokens leave no name behind
    if current is None or not secrets.compare_digest(current["sha256"], digest):
        return None
    return {"name": record["name"], "connection": current.get("connection"), "user_id": current.get("user_id")}


class StoreTokenVerifier:
    """The MCP SDK's ``TokenVerifier`` over the store's issued tokens."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def verify_token(self, token: str) -> Any:
        from mcp.server.auth.provider import AccessToken
        import anyio
        record = await anyio.to_thread.run_sync(client_record, self.store, token)
        if record is None:
            return None
        return AccessToken(token=token, client_id=record["name"], scopes=[],
                           claims={"connection": record["connection"], "user_id": record["user_id"]})


def caller_agent() -> str | None:
    """The authenticated MCP client of this request: its token's name is the agent a policy names."""
    try:
        from mcp.server.auth.middleware.auth_context import get_access_token
    except ImportError:
        return None
    token = get_access_token()
    return token.client_id if token is not None else None


def caller_connection() -> tuple[str | None, str | None]:
    """(connection, user_id) of the authenticated MCP client of this request, if any."""
    try:
        from mcp.server.auth.middleware.auth_context import get_access_token
    except ImportError:
        return None, None
    token = get_access_token()
    claims = (token.claims or {}) if token is not None else {}
    return claims.get("connection"), claims.get("user_id")


# --- where the server listens ------------------------------------------------------

def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_listen(host: str, *, authenticated: bool) -> None:
    """Refuse to expose the actions: beyond loopback, a token is required."""
    if not authenticated and not is_loopback(host):
        raise AuthConfigError(
            f"refusing to listen on {host} without authentication: anyone who reaches it could call Zoom with "
            "this server's credentials. Create a client token (`zoom-actions mcp tokens create --name NAME`) and "
            "drop --no-auth, or listen on 127.0.0.1")


def allowed_hosts(host: str, extra: list[str] | tuple[str, ...] = ()) -> tuple[list[str], list[str]]:
    """(Host header values, Origin values) the server answers to, any port."""
    names = [host if ":" not in host else f"[{host.strip('[]')}]"]
    if host in ("0.0.0.0", "::", "[::]"):   # every address: the machine's own names (others by --allowed-host)
        import socket
        names = [socket.gethostname(), socket.getfqdn()]
    if is_loopback(host) or host in ("0.0.0.0", "::", "[::]"):
        names += ["127.0.0.1", "localhost", "[::1]"]
    names += list(extra)
    names = list(dict.fromkeys(names))
    return [f"{n}:*" for n in names] + names, [f"{s}://{n}:*" for n in names for s in ("http", "https")] + \
        [f"{s}://{n}" for n in names for s in ("http", "https")]


class HostCheck:
    """ASGI middleware: 421 for a foreign Host, 403 for a foreign Origin, before auth or MCP."""

    def __init__(self, app, hosts: list[str], origins: list[str]) -> None:
        self.app = app
        self.hosts = hosts
        self.origins = origins

    @staticmethod
    def _match(value: str, patterns: list[str]) -> bool:
        value = value.lower()
        for p in patterns:
            p = p.lower()
            if p.endswith(":*"):
                base = p[:-2]
                if value == base or (value.startswith(base + ":") and value[len(base) + 1:].isdigit()):
                    return True
            elif value == p:
                return True
        return False

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
            host, origin = headers.get("host", ""), headers.get("origin")
            status, text = None, b""
            if not self._match(host, self.hosts):
                status, text = 421, b"Misdirected request: unknown Host"
            elif origin is not None and not self._match(origin, self.origins):
                status, text = 403, b"Forbidden: unknown Origin"
            if status:
                await send({"type": "http.response.start", "status": status,
                            "headers": [(b"content-type", b"text/plain"), (b"content-length", str(len(text)).encode())]})
                await send({"type": "http.response.body", "body": text})
                return
        await self.app(scope, receive, send)
