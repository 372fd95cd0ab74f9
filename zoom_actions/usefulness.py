"""How useful an action is to an agent that has not said what it wants.

``tools(products="meetings", limit=20)`` should hand over create, get,
update, list and delete of meetings before the archiving and recording
actions that happen to come first in Zoom's document; search uses the same
score to break ties. The score is computed from the catalog alone, the same
way for every product:

- the action's *resource*: the first literal path segment once the prefix
  every path of the product shares (``/phone``, ``/contact_center``) and an
  owner scope (``/users/{userId}/...`` outside the Users product) are set
  aside. A resource that many of the product's actions work on is a main
  one (``meetings`` in Meetings, ``channels`` in Team Chat); its weight is
  the log of that count, scaled to the product's largest;
- the depth below it: ``/meetings/{id}`` is the meeting itself,
  ``/meetings/{id}/recordings/registrants/questions`` a detail of a detail;
- what the method does to it: reading a collection or an item, creating in
  a collection, updating, deleting, in that order;
- deprecated operations, batch, migration and sync helpers, and the
  master-account twins come last.
"""

from __future__ import annotations

import math
import re
from collections import Counter

_PARAM = re.compile(r"^\{.*\}$")
_METHOD_WEIGHT = {"GET": 1.0, "POST": 0.9, "PUT": 0.8, "PATCH": 0.8, "DELETE": 0.7}
_HELPER_WORDS = ("BATCH", "MIGRAT", "SYNC", "BULK", "MULTIPART", "DEPRECATED")
_SHARED_PREFIX = 0.8   # a first segment this share of a product's paths start with is its prefix, not a resource
_DEPTH_COST = 0.5


def _segments(path: str) -> list[str]:
    return [s for s in path.strip("/").split("/") if s]


def _scope(path: str, shared: set[str], product: str) -> tuple[str | None, list[str]]:
    """(owner scope, the literal segments below it): ``/phone/users/{userId}/call_history`` is the
    call history of a phone user, ``/emails/mailboxes/{email}/messages`` the messages of a mailbox."""
    segs = _segments(path)
    # a prefix every path of the product shares, when a collection follows it (not /whiteboards/{id})
    while len(segs) > 1 and segs[0] in shared and not _PARAM.match(segs[1]):
        segs = segs[1:]
    owner = None
    if len(segs) > 2 and _PARAM.match(segs[1]) and not _PARAM.match(segs[2]) and (
            segs[0] in shared or (segs[0] in ("users", "accounts") and product != "users")):
        owner, segs = segs[0], segs[2:]
    return owner, [s for s in segs if not _PARAM.match(s)]


def scores(catalog) -> dict[str, float]:
    """Every action's usefulness; higher first (built once per catalog)."""
    cached = _cache.get(id(catalog))
    if cached is not None and cached[0] is catalog:
        return cached[1]
    by_product: dict[str, list[str]] = {}
    for name in catalog.names():
        by_product.setdefault(catalog.entry(name)["product"], []).append(name)
    out: dict[str, float] = {}
    for product, names in by_product.items():
        paths = {n: _segments(catalog.entry(n)["path"]) for n in names}
        at = Counter()
        for segs in paths.values():
            at.update({(i, s) for i, s in enumerate(segs[:3]) if not _PARAM.match(s)})
        shared = {s for (i, s), c in at.items() if c >= _SHARED_PREFIX * len(names)}
        scoped = {n: _scope(catalog.entry(n)["path"], shared, product) for n in names}
        sizes = Counter()
        for owner, lit in scoped.values():
            sizes[lit[0] if lit else ""] += 1
            if owner and owner not in shared:
                sizes[owner] += 1   # /phone/users/{id}/voice_mails also says phone users are a main resource
        largest = math.log1p(max(sizes.values()))
        master = product.endswith("-ma")
        for n in names:
            entry = catalog.entry(n)
            owner, lit = scoped[n]
            size = max(sizes[lit[0] if lit else ""], sizes[owner] / 2 if owner and owner not in shared else 0)
            weight = math.log1p(size) / largest if largest else 0.0
            method = entry.get("method", "GET").upper()
            on_item = bool(_PARAM.match((paths[n] or [""])[-1]))
            verb = _METHOD_WEIGHT.get(method, 0.6) - (0.05 if method == "GET" and on_item else 0.0)
            s = 2 * weight + verb - _DEPTH_COST * max(len(lit) - 1, 0)
            if any(w in n for w in _HELPER_WORDS) or "deprecated" in (entry.get("title") or "").lower():
                s -= 1.0
            if master:
                s -= 1.0
            out[n] = s
    _cache[id(catalog)] = (catalog, out)
    return out


def most_useful_first(catalog, names: list[str]) -> list[str]:
    """``names`` ordered by usefulness (catalog order among equals)."""
    table = scores(catalog)
    return sorted(names, key=lambda n: -table.get(n, 0.0))


_cache: dict[int, tuple] = {}
