"""Dry runs: the exact request a call would send, without sending it."""

from __future__ import annotations

import json

from ..errors import InputError, input_failure
from ..prepare import build_request
from ..redact import scrub

_SECRET_HEADERS = ("authorization", "x-api-key", "cookie")


def dry_run_envelope(toolkit, plan, params: dict) -> dict:
    from ..workflows import WorkflowPlan
    if type(plan) is WorkflowPlan:   # its steps depend on answers a dry run never gets: it lists them
        from ..workflows import dry_run_envelope as workflow_dry_run
        return workflow_dry_run(plan, params)
    try:
        req = build_request(plan, params, toolkit.gateway, base_headers=toolkit._base_headers,
                            upload_dir=toolkit.upload_dir, max_upload=toolkit.max_upload_bytes)
    except InputError as exc:
        return input_failure(plan.name, exc.problems)
    url = toolkit.gateway.url(None, req.path, req.query, server=plan.server)
    headers = {k: ("***" if k.lower() in _SECRET_HEADERS else scrub(str(v))) for k, v in req.headers.items()}
    headers["Authorization"] = "Bearer ***"
    body = None
    if req.content is not None:
        try:
            body = json.loads(req.content)
        except ValueError:
            body = scrub(req.content.decode("utf-8", "replace"))
    elif req.data is not None:
        body = req.data
    if req.files:
        body = {"form": req.data, "files": {k: _file(v) for k, v in req.files.items()}}
    return {"data": {"dry_run": True, "method": req.method, "url": scrub(url), "headers": headers, "body": body},
            "successful": True, "error": None}


def _file(value) -> str:
    if isinstance(value, tuple) and len(value) >= 2:
        size = len(value[1]) if isinstance(value[1], (bytes, bytearray)) else "?"
        return f"<file {value[0]!r}, {size} bytes>"
    return "<file>"
