"""The connect flow in a real browser: Chromium (Debian's), driven by
Playwright, on the sandbox's consent page. A web app's flow (the ASGI app)
and a CLI user's (`zoom-actions connect`) each end with a stored
connection that calls an action; Deny and a forged `state` store nothing."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time

import pytest

from zoom_actions import Toolkit
from zoom_actions.connect_app import connect_app
from zoom_actions.oauth import OAuthApp
from zoom_actions.sandbox.oauth import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET
from tests.ports import unused_port

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing: .ci/run installs Debian's chromium package", pytrace=False)
        pytest.skip("Chromium is not installed")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield b
        b.close()


@pytest.fixture()
def web_app(sandbox, conns):
    """The connect app under uvicorn on a loopback port, as a web app would mount it."""
    import uvicorn
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    oauth = OAuthApp(SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, f"http://127.0.0.1:{port}/callback", base=sandbox.origin)
    server = uvicorn.Server(uvicorn.Config(connect_app(oauth, conns), log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(5)
    sock.close()


def _consent(browser, url: str, button: str) -> tuple[str, str]:
    page = browser.new_page()
    try:
        page.goto(url)
        assert "meeting:read:meeting" in page.inner_text("#scopes")   # the scopes are listed
        page.click(f"#{button}")
        page.wait_for_selector("#outcome", timeout=15000)
        return page.inner_text("#outcome"), page.inner_text("#detail")
    finally:
        page.close()


def test_a_web_app_connects_a_user_who_allows(browser, web_app, sandbox, conns):
    outcome, detail = _consent(browser, f"{web_app}/connect?user_id=alice&name=alice-work", "allow")
    assert outcome == "Zoom connected" and "alice-work" in detail
    [conn] = conns.list("alice")
    assert conn.kind == "user_oauth" and "meeting:read:meeting" in conn.scopes
    with Toolkit(base_url=sandbox.base_url, store=conns.store) as tk:
        env = tk.execute("ZOOM_GET_A_USER", {"userId": "me"}, user_id="alice", connection="alice-work")
    assert env["successful"], env


def test_deny_and_a_forged_state_store_nothing(browser, web_app, conns):
    outcome, detail = _consent(browser, f"{web_app}/connect?user_id=bob", "deny")
    assert outcome == "Zoom was not connected" and "not granted" in detail
    page = browser.new_page()
    try:
        page.goto(f"{web_app}/callback?code=stolen-code&state=forged")
        assert page.inner_text("#outcome") == "Zoom was not connected"
        assert "could not be verified" in page.inner_text("#detail")
    finally:
        page.close()
    assert conns.list() == []


def test_a_cli_user_connects_with_zoom_actions_connect(browser, sandbox, conns, tmp_path):
    port = unused_port()
    env = {**os.environ, "ZOOM_CLIENT_ID": SANDBOX_CLIENT_ID, "ZOOM_CLIENT_SECRET": SANDBOX_CLIENT_SECRET,
           "ZOOM_ACTIONS_STORE": conns.store.url}
    proc = subprocess.Popen([sys.executable, "-m", "zoom_actions", "connect", "laptop", "--no-browser", "--port",
                             str(port), "--oauth-base", sandbox.origin, "--timeout", "60"],
                            stderr=subprocess.PIPE, text=True, env=env)
    try:
        url = None
        for line in proc.stderr:
            if line.startswith(sandbox.origin + "/oauth/authorize?"):
                url = line.strip()
                break
        assert url, "the command printed no authorization URL"
        outcome, _ = _consent(browser, url, "allow")
        assert outcome == "Zoom connected"
        assert proc.wait(30) == 0
        assert "connected 'laptop'" in proc.stderr.read()
    finally:
        proc.kill()
        proc.stderr.close()
    listed = subprocess.run([sys.executable, "-m", "zoom_actions", "connections", "list"], capture_output=True,
                            text=True, env=env)
    assert "default\tlaptop\tuser_oauth" in listed.stdout
    shown = subprocess.run([sys.executable, "-m", "zoom_actions", "connections", "show", "laptop"],
                           capture_output=True, text=True, env=env)
    _, secrets = conns.load("default", "laptop")
    assert secrets["refresh_token"] not in shown.stdout and secrets["access_token"] not in shown.stdout
    revoked = subprocess.run([sys.executable, "-m", "zoom_actions", "connections", "revoke", "laptop"],
                             capture_output=True, text=True, env=env)
    assert revoked.returncode == 0 and conns.list() == []
    assert sandbox.app.oauth.rejects(secrets["access_token"])
