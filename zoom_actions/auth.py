"""Access tokens: static, Server-to-Server OAuth, user OAuth with refresh.

A provider knows how to build its token request and read the answer; the
:class:`TokenManager` does the I/O single-flight (one token request however
many callers need a token at once, threads or coroutines) and the
compare-and-invalidate that makes a 401/124 refresh the token exactly once.

- ``StaticToken``: a bearer token you got elsewhere; never refreshed.
- ``ServerToServer``: ``POST https://zoom.us/oauth/token`` with
  ``grant_type=account_credentials&account_id=...`` and HTTP Basic
  ``client_id:client_secret``; cached until 60 s (or a tenth of its life)
  before expiry; a regional ``api_url`` in the answer is honoured.
- ``UserOAuth``: ``grant_type=refresh_token``. Zoom rotates refresh tokens:
  the newest is kept and handed to ``on_refresh_token`` so it can be stored.
- ``GatewayKey``: the key of a gateway route (Lava, Maton) that attaches
  the Zoom token itself.

A token shared beyond this process (a stored connection's, or a direct
Server-to-Server credential's when a store is configured) follows the rule
in :mod:`.shared_token`: the provider's ``refresh_guard`` locks it in the
store and rereads it, so one process fetches for all.
"""

from __future__ import annotations

import base64
import inspect
from contextlib import nullcontext
import json
import logging
import os
import threading
import time
from typing import Any, Callable
from urllib.parse import urlencode, urlsplit

from .redact import Secret, check_credential, remember, scrub

log = logging.getLogger("zoom_actions")

DEFAULT_TOKEN_URL = "https://zoom.us/oauth/token"
_TRUSTED_API_HOSTS = ("zoom.us", "zoomgov.com")


class AuthFailure(Exception):
    """No usable token; the message is safe to show (secrets scrubbed)."""

    def __init__(self, message: str) -> None:
        super().__init__(scrub(message))


def token_body(content: bytes) -> dict:
    """A token endpoint's answer as a dict ({} when it is not a JSON object, or nested past the
    parser's depth), with the tokens in it masked from then on."""
    try:
        body: Any = json.loads(content) if content else {}
    except (ValueError, RecursionError):
        body = {}
    if not isinstance(body, dict):
        body = {}
    for key in ("access_token", "refresh_token"):
        if isinstance(body.get(key), str):
            remember(body[key])
    return body


class Provider:
    kind = "none"
    refreshable = False
    api_base: str | None = None   # a regional API base learned from the token endpoint

    def current(self) -> str | None:
        """A cached, still-valid token, or None when one must be fetched."""
        raise NotImplementedError

    def invalidate(self, failed: str) -> None:
        """Zoom rejected ``failed``; drop it if it is still the cached one."""

    def expires_in(self) -> float | None:
        """Seconds until the cached token is due for replacement (None: unknown or nothing cached);
        a long-lived connection that carries a token (Zoom's event WebSocket) reconnects then."""
        return None

    def token_request(self) -> tuple[str, dict[str, str], bytes]:
        raise AuthFailure("this credential cannot be refreshed")

    def accept(self, status: int, content: bytes) -> str:
        raise NotImplementedError

    def callback_value(self) -> str | None:
        """A rotated refresh token to hand to the user's callback, once."""
        return None

    def refresh_guard(self):
        """Held around a token request: a provider whose token is shared
        beyond this process (a stored connection) locks it there and rereads
        it, so that a token another process just fetched is used instead."""
        return nullcontext()


class StaticToken(Provider):
    kind = "static"

    def __init__(self, token: str | Secret, what: str = "the access token") -> None:
        self._token = Secret(check_credential(token, what), pinned=True)

    def current(self) -> str | None:
        return self._token.reveal()

    def __repr__(self) -> str:
        return "StaticToken(token=***)"


class GatewayKey(StaticToken):
    def __init__(self, key: str | Secret, kind: str) -> None:
        super().__init__(key, f"the {kind} key")
        self.kind = kind

    def __repr__(self) -> str:
        return f"GatewayKey(kind={self.kind!r}, key=***)"


