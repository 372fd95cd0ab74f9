"""Hostile-but-plausible input: an ordinary input error naming the problem, nothing sent, never "Internal error"."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings, strategies as st

from zoom_actions.adapters import aexecute_tool_call, execute_tool_call

DEEP_ARRAY = "[" * 5000 + "]" * 5000
DEEP_OBJECT = '{"a":' * 5000 + "1" + "}" * 5000


def _refused(env: dict, server, *needles: str) -> str:
    assert env["successful"] is False
    err = env["error"]
    assert "Internal error" not in err
    for n in needles:
        assert n in err, err
    assert server.api_requests() == []
    return err


@pytest.mark.parametrize("value,needle", [
    ("tomorrow", "2026-06-25T15:00:00Z"),
    ("2026-13-45T10:00:00Z", "date-time"),
    ("25/06/2026 15:00", "date-time"),
])
def test_start_time_must_be_a_date_time(server, tk, value, needle):
    _refused(tk.execute("ZOOM_UPDATE_A_MEETING", {"meetingId": 1, "start_time": value}), server, "start_time", needle)


@pytest.mark.parametrize("value", ["2026-06-25T15:00:00Z", "2026-06-25T15:00:00", "2026-06-25T15:00:00.5+02:00"])
def test_good_date_times_are_sent(server, tk, value):
    assert tk.execute("ZOOM_UPDATE_A_MEETING", {"meetingId": 1, "start_time": value})["successful"]
    assert server.last.json()["start_time"] == value


def test_integers_are_bounded(server, tk):
    _refused(tk.execute("ZOOM_CREATE_A_MEETING", {"userId": "me", "duration": 2 ** 200}), server, "duration",
             "from")


@pytest.mark.parametrize("value", ["9" * 5000, int("9" * 4299), 10 ** 5000 if False else int("9" * 4000)])
def test_integers_past_the_digit_limit(server, tk, value):
    _refused(tk.execute("ZOOM_CREATE_A_MEETING", {"userId": "me", "duration": value}), server, "duration")


@pytest.mark.parametrize("param,value", [("settings", DEEP_OBJECT), ("tracking_fields", DEEP_ARRAY),
                                         ("settings", "{not json")])
def test_deep_or_broken_json_strings(server, tk, param, value):
    _refused(tk.execute("ZOOM_CREATE_A_MEETING", {"userId": "me", param: value}), server, param)


def test_params_as_deep_json(server, tk):
    _refused(tk.execute("ZOOM_CREATE_A_MEETING", DEEP_ARRAY), server, "nested too deeply")


def test_broken_container_json_says_why_and_keeps_other_problems(server, tk):
    err = _refused(tk.execute("ZOOM_CREATE_A_MEETING", {"userId": "me", "settings": "{not json", "type": "x"}),
                   server, "2 problems", "not valid JSON", "`type`")
    assert "unknown parameter" not in err


@pytest.mark.parametrize("arguments,needle", [("{bad", "not valid JSON"), ("[1, 2]", "not an array"),
                                              ("3", "not int"), ("null", "not null"), (DEEP_ARRAY, "deeply"),
                                              ([1], "not an array")])
def test_tool_call_never_raises(server, tk, arguments, needle):
    env = execute_tool_call(tk, "ZOOM_CREATE_A_MEETING", arguments)
    _refused(env, server, needle)


def test_async_tool_call_never_raises(server, tk):
    import asyncio
    env = asyncio.run(aexecute_tool_call(tk, "ZOOM_CREATE_A_MEETING", "{bad"))
    _refused(env, server, "not valid JSON")


_DOUBLED = re.compile(r"(\.\.(?!\.)|\?\.|:\.|;;|\.;|,\.)")


@settings(max_examples=80, deadline=None)
@given(st.dictionaries(st.sampled_from(["userId", "topic", "type", "duration", "start_time", "settings", "topc",
                                        "settings__waiting_room", "password", "agenda", "recurrence__type"]),
                       st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=8),
                                 st.lists(st.integers(), max_size=2), st.just("{not json")), max_size=6))
def test_messages_have_no_doubled_punctuation(catalog, params):
    from zoom_actions import Toolkit
    with Toolkit(access_token="tok-for-messages", base_url="http://127.0.0.1:9", catalog=catalog,
                 max_retries=0, timeout=0.5) as tk:
        env = tk.execute("ZOOM_CREATE_A_MEETING", params)
    if not env["successful"] and env["error"].startswith("Invalid input"):
        assert not _DOUBLED.search(env["error"].replace("...", "")), env["error"]
