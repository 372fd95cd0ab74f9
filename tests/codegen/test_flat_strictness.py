"""The flat input schema is at least as strict as the nested body it is rebuilt into.

For every action, each flat body/multipart parameter maps (by its key path
in ``parameters``) to a node of ``request_body.schema``; the flat property
must carry that node's value constraints, so a model reading only the flat
schema is told every rule the runtime enforces on the nested body.
"""

from __future__ import annotations

import copy

import pytest

CONSTRAINTS = ("enum", "const", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "format",
               "minLength", "maxLength", "pattern", "minItems", "maxItems", "multipleOf")


def nested_nodes(schema: dict, key_path: list[str]) -> list[dict]:
    """Every schema node reached by following key_path through properties,
    looking into allOf/anyOf/oneOf branches along the way."""
    def expand(node) -> list[dict]:
        if not isinstance(node, dict):
            return []
        out = [node]
        for key in ("allOf", "anyOf", "oneOf"):
            for branch in node.get(key) or []:
                out.extend(expand(branch))
        return out

    nodes = [schema]
    for key in key_path:
        nodes = [n["properties"][key] for node in nodes for n in expand(node)
                 if isinstance(n.get("properties"), dict) and key in n["properties"]]
    return nodes


def _carries(flat: dict, keyword: str, value) -> bool:
    if flat.get(keyword) == value:
        return True
    branches = [b for key in ("anyOf", "oneOf", "allOf") for b in flat.get(key) or []]
    return any(isinstance(b, dict) and _carries(b, keyword, value) for b in branches)


def missing_constraints(doc: dict) -> list[tuple[str, str, object]]:
    """(flat name, keyword, value) for each nested constraint the flat property lacks."""
    body = (doc.get("request_body") or {}).get("schema")
    if not body:
        return []
    props = doc["input_schema"]["properties"]
    missing = []
    for name, loc in doc["parameters"].items():
        if loc["in"] not in ("body", "multipart") or loc.get("file"):
            continue
        nodes = nested_nodes(body, loc["path"])
        assert nodes, (doc["name"], name, loc["path"])   # every flat body parameter maps to a node
        flat = props[name]
        for node in nodes:
            for keyword in CONSTRAINTS:
                if keyword in node and not _carries(flat, keyword, node[keyword]):
                    missing.append((name, keyword, node[keyword]))
            items = node.get("items")
            if isinstance(items, dict) and "enum" in items and not _carries(flat.get("items") or {}, "enum", items["enum"]):
                missing.append((name, "items.enum", items["enum"]))
    return missing


def test_every_flat_body_parameter_carries_its_nested_constraints(all_actions):
    checked = {keyword: 0 for keyword in ("enum", "format", "maxLength", "minimum", "maximum", "pattern")}
    failures = {}
    for doc in all_actions:
        if missing := missing_constraints(doc):
            failures[doc["name"]] = missing
        body = (doc.get("request_body") or {}).get("schema")
        for loc in doc["parameters"].values():
            if body and loc["in"] in ("body", "multipart"):
                for node in nested_nodes(body, loc["path"]):
                    for keyword in checked:
                        checked[keyword] += keyword in node
    assert not failures, dict(list(failures.items())[:10])
    # the catalog has constraints of each kind to check, so the test is not vacuous
    assert all(count > 0 for count in checked.values()), checked
    assert checked["enum"] > 100


@pytest.mark.parametrize("name,flat,keyword", [
    ("ZOOM_CREATE_A_MEETING", "type", "enum"),
    ("ZOOM_CREATE_A_MEETING", "settings__approval_type", "enum"),
    ("ZOOM_CREATE_A_MEETING", "start_time", "format"),
    ("ZOOM_CREATE_A_MEETING", "topic", "maxLength"),
])
def test_the_check_notices_a_dropped_constraint(catalog, name, flat, keyword):
    doc = copy.deepcopy(catalog.get(name))
    assert not missing_constraints(doc)
    assert keyword in doc["input_schema"]["properties"][flat]
    del doc["input_schema"]["properties"][flat][keyword]
    assert [(n, k) for n, k, _ in missing_constraints(doc)] == [(flat, keyword)]

