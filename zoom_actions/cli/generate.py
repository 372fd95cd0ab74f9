"""`zoom-actions generate`: build the catalog, docs and models from Zoom's specs."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def setup(p: argparse.ArgumentParser) -> None:
    p.add_argument("--spec-dir", type=Path, default=None,
                   help="directory with Zoom's spec files (default: $ZOOM_SPEC_DIR, else download)")
    p.add_argument("--out", type=Path, default=None,
                   help="catalog directory; docs go to OUT/docs, models to OUT/models (default: $ZOOM_ACTIONS_DIR, "
                        "a checkout's actions/, else the user's data directory)")
    p.add_argument("--product", action="append", help="only this product (repeatable)")
    p.add_argument("--update-lock", action="store_true",
                   help="pin new names in spec/names.lock and record hashes in spec/spec.lock")
    p.add_argument("--models", action="store_true", help="generate typed Pydantic models from the built catalog")
    p.add_argument("--docs", action="store_true", help="only render the Markdown reference from the built catalog")
    p.add_argument("--strict", action="store_true",
                   help="fail on any build warning (an overlay patch that matches nothing, a repaired spec defect)")
    p.add_argument("--jobs", type=int, default=None, help="parallel model generation jobs (default: CPU count)")


def run(args: argparse.Namespace) -> int:
    from zoom_actions.codegen import build, sources
    from zoom_actions.locations import write_dir

    out = (args.out or write_dir()).expanduser().resolve()
    if args.models:
        import importlib.util
        if importlib.util.find_spec("datamodel_code_generator") is None:
            print('error: typed models need datamodel-code-generator: pip install "zoom-actions[codegen]"',
                  file=sys.stderr)
            return 2
    if (args.models or args.docs) and not (out / "index.json").is_file():
        print(f"error: no catalog in {out}: run `zoom-actions generate{_out_flag(args)}` first", file=sys.stderr)
        return 2
    if args.models:
        from zoom_actions.codegen import models
        return models.main(out, jobs=args.jobs)
    if not args.docs:
        from zoom_actions.catalog import UnknownProduct
        spec_dir = args.spec_dir.expanduser().resolve() if args.spec_dir else sources.default_spec_dir()
        try:
            build.main_generate(spec_dir, out, args.product, args.update_lock, strict=args.strict)
        except (sources.SpecNotFound, UnknownProduct, build.BuildRefused) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    from zoom_actions.codegen import docs
    docs.render(out)
    return 0


def _out_flag(args: argparse.Namespace) -> str:
    return f" --out {args.out}" if args.out else ""


HELP = "build the catalog (and docs) from Zoom's specs"
