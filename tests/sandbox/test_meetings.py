"""Meetings and webinars behave like Zoom's: shapes, status codes, list
filters, paging, updates, deletion and recovery, ending a live meeting."""

from __future__ import annotations

import base64
import re
from datetime import datetime, timedelta, timezone

import pytest


def _future(days: int, hour: int = 15) -> str:
    d = datetime.now(timezone.utc) + timedelta(days=days)
    return d.replace(hour=hour, minute=0, second=0, microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def _create(client, **body):
    body.setdefault("topic", "Planning")
    body.setdefault("type", 2)
    body.setdefault("start_time", _future(5))
    r = client.post("/users/me/meetings", json=body)
    assert r.status_code == 201, r.text
    return r.json()


def test_create_get_list_update_delete_flow_through_the_toolkit(toolkit, client):
    created = toolkit.execute("ZOOM_CREATE_A_MEETING", {"userId": "me", "topic": "Sprint demo", "type": 2,
                                                        "start_time": _future(3), "duration": 45,
                                                        "settings__waiting_room": True})
    assert created["successful"], created["error"]
    mid = created["data"]["id"]
    got = toolkit.execute("ZOOM_GET_A_MEETING", {"meetingId": mid})
    assert got["data"]["topic"] == "Sprint demo" and got["data"]["settings"]["waiting_room"] is True
    listed = toolkit.execute("ZOOM_LIST_MEETINGS", {"userId": "me"})
    assert mid in [m["id"] for m in listed["data"]["meetings"]]

    new_start = _future(4, 9)
    r = client.patch(f"/meetings/{mid}", json={"start_time": new_start})
    assert r.status_code == 204 and r.content == b""
    assert toolkit.execute("ZOOM_GET_A_MEETING", {"meetingId": mid})["data"]["start_time"] == new_start

    r = client.delete(f"/meetings/{mid}")
    assert r.status_code == 204 and r.content == b""
    gone = toolkit.execute("ZOOM_GET_A_MEETING", {"meetingId": mid})
    assert gone["successful"] is False
    assert gone["data"] == {"code": 3001, "message": f"Meeting does not exist: {mid}."}
    assert "3001" in gone["error"] and str(mid) in gone["error"]


def test_created_meeting_has_zoom_shaped_ids_and_urls(client):
    m = _create(client, topic="Shapes")
    assert isinstance(m["id"], int) and 10 <= len(str(m["id"])) <= 11
    full = client.get(f"/meetings/{m['id']}").json()
    assert len(base64.b64decode(full["uuid"])) == 16 and full["uuid"].endswith("==")
    assert re.fullmatch(rf"https://us05web\.zoom\.us/j/{m['id']}\?pwd=\w+\.1", m["join_url"])
    assert re.fullmatch(rf"https://us05web\.zoom\.us/s/{m['id']}\?zak=\S+", m["start_url"])
    assert m["password"] and m["host_email"] == "avery.chen@example.com"
    assert m["created_at"].endswith("Z") and m["creation_source"] == "open_api"
    assert full["status"] == "waiting" and full["host_id"] == client.get("/users/me").json()["id"]


def test_start_time_without_offset_is_read_in_the_meeting_timezone(client):
    m = _create(client, start_time="2031-01-15T09:00:00", timezone="America/New_York")
    assert client.get(f"/meetings/{m['id']}").json()["start_time"] == "2031-01-15T14:00:00Z"


def test_unknown_user_and_unknown_meeting_answer_zoom_codes(client):
    r = client.post("/users/nobody@example.com/meetings", json={"topic": "x"})
    assert r.status_code == 404 and r.json() == {"code": 1001, "message": "User does not exist: nobody@example.com."}
    for method in ("GET", "PATCH", "DELETE"):
        r = client.request(method, "/meetings/81234567890", json={} if method == "PATCH" else None)
        assert r.status_code == 404 and r.json()["code"] == 3001, method


def test_user_by_id_and_email(client, seed):
    me = client.get("/users/me").json()
    assert client.get(f"/users/{me['id']}").json()["email"] == me["email"]
    assert client.get(f"/users/{me['email']}").json()["id"] == me["id"]
    users = client.get("/users", params={"status": "active"}).json()
    assert me["id"] in [u["id"] for u in users["users"]]
    assert all(u["status"] == "active" for u in users["users"])
    pending = client.get("/users", params={"status": "pending"}).json()["users"]
    assert [u["email"] for u in pending] == ["diego.alvarez@example.com"]


def test_list_type_filters(client, seed):
    future = _create(client, topic="Future", start_time=_future(2))["id"]
    past = _create(client, topic="Past", start_time=_future(-3))["id"]
    m = seed["meetings"]

    def ids(kind):
        r = client.get("/users/me/meetings", params={"type": kind, "page_size": 300})
        assert r.status_code == 200, r.text
        return {x["id"] for x in r.json()["meetings"]}

    assert ids("live") == {m["incident_bridge"]}
    upcoming = ids("upcoming")
    assert upcoming == ids("upcoming_meetings")
    assert {future, m["roadmap_review"], m["weekly_sync"], m["office_hours"], m["incident_bridge"]} <= upcoming
    assert past not in upcoming and m["customer_onboarding"] not in upcoming
    previous = ids("previous_meetings")
    assert {past, m["customer_onboarding"], m["weekly_sync"]} <= previous and future not in previous
    assert {future, past} | upcoming | previous <= ids("scheduled") == ids("scheduled")
    assert m["jordan_sync"] not in ids("scheduled")  # another host's meeting
    jordan = client.get(f"/users/{seed['users'][1]}/meetings").json()["meetings"]
    assert [x["id"] for x in jordan] == [m["jordan_sync"]]


def test_paging_with_next_page_token(client):
    made = {_create(client, topic=f"Page {i}")["id"] for i in range(7)}
    seen, token, pages = [], "", 0
    while True:
        params = {"page_size": 3, **({"next_page_token": token} if token else {})}
        body = client.get("/users/me/meetings", params=params).json()
        pages += 1
        assert body["page_size"] == 3 and len(body["meetings"]) <= 3
        seen += [x["id"] for x in body["meetings"]]
        token = body["next_page_token"]
        if not token:
            break
    assert len(seen) == len(set(seen)) == body["total_records"] and made <= set(seen)
    assert pages == -(-len(seen) // 3)


def test_a_bad_or_foreign_page_token_is_refused(client):
    for i in range(4):
        _create(client, topic=f"T{i}")
    token = client.get("/users/me/meetings", params={"page_size": 2}).json()["next_page_token"]
    assert token
    r = client.get("/users/me/meetings", params={"next_page_token": "garbage"})
    assert r.status_code == 400 and r.json() == {"code": 300, "message": "The next page token is invalid or expired."}
    r = client.get("/users/me/meetings", params={"next_page_token": token, "type": "live"})
    assert r.status_code == 400 and r.json()["code"] == 300


def test_update_merges_settings_and_changes_password_in_join_url(client):
    m = _create(client, settings={"waiting_room": True, "mute_upon_entry": True})
    r = client.patch(f"/meetings/{m['id']}", json={"settings": {"mute_upon_entry": False}, "password": "abc123",
                                                   "topic": "Renamed"})
    assert r.status_code == 204
    got = client.get(f"/meetings/{m['id']}").json()
    assert got["topic"] == "Renamed" and got["password"] == "abc123"
    assert got["settings"]["waiting_room"] is True and got["settings"]["mute_upon_entry"] is False
    assert got["join_url"] != m["join_url"]


def test_recurring_meeting_occurrences_and_deleting_one(client):
    # 2031-03-04 is a Tuesday; weekly_days "3" is Tuesday (1 is Sunday)
    m = _create(client, type=8, start_time="2031-03-04T17:00:00Z", timezone="UTC",
                recurrence={"type": 2, "weekly_days": "3", "repeat_interval": 2, "end_times": 4})
    occ = m["occurrences"]
    assert [o["start_time"] for o in occ] == ["2031-03-04T17:00:00Z", "2031-03-18T17:00:00Z",
                                              "2031-04-01T17:00:00Z", "2031-04-15T17:00:00Z"]
    assert all(o["occurrence_id"] == str(int(datetime.fromisoformat(o["start_time"].replace("Z", "+00:00"))
                                                 .timestamp() * 1000)) for o in occ)
    r = client.delete(f"/meetings/{m['id']}", params={"occurrence_id": occ[1]["occurrence_id"]})
    assert r.status_code == 204
    got = client.get(f"/meetings/{m['id']}").json()
    assert {o["occurrence_id"]: o["status"] for o in got["occurrences"]}[occ[1]["occurrence_id"]] == "deleted"
    one = client.get(f"/meetings/{m['id']}", params={"occurrence_id": occ[2]["occurrence_id"]}).json()
    assert one["start_time"] == occ[2]["start_time"]
    r = client.delete(f"/meetings/{m['id']}", params={"occurrence_id": "123"})
    assert r.status_code == 400 and r.json() == {"code": 300, "message": "Invalid parameter: `occurrence_id`."}


def test_occurrences_keep_the_local_time_across_daylight_saving(client):
    # 09:00 in Los Angeles: 17:00Z before 2031-03-09, 16:00Z after
    m = _create(client, type=8, start_time="2031-03-04T09:00:00", timezone="America/Los_Angeles",
                recurrence={"type": 1, "repeat_interval": 7, "end_times": 2})
    assert [o["start_time"] for o in m["occurrences"]] == ["2031-03-04T17:00:00Z", "2031-03-11T16:00:00Z"]


def test_monthly_recurrence_by_weekday(client):
    # the last Friday (monthly_week -1, monthly_week_day 6) of each month, 3 times
    m = _create(client, type=8, start_time="2031-01-01T12:00:00Z",
                recurrence={"type": 3, "monthly_week": -1, "monthly_week_day": 6, "end_times": 3})
    assert [o["start_time"][:10] for o in m["occurrences"]] == ["2031-01-31", "2031-02-28", "2031-03-28"]


def test_recurring_fixed_time_needs_a_recurrence(client):
    r = client.post("/users/me/meetings", json={"topic": "x", "type": 8})
    assert r.status_code == 400 and r.json()["code"] == 300
    assert r.json()["errors"][0]["field"] == "recurrence.type"


def test_delete_then_recover(client):
    m = _create(client)
    assert client.delete(f"/meetings/{m['id']}").status_code == 204
    assert client.get(f"/meetings/{m['id']}").status_code == 404
    assert client.put(f"/meetings/{m['id']}/status", json={"action": "recover"}).status_code == 204
    assert client.get(f"/meetings/{m['id']}").json()["topic"] == "Planning"


def test_ending_a_live_meeting_records_a_past_instance(client, seed):
    mid = seed["meetings"]["incident_bridge"]
    before = client.get(f"/meetings/{mid}").json()
    assert before["status"] == "started"
    assert client.get(f"/past_meetings/{mid}/instances").json() == {"meetings": []}
    assert client.put(f"/meetings/{mid}/status", json={"action": "end"}).status_code == 204
    after = client.get(f"/meetings/{mid}").json()
    assert after["status"] == "waiting" and after["uuid"] != before["uuid"]
    inst = client.get(f"/past_meetings/{mid}/instances").json()["meetings"]
    assert [i["uuid"] for i in inst] == [before["uuid"]]
    past = client.get(f"/past_meetings/{mid}").json()
    assert past["uuid"] == before["uuid"] and past["participants_count"] == 1
    assert mid not in {x["id"] for x in client.get("/users/me/meetings", params={"type": "live"}).json()["meetings"]}


def test_invitation_names_the_meeting(client):
    m = _create(client, topic="Board prep")
    inv = client.get(f"/meetings/{m['id']}/invitation").json()
    assert "Board prep" in inv["invitation"] and m["join_url"] in inv["invitation"]
    assert inv["sip_links"][0].endswith("@zoomcrc.com")


def test_upcoming_meetings_endpoint(client, seed):
    body = client.get("/users/me/upcoming_meetings").json()
    ids = [m["id"] for m in body["meetings"]]
    assert body["total_records"] == len(ids) and seed["meetings"]["roadmap_review"] in ids
    assert seed["meetings"]["customer_onboarding"] not in ids


@pytest.mark.parametrize("path", ["/users/me/webinars"])
def test_webinar_lifecycle(client, seed, path):
    r = client.post(path, json={"topic": "Launch", "type": 5, "start_time": _future(9),
                                "settings": {"approval_type": 0}})
    assert r.status_code == 201, r.text
    w = r.json()
    assert isinstance(w["id"], int) and w["join_url"].startswith("https://us05web.zoom.us/j/")
    assert client.get(f"/webinars/{w['id']}").json()["topic"] == "Launch"
    listed = client.get(path, params={"type": "upcoming"}).json()["webinars"]
    assert w["id"] in [x["id"] for x in listed] and seed["webinars"]["launch"] not in [x["id"] for x in listed]
    assert client.patch(f"/webinars/{w['id']}", json={"agenda": "Q&A"}).status_code == 204
    assert client.get(f"/webinars/{w['id']}").json()["agenda"] == "Q&A"
    assert client.delete(f"/webinars/{w['id']}").status_code == 204
    r = client.get(f"/webinars/{w['id']}")
    assert r.status_code == 404 and r.json() == {"code": 3001, "message": f"Webinar does not exist: {w['id']}."}


def test_schedule_for_another_user(client, seed):
    jordan = seed["users"][1]
    m = _create(client, schedule_for="jordan.patel@example.com")
    got = client.get(f"/meetings/{m['id']}").json()
    assert got["host_id"] == jordan and got["assistant_id"] == seed["me"]
    r = client.post("/users/me/meetings", json={"topic": "x", "schedule_for": "ghost@example.com"})
    assert r.status_code == 400 and r.json()["code"] == 300 and "schedule_for" in r.json()["message"]


def test_user_create_update_delete(client):
    r = client.post("/users", json={"action": "create", "user_info": {"email": "new@example.com", "type": 1,
                                                                        "first_name": "Nia"}})
    assert r.status_code == 201 and r.json()["email"] == "new@example.com"
    uid = r.json()["id"]
    assert client.get(f"/users/{uid}").json()["status"] == "pending"
    r = client.post("/users", json={"action": "create", "user_info": {"email": "new@example.com", "type": 1}})
    assert r.status_code == 409 and r.json() == {"code": 1005, "message": 'Email "new@example.com" has already been used.'}
    assert client.patch(f"/users/{uid}", json={"last_name": "Ode"}).status_code == 204
    assert client.get(f"/users/{uid}").json()["display_name"] == "Nia Ode"
    assert client.delete(f"/users/{uid}").status_code == 204
    assert client.get(f"/users/{uid}").json()["code"] == 1001
