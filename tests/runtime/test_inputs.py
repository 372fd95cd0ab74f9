"""Coercion, aliases, validation and the messages for bad input."""

from __future__ import annotations

import pytest

CREATE = "ZOOM_CREATE_A_MEETING"


def _sent(server):
    reqs = server.api_requests()
    return reqs[-1] if reqs else None


@pytest.mark.parametrize("given,expected", [
    ({"meetingId": "85746065"}, "/meetings/85746065"),
    ({"meetingId": 85746065.0}, "/meetings/85746065"),
    ({"meetingId": " 12 "}, "/meetings/12"),
    ({"meetingId": 1, "show_previous_occurrences": "TRUE"}, "/meetings/1?show_previous_occurrences=true"),
    ({"meetingId": 1, "show_previous_occurrences": "no"}, "/meetings/1?show_previous_occurrences=false"),
    ({"meetingId": 1, "show_previous_occurrences": 1}, "/meetings/1?show_previous_occurrences=true"),
    ({"meetingId": 1, "occurrence_id": 1648194360000}, "/meetings/1?occurrence_id=1648194360000"),
])
def test_llm_style_values_are_coerced(tk, server, given, expected):
    env = tk.execute("ZOOM_GET_A_MEETING", given)
    assert env["successful"], env
    assert server.last.target == expected


def test_json_strings_for_arrays_and_objects(tk, server):
    env = tk.execute("ZOOM_UPDATE_USER_SETTINGS", {"userId": "me", "feature": '{"meeting_capacity": 100}'})
    assert env["successful"], env
    assert server.last.json() == {"feature": {"meeting_capacity": 100}}
    env = tk.execute("ZOOM_GET_ACCOUNT_S_CALL_HISTORY", {"directions": '["inbound"]', "site_ids": "s1"})
    assert env["successful"], env
    assert server.last.target == "/phone/call_history?directions=inbound&site_ids=s1"


def test_whole_params_as_json_string(tk, server):
    env = tk.execute("ZOOM_GET_A_MEETING", '{"meetingId": "42"}')
    assert env["successful"], env
    assert server.last.target == "/meetings/42"


def test_composio_aliases(tk, server):
    env = tk.execute(CREATE, {"userId": "me", "settings__waiting__room": "true", "recurrence__end__times": "3",
                              "recurrence__type": 1})
    assert env["successful"], env
    assert server.last.json() == {"settings": {"waiting_room": True}, "recurrence": {"end_times": 3, "type": 1}}


def test_alias_and_canonical_conflict(tk, server):
    env = tk.execute(CREATE, {"userId": "me", "settings__waiting_room": True, "settings__waiting__room": False})
    assert not env["successful"] and "`settings__waiting_room`" in env["error"] and "twice" in env["error"]
    assert _sent(server) is None


def test_unknown_parameters_get_suggestions(tk, server):
    env = tk.execute(CREATE, {"userId": "me", "topc": "x", "settings__waiting_rom": True, "zzzzqqqq": 1})
    assert not env["successful"]
    err = env["error"]
    assert "`topc`: unknown parameter; did you mean `topic`" in err
    assert "`settings__waiting_rom`: unknown parameter; did you mean `settings__waiting_room`" in err
    assert "`zzzzqqqq`: unknown parameter" in err
    assert "3 problems" in err and "nothing was sent" in err
    assert _sent(server) is None


def test_every_offending_parameter_is_named(tk, server):
    env = tk.execute(CREATE, {"userId": "me", "type": "weekly", "duration": "long", "settings__approval_type": 7,
                              "agenda": "x" * 2001, "settings__waiting_room": "perhaps"})
    assert not env["successful"]
    for name in ("type", "duration", "settings__approval_type", "agenda", "settings__waiting_room"):
        assert f"`{name}`" in env["error"], (name, env["error"])
    assert "5 problems" in env["error"]
    assert _sent(server) is None


