"""The webhook receiver on a real server stack (uvicorn, loopback): Zoom's
signature, replay window, URL validation, secret rotation, duplicates;
every refused delivery stores nothing and is counted."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
import time

import httpx2
import pytest

from zoom_actions.events import Events
from zoom_actions.events.receiver import signature

SECRET, NEXT = "zoom-secret-token-1", "zoom-secret-token-2"


@pytest.fixture()
def served(tmp_path):
    import uvicorn
    events = Events(tmp_path / "events.db")
    got = []
    events.on("meeting.*")(lambda e: got.append(e))
    app = events.webhook_app([SECRET, NEXT])
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}/zoom/events", events, app, got
    server.should_exit = True
    thread.join(5)
    sock.close()
    events.log.close()


def _event(kind="meeting.participant_joined", ts=1767225600000, **payload) -> bytes:
    return json.dumps({"event": kind, "event_ts": ts, "payload": {"account_id": "acc1", "object": {
        "id": 85746065, "participant": {"user_name": "Avery"}, **payload}}}).encode()


def _post(url, body: bytes, secret=SECRET, ts=None, sig=None) -> httpx2.Response:
    ts = str(int(time.time()) if ts is None else ts)
    headers = {"content-type": "application/json", "x-zm-request-timestamp": ts,
               "x-zm-signature": sig or signature(secret, ts, body)}
    return httpx2.post(url, content=body, headers=headers, timeout=10)


def _wait(cond, timeout=5.0):
    end = time.monotonic() + timeout
    while not cond() and time.monotonic() < end:
        time.sleep(0.02)
    return cond()


def test_a_signed_event_is_stored_then_handled_once(served):
    url, events, app, got = served
    assert _post(url, _event()).json()["status"] == "accepted"
    assert _post(url, _event(), secret=NEXT).json()["status"] == "duplicate"   # Zoom's retry, under the new secret
    assert _wait(lambda: len(got) == 1)
    time.sleep(0.2)
    assert len(got) == 1 and got[0].type == "meeting.participant_joined" and got[0].account == "acc1"
    assert got[0].payload["object"]["participant"]["user_name"] == "Avery"
    assert events.log.count() == 1 and app.state.stats["duplicate"] == 1


def test_url_validation_answers_with_the_hmac_of_the_plain_token(served):
    url, events, app, _ = served
    body = json.dumps({"event": "endpoint.url_validation", "event_ts": 1, "payload": {"plainToken": "qgg8vlvZRS6UYooatFL8Aw"}}).encode()
    answer = _post(url, body, secret=NEXT).json()
    assert answer == {"plainToken": "qgg8vlvZRS6UYooatFL8Aw",
                      "encryptedToken": hmac.new(NEXT.encode(), b"qgg8vlvZRS6UYooatFL8Aw", hashlib.sha256).hexdigest()}
    assert events.log.count() == 0


def test_forged_replayed_stale_and_altered_deliveries_are_refused_and_counted(served):
    url, events, app, got = served
    body = _event(ts=1767225600001)
    now = int(time.time())
    good_sig = signature(SECRET, str(now), body)
    cases = {
        "forged": _post(url, body, sig="v0=" + "0" * 64),
        "wrong secret": _post(url, body, secret="not-the-secret"),
        "altered byte": _post(url, body.replace(b"Avery", b"Averz"), ts=now, sig=good_sig),
        "stale": _post(url, body, ts=now - 400),
        "future": _post(url, body, ts=now + 400),
        "replayed old delivery": _post(url, body, ts=now - 3600, sig=signature(SECRET, str(now - 3600), body)),
        "no signature": httpx2.post(url, content=body, headers={"x-zm-request-timestamp": str(now)}),
    }
    assert {k: r.status_code for k, r in cases.items()} == dict.fromkeys(cases, 401)
    assert events.log.count() == 0 and got == []
    stats = app.state.stats
    assert stats["bad_signature"] == 4 and stats["stale_timestamp"] == 3 and stats["accepted"] == 0
    assert httpx2.get(url + "/stats").json()["bad_signature"] == 4


def test_oversized_and_malformed_bodies(served):
    url, events, app, _ = served
    big = b"{" + b" " * (1 << 20) + b"}"
    assert _post(url, big).status_code == 413
    assert _post(url, b"[1, 2]").status_code == 400 and _post(url, b"{not json").status_code == 400
    assert events.log.count() == 0


def test_a_receiver_needs_a_secret(tmp_path, monkeypatch):
    monkeypatch.delenv("ZOOM_WEBHOOK_SECRET_TOKEN", raising=False)
    with pytest.raises(ValueError, match="ZOOM_WEBHOOK_SECRET_TOKEN"):
        Events(tmp_path / "e.db").webhook_app()


def test_events_tail_prints_the_log(tmp_path):
    import subprocess
    import sys
    from zoom_actions.events import from_webhook
    events = Events(tmp_path / "events.db")
    events.accept(from_webhook({"event": "meeting.started", "event_ts": 1, "payload": {"object": {"id": 1}}}))
    events.accept(from_webhook({"event": "recording.completed", "event_ts": 2, "payload": {"object": {"id": 1}}}))
    out = subprocess.run([sys.executable, "-m", "zoom_actions", "events", "tail", "--log", str(tmp_path / "events.db"),
                          "--type", "recording.completed"], capture_output=True, text=True, timeout=60)
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert [e["type"] for e in lines] == ["recording.completed"] and lines[0]["source"] == "webhook"


def test_event_log_sits_beside_the_sqlite_store_the_url_names(monkeypatch, tmp_path):
    from zoom_actions.events.bus import default_log_path
    from zoom_actions.store import open_store
    monkeypatch.setenv("ZOOM_ACTIONS_STORE", f"sqlite://{tmp_path}/state/store.db")   # sqlite:///abs/path
    store = open_store()
    try:
        assert default_log_path() == store.path.with_name("events.db") == tmp_path / "state" / "events.db"
    finally:
        store.close()
