"""Lean answers: ``select=`` keeps the parts of an answer an agent needs,
``budget=`` caps its size in tokens.

``select`` is a JMESPath expression (``"meetings[].{id: id, topic: topic}"``)
or a list of field paths (``["meetings[].id", "meetings[].topic",
"next_page_token"]``: dotted names, ``[]`` after a list). Both apply to the
envelope's ``data`` of a successful answer. Both are checked before anything
is sent: a JMESPath expression must parse; a field path must name fields the
action's documented answer has (where the documentation lists them; a field
Zoom returns but does not document can be reached with JMESPath, which is not
checked against the documentation).

``budget`` is the most tokens ``data`` may take. Over budget, a list answer
keeps its first items that fit; any other answer keeps its top-level scalar
fields that fit. Either way ``data["_truncated"]`` says what was left out and
how to get it (Zoom's ``next_page_token``, a smaller ``page_size``, a
narrower ``select`` or a larger budget). The envelope keeps its shape
``{data, successful, error}``; a ``data`` that is not an object comes back as
``{"items": [...], "_truncated": ...}`` (a list) or ``{"value": ...,
"_truncated": ...}`` (a long string) when it is cut, so the note always sits
at the same place: ``data["_truncated"]``.

Tokens are estimated, not counted with a model's tokenizer (none ships with
the runtime, and each model has its own): :func:`estimate_tokens` reads the
compact JSON by runs of letters, digits and punctuation. Measured against
OpenAI's o200k and cl100k on Zoom answers (``bench/lean.py``) it counts 0-30%
more than they do, so an answer within the estimate is within the budget.

The names ``select`` and ``budget`` are reserved beside an action's own
parameters: tool definitions offer them on every action (``response_args``),
and ``Toolkit.execute`` takes them from ``params`` as well as from its
keyword arguments, unless the action has a parameter of that name itself (no
Zoom action has today; the action's own parameter would win). Actions Zoom
documents as answering 204 No Content have nothing to shape: their tool
definitions do not offer the two (together they cost a model ~50 tokens per tool).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from .errors import InputError
from .schema import declared_types

RESERVED = ("select", "budget")
MIN_BUDGET = 100
MAX_SELECT_CHARS = 2_000
NOTE_KEY = "_truncated"

# Short on purpose: they sit in every tool definition (MCP's instructions say more, once).
SELECT_SCHEMA = {
    "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}],
    "description": "Answer fields to keep: paths like [\"meetings[].id\"], or JMESPath.",
}
BUDGET_SCHEMA = {"type": "integer", "description": "Max answer tokens; a longer list is cut."}

# --- token estimate -----------------------------------------------------------------

_RUNS = re.compile(r"[A-Za-z]+|\d+|[^\sA-Za-z\d]+|\s+")


def estimate_tokens(text: str) -> int:
    """A cheap over-estimate of a BPE tokenizer's count: a word is one token per
    8 letters begun, digits go by three, punctuation by two, a space joins the
    next token (calibrated on Zoom's answers against o200k and cl100k)."""
    n = 0
    for m in _RUNS.finditer(text):
        run = m.group()
        c = run[0]
        if c.isascii() and c.isalpha():
            n += 1 + len(run) // 8
        elif c.isdigit():
            n += (len(run) + 2) // 3
        elif c.isspace():
            n += len(run) > 1
        else:
            n += (len(run) + 1) // 2
    return n


def dumps(value: Any) -> str:
    """The compact JSON a budget is counted on."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


def tokens_of(value: Any) -> int:
    return estimate_tokens(dumps(value))


# --- what a call asks for -------------------------------------------------------------

_SEGMENT = re.compile(r"^([^.\[\]\s]+)(\[\])?$")


@dataclass(frozen=True)
class Shaping:
    """A call's ``select`` (compiled) and ``budget``."""
    select: Any = None          # a compiled JMESPath expression, or a field tree (dict), or None
    budget: int | None = None
    text: str | None = None     # the select as given, for notes

    def apply(self, envelope: dict, plan=None) -> dict:
        """The envelope with ``data`` selected and fitted to the budget (successful answers only)."""
        if not (type(envelope) is dict and envelope.get("successful")):
            return envelope
        data = envelope.get("data")
        problem = None
        if self.select is not None:
            try:
                data = _pick(data, self.select) if isinstance(self.select, dict) else self.select.search(data)
            except Exception as exc:   # a JMESPath function given the wrong type of value, say
                problem = f"select {self.text!r} failed on this answer ({exc}); data is the whole answer"
        if self.budget is not None:
            data = fit(data, self.budget, plan, self.text)
        if problem:
            data = dict(data) if isinstance(data, dict) else {"value": data}
            data["_select_error"] = problem
        return {**envelope, "data": data}


def split_params(action: dict | None, params: Any) -> tuple[Any, dict]:
    """``params`` without the reserved keys (unless the action has such a
    parameter itself), and those keys' values."""
    if not isinstance(params, dict) or not any(k in params for k in RESERVED):
        return params, {}
    own = ((action or {}).get("input_schema") or {}).get("properties") or {}
    taken = {k: params[k] for k in RESERVED if k in params and k not in own}
    if not taken:
        return params, {}
    return {k: v for k, v in params.items() if k not in taken}, taken


def parse(select: Any = None, budget: Any = None, action: dict | None = None) -> Shaping | None:
    """A checked :class:`Shaping`, or None when neither is given. Raises
    ``InputError`` naming what is wrong (before anything is sent)."""
    if select is None and budget is None:
        return None
    problems: list[tuple[str, str]] = []
    compiled = None
    if select is not None:
        try:
            compiled = _compile(select, action)
        except ValueError as exc:
            problems.append(("select", str(exc)))
    if budget is not None:
        if isinstance(budget, float) and budget.is_integer():
            budget = int(budget)   # some providers send every number as a float
        if isinstance(budget, bool) or not isinstance(budget, int):
            problems.append(("budget", f"must be a whole number of tokens, not {type(budget).__name__}"))
        elif budget < MIN_BUDGET:
            problems.append(("budget", f"must be at least {MIN_BUDGET} tokens (got {budget}); the note on "
                                       "what was left out needs room too"))
    if problems:
        raise InputError(problems)
    text = select if isinstance(select, str) else (json.dumps(select) if select is not None else None)
    return Shaping(compiled, budget, text)


def _compile(select: Any, action: dict | None):
    if isinstance(select, str):
        expr = select.strip()
        if not expr:
            raise ValueError("is empty; give a JMESPath expression or a list of field paths")
        if len(expr) > MAX_SELECT_CHARS:
            raise ValueError(f"is longer than {MAX_SELECT_CHARS} characters")
        import jmespath
        from jmespath.exceptions import JMESPathError
        try:
            return jmespath.compile(expr)
        except JMESPathError as exc:
            detail = " ".join(str(exc).split())
            raise ValueError(f"{expr[:200]!r} is not a valid JMESPath expression ({detail})") from None
    if isinstance(select, (list, tuple)):
        if not select:
            raise ValueError("is an empty list; name at least one field path, e.g. \"meetings[].id\"")
        if sum(len(str(p)) for p in select) > MAX_SELECT_CHARS:
            raise ValueError(f"is longer than {MAX_SELECT_CHARS} characters")
        tree: dict = {}
        for path in select:
            segments = _segments(path)
            _check_documented(path, segments, action)
            _add(tree, segments)
        return tree
    raise ValueError(f"must be a JMESPath expression (a string) or a list of field paths, not "
                     f"{type(select).__name__}")


def _segments(path: Any) -> list[tuple[str, bool]]:
    if not isinstance(path, str) or not path.strip():
        raise ValueError(f"field path {path!r} is not a non-empty string")
    out = []
    for part in path.strip().split("."):
        m = _SEGMENT.match(part)
        if not m:
            raise ValueError(f"field path {path!r} is not dotted names with [] after a list, like "
                             "\"meetings[].topic\" (for anything else pass one JMESPath expression)")
        out.append((m.group(1), bool(m.group(2))))
    return out


def _add(tree: dict, segments: list[tuple[str, bool]]) -> None:
    node = tree
    for i, (name, _) in enumerate(segments):
        last = i == len(segments) - 1
        if node.get(name) is True:   # the whole field is kept already
            return
        if last:
            node[name] = True
            return
        node = node.setdefault(name, {})


def _pick(value: Any, tree: dict | bool) -> Any:
    if tree is True:
        return value
    if isinstance(value, list):   # a path goes through lists, with or without []
        return [_pick(v, tree) for v in value]
    if isinstance(value, dict):
        return {k: _pick(value[k], sub) for k, sub in tree.items() if k in value}
    return value


# --- field paths against the documented answer ---------------------------------------

def _options(node: Any) -> list[dict]:
    """A schema node and its union branches (what a value there may be)."""
    if not isinstance(node, dict):
        return []
    out = [node]
    for key in ("anyOf", "oneOf", "allOf"):
        for branch in node.get(key) or ():
            out.extend(_options(branch))
    return out


def _check_documented(path: str, segments: list[tuple[str, bool]], action: dict | None) -> None:
    """Raise when the documented answer lists its fields and ``path`` names one it does not have."""
    schema = ((action or {}).get("output_schema") or {}).get("properties", {}).get("data")
    nodes = _options(schema)
    for depth, (name, _) in enumerate(segments):
        # through arrays: their items are what a name looks into
        nodes = [o for n in nodes for o in (_options(n.get("items")) if "items" in n else [n])]
        props: dict = {}
        open_ended = not nodes
        for n in nodes:
            if "properties" not in n and any(k in n for k in ("anyOf", "oneOf", "allOf")):
                continue   # a union's wrapper: its branches are in `nodes` too
            types = declared_types(n)
            if "properties" in n:
                props.update(n["properties"] or {})
                open_ended |= n.get("additionalProperties") not in (None, False)
            elif not types or "object" in types:
                open_ended = True   # a free-form object, or anything at all
        if name in props:
            nodes = _options(props[name])
            continue
        if open_ended or not props:
            return   # undocumented territory: nothing to check against
        from .suggest import closest
        hint = closest(name, list(props))
        where = ".".join(s for s, _ in segments[:depth]) or "the answer"
        raise ValueError(
            f"field path {path!r}: {where} has no field {name!r} in {action['name']}'s documented answer"
            + (f" (did you mean {', '.join(map(repr, hint))}?)" if hint else f" (its fields: {', '.join(list(props)[:15])})")
            + "; for a field Zoom returns but does not document, pass a JMESPath expression")


# --- fitting an answer into a budget --------------------------------------------------

def fit(data: Any, budget: int, plan=None, select_text: str | None = None) -> Any:
    """``data`` within ``budget`` estimated tokens, with a note when cut."""
    full = tokens_of(data)
    if full <= budget:
        return data
    if isinstance(data, list):
        return _fit_list({"items": data}, "items", budget, full, plan, select_text, wrapped=True)
    if isinstance(data, dict):
        key = _list_key(plan, data)
        if key is not None:
            return _fit_list(data, key, budget, full, plan, select_text)
        return _fit_fields(data, budget, full, select_text)
    if isinstance(data, str):
        return _fit_string(data, budget, full)
    return data   # a number or a boolean is never over any budget worth having


def _list_key(plan, data: dict) -> str | None:
    """The list a list answer is about: the action's paged list field, else a
    list holding most of the answer (a meeting's ``occurrences`` beside its
    settings do not make it a list answer)."""
    key = getattr(plan, "list_field", None)
    if key is not None and isinstance(data.get(key), list):
        return key
    lists = [(tokens_of(v), k) for k, v in data.items() if isinstance(v, list) and v]
    if not lists:
        return None
    size, key = max(lists)
    return key if size * 2 > tokens_of(data) else None


def _is_scalar(v: Any) -> bool:
    return v is None or isinstance(v, (str, int, float, bool))


def _params_of(plan) -> dict:
    action = getattr(plan, "action", None) or {}
    return (action.get("input_schema") or {}).get("properties") or {}


def _example_select(key: str, items: list, data: dict) -> list[str]:
    first = next((i for i in items if isinstance(i, dict)), None)
    if first is None:
        return []
    wanted = ("id", "uuid", "name", "topic", "email", "display_name", "start_time", "type", "status")
    fields = [f for f in wanted if f in first][:3] or list(first)[:2]
    out = [f"{key}[].{f}" for f in fields]
    if data.get("next_page_token"):
        out.append("next_page_token")
    return out


def _fit_list(data: dict, key: str, budget: int, full: int, plan, select_text, wrapped: bool = False) -> dict:
    items = data[key]
    rest = {k: v for k, v in data.items() if k != key}
    note = _list_note(data, key, len(items), len(items), budget, full, plan, select_text, wrapped)
    left_out_fields: list[str] = []
    if tokens_of({**rest, key: [], NOTE_KEY: note}) > budget:   # the fields beside the list do not fit either
        rest, left_out_fields = _scalars_that_fit(rest, budget - tokens_of({key: [], NOTE_KEY: note}))
    base = tokens_of({**rest, key: [], NOTE_KEY: note})
    room = budget - base
    costs = [tokens_of(item) + 1 for item in items]   # +1: the comma between items
    kept, used = 0, 0
    while kept < len(items) and used + costs[kept] <= room:
        used += costs[kept]
        kept += 1
    while True:   # the note's numbers change with `kept`; check the whole, step back if needed
        note = _list_note(data, key, kept, len(items), budget, full, plan, select_text, wrapped)
        if left_out_fields:
            note["left_out_fields"] = left_out_fields
        out = {**rest, key: items[:kept], NOTE_KEY: note}
        if kept == 0 or tokens_of(out) <= budget:
            return out
        kept -= 1


def _list_note(data, key, kept, total, budget, full, plan, select_text, wrapped) -> dict:
    left = total - kept
    label = "the answer" if wrapped else f"`{key}`"
    note: dict = {} if wrapped else {"list": key}
    note.update(kept=kept, left_out=left, budget=budget, estimated_tokens=full)
    token = data.get("next_page_token")
    ways = []
    if "page_size" in _params_of(plan) and kept:
        ways.append(f"call again with page_size={kept} and follow each page's next_page_token, so every page fits")
    if isinstance(token, str) and token:
        note["next_page_token"] = token
        ways.append("next_page_token continues after this whole page (past the items left out here)")
    example = _example_select(key, data[key], data) if not wrapped else []
    narrower = "select only the fields you need" + (
        f", e.g. select={json.dumps(example)}" if example and not select_text else "")
    ways.append(narrower)
    ways.append("or pass a larger budget")
    note["how"] = (f"{left} of the {total} items of {label} were left out to fit budget={budget} "
                   f"(the whole answer is about {full} tokens). To get them: " + "; ".join(ways) + ".")
    return note


def _scalars_that_fit(data: dict, room: int) -> tuple[dict, list[str]]:
    kept, left_out, used = {}, [], 2
    for k, v in data.items():
        cost = tokens_of({k: v}) if _is_scalar(v) else None
        if cost is not None and used + cost <= room:
            kept[k] = v
            used += cost
        else:
            left_out.append(k)
    return kept, left_out


def _fit_fields(data: dict, budget: int, full: int, select_text) -> dict:
    def note_for(left_out: list[str]) -> dict:
        shown = left_out[:30]
        example = [f for f in left_out if isinstance(data.get(f), dict)][:1]
        hint = (f"select them by path, e.g. select=[\"{example[0]}\"]" if example else
                f"select them by path, e.g. select={json.dumps(shown[:2])}") if not select_text else \
            "narrow the select"
        return {"left_out_fields": shown + ([f"... {len(left_out) - 30} more"] if len(left_out) > 30 else []),
                "budget": budget, "estimated_tokens": full,
                "how": f"Only the top-level scalar fields that fit budget={budget} were kept (the whole answer is "
                       f"about {full} tokens). To get the rest: {hint}; or pass a larger budget."}
    _, provisional = _scalars_that_fit(data, budget)
    kept, left_out = _scalars_that_fit(data, budget - tokens_of({NOTE_KEY: note_for(provisional)}) - 5)
    out = {**kept, NOTE_KEY: note_for(left_out)}
    while len(kept) and tokens_of(out) > budget:   # the note grew: give back the last field
        last = next(reversed(kept))
        del kept[last]
        left_out.append(last)
        out = {**kept, NOTE_KEY: note_for(left_out)}
    return out


def _fit_string(text: str, budget: int, full: int) -> dict:
    note = {"budget": budget, "estimated_tokens": full, "how": ""}
    room = budget - tokens_of({"value": "", NOTE_KEY: {**note, "how": "x" * 160}})
    lo, hi = 0, len(text)
    while lo < hi:   # the longest prefix that fits
        mid = (lo + hi + 1) // 2
        if estimate_tokens(dumps(text[:mid])) <= room:
            lo = mid
        else:
            hi = mid - 1
    note["kept_chars"], note["left_out_chars"] = lo, len(text) - lo
    note["how"] = (f"The text was cut after {lo} of {len(text)} characters to fit budget={budget}; "
                   "pass a larger budget for more.")
    return {"value": text[:lo], NOTE_KEY: note}


# --- tool definitions -----------------------------------------------------------------

def answers_content(action: dict | None) -> bool:
    """Whether the action answers with a body to shape (not Zoom's documented 204 No Content)."""
    return (action or {}).get("success_status") != 204


def response_args(schema: dict, action: dict | None = None) -> dict:
    """``schema`` (an action's flat input schema) with the optional ``select``
    and ``budget`` properties a tool call may add: on every action that
    answers with content, and not where the action has a parameter of that
    name itself."""
    if not answers_content(action):
        return schema
    props = schema.get("properties")
    props = dict(props) if isinstance(props, dict) else {}
    added = {k: v for k, v in (("select", SELECT_SCHEMA), ("budget", BUDGET_SCHEMA)) if k not in props}
    if not added:
        return schema
    out = dict(schema)
    out.setdefault("type", "object")
    out["properties"] = {**props, **json.loads(json.dumps(added))}
    return out


def for_call(action: dict | None, params: Any, select: Any = None,
             budget: Any = None) -> tuple[Any, Shaping | None, list[tuple[str, str]] | None]:
    """What ``Toolkit.execute`` needs: the params without the reserved keys,
    the checked shaping (keyword arguments win over the keys in params), or
    the problems that end the call before anything is sent."""
    params, taken = split_params(action, params)
    select = select if select is not None else taken.get("select")
    budget = budget if budget is not None else taken.get("budget")
    try:
        return params, parse(select, budget, action), None
    except InputError as exc:
        return params, None, exc.problems
