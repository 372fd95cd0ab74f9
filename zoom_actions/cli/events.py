"""`zoom-actions events serve|tail`: receive Zoom's webhooks; read the event log."""

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
    tail = sub.add_parser("tail", help="the latest events, one JSON object per line")
    tail.add_argument("-n", type=int, default=20)
    tail.add_argument("--type", action="append", default=None, help="only this event type (repeatable)")
    tail.add_argument("--follow", "-f", action="store_true", help="keep printing new events")
    tail.add_argument("--log", default=None)


def run(args: argparse.Namespace) -> int:
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


HELP = "receive Zoom's webhooks (verified, deduplicated, durable) and read the event log"
