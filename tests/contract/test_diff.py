"""`zoom-actions diff` on small hand-made spec pairs, one kind of change each.

The specs live in tests/contract/specs/diff/; their own spec/ folder holds a
sources.json (meetings, users), a names lock pinning two operations, and an
overlay with a patch most of them lack (a diff skips it instead of failing).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from zoom_actions.codegen import build
from zoom_actions import cli
from zoom_actions.diff import DiffError, diff, load_side, split_by_product

SPECS = Path(__file__).resolve().parent / "specs" / "diff"
SPEC_DIR = SPECS / "spec"
BASE = SPECS / "base.json"


def run(new: str, old: Path = BASE, **kw):
    return diff(f"meetings={old}", f"meetings={SPECS / new}", spec_dir=SPEC_DIR, **kw)


def changes(report, name: str) -> list[dict]:
    return [c.as_dict() for c in report.changed.get(name, [])]


def test_base_against_itself_has_no_changes():
    report = run("base.json")
    assert not report.added and not report.removed and not report.changed
    assert not report.breaking
    assert "No changes." in report.to_markdown()
    assert set(report.new.actions) == {"ZOOM_LIST_WIDGETS", "ZOOM_CREATE_A_WIDGET", "ZOOM_GET_A_WIDGET",
                                       "ZOOM_DELETE_A_WIDGET"}


def test_added_action_is_not_breaking():
    report = run("added.json")
    assert [a["name"] for a in report.added] == ["ZOOM_CLONE_A_WIDGET"]
    assert report.added[0]["method"] == "POST" and report.added[0]["path"] == "/widgets/{widgetId}/clone"
    assert not report.removed and not report.breaking


def test_removed_action_is_breaking():
    report = run("removed.json")
    assert [a["name"] for a in report.removed] == ["ZOOM_DELETE_A_WIDGET"]
    assert report.breaking and report.breaking_count == 1
    assert report.to_json()["removed"][0]["breaking"] is True
    # and the other way round, it is an addition
    back = diff(f"meetings={SPECS / 'removed.json'}", f"meetings={BASE}", spec_dir=SPEC_DIR)
    assert [a["name"] for a in back.added] == ["ZOOM_DELETE_A_WIDGET"] and not back.breaking


def test_reworded_summary_keeps_the_pinned_name():
    report = run("reworded.json")
    assert not report.added and not report.removed
    assert changes(report, "ZOOM_GET_A_WIDGET") == [{
        "kind": "summary_reworded", "breaking": False,
        "detail": 'summary reworded: "Get a widget" -> "Retrieve one widget" (name kept)'}]
    assert report.new.actions["ZOOM_GET_A_WIDGET"]["title"] == "Retrieve one widget"


@pytest.mark.parametrize("new, name, kind, parameter, breaking", [
    ("param_added_optional.json", "ZOOM_LIST_WIDGETS", "parameter_added", "owner", False),
    ("param_added_required.json", "ZOOM_CREATE_A_WIDGET", "parameter_added", "kind", True),
    ("param_removed.json", "ZOOM_CREATE_A_WIDGET", "parameter_removed", "count", True),
    ("retyped.json", "ZOOM_CREATE_A_WIDGET", "parameter_retyped", "count", True),
    ("widened.json", "ZOOM_CREATE_A_WIDGET", "parameter_retyped", "count", False),
    ("newly_required.json", "ZOOM_CREATE_A_WIDGET", "parameter_newly_required", "count", True),
    ("enum_removed.json", "ZOOM_CREATE_A_WIDGET", "enum_values_removed", "settings__mode", True),
    ("enum_added.json", "ZOOM_LIST_WIDGETS", "enum_values_added", "color", False),
])
def test_parameter_changes(new, name, kind, parameter, breaking):
    report = run(new)
    assert list(report.changed) == [name]
    found = changes(report, name)
    assert [(c["kind"], c["parameter"], c["breaking"]) for c in found] == [(kind, parameter, breaking)]
    assert report.breaking is breaking
    assert f"`{parameter}`" in found[0]["detail"]


def test_details_name_types_and_values():
    assert "integer -> string" in changes(run("retyped.json"), "ZOOM_CREATE_A_WIDGET")[0]["detail"]
    assert "(widened)" in changes(run("widened.json"), "ZOOM_CREATE_A_WIDGET")[0]["detail"]
    assert '`"slow"`' in changes(run("enum_removed.json"), "ZOOM_CREATE_A_WIDGET")[0]["detail"]
    assert '`"yellow"`' in changes(run("enum_added.json"), "ZOOM_LIST_WIDGETS")[0]["detail"]


def test_markdown_lists_breaking_changes_first():
    md = run("param_removed.json").to_markdown()
    assert md.index("## Breaking changes") < md.index("## Changed actions")
    assert "- `ZOOM_CREATE_A_WIDGET`: parameter `count` removed" in md
    assert "**0 added, 0 removed, 1 changed; 1 breaking change.**" in md


def test_combined_file_is_split_by_the_lock():
    doc = json.loads((SPECS / "combined.json").read_text())
    lock = json.loads((SPEC_DIR / "names.lock").read_text())["names"]
    parts = split_by_product(doc, lock, ["meetings", "users"])
    assert sorted(parts["users"]["paths"]) == ["/gadgets", "/gadgets/{gadgetId}"]  # pinned, then by segment
    assert sorted(parts["meetings"]["paths"]) == ["/sprockets", "/widgets", "/widgets/{widgetId}"]
    side = load_side(SPECS / "combined.json", spec_dir=SPEC_DIR)
    assert side.actions["ZOOM_LIST_GADGETS"]["product"] == "users"
    assert side.actions["ZOOM_GET_A_GADGET"]["product"] == "users"
    assert side.actions["ZOOM_LIST_SPROCKETS"]["product"] == "meetings"
    only_users = load_side(SPECS / "combined.json", products=["users"], spec_dir=SPEC_DIR)
    assert set(only_users.actions) == {"ZOOM_LIST_GADGETS", "ZOOM_GET_A_GADGET"}


def test_spec_directory_and_built_catalog_sides(tmp_path):
    specs = tmp_path / "specs"
    specs.mkdir()
    shutil.copy(SPECS / "added.json", specs / "meetings.json")  # the one test spec the overlay's target is in
    catalog = tmp_path / "catalog"
    build.build(specs, catalog, products=["meetings"], spec_dir=SPEC_DIR)
    assert (catalog / "index.json").exists()
    report = diff(f"meetings={BASE}", catalog, spec_dir=SPEC_DIR)  # the base lacks the overlay's target
    assert report.new.kind == "catalog"
    assert [a["name"] for a in report.added] == ["ZOOM_CLONE_A_WIDGET"] and not report.changed
    same = diff(specs, catalog, spec_dir=SPEC_DIR)
    assert same.old.kind == "specs" and not (same.added or same.removed or same.changed)


def test_bad_sides_are_reported(tmp_path):
    with pytest.raises(DiffError, match="does not exist"):
        load_side(tmp_path / "nope.json", spec_dir=SPEC_DIR)
    with pytest.raises(DiffError, match="unknown product"):
        load_side(f"phone={BASE}", spec_dir=SPEC_DIR)
    (tmp_path / "x.json").write_text("[1, 2]")
    with pytest.raises(DiffError, match="not an OpenAPI document"):
        load_side(tmp_path / "x.json", spec_dir=SPEC_DIR)


def test_cli_json_and_fail_on_breaking(monkeypatch, capsys):
    monkeypatch.setattr("zoom_actions.diff.sources.SPEC_DIR", SPEC_DIR)
    import zoom_actions.diff as mod
    real = mod.diff
    monkeypatch.setattr(mod, "diff", lambda old, new, products=None: real(old, new, products=products,
                                                                        spec_dir=SPEC_DIR))
    old, removed, added = f"meetings={BASE}", f"meetings={SPECS / 'removed.json'}", f"meetings={SPECS / 'added.json'}"
    assert cli.main(["diff", old, removed, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["breaking"] is True and data["summary"]["removed"] == 1
    assert data["removed"][0]["name"] == "ZOOM_DELETE_A_WIDGET"
    assert cli.main(["diff", old, removed, "--fail-on-breaking"]) == 1
    assert "## Breaking changes" in capsys.readouterr().out
    assert cli.main(["diff", old, added, "--fail-on-breaking"]) == 0
    assert cli.main(["diff", old, "meetings=/no/such/file.json"]) == 2


def test_the_diff_names_added_actions_without_phrases_and_removed_ones_the_phrasebook_still_has(monkeypatch):
    """Search's phrasebook follows the catalog by hand: the diff says what to phrase and what to move."""
    from zoom_actions import phrasebook
    monkeypatch.setattr(phrasebook, "entries", lambda: {"ZOOM_DELETE_A_WIDGET": ("scrap a widget",)})
    added = run("added.json")
    assert added.phrasebook() == (["ZOOM_CLONE_A_WIDGET"], [])
    assert added.to_json()["phrasebook"] == {"unphrased": ["ZOOM_CLONE_A_WIDGET"], "stale": []}
    assert "1 added action(s) have no phrases yet" in added.to_markdown() and "`ZOOM_CLONE_A_WIDGET`" in \
        added.to_markdown()
    removed = run("removed.json")
    assert removed.phrasebook() == ([], ["ZOOM_DELETE_A_WIDGET"])
    assert "still names 1 removed action(s)" in removed.to_markdown()
    assert "phrasebook" not in run("base.json").to_markdown()
