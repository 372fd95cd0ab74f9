"""Workflows: composite actions for what agents ask that takes several Zoom calls.

"The transcript of yesterday's meeting" is a recordings lookup, a download
with the bearer token and a WebVTT parse; "who came to last Tuesday's
sync" is a list of past instances, a UUID that may need double encoding
and a participants call. A workflow packages such a task as one action.

Declared as data in ``spec/workflows.json`` (name, product, tags, texts,
flat input schema, the ``data`` schema, annotations, and the steps: each a
catalog action or a download). The build step (:func:`compile_workflows`,
called by ``codegen/build.py``) checks every step against the catalog it
builds (a step naming no known action is an error; one whose product was
not built leaves the workflow out), adds up the steps' scopes and writes
each workflow beside the operations: its document as ``<NAME>.json`` and
its entry under ``workflows`` in ``index.json`` / ``names.json``, so
``Catalog.names()``, search, ``tools()`` and MCP list it like any action,
while everything that reads Zoom's operations (``index["actions"]``: the
sandbox's router, diffs, docs, models) never sees it.

At run time ``Toolkit.execute`` validates a workflow's input and runs its
own ``before_execute`` / ``after_execute`` hooks as for any action; in
between, :func:`run` (or :func:`arun`) drives the workflow's *runner*, a
generator here that yields what it needs:

- :class:`Call`: one step action, run through ``Toolkit.execute`` (so auth,
  retries, the rate limiter, hooks, policies and audit apply to each step);
- :class:`Fetch`: one recording download (:mod:`zoom_actions.downloads`).

A step that fails ends the workflow with that step's envelope, its error
prefixed with the step's id and action. A runner only yields steps its
declaration lists, so the declared scopes are the ones used.
"""

from __future__ import annotations

import json
import math
import re
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

from .errors import fail, ok
from .inputs import InputPlan

SPEC_FILE = Path(__file__).resolve().parent / "spec" / "workflows.json"
KIND = "workflow"
_NAME = re.compile(r"^ZOOM_[A-Z0-9_]{1,59}$")
_STEP_ID = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_LABELS = ("LIGHT", "MEDIUM", "HEAVY", "RESOURCE-INTENSIVE")
_ENVELOPE_SCHEMA = "https://json-schema.org/draft/2020-12/schema"
_REQUIRED = ("name", "title", "product", "tags", "short_description", "description", "runner", "steps",
             "annotations", "input_schema", "data_schema")


class WorkflowError(ValueError):
    """A declaration the build step refuses, with where and why."""


# --- declarations -> documents (build time) -------------------------------------------

def load_declarations(path: Path = SPEC_FILE) -> list[dict]:
    if not path.exists():
        return []
    try:
        raw = json.loads(path.read_text())
    except ValueError as exc:
        raise WorkflowError(f"{path} is not JSON: {exc}") from None
    flows = raw.get("workflows") if isinstance(raw, dict) else None
    if not isinstance(flows, list):
        raise WorkflowError(f"{path}: expected an object with a `workflows` list")
    return flows


def compile_workflows(declarations: list[dict], actions: dict[str, dict],
                      pinned: set[str] | frozenset[str] = frozenset()) -> tuple[list[dict], list[str]]:
    """The workflow documents for a catalog whose operations are ``actions``
    (name -> document), and a note for each workflow left out because a
    step's product was not built (``pinned``: every name ``names.lock``
    knows). A step naming an action nobody knows, or any malformed
    declaration, raises :class:`WorkflowError`."""
    docs, skipped, seen = [], [], set()
    for i, decl in enumerate(declarations):
        where = f"workflow #{i} ({decl.get('name', '?') if isinstance(decl, dict) else '?'})"
        _check_declaration(decl, where, actions, seen)
        missing = [s["action"] for s in decl["steps"] if s.get("action") and s["action"] not in actions]
        unknown = [a for a in missing if a not in pinned]
        if unknown:
            from .suggest import closest
            hints = {a: closest(a, list(actions)) for a in unknown}
            raise WorkflowError(f"{where}: unknown step action " + "; ".join(
                a + (f" (did you mean {', '.join(h)}?)" if h else "") for a, h in hints.items()))
        if missing:
            skipped.append(f"{decl['name']} left out: its steps {', '.join(missing)} are not in this build")
            continue
        seen.add(decl["name"])
        docs.append(_document(decl, actions, where))
    return docs, skipped


