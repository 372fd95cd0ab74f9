"""Shared fixtures. Tests that need Zoom's specs or the built catalog fail
loudly under CI (CI=true) when they are missing, and skip only on a
developer machine without them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TESTS = Path(__file__).resolve().parent
SEED_NAMES = {
    "ZOOM_ADD_A_MEETING_REGISTRANT": "POST /meetings/{meetingId}/registrants",
    "ZOOM_ADD_A_WEBINAR_REGISTRANT": "POST /webinars/{webinarId}/registrants",
    "ZOOM_CREATE_A_MEETING": "POST /users/{userId}/meetings",
    "ZOOM_DELETE_MEETING_RECORDINGS": "DELETE /meetings/{meetingId}/recordings",
    "ZOOM_GET_A_MEETING": "GET /meetings/{meetingId}",
    "ZOOM_GET_A_MEETING_SUMMARY": "GET /meetings/{meetingId}/meeting_summary",
    "ZOOM_GET_A_WEBINAR": "GET /webinars/{webinarId}",
    "ZOOM_GET_DAILY_USAGE_REPORT": "GET /report/daily",
    "ZOOM_GET_MEETING_RECORDINGS": "GET /meetings/{meetingId}/recordings",
    "ZOOM_GET_PAST_MEETING_PARTICIPANTS": "GET /past_meetings/{meetingId}/participants",
    "ZOOM_LIST_ALL_RECORDINGS": "GET /users/{userId}/recordings",
    "ZOOM_LIST_ARCHIVED_FILES": "GET /archive_files",
    "ZOOM_LIST_DEVICES": "GET /devices",
    "ZOOM_LIST_MEETINGS": "GET /users/{userId}/meetings",
    "ZOOM_LIST_WEBINARS": "GET /users/{userId}/webinars",
    "ZOOM_LIST_WEBINAR_PARTICIPANTS": "GET /past_webinars/{webinarId}/participants",
    "ZOOM_UPDATE_A_MEETING": "PATCH /meetings/{meetingId}",
}


def _missing(what: str):
    if os.environ.get("CI"):
        pytest.fail(f"{what} is missing under CI: set ZOOM_SPEC_DIR and run `make install` first", pytrace=False)
    pytest.skip(f"{what} not available")


@pytest.fixture(scope="session")
def spec_dir() -> Path:
    env = os.environ.get("ZOOM_SPEC_DIR")
    path = Path(env) if env else ROOT.parent / "shared" / "zoom-openapi"
    if not (path / "meetings.json").exists():
        _missing("ZOOM_SPEC_DIR (Zoom's spec files)")
    return path.resolve()


@pytest.fixture(scope="session")
def catalog():
    from zoom_actions import CatalogNotBuilt, load_catalog
    try:
        return load_catalog()
    except CatalogNotBuilt:
        _missing("the built catalog (actions/)")


@pytest.fixture(scope="session")
def all_actions(catalog) -> list[dict]:
    """Every Zoom operation's document (the workflows, composite actions, are tested in test_workflows.py)."""
    return [catalog.get(n) for n in catalog.operations()]


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """A real redis-server (Debian's package) on a loopback port, for this test session."""
    import shutil
    import socket
    import subprocess
    import time
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is missing under CI: .ci/run installs Debian's redis-server", pytrace=False)
        pytest.skip("redis-server is not installed")
    from tests.ports import unused_port
    work = tmp_path_factory.mktemp("redis")
    for _ in range(3):   # a port taken between the choice and redis-server's bind: another port
        port = unused_port()
        proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
                                 "no", "--dir", str(work), "--protected-mode", "yes"], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while proc.poll() is None and time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2) as c:
                    c.sendall(b"PING\r\n")
                    if c.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                pass
            time.sleep(0.05)
        else:
            proc.kill()
            proc.wait(10)
            continue
        break
    else:
        pytest.fail("redis-server did not start on any of 3 ports", pytrace=False)
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(10)


# One sandbox per test session, reset before each test: a directory's conftest says how it is reached
# (`_sandbox`: served by uvicorn in tests/sandbox/, in process in tests/triggers/); tests/runtime/ overrides
# `sandbox` with a fresh one per test.

@pytest.fixture
def sandbox(_sandbox):
    _sandbox.reset()
    _sandbox.faults = None
    yield _sandbox
    _sandbox.faults = None


@pytest.fixture
def seed(sandbox) -> dict:
    return sandbox.seed_ids
