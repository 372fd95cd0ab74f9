"""What search reads of each action's own document, beyond ``index.json``.

The index has the title, a one-line summary, the path and the parameter
names. Two things an agent's task often names are only in the action's
document:

- the operations it selects with a parameter: ``PATCH /live_meetings/{id}/events``
  is "Use in-meeting controls", and its ``method`` enum says what that means
  (``recording.start``, ``recording.pause``, ``participant.invite.callout``);
  "Perform operations on channels" archives and unarchives; "Update meeting
  status" ends a meeting. Only enums of the parameters that choose *what is
  done* (``action``, ``method``, ``operation``, ``event``, ``option``) are
  read: an enum of time zones or sort orders says nothing of the action;
- the description's first paragraph, which often says in plain words what
  the title abbreviates ("Gets a summary of users, including the number and
  types of users in the account" for "Get user summary").

Reading 2,444 documents takes a third of a second, so what is extracted is
kept on disk in the user cache, keyed by a hash of ``index.json`` (the build
writes the index with the documents: a rebuilt catalog is a new key), and
read back in a few milliseconds by later processes. Nothing of it is kept in
the catalog's own memory (``Catalog.get`` would cache every document).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)

VERSION = 2   # bump when what is extracted changes: a new cache key
# parameters whose enum values name what the call does (not how its answer is shaped)
_OPERATION_PARAMS = {"action", "method", "operation", "op", "event", "option"}
_MAX_ENUM = 32
_NESTED_DEPTH = 2     # settings.schedule_meeting.join_before_host, not deeper
_NESTED_MAX = 400
_FIRST_PARAGRAPH = re.compile(r"\n\s*\n")
_MARKUP = re.compile(r"\*\*[^*]*\*\*:?|`|\[([^\]]*)\]\([^)]*\)")
_DESCRIPTION_CHARS = 400


def extract(doc: dict) -> dict[str, str]:
    """``{"operations": "...", "description": "..."}`` of one action document (either may be empty)."""
    words: list[str] = []
    fields: list[str] = []
    props = ((doc.get("input_schema") or {}).get("properties") or {})
    for name, schema in props.items():
        if not isinstance(schema, dict):
            continue
        if name.rsplit("__", 1)[-1].lower() in _OPERATION_PARAMS:
            values = _enum(schema)
            if 0 < len(values) <= _MAX_ENUM:
                words += values
        _nested_names(schema, fields, depth=0)
    short = (doc.get("short_description") or "").strip()
    kept = []
    for paragraph in _FIRST_PARAGRAPH.split((doc.get("description") or "").strip()):
        paragraph = paragraph.strip()
        head = paragraph[:40].lower()
        # the index has the summary already; scopes, prerequisites and rate limits are not what it does
        if not paragraph or paragraph == short or paragraph.startswith(("**", "*", "#", "|")) or any(
                w in head for w in ("scope", "prerequisite", "rate limit", "note:")):
            continue
        kept.append(_MARKUP.sub(lambda m: m.group(1) or " ", paragraph))
        if sum(map(len, kept)) >= _DESCRIPTION_CHARS:
            break
    first = " ".join(kept)
    text = re.sub(r"[._/]", " ", " ".join(words))
    return {"operations": text, "description": first[:_DESCRIPTION_CHARS],
            "fields": " ".join(dict.fromkeys(fields)).replace("_", " ")}


def _enum(schema: dict) -> list[str]:
    """The values a parameter takes: its enum, its items' enum, or those of its ``anyOf``/``oneOf``."""
    values = list(schema.get("enum") or ())
    items = schema.get("items")
    if isinstance(items, dict):
        values += items.get("enum") or ()
    for alternative in [*(schema.get("anyOf") or ()), *(schema.get("oneOf") or ())]:
        if isinstance(alternative, dict):
            values += alternative.get("enum") or ()
            if "const" in alternative:
                values.append(alternative["const"])
    return [str(v) for v in dict.fromkeys(values) if v not in (None, "")]


def _nested_names(schema: dict, out: list[str], depth: int) -> None:
    """The property names inside an object parameter, two levels down: a settings action's body says
    which settings it holds ("join_before_host", "waiting_room") where its title says only "settings"."""
    if depth >= _NESTED_DEPTH or len(out) >= _NESTED_MAX:
        return
    for key in ("properties",):
        for name, sub in (schema.get(key) or {}).items():
            out.append(name)
            if isinstance(sub, dict):
                _nested_names(sub, out, depth + 1)
    items = schema.get("items")
    if isinstance(items, dict):
        _nested_names(items, out, depth)


def _key(catalog) -> str | None:
    directory = getattr(catalog, "directory", None)
    if directory is None:
        return None
    try:
        with open(Path(directory) / "index.json", "rb") as fh:
            digest = hashlib.sha256(fh.read())
    except OSError:
        return None
    digest.update(f"\x00{VERSION}".encode())
    return digest.hexdigest()[:32]


def documents(catalog, names: list[str], cache: Path | None) -> dict[str, dict[str, str]]:
    """Every named action's extract; from ``cache`` when an earlier process made it for this catalog.
    An action without a document file (a workflow held in the index alone) has none."""
    key = _key(catalog) if cache is not None else None
    path = cache / f"documents-{key}.json" if key else None
    if path is not None:
        try:
            with open(path, encoding="utf-8") as fh:
                loaded = json.load(fh)
            if isinstance(loaded, dict) and all(n in loaded for n in names):
                return loaded
        except (OSError, ValueError):
            pass
    out: dict[str, dict[str, str]] = {}
    directory = Path(getattr(catalog, "directory", "."))
    for name in names:
        try:
            with open(directory / f"{name}.json", "rb") as fh:
                out[name] = extract(json.loads(fh.read()))
        except (OSError, ValueError):
            out[name] = {"operations": "", "description": "", "fields": ""}
    if path is not None:
        _save(path, out)
    return out


def _save(path: Path, data: dict) -> None:
    """Atomically; a cache that cannot be written is no error (the next process extracts again)."""
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".documents-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, separators=(",", ":"))
        os.replace(tmp, path)
        for old in sorted(path.parent.glob("documents-*.json"), key=lambda p: p.stat().st_mtime)[:-4]:
            if old != path:
                old.unlink(missing_ok=True)
    except OSError as exc:
        log.debug("search documents not cached at %s: %s", path, exc)
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