def _check_declaration(decl: Any, where: str, actions: dict, seen: set) -> None:
    if not isinstance(decl, dict):
        raise WorkflowError(f"{where}: a workflow is an object")
    absent = [k for k in _REQUIRED if k not in decl]
    if absent:
        raise WorkflowError(f"{where}: missing {', '.join(absent)}")
    name = decl["name"]
    if not isinstance(name, str) or not _NAME.match(name):
        raise WorkflowError(f"{where}: the name must match {_NAME.pattern}")
    if name in actions or name in seen:
        raise WorkflowError(f"{where}: the name {name} is already taken")
    if decl["runner"] not in RUNNERS:
        raise WorkflowError(f"{where}: no runner {decl['runner']!r}; known: {', '.join(sorted(RUNNERS))}")
    steps = decl["steps"]
    if not isinstance(steps, list) or not steps:
        raise WorkflowError(f"{where}: `steps` must be a non-empty list")
    ids = set()
    for s in steps:
        if not isinstance(s, dict) or not isinstance(s.get("id"), str) or not _STEP_ID.match(s["id"]):
            raise WorkflowError(f"{where}: every step needs an `id` matching {_STEP_ID.pattern}")
        if s["id"] in ids:
            raise WorkflowError(f"{where}: two steps are called {s['id']!r}")
        ids.add(s["id"])
        if ("action" in s) == ("download" in s):
            raise WorkflowError(f"{where}: step {s['id']!r} needs exactly one of `action` or `download`")
        if "action" in s and not isinstance(s["action"], str):
            raise WorkflowError(f"{where}: step {s['id']!r}: `action` must be an action name")
    ann = decl["annotations"]
    if not isinstance(ann, dict) or set(ann) != {"read_only", "destructive", "idempotent"} or \
            not all(isinstance(v, bool) for v in ann.values()):
        raise WorkflowError(f"{where}: `annotations` needs booleans read_only, destructive and idempotent")
    if ann["read_only"]:
        writers = [s["action"] for s in steps if s.get("action") in actions
                   and not actions[s["action"]]["annotations"]["read_only"]]
        if writers:
            raise WorkflowError(f"{where}: declared read_only but its steps {', '.join(writers)} are not")
    for key in ("input_schema", "data_schema"):
        schema = decl[key]
        if not isinstance(schema, dict) or schema.get("type") != "object":
            raise WorkflowError(f"{where}: `{key}` must be an object schema")
        try:
            from jsonschema import Draft202012Validator
            Draft202012Validator.check_schema(schema)
        except ImportError:   # pragma: no cover - jsonschema ships with the build's dependencies
            pass
        except Exception as exc:
            raise WorkflowError(f"{where}: `{key}` is not a valid JSON Schema: {exc}") from None
    props = decl["input_schema"].get("properties") or {}
    bad = [p for p in props if not re.match(r"^[A-Za-z0-9_]{1,64}$", p)]
    if bad:
        raise WorkflowError(f"{where}: flat parameter names must match ^[A-Za-z0-9_]{{1,64}}$: {', '.join(bad)}")
    if not set(decl["input_schema"].get("required", ())) <= set(props):
        raise WorkflowError(f"{where}: `required` names a parameter the input schema does not declare")