class _OAuthProvider(Provider):
    refreshable = True
    _grant = ""

    def __init__(self, client_id: str, client_secret: str | Secret, token_url: str) -> None:
        self.client_id = client_id
        self._client_secret = Secret(check_credential(client_secret, "the client secret"), pinned=True)
        self.token_url = token_url
        self._token: Secret | None = None
        self._expires_at: float | None = None   # monotonic; None: unknown (valid until rejected)

    def current(self) -> str | None:
        tok = self._token
        if tok is None:
            return None
        exp = self._expires_at
        if exp is not None and time.monotonic() >= exp:
            return None
        return tok.reveal()

    def invalidate(self, failed: str) -> None:
        tok = self._token
        if tok is not None and tok.reveal() == failed:
            self._token = None

    def expires_in(self) -> float | None:
        exp = self._expires_at
        return None if exp is None or self._token is None else max(0.0, exp - time.monotonic())

    def _basic(self) -> str:
        raw = f"{self.client_id}:{self._client_secret.reveal()}".encode()
        encoded = base64.b64encode(raw).decode()
        remember(encoded)
        return "Basic " + encoded

    def _form(self) -> dict[str, str]:
        raise NotImplementedError

    def token_request(self) -> tuple[str, dict[str, str], bytes]:
        headers = {"Authorization": self._basic(), "Content-Type": "application/x-www-form-urlencoded",
                   "Accept": "application/json"}
        return self.token_url, headers, urlencode(self._form()).encode()

    def accept(self, status: int, content: bytes) -> str:
        body = token_body(content)
        if status != 200 or not isinstance(body.get("access_token"), str) or not body["access_token"]:
            reason = body.get("reason") or body.get("error_description") or body.get("message") or ""
            error = body.get("error") or ""
            detail = ", ".join(str(x) for x in (error, reason) if x) or (
                scrub(content[:4096].decode("utf-8", "replace")) if content else "no body")
            detail = scrub(detail)[:200]   # masked first: a cut must not leave a secret's prefix behind
            if 300 <= status < 400:
                detail = "a redirect, which is never followed for a token request (it would carry the credentials " \
                         "elsewhere)"
            raise AuthFailure(f"Could not get a Zoom access token from {self.token_url} "
                              f"(HTTP {status}: {detail}). {self._advice(status, body)}")
        token = body["access_token"]
        try:
            token = check_credential(token, "the access token from the token endpoint")
        except ValueError as exc:
            raise AuthFailure(f"{exc}; refusing to use it") from None
        self._token = Secret(token)
        expires_in = body.get("expires_in")
        if isinstance(expires_in, (int, float)) and not isinstance(expires_in, bool) and expires_in > 0:
            margin = min(60.0, expires_in / 10)
            self._expires_at = time.monotonic() + expires_in - margin
        else:
            self._expires_at = None
        self._accept_extra(body)
        return token

    def _accept_extra(self, body: dict) -> None:
        pass

    def _advice(self, status: int, body: dict) -> str:
        return "Check the client ID and secret."


class ServerToServer(_OAuthProvider):
    kind = "server_to_server"
    _grant = "account_credentials"

    def __init__(self, account_id: str, client_id: str, client_secret: str | Secret,
                 token_url: str = DEFAULT_TOKEN_URL) -> None:
        super().__init__(client_id, client_secret, token_url)
        self.account_id = account_id

    def _form(self) -> dict[str, str]:
        return {"grant_type": "account_credentials", "account_id": self.account_id}

    def _accept_extra(self, body: dict) -> None:
        api_url = body.get("api_url")
        if isinstance(api_url, str) and api_url:
            base = _trusted_api_base(api_url)
            if base:
                self.api_base = base
            else:
                log.warning("ignoring api_url from the token endpoint: not an https Zoom host")

    def _advice(self, status: int, body: dict) -> str:
        return ("Check ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET, and that the Server-to-Server "
                "OAuth app is activated.")

    def __repr__(self) -> str:
        return f"ServerToServer(account_id={self.account_id!r}, client_id={self.client_id!r}, client_secret=***)"


