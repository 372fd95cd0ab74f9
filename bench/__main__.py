"""``python -m bench`` (``make bench``): every benchmark section in one run,
written as Markdown to ``bench/results.md``.

Options: ``--only build,tokens`` runs some sections; ``--quick`` runs few
repetitions (a smoke check, written to a scratch file unless ``--out``);
``--profile`` writes pyinstrument profiles even where the goals are met.
A run first clears the profiles of the sections it runs, no other's.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import sys
import tempfile
import time
import traceback
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

from . import catalog_build, cold_start, langchain_converter, lean, per_call, search_latency, throughput, tokens
from .common import ROOT, Context, Goal, Section, Table, short_error

SECTIONS = {
    "build": catalog_build.run,
    "cold": cold_start.run,
    "percall": per_call.run,
    "throughput": throughput.run,
    "tokens": tokens.run,
    "langchain": langchain_converter.run,
    "search": search_latency.run,
    "lean": lean.run,
}
DEFAULT_OUT = Path(__file__).resolve().parent / "results.md"
VERSIONS = ("zoom-actions", "httpx", "fastmcp", "httpx2", "mcp", "langchain-community", "langchain-classic",
            "bpe-openai", "pyinstrument")


def _versions() -> str:
    out = []
    for name in VERSIONS:
        try:
            out.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            out.append(f"{name} (not installed)")
    return ", ".join(out)


def table_lines(t: Table) -> list[str]:
    """One table as Markdown lines (numeric columns right-aligned), its notes after it."""
    def numeric(i: int) -> bool:
        cells = [r[i] for r in t.rows if i < len(r) and r[i]]
        return bool(cells) and all(re.match(r"^[-+]?[0-9.,]+(x| s| ms)?$", c) for c in cells)
    lines = [f"**{t.title}**", "", "| " + " | ".join(t.headers) + " |",
             "|" + "|".join("---:" if i and numeric(i) else "---" for i in range(len(t.headers))) + "|"]
    for row in t.rows:
        cells = [c.replace("|", "\\|") for c in row] + [""] * (len(t.headers) - len(row))
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    for note in t.notes:
        lines += [note, ""]
    return lines


def _goal_cell(g: Goal) -> str:
    return {True: "met", False: "**missed**", None: "not measured"}[g.met]


def render(sections: list[Section], args, took: float) -> str:
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Benchmarks",
        "",
        f"Written by `make bench` (`python -m bench{' --quick' if args.quick else ''}`) on {now}, "
        f"in {took:.0f} s. Machine: {os.cpu_count()} cores, {platform.python_implementation()} "
        f"{platform.python_version()} on {platform.system()}. Rerun with `make bench`; numbers move with the "
        "machine, the ratios much less.",
        "",
        f"Versions: {_versions()}.",
        "",
        "## Goals",
        "",
        "| goal | measured | result | what bounds it |",
        "|---|---|---|---|",
    ]
    for s in sections:
        for g in s.goals:
            lines.append(f"| {g.text} | {g.measured} | {_goal_cell(g)} | {g.bound} |")
    lines.append("")
    for s in sections:
        lines += [f"## {s.title}", ""]
        for t in s.tables:
            lines += table_lines(t)
        for note in s.notes:
            lines += [note, ""]
    return "\n".join(lines).rstrip() + "\n"


def clear_profiles(keys: list[str]) -> list[Path]:
    """Delete the profiles of the sections about to run (a profile is written only for what a run missed;
    one left from an earlier run would describe old code), keeping every other section's. A section's
    profiles are named after its key: ``bench/profiles/<key>-*.txt`` (cold-start, percall-...)."""
    from .profiling import PROFILES
    removed = []
    for key in keys:
        for path in PROFILES.glob(f"{key}-*.txt"):
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--only", help=f"comma-separated sections: {', '.join(SECTIONS)}")
    p.add_argument("--quick", action="store_true", help="few repetitions: a smoke check, not figures to quote")
    p.add_argument("--profile", action="store_true", help="write profiles to bench/profiles/ even for goals met")
    p.add_argument("--out", type=Path, help=f"Markdown output (default {DEFAULT_OUT.relative_to(ROOT)})")
    args = p.parse_args(argv)
    chosen = list(SECTIONS) if not args.only else [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = [s for s in chosen if s not in SECTIONS]
    if unknown:
        p.error(f"unknown section(s): {', '.join(unknown)}")
    out = args.out or (Path(tempfile.gettempdir()) / "zoom-bench-quick.md" if args.quick else DEFAULT_OUT)

    spec_dir = os.environ.get("ZOOM_SPEC_DIR")
    beside = ROOT.parent / "shared" / "zoom-openapi"   # where the Makefile looks (../shared/zoom-openapi)
    if not spec_dir and beside.is_dir():
        spec_dir = str(beside)
        print(f"bench: ZOOM_SPEC_DIR is not set; using {beside}", file=sys.stderr)
    from zoom_actions.catalog import default_catalog_dir
    ctx = Context(spec_dir=Path(spec_dir).resolve() if spec_dir else None, catalog_dir=default_catalog_dir(),
                  quick=args.quick, profile=args.profile, work_dir=Path(tempfile.gettempdir()))
    clear_profiles(chosen)
    t0 = time.perf_counter()
    sections = []
    for key in chosen:
        print(f"bench: {key} ...", file=sys.stderr, flush=True)
        s0 = time.perf_counter()
        try:
            sections.append(SECTIONS[key](ctx))
        except Exception as exc:  # a section that breaks is reported, never the end of the run
            traceback.print_exc()
            broken = Section(f"{key}: not available")
            broken.notes.append(f"not available: the section failed with {short_error(exc)}")
            sections.append(broken)
        print(f"bench: {key} done in {time.perf_counter() - s0:.1f} s", file=sys.stderr, flush=True)
    text = render(sections, args, time.perf_counter() - t0)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    print(f"bench: wrote {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
