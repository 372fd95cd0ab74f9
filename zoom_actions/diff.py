"""Catalog diff: what changes for callers between two versions of the catalog.

``diff_catalogs(old, new)`` compares two sets of action documents by name
(names are pinned per operation by ``spec/names.lock``, so a reworded
summary keeps its name) and reports:

- actions added (not breaking) and removed (breaking);
- per action present on both sides: summary reworded; parameters added
  (breaking when required), removed (breaking), retyped (breaking unless
  the new type only widens the old one), newly required (breaking), no
  longer required; enum values removed (breaking) or added; the endpoint
  (method and path) changed.

A side is read by ``load_side(arg)``; ``arg`` is one of

- a built catalog: a directory holding ``index.json``;
- a spec directory: the products of ``spec/sources.json`` whose files it
  holds (``meetings.json``, ``users.json``, ``phone.json``); a directory
  with none of those names is read as its ``*.json`` files, each as below;
- a spec file: ``PRODUCT=FILE`` puts all its operations in that product; a
  file named like a product's file (``users.json``) is that product;
  any other file (such as Zoom's older combined "Zoom Meeting API") is split
  into products operation by operation: an operation pinned in the names
  lock under some product goes to that product; an unpinned one goes to the
  product whose pinned operations share its first path segment
  (``/groups/...`` -> users), else to the product holding most of the
  file's pinned operations.

Spec sides are built in memory the way ``zoom-actions generate`` builds
(overlay, then the planner with the names lock), except that an overlay
patch whose target is missing is skipped rather than fatal: an old spec
need not have every target today's overlay fixes.
"""

from __future__ import annotations

import copy
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zoom_actions.codegen import naming, sources
from zoom_actions.codegen.overlay import HTTP_METHODS, apply_overlay, load_overlay
from zoom_actions.codegen.plan import plan_catalog


class DiffError(ValueError):
    pass


@dataclass
class Side:
    label: str
    kind: str  # catalog | specs
    actions: dict[str, dict]  # name -> action document


# --- reading a side -----------------------------------------------------------

def load_side(arg: str | Path, *, products: list[str] | None = None,
              spec_dir: Path = sources.SPEC_DIR) -> Side:
    text = str(arg)
    forced = None
    if "=" in text and not Path(text).exists():
        forced, text = text.split("=", 1)
    path = Path(text).expanduser()
    if not path.exists():
        raise DiffError(f"{path} does not exist")
    if path.is_dir() and (path / "index.json").exists():
        if forced:
            raise DiffError(f"{path} is a built catalog: PRODUCT= applies to spec files only")
        return Side(str(path), "catalog", _read_catalog(path, products))
    known = {s["id"]: s for s in sources.products(spec_dir)}
    if forced and forced not in known:
        raise DiffError(f"unknown product {forced!r} (known: {', '.join(known)})")
    units: list[tuple[str | None, Path]] = []
    if path.is_dir():
        units = [(pid, path / s["file"]) for pid, s in known.items() if (path / s["file"]).exists()]
        if not units:
            units = [(None, p) for p in sorted(path.glob("*.json"))]
        if not units:
            raise DiffError(f"{path} holds neither a built catalog (index.json) nor spec files (*.json)")
    else:
        by_file = {s["file"]: pid for pid, s in known.items()}
        units = [(forced or by_file.get(path.name), path)]
    return Side(str(path), "specs", build_from_specs(units, products=products, spec_dir=spec_dir))


def _read_catalog(directory: Path, products: list[str] | None) -> dict[str, dict]:
    index = json.loads((directory / "index.json").read_text())
    out = {}
    for name, entry in index["actions"].items():
        if products and entry.get("product") not in products:
            continue
        out[name] = json.loads((directory / f"{name}.json").read_text())
    return out


def _operations(doc: dict):
    for path, item in (doc.get("paths") or {}).items():
        for method in HTTP_METHODS:
            if isinstance(item.get(method), dict):
                yield path, method


