"""Section 4: throughput of 1,000 concurrent async calls through one Toolkit.

``ZOOM_GET_A_MEETING`` (rate-limit label LIGHT) against the loopback server,
started all at once with ``asyncio.gather``. Without the limiter the figure is
the client's ceiling; with it, calls are paced to the plan's per-second limit
for the label, so the figure to read is how close the achieved rate comes to
that cap (and that it never goes over it). Bare httpx and FastMCP run the same
1,000 calls for reference.
"""

from __future__ import annotations

import asyncio
import time

from . import ours
from .common import MEETING_ID, Context, NotAvailable, Section, Table, median, short_error
from .per_call import AUTH, _fastmcp_server
from .server import LoopbackServer

CALLS = 1000
NAME = "ZOOM_GET_A_MEETING"
LIMITED_PLAN = "business"  # 80 LIGHT calls a second: 1,000 calls in about 12 s


async def _gather(make_call, calls: int) -> float:
    t0 = time.perf_counter()
    results = await asyncio.gather(*(make_call() for _ in range(calls)), return_exceptions=True)
    took = time.perf_counter() - t0
    errors = [r for r in results if isinstance(r, BaseException)]
    if errors:
        raise RuntimeError(f"{len(errors)} of {calls} calls failed, first: {short_error(errors[0])}")
    return took


def _bare(base: str):
    import httpx
    client = httpx.AsyncClient(headers=AUTH)

    async def call():
        r = await client.get(f"{base}/meetings/{MEETING_ID}")
        r.raise_for_status()
        return r.json()
    return call


def _ours(base: str, limiter: str):
    tk = ours.make_toolkit(base, plan=LIMITED_PLAN if limiter == "paced" else None)
    if limiter == "unbound":
        ours.unbound_limiter(tk)

    async def call():
        return ours.check_envelope(await tk.aexecute(NAME, {"meetingId": MEETING_ID}))
    return call


def _fastmcp(ctx: Context, base: str):
    server = _fastmcp_server(ctx, base)

    async def call():
        return await server.call_tool("meeting", {"meetingId": MEETING_ID})
    return call


def run(ctx: Context) -> Section:
    section = Section(f"4. Throughput: {CALLS:,} concurrent async calls")
    calls = 200 if ctx.quick else CALLS
    reps = ctx.reps(3)
    table = Table(f"{calls:,} concurrent `{NAME}` calls, one client (median of {reps} unless said)",
                  ["client", "seconds", "calls / s", "vs bare httpx", "note"])
    with LoopbackServer() as server:
        base = server.base_url
        rows = [
            ("bare httpx AsyncClient", lambda: _bare(base), reps, ""),
            ("ours: aexecute, limiter off", lambda: _ours(base, "off"), reps, ""),
            ("ours: aexecute, limiter on, limits above the load", lambda: _ours(base, "unbound"), reps,
             "the limiter's bookkeeping without pacing"),
            (f"ours: aexecute, limiter on (plan {LIMITED_PLAN!r})", lambda: _ours(base, "paced"), 1, "paced"),
            ("FastMCP call_tool", lambda: _fastmcp(ctx, base), reps, ""),
        ]

        async def measure():
            bare_rate = None
            for label, make, n, kind in rows:
                try:
                    call = make()
                    await call()  # connect and warm up
                    times = [await _gather(call, calls) for _ in range(n)]
                except NotAvailable as exc:
                    table.unavailable(label, str(exc))
                    continue
                except Exception as exc:
                    table.unavailable(label, short_error(exc))
                    continue
                took = median(times)
                note = _cap_note(calls) if kind == "paced" else kind
                rate = calls / took
                bare_rate = bare_rate or rate
                table.add(label, f"{took:.2f}", f"{rate:,.0f}", f"{rate / bare_rate:.2f}x", note)
        asyncio.run(measure())
    table.notes.append("All calls started at once with `asyncio.gather` in one event loop, against the loopback "
                       "server in a child process. 'Limits above the load' keeps the limiter's reservation on "
                       "every call with limits no load here reaches: what the bookkeeping costs. With the "
                       f"{LIMITED_PLAN!r} plan the limiter paces LIGHT calls to Zoom's per-second limit, so that "
                       "row should sit just under the cap, never over it.")
    section.tables.append(table)
    return section


def _cap_note(calls: int) -> str:
    try:
        from zoom_actions.limiter import plan_limits
        limit, window = plan_limits(LIMITED_PLAN)["LIGHT"]
    except Exception:
        return "paced by the limiter"
    # a sliding window lets the first `limit` calls go at once, then `limit` per window
    floor = max(calls - limit, 0) / limit * window
    return f"cap {limit / window:.0f}/s for LIGHT: at least {floor:.1f} s for {calls} calls"
