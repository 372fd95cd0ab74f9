"""Plan actions: one action document per operation of the normalized specs."""

from __future__ import annotations

import copy
import re
from typing import Any

from .flatten import SEP, FlatParam, NameTable, flatten_body, sanitize
from .naming import OpRef, assign_names, op_key
from .normalize import Note, collecting
from .overlay import HTTP_METHODS
from .schema import to_json_schema
from .text import (clean_description, documented_errors, first_sentence, operation_description,
                   rate_limit_label, scopes_from_text)

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
_DESTRUCTIVE_VERBS = re.compile(r"^(delete|remove|unassign|revoke|reset|disassociate|end|cancel|wipe|clear)\b", re.I)
_FLAT_KEYWORDS = ("type", "enum", "const", "format", "default", "minimum", "maximum", "exclusiveMinimum",
                  "exclusiveMaximum", "minLength", "maxLength", "pattern", "minItems", "maxItems", "uniqueItems",
                  "multipleOf", "deprecated", "description", "examples", "items", "properties",
                  "additionalProperties", "required", "oneOf", "anyOf", "allOf", "contentEncoding", "title",
                  "minProperties", "maxProperties", "readOnly", "writeOnly", "not")


def iter_operations(doc: dict):
    for path, item in doc.get("paths", {}).items():
        for method in HTTP_METHODS:
            op = item.get(method)
            if isinstance(op, dict):
                yield path, method, op, item


def plan_catalog(specs: list[tuple[dict, dict]], lock: dict[str, str],
                 notes: list[Note] | None = None) -> tuple[list[dict], dict[str, str]]:
    """specs: [(product source entry, normalized spec)] in product order.

    Returns (action documents in catalog order, op key -> name). An operation
    that an earlier document already holds (same server, method and path: 11
    of them are in both ``accounts.json`` and ``accounts-ma.json``) is one
    action, owned by the earlier product; the later product is listed in the
    action's ``also_in`` so that selecting it still selects the action.
    """
    refs: list[OpRef] = []
    owner: dict[tuple[str, str, str], str] = {}      # (server, METHOD, path) -> op key of its first document
    duplicates: dict[str, list[str]] = {}            # owner op key -> later products holding the same operation
    for pi, (src, doc) in enumerate(specs):
        for path, method, op, item in iter_operations(doc):
            key = op_key(src["id"], method, path)
            where = (operation_server(doc, item, op).rstrip("/"), method.upper(), path)
            if where in owner:
                duplicates.setdefault(owner[where], []).append(src["id"])
                continue
            owner[where] = key
            refs.append(OpRef(key, pi, method.upper(), path, op.get("summary", ""),
                              master=bool(src.get("master_account"))))
    names = assign_names(refs, lock)
    notes = [] if notes is None else notes
    actions = []
    for src, doc in specs:
        for path, method, op, item in iter_operations(doc):
            key = op_key(src["id"], method, path)
            if key not in names:
                continue
            where = f"{method.upper()} {path}"
            with collecting(notes, src["id"], where):
                try:
                    action = plan_action(names[key], src, operation_server(doc, item, op), path, method, op, item)
                except Exception as exc:  # noqa: BLE001 - one unreadable operation is reported, not a crash
                    notes.append(Note(src["id"], where, f"operation refused ({type(exc).__name__}: {exc}); "
                                                        "no action built"))
                    del names[key]
                    continue
            action["also_in"] = duplicates.get(key, [])
            actions.append(action)
    return actions, names


def operation_server(doc: dict, item: dict, op: dict) -> str:
    """The server an operation is sent to: its own ``servers``, else its path
    item's, else the document's (SCIM2 is ``https://api.zoom.us`` with
    ``/scim2/...`` paths; Clips ``https://api.zoom.us/``)."""
    for holder in (op, item, doc):
        servers = holder.get("servers")
        if isinstance(servers, list) and servers and isinstance(servers[0], dict) and servers[0].get("url"):
            return str(servers[0]["url"])
    return "https://api.zoom.us/v2"


def _flat_property(schema: dict, description: str | None) -> dict:
    prop = {k: copy.deepcopy(schema[k]) for k in _FLAT_KEYWORDS if k in schema}
    if description and "description" not in prop:
        prop["description"] = description
    return prop


