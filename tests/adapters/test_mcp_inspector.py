"""`zoom-actions mcp` through the MCP Inspector's own CLI (the official debugging client, pinned in
mcp_inspector/package.json): it lists tools and calls them for each client profile."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
INSPECTOR = ROOT / "mcp_inspector" / "node_modules" / ".bin" / "mcp-inspector"


@pytest.fixture(scope="module")
def inspector(catalog):
    if not INSPECTOR.exists():
        if os.environ.get("CI"):
            pytest.fail("the MCP Inspector is missing under CI: .ci/run runs `make inspector`", pytrace=False)
        pytest.skip("the MCP Inspector is not installed (make inspector)")

    def run(*server_args: str, method: str = "tools/list", tool: str | None = None, **args) -> dict:
        cmd = [str(INSPECTOR), "--cli", sys.executable, "-m", "zoom_actions", "mcp", "--sandbox", *server_args,
               "--method", method]
        if tool:
            cmd += ["--tool-name", tool]
        for key, value in args.items():
            cmd += ["--tool-arg", f"{key}={value if isinstance(value, str) else json.dumps(value)}"]
        env = {**os.environ, "ZOOM_ACTIONS_DIR": str(catalog.directory)}
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=180, env=env, cwd=ROOT)
        assert done.returncode == 0, done.stderr[-2000:]
        return json.loads(done.stdout)
    return run


def _bytes(listing: dict) -> int:
    return len(json.dumps(listing, separators=(",", ":")).encode())


@pytest.mark.parametrize("profile", [None, "cursor", "vscode"])
def test_the_default_selection_lists_discovery_under_50_kb(inspector, profile):
    listing = inspector(*(["--profile", profile] if profile else []))
    names = [t["name"] for t in listing["tools"]]
    assert names == ["search_actions", "get_action_schema", "execute_action"]
    assert _bytes(listing) < 50_000
    assert "more than this client's" in listing["tools"][0]["description"]


def test_a_selection_that_fits_the_cursor_profile_is_served_as_tools_and_called(inspector):
    listing = inspector("--profile", "cursor", "--product", "meetings", "--limit", "30")
    names = [t["name"] for t in listing["tools"]]
    assert len(names) == 30 and "ZOOM_LIST_MEETINGS" in names
    result = inspector("--profile", "cursor", "--product", "meetings", "--limit", "30", method="tools/call",
                       tool="ZOOM_LIST_MEETINGS", userId="me", select=["meetings[].topic"])
    data = result["structuredContent"]
    assert data["successful"] is True and data["data"]["meetings"] and set(data["data"]["meetings"][0]) == {"topic"}


def test_discovery_finds_and_runs_an_action(inspector):
    found = inspector(method="tools/call", tool="search_actions", query="list my upcoming meetings")
    assert "ZOOM_LIST_UPCOMING_MEETINGS" in json.dumps(found["structuredContent"])
    result = inspector(method="tools/call", tool="execute_action", name="ZOOM_GET_A_USER",
                       arguments={"userId": "me"})
    assert result["structuredContent"]["successful"] is True and result["structuredContent"]["data"]["id"]
