"""Lean answers and lean tool lists, before and after (issue 15, items 2 and 3).

``python -m bench.lean`` prints two tables:

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
    import bpe_openai
    return {name: bpe_openai.get_encoding(name) for name in ("o200k_base", "cl100k_base")}


def token_rows(tk, encoders) -> list[tuple]:
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
        rows.append((action, label, len(text.encode()), *(len(e.encode(text)) for e in encoders.values()),
                     estimate_tokens(text), kept if action.startswith("ZOOM_LIST") else "-"))
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
    from zoom_actions.mcp_server import build_server
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


def _table(headers, rows) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def main() -> int:
    warnings.simplefilter("ignore")
    from zoom_actions import Toolkit
    encoders = _encoders()
    with Toolkit(sandbox=True) as tk:
        print("## Answer tokens (the envelope as MCP text content)\n")
        print(_table(["answer", "how", "bytes", "o200k", "cl100k", "estimate", "meetings kept"],
                     token_rows(tk, encoders)))
    with Toolkit(sandbox=True) as tk:
        print("\n## tools/list bytes (official MCP client, every page)\n")
        print(_table(["selection", "profile", "actions", "tools listed", "bytes before", "bytes after"],
                     listing_rows(tk)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
