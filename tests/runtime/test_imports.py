"""Start-up cost: catalog and tool definitions never import the HTTP stack."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import sys
from zoom_actions import Toolkit, load_catalog
load_catalog().names()
tk = Toolkit(access_token="t")
tools = tk.tools(format="openai", names=["ZOOM_GET_A_MEETING", "ZOOM_CREATE_A_MEETING"])
assert len(tools) == 2
print("httpx" in sys.modules)
tk.execute("ZOOM_GET_A_MEETING", {})   # bad input: answered before anything is sent
print("httpx" in sys.modules)
"""


def test_tool_definitions_and_input_errors_do_not_import_httpx(catalog):
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "False"]
