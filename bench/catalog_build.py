"""Section 1: building tools from Zoom's specs.

Ours: the catalog build step (load, overlay, plan, write one JSON document per
action and the index) into a scratch directory. Beside it: FastMCP's
``from_openapi`` and LangChain's OpenAPI-to-functions converter, each from the
same spec files, JSON parsing included for everyone. Then the typed models
for all actions (``zoom-actions generate --models``' code path, written to a
scratch directory), when that step exists.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
import warnings
from pathlib import Path

from . import langchain_converter
from .common import (PRODUCTS, Context, Goal, NotAvailable, Section, Table, median, ms, repeat,
                     short_error)

CATALOG_GOAL_S = 4.0    # every product and master-account document (issue 11)
MODELS_GOAL_S = 90.0
LABELS = {"meetings": "Meetings", "users": "Users", "phone": "Phone", "all": "all three",
          "every": "every document (45)"}


def _every() -> list[str]:
    from zoom_actions.codegen import sources
    return [s["id"] for s in sources.products()]


def _ours(ctx: Context, products: list[str], out: Path):
    from zoom_actions.codegen import build
    if ctx.spec_dir is None:
        raise NotAvailable("ZOOM_SPEC_DIR is not set")

    def run():
        result = build.build(ctx.spec_dir, out, products=products)
        run.count = len(result.actions)
    run.count = 0
    return run


def _fastmcp(ctx: Context, products: list[str]):
    try:
        import httpx2
        from fastmcp import FastMCP
    except ImportError as exc:
        raise NotAvailable(f"fastmcp is not installed ({exc.name}); `pip install -e '.[bench]'`") from None
    files = [ctx.spec_file(p) for p in products]

    def run():
        import asyncio
        count = 0
        for f in files:
            spec = json.loads(f.read_bytes())
            server = FastMCP.from_openapi(spec, client=httpx2.AsyncClient(base_url="http://127.0.0.1:9/v2"))
            count += len(asyncio.run(server.list_tools()))
        run.count = count
    run.count = 0
    return run


def _langchain(ctx: Context, products: list[str]):
    convert = langchain_converter.converter()
    files = [ctx.spec_file(p) for p in products]

    def run():
        count = 0
        for f in files:
            count += len(convert(json.loads(f.read_bytes()))[0])
        run.count = count
    run.count = 0
    return run


def _measure(make, n: int) -> tuple[str, str]:
    try:
        fn = make()
        times = repeat(fn, n, warmup=1)
    except NotAvailable as exc:
        return f"not available: {exc}", ""
    except Exception as exc:  # a converter that fails on a spec is a result, not a crash
        return f"fails: {short_error(exc)}", ""
    return ms(median(times)), str(fn.count)


def _models(ctx: Context, catalog_dir: Path, work: Path, table: Table, section: Section) -> None:
    try:
        from zoom_actions.codegen import models
    except ImportError:
        table.unavailable("typed models, all actions (`generate --models`)", "codegen.models does not exist yet")
        section.goals.append(Goal(f"typed models for every action under {MODELS_GOAL_S:.0f} s", "not available", None))
        return
    out = work / "models"
    warnings.simplefilter("ignore")
    try:
        t0 = time.perf_counter()
        timings = models.generate_models(catalog_dir, out_dir=out)
        took = time.perf_counter() - t0
    except Exception as exc:
        table.unavailable("typed models, all actions (`generate --models`)", short_error(exc))
        section.goals.append(Goal(f"typed models for every action under {MODELS_GOAL_S:.0f} s",
                                  f"failed: {short_error(exc)}", False))
        return
    count = json.loads((catalog_dir / "index.json").read_text())["count"]
    parts = ", ".join(f"{p} {t:.1f} s" for p, t in sorted(timings.items()))
    table.add("typed models, all actions (`generate --models`, 1 run)", ms(took), str(count), "", "", "", "")
    table.notes.append(f"Models: one run (it is the slowest step); per product, in parallel worker processes: {parts}.")
    section.goals.append(Goal(f"typed models for every action under {MODELS_GOAL_S:.0f} s", f"{took:.1f} s",
                              took < MODELS_GOAL_S))


def run(ctx: Context) -> Section:
    section = Section("1. Build: tools from Zoom's specs")
    n = ctx.reps(5)
    table = Table("Build time (median ms) and tools built",
                  ["specs", "ours: catalog", "actions", "FastMCP.from_openapi", "tools", "LangChain converter",
                   "functions"])
    work = Path(tempfile.mkdtemp(prefix="zoom-bench-build-", dir=ctx.work_dir))
    all_ms = None
    try:
        for key in (*PRODUCTS, "all", "every"):
            products = list(PRODUCTS) if key == "all" else _every() if key == "every" else [key]
            out = work / key
            ours = _measure(lambda: _ours(ctx, products, out), n)
            theirs = 1 if key == "every" else n   # the alternatives take tens of seconds on every document
            fm = _measure(lambda: _fastmcp(ctx, products), theirs)
            lc = _measure(lambda: _langchain(ctx, products), theirs)
            table.add(LABELS[key], *ours, *fm, *lc)
            if key == "every" and not ours[0].startswith(("not", "fails")):
                all_ms = float(ours[0].replace(",", ""))
        runs = f"{n} run{'s' if n > 1 else ''}"
        table.notes.append(f"Median of {runs} after one warm-up, in this process (FastMCP and LangChain on every "
                           "document: one run after the warm-up). Ours writes {{name}}.json, index.json and "
                           "names.json to a scratch directory; FastMCP's count is `list_tools()` after "
                           "`from_openapi` (one server per spec file); LangChain's is the function list of "
                           "`openapi_spec_to_openai_fn`.")
        if all_ms is not None:
            section.goals.append(Goal(f"catalog JSON for every document (2,444 actions) under {CATALOG_GOAL_S:.0f} s",
                                      f"{all_ms / 1000:.2f} s", all_ms / 1000 < CATALOG_GOAL_S))
        else:
            section.goals.append(Goal(f"catalog JSON for every document under {CATALOG_GOAL_S:.0f} s",
                                      "not available", None))
        if (work / "every" / "index.json").exists():
            _models(ctx, work / "every", work, table, section)
        else:
            table.unavailable("typed models, all actions", "no catalog was built above")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    section.tables.append(table)
    return section
