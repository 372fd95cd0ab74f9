"""``zoom-actions run NAME --params '{...}' [-p key=value ...]``: execute one
action and print its envelope as JSON; the exit status is 0 only when
``successful`` is true (1 when Zoom or the input said no, 2 when there is
nothing to run with: no credentials, bad arguments)."""

from __future__ import annotations

import argparse
import json
import sys

from .output import out


def _setup(p: argparse.ArgumentParser) -> None:
    p.add_argument("name", help="action name, e.g. ZOOM_GET_A_MEETING")
    p.add_argument("--params", default=None, help="the parameters as one JSON object")
    p.add_argument("-p", "--param", action="append", default=[], metavar="KEY=VALUE",
                   help="one parameter (repeatable); VALUE is read as JSON when it parses, else as text")
    p.add_argument("--sandbox", action="store_true", help="run against the built-in local sandbox, no Zoom account "
                   "(state kept in $ZOOM_SANDBOX_DB or the user cache, so one run sees the last one's changes)")
    p.add_argument("--db", default=None, help="with --sandbox: the sandbox state file (implies --sandbox)")
    p.add_argument("--route", choices=("direct", "lava", "maton"), default=None,
                   help="send through Lava (LAVA_SECRET_KEY) or Maton (MATON_API_KEY) instead of directly")
    p.add_argument("--base-url", default=None, help="API base URL (default: $ZOOM_BASE_URL or https://api.zoom.us/v2)")
    p.add_argument("--plan", default="auto", help="account plan for client-side pacing: free, pro, business, none")
    p.add_argument("--paginate", action="store_true", help="follow next_page_token and merge the pages")
    p.add_argument("--max-pages", type=int, default=None, help="stop after this many pages (with --paginate)")
    p.add_argument("--upload-dir", default=None, help="directory that file uploads may name by path")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds per request (default 30)")
    p.add_argument("--compact", action="store_true", help="print the envelope on one line")
    p.add_argument("--dry-run", action="store_true", help="print the exact request instead of sending it")
    p.add_argument("--agent", default=None, help="the agent the call is made as, under $ZOOM_ACTIONS_POLICY")
    p.add_argument("--connection", default=None, help="call with this stored connection (`zoom-actions connect`)")
    p.add_argument("--user-id", default=None, help="the end user whose connection to use")


def _params(args: argparse.Namespace) -> dict:
    params: dict = {}
    if args.params:
        try:
            parsed = json.loads(args.params)
        except ValueError as exc:
            raise SystemExit(f"error: --params is not valid JSON: {exc}")
        if not isinstance(parsed, dict):
            raise SystemExit("error: --params must be a JSON object")
        params.update(parsed)
    for item in args.param:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise SystemExit(f"error: -p expects KEY=VALUE, got {item!r}")
        try:
            params[key] = json.loads(raw)
        except ValueError:
            params[key] = raw
    return params


def run(args: argparse.Namespace) -> int:
    try:
        params = _params(args)
    except SystemExit as exc:
        print(exc, file=sys.stderr)
        return 2
    from ..toolkit import Toolkit
    plan = None if str(args.plan).lower() in ("none", "off", "") else args.plan
    sandbox = False
    if args.sandbox or args.db:
        from ..sandbox import default_db_path
        sandbox = args.db or default_db_path()
    try:
        tk = Toolkit(base_url=args.base_url, gateway=args.route, account_plan=plan, sandbox=sandbox,
                     upload_dir=args.upload_dir, timeout=args.timeout, connection=args.connection,
                     user_id=args.user_id, dry_run=args.dry_run, agent=args.agent)
    except (ValueError, TypeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    with tk:
        if tk.auth_error and not (args.connection or args.user_id or args.dry_run):
            msg = tk.auth_error
            if "--sandbox" not in msg:
                msg += " (Or try `zoom-actions run ... --sandbox` to use the local sandbox.)"
            print(f"error: {msg}", file=sys.stderr)
            return 2
        env = tk.execute(args.name, params, paginate=args.paginate, max_pages=args.max_pages)
    text = json.dumps(env, ensure_ascii=False, separators=(",", ":")) if args.compact \
        else json.dumps(env, indent=2, ensure_ascii=False)
    out(text)
    return 0 if env.get("successful") else 1


HELP = "execute one action and print its envelope as JSON"
setup = _setup
