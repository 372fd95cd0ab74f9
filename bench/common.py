"""What every bench section shares: results as tables, goals, timing helpers,
where the specs and the catalog are, and the operations compared side by side."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
PRODUCTS = ("meetings", "users", "phone")

# The 20 actions of the cold-start section: Composio's 17 Zoom names and three more.
COLD_START_NAMES = [
    "ZOOM_ADD_A_MEETING_REGISTRANT", "ZOOM_ADD_A_WEBINAR_REGISTRANT", "ZOOM_CREATE_A_MEETING",
    "ZOOM_DELETE_MEETING_RECORDINGS", "ZOOM_GET_A_MEETING", "ZOOM_GET_A_MEETING_SUMMARY", "ZOOM_GET_A_WEBINAR",
    "ZOOM_GET_DAILY_USAGE_REPORT", "ZOOM_GET_MEETING_RECORDINGS", "ZOOM_GET_PAST_MEETING_PARTICIPANTS",
    "ZOOM_LIST_ALL_RECORDINGS", "ZOOM_LIST_ARCHIVED_FILES", "ZOOM_LIST_DEVICES", "ZOOM_LIST_MEETINGS",
    "ZOOM_LIST_WEBINARS", "ZOOM_LIST_WEBINAR_PARTICIPANTS", "ZOOM_UPDATE_A_MEETING",
    "ZOOM_DELETE_A_MEETING", "ZOOM_GET_A_USER", "ZOOM_LIST_USERS",
]

MEETING_ID = 85746065432

# ZOOM_CREATE_A_MEETING with 15 flat parameters, and the same request as Zoom's nested body.
CREATE_FLAT = {
    "userId": "me",
    "topic": "Weekly sync",
    "type": 2,
    "start_time": "2030-05-04T16:00:00Z",
    "duration": 45,
    "timezone": "Europe/Berlin",
    "agenda": "Roadmap and open issues",
    "password": "k9Tq2",
    "settings__waiting_room": True,
    "settings__join_before_host": False,
    "settings__mute_upon_entry": True,
    "settings__host_video": True,
    "settings__participant_video": False,
    "settings__auto_recording": "none",
    "settings__approval_type": 2,
}


def nested(flat: dict) -> dict:
    """The flat parameters as Zoom's nested JSON (``a__b`` -> ``{"a": {"b": ...}}``), path parameter kept."""
    out: dict = {}
    for key, value in flat.items():
        node = out
        *parents, leaf = key.split("__")
        for p in parents:
            node = node.setdefault(p, {})
        node[leaf] = value
    return out


CREATE_NESTED = nested(CREATE_FLAT)                                   # for FastMCP (userId + nested body)
CREATE_BODY = {k: v for k, v in CREATE_NESTED.items() if k != "userId"}  # for bare HTTP clients


class NotAvailable(Exception):
    """A comparison that cannot be measured here; the message says why."""


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, *cells) -> None:
        self.rows.append([str(c) for c in cells])

    def unavailable(self, label: str, reason: str) -> None:
        cells = [label, f"not available: {reason}"]
        self.rows.append(cells + [""] * (len(self.headers) - len(cells)))


@dataclass
class Goal:
    text: str
    measured: str
    met: bool | None  # None: could not be measured
    bound: str = ""   # what bounds it, when missed


@dataclass
class Section:
    title: str
    tables: list[Table] = field(default_factory=list)
    goals: list[Goal] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class Context:
    spec_dir: Path | None
    catalog_dir: Path
    quick: bool = False
    profile: bool = False
    work_dir: Path = Path("/tmp")
    data: dict = field(default_factory=dict)  # figures one section hands to another

    def spec_file(self, product: str) -> Path:
        if self.spec_dir is None:
            raise NotAvailable("ZOOM_SPEC_DIR is not set")
        path = self.spec_dir / f"{product}.json"
        if not path.exists():
            raise NotAvailable(f"{path} is missing")
        return path

    def load_spec(self, product: str) -> dict:
        with open(self.spec_file(product), "rb") as fh:
            return json.loads(fh.read())

    def reps(self, full: int, quick: int = 1) -> int:
        return quick if self.quick else full


def repeat(fn: Callable[[], object], n: int, warmup: int = 0) -> list[float]:
    """Seconds taken by each of ``n`` calls of ``fn`` (after ``warmup`` untimed ones)."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


def median(xs: list[float]) -> float:
    return statistics.median(xs)


def ms(seconds: float) -> str:
    v = seconds * 1000
    return f"{v:.0f}" if v >= 100 else f"{v:.1f}" if v >= 10 else f"{v:.2f}"


def us(seconds: float) -> str:
    return f"{seconds * 1e6:.0f}"


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x"


def python_env() -> dict:
    """Environment for child processes: this repo importable, no bytecode writes into it, no user site."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["PYTHONNOUSERSITE"] = "1"
    # bytecode caches as after any install (pip compiles them): a child may write them, the next one reads
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def run_child(code: str, env: dict | None = None, timeout: float = 120) -> tuple[float, dict]:
    """Run ``code`` in a fresh interpreter; returns (wall seconds, the JSON object its last stdout line holds)."""
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout,
                          env=env or python_env(), cwd=str(ROOT))
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise RuntimeError(f"child exited {proc.returncode}: {tail}")
    lines = proc.stdout.strip().splitlines()
    return wall, (json.loads(lines[-1]) if lines else {})


def short_error(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    text = text if len(text) <= 160 else text[:157] + "..."
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def operation_ids(spec: dict) -> dict[tuple[str, str], str]:
    """(METHOD, path) -> operationId, for naming the same operation in other tools."""
    out = {}
    for path, item in spec.get("paths", {}).items():
        for method, op in item.items():
            if isinstance(op, dict) and "operationId" in op:
                out[(method.upper(), path)] = op["operationId"]
    return out


def openai_tool(name: str, description: str, parameters: dict) -> dict:
    return {"type": "function", "function": {"name": name, "description": description, "parameters": parameters}}