def plan_action(name: str, src: dict, server: str, path: str, method: str, op: dict, item: dict) -> dict:
    raw_description = op.get("description", "") or ""
    xe = op.get("x-extensions", {}) or {}
    classic, granular = scopes_from_text(raw_description)
    scopes = {"classic": list(xe.get("x-macro-scopes", classic)), "granular": list(xe.get("x-granular-scopes", granular))}

    table = NameTable()
    flat: list[FlatParam] = []
    raw_params = list(item.get("parameters", [])) + list(op.get("parameters", []))
    for prm in raw_params:
        loc = prm.get("in")
        if loc not in ("path", "query", "header"):
            continue
        schema = to_json_schema(prm.get("schema", {}))
        desc = clean_description(prm.get("description", ""))
        if desc:
            schema["description"] = desc
        if prm.get("deprecated"):
            schema["deprecated"] = True
        if "example" in prm and "examples" not in schema:
            schema["examples"] = [prm["example"]]
        required = bool(prm.get("required")) or loc == "path"
        if loc == "path" and "string" in (schema.get("type") if isinstance(schema.get("type"), list)
                                          else [schema.get("type", "string")]):
            schema.setdefault("minLength", 1)   # the runtime refuses an empty path segment; the schema says so
        flat.append(FlatParam(sanitize(prm["name"]), loc, [], schema, required, original_name=prm["name"]))

    request_body = None
    containers: list[list[str]] = []
    body_kind = None
    rb = op.get("requestBody")
    if isinstance(rb, dict) and rb.get("content"):
        content = rb["content"]
        ctype = "application/json" if "application/json" in content else sorted(content)[0]
        body_schema = to_json_schema(content[ctype].get("schema", {}), request=True)
        body_required = bool(rb.get("required")) or _declares_required(body_schema)
        location = "multipart" if ctype.startswith("multipart/") else "body"
        body_params, containers, body_kind = flatten_body(body_schema, required_body=body_required, location=location)
        flat.extend(body_params)
        request_body = {"content_type": ctype, "required": body_required, "kind": body_kind,
                        "schema": body_schema}   # Zoom's own unions kept: the contract check needs oneOf
        if containers:
            request_body["containers"] = containers

    properties: dict[str, Any] = {}
    required: list[str] = []
    parameters: dict[str, dict] = {}
    aliases: dict[str, str] = {}
    for fp in flat:
        fp.name = table.claim(fp.name, fp.key_path or [fp.original_name or fp.name], fp.location)
        properties[fp.name] = _flat_property(fp.schema, None)
        if fp.required:
            required.append(fp.name)
        parameters[fp.name] = fp.entry()
        if fp.location == "body" and len(fp.key_path) > 1:
            alias = SEP.join(sanitize(k).replace("_", "__") for k in fp.key_path)
            if alias != fp.name:
                aliases[alias] = fp.name
    # an alias never shadows a real name
    aliases = {a: n for a, n in aliases.items() if a not in properties}
    for fname, loc in parameters.items():   # arrays Zoom documents as comma-separated go on the wire joined
        if loc["in"] == "query" and _COMMA_HINT.search(str(properties[fname].get("description", ""))):
            loc["style"] = "comma"

    input_schema: dict[str, Any] = {"$schema": JSON_SCHEMA_DIALECT, "type": "object",
                                    "properties": properties, "additionalProperties": False}
    if required:
        input_schema["required"] = required

    output_schema, success_status, media_type = _output_schema(op)
    errors = _errors(op)
    summary = op.get("summary", "") or name
    description = operation_description(raw_description)
    tags = list(op.get("tags", []))
    annotations = {
        "read_only": method == "get",
        "destructive": method == "delete" or bool(_DESTRUCTIVE_VERBS.search(summary.strip())),
        "idempotent": method in ("get", "put", "delete"),
    }
    doc: dict[str, Any] = {
        "name": name,
        "title": summary,
        "description": description,
        "short_description": first_sentence(description) or summary,
        "product": src["id"],
        "tags": tags,
        "operation": {"method": method.upper(), "path": path, "server": server,
                      "operation_id": op.get("operationId")},
        "scopes": scopes,
        "rate_limit": rate_limit_label(raw_description),
        "annotations": annotations,
        "deprecated": bool(op.get("deprecated")),
        "input_schema": input_schema,
        "output_schema": output_schema,
        "parameters": parameters,
        "aliases": dict(sorted(aliases.items())),
        "request_body": request_body,
        "success_status": success_status,
        "errors": errors,
        "pagination": _pagination(parameters, output_schema),
    }
    if media_type:   # only a non-JSON success (a file download) carries it
        doc["response_content_type"] = media_type
    return doc


