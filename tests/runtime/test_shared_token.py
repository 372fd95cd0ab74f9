"""One Server-to-Server token per account across processes (zoom_actions/shared_token.py).

A loopback token endpoint (Starlette on uvicorn, 127.0.0.1) counts fetches
and, as Zoom does, invalidates the previous token whenever it issues one;
its API answers 401 (code 124) to any other token. Worker processes with
direct credentials (``Toolkit(account_id=, client_id=, client_secret=,
store=)``) share one token through a real Redis, or a SQLite file: one
fetch for all of them; a revocation mid-run costs exactly one refetch and no
call fails for good; the store holds neither the token nor the client
secret in clear. Also here: the shared limiter's account key, the
``limiter_fallback`` argument, the store going away while a token must be
refetched, and the per-user cap's message.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import secrets
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bench.load.harness import RedisServer
from bench.load.standin import StandInServer
from zoom_actions import Toolkit
from zoom_actions.connections import Connection, Connections
from zoom_actions.limiter import CapReached, CapSubject, RateLimiter
from zoom_actions.shared_token import NAMESPACE, SharedServerToServer, credential_key
from zoom_actions.store import open_store
from zoom_actions.vault import new_key

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT, CLIENT = "acct-shared-1", "client-shared-1"
SECRET = "client-secret-" + "s3cr3t" * 4


class TokenEndpoint:
    """``POST /oauth/token`` (account_credentials, HTTP Basic): a new token each time, the previous
    one invalid from then on; ``GET /v2/users/{id}``: 200 for the current token, else 401 code 124."""

    def __init__(self) -> None:
        self.fetches = 0
        self.issued: list[str] = []
        self.current: str | None = None
        self.served = self.rejected = 0
        self._lock = threading.Lock()
        basic = "Basic " + base64.b64encode(f"{CLIENT}:{SECRET}".encode()).decode()

        async def token(request: Request):
            form = dict(await request.form())
            if request.headers.get("authorization") != basic or form.get("account_id") != ACCOUNT \
                    or form.get("grant_type") != "account_credentials":
                return JSONResponse({"reason": "Invalid client_id or client_secret", "error": "invalid_client"}, 401)
            with self._lock:
                self.fetches += 1
                self.current = f"tok{self.fetches}.{secrets.token_urlsafe(24)}"
                self.issued.append(self.current)
            return JSONResponse({"access_token": self.current, "token_type": "bearer", "expires_in": 3600})

        async def user(request: Request):
            if self.current is not None and request.headers.get("authorization") == f"Bearer {self.current}":
                self.served += 1
                return JSONResponse({"id": request.path_params["user"], "email": "me@example.com"})
            self.rejected += 1
            return JSONResponse({"code": 124, "message": "Invalid access token."}, 401)

        self.server = StandInServer(Starlette(routes=[Route("/oauth/token", token, methods=["POST"]),
                                                      Route("/v2/users/{user}", user)]))
        self.server.start()
        self.base, self.token_url = self.server.origin + "/v2", self.server.origin + "/oauth/token"

    def revoke(self) -> None:
        self.current = None


@pytest.fixture
def endpoint():
    ep = TokenEndpoint()
    yield ep
    ep.server.stop()


@pytest.fixture
def vault_key(monkeypatch):
    key = new_key()
    monkeypatch.setenv("ZOOM_ACTIONS_SECRET_KEY", key)
    for name in ("ZOOM_ACTIONS_STORE", "ZOOM_ACCOUNT_ID", "ZOOM_CLIENT_ID", "ZOOM_CLIENT_SECRET",
                 "ZOOM_ACCESS_TOKEN", "ZOOM_REFRESH_TOKEN", "ZOOM_ACTIONS_LIMITER_FALLBACK"):
        monkeypatch.delenv(name, raising=False)
    return key


def _toolkit(endpoint, store, catalog=None, **kw) -> Toolkit:
    return Toolkit(account_id=ACCOUNT, client_id=CLIENT, client_secret=SECRET, base_url=endpoint.base,
                   token_url=endpoint.token_url, store=store, catalog=catalog, **kw)


WORKER = r"""
import json, os, sys, time
from zoom_actions import Toolkit
cfg = json.loads(sys.argv[1])
tk = Toolkit(account_id=cfg["account"], client_id=cfg["client"], client_secret=os.environ["TEST_CLIENT_SECRET"],
             base_url=cfg["base"], token_url=cfg["token_url"], store=cfg["store"])
