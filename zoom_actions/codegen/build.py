"""The build step: load -> normalize (overlay) -> plan -> emit."""

from __future__ import annotations

import json
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

from . import naming, sources
from .normalize import BuildRefused, Note, normalize
from .overlay import apply_overlay, load_overlay
from .plan import plan_catalog

__all__ = ["BuildRefused", "BuildResult", "build", "emit", "main_generate"]

from ..document import CATALOG_FORMAT, ActionDocument, Index, IndexEntry  # noqa: F401


@dataclass
class BuildResult:
    out_dir: Path
    actions: list[dict]
    names: dict[str, str]
    spec_hashes: dict[str, str]
    new_names: dict[str, str]  # op key -> name, not yet in the lock
    overlay_hits: list[int]
    notes: list[Note]          # spec defects repaired (or operations refused), with where
    overlay_problems: list[str]  # patches that do not fit the documents built
    workflows: list[dict] = field(default_factory=list)   # composite actions (spec/workflows.json)


def dumps(obj) -> str:
    """The one JSON spelling of build output: stable, readable, UTF-8."""
    return json.dumps(obj, indent=1, ensure_ascii=False) + "\n"


def normalized_specs(files: list[sources.SpecFile], spec_dir: Path = sources.SPEC_DIR,
                     notes: list[Note] | None = None,
                     problems: list[str] | None = None) -> tuple[list[tuple[dict, dict]], list[int]]:
    """Each file parsed, normalized (``normalize.py``) and patched (``overlay.py``)."""
    notes = [] if notes is None else notes
    problems = [] if problems is None else problems
    patches = load_overlay(spec_dir / "overlay.json")
    total = [0] * len(patches)
    specs = []
    for f in files:
        pid = f.source["id"]
        try:
            raw_doc = f.load()
        except ValueError as exc:
            raise BuildRefused(f"{pid}: {f.path} is not JSON ({exc})") from None
        doc = normalize(pid, raw_doc, notes, has_refs=b'"$ref"' in f.raw)
        hits = apply_overlay(pid, doc, patches, problems)
        total = [a + b for a, b in zip(total, hits)]
        for i, (patch, hit) in enumerate(zip(patches, hits)):
            named = patch.get("product")
            if named is not None and pid in ([named] if isinstance(named, str) else named) and hit == 0:
                problems.append(f"{pid}: overlay patch #{i} ({patch.get('path')}) matched nothing in {f.path.name}")
        specs.append((f.source, doc))
    built = {f.source["id"] for f in files}
    for i, (patch, hit) in enumerate(zip(patches, total)):
        if patch.get("product") is None and hit == 0:
            problems.append(f"overlay patch #{i} ({patch.get('path')}) matched nothing in {', '.join(sorted(built))}")
    return specs, total


def build(source_dir: Path | None, out_dir: Path, *, products: list[str] | None = None,
          update_lock: bool = False, spec_dir: Path = sources.SPEC_DIR, write: bool = True,
          strict: bool = False) -> BuildResult:
    """Build the catalog. ``strict``: an overlay patch that does not fit the
    documents is an error (``BuildRefused``) rather than a warning."""
    files = sources.locate(source_dir, products, spec_dir=spec_dir)
    notes: list[Note] = []
    problems: list[str] = []
    specs, hits = normalized_specs(files, spec_dir, notes, problems)
    if strict and problems:
        raise BuildRefused("the overlay does not fit these documents (--strict):\n  " + "\n  ".join(problems))
    lock_path = spec_dir / "names.lock"
    lock = naming.load_lock(lock_path)
    actions, names = plan_catalog(specs, lock, notes)
    flows = plan_workflows(actions, set(lock.values()) | set(names.values()), spec_dir, notes)
    new = {k: v for k, v in names.items() if k not in lock}
    hashes = {f.source["id"]: f.sha256 for f in files}
    if write:
        emit(actions, files, out_dir, flows)
        if source_dir is not None:   # the event catalog beside the actions (the events issue reads it)
            from ..events.catalog import FILE, build_events
            events = build_events(source_dir, notes, spec_dir, strict=strict)
            if events["count"]:
                (out_dir / FILE).write_text(dumps(events))
    if update_lock:
        naming.dump_lock(lock_path, names, lock)
        _write_spec_lock(spec_dir / "spec.lock", files)
    return BuildResult(out_dir, actions, names, hashes, new, hits, notes, problems, flows)


def plan_workflows(actions: list[dict], pinned: set[str], spec_dir: Path = sources.SPEC_DIR,
                   notes: list[Note] | None = None) -> list[dict]:
    """The composite actions of ``spec_dir/workflows.json`` over these operations
    (``zoom_actions.workflows``): a step naming an unknown action refuses the
    build; a workflow whose steps' product was not built is left out, with a note."""
    from ..workflows import WorkflowError, compile_workflows, load_declarations
    try:
        docs, skipped = compile_workflows(load_declarations(spec_dir / "workflows.json"),
                                          {a["name"]: a for a in actions}, pinned)
    except WorkflowError as exc:
        raise BuildRefused(f"spec/workflows.json: {exc}") from None
    if notes is not None:
        notes.extend(Note("workflows", "spec/workflows.json", s) for s in skipped)
    return docs


