"""`zoom-actions export`: tool definitions for a framework, as JSON."""

from __future__ import annotations

import argparse
import json
import sys
import warnings


EXPORT_FORMATS = ("openai", "openai-responses", "anthropic", "gemini", "mcp")


def add_selection_args(p: argparse.ArgumentParser) -> None:
    """The selection filters `export` and `mcp` share (those of ``tk.tools``)."""
    p.add_argument("--name", action="append", dest="names", help="only this action (repeatable)")
    p.add_argument("--product", action="append", dest="products", help="meetings, users or phone (repeatable)")
    p.add_argument("--tag", action="append", dest="tags", help="only actions with this tag (repeatable)")
    p.add_argument("--read-only", action="store_true", default=None, help="only actions that change nothing")
    p.add_argument("--scope", action="append", dest="scopes",
                   help="a scope the token has (repeatable): keep the actions it can call")
    p.add_argument("--search", help="rank by this task description and keep the best ones")
    p.add_argument("--limit", type=int, help="at most this many actions")
    p.add_argument("--description", choices=("compact", "verbatim"), default="compact",
                   help="description texts (default: compact)")


def selection(args: argparse.Namespace) -> dict:
    return {"names": args.names, "products": args.products, "tags": args.tags, "read_only": args.read_only,
            "scopes": args.scopes, "search": args.search, "limit": args.limit}


def _setup(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", "-f", required=True, choices=EXPORT_FORMATS + ("langchain",),
                   help="the framework's tool format")
    add_selection_args(p)
    strict = p.add_mutually_exclusive_group()
    strict.add_argument("--strict", action="store_true", default=None,
                        help="the provider's strict schema dialect (OpenAI, Anthropic)")
    strict.add_argument("--no-strict", action="store_false", dest="strict", help="the plain dialect (default)")
    p.add_argument("--allow-many", action="store_true",
                   help="allow more tools than one provider request takes (you split them)")
    p.add_argument("--report", action="store_true",
                   help="print the actions the format's dialect cannot represent, with reasons, instead")
    p.add_argument("--out", "-o", help="write to this file instead of stdout")
    p.add_argument("--indent", type=int, default=2, help="JSON indent (0: one line)")


def _run(args: argparse.Namespace) -> int:
    from ..adapters import SelectionError, TooManyTools, build_tools, dialect_report
    from ..adapters.core import format_module
    from ..catalog import load_catalog

    if args.format == "langchain":
        print("error: LangChain tools are Python objects; use tk.tools(format='langchain') "
              "or export --format openai for their JSON schemas", file=sys.stderr)
        return 2
    catalog = load_catalog()
    if args.report:
        mod = format_module(args.format)
        strict = mod.DEFAULT_STRICT if args.strict is None else args.strict
        payload = dialect_report(mod.dialect(strict), catalog, args.description)
    else:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                payload = build_tools(catalog, format=args.format, strict=args.strict,
                                      description=args.description, allow_many=args.allow_many,
                                      **selection(args))
            except (SelectionError, TooManyTools, ValueError) as exc:
                print(f"error: {exc}", file=sys.stderr)
                return 2
        for w in caught:
            print(f"warning: {w.message}", file=sys.stderr)
    text = json.dumps(payload, indent=args.indent or None, ensure_ascii=False)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
        count = len(payload)
        print(f"wrote {count} {'entries' if args.report else 'tools'} to {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(text + "\n")
    return 0


HELP = "write tool definitions for a framework (openai, anthropic, gemini, mcp...) as JSON"
setup = _setup
run = _run