def _document(decl: dict, actions: dict, where: str) -> dict:
    used = [actions[s["action"]] for s in decl["steps"] if s.get("action")]
    classic = list(dict.fromkeys(sc for a in used for sc in a["scopes"]["classic"]))
    granular = list(dict.fromkeys(sc for a in used for sc in a["scopes"]["granular"]))
    labels = [a.get("rate_limit") for a in used if a.get("rate_limit") in _LABELS]
    return {
        "name": decl["name"], "kind": KIND, "title": decl["title"], "description": decl["description"],
        "short_description": decl["short_description"], "product": decl["product"], "tags": list(decl["tags"]),
        "operation": None, "runner": decl["runner"],
        "steps": [{k: s[k] for k in ("id", "action", "download", "when") if k in s} for s in decl["steps"]],
        "scopes": {"classic": classic, "granular": granular},
        "rate_limit": max(labels, key=_LABELS.index) if labels else None,
        "annotations": dict(decl["annotations"]), "deprecated": False,
        "input_schema": {"$schema": _ENVELOPE_SCHEMA, **decl["input_schema"]},
        "output_schema": {
            "$schema": _ENVELOPE_SCHEMA, "type": "object",
            "properties": {
                "data": decl["data_schema"],
                "successful": {"type": "boolean", "description": "Whether every step succeeded."},
                "error": {"type": ["string", "null"],
                          "description": "Null on success; else the step that failed and what to do."},
            },
            "required": ["data", "successful", "error"],
        },
        "parameters": {}, "aliases": {}, "request_body": None, "success_status": None, "errors": {},
        "pagination": None, "also_in": [],
    }


def index_entry(doc: dict) -> dict:
    """A workflow's ``index.json`` entry: the operations' fields (``method`` and
    ``path`` empty: no single HTTP operation), plus ``kind`` and ``steps``."""
    return {
        "title": doc["title"], "short_description": doc["short_description"], "product": doc["product"],
        "tags": doc["tags"], "method": "", "path": "", "rate_limit": doc["rate_limit"],
        "annotations": doc["annotations"],
        "scopes": sorted(set(doc["scopes"]["classic"]) | set(doc["scopes"]["granular"])),
        "parameters": list(doc["input_schema"].get("properties", {})),
        "required": list(doc["input_schema"].get("required", [])), "also_in": [],
        "kind": KIND, "steps": [s["action"] for s in doc["steps"] if s.get("action")],
    }


def is_workflow(doc: dict) -> bool:
    return doc.get("kind") == KIND


# --- the plan and the runner protocol (run time) --------------------------------------

class WorkflowPlan:
    """What ``Toolkit.execute`` needs of a workflow: its input check, its steps, its runner.
    Shaped like :class:`~zoom_actions.prepare.ActionPlan` where the pipeline looks (``action``,
    ``name``, ``inputs``, ``pagination``)."""

    __slots__ = ("action", "name", "inputs", "runner", "steps", "downloads", "pagination", "list_field", "label")

    def __init__(self, action: dict) -> None:
        self.action = action
        self.name = action["name"]
        self.inputs = InputPlan(action)
        self.runner: Callable = RUNNERS[action["runner"]]
        self.steps = {s["id"]: s["action"] for s in action["steps"] if s.get("action")}
        self.downloads = frozenset(s["id"] for s in action["steps"] if s.get("download"))
        self.pagination = self.list_field = None
        self.label = action.get("rate_limit")


@dataclass(frozen=True, slots=True)
class Call:
    """Run the step ``step`` (a catalog action) with ``params``; answers its ``data``."""
    step: str
    params: dict
    paginate: bool = False


@dataclass(frozen=True, slots=True)
class Fetch:
    """Download ``url`` (a recording's ``download_url``) of at most ``max_bytes``;
    answers :class:`~zoom_actions.downloads.Downloaded`. ``token``: a download
    access token to send instead of the account's bearer (through gateways)."""
    step: str
    url: str
    max_bytes: int
    token: str | None = None


