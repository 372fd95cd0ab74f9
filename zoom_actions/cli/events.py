"""`zoom-actions events serve|subscribe|tail`: receive Zoom's webhooks or its event WebSocket; read the event log."""

from __future__ import annotations

import argparse
import json
import sys
import time


def setup(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="events_command", required=True)
    serve = sub.add_parser("serve", help="the webhook receiver (signed deliveries only)")
    serve.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1; Zoom must reach it, "
                                                          "e.g. through a tunnel or a reverse proxy)")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument("--path", default="/zoom/events")
    serve.add_argument("--secret", action="append", default=[],
                       help="Zoom's secret token (repeatable while rotating; default: $ZOOM_WEBHOOK_SECRET_TOKEN, "
                            "comma-separated)")
    serve.add_argument("--log", default=None, help="the event log (SQLite; default: beside the store)")
    subscribe = sub.add_parser("subscribe", help="Zoom's event WebSocket (Server-to-Server OAuth from ZOOM_ACCOUNT_ID, "
                               "ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET)")
    subscribe.add_argument("--subscription", required=True, help="the WebSocket event subscription's ID")
    subscribe.add_argument("--url", default="wss://ws.zoom.us/ws", help="the subscription's endpoint (no token)")
    subscribe.add_argument("--on-takeover", choices=("stop", "wait"), default="stop",
                           help="when another connection takes the subscription: stop (default), or wait 15 min "
                                "and take it back")
    subscribe.add_argument("--log", default=None, help="the event log (SQLite; default: beside the store)")
    ls = sub.add_parser("list", help="every event type Zoom documents (the event catalog)")
    ls.add_argument("--product", action="append", default=None)
    show = sub.add_parser("show", help="one event type: description, scopes, payload schema")
    show.add_argument("name")
    tail = sub.add_parser("tail", help="the latest events, one JSON object per line")
    tail.add_argument("-n", type=int, default=20)
    tail.add_argument("--type", action="append", default=None, help="only this event type (repeatable)")
    tail.add_argument("--follow", "-f", action="store_true", help="keep printing new events")
    tail.add_argument("--log", default=None)


def run(args: argparse.Namespace) -> int:
    if args.events_command in ("list", "show"):
        from ..catalog import load_catalog
        from ..events.catalog import load_events
        try:
            known = load_events(load_catalog().directory)
        except FileNotFoundError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        if args.events_command == "list":
            for name, e in known.items():
                if not args.product or e["product"] in args.product:
                    print(f"{name}\t{e['product']}\t{e['short_description'][:100]}")
            return 0
        if args.name not in known:
            from ..suggest import closest
            hint = closest(args.name, list(known))
            print(f"error: no event named {args.name!r}" + (f"; did you mean {', '.join(hint)}?" if hint else ""),
                  file=sys.stderr)
            return 2
        print(json.dumps(known[args.name], indent=2, ensure_ascii=False))
        return 0
    from ..events import Events
    events = Events(args.log)
    if args.events_command == "serve":
        import uvicorn
        try:
            app = events.webhook_app(args.secret or None, path=args.path)
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print(f"zoom-actions events: receiving Zoom webhooks at http://{args.host}:{args.port}{args.path} "
              f"(log: {events.log.path})", file=sys.stderr)
        uvicorn.run(app, host=args.host, port=args.port, log_level="warning", lifespan="on")
        return 0
    if args.events_command == "subscribe":
        from ..events.websocket import WebSocketSubscription
        try:
            ws = WebSocketSubscription.from_env(args.subscription, events, url=args.url, on_takeover=args.on_takeover)
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print(f"zoom-actions events: subscribed at {ws.url} (log: {events.log.path})", file=sys.stderr)
        outcome = ws.run_forever()
        if outcome == "taken_over":
            print("zoom-actions events: another connection took the subscription; stopped", file=sys.stderr)
            return 1
        return 0
    types = set(args.type) if args.type else None
    seen: set[str] = set()
    while True:
        for event in reversed(events.log.recent(args.n, types)):
            if event.id not in seen:
                seen.add(event.id)
                print(event.to_json(), flush=True)
        if not args.follow:
            return 0
        time.sleep(1.0)


HELP = "receive Zoom's webhooks (verified, deduplicated, durable) or its event WebSocket, and read the event log"
