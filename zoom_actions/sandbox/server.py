"""The sandbox's HTTP server: Zoom's REST API on loopback.

Every request to ``/v2/...`` is routed to its action by the catalog's
method + path template, checked for a bearer token (any token; none: 401
code 124), put through the configured faults, validated against the
action's schemas (Zoom's 300 errors), then answered by a stateful handler
when the action has one (meetings, webinars, registrants, users, past
meetings, recordings, summaries) or by a response synthesized from the
action's own response schema and examples. Every JSON answer is conformed
to that schema, so it always validates against the action's
``output_schema``.

Besides the API: ``GET /rec/download/{fileId}`` (and ``/rec/play/...``)
serve stored recording files such as the WebVTT transcript, and
``GET /_sandbox/health`` answers readiness. ``/_sandbox/meetings/...`` and
``/_sandbox/webhooks`` drive a meeting's life and subscribe webhook
endpoints over HTTP (``control``).

Every change of state runs in :meth:`Sandbox.change`: one store
transaction whose Zoom events (collected by the handlers) go to the
webhook emitter and the event WebSocket once it has committed, in commit
order.
"""

from __future__ import annotations

import ipaddress
import json
import sys
import threading
import traceback
from contextlib import contextmanager
from typing import Any, Iterator
from urllib.parse import parse_qs, urlsplit

from . import history, ids, meetings, registrants, reports, users  # noqa: F401  (handlers register on import)
from .context import HANDLERS, Emits, Reply, Req
from .errors import ZoomError, invalid_token, meeting_not_found, user_not_found, webinar_not_found
from .faults import Faults
from .routes import Router
from .seed import seed
from .store import Store, open_store
from .synth import Synth, conform
from .validate import check_request

