"""``search``: natural-language tasks -> action names, offline, on two
hand-labeled sets (``search_tasks.json``, used while building the ranker,
and ``search_tasks_heldout.json``, written after it was frozen)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from zoom_actions.search import index_for, search, stem, tokens

HERE = Path(__file__).parent


def _recall(catalog, file: str) -> tuple[float, float, int]:
    """Over the default selection (every product but the master-account APIs), as tk.search() ranks."""
    from zoom_actions.adapters.selection import select_names
    tasks = json.loads((HERE / file).read_text())["tasks"]
    standard = select_names(catalog)
    at1 = at5 = 0
    for task in tasks:
        got = search(catalog, task["task"], k=5, names=standard)
        at1 += bool(got) and got[0] in task["expect"]
        at5 += any(name in task["expect"] for name in got)
    return at1 / len(tasks), at5 / len(tasks), len(tasks)


def test_labeled_tasks_are_valid(catalog):
    for file in ("search_tasks.json", "search_tasks_heldout.json"):
        tasks = json.loads((HERE / file).read_text())["tasks"]
        assert len({t["task"] for t in tasks}) == len(tasks)
        for t in tasks:
            assert t["expect"] and all(name in catalog for name in t["expect"]), t
    assert len(json.loads((HERE / "search_tasks.json").read_text())["tasks"]) >= 60


def test_recall_on_the_labeled_set(catalog):
    r1, r5, n = _recall(catalog, "search_tasks.json")
    print(f"\nsearch_tasks.json: {n} tasks, recall@1 {r1:.2f}, recall@5 {r5:.2f}")
    assert r5 >= 0.9 and r1 >= 0.75


def test_recall_on_the_held_out_set(catalog):
    r1, r5, n = _recall(catalog, "search_tasks_heldout.json")
    print(f"\nsearch_tasks_heldout.json: {n} tasks, recall@1 {r1:.2f}, recall@5 {r5:.2f}")
    assert r5 >= 0.8 and r1 >= 0.6


@pytest.mark.parametrize("task,expected", [
    ("who attended my last meeting", "ZOOM_GET_PAST_MEETING_PARTICIPANTS"),
    ("get the join link to share", "ZOOM_GET_MEETING_INVITATION"),
    ("move tomorrow's sync to 4pm", "ZOOM_UPDATE_A_MEETING"),
])
def test_the_issue_examples_rank_first(catalog, task, expected):
    assert search(catalog, task, k=5)[0] == expected


def test_search_is_fast_and_restricted_to_candidates(catalog):
    index_for(catalog)   # latency is measured by `make bench`, not asserted here (a loaded CI machine is noisy)
    phone = catalog.filter(products="phone")
    got = search(catalog, "list the recordings of a meeting", k=5, names=phone)
    assert got and set(got) <= set(phone)
    assert search(catalog, "", k=5) == [] and search(catalog, "meeting", k=0) == []
    assert search(catalog, "zzzzqqq", k=5) == []


def test_tokenizer_and_stemmer():
    assert tokens("Who attended jane@example.com's Q&A?") == ["attend", "email", "qa"]
    assert stem("meetings") == stem("meeting") and stem("summaries") == "summary" and stem("addresses") == "address"


def test_toolkit_search_and_tools_search(toolkit):
    assert toolkit.search("who attended my last meeting", k=3)[0] == "ZOOM_GET_PAST_MEETING_PARTICIPANTS"
    tools = toolkit.tools(format="openai", search="who attended my last meeting", limit=3)
    assert [t["function"]["name"] for t in tools][0] == "ZOOM_GET_PAST_MEETING_PARTICIPANTS"
    assert len(tools) == 3