class Context:
    """What a runner may know about the toolkit running it."""

    def __init__(self, toolkit, plan: WorkflowPlan) -> None:
        self.name = plan.name
        self.upload_dir: Path | None = toolkit.upload_dir
        self.max_response: int = toolkit._http.max_response
        self.via_gateway = toolkit.gateway.name != "direct"   # the gateway key must never go to Zoom

    @staticmethod
    def today() -> date:
        return datetime.now(timezone.utc).date()


def step_failure(plan: WorkflowPlan, step: str, action: str | None, env: dict) -> dict:
    what = f"step {step!r} ({action})" if action else f"step {step!r}"
    return {"data": {"failed_step": step, "action": action, "data": env.get("data")}, "successful": False,
            "error": f"{plan.name} stopped at {what}: {env.get('error')}"}


def _action_of(plan: WorkflowPlan, req: Any) -> str | None:
    if type(req) is Call and req.step in plan.steps:
        return plan.steps[req.step]
    if type(req) is Fetch and req.step in plan.downloads:
        return None
    raise RuntimeError(f"{plan.name}: the runner asked for step {getattr(req, 'step', req)!r}, which its "
                       "declaration in spec/workflows.json does not list")


def run(toolkit, plan: WorkflowPlan, clean: dict, who: tuple = (None, None)) -> dict:
    """Drive ``plan``'s runner with ``Toolkit.execute`` and synchronous downloads."""
    gen = plan.runner(Context(toolkit, plan), clean)
    try:
        req = next(gen)
        while True:
            action = _action_of(plan, req)
            if type(req) is Call:
                result = toolkit.execute(action, req.params, paginate=req.paginate, connection=who[0],
                                         user_id=who[1])
            else:
                result = _download(toolkit, plan, req, who)
            failed = _failed(plan, req, action, result)
            if failed is not None:
                gen.close()
                return failed
            req = gen.send(result["data"] if type(req) is Call else result)
    except StopIteration as stop:
        return stop.value


async def arun(toolkit, plan: WorkflowPlan, clean: dict, who: tuple = (None, None)) -> dict:
    """:func:`run` with ``Toolkit.aexecute`` and asynchronous downloads."""
    gen = plan.runner(Context(toolkit, plan), clean)
    try:
        req = next(gen)
        while True:
            action = _action_of(plan, req)
            if type(req) is Call:
                result = await toolkit.aexecute(action, req.params, paginate=req.paginate, connection=who[0],
                                                user_id=who[1])
            else:
                result = await _adownload(toolkit, plan, req, who)
            failed = _failed(plan, req, action, result)
            if failed is not None:
                gen.close()
                return failed
            req = gen.send(result["data"] if type(req) is Call else result)
    except StopIteration as stop:
        return stop.value


def _failed(plan: WorkflowPlan, req: Any, action: str | None, result: Any) -> dict | None:
    """The workflow's envelope when this step failed (a step's envelope, or a download's failure)."""
    if type(req) is Call:
        return None if result.get("successful") else step_failure(plan, req.step, action, result)
    return step_failure(plan, req.step, action, result) if isinstance(result, dict) else None


def _download_parts(toolkit, plan: WorkflowPlan, req: Fetch, who: tuple):
    """(the download flow, its HTTP session) or a failure envelope."""
    from . import toolkit as tk_module
    from .downloads import download_flow, origin
    from .session import HTTPSession
    from .transport import attempt_seconds
    tokens = None
    if req.token is None:
        tokens = toolkit._tokens_for(who)
        if type(tokens) is dict:
            return {**tokens, "error": tokens["error"].replace("{action}", plan.name)}
    own = frozenset({origin(toolkit.gateway.base)}) if toolkit.gateway.name == "direct" else frozenset()
    cap = max(1, min(req.max_bytes, toolkit._http.max_response))
    # a session of its own: its size cap is this download's, and the bearer it fetches is the call's
    session = HTTPSession(toolkit.timeout, toolkit._http.transport, cap, tokens)
    flow = download_flow(f"{plan.name} ({req.step})", req.url, own_origins=own, tokens=tokens, token=req.token,
                         retry=toolkit.retry, attempt_timeout=attempt_seconds(toolkit.timeout),
                         deadline=time.monotonic() + (toolkit.deadline or math.inf),
                         headers={"User-Agent": tk_module._USER_AGENT, "Accept": "*/*"})
    return flow, session


