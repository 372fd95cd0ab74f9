"""`zoom-actions events serve|subscribe|work|tail`: receive Zoom's webhooks or its event WebSocket; deliver and
read the event log.

``serve`` and ``subscribe`` also hand every event on: ``--forward URL``
(signed with Standard Webhooks, retried; see ``events.sinks``) and
``--jsonl PATH``, each repeatable, filtered by ``--sink-type``. ``work``
only delivers: run as many as you like beside the receivers; on a Redis
store they share the events (each sink gets each event once between them)
and a dead worker's share is taken over."""

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
    _sink_args(serve)
    subscribe = sub.add_parser("subscribe", help="Zoom's event WebSocket (Server-to-Server OAuth from ZOOM_ACCOUNT_ID, "
                               "ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET)")
    subscribe.add_argument("--subscription", required=True, help="the WebSocket event subscription's ID")
    subscribe.add_argument("--url", default="wss://ws.zoom.us/ws", help="the subscription's endpoint (no token)")
    subscribe.add_argument("--on-takeover", choices=("stop", "wait"), default="stop",
                           help="when another connection takes the subscription: stop (default), or wait 15 min "
                                "and take it back")
    subscribe.add_argument("--log", default=None, help="the event log (SQLite; default: beside the store)")
    _sink_args(subscribe)
    work = sub.add_parser("work", help="deliver the log's events to --forward/--jsonl sinks (a worker: on a Redis "
                          "store, any number share the work); stops on SIGTERM or Ctrl-C")
    work.add_argument("--log", default=None, help="the event log (SQLite; default: the store's, Redis included)")
    _sink_args(work)
    ls = sub.add_parser("list", help="every event type Zoom documents (the event catalog)")
    ls.add_argument("--product", action="append", default=None)
    show = sub.add_parser("show", help="one event type: description, scopes, payload schema")
    show.add_argument("name")
    tail = sub.add_parser("tail", help="the latest events, one JSON object per line")
    tail.add_argument("-n", type=int, default=20)
    tail.add_argument("--type", action="append", default=None, help="only this event type (repeatable)")
    tail.add_argument("--follow", "-f", action="store_true", help="keep printing new events")
    tail.add_argument("--log", default=None)


def _sink_args(p: argparse.ArgumentParser) -> None:
    SECRET_ENV = "ZOOM_ACTIONS_FORWARD_SECRET"   # events.sinks.SECRET_ENV, not imported: the parser stays light
    p.add_argument("--forward", action="append", default=[], metavar="URL",
                   help="POST every event to this http(s) URL, signed with Standard Webhooks (webhook-id is the "
                        "event id), retried with backoff (repeatable)")
    p.add_argument("--forward-secret", default=None, metavar="SECRET",
                   help=f"the Standard Webhooks secret for --forward (whsec_<base64>, or any string used as its "
                        f"bytes); prefer ${SECRET_ENV}, the default: a flag shows in `ps` and shell history")
    p.add_argument("--jsonl", action="append", default=[], metavar="PATH",
                   help="append every event to this file, one JSON object per line, fsync'd (repeatable)")
    p.add_argument("--sink-type", action="append", default=[], metavar="GLOB",
                   help="only events of this type go to --forward/--jsonl, e.g. 'meeting.*' (repeatable; "
                        "default: all)")


def _attach_sinks(events, args: argparse.Namespace) -> list:
    """The sinks the flags name, registered on ``events``; ValueError names a bad URL or a missing secret."""
    from ..events.sinks import Forward, JsonlSink, attach
    sinks: list = []
    for url in args.forward:
        sinks.append(attach(events, Forward(url, args.forward_secret), *args.sink_type))
    for path in args.jsonl:
        sinks.append(attach(events, JsonlSink(path), *args.sink_type))
    return sinks


def _describe(sinks: list) -> str:
    return "".join(f"; to {getattr(s, 'shown', None) or s.path}" for s in sinks)


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
    if args.events_command in ("serve", "subscribe", "work"):
        try:
            sinks = _attach_sinks(events, args)
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        try:
            if args.events_command == "work":
                return _work(events, sinks)
            return _serve(events, args, sinks) if args.events_command == "serve" else _subscribe(events, args, sinks)
        finally:
            for sink in sinks:
                getattr(sink, "close", lambda: None)()
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


def _serve(events, args: argparse.Namespace, sinks: list) -> int:
    import uvicorn
    try:
        app = events.webhook_app(args.secret or None, path=args.path)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"zoom-actions events: receiving Zoom webhooks at http://{args.host}:{args.port}{args.path} "
          f"(log: {events.log.path}{_describe(sinks)})", file=sys.stderr)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", lifespan="on")
    return 0


def _work(events, sinks: list) -> int:
    if not sinks:
        print("error: `events work` delivers to sinks: give --forward URL or --jsonl PATH", file=sys.stderr)
        return 2
    print(f"zoom-actions events: delivering (log: {events.log.path}{_describe(sinks)})", file=sys.stderr)
    events.serve_forever()
    return 0


def _subscribe(events, args: argparse.Namespace, sinks: list) -> int:
    from ..events.websocket import WebSocketSubscription
    try:
        ws = WebSocketSubscription.from_env(args.subscription, events, url=args.url, on_takeover=args.on_takeover)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"zoom-actions events: subscribed at {ws.url} (log: {events.log.path}{_describe(sinks)})", file=sys.stderr)
    outcome = ws.run_forever()
    if outcome == "taken_over":
        print("zoom-actions events: another connection took the subscription; stopped", file=sys.stderr)
        return 1
    return 0


HELP = "receive Zoom's webhooks (verified, deduplicated, durable) or its event WebSocket, and read the event log"
