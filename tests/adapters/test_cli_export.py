"""`zoom-actions export --format F [filters]` writes the same JSON as
``tk.tools``; errors go to stderr with exit code 2."""

from __future__ import annotations

import json

import pytest

from zoom_actions.adapters import build_tools
from zoom_actions.cli import main


def _run(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("fmt", ["openai", "openai-responses", "anthropic", "gemini", "mcp"])
def test_export_matches_tools(capsys, catalog, fmt):
    code, out, _ = _run(capsys, "export", "--format", fmt, "--product", "meetings", "--search", "recordings",
                        "--limit", "4")
    assert code == 0
    assert json.loads(out) == build_tools(catalog, fmt, products="meetings", search="recordings", limit=4)


def test_export_filters_strict_verbatim_and_file(capsys, catalog, tmp_path):
    target = tmp_path / "tools.json"
    code, _, err = _run(capsys, "export", "-f", "openai", "--name", "ZOOM_GET_A_MEETING", "--name",
                        "ZOOM_LIST_MEETINGS", "--strict", "--description", "verbatim", "-o", str(target))
    assert code == 0 and "wrote 2 tools" in err
    tools = json.loads(target.read_text())
    assert [t["function"]["name"] for t in tools] == ["ZOOM_GET_A_MEETING", "ZOOM_LIST_MEETINGS"]
    assert all(t["function"]["strict"] is True for t in tools)
    assert tools[0]["function"]["description"] == catalog.get("ZOOM_GET_A_MEETING")["description"]
    code, out, _ = _run(capsys, "export", "-f", "mcp", "--read-only", "--scope", "meeting:read:meeting", "--indent", "0")
    assert code == 0 and "\n" not in out.strip()
    assert all(t["annotations"]["readOnlyHint"] for t in json.loads(out))


def test_export_errors(capsys, catalog):
    code, _, err = _run(capsys, "export", "-f", "gemini", "--product", "meetings")
    assert code == 2 and "at most 128" in err and "--allow-many" in err
    code, out, _ = _run(capsys, "export", "-f", "gemini", "--product", "meetings", "--allow-many")
    meetings = catalog.filter(products=["meetings"])
    assert code == 0 and len(json.loads(out)) == len(meetings) == 181 + len(catalog.workflows())   # 4 workflows
    code, _, err = _run(capsys, "export", "-f", "openai", "--name", "ZOOM_NOPE")
    assert code == 2 and "no action named ZOOM_NOPE" in err
    code, _, err = _run(capsys, "export", "-f", "langchain")
    assert code == 2 and "Python objects" in err


def test_export_report_and_unrepresentable_warning(capsys):
    code, out, _ = _run(capsys, "export", "-f", "anthropic", "--strict", "--report")
    report = json.loads(out)
    assert code == 0 and "ZOOM_CREATE_A_MEETING" in report and "optional parameters" in report["ZOOM_CREATE_A_MEETING"]
    code, out, err = _run(capsys, "export", "-f", "anthropic", "--strict", "--name", "ZOOM_CREATE_A_MEETING",
                          "--name", "ZOOM_GET_A_MEETING")
    assert code == 0 and [t["name"] for t in json.loads(out)] == ["ZOOM_GET_A_MEETING"]
    assert "warning: left out 1 action" in err
