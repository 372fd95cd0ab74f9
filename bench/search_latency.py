"""Section 7: task search over the whole catalog.

Query latency: ``search(catalog, task, k=5)`` over every action (all
products) and over the default selection, for each task of the labeled sets
(the untouched half is left out: it is only ever scored, in the tests), once
warmed, median. Index build: a fresh process each time, timed around
``index_for(catalog)``; "cold" with an empty cache directory (the model
embeds every action), "warm" with the vectors the cold run left on disk,
and the lexical index alone for comparison. The model's import and load are
reported apart: every process that searches pays them once.
"""

from __future__ import annotations

import json
import os
import tempfile
import time

from .common import ROOT, Context, Goal, Section, Table, median, ms, python_env, run_child, short_error

QUERY_GOAL_S = 0.010
TASK_FILES = ("search_tasks.json", "search_tasks_heldout.json", "search_tasks_tuning.json")

BUILD = """\
import json, time
t0 = time.perf_counter()
from zoom_actions import embedding
model = embedding.model()
t1 = time.perf_counter()
from zoom_actions.catalog import load_catalog
from zoom_actions.lexical import LexicalIndex
from zoom_actions.search import index_for
catalog = load_catalog()
catalog.index
t2 = time.perf_counter()
LexicalIndex(catalog, catalog.names())
t3 = time.perf_counter()
idx = index_for(catalog)
t4 = time.perf_counter()
print(json.dumps({"model": t1 - t0, "lexical": t3 - t2, "index": t4 - t3, "semantic": idx.semantic}))
"""


def _tasks() -> list[str]:
    out = []
    for name in TASK_FILES:
        path = ROOT / "tests" / "adapters" / name
        if path.exists():
            out += [t["task"] for t in json.loads(path.read_text())["tasks"]]
    return out


def _latency(ctx: Context, section: Section) -> None:
    from zoom_actions.adapters.selection import select_names
    from zoom_actions.catalog import load_catalog
    from zoom_actions.search import index_for, search
    catalog = load_catalog(ctx.catalog_dir)
    idx = index_for(catalog)
    tasks = _tasks()
    reps = ctx.reps(5, 1)
    table = Table(f"Query latency, {len(tasks)} labeled tasks, k=5 (ms)", ["candidates", "actions", "median", "p90",
                                                                           "max"])
    medians = {}
    for label, names in (("every product", None), ("default selection (no master-account APIs)",
                                                   select_names(catalog))):
        for task in tasks:   # warm: the first call of each task also fills caches the later ones share
            search(catalog, task, k=5, names=names)
        times = []
        for _ in range(reps):
            for task in tasks:
                t0 = time.perf_counter()
                search(catalog, task, k=5, names=names)
                times.append(time.perf_counter() - t0)
        times.sort()
        medians[label] = median(times)
        table.add(label, len(names) if names is not None else len(idx.names), ms(median(times)),
                  ms(times[int(len(times) * 0.9)]), ms(times[-1]))
    table.notes.append(("Hybrid ranking (lexical BM25F plus wordllama embeddings)" if idx.semantic else
                        "Lexical ranking only: wordllama is not installed") +
                       f"; {reps} rounds over the tasks after one warm-up round.")
    section.tables.append(table)
    worst = max(medians.values())
    section.goals.append(Goal("search: median query under 10 ms on the full catalog", f"{ms(worst)} ms",
                              worst < QUERY_GOAL_S, "" if worst < QUERY_GOAL_S else "see the latency table"))


def _build(ctx: Context, section: Section) -> None:
    table = Table("Index build in a fresh process (median ms)", ["vectors", "model import + load", "lexical index",
                                                                "whole index"])
    reps = ctx.reps(3, 1)
    with tempfile.TemporaryDirectory(dir=ctx.work_dir) as cache:
        env = python_env()
        env["ZOOM_ACTIONS_DIR"] = str(ctx.catalog_dir)
        env["XDG_CACHE_HOME"] = cache
        runs: dict[str, list[dict]] = {"cold: computed (empty cache)": [], "warm: read from the disk cache": []}
        try:
            for _ in range(reps):
                for label in runs:
                    if label.startswith("cold"):
                        for f in (os.path.join(root, n) for root, _, names in os.walk(cache) for n in names):
                            os.unlink(f)
                    runs[label].append(run_child(BUILD, env=env)[1])
        except Exception as exc:
            table.unavailable("index build", short_error(exc))
            section.tables.append(table)
            return
    for label, outs in runs.items():
        table.add(label, ms(median([o["model"] for o in outs])), ms(median([o["lexical"] for o in outs])),
                  ms(median([o["index"] for o in outs])))
    if not runs["warm: read from the disk cache"][0]["semantic"]:
        table.notes.append("wordllama is not installed: no vectors, lexical index only.")
    table.notes.append("The whole index is the lexical index, the usefulness scores and the vectors; it is built "
                       "once per catalog and process and kept in memory, the vectors also on disk.")
    section.tables.append(table)


def run(ctx: Context) -> Section:
    section = Section("7. Task search")
    _latency(ctx, section)
    _build(ctx, section)
    return section
