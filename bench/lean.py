"""Section 8: lean answers and lean tool lists, before and after (issue 15, items 2 and 3).

A section of ``python -m bench`` (``--only lean``); ``python -m bench.lean``
prints its tables alone. Two tables:

1. tokens (o200k_base and cl100k_base from ``bpe-openai``, and the runtime's
   own estimate) of the answer to ``ZOOM_LIST_MEETINGS`` with 300 meetings
   (seeded in the in-process sandbox through the toolkit, read with
   ``page_size=300``) and to ``ZOOM_GET_A_MEETING``: the envelope as MCP's
   text content carried it before (``json.dumps`` with spaces), as it is now
   (compact), and with ``select=`` / ``budget=``;
2. ``tools/list`` bytes, as the official MCP client receives them (every page),
   for the default selection and for selections that fit the Cursor and VS Code
   profiles: before (each tool repeating the described envelope schema, no
   select/budget) and after (the envelope described once in the instructions,
   select/budget on every tool).
"""

from __future__ import annotations

import asyncio
import json
import sys
import warnings

from .common import Context, Goal, NotAvailable, Section, Table, short_error

OLD_ENVELOPE = {   # what every tool's outputSchema repeated before
    "type": "object",
    "properties": {
        "data": {"description": "Zoom's response body ({} for 204; {content, content_type} for non-JSON)."},
        "successful": {"type": "boolean", "description": "Whether Zoom accepted the call."},
        "error": {"type": ["string", "null"], "description": "Null on success; else what went wrong and what to do."},
    },
    "required": ["data", "successful", "error"],
}
LIST_SELECT = ["meetings[].id", "meetings[].topic", "meetings[].start_time", "next_page_token"]
GET_SELECT = ["id", "topic", "start_time", "duration", "timezone", "join_url"]


def _encoders():
    try:
        import bpe_openai
    except ImportError:
        raise NotAvailable("bpe-openai is not installed; `pip install -e '.[bench]'`") from None
    return {name: bpe_openai.get_encoding(name) for name in ("o200k_base", "cl100k_base")}


def token_rows(tk, encoders) -> list[tuple]:
    """(action, how, bytes, o200k, cl100k, estimate, meetings kept, budget asked, tokens of ``data``:
    the most of o200k, cl100k and the estimate) per answer."""
    from zoom_actions.shaping import estimate_tokens
    for i in range(300):
        env = tk.execute("ZOOM_CREATE_A_MEETING", {"userId": "me", "topic": f"Weekly sync {i}", "type": 2,
                                                   "start_time": "2031-03-01T10:00:00Z", "duration": 30})
        assert env["successful"], env["error"]
    listing = {"userId": "me", "page_size": 300}
    meeting = {"meetingId": tk.execute("ZOOM_LIST_MEETINGS", listing)["data"]["meetings"][0]["id"]}
    cases = [
        ("ZOOM_LIST_MEETINGS (300)", "before: whole, spaced JSON", listing, {}, True),
        ("ZOOM_LIST_MEETINGS (300)", "whole, compact JSON", listing, {}, False),
        ("ZOOM_LIST_MEETINGS (300)", f"select={LIST_SELECT}", listing, {"select": LIST_SELECT}, False),
        ("ZOOM_LIST_MEETINGS (300)", "budget=2000", listing, {"budget": 2000}, False),
        ("ZOOM_LIST_MEETINGS (300)", "select + budget=2000", listing, {"select": LIST_SELECT, "budget": 2000}, False),
        ("ZOOM_GET_A_MEETING", "before: whole, spaced JSON", meeting, {}, True),
        ("ZOOM_GET_A_MEETING", "whole, compact JSON", meeting, {}, False),
        ("ZOOM_GET_A_MEETING", f"select={GET_SELECT}", meeting, {"select": GET_SELECT}, False),
        ("ZOOM_GET_A_MEETING", "budget=300", meeting, {"budget": 300}, False),
    ]
    rows = []
    for action, label, params, shaping, spaced in cases:
        env = tk.execute(action.split()[0], params, **shaping)
        assert env["successful"], env["error"]
        text = json.dumps(env, ensure_ascii=False) if spaced else json.dumps(env, ensure_ascii=False,
                                                                              separators=(",", ":"))
        data = env["data"]
        kept = len(data.get("meetings", data.get("items", []))) if isinstance(data, dict) else "-"
        # a budget caps ``data`` (compact JSON), not the envelope around it
        body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        data_tokens = max(estimate_tokens(body), *(len(e.encode(body)) for e in encoders.values()))
        rows.append((action, label, len(text.encode()), *(len(e.encode(text)) for e in encoders.values()),
                     estimate_tokens(text), kept if action.startswith("ZOOM_LIST") else "-",
                     shaping.get("budget"), data_tokens))
    return rows


def _listed_bytes(server) -> tuple[int, int]:
    from mcp import Client

    async def go():
        async with Client(server.server) as client:
            size, count, cursor = 0, 0, None
            while True:
                page = await (client.list_tools(cursor=cursor) if cursor else client.list_tools())
                size += len(page.model_dump_json(by_alias=True, exclude_none=True))
                count += len(page.tools)
                cursor = page.next_cursor
                if not cursor:
                    return count, size
    return asyncio.run(go())


