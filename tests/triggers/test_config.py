"""A subscription's configuration is checked before anything is polled; each
error names the field (closest names first for a misspelling)."""

from __future__ import annotations

import pytest

from zoom_actions.triggers import TriggerConfigError

DETAILS = "ZOOM_MEETING_DETAILS_CHANGED_TRIGGER"
CREATED = "ZOOM_NEW_MEETING_CREATED_TRIGGER"


def problems(excinfo) -> dict[str, str]:
    return dict(excinfo.value.problems)


def test_an_unknown_trigger_names_the_closest_slugs(triggers):
    with pytest.raises(TriggerConfigError) as exc:
        triggers.subscribe("ZOOM_NEW_MEETING_CREATE_TRIGGER", {})
    assert "did you mean ZOOM_NEW_MEETING_CREATED_TRIGGER" in str(exc.value)
    assert triggers.subscriptions() == []


def test_a_slug_may_leave_out_case_prefix_and_suffix(triggers):
    assert triggers.subscribe("new_meeting_created", {}) == triggers.subscribe(CREATED, {})


def test_an_unknown_field_suggests_the_closest_first(triggers):
    with pytest.raises(TriggerConfigError) as exc:
        triggers.subscribe(CREATED, {"usr_id": "me"})
    message = problems(exc)["usr_id"]
    assert "did you mean user_id?" in message
    listed = message.split("takes ", 1)[1]
    assert listed.startswith("user_id") and set(listed.rstrip(")").split(", ")) == {
        "user_id", "page_size", "meeting_type", "interval"}


def test_a_missing_required_field_is_named_with_its_type(triggers):
    with pytest.raises(TriggerConfigError) as exc:
        triggers.subscribe(DETAILS, {"interval": 5})
    assert problems(exc)["meeting_id"].startswith("required (integer)")


@pytest.mark.parametrize("slug, config, field, text", [
    (DETAILS, {"meeting_id": "abc"}, "meeting_id", "must be an integer, got str 'abc'"),
    (DETAILS, {"meeting_id": True}, "meeting_id", "must be an integer, got bool"),
    (DETAILS, {"meeting_id": 1, "interval": "5"}, "interval", "must be a number"),
    (DETAILS, {"meeting_id": 1, "interval": 0}, "interval", "must be more than 0"),
    (CREATED, {"page_size": 500}, "page_size", "must be at most 300"),
    (CREATED, {"page_size": 0}, "page_size", "must be at least 1"),
    (CREATED, {"meeting_type": "scheduld"}, "meeting_type", "must be one of scheduled, "),
    ("ZOOM_MEETING_RECORDING_CHANGED_TRIGGER", {"meeting_id": "1", "include_download_token": "yes"},
     "include_download_token", "must be true or false"),
    ("ZOOM_MEETING_RECORDING_CHANGED_TRIGGER", {"meeting_id": 85746065432}, "meeting_id", "must be a string"),
    ("ZOOM_DAILY_USAGE_REPORT_CHANGED_TRIGGER", {"month": 13}, "month", "must be at most 12"),
    ("ZOOM_USER_INFORMATION_CHANGED_TRIGGER", {"user_id": "me", "login_type": 5}, "login_type", "must be one of"),
    ("ZOOM_USER_INFORMATION_CHANGED_TRIGGER", {"user_id": "  "}, "user_id", "must not be empty"),
])
def test_a_wrong_value_is_named_with_what_it_must_be(triggers, slug, config, field, text):
    with pytest.raises(TriggerConfigError) as exc:
        triggers.subscribe(slug, config)
    assert text in problems(exc)[field]
    assert f"`{field}`" in str(exc.value) and slug in str(exc.value)


def test_every_problem_is_reported_at_once(triggers):
    with pytest.raises(TriggerConfigError) as exc:
        triggers.subscribe(DETAILS, {"meetingid": 1, "interval": -1})
    assert set(problems(exc)) == {"meetingid", "meeting_id", "interval"}
    assert "did you mean meeting_id?" in problems(exc)["meetingid"]


def test_defaults_fill_in_and_the_same_configuration_is_one_subscription(triggers):
    a = triggers.subscribe(CREATED, {})
    b = triggers.subscribe(CREATED, {"user_id": "me", "meeting_type": "scheduled", "page_size": 30, "interval": 5})
    assert a == b and len(triggers.subscriptions()) == 1
    sub = triggers.subscriptions()[0]
    assert sub.config == {"interval": 5, "meeting_type": "scheduled", "page_size": 30, "user_id": "me"}
    assert sub.interval_s == 300.0    # a new interval reschedules the same subscription
    assert triggers.subscribe(CREATED, {"meeting_type": "live"}) != a
