"""Comparing a poll with the last one, without I/O: what a trigger keeps
between polls (its snapshot) and what it reports.

``snapshot_of(trigger, observed)`` is the state to keep; ``compare(trigger,
old, observed)`` is the new snapshot and the findings. What is observed is
what the poll's action answered: a list of items (kind ``new``), an object
(``object``, ``recording``; ``None`` while Zoom says there is none yet) or
a usage report (``report``). Volatile fields are removed before anything is
compared or kept, so a snapshot never holds a start URL's token or a
download token.

For kind ``new`` the snapshot is the identities in the latest listing: an
item that leaves the list and comes back is found again, under the dedupe
key the event log already holds, so it is not delivered twice.

Findings are ``(key, what)`` pairs: a new item's identity and the item, or
the digest of the new state and the payload. With the subscription (and,
for a change, the revision of the snapshot it was compared with) the key
becomes the event's dedupe key: seen again (a poll repeated after a crash,
two workers racing), the same change has the same key, while the same
values coming back later are a new change.
"""

from __future__ import annotations

import copy
import hashlib
import json
from typing import Any

from .definitions import Trigger

_MISSING = object()
FILE_LISTS = ("recording_files", "participant_audio_files")


def digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def identity(item: dict, fields: tuple[str, ...]) -> str:
    return digest([item.get(f) for f in fields])[:24]


def strip(value: Any, paths: tuple[str, ...]) -> Any:
    """A copy of ``value`` without the dotted ``paths`` (``*`` stands for every item of a list)."""
    out = copy.deepcopy(value)
    for path in paths:
        _drop(out, path.split("."))
    return out


def _drop(node: Any, parts: list[str]) -> None:
    head, rest = parts[0], parts[1:]
    if head == "*":
        for item in node if isinstance(node, list) and rest else ():
            _drop(item, rest)
        return
    if not isinstance(node, dict) or head not in node:
        return
    if rest:
        _drop(node[head], rest)
    else:
        del node[head]


