"""`zoom-actions policy check|lint` and `zoom-actions audit [verify]`."""

from __future__ import annotations

import argparse
import json
import sys


def setup_policy(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="policy_command", required=True)
    check = sub.add_parser("check", help="explain the decision for one agent, action and parameters")
    check.add_argument("agent")
    check.add_argument("action")
    check.add_argument("-p", "--param", action="append", default=[], metavar="KEY=VALUE")
    check.add_argument("--policy", default=None, help="the policy file (default: $ZOOM_ACTIONS_POLICY)")
    lint = sub.add_parser("lint", help="unknown actions, products, tags and parameters in a policy file")
    lint.add_argument("file")


def run_policy(args: argparse.Namespace) -> int:
    from ..catalog import load_catalog
    from ..governance import Policy, PolicyError, load_policy
    cat = load_catalog()
    try:
        policy = Policy.load(args.file) if args.policy_command == "lint" else load_policy(args.policy)
    except PolicyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if policy is None:
        print("error: no policy: pass --policy FILE or set ZOOM_ACTIONS_POLICY", file=sys.stderr)
        return 2
    if args.policy_command == "lint":
        problems = policy.lint(cat)
        for problem in problems:
            print(problem)
        print(f"{len(problems)} problem{'s' if len(problems) != 1 else ''} in {args.file}", file=sys.stderr)
        return 1 if problems else 0
    from ..mcp_events import NAMES as EVENT_TOOLS, policy_entry
    if args.action not in cat and args.action not in EVENT_TOOLS:
        print(f"error: no action named {args.action!r}", file=sys.stderr)
        return 2
    from .run import _params
    args.params = None
    params = _params(args)
    entry = policy_entry(args.action) if args.action in EVENT_TOOLS else cat.entry(args.action)
    d = policy.decide(args.agent, args.action, entry, params)
    seen = "visible in its tools" if policy.visible(args.agent, args.action, entry) else "hidden from its tools"
    print(f"{d.effect}: {d.reason} ({seen})")
    return 0 if d.allowed else 1


def setup_audit(p: argparse.ArgumentParser) -> None:
    p.add_argument("what", nargs="?", choices=("show", "verify"), default="show")
    p.add_argument("--log", default=None, help="the audit log (default: $ZOOM_ACTIONS_AUDIT, else beside the store)")
    p.add_argument("--agent", default=None)
    p.add_argument("--action", default=None, help="an action name or glob")
    p.add_argument("--decision", choices=("allow", "deny", "approve", "dry-run"), default=None)
    p.add_argument("--since", default=None, help="ISO time, e.g. 2026-12-01T00:00")
    p.add_argument("--until", default=None)
    p.add_argument("--json", action="store_true", help="one JSON record per line")


def run_audit(args: argparse.Namespace) -> int:
    import fnmatch

    from ..governance import AuditLog, describe_record
    log = AuditLog(args.log)
    if args.what == "verify":
        problems = log.verify()
        count = sum(1 for _ in log.records())
        for problem in problems:
            print(problem)
        print(f"{count} records, {'chain intact' if not problems else f'{len(problems)} problems'} ({log.path})",
              file=sys.stderr)
        return 1 if problems else 0
    for rec in log.records():
        if args.agent and rec.get("agent") != args.agent:
            continue
        if args.action and not fnmatch.fnmatchcase(str(rec.get("action")), args.action):
            continue
        if args.decision and rec.get("decision") != args.decision:
            continue
        if args.since and str(rec.get("time")) < args.since:
            continue
        if args.until and str(rec.get("time")) > args.until:
            continue
        print(json.dumps(rec, ensure_ascii=False) if args.json else describe_record(rec))
    return 0


POLICY = ("explain or lint per-agent policies", setup_policy, run_policy)
AUDIT = ("the audit trail: every call in plain English, filtered; `verify` checks the chain", setup_audit, run_audit)
