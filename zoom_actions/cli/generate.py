"""`zoom-actions generate`: build the catalog, docs and models from Zoom's specs."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def setup(p: argparse.ArgumentParser) -> None:
    p.add_argument("--spec-dir", type=Path, default=None,
                   help="directory with Zoom's spec files (default: $ZOOM_SPEC_DIR, else download)")
    p.add_argument("--out", type=Path, default=None, help="catalog directory (default: actions/)")
    p.add_argument("--product", action="append", help="only this product (repeatable)")
    p.add_argument("--update-lock", action="store_true",
                   help="pin new names in spec/names.lock and record hashes in spec/spec.lock")
    p.add_argument("--models", action="store_true", help="generate typed Pydantic models from the built catalog")
    p.add_argument("--docs", action="store_true", help="only render the Markdown reference from the built catalog")
    p.add_argument("--jobs", type=int, default=None, help="parallel model generation jobs (default: CPU count)")


def run(args: argparse.Namespace) -> int:
    from zoom_actions.codegen import build, sources

    out = args.out or build.DEFAULT_OUT
    if args.models:
        from zoom_actions.codegen import models
        return models.main(out, jobs=args.jobs)
    if not args.docs:
        spec_dir = args.spec_dir.resolve() if args.spec_dir else sources.default_spec_dir()
        try:
            build.main_generate(spec_dir, out, args.product, args.update_lock)
        except sources.SpecNotFound as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    from zoom_actions.codegen import docs
    docs.render(out)
    return 0


HELP = "build the catalog (and docs) from Zoom's specs"
