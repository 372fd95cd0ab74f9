"""Eight processes share one store and one user-OAuth connection; each
forces a refresh at the same moment against the sandbox's token endpoint,
which refuses a refresh token presented twice (as Zoom does). Counted at
the token endpoint: every refresh token presented once, every call
succeeds; on SQLite (a file lock) and on a real Redis (a Redis lock). The
store holds no token or client secret in clear."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from zoom_actions.connections import Connections
from zoom_actions.oauth import OAuthApp, begin, finish
from zoom_actions.sandbox.oauth import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET
from zoom_actions.store import open_store
from zoom_actions.vault import new_key
from tests.runtime.test_connections import REDIRECT, _consent

WORKER = r"""
import json, sys, time
from zoom_actions import Toolkit
base, store, start = sys.argv[1], sys.argv[2], float(sys.argv[3])
tk = Toolkit(base_url=base, store=store, user_id="alice", connection="shared")
tk.connections.list()                 # open the store before the start line
while time.time() < start:
    time.sleep(0.001)
env = tk.execute("ZOOM_GET_A_USER", {"userId": "me"})
print(json.dumps({"ok": env["successful"], "error": env["error"]}))
tk.close()
"""


def connect_in_store(sandbox, tmp_path, monkeypatch, backend, request, user_id: str, name: str):
    """A fresh store (SQLite, or an emptied real Redis) sealed under a new key, with one user-OAuth
    connection made through the sandbox's consent flow: (key, store URL, store, connections, its secrets)."""
    key = new_key()
    monkeypatch.setenv("ZOOM_ACTIONS_SECRET_KEY", key)
    url = f"sqlite:///{tmp_path / 'store.db'}" if backend == "sqlite" else request.getfixturevalue("redis_url")
    store = open_store(url)
    if backend == "redis":
        store._redis.flushdb()
    conns = Connections(store)
    app = OAuthApp(SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, REDIRECT, base=sandbox.origin)
    finish(app, conns, _consent(begin(app, conns, user_id=user_id, name=name)))
    return key, url, store, conns, conns.load(user_id, name)[1]


@pytest.mark.parametrize("backend", ["sqlite", "redis"])
def test_eight_processes_spend_each_refresh_token_once(sandbox, tmp_path, monkeypatch, backend, request):
    key, url, store, conns, first = connect_in_store(sandbox, tmp_path, monkeypatch, backend, request,
                                                     "alice", "shared")
    oauth = sandbox.app.oauth
    oauth.expire_access_tokens()          # every process must refresh before its call
    start = time.time() + 3.0
    env = {**os.environ, "ZOOM_ACTIONS_SECRET_KEY": key}
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, sandbox.base_url, url, str(start)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) for _ in range(8)]
    results = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err[-2000:]
        results.append(json.loads(out.strip().splitlines()[-1]))
    assert all(r["ok"] for r in results), results
    assert oauth.presented[first["refresh_token"]] == 1
    assert set(oauth.presented.values()) == {1}, oauth.presented        # no refresh token presented twice
    assert oauth.token_requests["refresh_token"] == len(oauth.presented) == 1   # one refresh served all eight
    _, now = conns.load("alice", "shared")
    assert now["refresh_token"] != first["refresh_token"]
    # nothing secret in clear at rest
    if backend == "sqlite":
        raw = b"".join(p.read_bytes() for p in tmp_path.glob("store.db*") if p.is_file())
    else:
        raw = b"".join(k + b"".join(v for pair in store._redis.hgetall(k).items() for v in pair)
                       for k in store._redis.keys("*") if store._redis.type(k) == b"hash")
    for secret in (first["refresh_token"], now["refresh_token"], now["access_token"], SANDBOX_CLIENT_SECRET):
        assert secret.encode() not in raw
    store.close()
