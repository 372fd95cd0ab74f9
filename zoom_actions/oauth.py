"""Zoom's authorization-code grant with PKCE (S256), for user-managed apps.

``begin()`` makes the authorization URL and records its ``state`` with the
PKCE verifier (sealed) in the store, for ten minutes and one use;
``finish()`` checks the callback's ``state``, exchanges the code at the
token endpoint (never following a redirect) and stores the connection.
Consent refused, a forged or reused ``state``, an expired or reused code:
each is an ``OAuthError`` with a message to show, and nothing is stored.
``revoke()`` calls Zoom's revoke endpoint. The CLI (``zoom-actions
connect``) and the web app (``connect_app``) are both built on these.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlencode

from .connections import Connection, Connections, check_name

ZOOM_OAUTH = "https://zoom.us"
ZOOM_API = "https://api.zoom.us/v2"
PENDING = "oauth-pending"
log = logging.getLogger("zoom_actions")
STATE_TTL = 600


class OAuthError(Exception):
    """The connect flow ended without a connection; the message says why (no secrets)."""


@dataclass(frozen=True)
class OAuthApp:
    """A Zoom OAuth app: its credentials, redirect URI and Zoom's endpoints."""
    client_id: str
    client_secret: str
    redirect_uri: str
    base: str = ZOOM_OAUTH          # https://zoom.us, or the sandbox's origin

    @property
    def authorize_url(self) -> str:
        return self.base.rstrip("/") + "/oauth/authorize"

    @property
    def token_url(self) -> str:
        return self.base.rstrip("/") + "/oauth/token"

    @property
    def revoke_url(self) -> str:
        return self.base.rstrip("/") + "/oauth/revoke"

    @property
    def api_base(self) -> str:
        """Zoom's REST API for tokens of this app: api.zoom.us, or the sandbox's own ``/v2``."""
        return ZOOM_API if self.base.rstrip("/") == ZOOM_OAUTH else self.base.rstrip("/") + "/v2"

    def __repr__(self) -> str:
        return f"OAuthApp(client_id={self.client_id!r}, client_secret=***, redirect_uri={self.redirect_uri!r})"


def pkce_pair() -> tuple[str, str]:
    """(verifier, S256 challenge), RFC 7636."""
    verifier = secrets.token_urlsafe(64)[:96]
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def begin(app: OAuthApp, connections: Connections, *, user_id: str = "default", name: str = "default") -> str:
    """The URL to send the user to; remembers ``state`` and the verifier."""
    check_name(user_id, "user_id")
    check_name(name, "the connection name")
    if not connections.vault.can_seal:
        connections.vault.seal({})   # refuse now, with the message, not after the user consented
    verifier, challenge = pkce_pair()
    state = secrets.token_urlsafe(32)
    connections.store.put(PENDING, _state_key(state), {
        "user_id": user_id, "name": name, "created": time.time(), "redirect_uri": app.redirect_uri,
        "verifier": connections.vault.seal({"verifier": verifier})})
    query = {"response_type": "code", "client_id": app.client_id, "redirect_uri": app.redirect_uri,
             "state": state, "code_challenge": challenge, "code_challenge_method": "S256"}
    return app.authorize_url + "?" + urlencode(query)


