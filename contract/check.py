"""The contract check: every action, executed through ``Toolkit`` against
Prism serving Zoom's own spec, must send requests Prism accepts and must
describe Prism's successful answers with its ``output_schema``.

Per action, two inputs are built from the action's input schema
(``contract.inputs``): ``full`` sends every parameter, ``minimal`` only the
required ones. Each goes through a fresh ``Toolkit`` whose base URL is a
recording relay in front of the Prism for the action's product. A call is
judged by:

- request violations: Prism's ``sl-violations`` header entries with severity
  Error, or a Prism problem+json error (422 validation, no route matched,
  security not met);
- the route: the method and path on the wire must match the action's
  operation (a path that matched some other operation would pass Prism);
- the response: a 2xx answer must yield a successful envelope that validates
  against the action's ``output_schema``. A download (an action declaring a
  non-JSON success, ``response_content_type``) that Prism accepts but cannot
  mock (its 500 "Cannot find serializer") is conformant: ``binary_success``.

Schemas are read the way the runtime reads them (``zoom_actions.inputs``):
``oneOf`` as ``anyOf``, since Zoom's union branches overlap; Prism, reading
Zoom's own spec, keeps ``oneOf`` strict, so the input generator prefers a
body that satisfies exactly one branch.

``contract/allowlist.json`` lists the violations that come from defects in
Zoom's spec (our request is right, Prism's copy of the spec is wrong, or
the spec admits no value at all: ``inputs.defects``), each with its reason;
an entry that matches nothing fails the run, so the list cannot rot.
"""

from __future__ import annotations

import json
import queue
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

import jsonschema

from zoom_actions.inputs import relax

from . import inputs
from .relay import Exchange, Relay, close_all

ALLOWLIST = Path(__file__).resolve().parent / "allowlist.json"
_PRISM_ERRORS = "https://stoplight.io/prism/errors#"


@dataclass
class Violation:
    variant: str
    source: str  # prism | route | response | toolkit | harness | inputs (a spec defect found without Prism)
    location: str  # dotted: request.body.settings.waiting_room, response.data.id
    code: str
    message: str
    allowed_by: str | None = None  # the allow-list reason that covers it

    def short(self) -> str:
        return f"[{self.variant}] {self.source} {self.location} ({self.code}): {self.message[:200]}"


@dataclass
class ActionResult:
    name: str
    product: str
    calls: int = 0
    statuses: list[int] = field(default_factory=list)
    violations: list[Violation] = field(default_factory=list)
    seconds: float = 0.0   # wall time of its calls, inputs included

    @property
    def failing(self) -> list[Violation]:
        return [v for v in self.violations if v.allowed_by is None]

    @property
    def status(self) -> str:
        if self.failing:
            return "failing"
        return "allow-listed" if self.violations else "conformant"


# --- reading Prism's verdict ------------------------------------------------

def _dotted(location: Any) -> str:
    if isinstance(location, list):
        return ".".join(str(p) for p in location)
    return str(location or "request")


def prism_violations(variant: str, ex: Exchange) -> list[Violation]:
    out: list[Violation] = []
    header = ex.response_headers.get("sl-violations")
    if header:
        try:
            items = json.loads(header)
        except ValueError:
            items = [{"location": ["request"], "code": "unparsable", "message": header, "severity": "Error"}]
        for v in items:
            loc = v.get("location") or ["request"]
            if v.get("severity") in ("Error", 0) and loc[0] == "request":
                out.append(Violation(variant, "prism", _dotted(loc), str(v.get("code", "")), str(v.get("message", ""))))
    ctype = ex.response_headers.get("content-type", "")
    if "problem+json" in ctype:
        try:
            problem = json.loads(ex.response_body or b"{}")
        except ValueError:
            problem = {}
        kind = str(problem.get("type", ""))
        if kind.startswith(_PRISM_ERRORS):
            code = kind[len(_PRISM_ERRORS):]
            found = problem.get("validation") or []
            for v in found:
                if v.get("severity") in ("Error", 0, None):
                    out.append(Violation(variant, "prism", _dotted(v.get("location")), str(v.get("code", code)),
                                         str(v.get("message", ""))))
            if not found:
                out.append(Violation(variant, "prism", "request", code,
                                     str(problem.get("detail") or problem.get("title") or "")))
    # the same finding may come both ways
    seen, unique = set(), []
    for v in out:
        key = (v.location, v.code, v.message)
        if key not in seen:
            seen.add(key)
            unique.append(v)
    return unique


