"""Flat parameters <-> the parts of a request.

An action's ``parameters`` map records, for every flat input name, where it
goes (``in``: path, query, header, body, multipart) and its key path, so
rebuilding the request never guesses from the name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class RequestParts:
    path: dict[str, Any] = field(default_factory=dict)
    query: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, Any] = field(default_factory=dict)
    body: Any = None  # None: no JSON body
    multipart: dict[str, Any] = field(default_factory=dict)


def unflatten(action: dict, params: dict[str, Any]) -> RequestParts:
    """Split flat, already-validated params into path/query/header/body parts.

    Unknown names are ignored here (validation rejects them earlier).
    A flattened object that the body schema requires is created even when
    none of its fields were given.
    """
    mapping = action["parameters"]
    parts = RequestParts()
    rb = action.get("request_body")
    body: Any = None
    if rb and rb.get("kind") in ("object", "union") and rb.get("content_type", "").endswith("json"):
        if rb.get("required") or rb.get("containers"):
            body = {}
        for container in rb.get("containers", ()):
            _set(body, container, None, create_only=True)
    for name, value in params.items():
        loc = mapping.get(name)
        if loc is None:
            continue
        where = loc["in"]
        if where == "path":
            parts.path[loc["name"]] = value
        elif where == "query":
            parts.query[loc["name"]] = value
        elif where == "header":
            parts.headers[loc["name"]] = value
        elif where == "multipart":
            parts.multipart[loc["path"][0]] = value
        else:  # body
            key_path = loc["path"]
            if not key_path:
                body = value
                continue
            if body is None:
                body = {}
            _set(body, key_path, value)
    parts.body = body
    return parts


def _set(obj: dict, key_path: list[str], value: Any, *, create_only: bool = False) -> None:
    for key in key_path[:-1]:
        nxt = obj.get(key)
        if not isinstance(nxt, dict):
            nxt = obj[key] = {}
        obj = nxt
    last = key_path[-1]
    if create_only:
        if not isinstance(obj.get(last), dict):
            obj[last] = {}
    else:
        obj[last] = value


def flatten_body(action: dict, body: Any) -> dict[str, Any]:
    """The inverse for a JSON body: nested body -> flat params (for tests,
    the sandbox and tools that start from a nested payload)."""
    out: dict[str, Any] = {}
    by_path = {tuple(loc["path"]): name for name, loc in action["parameters"].items() if loc["in"] == "body"}
    if () in by_path:
        out[by_path[()]] = body
        return out

    def walk(obj: Any, prefix: tuple[str, ...]) -> None:
        for key, value in obj.items():
            path = prefix + (key,)
            if path in by_path:
                out[by_path[path]] = value
            elif isinstance(value, dict):
                walk(value, path)
            else:
                raise KeyError("/".join(path))

    if isinstance(body, dict):
        walk(body, ())
    return out
