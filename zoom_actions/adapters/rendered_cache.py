"""Rendered input schemas kept on disk, so that a fresh process builds tool definitions fast.

Rendering an action's schema with compact descriptions (``describe``) is
regex work, about a quarter of a millisecond a description: 75 ms for the
twenty tools an agent typically starts with, most of a cold start. What one
process renders is written to the user cache (``locations.cache_dir()``),
one small file per action, under a key made of the catalog's directory, its
``index.json`` (size and modification time: ``generate`` rewrites it) and
those of ``describe.py`` and ``shaping.py`` (a change to the rendering is a
new key). A
cache that cannot be read or written is no error: the schema is rendered.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import tempfile
from pathlib import Path

log = logging.getLogger("zoom_actions")


@functools.cache
def _renderer_version() -> str:
    """The rendering code's version: the size and modification time of ``describe.py`` and ``shaping.py``
    (a stat, not a read: a fresh process has not touched their sources, only their bytecode)."""
    from .. import describe, shaping
    parts = []
    for module in (describe, shaping):
        st = os.stat(module.__file__)
        parts.append(f"{module.__name__}:{st.st_size}:{st.st_mtime_ns}")
    return "|".join(parts)


@functools.lru_cache(maxsize=8)
def _folder(directory: str, stamp: tuple) -> Path:
    from ..locations import cache_dir
    raw = f"{directory}|{stamp}|{_renderer_version()}".encode()
    return cache_dir() / "rendered" / hashlib.sha256(raw).hexdigest()[:24]


def _path(catalog, name: str, mode: str) -> Path | None:
    directory = getattr(catalog, "directory", None)
    if directory is None or not name.replace("_", "").isalnum():
        return None
    try:
        st = os.stat(Path(directory) / "index.json")
    except OSError:
        return None
    return _folder(str(directory), (st.st_size, st.st_mtime_ns)) / f"{name}.{mode}.json"


def load(catalog, name: str, mode: str) -> str | None:
    path = _path(catalog, name, mode)
    if path is None:
        return None
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def save(catalog, name: str, mode: str, text: str) -> None:
    """Atomically (a reader never sees half a file)."""
    path = _path(catalog, name, mode)
    if path is None:
        return
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except OSError as exc:
        log.debug("rendered schema of %s not cached at %s: %s", name, path, exc)
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
