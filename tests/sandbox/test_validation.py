"""Requests are checked against the action's schemas and refused as Zoom
refuses them; auth and unknown endpoints answer like Zoom too."""

from __future__ import annotations

import httpx


def test_missing_token_is_124(sandbox):
    r = httpx.get(sandbox.base_url + "/users/me")
    assert r.status_code == 401 and r.json() == {"code": 124, "message": "Invalid access token."}
    r = httpx.get(sandbox.base_url + "/users/me", headers={"Authorization": "Basic abc"})
    assert r.status_code == 401
    r = httpx.get(sandbox.base_url + "/users/me", headers={"Authorization": "Bearer anything-goes"})
    assert r.status_code == 200


def test_unknown_endpoint_and_wrong_method(client, sandbox):
    r = client.get("/no/such/thing")
    assert r.status_code == 404 and r.json()["code"] == 404 and "/v2/no/such/thing" in r.json()["message"]
    r = client.post("/meetings/81234567890")
    assert r.status_code == 405 and set(r.headers["allow"].split(", ")) == {"GET", "PATCH", "DELETE"}
    assert httpx.get(sandbox.origin + "/users/me").status_code == 404  # the API lives under /v2


def test_health(sandbox):
    body = httpx.get(sandbox.origin + "/_sandbox/health").json()
    assert body["ok"] is True and body["base_url"] == sandbox.base_url and body["seed"]["me"]


def test_body_type_enum_and_length_errors_name_each_field(client):
    r = client.post("/users/me/meetings", json={"topic": 12, "type": 4, "password": "x" * 11,
                                                "settings": {"waiting_room": "yes", "audio": "radio"}})
    assert r.status_code == 400
    body = r.json()
    assert body["code"] == 300 and body["message"] == "Validation Failed."
    fields = {e["field"]: e["message"] for e in body["errors"]}
    assert set(fields) == {"topic", "type", "password", "settings.waiting_room", "settings.audio"}
    assert fields["settings.waiting_room"] == 'Invalid field: expected boolean, got "yes".'
    assert "is not one of" in fields["type"] and "too long" in fields["password"]


def test_malformed_json_body(client):
    r = client.post("/users/me/meetings", content=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json() == {"code": 300, "message": "Request Body should be a valid JSON object."}
    r = client.post("/users/me/meetings", json=[1, 2])
    assert r.status_code == 400 and r.json()["code"] == 300


def test_query_values_are_coerced_then_checked(client):
    assert client.get("/users/me/meetings", params={"page_size": "5"}).json()["page_size"] == 5
    r = client.get("/users/me/meetings", params={"page_size": "many", "type": "someday"})
    assert r.status_code == 400
    assert {e["field"] for e in r.json()["errors"]} == {"page_size", "type"}
    r = client.get("/users/me/meetings", params={"page_size": 301})
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "page_size"
    r = client.get("/users/me/recordings", params={"trash": "maybe"})
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "trash"
    r = client.get("/users/me/recordings", params={"from": "2024-13-45"})
    assert r.status_code == 400 and "date" in r.json()["errors"][0]["message"]


def test_path_values_are_checked(client):
    r = client.get("/meetings/not-a-number")
    assert r.status_code == 400 and r.json()["errors"] == [
        {"field": "meetingId", "message": 'Invalid field: expected integer, got "not-a-number".'}]


def test_required_query_parameters(client):
    r = client.get("/report/users/me/meetings")
    assert r.status_code == 400
    assert r.json()["errors"] == [{"field": "from", "message": "This field is required."},
                                  {"field": "to", "message": "This field is required."}]
    # "me" matches two of the spec's overlapping oneOf branches: still accepted
    assert client.get("/report/users/me/meetings", params={"from": "2024-01-01", "to": "2024-01-31"}).status_code == 200


def test_unknown_fields_are_ignored_as_zoom_does(client):
    r = client.post("/users/me/meetings", json={"topic": "x", "not_a_field": 1, "settings": {"nor_this": True}},
                    params={"nonsense": "1"})
    assert r.status_code == 201


def test_a_requirement_the_spec_never_declares_is_not_enforced(client):
    # the spec's body for this operation requires `action` without declaring it
    r = client.patch("/devices/abc/assignment", json={"room_id": "r1"})
    assert r.status_code == 204


def test_multipart_upload_needs_its_file(client, seed):
    wid = seed["webinars"]["quarterly_update"]
    r = client.post(f"/webinars/{wid}/branding/wallpaper", files={"other": ("a.txt", b"x", "text/plain")})
    assert r.status_code == 400 and r.json()["errors"] == [{"field": "file", "message": "This field is required."}]
    r = client.post(f"/webinars/{wid}/branding/wallpaper", files={"file": ("w.png", b"\x89PNG", "image/png")})
    assert r.status_code == 201


def test_parent_resources_must_exist_for_synthesized_operations(client, seed):
    r = client.get("/meetings/81234567890/polls")
    assert r.status_code == 404 and r.json() == {"code": 3001, "message": "Meeting does not exist: 81234567890."}
    assert client.get(f"/meetings/{seed['meetings']['roadmap_review']}/polls").status_code == 200
    r = client.get("/users/ghost@example.com/assistants")
    assert r.status_code == 404 and r.json()["code"] == 1001
    r = client.get("/webinars/81234567890/panelists")
    assert r.status_code == 404 and r.json()["code"] == 3001
