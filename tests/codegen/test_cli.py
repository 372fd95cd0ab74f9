"""`zoom-actions list` and `zoom-actions show` as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "zoom_actions.cli", *args], capture_output=True, text=True, timeout=60)


def test_list_all_and_filtered(catalog):
    everything = run("list").stdout.split()
    assert everything == catalog.operations() and len(everything) == 2444   # Zoom's operations, one per line
    assert run("list", "--workflows").stdout.split() == catalog.names()    # and the composite workflows
    phone = run("list", "--product", "phone").stdout.split()
    assert len(phone) == 325 and all(catalog.entry(n)["product"] == "phone" for n in phone)
    recordings = run("list", "--product", "meetings", "--tag", "cloud recording").stdout.split()
    assert "ZOOM_GET_MEETING_RECORDINGS" in recordings and "ZOOM_CREATE_A_MEETING" not in recordings
    assert all("Cloud Recording" in catalog.entry(n)["tags"] for n in recordings)


def test_show_prints_the_action_document(catalog):
    out = run("show", "ZOOM_GET_A_MEETING")
    assert out.returncode == 0
    assert json.loads(out.stdout) == catalog.get("ZOOM_GET_A_MEETING")


def test_show_unknown_name_suggests_close_ones(catalog):
    out = run("show", "ZOOM_GET_A_MEETNG")
    assert out.returncode == 2
    assert "no action named 'ZOOM_GET_A_MEETNG'" in out.stderr and "ZOOM_GET_A_MEETING" in out.stderr
