"""Connected accounts: Zoom credentials kept in the store, one or more per end user.

A connection is ``(user_id, name)`` (Composio's model: one end user may hold
several Zoom connections, each named; a CLI user is ``default``), of one
kind: ``user_oauth`` (from the connect flow: access and refresh token),
``server_to_server`` (account ID, client ID and secret) or ``token`` (a
bearer token obtained elsewhere). Secrets are sealed by the vault before
they reach the store; the record beside them holds nothing secret.

Refreshing is shared: the access token and the rotated refresh token are
written back to the store, in one write, before the new access token is
used, and a refresh takes the store's lock for that connection (a file lock
on SQLite, a Redis lock on Redis), then rereads the store, so N processes
that need a fresh token at once spend the old refresh token exactly once
and the others use what the first one stored. The rule (and the 401's
compare-and-invalidate) is :mod:`.shared_token`'s; a connection is one
:class:`ConnectionSlot` of it.
"""

from __future__ import annotations

import re
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any, Iterator

from .auth import DEFAULT_TOKEN_URL, AuthFailure, ServerToServer, StaticToken, UserOAuth
from .redact import Secret
from .shared_token import SharedToken, TokenSlot
from .store import Store, open_store
from .vault import Vault

NAMESPACE = "connections"
DEFAULT_USER = "default"
KINDS = ("user_oauth", "server_to_server", "token")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,99}$")


class ConnectionLookupError(LookupError):
    """No such connection, or an ambiguous choice; the message says what exists."""


class AuthorizationRequired(ConnectionLookupError):
    """The end user has not connected a Zoom account (yet)."""

    def __init__(self, message: str, user_id: str, name: str | None) -> None:
        super().__init__(message)
        self.user_id, self.name = user_id, name


@dataclass
class Connection:
    user_id: str
    name: str
    kind: str
    client_id: str | None = None
    account_id: str | None = None
    token_url: str = DEFAULT_TOKEN_URL
    scopes: list[str] = field(default_factory=list)
    zoom_user: dict | None = None      # who connected (id, email), when Zoom said
    created: int = 0
    updated: int = 0
    expires_at: float | None = None    # epoch seconds of the stored access token, if any

    @property
    def key(self) -> str:
        return f"{self.user_id}/{self.name}"

    def public(self) -> dict:
        """Everything but the secrets (which are not on this object anyway)."""
        return asdict(self)


def check_name(value: str, what: str) -> str:
    if not isinstance(value, str) or not _NAME.match(value):
        raise ValueError(f"{what} must be 1-100 letters, digits, '_', '.', '@' or '-' (got {value!r})")
    return value


