"""The README's hooks example, run as written against the recording server."""

from __future__ import annotations

import re
from pathlib import Path

from .recorder import Reply

README = Path(__file__).resolve().parents[2] / "README.md"


def _example() -> str:
    text = README.read_text()
    section = text[text.index("### Hooks"):]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_readme_hooks_example(server, tk):
    ns = {"Toolkit": lambda: tk}
    exec(compile(_example(), "README.md", "exec"), ns)
    env = tk.execute("ZOOM_DELETE_A_MEETING", {"meetingId": 1})
    assert env == {"data": {}, "successful": False, "error": "deletes need a human"}
    assert server.api_requests() == []

    server.queue(Reply(200, {"id": 7, "join_url": "https://zoom.us/j/7", "start_url": "https://zoom.us/s/7?zak=x"}))
    env = tk.execute("ZOOM_GET_A_MEETING", {"meetingId": 7})
    assert env["data"] == {"id": 7, "join_url": "https://zoom.us/j/7"}

    (tool,) = tk.tools("openai", names=["ZOOM_CREATE_A_MEETING"])
    props = tool["function"]["parameters"]["properties"]
    assert "topic" in props and not any(k.startswith("settings__") for k in props)
    (plain,) = tk.tools("openai", names=["ZOOM_UPDATE_A_MEETING"])
    assert any(k.startswith("settings__") for k in plain["function"]["parameters"]["properties"])
