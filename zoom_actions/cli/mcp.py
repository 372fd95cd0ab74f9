"""`zoom-actions mcp`: serve the catalog over MCP (stdio or streamable HTTP)."""

from __future__ import annotations

import argparse
import sys
import time

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
    p.add_argument("--profile", choices=("vscode", "cursor", "openai", "claude", "default", "full"), default=None,
                   help="how many tools the client can use (default: from the client's name, else 128); a larger "
                        "selection is served as search_actions/get_action_schema/execute_action")
    p.add_argument("--events", action="store_true",
                   help="also serve Zoom's events to agents: zoom_events_recent and zoom_events_wait, reading the "
                        "event log that `zoom-actions events serve|subscribe` and `triggers run` write")
    p.add_argument("--events-log", default=None, metavar="PATH",
                   help="the event log to read (SQLite; default: beside the store); implies --events")
    p.add_argument("--no-auth", action="store_true",
                   help="HTTP without client tokens (refused beyond loopback; by default every request needs "
                        "a token from `zoom-actions mcp tokens create`)")
    p.add_argument("--allowed-host", action="append", default=[], metavar="NAME",
                   help="another Host name the server is reached by, e.g. behind a proxy (repeatable)")
    sub = p.add_subparsers(dest="mcp_command", metavar="{tokens}")
    tokens = sub.add_parser("tokens", help="client tokens for the HTTP transport")
    tsub = tokens.add_subparsers(dest="tokens_command", required=True)
    create = tsub.add_parser("create", help="issue a token for a client (printed once)")
    create.add_argument("--name", required=True, help="the client's name, e.g. cursor-laptop")
    create.add_argument("--connection", default=None, help="the stored Zoom connection this client's calls use")
    create.add_argument("--user-id", default=None, help="the end user whose connection it is")
    tsub.add_parser("list", help="list the issued tokens (names only)")
    revoke = tsub.add_parser("revoke", help="revoke a client's token")
    revoke.add_argument("name")


def _tokens(args: argparse.Namespace) -> int:
    from ..mcp_auth import create_token, list_tokens, revoke_token
    from ..store import StoreError, open_store
    try:
        store = open_store()
        if args.tokens_command == "create":
            try:
                token = create_token(store, args.name, connection=args.connection, user_id=args.user_id)
            except ValueError as exc:
                print(f"error: {exc}", file=sys.stderr)
                return 2
            print(token)
            print(f"token for {args.name!r}: shown once, stored only as its SHA-256 in {store.url}; send it as "
                  "`Authorization: Bearer <token>`", file=sys.stderr)
        elif args.tokens_command == "list":
            for t in list_tokens(store):
                print(f"{t['name']}\t{t['hint']}\tcreated {time.strftime('%Y-%m-%d %H:%M', time.gmtime(t['created']))} UTC")
        else:
            if not revoke_token(store, args.name):
                print(f"error: no token named {args.name!r}", file=sys.stderr)
                return 2
            print(f"revoked {args.name!r}", file=sys.stderr)
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def _run(args: argparse.Namespace) -> int:
    if getattr(args, "mcp_command", None) == "tokens":
        return _tokens(args)
    if args.transport != "stdio":
        from ..mcp_auth import AuthConfigError, check_listen
        try:
            check_listen(args.host, authenticated=not args.no_auth)
        except AuthConfigError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    try:
        from ..mcp_server import build_server, run_stdio, serve_http
    except ImportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    import sqlite3

    from ..adapters import SelectionError
    from ..toolkit import Toolkit

    toolkit = Toolkit(sandbox=True) if args.sandbox else Toolkit()
    try:
        events = args.events_log or (True if args.events else None)
        server = build_server(toolkit, description=args.description, discovery=args.discovery,
                              output_schema=args.output_schema, profile=args.profile, events=events,
                              **selection(args))
    except (SelectionError, ImportError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (OSError, sqlite3.Error) as exc:   # the event log cannot be opened
        print(f"error: the event log: {exc}", file=sys.stderr)
        return 2
    count = len(server.names)
    shape = "3 discovery tools over" if args.discovery else "tools for"
    if server.event_tools is not None:
        shape = "the 2 event tools and " + shape
    if args.transport == "stdio":
        print(f"zoom-actions MCP on stdio: {shape} {count} actions", file=sys.stderr)
        run_stdio(server)
    else:
        print(f"zoom-actions MCP on http://{args.host}:{args.port}{args.path}: {shape} {count} actions",
              file=sys.stderr)
        auth = "no client authentication (loopback only)" if args.no_auth else "bearer tokens required"
        print(f"  {auth}; Host/Origin checked (DNS-rebinding protection)", file=sys.stderr)
        serve_http(server, host=args.host, port=args.port, path=args.path, auth=not args.no_auth,
                   allowed_hosts=tuple(args.allowed_host))
    return 0


HELP = "serve the actions as an MCP server (stdio or streamable HTTP)"
setup = _setup
run = _run
