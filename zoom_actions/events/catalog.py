"""The event catalog, built like the action catalog from Zoom's events
documents (``spec/sources.json`` "events"): every event type with its
product, description, payload JSON Schema and scopes, in ``events.json``
beside the actions.

Both shapes Zoom publishes are read: events under top-level ``paths`` (a
``post`` per event) and under OpenAPI 3.1's ``webhooks``. A ``$ref`` that
points nowhere (some point at ``#/paths/...`` in the other shape) becomes a
loose schema with a note, as in the action build; the event is kept.

``spec/events_overlay.json`` corrects payload schemas where Zoom's documents
contradict themselves (an enum missing a value its description lists):
each patch names events (globs), a JSON pointer into the payload schema
(``{a,b}`` picks several keys), and ``merge`` (``null`` removes a key) or
``extend`` (values added to a list); each has a reason, and one that no
longer finds its target is an error, so the overlay cannot rot silently.
"""

from __future__ import annotations

import fnmatch
import json
import re
from pathlib import Path

from ..codegen import sources
from ..codegen.normalize import Note, _Resolver
from ..codegen.schema import to_json_schema
from ..codegen.text import clean_description, first_sentence, scopes_from_text

FILE = "events.json"


_BACKTICK = re.compile(r"`([^`]+)`")


def _scopes(text: str) -> tuple[list[str], list[str]]:
    """Events documents write ``**[Scopes](url):** `a`,`b``` and ``**[Granular Scopes](url):** ...``."""
    classic, granular = scopes_from_text(text)
    for line in text.splitlines():
        head = line.split(":**", 1)[0].lower()
        if "scopes" in head and ":**" in line:
            (granular if "granular" in head else classic).extend(_BACKTICK.findall(line.split(":**", 1)[1]))
    return list(dict.fromkeys(classic)), list(dict.fromkeys(granular))


def event_sources(spec_dir: Path = sources.SPEC_DIR) -> list[dict]:
    return json.loads((spec_dir / "sources.json").read_text()).get("events", [])


def build_events(source_dir: Path, notes: list[Note] | None = None, spec_dir: Path = sources.SPEC_DIR, *,
                 strict: bool = False) -> dict:
    """{"format": 1, "events": {name: {...}}} from every events document found in ``source_dir``. An
    overlay patch that finds nothing (an older or newer document) is a note, or an error when ``strict``."""
    notes = [] if notes is None else notes
    out: dict[str, dict] = {}
    for src in event_sources(spec_dir):
        path = source_dir / src["file"]
        if not path.exists():
            notes.append(Note(src["id"], "document", f"{src['file']} is missing; its events are left out"))
            continue
        doc = json.loads(path.read_bytes())
        holder = doc.get("webhooks") if isinstance(doc.get("webhooks"), dict) else doc.get("paths") or {}
        resolver = _Resolver({"paths": holder, **{k: v for k, v in doc.items() if k not in ("paths",)}}, src["id"], notes)
        for key, item in holder.items():
            op = (item or {}).get("post") if isinstance(item, dict) else None
            if not isinstance(op, dict):
                continue
            resolver.where = key
            body = resolver.walk(op.get("requestBody") or {}, ())
            content = (body.get("content") or {}).get("application/json") or {}
            name = str(op.get("operationId") or key).strip("/")
            text = str(body.get("description") or op.get("description") or "")
            classic, granular = _scopes(text)
            schema = to_json_schema(content.get("schema") or {})
            description = clean_description(text.split("\n", 1)[1] if text.startswith("#") else text)
            out[name] = {"name": name, "product": src["id"], "title": src["title"],
                         "description": description, "short_description": first_sentence(description),
                         "scopes": {"classic": classic, "granular": granular}, "payload_schema": schema,
                         "tags": list(op.get("tags") or [])}
    if out:
        try:
            apply_events_overlay(out, spec_dir)
        except EventOverlayError as exc:
            if strict:
                raise
            notes.append(Note("events", "overlay", str(exc)))
    return {"format": 1, "count": len(out), "events": dict(sorted(out.items()))}


OVERLAY = "events_overlay.json"


class EventOverlayError(ValueError):
    pass


def _targets(schema: dict, pointer: str) -> list[dict]:
    nodes = [schema]
    for part in pointer.strip("/").split("/"):
        keys = part[1:-1].split(",") if part.startswith("{") and part.endswith("}") else [part]
        nodes = [n[k] for n in nodes for k in keys if isinstance(n, dict) and isinstance(n.get(k), dict)]
    return nodes


def apply_events_overlay(events: dict[str, dict], spec_dir: Path = sources.SPEC_DIR) -> dict[int, int]:
    """Apply each patch to the matching events' payload schemas; how many schema nodes each patch changed."""
    path = spec_dir / OVERLAY
    if not path.exists():
        return {}
    changed: dict[int, int] = {}
    stale: list[str] = []
    for i, patch in enumerate(json.loads(path.read_text()).get("patches", [])):
        if not str(patch.get("reason", "")).strip() or not patch.get("pointer") or not (
                "merge" in patch or "extend" in patch):
            raise EventOverlayError(f"{OVERLAY} patch #{i} needs a reason, a pointer and merge or extend")
        count = 0
        for name, event in events.items():
            if not any(fnmatch.fnmatchcase(name, g) for g in patch.get("events", ["*"])):
                continue
            for node in _targets(event["payload_schema"], patch["pointer"]):
                for key, value in (patch.get("merge") or {}).items():
                    if value is None:
                        node.pop(key, None)
                    else:
                        node[key] = value
                for key, values in (patch.get("extend") or {}).items():
                    node[key] = list(node.get(key) or []) + [v for v in values if v not in (node.get(key) or [])]
                count += 1
        if count == 0:
            stale.append(f"{OVERLAY} patch #{i} ({patch['pointer']} in {patch.get('events')}) finds nothing to "
                         "change: Zoom's document changed; update or drop the patch")
        changed[i] = count
    if stale:   # every patch that fits is applied first
        raise EventOverlayError("; ".join(stale))
    return changed


def load_events(catalog_dir: Path) -> dict:
    path = Path(catalog_dir) / FILE
    if not path.exists():
        raise FileNotFoundError(f"no event catalog in {catalog_dir}: run `zoom-actions generate`")
    return json.loads(path.read_text())["events"]
