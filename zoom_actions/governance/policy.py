"""Per-agent policies: which actions an agent may call, with which parameters.

A policy file (TOML; ``ZOOM_ACTIONS_POLICY`` or ``Toolkit(policy=PATH, agent=NAME)``)::

    [agents.scheduler]
    default = "deny"                       # what no rule decides: deny (the default) | allow
    [[agents.scheduler.rules]]
    name = "meetings-read"
    effect = "allow"                       # allow | deny | approve | dry-run
    actions = ["ZOOM_GET_A_MEETING", "ZOOM_LIST_*"]   # globs; also products, tags, annotations, scopes
    [agents.scheduler.rules.params]
    userId = "me"                          # a constant, or {in = [...]}, {max = N}, {min = N},
    duration = { max = 120 }               # {pattern = "..."}, {forbid = true}; a key may be a glob:
    "settings__*" = { forbid = true }      # no flat parameter under settings may be given

How a decision is made (``decide``): the agent's rules are read in order;
the **first rule that matches** decides. A rule matches a call when every
selector it has matches the action (an action glob, a product, a tag, an
annotation such as ``read_only`` or ``destructive``, a scope) and every
parameter constraint holds for the call's parameters. When no rule matches,
the agent's ``default`` decides (``deny`` unless it says ``allow``); an
agent the file does not name is denied everything. The decision names the
rule, and when a rule matched the action but not its parameters, says which
constraint failed.

What an agent sees (``visible``): an action is listed when the first rule
whose selectors match it, ignoring parameters, is not a ``deny`` without
parameter constraints (and, with no such rule, when the default allows). So
an agent does not see what it may never call, and does see an action it may
call with the right parameters.
"""

from __future__ import annotations

import fnmatch
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

EFFECTS = ("allow", "deny", "approve", "dry-run")
ANNOTATIONS = ("read_only", "destructive", "idempotent")
ENV = "ZOOM_ACTIONS_POLICY"


class PolicyError(ValueError):
    """A policy file that cannot be read; the message names the place."""


@dataclass(frozen=True)
class Decision:
    effect: str              # allow | deny | approve | dry-run
    agent: str
    rule: str | None         # the rule that decided, or None for the default
    reason: str              # one plain sentence

    @property
    def allowed(self) -> bool:
        return self.effect != "deny"


@dataclass
class Rule:
    name: str
    effect: str
    actions: list[str] = field(default_factory=list)
    products: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    annotations: list[str] = field(default_factory=list)
    scopes: list[str] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)
    mask: list[str] = field(default_factory=list)   # parameters the audit log masks (personal data)

    def selects(self, name: str, entry: dict) -> bool:
        if self.actions and not any(fnmatch.fnmatchcase(name, p) for p in self.actions):
            return False
        if self.products and entry["product"] not in self.products and not set(entry.get("also_in", ())) & set(self.products):
            return False
        if self.tags and not {t.lower() for t in self.tags} & {t.lower() for t in entry.get("tags", ())}:
            return False
        if self.annotations and not all(entry["annotations"].get(a) for a in self.annotations):
            return False
        if self.scopes and not set(self.scopes) & set(entry.get("scopes", ())):
            return False
        return True

    def violation(self, params: dict, accepted: list[str] | None = None) -> str | None:
        """Why ``params`` break this rule's constraints, or None. A constraint
        on a parameter the action does not take (``accepted``) does not apply."""
        for key, want in self.params.items():
            if any(c in key for c in "*?["):
                names = [k for k in params if fnmatch.fnmatchcase(k, key)]
            else:
                names = [key] if accepted is None or key in accepted else []
            for k in names:
                problem = _check(k, params.get(k, _ABSENT), want)
                if problem:
                    return problem
        return None


_ABSENT = object()


def _check(key: str, value: Any, want: Any) -> str | None:
    if not isinstance(want, dict):
        if value is _ABSENT or value != want:
            return f"`{key}` must be {want!r}" + ("" if value is _ABSENT else f" (got {value!r})")
        return None
    if want.get("forbid"):
        return f"`{key}` may not be given" if value is not _ABSENT else None
    if value is _ABSENT:
        return f"`{key}` is required by the policy" if want.get("required") else None
    if "in" in want and value not in want["in"]:
        return f"`{key}` must be one of {want['in']!r} (got {value!r})"
    for bound, ok in (("max", lambda v, b: v <= b), ("min", lambda v, b: v >= b)):
        if bound in want:
            try:
                if not ok(float(value), float(want[bound])):
                    return f"`{key}` must be at {'most' if bound == 'max' else 'least'} {want[bound]} (got {value!r})"
            except (TypeError, ValueError):
                return f"`{key}` must be a number (got {value!r})"
    if "pattern" in want and not re.fullmatch(want["pattern"], str(value)):
        return f"`{key}` must match {want['pattern']!r} (got {value!r})"
    return None


