"""Flat parameters: one top-level input property per path/query/header
parameter and per leaf of a JSON body (nested plain objects joined with
``__``), each recorded with where it goes and its key path.

Collision rule (fixed, tested): names are taken in order -- path, query and
header parameters first, then body fields in the spec's property order.
A body field whose name is taken by a non-body parameter becomes
``body_<name>``; any name still taken gets ``_2``, ``_3``...; a name longer
than 64 characters is cut to 55 and given ``_`` + 8 hex digits of the sha1 of
its key path. Characters outside ``[A-Za-z0-9_]`` become ``_``.
"""

from __future__ import annotations

import copy
import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from .schema import is_objectish, is_plain_object, merge_all_of

SEP = "__"
FLAT_NAME_RE = re.compile(r"^[A-Za-z0-9_]{1,64}$")
_BAD = re.compile(r"[^A-Za-z0-9_]")

FILE_SCHEMA = {
    "type": "object",
    "description": "A file to upload: its bytes as base64 in `content_base64` with a `filename`, "
                   "or a `path` inside the upload directory the toolkit was configured with.",
    "properties": {
        "filename": {"type": "string", "description": "File name sent to Zoom, with its extension."},
        "content_base64": {"type": "string", "contentEncoding": "base64", "description": "The file's bytes, base64-encoded."},
        "path": {"type": "string", "description": "A path relative to the configured upload directory."},
        "content_type": {"type": "string", "description": "MIME type; guessed from the file name when absent."},
    },
    "additionalProperties": False,
}


@dataclass
class FlatParam:
    name: str
    location: str  # path | query | header | body | multipart
    key_path: list[str]
    schema: dict
    required: bool
    original_name: str | None = None  # for path/query/header
    file: bool = False
    extra: dict = field(default_factory=dict)

    def entry(self) -> dict:
        e: dict[str, Any] = {"in": self.location}
        if self.location in ("path", "query", "header"):
            e["name"] = self.original_name
        else:
            e["path"] = list(self.key_path)
        if self.file:
            e["file"] = True
        e.update(self.extra)
        return e


def sanitize(name: str) -> str:
    s = _BAD.sub("_", name)
    return s or "_"


def _short(name: str, key_path: list[str]) -> str:
    if len(name) <= 64:
        return name
    digest = hashlib.sha1("\x1f".join(key_path).encode()).hexdigest()[:8]
    return name[:55] + "_" + digest


class NameTable:
    def __init__(self) -> None:
        self.taken: dict[str, str] = {}  # name -> location

    def claim(self, wanted: str, key_path: list[str], location: str) -> str:
        name = _short(wanted, key_path)
        if location in ("body", "multipart") and self.taken.get(name) in ("path", "query", "header"):
            name = _short("body_" + wanted, key_path)
        base, n = name, 2
        while name in self.taken:
            suffix = f"_{n}"
            name = base[: 64 - len(suffix)] + suffix
            n += 1
        self.taken[name] = location
        return name


def flatten_body(schema: dict, *, required_body: bool, location: str = "body") -> tuple[list[FlatParam], list[list[str]], str]:
    """Flatten a converted (2020-12) body schema.

    Returns (flat params, key paths of flattened objects that must exist,
    body kind: "object" | "union" | "whole").
    """
    schema = merge_all_of(schema)
    params: list[FlatParam] = []
    containers: list[list[str]] = []
    if is_plain_object(schema):
        _walk(schema, [], required_body, params, containers, location)
        return params, containers, "object"
    variants = schema.get("oneOf") or schema.get("anyOf")
    if variants and all(isinstance(v, dict) and is_objectish(merge_all_of(v)) for v in variants):
        return _union_members([merge_all_of(v) for v in variants], location), containers, "union"
    whole = copy.deepcopy(schema)
    params.append(FlatParam("body", location, [], whole, required_body))
    return params, containers, "whole"


def _walk(obj: dict, prefix: list[str], required: bool, out: list[FlatParam],
          containers: list[list[str]], location: str) -> None:
    req = set(obj.get("required", []))
    if prefix and required:
        containers.append(list(prefix))
    for key, sub in obj["properties"].items():
        sub = merge_all_of(sub) if isinstance(sub, dict) else {}
        path = prefix + [key]
        child_required = required and key in req
        if location == "body" and is_plain_object(sub):
            _walk(sub, path, child_required, out, containers, location)
            continue
        is_file = sub.get("format") == "binary" and sub.get("type") in ("string", None)
        flat_schema = copy.deepcopy(FILE_SCHEMA) if is_file else copy.deepcopy(sub)
        if is_file and sub.get("description"):
            flat_schema["description"] = sub["description"] + " " + FILE_SCHEMA["description"]
        out.append(FlatParam(SEP.join(sanitize(k) for k in path), location, path, flat_schema, child_required,
                             file=is_file))


def _union_members(variants: list[dict], location: str) -> list[FlatParam]:
    """A body that is a union of objects: the variants' top-level properties,
    each passed whole; required only when every variant requires it."""
    order: list[str] = []
    schemas: dict[str, list[dict]] = {}
    for v in variants:
        for key, sub in v.get("properties", {}).items():
            if key not in schemas:
                order.append(key)
                schemas[key] = []
            if sub not in schemas[key]:
                schemas[key].append(sub)
    out = []
    for key in order:
        subs = schemas[key]
        required = all(key in v.get("required", []) and key in v.get("properties", {}) for v in variants)
        if len(subs) == 1:
            s = copy.deepcopy(subs[0])
        else:
            s = {"anyOf": copy.deepcopy(subs)}
            descs = [x.get("description") for x in subs if x.get("description")]
            if descs:
                s["description"] = descs[0]
        out.append(FlatParam(sanitize(key), location, [key], s, required))
    return out
