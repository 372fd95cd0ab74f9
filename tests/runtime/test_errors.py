"""Zoom's errors turned into one actionable message."""

from __future__ import annotations

import pytest

from .recorder import Reply


def _fail_with(tk, server, status, body, name="ZOOM_GET_A_MEETING", params=None, headers=None):
    server.queue(Reply(status, body, headers=headers or {}))
    env = tk.execute(name, params or {"meetingId": 1})
    assert env["successful"] is False
    return env


def test_message_has_status_code_and_zoom_message(tk, server):
    env = _fail_with(tk, server, 404, {"code": 3001, "message": "Meeting does not exist: 1."})
    err = env["error"]
    assert err.startswith("HTTP 404 from Zoom for ZOOM_GET_A_MEETING (GET /meetings/{meetingId}): code 3001, "
                          "Meeting does not exist: 1.")
    assert "Zoom documents code 3001 for this operation as: Meeting does not exist: {meetingId}." in err
    assert "meeting UUID" in err
    assert env["data"] == {"code": 3001, "message": "Meeting does not exist: 1."}


def test_4711_names_the_missing_scope_and_the_actions_scopes(tk, server):
    env = _fail_with(tk, server, 400, {"code": 4711, "message": "Invalid access token, does not contain scopes:"
                                                                "[meeting:read:meeting, meeting:read:meeting:admin]."})
    err = env["error"]
    assert "lacks the scopes this operation needs: meeting:read:meeting, meeting:read:meeting:admin" in err
    assert "granular: meeting:read:meeting, meeting:read:meeting:admin" in err and "classic: meeting:read" in err
    assert "re-authorize" in err


def test_300_lists_the_fields(tk, server):
    env = _fail_with(tk, server, 400, {"code": 300, "message": "Validation Failed.",
                                       "errors": [{"field": "start_time", "message": "Invalid field."}]},
                     name="ZOOM_CREATE_A_MEETING", params={"userId": "me", "topic": "x"})
    assert "Zoom rejected these fields: start_time: Invalid field." in env["error"]


def test_1001_explains_me_for_server_to_server(tk, server):
    env = _fail_with(tk, server, 404, {"code": 1001, "message": "User does not exist: me."},
                     name="ZOOM_LIST_MEETINGS", params={"userId": "me"})
    assert "Server-to-Server apps cannot use `me`" in env["error"]


def test_3000(tk, server):
    env = _fail_with(tk, server, 400, {"code": 3000, "message": "Cannot access webinar info."})
    assert "Zoom documents code 3000" in env["error"] and "cannot access this meeting or webinar" in env["error"]


def test_124(tk, server):
    env = _fail_with(tk, server, 401, {"code": 124, "message": "Invalid access token."})
    assert "code 124" in env["error"] and "invalid or expired" in env["error"]


def test_200_no_permission(tk, server):
    env = _fail_with(tk, server, 400, {"code": 200, "message": "No permission."}, name="ZOOM_GET_A_WEBINAR",
                     params={"webinarId": 1})
    assert "Webinar license" in env["error"]


@pytest.mark.parametrize("status,body,first", [
    (400, {"code": 3000, "message": "Cannot access meeting info."}, "AI Companion"),
    (403, {"code": 4711, "message": "Invalid access token, does not contain scopes:[meeting:read:summary]."},
     "meeting-summary scope"),
    (404, {"code": 3001, "message": "Meeting does not exist."}, "No summary exists"),
    (404, {"code": 404, "message": "Not Found"}, "No summary exists"),
    (400, {"code": 12702, "message": "Meeting summary is not supported for end-to-end encrypted meetings."},
     "end-to-end encrypted"),
    (422, None, "AI Companion"),
])
def test_meeting_summary_4xx_is_diagnosed_never_missing_endpoint(tk, server, status, body, first):
    server.queue(Reply(status, body) if body is not None else Reply(status, raw=b"", headers={}))
    env = tk.execute("ZOOM_GET_A_MEETING_SUMMARY", {"meetingId": "aDYlohsHRtCd4ii1uC2+hA=="})
    err = env["error"]
    assert not env["successful"]
    assert first in err
    assert "endpoint exists" in err
    for cause in ("scope", "AI Companion", "below Pro", "end-to-end encrypted"):
        assert cause in err
    assert "no such endpoint" not in err.lower() and "not found: check the ids" not in err.lower()


def test_non_json_error_body(tk, server):
    server.queue(Reply(502, raw=b"<html>Bad gateway</html>", headers={"Content-Type": "text/html"}))
    server.queue(Reply(502, raw=b"<html>Bad gateway</html>", headers={"Content-Type": "text/html"}))
    server.queue(Reply(502, raw=b"<html>Bad gateway</html>", headers={"Content-Type": "text/html"}))
    server.queue(Reply(502, raw=b"<html>Bad gateway</html>", headers={"Content-Type": "text/html"}))
    from zoom_actions.retry import RetryPolicy
    tk.retry = RetryPolicy(max_retries=3, backoff_base=0.001, backoff_max=0.002)
    env = tk.execute("ZOOM_GET_A_MEETING", {"meetingId": 1})
    assert "HTTP 502" in env["error"] and "Bad gateway" in env["error"]
    assert env["data"] == {"content": "<html>Bad gateway</html>", "content_type": "text/html"}


def test_404_after_a_resend_mentions_earlier_attempt(make_tk, server):
    from zoom_actions.retry import RetryPolicy
    tk = make_tk(retry=RetryPolicy(max_retries=2, backoff_base=0.001, backoff_max=0.002))
    server.queue(Reply(503, {"code": 503, "message": "busy"}), Reply(404, {"code": 3001, "message": "gone"}))
    env = tk.execute("ZOOM_DELETE_A_MEETING", {"meetingId": 1})
    assert "already succeeded" in env["error"]
