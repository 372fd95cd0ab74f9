"""The phrasebook (``spec/phrasebook.json``): everyday phrasings search reads beside Zoom's own text."""

from __future__ import annotations

import json
import re

import pytest

from zoom_actions import phrasebook
from zoom_actions.search import Index


def test_every_name_is_an_action_of_the_built_catalog(catalog):
    assert phrasebook.entries(), "spec/phrasebook.json is missing or empty"
    assert phrasebook.stale(catalog) == []   # a renamed operation: move its phrases to the new name


def test_phrases_are_short_lowercase_and_not_zoom_s_own_text(catalog):
    """Our words, not Zoom's: no phrase repeats six words in a row of the action's title or summary."""
    def runs(text: str, n: int = 6) -> set[tuple[str, ...]]:
        words = re.findall(r"[a-z0-9']+", text.lower())
        return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}
    for name, phrases in phrasebook.entries().items():
        assert 1 <= len(phrases) <= 10, name
        entry = catalog.entry(name)
        theirs = runs(f"{entry.get('title') or ''}. {entry.get('short_description') or ''}")
        for p in phrases:
            assert 1 <= len(p.split()) <= 12 and p == p.lower(), (name, p)
            assert not runs(p) & theirs, (name, p)


def test_the_core_products_are_covered(catalog):
    book = phrasebook.entries()
    for product in ("meetings", "users", "team-chat", "phone", "contact-center", "rooms"):
        names = [n for n in catalog.names() if catalog.entry(n)["product"] == product]
        covered = sum(n in book for n in names)
        assert covered >= 0.9 * len(names), (product, covered, len(names))


def test_a_master_account_twin_shares_its_product_twin_s_phrases(catalog):
    twins = [n for n in catalog.names() if n.endswith("_MA") and n.removesuffix("_MA") in phrasebook.entries()]
    assert twins
    got = phrasebook.for_catalog(catalog, twins[:5] + [t.removesuffix("_MA") for t in twins[:5]])
    for twin in twins[:5]:
        assert got[twin] == got[twin.removesuffix("_MA")]


def test_a_twin_named_otherwise_is_found_by_its_operation(catalog, monkeypatch):
    """``/accounts/{accountId}/x`` with the same method is the twin of ``/x``, whatever its name."""
    ma = next(n for n in catalog.names() if n.endswith("_MA") and catalog.entry(n)["path"].startswith("/accounts/"))
    entry = catalog.entry(ma)
    base = next(n for n in catalog.names() if not catalog.entry(n)["product"].endswith("-ma")
                and catalog.entry(n)["method"] == entry["method"]
                and catalog.entry(n)["path"] == re.sub(r"^/accounts/\{[^}]+\}", "", entry["path"]))
    monkeypatch.setattr(phrasebook, "entries", lambda: {base: ("a phrase of ours",)})

    class Renamed:   # the twin under another name: only its operation ties it to the product's action
        def __init__(self, inner):
            self.inner = inner

        def entry(self, name):
            return self.inner.entry(ma if name == "ZOOM_RENAMED_TWIN" else name)

        def names(self):
            return [*self.inner.names(), "ZOOM_RENAMED_TWIN"]

    got = phrasebook.for_catalog(Renamed(catalog), [base, "ZOOM_RENAMED_TWIN"])
    assert got == {base: ("a phrase of ours",), "ZOOM_RENAMED_TWIN": ("a phrase of ours",)}


def test_a_missing_or_broken_file_means_no_phrases(tmp_path, monkeypatch):
    monkeypatch.setattr(phrasebook, "PATH", tmp_path / "nope.json")
    phrasebook.entries.cache_clear()
    try:
        assert phrasebook.entries() == {}
        (tmp_path / "nope.json").write_text("{not json")
        phrasebook.entries.cache_clear()
        assert phrasebook.entries() == {}
        (tmp_path / "nope.json").write_text(json.dumps({"phrases": {"ZOOM_X": ["  Kick Them Out ", 3, ""]}}))
        phrasebook.entries.cache_clear()
        assert phrasebook.entries() == {"ZOOM_X": ("kick them out",)}
    finally:
        phrasebook.entries.cache_clear()


def test_a_phrase_finds_its_action_by_words_and_by_meaning(catalog, monkeypatch, tmp_path):
    """A phrase only the phrasebook has brings its action to the top, through the lexical field (its
    words) and through the semantic part (its vector): the same index without the phrase does not."""
    target = "ZOOM_GET_DAILY_USAGE_REPORT"
    task = "zorblax quuxes for the whole company"   # words no action has, and no model knows
    book = {target: ("zorblax quuxes",)}
    monkeypatch.setattr(phrasebook, "entries", lambda: book)
    with_phrase = Index(catalog, cache=tmp_path)
    assert with_phrase.lexical.words[with_phrase.position[target]]["phrases"] >= {"zorblax"}
    assert [with_phrase.names[i] for i in with_phrase.rank(task, 1)] == [target]
    monkeypatch.setattr(phrasebook, "entries", lambda: {})
    without = Index(catalog, cache=tmp_path)
    assert [without.names[i] for i in without.rank(task, 1)] != [target]


def test_phrases_are_embedded_and_an_action_takes_its_best_cosine(catalog, monkeypatch, tmp_path):
    pytest.importorskip("wordllama")
    import numpy as np
    from zoom_actions import embedding
    target = "ZOOM_GET_DAILY_USAGE_REPORT"
    task = "how busy were we each day"
    monkeypatch.setattr(phrasebook, "entries", lambda: {target: ("how busy were we each day", "zzz qqq")})
    idx = Index(catalog, cache=tmp_path)
    i = idx.position[target]
    _, cosines = idx._semantic(task, None)
    own = float(idx.vectors[i] @ embedding.embed([task])[0])
    assert cosines[i] == pytest.approx(1.0, abs=1e-4) and own < 0.9   # the phrase's, not its own text's
    plain = [j for j, name in enumerate(idx.names) if name not in idx.phrases]   # the twin has the phrase too
    assert len(plain) == len(idx.names) - len(idx.phrases) and target + "_MA" in idx.phrases
    assert np.allclose(cosines[plain], (idx.vectors @ embedding.embed([task])[0])[plain], atol=1e-6)
