"""Fixtures for the sandbox tests: one sandbox per session (reset before
each test) and an httpx client authorised against it."""

from __future__ import annotations

import httpx
import pytest


@pytest.fixture(scope="session")
def _sandbox(catalog):
    from zoom_actions.sandbox import start_in_thread
    srv = start_in_thread(catalog=catalog)
    yield srv
    srv.close()


@pytest.fixture
def client(sandbox):
    with httpx.Client(base_url=sandbox.base_url, headers={"Authorization": "Bearer sandbox"}, timeout=10) as c:
        yield c


@pytest.fixture
def toolkit(sandbox, catalog):
    from zoom_actions import Toolkit
    tk = Toolkit(base_url=sandbox.base_url, access_token="sandbox-test-token", plan=None, catalog=catalog, max_retries=0)
    yield tk
    tk.close()
