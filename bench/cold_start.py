"""Section 2: cold start in a fresh process.

Each row is a new interpreter (``sys.executable -c ...``, bytecode caches warm,
as after any install) timed from spawn to exit by the parent ("wall"); the
child also reports the time from its first line to having the result
("in process") and how many modules it imported. Rows run interleaved, the
figure is the median.
"""

from __future__ import annotations


from . import langchain_converter, profiling
from .common import (COLD_START_NAMES, Context, Goal, NotAvailable, Section, Table, median, ms, python_env,
                     run_child, short_error)

COLD_GOAL_S = 0.150    # issue 10 (issue 11 allows 200 ms at 2,444 actions)
INDEX_GOAL_S = 0.060
RSS_GOAL_MB = 60

_PRELUDE = "import time, json, sys\nt0 = time.perf_counter()\n"
_REPORT = "print(json.dumps({'s': time.perf_counter() - t0, 'count': count, 'modules': len(sys.modules)}))\n"

BASELINE = _PRELUDE + "count = 0\n" + _REPORT

OURS_TOOLS = _PRELUDE + """\
from zoom_actions import Toolkit
tools = Toolkit(access_token="t").tools(format="openai", names=NAMES)
count = len(tools)
""" + _REPORT

HTTPX_ONLY = _PRELUDE + """\
import httpx
count = int("rich" in sys.modules)
""" + _REPORT

OURS_INDEX = _PRELUDE + """\
from zoom_actions import load_catalog
count = len(load_catalog().names())
# VmHWM: this process image's peak RSS (ru_maxrss would include the forking parent's, kept across exec)
rss_mb = next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM')) / 1024
print(json.dumps({'s': time.perf_counter() - t0, 'count': count, 'modules': len(sys.modules), 'rss_mb': rss_mb}))
"""

# FastMCP: the spec files that hold the 20 operations, one server each, then the
# 20 tools in OpenAI's function-tool shape.
FASTMCP_TOOLS = _PRELUDE + """\
import asyncio
import httpx2
from fastmcp import FastMCP
tools = []
async def collect(server):
    return await server.list_tools()
for path, wanted in FILES.items():
    with open(path, "rb") as fh:
        spec = json.loads(fh.read())
    if PRUNE:
        spec["paths"] = {p: {m: op for m, op in item.items()
                             if not isinstance(op, dict) or op.get("operationId") in wanted}
                         for p, item in spec["paths"].items()
                         if any(isinstance(op, dict) and op.get("operationId") in wanted for op in item.values())}
    server = FastMCP.from_openapi(spec, client=httpx2.AsyncClient(base_url="https://api.zoom.us/v2"))
    tools += [{"type": "function", "function": {"name": t.name, "description": t.description or "",
               "parameters": t.parameters}} for t in asyncio.run(collect(server)) if t.name in wanted]
count = len(tools)
""" + _REPORT

LANGCHAIN_TOOLS = _PRELUDE + """\
import logging, warnings
warnings.simplefilter("ignore")
logging.disable(logging.WARNING)
from langchain_community.utilities.openapi import OpenAPISpec
from langchain_classic.chains.openai_functions.openapi import openapi_spec_to_openai_fn
tools = []
for path, wanted in FILES.items():
    with open(path, "rb") as fh:
        spec = json.loads(fh.read())
    for method, p in DROP.get(path, []):
        spec["paths"][p].pop(method.lower(), None)
    fns, _ = openapi_spec_to_openai_fn(OpenAPISpec.from_spec_dict(spec))
    tools += [{"type": "function", "function": f} for f in fns if f["name"] in wanted]
count = len(tools)
""" + _REPORT


def _wanted_operations(ctx: Context) -> dict[str, list[str]]:
    """spec file -> operationIds of the 20 actions, found by method and path."""
    from zoom_actions import load_catalog

    from .common import operation_ids
    cat = load_catalog(ctx.catalog_dir)
    by_file: dict[str, list[str]] = {}
    specs: dict[str, dict] = {}
    for name in COLD_START_NAMES:
        e = cat.entry(name)
        product = e["product"]
        if product not in specs:
            specs[product] = operation_ids(ctx.load_spec(product))
        op_id = specs[product].get((e["method"].upper(), e["path"]))
        if op_id is None:
            raise NotAvailable(f"no operationId for {name} ({e['method']} {e['path']})")
        by_file.setdefault(str(ctx.spec_file(product)), []).append(op_id)
    return by_file


FIRST_PROCESS = "ours, the first process after an install (an empty user cache: every schema rendered)"


def _code(template: str, **values) -> str:
    return "".join(f"{k} = {v!r}\n" for k, v in values.items()) + template


