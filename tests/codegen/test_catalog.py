"""The whole catalog, built from every product and master-account document Zoom publishes."""

from __future__ import annotations

import filecmp
import json
import os
import re
from collections import defaultdict
from pathlib import Path

import jsonschema
import pytest

from zoom_actions.codegen import build, sources
from zoom_actions.codegen.flatten import FLAT_NAME_RE
from zoom_actions.codegen.naming import NAME_RE, base_name
from zoom_actions.codegen.plan import iter_operations
from tests.conftest import SEED_NAMES

# the seeds beside Zoom's documents (ZOOM_SPEC_DIR=.../shared/zoom-openapi), else in ../shared beside the checkout
SEEDS_PLACES = [*([Path(os.environ["ZOOM_SPEC_DIR"]).resolve().parent / "seeds"] if os.environ.get("ZOOM_SPEC_DIR")
                  else []), Path(__file__).resolve().parents[2].parent / "shared" / "seeds"]


@pytest.fixture(scope="module")
def specs(spec_dir):
    files = sources.locate(spec_dir)
    return {f.source["id"]: f.load() for f in files}


# ../shared/zoom-openapi/README.md: 1,675 operations in 32 product documents, 780 in 13
# master-account documents; 11 of them are in both accounts.json and accounts-ma.json
OPERATIONS, DUPLICATES = 1675 + 780, 11


def test_one_action_per_operation(catalog, specs):
    assert len(specs) == 45
    ops = [(p, m.upper(), path) for p, doc in specs.items() for path, m, _, _ in iter_operations(doc)]
    assert len(ops) == OPERATIONS
    operations = catalog.operations()   # names() also holds the workflows (spec/workflows.json)
    built = {(catalog.entry(n)["product"], catalog.entry(n)["method"], catalog.entry(n)["path"]) for n in operations}
    also = {(p, catalog.entry(n)["method"], catalog.entry(n)["path"]) for n in operations
            for p in catalog.entry(n)["also_in"]}
    assert len(built) == len(operations) == OPERATIONS - DUPLICATES
    assert len(also) == DUPLICATES and {p for p, _, _ in also} == {"accounts-ma"}
    assert built | also == set(ops) and not built & also


def test_operations_in_two_documents_are_one_action_selected_by_both(catalog):
    shared = [n for n in catalog.names() if catalog.entry(n)["also_in"]]
    assert len(shared) == DUPLICATES
    assert all(catalog.entry(n)["product"] == "accounts" for n in shared)
    in_ma = set(catalog.filter(products="accounts-ma"))
    assert set(shared) <= in_ma and set(shared) <= set(catalog.filter(products="accounts"))
    assert len(in_ma) == 59


def test_names_unique_and_well_formed(catalog):
    names = catalog.names()
    assert len(names) == len(set(names)) == OPERATIONS - DUPLICATES + len(catalog.workflows())
    assert all(NAME_RE.match(n) for n in names)


def test_the_first_569_names_are_unchanged(catalog):
    """The three products of the first catalog keep every name (pinned in names.lock)."""
    from zoom_actions.codegen.naming import load_lock
    lock = load_lock(sources.SPEC_DIR / "names.lock")
    first = {k: v for k, v in lock.items() if k.split(" ", 1)[0] in ("meetings", "users", "phone")}
    assert len(first) == 569
    for key, name in first.items():
        product, method, path = key.split(" ", 2)
        e = catalog.entry(name)
        assert (e["product"], e["method"], e["path"]) == (product, method, path)


def test_master_account_twins_are_named_ma(catalog):
    by_op = {(catalog.entry(n)["product"], catalog.entry(n)["method"], catalog.entry(n)["path"]): n
             for n in catalog.names()}
    assert by_op[("users", "GET", "/groups/{groupId}/lock_settings")] == "ZOOM_GET_LOCKED_SETTINGS"
    assert by_op[("users-ma", "GET", "/accounts/{accountId}/groups/{groupId}/lock_settings")] == \
        "ZOOM_GET_LOCKED_SETTINGS_MA"
    assert by_op[("accounts", "GET", "/accounts/{accountId}/lock_settings")] == "ZOOM_GET_LOCKED_SETTINGS_ACCOUNTS"


def test_seed_names_map_exactly(catalog):
    for name, op in SEED_NAMES.items():
        method, path = op.split(" ")
        e = catalog.entry(name)
        assert (e["method"], e["path"]) == (method, path), name


