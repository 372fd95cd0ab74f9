"""The `zoom-actions` command line.

Each subcommand is a function taking the parsed arguments and returning an
exit code; `COMMANDS` registers it with its argument setup. Heavy imports
stay inside the functions so that `zoom-actions list` starts fast.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Callable


def _out(text: str) -> None:
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


# --- generate ---------------------------------------------------------------

def _setup_generate(p: argparse.ArgumentParser) -> None:
    p.add_argument("--spec-dir", type=Path, default=None,
                   help="directory with Zoom's spec files (default: $ZOOM_SPEC_DIR, else download)")
    p.add_argument("--out", type=Path, default=None, help="catalog directory (default: actions/)")
    p.add_argument("--product", action="append", help="only this product (repeatable)")
    p.add_argument("--update-lock", action="store_true",
                   help="pin new names in spec/names.lock and record hashes in spec/spec.lock")
    p.add_argument("--models", action="store_true", help="generate typed Pydantic models from the built catalog")
    p.add_argument("--docs", action="store_true", help="only render the Markdown reference from the built catalog")
    p.add_argument("--jobs", type=int, default=None, help="parallel model generation jobs (default: CPU count)")


def cmd_generate(args: argparse.Namespace) -> int:
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


# --- list / show -------------------------------------------------------------

def _setup_list(p: argparse.ArgumentParser) -> None:
    p.add_argument("--product", action="append", help="only actions of this product (repeatable)")
    p.add_argument("--tag", action="append", help="only actions with this tag (repeatable, case-insensitive)")
    p.add_argument("--read-only", action="store_true", default=None, help="only actions that change nothing")


def _catalog():
    from .catalog import load_catalog
    return load_catalog()


def cmd_list(args: argparse.Namespace) -> int:
    names = _catalog().filter(products=args.product, tags=args.tag, read_only=args.read_only)
    if names:
        _out("\n".join(names))
    return 0


def _setup_show(p: argparse.ArgumentParser) -> None:
    p.add_argument("name", help="action name, e.g. ZOOM_CREATE_A_MEETING")


def cmd_show(args: argparse.Namespace) -> int:
    cat = _catalog()
    try:
        doc = cat.get(args.name)
    except KeyError:
        from .suggest import closest
        hint = closest(args.name, cat.names())
        print(f"error: no action named {args.name!r}" + (f"; did you mean {', '.join(hint)}?" if hint else ""),
              file=sys.stderr)
        return 2
    _out(json.dumps(doc, indent=2, ensure_ascii=False))
    return 0


COMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]] = {
    "generate": ("build the catalog (and docs) from Zoom's specs", _setup_generate, cmd_generate),
    "list": ("list action names", _setup_list, cmd_list),
    "show": ("print one action document as JSON", _setup_show, cmd_show),
}


def register(name: str, help_text: str, setup: Callable[[argparse.ArgumentParser], None],
             run: Callable[[argparse.Namespace], int]) -> None:
    COMMANDS[name] = (help_text, setup, run)


def _load_plugins() -> None:
    # Subcommands that live beside their feature register themselves here.
    import importlib
    for mod in ("zoom_actions.cli_run", "zoom_actions.cli_export", "zoom_actions.cli_mcp",
                "zoom_actions.cli_sandbox", "zoom_actions.cli_diff"):
        try:
            importlib.import_module(mod)
        except ModuleNotFoundError as exc:
            if exc.name != mod:
                raise


def build_parser() -> argparse.ArgumentParser:
    _load_plugins()
    parser = argparse.ArgumentParser(prog="zoom-actions", description="Zoom's REST API as LLM-ready actions.")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (help_text, setup, run) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        setup(p)
        p.set_defaults(_run=run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from .catalog import CatalogNotBuilt
    try:
        return int(args._run(args) or 0)
    except CatalogNotBuilt as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
