"""One function from (action, flat params, gateway) to a prepared request.

:class:`ActionPlan` is an action's request shape, computed once per toolkit
from the action document (the build step stores the facts it needs:
comma-joined query arrays, the pagination kind and list field).
:func:`build_request` validates the flat parameters and encodes them
onto the wire: nothing here does I/O, so a bad input is an
:class:`~zoom_actions.errors.InputError` with nothing sent.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import InputError
from .flat import unflatten
from .inputs import InputPlan
from .request import build_path, build_query, header_value, json_body, multipart_parts

DEFAULT_MAX_UPLOAD = 512 * 1024 * 1024   # bytes, every file of one request together


class ActionPlan:
    """One action's request shape."""

    __slots__ = ("action", "name", "method", "template", "inputs", "label", "comma_joined", "file_fields",
                 "multipart", "json_kind", "pagination", "list_field", "flat_names", "header_names", "server",
                 "accept")

    def __init__(self, action: dict) -> None:
        self.action = action
        self.name = action["name"]
        op = action["operation"]
        self.method = op["method"].upper()
        self.template = split_template(op["path"])
        self.server = op.get("server")
        self.inputs = InputPlan(action)
        self.label = action.get("rate_limit")
        params = action["parameters"]
        self.comma_joined = frozenset(loc["name"] for loc in params.values()
                                      if loc["in"] == "query" and loc.get("style") == "comma")
        self.file_fields = frozenset(loc["path"][0] for loc in params.values()
                                     if loc["in"] == "multipart" and loc.get("file"))
        self.flat_names = {(loc.get("name") or loc["path"][0]): n for n, loc in params.items()
                           if loc["in"] in ("multipart", "header")}
        self.header_names = {loc["name"]: n for n, loc in params.items() if loc["in"] == "header"}
        rb = action.get("request_body") or {}
        ctype = str(rb.get("content_type", ""))
        self.multipart = ctype.startswith("multipart/")
        self.json_kind = bool(rb) and ctype.endswith("json")
        pages = action.get("pagination") or {}
        self.pagination = pages.get("kind")          # "next_page_token", "page_number" or None
        self.list_field = pages.get("list_field")
        # A download (a non-JSON success body) asks for its media type; its errors still come as JSON.
        media = action.get("response_content_type")
        self.accept = f"{media}, application/json;q=0.9" if media else None


def split_template(path: str) -> tuple:
    """``/meetings/{meetingId}/x`` -> ``("/meetings/", "meetingId", "/x")``."""
    out, rest = [], path
    while "{" in rest:
        head, _, tail = rest.partition("{")
        name, _, rest = tail.partition("}")
        out.extend([head, name])
    out.append(rest)
    return tuple(out)


@dataclass(frozen=True, slots=True)
class PreparedRequest:
    """Everything but the base URL and the credentials."""
    method: str
    path: str                     # encoded
    query: str                    # encoded, without "?"
    headers: dict[str, str]
    content: bytes | None = None
    data: dict | None = None      # multipart text fields
    files: dict | None = None     # multipart files


def build_request(plan: ActionPlan, params: Any, gateway, *, base_headers: dict[str, str],
                  upload_dir: Path | None = None, max_upload: int = DEFAULT_MAX_UPLOAD,
                  clean: dict | None = None) -> PreparedRequest:
    """``params`` validated (or ``clean``, already validated) and encoded for ``gateway``."""
    if clean is None:
        clean = plan.inputs.normalize(params)
    parts = unflatten(plan.action, clean)
    try:
        path = build_path(plan.template, parts.path)
        query = build_query(parts.query, plan.comma_joined) if parts.query else ""
    except UnicodeEncodeError:
        raise InputError([(_bad_text_param(clean), "contains text that cannot be encoded (invalid Unicode)")]) \
            from None
    headers = base_headers if plan.accept is None else {**base_headers, "Accept": plan.accept}
    content = data = files = None
    if parts.headers:
        headers = dict(headers)
        for wire, value in parts.headers.items():
            headers[wire] = header_value(plan.header_names.get(wire, wire), value)
    if plan.multipart:
        if parts.multipart:
            data, files = multipart_parts(parts.multipart, plan.file_fields, upload_dir, plan.flat_names,
                                          max_upload)
            if not files:   # the client sends form-urlencoded without files; force multipart
                files, data = {k: (None, v) for k, v in data.items()}, None
    elif parts.body is not None:
        plan.inputs.check_body(parts.body)
        try:
            content = json_body(parts.body)
        except UnicodeEncodeError:
            raise InputError([(_bad_text_param(clean), "contains text that cannot be encoded (invalid Unicode)")]) \
                from None
        except (ValueError, RecursionError):
            raise InputError([(_bad_text_param(clean), "cannot be sent as JSON (NaN or Infinity, an integer too "
                                                       "long, or nested too deeply)")]) from None
        headers = {**headers, "Content-Type": "application/json"}
    if content is None and files is None and gateway.json_body_on_non_get and plan.method != "GET":
        content = b"{}"
        headers = {**headers, "Content-Type": "application/json"}
    return PreparedRequest(plan.method, path, query, headers, content, data, files)


def _bad_text_param(clean: dict) -> str:
    """The first parameter whose value cannot go on the wire."""
    for k, v in clean.items():
        try:
            json.dumps(v, ensure_ascii=False, allow_nan=False).encode("utf-8")
        except (UnicodeEncodeError, TypeError, ValueError, RecursionError):
            return k
    return ""
