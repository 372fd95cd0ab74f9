"""`zoom-actions diff OLD NEW`: what changed for callers between two catalogs.

Each side is a built catalog (a directory with ``index.json``), a directory
of Zoom spec files, or one spec file (``PRODUCT=FILE`` to name its product;
see ``zoom_actions.diff`` for how an unnamed file is split into products).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path



def _setup(p: argparse.ArgumentParser) -> None:
    p.add_argument("old", help="the old side: catalog dir, spec dir, or spec file ([PRODUCT=]FILE)")
    p.add_argument("new", help="the new side: catalog dir, spec dir, or spec file ([PRODUCT=]FILE)")
    p.add_argument("--product", action="append",
                   help="compare only this product's actions (repeatable), e.g. --product meetings --product users")
    p.add_argument("--json", action="store_true", help="print the report as JSON instead of Markdown")
    p.add_argument("--fail-on-breaking", action="store_true", help="exit 1 when any change is breaking")
    p.add_argument("--output", "-o", type=Path, default=None, help="write the report to this file instead of stdout")


def _run(args: argparse.Namespace) -> int:
    from ..diff import DiffError, diff
    try:
        report = diff(args.old, args.new, products=args.product)
    except DiffError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    text = json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n" if args.json else report.to_markdown()
    if args.output:
        args.output.write_text(text)
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    if report.breaking:
        print(f"{report.breaking_count} breaking change(s)", file=sys.stderr)
    return 1 if args.fail_on_breaking and report.breaking else 0


HELP = "compare two catalogs (or spec versions): added, removed and changed actions"
setup = _setup
run = _run
