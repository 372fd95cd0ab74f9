"""Choosing the few actions an agent should see."""

from __future__ import annotations

from typing import Iterable

from .errors import SelectionError

DEFAULT_SEARCH_LIMIT = 20


def _as_set(value) -> set[str] | None:
    if value is None:
        return None
    return {value} if isinstance(value, str) else set(value)


def callable_with(entry: dict, granted: set[str]) -> bool:
    """Whether a token with ``granted`` scopes can call the action. Zoom lists
    alternatives (user-level or admin, classic or granular): any one will do.
    An action that lists no scope is kept."""
    needed = entry.get("scopes") or ()
    return not needed or bool(granted & set(needed))


def env_products() -> list[str] | None:
    """``ZOOM_ACTIONS_PRODUCTS=meetings,users``: the products a selection
    that names none uses (``all`` for every one)."""
    import os
    raw = os.environ.get("ZOOM_ACTIONS_PRODUCTS", "").strip()
    return [p.strip() for p in raw.split(",") if p.strip()] or None


def select_names(catalog, *, names: Iterable[str] | None = None, products=None, tags=None,
                 read_only: bool | None = None, scopes=None, search: str | None = None,
                 limit: int | None = None) -> list[str]:
    """Action names matching every filter given, in catalog order, or best
    first when ``search`` ranks them. Without ``products`` (or ``names``) the
    master-account products are left out; ``products="all"`` keeps them. ``scopes`` keeps the actions a token
    with those scopes can call. ``limit`` caps the result, the most useful first (``zoom_actions.usefulness``;
    with ``search``, the best matches, and without ``limit`` the best ``DEFAULT_SEARCH_LIMIT``)."""
    wanted = None
    if names is not None:
        wanted = [names] if isinstance(names, str) else list(names)
        unknown = [n for n in wanted if n not in catalog]
        if unknown:
            from ..suggest import closest
            hints = {n: closest(n, catalog.names()) for n in unknown}
            detail = "; ".join(f"{n}" + (f" (did you mean {', '.join(h)}?)" if h else "") for n, h in hints.items())
            raise SelectionError(f"no action named {detail}")
    # named actions are what was asked for; otherwise master-account APIs only when a selection names them
    if products is None and wanted is None:
        products = env_products()
    try:
        selected = catalog.filter(products=products, tags=tags, read_only=read_only, names=wanted,
                                  default_products="all" if wanted is not None else "standard")
    except ValueError as exc:   # an unknown product id
        raise SelectionError(str(exc)) from None
    if wanted is not None:  # keep the caller's order
        chosen = set(selected)
        selected = [n for n in dict.fromkeys(wanted) if n in chosen]
    granted = _as_set(scopes)
    if granted is not None:
        selected = [n for n in selected if callable_with(catalog.entry(n), granted)]
    if search:
        from ..search import search as rank
        k = limit if limit is not None else DEFAULT_SEARCH_LIMIT
        return rank(catalog, search, k=k, names=selected)
    if limit is not None:   # the most useful first (core CRUD of the main resources), not document order
        if wanted is None:
            from ..usefulness import most_useful_first
            selected = most_useful_first(catalog, selected)
        selected = selected[: max(limit, 0)]
    return selected