def run(ctx: Context) -> Section:
    section = Section("2. Cold start: a fresh process to 20 OpenAI tool definitions")
    reps = ctx.reps(7, 2)
    env = python_env()
    env["ZOOM_ACTIONS_DIR"] = str(ctx.catalog_dir)
    rows: list[tuple[str, str | None, str, int]] = []  # (label, code or None, reason, expected count)
    rows.append(("interpreter only (`python -c`, for reference)", BASELINE, "", 0))
    rows.append(("`import httpx` alone (the runtime's HTTP client), for reference", HTTPX_ONLY, "", -1))
    rows.append(("ours: import, load catalog, `tools(format='openai', names=[20])`",
                 _code(OURS_TOOLS, NAMES=COLD_START_NAMES), "", 20))
    rows.append((FIRST_PROCESS, "import os, tempfile\nos.environ['XDG_CACHE_HOME'] = tempfile.mkdtemp("
                 "prefix='zoom-bench-cold-')\n" + _code(OURS_TOOLS, NAMES=COLD_START_NAMES), "", 20))
    try:
        files = _wanted_operations(ctx)
    except Exception as exc:
        files, reason = None, (str(exc) if isinstance(exc, NotAvailable) else short_error(exc))
        rows.append(("FastMCP / LangChain", None, reason, 20))
    if files is not None:
        rows.append(("FastMCP: load specs, `from_openapi`, list, pick 20", _code(FASTMCP_TOOLS, FILES=files,
                                                                                 PRUNE=False), "", 20))
        rows.append(("FastMCP, specs pruned to the 20 operations first", _code(FASTMCP_TOOLS, FILES=files,
                                                                              PRUNE=True), "", 20))
        label = "LangChain converter: load specs, convert, pick 20"
        try:
            drop = {}
            for path in files:
                product = next(p for p in ("meetings", "users", "phone") if path.endswith(f"/{p}.json"))
                _, bad = langchain_converter.convertible(ctx, product)
                if bad:
                    drop[path] = [(m, p) for m, p, _ in bad]
            label += " (minus the operations it cannot convert)" if drop else ""
            rows.append((label, _code(LANGCHAIN_TOOLS, FILES=files, DROP=drop), "", 20))
        except NotAvailable as exc:
            rows.append((label, None, str(exc), 20))
        except Exception as exc:
            rows.append((label, None, short_error(exc), 20))
    rows.append(("ours, as without the bench extra (httpx's CLI extras made unimportable)",
                 _code(OURS_TOOLS.replace("from zoom_actions import Toolkit",
                                          "sys.modules.update(dict.fromkeys(HIDE))\nfrom zoom_actions import Toolkit"),
                       NAMES=COLD_START_NAMES, HIDE=["rich", "click", "pygments"]), "", 20))
    rows.append(("ours: import, load the index, list every action name", OURS_INDEX, "", -1))

    walls: dict[str, list[float]] = {r[0]: [] for r in rows}
    inproc: dict[str, list[float]] = {r[0]: [] for r in rows}
    info: dict[str, dict] = {}
    failed: dict[str, str] = {r[0]: r[2] for r in rows if r[1] is None}
    for _ in range(reps):
        for label, code, _, want in rows:
            if code is None or label in failed:
                continue
            try:
                wall, out = run_child(code, env=env)
            except Exception as exc:
                failed[label] = short_error(exc)
                continue
            if want >= 0 and out.get("count") != want:
                failed[label] = f"produced {out.get('count')} tools, not {want}"
                continue
            walls[label].append(wall)
            inproc[label].append(out["s"])
            info[label] = out

    table = Table("Fresh process (median ms)", ["what", "wall ms", "in process ms", "result", "modules imported"])
    for label, _, _, _ in rows:
        if label in failed or not walls[label]:
            table.unavailable(label, failed.get(label, "no runs"))
            continue
        if label.startswith("ours: import, load the index"):
            result = f"{info[label]['count']} names"
        elif label.startswith("`import httpx`"):
            result = "imported rich (httpx's CLI extras)" if info[label]["count"] else ""
            if info[label]["count"]:
                table.notes.append("httpx imports its optional command-line extras (rich, click, pygments) "
                                   "whenever they are installed, as they are here through the bench extra "
                                   "(FastMCP depends on rich); that is part of the `import httpx` row. Ours "
                                   "imports httpx only on its first call, so building tool definitions "
                                   "does not pay for it.")
        else:
            result = f"{info[label]['count']} tools" if info[label]["count"] else ""
        table.add(label, ms(median(walls[label])), ms(median(inproc[label])), result, info[label]["modules"])
    table.notes.append(f"Median of {reps} runs each, interleaved. Wall: spawn to exit as the parent sees it, "
                       "interpreter start-up included. In process: from the child's first line to the result. "
                       "Rendering compact descriptions is regex work kept in the user cache "
                       "(zoom_actions/adapters/rendered_cache.py): the rows reuse what earlier runs rendered, as "
                       "every process after the first does; the first-process row starts each run with an empty "
                       "cache.")
    section.tables.append(table)

    tools_label, index_label = rows[2][0], rows[-1][0]
    for label, limit, text in ((tools_label, COLD_GOAL_S, "cold start to 20 OpenAI tool definitions under 150 ms (2,444-action catalog)"),
                               (index_label, INDEX_GOAL_S,
                                "fresh process: load the index, list every name, under 60 ms")):
        if walls.get(label):
            wall = median(walls[label])
            goal = Goal(text, f"{ms(wall)} ms wall ({ms(median(inproc[label]))} ms in process)", wall < limit)
            if not goal.met:
                goal.bound = f"over by {ms(wall - limit)} ms; see profile"
            if not goal.met or ctx.profile:
                code = next(r[1] for r in rows if r[0] == label)
                section.notes.append(profiling.profile_child("cold-start" if label == tools_label else "cold-index",
                                                             code))
            section.goals.append(goal)
        else:
            section.goals.append(Goal(text, f"not available: {failed.get(label, 'no runs')}", None))
    if info.get(index_label, {}).get("rss_mb") is not None:
        rss = info[index_label]["rss_mb"]
        section.goals.append(Goal(f"resident memory after loading the index under {RSS_GOAL_MB} MB",
                                  f"{rss:.0f} MB (peak RSS of the listing process)", rss < RSS_GOAL_MB))
    return section