def _download(toolkit, plan: WorkflowPlan, req: Fetch, who: tuple):
    from .flow import drive
    parts = _download_parts(toolkit, plan, req, who)
    if isinstance(parts, dict):
        return parts
    flow, session = parts
    try:
        return drive(flow, session)
    finally:
        session.close()


async def _adownload(toolkit, plan: WorkflowPlan, req: Fetch, who: tuple):
    from .flow import adrive
    parts = _download_parts(toolkit, plan, req, who)
    if isinstance(parts, dict):
        return parts
    flow, session = parts
    try:
        return await adrive(flow, session)
    finally:
        await session.aclose()


def dry_run_envelope(plan: WorkflowPlan, clean: dict) -> dict:
    """What a dry run of a workflow can tell before its first step: the steps it may take."""
    return ok({"dry_run": True, "workflow": plan.name, "params": clean,
               "steps": [dict(s) for s in plan.action["steps"]]})


# --- the runners ----------------------------------------------------------------------

RUNNERS: dict[str, Callable] = {}


def runner(name: str):
    def register(fn: Callable) -> Callable:
        RUNNERS[name] = fn
        return fn
    return register


def _meeting_of(rec: dict) -> dict:
    return {k: rec[k] for k in ("id", "uuid", "topic", "start_time") if k in rec}


def _file_of(f: dict) -> dict:
    return {k: f[k] for k in ("id", "file_type", "file_extension", "recording_start", "file_size") if k in f}


def _recordings_params(ctx: Context, meeting: Any) -> dict:
    params = {"meetingId": meeting}
    if ctx.via_gateway:
        params["include_fields"] = "download_access_token"
    return params


def _download_token(ctx: Context, rec: dict) -> tuple[str | None, str | None]:
    """(the token to download with, or why there is none): through a gateway, the recording's own."""
    if not ctx.via_gateway:
        return None, None
    token = rec.get("download_access_token")
    if not isinstance(token, str) or not token:
        return None, ("Zoom's answer has no download_access_token, which a download through a gateway needs "
                      "(the gateway key is never sent to Zoom's download host)")
    return token, None


def _too_big(ctx: Context, f: dict, cap: int) -> str | None:
    size = f.get("file_size")
    if isinstance(size, int) and size > cap:
        return (f"{ctx.name}: the {f.get('file_type', '')} file is {size:,} bytes, over the {cap:,}-byte cap "
                "(max_bytes); nothing was downloaded. Raise max_bytes (up to the toolkit's max_response_bytes).")
    return None


