"""Loading the generated catalog: the index at once, each action on first use."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

from .document import CATALOG_FORMAT



class CatalogNotBuilt(FileNotFoundError):
    pass


class CatalogFormatMismatch(CatalogNotBuilt):
    """A catalog built by another version of zoom-actions."""


class UnknownProduct(ValueError):
    """A product id the catalog does not hold; the message lists the valid ones, closest first."""


ALL = "all"


def default_catalog_dir() -> Path:
    """``$ZOOM_ACTIONS_DIR``, else the first built catalog of ``locations.candidates()``."""
    from .locations import catalog_dir
    return catalog_dir()


def _not_built(directory: Path, *, explicit: bool) -> str:
    from .locations import candidates
    looked = [directory] if explicit else candidates()
    target = f" --out {directory}" if explicit else ""
    return (f"no catalog in {', '.join(str(d) for d in looked)}: run `zoom-actions generate{target}` "
            f"(it builds into {directory} from Zoom's official spec URLs; offline, add --spec-dir DIR or set "
            "ZOOM_SPEC_DIR), or set ZOOM_ACTIONS_DIR to a built catalog")


class Catalog:
    """The action catalog. ``names()`` lists every action, Zoom's operations
    first, then the workflows (composite actions the build step adds from
    ``spec/workflows.json``, kept under their own ``workflows`` key in the
    index so that whatever reads Zoom's operations alone, ``index["actions"]``,
    never meets one); ``get(name)`` returns the action document (a dict,
    shared: do not mutate)."""

    def __init__(self, directory: Path | str | None = None) -> None:
        self.directory = Path(directory) if directory else default_catalog_dir()
        # names.json (name -> products, a tenth of the index) answers names() and product filters;
        # index.json is read on the first call that needs more (entry(), tags, read_only, scopes)
        self._index: dict | None = None
        try:
            with open(self.directory / "names.json", "rb") as fh:
                head = json.loads(fh.read())
        except FileNotFoundError:
            head = None
        if head is None:
            try:
                with open(self.directory / "index.json", "rb") as fh:
                    head = self._index = json.loads(fh.read())
            except FileNotFoundError:
                raise CatalogNotBuilt(_not_built(self.directory, explicit=directory is not None)) from None
        found = head.get("format") if isinstance(head, dict) else None
        if found != CATALOG_FORMAT:
            age = "an older" if isinstance(found, int) and found < CATALOG_FORMAT else "another"
            raise CatalogFormatMismatch(
                f"the catalog at {self.directory} was built by {age} version of zoom-actions (catalog format "
                f"{found}; this runtime reads format {CATALOG_FORMAT}): rebuild it with `zoom-actions generate` "
                f"(--out {self.directory})")
        self._specs: dict[str, dict] = head.get("specs") or {}
        self._owners: dict[str, list[str]] = head.get("products") or {
            n: [e["product"], *e.get("also_in", ())] for n, e in head["actions"].items()}
        # names.json: workflow name -> [product]; index.json: workflow name -> its entry
        flows = head.get("workflows") or {}
        self._workflows: list[str] = [n for n in flows if n not in self._owners]
        self._workflow_set = frozenset(self._workflows)
        self._owners = {**self._owners, **{n: [flows[n]["product"]] if isinstance(flows[n], dict)
                                           else list(flows[n]) for n in self._workflows}}
        self._docs: dict[str, dict] = {}

    @property
    def index(self) -> dict:
        """The whole ``index.json`` (read once, on first use)."""
        if self._index is None:
            with open(self.directory / "index.json", "rb") as fh:
                self._index = json.loads(fh.read())
        return self._index

    @property
    def _entries(self) -> dict[str, dict]:
        return self.index["actions"]

    def names(self) -> list[str]:
        return list(self._owners)

    def __contains__(self, name: object) -> bool:
        return name in self._owners

    def __len__(self) -> int:
        return len(self._owners)

    def __iter__(self) -> Iterator[str]:
        return iter(self._owners)

    def entry(self, name: str) -> dict:
        """The index entry (title, product, tags, method, path, annotations...); a
        workflow's has ``kind: "workflow"``, its step actions and empty method/path."""
        found = self._entries.get(name)
        if found is None:
            found = (self.index.get("workflows") or {})[name]
        return found

    def operations(self) -> list[str]:
        """The names of Zoom's operations alone (``names()`` without the workflows)."""
        return [n for n in self._owners if n not in self._workflow_set]

    def workflows(self) -> list[str]:
        """The workflows' names (also in ``names()``)."""
        return list(self._workflows)

    def is_workflow(self, name: str) -> bool:
        return name in self._workflow_set

    def get(self, name: str) -> dict:
        doc = self._docs.get(name)
        if doc is None:
            if name not in self._owners:
                raise KeyError(name)
            with open(self.directory / f"{name}.json", "rb") as fh:
                doc = json.loads(fh.read())
            self._docs[name] = doc
        return doc

    def products(self) -> list[str]:
        """Every product id, in build order."""
        return list(self._specs or dict.fromkeys(owners[0] for owners in self._owners.values()))

    def master_account_products(self) -> list[str]:
        return [p for p, s in self._specs.items() if s.get("master_account")]

    def product_set(self, products, *, default: str = ALL) -> set[str] | None:
        """``products`` as a set of ids, or None for every product. ``None``
        means ``default``: ``"all"``, or ``"standard"`` (every product but the
        master-account APIs, which serve only partner accounts). An unknown id
        raises ``UnknownProduct`` naming the valid ones, closest first."""
        if products is None:
            products = default
        if isinstance(products, str):
            if products == ALL:
                return None
            if products == "standard":
                masters = set(self.master_account_products())
                return {p for p in self.products() if p not in masters}
            products = [products]
        wanted = set(products)
        if ALL in wanted:
            return None
        known = self.products()
        unknown = sorted(wanted - set(known))
        if unknown:
            from .suggest import ranked
            raise UnknownProduct(
                f"no product {', '.join(repr(u) for u in unknown)} in the catalog; valid product ids "
                f"(closest first): {', '.join(ranked(unknown[0], known))}")
        return wanted

    def filter(self, *, products=None, tags=None, read_only=None, names=None, default_products: str = ALL) -> list[str]:
        """Names matching every filter, in catalog order. ``products``: an id,
        ids, ``"all"``, or None for ``default_products``; an action also
        belongs to the products listed in its ``also_in``."""
        def norm(v):
            return None if v is None else ({v} if isinstance(v, str) else set(v))
        product_ids = self.product_set(products, default=default_products)
        tags, wanted = norm(tags), norm(names)
        lowered_tags = {t.lower() for t in tags} if tags else None
        out = []
        for name, owners in self._owners.items():
            if wanted is not None and name not in wanted:
                continue
            if product_ids is not None and owners[0] not in product_ids and not product_ids.intersection(owners):
                continue
            if lowered_tags is None and read_only is None:   # names.json alone answers
                out.append(name)
                continue
            e = self.entry(name)
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