PERIODS = {"minute": 60, "hour": 3600, "day": 86400}


@dataclass
class Budget:
    """At most ``limit`` calls per ``per`` (minute, hour, or UTC day) of the
    actions it selects (by name glob or rate-limit label), for one agent,
    counted in the store so that every process shares the count."""
    name: str
    limit: int
    per: str
    actions: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)

    def selects(self, name: str, entry: dict) -> bool:
        if self.actions and not any(fnmatch.fnmatchcase(name, p) for p in self.actions):
            return False
        return not self.labels or (entry.get("rate_limit") or "MEDIUM") in self.labels

    def window(self, now: float) -> tuple[str, float]:
        """(the current window's id, when it ends): UTC days start at 00:00."""
        size = PERIODS[self.per]
        start = now - (now % size)
        return str(int(start)), start + size


@dataclass
class AgentPolicy:
    name: str
    default: str = "deny"
    rules: list[Rule] = field(default_factory=list)
    budgets: list[Budget] = field(default_factory=list)


class Policy:
    def __init__(self, agents: dict[str, AgentPolicy], source: str = "<policy>") -> None:
        self.agents = agents
        self.source = source

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Policy":
        import tomllib
        p = Path(path).expanduser()
        try:
            data = tomllib.loads(p.read_text())
        except FileNotFoundError:
            raise PolicyError(f"{p}: no such policy file") from None
        except tomllib.TOMLDecodeError as exc:
            raise PolicyError(f"{p}: not valid TOML ({exc})") from None
        return cls.from_dict(data, str(p))

    @classmethod
    def from_dict(cls, data: dict, source: str = "<policy>") -> "Policy":
        agents = {}
        for agent, body in (data.get("agents") or {}).items():
            where = f"{source}: agents.{agent}"
            if not isinstance(body, dict):
                raise PolicyError(f"{where} must be a table")
            default = body.get("default", "deny")
            if default not in ("allow", "deny"):
                raise PolicyError(f"{where}.default must be \"allow\" or \"deny\", not {default!r}")
            rules = []
            for i, r in enumerate(body.get("rules") or []):
                rw = f"{where}.rules[{i}]"
                unknown = set(r) - {"name", "effect", "actions", "products", "tags", "annotations", "scopes", "params",
                                    "mask"}
                if unknown:
                    raise PolicyError(f"{rw}: unknown key(s) {', '.join(sorted(unknown))}")
                if r.get("effect") not in EFFECTS:
                    raise PolicyError(f"{rw}.effect must be one of {', '.join(EFFECTS)}, not {r.get('effect')!r}")
                bad = [a for a in r.get("annotations", []) if a not in ANNOTATIONS]
                if bad:
                    raise PolicyError(f"{rw}.annotations: unknown {', '.join(bad)} (use {', '.join(ANNOTATIONS)})")
                lists = {k: _strings(r.get(k, []), f"{rw}.{k}") for k in ("actions", "products", "tags", "annotations",
                                                                          "scopes", "mask")}
                rules.append(Rule(name=str(r.get("name") or f"rule-{i + 1}"), effect=r["effect"],
                                  params=dict(r.get("params") or {}), **lists))
            budgets = []
            for i, b in enumerate(body.get("budgets") or []):
                bw = f"{where}.budgets[{i}]"
                if b.get("per") not in PERIODS:
                    raise PolicyError(f"{bw}.per must be one of {', '.join(PERIODS)}, not {b.get('per')!r}")
                if not isinstance(b.get("limit"), int) or b["limit"] < 0:
                    raise PolicyError(f"{bw}.limit must be a whole number of calls")
                budgets.append(Budget(str(b.get("name") or f"budget-{i + 1}"), b["limit"], b["per"],
                                      _strings(b.get("actions", []), f"{bw}.actions"),
                                      _strings(b.get("labels", []), f"{bw}.labels")))
            agents[agent] = AgentPolicy(agent, default, rules, budgets)
        return cls(agents, source)

    # --- decisions ---------------------------------------------------------------------

    def decide(self, agent: str, name: str, entry: dict, params: dict) -> Decision:
        pol = self.agents.get(agent)
        if pol is None:
            return Decision("deny", agent, None, f"agent {agent!r} is not in the policy ({self.source})")
        near = None
        for rule, decision in self._selecting(agent, name, entry):
            if not rule.params:
                return decision
            problem = rule.violation(params, entry.get("parameters"))
            if problem is None:
                return decision
            near = near or (rule, problem)
        why = f"no rule allows {name}"
        if near:
            why = f"rule {near[0].name!r} matched the action but {near[1]}"
        return Decision(pol.default, agent, None, f"{why}; the default is {pol.default}")

    def _selecting(self, agent: str, name: str, entry: dict) -> tuple:
        """The rules of ``agent`` that select ``name``, in order, each with the decision it gives: which
        rules select an action does not depend on the call, so it is worked out once per agent and action."""
        cache = self.__dict__.setdefault("_selected", {})
        hit = cache.get((agent, name))
        if hit is None:
            hit = cache[(agent, name)] = tuple(
                (rule, Decision(rule.effect, agent, rule.name, f"rule {rule.name!r} ({rule.effect})"))
                for rule in self.agents[agent].rules if rule.selects(name, entry))
        return hit

    def visible(self, agent: str, name: str, entry: dict) -> bool:
        pol = self.agents.get(agent)
        if pol is None:
            return False
        for rule in pol.rules:
            if rule.selects(name, entry):
                if rule.effect == "deny" and not rule.params:
                    return False
                if rule.effect != "deny":
                    return True
        return pol.default == "allow"

    def budgets_for(self, agent: str, name: str, entry: dict) -> list[Budget]:
        pol = self.agents.get(agent)
        return [b for b in (pol.budgets if pol else []) if b.selects(name, entry)]

    def masked(self, agent: str, name: str, entry: dict) -> frozenset[str]:
        """Parameters every selecting rule of ``agent`` marks personal (for the audit log); computed once
        per agent and action (a policy does not change once loaded)."""
        cache = self.__dict__.setdefault("_masked", {})
        hit = cache.get((agent, name))
        if hit is None:
            pol = self.agents.get(agent)
            out: set[str] = set()
            for rule in (pol.rules if pol else []):
                if rule.selects(name, entry):
                    out.update(rule.mask)
            hit = cache[(agent, name)] = frozenset(out)
        return hit

    # --- lint ---------------------------------------------------------------------------

    def lint(self, catalog) -> list[str]:
        """Names in the policy the catalog does not know: actions, products, tags, parameters."""
        from ..mcp_events import NAMES as EVENT_TOOLS, policy_entry
        problems = []
        extra = {n: policy_entry(n) for n in EVENT_TOOLS}   # the MCP event tools are governed too

        def entry_of(n: str) -> dict:
            return extra[n] if n in extra else catalog.entry(n)
        names = [*catalog.names(), *extra]
        products = set(catalog.products()) | {e["product"] for e in extra.values()}
        tags = {t.lower() for n in names for t in entry_of(n)["tags"]}
        for agent, pol in self.agents.items():
            for rule in pol.rules:
                where = f"agents.{agent} rule {rule.name!r}"
                for glob in rule.actions:
                    if not any(fnmatch.fnmatchcase(n, glob) for n in names):
                        from ..suggest import closest
                        hint = closest(glob, names)
                        problems.append(f"{where}: no action matches {glob!r}" + (f" (did you mean {', '.join(hint)}?)"
                                                                                  if hint else ""))
                for product in rule.products:
                    if product not in products:
                        problems.append(f"{where}: unknown product {product!r}")
                for tag in rule.tags:
                    if tag.lower() not in tags:
                        problems.append(f"{where}: no action has the tag {tag!r}")
                chosen = [n for n in names if rule.selects(n, entry_of(n))]
                for key in rule.params:
                    known = any(fnmatch.fnmatchcase(p, key) for n in chosen for p in entry_of(n)["parameters"])
                    if chosen and not known:
                        problems.append(f"{where}: no action it selects has a parameter {key!r}")
        return problems


def _strings(value: Any, where: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise PolicyError(f"{where} must be a list of strings")
    return list(value)


def load_policy(path: str | os.PathLike | None = None) -> Policy | None:
    """The policy at ``path``, else ``$ZOOM_ACTIONS_POLICY``, else None (no policy: no restriction)."""
    target = path or os.environ.get(ENV)
    return Policy.load(target) if target else None
