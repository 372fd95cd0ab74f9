"""A pip user with no clone: the wheel from `make dist`, in a fresh virtual
environment, every command run from an empty directory outside any checkout,
with HOME pointing at a fresh directory (so the user's data directory is new).

    python .ci/wheel_check.py dist/zoom_actions-*.whl

Exits non-zero, naming the step, on the first thing a new user would trip on.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import textwrap
import venv
from pathlib import Path

SPEC_DIR = os.environ.get("ZOOM_SPEC_DIR")


def main(wheel: str) -> int:
    work = Path(tempfile.mkdtemp(prefix="zoom-wheel-"))
    env_dir, home, cwd = work / "venv", work / "home", work / "cwd"
    home.mkdir()
    cwd.mkdir()
    venv.create(env_dir, with_pip=True)
    bin_dir = env_dir / "bin"
    py, cli = str(bin_dir / "python"), str(bin_dir / "zoom-actions")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZOOM_", "VIRTUAL_ENV", "PYTHON"))}
    env.update(HOME=str(home), PATH=f"{bin_dir}:{env.get('PATH', '')}", XDG_DATA_HOME="", XDG_CACHE_HOME="")
    env = {k: v for k, v in env.items() if v != ""}

    def run(*args: str, ok: bool = True, extra: dict | None = None, stdin: str | None = None) -> subprocess.CompletedProcess:
        done = subprocess.run(list(args), cwd=cwd, env={**env, **(extra or {})}, capture_output=True, text=True,
                              input=stdin, timeout=600)
        if ok and done.returncode != 0:
            raise SystemExit(f"FAILED: {' '.join(args)}\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
        return done

    def check(cond: bool, what: str) -> None:
        if not cond:
            raise SystemExit(f"FAILED: {what}")
        print(f"ok: {what}")

    run(py, "-m", "pip", "install", "-q", f"{Path(wheel).resolve()}[mcp,models]")
    no_codegen = run(cli, "generate", "--models", ok=False)
    check(no_codegen.returncode == 2 and "zoom-actions[codegen]" in no_codegen.stderr,
          "`generate --models` without the codegen extra says what to install")
    run(py, "-m", "pip", "install", "-q", f"{Path(wheel).resolve()}[codegen]")
    site = run(py, "-c", "import zoom_actions, pathlib; print(pathlib.Path(zoom_actions.__file__).parent)").stdout.strip()
    before = {p for p in Path(site).rglob("*")}

    listed = run(cli, "list").stdout.split()
    index = json.loads((Path(site) / "_catalog" / "index.json").read_text())
    check(len(listed) == index["count"] > 2400, f"`zoom-actions list` prints all {index['count']} actions")
    envelope = json.loads(run(cli, "run", "ZOOM_GET_A_USER", "-p", "userId=me", "--sandbox").stdout)
    check(envelope["successful"] is True and envelope["data"]["id"], "`zoom-actions run NAME --sandbox` answers")
    tools = json.loads(run(cli, "export", "-f", "openai", "--product", "team-chat", "--limit", "3").stdout)
    check(len(tools) == 3 and tools[0]["type"] == "function", "`zoom-actions export` writes tool definitions")
    bad = run(cli, "list", "--product", "teamchat", ok=False)
    check(bad.returncode == 2 and "team-chat" in bad.stderr.split("closest first):")[1][:20],
          "an unknown --product is an error listing the closest id first")

    mcp_client = textwrap.dedent(f"""
        import asyncio, sys
        from mcp import Client, StdioServerParameters
        async def go():
            params = StdioServerParameters(command={cli!r}, args=["mcp", "--sandbox", "--product", "meetings",
                                                                   "--search", "list my meetings", "--limit", "5"])
            async with Client(params, read_timeout_seconds=60) as client:
                names = [t.name for t in (await client.list_tools()).tools]
                result = await client.call_tool("ZOOM_LIST_MEETINGS", {{"userId": "me"}})
                print(",".join(names), result.is_error)
        asyncio.run(go())
    """)
    listed_names, is_error = run(py, "-c", mcp_client).stdout.split()
    names = listed_names.split(",")
    check(len(names) == 5 and "ZOOM_LIST_MEETINGS" in names and is_error == "False",
          f"`zoom-actions mcp` lists and calls over stdio (listed: {', '.join(names)}; call error: {is_error})")

    code = textwrap.dedent("""
        from zoom_actions import Toolkit
        from zoom_actions.models.meetings import ZoomCreateAMeetingInput
        from zoom_actions.models.team_chat import ZoomSendAChatMessageInput
        from zoom_actions.events.models import model_for
        assert model_for("meeting.participant_joined").__name__ == "MeetingParticipantJoined"
        tk = Toolkit(sandbox=True)
        print(tk.execute("ZOOM_LIST_MEETINGS", {"userId": "me"})["successful"])
    """)
    check(run(py, "-c", code).stdout.strip() == "True", "`from zoom_actions import Toolkit` and the typed action and event models work")
    book = run(py, "-c", "from zoom_actions import phrasebook; print(len(phrasebook.entries()))").stdout.strip()
    check(int(book) > 1500, f"the wheel carries search's phrasebook ({book} actions)")

    # a missing catalog says what to run, and that command works
    empty = work / "empty-catalog"
    missing = run(cli, "list", ok=False, extra={"ZOOM_ACTIONS_DIR": str(empty)})
    check(missing.returncode != 0 and "zoom-actions generate" in missing.stderr and "Traceback" not in missing.stderr,
          "a missing catalog names the command to run")
    if SPEC_DIR:
        extra = {"ZOOM_ACTIONS_DIR": str(empty), "ZOOM_SPEC_DIR": SPEC_DIR}
        run(cli, "generate", extra=extra)
        run(cli, "generate", "--models", extra=extra)
        check(len(run(cli, "list", extra=extra).stdout.split()) == index["count"],
              "`zoom-actions generate` (ZOOM_ACTIONS_DIR) builds a catalog the commands then read")
        check(run(py, "-c", "import zoom_actions.models.phone as m; print(m.__file__)", extra=extra)
              .stdout.startswith(str(empty)), "--models honours ZOOM_ACTIONS_DIR")
        run(cli, "generate", "--spec-dir", SPEC_DIR)
        data = home / ".local" / "share" / "zoom-actions" / "catalog"
        check((data / "index.json").is_file() and (data / "docs").is_dir(),
              "`zoom-actions generate` writes into the user's data directory by default")
        check(run(py, "-c", "from zoom_actions.catalog import load_catalog; print(load_catalog().directory)")
              .stdout.strip() == str(data), "a catalog built by the user is preferred to the wheel's")
    check(not any(cwd.iterdir()), "nothing was written into the current directory")
    after = {p for p in Path(site).rglob("*") if "__pycache__" not in p.parts}
    check(after <= before | {p for p in before}, "nothing was written into site-packages")
    print(f"wheel check passed ({work})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
