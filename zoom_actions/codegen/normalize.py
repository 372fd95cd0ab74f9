"""Normalizing one spec document before the overlay and the planner.

Whatever real Zoom document comes in (Swagger 2.0 from 2017-2018, OpenAPI 3
from 2019 on, with the defects real documents have), the planner sees
OpenAPI 3 with every local ``$ref`` resolved, every media type a real one and
every path placeholder declared. Each repair is a ``Note`` the build
reports; what cannot be read at all is refused with ``BuildRefused`` and the
reason, never a traceback and never a silently broken action. Nonstandard
schema types (``Integer``, ``Date``, ``long``) are repaired where schemas
are converted (``schema.to_json_schema``), which reports them the same way.
"""

from __future__ import annotations

import copy
import re
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Iterator

HTTP_METHODS = ("get", "post", "put", "patch", "delete")
_PLACEHOLDER = re.compile(r"\{([^{}/]+)\}")


@dataclass(frozen=True)
class Note:
    """One repair of a spec defect: where, and what was done."""
    product: str
    where: str       # "GET /users/{userId}", or "document"
    message: str

    def __str__(self) -> str:
        return f"{self.product}: {self.where}: {self.message}"


class BuildRefused(ValueError):
    """A document the build step cannot read, with the reason."""


_notes: ContextVar[tuple[list[Note], str, str] | None] = ContextVar("zoom_actions_build_notes", default=None)


@contextmanager
def collecting(notes: list[Note], product: str, where: str = "document") -> Iterator[None]:
    """Route ``note()`` calls made inside (by schema conversion) to ``notes``."""
    token = _notes.set((notes, product, where))
    try:
        yield
    finally:
        _notes.reset(token)


def note(message: str) -> None:
    """Record a repair in the current ``collecting`` context (no-op outside one)."""
    current = _notes.get()
    if current is not None:
        notes, product, where = current
        item = Note(product, where, message)
        if item not in notes:
            notes.append(item)


def normalize(product: str, doc: Any, notes: list[Note], *, has_refs: bool = True) -> dict:
    """``doc`` (a parsed spec) as OpenAPI 3 the planner can read; repairs go to ``notes``."""
    if not isinstance(doc, dict):
        raise BuildRefused(f"{product}: not a spec document (a JSON {type(doc).__name__}, not an object)")
    version = doc.get("openapi", doc.get("swagger"))
    if str(doc.get("swagger", "")).startswith("2."):
        doc = from_swagger2(doc)
        notes.append(Note(product, "document", f"Swagger {version} document converted to OpenAPI 3"))
        has_refs = True
    elif not str(doc.get("openapi", "")).startswith("3."):
        raise BuildRefused(f"{product}: unsupported document version {version!r}: zoom-actions reads OpenAPI 3.x "
                           "and Swagger 2.0")
    if not isinstance(doc.get("paths"), dict):
        raise BuildRefused(f"{product}: the document has no `paths` object")
    if has_refs:
        doc = _Resolver(doc, product, notes).resolve_document()
    for path, item in doc["paths"].items():
        if not isinstance(item, dict):
            notes.append(Note(product, path, "path item is not an object; skipped"))
            continue
        for method in HTTP_METHODS:
            op = item.get(method)
            if isinstance(op, dict):
                where = f"{method.upper()} {path}"
                _declare_placeholders(product, where, path, item, op, notes)
                _fix_media_types(product, where, op, notes)
    return doc


# --- operations ----------------------------------------------------------------

def _declare_placeholders(product: str, where: str, path: str, item: dict, op: dict, notes: list[Note]) -> None:
    """A ``{name}`` in the path with no declared parameter becomes a required
    string path parameter (``users-ma.json`` has one, older documents more)."""
    declared = {p.get("name") for p in (item.get("parameters") or []) + (op.get("parameters") or [])
                if isinstance(p, dict) and p.get("in") == "path"}
    for name in _PLACEHOLDER.findall(path):
        if name not in declared:
            op.setdefault("parameters", []).append(
                {"name": name, "in": "path", "required": True, "schema": {"type": "string"},
                 "description": f"The `{name}` in the path (the document does not describe it)."})
            notes.append(Note(product, where, f"path placeholder {{{name}}} has no declared parameter; "
                                              "added as a required string"))