API_PREFIX = "/v2"
_EMPTY_PREFIXES = ("Empty", "A non-JSON body")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Sandbox:
    """The application: routing, validation, state and answers, without HTTP."""

    def __init__(self, store: Store, catalog=None, faults: Faults | dict | None = None) -> None:
        if catalog is None:
            from ..catalog import load_catalog
            catalog = load_catalog()
        self.catalog = catalog
        self.store = store
        self.faults = Faults.from_value(faults)
        self.router = Router(catalog.index["actions"])
        self.seed_ids = seed(store)
        from .oauth import OAuthServer
        self.oauth = OAuthServer()   # Zoom's /oauth/* on the sandbox's own host
        from .websocket import WebSocketHub
        self.websocket = WebSocketHub(self.oauth)   # Zoom's event WebSocket, /ws; publish() from any thread
        from .webhooks import WebhookEmitter
        self.webhooks = WebhookEmitter(self.websocket.publish)   # Zoom's webhooks to subscribed endpoints
        from .life import Life
        self.life = Life(self)   # start, join, leave, end, recording_ready, summary_ready
        self.origin = "http://sandbox.localhost"   # where it is reached (set by whoever serves it), for file URLs
        self._order = threading.RLock()   # events leave in the order their changes committed

    def reset(self) -> dict:
        """Forget every change: back to the freshly seeded state, with no webhook subscriptions."""
        self.webhooks.reset()
        with self.store.transaction():
            self.store.clear()
            self.seed_ids = seed(self.store)
        return self.seed_ids

    @contextmanager
    def change(self) -> Iterator[Emits]:
        """One change of state: a store transaction; the events collected in the list it yields
        are emitted once it has committed (none when it raises)."""
        emits = Emits()
        with self._order:
            with self.store.transaction():
                yield emits
            if emits:
                try:
                    self.webhooks.emit_all(emits)
                except Exception:  # a sandbox bug: shown, but the committed change is not answered as failed
                    traceback.print_exc(file=sys.stderr)

    def close(self) -> None:
        """Stop the webhook workers (the store is closed by whoever opened it)."""
        self.webhooks.close()

    # --- one API request --------------------------------------------------------

    def handle(self, method: str, raw_path: str, query: dict[str, list[str]], headers, body: bytes,
               origin: str) -> tuple[int, dict[str, str], bytes]:
        action = None
        try:
            match = self.router.match(method, raw_path)
            if match is None:
                allowed = self.router.allowed(raw_path)
                if allowed:
                    return _json(405, {"code": 405, "message": f"Method {method} is not allowed for "
                                       f"{API_PREFIX}{raw_path}; use {', '.join(allowed)}."}, {"Allow": ", ".join(allowed)})
                return _json(404, {"code": 404, "message": f"No such Zoom API endpoint: {method} {API_PREFIX}{raw_path}."})
            action = self.catalog.get(match.route.name)
            if not _bearer(headers.get("Authorization")) or self.oauth.rejects(
                    headers.get("Authorization", "").partition(" ")[2].strip()):
                raise invalid_token()
            self.faults.delay()
            self.faults.check(action)
            checked = check_request(action, match.params, query, headers, body, headers.get("Content-Type", ""))
            now = ids.now()
            with self.change() as emits:
                req = Req(action=action, path=checked.path, query=checked.query, headers=checked.headers,
                          body=checked.body, files=checked.files, store=self.store, now=now, origin=origin,
                          emits=emits)
                handler = HANDLERS.get(action["name"])
                if handler is None:
                    self._check_parents(req, match.route.template)
                    reply = self._synthesized(action)
                else:
                    reply = handler(req)
            return self._answer(action, reply)
        except ZoomError as err:
            return _json(err.status, err.body(), err.headers)
        except Exception as exc:  # a sandbox bug: say so, like a 5xx from Zoom
            traceback.print_exc(file=sys.stderr)
            name = action["name"] if action else f"{method} {raw_path}"
            return _json(500, {"code": 500, "message": f"Sandbox internal error in {name}: "
                               f"{type(exc).__name__}. This is a bug in the sandbox, not in your request."})

    def _check_parents(self, req: Req, template: str) -> None:
        """Zoom answers 404 under an unknown meeting, webinar or user."""
        segs = [s for s in template.split("/") if s]
        if len(segs) < 2:
            return
        head, param = segs[0], segs[1]
        if not (param.startswith("{") and param.endswith("}")):
            return
        value = req.path.get(param[1:-1])
        if value is None:
            return
        key = str(value)
        store = req.store
        if head == "meetings" and key.isdigit():
            if store.get("meeting", key) is None and not store.list("past_meeting", parent=key):
                raise meeting_not_found(req.action, key)
        elif head == "webinars" and key.isdigit():
            if store.get("webinar", key) is None and not store.list("past_webinar", parent=key):
                raise webinar_not_found(req.action, key)
        elif head == "users":
            if users.find_user(store, key) is None:
                raise user_not_found(req.action, key)
        elif head == "past_meetings":
            if not history.instances(store, meetings.MEETING, key):
                raise meeting_not_found(req.action, key)
        elif head == "past_webinars":
            if not history.instances(store, meetings.WEBINAR, key):
                raise webinar_not_found(req.action, key)

    def _synthesized(self, action: dict) -> Reply:
        schema = action["output_schema"]["properties"]["data"]
        status = action.get("success_status") or 200
        if status == 204 or _empty(schema):
            return Reply(None, status=status)
        return Reply(Synth(action["name"]).value(schema), status=status)

    def _answer(self, action: dict, reply: Any) -> tuple[int, dict[str, str], bytes]:
        if not isinstance(reply, Reply):
            reply = Reply(reply)
        status = reply.status or action.get("success_status") or 200
        if reply.raw:
            data = reply.body if isinstance(reply.body, bytes) else str(reply.body).encode()
            return status, {"Content-Type": reply.content_type, **reply.headers}, data
        schema = action["output_schema"]["properties"]["data"]
        if status == 204 or reply.body is None or _empty(schema):
            return status, dict(reply.headers), b""
        body = conform(reply.body, schema, Synth(action["name"]))
        return _json(status, body, reply.headers)

    # --- recording files ---------------------------------------------------------

    def download(self, file_id: str, headers, query: dict[str, list[str]]) -> tuple[int, dict[str, str], bytes]:
        if not (_bearer(headers.get("Authorization")) or (query.get("access_token") or [""])[0]):
            return _json(401, invalid_token().body())
        with self.store.transaction():
            found = history.recording_file(self.store, file_id)
        if found is None:
            return _json(404, {"code": 3301, "message": "There is no recording file with this id."})
        ctype, data = found
        return 200, {"Content-Type": ctype}, data


def _bearer(value: str | None) -> bool:
    if not value:
        return False
    scheme, _, token = value.partition(" ")
    return scheme.lower() == "bearer" and bool(token.strip())


def _empty(schema: dict) -> bool:
    return not schema.get("properties") and not any(k in schema for k in ("oneOf", "anyOf", "items")) \
        and str(schema.get("description", "")).startswith(_EMPTY_PREFIXES)


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    return status, {"Content-Type": "application/json;charset=UTF-8", **(headers or {})}, \
        json.dumps(body, ensure_ascii=False).encode()


