"""Exact requests on the wire, over real sockets, for representative actions
of all three products."""

from __future__ import annotations

import base64
import json

import pytest

from .conftest import SECRET_TOKEN

# action, params, method, request target (path?query), JSON body (None: no body)
CASES = [
    # --- meetings ---
    ("ZOOM_GET_A_MEETING", {"meetingId": 85746065, "occurrence_id": "1648194360000"},
     "GET", "/meetings/85746065?occurrence_id=1648194360000", None),
    ("ZOOM_GET_A_MEETING", {"meetingId": "85746065", "show_previous_occurrences": "true"},
     "GET", "/meetings/85746065?show_previous_occurrences=true", None),
    ("ZOOM_CREATE_A_MEETING",
     {"userId": "me", "topic": "Sync", "type": 2, "start_time": "2026-06-25T15:00:00Z", "duration": "30",
      "timezone": "America/New_York", "settings__waiting_room": True, "settings__join_before_host": "false",
      "recurrence__type": 1, "recurrence__repeat_interval": 1},
     "POST", "/users/me/meetings",
     {"topic": "Sync", "type": 2, "start_time": "2026-06-25T15:00:00Z", "duration": 30,
      "timezone": "America/New_York", "settings": {"waiting_room": True, "join_before_host": False},
      "recurrence": {"type": 1, "repeat_interval": 1}}),
    ("ZOOM_UPDATE_A_MEETING", {"meetingId": 89012345678, "occurrence_id": "1", "topic": "New", "duration": 45,
                               "settings__waiting__room": False},
     "PATCH", "/meetings/89012345678?occurrence_id=1", {"topic": "New", "duration": 45,
                                                       "settings": {"waiting_room": False}}),
    ("ZOOM_DELETE_A_MEETING", {"meetingId": 89012345678, "schedule_for_reminder": True},
     "DELETE", "/meetings/89012345678?schedule_for_reminder=true", None),
    ("ZOOM_UPDATE_MEETING_STATUS", {"meetingId": 5, "action": "end"}, "PUT", "/meetings/5/status",
     {"action": "end"}),
    ("ZOOM_ADD_A_MEETING_REGISTRANT",
     {"meetingId": 123, "first_name": "Jane", "email": "jane@example.com", "occurrence_ids": "a,b",
      "custom_questions": '[{"title": "Why?", "value": "Because"}]'},
     "POST", "/meetings/123/registrants?occurrence_ids=a%2Cb",
     {"first_name": "Jane", "email": "jane@example.com", "custom_questions": [{"title": "Why?", "value": "Because"}]}),
    ("ZOOM_ADD_A_WEBINAR_REGISTRANT", {"webinarId": 99289110036, "first_name": "Li", "email": "li@example.com"},
     "POST", "/webinars/99289110036/registrants", {"first_name": "Li", "email": "li@example.com"}),
    ("ZOOM_GET_A_WEBINAR", {"webinarId": 99289110036}, "GET", "/webinars/99289110036", None),
    ("ZOOM_LIST_MEETINGS", {"userId": "jchill@example.com", "type": "upcoming", "page_size": 30},
     "GET", "/users/jchill%40example.com/meetings?type=upcoming&page_size=30", None),
    ("ZOOM_LIST_WEBINARS", {"userId": "me", "page_size": 300}, "GET", "/users/me/webinars?page_size=300", None),
    ("ZOOM_GET_MEETING_RECORDINGS", {"meetingId": "aDYlohsHRtCd4ii1uC2+hA==", "include_fields": "download_access_token",
                                     "ttl": 60},
     "GET", "/meetings/aDYlohsHRtCd4ii1uC2%2BhA%3D%3D/recordings?include_fields=download_access_token&ttl=60", None),
    ("ZOOM_DELETE_MEETING_RECORDINGS", {"meetingId": "85746065", "action": "trash"},
     "DELETE", "/meetings/85746065/recordings?action=trash", None),
    ("ZOOM_GET_A_MEETING_SUMMARY", {"meetingId": "/abc=="}, "GET", "/meetings/%252Fabc%253D%253D/meeting_summary",
     None),
    ("ZOOM_GET_PAST_MEETING_PARTICIPANTS", {"meetingId": "ab//cd==", "page_size": 300, "next_page_token": "t0k"},
     "GET", "/past_meetings/ab%252F%252Fcd%253D%253D/participants?page_size=300&next_page_token=t0k", None),
    ("ZOOM_LIST_WEBINAR_PARTICIPANTS", {"webinarId": "95204914252", "page_size": 10},
     "GET", "/past_webinars/95204914252/participants?page_size=10", None),
    ("ZOOM_LIST_ALL_RECORDINGS", {"userId": "me", "from": "2026-06-01", "to": "2026-06-23", "trash": False},
     "GET", "/users/me/recordings?from=2026-06-01&to=2026-06-23&trash=false", None),
    ("ZOOM_LIST_ARCHIVED_FILES", {"page_size": 5, "query_date_type": "meeting_start_time"},
     "GET", "/archive_files?page_size=5&query_date_type=meeting_start_time", None),
    ("ZOOM_LIST_DEVICES", {"platform_os": "win", "is_enrolled_in_zdm": True, "device_type": "1"},
     "GET", "/devices?platform_os=win&is_enrolled_in_zdm=true&device_type=1", None),
    ("ZOOM_GET_DAILY_USAGE_REPORT", {"year": 2026, "month": "6"}, "GET", "/report/daily?year=2026&month=6", None),
    ("ZOOM_CHANGE_DEVICE", {"deviceId": "dev 1/2", "device_name": "Room"}, "PATCH", "/devices/dev%201%2F2",
     {"device_name": "Room"}),
    # --- users ---
    ("ZOOM_LIST_USERS", {"status": "active", "page_size": 2, "include_fields": "custom_attributes"},
     "GET", "/users?status=active&page_size=2&include_fields=custom_attributes", None),
    ("ZOOM_GET_A_USER", {"userId": "me", "login_type": 100, "encrypted_email": False},
     "GET", "/users/me?login_type=100&encrypted_email=false", None),
    ("ZOOM_CREATE_USERS", {"action": "create", "user_info__email": "a@example.com", "user_info__type": 1,
                           "user_info__feature__zoom_phone": True},
     "POST", "/users", {"action": "create", "user_info": {"email": "a@example.com", "type": 1,
                                                         "feature": {"zoom_phone": True}}}),
    ("ZOOM_UPDATE_A_USER", {"userId": "u1", "first_name": "Ann", "custom_attributes": [{"key": "k", "value": "v"}]},
     "PATCH", "/users/u1", {"first_name": "Ann", "custom_attributes": [{"key": "k", "value": "v"}]}),
    ("ZOOM_DELETE_A_USER", {"userId": "u1", "action": "delete", "transfer_email": "b@example.com",
                            "transfer_meeting": True},
     "DELETE", "/users/u1?action=delete&transfer_email=b%40example.com&transfer_meeting=true", None),
    ("ZOOM_ADD_GROUP_MEMBERS", {"groupId": "g1", "members": [{"email": "a@example.com"}]},
     "POST", "/groups/g1/members", {"members": [{"email": "a@example.com"}]}),
    ("ZOOM_UPDATE_A_USER_S_PRESENCE_STATUS", {"userId": "me", "status": "Away"},
     "PUT", "/users/me/presence_status", {"status": "Away"}),
    ("ZOOM_UPDATE_USER_SETTINGS", {"userId": "me", "option": "meeting_security",
                                   "meeting_security": {"waiting_room": True}},
     "PATCH", "/users/me/settings?option=meeting_security", {"meeting_security": {"waiting_room": True}}),
    # --- phone ---
    ("ZOOM_LIST_PHONE_NUMBERS", {"type": "unassigned", "page_size": 100, "pending_numbers": False},
     "GET", "/phone/numbers?type=unassigned&page_size=100&pending_numbers=false", None),
    ("ZOOM_LIST_PHONE_SITES", {"page_size": 10}, "GET", "/phone/sites?page_size=10", None),
    ("ZOOM_CREATE_A_SHARED_LINE_GROUP", {"display_name": "Front desk", "extension_number": "1001"},
     "POST", "/phone/shared_line_groups", {"display_name": "Front desk", "extension_number": 1001}),
    ("ZOOM_GET_ACCOUNT_S_CALL_HISTORY", {"directions": ["inbound", "outbound"], "page_size": 30},
     "GET", "/phone/call_history?directions=inbound&directions=outbound&page_size=30", None),
    ("ZOOM_DELETE_MEMBERS_IN_A_ROLE", {"roleId": "r1", "user_ids": '["u1", "u2"]'},
     "DELETE", "/phone/roles/r1/members?user_ids=u1&user_ids=u2", None),
    ("ZOOM_DELETE_UNASSIGNED_PHONE_NUMBERS", {"phone_numbers": ["+12059535689", "+12059535690"]},
     "DELETE", "/phone/numbers?phone_numbers=%2B12059535689,%2B12059535690", None),
    ("ZOOM_CREATE_PHONE_NUMBERS", {"body": [{"phone_number": "+12059535689", "status": "inactive"}]},
     "POST", "/phone/carrier_reseller/numbers", [{"phone_number": "+12059535689", "status": "inactive"}]),
]