def _state_key(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


def finish(app: OAuthApp, connections: Connections, params: dict[str, str], *, http=None) -> Connection:
    """Handle the redirect back (its query parameters): the stored connection, or ``OAuthError``."""
    state = params.get("state") or ""
    pending = connections.store.get(PENDING, _state_key(state)) if state else None
    if pending is None:
        raise OAuthError("The sign-in could not be verified (unknown or already used `state`): nothing was "
                         "stored. Start again.")
    connections.store.delete(PENDING, _state_key(state))   # one use, whatever happens next
    if time.time() - pending["created"] > STATE_TTL:
        raise OAuthError("The sign-in took longer than 10 minutes: nothing was stored. Start again.")
    if params.get("error"):
        reason = params.get("error_description") or params["error"]
        raise OAuthError(f"Zoom access was not granted ({_clip(reason)}): nothing was stored.")
    code = params.get("code")
    if not code:
        raise OAuthError("Zoom sent no authorization code: nothing was stored.")
    verifier = connections.vault.open(pending["verifier"])["verifier"]
    body = _token_call(app, {"grant_type": "authorization_code", "code": code, "redirect_uri": pending["redirect_uri"],
                             "code_verifier": verifier}, http)
    conn = Connection(user_id=pending["user_id"], name=pending["name"], kind="user_oauth", client_id=app.client_id,
                      token_url=app.token_url, scopes=str(body.get("scope") or "").split(),
                      zoom_user=who_connected(app, body, http),
                      expires_at=time.time() + body["expires_in"] if isinstance(body.get("expires_in"), (int, float))
                      else None)
    return connections.save(conn, {"access_token": body["access_token"], "refresh_token": body.get("refresh_token"),
                                   "client_secret": app.client_secret})


def who_connected(app: OAuthApp, token_body: dict, http=None) -> dict | None:
    """Who the new token belongs to: ``GET /users/me``'s id, email and account_id (the account's rate
    limits are shared by its users: the limiter keys on it). Best effort: without the scope, or with
    Zoom unreachable, the connection is stored without it (and counted on its own budget)."""
    from .auth import _trusted_api_base
    from .session import TOKEN_RESPONSE_CAP
    from .transport import http as httpx_module, read_capped
    api = token_body.get("api_url")
    base = (_trusted_api_base(api) if isinstance(api, str) and api else None) or app.api_base
    client = http or httpx_module().Client(timeout=15, follow_redirects=False)
    try:
        resp = client.send(client.build_request("GET", base + "/users/me", headers={
            "Authorization": "Bearer " + token_body["access_token"], "Accept": "application/json"}), stream=True)
        content = read_capped(resp, TOKEN_RESPONSE_CAP)
        me = json.loads(content) if resp.status_code == 200 else None
    except Exception as exc:  # noqa: BLE001 - the connection is still good without it
        log.warning("connected, but who the token belongs to is not known (%s)", type(exc).__name__)
        return None
    finally:
        if http is None:
            client.close()
    if not isinstance(me, dict):
        log.warning("connected, but GET /users/me answered HTTP %s: the account is not recorded", resp.status_code)
        return None
    picked = {k: me[k] for k in ("id", "email", "account_id") if isinstance(me.get(k), str) and len(me[k]) <= 320}
    return picked or None


def revoke(app: OAuthApp, token: str, *, http=None) -> None:
    """Zoom's revoke endpoint for an access (or refresh) token."""
    _token_call(app, {"token": token}, http, url=app.revoke_url)


def _token_call(app: OAuthApp, form: dict[str, str], http, url: str | None = None) -> dict:
    from .auth import token_body
    from .redact import remember, scrub
    from .session import TOKEN_RESPONSE_CAP
    from .transport import http as httpx_module, read_capped
    basic = base64.b64encode(f"{app.client_id}:{app.client_secret}".encode()).decode()
    remember(basic)
    remember(app.client_secret)
    client = http or httpx_module().Client(timeout=30, follow_redirects=False)
    try:
        resp = client.send(client.build_request("POST", url or app.token_url, data=form,
                                                headers={"Authorization": "Basic " + basic,
                                                         "Accept": "application/json"}), stream=True)
        content = read_capped(resp, TOKEN_RESPONSE_CAP)   # read with a cap, as the runtime's token requests are
    except Exception as exc:  # noqa: BLE001 - an unreachable endpoint is a message, not a traceback
        raise OAuthError(f"Could not reach {url or app.token_url}: {type(exc).__name__}: nothing was stored.") from None
    finally:
        if http is None:
            client.close()
    body = token_body(content)
    if resp.status_code != 200 or (url is None and not isinstance(body.get("access_token"), str)):
        if 300 <= resp.status_code < 400:
            detail = "a redirect, which is never followed for a token request"
        else:
            detail = scrub(str(body.get("reason") or body.get("error_description") or body.get("error") or
                               f"HTTP {resp.status_code}"))
        hint = " The code may have expired (it lasts minutes) or been used already." \
            if form.get("grant_type") == "authorization_code" else ""
        raise OAuthError(f"Zoom refused the request ({_clip(detail)}): nothing was stored.{hint}")
    return body


def _clip(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= 200 else text[:197] + "..."