def dispatch(app: Sandbox, method: str, target: str, headers, body: bytes,
             origin: str) -> tuple[int, dict[str, str], bytes]:
    """One HTTP request to the sandbox, whatever carried it (a socket or an
    in-process transport): ``(status, headers, body)``."""
    parts = urlsplit(target)
    raw_path = parts.path
    query = parse_qs(parts.query, keep_blank_values=True)
    if raw_path.startswith(API_PREFIX + "/"):
        return app.handle(method, raw_path[len(API_PREFIX):], query, headers, body, origin)
    if raw_path.startswith(("/rec/download/", "/rec/play/")) and method == "GET":
        return app.download(raw_path.rsplit("/", 1)[-1], headers, query)
    if raw_path.startswith("/oauth/"):
        return app.oauth.handle(method, raw_path, query, headers, body)
    if raw_path == "/_sandbox/health":
        return _json(200, {"ok": True, "base_url": origin + API_PREFIX, "seed": app.seed_ids})
    if raw_path.startswith("/_sandbox/"):
        from .control import handle as control
        return control(app, method, raw_path, body)
    return _json(404, {"code": 404, "message": f"Not a Zoom API path: {raw_path}. "
                       f"The sandbox serves Zoom's API under {API_PREFIX}/."})


class SandboxHandle:
    """What a running sandbox offers, however it is reached: ``app``, ``store``,
    ``seed_ids``, ``faults`` (settable), ``reset()``, and ``webhooks`` /
    ``life`` (``app.webhooks``, ``app.life``)."""

    app: Sandbox

    @property
    def store(self) -> Store:
        return self.app.store

    @property
    def webhooks(self):
        return self.app.webhooks

    @property
    def life(self):
        return self.app.life

    @property
    def seed_ids(self) -> dict:
        return self.app.seed_ids

    @property
    def faults(self) -> Faults:
        return self.app.faults

    @faults.setter
    def faults(self, value) -> None:
        self.app.faults = Faults.from_value(value)

    def reset(self) -> dict:
        return self.app.reset()


class RunningSandbox(SandboxHandle):
    """A sandbox serving in a daemon thread: ``base_url``, ``port``,
    ``close()``; also a context manager. ``faults`` may be changed while it
    runs; ``reset()`` restores the seeded state; ``seed_ids`` names the
    sample data."""

    def __init__(self, httpd, owns_store: bool) -> None:
        self._httpd = httpd
        self._owns_store = owns_store
        host, port = httpd.server_address[:2]
        self.host = host
        self.port = port
        self.origin = httpd.origin
        self.base_url = self.origin + API_PREFIX
        httpd.start()
        self._closed = False

    @property
    def app(self) -> Sandbox:
        return self._httpd.app

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._httpd.shutdown()
        self._httpd.server_close()
        self.app.close()
        if self._owns_store:
            self.store.close()

    def __enter__(self) -> "RunningSandbox":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<RunningSandbox {self.base_url}>"


def make_server(db=None, port: int = 0, faults=None, *, host: str = "127.0.0.1", catalog=None,
                verbose: bool = False, max_body: int | None = None):
    """A :class:`~.http.SandboxServer` (uvicorn), bound but not yet serving."""
    from .http import MAX_BODY, SandboxServer
    if not _is_loopback(host):
        raise ValueError(f"the sandbox binds loopback only (127.0.0.1, ::1, localhost), not {host!r}")
    store = db if isinstance(db, Store) else open_store(db)
    try:
        return SandboxServer(Sandbox(store, catalog, faults), host, port, verbose, max_body or MAX_BODY)
    except BaseException:
        if not isinstance(db, Store):
            store.close()
        raise


def start_in_thread(db=None, port: int = 0, faults=None, *, host: str = "127.0.0.1", catalog=None,
                    verbose: bool = False) -> RunningSandbox:
    """Start a sandbox on loopback in a daemon thread.

    ``db``: ``None`` (in memory, fresh), a SQLite file path (state kept
    across runs and shared between processes) or a ``Store``. ``port`` 0
    picks a free port. ``faults``: see ``zoom_actions.sandbox.faults``.
    """
    httpd = make_server(db, port, faults, host=host, catalog=catalog, verbose=verbose)
    return RunningSandbox(httpd, owns_store=not isinstance(db, Store))
