"""The `zoom-actions` command line.

`COMMANDS` is the whole command table: each entry names the module that
sets up its arguments and runs it. A command module never imports this
package; heavy imports stay inside the functions so that
`zoom-actions list` starts fast.
"""

from __future__ import annotations

import argparse
import sys
from typing import Callable

from . import catalog, connect, diff, events, export, generate, governance, mcp, run, sandbox, triggers

Command = tuple[str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]

COMMANDS: dict[str, Command] = {
    "generate": (generate.HELP, generate.setup, generate.run),
    "list": catalog.LIST,
    "show": catalog.SHOW,
    "run": (run.HELP, run.setup, run.run),
    "export": (export.HELP, export.setup, export.run),
    "mcp": (mcp.HELP, mcp.setup, mcp.run),
    "sandbox": (sandbox.HELP, sandbox.setup, sandbox.run),
    "diff": (diff.HELP, diff.setup, diff.run),
    "connect": connect.CONNECT,
    "connections": connect.CONNECTIONS,
    "events": (events.HELP, events.setup, events.run),
    "triggers": (triggers.HELP, triggers.setup, triggers.run),
    "policy": governance.POLICY,
    "audit": governance.AUDIT,
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="zoom-actions", description="Zoom's REST API as LLM-ready actions.")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (help_text, setup, run_command) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        setup(p)
        p.set_defaults(_run=run_command)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from ..catalog import CatalogNotBuilt
    try:
        return int(args._run(args) or 0)
    except CatalogNotBuilt as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
