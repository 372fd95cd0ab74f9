"""Zoom's OAuth, offline: the sandbox's authorization server at Zoom's paths.

- ``GET /oauth/authorize``: the consent page (the app, the scopes, Allow and
  Deny); ``POST /oauth/authorize``: the decision, then a redirect to the
  app's ``redirect_uri`` with ``code`` and ``state`` (or
  ``error=access_denied``).
- ``POST /oauth/token``: ``authorization_code`` (PKCE S256 checked; a code
  lasts 5 minutes and works once: a second use is refused and revokes what
  the first one issued), ``refresh_token`` (rotated on every use; an old one
  is refused as Zoom does), ``account_credentials``.
- ``POST /oauth/revoke``: the token and its grant stop working.

Clients authenticate with HTTP Basic. Any client ID works with the secret
it first used (``SANDBOX_CLIENT_ID`` / ``SANDBOX_CLIENT_SECRET`` are ready
made). ``presented`` counts every refresh token presented, and
``token_requests`` every call, for tests that prove a refresh token is spent
once. Tokens it issued and then revoked (or that expired) are refused by
the sandbox's API with Zoom's 124.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import threading
import time
from collections import Counter
from urllib.parse import parse_qs, urlencode, urlsplit

SANDBOX_CLIENT_ID = "sandbox-client-id"
SANDBOX_CLIENT_SECRET = "sandbox-client-secret-0123456789"
SCOPES = ("meeting:read:meeting", "meeting:write:meeting", "user:read:user", "cloud_recording:read:list_recording_files")
CODE_TTL = 300


class OAuthServer:
    def __init__(self, access_ttl: int = 3600) -> None:
        self.access_ttl = access_ttl
        self._lock = threading.Lock()
        self._clients: dict[str, str] = {SANDBOX_CLIENT_ID: SANDBOX_CLIENT_SECRET}
        self._requests: dict[str, dict] = {}     # consent page nonce -> the authorize request
        self._codes: dict[str, dict] = {}
        self._access: dict[str, dict] = {}       # access token -> {grant, expires, revoked}
        self._refresh: dict[str, dict] = {}      # refresh token -> {grant, current}
        self._grants: dict[str, dict] = {}       # grant id -> {client_id, revoked}
        self.presented: Counter = Counter()      # refresh token -> times presented
        self.token_requests: Counter = Counter()  # grant_type -> calls

    # --- the API's view ------------------------------------------------------------

    def rejects(self, token: str) -> bool:
        """A token this server issued that no longer works (revoked or expired)."""
        with self._lock:
            info = self._access.get(token)
            if info is None:
                return False
            grant = self._grants.get(info["grant"], {})
            return info["revoked"] or grant.get("revoked", False) or time.time() >= info["expires"]

    def valid_until(self, token: str) -> float | None:
        """When a token this server issued stops working (epoch seconds); None for a token it did not
        issue or that no longer works (the event WebSocket takes only this server's live tokens)."""
        with self._lock:
            info = self._access.get(token)
            grant = self._grants.get(info["grant"], {}) if info else {}
            if info is None or info["revoked"] or grant.get("revoked", False) or time.time() >= info["expires"]:
                return None
            return info["expires"]

    # --- HTTP -------------------------------------------------------------------------

    def handle(self, method: str, path: str, query: dict, headers, body: bytes) -> tuple[int, dict, bytes]:
        if path == "/oauth/authorize" and method == "GET":
            return self._consent_page(query)
        if path == "/oauth/authorize" and method == "POST":
            return self._decide(_form(body))
        if path == "/oauth/token" and method == "POST":
            return self._token(headers, {**{k: v[0] for k, v in query.items()}, **_form(body)})
        if path == "/oauth/revoke" and method == "POST":
            return self._revoke(headers, {**{k: v[0] for k, v in query.items()}, **_form(body)})
        return _json(405, {"error": "invalid_request", "reason": f"{method} is not allowed for {path}"})

    def _consent_page(self, query: dict) -> tuple[int, dict, bytes]:
        q = {k: v[0] for k, v in query.items()}
        problem = None
        if q.get("response_type") != "code":
            problem = "response_type must be code"
        elif not q.get("client_id"):
            problem = "client_id is missing"
        elif not _redirect_ok(q.get("redirect_uri", "")):
            problem = "redirect_uri must be an http(s) URL"
        elif q.get("code_challenge_method", "plain") != "S256" or not q.get("code_challenge"):
            problem = "PKCE with code_challenge_method=S256 is required"
        if problem:
            return 400, {"Content-Type": "text/html; charset=utf-8"}, _page("Invalid request", f"<p>{html.escape(problem)}</p>")
        nonce = secrets.token_urlsafe(16)
        with self._lock:
            self._requests[nonce] = {**q, "created": time.time()}
        scopes = "".join(f"<li><code>{html.escape(s)}</code></li>" for s in SCOPES)
        body = (f"<p><strong>{html.escape(q['client_id'])}</strong> would like to access your Zoom account "
                f"(the zoom-actions sandbox).</p><p>It asks for:</p><ul id='scopes'>{scopes}</ul>"
                f"<form method='post' action='/oauth/authorize'><input type='hidden' name='request' value='{nonce}'>"
                "<button type='submit' name='decision' value='allow' id='allow'>Allow</button> "
                "<button type='submit' name='decision' value='deny' id='deny'>Deny</button></form>")
        return 200, {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"}, _page("Authorize app", body)

    def _decide(self, form: dict) -> tuple[int, dict, bytes]:
        with self._lock:
            req = self._requests.pop(form.get("request", ""), None)
        if req is None or time.time() - req["created"] > CODE_TTL:
            return 400, {"Content-Type": "text/html; charset=utf-8"}, _page("Expired", "<p>Start again.</p>")
        target = req["redirect_uri"]
        sep = "&" if "?" in target else "?"
        if form.get("decision") != "allow":
            params = {"error": "access_denied", "error_description": "The user denied access", "state": req.get("state", "")}
            return 302, {"Location": target + sep + urlencode(params)}, b""
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._codes[code] = {"client_id": req["client_id"], "redirect_uri": target, "challenge": req["code_challenge"],
                                 "created": time.time(), "used": False, "grant": None}
        return 302, {"Location": target + sep + urlencode({"code": code, "state": req.get("state", "")})}, b""

    def _client(self, headers) -> str | None:
        raw = headers.get("Authorization") or ""
        scheme, _, value = raw.partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            client_id, _, secret = base64.b64decode(value).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
        with self._lock:
            known = self._clients.setdefault(client_id, secret)
        return client_id if secrets.compare_digest(known, secret) else None

    def _token(self, headers, form: dict) -> tuple[int, dict, bytes]:
        grant_type = form.get("grant_type", "")
        self.token_requests[grant_type] += 1
        client_id = self._client(headers)
        if client_id is None:
            return _json(401, {"reason": "Invalid client_id or client_secret", "error": "invalid_client"})
        with self._lock:
            if grant_type == "authorization_code":
                return self._exchange(client_id, form)
            if grant_type == "refresh_token":
                return self._rotate(client_id, form.get("refresh_token", ""))
            if grant_type == "account_credentials":
                if not form.get("account_id"):
                    return _json(400, {"reason": "Missing account_id", "error": "invalid_request"})
                grant = self._new_grant(client_id)
                return _json(200, self._issue(grant, refresh=False))
        return _json(400, {"reason": "Unsupported grant type", "error": "unsupported_grant_type"})

    def _exchange(self, client_id: str, form: dict) -> tuple[int, dict, bytes]:
        code = self._codes.get(form.get("code", ""))
        if code is None or code["client_id"] != client_id:
            return _json(400, {"reason": "Invalid authorization code", "error": "invalid_grant"})
        if code["used"]:   # a replayed code: refuse, and revoke what it issued (RFC 6749 4.1.2)
            if code["grant"]:
                self._grants[code["grant"]]["revoked"] = True
            return _json(400, {"reason": "Invalid authorization code", "error": "invalid_grant"})
        code["used"] = True
        if time.time() - code["created"] > CODE_TTL:
            return _json(400, {"reason": "Authorization code expired", "error": "invalid_grant"})
        if form.get("redirect_uri") != code["redirect_uri"]:
            return _json(400, {"reason": "Redirect URI mismatch", "error": "invalid_request"})
        verifier = form.get("code_verifier", "")
        digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if not verifier or not secrets.compare_digest(digest, code["challenge"]):
            return _json(400, {"reason": "Invalid code_verifier", "error": "invalid_grant"})
        grant = code["grant"] = self._new_grant(client_id)
        return _json(200, self._issue(grant, refresh=True))

    def _rotate(self, client_id: str, token: str) -> tuple[int, dict, bytes]:
        self.presented[token] += 1
        info = self._refresh.get(token)
        grant = self._grants.get(info["grant"]) if info else None
        if info is None or not info["current"] or grant is None or grant["revoked"] or grant["client_id"] != client_id:
            return _json(400, {"reason": "Invalid Token!", "error": "invalid_request"})
        info["current"] = False   # rotated: this refresh token never works again
        return _json(200, self._issue(info["grant"], refresh=True))

    def _new_grant(self, client_id: str) -> str:
        gid = secrets.token_hex(8)
        self._grants[gid] = {"client_id": client_id, "revoked": False}
        return gid

    def _issue(self, grant: str, *, refresh: bool) -> dict:
        access = "sbx_at_" + secrets.token_urlsafe(24)
        self._access[access] = {"grant": grant, "expires": time.time() + self.access_ttl, "revoked": False}
        out = {"access_token": access, "token_type": "bearer", "expires_in": self.access_ttl,
               "scope": " ".join(SCOPES)}
        if refresh:
            rt = "sbx_rt_" + secrets.token_urlsafe(24)
            self._refresh[rt] = {"grant": grant, "current": True}
            out["refresh_token"] = rt
        return out

    def _revoke(self, headers, form: dict) -> tuple[int, dict, bytes]:
        if self._client(headers) is None:
            return _json(401, {"reason": "Invalid client_id or client_secret", "error": "invalid_client"})
        token = form.get("token", "")
        with self._lock:
            info = self._access.get(token) or self._refresh.get(token)
            if info is None:
                return _json(400, {"reason": "Invalid Token!", "error": "invalid_request"})
            self._grants[info["grant"]]["revoked"] = True
        return _json(200, {"status": "success"})

    def expire_access_tokens(self) -> None:
        """Make every access token issued so far expire now (tests force refreshes so)."""
        with self._lock:
            for info in self._access.values():
                info["expires"] = 0.0


def _form(body: bytes) -> dict[str, str]:
    try:
        return {k: v[0] for k, v in parse_qs(body.decode("utf-8"), keep_blank_values=True).items()}
    except UnicodeDecodeError:
        return {}


def _redirect_ok(uri: str) -> bool:
    parts = urlsplit(uri)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _json(status: int, body: dict) -> tuple[int, dict, bytes]:
    return status, {"Content-Type": "application/json;charset=UTF-8", "Cache-Control": "no-store"}, json.dumps(body).encode()


def _page(title: str, body: str) -> bytes:
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)} - Zoom (sandbox)</title>"
            f"</head><body><h1>{html.escape(title)}</h1>{body}</body></html>").encode()