class Connections:
    """The connections in a store."""

    def __init__(self, store: Store | str | None = None, vault: Vault | None = None) -> None:
        self.store = store if store is not None and not isinstance(store, str) else open_store(store)
        self.vault = vault or Vault()

    # --- records ---------------------------------------------------------------------

    def save(self, conn: Connection, secrets: dict[str, Any]) -> Connection:
        check_name(conn.user_id, "user_id")
        check_name(conn.name, "the connection name")
        if conn.kind not in KINDS:
            raise ValueError(f"unknown connection kind {conn.kind!r}")
        now = int(time.time())
        conn.created = conn.created or now
        conn.updated = now
        sealed = self.vault.seal({k: v for k, v in secrets.items() if v is not None})
        self.store.put(NAMESPACE, conn.key, {"connection": conn.public(), "secrets": sealed})
        return conn

    def _record(self, key: str) -> dict | None:
        return self.store.get(NAMESPACE, key)

    def load(self, user_id: str, name: str) -> tuple[Connection, dict[str, Any]]:
        record = self._record(f"{user_id}/{name}")
        if record is None:
            raise self._missing(user_id, name)
        return Connection(**record["connection"]), self.vault.open(record["secrets"])

    def get(self, name: str, user_id: str = DEFAULT_USER) -> Connection:
        record = self._record(f"{user_id}/{name}")
        if record is None:
            raise self._missing(user_id, name)
        return Connection(**record["connection"])

    def list(self, user_id: str | None = None) -> list[Connection]:
        out = [Connection(**r["connection"]) for _, r in self.store.items(NAMESPACE)]
        return [c for c in out if user_id is None or c.user_id == user_id]

    def delete(self, name: str, user_id: str = DEFAULT_USER) -> bool:
        return self.store.delete(NAMESPACE, f"{user_id}/{name}")

    def resolve(self, name: str | None = None, user_id: str | None = None) -> Connection:
        """The connection a call means: by name (for ``user_id``, default
        ``default``); by ``user_id`` alone, that user's only connection (or
        the one named ``default``)."""
        user = user_id or DEFAULT_USER
        if name:
            return self.get(name, user)
        mine = self.list(user)
        if len(mine) == 1:
            return mine[0]
        named = [c for c in mine if c.name == DEFAULT_USER]
        if named:
            return named[0]
        if not mine:
            raise self._missing(user, None)
        raise ConnectionLookupError(f"user {user!r} has {len(mine)} Zoom connections ({', '.join(c.name for c in mine)}): "
                               "say which with connection=")

    def _missing(self, user_id: str, name: str | None) -> AuthorizationRequired:
        which = f"no Zoom connection named {name!r}" if name else "no Zoom connection"
        return AuthorizationRequired(f"{which} for user {user_id!r}", user_id, name)

    # --- credentials -------------------------------------------------------------------

    def provider(self, conn: Connection):
        """An auth provider that reads and writes this connection in the store."""
        _, secrets = self.load(conn.user_id, conn.name)
        if conn.kind == "token":
            return StaticToken(secrets["access_token"])
        if conn.kind == "server_to_server":
            return StoredServerToServer(self, conn, secrets)
        return StoredUserOAuth(self, conn, secrets)

    def write_tokens(self, conn: Connection, access_token: str, expires_at: float | None,
                     refresh_token: str | None = None, api_base: str | None = None) -> None:
        """Store a fresh access token (and a rotated refresh token, and the regional API base the
        token endpoint named: sealed, as it says where the token is sent) in one write."""
        current, secrets = self.load(conn.user_id, conn.name)
        secrets["access_token"] = access_token
        if refresh_token:
            secrets["refresh_token"] = refresh_token
        if api_base:
            secrets["api_base"] = api_base
        current.expires_at = expires_at
        self.save(current, secrets)

    @contextmanager
    def refreshing(self, conn: Connection, timeout: float = 60.0) -> Iterator[dict[str, Any]]:
        """Hold this connection's refresh lock; yields the secrets as stored now."""
        with self.store.lock(f"refresh:{conn.key}", timeout=timeout):
            current, secrets = self.load(conn.user_id, conn.name)
            yield {**secrets, "expires_at": current.expires_at}


class ConnectionSlot(TokenSlot):
    """A stored connection's token: its record, under the lock ``refresh:<user>/<name>``."""

    def __init__(self, connections: Connections, conn: Connection) -> None:
        self.connections, self.conn = connections, conn

    def describe(self) -> str:
        return f"the token of connection {self.conn.name!r} of user {self.conn.user_id!r}"

    def locked(self):
        return self.connections.refreshing(self.conn)

    def write(self, access_token: str, expires_at: float | None, refresh_token: str | None = None,
              api_base: str | None = None) -> None:
        self.connections.write_tokens(self.conn, access_token, expires_at, refresh_token, api_base=api_base)

    def drop(self) -> None:
        current, secrets = self.connections.load(self.conn.user_id, self.conn.name)
        if secrets.pop("access_token", None) is not None:
            current.expires_at = None
            self.connections.save(current, secrets)