def binary_success(action: dict, ex: Exchange) -> bool:
    """Whether Prism accepted the request of a download but could not mock its
    body: the action declares a non-JSON success (``response_content_type``,
    e.g. ``application/zip``) and Prism, having validated the request (a
    violation would have chosen an error response), fails with its own 500
    "Cannot find serializer for <that type>". Prism only serializes JSON,
    XML and text, so this is the conformant outcome of a binary download."""
    media = action.get("response_content_type")
    if not media or ex.status != 500 or "problem+json" not in ex.response_headers.get("content-type", ""):
        return False
    try:
        problem = json.loads(ex.response_body or b"{}")
    except ValueError:
        return False
    return (isinstance(problem, dict) and problem.get("type") == _PRISM_ERRORS + "UNKNOWN"
            and str(problem.get("title", "")).startswith("Cannot find serializer for "))


def _route_regex(path: str) -> re.Pattern:
    parts = re.split(r"(\{[^}]+\})", path)
    return re.compile("^" + "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts) + "$")


def route_violations(variant: str, action: dict, ex: Exchange) -> list[Violation]:
    op = action["operation"]
    if ex.method.upper() != op["method"] or not _route_regex(op["path"]).match(ex.path):
        return [Violation(variant, "route", "request.path", "route",
                          f"sent {ex.method} {ex.path}, the operation is {op['method']} {op['path']}")]
    return []


def response_violations(variant: str, action: dict, ex: Exchange, envelope: Any) -> list[Violation]:
    if not 200 <= ex.status < 300:
        return []
    if not isinstance(envelope, dict) or envelope.get("successful") is not True:
        err = envelope.get("error") if isinstance(envelope, dict) else repr(envelope)
        return [Violation(variant, "toolkit", "response", "unsuccessful",
                          f"Prism answered {ex.status} but the envelope is unsuccessful: {err}")]
    validator = jsonschema.Draft202012Validator(relax(action["output_schema"]))
    return [Violation(variant, "response", "response." + ".".join(str(p) for p in e.absolute_path),
                      str(e.validator), e.message[:300])
            for e in validator.iter_errors(envelope)]


# --- the allow-list ---------------------------------------------------------

def _listed(value: Any) -> list:
    return [] if value is None else [value] if isinstance(value, str) else list(value)


def entry_actions(entry: dict) -> list[str]:
    """The actions an entry covers: ``action`` (one) or ``actions`` (one
    defect of Zoom's that recurs in several operations, e.g. a field every
    Team Chat message operation types with the same overlapping ``oneOf``)."""
    return _listed(entry.get("action")) + _listed(entry.get("actions"))


def load_allowlist(path: Path = ALLOWLIST) -> list[dict]:
    entries = json.loads(path.read_text())["entries"] if path.exists() else []
    for i, e in enumerate(entries):
        if not str(e.get("reason", "")).strip() or not entry_actions(e) or not e.get("location"):
            raise ValueError(f"allow-list entry #{i} needs action (or actions), location and reason")
    return entries


def _covers(entry: dict, action: str, v: Violation) -> bool:
    """``location`` (one, or a list) covers itself and what is below it;
    ``code`` (optional: one, or a list) narrows to those codes."""
    codes = _listed(entry.get("code"))
    return (action in entry_actions(entry)
            and any(v.location == loc or v.location.startswith(loc + ".") for loc in _listed(entry["location"]))
            and (not codes or v.code in codes)
            and entry.get("source", "prism") == v.source
            and entry.get("variant") in (None, v.variant))


def apply_allowlist(results: list[ActionResult], entries: list[dict]) -> list[dict]:
    """Marks covered violations; returns the entries that covered nothing,
    judged per action: an entry naming several actions comes back (with only
    those) for each action it no longer covers, so no name rots in a list."""
    used: set[tuple[int, str]] = set()
    for r in results:
        for v in r.violations:
            for i, e in enumerate(entries):
                if _covers(e, r.name, v):
                    v.allowed_by = e["reason"]
                    used.add((i, r.name))
                    break
    stale = []
    for i, e in enumerate(entries):
        unused = [a for a in entry_actions(e) if (i, a) not in used]
        if len(unused) == len(entry_actions(e)):
            stale.append(e)
        elif unused:
            stale.append({**{k: v for k, v in e.items() if k not in ("action", "actions")}, "actions": unused})
    return stale


# --- running ----------------------------------------------------------------

Executor = Callable[[str, dict], Any]  # (action name, params) -> envelope


def toolkit_factory(base_url: str, catalog: Any = None) -> Executor:
    """The executor under test: a ``Toolkit`` aimed at one relay (no client
    pacing, no retries: every request is one exchange)."""
    from zoom_actions import Toolkit
    tk = Toolkit(access_token="contract-check", base_url=base_url, account_plan=None, max_retries=0, catalog=catalog)
    return tk.execute


def input_findings(action: dict, chosen: dict[str, dict] | None = None) -> list[Violation]:
    """What is found without Prism (source ``inputs``): each part of the spec
    that admits no value (``inputs.defects``, variant ``spec``), and each
    variant that no candidate input satisfies."""
    found = [Violation("spec", "inputs", location, code, message)
             for location, code, message in inputs.defects(action)]
    chosen = inputs.choose(action) if chosen is None else chosen
    for variant in ("full", "minimal"):
        if variant not in chosen:
            errs = []
            for tag, params in inputs.candidates(action):
                if tag == variant:
                    errs = (inputs.input_errors(action, params) + inputs.body_errors(action, params)
                            + inputs.runtime_errors(action, params))
            found.append(Violation(variant, "inputs", "request", "no-valid-input",
                                   "; ".join(e[:150] for e in errs[:3]) or "no candidate"))
    return found


def check_action(action: dict, relay: Relay, execute: Executor) -> ActionResult:
    result = ActionResult(action["name"], action["product"])
    chosen = inputs.choose(action)
    result.violations += input_findings(action, chosen)
    for variant, params in chosen.items():
        if variant == "full" and chosen.get("minimal") == params:
            continue  # nothing optional: one call says it all
        relay.take()
        try:
            envelope = execute(action["name"], params)
        except Exception as exc:  # noqa: BLE001 - any exception is a finding
            result.violations.append(Violation(variant, "toolkit", "request", "exception",
                                               f"{type(exc).__name__}: {exc}"))
            relay.take()
            continue
        exchanges = relay.take()
        result.calls += 1
        if not exchanges:
            err = envelope.get("error") if isinstance(envelope, dict) else repr(envelope)
            result.violations.append(Violation(variant, "toolkit", "request", "not-sent",
                                               f"the toolkit sent nothing: {err}"))
            continue
        for ex in exchanges:
            result.statuses.append(ex.status)
            result.violations += route_violations(variant, action, ex)
            found = prism_violations(variant, ex)
            if binary_success(action, ex):   # Prism's own failure to mock is no finding; its header still is
                found = [v for v in found if not (v.code == "UNKNOWN" and v.location == "request")]
            result.violations += found
        last = exchanges[-1]
        if binary_success(action, last):
            continue   # a download Prism cannot mock: there is no body to judge
        if not any(v.variant == variant and v.source in ("prism", "route") for v in result.violations):
            result.violations += response_violations(variant, action, last, envelope)
    return result


def run(actions: list[dict], prism_urls: dict[str, str], *, concurrency: int = 6, catalog: Any = None,
        make_executor: Callable[..., Executor] | None = None,
        progress: Callable[[ActionResult], None] | None = None) -> list[ActionResult]:
    """Check every action; ``prism_urls``: product -> Prism base URL.

    Each of ``concurrency`` slots owns one relay (and one executor) per
    product, and runs one action at a time, so a relay's record is that
    action's exchanges.
    """
    make_executor = make_executor or toolkit_factory
    ports = {p: int(u.rsplit(":", 1)[1]) for p, u in prism_urls.items()}
    slots: queue.Queue[dict[str, tuple[Relay, Executor]]] = queue.Queue()
    all_relays: list[Relay] = []
    executors: list[Executor] = []
    for _ in range(concurrency):
        slot = {}
        for product, port in ports.items():
            relay = Relay(port)
            all_relays.append(relay)
            slot[product] = (relay, make_executor(relay.url, catalog))
            executors.append(slot[product][1])
        slots.put(slot)
    lock = threading.Lock()

    def one(action: dict) -> ActionResult:
        slot = slots.get()
        try:
            relay, execute = slot[action["product"]]
            began = time.monotonic()
            try:
                res = check_action(action, relay, execute)
            except Exception as exc:  # noqa: BLE001 - the harness failed on one action: a finding, not a lost run
                relay.take()
                res = ActionResult(action["name"], action["product"], violations=[
                    Violation("harness", "harness", "request", "exception", f"{type(exc).__name__}: {exc}")])
            res.seconds = time.monotonic() - began
        finally:
            slots.put(slot)
        if progress:
            with lock:
                progress(res)
        return res

    try:
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            return list(pool.map(one, actions))
    finally:
        for execute in executors:
            close = getattr(getattr(execute, "__self__", None), "close", None)
            if callable(close):
                close()
        close_all(all_relays)


# --- reporting --------------------------------------------------------------

def by_product(results: list[ActionResult]) -> dict[str, dict[str, int]]:
    """Per product (in the order checked): how many actions, and how many are
    conformant, allow-listed and failing."""
    table: dict[str, dict[str, int]] = {}
    for r in results:
        row = table.setdefault(r.product, {"actions": 0, "conformant": 0, "allow-listed": 0, "failing": 0})
        row["actions"] += 1
        row[r.status] += 1
    return table


def summary(results: list[ActionResult], stale: list[dict], elapsed: float) -> dict:
    by = {"conformant": [], "allow-listed": [], "failing": []}
    for r in results:
        by[r.status].append(r.name)
    return {
        "actions": len(results),
        "conformant": len(by["conformant"]),
        "by_product": by_product(results),
        "allow_listed": by["allow-listed"],
        "failing": by["failing"],
        "calls": sum(r.calls for r in results),
        "stale_allowlist_entries": stale,
        "seconds": round(elapsed, 1),
        "slowest": [[r.name, round(r.seconds, 2)] for r in sorted(results, key=lambda r: -r.seconds)[:10]],
        "results": [
            {"name": r.name, "product": r.product, "status": r.status, "statuses": r.statuses,
             "violations": [asdict(v) for v in r.violations]}
            for r in results if r.violations
        ],
    }


def render(report: dict) -> str:
    lines = [f"contract: {report['conformant']}/{report['actions']} actions conformant, "
             f"{len(report['allow_listed'])} allow-listed, {len(report['failing'])} failing "
             f"({report['calls']} calls in {report['seconds']}s)"]
    table = report.get("by_product") or {}
    if len(table) > 1:
        lines.append(f"  {'product':24} {'actions':>7} {'conformant':>10} {'allow-listed':>12} {'failing':>7}")
        for product, row in table.items():
            lines.append(f"  {product:24} {row['actions']:>7} {row['conformant']:>10} {row['allow-listed']:>12} "
                         f"{row['failing']:>7}")
    for r in report["results"]:
        if r["status"] == "allow-listed":
            reasons = sorted({v["allowed_by"] for v in r["violations"]})
            lines.append(f"  allow-listed {r['name']}: " + " | ".join(reasons))
    for r in report["results"]:
        if r["status"] == "failing":
            lines.append(f"  FAILING {r['name']} (HTTP {r['statuses']}):")
            for v in r["violations"]:
                if v["allowed_by"] is None:
                    lines.append("    " + Violation(**v).short())
    for e in report["stale_allowlist_entries"]:
        lines.append(f"  STALE allow-list entry (matches nothing): {', '.join(entry_actions(e))} {e['location']}")
    return "\n".join(lines)


def now() -> float:
    return time.monotonic()
