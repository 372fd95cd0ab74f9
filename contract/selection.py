"""Which actions a contract run checks.

A whole run checks every operation of the catalog (2,444 across 45 products,
about three minutes). CI's budget cannot hold that beside the tests, so CI
checks some products whole and a deterministic sample of the others
(``--sample K --whole PRODUCT ...``). The sample of a product is

- every K-th of its operations in catalog order (the first included, so every
  product is reached: its Prism starts, its routes and auth are exercised),
- every action the allow-list names (the spec defects are rechecked, so an
  entry that stops matching is noticed in CI, not only in a whole run),
- every download (``response_content_type``: Prism cannot mock those bodies,
  the check judges them apart).

Workflows (composite actions) are never checked: they make no HTTP request of
their own, their steps are operations checked on their own.
"""

from __future__ import annotations

from typing import Any, Iterable


def operations(catalog: Any, *, products: Iterable[str] | None = None,
               names: Iterable[str] | None = None) -> list[str]:
    """The operations ``--product``/``--only`` select (workflows left out)."""
    return [n for n in catalog.filter(products=products, names=names) if not catalog.is_workflow(n)]


def sample(catalog: Any, names: list[str], every: int, *, whole: Iterable[str] = (),
           always: Iterable[str] = ()) -> list[str]:
    """``names`` thinned to the sample described above, in catalog order.
    ``whole``: products kept entire; ``always``: names kept whatever their
    place (the allow-list's)."""
    if every < 1:
        raise ValueError(f"--sample takes a positive stride, not {every}")
    whole, always = set(whole), set(always)
    seen: dict[str, int] = {}
    out = []
    for name in names:
        product = catalog.entry(name)["product"]
        place = seen.get(product, 0)
        seen[product] = place + 1
        if (product in whole or name in always or place % every == 0
                or catalog.get(name).get("response_content_type")):
            out.append(name)
    return out