def _products(catalog):
    return {catalog.get(c[0])["product"] for c in CASES}


def test_cases_cover_three_products_and_twenty_actions(catalog):
    assert _products(catalog) == {"meetings", "users", "phone"}
    assert len({c[0] for c in CASES}) >= 20


@pytest.mark.parametrize("name,params,method,target,body", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_exact_request(tk, server, name, params, method, target, body):
    env = tk.execute(name, params)
    assert env == {"data": {"ok": True}, "successful": True, "error": None}, env
    (seen,) = server.api_requests()
    assert seen.method == method
    assert seen.target == target
    assert seen.headers["authorization"] == f"Bearer {SECRET_TOKEN}"
    assert seen.headers["accept"] == "application/json"
    assert seen.headers["user-agent"].startswith("zoom-actions/")
    assert "maton-connection" not in seen.headers
    if body is None:
        assert seen.body == b""
        assert "content-type" not in seen.headers
    else:
        assert seen.headers["content-type"] == "application/json"
        assert json.loads(seen.body) == body
        assert seen.headers["content-length"] == str(len(seen.body))


def test_204_and_non_json_bodies(tk, server):
    from .recorder import Reply
    server.queue(Reply(204))
    assert tk.execute("ZOOM_DELETE_A_MEETING", {"meetingId": 1}) == {"data": {}, "successful": True, "error": None}
    server.queue(Reply(200, raw=b"BEGIN:VCALENDAR", headers={"Content-Type": "text/calendar; charset=utf-8"}))
    env = tk.execute("ZOOM_GET_A_MEETING", {"meetingId": 1})
    assert env["successful"] and env["data"] == {"content": "BEGIN:VCALENDAR",
                                                 "content_type": "text/calendar; charset=utf-8"}
    server.queue(Reply(200, raw=b"\x89PNG\xff\x00", headers={"Content-Type": "image/png"}))
    env = tk.execute("ZOOM_GET_A_MEETING", {"meetingId": 1})
    assert env["data"] == {"content": base64.b64encode(b"\x89PNG\xff\x00").decode(), "encoding": "base64", "content_type": "image/png"}
    server.queue(Reply(201, body={"id": 7}))
    env = tk.execute("ZOOM_CREATE_A_MEETING", {"userId": "me", "topic": "t"})
    assert env == {"data": {"id": 7}, "successful": True, "error": None}


def test_nested_container_object_is_flattened(tk, server):
    env = tk.execute("ZOOM_CREATE_A_MEETING", {"userId": "me", "settings": {"waiting_room": "true",
                                                                            "breakout_room": {"enable": True}}})
    assert env["successful"], env
    assert server.last.json() == {"settings": {"waiting_room": True, "breakout_room": {"enable": True}}}


def test_none_means_omitted(tk, server):
    env = tk.execute("ZOOM_LIST_MEETINGS", {"userId": "me", "type": None, "page_size": None, "from": None})
    assert env["successful"], env
    assert server.last.target == "/users/me/meetings"


def test_lowercase_action_name_is_accepted(tk, server):
    assert tk.execute("zoom_get_a_meeting", {"meetingId": 1})["successful"]
    assert server.last.target == "/meetings/1"


def test_aexecute_sends_the_same_requests(tk, server):
    import asyncio

    async def main():
        try:
            return [await tk.aexecute(c[0], c[1]) for c in CASES]
        finally:
            await tk.aclose()

    envs = asyncio.run(main())
    assert all(e["successful"] for e in envs), [e for e in envs if not e["successful"]]
    sent = server.api_requests()
    assert [(s.method, s.target) for s in sent] == [(c[2], c[3]) for c in CASES]
    assert [json.loads(s.body) if s.body else None for s in sent] == [c[4] for c in CASES]


def test_deeply_nested_input_is_an_envelope(tk, server):
    deep: list = []
    for _ in range(5000):
        deep = [deep]
    env = tk.execute("ZOOM_UPDATE_A_USER", {"userId": "u", "custom_attributes": deep})
    assert env["successful"] is False and env["error"]
    assert server.api_requests() == []
