"""Zoom's webhooks, received: an ASGI app (Starlette).

For each POST to ``path``:

1. the body is read with a cap (1 MiB; 413 beyond);
2. ``x-zm-request-timestamp`` must be within ``tolerance`` seconds of now
   (300 by default): a stale or future one is a replay, refused with 401;
3. ``x-zm-signature`` must be ``v0=`` + hex HMAC-SHA256(secret token,
   ``v0:{timestamp}:{raw body}``) for one of the secret tokens (several at
   once while rotating), compared in constant time; else 401;
4. ``endpoint.url_validation`` is answered with ``plainToken`` and
   ``encryptedToken`` (hex HMAC-SHA256 of the plain token under the secret
   that signed the request), which Zoom repeats every 72 hours;
5. any other event is appended to the durable log (on disk before the 200,
   well inside Zoom's 3 seconds) unless its dedupe key is there already
   (Zoom's retries after 5, 20 and 60 minutes), then handlers run in the
   background.

Nothing refused is stored; every outcome is counted in ``app.state.stats``
(also ``GET {path}/stats``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import threading
import time
from collections import Counter

MAX_BODY = 1 << 20
TOLERANCE = 300
ENV = "ZOOM_WEBHOOK_SECRET_TOKEN"


def signature(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256)
    return "v0=" + mac.hexdigest()


def encrypted_token(secret: str, plain_token: str) -> str:
    """The answer to ``endpoint.url_validation``: hex HMAC-SHA256 of the plain token under the secret token."""
    return hmac.new(secret.encode(), plain_token.encode(), hashlib.sha256).hexdigest()


def secrets_from_env() -> list[str]:
    raw = os.environ.get(ENV, "")
    return [s.strip() for s in raw.split(",") if s.strip()]


def webhook_app(events, secret_tokens: list[str] | None = None, *, path: str = "/zoom/events",
                tolerance: int = TOLERANCE, clock=time.time, dispatch: bool = True):
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.responses import JSONResponse, PlainTextResponse
    from starlette.routing import Route

    tokens = list(secret_tokens or secrets_from_env())
    if not tokens:
        raise ValueError(f"the webhook receiver needs Zoom's secret token: set {ENV} or pass --secret")
    stats: Counter = Counter()
    wake = threading.Event()

    def refuse(reason: str, status: int = 401) -> PlainTextResponse:
        stats[reason] += 1
        return PlainTextResponse(reason.replace("_", " "), status_code=status)

    async def receive(request):
        stats["received"] += 1
        declared = request.headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY):
            return refuse("too_large", 413)
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY:
                return refuse("too_large", 413)
        ts = request.headers.get("x-zm-request-timestamp", "")
        if not ts.isdigit() or abs(clock() - int(ts)) > tolerance:
            return refuse("stale_timestamp")
        sent = request.headers.get("x-zm-signature", "")
        signer = next((t for t in tokens if hmac.compare_digest(signature(t, ts, body), sent)), None)
        if signer is None:
            return refuse("bad_signature")
        try:
            message = json.loads(body)
        except (ValueError, RecursionError):
            return refuse("malformed", 400)
        if not isinstance(message, dict) or not isinstance(message.get("event"), str):
            return refuse("malformed", 400)
        if message["event"] == "endpoint.url_validation":
            plain = (message.get("payload") or {}).get("plainToken")
            if not isinstance(plain, str) or not plain:
                return refuse("malformed", 400)
            stats["url_validation"] += 1
            return JSONResponse({"plainToken": plain, "encryptedToken": encrypted_token(signer, plain)})
        from .envelope import from_webhook
        event = from_webhook(message)
        fresh = await run_in_threadpool(events.accept, event)
        stats["accepted" if fresh else "duplicate"] += 1
        if fresh:
            wake.set()
        return JSONResponse({"status": "accepted" if fresh else "duplicate", "id": event.id})

    async def show_stats(request):
        return JSONResponse(dict(stats))

    stop = threading.Event()

    def deliver_forever() -> None:
        while not stop.is_set():
            wake.wait(1.0)
            wake.clear()
            try:
                events.run_pending()
            except Exception:  # noqa: BLE001 - keep delivering; the log keeps what was not delivered
                import logging
                logging.getLogger("zoom_actions").exception("event delivery failed")

    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def lifespan(app):
        worker = None
        if dispatch:
            worker = threading.Thread(target=deliver_forever, name="zoom-events-delivery", daemon=True)
            worker.start()
            wake.set()   # what an earlier process accepted and did not deliver
        try:
            yield
        finally:
            stop.set()
            wake.set()
            if worker is not None:
                worker.join(5)

    app = Starlette(routes=[Route(path, receive, methods=["POST"]), Route(path + "/stats", show_stats)],
                    lifespan=lifespan)
    app.state.stats = stats
    return app
