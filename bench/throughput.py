"""Section 4: throughput of 1,000 concurrent async calls through one Toolkit.

``ZOOM_GET_A_MEETING`` (rate-limit label LIGHT) against the loopback server,
started all at once with ``asyncio.gather``. Without the limiter the figure is
the client's ceiling; with it, calls are paced to the plan's per-second limit
for the label, so the figure to read is how close the achieved rate comes to
that cap (and that it never goes over it). Bare httpx and FastMCP run the same
1,000 calls for reference, and the "fresh" rows show what such a burst does to a
client that has no connection yet.
"""

from __future__ import annotations

import asyncio
import logging
import time

from . import ours
from .common import MEETING_ID, Context, NotAvailable, Section, Table, median, short_error
from .per_call import AUTH, _fastmcp_server
from .server import LoopbackServer

CALLS = 1000
NAME = "ZOOM_GET_A_MEETING"
LIMITED_PLAN = "business"  # 80 LIGHT calls a second: 1,000 calls in about 12 s


async def _gather(make_call, calls: int, limit_s: float = 60.0) -> float:
    t0 = time.perf_counter()
    try:
        results = await asyncio.wait_for(
            asyncio.gather(*(make_call() for _ in range(calls)), return_exceptions=True), limit_s)
    except asyncio.TimeoutError:
        raise RuntimeError(f"stalled: not done after {limit_s:.0f} s") from None
    took = time.perf_counter() - t0
    errors = [r for r in results if isinstance(r, BaseException)]
    if errors:
        raise RuntimeError(f"{len(errors)} of {calls} calls failed after {took:.1f} s, first: {short_error(errors[0])}")
    return took


def _bare(base: str, cap: int | None = None):
    import httpx
    client = httpx.AsyncClient(headers=AUTH)
    gate = asyncio.Semaphore(cap) if cap else None

    async def get():
        r = await client.get(f"{base}/meetings/{MEETING_ID}")
        r.raise_for_status()
        return r.json()

    async def call():
        if gate is None:
            return await get()
        async with gate:
            return await get()
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


SLOW_S = 10.0  # a run slower than this (or failing) is reported and not repeated


def run(ctx: Context) -> Section:
    section = Section(f"4. Throughput: {CALLS:,} concurrent async calls")
    calls = 200 if ctx.quick else CALLS
    reps = ctx.reps(3)
    table = Table(f"{calls:,} concurrent `{NAME}` calls through one client ({reps} interleaved runs unless said)",
                  ["client", "runs", "median s", "worst s", "calls / s", "vs bare httpx", "note"])
    quiet = logging.getLogger("zoom_actions")
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # a stalled burst makes the runtime log a resend per pool time-out
    try:
        with LoopbackServer() as server:
            asyncio.run(_measure(ctx, server.base_url, calls, reps, table))
    finally:
        quiet.setLevel(level)
    table.notes.append(
        "All calls start at once (`asyncio.gather`) in one event loop, against the loopback server in a child "
        "process; each client first makes one call (except the fresh Toolkit). 'In flight capped' puts an "
        "`asyncio.Semaphore` the size of httpx's pool (100) in front of it. 'Limits above the load' keeps the "
        "limiter's reservation on every call with limits no load here reaches: what its bookkeeping costs. With "
        f"the {LIMITED_PLAN!r} plan the limiter paces LIGHT calls to Zoom's per-second limit: that row should sit "
        f"just under the cap, never over it. A run slower than {SLOW_S:.0f} s or with failures is reported and "
        "that row is not run again (each run is capped at 60 s).")
    table.notes.append(
        "Why a burst can stall: when more requests wait than the pool has connections, httpcore rescans the "
        "whole queue against every connection on every response (`AsyncConnectionPool."
        "_assign_requests_to_connections`, the top of a pyinstrument profile of such a burst). The cost grows "
        "with the square of the queue, the event loop starves, and requests reach their connect or pool "
        "time-outs (httpx's default 5 s: calls fail; the Toolkit's 30 s: it resends and finishes late). It "
        "strikes most often on a client with no connection yet, and sometimes on a warm one. A semaphore sized "
        "to the pool keeps the queue inside httpcore short, as the capped row shows.")
    section.tables.append(table)
    return section


async def _measure(ctx: Context, base: str, calls: int, reps: int, table: Table) -> None:
    rows = [  # (label, make, repeat, warm up, note)
        ("bare httpx AsyncClient", lambda: _bare(base), True, True, ""),
        ("bare httpx, in flight capped at its pool size", lambda: _bare(base, cap=100), True, True, ""),
        ("ours: aexecute, limiter off", lambda: _ours(base, "off"), True, True, ""),
        ("ours: aexecute, limiter on, limits above the load", lambda: _ours(base, "unbound"), True, True,
         "the limiter's bookkeeping without pacing"),
        ("FastMCP call_tool", lambda: _fastmcp(ctx, base), True, True, ""),
        (f"ours: aexecute, limiter on (plan {LIMITED_PLAN!r})", lambda: _ours(base, "paced"), False, True,
         _cap_note(calls)),
        ("ours: aexecute, fresh Toolkit (no connection yet)", lambda: _ours(base, "off"), False, False, ""),
    ]
    ready: dict = {}
    times: dict[str, list[float]] = {r[0]: [] for r in rows}
    trouble: dict[str, str] = {}
    for label, make, _, warm, _ in rows:
        try:
            call = make()
            if warm:
                await call()
            ready[label] = call
        except NotAvailable as exc:
            trouble[label] = f"not available: {exc}"
        except Exception as exc:
            trouble[label] = f"not available: {short_error(exc)}"

    async def one_run(label: str, limit_s: float) -> None:
        try:
            took = await _gather(ready[label], calls, limit_s)
            times[label].append(took)
            if took > SLOW_S and label not in trouble and "paced" not in label and "plan" not in label:
                trouble[label] = f"run {len(times[label])} took {took:.1f} s; not repeated"
        except Exception as exc:
            trouble[label] = f"run {len(times[label]) + 1}: {short_error(exc)}; not repeated"

    for _ in range(reps):
        for label, _, repeat, _, _ in rows:
            if repeat and label in ready and label not in trouble:
                await one_run(label, 60.0)
    for label, _, repeat, _, _ in rows:
        if not repeat and label in ready:
            await one_run(label, 600.0 if "plan" in label else 60.0)

    bare = times.get("bare httpx AsyncClient")
    bare_rate = calls / median(bare) if bare else None
    for label, _, _, _, note in rows:
        ts = times[label]
        note = "; ".join(x for x in (note, trouble.get(label, "")) if x)
        if not ts:
            table.add(label, "0", "", "", "", "", note or "no runs")
            continue
        rate = calls / median(ts)
        table.add(label, len(ts), f"{median(ts):.2f}", f"{max(ts):.2f}", f"{rate:,.0f}",
                  f"{rate / bare_rate:.2f}x" if bare_rate else "", note)


def _cap_note(calls: int) -> str:
    try:
        from zoom_actions.limiter import plan_limits
        limit, window = plan_limits(LIMITED_PLAN)["LIGHT"]
    except Exception:
        return "paced by the limiter"
    # a sliding window lets the first `limit` calls go at once, then `limit` per window
    floor = max(calls - limit, 0) / limit * window
    return f"cap {limit / window:.0f}/s for LIGHT: at least {floor:.1f} s for {calls} calls"
