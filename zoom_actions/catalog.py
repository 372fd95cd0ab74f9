"""Loading the generated catalog: the index at once, each action on first use."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Iterator

from .document import CATALOG_FORMAT

_PACKAGE_ROOT = Path(__file__).resolve().parent.parent


class CatalogNotBuilt(FileNotFoundError):
    pass


class CatalogFormatMismatch(CatalogNotBuilt):
    """A catalog built by another version of zoom-actions."""


def default_catalog_dir() -> Path:
    env = os.environ.get("ZOOM_ACTIONS_DIR")
    return Path(env).expanduser() if env else _PACKAGE_ROOT / "actions"


class Catalog:
    """The action catalog. ``names()`` lists every action; ``get(name)``
    returns the action document (a dict, shared: do not mutate)."""

    def __init__(self, directory: Path | str | None = None) -> None:
        self.directory = Path(directory) if directory else default_catalog_dir()
        index_path = self.directory / "index.json"
        try:
            with open(index_path, "rb") as fh:
                self.index = json.loads(fh.read())
        except FileNotFoundError:
            raise CatalogNotBuilt(
                f"no catalog at {self.directory}: run `zoom-actions generate` (or `make generate`) first, "
                "or point ZOOM_ACTIONS_DIR at a built catalog") from None
        found = self.index.get("format") if isinstance(self.index, dict) else None
        if found != CATALOG_FORMAT:
            age = "an older" if isinstance(found, int) and found < CATALOG_FORMAT else "another"
            raise CatalogFormatMismatch(
                f"the catalog at {self.directory} was built by {age} version of zoom-actions (catalog format "
                f"{found}; this runtime reads format {CATALOG_FORMAT}): rebuild it with `zoom-actions generate` "
                f"(--out {self.directory})")
        self._entries: dict[str, dict] = self.index["actions"]
        self._docs: dict[str, dict] = {}

    def names(self) -> list[str]:
        return list(self._entries)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def entry(self, name: str) -> dict:
        """The index entry (title, product, tags, method, path, annotations...)."""
        return self._entries[name]

    def get(self, name: str) -> dict:
        doc = self._docs.get(name)
        if doc is None:
            if name not in self._entries:
                raise KeyError(name)
            with open(self.directory / f"{name}.json", "rb") as fh:
                doc = json.loads(fh.read())
            self._docs[name] = doc
        return doc

    def filter(self, *, products=None, tags=None, read_only=None, names=None) -> list[str]:
        def norm(v):
            return None if v is None else ({v} if isinstance(v, str) else set(v))
        products, tags, wanted = norm(products), norm(tags), norm(names)
        lowered_tags = {t.lower() for t in tags} if tags else None
        out = []
        for name, e in self._entries.items():
            if wanted is not None and name not in wanted:
                continue
            if products is not None and e["product"] not in products:
                continue
            if lowered_tags is not None and not lowered_tags & {t.lower() for t in e["tags"]}:
                continue
            if read_only is not None and e["annotations"]["read_only"] != read_only:
                continue
            out.append(name)
        return out


_cache: dict[Path, Catalog] = {}


def load_catalog(directory: Path | str | None = None) -> Catalog:
    """The catalog at ``directory`` (default: ``$ZOOM_ACTIONS_DIR`` or the
    project's ``actions/``), loaded once per process."""
    key = Path(directory) if directory else default_catalog_dir()
    cat = _cache.get(key)
    if cat is None:
        cat = _cache[key] = Catalog(key)
    return cat
