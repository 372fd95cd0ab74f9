"""The sandbox from the command line, each call a fresh process: the
issue's create / get / list / update / delete / get flow, state kept in a
--db file across processes, and `sandbox serve`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

BIN = Path(sys.executable).parent / "zoom-actions"


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZOOM_", "LAVA_", "MATON_"))
           or k in ("ZOOM_ACTIONS_DIR", "ZOOM_SPEC_DIR")}
    env.update(extra)
    return env


def _run(args: list[str], env: dict[str, str]) -> tuple[int, dict]:
    p = subprocess.run([str(BIN), "run", *args, "--compact"], capture_output=True, text=True, env=env, timeout=60)
    assert p.stdout, p.stderr
    return p.returncode, json.loads(p.stdout)


def _flow(sandbox_args: list[str], env: dict[str, str]) -> None:
    """The issue's flow, one process per step."""
    def run(name: str, params: dict) -> tuple[int, dict]:
        return _run([name, "--params", json.dumps(params), *sandbox_args], env)

    rc, env_ = run("ZOOM_CREATE_A_MEETING", {"userId": "me", "topic": "CLI flow", "type": 2,
                                            "start_time": "2031-06-01T15:00:00Z", "duration": 30})
    assert rc == 0 and env_["successful"], env_
    mid = env_["data"]["id"]
    rc, env_ = run("ZOOM_GET_A_MEETING", {"meetingId": mid})
    assert rc == 0 and env_["data"]["topic"] == "CLI flow"
    rc, env_ = run("ZOOM_LIST_MEETINGS", {"userId": "me", "page_size": 300})
    assert rc == 0 and mid in [m["id"] for m in env_["data"]["meetings"]]
    rc, env_ = run("ZOOM_UPDATE_A_MEETING", {"meetingId": mid, "start_time": "2031-06-02T16:30:00Z"})
    assert rc == 0 and env_ == {"data": {}, "successful": True, "error": None}
    rc, env_ = run("ZOOM_GET_A_MEETING", {"meetingId": mid})
    assert env_["data"]["start_time"] == "2031-06-02T16:30:00Z"
    rc, env_ = run("ZOOM_DELETE_A_MEETING", {"meetingId": mid})
    assert rc == 0 and env_ == {"data": {}, "successful": True, "error": None}
    rc, env_ = run("ZOOM_GET_A_MEETING", {"meetingId": mid})
    assert rc == 1 and env_["successful"] is False
    assert env_["data"]["code"] == 3001 and "3001" in env_["error"] and str(mid) in env_["error"]


@pytest.fixture
def serve(tmp_path):
    """Start `zoom-actions sandbox serve`; answer its base URL."""
    procs = []

    def start(*args: str) -> str:
        p = subprocess.Popen([str(BIN), "sandbox", "serve", "--port", "0", "--quiet", *args],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env())
        procs.append(p)
        line = p.stdout.readline()
        assert line.startswith("Zoom sandbox serving http://127.0.0.1:"), (line, p.stderr.read() if p.poll() else "")
        return line.split()[3]

    def stop() -> None:
        while procs:
            p = procs.pop()
            p.terminate()
            p.wait(timeout=10)
            p.stdout.close()
            p.stderr.close()

    start.stop = stop
    yield start
    stop()


def test_run_sandbox_with_a_state_file_keeps_it_across_processes(tmp_path):
    db = ["--sandbox", "--db", str(tmp_path / "state.db")]
    rc, created = _run(["ZOOM_CREATE_A_MEETING", "--params", '{"userId": "me", "topic": "In a file"}', *db], _env())
    assert rc == 0, created
    rc, got = _run(["ZOOM_GET_A_MEETING", "-p", f"meetingId={created['data']['id']}", *db], _env())
    assert rc == 0 and got["data"]["topic"] == "In a file"
    # without the file, a throwaway in-memory sandbox does not know it
    rc, other = _run(["ZOOM_GET_A_MEETING", "-p", f"meetingId={created['data']['id']}", "--sandbox", "--db",
                      ":memory:"], _env())
    assert rc == 1 and other["data"]["code"] == 3001


def test_run_sandbox_flow_on_a_fresh_install_keeps_state_in_the_user_cache(tmp_path):
    # no --db: `--sandbox` keeps its state in $XDG_CACHE_HOME/zoom-actions/sandbox.db
    _flow(["--sandbox"], _env(XDG_CACHE_HOME=str(tmp_path), HOME=str(tmp_path)))
    assert (tmp_path / "zoom-actions" / "sandbox.db").exists()


def test_run_against_a_served_sandbox_and_state_survives_a_restart(serve, tmp_path):
    db = tmp_path / "served.db"
    base = serve("--db", str(db))
    env = _env(ZOOM_BASE_URL=base, ZOOM_ACCESS_TOKEN="sandbox")
    rc, created = _run(["ZOOM_CREATE_A_MEETING", "--params", json.dumps({"userId": "me", "topic": "Kept"})], env)
    assert rc == 0, created
    serve.stop()
    base = serve("--db", str(db))
    r = httpx.get(f"{base}/meetings/{created['data']['id']}", headers={"Authorization": "Bearer x"})
    assert r.status_code == 200 and r.json()["topic"] == "Kept"


def test_a_meeting_created_in_one_process_is_found_by_the_next(tmp_path):
    db = tmp_path / "p.db"
    script = (
        "import sys, httpx\n"
        "from zoom_actions.sandbox import start_in_thread\n"
        "with start_in_thread(db=sys.argv[1]) as srv:\n"
        "    c = httpx.Client(base_url=srv.base_url, headers={'Authorization': 'Bearer t'})\n"
        "    if sys.argv[2] == 'create':\n"
        "        print(c.post('/users/me/meetings', json={'topic': 'Across'}).json()['id'])\n"
        "    else:\n"
        "        r = c.get('/meetings/' + sys.argv[2]); print(r.status_code, r.json()['topic'])\n")
    out = subprocess.run([sys.executable, "-c", script, str(db), "create"], capture_output=True, text=True,
                         env=_env(), timeout=60, check=True).stdout.strip()
    found = subprocess.run([sys.executable, "-c", script, str(db), out], capture_output=True, text=True,
                           env=_env(), timeout=60, check=True).stdout.strip()
    assert found == "200 Across"


def test_ids_and_reset(tmp_path):
    db = tmp_path / "r.db"
    ids = json.loads(subprocess.run([str(BIN), "sandbox", "ids", "--db", str(db)], capture_output=True, text=True,
                                    env=_env(), timeout=60, check=True).stdout)
    assert ids["me_email"] == "avery.chen@example.com" and ids["meetings"]["customer_onboarding"]
    out = subprocess.run([str(BIN), "sandbox", "reset", "--db", str(db)], capture_output=True, text=True,
                         env=_env(), timeout=60, check=True).stdout
    assert "reset" in out
    again = json.loads(subprocess.run([str(BIN), "sandbox", "ids", "--db", str(db)], capture_output=True, text=True,
                                      env=_env(), timeout=60, check=True).stdout)
    assert again["meetings"] == ids["meetings"]  # the seed is fixed: same ids after a reset


def test_serve_refuses_a_non_loopback_host():
    p = subprocess.run([str(BIN), "sandbox", "serve", "--host", "0.0.0.0"], capture_output=True, text=True,
                       env=_env(), timeout=60)
    assert p.returncode == 2 and "loopback" in p.stderr
