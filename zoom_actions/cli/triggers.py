"""`zoom-actions triggers list|show|run`: the polling triggers from the command line.

``run SLUG -c key=value ...`` subscribes once and polls on the trigger's
interval until interrupted, printing each event as one JSON line (the
event log gets them too, for handlers); ``--once`` polls a single time,
now. A subscription's first poll only records a baseline, so a first
``--once`` prints nothing: run it again after a change."""

from __future__ import annotations

import argparse
import sys

from .output import out


def setup(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="triggers_command", required=True)
    sub.add_parser("list", help="every trigger: slug, configuration fields (* required, =default), actions polled, "
                                "title")
    show = sub.add_parser("show", help="one trigger as JSON: what it watches, its fields, payload and volatile fields")
    show.add_argument("slug")
    run = sub.add_parser("run", help="subscribe and poll, printing each event as one JSON line")
    run.add_argument("slug", help="e.g. ZOOM_NEW_MEETING_CREATED_TRIGGER")
    run.add_argument("-c", "--config", action="append", default=[], metavar="KEY=VALUE",
                     help="one configuration field (repeatable), read as the field's type")
    run.add_argument("--once", action="store_true", help="poll once, now, and exit (1 if the poll failed)")
    run.add_argument("--sandbox", action="store_true", help="poll the built-in local sandbox (state in "
                     "$ZOOM_SANDBOX_DB or the user cache, shared with `zoom-actions run --sandbox`)")
    run.add_argument("--db", default=None, help="with --sandbox: the sandbox state file (implies --sandbox)")
    run.add_argument("--store", default=None, help="where snapshots and leases live (default: $ZOOM_ACTIONS_STORE)")
    run.add_argument("--log", default=None, help="the event log (SQLite; default: beside the store)")
    run.add_argument("--connection", default=None, help="poll with this stored connection")
    run.add_argument("--user-id", default=None, help="the end user whose connection to use")


def _value(field, raw: str):
    """``raw`` as the field's type; left as text when it does not read as one (validation names it)."""
    kind = field.type if field is not None else "string"
    if kind == "boolean" and raw.lower() in ("true", "false", "1", "0", "yes", "no"):
        return raw.lower() in ("true", "1", "yes")
    try:
        return int(raw) if kind == "integer" else float(raw) if kind == "number" else raw
    except ValueError:
        return raw


def _config(trigger, items: list[str]) -> dict:
    config = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise ValueError(f"-c expects KEY=VALUE, got {item!r}")
        config[key] = _value(trigger.field(key), raw)
    return config


def _list() -> int:
    from ..triggers import TRIGGERS
    for t in TRIGGERS.values():
        out(f"{t.slug}\t{' '.join(f.describe() for f in t.fields)}\t{', '.join(t.polls)}\t{t.title}")
    return 0


def _show(slug: str) -> int:
    import json
    from dataclasses import asdict

    from ..triggers import TriggerConfigError
    from ..triggers.config import find
    try:
        t = find(slug)
    except TriggerConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    def field(f) -> dict:
        shown = {k: v for k, v in asdict(f).items() if v is not None and v != ()}
        if not f.exclusive_minimum:
            del shown["exclusive_minimum"]
        return shown

    out(json.dumps({"slug": t.slug, "title": t.title, "description": t.description,
                    "config": [field(f) for f in t.fields],
                    "polls": list(t.polls), "payload": list(t.payload), "identity": list(t.identity),
                    "volatile": list(t.volatile)}, indent=2))
    return 0


def run(args: argparse.Namespace) -> int:
    if args.triggers_command == "list":
        return _list()
    if args.triggers_command == "show":
        return _show(args.slug)
    from ..events import Events
    from ..toolkit import Toolkit
    from ..triggers import TriggerConfigError, Triggers
    from ..triggers.config import find, validate
    try:   # checked before anything is opened
        trigger = find(args.slug)
        config = _config(trigger, args.config)
        validate(trigger, config)
    except (TriggerConfigError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    sandbox = False
    if args.sandbox or args.db:
        from ..sandbox import default_db_path
        sandbox = args.db or default_db_path()
    with Toolkit(sandbox=sandbox, connection=args.connection, user_id=args.user_id) as tk:
        if tk.auth_error and not (args.connection or args.user_id):
            print(f"error: {tk.auth_error} (Or try `zoom-actions triggers run ... --sandbox`.)", file=sys.stderr)
            return 2
        with Triggers(tk, Events(args.log), args.store) as triggers:
            sub = triggers.subscribe(trigger.slug, config)
            if args.once:
                return _report(triggers.poll(sub))
            import threading
            stop = threading.Event()
            every = triggers.subscriptions()[0].config["interval"]
            print(f"zoom-actions triggers: polling {trigger.slug} every {every} minute(s); Ctrl-C stops",
                  file=sys.stderr)
            try:
                triggers.run_forever(stop, on_result=_report, deliver=False)
            except KeyboardInterrupt:
                stop.set()
    return 0


def _report(result) -> int:
    for event in result.events:
        out(event.to_json())
    sys.stdout.flush()
    if not result.ok:
        print(f"poll failed: {result.error}", file=sys.stderr)
        return 1
    if result.baseline:
        print("first poll: baseline recorded, nothing emitted; later polls report changes", file=sys.stderr)
    return 0


HELP = "Composio's 11 Zoom polling triggers: list them, or run one and print its events as JSON lines"
