"""``python -m bench.load`` (``make load``): N worker processes on one Zoom account, against the stand-in.

Without ``--limiter`` or ``--faults`` it runs the suite: the shared limiter
on, the same run with it off (the 429s it saves), and the limiter on with
faults (a worker killed, Redis down for 5 s, the token revoked). With
either option it runs that one run. Results are printed and written as
Markdown (``bench/load.md`` by default).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from .harness import RunConfig, run
from .report import render, summarize

DEFAULT_OUT = Path(__file__).resolve().parents[1] / "load.md"
SUITE_CALLS, FAULT_CALLS = 110, 150     # the fault run is longer: its faults need room


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n\n")[0])
    p.add_argument("--workers", type=int, default=8)
    p.add_argument("--calls", type=int, help=f"calls per worker (default {SUITE_CALLS}; {FAULT_CALLS} with faults)")
    p.add_argument("--plan", default="pro", choices=["free", "pro", "business"])
    p.add_argument("--limiter", choices=["on", "off"], help="one run with the limiter on or off")
    p.add_argument("--faults", action="store_true", help="one run with faults")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = p.parse_args(argv)
    if args.workers < 2 and args.faults:
        p.error("--faults kills a worker: use --workers 2 or more")

    def config(name: str, limiter: bool, faults: bool) -> RunConfig:
        calls = args.calls or (FAULT_CALLS if faults else SUITE_CALLS)
        return RunConfig(name=name, workers=args.workers, calls=calls, plan=args.plan, limiter=limiter,
                         faults=faults)
    if args.limiter is None and not args.faults:
        plan = {"on": config("Limiter on", True, False), "off": config("Limiter off", False, False),
                "faults": config("Limiter on, with faults", True, True)}
    else:
        on = args.limiter != "off"
        key = "faults" if args.faults else ("on" if on else "off")
        plan = {key: config(f"Limiter {'on' if on else 'off'}{', with faults' if args.faults else ''}", on,
                            args.faults)}
    t0 = time.perf_counter()
    runs = {}
    for key, cfg in plan.items():
        summary = summarize(run(cfg, log=lambda m: print(m, file=sys.stderr, flush=True)))
        runs[key] = summary
        print(f"load: {cfg.name}: {summary['calls']} calls, {summary['failed']} failed, {summary['429']} 429s "
              f"({summary['429_steady']} at steady state), {summary['token_fetches']} token fetches, "
              f"p50 {summary['p50'] or 0:.3f} s, p99 {summary['p99'] or 0:.3f} s", file=sys.stderr, flush=True)
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    command = " ".join(["python -m bench.load", *(argv if argv is not None else sys.argv[1:])])
    header = (f"Written by `{command}` (`make load` runs the suite) on {now}, in {time.perf_counter() - t0:.0f} s. "
              f"Machine: "
              f"{os.cpu_count()} cores, {platform.python_implementation()} {platform.python_version()}. Every "
              "process on this one machine: redis-server, the stand-in (Starlette on uvicorn, 127.0.0.1), and "
              "the workers (each a `Toolkit` on the shared Redis, S2S credentials from a stored connection "
              "pointed at the stand-in). Rates, 429s, token fetches and POSTs are the stand-in's counts.")
    text = render(runs, header)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(text)
    print(f"load: wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
