"""Past meetings, participants, cloud recordings with a transcript, AI
Companion summaries; UUIDs that need Zoom's double encoding."""

from __future__ import annotations

from urllib.parse import quote

import httpx


def _enc(uuid: str) -> str:
    once = quote(uuid, safe="")
    return quote(once, safe="") if uuid.startswith("/") or "//" in uuid else once


def test_seeded_uuid_needs_double_encoding(seed, client):
    uuid = seed["past_meeting_uuids"]["customer_onboarding"]
    assert uuid.startswith("/")
    got = client.get(f"/past_meetings/{_enc(uuid)}")
    assert got.status_code == 200 and got.json()["uuid"] == uuid
    # encoded only once, the "/" splits the path: no such endpoint, as on Zoom
    assert client.get(f"/past_meetings/{quote(uuid, safe='/')}").status_code == 404


def test_past_meeting_by_id_is_the_latest_instance(seed, client):
    mid = seed["meetings"]["customer_onboarding"]
    past = client.get(f"/past_meetings/{mid}").json()
    assert past["id"] == mid and past["uuid"] == seed["past_meeting_uuids"]["customer_onboarding"]
    assert past["topic"] == "Customer Onboarding: Acme Corp" and past["participants_count"] == 4
    assert past["start_time"] < past["end_time"] and past["user_email"] == "avery.chen@example.com"
    inst = client.get(f"/past_meetings/{mid}/instances").json()["meetings"]
    assert [i["uuid"] for i in inst] == [past["uuid"]]
    r = client.get("/past_meetings/81111111111")
    assert r.status_code == 404 and r.json()["code"] == 3001


def test_participants_page(seed, client):
    uuid = seed["past_meeting_uuids"]["customer_onboarding"]
    first = client.get(f"/past_meetings/{_enc(uuid)}/participants", params={"page_size": 3}).json()
    assert first["total_records"] == 4 and len(first["participants"]) == 3 and first["next_page_token"]
    rest = client.get(f"/past_meetings/{_enc(uuid)}/participants",
                      params={"page_size": 3, "next_page_token": first["next_page_token"]}).json()
    names = [p["name"] for p in first["participants"] + rest["participants"]]
    assert names == ["Avery Chen", "Sam Rivera", "Lena Park", "Tom Becker"] and rest["next_page_token"] == ""
    lena = first["participants"][2]
    assert lena["user_email"] == "lena.park@acme.example" and lena["internal_user"] is False and lena["duration"] > 0


def test_past_webinar_participants(seed, client):
    wid = seed["webinars"]["launch"]
    body = client.get(f"/past_webinars/{wid}/participants").json()
    assert body["total_records"] == 4 and body["participants"][1]["name"] == "Noah Kim"
    inst = client.get(f"/past_webinars/{wid}/instances").json()["webinars"]
    assert [i["uuid"] for i in inst] == [seed["past_webinar_uuids"]["launch"]]


def test_recording_with_a_transcript_that_downloads(seed, client, sandbox):
    mid = seed["meetings"]["customer_onboarding"]
    rec = client.get(f"/meetings/{mid}/recordings", params={"include_fields": "download_access_token"}).json()
    types = {f["file_type"]: f for f in rec["recording_files"]}
    assert {"MP4", "M4A", "TRANSCRIPT", "CHAT"} <= set(types) and rec["recording_count"] == len(types)
    assert rec["download_access_token"] and rec["uuid"] == seed["past_meeting_uuids"]["customer_onboarding"]
    tr = types["TRANSCRIPT"]
    assert tr["file_extension"] == "VTT" and tr["download_url"].startswith(sandbox.origin + "/rec/download/")
    assert httpx.get(tr["download_url"]).status_code == 401  # like Zoom: needs the token
    text = httpx.get(tr["download_url"], params={"access_token": rec["download_access_token"]})
    assert text.status_code == 200 and text.headers["content-type"].startswith("text/vtt")
    assert text.text.startswith("WEBVTT") and "Lena Park:" in text.text and tr["file_size"] == len(text.content)
    chat = httpx.get(types["CHAT"]["download_url"], headers={"Authorization": "Bearer x"})
    assert "crm.acme.example" in chat.text


def test_list_recordings_defaults_to_today(seed, client):
    body = client.get("/users/me/recordings").json()
    assert [m["topic"] for m in body["meetings"]] == ["Customer Onboarding: Acme Corp"]
    month = client.get("/users/me/recordings", params={"from": body["from"][:8] + "01", "to": "2099-01-01"}).json()
    assert len(month["meetings"]) >= 1
    wide = client.get("/users/me/recordings", params={"from": "2000-01-01", "to": "2099-01-01"}).json()
    assert {m["topic"] for m in wide["meetings"]} == {"Customer Onboarding: Acme Corp", "Weekly Engineering Sync"}


def test_trash_recover_and_delete_recordings(seed, client):
    uuid = seed["past_meeting_uuids"]["customer_onboarding"]
    mid = seed["meetings"]["customer_onboarding"]
    assert client.delete(f"/meetings/{_enc(uuid)}/recordings").status_code == 200
    r = client.get(f"/meetings/{mid}/recordings")
    assert r.status_code == 404 and r.json() == {"code": 3301, "message": "There is no recording for this meeting."}
    trash = client.get("/users/me/recordings", params={"trash": "true"}).json()["meetings"]
    assert [m["uuid"] for m in trash] == [uuid]
    assert client.put(f"/meetings/{_enc(uuid)}/recordings/status", json={"action": "recover"}).status_code == 200
    assert client.get(f"/meetings/{mid}/recordings").status_code == 200
    assert client.delete(f"/meetings/{mid}/recordings", params={"action": "delete"}).status_code == 200
    assert client.put(f"/meetings/{_enc(uuid)}/recordings/status", json={"action": "recover"}).status_code == 404


def test_meeting_summaries(seed, client):
    uuid = seed["past_meeting_uuids"]["customer_onboarding"]
    by_uuid = client.get(f"/meetings/{_enc(uuid)}/meeting_summary").json()
    by_id = client.get(f"/meetings/{seed['meetings']['customer_onboarding']}/meeting_summary").json()
    assert by_uuid == by_id and by_uuid["meeting_uuid"] == uuid
    assert by_uuid["summary_overview"] and len(by_uuid["next_steps"]) == 3
    assert by_uuid["summary_details"][0]["label"] == "Integration plan"
    none = client.get(f"/meetings/{seed['meetings']['roadmap_review']}/meeting_summary")
    assert none.status_code == 404 and none.json()["code"] == 3001 and "summary" in none.json()["message"]
    listed = client.get("/meetings/meeting_summaries").json()["summaries"]
    assert [s["meeting_topic"] for s in listed] == ["Customer Onboarding: Acme Corp", "Weekly Engineering Sync"]
    recent = client.get("/meetings/meeting_summaries", params={"from": by_uuid["summary_created_time"]}).json()
    assert [s["meeting_uuid"] for s in recent["summaries"]] == [uuid]
