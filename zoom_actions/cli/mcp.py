"""`zoom-actions mcp`: serve the catalog over MCP (stdio or streamable HTTP)."""

from __future__ import annotations

import argparse
import sys

from .export import add_selection_args, selection


def _setup(p: argparse.ArgumentParser) -> None:
    p.add_argument("--transport", choices=("stdio", "http", "streamable-http"), default="stdio",
                   help="stdio (default) or streamable HTTP")
    p.add_argument("--host", default="127.0.0.1", help="HTTP bind address (default: 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="HTTP port (default: 8000)")
    p.add_argument("--path", default="/mcp", help="HTTP endpoint path (default: /mcp)")
    add_selection_args(p)
    p.add_argument("--discovery", action="store_true",
                   help="expose only search_actions, get_action_schema and execute_action")
    p.add_argument("--output-schema", choices=("envelope", "full", "none"), default="envelope",
                   help="what outputSchema declares: the envelope (default), Zoom's documented "
                        "response schema too, or nothing")
    p.add_argument("--sandbox", action="store_true", help="run against a local in-memory Zoom stand-in")


def _run(args: argparse.Namespace) -> int:
    try:
        from ..mcp_server import build_server, run_stdio, serve_http
    except ImportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    from ..adapters import SelectionError
    from ..toolkit import Toolkit

    toolkit = Toolkit(sandbox=True) if args.sandbox else Toolkit()
    try:
        server = build_server(toolkit, description=args.description, discovery=args.discovery,
                              output_schema=args.output_schema, **selection(args))
    except (SelectionError, ImportError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    count = len(server.names)
    shape = "3 discovery tools over" if args.discovery else "tools for"
    if args.transport == "stdio":
        print(f"zoom-actions MCP on stdio: {shape} {count} actions", file=sys.stderr)
        run_stdio(server)
    else:
        print(f"zoom-actions MCP on http://{args.host}:{args.port}{args.path}: {shape} {count} actions",
              file=sys.stderr)
        serve_http(server, host=args.host, port=args.port, path=args.path)
    return 0


HELP = "serve the actions as an MCP server (stdio or streamable HTTP)"
setup = _setup
run = _run
