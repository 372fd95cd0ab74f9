"""Each of the 11 triggers fires on the sandbox change it watches, with
Composio's payload fields, and stays quiet when only volatile fields (or
things it does not watch) change.

The sandbox is changed through actions where Zoom's API can change it
(create, update, end, add users); where only Zoom itself changes things (a
meeting going live, a recording or summary becoming ready, a start URL's
token rotating, a login time) the test writes the sandbox's store, as Zoom
would change its own state."""

from __future__ import annotations

import random
from datetime import datetime, timezone

from zoom_actions.sandbox import history, ids
from zoom_actions.triggers.definitions import (MEETING_PARTICIPANT_FIELDS, TRIGGERS, WEBINAR_FIELDS,
                                               WEBINAR_PARTICIPANT_FIELDS)

from .conftest import add_recording, change, go_live, latest_past, ok


def baseline(triggers, slug: str, config: dict) -> str:
    sub = triggers.subscribe(slug, config)
    first = triggers.poll(sub)
    assert first.ok and first.baseline and first.events == [], first.error
    return sub


def fired(triggers, sub: str) -> list[dict]:
    result = triggers.poll(sub)
    assert result.ok and not result.baseline, result.error
    for event in result.events:
        assert event.type == result.slug and event.source == "trigger" and event.dedupe_key
        assert set(event.payload) == set(TRIGGERS[result.slug].payload)
    return [e.payload for e in result.events]


def test_new_meeting_created(triggers, tk, seed):
    sub = baseline(triggers, "ZOOM_NEW_MEETING_CREATED_TRIGGER", {"user_id": "me"})
    ok(tk.execute("ZOOM_UPDATE_A_MEETING", {"meetingId": seed["meetings"]["one_on_one"], "topic": "Renamed"}))
    assert fired(triggers, sub) == []                     # a change to a known meeting is not a new one
    made = ok(tk.execute("ZOOM_CREATE_A_MEETING", {"userId": "me", "topic": "Planning", "type": 2}))
    [payload] = fired(triggers, sub)
    assert payload["event_type"] == "meeting_created"
    assert payload["meeting"]["id"] == made["id"] and payload["meeting"]["topic"] == "Planning"
    assert fired(triggers, sub) == []


def test_meeting_details_changed(triggers, tk, sandbox, seed):
    number = seed["meetings"]["roadmap_review"]
    sub = baseline(triggers, "ZOOM_MEETING_DETAILS_CHANGED_TRIGGER", {"meeting_id": number})
    change(sandbox, "meeting", number, start_url=f"https://us05web.zoom.us/s/{number}?zak=rotated",
           uuid=ids.meeting_uuid(), status="started")
    assert fired(triggers, sub) == []                     # a fresh start-URL token, a new sitting: not details
    ok(tk.execute("ZOOM_UPDATE_A_MEETING", {"meetingId": number, "topic": "H2 roadmap", "agenda": "Priorities"}))
    [payload] = fired(triggers, sub)
    assert payload["event_type"] == "meeting_updated" and payload["changed_fields"] == ["agenda", "topic"]
    assert payload["meeting_details"]["topic"] == "H2 roadmap"
    ok(tk.execute("ZOOM_UPDATE_A_MEETING", {"meetingId": number, "settings__waiting_room": False}))
    [payload] = fired(triggers, sub)
    assert payload == {"event_type": "settings_changed", "changed_fields": ["settings.waiting_room"],
                       "meeting_details": payload["meeting_details"]}
    ok(tk.execute("ZOOM_UPDATE_A_MEETING", {"meetingId": number, "password": "n3wPass"}))
    assert "password" in fired(triggers, sub)[0]["changed_fields"]


def test_meeting_recording_changed(triggers, tk, sandbox, seed):
    number = seed["meetings"]["incident_bridge"]
    sub = baseline(triggers, "ZOOM_MEETING_RECORDING_CHANGED_TRIGGER",
                   {"meeting_id": str(number), "include_download_token": True, "token_ttl": 600})
    assert triggers.poll(sub).absent                      # no recording yet is a state, not a failure
    ok(tk.execute("ZOOM_UPDATE_MEETING_STATUS", {"meetingId": number, "action": "end"}))
    rec = add_recording(sandbox, latest_past(sandbox, number), status="processing")
    [payload] = fired(triggers, sub)
    assert payload["event_type"] == "recording_added"
    assert {f["id"] for f in payload["changes_detected"]["new_files"]} == {f["id"] for f in rec["recording_files"]}
    assert payload["meeting_recording"]["download_access_token"]          # asked for, so delivered
    assert fired(triggers, sub) == []                     # a fresh download token each poll is not a change
    rec["recording_files"] = [dict(f, status="completed") for f in rec["recording_files"]]
    sandbox.store.put("recording", rec["uuid"], rec, parent=str(number))
    [payload] = fired(triggers, sub)
    assert payload["event_type"] == "recording_processing_completed"
    assert {u["changes"]["status"]["new"] for u in payload["changes_detected"]["updated_files"]} == {"completed"}
    gone = rec["recording_files"][0]["id"]
    ok(tk.execute("ZOOM_DELETE_A_RECORDING_FILE_FOR_A_MEETING_OR_WEBINAR",
                  {"meetingId": rec["uuid"], "recordingId": gone}))
    [payload] = fired(triggers, sub)
    assert payload["event_type"] == "recording_updated" and payload["changes_detected"]["removed_files"] == [gone]
    assert payload["changes_detected"]["metadata"]["recording_count"] == {"old": 3, "new": 2}


