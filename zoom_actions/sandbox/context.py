"""What a stateful handler receives and returns, the registry of handlers
by action name, the events a change emits, and Zoom-style paging."""

from __future__ import annotations

import base64
import math
import time
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable

from .errors import ZoomError
from .store import Store


class Emits(list):
    """The Zoom events one change of state will emit, as ``(event, payload,
    extra top-level fields)``. Handlers only collect them (``req.emit``);
    ``Sandbox.change`` sends them once the change has committed, so a request
    that fails emits nothing and no handler ever talks HTTP itself."""

    def emit(self, event: str, payload: dict, **top: Any) -> None:
        self.append((event, payload, top))


@dataclass
class Req:
    action: dict
    path: dict[str, Any]
    query: dict[str, Any]
    headers: dict[str, Any]
    body: Any
    files: dict[str, Any]
    store: Store
    now: datetime
    origin: str  # http://127.0.0.1:PORT, for URLs the sandbox serves itself
    emits: Emits = field(default_factory=Emits)   # sent after the request's transaction commits

    def emit(self, event: str, payload: dict, **top: Any) -> None:
        self.emits.emit(event, payload, **top)

    @property
    def name(self) -> str:
        return self.action["name"]

    def q(self, name: str, default: Any = None) -> Any:
        """A query value, else the schema's default, else ``default``."""
        if name in self.query:
            return self.query[name]
        for flat, loc in self.action["parameters"].items():
            if loc["in"] == "query" and loc["name"] == name:
                d = self.action["input_schema"]["properties"].get(flat, {}).get("default")
                if d is not None:
                    return d
        return default


@dataclass
class Reply:
    body: Any = None
    status: int | None = None          # None: the action's success status
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    raw: bool = False                  # body is bytes/str sent as is (no conform)


Handler = Callable[[Req], "Reply | dict | list | None"]
HANDLERS: dict[str, Handler] = {}


def handles(*names: str) -> Callable[[Handler], Handler]:
    def deco(fn: Handler) -> Handler:
        for n in names:
            HANDLERS[n] = fn
        return fn
    return deco


# --- paging -------------------------------------------------------------------

TOKEN_TTL_S = 15 * 60  # Zoom: a next_page_token is valid for 15 minutes


def _scope(req: Req) -> str:
    return req.name + "|" + "|".join(f"{k}={v}" for k, v in sorted(req.path.items()))


def _scope_tag(scope: str) -> int:
    # not hash(): it is salted per process, and tokens must survive a restart with --db
    return zlib.crc32(scope.encode()) % 10**8


def make_token(scope: str, offset: int) -> str:
    raw = f"{offset}|{int(time.time())}|{_scope_tag(scope)}|sbx"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def read_token(scope: str, token: str) -> int:
    bad = ZoomError(400, 300, "The next page token is invalid or expired.")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        offset_s, issued_s, tag_s, magic = raw.split("|")
        offset, issued, tag = int(offset_s), int(issued_s), int(tag_s)
    except (ValueError, UnicodeDecodeError):
        raise bad from None
    if magic != "sbx" or tag != _scope_tag(scope) or time.time() - issued > TOKEN_TTL_S or offset < 0:
        raise bad
    return offset


def page(req: Req, items: list, key: str, *, extra_scope: str = "") -> dict:
    """One page of ``items`` as Zoom lists answer: ``page_size``,
    ``total_records``, ``next_page_token`` ("" on the last page) and, for the
    older lists, ``page_count``/``page_number``. Filters belong in
    ``extra_scope`` so a token cannot be replayed under other filters."""
    size = int(req.q("page_size", 30) or 30)
    size = max(1, size)
    scope = _scope(req) + "|" + extra_scope
    token = req.query.get("next_page_token")
    if token:
        offset = read_token(scope, token)
    else:
        number = req.query.get("page_number")
        try:
            number = int(number) if number is not None else 1
        except (TypeError, ValueError):
            number = 1
        offset = (max(1, number) - 1) * size
    chunk = items[offset: offset + size]
    nxt = make_token(scope, offset + size) if offset + size < len(items) else ""
    return {
        "page_size": size,
        "total_records": len(items),
        "next_page_token": nxt,
        "page_count": max(1, math.ceil(len(items) / size)) if items else 0,
        "page_number": offset // size + 1,
        key: chunk,
    }