results = []
print("ready", flush=True)
for line in sys.stdin:                # one line per phase: when to start it
    start = float(line)
    while time.time() < start:
        time.sleep(0.001)
    phase = []
    for _ in range(cfg["calls"]):
        env = tk.execute("ZOOM_GET_A_USER", {"userId": "me"})
        phase.append({"ok": env["successful"], "error": env["error"]})
    results += phase
    print("done", json.dumps([r for r in phase if not r["ok"]]), flush=True)
tk.close()
print(json.dumps(results), flush=True)
"""


def _raw_store(url: str, tmp_path: Path) -> bytes:
    """Every byte the store holds: the SQLite files, or every Redis key and value."""
    if url.startswith("sqlite"):
        return b"".join(p.read_bytes() for p in tmp_path.glob("store.db*") if p.is_file())
    import redis
    client = redis.Redis.from_url(url)
    out = []
    for key in client.keys("*"):
        kind = client.type(key)
        out.append(key)
        if kind == b"hash":
            out += [v for pair in client.hgetall(key).items() for v in pair]
        elif kind == b"string":
            out.append(client.get(key))
    client.close()
    return b"".join(out)


@pytest.mark.parametrize("backend,workers", [("redis", 4), ("sqlite", 2)])
def test_workers_share_one_token_and_a_revocation_costs_one_refetch(endpoint, vault_key, tmp_path, request,
                                                                    backend, workers):
    url = request.getfixturevalue("redis_url") if backend == "redis" else f"sqlite:///{tmp_path / 'store.db'}"
    calls = 10
    cfg = json.dumps({"account": ACCOUNT, "client": CLIENT, "base": endpoint.base, "token_url": endpoint.token_url,
                      "store": url, "calls": calls})
    env = {**os.environ, "ZOOM_ACTIONS_SECRET_KEY": vault_key, "TEST_CLIENT_SECRET": SECRET,
           "PYTHONPATH": str(ROOT)}
    procs = []
    for i in range(workers):
        with open(tmp_path / f"worker{i}.err", "wb") as err:
            procs.append(subprocess.Popen([sys.executable, "-c", WORKER, cfg], stdin=subprocess.PIPE,
                                          stdout=subprocess.PIPE, stderr=err, text=True, env=env))
    try:
        for p in procs:
            assert p.stdout.readline().strip() == "ready"

        def phase() -> None:
            start = time.time() + 0.3     # every worker at once
            for p in procs:
                p.stdin.write(f"{start}\n")
                p.stdin.flush()
            failed = []
            for i, p in enumerate(procs):
                said, _, failures = p.stdout.readline().strip().partition(" ")
                assert said == "done", (tmp_path / f"worker{i}.err").read_text()[-2000:]
                failed += json.loads(failures)
            assert not failed, failed   # a call that failed says why (not only a count served short)

        phase()
        assert endpoint.fetches == 1                       # one token for every worker (none had one)
        assert endpoint.served == workers * calls and endpoint.rejected == 0
        endpoint.revoke()                                  # mid-run: every worker's copy is now refused
        phase()
        assert endpoint.fetches == 2                       # exactly one refetch, however many saw the 401
        assert endpoint.rejected == workers                # each worker's first call after it, once
        assert endpoint.served == 2 * workers * calls      # and every call then succeeded
        results = []
        for p in procs:
            p.stdin.close()
            out = p.stdout.read()
            assert p.wait(30) == 0
            results += json.loads(out.strip().splitlines()[-1])
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait(10)
            if p.stdout:
                p.stdout.close()
    assert len(results) == 2 * workers * calls and all(r["ok"] for r in results), [r for r in results if not r["ok"]]
    raw = _raw_store(url, tmp_path)
    for secret in (*endpoint.issued, SECRET):
        assert secret.encode() not in raw                  # sealed, never in clear
    assert ACCOUNT.encode() not in raw and CLIENT.encode() not in raw   # the key is a hash of them
    store = open_store(url)
    record = store.get(NAMESPACE, credential_key(endpoint.token_url, ACCOUNT, CLIENT))
    store.close()
    assert record["sealed"].startswith("fernet:") and record["expires_at"] > time.time() + 3000


def test_a_toolkit_reuses_the_stored_token_and_async_calls_share_it(endpoint, vault_key, tmp_path, catalog,
                                                                    monkeypatch):
    import zoom_actions.shared_token as shared
    monkeypatch.setattr(shared, "LOCK_TIMEOUT", 3.0)   # a lock left held fails the test fast
    url = f"sqlite:///{tmp_path / 'store.db'}"
    first = _toolkit(endpoint, url, catalog)
    assert isinstance(first.tokens.provider, SharedServerToServer)
    assert "client_secret=***" in repr(first.tokens.provider) and SECRET not in repr(first)
    assert first.execute("ZOOM_GET_A_USER", {"userId": "me"})["successful"]
    first.close()
    import asyncio

    async def calls() -> list[dict]:
        async with _toolkit(endpoint, url, catalog) as tk:   # another process would read the same record
            out = await asyncio.gather(*(tk.aexecute("ZOOM_GET_A_USER", {"userId": "me"}) for _ in range(5)))
            endpoint.revoke()    # the lock is taken again, in this loop: the first one was released
            out.append(await asyncio.wait_for(tk.aexecute("ZOOM_GET_A_USER", {"userId": "me"}), 10))
            endpoint.revoke()    # and by a thread that never held it (a lock taken in one thread, let go in another)
            sync = _toolkit(endpoint, url, catalog)
            out.append(sync.execute("ZOOM_GET_A_USER", {"userId": "me"}))
            sync.close()
            return out
    assert all(e["successful"] for e in asyncio.run(calls()))
    assert endpoint.fetches == 3
    endpoint.revoke()
    again = _toolkit(endpoint, url, catalog)
    assert again.execute("ZOOM_GET_A_USER", {"userId": "me"})["successful"]   # 401, one refetch, then through
    assert again.execute("ZOOM_GET_A_USER", {"userId": "me"})["successful"]
    again.close()
    assert endpoint.fetches == 4 and endpoint.rejected == 3


def test_without_a_vault_key_the_token_is_not_shared_and_a_warning_says_why(endpoint, vault_key, tmp_path,
                                                                            monkeypatch, catalog, caplog):
    import zoom_actions.shared_token as shared
    monkeypatch.delenv("ZOOM_ACTIONS_SECRET_KEY")
    monkeypatch.setattr(shared, "_warned", threading.Event())
    url = f"sqlite:///{tmp_path / 'store.db'}"
    with caplog.at_level(logging.WARNING, logger="zoom_actions"):
        tk = _toolkit(endpoint, url, catalog)
    assert type(tk.tokens.provider).__name__ == "ServerToServer"      # as before: its own token
    assert any("ZOOM_ACTIONS_SECRET_KEY" in r.getMessage() and "not shared" in r.getMessage() for r in caplog.records)
    assert tk.execute("ZOOM_GET_A_USER", {"userId": "me"})["successful"]
    tk.close()
    assert endpoint.issued[0].encode() not in _raw_store(url, tmp_path)   # nothing kept in clear
    monkeypatch.setenv("ZOOM_ACTIONS_SECRET_KEY", "not-a-fernet-key")
    bad = _toolkit(endpoint, url, catalog)
    env = bad.execute("ZOOM_GET_A_USER", {"userId": "me"})
    bad.close()
    assert not env["successful"] and "ZOOM_ACTIONS_SECRET_KEY is not a Fernet key" in env["error"]
    assert endpoint.fetches == 1


# --- the store going away -----------------------------------------------------------------------------

@pytest.fixture
def own_redis(redis_url, tmp_path):   # redis_url: skipped (failed under CI) without redis-server
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.kill()


def test_a_revoked_token_while_redis_is_down_is_an_envelope_that_says_why(endpoint, vault_key, own_redis, catalog):
    tk = _toolkit(endpoint, own_redis.url, catalog)
    assert tk.execute("ZOOM_GET_A_USER", {"userId": "me"})["successful"]
    own_redis.kill()
    # the token this process holds still works: Redis is not needed for it
    assert tk.execute("ZOOM_GET_A_USER", {"userId": "me"})["successful"]
    endpoint.revoke()
    env = tk.execute("ZOOM_GET_A_USER", {"userId": "me"})
    assert env["successful"] is False
    assert "could not be locked or read" in env["error"] and "ConnectionError" in env["error"]
    assert "Nothing was sent to Zoom" in env["error"] and "Internal error" not in env["error"]
    assert endpoint.fetches == 1                     # no token fetched behind the other workers' back
    own_redis.start()
    env = tk.execute("ZOOM_GET_A_USER", {"userId": "me"})
    tk.close()
    assert env["successful"], env["error"]
    assert endpoint.fetches == 2


def test_limiter_fallback_is_a_constructor_argument(endpoint, vault_key, own_redis, monkeypatch, catalog):
    monkeypatch.setenv("ZOOM_ACTIONS_LIMITER_FALLBACK", "local")
    tk = _toolkit(endpoint, own_redis.url, catalog, account_plan="pro", limiter_fallback="refuse")
    assert tk.limiter.on_unavailable == "refuse"      # the argument wins over the environment
    tk.limiter.retry_every = 0
    assert tk.execute("ZOOM_GET_A_USER", {"userId": "me"})["successful"]
    own_redis.kill()
    env = tk.execute("ZOOM_GET_A_USER", {"userId": "me"})
    assert env["successful"] is False and "unreachable" in env["error"] and "nothing was sent" in env["error"]
    assert endpoint.served == 1
    own_redis.start()
    assert tk.execute("ZOOM_GET_A_USER", {"userId": "me"})["successful"] and endpoint.served == 2
    tk.close()
    local = _toolkit(endpoint, own_redis.url, catalog, account_plan="pro")
    assert local.limiter.on_unavailable == "local"
    local.close()
    with pytest.raises(ValueError, match="limiter_fallback must be 'local'.*'refuse'.*'sometimes'"):
        _toolkit(endpoint, own_redis.url, catalog, limiter_fallback="sometimes")


# --- whose budget: the account ------------------------------------------------------------------------

def test_the_shared_limiter_is_keyed_by_the_zoom_account(vault_key, redis_url, endpoint, catalog):
    conns = Connections(open_store(redis_url))
    conns.save(Connection("ann", "zoom-a", "server_to_server", client_id="c1", account_id="acct-77",
                          token_url=endpoint.token_url), {"client_secret": SECRET})
    conns.save(Connection("bob", "other-name", "server_to_server", client_id="c2", account_id="acct-77",
                          token_url=endpoint.token_url), {"client_secret": SECRET})
    conns.save(Connection("cat", "mine", "user_oauth", client_id="c3", token_url=endpoint.token_url,
                          zoom_user={"id": "u1", "account_id": "acct-77"}),
               {"client_secret": SECRET, "refresh_token": "refresh-" + "r" * 20})
    conns.save(Connection("dan", "mine", "user_oauth", client_id="c3", token_url=endpoint.token_url),
               {"client_secret": SECRET, "refresh_token": "refresh-" + "d" * 20})
    conns.store.close()
    made = [Toolkit(account_id="acct-77", client_id="c9", client_secret=SECRET, store=redis_url, account_plan="pro",
                    base_url=endpoint.base, token_url=endpoint.token_url, catalog=catalog)]
    for user, name in (("ann", "zoom-a"), ("bob", "other-name"), ("cat", None), ("dan", "mine")):
        made.append(Toolkit(store=redis_url, account_plan="pro", user_id=user, connection=name, catalog=catalog,
                            base_url=endpoint.base))
    keys = [tk.limiter.account for tk in made]
    for tk in made:
        tk.close()
    # direct S2S, two S2S connections by other names, a user-OAuth connection that knows its account: one budget
    assert len(set(keys[:4])) == 1
    assert keys[4] != keys[0]                  # a user-OAuth connection with no account known: its own


def test_a_call_for_another_connection_spends_that_connections_account(vault_key, redis_url, endpoint, catalog,
                                                                        monkeypatch):
    import hashlib
    from zoom_actions.shared_limits import RedisRateLimiter
    conns = Connections(open_store(redis_url))
    conns.save(Connection("ann", "work", "server_to_server", client_id=CLIENT, account_id=ACCOUNT,
                          token_url=endpoint.token_url), {"client_secret": SECRET})
    conns.save(Connection("ann", "side", "server_to_server", client_id=CLIENT, account_id="acct-elsewhere",
                          token_url=endpoint.token_url), {"client_secret": SECRET})
    conns.store.close()
    spent = []
    reserve = RedisRateLimiter.reserve

    def recording(self, label, *args, **kw):
        spent.append(self.account)
        return reserve(self, label, *args, **kw)
    monkeypatch.setattr(RedisRateLimiter, "reserve", recording)
    tk = Toolkit(store=redis_url, account_plan="pro", user_id="ann", connection="side", catalog=catalog,
                 base_url=endpoint.base)
    try:
        for _ in range(2):
            assert tk.execute("ZOOM_GET_A_USER", {"userId": "me"}, user_id="ann", connection="work")["successful"]
        assert tk.limiter.for_call("work", "ann") is tk.limiter.for_call("work", "ann")   # kept, not rebuilt
    finally:
        tk.close()
    work, side = (hashlib.sha256(a.encode()).hexdigest()[:16] for a in (ACCOUNT, "acct-elsewhere"))
    assert tk.limiter.account == side and spent == [work, work]   # the call's connection's account, not the default


# --- the per-user cap's message ---------------------------------------------------------------------

def test_the_per_user_cap_says_which_user_which_cap_and_when_it_resets():
    lim = RateLimiter("pro")
    alice = CapSubject("user:alice@example.com", "meeting")
    for _ in range(100):
        lim.reserve("LIGHT", alice)
    with pytest.raises(CapReached) as refused:
        lim.reserve("LIGHT", alice)
    text = str(refused.value)
    midnight = time.strftime("%Y-%m-%dT00:00:00Z", time.gmtime(time.time() + 86400))
    assert "user 'alice@example.com'" in text and "Zoom's documented cap: 100 creates and updates per user per day" in text
    assert f"resets at {midnight} (00:00 UTC)" in text and "other users" in text
    assert refused.value.data["rate_limit"] == {"cap": "user:alice@example.com", "scope": "user", "limit": 100,
                                                "resets_at": midnight, "sent": False}
    assert lim.reserve("LIGHT", CapSubject("user:bob@example.com", "meeting")) >= 0


def test_a_stored_token_is_reused_until_60_s_before_it_expires(endpoint, vault_key, tmp_path, catalog):
    from zoom_actions.shared_token import CredentialSlot
    from zoom_actions.vault import Vault
    url = f"sqlite:///{tmp_path / 'store.db'}"
    store = open_store(url)
    slot = CredentialSlot(store, Vault(), credential_key(endpoint.token_url, ACCOUNT, CLIENT))
    for left, fetched in ((120, 0), (59, 1)):
        endpoint.current = planted = f"planted-{left}-" + secrets.token_urlsafe(16)   # as if another worker got it
        slot.write(planted, time.time() + left)
        tk = _toolkit(endpoint, url, catalog)
        env = tk.execute("ZOOM_GET_A_USER", {"userId": "me"})
        tk.close()
        assert env["successful"] and endpoint.fetches == fetched, (left, env["error"])
    store.close()
