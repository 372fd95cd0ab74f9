"""The 11 triggers have Composio's slugs, configuration fields (names, types,
which are required) and payload fields, and each polls real catalog actions
with parameters those actions accept."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from zoom_actions.cli import main
from zoom_actions.triggers import TRIGGERS
from zoom_actions.triggers.config import validate

S, I, N, B = "string", "integer", "number", "boolean"
PARTICIPANT = {"customer_key", "duration", "failover", "id", "join_time", "leave_time", "name", "registrant_id",
               "status", "user_email", "user_id"}
WEBINAR_PARTICIPANT = {"attentiveness_score", "bo_mtg_id", "duration", "id", "join_time", "leave_time", "name",
                       "registrant_id", "user_email", "user_id"}
WEBINAR = {"agenda", "created_at", "duration", "host_id", "id", "join_url", "occurrences", "settings", "start_time",
           "start_url", "timezone", "topic", "type", "uuid"}

# slug: ({field: (type, required)}, payload fields), as Composio's Zoom toolkit lists them
COMPOSIO = {
    "ZOOM_DAILY_USAGE_REPORT_CHANGED_TRIGGER": (
        {"group_id": (S, False), "interval": (N, False), "month": (I, False), "year": (I, False)},
        {"changed_dates", "event_type", "report"}),
    "ZOOM_MEETING_DETAILS_CHANGED_TRIGGER": (
        {"interval": (N, False), "meeting_id": (I, True)}, {"changed_fields", "event_type", "meeting_details"}),
    "ZOOM_MEETING_RECORDING_CHANGED_TRIGGER": (
        {"include_download_token": (B, False), "interval": (N, False), "meeting_id": (S, True),
         "token_ttl": (I, False)}, {"changes_detected", "event_type", "meeting_recording"}),
    "ZOOM_MEETING_SUMMARY_UPDATED_TRIGGER": (
        {"interval": (N, False), "meeting_id": (S, True)}, {"changed_fields", "event_type", "summary"}),
    "ZOOM_NEW_CLOUD_RECORDING_TRIGGER": (
        {"interval": (N, False), "page_size": (I, False), "user_id": (S, False)}, {"event_type", "meeting"}),
    "ZOOM_NEW_MEETING_CREATED_TRIGGER": (
        {"interval": (N, False), "meeting_type": (S, False), "page_size": (I, False), "user_id": (S, False)},
        {"event_type", "meeting"}),
    "ZOOM_NEW_MEETING_PARTICIPANT_TRIGGER": (
        {"interval": (N, False), "meeting_id": (S, True), "page_size": (I, False)}, PARTICIPANT),
    "ZOOM_NEW_WEBINAR_CREATED_TRIGGER": (
        {"interval": (N, False), "page_size": (I, False), "user_id": (S, False)}, WEBINAR),
    "ZOOM_NEW_WEBINAR_PARTICIPANT_TRIGGER": (
        {"interval": (N, False), "page_size": (I, False), "webinar_id": (S, True)}, WEBINAR_PARTICIPANT),
    "ZOOM_USER_INFORMATION_CHANGED_TRIGGER": (
        {"interval": (N, False), "login_type": (I, False), "user_id": (S, True)},
        {"changes_detected", "event_type", "user"}),
    "ZOOM_WEBINAR_DETAILS_CHANGED_TRIGGER": (
        {"interval": (N, False), "occurrence_id": (S, False), "show_previous_occurrences": (B, False),
         "webinar_id": (S, True)}, {"changes_detected", "event_type", "webinar"}),
}

SAMPLE = {S: "85746065432", I: 85746065432, B: True}


def test_the_eleven_slugs_fields_and_payloads_are_composios():
    assert set(TRIGGERS) == set(COMPOSIO)
    for slug, (fields, payload) in COMPOSIO.items():
        t = TRIGGERS[slug]
        assert {f.name: (f.type, f.required) for f in t.fields} == fields, slug
        assert set(t.payload) == payload, slug
        assert t.field("interval").default is not None and t.field("interval").description


@pytest.mark.parametrize("slug", sorted(COMPOSIO))
def test_each_polls_catalog_actions_with_parameters_they_accept(slug, catalog, tk):
    t = TRIGGERS[slug]
    assert all(name in catalog for name in t.polls)
    config = validate(t, {f.name: SAMPLE[f.type] for f in t.fields if f.required})
    params = t.params(config, datetime(2026, 3, 4, tzinfo=timezone.utc))
    tk.plan(t.polls[0]).inputs.normalize(params)   # raises on a parameter the action does not take
    if t.detail is not None:
        name, extra = t.detail({"id": 85746065432})
        assert name in t.polls
        tk.plan(name).inputs.normalize(extra)
    if t.paginate:
        assert tk.plan(t.polls[0]).pagination in ("next_page_token", "page_number")


def test_list_shows_each_trigger_with_its_fields_and_actions(capsys):
    assert main(["triggers", "list"]) == 0
    rows = [line.split("\t") for line in capsys.readouterr().out.splitlines()]
    assert len(rows) == 11 and {r[0] for r in rows} == set(COMPOSIO)
    by_slug = {r[0]: r for r in rows}
    assert "meeting_id:integer*" in by_slug["ZOOM_MEETING_DETAILS_CHANGED_TRIGGER"][1].split()
    assert "user_id:string=me" in by_slug["ZOOM_NEW_MEETING_CREATED_TRIGGER"][1].split()
    assert by_slug["ZOOM_NEW_WEBINAR_CREATED_TRIGGER"][2] == "ZOOM_LIST_WEBINARS, ZOOM_GET_A_WEBINAR"


def test_show_describes_one_trigger(capsys):
    assert main(["triggers", "show", "user_information_changed"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["slug"] == "ZOOM_USER_INFORMATION_CHANGED_TRIGGER" and shown["polls"] == ["ZOOM_GET_A_USER"]
    assert {"name": "user_id", "type": "string", "required": True} == {
        k: v for k, v in next(f for f in shown["config"] if f["name"] == "user_id").items() if k != "description"}
    assert set(shown["volatile"]) >= {"last_login_time", "pic_url", "created_at", "last_client_version", "jid"}
    assert main(["triggers", "show", "ZOOM_NOPE"]) == 2
