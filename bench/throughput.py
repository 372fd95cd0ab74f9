"""Section 4: throughput of 1,000 concurrent async calls through one Toolkit.

``ZOOM_GET_A_MEETING`` (rate-limit label LIGHT) against the loopback server,
started all at once with ``asyncio.gather``. Without the limiter the figure is
the client's ceiling; with it, calls are paced to the plan's per-second limit
for the label, so the figure to read is how close the achieved rate comes to
that cap (and that it never goes over it). Bare httpx and FastMCP run the same
1,000 calls for reference.

Each run is a child process of its own (the server stays up in another): a
burst that stalls a client (see the notes in the results) is killed at its
time limit and cannot slow the runs after it.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time

from .common import MEETING_ID, ROOT, Context, NotAvailable, Section, Table, median, python_env, short_error
from .server import LoopbackServer

CALLS = 1000
NAME = "ZOOM_GET_A_MEETING"
LIMITED_PLAN = "business"  # 80 LIGHT calls a second: 1,000 calls in about 12 s
STALL_S = 30.0             # a normal run takes 1-3 s here
PACED_S = 120.0

# row key -> (label, repeated, note)
ROWS = {
    "bare": ("bare httpx AsyncClient", True, ""),
    "bare_capped_fresh": ("bare httpx, fresh client, in flight capped at its pool size (100)", True,
                          "a semaphore in front of the pool"),
    "ours": ("ours: aexecute, limiter off", True, ""),
    "ours_unbound": ("ours: aexecute, limiter on, limits above the load", True,
                     "the limiter's bookkeeping without pacing"),
    "fastmcp": ("FastMCP call_tool", True, ""),
    "ours_paced": (f"ours: aexecute, limiter on (plan {LIMITED_PLAN!r})", False, ""),
    "bare_fresh": ("bare httpx, fresh client (no connection yet)", False, ""),
    "ours_fresh": ("ours: aexecute, fresh Toolkit (no connection yet)", False, ""),
}


# --- in the child process -------------------------------------------------------

def _client(row: str, base: str, spec: str | None):
    """An async callable making one call the row's way."""
    auth = {"Authorization": "Bearer t"}
    if row.startswith("bare"):
        import httpx
        client = httpx.AsyncClient(headers=auth)
        gate = asyncio.Semaphore(100) if "capped" in row else None

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
    if row.startswith("ours"):
        from . import ours
        tk = ours.make_toolkit(base, plan=LIMITED_PLAN if row == "ours_paced" else None)
        if row == "ours_unbound":
            ours.unbound_limiter(tk)

        async def call():
            return ours.check_envelope(await tk.aexecute(NAME, {"meetingId": MEETING_ID}))
        return call
    if row == "fastmcp":
        import httpx2
        from fastmcp import FastMCP
        with open(spec, "rb") as fh:
            server = FastMCP.from_openapi(json.loads(fh.read()), client=httpx2.AsyncClient(base_url=base))

        async def call():
            return await server.call_tool("meeting", {"meetingId": MEETING_ID})
        return call
    raise ValueError(row)


def child(row: str, base: str, calls: int, spec: str | None = None) -> None:
    """Run one burst and print ``{"s": seconds, "failed": n, "first_error": str}``."""
    import logging
    logging.getLogger("zoom_actions").setLevel(logging.ERROR)  # a stalled burst logs a resend per time-out

    async def go():
        call = _client(row, base, spec)
        if not row.endswith("_fresh"):
            await call()  # connect and warm up
        t0 = time.perf_counter()
        results = await asyncio.gather(*(call() for _ in range(calls)), return_exceptions=True)
        took = time.perf_counter() - t0
        errors = [r for r in results if isinstance(r, BaseException)]
        return {"s": took, "failed": len(errors), "first_error": short_error(errors[0]) if errors else ""}
    print(json.dumps(asyncio.run(go())), flush=True)


# --- in the bench process -------------------------------------------------------------

