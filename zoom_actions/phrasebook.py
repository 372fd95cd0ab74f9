"""Everyday phrasings of what actions do, for search (``spec/phrasebook.json``).

Zoom's titles and summaries say what an operation is in the API's words
("Get daily usage report", "List dispositions"); people and agents ask in
theirs ("how many meeting minutes did we have each day", "what wrap-up codes
can agents pick"). The phrasebook holds, per action, a few short phrases in
everyday words, written by the project (never copied from Zoom's text)
without looking at any labeled search task. Search reads them as one more
lexical field and embeds each phrase beside the action's own text, so a task
close to any one phrase finds the action (``zoom_actions.search``).

A master-account twin (``*_MA``, the same operation under
``/accounts/{accountId}``) shares its product twin's phrases. A name the
current catalog no longer has (Zoom renamed an operation) is ignored here and
reported by ``stale``, which the tests check against the built catalog.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

PATH = Path(__file__).resolve().parent / "spec" / "phrasebook.json"
_ACCOUNT_PREFIX = re.compile(r"^/accounts/\{[^}]+\}")


@lru_cache(maxsize=1)
def entries() -> dict[str, tuple[str, ...]]:
    """Action name -> its phrases, as written; empty when the file is missing (an old install)."""
    try:
        data = json.loads(PATH.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {name: tuple(p.strip().lower() for p in phrases if isinstance(p, str) and p.strip())
            for name, phrases in data.get("phrases", {}).items() if isinstance(phrases, list)}


def for_catalog(catalog, names: list[str]) -> dict[str, tuple[str, ...]]:
    """The phrases of each of ``names`` that has some, twins included."""
    book = entries()
    if not book:
        return {}
    by_operation: dict[tuple[str, str], str] | None = None
    out: dict[str, tuple[str, ...]] = {}
    for name in names:
        phrases = book.get(name)
        if phrases is None and (entry := catalog.entry(name))["product"].endswith("-ma"):
            phrases = book.get(name.removesuffix("_MA"))
            if phrases is None:   # a twin named otherwise: the same method on the path without the prefix
                if by_operation is None:
                    by_operation = {(e["method"], e.get("path", "")): n for n in names
                                    if not (e := catalog.entry(n))["product"].endswith("-ma")}
                twin = by_operation.get((entry["method"], _ACCOUNT_PREFIX.sub("", entry.get("path", ""))))
                phrases = book.get(twin) if twin else None
        if phrases:
            out[name] = phrases
    return out


def stale(catalog) -> list[str]:
    """Names in the phrasebook that the catalog does not have."""
    return sorted(name for name in entries() if name not in catalog)