def split_by_product(doc: dict, lock: dict[str, str], product_ids: list[str]) -> dict[str, dict]:
    """One spec document -> {product: document holding that product's operations}."""
    pinned: dict[tuple[str, str], str] = {}
    by_segment: dict[str, Counter] = {}
    for key in lock:
        pid, method, path = key.split(" ", 2)
        pinned.setdefault((method, path), pid)
        by_segment.setdefault(_segment(path), Counter())[pid] += 1
    hits = Counter(pinned[(m.upper(), p)] for p, m in _operations(doc) if (m.upper(), p) in pinned)
    primary = _most(hits, product_ids) or product_ids[0]

    def product_of(method: str, path: str) -> str:
        if (method.upper(), path) in pinned:
            return pinned[(method.upper(), path)]
        return _most(by_segment.get(_segment(path)), product_ids) or primary

    out: dict[str, dict] = {}
    for path, method in _operations(doc):
        pid = product_of(method, path)
        part = out.setdefault(pid, {k: v for k, v in doc.items() if k != "paths"} | {"paths": {}})
        item = part["paths"].setdefault(path, {k: v for k, v in doc["paths"][path].items()
                                               if k not in HTTP_METHODS})
        item[method] = doc["paths"][path][method]
    return out


def _most(counts: Counter | None, order: list[str]) -> str | None:
    """The product counted most; ties go to the earlier product in spec/sources.json."""
    if not counts:
        return None
    rank = {p: i for i, p in enumerate(order)}
    return max(counts, key=lambda p: (counts[p], -rank.get(p, len(order))))


def _segment(path: str) -> str:
    parts = [p for p in path.split("/") if p]
    return parts[0] if parts else ""


def build_from_specs(units: list[tuple[str | None, Path]], *, products: list[str] | None = None,
                     spec_dir: Path = sources.SPEC_DIR) -> dict[str, dict]:
    """Spec files (each with its product, or None to split) -> name -> action."""
    srcs = sources.products(spec_dir)
    ids = [s["id"] for s in srcs]
    lock = naming.load_lock(spec_dir / "names.lock")
    merged: dict[str, dict] = {}
    for pid, path in units:
        try:
            doc = json.loads(path.read_bytes())
        except ValueError as exc:
            raise DiffError(f"{path} is not JSON: {exc}") from None
        if not isinstance(doc, dict) or "paths" not in doc:
            raise DiffError(f"{path} is not an OpenAPI document (no `paths`)")
        parts = {pid: doc} if pid else split_by_product(doc, lock, ids)
        for part_id, part in parts.items():
            if part_id in merged:
                for p, item in part["paths"].items():
                    merged[part_id]["paths"].setdefault(p, {}).update(item)
            else:
                merged[part_id] = copy.deepcopy(part)
    patches = [dict(p, optional=True) for p in load_overlay(spec_dir / "overlay.json")]
    specs = []
    for src in srcs:
        if src["id"] in merged and (not products or src["id"] in products):
            doc = merged[src["id"]]
            apply_overlay(src["id"], doc, patches)
            specs.append((src, doc))
    actions, _ = plan_catalog(specs, lock)
    return {a["name"]: a for a in actions}


# --- comparing ------------------------------------------------------------------

@dataclass
class Change:
    kind: str
    breaking: bool
    detail: str
    parameter: str | None = None

    def as_dict(self) -> dict:
        d = {"kind": self.kind, "breaking": self.breaking, "detail": self.detail}
        if self.parameter is not None:
            d["parameter"] = self.parameter
        return d