def test_missing_required(tk, server):
    env = tk.execute("ZOOM_ADD_A_MEETING_REGISTRANT", {"meetingId": 1})
    assert not env["successful"]
    assert "`first_name`: missing (required)" in env["error"] and "`email`: missing (required)" in env["error"]
    env = tk.execute("ZOOM_GET_A_MEETING", None)
    assert "`meetingId`: missing (required)" in env["error"]
    env = tk.execute("ZOOM_GET_A_MEETING", {"meetingId": None})
    assert "`meetingId`: missing (required)" in env["error"]
    assert _sent(server) is None


def test_nested_body_is_validated_after_rebuilding(tk, server):
    # recurrence.type is required inside recurrence: only the rebuilt body shows it
    env = tk.execute(CREATE, {"userId": "me", "recurrence__end_times": 3})
    assert not env["successful"] and "`recurrence__type`: missing (required)" in env["error"]
    assert _sent(server) is None


def test_nested_container_with_unknown_field(tk, server):
    env = tk.execute(CREATE, {"userId": "me", "settings": {"waiting_rooom": True}})
    assert not env["successful"] and "`settings.waiting_rooom`" in env["error"] and "waiting_room" in env["error"]


@pytest.mark.parametrize("params", [[1, 2], 42, "not json", b"\xff", {1: 2}])
def test_params_that_are_not_an_object(tk, server, params):
    env = tk.execute("ZOOM_GET_A_MEETING", params)
    assert not env["successful"] and "nothing was sent" in env["error"]
    assert _sent(server) is None


def test_unknown_action(tk, server):
    env = tk.execute("ZOOM_CREATE_MEETING", {})
    assert env["successful"] is False and env["data"] == {}
    assert "Unknown action 'ZOOM_CREATE_MEETING'" in env["error"] and "ZOOM_CREATE_A_MEETING" in env["error"]
    assert tk.execute(None, {})["successful"] is False
    assert tk.execute(["x"], {})["successful"] is False
    assert _sent(server) is None


def test_oneof_overlap_is_not_rejected(tk, server):
    # userId is oneOf [string, string(email)]: an email matches both branches
    env = tk.execute("ZOOM_GET_MEETING_REPORTS", {"userId": "a@example.com", "from": "2026-01-01",
                                                  "to": "2026-01-31"})
    assert env["successful"], env


def test_formats_are_annotations(tk, server):
    # Zoom takes a local start_time with a separate timezone
    env = tk.execute(CREATE, {"userId": "me", "start_time": "2026-06-25T15:00:00", "timezone": "Europe/Paris"})
    assert env["successful"], env
    assert server.last.json()["start_time"] == "2026-06-25T15:00:00"


def test_invalid_unicode_is_an_input_error(tk, server):
    env = tk.execute("ZOOM_GET_A_USER", {"userId": "\ud800"})
    assert not env["successful"] and "`userId`" in env["error"]
    env = tk.execute(CREATE, {"userId": "me", "topic": "\udfff"})
    assert not env["successful"] and "`topic`" in env["error"]
    assert _sent(server) is None


def test_validators_are_compiled_once(tk):
    tk.execute("ZOOM_GET_A_MEETING", {"meetingId": "x"})
    plan = tk.plan("ZOOM_GET_A_MEETING")
    assert tk.plan("ZOOM_GET_A_MEETING") is plan and plan.inputs._validate is not None


def test_strict_mode_nested_nulls_are_read_as_omitted(tk, server):
    # OpenAI strict mode makes every nested field required and nullable: a model
    # sends null for what it leaves out, also inside array items.
    env = tk.execute(CREATE, {"userId": "me", "topic": "Sync", "agenda": None,
                              "settings__breakout_room__rooms": [{"name": "Room A", "participants": None}]})
    assert env["successful"], env
    assert server.last.json() == {"topic": "Sync", "settings": {"breakout_room": {"rooms": [{"name": "Room A"}]}}}


def test_null_inside_items_is_still_an_error_where_it_breaks_the_schema(tk, server):
    before = len(server.api_requests())
    env = tk.execute(CREATE, {"userId": "me", "settings__meeting_invitees": [{"email": 5}]})
    assert not env["successful"] and "settings__meeting_invitees" in env["error"]
    assert len(server.api_requests()) == before
