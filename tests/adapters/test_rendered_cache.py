"""Rendered schemas on disk (adapters/rendered_cache.py): a fresh process's tool definitions are the
same whether rendered or read back; a rebuilt catalog or a changed file is rendered again."""

from __future__ import annotations

import json
import os

import pytest

from zoom_actions import Toolkit
from zoom_actions.adapters import core, rendered_cache

NAMES = ["ZOOM_CREATE_A_MEETING", "ZOOM_GET_A_MEETING", "ZOOM_LIST_USERS"]


@pytest.fixture()
def fresh(monkeypatch, tmp_path):
    """An empty user cache and no rendered schema in memory, as in a new process."""
    monkeypatch.setattr("zoom_actions.locations.cache_dir", lambda: tmp_path / "cache")
    rendered_cache._folder.cache_clear()
    core._rendered.clear()
    core._cache.clear()
    yield tmp_path / "cache"
    rendered_cache._folder.cache_clear()
    core._rendered.clear()
    core._cache.clear()


def _tools(catalog, **kw):
    return Toolkit(access_token="t", catalog=catalog).tools(format="openai", names=NAMES, **kw)


def test_read_back_is_what_was_rendered(fresh, catalog):
    first = _tools(catalog)
    files = sorted(p.name for p in fresh.rglob("*.json"))
    assert files == sorted(f"{n}.compact.json" for n in NAMES)
    core._rendered.clear()
    core._cache.clear()
    calls = []
    real = core.describe.render_schema
    core.describe.render_schema = lambda *a, **k: calls.append(a) or real(*a, **k)
    try:
        again = _tools(catalog)
    finally:
        core.describe.render_schema = real
    assert again == first and calls == []   # read back, not rendered
    assert _tools(catalog, description="verbatim") != first   # verbatim is not cached, nor mixed up


def test_a_rebuilt_catalog_or_a_bad_file_is_rendered_again(fresh, catalog, tmp_path):
    first = _tools(catalog)
    (path,) = [p for p in fresh.rglob("ZOOM_GET_A_MEETING.compact.json")]
    path.write_text("{not json")
    core._rendered.clear()
    core._cache.clear()
    assert _tools(catalog) == first                     # a damaged file: rendered, and written again
    assert json.loads(path.read_text())
    index = catalog.directory / "index.json"
    st = os.stat(index)
    os.utime(index, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))   # as generate rewriting it would
    try:
        rendered_cache._folder.cache_clear()
        core._rendered.clear()
        core._cache.clear()
        assert _tools(catalog) == first
        assert len({p.parent for p in fresh.rglob("*.json")}) == 2      # a new key for the rebuilt catalog
    finally:
        os.utime(index, ns=(st.st_atime_ns, st.st_mtime_ns))
