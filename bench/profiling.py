"""Where the time goes when a goal is missed: pyinstrument profiles.

Each profile is written in full to ``bench/profiles/<label>.txt``; the note
returned for results.md lists the time by package (self time summed over the
package's frames) and the hottest functions.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

from .common import ROOT, Context, NotAvailable, python_env, short_error

PROFILES = Path(__file__).resolve().parent / "profiles"


def _package(path: str) -> str:
    path = path or ""
    m = re.search(r"site-packages/([A-Za-z0-9_]+)", path)
    if m:
        return m.group(1)
    for own in ("zoom_actions", "bench"):
        if f"/{own}/" in path:
            return own
    if "<frozen importlib" in path:
        return "import system"
    if "<frozen" in path or "/lib/python3" in path:
        return "stdlib"
    return "other"


def _walk(frame, parent_pkg: str = "other"):
    """(frame, package) for every frame; a built-in is counted with its caller's package."""
    path = frame.file_path or ""
    pkg = parent_pkg if (not path or path.startswith("<built-in")) else _package(path)
    yield frame, pkg
    for child in frame.children:
        yield from _walk(child, pkg)


def summarize(session, top: int = 8) -> tuple[str, str]:
    """(time by package, hottest functions) from a pyinstrument session."""
    root = session.root_frame()
    if root is None:
        return "no samples", ""
    by_pkg: Counter = Counter()
    by_fn: Counter = Counter()
    for f, pkg in _walk(root):
        if f.is_synthetic:
            continue  # [self] / [await] leaves: their time stays with the real frame above them
        own = f.time - sum(c.time for c in f.children if not c.is_synthetic)
        if own <= 0:
            continue
        by_pkg[pkg] += own
        short = Path(f.file_path or "?").name
        by_fn[f"{f.function} ({short})"] += own
    total = sum(by_pkg.values()) or 1.0
    pkgs = ", ".join(f"{k} {v / total:.0%}" for k, v in by_pkg.most_common(top) if v / total >= 0.01)
    fns = ", ".join(f"{k} {v / total:.0%}" for k, v in by_fn.most_common(top))
    return pkgs, fns


def _render(session) -> str:
    """The call tree, library frames shown (that is where the time goes), nodes under 1% dropped."""
    from pyinstrument.renderers import ConsoleRenderer
    return ConsoleRenderer(unicode=False, color=False, show_all=False,
                           processor_options={"show_regex": ".*", "filter_threshold": 0.01}).render(session)


def _write(label: str, text: str) -> Path:
    PROFILES.mkdir(exist_ok=True)
    path = PROFILES / f"{label}.txt"
    path.write_text(text)
    return path


def _profiler():
    try:
        from pyinstrument import Profiler
    except ImportError:
        raise NotAvailable("pyinstrument is not installed") from None
    return Profiler(interval=0.0001, async_mode="enabled")


def profile_execute(ctx: Context, base_url: str, name: str, params: dict, mode: str, calls: int = 2000) -> str:
    """Profile ``calls`` executions of one action against the loopback server; returns a results.md note."""
    from . import ours
    label = f"percall-{name}-{mode}"
    try:
        profiler = _profiler()
        tk = ours.make_toolkit(base_url)
        if mode == "sync":
            tk.execute(name, params)
            with profiler:
                for _ in range(calls):
                    tk.execute(name, params)
        else:
            async def go():
                await tk.aexecute(name, params)
                with profiler:
                    for _ in range(calls):
                        await tk.aexecute(name, params)
            asyncio.run(go())
        session = profiler.last_session
        path = _write(label, _render(session))
    except Exception as exc:
        return f"Profile of {name} ({mode}) not available: {short_error(exc)}"
    pkgs, fns = summarize(session)
    return (f"Profile of {calls} `{name}` calls ({mode}), self time by package: {pkgs}. "
            f"Hottest: {fns}. Full tree: [{path.relative_to(ROOT)}]({path.relative_to(ROOT.joinpath('bench'))}).")


def profile_child(label: str, code: str) -> str:
    """Profile ``code`` in a fresh interpreter (cold start); returns a results.md note."""
    try:
        _profiler()
    except NotAvailable as exc:
        return f"Profile of {label} not available: {exc}"
    with tempfile.NamedTemporaryFile(suffix=".pyisession", delete=False) as fh:
        session_file = Path(fh.name)
    try:
        proc = subprocess.run([sys.executable, "-m", "pyinstrument", "-i", "0.0002", "-r", "pyisession",
                               "-o", str(session_file), "-c", code],
                              capture_output=True, text=True, env=python_env(), cwd=str(ROOT), timeout=120)
        if proc.returncode != 0:
            return f"Profile of {label} failed: {(proc.stderr.strip().splitlines() or ['?'])[-1]}"
        from pyinstrument.session import Session
        session = Session.load(str(session_file))
        path = _write(label, _render(session))
    finally:
        session_file.unlink(missing_ok=True)
    pkgs, fns = summarize(session)
    return (f"Profile of {label}, self time by package: {pkgs}. Hottest: {fns}. "
            f"Full tree: [{path.relative_to(ROOT)}]({path.relative_to(ROOT.joinpath('bench'))}).")