class UserOAuth(_OAuthProvider):
    kind = "user_oauth"
    _grant = "refresh_token"

    def __init__(self, client_id: str, client_secret: str | Secret, refresh_token: str | Secret,
                 access_token: str | Secret | None = None,
                 on_refresh_token: Callable[[str], Any] | None = None,
                 token_url: str = DEFAULT_TOKEN_URL) -> None:
        super().__init__(client_id, client_secret, token_url)
        self._refresh = Secret(check_credential(refresh_token, "the refresh token"), pinned=True)
        self.on_refresh_token = on_refresh_token
        self._pending_callback: Secret | None = None
        if access_token:
            self._token = Secret(check_credential(access_token, "the access token"), pinned=True)

    def _form(self) -> dict[str, str]:
        return {"grant_type": "refresh_token", "refresh_token": self._refresh.reveal()}

    def _accept_extra(self, body: dict) -> None:
        new = body.get("refresh_token")
        if isinstance(new, str):
            new = new.strip()
        if isinstance(new, str) and new and new != self._refresh.reveal():
            self._refresh = Secret(new)
            self._pending_callback = self._refresh

    def callback_value(self) -> str | None:
        pending, self._pending_callback = self._pending_callback, None
        return pending.reveal() if pending is not None else None

    def _advice(self, status: int, body: dict) -> str:
        return ("The refresh token may be expired, revoked or already used (Zoom rotates refresh tokens: store "
                "the newest one, which the toolkit hands to on_refresh_token). Re-authorize the user.")

    def __repr__(self) -> str:
        return f"UserOAuth(client_id={self.client_id!r}, client_secret=***, refresh_token=***)"


def _trusted_api_base(api_url: str) -> str | None:
    from .gateways import is_loopback
    try:
        parts = urlsplit(api_url)
    except ValueError:
        return None
    if parts.username is not None or parts.password is not None:
        return None   # userinfo in a URL that would receive the bearer token
    host = (parts.hostname or "").lower()
    trusted = parts.scheme == "https" and any(host == h or host.endswith("." + h) for h in _TRUSTED_API_HOSTS)
    if not trusted and not (parts.scheme in ("http", "https") and is_loopback(host)):
        return None
    base = f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"
    return base if base.endswith("/v2") else base + "/v2"


class TokenManager:
    """Single-flight token fetching around a provider.

    One lock serves threads and event loops alike: a sync caller blocks on
    it, an async caller polls it without blocking its loop, so a thread and
    a coroutine (or two loops) that need a token at once cause one request,
    and a rotated refresh token is never presented twice.
    """

    def __init__(self, provider: Provider) -> None:
        self.provider = provider
        self._lock = threading.Lock()
        self.fetches = 0

    def _rejected(self, failed: str | None) -> str:
        return (f"The {self.provider.kind.replace('_', ' ')} credential was rejected and cannot be refreshed"
                if failed else "No Zoom access token is available")

    def _cached(self, failed: str | None) -> str | None:
        p = self.provider
        if failed is not None:
            p.invalidate(failed)
        tok = p.current()
        if tok is not None and tok != failed:
            return tok
        if not p.refreshable:
            raise AuthFailure(self._rejected(failed))
        return None

    def _request(self):
        self.fetches += 1
        return self.provider.token_request()

    def _unreachable(self, url: str, exc: Exception) -> AuthFailure:
        return AuthFailure(f"Could not reach the Zoom token endpoint {url}: {type(exc).__name__}: {exc}")

    def get(self, fetch: Callable[[str, dict, bytes], tuple[int, bytes]], failed: str | None = None) -> str:
        """``fetch(url, headers, body) -> (status, content)`` does the I/O, without following redirects."""
        tok = self._cached(failed)
        if tok is not None:
            return tok
        with self._lock, self.provider.refresh_guard():
            tok = self.provider.current()
            if tok is not None and tok != failed:
                return tok
            url, headers, body = self._request()
            try:
                status, content = fetch(url, headers, body)
            except Exception as exc:
                raise self._unreachable(url, exc) from None
            tok = self.provider.accept(status, content)
            new_refresh = self.provider.callback_value()
        if new_refresh is not None:
            result = self._run_callback(new_refresh)
            if inspect.iscoroutine(result):
                result.close()
                log.error("on_refresh_token returned a coroutine in a synchronous call; it was not run "
                          "(use aexecute, or a plain function)")
        return tok

    async def aget(self, afetch, failed: str | None = None) -> str:
        tok = self._cached(failed)
        if tok is not None:
            return tok
        pause = 0.001
        while not self._lock.acquire(blocking=False):
            import asyncio  # lazily: building tool definitions never needs it
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.02)
        guard = self.provider.refresh_guard()
        try:
            if not isinstance(guard, nullcontext):   # a lock beyond this process: wait for it off the loop
                import asyncio
                await asyncio.to_thread(guard.__enter__)
            try:
                tok = self.provider.current()
                if tok is not None and tok != failed:
                    return tok
                url, headers, body = self._request()
                try:
                    status, content = await afetch(url, headers, body)
                except Exception as exc:
                    raise self._unreachable(url, exc) from None
                tok = self.provider.accept(status, content)
                new_refresh = self.provider.callback_value()
            finally:
                if not isinstance(guard, nullcontext):
                    guard.__exit__(None, None, None)
        finally:
            self._lock.release()
        if new_refresh is not None:
            result = self._run_callback(new_refresh)
            if inspect.isawaitable(result):
                try:
                    await result
                except Exception as exc:
                    log.error("on_refresh_token callback failed: %s", scrub(f"{type(exc).__name__}: {exc}"))
        return tok

    def _run_callback(self, value: str) -> Any:
        cb = getattr(self.provider, "on_refresh_token", None)
        if cb is None:
            log.warning("Zoom rotated the refresh token; pass on_refresh_token= to store the new one "
                        "(the old one no longer works)")
            return None
        try:
            return cb(value)
        except Exception as exc:
            log.error("on_refresh_token callback failed: %s", scrub(f"{type(exc).__name__}: {exc}"))
            return None

    def __repr__(self) -> str:
        return f"TokenManager({self.provider!r})"


