"""Direct user-OAuth credentials (client ID, secret and a refresh token, as ZOOM_* variables give
them) in several processes on one store: Zoom rotates the refresh token on every use and refuses a
used one, so the processes must share it. Against the sandbox's token endpoint, which refuses a refresh
token presented twice: eight processes forced to refresh at once, and again later, spend each refresh
token once and every call succeeds; on SQLite and on a real Redis; nothing secret in clear at rest."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from zoom_actions.sandbox.oauth import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET
from tests.runtime.test_shared_refresh import connect_in_store

WORKER = r"""
import json, os, sys, time
from pathlib import Path
from zoom_actions import Toolkit
base, token_url, store, start, sync = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), Path(sys.argv[5])
tk = Toolkit(base_url=base, token_url=token_url, store=store, account_plan=None)   # credentials: ZOOM_* env
out = []
while time.time() < start:
    time.sleep(0.001)
env = tk.execute("ZOOM_GET_A_USER", {"userId": "me"})
out.append({"ok": env["successful"], "error": env["error"]})
(sync / f"done-{os.getpid()}").touch()       # round one is over here
while not (sync / "go").exists():            # the parent expires the tokens, then says go
    time.sleep(0.005)
env = tk.execute("ZOOM_GET_A_USER", {"userId": "me"})
out.append({"ok": env["successful"], "error": env["error"]})
print(json.dumps(out))
tk.close()
"""


@pytest.mark.parametrize("backend", ["sqlite", "redis"])
def test_processes_with_direct_user_oauth_spend_each_refresh_token_once(sandbox, tmp_path, monkeypatch, backend,
                                                                        request):
    key, url, store, conns, first = connect_in_store(sandbox, tmp_path, monkeypatch, backend, request,
                                                     "setup", "once")
    conns.delete("once", "setup")          # from here on only the direct credentials exist
    oauth = sandbox.app.oauth
    oauth.expire_access_tokens()            # every process must refresh before its first call
    start = time.time() + 3.0
    env = {**os.environ, "ZOOM_ACTIONS_SECRET_KEY": key, "ZOOM_CLIENT_ID": SANDBOX_CLIENT_ID,
           "ZOOM_CLIENT_SECRET": SANDBOX_CLIENT_SECRET, "ZOOM_REFRESH_TOKEN": first["refresh_token"]}
    for name in ("ZOOM_ACCOUNT_ID", "ZOOM_ACCESS_TOKEN", "ZOOM_ACTIONS_STORE"):
        env.pop(name, None)
    sync = tmp_path / "sync"
    sync.mkdir()
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, sandbox.base_url, sandbox.origin + "/oauth/token", url,
                               str(start), str(sync)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env=env) for _ in range(8)]
    deadline = time.time() + 90
    while len(list(sync.glob("done-*"))) < 8 and time.time() < deadline and all(p.poll() is None for p in procs):
        time.sleep(0.01)
    oauth.expire_access_tokens()            # and again before the second round, which all eight start at once
    (sync / "go").touch()
    results = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err[-2000:]
        results += json.loads(out.strip().splitlines()[-1])
    assert len(results) == 16 and all(r["ok"] for r in results), results
    assert set(oauth.presented.values()) == {1}, oauth.presented        # no refresh token presented twice
    assert oauth.presented[first["refresh_token"]] == 1
    assert oauth.token_requests["refresh_token"] == 2                    # one refresh a round served all eight
    if backend == "sqlite":
        raw = b"".join(p.read_bytes() for p in tmp_path.glob("store.db*") if p.is_file())
    else:
        raw = b"".join(k + b"".join(v for pair in store._redis.hgetall(k).items() for v in pair)
                       for k in store._redis.keys("*") if store._redis.type(k) == b"hash")
        raw += b"".join(store._redis.get(k) or b"" for k in store._redis.keys("*") if store._redis.type(k) == b"string")
    for secret in (*oauth.presented, SANDBOX_CLIENT_SECRET):
        assert secret.encode() not in raw
    store.close()
