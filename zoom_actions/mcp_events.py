"""Zoom's events for agents over MCP: two tools reading the durable event log.

* ``zoom_events_recent``: the latest events (``limit``, ``types`` globs), or
  those after a ``since`` id, oldest first, with the cursor to continue from;
* ``zoom_events_wait``: a bounded wait for the next matching event, after the
  call started or after an ``after`` id, or a plain "no event within N s".

Why tools, not resources with subscriptions: every MCP client calls tools,
and a tool call is something the model itself decides to make ("wait until
the recording is ready"). Resources are read by fewer clients (Claude
Desktop, Claude Code, Cursor, VS Code, Windsurf; not ChatGPT, Cline, Zed,
JetBrains, Continue), mostly as context the *user* attaches, and
``resources/subscribe`` with ``notifications/resources/updated`` is
documented by almost none of them; where it exists the notification reaches
the client, not the model, which still has to read the resource. A wait
tool works in every client today; subscriptions can be added beside it.

Why the wait is capped at ``MAX_WAIT`` (50 s): most clients are built on the
TypeScript SDK, whose default request timeout is 60 s (its progress
notifications only extend it when the client opts in). A longer wait would be
cut off by the client as an error; a capped one ends cleanly, and the agent
calls again with ``after`` set to the cursor it got, missing nothing.

The tools read the log through its public interface (``recent``), so they
work on whichever log ``Events`` uses (SQLite beside the store, or Redis).
Cursors are event ids: stable, and the same for an event seen by webhook and
by WebSocket.
"""

from __future__ import annotations

import asyncio
import fnmatch
import json
import math
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

RECENT, WAIT = "zoom_events_recent", "zoom_events_wait"
NAMES = (RECENT, WAIT)
MAX_WAIT = 50.0          # seconds; below the TypeScript SDK's 60 s default request timeout
DEFAULT_WAIT = 20.0
MAX_LIMIT = 100
SCAN_MAX = 5000          # how far back a cursor is looked for
MAX_PATTERNS, MAX_PATTERN_LEN = 20, 200


def policy_entry(name: str) -> dict:
    """How a policy sees an event tool (``governance``): a read-only action of the product ``webhooks``,
    tagged ``events``, taking its tool arguments as parameters. A rule selects it by name
    (``actions = ["zoom_events_*"]``), product, tag or annotation, and can constrain its arguments
    (``types = { in = [...] }``); a default-deny agent neither sees nor calls it. Event payloads name
    participants and meetings: they are not for every agent."""
    return {"name": name, "product": "webhooks", "also_in": (), "tags": ["events", "webhooks"], "scopes": [],
            "annotations": {"read_only": True, "destructive": False, "idempotent": True},
            "parameters": ["limit", "types", "since"] if name == RECENT else ["types", "timeout", "after"]}


class EventsArgumentError(ValueError):
    """An argument an agent got wrong; the message says which and how to fix it."""


def event_log(source: Any):
    """The log the tools read: an ``Events`` (its ``.log``), a log object (has
    ``recent``), a path to a SQLite log, or True for the default log."""
    if source is None or source is False:
        return None
    if hasattr(source, "recent"):
        return source
    if hasattr(source, "log") and hasattr(source.log, "recent"):
        return source.log
    from .events import Events
    if source is True:
        return Events().log
    if isinstance(source, (str, Path)):
        return Events(source).log
    raise TypeError(f"events must be an Events, an event log, a path or True, not {type(source).__name__}")


# --- reading the log by cursor -------------------------------------------------------------

def _after(log, cursor: str | None, scan_max: int = SCAN_MAX):
    """``(events after the cursor, oldest first; whether the cursor was found)``.
    No cursor: everything within ``scan_max``. Reads a small window first and
    widens it only while the cursor is not in it."""
    n = 16
    while True:
        batch = log.recent(n)   # newest first
        if cursor is not None:
            for i, event in enumerate(batch):
                if event.id == cursor:
                    return list(reversed(batch[:i])), True
        if len(batch) < n or n >= scan_max:
            return list(reversed(batch)), cursor is None
        n = min(scan_max, n * 4)


def _latest(log, patterns: list[str] | None, limit: int, scan_max: int = SCAN_MAX):
    """``(the latest ``limit`` matching events, oldest first; the newest event's id in the log)``,
    widening the window read only while too few match."""
    n = limit if not patterns else max(64, limit * 4)
    while True:
        batch = log.recent(n)   # newest first
        matching = [e for e in batch if _matches(patterns, e.type)]
        if len(matching) >= limit or len(batch) < n or n >= scan_max:
            return list(reversed(matching[:limit])), (batch[0].id if batch else None)
        n = min(scan_max, n * 4)


def _newest_id(log) -> str | None:
    latest = log.recent(1)
    return latest[0].id if latest else None


