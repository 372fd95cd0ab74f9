"""``zoom-actions sandbox``: the local Zoom stand-in.

``serve``  runs it on loopback until interrupted (in memory, or ``--db FILE``);
``ids``    prints the sample data's ids (users, meetings, webinars, UUIDs);
``reset``  forgets every change kept in a state file.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .output import out

DEFAULT_PORT = 8765


def _setup(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="sandbox_command", required=True, metavar="{serve,ids,reset}")

    s = sub.add_parser("serve", help="serve Zoom's API on loopback (point ZOOM_BASE_URL at it)",
                       description="Serve Zoom's REST API on loopback with sample data. Any bearer token is "
                                   "accepted. State is in memory unless --db names a SQLite file.")
    s.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0 picks a free one)")
    s.add_argument("--host", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)")
    s.add_argument("--db", type=Path, default=None, help="SQLite file that keeps state across runs")
    s.add_argument("--rate-limit-every", type=int, default=0, metavar="N",
                   help="answer every Nth API request with a 429, as Zoom does")
    s.add_argument("--rate-limit-first", type=int, default=0, metavar="N",
                   help="answer the first N API requests with a 429")
    s.add_argument("--rate-limit-type", choices=("QPS", "Daily-limit"), default="QPS",
                   help="which limit the 429s report (Daily-limit adds Retry-After: next 00:00 UTC)")
    s.add_argument("--retry-after-seconds", type=int, default=None,
                   help="also send Retry-After: SECONDS on per-second 429s")
    s.add_argument("--latency-ms", type=int, default=0, help="delay every answer by this many milliseconds")
    s.add_argument("--quiet", action="store_true", help="do not log requests")
    s.set_defaults(_sandbox=_serve)

    i = sub.add_parser("ids", help="print the sample data's ids as JSON",
                       description="Print the ids of the seeded users, meetings, webinars and past meeting UUIDs.")
    i.add_argument("--db", type=Path, default=None, help="state file (default: a fresh in-memory sandbox)")
    i.set_defaults(_sandbox=_ids)

    r = sub.add_parser("reset", help="forget every change kept in a state file",
                       description="Empty a sandbox state file; the next run starts from the sample data.")
    r.add_argument("--db", type=Path, default=None,
                   help="state file (default: $ZOOM_SANDBOX_DB or ~/.cache/zoom-actions/sandbox.db)")
    r.set_defaults(_sandbox=_reset)


def _run(args: argparse.Namespace) -> int:
    return args._sandbox(args)


def _serve(args: argparse.Namespace) -> int:
    from ..sandbox import make_server

    faults = {"rate_limit_every": args.rate_limit_every, "rate_limit_first": args.rate_limit_first,
              "rate_limit_type": args.rate_limit_type, "retry_after_seconds": args.retry_after_seconds,
              "latency_ms": args.latency_ms}
    try:
        httpd = make_server(args.db, args.port, faults, host=args.host, verbose=not args.quiet)
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    base = httpd.origin + "/v2"
    state = f"state in {args.db}" if args.db else "state in memory; --db FILE keeps it"
    print(f"Zoom sandbox serving {base} ({state})", flush=True)
    print(f"  export ZOOM_BASE_URL={base} ZOOM_ACCESS_TOKEN=sandbox", flush=True)
    print("  sample ids: zoom-actions sandbox ids" + (f" --db {args.db}" if args.db else "")
          + "   stop: Ctrl-C", flush=True)
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        httpd.server_close()
        httpd.app.store.close()
    return 0


def _ids(args: argparse.Namespace) -> int:
    from ..sandbox.seed import seed
    from ..sandbox.store import open_store
    store = open_store(args.db)
    try:
        out(json.dumps(seed(store), indent=2))
    finally:
        store.close()
    return 0


def _reset(args: argparse.Namespace) -> int:
    from ..sandbox.store import default_db_path, open_store
    path = args.db or default_db_path()
    if not Path(path).exists():
        out(f"nothing to reset: {path} does not exist")
        return 0
    store = open_store(path)
    try:
        store.clear()
    finally:
        store.close()
    out(f"reset {path}: the next run starts from the sample data")
    return 0


HELP = "a local Zoom stand-in: serve Zoom's API on loopback with sample data"
setup = _setup
run = _run
