"""`zoom-actions connect` and `zoom-actions connections`: connected Zoom accounts."""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time


def _store_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--store", default=None, help="sqlite:///PATH or redis://HOST:PORT/DB (default: $ZOOM_ACTIONS_STORE, "
                                                 "else a SQLite file in the user's data directory)")
    p.add_argument("--insecure-plaintext", action="store_true",
                   help="store credentials unencrypted when ZOOM_ACTIONS_SECRET_KEY is not set (not recommended)")


def _connections(args):
    from ..connections import Connections
    from ..vault import Vault
    return Connections(args.store, Vault(insecure_plaintext=args.insecure_plaintext))


def setup_connect(p: argparse.ArgumentParser) -> None:
    p.add_argument("name", nargs="?", default="default", help="the connection's name (default: default)")
    p.add_argument("--user-id", default="default", help="the end user the connection belongs to")
    p.add_argument("--client-id", default=os.environ.get("ZOOM_CLIENT_ID"), help="default: $ZOOM_CLIENT_ID")
    p.add_argument("--client-secret", default=None, help="default: $ZOOM_CLIENT_SECRET (prefer the environment)")
    p.add_argument("--port", type=int, default=8765, help="loopback port of the redirect URI (default 8765: "
                                                          "register http://127.0.0.1:8765/callback in the app)")
    p.add_argument("--oauth-base", default=os.environ.get("ZOOM_OAUTH_BASE", "https://zoom.us"),
                   help="Zoom's OAuth origin (default https://zoom.us; the sandbox's origin offline)")
    p.add_argument("--no-browser", action="store_true", help="print the URL instead of opening a browser")
    p.add_argument("--timeout", type=float, default=300, help="seconds to wait for the browser (default 300)")
    p.add_argument("--server-to-server", action="store_true",
                   help="store Server-to-Server credentials ($ZOOM_ACCOUNT_ID, $ZOOM_CLIENT_ID, $ZOOM_CLIENT_SECRET)")
    p.add_argument("--token", action="store_true", help="store the bearer token in $ZOOM_ACCESS_TOKEN")
    _store_args(p)


def run_connect(args: argparse.Namespace) -> int:
    from ..connections import Connection
    from ..vault import VaultError
    try:
        conns = _connections(args)
        secret = args.client_secret or os.environ.get("ZOOM_CLIENT_SECRET")
        if args.server_to_server or args.token:
            if args.token:
                token = os.environ.get("ZOOM_ACCESS_TOKEN")
                if not token:
                    return _error("set ZOOM_ACCESS_TOKEN to the token to store")
                conn = conns.save(Connection(args.user_id, args.name, "token"), {"access_token": token})
            else:
                account = os.environ.get("ZOOM_ACCOUNT_ID")
                if not (account and args.client_id and secret):
                    return _error("set ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET")
                conn = conns.save(Connection(args.user_id, args.name, "server_to_server", client_id=args.client_id,
                                             account_id=account, token_url=args.oauth_base.rstrip("/") + "/oauth/token"),
                                  {"client_secret": secret})
            print(f"stored connection {conn.name!r} ({conn.kind}) for user {conn.user_id!r} in {conns.store.url}",
                  file=sys.stderr)
            return 0
        if not (args.client_id and secret):
            return _error("the connect flow needs the OAuth app's client ID and secret: set ZOOM_CLIENT_ID and "
                          "ZOOM_CLIENT_SECRET")
        return _browser_flow(args, conns, secret)
    except VaultError as exc:
        return _error(str(exc))


def _browser_flow(args, conns, secret: str) -> int:
    import uvicorn

    from ..connect_app import connect_app
    from ..oauth import OAuthApp, begin
    redirect = f"http://127.0.0.1:{args.port}/callback"
    oauth = OAuthApp(args.client_id, secret, redirect, base=args.oauth_base)
    done = threading.Event()
    outcome: list = []

    def on_done(result) -> None:
        outcome.append(result)
        done.set()
    app = connect_app(oauth, conns, on_done=on_done)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=args.port, log_level="warning",
                                           lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            return _error(f"cannot listen on 127.0.0.1:{args.port} for the redirect")
        time.sleep(0.02)
    try:
        url = begin(oauth, conns, user_id=args.user_id, name=args.name)
        opened = False
        if not args.no_browser:
            import webbrowser
            opened = webbrowser.open(url)
        print(("Opened your browser to connect Zoom. If it did not open, visit:" if opened else
               "Open this URL in a browser to connect Zoom:") + f"\n{url}", file=sys.stderr)
        if not done.wait(args.timeout):
            return _error(f"no answer from the browser within {args.timeout:.0f} s: nothing was stored")
    finally:
        server.should_exit = True
        thread.join(5)
    result = outcome[0]
    if isinstance(result, Exception):
        return _error(str(result))
    print(f"connected {result.name!r} for user {result.user_id!r} ({' '.join(result.scopes) or 'no scopes listed'}); "
          f"stored in {conns.store.url}", file=sys.stderr)
    return 0


def setup_connections(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="connections_command", required=True)
    ls = sub.add_parser("list", help="every connection (no secrets)")
    ls.add_argument("--user-id", default=None)
    for name, help_text in (("show", "one connection, without its secrets"), ("delete", "forget a connection"),
                            ("revoke", "revoke the token at Zoom, then forget the connection")):
        c = sub.add_parser(name, help=help_text)
        c.add_argument("name")
        c.add_argument("--user-id", default="default")
    sub.add_parser("keygen", help="print a new key for ZOOM_ACTIONS_SECRET_KEY")
    for c in sub.choices.values():
        _store_args(c)


def run_connections(args: argparse.Namespace) -> int:
    from ..connections import AuthorizationRequired
    from ..oauth import OAuthApp, OAuthError, revoke
    from ..vault import VaultError, new_key
    if args.connections_command == "keygen":
        print(new_key())
        return 0
    conns = _connections(args)
    try:
        if args.connections_command == "list":
            for c in conns.list(args.user_id):
                print(f"{c.user_id}\t{c.name}\t{c.kind}\t{' '.join(c.scopes)}")
        elif args.connections_command == "show":
            print(json.dumps(conns.get(args.name, args.user_id).public(), indent=2))
        elif args.connections_command == "delete":
            if not conns.delete(args.name, args.user_id):
                return _error(f"no connection {args.name!r} for user {args.user_id!r}")
        else:
            conn, secrets = conns.load(args.user_id, args.name)
            if conn.kind == "user_oauth":
                base = conn.token_url.rsplit("/oauth/", 1)[0]
                revoke(OAuthApp(conn.client_id or "", secrets["client_secret"], "", base=base),
                       secrets.get("access_token") or secrets["refresh_token"])
            conns.delete(args.name, args.user_id)
            print(f"revoked and deleted {args.name!r}", file=sys.stderr)
    except (AuthorizationRequired, VaultError, OAuthError) as exc:
        return _error(str(exc))
    return 0


def _error(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


CONNECT = ("connect a Zoom account (OAuth in the browser, or stored credentials)", setup_connect, run_connect)
CONNECTIONS = ("list, show, delete or revoke connected Zoom accounts", setup_connections, run_connections)
