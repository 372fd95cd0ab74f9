"""One access token per credential, shared by every process on the store.

Zoom invalidates a Server-to-Server token when another one is fetched for
the same app and account, so workers that each fetch their own keep
knocking out each other's; a user-OAuth refresh token works once, so two
processes that refresh at once lock one of them out. Every token that lives
beyond one process follows one rule, kept here:

- the token is in the store, sealed by the vault (:mod:`.vault`), with its
  expiry on the wall clock (shared across hosts) and the regional API base
  the token endpoint named (sealed too: it says where the token is sent);
- a process uses its copy until 60 s before that expiry; then it takes the
  store's lock for the token (a file lock on SQLite, a Redis lock on
  Redis), rereads the store and fetches only if what is stored is due as
  well; what it fetched is written back before it is used, so the others,
  queued on the lock, reread it instead of fetching;
- a 401 (Zoom's code 124, an invalid or revoked token) drops the stored
  token under the lock only if it is still the one that failed
  (compare-and-invalidate): N workers hit by one revocation cause one fetch;
- a store that cannot be locked or read fails the call with an envelope
  that says so: a token fetched behind the others' back would invalidate
  theirs (a Server-to-Server token) or spend a refresh token the store
  would never hear of (user OAuth).

:class:`TokenSlot` is where one such token lives; :class:`SharedToken` is the
provider side of the rule. A stored connection has a slot in its record
(:mod:`.connections`); a direct Server-to-Server credential
(``Toolkit(account_id=, client_id=, client_secret=)`` or the ``ZOOM_*``
environment) gets one from :func:`share_token` when a store is configured
(``store=`` or ``ZOOM_ACTIONS_STORE``), under a key that hashes (token URL,
account ID, client ID) -- never the secret; so does a direct user-OAuth
credential (``ZOOM_CLIENT_ID``/``_SECRET``/``_REFRESH_TOKEN``), keyed by the
hash of the refresh token the processes started with, its slot keeping the
newest refresh token Zoom rotated it to. Its token is sealed with
``ZOOM_ACTIONS_SECRET_KEY``, the key connections use; without that key the
token is not shared (the vault never stores a token in clear): the toolkit
fetches its own, as before, and one warning says why.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
from contextlib import contextmanager
from typing import Any, Iterator

from .auth import AuthFailure, ServerToServer, UserOAuth, _trusted_api_base
from .redact import Secret, scrub

log = logging.getLogger("zoom_actions")

NAMESPACE = "tokens"
REUSE_MARGIN = 60.0     # s before expiry: the token is replaced, not used
LOCK_TIMEOUT = 30.0     # s to wait for another process's fetch
_warned = threading.Event()


class TokenSlot:
    """Where one shared token lives. ``locked()`` holds the token's lock
    and yields what is stored (``access_token``, ``expires_at``,
    ``api_base``, and a connection's other secrets); ``write`` and ``drop``
    are called while it is held."""

    def describe(self) -> str:
        raise NotImplementedError

    def locked(self):
        raise NotImplementedError

    def write(self, access_token: str, expires_at: float | None, refresh_token: str | None = None,
              api_base: str | None = None) -> None:
        raise NotImplementedError

    def drop(self) -> None:
        """Forget the stored access token (the caller compared it, under the lock)."""
        raise NotImplementedError


def credential_key(token_url: str, account_id: str, client_id: str) -> str:
    """The store key of a direct credential's token: a hash, so the store names no account or app."""
    raw = json.dumps([token_url, account_id, client_id], separators=(",", ":"))
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


class CredentialSlot(TokenSlot):
    """A direct credential's token: one record in the ``tokens`` namespace. For user OAuth the record
    also keeps the newest refresh token (Zoom rotates it on every use), which dropping the access token
    keeps."""

    def __init__(self, store, vault, key: str, *, owns_store: bool = False, kind: str = "server_to_server") -> None:
        self.store, self.vault, self.key, self.owns_store, self.kind = store, vault, key, owns_store, kind

    def describe(self) -> str:
        if self.kind == "user_oauth":
            return "the user-OAuth token shared by every process holding this refresh token"
        return "the Server-to-Server token shared by every process on this account"

    @contextmanager
    def locked(self) -> Iterator[dict]:
        with self.store.lock(f"token:{self.key}", timeout=LOCK_TIMEOUT):
            yield self._read()

    def _read(self) -> dict:
        record = self.store.get(NAMESPACE, self.key)
        if not record or not record.get("sealed"):
            return {}
        return {**self.vault.open(record["sealed"]), "expires_at": record.get("expires_at")}

    def write(self, access_token: str | None, expires_at: float | None, refresh_token: str | None = None,
              api_base: str | None = None) -> None:
        if self.kind == "user_oauth" and refresh_token is None:
            refresh_token = self._read().get("refresh_token")   # the endpoint kept it: so does the store
        payload = {k: v for k, v in (("access_token", access_token), ("api_base", api_base),
                                     ("refresh_token", refresh_token if self.kind == "user_oauth" else None)) if v}
        self.store.put(NAMESPACE, self.key, {"kind": self.kind, "sealed": self.vault.seal(payload),
                                             "expires_at": expires_at if access_token else None,
                                             "updated": int(time.time())})

    def drop(self) -> None:
        if self.kind == "user_oauth":   # the refresh token stays: it is the only way to a new access token
            self.write(None, None)
        else:
            self.store.delete(NAMESPACE, self.key)

    def close(self) -> None:
        if self.owns_store:
            self.store.close()


def _why(exc: BaseException) -> str:
    from .store import StoreError
    from .vault import VaultError
    if isinstance(exc, (StoreError, VaultError)):
        return scrub(str(exc))   # these say what and where already (a store URL without its password)
    text = scrub(str(exc).split("\n")[0])[:200]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


@contextmanager
def holding(slot: TokenSlot) -> Iterator[dict]:
    """``slot.locked()``, with a store that cannot be locked or read turned into an
    :class:`~zoom_actions.auth.AuthFailure` that says why (the call's envelope)."""
    cm = slot.locked()
    try:
        stored = cm.__enter__()
    except AuthFailure:
        raise
    except Exception as exc:  # noqa: BLE001 - a store's errors: sockets, Redis, SQLite, a lock timeout, the vault
        raise AuthFailure(
            f"Could not get a Zoom access token: {slot.describe()} is kept in the store, which could not be "
            f"locked or read ({_why(exc)}). Nothing was sent to Zoom, and no token was fetched behind the other "
            "processes' back (it would invalidate theirs). Try again when the store is back.") from None
    try:
        yield stored
    except BaseException:
        _release(cm, slot)
        raise
    _release(cm, slot)


def _release(cm, slot: TokenSlot) -> None:
    try:
        cm.__exit__(None, None, None)
    except Exception as exc:  # noqa: BLE001 - the lock expires by itself (a Redis lock) or went with the store
        log.warning("could not release the lock of %s (%s); it expires by itself", slot.describe(), _why(exc))


class SharedToken:
    """The provider side of the rule, mixed into an OAuth provider (before it):
    expiry on the wall clock, a refresh guard that locks the slot, rereads it
    and drops a rejected token, and a write-back of what the endpoint answered."""

    slot: TokenSlot
    _token: Secret | None
    _wall_expiry: float | None = None
    _rejected: str | None = None

    def _load_stored(self, stored: dict[str, Any]) -> None:
        token, exp = stored.get("access_token"), stored.get("expires_at")
        if token and (exp is None or exp - REUSE_MARGIN > time.time()):
            self._token, self._wall_expiry = Secret(token, pinned=True), exp
            base = stored.get("api_base")
            if isinstance(base, str) and base and _trusted_api_base(base):
                self.api_base = base
        else:
            self._token, self._wall_expiry = None, None

    def current(self) -> str | None:
        tok = self._token
        if tok is None:
            return None
        if self._wall_expiry is not None and time.time() >= self._wall_expiry - REUSE_MARGIN:
            return None
        return tok.reveal()

    def expires_in(self) -> float | None:
        exp = self._wall_expiry
        return None if exp is None or self._token is None else max(0.0, exp - REUSE_MARGIN - time.time())

    def invalidate(self, failed: str) -> None:
        self._rejected = failed          # dropped from the store, if it is still there, under the lock
        tok = self._token
        if tok is not None and tok.reveal() == failed:
            self._token = None

    @contextmanager
    def refresh_guard(self):
        with holding(self.slot) as stored:
            failed, self._rejected = self._rejected, None
            if failed is not None and stored.get("access_token") == failed:
                self.slot.drop()         # still the token Zoom rejected: nobody refetched it meanwhile
                stored = {k: v for k, v in stored.items() if k != "access_token"}
            self._reload(stored)
            yield

    def _reload(self, stored: dict[str, Any]) -> None:
        self._load_stored(stored)

    def _persist(self, body: dict) -> None:
        """Write what the token endpoint answered back to the slot, before the token is used."""
        expires_in = body.get("expires_in")
        exp = time.time() + expires_in if isinstance(expires_in, (int, float)) and not isinstance(
            expires_in, bool) and expires_in > 0 else None
        self._wall_expiry = exp
        new_refresh = body.get("refresh_token") if isinstance(body.get("refresh_token"), str) else None
        try:
            self.slot.write(body["access_token"], exp, new_refresh, api_base=getattr(self, "api_base", None))
        except Exception as exc:  # noqa: BLE001 - the token is fetched (the old one may be gone): use it here
            log.error("could not store the new token of %s (%s): this process uses it, the others will fetch "
                      "their own", self.slot.describe(), _why(exc))


class SharedServerToServer(SharedToken, ServerToServer):
    """A direct Server-to-Server credential whose token is shared through a :class:`CredentialSlot`."""

    kind = "server_to_server"

    def __init__(self, slot: CredentialSlot, account_id: str, client_id: str, client_secret: str | Secret,
                 token_url: str) -> None:
        ServerToServer.__init__(self, account_id, client_id, client_secret, token_url=token_url)
        self.slot = slot
        self._wall_expiry = None   # nothing read yet: the first call takes the lock and reads the store

    def _accept_extra(self, body: dict) -> None:
        ServerToServer._accept_extra(self, body)
        self._persist(body)        # one token for every process on the account

    def close(self) -> None:
        self.slot.close()

    def __repr__(self) -> str:
        return (f"SharedServerToServer(account_id={self.account_id!r}, client_id={self.client_id!r}, "
                "client_secret=***)")


class SharedUserOAuth(SharedToken, UserOAuth):
    """A direct user-OAuth credential (``ZOOM_CLIENT_ID``/``_SECRET``/``_REFRESH_TOKEN``) whose access
    token and rotating refresh token are shared through a :class:`CredentialSlot`: one process refreshes,
    under the slot's lock, and writes both back before using them; the others reread them."""

    kind = "user_oauth"

    def __init__(self, slot: CredentialSlot, given: UserOAuth) -> None:
        UserOAuth.__init__(self, given.client_id, given._client_secret, given._refresh,
                           on_refresh_token=given.on_refresh_token, token_url=given.token_url)
        self.slot = slot
        self._wall_expiry = None   # nothing read yet: the first call takes the lock and reads the store

    def _reload(self, stored: dict[str, Any]) -> None:
        self._load_stored(stored)
        if stored.get("refresh_token"):   # another process may have rotated it
            self._refresh = Secret(stored["refresh_token"], pinned=True)

    def _accept_extra(self, body: dict) -> None:
        UserOAuth._accept_extra(self, body)
        self._persist(body)        # the new refresh token reaches the store before the access token is used

    def close(self) -> None:
        self.slot.close()

    def __repr__(self) -> str:
        return f"SharedUserOAuth(client_id={self.client_id!r}, client_secret=***, refresh_token=***)"


def configured_store(store: Any) -> Any:
    """``store=`` or ``$ZOOM_ACTIONS_STORE``; None when neither says (the SQLite default is not used
    for sharing: a toolkit that never asked for a store does not start writing one)."""
    from .store import ENV
    if store is not None:
        return store
    return os.environ.get(ENV, "").strip() or None


def share_token(provider, store: Any = None):
    """``(provider, why_not)``: a direct Server-to-Server or user-OAuth provider made shared through the
    configured store, or the provider unchanged (any other kind, no store, no vault key); ``(None,
    message)`` when the store or the key is misconfigured (every call's envelope then says which)."""
    if type(provider) not in (ServerToServer, UserOAuth):
        return provider, None
    where = configured_store(store)
    if where is None:
        return provider, None
    from .store import StoreError, open_store
    from .vault import ENV as KEY_ENV, Vault, VaultError
    try:
        vault = Vault()
    except VaultError as exc:
        return None, f"{exc}. Nothing was sent to Zoom."
    if not vault.can_seal:
        if not _warned.is_set():
            _warned.set()
            log.warning("the %s token is not shared through the store: set %s (a Fernet key; "
                        "`zoom-actions connections keygen` prints one) so it is kept there encrypted; until "
                        "then each process fetches its own (%s)",
                        "user-OAuth" if type(provider) is UserOAuth else "Server-to-Server", KEY_ENV,
                        "Zoom rotates the refresh token: a second process refreshing is refused"
                        if type(provider) is UserOAuth else "Zoom invalidates the previous one each time")
        return provider, None
    owns = isinstance(where, (str, os.PathLike))
    try:
        opened = open_store(where) if owns else where
    except StoreError as exc:
        return None, f"{exc}. Nothing was sent to Zoom."
    if type(provider) is UserOAuth:
        # keyed by the refresh token the processes were started with (hashed): they all find the slot
        # that holds its newest successor, however often it has rotated since
        start = "refresh:" + hashlib.sha256(provider._refresh.reveal().encode()).hexdigest()
        slot = CredentialSlot(opened, vault, credential_key(provider.token_url, start, provider.client_id),
                              owns_store=owns, kind="user_oauth")
        return SharedUserOAuth(slot, provider), None
    slot = CredentialSlot(opened, vault, credential_key(provider.token_url, provider.account_id, provider.client_id),
                          owns_store=owns)
    return SharedServerToServer(slot, provider.account_id, provider.client_id, provider._client_secret,
                                provider.token_url), None
