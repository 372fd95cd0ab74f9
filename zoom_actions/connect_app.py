"""The connect flow as an ASGI app (Starlette), for web apps that serve many
end users, and for ``zoom-actions connect`` on a loopback port.

    from zoom_actions.connect_app import connect_app
    from zoom_actions.oauth import OAuthApp
    app.mount("/zoom", connect_app(OAuthApp(CLIENT_ID, CLIENT_SECRET, "https://example.com/zoom/callback"),
                                   identify=lambda request: request.session["user_id"]))

Routes: ``GET /connect?name=...`` sends the end user to Zoom's consent page;
``GET /callback`` (the app's redirect URI) stores the connection for that
user and shows the outcome (or redirects to ``success_url``). ``identify``
says who the end user is, from the host app's own session; without it the
``user_id`` query parameter is trusted, which is only right where every
caller is trusted (a loopback CLI, a test).
"""

from __future__ import annotations

import html
from typing import Callable

from .connections import DEFAULT_USER, Connections
from .oauth import OAuthApp, OAuthError, begin, finish


def connect_app(oauth: OAuthApp, connections: Connections | None = None, *,
                identify: Callable | None = None, success_url: str | None = None,
                on_done: Callable | None = None):
    """The Starlette app. ``on_done(connection_or_error)`` is called after each callback."""
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.responses import HTMLResponse, RedirectResponse
    from starlette.routing import Route

    conns = connections or Connections()

    async def start(request):
        user = identify(request) if identify else request.query_params.get("user_id", DEFAULT_USER)
        if not user:
            return _page("Sign in first", "The app does not know who you are.", status=401)
        name = request.query_params.get("name") or DEFAULT_USER
        try:
            url = await run_in_threadpool(begin, oauth, conns, user_id=user, name=name)
        except (ValueError, RuntimeError) as exc:
            return _page("Cannot connect", str(exc), status=400)
        return RedirectResponse(url, status_code=302, headers={"Cache-Control": "no-store"})

    async def callback(request):
        try:
            conn = await run_in_threadpool(finish, oauth, conns, dict(request.query_params))
        except (OAuthError, RuntimeError, ValueError) as exc:
            if on_done:
                on_done(exc)
            return _page("Zoom was not connected", str(exc), status=400)
        if on_done:
            on_done(conn)
        if success_url:
            return RedirectResponse(success_url, status_code=302)
        return _page("Zoom connected", f"The connection {conn.name!r} is ready. You can close this window.")

    def _page(title: str, text: str, status: int = 200):
        body = (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title></head>"
                f"<body><h1 id='outcome'>{html.escape(title)}</h1><p id='detail'>{html.escape(text)}</p></body></html>")
        return HTMLResponse(body, status_code=status, headers={"Cache-Control": "no-store"})

    return Starlette(routes=[Route("/connect", start), Route("/callback", callback)])