@runner("transcript_text")
def _transcript_text(ctx: Context, p: dict):
    from . import webvtt
    meeting = p.get("meetingId")
    if meeting is None:
        today = ctx.today()
        lo = p.get("from") or (today - timedelta(days=7)).isoformat()
        hi = p.get("to") or today.isoformat()
        user = p.get("userId") or "me"
        listing = yield Call("find_recording", {"userId": user, "from": lo, "to": hi, "page_size": 300},
                             paginate=True)
        topic = (p.get("topic") or "").lower()
        found = [m for m in listing.get("meetings") or []
                 if isinstance(m, dict) and topic in str(m.get("topic", "")).lower() and _transcript_file(m)]
        if not found:
            about = f" whose topic contains {p['topic']!r}" if p.get("topic") else ""
            return fail(f"{ctx.name}: no recorded meeting{about} with a transcript for {user} between {lo} and "
                        f"{hi}. Widen from/to (at most a month), check the topic, or pass meetingId. Zoom makes a "
                        "transcript only for cloud recordings with \"Create audio transcript\" on, some time after "
                        "the meeting ends.")
        rec = max(found, key=lambda m: str(m.get("start_time", "")))
        if ctx.via_gateway:   # the listing carries no download token: ask for the instance's recordings
            rec = yield Call("recordings", _recordings_params(ctx, rec.get("uuid") or rec.get("id")))
    else:
        rec = yield Call("recordings", _recordings_params(ctx, meeting))
    f = _transcript_file(rec)
    if f is None:
        kinds = sorted({str(x.get("file_type")) for x in rec.get("recording_files") or [] if isinstance(x, dict)})
        return fail(f"{ctx.name}: the recording of {rec.get('topic', 'this meeting')!r} ({rec.get('start_time', '')}) "
                    f"has no transcript file (it has: {', '.join(kinds) or 'no files'}). Turn on \"Create audio "
                    "transcript\" in the cloud recording settings; transcripts appear after processing.",
                    data={"meeting": _meeting_of(rec)})
    if f.get("status") not in (None, "completed"):
        return fail(f"{ctx.name}: the transcript is still {f.get('status')}; try again in a few minutes.",
                    data={"meeting": _meeting_of(rec), "file": _file_of(f)})
    cap = min(p.get("max_bytes") or 5 * 1024 * 1024, ctx.max_response)
    too_big = _too_big(ctx, f, cap)
    if too_big:
        return fail(too_big)
    token, why = _download_token(ctx, rec)
    if why:
        return fail(f"{ctx.name}: {why}.")
    got = yield Fetch("download", str(f.get("download_url") or ""), cap, token)
    cues = webvtt.parse(got.content.decode("utf-8", errors="replace"))
    data = {"meeting": _meeting_of(rec), "file": _file_of(f), "text": webvtt.plain_text(cues),
            "cue_count": len(cues), "speakers": webvtt.speakers(cues)}
    if p.get("include_cues", True):
        data["cues"] = cues
    return ok(data)


def _transcript_file(rec: dict) -> dict | None:
    files = [f for f in rec.get("recording_files") or [] if isinstance(f, dict) and f.get("download_url")]
    for kind in ("TRANSCRIPT", "CC"):
        for f in files:
            if f.get("file_type") == kind:
                return f
    return None


def _newest_first(listing: dict) -> list[dict]:
    items = [o for o in listing.get("meetings") or [] if isinstance(o, dict) and o.get("uuid")]
    return sorted(items, key=lambda o: str(o.get("start_time", "")), reverse=True)


@runner("past_occurrences")
def _past_occurrences(ctx: Context, p: dict):
    listing = yield Call("instances", {"meetingId": p["meetingId"]})
    every = _newest_first(listing)
    out = []
    for o in every[: p.get("limit", 20)]:
        item = {"uuid": o["uuid"], "start_time": o.get("start_time")}
        if p.get("with_details"):
            d = yield Call("details", {"meetingId": o["uuid"]})
            item.update({k: d[k] for k in ("topic", "end_time", "duration", "participants_count") if k in d})
        out.append(item)
    return ok({"meeting_id": p["meetingId"], "total": len(every), "occurrences": out})