def _fix_media_types(product: str, where: str, op: dict, notes: list[Note]) -> None:
    body = op.get("requestBody")
    content = body.get("content") if isinstance(body, dict) else None
    if not isinstance(content, dict):
        return
    for ctype in list(content):
        if "/" not in ctype:   # `undefined` in calendar.json
            media = content.pop(ctype)
            target = "application/json" if "application/json" not in content else None
            if target:
                content[target] = media
                notes.append(Note(product, where, f"request body media type {ctype!r} read as application/json"))
            else:
                notes.append(Note(product, where, f"request body media type {ctype!r} dropped"))


# --- $ref ------------------------------------------------------------------------

class _Resolver:
    """Inline every local ``$ref`` (``#/...``). A reference that points
    nowhere, outside the document, or into itself becomes a loose schema
    (``{}``) with a note: the operation stays, with a looser type."""

    def __init__(self, doc: dict, product: str, notes: list[Note]) -> None:
        self.doc, self.product, self.notes = doc, product, notes
        self.where = "document"

    def resolve_document(self) -> dict:
        out = {k: v for k, v in self.doc.items() if k != "paths"}
        paths = {}
        for path, item in self.doc["paths"].items():
            self.where = path
            paths[path] = self.walk(item, ())
        out["paths"] = paths
        return out

    def walk(self, node: Any, stack: tuple[str, ...]) -> Any:
        if isinstance(node, list):
            return [self.walk(v, stack) for v in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str):
            target = self.lookup(ref, stack)
            if target is None:
                return {k: self.walk(v, stack) for k, v in node.items() if k != "$ref"}
            siblings = {k: self.walk(v, stack) for k, v in node.items() if k != "$ref"}
            resolved = self.walk(copy.deepcopy(target), stack + (ref,))
            return {**resolved, **siblings} if isinstance(resolved, dict) else resolved
        return {k: self.walk(v, stack) for k, v in node.items()}

    def lookup(self, ref: str, stack: tuple[str, ...]) -> Any:
        def broken(why: str) -> None:
            self.notes.append(Note(self.product, self.where, f"$ref {ref!r} {why}; read as any value"))
        if not ref.startswith("#/"):
            broken("points outside the document")
            return None
        if ref in stack:
            broken("refers to itself")
            return None
        obj: Any = self.doc
        for raw in ref[2:].split("/"):
            part = raw.replace("~1", "/").replace("~0", "~")
            if isinstance(obj, dict) and part in obj:
                obj = obj[part]
            elif isinstance(obj, list) and part.isdigit() and int(part) < len(obj):
                obj = obj[int(part)]
            else:
                broken("points nowhere")
                return None
        return obj


# --- Swagger 2.0 -----------------------------------------------------------------

_PARAM_SCHEMA_KEYS = ("type", "format", "items", "enum", "default", "minimum", "maximum", "exclusiveMinimum",
                      "exclusiveMaximum", "minLength", "maxLength", "pattern", "minItems", "maxItems",
                      "uniqueItems", "multipleOf")


def from_swagger2(doc: dict) -> dict:
    """A Swagger 2.0 document as OpenAPI 3.0: ``host``/``basePath`` become
    ``servers``, ``in: body`` and ``in: formData`` parameters a
    ``requestBody``, ``responses.*.schema`` a JSON ``content``, and
    ``#/definitions``, ``#/parameters``, ``#/responses`` references point at
    their ``components`` (path parameters given by ``$ref`` included)."""
    doc = _rewrite_refs(copy.deepcopy(doc))
    scheme = (doc.get("schemes") or ["https"])[0]
    host = doc.get("host") or "api.zoom.us"
    base = doc.get("basePath") or ""
    out: dict[str, Any] = {
        "openapi": "3.0.0",
        "info": doc.get("info", {}),
        "servers": [{"url": f"{scheme}://{host}{base}".rstrip("/")}],
        "components": {"schemas": doc.get("definitions") or {},
                       "parameters": doc.get("parameters") or {},
                       "responses": doc.get("responses") or {}},
        "paths": {},
    }
    consumes = doc.get("consumes") or ["application/json"]
    produces = doc.get("produces") or ["application/json"]
    params = out["components"]["parameters"]
    for name, prm in list(params.items()):
        if isinstance(prm, dict) and prm.get("in") not in ("body", "formData"):
            params[name] = _parameter(prm)
    for name, resp in list(out["components"]["responses"].items()):
        out["components"]["responses"][name] = _response(resp, produces)
    for path, item in (doc.get("paths") or {}).items():
        if not isinstance(item, dict):
            continue
        new_item: dict[str, Any] = {}
        shared = item.get("parameters") or []
        for method in HTTP_METHODS:
            op = item.get(method)
            if isinstance(op, dict):
                new_item[method] = _operation(op, shared, doc, op.get("consumes") or consumes,
                                              op.get("produces") or produces)
        out["paths"][path] = new_item
    return out


