"""Closest-name suggestions for unknown action and parameter names."""

from __future__ import annotations

import difflib


def closest(word: str, candidates, n: int = 3) -> list[str]:
    cands = list(candidates)
    by_lower = {c.lower(): c for c in cands}
    hits = difflib.get_close_matches(word.lower(), list(by_lower), n=n, cutoff=0.6)
    if not hits:
        low = word.lower()
        hits = [c for c in by_lower if low and (low in c or c in low)][:n]
    return [by_lower[h] for h in hits]


def ranked(word: str, candidates) -> list[str]:
    """Every candidate, the closest to ``word`` first (for messages that list all valid values)."""
    low = word.lower()
    return sorted(candidates, key=lambda c: (-difflib.SequenceMatcher(None, low, c.lower()).ratio(), c))
