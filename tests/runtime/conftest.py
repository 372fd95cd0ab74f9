"""Fixtures for the runtime tests: a recording loopback server and toolkits
pointed at it."""

from __future__ import annotations

import pytest

from .recorder import Recorder

SECRET_TOKEN = "static-token-SECRET-1234567890"


@pytest.fixture(scope="session")
def _server():
    srv = Recorder()
    yield srv
    srv.close()


@pytest.fixture
def server(_server):
    _server.reset()
    yield _server
    _server.reset()


@pytest.fixture
def make_tk(server, catalog):
    from zoom_actions import Toolkit
    made = []

    def make(**kw):
        if not any(k in kw for k in ("access_token", "account_id", "refresh_token", "route")):
            kw["access_token"] = SECRET_TOKEN
        kw.setdefault("base_url", server.url)
        kw.setdefault("catalog", catalog)
        tk = Toolkit(**kw)
        made.append(tk)
        return tk

    yield make
    for tk in made:
        tk.close()


@pytest.fixture
def tk(make_tk):
    return make_tk()


@pytest.fixture()
def sandbox(catalog):
    """The sandbox served on a loopback port (uvicorn, in a thread), closed after the test."""
    from zoom_actions.sandbox import make_server
    from zoom_actions.sandbox.server import RunningSandbox
    running = RunningSandbox(make_server(None, 0, catalog=catalog), owns_store=True)
    yield running
    running.close()


@pytest.fixture()
def conns(tmp_path, monkeypatch):
    """Connections in a fresh SQLite store, sealed under a key set as a deployment sets it."""
    from zoom_actions.connections import Connections
    from zoom_actions.store import open_store
    from zoom_actions.vault import new_key
    monkeypatch.setenv("ZOOM_ACTIONS_SECRET_KEY", new_key())
    store = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    yield Connections(store)
    store.close()