def test_meeting_summary_created_then_updated(triggers, tk, sandbox, seed):
    number = seed["meetings"]["incident_bridge"]
    sub = baseline(triggers, "ZOOM_MEETING_SUMMARY_UPDATED_TRIGGER", {"meeting_id": str(number)})
    ok(tk.execute("ZOOM_UPDATE_MEETING_STATUS", {"meetingId": number, "action": "end"}))
    past = latest_past(sandbox, number)
    assert fired(triggers, sub) == []                     # ended, no summary yet
    history.add_summary(sandbox.store, past, {"email": seed["me_email"]}, "The outage was mitigated.",
                        [("Cause", "A bad deploy.")], ["Write the postmortem."], datetime.now(timezone.utc))
    [payload] = fired(triggers, sub)
    assert payload["event_type"] == "created" and payload["changed_fields"] == []
    assert payload["summary"]["meeting_uuid"] == past["uuid"]
    change(sandbox, "summary", past["uuid"], summary_last_modified_time="2031-01-01T00:00:00Z")
    assert fired(triggers, sub) == []                     # touched, not changed
    change(sandbox, "summary", past["uuid"], summary_overview="Mitigated; root cause found.",
           next_steps=["Write the postmortem.", "Add a canary."])
    [payload] = fired(triggers, sub)
    assert payload["event_type"] == "updated" and payload["changed_fields"] == ["next_steps", "summary_overview"]


def test_new_cloud_recording(triggers, tk, sandbox, seed):
    sub = baseline(triggers, "ZOOM_NEW_CLOUD_RECORDING_TRIGGER", {"user_id": "me"})
    seeded = seed["past_meeting_uuids"]["customer_onboarding"]
    change(sandbox, "recording", seeded, topic="Acme onboarding (renamed)", total_size=1)
    assert fired(triggers, sub) == []                     # the seeded recording was there at the baseline
    number = seed["meetings"]["incident_bridge"]
    ok(tk.execute("ZOOM_UPDATE_MEETING_STATUS", {"meetingId": number, "action": "end"}))
    rec = add_recording(sandbox, latest_past(sandbox, number))
    [payload] = fired(triggers, sub)
    assert payload["event_type"] == "recording_completed" and payload["meeting"]["uuid"] == rec["uuid"]
    assert fired(triggers, sub) == []


def test_new_meeting_participant(triggers, tk, sandbox, seed):
    number = seed["meetings"]["incident_bridge"]     # live now: no participant report until it ends
    sub = baseline(triggers, "ZOOM_NEW_MEETING_PARTICIPANT_TRIGGER", {"meeting_id": str(number)})
    ok(tk.execute("ZOOM_UPDATE_MEETING_STATUS", {"meetingId": number, "action": "end"}))
    [payload] = fired(triggers, sub)
    assert tuple(payload) == MEETING_PARTICIPANT_FIELDS
    assert payload["user_email"] == seed["me_email"] and payload["status"] == "in_meeting"
    past = latest_past(sandbox, number)
    change(sandbox, "participant", f"{past['uuid']}:0", parent=past["uuid"], duration=1, leave_time=past["end_time"])
    assert fired(triggers, sub) == []                     # the same record, its times revised


def test_new_webinar_created(triggers, tk, seed):
    sub = baseline(triggers, "ZOOM_NEW_WEBINAR_CREATED_TRIGGER", {"user_id": "me"})
    ok(tk.execute("ZOOM_UPDATE_A_WEBINAR", {"webinarId": str(seed["webinars"]["quarterly_update"]), "topic": "Q3"}))
    assert fired(triggers, sub) == []
    made = ok(tk.execute("ZOOM_CREATE_A_WEBINAR", {"userId": "me", "topic": "Launch 2", "type": 5,
                                                   "start_time": "2031-05-01T16:00:00Z", "duration": 45}))
    [payload] = fired(triggers, sub)
    assert tuple(payload) == WEBINAR_FIELDS
    assert payload["id"] == made["id"] and payload["topic"] == "Launch 2" and payload["duration"] == 45
    assert isinstance(payload["settings"], dict) and payload["start_url"]   # read in full, not from the list