def test_lock_pins_every_operation_of_todays_specs(spec_dir):
    result = build.build(spec_dir, Path("/nonexistent"), write=False, strict=True)
    assert result.new_names == {}
    assert result.overlay_problems == []
    assert all(h > 0 for h in result.overlay_hits), "an overlay patch matches nothing"


def test_sixteen_collision_groups_resolved(catalog, specs):
    groups = defaultdict(list)
    for p, doc in specs.items():
        if p not in ("meetings", "users", "phone"):   # the first catalog's products
            continue
        for path, m, op, _ in iter_operations(doc):
            groups[base_name(op.get("summary", ""))].append((m.upper(), path))
    colliding = {b: ops for b, ops in groups.items() if len(ops) > 1}
    assert len(colliding) == 16
    by_op = {(catalog.entry(n)["method"], catalog.entry(n)["path"]): n for n in catalog.names()}
    for base, ops in colliding.items():
        got = [by_op[o] for o in ops]
        assert len(set(got)) == len(got), base
        assert all(g.startswith(base) for g in got), (base, got)
    assert by_op[("GET", "/devices")] == "ZOOM_LIST_DEVICES"
    assert by_op[("GET", "/phone/devices")] == "ZOOM_LIST_DEVICES_PHONE"


def test_flat_names_unique_and_well_formed(all_actions):
    for a in all_actions:
        props = a["input_schema"]["properties"]
        assert set(props) == set(a["parameters"]), a["name"]
        for n in props:
            assert FLAT_NAME_RE.match(n), (a["name"], n)
        assert not set(a["aliases"]) & set(props)
        assert set(a["aliases"].values()) <= set(props)
        assert set(a["input_schema"].get("required", [])) <= set(props)


def test_create_a_meeting_flat_parameters(catalog):
    a = catalog.get("ZOOM_CREATE_A_MEETING")
    props = a["input_schema"]["properties"]
    assert props["settings__waiting_room"]["type"] == "boolean"
    assert props["recurrence__type"]["type"] == "integer" and props["recurrence__type"]["enum"] == [1, 2, 3]
    assert props["settings__meeting_invitees"]["type"] == "array"
    assert props["settings__meeting_invitees"]["items"]["type"] == "object"
    assert a["parameters"]["settings__meeting_invitees"] == {"in": "body", "path": ["settings", "meeting_invitees"]}
    assert a["parameters"]["userId"] == {"in": "path", "name": "userId"}
    assert a["aliases"]["settings__waiting__room"] == "settings__waiting_room"
    assert a["scopes"]["granular"] == ["meeting:write:meeting", "meeting:write:meeting:admin"]
    assert a["rate_limit"] == "MEDIUM"
    assert "**Scopes:**" not in a["description"] and "](" not in a["description"]


def test_schemas_pass_the_2020_12_meta_schema(all_actions):
    check = jsonschema.Draft202012Validator.check_schema
    for a in all_actions:
        check(a["input_schema"])
        check(a["output_schema"])
        if a["request_body"]:
            check(a["request_body"]["schema"])


def _resolve_body_path(schema: dict, key_path: list[str]) -> bool:
    """Does key_path lead to a declared property of the original body schema
    (through allOf members and union variants)?"""
    if not key_path:
        return True
    candidates = [schema]
    for key in key_path:
        nxt = []
        while candidates:
            s = candidates.pop()
            for sub in s.get("allOf", []) + s.get("oneOf", []) + s.get("anyOf", []):
                candidates.append(sub)
            if key in s.get("properties", {}):
                nxt.append(s["properties"][key])
        if not nxt:
            return False
        candidates = nxt
    return True


def test_every_parameter_points_at_a_real_place(all_actions, specs):
    for a in all_actions:
        op = specs[a["product"]]["paths"][a["operation"]["path"]][a["operation"]["method"].lower()]
        declared = {(p["in"], p["name"]) for p in op.get("parameters", [])}
        # a placeholder the document does not declare is added by the build (users-ma.json has one)
        declared |= {("path", m) for m in re.findall(r"\{([^{}/]+)\}", a["operation"]["path"])}
        rb = op.get("requestBody", {}).get("content", {})
        body_schema = next(iter(rb.values()))["schema"] if rb else {}
        for flat, loc in a["parameters"].items():
            if loc["in"] in ("path", "query", "header"):
                assert (loc["in"], loc["name"]) in declared, (a["name"], flat)
                if loc["in"] == "path":
                    assert "{" + loc["name"] + "}" in a["operation"]["path"]
            else:
                assert rb, (a["name"], flat)
                assert _resolve_body_path(body_schema, loc["path"]), (a["name"], flat, loc)


