"""The second stage of search: the first ranking's head, re-ordered by a fitted linear model.

``Index.rank`` fuses the lexical and semantic scores with hand-set factors;
this module looks again at its best ``TOP`` candidates with more of what is
known about each (features below) and orders them by ``WEIGHTS . features``.
The weights are a pairwise logistic regression (every right action of a
labeled task against every wrong one among its candidates), fitted with
numpy alone by ``fit`` on ``tests/adapters/search_tasks_tuning*.json`` and
checked on the sets it was not fitted on (see ``zoom_actions.search``).
Refit with ``python -m zoom_actions.rerank tests/adapters/search_tasks_tuning*.json``
after a change to the first stage, and paste the weights it prints.

Features of a candidate, for one task:

- ``fused``: its first-stage score over the best one's; ``first``: 1 / its rank;
  ``lexical``: its lexical score over the best lexical score;
- ``semantic``: its cosine to the task minus the best candidate's;
- ``said_*``: the share of the task's words (weighted as the lexical stage
  weighs them, synonyms included) found in its name and title, its summary,
  its description, its path, the operations it selects, its parameter names,
  its phrasebook phrases (``zoom_actions.phrasebook``), and in any of these;
  ``phrase_best``: the share found in its best single phrase;
- ``product``: how strongly the task names its product; ``elsewhere``: the
  task names a product and this is not it; ``core``: the task names none and
  this is Meetings or Users; ``master``: a master-account twin (+1 when the
  task asks for a sub account, -1 when not); ``workflow``: a composite action;
  ``useful``: its usefulness (``zoom_actions.usefulness``); ``verb``: the log of
  how well its verb fits the task's intent (``lexical.verb_agreement``); ``tense``: the task is about now
  or what is to come and this action's name is about the past, or the other way round; ``every_meeting``:
  the task is about meetings in general ("every meeting in the group", ``lexical.scope_of_meetings``) and
  this action works on one meeting; ``given_meeting``: the task gives an identifier and this action works
  on one meeting; ``someone_else``: the task names a person by address and this action works for the
  caller alone (``/users/me/zak``).
"""

from __future__ import annotations

import math
from typing import Iterable

TOP = 30   # candidates of the first stage that are re-ordered
FEATURES = ("fused", "first", "lexical", "semantic", "said_named", "said_short", "said_desc", "said_path",
            "said_ops", "said_params", "said_phrases", "said_any", "phrase_best", "product", "elsewhere", "core",
            "master", "workflow", "useful", "verb", "tense", "every_meeting", "given_meeting",
            "someone_else")
_FIELDS = ("named", "short", "desc", "path", "ops", "params", "phrases", "any")
# fitted by ``fit`` on search_tasks_tuning, _tuning2, _tuning3 and _tuning4 (l2 = 0.001); see the module docstring
# (_tuning5 is read, not fitted on: fitted on it too, the weights favour the composite actions its labels
# name, and "push the weekly sync to next Monday" found the past-occurrence workflow)
WEIGHTS = dict(zip(FEATURES, (
    3.067, 0.6582, 1.478, 9.132, -0.4033, 1.511, 0.302, 2.436, 4.968, 0.6774, 1.375, 3.234, -1.567, 2.31, 1.004,
    0.3618, 4.452, 1.842, -0.2019, 2.236, -2.255, -4.738, 1.772, -4.441,
)))


def features(index, query: str, ranked: list[int], fused: dict[int, float], lexical: dict[int, float],
             cosines, named: dict[str, float], master_asked: bool) -> list[list[float]]:
    """One row of ``FEATURES`` per candidate in ``ranked``; ``cosines``: every action's cosine to the task,
    or None without the semantic model. Plain Python: search without the ``search`` extra has no numpy."""
    from . import lexical as lx
    from .search import _CORE_PRODUCTS, what_is_asked
    raw = lx.rewrite(lx.tokens(lx.without_values(what_is_asked(query)), keep_stop=True))
    intent = lx.intent_of(raw)
    terms = lx.query_terms(raw, index.lexical.name_vocabulary, lx.acts_at_once(query, intent))
    total = sum(terms.values()) or 1.0
    best = fused[ranked[0]] or 1.0
    best_lexical = max(lexical.values(), default=0.0) or 1.0
    best_cosine = max(float(cosines[i]) for i in ranked) if cosines is not None else 0.0
    rows = []
    scope = lx.scope_of_meetings(query)
    given = lx.names_one(query)
    someone = lx.names_someone(query)   # a person named by address: not the caller
    now = ("live" in terms or "upcom" in terms) and "past" not in terms   # now, or to come
    before = "past" in terms and "live" not in terms
    for r, i in enumerate(ranked):
        words = index.lexical.words[i]
        nw = words["named"]
        tense = float((now and "past" in nw and "live" not in nw) or (before and "live" in nw and "past" not in nw))
        said = [sum(w for t, w in terms.items() if t in words[f]) / total for f in _FIELDS]
        phrase_best = max((sum(w for t, w in terms.items() if t in pw)
                           for pw in index.lexical.phrase_words[i]), default=0.0) / total
        hit = max((named.get(p, 0.0) for p in index.products[i]), default=0.0) if named else 0.0
        rows.append([
            fused[i] / best, 1.0 / (r + 1), lexical.get(i, 0.0) / best_lexical,
            float(cosines[i]) - best_cosine if cosines is not None else 0.0, *said, phrase_best,
            hit, float(bool(named) and not hit), float(not named and index.products[i][0] in _CORE_PRODUCTS),
            float(index.master[i]) * (1.0 if master_asked else -1.0), float(index.workflow[i]), index.usefulness[i],
            math.log(lx.verb_agreement(index.lexical.verbs[i], intent)) if intent else 0.0, tense,
            float(scope == "every" and index.lexical.on_meeting[i]), float(given and index.lexical.on_meeting[i]),
            float(someone and index.lexical.caller_only[i])])
    return rows