def _write_spec_lock(path: Path, files: list[sources.SpecFile]) -> None:
    current = json.loads(path.read_text()).get("specs", {}) if path.exists() else {}
    for f in files:
        current[f.source["id"]] = {"file": f.source["file"], "sha256": f.sha256, "url": f.source["url"]}
    path.write_text(dumps({"comment": "sha256 of the Zoom spec files the catalog was last built from "
                                      "(written by `zoom-actions generate --update-lock`).",
                           "specs": dict(sorted(current.items()))}))


def spec_lock_drift(result: BuildResult, spec_dir: Path = sources.SPEC_DIR) -> list[str]:
    path = spec_dir / "spec.lock"
    locked = json.loads(path.read_text()).get("specs", {}) if path.exists() else {}
    return [p for p, h in result.spec_hashes.items() if locked.get(p, {}).get("sha256") != h]


def index_entry(a: ActionDocument) -> IndexEntry:
    return {
        "title": a["title"],
        "short_description": a["short_description"],
        "product": a["product"],
        "tags": a["tags"],
        "method": a["operation"]["method"],
        "path": a["operation"]["path"],
        "rate_limit": a["rate_limit"],
        "annotations": a["annotations"],
        "scopes": sorted(set(a["scopes"]["classic"]) | set(a["scopes"]["granular"])),
        "parameters": list(a["input_schema"]["properties"]),
        "required": a["input_schema"].get("required", []),
        "also_in": a.get("also_in", []),
    }


def emit(actions: list[dict], files: list[sources.SpecFile], out_dir: Path, workflows: list[dict] = ()) -> None:
    """Write one JSON document per action plus index.json, replacing what was
    there. Written beside the target and swapped in, so readers never see a
    half-written catalog and a failed build leaves the old one in place.
    ``workflows`` (composite actions) get their documents too, and their own
    ``workflows`` key in index.json and names.json, beside ``actions``."""
    from ..workflows import index_entry as workflow_entry
    out_dir = out_dir.resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    final, out_dir = out_dir, out_dir.with_name(out_dir.name + ".new")
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir()
    if (final / "README.md").exists():
        shutil.copy(final / "README.md", out_dir / "README.md")
    if (final / "models").is_dir():   # kept: `generate --models` rebuilds them from the new catalog
        shutil.move(str(final / "models"), str(out_dir / "models"))
    for a in [*actions, *workflows]:
        (out_dir / f"{a['name']}.json").write_text(dumps(a))
    index: Index = {
        "format": CATALOG_FORMAT,
        "specs": {f.source["id"]: {"title": f.source["title"], "file": f.source["file"], "sha256": f.sha256,
                                   "master_account": bool(f.source.get("master_account"))}
                  for f in files},
        "count": len(actions),
        "actions": {a["name"]: index_entry(a) for a in actions},
    }
    if workflows:
        index["workflows"] = {w["name"]: workflow_entry(w) for w in workflows}
    (out_dir / "index.json").write_text(dumps(index))
    # the fast path: every name with its products, for listing and product filters without the index
    (out_dir / "names.json").write_text(json.dumps(
        {"format": CATALOG_FORMAT, "specs": index["specs"],
         "products": {a["name"]: [a["product"], *a.get("also_in", [])] for a in actions},
         **({"workflows": {w["name"]: [w["product"]] for w in workflows}} if workflows else {})},
        separators=(",", ":"), ensure_ascii=False) + "\n")
    old = final.with_name(final.name + ".old")
    if old.exists():
        shutil.rmtree(old)
    if final.exists():
        final.rename(old)
    out_dir.rename(final)
    if old.exists():
        shutil.rmtree(old)


def main_generate(source_dir: Path | None, out_dir: Path, products: list[str] | None, update_lock: bool,
                  strict: bool = False) -> int:
    result = build(source_dir, out_dir, products=products, update_lock=update_lock, strict=strict)
    print(f"wrote {len(result.actions)} actions to {out_dir}", file=sys.stderr)
    for n in result.notes:
        print(f"note: {n}", file=sys.stderr)
    for p in result.overlay_problems:
        print(f"warning: {p}", file=sys.stderr)
    if result.new_names and not update_lock:
        print(f"note: {len(result.new_names)} operations have no pinned name in spec/names.lock; "
              "run `zoom-actions generate --update-lock` to pin them", file=sys.stderr)
    drift = spec_lock_drift(result)
    if drift and not update_lock:
        print(f"note: spec files differ from spec/spec.lock for: {', '.join(drift)}", file=sys.stderr)
    return 0