NO_CREDENTIALS = (
    "No Zoom credentials. Set ZOOM_ACCESS_TOKEN (a bearer token), or ZOOM_ACCOUNT_ID + ZOOM_CLIENT_ID + "
    "ZOOM_CLIENT_SECRET (Server-to-Server OAuth), or ZOOM_CLIENT_ID + ZOOM_CLIENT_SECRET + ZOOM_REFRESH_TOKEN "
    "(user OAuth); or use gateway='lava' with LAVA_SECRET_KEY or gateway='maton' with MATON_API_KEY. To try "
    "the actions without a Zoom account, use Toolkit(sandbox=True) or `zoom-actions run ... --sandbox`.")


def choose_provider(gateway, *, access_token=None, account_id=None, client_id=None, client_secret=None,
                    refresh_token=None, token_url: str = DEFAULT_TOKEN_URL, on_refresh_token=None,
                    from_env: bool = False) -> tuple[Provider | None, str | None]:
    """The credential to use, and why there is none when there is none.

    A gateway with a key of its own (Lava, Maton) authenticates with it.
    Otherwise, most capable first: user OAuth (a refresh token with the
    client ID and secret), Server-to-Server OAuth, a static token. With
    ``from_env`` the values come from ``ZOOM_*`` environment variables.
    """
    if from_env:
        env = os.environ.get
        access_token, account_id = env("ZOOM_ACCESS_TOKEN") or None, env("ZOOM_ACCOUNT_ID") or None
        client_id, client_secret = env("ZOOM_CLIENT_ID") or None, env("ZOOM_CLIENT_SECRET") or None
        refresh_token = env("ZOOM_REFRESH_TOKEN") or None
    for secret in (access_token, client_secret, refresh_token):
        if secret:
            Secret(secret, pinned=True)
    if gateway.name != "direct":
        if gateway.key:
            return GatewayKey(gateway.key, gateway.name), None
        return None, f"The {gateway.name} gateway needs its key: set {gateway.key_env} or pass it to the gateway."
    if refresh_token and client_id and client_secret:
        return UserOAuth(client_id, client_secret, refresh_token, access_token=access_token,
                         on_refresh_token=on_refresh_token, token_url=token_url), None
    if account_id and client_id and client_secret:
        return ServerToServer(account_id, client_id, client_secret, token_url=token_url), None
    if access_token:
        return StaticToken(access_token), None
    if account_id or client_id or client_secret or refresh_token:
        have = [n for n, v in (("account_id", account_id), ("client_id", client_id),
                               ("client_secret", client_secret), ("refresh_token", refresh_token)) if v]
        return None, (f"Incomplete Zoom credentials (have {', '.join(have)}): Server-to-Server OAuth needs "
                      "account_id, client_id and client_secret; user OAuth needs client_id, client_secret and "
                      "refresh_token.")
    return None, NO_CREDENTIALS


def toolkit_provider(gateway, auth: "Provider | None", creds: dict, *, token_url: str, on_refresh_token,
                     from_env: bool, store) -> tuple["Provider | None", str | None]:
    """A Toolkit's credential and, when it has none, why: ``auth`` as given, else the one the
    arguments or the environment name (:func:`choose_provider`); a Server-to-Server credential is
    shared through a configured store (:mod:`.shared_token`: one token for every process)."""
    if auth is not None:
        return auth, None
    provider, error = choose_provider(gateway, **creds, token_url=token_url, on_refresh_token=on_refresh_token,
                                      from_env=from_env)
    if provider is None:
        return None, error
    from .shared_token import share_token
    return share_token(provider, store)
