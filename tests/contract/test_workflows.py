"""The GitHub Actions workflows cannot run here: actionlint checks them
(syntax, expressions, action inputs, job and step references)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"


def _actionlint() -> str:
    found = Path(sys.executable).parent / "actionlint"
    if found.exists():
        return str(found)
    which = shutil.which("actionlint")
    if not which:
        pytest.fail("actionlint is not installed: `make install` installs it with the dev extra", pytrace=False)
    return which


def test_workflows_exist():
    assert (WORKFLOWS / "test.yml").exists() and (WORKFLOWS / "regenerate.yml").exists()


def test_actionlint_accepts_the_workflows():
    files = sorted(str(p) for p in WORKFLOWS.glob("*.yml"))
    out = subprocess.run([_actionlint(), "-no-color", *files], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr


def test_actionlint_catches_a_broken_workflow(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text((WORKFLOWS / "regenerate.yml").read_text().replace("steps.drift.outputs.changed",
                                                                      "steps.nosuchstep.outputs.changed", 1))
    out = subprocess.run([_actionlint(), "-no-color", str(bad)], capture_output=True, text=True, timeout=120)
    assert out.returncode != 0 and "nosuchstep" in out.stdout


def test_regenerate_is_scheduled_manual_and_commits_only_locks():
    text = (WORKFLOWS / "regenerate.yml").read_text()
    assert "schedule:" in text and "workflow_dispatch:" in text
    assert "python3 -m contract.specs drift" in text and "make contract" in text and "make test" in text
    assert "body-path: build/pr-body.md" in text
    add_paths = text.split("add-paths: |", 1)[1].split("commit-message", 1)[0].split()
    assert add_paths == ["zoom_actions/spec/names.lock", "zoom_actions/spec/spec.lock"]
