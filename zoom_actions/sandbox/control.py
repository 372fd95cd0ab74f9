"""The sandbox's control routes: what a test in any language needs besides
Zoom's API, over HTTP on the sandbox's own (loopback) host.

    POST   /_sandbox/meetings/{id}/start
    POST   /_sandbox/meetings/{id}/join             {"name": "Ana", "email": "ana@example.com"}
    POST   /_sandbox/meetings/{id}/leave            {"participant": "<participant_uuid or user_id>"}
    POST   /_sandbox/meetings/{id}/end
    POST   /_sandbox/meetings/{id}/recording_ready  {"transcript": [["Ana", "Hello"], ...]}   (optional)
    POST   /_sandbox/meetings/{id}/summary_ready    {"overview": "..."}                     (optional)
    GET    /_sandbox/webhooks                        every subscription's status, and the clock's speed
    POST   /_sandbox/webhooks                        {"url", "secret_token", "events": ["meeting.*"]}
                                                     201 once validated; 422 (with the reason) when not
    GET    /_sandbox/webhooks/{id}                   one subscription's status and counts
    DELETE /_sandbox/webhooks/{id}
    PUT    /_sandbox/webhooks/clock                  {"speed": 12000}: Zoom's retry schedule sped up
    POST   /_sandbox/webhooks/idle                   {"timeout": 5}: waits until nothing is queued or in flight

The life steps are :class:`~.life.Life`'s; subscriptions are
:class:`~.webhooks.WebhookEmitter`'s. Answers are JSON; a bad request is a
4xx naming the problem. No secret token is ever answered.
"""

from __future__ import annotations

import json
from typing import Any

from .life import LifeError

_STEPS = ("start", "join", "leave", "end", "recording_ready", "summary_ready")
MAX_IDLE_WAIT = 60.0


def _json(status: int, body: Any) -> tuple[int, dict[str, str], bytes]:
    if status == 204:
        return 204, {}, b""
    return status, {"Content-Type": "application/json;charset=UTF-8"}, json.dumps(body, ensure_ascii=False).encode()


def _error(status: int, message: str) -> tuple[int, dict[str, str], bytes]:
    return _json(status, {"code": status, "message": message})


def _body(raw: bytes) -> dict:
    if not raw.strip():
        return {}
    try:
        doc = json.loads(raw)
    except (ValueError, RecursionError):
        raise LifeError(400, "the request body is not JSON") from None
    if not isinstance(doc, dict):
        raise LifeError(400, "the request body must be a JSON object")
    return doc


def handle(app, method: str, path: str, raw: bytes) -> tuple[int, dict[str, str], bytes]:
    segs = [s for s in path.split("/") if s][1:]   # after "_sandbox"
    try:
        if segs[:1] == ["meetings"] and len(segs) == 3:
            if segs[2] not in _STEPS:
                return _error(404, f"no such step {segs[2]!r}: one of {', '.join(_STEPS)}")
            if method != "POST":
                return _error(405, f"use POST for /_sandbox/meetings/{{id}}/{segs[2]}")
            return _step(app, segs[1], segs[2], _body(raw))
        if segs[:1] == ["webhooks"]:
            return _webhooks(app.webhooks, method, segs[1:], raw)
    except LifeError as err:
        return _error(err.status, str(err))
    except ValueError as err:   # a bad value: the message names it
        return _error(400, str(err))
    return _error(404, f"no sandbox control route {method} {path}")


def _step(app, meeting_id: str, step: str, body: dict):
    life = app.life
    if step == "join":
        return _json(201, life.join(meeting_id, body.get("name"), body.get("email")))
    if step == "leave":
        who = body.get("participant")
        if not isinstance(who, str) or not who:
            raise LifeError(400, 'leave needs {"participant": "<participant_uuid or user_id>"}')
        return _json(200, life.leave(meeting_id, who))
    if step == "recording_ready":
        lines = body.get("transcript")
        if lines is not None and not (isinstance(lines, list) and all(
                isinstance(x, list) and len(x) == 2 and all(isinstance(y, str) for y in x) for x in lines)):
            raise LifeError(400, 'transcript must be a list of ["speaker", "text"] pairs')
        return _json(200, life.recording_ready(meeting_id, [tuple(x) for x in lines] if lines else None))
    if step == "summary_ready":
        overview = body.get("overview")
        if overview is not None and not isinstance(overview, str):
            raise LifeError(400, "overview must be a string")
        return _json(200, life.summary_ready(meeting_id, overview))
    return _json(200, getattr(life, step)(meeting_id))


def _webhooks(hooks, method: str, rest: list[str], raw: bytes):
    if not rest:
        if method == "GET":
            return _json(200, {"subscriptions": hooks.status(), "speed": hooks.speed})
        if method == "POST":
            body = _body(raw)
            sid = hooks.subscribe(body.get("url"), body.get("secret_token"), body.get("events"))
            status = hooks.status(sid)
            return _json(201 if status["active"] else 422, status)
        return _error(405, "use GET or POST for /_sandbox/webhooks")
    if rest == ["clock"]:
        if method != "PUT":
            return _error(405, "use PUT for /_sandbox/webhooks/clock")
        hooks.speed = _body(raw).get("speed")
        return _json(200, {"speed": hooks.speed})
    if rest == ["idle"]:
        if method != "POST":
            return _error(405, "use POST for /_sandbox/webhooks/idle")
        timeout = _body(raw).get("timeout", 10)
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 <= timeout <= MAX_IDLE_WAIT:
            raise LifeError(400, f"timeout must be between 0 and {MAX_IDLE_WAIT:g} seconds")
        return _json(200, {"idle": hooks.wait_idle(float(timeout))})
    if len(rest) == 1:
        try:
            if method == "GET":
                return _json(200, hooks.status(rest[0]))
            if method == "DELETE":
                hooks.status(rest[0])
                hooks.unsubscribe(rest[0])
                return _json(204, None)
        except KeyError:
            return _error(404, f"no webhook subscription {rest[0]!r}")
        return _error(405, "use GET or DELETE for /_sandbox/webhooks/{id}")
    return _error(404, "no such webhook route")