def _rewrite_refs(node: Any) -> Any:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            for old, new in (("#/definitions/", "#/components/schemas/"), ("#/parameters/", "#/components/parameters/"),
                             ("#/responses/", "#/components/responses/")):
                if ref.startswith(old):
                    node["$ref"] = new + ref[len(old):]
        for v in node.values():
            _rewrite_refs(v)
    elif isinstance(node, list):
        for v in node:
            _rewrite_refs(v)
    return node


def _parameter(prm: dict) -> dict:
    if "$ref" in prm or "schema" in prm:
        return prm
    out = {k: v for k, v in prm.items() if k not in _PARAM_SCHEMA_KEYS and k not in ("collectionFormat", "allowEmptyValue")}
    schema = {k: prm[k] for k in _PARAM_SCHEMA_KEYS if k in prm}
    if schema.get("type") == "file":
        schema = {"type": "string", "format": "binary"}
    out["schema"] = schema
    if prm.get("collectionFormat") == "csv" and prm.get("type") == "array":
        out.setdefault("description", "")
        out["description"] = (out["description"] + " Comma-separated.").strip()
    return out


def _deref_parameter(prm: Any, doc: dict) -> Any:
    """A parameter given by ``$ref`` (already rewritten to components)."""
    if isinstance(prm, dict) and isinstance(prm.get("$ref"), str) and prm["$ref"].startswith("#/components/parameters/"):
        target = (doc.get("parameters") or {}).get(prm["$ref"].rsplit("/", 1)[1])
        return target if isinstance(target, dict) else prm
    return prm


def _operation(op: dict, shared: list, doc: dict, consumes: list, produces: list) -> dict:
    new = {k: v for k, v in op.items() if k not in ("parameters", "responses", "consumes", "produces", "schemes")}
    params, form = [], []
    by_key = {}
    for prm in [*shared, *(op.get("parameters") or [])]:   # an operation's own parameter wins over the path's
        real = _deref_parameter(prm, doc)
        key = (real.get("name"), real.get("in")) if isinstance(real, dict) else (id(prm), None)
        by_key[key] = (prm, real)
    for prm, real in by_key.values():
        where = real.get("in") if isinstance(real, dict) else None
        if where == "body":
            new["requestBody"] = {"required": bool(real.get("required")), "description": real.get("description", ""),
                                  "content": {_json_first(consumes): {"schema": real.get("schema") or {}}}}
        elif where == "formData":
            form.append(real)
        else:
            params.append(_parameter(prm) if isinstance(prm, dict) and "$ref" not in prm else prm)
    if form:
        files = any(p.get("type") == "file" for p in form)
        ctype = "multipart/form-data" if files else "application/x-www-form-urlencoded"
        props = {p["name"]: _parameter(p)["schema"] | ({"description": p["description"]} if p.get("description") else {})
                 for p in form if p.get("name")}
        required = [p["name"] for p in form if p.get("required") and p.get("name")]
        schema: dict[str, Any] = {"type": "object", "properties": props}
        if required:
            schema["required"] = required
        new["requestBody"] = {"required": bool(required), "content": {ctype: {"schema": schema}}}
    if params:
        new["parameters"] = params
    new["responses"] = {str(code): _response(resp, produces) for code, resp in (op.get("responses") or {}).items()}
    return new


def _response(resp: Any, produces: list) -> Any:
    if not isinstance(resp, dict) or "$ref" in resp:
        return resp
    out = {k: v for k, v in resp.items() if k not in ("schema", "examples")}
    out.setdefault("description", "")
    if resp.get("schema") is not None:
        out["content"] = {_json_first(produces): {"schema": resp["schema"]}}
    return out


def _json_first(types: list) -> str:
    return "application/json" if "application/json" in types or not types else str(types[0])
