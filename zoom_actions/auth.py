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
"""

from __future__ import annotations

import asyncio
import base64
import inspect
import json
import logging
import threading
import time
import weakref
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


class Provider:
    kind = "none"
    refreshable = False
    api_base: str | None = None   # a regional API base learned from the token endpoint

    def current(self) -> str | None:
        """A cached, still-valid token, or None when one must be fetched."""
        raise NotImplementedError

    def invalidate(self, failed: str) -> None:
        """Zoom rejected ``failed``; drop it if it is still the cached one."""

    def token_request(self) -> tuple[str, dict[str, str], bytes]:
        raise AuthFailure("this credential cannot be refreshed")

    def accept(self, status: int, content: bytes) -> str:
        raise NotImplementedError

    def callback_value(self) -> str | None:
        """A rotated refresh token to hand to the user's callback, once."""
        return None


class StaticToken(Provider):
    kind = "static"

    def __init__(self, token: str | Secret, what: str = "the access token") -> None:
        self._token = Secret(check_credential(token, what))

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
        self._client_secret = Secret(check_credential(client_secret, "the client secret"))
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
        try:
            body: Any = json.loads(content) if content else {}
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        for key in ("access_token", "refresh_token"):
            if isinstance(body.get(key), str):
                remember(body[key])
        if status != 200 or not isinstance(body.get("access_token"), str) or not body["access_token"]:
            reason = body.get("reason") or body.get("error_description") or body.get("message") or ""
            error = body.get("error") or ""
            detail = ", ".join(str(x) for x in (error, reason) if x) or (content[:200].decode("utf-8", "replace")
                                                                        if content else "no body")
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
        self._refresh = Secret(check_credential(refresh_token, "the refresh token"))
        self.on_refresh_token = on_refresh_token
        self._pending_callback: Secret | None = None
        if access_token:
            self._token = Secret(check_credential(access_token, "the access token"))

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
    from .routes import is_loopback
    try:
        parts = urlsplit(api_url)
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    trusted = parts.scheme == "https" and any(host == h or host.endswith("." + h) for h in _TRUSTED_API_HOSTS)
    if not trusted and not (parts.scheme in ("http", "https") and is_loopback(host)):
        return None
    base = f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"
    return base if base.endswith("/v2") else base + "/v2"


class TokenManager:
    """Single-flight token fetching around a provider."""

    def __init__(self, provider: Provider) -> None:
        self.provider = provider
        self._lock = threading.Lock()
        self._alocks: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock]" = \
            weakref.WeakKeyDictionary()
        self.fetches = 0

    def _alock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        lock = self._alocks.get(loop)
        if lock is None:
            lock = self._alocks[loop] = asyncio.Lock()
        return lock

    def _rejected(self, failed: str | None) -> str:
        return (f"The {self.provider.kind.replace('_', ' ')} credential was rejected and cannot be refreshed"
                if failed else "No Zoom access token is available")

    def get(self, client, failed: str | None = None) -> str:
        p = self.provider
        if failed is not None:
            p.invalidate(failed)
        tok = p.current()
        if tok is not None and tok != failed:
            return tok
        if not p.refreshable:
            raise AuthFailure(self._rejected(failed))
        with self._lock:
            tok = p.current()
            if tok is not None and tok != failed:
                return tok
            url, headers, body = p.token_request()
            self.fetches += 1
            try:
                resp = client.post(url, headers=headers, content=body)
            except Exception as exc:  # httpx.HTTPError and anything below it
                raise AuthFailure(f"Could not reach the Zoom token endpoint {url}: {type(exc).__name__}: {exc}") \
                    from None
            tok = p.accept(resp.status_code, resp.content)
            new_refresh = p.callback_value()
        if new_refresh is not None:
            result = self._run_callback(new_refresh, None)
            if inspect.iscoroutine(result):
                result.close()
                log.error("on_refresh_token returned a coroutine in a synchronous call; it was not run "
                          "(use aexecute, or a plain function)")
        return tok

    async def aget(self, aclient, failed: str | None = None) -> str:
        p = self.provider
        if failed is not None:
            p.invalidate(failed)
        tok = p.current()
        if tok is not None and tok != failed:
            return tok
        if not p.refreshable:
            raise AuthFailure(self._rejected(failed))
        async with self._alock():
            tok = p.current()
            if tok is not None and tok != failed:
                return tok
            url, headers, body = p.token_request()
            self.fetches += 1
            try:
                resp = await aclient.post(url, headers=headers, content=body)
            except Exception as exc:
                raise AuthFailure(f"Could not reach the Zoom token endpoint {url}: {type(exc).__name__}: {exc}") \
                    from None
            tok = p.accept(resp.status_code, resp.content)
            new_refresh = p.callback_value()
        if new_refresh is not None:
            result = self._run_callback(new_refresh, None)
            if inspect.isawaitable(result):
                try:
                    await result
                except Exception as exc:
                    log.error("on_refresh_token callback failed: %s", scrub(f"{type(exc).__name__}: {exc}"))
        return tok

    def _run_callback(self, value: str, _unused) -> Any:
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
