"""The action document as a versioned contract: facts computed at build time, the format checked on load."""

from __future__ import annotations

import json
import shutil

import pytest

from zoom_actions.catalog import Catalog, CatalogFormatMismatch
from zoom_actions.document import CATALOG_FORMAT, ActionDocument


def test_index_records_the_format(catalog):
    assert catalog.index["format"] == CATALOG_FORMAT


@pytest.mark.parametrize("found", [1, CATALOG_FORMAT + 1, None])
def test_a_catalog_of_another_format_is_refused_with_the_fix(catalog, tmp_path, found):
    shutil.copy(catalog.directory / "index.json", tmp_path / "index.json")
    index = json.loads((tmp_path / "index.json").read_text())
    if found is None:
        index.pop("format")
    else:
        index["format"] = found
    (tmp_path / "index.json").write_text(json.dumps(index))
    with pytest.raises(CatalogFormatMismatch) as info:
        Catalog(tmp_path)
    assert f"format {found}" in str(info.value) and "zoom-actions generate" in str(info.value)
    assert ("older" in str(info.value)) == (found == 1)


@pytest.mark.parametrize("name,kind,field", [
    ("ZOOM_LIST_MEETINGS", "next_page_token", "meetings"),
    ("ZOOM_LIST_USERS", "next_page_token", "users"),
    ("ZOOM_GET_A_MEETING", None, None),
])
def test_pagination_is_computed_at_build_time(catalog, name, kind, field):
    doc: ActionDocument = catalog.get(name)
    if kind is None:
        assert doc["pagination"] is None
    else:
        assert doc["pagination"] == {"kind": kind, "list_field": field}


def test_comma_separated_query_arrays_are_marked(catalog):
    doc = catalog.get("ZOOM_DELETE_UNASSIGNED_PHONE_NUMBERS")
    assert doc["parameters"]["phone_numbers"]["style"] == "comma"
    marked = [n for n in catalog.names() for loc in catalog.get(n)["parameters"].values() if loc.get("style")]
    assert all(catalog.get(n)["operation"]["method"] for n in marked) and len(marked) >= 1


def _has_one_of(node) -> bool:
    if isinstance(node, dict):
        return "oneOf" in node or any(_has_one_of(v) for v in node.values())
    if isinstance(node, list):
        return any(_has_one_of(v) for v in node)
    return False


def test_response_one_of_is_read_as_any_of_at_build_time(all_actions):
    for doc in all_actions:
        assert not _has_one_of(doc["output_schema"]), doc["name"]


def test_required_path_string_parameters_declare_min_length(all_actions):
    checked = 0
    for doc in all_actions:
        props = doc["input_schema"]["properties"]
        for name, loc in doc["parameters"].items():
            if loc["in"] == "path" and props[name].get("type") == "string":
                assert props[name].get("minLength", 0) >= 1, (doc["name"], name)
                checked += 1
    assert checked > 100
