"""Requests -> actions, from the catalog's method + path templates.

A template segment ``{name}`` matches any one segment; among templates that
match, the one with the most literal segments wins (``/meetings/meeting_summaries``
beats ``/meetings/{meetingId}``). Path values are decoded once, and once
more when still percent-encoded: Zoom clients double-encode meeting UUIDs
that start with ``/`` or contain ``//``, and a UUID (base64) never holds ``%``.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote


@dataclass(frozen=True)
class Route:
    name: str
    method: str
    template: str
    segments: tuple[str, ...]

    @property
    def literal_count(self) -> int:
        return sum(1 for s in self.segments if not _is_param(s))


@dataclass
class Match:
    route: Route
    params: dict[str, str]


def _is_param(seg: str) -> bool:
    return seg.startswith("{") and seg.endswith("}")


def decode_segment(raw: str) -> str:
    value = unquote(raw)
    if "%" in value:
        value = unquote(value)
    return value


class Router:
    def __init__(self, entries: dict[str, dict]) -> None:
        """``entries``: the catalog index's ``actions`` map (name -> entry with
        ``method`` and ``path``)."""
        self._by_shape: dict[tuple[str, int], list[Route]] = {}
        self._paths: dict[int, list[Route]] = {}
        for name, e in entries.items():
            segs = tuple(s for s in e["path"].split("/") if s)
            route = Route(name, e["method"].upper(), e["path"], segs)
            self._by_shape.setdefault((route.method, len(segs)), []).append(route)
            self._paths.setdefault(len(segs), []).append(route)
        for routes in self._by_shape.values():
            routes.sort(key=lambda r: (-r.literal_count, tuple(_is_param(x) for x in r.segments)))

    def match(self, method: str, raw_path: str) -> Match | None:
        """``raw_path``: the still-encoded path below ``/v2``."""
        raw_segs = [s for s in raw_path.split("/") if s]
        for route in self._by_shape.get((method.upper(), len(raw_segs)), ()):
            params = _match(route, raw_segs)
            if params is not None:
                return Match(route, params)
        return None

    def allowed(self, raw_path: str) -> list[str]:
        """Methods that some template answers for this path (for 405s)."""
        raw_segs = [s for s in raw_path.split("/") if s]
        return sorted({r.method for r in self._paths.get(len(raw_segs), ()) if _match(r, raw_segs) is not None})


def _match(route: Route, raw_segs: list[str]) -> dict[str, str] | None:
    params: dict[str, str] = {}
    for tmpl, raw in zip(route.segments, raw_segs):
        if _is_param(tmpl):
            value = decode_segment(raw)
            if not value:
                return None
            params[tmpl[1:-1]] = value
        elif tmpl != unquote(raw):
            return None
    return params