def _as_before(server) -> None:
    """The server's tools as they were listed before: no select/budget, the described envelope on each."""
    from zoom_actions.adapters import build_tools
    if server.discovery:
        return
    tools = build_tools(server.toolkit, format="mcp", names=server.names, description=server.description,
                        on_unrepresentable="skip", governed=False, shaping=False)
    for tool in tools:
        tool["outputSchema"] = OLD_ENVELOPE
    server._tools = [server.types.Tool.model_validate(t) for t in tools]


def listing_rows(tk) -> list[tuple]:
    try:
        from zoom_actions.mcp_server import build_server
    except ImportError as exc:
        raise NotAvailable(f"the MCP server cannot be imported ({exc.name}); `pip install -e '.[bench]'`") from None
    selections = [
        ("default selection", "default", {}),
        ("default selection", "cursor", {}),
        ("default selection", "vscode", {}),
        ("--product meetings --limit 40", "cursor", {"products": "meetings", "limit": 40}),
        ("--product meetings --limit 128", "vscode", {"products": "meetings", "limit": 128}),
        ("--product meetings (185, paged)", "full", {"products": "meetings"}),
    ]
    rows = []
    for label, profile, selection in selections:
        after = build_server(tk, profile=profile, **selection)
        count, after_bytes = _listed_bytes(after)
        before = build_server(tk, profile=profile, **selection)
        wide = len(before.names) > (40 if profile == "cursor" else 128) and profile != "full"
        if not wide:   # served as tools: the old listing differs; as discovery it did not
            _as_before(before)
        _, before_bytes = _listed_bytes(before)
        rows.append((label, profile, len(after.names), count, before_bytes, after_bytes))
    return rows


def _sandbox(ctx: Context):
    """A toolkit on the in-process sandbox, over the catalog the bench was pointed at."""
    from zoom_actions import Toolkit, load_catalog
    return Toolkit(sandbox=True, catalog=load_catalog(ctx.catalog_dir))


TOKEN_HEADERS = ["answer", "how", "bytes", "o200k", "cl100k", "estimate", "meetings kept"]
LISTING_HEADERS = ["selection", "profile", "actions", "tools listed", "bytes before", "bytes after"]


def _token_table(ctx: Context, section: Section) -> None:
    table = Table("Answer tokens (the envelope as MCP text content; o200k and cl100k from bpe-openai, "
                  "estimate: the runtime's own)", TOKEN_HEADERS)
    section.tables.append(table)
    budget_goal = ("with budget=N the answer's data is at most N tokens (the most of o200k, cl100k "
                   "and the runtime's estimate)")
    try:
        encoders = _encoders()
        with _sandbox(ctx) as tk:
            rows = token_rows(tk, encoders)
    except Exception as exc:
        table.unavailable("all", str(exc) if isinstance(exc, NotAvailable) else short_error(exc))
        section.goals.append(Goal(budget_goal, "not available", None))
        return
    for row in rows:
        table.add(*row[:-2])
    table.notes.append("300 meetings seeded in the in-process sandbox through the toolkit, listed with "
                       "`page_size=300`. Counted: the whole envelope; 'before' is `json.dumps(envelope)` as MCP "
                       "text content carried it, the other rows compact JSON, as now. A budget caps `data`.")
    budgeted = [(r[0].split()[0], r[1], r[-2], r[-1]) for r in rows if r[-2]]
    over = [f"{name} {how}: {used} > {budget}" for name, how, budget, used in budgeted if used > budget]
    measured = "; ".join(f"{name} {how}: {used}" for name, how, budget, used in budgeted)
    section.goals.append(Goal(budget_goal, measured, not over, "; ".join(over)))


def _listing_table(ctx: Context, section: Section) -> None:
    table = Table("tools/list bytes (official MCP client, every page)", LISTING_HEADERS)
    section.tables.append(table)
    smaller_goal = "tools/list no larger after (envelope described once, select/budget added) than before"
    try:
        with _sandbox(ctx) as tk:
            rows = listing_rows(tk)
    except Exception as exc:
        table.unavailable("all", str(exc) if isinstance(exc, NotAvailable) else short_error(exc))
        section.goals.append(Goal(smaller_goal, "not available", None))
        return
    for row in rows:
        table.add(*row)
    table.notes.append("Before: each tool repeating the described envelope as its outputSchema, no select/budget. "
                       "A selection wider than the profile's tool limit is served as discovery tools, "
                       "the same before and after.")
    larger = [f"{r[0]} ({r[1]}): {r[5]} > {r[4]}" for r in rows if r[5] > r[4]]
    worst = max(rows, key=lambda r: r[5] / r[4])
    measured = f"after/before at most {worst[5] / worst[4]:.3f}x ({worst[0]}, {worst[1]})"
    section.goals.append(Goal(smaller_goal, measured, not larger, "; ".join(larger)))


def run(ctx: Context) -> Section:
    section = Section("8. Lean answers and tool lists (select=, budget=)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # the sandbox and MCP server warn about nothing measured here
        _token_table(ctx, section)
        _listing_table(ctx, section)
    return section


def main() -> int:
    from zoom_actions.catalog import default_catalog_dir

    from .__main__ import table_lines
    section = run(Context(spec_dir=None, catalog_dir=default_catalog_dir()))
    for table in section.tables:
        print("\n".join(table_lines(table)))
    for goal in section.goals:
        print(f"- {goal.text}: {goal.measured} ({'met' if goal.met else 'MISSED' if goal.met is False else 'n/a'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