_TYPE = re.compile(r"(string|integer|boolean|number|object|array)")


def _composio_lines(text: str) -> dict[str, list[str]]:
    """The input-parameter lines Composio lists per action in its catalog page
    (seed 004). Each line starts with the parameter name glued to its type,
    after the previous parameter's enum values when it had any."""
    out: dict[str, list[str]] = {}
    current = None
    in_inputs = False
    for line in text.splitlines():
        m = re.match(r"^(ZOOM_[A-Z0-9_]+)Acción", line)
        if m:
            current, in_inputs = m.group(1), False
        elif line.startswith("Parámetros de entrada"):
            in_inputs = True
            out.setdefault(current, [])
        elif line.startswith("Parámetros de salida"):
            in_inputs = False
        elif in_inputs and current and _TYPE.search(line):
            out[current].append(line)
    return out


def _names_in_line(line: str, ours: set[str], enum_words: set[str]) -> str | None:
    """The parameter name the line starts with, if it is one of ours: some
    prefix of the line ending right before a type word, once the enum values
    glued before it are taken off."""
    for t in _TYPE.finditer(line):
        prefix = line[: t.start()]
        for j in range(len(prefix)):
            if prefix[j:] in ours and _only_enum_words(prefix[:j], enum_words):
                return prefix[j:]
    return None


def _only_enum_words(prefix: str, words: set[str]) -> bool:
    if not prefix:
        return True
    more = re.match(r"\+\d+", prefix)  # Composio's "+2" for enum values it did not show
    if more and _only_enum_words(prefix[more.end():], words):
        return True
    return any(prefix.startswith(w) and _only_enum_words(prefix[len(w):], words) for w in words if w)


def test_every_composio_parameter_exists_under_our_spelling(catalog):
    seed = next((f for place in SEEDS_PLACES for f in place.glob("004_*.txt")), None)
    if seed is None:
        pytest.fail(f"seeds/004_*.txt (Composio's Zoom catalog) is missing from {' and '.join(map(str, SEEDS_PLACES))}")
    listed = _composio_lines(seed.read_text())
    assert set(SEED_NAMES) <= set(listed)
    missing, found = [], 0
    for name in SEED_NAMES:
        a = catalog.get(name)
        ours = set(a["input_schema"]["properties"]) | set(a["aliases"])
        enum_words = {str(v) for s in a["input_schema"]["properties"].values() for v in s.get("enum", []) or []}
        for line in listed[name]:
            if _names_in_line(line, ours, enum_words) is None:
                missing.append((name, line[:80]))
            else:
                found += 1
    assert found > 150
    assert missing == []


def test_build_is_deterministic(spec_dir, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    build.build(spec_dir, a)
    build.build(spec_dir, b)
    names = sorted(p.name for p in a.iterdir())
    from zoom_actions.workflows import load_declarations
    assert names == sorted(p.name for p in b.iterdir()) and \
        len(names) == OPERATIONS - DUPLICATES + len(load_declarations()) + 3  # + index.json, names.json, events.json
    match, mismatch, errors = filecmp.cmpfiles(a, b, names, shallow=False)
    assert mismatch == [] and errors == []


def test_built_catalog_is_current(spec_dir, catalog, tmp_path):
    """actions/ is what today's specs, overlay and lock produce."""
    fresh = build.build(spec_dir, tmp_path / "x")
    assert [a["name"] for a in fresh.actions + fresh.workflows] == catalog.names()
    for a in fresh.actions[:: 37]:
        assert a == catalog.get(a["name"])


def test_listing_and_product_filters_read_names_json_only(catalog):
    """A fresh process that lists names, filters by product or opens an
    action never parses the whole index (names.json is a tenth of it)."""
    from zoom_actions.catalog import Catalog
    fresh = Catalog(catalog.directory)
    assert fresh.names() == catalog.names() and len(fresh) == len(catalog)
    assert fresh.filter(products="accounts-ma") == catalog.filter(products="accounts-ma")
    assert fresh.get("ZOOM_GET_A_MEETING")["name"] == "ZOOM_GET_A_MEETING"
    assert fresh._index is None
    assert fresh.filter(read_only=True) == catalog.filter(read_only=True) and fresh._index is not None
    assert (catalog.directory / "names.json").stat().st_size * 5 < (catalog.directory / "index.json").stat().st_size
