"""`zoom-actions run`: envelope as JSON, exit status from `successful`."""

from __future__ import annotations

import json

import pytest

from zoom_actions.cli import main

TOKEN = "cli-token-SECRET-987654321"
CRED_VARS = ("ZOOM_ACCESS_TOKEN", "ZOOM_ACCOUNT_ID", "ZOOM_CLIENT_ID", "ZOOM_CLIENT_SECRET", "ZOOM_REFRESH_TOKEN",
             "ZOOM_BASE_URL", "ZOOM_ROUTE", "LAVA_SECRET_KEY", "MATON_API_KEY")


@pytest.fixture
def env(monkeypatch, server):
    for k in CRED_VARS:
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("ZOOM_ACCESS_TOKEN", TOKEN)
    monkeypatch.setenv("ZOOM_BASE_URL", server.url)
    return monkeypatch


def _run(capsys, *argv):
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def test_run_prints_the_envelope(env, server, capsys):
    rc, out, err = _run(capsys, "run", "ZOOM_GET_A_MEETING", "-p", "meetingId=85746065")
    assert rc == 0, err
    assert json.loads(out) == {"data": {"ok": True}, "successful": True, "error": None}
    assert server.last.target == "/meetings/85746065"
    assert server.last.headers["authorization"] == f"Bearer {TOKEN}"
    assert TOKEN not in out + err


def test_params_json_and_key_values_merge(env, server, capsys):
    rc, out, _ = _run(capsys, "run", "ZOOM_CREATE_A_MEETING", "--params", '{"userId": "me", "topic": "Sync"}',
                      "-p", "type=2", "-p", "settings__waiting_room=true", "-p", "agenda=Plain text, not JSON",
                      "--compact")
    assert rc == 0
    assert out.count("\n") == 1
    assert server.last.json() == {"topic": "Sync", "type": 2, "agenda": "Plain text, not JSON",
                                  "settings": {"waiting_room": True}}


def test_unsuccessful_exits_non_zero(env, server, capsys):
    rc, out, _ = _run(capsys, "run", "ZOOM_GET_A_MEETING", "-p", "meetingId=abc")
    assert rc == 1 and json.loads(out)["successful"] is False
    rc, out, _ = _run(capsys, "run", "ZOOM_NOPE")
    assert rc == 1 and "Unknown action" in json.loads(out)["error"]
    assert server.api_requests() == []


@pytest.mark.parametrize("argv", [["--params", "{bad"], ["--params", "[1]"], ["-p", "novalue"]])
def test_bad_arguments(env, capsys, argv):
    rc, out, err = _run(capsys, "run", "ZOOM_GET_A_MEETING", *argv)
    assert rc == 2 and out == "" and "error:" in err


def test_no_credentials_suggests_sandbox(env, capsys):
    env.delenv("ZOOM_ACCESS_TOKEN")
    rc, out, err = _run(capsys, "run", "ZOOM_GET_A_MEETING", "-p", "meetingId=1")
    assert rc == 2 and out == ""
    assert "No Zoom credentials" in err and "--sandbox" in err and "ZOOM_ACCOUNT_ID" in err


def test_sandbox(env, capsys, tmp_path):
    env.delenv("ZOOM_ACCESS_TOKEN")
    env.delenv("ZOOM_BASE_URL")
    env.setenv("ZOOM_SANDBOX_DB", str(tmp_path / "sandbox.db"))
    rc, out, err = _run(capsys, "run", "ZOOM_CREATE_A_MEETING", "--sandbox", "-p", "userId=me", "-p", "topic=Demo",
                        "-p", "type=2")
    assert rc == 0, out + err
    assert json.loads(out)["data"]["topic"] == "Demo"


def test_paginate_flag(env, server, capsys):
    from .recorder import Reply
    server.queue(Reply(200, {"next_page_token": "n2", "users": [{"id": 1}]}),
                 Reply(200, {"next_page_token": "", "users": [{"id": 2}]}))
    rc, out, _ = _run(capsys, "run", "ZOOM_LIST_USERS", "--paginate")
    assert rc == 0 and [u["id"] for u in json.loads(out)["data"]["users"]] == [1, 2]


def test_toolkit_sandbox_in_memory(monkeypatch, catalog):
    from zoom_actions import Toolkit
    for k in CRED_VARS:
        monkeypatch.delenv(k, raising=False)
    with Toolkit(sandbox=True, catalog=catalog) as tk:
        assert tk.limiter is None and tk.auth_error is None
        created = tk.execute("ZOOM_CREATE_A_MEETING", {"userId": "me", "topic": "Mem", "type": 2})
        assert created["successful"], created
        got = tk.execute("ZOOM_GET_A_MEETING", {"meetingId": created["data"]["id"]})
        assert got["data"]["topic"] == "Mem"