_COMMA_HINT = re.compile(r"comma[ -]sep[ae]rated", re.IGNORECASE)


def _pagination(parameters: dict, output_schema: dict) -> dict | None:
    """How the runtime follows pages: next_page_token, else page_number; and the list field."""
    def query(name: str) -> bool:
        return parameters.get(name, {}).get("in") == "query"
    kind = "next_page_token" if query("next_page_token") else "page_number" if query("page_number") else None
    if kind is None:
        return None
    data = (output_schema.get("properties") or {}).get("data") or {}
    lists = [k for k, v in (data.get("properties") or {}).items() if isinstance(v, dict) and v.get("type") == "array"]
    return {"kind": kind, "list_field": lists[0] if lists else None}


def _declares_required(schema: dict) -> bool:
    """Zoom never marks ``requestBody.required``; a body whose schema requires
    fields (in every variant, for a union) is treated as required, so that
    those fields are required at top level."""
    if schema.get("required"):
        return True
    variants = schema.get("oneOf") or schema.get("anyOf")
    return bool(variants) and all(isinstance(v, dict) and v.get("required") for v in variants)


def _any_of(schema):
    """Responses are described, not chosen between: Zoom's response ``oneOf``
    branches overlap (an object matching two fails ``oneOf``), so read them as
    ``anyOf``."""
    if isinstance(schema, dict):
        return {("anyOf" if k == "oneOf" else k): _any_of(v) for k, v in schema.items()}
    if isinstance(schema, list):
        return [_any_of(v) for v in schema]
    return schema


def _header_media_type(response: dict) -> str | None:
    """The media type a response declares only in its ``Content-Type`` header
    (Zoom's file downloads: invoice PDFs, legal-hold zips, whiteboard files
    have no ``content`` and put ``application/pdf`` in the header's example)."""
    for name, header in (response.get("headers") or {}).items():
        if name.lower() != "content-type" or not isinstance(header, dict):
            continue
        schema = header.get("schema") if isinstance(header.get("schema"), dict) else {}
        for value in (schema.get("example"), header.get("example"), *(schema.get("enum") or ())):
            if isinstance(value, str) and "/" in value:
                return value.split(";")[0].strip()
    return None


def _output_schema(op: dict) -> tuple[dict, int | None, str | None]:
    """The envelope schema, the success status, and the success body's media
    type when it is not JSON (the runtime asks for it in ``Accept``)."""
    responses = op.get("responses", {}) or {}
    codes = sorted(c for c in responses if str(c).startswith("2"))
    data_schema: dict[str, Any] = {"type": "object", "description": "Empty: Zoom answered with no content."}
    status = int(codes[0]) if codes else None
    media_type = None
    for c in codes:
        content = responses[c].get("content") or {}
        if "application/json" in content:
            data_schema = _any_of(to_json_schema(content["application/json"].get("schema") or {})) or {
                "description": "Any JSON value."}
            status = int(c)
            break
        ctype = sorted(content)[0] if content else _header_media_type(responses[c])
        if ctype and not (not content and "json" in ctype):   # a header saying JSON over no content: empty
            data_schema = {"type": "object", "description": f"A non-JSON body ({ctype}).",
                           "properties": {"content": {"type": "string"}, "content_type": {"type": "string"}}}
            status = int(c)
            media_type = None if "json" in ctype else ctype
            break
    schema = {
        "$schema": JSON_SCHEMA_DIALECT,
        "type": "object",
        "properties": {
            "data": data_schema,
            "successful": {"type": "boolean", "description": "Whether Zoom accepted the call."},
            "error": {"type": ["string", "null"], "description": "Null on success; else what went wrong and what to do."},
        },
        "required": ["data", "successful", "error"],
    }
    return schema, status, media_type


def _errors(op: dict) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for code, resp in sorted((op.get("responses") or {}).items()):
        if str(code).startswith("2"):
            continue
        entries = documented_errors(resp.get("description", ""))
        if entries or str(code).isdigit():
            out[str(code)] = entries
    return out