def _run_child(row: str, base: str, calls: int, spec: str | None, limit_s: float) -> dict:
    code = f"from bench.throughput import child; child({row!r}, {base!r}, {calls!r}, {spec!r})"
    try:
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=limit_s + 10,
                              env=python_env(), cwd=str(ROOT))
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"stalled: killed after {limit_s + 10:.0f} s") from None
    if proc.returncode != 0:
        raise RuntimeError((proc.stderr.strip().splitlines() or ["child failed"])[-1][:200])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run(ctx: Context) -> Section:
    section = Section(f"4. Throughput: {CALLS:,} concurrent async calls")
    calls = 200 if ctx.quick else CALLS
    reps = ctx.reps(3)
    runs = f"{reps} run{'s' if reps > 1 else ''}"
    table = Table(f"{calls:,} concurrent `{NAME}` calls through one client ({runs} unless said)",
                  ["client", "runs", "median s", "worst s", "calls / s", "vs bare httpx", "note"])
    try:
        spec = str(ctx.spec_file("meetings"))
    except NotAvailable:
        spec = None
    times: dict[str, list[float]] = {k: [] for k in ROWS}
    trouble: dict[str, str] = {}
    skip = {}
    try:
        from . import ours
        ours.toolkit_class()
    except NotAvailable as exc:
        skip.update({k: f"not available: {exc}" for k in ROWS if k.startswith("ours")})
    try:
        import fastmcp  # noqa: F401
        import httpx2  # noqa: F401
        if spec is None:
            raise NotAvailable("no Meetings spec (ZOOM_SPEC_DIR)")
    except ImportError as exc:
        skip["fastmcp"] = f"not available: {exc.name} is not installed"
    except NotAvailable as exc:
        skip["fastmcp"] = f"not available: {exc}"
    trouble.update(skip)

    with LoopbackServer() as server:
        def one(key: str, limit_s: float) -> None:
            try:
                out = _run_child(key, server.base_url, calls, spec, limit_s)
            except Exception as exc:
                trouble[key] = f"run {len(times[key]) + 1}: {short_error(exc)}"
                return
            if out["failed"]:
                trouble[key] = (f"run {len(times[key]) + 1}: {out['failed']} of {calls} calls failed after "
                                f"{out['s']:.1f} s, first: {out['first_error']}")
                return
            times[key].append(out["s"])
            if out["s"] > STALL_S and key != "ours_paced":
                trouble[key] = f"run {len(times[key])} took {out['s']:.1f} s"

        for _ in range(reps):  # interleaved, so drift on a shared machine hits every row alike
            for key, (_, repeated, _) in ROWS.items():
                if repeated and key not in trouble:
                    one(key, STALL_S)
        for key, (_, repeated, _) in ROWS.items():
            if not repeated and key not in trouble:
                one(key, PACED_S if key == "ours_paced" else STALL_S)

    bare = times["bare"]
    bare_rate = calls / median(bare) if bare else None
    for key, (label, repeated, note) in ROWS.items():
        if key == "ours_paced":
            note = _cap_note(calls)
        problem = trouble.get(key, "")
        if problem and repeated and not problem.startswith("not available"):
            problem += "; not repeated"
        note = "; ".join(x for x in (note, problem) if x)
        ts = times[key]
        if not ts:
            table.add(label, "0", "", "", "", "", note or "no runs")
            continue
        rate = calls / median(ts)
        table.add(label, len(ts), f"{median(ts):.2f}", f"{max(ts):.2f}", f"{rate:,.0f}",
                  f"{rate / bare_rate:.2f}x" if bare_rate else "", note)
    table.notes.append(
        "All calls start at once (`asyncio.gather`) in one event loop; each run is a fresh child process (its "
        "start-up not timed) that first makes one call, so the client holds a connection (except the fresh "
        "rows). The capped row puts an `asyncio.Semaphore` the size of httpx's pool in front of a fresh client. "
        "'Limits "
        "above the load' keeps the limiter's reservation on every call with limits no load here reaches: what its "
        f"bookkeeping costs. With the {LIMITED_PLAN!r} plan the limiter paces LIGHT calls to Zoom's per-second "
        f"limit: that row should sit just under the cap, never over it. A run with failures, or one not done in "
        f"{STALL_S + 10:.0f} s (then killed), is reported and its row is not run again.")
    table.notes.append(
        "Why a burst can stall httpx: in a pyinstrument profile of a fresh client's burst, most of the time "
        "goes to httpcore's `AsyncConnectionPool._assign_requests_to_connections`, which on every change of a "
        "connection's state rescans all waiting requests against all connections. With a thousand requests "
        "waiting on connections still being opened, the event loop starves and requests reach their connect or "
        "pool time-outs (httpx's default 5 s: calls fail; the Toolkit's 30 s: it resends and finishes late). "
        "Once a client holds a connection the same burst goes through. A semaphore sized to the pool keeps "
        "httpcore's queue short (the capped row); FastMCP's client (httpx2) was not seen to stall.")
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
