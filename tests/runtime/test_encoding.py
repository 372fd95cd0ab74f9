"""Path values can never change the request's path or query."""

from __future__ import annotations

from urllib.parse import unquote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zoom_actions.request import build_query, encode_path_value


def test_meeting_uuid_is_double_encoded(tk, server):
    assert tk.execute("ZOOM_GET_MEETING_RECORDINGS", {"meetingId": "/abc=="})["successful"]
    assert server.last.target == "/meetings/%252Fabc%253D%253D/recordings"
    assert tk.execute("ZOOM_GET_PAST_MEETING_PARTICIPANTS", {"meetingId": "a//b=="})["successful"]
    assert server.last.target == "/past_meetings/a%252F%252Fb%253D%253D/participants"


def test_plain_uuid_is_encoded_once(tk, server):
    assert tk.execute("ZOOM_GET_MEETING_RECORDINGS", {"meetingId": "4444AAAiAAAAAiAiAiiAii=="})["successful"]
    assert server.last.target == "/meetings/4444AAAiAAAAAiAiAiiAii%3D%3D/recordings"
    assert tk.execute("ZOOM_GET_MEETING_RECORDINGS", {"meetingId": "a/b"})["successful"]
    assert server.last.target == "/meetings/a%2Fb/recordings"


@pytest.mark.parametrize("value", ["../../users/me?x=1", "..", ".", "../..", "a?b=c#d", "%2e%2e", "x/../../y",
                                   "me&role=admin", "\\..\\..", "a b", "é/ü", "%00", "a;b", "//", "/"])
def test_hostile_path_values_stay_in_their_segment(tk, server, value):
    assert tk.execute("ZOOM_GET_MEETING_RECORDINGS", {"meetingId": value})["successful"]
    seen = server.last
    assert seen.query == ""
    assert seen.path.startswith("/meetings/") and seen.path.endswith("/recordings")
    segment = seen.path[len("/meetings/"):-len("/recordings")]
    assert "/" not in segment and "?" not in segment and "#" not in segment
    assert segment not in (".", "..")
    decoded = unquote(segment)
    if value.startswith("/") or "//" in value:
        decoded = unquote(decoded)
    assert decoded == value


def test_the_issue_example(tk, server):
    assert tk.execute("ZOOM_GET_A_USER", {"userId": "../../users/me?x=1"})["successful"]
    assert server.last.target == "/users/..%2F..%2Fusers%2Fme%3Fx%3D1"


def test_empty_path_value_is_refused(tk, server):
    env = tk.execute("ZOOM_GET_A_USER", {"userId": ""})
    assert not env["successful"] and "`userId`" in env["error"]
    env = tk.execute("ZOOM_GET_A_USER", {"userId": "   "})
    assert not env["successful"] and "`userId`" in env["error"]
    assert server.api_requests() == []


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(min_size=1, max_size=40))
def test_encoding_property(value):
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return
    enc = encode_path_value(value)
    assert enc and all(c not in enc for c in "/?#") and enc not in (".", "..")
    back = unquote(enc)
    if value.startswith("/") or "//" in value:
        back = unquote(back)
    assert back == value


def test_query_values_cannot_add_parameters():
    q = build_query({"keyword": "a&admin=true", "search": "x=y#z"}, frozenset())
    assert q == "keyword=a%26admin%3Dtrue&search=x%3Dy%23z"