def _matches(patterns: list[str] | None, kind: str) -> bool:
    return not patterns or any(fnmatch.fnmatchcase(kind, p) for p in patterns)


def _envelope(event) -> dict:
    return asdict(event)


# --- arguments ------------------------------------------------------------------------------

def _patterns(arguments: dict) -> list[str] | None:
    raw = arguments.get("types")
    if raw is None or raw == []:
        return None
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or not all(isinstance(p, str) and p.strip() for p in raw):
        raise EventsArgumentError("types must be a list of event type globs, e.g. [\"meeting.*\", "
                                  "\"recording.completed\"]")
    if len(raw) > MAX_PATTERNS or any(len(p) > MAX_PATTERN_LEN for p in raw):
        raise EventsArgumentError(f"types takes at most {MAX_PATTERNS} globs of at most {MAX_PATTERN_LEN} "
                                  "characters")
    return [p.strip() for p in raw]


def _cursor(arguments: dict, key: str) -> str | None:
    value = arguments.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > 100:
        raise EventsArgumentError(f"{key} must be an event id (a string like evt_0123abcd...) from an earlier "
                                  "result")
    return value


def _number(arguments: dict, key: str, default: float) -> float:
    value = arguments.get(key, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise EventsArgumentError(f"{key} must be a number, not {str(value)[:40]!r}") from None
    if math.isnan(value) or value < 0:
        raise EventsArgumentError(f"{key} must be zero or more")
    return float(value)


def _unknown_cursor(key: str, cursor: str) -> EventsArgumentError:
    return EventsArgumentError(f"no event with id {cursor!r} among the latest {SCAN_MAX} events: pass an id "
                               f"from an earlier zoom_events_recent or zoom_events_wait result, or omit {key}")


# --- the tools ------------------------------------------------------------------------------

class EventTools:
    """The two tools over ``log``. ``poll``: seconds between looks at the log
    while waiting (SQLite has no change notification; a look is one indexed
    read of the newest row)."""

    names = NAMES

    def __init__(self, log, *, max_wait: float = MAX_WAIT, poll: float = 0.2) -> None:
        self.log = log
        self.max_wait = float(max_wait)
        self.poll = float(poll)

    @classmethod
    def from_option(cls, source: Any) -> "EventTools | None":
        log = event_log(source)
        return None if log is None else cls(log)

    def tool_dicts(self) -> list[dict]:
        return _tool_dicts(self.max_wait)

    def tools(self, types) -> list:
        return [types.Tool.model_validate(t) for t in self.tool_dicts()]

    async def call(self, types, name: str, arguments: dict):
        try:
            payload = await (self.recent(arguments) if name == RECENT else self.wait(arguments))
        except EventsArgumentError as exc:
            text = f"{exc}."
            return types.CallToolResult(content=[types.TextContent(type="text", text=text)],
                                        structured_content={"error": text}, is_error=True)
        return types.CallToolResult(content=[types.TextContent(type="text", text=json.dumps(
            payload, ensure_ascii=False, default=str))], structured_content=payload)

    async def recent(self, arguments: dict) -> dict:
        patterns = _patterns(arguments)
        since = _cursor(arguments, "since")
        limit = _number(arguments, "limit", 20)
        limit = max(1, min(int(limit), MAX_LIMIT))
        if since is None:
            page, newest = await asyncio.to_thread(_latest, self.log, patterns, limit)
            return {"events": [_envelope(e) for e in page], "next_since": newest, "more": False}
        newer, found = await asyncio.to_thread(_after, self.log, since)
        if not found:
            raise _unknown_cursor("since", since)
        matching = [e for e in newer if _matches(patterns, e.type)]
        page, more = matching[:limit], len(matching) > limit
        # the cursor to continue from: past the page when more follow, else past everything read
        following = page[-1].id if more else (newer[-1].id if newer else since)
        return {"events": [_envelope(e) for e in page], "next_since": following, "more": more}

    async def wait(self, arguments: dict) -> dict:
        patterns = _patterns(arguments)
        after = _cursor(arguments, "after")
        asked = _number(arguments, "timeout", DEFAULT_WAIT)
        timeout = min(asked, self.max_wait)
        deadline = time.monotonic() + timeout
        if after is None:
            cursor = await asyncio.to_thread(_newest_id, self.log)   # only what arrives after the call started
        else:
            cursor = after
            newer, found = await asyncio.to_thread(_after, self.log, after)
            if not found:
                raise _unknown_cursor("after", after)
            hit = next((e for e in newer if _matches(patterns, e.type)), None)
            if hit is not None:
                return {"event": _envelope(hit), "timed_out": False, "after": hit.id,
                        "message": f"{hit.type} ({hit.id})"}
            if newer:
                cursor = newer[-1].id
        seen = cursor
        pause = min(0.05, self.poll)
        while True:
            newest = await asyncio.to_thread(_newest_id, self.log)
            if newest is not None and newest != seen:
                newer, found = await asyncio.to_thread(_after, self.log, cursor)
                hit = next((e for e in newer if _matches(patterns, e.type)), None)
                if hit is not None:
                    return {"event": _envelope(hit), "timed_out": False, "after": hit.id,
                            "message": f"{hit.type} ({hit.id})"}
                if newer:
                    cursor = newer[-1].id   # none of those matched: look only past them from now on
                seen = newest
            left = deadline - time.monotonic()
            if left <= 0:
                break
            await asyncio.sleep(min(pause, left))
            pause = min(self.poll, pause * 2)
        what = f"matching {', '.join(patterns)} " if patterns else ""
        capped = f" (timeout capped at {self.max_wait:g} s)" if asked > self.max_wait else ""
        return {"event": None, "timed_out": True, "after": cursor,
                "message": f"no event {what}within {timeout:g} s{capped}; call zoom_events_wait again with "
                           f"after={cursor!r} to continue without missing one" if cursor else
                           f"no event {what}within {timeout:g} s{capped}; call zoom_events_wait again"}


_EVENT_SCHEMA = {"type": "object", "description": "The event envelope: id, type (Zoom's event name), source "
                 "(webhook | websocket | trigger), occurred_at, account, connection, payload (Zoom's payload), "
                 "dedupe_key.",
                 "properties": {"id": {"type": "string"}, "type": {"type": "string"}, "source": {"type": "string"},
                                "occurred_at": {"type": "string"}, "account": {"type": ["string", "null"]},
                                "connection": {"type": ["string", "null"]}, "payload": {"type": "object"},
                                "dedupe_key": {"type": "string"}},
                 "required": ["id", "type", "source", "occurred_at", "payload"]}
_TYPES_ARG = {"type": "array", "items": {"type": "string"}, "maxItems": MAX_PATTERNS,
              "description": "Event types to include, as globs: e.g. [\"meeting.participant_*\", "
                             "\"recording.completed\"]. Omit for every type."}
_READ_ONLY = {"readOnlyHint": True, "destructiveHint": False, "idempotentHint": True, "openWorldHint": False}


def _tool_dicts(max_wait: float) -> list[dict]:
    return [
        {
            "name": RECENT,
            "title": "Recent Zoom events",
            "description": "Zoom events this server has received (webhooks, WebSocket, polling triggers), oldest "
                           "first: the latest ones, or those after `since`. Pass the returned next_since as "
                           "`since` (or as zoom_events_wait's `after`) to continue without gaps.",
            "inputSchema": {"type": "object", "properties": {
                "limit": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": 20,
                          "description": "How many events to return at most."},
                "types": _TYPES_ARG,
                "since": {"type": "string", "description": "Only events after this event id (from an earlier "
                                                           "result)."}},
                "additionalProperties": False},
            "outputSchema": {"type": "object", "properties": {
                "events": {"type": "array", "items": _EVENT_SCHEMA},
                "next_since": {"type": ["string", "null"], "description": "The cursor to pass as `since` next."},
                "more": {"type": "boolean", "description": "Whether more events after `since` follow this page: "
                                                           "call again with since=next_since."}},
                "required": ["events", "next_since", "more"]},
            "annotations": {"title": "Recent Zoom events", **_READ_ONLY},
        },
        {
            "name": WAIT,
            "title": "Wait for a Zoom event",
            "description": f"Wait up to `timeout` seconds (at most {max_wait:g}) for the next Zoom event of the "
                           "given types: one that arrives after this call starts, or the first after `after`. "
                           "Returns it, or timed_out with the cursor to pass as `after` when calling again, e.g. "
                           "to wait for recording.completed after a meeting ends.",
            "inputSchema": {"type": "object", "properties": {
                "types": _TYPES_ARG,
                "timeout": {"type": "number", "minimum": 0, "maximum": max_wait, "default": DEFAULT_WAIT,
                            "description": f"Seconds to wait (capped at {max_wait:g})."},
                "after": {"type": "string", "description": "Return the first matching event after this event id "
                                                           "(from an earlier result), even one already received."}},
                "additionalProperties": False},
            "outputSchema": {"type": "object", "properties": {
                "event": {"anyOf": [_EVENT_SCHEMA, {"type": "null"}]},
                "timed_out": {"type": "boolean"},
                "after": {"type": ["string", "null"], "description": "The cursor to pass as `after` next."},
                "message": {"type": "string"}},
                "required": ["event", "timed_out", "after", "message"]},
            "annotations": {"title": "Wait for a Zoom event", **_READ_ONLY},
        },
    ]