def flatten(obj: Any, prefix: str = "") -> dict[str, Any]:
    """Nested objects as dotted paths (``settings.waiting_room``); lists and scalars are compared whole."""
    if not isinstance(obj, dict) or (prefix and not obj):
        return {prefix: obj}
    out: dict[str, Any] = {}
    for key, value in obj.items():
        out.update(flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    return out


def changes(old: dict, new: dict) -> dict[str, dict]:
    """``{path: {"old": ..., "new": ...}}`` for every path that differs (a missing side is None)."""
    a, b = flatten(old), flatten(new)
    out = {}
    for path in sorted(set(a) | set(b)):
        before, after = a.get(path, _MISSING), b.get(path, _MISSING)
        if before != after:
            out[path] = {"old": None if before is _MISSING else before, "new": None if after is _MISSING else after}
    return out


# --- snapshots ---------------------------------------------------------------------------

def snapshot_of(t: Trigger, observed: Any) -> dict:
    if t.kind == "new":
        return {"seen": sorted({identity(i, t.identity) for i in observed})}
    if t.kind == "report":
        return {"dates": _dates(observed)}
    if observed is None:
        return {"absent": True}
    return {"object": strip(observed, t.volatile)}


def compare(t: Trigger, old: dict, observed: Any) -> tuple[dict, list[tuple[Any, Any]]]:
    """The new snapshot and the findings: for kind ``new`` ``(identity, item)`` for each item not seen
    before (the caller builds the payload, after reading the item in full if the trigger says so);
    for the other kinds ``(digest of the new state, payload)``, at most one."""
    new = snapshot_of(t, observed)
    if t.kind == "new":
        seen, found = set(old.get("seen") or ()), []
        for item in observed:
            key = identity(item, t.identity)
            if key not in seen:
                seen.add(key)
                found.append((key, item))
        return new, found
    if t.kind == "report":
        payload = _report(t, old, new, observed)
    elif observed is None:
        return new, []        # gone (deleted, trashed): nothing to report; its return is reported as new
    elif t.kind == "recording":
        payload = _recording(t, old.get("object"), new["object"], observed)
    else:
        payload = _object(t, old.get("object"), new["object"], observed)
    return new, ([] if payload is None else [(digest(new), payload)])


def item_payload(t: Trigger, item: dict) -> dict:
    """A new item's payload: wrapped under the trigger's key, or the item's own fields, flat."""
    if t.object_key:
        return {"event_type": t.event_type, t.object_key: item}
    return {name: item.get(name) for name in t.payload}


def _appeared(t: Trigger, before: dict | None, after: dict) -> bool:
    return before is None or any(before.get(f) != after.get(f) for f in t.identity)


def _object(t: Trigger, before: dict | None, after: dict, raw: dict) -> dict | None:
    if t.created_event and _appeared(t, before, after):
        kind, diff = t.created_event, {}
    else:
        diff = changes(before or {}, after)
        if not diff:
            return None
        kind = t.settings_event if t.settings_event and all(p.startswith("settings.") for p in diff) \
            else t.event_type
    described = {"changed_fields": list(diff)} if "changed_fields" in t.payload else {"changes_detected": diff}
    return {"event_type": kind, **described, t.object_key: raw}


def _files(rec: dict, which: str) -> dict[str, dict]:
    return {str(f.get("id")): f for f in rec.get(which) or () if isinstance(f, dict)}


def _recording(t: Trigger, before: dict | None, after: dict, raw: dict) -> dict | None:
    if _appeared(t, before, after):
        found = {"new_files": list(_files(after, "recording_files").values()),
                 "new_participant_audio_files": list(_files(after, "participant_audio_files").values())}
        return {"event_type": "recording_added", "changes_detected": {k: v for k, v in found.items() if v},
                t.object_key: raw}
    found: dict[str, Any] = {}
    completed = False
    for which, label in (("recording_files", "new_files"), ("participant_audio_files", "new_participant_audio_files")):
        old_files, new_files = _files(before, which), _files(after, which)
        added = [f for fid, f in new_files.items() if fid not in old_files]
        if added:
            found[label] = added
        removed = [fid for fid in old_files if fid not in new_files]
        if removed:
            found.setdefault("removed_files", []).extend(removed)
        for fid, f in new_files.items():
            if fid in old_files and old_files[fid] != f:
                diff = changes(old_files[fid], f)
                found.setdefault("updated_files", []).append({"id": fid, "file_type": f.get("file_type"),
                                                              "changes": diff})
                completed |= diff.get("status", {}).get("new") == "completed"
    meta = changes({k: v for k, v in before.items() if k not in FILE_LISTS},
                   {k: v for k, v in after.items() if k not in FILE_LISTS})
    if meta:
        found["metadata"] = meta
    if not found:
        return None
    every = [f for which in FILE_LISTS for f in _files(after, which).values()]
    if completed and all(f.get("status", "completed") == "completed" for f in every):
        kind = "recording_processing_completed"
    elif "new_files" in found or "new_participant_audio_files" in found:
        kind = "recording_added"
    else:
        kind = t.event_type
    return {"event_type": kind, "changes_detected": found, t.object_key: raw}


def _dates(report: dict) -> dict[str, dict]:
    rows = report.get("dates") if isinstance(report, dict) else None
    return {str(r["date"]): {k: v for k, v in r.items() if k != "date"}
            for r in rows or () if isinstance(r, dict) and r.get("date")}


def _report(t: Trigger, old: dict, new: dict, raw: dict) -> dict | None:
    """Dates whose numbers differ from the last poll's; a date not seen before counts as all zeros
    (a new day, or a new month when the report follows the current one)."""
    before = old.get("dates") or {}
    changed = [d for d, stats in new["dates"].items()
               if stats != before.get(d, {k: 0 for k in stats})]
    if not changed:
        return None
    return {"event_type": t.event_type, "changed_dates": changed, t.object_key: raw}