def rerank(index, query: str, fused: dict[int, float], lexical: dict[int, float],
           cosines, named: dict[str, float], master_asked: bool,
           k: int, weights: dict[str, float] | None = None) -> list[int]:
    """The ``k`` best positions: the first stage's ``TOP`` re-ordered, then the rest in its order."""
    import heapq
    if k <= TOP:   # the usual case: only the head is needed
        head, tail = heapq.nsmallest(TOP, fused, key=lambda i: (-fused[i], i)), []
    else:
        ordered = sorted(fused, key=lambda i: (-fused[i], i))
        head, tail = ordered[:TOP], ordered[TOP:]
    if len(head) > 1:
        w = [(weights or WEIGHTS).get(f, 0.0) for f in FEATURES]
        rows = features(index, query, head, fused, lexical, cosines, named, master_asked)
        scores = [sum(a * b for a, b in zip(row, w)) for row in rows]
        head = [head[j] for j in sorted(range(len(head)), key=lambda j: (-scores[j], j))]
    return (head + tail)[:k]


def fit(rows_by_task: Iterable[tuple], l2: float = 0.001, steps: int = 2000) -> dict[str, float]:
    """Weights from ``(features, is_right)`` pairs of arrays, one pair a task: pairwise logistic loss
    (each task weighs as much as any other), standardized features, Adam, numpy alone. ``l2``: chosen by
    cross-validation over the four tuning sets (fitted on three, scored on the fourth): recall@1 0.799 at
    0.1, 0.808 at 0.03, 0.822 at 0.003, 0.826 at 0.001 and at 0.0001."""
    import numpy as np
    diffs, weight = [], []
    for rows, right in rows_by_task:
        rows, right = np.asarray(rows, dtype=np.float64), np.asarray(right, dtype=bool)
        if not right.any() or right.all():
            continue
        d = (rows[right][:, None, :] - rows[~right][None, :, :]).reshape(-1, rows.shape[1])
        diffs.append(d)
        weight.append(np.full(len(d), 1.0 / len(d)))
    if not diffs:
        raise ValueError("no labeled task has both a right and a wrong candidate to learn from")
    a, p = np.vstack(diffs), np.concatenate(weight)
    scale = a.std(0) + 1e-9
    a = a / scale
    w, m, v = np.zeros(a.shape[1]), np.zeros(a.shape[1]), np.zeros(a.shape[1])
    for t in range(1, steps + 1):
        z = np.clip(a @ w, -30, 30)
        g = -(a * (p / (1 + np.exp(z)))[:, None]).sum(0) / p.sum() + l2 * w
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        w -= 0.05 * (m / (1 - 0.9 ** t)) / (np.sqrt(v / (1 - 0.999 ** t)) + 1e-8)
    return dict(zip(FEATURES, (w / scale).tolist()))


def training_rows(catalog, tasks: Iterable[dict]):
    """``(features, is_right)`` of each labeled task's first-stage head, as ``fit`` takes them (over the
    whole catalog, or the products a task names, as the tuning sets are scored)."""
    import numpy as np
    from .adapters.selection import select_names
    from .search import index_for
    idx = index_for(catalog)
    for task in tasks:
        names = select_names(catalog, products=task.get("products") or "all")
        allowed = {idx.position[n] for n in names if n in idx.position}
        parts = idx.first_stage(task["task"], allowed)
        if parts is None:
            continue
        fused = parts[0]
        head = sorted(fused, key=lambda i: (-fused[i], i))[:TOP]
        if len(head) < 2:
            continue
        rows = features(idx, task["task"], head, *parts)
        yield np.array(rows), np.array([idx.names[i] in task["expect"] for i in head])


def main(argv: list[str] | None = None) -> int:
    """Print the weights ``fit`` gives on the labeled sets named on the command line."""
    import json
    import sys
    from pathlib import Path
    from . import load_catalog
    files = argv if argv is not None else sys.argv[1:]
    if not files:
        print("usage: python -m zoom_actions.rerank LABELED_SET.json ...", file=sys.stderr)
        return 2
    tasks = [t for f in files for t in json.loads(Path(f).read_text(encoding="utf-8"))["tasks"]]
    weights = fit(training_rows(load_catalog(), tasks))
    print("WEIGHTS = dict(zip(FEATURES, (")
    print("    " + ", ".join(f"{weights[f]:.4g}" for f in FEATURES) + ",")
    print(")))")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
