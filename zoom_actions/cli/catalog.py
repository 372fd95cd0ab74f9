"""`zoom-actions list` and `zoom-actions show`: the catalog from the command line."""

from __future__ import annotations

import argparse
import json
import sys

from .output import out


def _setup_list(p: argparse.ArgumentParser) -> None:
    p.add_argument("--product", action="append",
                   help="only actions of this product (repeatable; default: every product, or $ZOOM_ACTIONS_PRODUCTS)")
    p.add_argument("--tag", action="append", help="only actions with this tag (repeatable, case-insensitive)")
    p.add_argument("--read-only", action="store_true", default=None, help="only actions that change nothing")
    p.add_argument("--workflows", action="store_true",
                   help="also the composite workflows (spec/workflows.json: a meeting's transcript as text, ...); "
                        "by default the list is Zoom's operations, one per line")


def _catalog():
    from ..catalog import load_catalog
    return load_catalog()


def cmd_list(args: argparse.Namespace) -> int:
    from ..adapters.selection import env_products
    from ..catalog import UnknownProduct
    try:   # every product, master-account APIs included, unless --product or ZOOM_ACTIONS_PRODUCTS selects
        cat = _catalog()
        names = cat.filter(products=args.product or env_products(), tags=args.tag, read_only=args.read_only)
    except UnknownProduct as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not args.workflows:
        names = [n for n in names if not cat.is_workflow(n)]
    if names:
        out("\n".join(names))
    return 0


def _setup_show(p: argparse.ArgumentParser) -> None:
    p.add_argument("name", help="action name, e.g. ZOOM_CREATE_A_MEETING")


def cmd_show(args: argparse.Namespace) -> int:
    cat = _catalog()
    try:
        doc = cat.get(args.name)
    except KeyError:
        from ..suggest import closest
        hint = closest(args.name, cat.names())
        print(f"error: no action named {args.name!r}" + (f"; did you mean {', '.join(hint)}?" if hint else ""),
              file=sys.stderr)
        return 2
    out(json.dumps(doc, indent=2, ensure_ascii=False))
    return 0


LIST = ("list action names", _setup_list, cmd_list)
SHOW = ("print one action document as JSON", _setup_show, cmd_show)
