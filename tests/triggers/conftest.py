"""Fixtures for the trigger tests: the sandbox in process (reset before each
test) with a Toolkit on it, a fresh store and event log, a clock the test
moves, and helpers that change the sandbox the way Zoom would where no API
call can (a meeting going live, a recording or a summary becoming ready)."""

from __future__ import annotations

import random
import time
from datetime import timedelta

import pytest

from zoom_actions import Toolkit
from zoom_actions.events import Events
from zoom_actions.sandbox import history, ids, open_in_process
from zoom_actions.sandbox.meetings import MEETING, WEBINAR, save
from zoom_actions.store import open_store
from zoom_actions.toolkit import SANDBOX_TOKEN
from zoom_actions.triggers import Triggers


class Clock:
    """Epoch seconds that move only when the test says so, from a whole minute (where windows begin)."""

    def __init__(self) -> None:
        self.now = float(int(time.time()) // 60 * 60)

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float = 60.0) -> None:
        self.now += seconds


@pytest.fixture(scope="session")
def _sandbox(catalog):
    sb = open_in_process(catalog=catalog)
    yield sb
    sb.close()


@pytest.fixture
def tk(sandbox, catalog):
    """What Toolkit(sandbox=True) builds, on the shared sandbox; no retries, so a fault fails at once."""
    toolkit = Toolkit(base_url=sandbox.base_url, transport=sandbox.transport, access_token=SANDBOX_TOKEN,
                      gateway="direct", catalog=catalog, account_plan=None, max_retries=0)
    yield toolkit
    toolkit.close()


@pytest.fixture
def store(tmp_path):
    s = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    yield s
    s.close()


@pytest.fixture
def events(tmp_path):
    e = Events(tmp_path / "events.db")
    yield e
    e.log.close()


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def triggers(tk, events, store, clock):
    return Triggers(tk, events, store, clock=clock)


def ok(env: dict) -> dict:
    assert env["successful"], env["error"]
    return env["data"]


def go_live(sandbox, kind_name: str, number: int, minutes_ago: int = 20) -> None:
    """Zoom has no API to start a meeting: mark it started, as the host's client would."""
    kind = MEETING if kind_name == "meeting" else WEBINAR
    doc = sandbox.store.get(kind.name, str(number))
    doc["status"] = "started"
    doc["_started_at"] = ids.iso(ids.now() - timedelta(minutes=minutes_ago))
    save(sandbox.store, kind, doc)


def latest_past(sandbox, number: int, kind_name: str = "meeting") -> dict:
    return history.instances(sandbox.store, MEETING if kind_name == "meeting" else WEBINAR, number)[-1]


def add_recording(sandbox, past: dict, status: str = "completed") -> dict:
    """A cloud recording for an ended instance, its files in ``status`` (Zoom processes them first)."""
    rec = history.add_recording(sandbox.store, past, random.Random(7), [("Host", "Hello.")])
    for f in rec["recording_files"]:
        f["status"] = status
    sandbox.store.put("recording", rec["uuid"], rec, parent=str(rec["id"]))
    return rec


def change(sandbox, kind: str, key, parent: str | None = None, **fields) -> dict:
    """Change stored fields directly (what Zoom changes on its own, or what no API sets)."""
    doc = sandbox.store.get(kind, str(key))
    doc.update(fields)
    if parent is None:
        parent = str({"meeting": doc.get("host_id"), "webinar": doc.get("host_id"), "recording": doc.get("id"),
                      "summary": doc.get("meeting_id")}.get(kind) or "")
    sandbox.store.put(kind, str(key), doc, parent=parent)
    return doc
