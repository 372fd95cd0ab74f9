"""Valid inputs for every action, for tests that walk the whole catalog
against a sandbox: required parameters synthesized from the input schema,
ids pointed at the sandbox's seed data."""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import quote

from jsonschema import Draft202012Validator

from zoom_actions.flat import unflatten
from zoom_actions.inputs import relax
from zoom_actions.sandbox.synth import Synth
from zoom_actions.schema import types_of

PNG = b"\x89PNG\r\n\x1a\n sandbox"

# Inputs the schema does not require but Zoom's handler needs to do anything.
EXTRA: dict[str, dict[str, Any]] = {
    "ZOOM_CREATE_USERS": {"action": "create", "user_info__email": "new.user@example.com", "user_info__type": 1},
}


def ids_for(action: dict, seed: dict) -> dict[str, Any]:
    """Path ids that exist in a freshly seeded sandbox."""
    path = action["operation"]["path"]
    registration = "/registrants" in path and path.startswith(("/meetings/{meetingId}/registrants",
                                                               "/webinars/{webinarId}/registrants"))
    values = {
        "userId": "me",
        "meetingId": seed["registration_meeting"] if registration else seed["meetings"]["customer_onboarding"],
        "meetingUUID": seed["past_meeting_uuids"]["customer_onboarding"],
        "webinarId": seed["registration_webinar"] if registration else seed["webinars"]["launch"],
        "registrantId": (seed["webinar_registrants"] if path.startswith("/webinars")
                         else seed["meeting_registrants"])[0],
    }
    if action["operation"]["method"] in ("DELETE", "PUT") and path in ("/users/{userId}", "/users/{userId}/status"):
        values["userId"] = seed["users"][2]  # not the account owner
    return values


def is_file(action: dict, name: str) -> bool:
    """A file upload as the runtime sends one: marked so, or any object-typed
    multipart part (Zoom types some uploads ``object``, e.g. the fax file)."""
    loc = action["parameters"][name]
    return bool(loc.get("file")) or (loc["in"] == "multipart"
                                     and "object" in types_of(action["input_schema"]["properties"][name]))


def _branch_params(action: dict, out: dict[str, Any], synth: Synth) -> dict[str, Any]:
    """For a union body: ``out`` plus what one branch also requires (the flat
    schema cannot require it: EXPORT needs dates, DELETE does not), taking the
    first branch the rebuilt body then satisfies."""
    rb = action.get("request_body") or {}
    branches = (rb.get("schema") or {}).get("oneOf") or (rb.get("schema") or {}).get("anyOf") or []
    if rb.get("kind") != "union" or not rb.get("content_type", "").endswith("json"):
        return out
    props = action["input_schema"]["properties"]
    top = {n: loc["path"][0] for n, loc in action["parameters"].items() if loc["in"] == "body" and loc.get("path")}
    for branch in branches:
        needs = set(branch.get("required", ())) if isinstance(branch, dict) else set()
        trial = dict(out)
        for name, key in top.items():
            if key in needs and name not in trial:
                trial[name] = synth.value(props[name], name)
        body = unflatten(action, trial).body
        if body is not None and Draft202012Validator(relax(branch)).is_valid(body):
            return trial
    return out


def params_for(action: dict, seed: dict, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Required flat params (synthesized from the schema, with seeded ids)."""
    schema = action["input_schema"]
    props = schema.get("properties", {})
    synth = Synth(action["name"])
    known = ids_for(action, seed)
    out: dict[str, Any] = {}
    for name, loc in action["parameters"].items():
        if loc.get("in") == "path":
            value = known.get(loc["name"])
            if value is None:
                value = synth.value(props[name], name)
            out[name] = value if props[name].get("type") != "string" else str(value)
            if out[name] in ("", None):
                out[name] = "sample"
    for name in schema.get("required", ()):
        if name not in out:
            out[name] = synth.value(props[name], name)
    out = _branch_params(action, out, synth)
    for name in action["parameters"]:
        if name in out and is_file(action, name):
            out[name] = {"filename": "background.png", "content_base64": base64.b64encode(PNG).decode()}
    out.update(EXTRA.get(action["name"], {}))
    out.update(extra or {})
    return out


def http_request(action: dict, params: dict[str, Any]) -> dict[str, Any]:
    """method, url (below /v2) and httpx keyword arguments for ``params``."""
    parts = unflatten(action, params)
    path = action["operation"]["path"]
    for name, value in parts.path.items():
        text = str(value)
        enc = quote(text, safe="")
        if text.startswith("/") or "//" in text:
            enc = quote(enc, safe="")
        path = path.replace("{" + name + "}", enc)
    kwargs: dict[str, Any] = {"params": {k: (json.dumps(v) if isinstance(v, bool) else
                                             ",".join(map(str, v)) if isinstance(v, list) else v)
                                         for k, v in parts.query.items()}}
    if parts.headers:
        kwargs["headers"] = {k: str(v) for k, v in parts.headers.items()}
    if parts.multipart:
        kwargs["files"] = {k: ("upload.png", PNG, "image/png") for k in parts.multipart}
    elif parts.body is not None:
        kwargs["json"] = parts.body
    return {"method": action["operation"]["method"], "url": path, **kwargs}