def test_new_webinar_participant(triggers, tk, sandbox, seed):
    number = seed["webinars"]["launch"]
    sub = baseline(triggers, "ZOOM_NEW_WEBINAR_PARTICIPANT_TRIGGER", {"webinar_id": str(number)})
    past = latest_past(sandbox, number, "webinar")
    change(sandbox, "webinar_participant", f"{past['uuid']}:1", parent=past["uuid"], duration=60)
    assert fired(triggers, sub) == []                     # the seeded participants were there at the baseline
    go_live(sandbox, "webinar", number)
    ok(tk.execute("ZOOM_UPDATE_WEBINAR_STATUS", {"webinarId": str(number), "action": "end"}))
    [payload] = fired(triggers, sub)
    assert tuple(payload) == WEBINAR_PARTICIPANT_FIELDS
    assert payload["user_email"] == seed["me_email"]


def test_user_information_changed(triggers, tk, sandbox, seed):
    sub = baseline(triggers, "ZOOM_USER_INFORMATION_CHANGED_TRIGGER", {"user_id": "me"})
    change(sandbox, "user", seed["me"], last_login_time="2031-01-01T00:00:00Z", pic_url="https://example.com/p.png",
           last_client_version="7.0.0(mac)", jid="other@xmpp.zoom.us", created_at="2020-01-01T00:00:00Z")
    assert fired(triggers, sub) == []
    ok(tk.execute("ZOOM_UPDATE_A_USER", {"userId": "me", "dept": "Platform", "job_title": "Director"}))
    [payload] = fired(triggers, sub)
    assert payload["event_type"] == "user_updated"
    assert payload["changes_detected"] == {"dept": {"old": "Engineering", "new": "Platform"},
                                           "job_title": {"old": "Engineering Manager", "new": "Director"}}
    assert payload["user"]["dept"] == "Platform"


def test_webinar_details_changed(triggers, tk, sandbox, seed):
    number = seed["webinars"]["quarterly_update"]
    sub = baseline(triggers, "ZOOM_WEBINAR_DETAILS_CHANGED_TRIGGER", {"webinar_id": str(number)})
    change(sandbox, "webinar", number, start_url="https://us05web.zoom.us/s/1?zak=new",
           join_url="https://us05web.zoom.us/w/1?tk=new")
    assert fired(triggers, sub) == []
    ok(tk.execute("ZOOM_UPDATE_A_WEBINAR", {"webinarId": str(number), "topic": "Q3 update",
                                            "settings__host_video": True}))
    [payload] = fired(triggers, sub)
    assert payload["event_type"] == "webinar_updated"
    assert payload["changes_detected"] == {"settings.host_video": {"old": False, "new": True},
                                           "topic": {"old": "Quarterly Product Update", "new": "Q3 update"}}
    assert payload["webinar"]["topic"] == "Q3 update"


def test_daily_usage_report_changed(triggers, tk, sandbox, seed):
    sub = baseline(triggers, "ZOOM_DAILY_USAGE_REPORT_CHANGED_TRIGGER", {})
    ok(tk.execute("ZOOM_UPDATE_A_MEETING", {"meetingId": seed["meetings"]["one_on_one"], "topic": "Renamed"}))
    assert fired(triggers, sub) == []                     # nothing the report counts
    today = ids.now().date().isoformat()
    ok(tk.execute("ZOOM_UPDATE_MEETING_STATUS", {"meetingId": seed["meetings"]["incident_bridge"], "action": "end"}))
    ok(tk.execute("ZOOM_CREATE_USERS", {"action": "create", "user_info__email": "new.hire@example.com",
                                        "user_info__type": 1}))
    [payload] = fired(triggers, sub)
    assert payload["event_type"] == "report_updated" and payload["changed_dates"] == [today]
    row = next(d for d in payload["report"]["dates"] if d["date"] == today)
    assert row["new_users"] >= 1 and row["meetings"] >= 1
    assert (payload["report"]["year"], payload["report"]["month"]) == (ids.now().year, ids.now().month)
    assert fired(triggers, sub) == []


def test_a_recording_for_a_new_instance_counts_as_added(triggers, tk, sandbox, seed):
    """A meeting ID means its latest instance: the next sitting's recording is a new recording."""
    number = seed["meetings"]["customer_onboarding"]
    sub = baseline(triggers, "ZOOM_MEETING_RECORDING_CHANGED_TRIGGER", {"meeting_id": str(number)})
    go_live(sandbox, "meeting", number)
    ok(tk.execute("ZOOM_UPDATE_MEETING_STATUS", {"meetingId": number, "action": "end"}))
    history.add_recording(sandbox.store, latest_past(sandbox, number), random.Random(3), [("Host", "Again.")])
    [payload] = fired(triggers, sub)
    assert payload["event_type"] == "recording_added"
    assert payload["meeting_recording"]["uuid"] == latest_past(sandbox, number)["uuid"]