@runner("past_occurrence")
def _past_occurrence(ctx: Context, p: dict):
    key = str(p["meetingId"]).strip()
    start = None
    if key.isdigit():
        every = _newest_first((yield Call("instances", {"meetingId": int(key)})))
        if not every:
            return fail(f"{ctx.name}: meeting {key} has no ended occurrence yet (Zoom lists an occurrence once it "
                        "has ended).")
        chosen = every
        if p.get("occurrence_date"):
            chosen = [o for o in every if str(o.get("start_time", "")).startswith(p["occurrence_date"])]
            if not chosen:
                days = ", ".join(dict.fromkeys(str(o.get("start_time", ""))[:10] for o in every[:10]))
                return fail(f"{ctx.name}: meeting {key} has no occurrence that started on {p['occurrence_date']} "
                            f"(UTC); its latest ones started on {days}.")
        index = p.get("occurrence_index", 0)
        if index >= len(chosen):
            return fail(f"{ctx.name}: occurrence_index {index} is past the {len(chosen)} matching occurrence(s) "
                        "(0 is the newest).")
        uuid, start = chosen[index]["uuid"], chosen[index].get("start_time")
    else:
        uuid = key   # already one occurrence's UUID
    what = p["what"]
    result = yield Call(what, {"meetingId": uuid}, paginate=what == "participants")
    return ok({"meeting_id": int(key) if key.isdigit() else None, "uuid": uuid, "start_time": start,
               "what": what, "result": result})


_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def _default_name(rec: dict, f: dict) -> str:
    topic = _SAFE_NAME.sub("-", str(rec.get("topic") or "recording")).strip("-.")[:80] or "recording"
    day = str(f.get("recording_start") or rec.get("start_time") or "")[:10]
    ext = _SAFE_NAME.sub("", str(f.get("file_extension") or "bin")).lower() or "bin"
    kind = _SAFE_NAME.sub("", str(f.get("file_type") or "file")).lower()
    return "-".join(x for x in (topic, day, kind, str(f.get("id", ""))[:8]) if x) + "." + ext


@runner("save_recording_file")
def _save_recording_file(ctx: Context, p: dict):
    from .downloads import SaveRefused, save_into, target_in
    try:   # refused before anything is sent: no upload directory, or a path that leaves it
        if p.get("path") is not None or ctx.upload_dir is None:
            target_in(ctx.upload_dir, p.get("path") or "x")
    except SaveRefused as exc:
        return fail(f"{ctx.name}: {exc}. Nothing was sent to Zoom.")
    rec = yield Call("recordings", _recordings_params(ctx, p["meetingId"]))
    files = [f for f in (rec.get("recording_files") or []) + (rec.get("participant_audio_files") or [])
             if isinstance(f, dict) and f.get("download_url")]
    if p.get("recording_file_id"):
        chosen = [f for f in files if f.get("id") == p["recording_file_id"]]
    elif p.get("file_type"):
        chosen = [f for f in files if f.get("file_type") == p["file_type"]]
    else:
        chosen = [f for f in files if f.get("file_type") == "MP4"] or files
    if not chosen:
        have = ", ".join(f"{f.get('file_type')} {f.get('id')}" for f in files) or "none"
        return fail(f"{ctx.name}: no such recording file in this meeting's recording (files: {have}).",
                    data={"meeting": _meeting_of(rec)})
    f = chosen[0]
    cap = min(p.get("max_bytes") or ctx.max_response, ctx.max_response)
    too_big = _too_big(ctx, f, cap)
    if too_big:
        return fail(too_big)
    rel = p.get("path") or _default_name(rec, f)
    try:
        target = target_in(ctx.upload_dir, rel)
        if target.exists() and not p.get("overwrite"):
            raise SaveRefused(f"{rel} already exists; pass overwrite=true to replace it, or another path")
    except SaveRefused as exc:
        return fail(f"{ctx.name}: {exc}. Nothing was downloaded.")
    token, why = _download_token(ctx, rec)
    if why:
        return fail(f"{ctx.name}: {why}.")
    got = yield Fetch("download", str(f["download_url"]), cap, token)
    try:
        saved, digest = save_into(ctx.upload_dir, rel, got.content, overwrite=bool(p.get("overwrite")))
    except (SaveRefused, OSError) as exc:
        return fail(f"{ctx.name}: the file was downloaded but not saved: {exc}.")
    return ok({"path": saved, "bytes": len(got.content), "sha256": digest, "content_type": got.content_type,
               "file": _file_of(f), "meeting": _meeting_of(rec)})