@dataclass
class DiffReport:
    old: Side
    new: Side
    added: list[dict] = field(default_factory=list)
    removed: list[dict] = field(default_factory=list)
    changed: dict[str, list[Change]] = field(default_factory=dict)

    @property
    def breaking_count(self) -> int:
        return len(self.removed) + sum(c.breaking for cs in self.changed.values() for c in cs)

    @property
    def breaking(self) -> bool:
        return self.breaking_count > 0

    def phrasebook(self) -> tuple[list[str], list[str]]:
        """(added actions the phrasebook has no phrases for, removed actions it still names)."""
        from .phrasebook import entries
        book = entries()
        if not book:
            return [], []

        def phrased(name: str) -> bool:
            return name in book or name.removesuffix("_MA") in book
        return ([a["name"] for a in self.added if not phrased(a["name"])],
                [r["name"] for r in self.removed if r["name"] in book])

    def to_json(self) -> dict:
        return {
            "old": {"source": self.old.label, "kind": self.old.kind, "actions": len(self.old.actions)},
            "new": {"source": self.new.label, "kind": self.new.kind, "actions": len(self.new.actions)},
            "summary": {"added": len(self.added), "removed": len(self.removed), "changed": len(self.changed),
                        "breaking_changes": self.breaking_count},
            "breaking": self.breaking,
            "added": self.added,
            "phrasebook": dict(zip(("unphrased", "stale"), self.phrasebook())),
            "removed": [dict(r, breaking=True) for r in self.removed],
            "changed": [{"name": n, "breaking": any(c.breaking for c in cs), "changes": [c.as_dict() for c in cs]}
                        for n, cs in self.changed.items()],
        }

    def to_markdown(self) -> str:
        s = self.to_json()["summary"]
        out = [
            "# Zoom action catalog diff", "",
            f"- old: `{self.old.label}` ({len(self.old.actions)} actions)",
            f"- new: `{self.new.label}` ({len(self.new.actions)} actions)", "",
            f"**{s['added']} added, {s['removed']} removed, {s['changed']} changed; "
            f"{s['breaking_changes']} breaking change{'s' if s['breaking_changes'] != 1 else ''}.**", "",
        ]
        breaking = [(n, c) for n, cs in self.changed.items() for c in cs if c.breaking]
        if breaking or self.removed:
            out += ["## Breaking changes", ""]
            out += [f"- `{r['name']}` removed ({r['method']} {r['path']})" for r in self.removed]
            out += [f"- `{n}`: {c.detail}" for n, c in breaking]
            out.append("")
        if self.added:
            out += [f"## Added actions ({len(self.added)})", "", "| action | operation | summary |", "| --- | --- | --- |"]
            out += [f"| `{a['name']}` | {a['method']} `{a['path']}` | {_cell(a['title'])} |" for a in self.added]
            out.append("")
        unphrased, stale = self.phrasebook()
        if unphrased or stale:
            out += ["## Search's phrasebook (zoom_actions/spec/phrasebook.json)", ""]
            if unphrased:
                out.append(f"- {len(unphrased)} added action(s) have no phrases yet (search finds them by their own "
                           f"text until they do): {', '.join(f'`{n}`' for n in unphrased)}")
            if stale:
                out.append(f"- the phrasebook still names {len(stale)} removed action(s): move their phrases to the "
                           f"new names or drop them: {', '.join(f'`{n}`' for n in stale)}")
            out.append("")
        if self.removed:
            out += [f"## Removed actions ({len(self.removed)}, breaking)", "", "| action | operation | summary |",
                    "| --- | --- | --- |"]
            out += [f"| `{a['name']}` | {a['method']} `{a['path']}` | {_cell(a['title'])} |" for a in self.removed]
            out.append("")
        if self.changed:
            out += [f"## Changed actions ({len(self.changed)})", ""]
            for name, cs in self.changed.items():
                out.append(f"### `{name}`")
                out += [f"- {'**breaking**: ' if c.breaking else ''}{c.detail}" for c in cs]
                out.append("")
        if not (self.added or self.removed or self.changed):
            out += ["No changes.", ""]
        return "\n".join(out)


def _cell(text: str) -> str:
    return (text or "").replace("|", "\\|").replace("\n", " ")


def _summary(a: dict) -> dict:
    op = a["operation"]
    return {"name": a["name"], "product": a["product"], "method": op["method"], "path": op["path"],
            "title": a.get("title", "")}


_WIDER = {"integer": {"number"}}


def _type_set(schema: dict) -> set[str]:
    t = schema.get("type")
    if isinstance(t, list):
        return set(t)
    if isinstance(t, str):
        return {t}
    branches = schema.get("anyOf") or schema.get("oneOf") or []
    found: set[str] = set()
    for b in branches:
        found |= _type_set(b) if isinstance(b, dict) else set()
    return found or {"any"}


def _type_label(schema: dict) -> str:
    types = sorted(_type_set(schema))
    label = "|".join(types)
    if "array" in types and isinstance(schema.get("items"), dict):
        label += f"<{'|'.join(sorted(_type_set(schema['items'])))}>"
    return label