class StoredUserOAuth(SharedToken, UserOAuth):
    kind = "user_oauth"

    def __init__(self, connections: Connections, conn: Connection, secrets: dict[str, Any]) -> None:
        self.connections, self.conn = connections, conn
        self.slot = ConnectionSlot(connections, conn)
        UserOAuth.__init__(self, conn.client_id or "", secrets["client_secret"], secrets["refresh_token"],
                           token_url=conn.token_url)
        self.on_refresh_token = lambda _value: None   # the store keeps it: no warning about a lost token
        self._load_stored({**secrets, "expires_at": conn.expires_at})

    def _reload(self, secrets: dict[str, Any]) -> None:
        self._load_stored(secrets)
        if secrets.get("refresh_token"):
            self._refresh = Secret(secrets["refresh_token"], pinned=True)   # another process may have rotated it

    def _accept_extra(self, body: dict) -> None:
        UserOAuth._accept_extra(self, body)
        self._persist(body)   # before the token is handed to the call

    def _advice(self, status: int, body: dict) -> str:
        return (f"The connection {self.conn.name!r} of user {self.conn.user_id!r} can no longer be refreshed "
                f"(revoked, expired, or its refresh token was used elsewhere): connect it again "
                f"(`zoom-actions connect {self.conn.name}`).")

    def __repr__(self) -> str:
        return f"StoredUserOAuth(connection={self.conn.key!r})"


class StoredServerToServer(SharedToken, ServerToServer):
    kind = "server_to_server"

    def __init__(self, connections: Connections, conn: Connection, secrets: dict[str, Any]) -> None:
        self.connections, self.conn = connections, conn
        self.slot = ConnectionSlot(connections, conn)
        ServerToServer.__init__(self, conn.account_id or "", conn.client_id or "", secrets["client_secret"],
                                token_url=conn.token_url)
        self._load_stored({**secrets, "expires_at": conn.expires_at})

    def _accept_extra(self, body: dict) -> None:
        ServerToServer._accept_extra(self, body)
        self._persist(body)   # one token for every process using this connection

    def __repr__(self) -> str:
        return f"StoredServerToServer(connection={self.conn.key!r})"


class TokenRegistry:
    """One TokenManager per stored connection a Toolkit calls with, so that a
    connection's token is fetched once however many calls use it."""

    def __init__(self, store: Store | str | None = None) -> None:
        import threading
        self.connections = Connections(store)
        self._managers: dict[tuple, Any] = {}
        self._lock = threading.Lock()

    def manager(self, connection: str | None, user_id: str | None, *, plan_name: str | None = None,
                connect_url: str | None = None):
        """The TokenManager, or an envelope (authorization required, or why not)."""
        from .auth import TokenManager
        key = (connection, user_id)
        found = self._managers.get(key)
        if found is not None:
            return found
        with self._lock:
            found = self._managers.get(key)
            if found is None:
                try:
                    found = TokenManager(self.connections.provider(self.connections.resolve(connection, user_id)))
                except AuthorizationRequired as exc:
                    return authorization_required(exc, plan_name or "{action}", connect_url)
                except (ConnectionLookupError, ValueError, RuntimeError) as exc:
                    return {"data": None, "successful": False, "error": f"{exc}. Nothing was sent to Zoom."}
                self._managers[key] = found
        return found


def authorization_required(exc: AuthorizationRequired, action: str, connect_url: str | None) -> dict:
    """The envelope for a call made on behalf of a user with no connection:
    what to tell the user, and where they connect (Arcade's "authorization
    required" result)."""
    if connect_url:
        from urllib.parse import urlencode
        sep = "&" if "?" in connect_url else "?"
        url = connect_url + sep + urlencode({"user_id": exc.user_id, **({"name": exc.name} if exc.name else {})})
        how = f"Ask the user to open {url} and allow access; then call {action} again."
    else:
        url = None
        how = (f"Ask the user to run `zoom-actions connect{' ' + exc.name if exc.name else ''}` and allow access "
               f"in the browser; then call {action} again.")
    return {"data": {"authorization_required": True, "connect_url": url, "user_id": exc.user_id,
                     "connection": exc.name, "message_for_user": "Connect your Zoom account to continue."},
            "successful": False,
            "error": f"Authorization required: {exc} (nothing was sent to Zoom). {how}"}


__all__ = ["AuthFailure", "AuthorizationRequired", "Connection", "Connections", "DEFAULT_USER",
           "authorization_required"]
