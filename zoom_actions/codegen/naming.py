"""Action names: ``ZOOM_`` + the summary in upper snake case, pinned by
``spec/names.lock`` so that a name never changes once given.

Fixed rules, in order:

1. base name: ``ZOOM_`` + summary upper-cased, every run of characters outside
   ``[A-Z0-9]`` becoming one ``_``.
2. longer than 64: drop filler words (A, AN, THE, S), then cut at a word
   boundary.
3. a name already pinned in the lock for an operation is kept as is; so is
   one pinned for the same product, method and path with its placeholders
   renamed (``{sharedLineGroupId}`` -> ``{slgId}``), when that old path is
   gone.
4. operations without a pinned name that share a base name form a group,
   ordered by product order, path depth, path, method. The first keeps the
   base name unless a pinned operation holds it; every other gets ``_`` +
   the static path segments that the holder of the base name (the pinned
   operation, else the group's first) does not have (``/phone/devices`` vs
   ``/devices`` -> ``_PHONE``), and if that is still taken, ``_2``,
   ``_3``...; always cut to 64 characters. An operation of a master-account
   document is qualified with ``MA`` first, and a leading ``accounts``
   segment (its ``/accounts/{accountId}`` prefix) is not repeated:
   ``/accounts/{accountId}/groups/{groupId}/lock_settings`` beside
   ``/groups/{groupId}/lock_settings`` -> ``_MA``.
5. an operation that an earlier document holds with the same server, method
   and path is not a new action (see ``plan.plan_catalog``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

NAME_RE = re.compile(r"^[A-Z][A-Z0-9_]{0,63}$")
MAX = 64
_FILLER = {"A", "AN", "THE", "S"}


@dataclass(frozen=True)
class OpRef:
    key: str  # "meetings GET /meetings/{meetingId}"
    product_index: int
    method: str
    path: str
    summary: str
    master: bool = False  # from a master-account document


def op_key(product: str, method: str, path: str) -> str:
    return f"{product} {method.upper()} {path}"


def base_name(summary: str) -> str:
    words = [w for w in re.split(r"[^A-Z0-9]+", (summary or "").upper()) if w]
    if not words:
        words = ["UNNAMED"]
    name = "ZOOM_" + "_".join(words)
    if len(name) > MAX:
        words = [w for w in words if w not in _FILLER] or words
        name = "ZOOM_" + "_".join(words)
    return _cut(name)


def _cut(name: str, limit: int = MAX) -> str:
    if len(name) <= limit:
        return name
    cut = name[:limit]
    if "_" in cut[5:] and name[limit] != "_":
        cut = cut[: cut.rindex("_")]
    return cut.rstrip("_")


def _static_segments(path: str) -> list[str]:
    return [s for s in path.strip("/").split("/") if s and not s.startswith("{")]


def _qualifier(path: str, first_path: str, master: bool = False) -> str:
    first = set(_static_segments(first_path))
    extra = [s for s in _static_segments(path) if s not in first]
    if master:  # a master-account twin: `_MA`, not the `/accounts/{accountId}` prefix it adds
        if extra[:1] == ["accounts"]:
            extra = extra[1:]
        extra = ["ma", *extra]
    return "_".join(re.sub(r"[^A-Z0-9]+", "_", s.upper()).strip("_") for s in extra)


def _with_suffix(base: str, suffix: str) -> str:
    if not suffix:
        return base
    return _cut(base, MAX - len(suffix) - 1) + "_" + suffix


def assign_names(ops: list[OpRef], lock: dict[str, str]) -> dict[str, str]:
    """Operation key -> action name, honouring the lock."""
    result: dict[str, str] = {}
    taken: set[str] = set()
    present = {op.key for op in ops}
    # a pinned operation whose path placeholders were renamed ({sharedLineGroupId} -> {slgId}) is the same one
    by_shape: dict[str, str] = {}
    for key in lock:
        if key not in present:
            by_shape.setdefault(path_shape(key), key)
    for op in ops:
        if op.key in lock:
            result[op.key] = lock[op.key]
            taken.add(lock[op.key])
        elif path_shape(op.key) in by_shape:
            old = by_shape.pop(path_shape(op.key))
            result[op.key] = lock[old]
            taken.add(lock[old])
    # names pinned for operations that no longer exist stay reserved
    taken.update(lock.values())

    groups: dict[str, list[OpRef]] = {}
    for op in ops:
        if op.key not in result:
            groups.setdefault(base_name(op.summary), []).append(op)
    pinned_path = {name: key.split(" ", 2)[2] for key, name in lock.items()}
    for base in sorted(groups):
        members = sorted(groups[base], key=lambda o: (o.product_index, o.path.count("/"), o.path, o.method))
        # qualify against the operation that holds the base name: a pinned one, else the group's first
        ref_path = pinned_path.get(base, members[0].path)
        for i, op in enumerate(members):
            keeps_base = i == 0 and base not in taken
            stem = base if keeps_base else _with_suffix(base, _qualifier(op.path, ref_path, op.master))
            candidate, n = stem, 2
            while candidate in taken:
                candidate = _with_suffix(stem, str(n))
                n += 1
            result[op.key] = candidate
            taken.add(candidate)
    return result


def path_shape(key: str) -> str:
    """An operation key with its placeholder names blanked: ``users GET /users/{}``."""
    return re.sub(r"\{[^{}]*\}", "{}", key)


def load_lock(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    data = json.loads(path.read_text())
    return dict(data.get("names", {}))


def dump_lock(path: Path, names: dict[str, str], previous: dict[str, str]) -> None:
    merged = dict(previous)
    merged.update(names)
    body = {
        "comment": "Pinned action names: operation ('product METHOD path') -> name. "
                   "Changed only by `zoom-actions generate --update-lock`.",
        "names": dict(sorted(merged.items())),
    }
    path.write_text(json.dumps(body, indent=1, ensure_ascii=False) + "\n")