def _widens(old: dict, new: dict) -> bool:
    """Every value the old type accepted is still accepted by the new one."""
    o, n = _type_set(old), _type_set(new)
    if "any" in n:
        return True
    if not all(t in n or _WIDER.get(t, set()) & n for t in o):
        return False
    if "array" in o and isinstance(old.get("items"), dict) and isinstance(new.get("items"), dict):
        return _widens(old["items"], new["items"])
    return True


def _enum(schema: dict) -> list | None:
    if "enum" in schema:
        return schema["enum"]
    items = schema.get("items")
    if isinstance(items, dict) and "enum" in items:
        return items["enum"]
    return None


def compare_action(old: dict, new: dict) -> list[Change]:
    changes: list[Change] = []
    if old.get("title") != new.get("title"):
        changes.append(Change("summary_reworded", False,
                              f"summary reworded: \"{old.get('title')}\" -> \"{new.get('title')}\" (name kept)"))
    oo, no = old["operation"], new["operation"]
    if (oo["method"], oo["path"]) != (no["method"], no["path"]):
        changes.append(Change("endpoint_changed", False,
                              f"endpoint changed: {oo['method']} {oo['path']} -> {no['method']} {no['path']}"))
    op_, np_ = old["input_schema"].get("properties", {}), new["input_schema"].get("properties", {})
    oreq, nreq = set(old["input_schema"].get("required", [])), set(new["input_schema"].get("required", []))
    for p in np_:
        if p not in op_:
            req = p in nreq
            changes.append(Change("parameter_added", req,
                                  f"parameter `{p}` added{' (required)' if req else ''}", p))
    for p in op_:
        if p not in np_:
            changes.append(Change("parameter_removed", True, f"parameter `{p}` removed", p))
    for p in op_:
        if p not in np_:
            continue
        a, b = op_[p], np_[p]
        if _type_label(a) != _type_label(b):
            widening = _widens(a, b)
            changes.append(Change("parameter_retyped", not widening,
                                  f"parameter `{p}` retyped: {_type_label(a)} -> {_type_label(b)}"
                                  + (" (widened)" if widening else ""), p))
        if p in nreq and p not in oreq:
            changes.append(Change("parameter_newly_required", True, f"parameter `{p}` is now required", p))
        elif p in oreq and p not in nreq:
            changes.append(Change("parameter_no_longer_required", False, f"parameter `{p}` is no longer required", p))
        ea, eb = _enum(a), _enum(b)
        if ea is not None:
            if eb is None:
                changes.append(Change("enum_removed", False, f"parameter `{p}` takes any value now (enum dropped)", p))
            else:
                gone = [v for v in ea if v not in eb]
                if gone:
                    changes.append(Change("enum_values_removed", True,
                                          f"parameter `{p}`: enum values removed: {_values(gone)}", p))
                extra = [v for v in eb if v not in ea]
                if extra:
                    changes.append(Change("enum_values_added", False,
                                          f"parameter `{p}`: enum values added: {_values(extra)}", p))
        elif eb is not None:
            changes.append(Change("enum_added", True, f"parameter `{p}` now takes only {_values(eb)}", p))
    return changes


def _values(values: list) -> str:
    return ", ".join(f"`{json.dumps(v, ensure_ascii=False)}`" for v in values)


def diff_catalogs(old: Side, new: Side) -> DiffReport:
    report = DiffReport(old, new)
    for name in sorted(new.actions):
        if name not in old.actions:
            report.added.append(_summary(new.actions[name]))
    for name in sorted(old.actions):
        if name not in new.actions:
            report.removed.append(_summary(old.actions[name]))
        else:
            changes = compare_action(old.actions[name], new.actions[name])
            if changes:
                report.changed[name] = changes
    return report


def diff(old_arg: str | Path, new_arg: str | Path, *, products: list[str] | None = None,
         spec_dir: Path = sources.SPEC_DIR) -> DiffReport:
    return diff_catalogs(load_side(old_arg, products=products, spec_dir=spec_dir),
                         load_side(new_arg, products=products, spec_dir=spec_dir))
