"""Section 3: per-call overhead against one loopback HTTP server.

Same process, same server (a child process on 127.0.0.1, so the client has a
core to itself), same operation and parameters for every row. Rows run
interleaved round by round so that drift hits every row alike; each call is
timed on its own and the figure is the median over all rounds. Ratios are
to bare httpx in the same mode.

- bare httpx / httpx2: one keep-alive client, the request spelled by hand,
  the JSON body parsed. httpx2 is the client FastMCP uses.
- ours: ``Toolkit.execute`` / ``aexecute`` (validation, unflattening, the
  envelope included).
- FastMCP: ``FastMCP.from_openapi(...).call_tool`` in process (no MCP
  transport in between: its lowest overhead). FastMCP is async only: its
  sync row drives the coroutine with ``loop.run_until_complete``.
- LangChain: the caller ``openapi_spec_to_openai_fn`` returns (sync only;
  ``requests.request`` opens a new connection every call), beside bare
  ``requests.request`` doing the same.
- The rate limiter: ``ZOOM_GET_A_MEETING`` with no limiter, the in-process
  one and the Redis one (a redis-server of its own), side by side.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Callable

from . import langchain_converter, ours, profiling
from .common import (CREATE_BODY, CREATE_FLAT, CREATE_NESTED, MEETING_ID, Context, Goal, NotAvailable, Section,
                     Table, short_error)
from .server import LoopbackServer

OPS = {
    "get": ("ZOOM_GET_A_MEETING", "GET /meetings/{meetingId}", "meeting"),
    "create": ("ZOOM_CREATE_A_MEETING", "POST /users/{userId}/meetings, 15 parameters", "meetingCreate"),
}
AUTH = {"Authorization": "Bearer t"}
BARE = "bare httpx2"   # the runtime's own client: the ratio that counts
OURS = "ours: execute"
FASTMCP = "FastMCP call_tool"
GOAL_GET, GOAL_CREATE = 1.10, 1.10


@dataclass
class Row:
    label: str
    op: str
    mode: str
    call: Callable | None = None        # sync callable, or coroutine function in async mode
    reason: str = ""                    # why it is not available
    times: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return sorted(self.times)[len(self.times) // 2]

    @property
    def p90(self) -> float:
        return sorted(self.times)[int(len(self.times) * 0.9)]


def _params(op: str) -> dict:
    return {"meetingId": MEETING_ID} if op == "get" else dict(CREATE_FLAT)


def _check_status(r, want: int):
    if r.status_code != want:
        raise RuntimeError(f"HTTP {r.status_code}: {r.text[:120]}")
    return r.json()


# --- the rows ------------------------------------------------------------------

def _bare_sync(module, base: str):
    client = module.Client(headers=AUTH)
    return {
        "get": lambda: _check_status(client.get(f"{base}/meetings/{MEETING_ID}"), 200),
        "create": lambda: _check_status(client.post(f"{base}/users/me/meetings", json=CREATE_BODY), 201),
    }


def _bare_async(module, base: str):
    client = module.AsyncClient(headers=AUTH)

    async def get():
        return _check_status(await client.get(f"{base}/meetings/{MEETING_ID}"), 200)

    async def create():
        return _check_status(await client.post(f"{base}/users/me/meetings", json=CREATE_BODY), 201)
    return {"get": get, "create": create}


def _ours_sync(base: str):
    tk = ours.make_toolkit(base)
    return {op: (lambda name=name, op=op: ours.check_envelope(tk.execute(name, _params(op))))
            for op, (name, _, _) in OPS.items()}


GOVERNED = "governed: execute + policy check + audit append"
GOAL_GOVERNED = 1.10
_POLICY = """
[agents.bench]
[[agents.bench.rules]]
name = "meetings"
effect = "allow"
actions = ["ZOOM_GET_A_MEETING", "ZOOM_CREATE_A_MEETING"]
[agents.bench.rules.params]
userId = "me"
"""


PAIRS = 3000


def _paired_governance(base: str, pairs: int) -> tuple[float, float, int]:
    """Median µs of ``execute`` without and with governance (a policy decision and an audit record on
    every call), timed alternately call by call, which goes first swapped each pair: the machine's drift,
    which moves whole 100-call rounds of the table, hits both alike."""
    plain = ours.make_toolkit(base)
    governed = _governed_sync(base)["get"]
    params = _params("get")

    def call_plain():
        ours.check_envelope(plain.execute(OPS["get"][0], params))
    for _ in range(100):
        call_plain()
        governed()
    clock = time.perf_counter
    a, b = [], []
    for i in range(pairs):
        order = ((call_plain, a), (governed, b)) if i % 2 == 0 else ((governed, b), (call_plain, a))
        for fn, times in order:
            t0 = clock()
            fn()
            times.append(clock() - t0)
    plain.close()
    return sorted(a)[len(a) // 2] * 1e6, sorted(b)[len(b) // 2] * 1e6, pairs


def _governed_sync(base: str):
    """Ours with a policy decision and an audit record (JSONL, in a scratch directory) on every call."""
    import tempfile
    from pathlib import Path
    work = Path(tempfile.mkdtemp(prefix="zoom-bench-gov-"))
    (work / "policy.toml").write_text(_POLICY)
    from zoom_actions.governance import AuditLog
    tk = ours.make_toolkit(base, policy=str(work / "policy.toml"), agent="bench")
    tk.governor.audit = AuditLog(work / "audit.jsonl")
    return {op: (lambda name=name, op=op: ours.check_envelope(tk.execute(name, _params(op))))
            for op, (name, _, _) in OPS.items()}


def _ours_async(base: str):
    tk = ours.make_toolkit(base)

    def make(name, op):
        async def call():
            return ours.check_envelope(await tk.aexecute(name, _params(op)))
        return call
    return {op: make(name, op) for op, (name, _, _) in OPS.items()}


def _fastmcp_server(ctx: Context, base: str):
    try:
        import httpx2
        from fastmcp import FastMCP
    except ImportError as exc:
        raise NotAvailable(f"fastmcp is not installed ({exc.name})") from None
    return FastMCP.from_openapi(ctx.load_spec("meetings"), client=httpx2.AsyncClient(base_url=base))


def _fastmcp_args(op: str) -> dict:
    return {"meetingId": MEETING_ID} if op == "get" else CREATE_NESTED


def _fastmcp_async(ctx: Context, base: str):
    server = _fastmcp_server(ctx, base)

    def make(op, tool):
        async def call():
            result = await server.call_tool(tool, _fastmcp_args(op))
            if getattr(result, "is_error", False):
                raise RuntimeError(f"FastMCP tool error: {str(result)[:120]}")
            return result
        return call
    return {op: make(op, tool) for op, (_, _, tool) in OPS.items()}


def _fastmcp_sync(ctx: Context, base: str, loop: asyncio.AbstractEventLoop):
    coros = _fastmcp_async(ctx, base)
    return {op: (lambda fn=fn: loop.run_until_complete(fn())) for op, fn in coros.items()}


def _langchain_sync(ctx: Context, base: str):
    spec, _ = langchain_converter.convertible(ctx, "meetings")
    spec = {**spec, "servers": [{"url": base}]}
    _, call_api = langchain_converter.converter()(spec)
    fn_args = {"get": lambda: {"path_params": {"meetingId": MEETING_ID}},
               "create": lambda: {"path_params": {"userId": "me"}, "json": CREATE_BODY}}
    want = {"get": 200, "create": 201}
    return {op: (lambda op=op, tool=tool: _check_status(call_api(tool, fn_args[op](), headers=dict(AUTH)), want[op]))
            for op, (_, _, tool) in OPS.items()}


def _requests_sync(base: str):
    import requests
    return {
        "get": lambda: _check_status(requests.request("get", f"{base}/meetings/{MEETING_ID}", headers=AUTH,
                                                      timeout=30), 200),
        "create": lambda: _check_status(requests.request("post", f"{base}/users/me/meetings", json=CREATE_BODY,
                                                         headers=AUTH, timeout=30), 201),
    }


def _rows(mode: str, makers: list[tuple[str, Callable[[], dict]]]) -> list[Row]:
    rows = []
    for label, make in makers:
        try:
            calls = make()
            for op in OPS:
                rows.append(Row(label, op, mode, calls[op]))
        except NotAvailable as exc:
            rows += [Row(label, op, mode, reason=str(exc)) for op in OPS]
        except ImportError as exc:
            rows += [Row(label, op, mode, reason=f"{exc.name} is not installed") for op in OPS]
        except Exception as exc:
            rows += [Row(label, op, mode, reason=short_error(exc)) for op in OPS]
    return rows


# --- timing ---------------------------------------------------------------------

def _first_call_sync(row: Row) -> None:
    try:
        row.call()
    except Exception as exc:
        row.reason, row.call = f"fails: {short_error(exc)}", None


async def _first_call_async(row: Row) -> None:
    try:
        await row.call()
    except Exception as exc:
        row.reason, row.call = f"fails: {short_error(exc)}", None


def _time_sync(rows: list[Row], rounds: int, per_round: int, warmup: int, slow: set[str]) -> None:
    for row in rows:
        if row.call:
            _first_call_sync(row)
        if row.call:
            for _ in range(warmup if row.label not in slow else 2):
                row.call()
    clock = time.perf_counter
    for _ in range(rounds):
        for row in rows:
            if row.call is None:
                continue
            fn, times = row.call, row.times
            for _ in range(per_round if row.label not in slow else max(per_round // 5, 5)):
                t0 = clock()
                fn()
                times.append(clock() - t0)


async def _time_async(rows: list[Row], rounds: int, per_round: int, warmup: int) -> None:
    for row in rows:
        if row.call:
            await _first_call_async(row)
        if row.call:
            for _ in range(warmup):
                await row.call()
    clock = time.perf_counter
    for _ in range(rounds):
        for row in rows:
            if row.call is None:
                continue
            fn, times = row.call, row.times
            for _ in range(per_round):
                t0 = clock()
                await fn()
                times.append(clock() - t0)


# --- the section ----------------------------------------------------------------

def run(ctx: Context) -> Section:
    section = Section("3. Per-call overhead against a loopback server")
    rounds, per_round, warmup = (3, 20, 10) if ctx.quick else (10, 100, 50)
    slow = {"LangChain converter's caller", "bare requests.request"}
    with LoopbackServer() as server:
        base = server.base_url
        import httpx
        sync_loop = asyncio.new_event_loop()
        try:
            sync_makers = [
                (BARE, lambda: _bare_sync(__import__("httpx2"), base)),
                ("bare httpx 0.28", lambda: _bare_sync(httpx, base)),
                (OURS, lambda: _ours_sync(base)),
                (GOVERNED, lambda: _governed_sync(base)),
                (FASTMCP, lambda: _fastmcp_sync(ctx, base, sync_loop)),
                ("LangChain converter's caller", lambda: _langchain_sync(ctx, base)),
                ("bare requests.request", lambda: _requests_sync(base)),
            ]
            sync_rows = _rows("sync", sync_makers)
            _time_sync(sync_rows, rounds, per_round, warmup, slow)
        finally:
            sync_loop.close()

        async def async_phase():
            async_rows = _rows("async", [
                (BARE, lambda: _bare_async(__import__("httpx2"), base)),
                ("bare httpx 0.28", lambda: _bare_async(httpx, base)),
                ("ours: aexecute", lambda: _ours_async(base)),
                (FASTMCP, lambda: _fastmcp_async(ctx, base)),
            ])
            await _time_async(async_rows, rounds, per_round, warmup)
            return async_rows
        async_rows = asyncio.run(async_phase())

        all_rows = sync_rows + async_rows
        for op, (name, what, tool) in OPS.items():
            table = Table(f"{name} ({what}; FastMCP tool `{tool}`): µs per call",
                          ["client", "mode", "median µs", "p90 µs", "ratio to bare httpx2", "overhead µs", "calls"])
            for row in [r for r in all_rows if r.op == op]:
                base_row = next(r for r in all_rows if r.op == op and r.mode == row.mode and r.label == BARE)
                if not row.times:
                    table.add(row.label, row.mode, f"not available: {row.reason or 'no timings'}", "", "", "", "")
                    continue
                if base_row.times:
                    r_txt = f"{row.median / base_row.median:.2f}x"
                    over = f"{(row.median - base_row.median) * 1e6:+.0f}"
                else:
                    r_txt = over = ""
                table.add(row.label, row.mode, f"{row.median * 1e6:.0f}", f"{row.p90 * 1e6:.0f}", r_txt, over,
                          len(row.times))
            section.tables.append(table)
        section.notes.append(f"{rounds} interleaved rounds of {per_round} calls per row after {warmup} warm-up "
                             "calls (the two rows that open a connection per call: a fifth as many). One process; "
                             "the server runs in a child process on 127.0.0.1 with canned JSON. Bare rows: one "
                             "keep-alive client, request spelled by hand, JSON parsed (httpx2 is FastMCP's client). "
                             "Ours: `Toolkit(access_token=..., base_url=loopback)`, validation, unflattening and "
                             "the envelope included, limiter off (Toolkit's default for a loopback URL; see "
                             "section 4 for its cost). FastMCP: `from_openapi(...).call_tool` in process, no MCP "
                             "transport (its lowest overhead); it is async only, so its sync row drives the "
                             "coroutine with `loop.run_until_complete`. LangChain: the caller its converter returns "
                             "(sync `requests.request`, a new connection every call), beside bare "
                             "`requests.request`.")
        _goals(ctx, section, all_rows, base)
        _limiter_cost(section, base, rounds, per_round, warmup)
    return section


LIMITERS = {"off": "limiter off", "process": "in-process limiter", "redis": "Redis limiter (shared)"}


def _limiter_cost(section: Section, base: str, rounds: int, per_round: int, warmup: int) -> None:
    """ZOOM_GET_A_MEETING (sync) with no limiter, the in-process one and the Redis one (a redis-server on
    a loopback port of its own), limits raised beyond the load: what one decision costs, interleaved."""
    import shutil
    import tempfile
    from pathlib import Path

    from .load.harness import RedisServer
    name, params = OPS["get"][0], _params("get")
    table = Table(f"{name} (sync): the rate limiter's cost per call",
                  ["limiter", "median µs", "p90 µs", "ratio to limiter off", "overhead µs", "calls"])
    if shutil.which("redis-server") is None:
        table.unavailable(LIMITERS["redis"], "redis-server is not installed")
        section.tables.append(table)
        return
    work = Path(tempfile.mkdtemp(prefix="zoom-bench-redis-"))
    redis = RedisServer(work)
    try:
        redis.start()
        rows = []
        for key in LIMITERS:
            tk = ours.make_toolkit(base)
            if key == "process":
                ours.unbound_limiter(tk)
            elif key == "redis":
                ours.unbound_shared_limiter(tk, redis.url)
            rows.append(Row(LIMITERS[key], "get", "sync", lambda tk=tk: ours.check_envelope(tk.execute(name, params))))
        _time_sync(rows, rounds, per_round, warmup, set())
        import redis as redis_py
        client = redis_py.Redis.from_url(redis.url)
        stat = client.info("commandstats").get("cmdstat_evalsha", {})   # a NOSCRIPT answer is a failed call
        evals = int(stat.get("calls", 0)) - int(stat.get("failed_calls", 0))
        client.close()
    finally:
        redis.kill()
        shutil.rmtree(work, ignore_errors=True)
    off = rows[0]
    for row in rows:
        if not row.times:
            table.add(row.label, f"not available: {row.reason or 'no timings'}", "", "", "", "")
            continue
        table.add(row.label, f"{row.median * 1e6:.0f}", f"{row.p90 * 1e6:.0f}", f"{row.median / off.median:.2f}x",
                  f"{(row.median - off.median) * 1e6:+.0f}", len(row.times))
    shared = rows[-1]
    calls = len(shared.times) + 1 + (warmup if shared.times else 0)
    table.notes.append(f"Same server, same call, {rounds} interleaved rounds of {per_round} after {warmup} warm-up "
                       f"calls. Limits raised beyond any load (the bookkeeping without pacing). Redis: "
                       f"{evals} script calls for {calls} calls (one round trip a decision; nothing Zoom said "
                       "was news, so nothing was written back).")
    section.tables.append(table)
    if shared.times and off.times:
        section.goals.append(Goal(f"{name}: the Redis limiter costs one round trip a call (report the median)",
                                  f"{evals / calls:.2f} round trips a call; median {shared.median * 1e6:.0f} µs vs "
                                  f"{off.median * 1e6:.0f} µs without a limiter ({shared.median / off.median:.2f}x)",
                                  evals == calls))


def _find(rows: list[Row], label_prefix: str, op: str, mode: str) -> Row | None:
    for r in rows:
        if r.label.startswith(label_prefix) and r.op == op and r.mode == mode and r.times:
            return r
    return None


def _goals(ctx: Context, section: Section, rows: list[Row], base: str) -> None:
    missed_profile = []
    for op, limit in (("get", GOAL_GET), ("create", GOAL_CREATE)):
        name = OPS[op][0]
        for mode in ("sync", "async"):
            mine, bare, fm = _find(rows, "ours", op, mode), _find(rows, BARE, op, mode), _find(rows, FASTMCP, op, mode)
            text = f"{name} ({mode}) at most {limit}x bare httpx2 (the runtime's client)"
            if mine and bare:
                r = mine.median / bare.median
                goal = Goal(text, f"{r:.2f}x ({mine.median * 1e6:.0f} vs {bare.median * 1e6:.0f} µs)", r <= limit)
                if not goal.met:
                    over_us = (mine.median - bare.median * limit) * 1e6
                    goal.bound = f"misses by {r - limit:.2f}x ({over_us:.0f} µs); see profile"
                    missed_profile.append((op, mode))
                section.goals.append(goal)
            else:
                section.goals.append(Goal(text, "not available", None))
            text = f"{name} ({mode}) below FastMCP's call_tool"
            if mine and fm:
                section.goals.append(Goal(text, f"{mine.median * 1e6:.0f} vs {fm.median * 1e6:.0f} µs",
                                          mine.median < fm.median))
            else:
                section.goals.append(Goal(text, "not available", None))
    text = f"a policy check and an audit append add at most {GOAL_GOVERNED - 1:.0%} to ZOOM_GET_A_MEETING (sync)"
    try:
        plain_us, governed_us, pairs = _paired_governance(base, 300 if ctx.quick else PAIRS)
    except Exception as exc:  # noqa: BLE001 - reported as not available
        section.goals.append(Goal(text, f"not available: {short_error(exc)}", None))
    else:
        r = governed_us / plain_us
        section.goals.append(Goal(text, f"{r:.2f}x ({governed_us:.0f} vs {plain_us:.0f} µs; {pairs:,} calls of "
                                        "each, alternating one by one)", r <= GOAL_GOVERNED))
    if missed_profile or ctx.profile:
        targets = missed_profile or [("get", "sync")]
        for op, mode in targets[:2]:
            section.notes.append(profiling.profile_execute(ctx, base, OPS[op][0], _params(op), mode))
